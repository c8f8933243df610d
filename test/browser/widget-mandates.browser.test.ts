import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../../src/jobs/runner.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { dayInWords } from "../../src/mandates/payer.js";
import { addDays } from "../../src/mandates/schedule.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { widgetOrigin } from "../../src/payments/links.js";
import { receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import { chooseBank, chooseMethod, logIn, startWidgetWorld, type Tenant, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The widget's mandate consent screen and the payer's page end to end in Chromium at 360 px:
 * okra-js 2.1.1 on a merchant page with `debitLater: true` (a monthly ₦5,000 authorisation), a
 * person logging in at a sandbox bank, reading what they authorise, confirming with the bank's
 * OTP; the bank activates it (the runner's jobs); then the same person opens the payer's page
 * (`/mandates?key=…` on the widget origin), proves who they are with the bank login and withdraws
 * it. Checked against the merchant's callbacks and what its server reads with its secret key
 * (`mandates/get`, `events/list`). Screens are checked with axe-core and photographed into
 * test-artifacts/widget/ (`mandate-*`, `payer-*`).
 */

const GTB = "Guaranty Trust Bank";
const MONTHLY = { debitLater: true, debitType: "recurring", debitAmount: 500_000, debitStartDate: "2027-01-31", debitEndDate: "2027-12-31", debitInterval: "monthly" };

describe.skipIf(!chromiumPath)("authorising a mandate in the widget and withdrawing it on the payer's page (Chromium, 360 px)", () => {
  let world: WidgetWorld;
  const open: WidgetPage[] = [];
  const track = (w: WidgetPage) => (open.push(w), w);

  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "payments"] });
    // A Monday: a weekly charge starting today is due today (charges on weekends move to the next business day, decision 0027).
    world.clock.set(new Date("2027-01-11T09:00:00Z"));
  });
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  afterAll(async () => {
    await world?.close();
  });

  async function mandateOf(t: Tenant, id: string) {
    const got = await world.api(t, "/v2/mandates/get", { id });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    return got.body.data.mandate as { _id: string; status: string; status_reason: string | null; amount: number; interval: string; duration: { startDate: string; endDate: string } };
  }

  it("states what is authorised, takes the OTP, the bank activates it, and the payer withdraws it", async () => {
    const t = await world.newTenant("Gym Co");
    await receivingAccount(world.h.ctx, t);
    const w = track(await world.open(t, { flow: "mandate", options: { ...MONTHLY, options: { plan: "gold" } } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });

    await w.waitForScreen("Choose the account to debit");
    await w.check("accounts");
    const label = w.frame.locator(".choice label").first();
    const account = (await label.innerText()).trim();
    await label.click();
    await w.frame.getByRole("button", { name: "Continue" }).click();

    // The consent screen: who, how much, how often, from when to when, how to withdraw.
    await w.waitForScreen("Authorise debits from your account");
    const terms = w.frame.getByRole("definition");
    const shown = (await w.frame.locator("dl.terms").innerText()).replace(/\s+/g, " ");
    expect(shown).toContain("Who can debit your account Gym Co");
    expect(shown).toContain("How much ₦5,000.00 each time, never more");
    expect(shown).toContain("How often Every month on the 31st (the last day in shorter months)");
    expect(shown).toContain("From 31 Jan 2027");
    expect(shown).toContain("Until 31 Dec 2027");
    // (The configured widget origin: this world listens on another port than its config names.)
    expect(shown).toContain("How to withdraw Any time, on your authorisations page for Gym Co (you log in to your bank there), or by asking Gym Co.");
    const href = await w.frame.getByRole("link", { name: "Your authorisations page" }).getAttribute("href");
    expect(href).toBe(`${widgetOrigin(world.h.ctx.config)}/mandates?key=${encodeURIComponent(t.sandbox.public_key)}&app_id=${t.sandbox.app_id}`);
    // Every limit it enforces is stated, the business-day rule included (31 Jan 2027 is a Sunday).
    expect(shown).toContain("Weekends and public holidays A charge falling on a weekend or public holiday is taken the next business day, within the same month");
    expect(await terms.count()).toBe(7);
    expect(await w.frame.locator("main").innerText()).toContain(account);
    await w.check("consent");
    // The rest of the terms, scrolled to (the actions stay in reach below them).
    await w.frame.locator('[data-term="withdraw"]').scrollIntoViewIfNeeded();
    await w.screenshot("consent-end");
    // Nothing is stretched sideways at 360 px: the card fits the phone.
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await w.frame.getByRole("button", { name: "Agree and continue" }).click();

    await w.waitForScreen(`Confirm with ${GTB}`, 20_000);
    // A wrong code says so and keeps the screen.
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("000000");
    await w.frame.getByRole("button", { name: "Authorise debits" }).click();
    await expect(w.frame.getByRole("alert").filter({ hasText: /wrong|not correct/i }).first().waitFor()).resolves.toBeUndefined();
    await w.check("otp-wrong");
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
    await w.frame.getByRole("button", { name: "Authorise debits" }).click();

    await w.waitForScreen("Debits authorised", 20_000);
    await w.check("done");
    const success = (await w.waitForCall("success")).data as { type: string; authorization: { _id: string; status: string; amount: number }; customer_id: string; options: unknown };
    expect(success).toMatchObject({ type: "authorization", authorization: { status: "awaiting_bank", amount: 500_000 }, options: { plan: "gold" } });
    const id = success.authorization._id;
    const names = (await w.calls()).filter((c) => c.type === "event").map((c) => c.data?.event as string);
    expect(names).toEqual(expect.arrayContaining(["mandate_review", "mandate_created", "mandate_authorisation_submitted", "mandate_authorised"]));

    // The bank activates the debit authority after its delay: the runner's jobs make the mandate active.
    const runner = new JobRunner(world.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [t.id] });
    for (let i = 0; i < 3; i++) {
      world.clock.advance(6 * 60_000);
      await runner.runOnce();
    }
    expect(await mandateOf(t, id)).toMatchObject({ status: "active", amount: 500_000, duration: { startDate: "2027-01-31", endDate: "2027-12-31" } });

    // The payer's page: the bank login proves who they are; the active mandate is listed; they withdraw it.
    // The link the consent screen gave, on this world's widget server.
    const p = track(await world.openFullPage(href!.replace(widgetOrigin(world.h.ctx.config), world.widgetOrigin), { flow: "payer" }));
    await p.waitForScreen("Your debit authorisations with Gym Co");
    await p.check("intro");
    await p.frame.getByRole("button", { name: "Log in to my bank" }).click();
    await chooseBank(p, GTB);
    await chooseMethod(p, GTB, "Internet banking");
    await logIn(p, GTB, { identifier: "okro_good", secret: "pass_good" });
    await p.waitForScreen("Your debit authorisations with Gym Co", 20_000);
    // The mandate authorised above (beside the standing mandate of the bank consent behind it, decision 0016).
    const item = p.frame.getByRole("listitem").filter({ hasText: "₦5,000.00 each time" });
    await item.first().waitFor();
    expect(await item.count()).toBe(1);
    const listed = (await item.first().innerText()).replace(/\s+/g, " ");
    expect(listed).toContain("Active");
    expect(listed).toContain("₦5,000.00 each time");
    expect(listed).toContain(`${GTB} ••••`);
    await p.check("list");
    await item.getByRole("button", { name: "Withdraw this authorisation" }).click();
    await p.waitForScreen("Withdraw this authorisation?");
    await p.check("confirm");
    await p.frame.getByRole("button", { name: "Withdraw", exact: true }).click();
    await p.frame.getByRole("status").filter({ hasText: /^Withdrawn\. Gym Co can no longer debit/ }).waitFor();
    expect((await item.first().innerText()).replace(/\s+/g, " ")).toContain("Withdrawn by you");
    await expect(item.getByRole("button", { name: "Withdraw this authorisation" }).count()).resolves.toBe(0);
    await p.check("withdrawn");

    // The merchant's server: cancelled by the payer, and told.
    expect(await mandateOf(t, id)).toMatchObject({ status: "cancelled", status_reason: "withdrawn_by_payer" });
    const events = await world.api(t, "/v2/events/list", { object_id: id, limit: 50 });
    expect(events.status).toBe(200);
    const types = (events.body.data.events as Array<{ type: string; sequence: number }>).sort((a, b) => a.sequence - b.sequence).map((e) => e.type);
    expect(types).toEqual(["mandate.created", "mandate.awaiting_bank", "mandate.active", "mandate.cancelled"]);
    expect(w.console.filter((c) => c.startsWith("pageerror"))).toEqual([]);
    expect(p.console.filter((c) => c.startsWith("pageerror"))).toEqual([]);
  }, 120_000);

  it("a recurring charge (`charge.type: \"recurring\"` with a schedule): the consent states the count and the last day, and the first cycle is charged once the bank activates it", async () => {
    const t = await world.newTenant("Veg Box Co");
    await receivingAccount(world.h.ctx, t);
    const today = world.clock.now().toISOString().slice(0, 10);
    const charge = { type: "recurring", amount: 250_000, note: "Weekly veg box", currency: "NGN", schedule: { interval: "weekly", startDate: today, count: 4 } };
    const w = track(await world.open(t, { flow: "mandate-recurring", options: { payment: true, charge } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await w.waitForScreen("Choose the account to debit");
    await w.frame.locator(".choice label").first().click();
    await w.frame.getByRole("button", { name: "Continue" }).click();
    await w.waitForScreen("Authorise debits from your account");
    const shown = (await w.frame.locator("dl.terms").innerText()).replace(/\s+/g, " ");
    expect(shown).toContain("How much ₦2,500.00 each time, never more");
    expect(shown).toMatch(/How often Every week on \w+day, 4 times/);
    expect(shown).toContain(`Until ${dayInWords(addDays(today, 21))}`);
    expect(shown).toContain("For Weekly veg box");
    await w.check("consent");
    await w.frame.getByRole("button", { name: "Agree and continue" }).click();
    await w.waitForScreen(`Confirm with ${GTB}`, 20_000);
    await w.frame.getByText("PIN", { exact: true }).click();
    await w.frame.getByLabel("Enter your PIN", { exact: true }).fill("1234");
    await w.frame.getByRole("button", { name: "Authorise debits" }).click();
    await w.waitForScreen("Debits authorised", 20_000);
    const success = (await w.waitForCall("success")).data as { authorization: { _id: string; schedule: { interval: string; count: number } } };
    expect(success.authorization.schedule).toMatchObject({ interval: "weekly", count: 4 });

    const runner = new JobRunner(world.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [t.id] });
    for (let i = 0; i < 4; i++) {
      world.clock.advance(6 * 60_000);
      await runner.runOnce();
    }
    expect((await mandateOf(t, success.authorization._id)).status).toBe("active");
    const charges = await world.h.ctx.db.selectFrom("payments").select(["amount", "state", "mandate_cycle"]).where("mandate_id", "=", success.authorization._id).execute();
    expect(charges.map((c) => [Number(c.amount), c.mandate_cycle, c.state])).toEqual([[250_000, 0, expect.stringMatching(/^(succeeded|settled)$/)]]);
  }, 120_000);
});
