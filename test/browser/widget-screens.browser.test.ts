import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath } from "./chromium.js";
import { bankButton, startWidgetWorld, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The customer's first screens in Chromium at 360×740 (okra-js 2.1.1 on a merchant page, or the
 * hosted pay page): the bank list finds a bank by the names people type and leads with the most
 * used banks. Every screen is checked with axe-core and photographed into test-artifacts/widget/.
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
});
