import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { kobo } from "../../src/lib/kobo.js";
import { paymentLink, receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import { bankButton, chooseBank, chooseMethod, logIn, startWidgetWorld, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The customer's first screens in Chromium at 360×740 (okra-js 2.1.1 on a merchant page, or the
 * hosted pay page): the bank list finds a bank by the names people type and leads with the most
 * used banks; a payment link shows who is paid, for what and how much before any bank. Every screen is checked with axe-core and photographed into test-artifacts/widget/.
 */
describe.skipIf(!chromiumPath)("the customer's first screens (Chromium)", () => {
  let world: WidgetWorld;
  const open: WidgetPage[] = [];
  const track = (w: WidgetPage) => (open.push(w), w);

  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "balance", "payments"] });
  });
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  afterAll(async () => {
    await world?.close();
  });

  it("bank search finds GTB, GTBank, UBA, FCMB, First Bank, Stanbic, Access and Opay; popular banks first; \"No bank matches\" leads back to the whole list", async () => {
    const t = await world.newTenant("Search Lending");
    const w = track(await world.open(t, { flow: "bank-search" }));
    await w.waitForScreen("Select your bank");
    await w.check("banks", { desktop: true });
    const titles = () => w.frame.locator(".list .row-title").allInnerTexts();
    const all = await titles();
    expect(all.slice(0, 5)).toEqual(["Access Bank", "Guaranty Trust Bank", "Zenith Bank", "First Bank of Nigeria", "United Bank for Africa"]);

    const search = w.frame.getByLabel("Search banks");
    for (const [typed, bank] of [
      ["GTB", "Guaranty Trust Bank"],
      ["GTBank", "Guaranty Trust Bank"],
      ["UBA", "United Bank for Africa"],
      ["FCMB", "First City Monument Bank"],
      ["First Bank", "First Bank of Nigeria"],
      ["Stanbic", "Stanbic IBTC Bank"],
      ["Access", "Access Bank"],
      ["Opay", "OPay"],
    ] as const) {
      await search.fill(typed);
      await bankButton(w, bank).waitFor();
      expect(await titles(), typed).toContain(bank);
      if (typed === "GTB") await w.check("banks-search-gtb");
    }

    await search.fill("Barclays");
    await w.frame.getByText("No bank matches “Barclays”.").waitFor();
    expect(await titles()).toEqual([]);
    await w.check("banks-no-match");
    await w.frame.getByRole("button", { name: "Show all banks" }).click();
    await w.frame.locator(".list .row-title").first().waitFor();
    expect(await titles()).toEqual(all);
    expect(await search.inputValue()).toBe("");
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
    await w.check("banks-show-all");
  });

  it("a payment link opens on the merchant, the item and the amount, with \"Pay ₦12,500.00\", before the bank list", async () => {
    const t = await world.newTenant("Marathon Club");
    await receivingAccount(world.h.ctx, t);
    const link = await paymentLink(world.h.ctx, t, { name: "Lagos Marathon entry", amount: kobo(1_250_000), note: "Entry for the 10 km race" });
    const w = track(await world.openFullPage(`${world.widgetOrigin}/pay/${link.short_url}`, { flow: "link-intro" }));
    await w.waitForScreen("Payment to Marathon Club");
    const text = await w.frame.locator("main").innerText();
    for (const shown of ["Lagos Marathon entry", "Entry for the 10 km race", "₦12,500.00"]) expect(text).toContain(shown);
    expect(await w.frame.getByLabel("Search banks").count()).toBe(0);
    await w.check("intro", { desktop: true });
    await w.frame.getByRole("button", { name: "Pay ₦12,500.00" }).click();
    await w.waitForScreen("Select your bank");
    // Back returns to what is being paid.
    await w.frame.getByRole("button", { name: "Back" }).click();
    await w.waitForScreen("Payment to Marathon Club");
  });

  it("a payment link that lets the payer choose asks for the amount first and carries it to the review", async () => {
    const t = await world.newTenant("Church of the Open Door");
    await receivingAccount(world.h.ctx, t);
    const link = await paymentLink(world.h.ctx, t, { name: "Building fund", amount: null, note: null });
    const w = track(await world.openFullPage(`${world.widgetOrigin}/pay/${link.short_url}`, { flow: "link-intro-open" }));
    await w.waitForScreen("Payment to Church of the Open Door");
    expect(await w.frame.locator("main").innerText()).toContain("Building fund");
    await w.frame.getByRole("button", { name: "Continue" }).click();
    await w.frame.getByText("Enter the amount to pay.").waitFor();
    await w.frame.getByLabel("Amount (₦)").fill("2,500");
    await w.check("intro-amount", { desktop: true });
    await w.frame.getByRole("button", { name: "Pay ₦2,500.00" }).click();
    await w.waitForScreen("Select your bank");
    await chooseBank(w, "Guaranty Trust Bank");
    await chooseMethod(w, "Guaranty Trust Bank", "Internet banking");
    await logIn(w, "Guaranty Trust Bank", { identifier: "okro_good", secret: "pass_good" });
    await w.waitForScreen("Choose the account to pay from");
    await w.frame.locator(".choice label").first().click();
    await w.frame.getByRole("button", { name: "Continue" }).click();
    await w.waitForScreen("Pay Church of the Open Door");
    expect(await w.frame.getByLabel("Amount (₦)").inputValue()).toBe("2,500.00");
    await w.frame.getByRole("button", { name: "Pay ₦2,500.00" }).waitFor();
  });
});
