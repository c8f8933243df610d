import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../../src/jobs/runner.js";
import { kobo } from "../../src/lib/kobo.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { widgetOrigin } from "../../src/payments/links.js";
import { GTBANK, paymentLink, receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import { chooseBank, chooseMethod, logIn, startWidgetWorld, type Tenant, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The widget's mandate flow opened by a recurring payment link (through okra-js 2.1.1 with
 * `payment_link`) and by a mandate the API created (its `url`, `/mandate/<id>`, in full page), in
 * Chromium at 360 px (decision 0022): the consent screen states who, how much, how often, from
 * when to when and how to withdraw; the bank's OTP; the done screen; what the merchant's server
 * then reads. Screens in test-artifacts/widget/ (`recurring-link-*`, `mandate-page-*`).
 */

const GTB = "Guaranty Trust Bank";

describe.skipIf(!chromiumPath)("the mandate flow of a recurring payment link and of an API mandate's page (Chromium, 360 px)", () => {
  let world: WidgetWorld;
  const open: WidgetPage[] = [];
  const track = (w: WidgetPage) => (open.push(w), w);
  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "payments"] });
    world.clock.set(new Date("2027-01-10T09:00:00Z"));
  }, 120_000);
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  afterAll(() => world?.close());

  const runJobs = async (t: Tenant) => {
    const runner = new JobRunner(world.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [t.id] });
    for (let i = 0; i < 3; i++) {
      world.clock.advance(6 * 60_000);
      await runner.runOnce();
    }
  };
  const terms = async (w: WidgetPage) => (await w.frame.locator("dl.terms").innerText()).replace(/\s+/g, " ");

  it("a recurring link through okra-js: the consent states its terms, the OTP authorises it, and its mandate and first charge exist once", async () => {
    const t = await world.newTenant("Gym Lagos");
    await receivingAccount(world.h.ctx, t);
    const link = await paymentLink(world.h.ctx, t, { name: "Gold membership", note: null, amount: kobo(1_500_000), type: "recurring", schedule: { interval: "monthly", start_date: null, end_date: null, count: 12, day_of_month: null } });
    const w = track(await world.open(t, { flow: "recurring-link", options: { payment_link: link.short_url } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await w.waitForScreen("Choose the account to debit");
    const label = w.frame.locator(".choice label").first();
    const account = (await label.innerText()).trim();
    await label.click();
    await w.frame.getByRole("button", { name: "Continue" }).click();

    // Who, how much, how often, from when to when, how to withdraw: the link's terms, as the server wrote them.
    await w.waitForScreen("Authorise debits from your account");
    const shown = await terms(w);
    expect(shown).toContain("Who can debit your account Gym Lagos");
    expect(shown).toContain("How much ₦15,000.00 each time, never more");
    expect(shown).toContain("How often Every month on the 10th, 12 times");
    expect(shown).toContain("From 10 Jan 2027");
    expect(shown).toContain("Until 10 Dec 2027");
    expect(shown).toContain("For Gold membership");
    expect(shown).toContain("How to withdraw Any time, on your authorisations page for Gym Lagos (you log in to your bank there), or by asking Gym Lagos.");
    const href = await w.frame.getByRole("link", { name: "Your authorisations page" }).getAttribute("href");
    expect(href).toMatch(new RegExp(`^${widgetOrigin(world.h.ctx.config)}/mandates\\?short_url=\\w{10}$`));
    expect(await w.frame.locator("main").innerText()).toContain(account);
    await w.check("consent", { desktop: true });
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await w.frame.getByRole("button", { name: "Agree and continue" }).click();

    await w.waitForScreen(`Confirm with ${GTB}`, 20_000);
    await w.check("otp");
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
    await w.frame.getByRole("button", { name: "Authorise debits" }).click();
    await w.waitForScreen("Debits authorised", 20_000);
    await w.check("done", { desktop: true });
    const success = (await w.waitForCall("success")).data as { type: string; authorization: { _id: string; amount: number; schedule: { interval: string; count: number } } };
    expect(success).toMatchObject({ type: "authorization", authorization: { amount: 1_500_000, schedule: { interval: "monthly", count: 12 } } });

    // The bank activates it; the first cycle (today, Sunday 10 January) is charged the next business day, once.
    await runJobs(t);
    world.clock.advance(24 * 3600_000);
    await runJobs(t);
    const got = await world.api(t, "/v2/mandates/get", { id: success.authorization._id });
    expect(got.body.data.mandate.status).toBe("active");
    const charges = await world.h.ctx.db.selectFrom("payments").select(["amount", "mandate_cycle"]).where("mandate_id", "=", success.authorization._id).execute();
    expect(charges.map((c) => [Number(c.amount), c.mandate_cycle])).toEqual([[1_500_000, 0]]);
    expect(w.console.filter((c) => c.startsWith("pageerror"))).toEqual([]);
  }, 120_000);

  it("an API mandate's url: the customer logs in, reads the stored terms, authorises with the OTP; the page then says it is already authorised", async () => {
    const t = await world.newTenant("Water Co");
    await receivingAccount(world.h.ctx, t);
    // A customer with a linked GTB account (an earlier authorisation in the widget, over its API).
    const inject = (url: string, payload: object, token?: string) =>
      world.widget.inject({ method: "POST", url, payload, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) }).then((r) => r.json().data);
    const s = await inject("/api/sessions", { key: t.sandbox.public_key, env: "production-sandbox", debitLater: true, debitAmount: 100_000 });
    const login = await inject("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier: "okro_good", secret: "pass_good" }, s.session_token);
    const accounts = login.step === "mfa" ? (await inject("/api/mfa", { answer: "123456" }, s.session_token)).accounts : login.accounts;
    const made = await inject("/api/mandates", { account_id: accounts[0].id }, s.session_token);
    const first = await inject("/api/mandates/authorise", { mandate_id: made.mandate.id, pin: "1234" }, s.session_token);

    const created = await world.api(t, "/v2/mandates/create", { account: first.success.account_id, debit_type: "fixed", amount: 750_000, interval: "monthly", start_date: "2027-02-01", end_date: "2027-07-31", purpose: "Water delivery" });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const mandate = created.body.data.mandate as { id: string; url: string };
    const url = mandate.url.replace(widgetOrigin(world.h.ctx.config), world.widgetOrigin);
    const p = track(await world.openFullPage(url, { flow: "mandate-page" }));
    await chooseBank(p, GTB);
    await chooseMethod(p, GTB, "Internet banking");
    await logIn(p, GTB, { identifier: "okro_good", secret: "pass_good" });
    await p.waitForScreen(/Choose the account to debit|Authorise debits from your account/, 20_000);
    if ((await p.describe()).includes("Choose the account to debit")) {
      await p.check("accounts");
      await p.frame.locator(".choice label").filter({ hasText: accounts[0].nuban.slice(-4) }).first().click();
      await p.frame.getByRole("button", { name: "Continue" }).click();
    }
    await p.waitForScreen("Authorise debits from your account");
    const shown = await terms(p);
    expect(shown).toContain("Who can debit your account Water Co");
    expect(shown).toContain("How much ₦7,500.00 each time, never more");
    expect(shown).toContain("How often Every month on the 1st");
    expect(shown).toContain("From 1 Feb 2027");
    expect(shown).toContain("Until 31 Jul 2027");
    expect(shown).toContain("For Water delivery");
    expect(shown).toContain("How to withdraw Any time, on your authorisations page for Water Co");
    await p.check("consent", { desktop: true });
    await p.frame.getByRole("button", { name: "Agree and continue" }).click();
    await p.waitForScreen(`Confirm with ${GTB}`, 20_000);
    await p.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
    await p.frame.getByRole("button", { name: "Authorise debits" }).click();
    await p.waitForScreen("Debits authorised", 20_000);
    await p.check("done");
    await runJobs(t);
    expect((await world.api(t, "/v2/mandates/get", { id: mandate.id })).body.data.mandate.status).toBe("active");

    // The same url again: a final screen, no form.
    const again = track(await world.openFullPage(url, { flow: "mandate-page-again" }));
    await again.waitForScreen("Already authorised", 20_000);
    expect(await again.frame.locator("main").innerText()).toContain("You have already authorised these debits, and they are active.");
    expect(await again.frame.getByRole("textbox").count()).toBe(0);
    await again.check("final", { desktop: true });

    // Cancelled by the company: the page says it can no longer be given, still no form.
    expect((await world.api(t, "/v2/mandates/cancel", { id: mandate.id })).status).toBe(200);
    const ended = track(await world.openFullPage(url, { flow: "mandate-page-cancelled" }));
    await ended.waitForScreen("This authorisation can no longer be given", 20_000);
    expect(await ended.frame.locator("main").innerText()).toContain("This authorisation was cancelled, so it can no longer be given.");
    expect(await ended.frame.getByRole("textbox").count()).toBe(0);
    await ended.check("final");
    expect(p.console.filter((c) => c.startsWith("pageerror"))).toEqual([]);
  }, 120_000);
});
