import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { kobo } from "../../src/lib/kobo.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import type { ConnectResponse, CreateSessionResponse, LoginResponse } from "../../src/widget/protocol.js";
import { bankDebits, paymentLink, receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import {
  answerMfa,
  chooseBank,
  chooseMethod,
  escapeRegExp,
  expectAlert,
  isSubsequence,
  logIn,
  startWidgetWorld,
  type Tenant,
  type WidgetPage,
  type WidgetWorld,
} from "./widget-harness.js";

/**
 * The widget's payment flows end to end, the way a merchant integrates them: okra-js 2.1.1 on a
 * merchant page with `payment: true` and a `charge` (or the hosted pay page of a payment link),
 * a person paying from a sandbox bank account in Chromium. Each flow checks what the merchant's
 * callbacks received, and then what the merchant's server sees through the API with its secret
 * key: the payment's status (`pay/verify`), its events (`events/list`) and its ledger postings
 * (`ledger/entries`). Every payment screen is checked with axe-core and photographed into
 * test-artifacts/widget/ (360×740).
 */

const HEX24 = /^[0-9a-f]{24}$/;
const GTB = "Guaranty Trust Bank";
const CHARGE = { type: "one-time", amount: 500_000, note: "Order 42", currency: "NGN" };

describe.skipIf(!chromiumPath)("paying through a merchant page and a payment link (okra-js 2.1.1 in Chromium)", () => {
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

  async function merchant(name = "Adaeze Stores"): Promise<Tenant> {
    const t = await world.newTenant(name);
    await receivingAccount(world.h.ctx, t);
    return t;
  }

  /** The merchant's server reading the payment with its secret key. */
  async function serverView(t: Tenant, paymentId: string) {
    const verify = await world.api(t, "/v2/pay/verify", { payment_id: paymentId });
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    const events = await world.api(t, "/v2/events/list", { object_id: paymentId, limit: 50 });
    expect(events.status, JSON.stringify(events.body)).toBe(200);
    const ledger = await world.api(t, "/v2/ledger/entries", { payment_id: paymentId, page: 1, limit: 50 });
    expect(ledger.status, JSON.stringify(ledger.body)).toBe(200);
    return {
      payment: verify.body.data.payment_status as { _id: string; amount: number; status: string; response_status: string; customer: string; channel: string; link: { short_url: string } | null; reference: string | null },
      // In the object's own order (its sequence): events of one instant share a timestamp.
      events: (events.body.data.events as Array<{ type: string; sequence: number }>).sort((a, b) => a.sequence - b.sequence).map((e) => e.type),
      ledger: (ledger.body.data.entries as Array<{ kind: string; postings: Array<{ account: string; direction: string; amount: number }> }>)
        .reverse()
        .map((e) => ({ kind: e.kind, postings: e.postings.map((p) => `${p.account} ${p.direction} ${p.amount}`).sort() })),
    };
  }

  const confirmed = (amount: number) => [{ kind: "debit_confirmed", postings: [`external:customers debit ${amount}`, `wallet:pending credit ${amount}`] }];

  /** The onEvent names the merchant page received, in order. */
  const eventNames = async (w: WidgetPage) => (await w.calls()).filter((c) => c.type === "event").map((c) => c.data?.event as string);

  /** Review → "Pay ₦X" (checks and photographs the review screen); returns what the review said. */
  async function review(w: WidgetPage, merchantName: string, amountText: string | null, shot = "review"): Promise<string> {
    await w.waitForScreen(`Pay ${merchantName}`);
    const text = await w.frame.locator("main").innerText();
    if (amountText) expect(text).toContain(amountText);
    await w.check(shot);
    if (amountText) await w.frame.getByRole("button", { name: `Pay ${amountText}` }).click();
    return text;
  }

  /** The account to pay from, as a person picks it (the row's label). Returns its label. */
  async function pickAccount(w: WidgetPage, index: number, shot?: string): Promise<string> {
    await w.waitForScreen("Choose the account to pay from");
    if (shot) await w.check(shot);
    const label = w.frame.locator(".choice label").nth(index);
    const text = (await label.innerText()).trim();
    await label.click();
    await expect(w.frame.getByRole("radio", { name: text }).isChecked()).resolves.toBe(true);
    await w.frame.getByRole("button", { name: "Continue" }).click();
    return text;
  }

  /** Authorise with the OTP (or PIN). */
  async function authorise(w: WidgetPage, code: { otp: string } | { pin: string }, shot?: string) {
    await w.waitForScreen("Authorise the payment");
    if ("pin" in code) await w.frame.getByText("PIN", { exact: true }).click();
    const field = w.frame.getByLabel("otp" in code ? "Enter the OTP" : "Enter your PIN", { exact: true });
    await field.fill("otp" in code ? code.otp : code.pin);
    if (shot) await w.check(shot);
    await w.frame.getByRole("button", { name: "Confirm payment" }).click();
  }

  async function paidScreen(w: WidgetPage, shot = "paid") {
    await w.waitForScreen("Payment successful", 20_000);
    await w.check(shot);
    return (await w.waitForCall("success")).data;
  }

  /** Links okro_<user> through the session API (what an earlier account-data visit left), for returning users and Quick Pay. */
  async function linkCustomer(t: NewCompany, user: string, bankId: string) {
    const inject = (url: string, payload: object, token?: string) =>
      world.widget.inject({ method: "POST", url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const s = (await inject("/api/sessions", { key: t.sandbox.public_key, env: "production-sandbox", products: ["auth", "balance"] })).json().data as CreateSessionResponse;
    let step = (await inject("/api/login", { bank_id: bankId, method: "internet_banking", identifier: user, secret: "pass_good" }, s.session_token)).json().data as LoginResponse;
    if (step.step === "mfa") step = (await inject("/api/mfa", { answer: "123456" }, s.session_token)).json().data as LoginResponse;
    if (step.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(step)}`);
    const res = (await inject("/api/connect", { account_ids: [step.accounts[0]!.id], consent: true }, s.session_token)).json().data as ConnectResponse;
    const account = res.accounts.find((a) => a.connected)!;
    return { customerId: res.customer_id, name: res.customer.name, recordId: res.record_id, accountId: account.id, nuban: account.nuban };
  }

  it("instant payment: bank → login → account → review → OTP → paid; onSuccess, pay/verify, events and the ledger agree", async () => {
    const t = await merchant();
    const w = track(await world.open(t, { flow: "pay-instant", options: { payment: true, charge: CHARGE, options: { order: "42" } } }));
    await chooseBank(w, GTB, { check: true });
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });

    await w.waitForScreen("Choose the account to pay from");
    expect(await w.frame.getByRole("radio").count()).toBe(2);
    await expect(w.frame.getByRole("button", { name: "Continue" }).isDisabled()).resolves.toBe(true);
    const second = await pickAccount(w, 1, "pay-accounts");

    const reviewText = await review(w, t.name, "₦5,000.00");
    expect(reviewText).toContain("Order 42");
    expect(reviewText).toContain(second);
    // Back from authorising and Pay again: the same payment (no second one).
    await w.waitForScreen("Authorise the payment");
    await w.check("authorise");
    await w.frame.getByRole("button", { name: "Back" }).click();
    await w.frame.getByRole("button", { name: "Pay ₦5,000.00" }).click();
    await authorise(w, { otp: "123456" }, "authorise-filled");
    const success = await paidScreen(w);

    expect(success).toMatchObject({
      success: true,
      type: "payment",
      payment: { id: expect.stringMatching(HEX24), status: "success_pending_validation", response_status: "success", amount: 500_000, currency: "NGN", reference: expect.stringMatching(/^OKRO/) },
      customer_id: expect.stringMatching(HEX24),
      record_id: expect.stringMatching(HEX24),
      bank_id: world.bank(GTB).bankId,
      auth: { status: true, type: "validate" },
      options: { order: "42" },
    });
    const paidText = await w.frame.locator("main").innerText();
    expect(paidText).toContain("₦5,000.00");
    expect(paidText).toContain(success.payment.reference);

    const server = await serverView(t, success.payment.id);
    expect(server.payment).toMatchObject({ _id: success.payment.id, amount: 500_000, status: "success_pending_validation", response_status: "success", customer: success.customer_id, channel: "widget" });
    expect(server.events).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.succeeded"]);
    expect(server.ledger).toEqual(confirmed(500_000));
    expect(await world.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).execute()).toHaveLength(1);
    expect(await bankDebits(world.h.ctx, t)).toEqual([expect.objectContaining({ reference: success.payment.reference, amount: 500_000n })]);

    const names = await eventNames(w);
    const expected = ["widget_opened", "bank_selected", "login_method_selected", "login_submitted", "accounts_listed", "payment_review", "payment_created", "payment_authorisation_submitted", "payment_succeeded"];
    expect(isSubsequence(expected, names), `onEvent ${JSON.stringify(names)}`).toBe(true);
    expect((await w.calls()).filter((c) => c.type === "error")).toEqual([]);

    await w.frame.getByRole("button", { name: "Done" }).click();
    await w.waitForCall("close");
    expect(w.console.filter((m) => m.startsWith("pageerror"))).toEqual([]);
  });

  it("lets the payer type the amount (charge amount null) after the bank's OTP login, and pays it with the PIN", async () => {
    const t = await merchant("Open Till");
    const w = track(await world.open(t, { flow: "pay-amount", options: { payment: true, charge: { ...CHARGE, amount: null } } }));
    const bank = "Access Bank";
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_otp", secret: "pass_good" });
    await answerMfa(w, "One-time password", "123456");
    await review(w, t.name, null, "review-amount");
    const amount = w.frame.getByLabel("Amount (₦)");
    await amount.fill("2,500.5O");
    await w.frame.getByRole("button", { name: /^Pay/ }).click();
    await expectAlert(w, "Enter an amount in naira");
    await w.check("review-amount-invalid");
    await amount.fill("2,500.50");
    await w.frame.getByRole("button", { name: "Pay ₦2,500.50" }).click();
    await authorise(w, { pin: "1234" }, "authorise-pin");
    const success = await paidScreen(w, "paid-amount");
    expect(success.payment).toMatchObject({ amount: 250_050, status: "success_pending_validation" });
    const server = await serverView(t, success.payment.id);
    expect(server.payment.amount).toBe(250_050);
    expect(server.ledger).toEqual(confirmed(250_050));
  });

  it("returning user: Welcome back → the linked account → log in at that bank → review → pay, with no new customer", async () => {
    const t = await merchant("Returning Stores");
    const bank = "Zenith Bank";
    const first = await linkCustomer(t, "okro_otp", world.bank(bank).bankId);
    const w = track(await world.open(t, { flow: "pay-returning", options: { payment: true, charge: CHARGE, customer: { id: first.customerId } } }));
    const firstName = first.name.split(/\s+/)[0]!;
    await w.waitForScreen(`Welcome back, ${firstName}`);
    await expect(w.frame.locator("main").innerText()).resolves.toContain("Choose an account to pay from");
    await w.check("welcome-back");
    await w.frame.getByRole("button", { name: new RegExp(`^${escapeRegExp(bank)} ••••${first.nuban.slice(-4)}`) }).click();
    await logIn(w, bank, { identifier: "okro_otp", secret: "pass_good" });
    await answerMfa(w, "One-time password", "123456");
    // The account was picked before logging in: straight to review.
    await review(w, t.name, "₦5,000.00", "review-returning");
    await authorise(w, { otp: "123456" });
    const success = await paidScreen(w, "paid-returning");
    expect(success).toMatchObject({ customer_id: first.customerId, account_id: first.accountId, record_id: first.recordId });
    const server = await serverView(t, success.payment.id);
    expect(server.payment).toMatchObject({ customer: first.customerId, status: "success_pending_validation" });
    expect(server.events).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.succeeded"]);
    expect(server.ledger).toEqual(confirmed(500_000));
    expect(await world.h.ctx.db.selectFrom("customers").select("id").where("company_id", "=", t.id).execute()).toEqual([{ id: first.customerId }]);
  });

  it("Quick Pay: bank and account preselected, no login screen, only the OTP", async () => {
    const t = await merchant("Quick Stores");
    const first = await linkCustomer(t, "okro_good", world.bank(GTB).bankId);
    const w = track(
      await world.open(t, { flow: "pay-quick", options: { payment: true, charge: CHARGE, customer: { id: first.customerId }, account_to_debit: first.accountId }, hold: ["/api/quick-pay"] }),
    );
    await w.reached("/api/quick-pay");
    await w.frame.getByRole("status").filter({ hasText: `Connecting to ${GTB}…` }).waitFor();
    await w.check("quick-connecting");
    w.release("/api/quick-pay");
    expect(await review(w, t.name, "₦5,000.00", "review-quick")).toContain(`••••${first.nuban.slice(-4)}`);
    await authorise(w, { otp: "123456" });
    const success = await paidScreen(w, "paid-quick");
    expect(success).toMatchObject({ customer_id: first.customerId, account_id: first.accountId });
    expect(w.apiLog.some((l) => l.startsWith("POST /api/login"))).toBe(false);
    expect(w.apiLog.some((l) => l.startsWith("POST /api/quick-pay"))).toBe(true);
    const server = await serverView(t, success.payment.id);
    expect(server.payment.status).toBe("success_pending_validation");
    expect(server.ledger).toEqual(confirmed(500_000));
  });

  it("Quick Pay whose bank asks for a code on the silent login: the code screen first, then review and PIN", async () => {
    const t = await merchant("Quick MFA Stores");
    const first = await linkCustomer(t, "okro_otp", world.bank("Zenith Bank").bankId);
    await world.h.ctx.db.updateTable("records").set({ session_sealed: null, session_expires_at: null }).where("id", "=", first.recordId).execute();
    const w = track(await world.open(t, { flow: "pay-quick-mfa", options: { payment: true, charge: CHARGE, customer: { id: first.customerId }, account_to_debit: first.accountId } }));
    await answerMfa(w, "One-time password", "123456", { check: true });
    await review(w, t.name, "₦5,000.00");
    await authorise(w, { pin: "1234" });
    const success = await paidScreen(w);
    expect((await serverView(t, success.payment.id)).payment.status).toBe("success_pending_validation");
  });

  it("hosted pay page of a single-use payment link: pays once, then the link's page says it was paid", async () => {
    const t = await merchant("Marathon Club");
    const link = await paymentLink(world.h.ctx, t, { name: "Lagos Marathon entry", amount: kobo(1_250_000) });
    const url = `${world.widgetOrigin}/pay/${link.short_url}`;
    const w = track(await world.openFullPage(url, { flow: "pay-link" }));
    // Who is paid, for what and how much come first, before any bank.
    await w.waitForScreen(`Payment to ${t.name}`);
    await w.frame.getByRole("button", { name: "Pay ₦12,500.00" }).click();
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    expect(await review(w, t.name, "₦12,500.00", "review-link")).toContain("Entry for the 10 km race");
    await authorise(w, { otp: "123456" });
    await w.waitForScreen("Payment successful", 20_000);
    await w.check("paid-link");
    const payment = await world.h.ctx.db.selectFrom("payments").select(["id", "link_id", "channel"]).where("company_id", "=", t.id).executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ link_id: link.id, channel: "link" });
    const server = await serverView(t, payment.id);
    expect(server.payment).toMatchObject({ status: "success_pending_validation", link: { short_url: link.short_url } });
    expect(server.ledger).toEqual(confirmed(1_250_000));
    await w.frame.getByRole("button", { name: "Done" }).click();
    await w.waitForScreen("All done");
    await w.check("finished");

    // The link is spent: opening it again shows why, not a broken widget.
    const again = track(await world.openFullPage(url, { flow: "pay-link-used" }));
    await again.waitForScreen("This payment link has already been paid");
    await again.check("link-used");
    const unknown = await fetch(`${world.widgetOrigin}/pay/NoSuchLnk1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("This payment link is not valid");
  });

  it("insufficient funds: says so, onError fires, and another account pays", async () => {
    const t = await merchant("Big Ticket");
    const w = track(await world.open(t, { flow: "pay-insufficient", options: { payment: true, charge: { ...CHARGE, amount: null } } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    await review(w, t.name, null);
    await w.frame.getByLabel("Amount (₦)").fill("900,000,000");
    await w.frame.getByRole("button", { name: "Pay ₦900,000,000.00" }).click();
    await authorise(w, { otp: "123456" });
    await w.waitForScreen("Not enough money in this account");
    await w.check("insufficient-funds");
    const error = await w.waitForCall("error");
    expect(error.data).toMatchObject({ error: true, type: "insufficient_funds", payment: { state: "errored", status: "error" } });
    const failedId = error.data.payment.id as string;
    const failed = await serverView(t, failedId);
    expect(failed.payment).toMatchObject({ status: "error", response_status: "error" });
    expect(failed.events).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.errored"]);
    expect(failed.ledger).toEqual([]);
    expect(await bankDebits(world.h.ctx, t)).toEqual([]);

    await expect(w.frame.getByRole("button", { name: "Pay from another bank" }).isVisible()).resolves.toBe(true);
    await w.frame.getByRole("button", { name: "Choose another account" }).click();
    await pickAccount(w, 1);
    await review(w, t.name, null);
    await w.frame.getByLabel("Amount (₦)").fill("1000");
    await w.frame.getByRole("button", { name: "Pay ₦1,000.00" }).click();
    await authorise(w, { otp: "123456" });
    const success = await paidScreen(w, "paid-after-insufficient");
    expect(success.payment.id).not.toBe(failedId);
    expect((await serverView(t, success.payment.id)).ledger).toEqual(confirmed(100_000));
  });

  it("wrong OTP: says so on the same screen with the attempts left, then the right one pays", async () => {
    const t = await merchant("Careful Stores");
    const w = track(await world.open(t, { flow: "pay-wrong-otp", options: { payment: true, charge: CHARGE } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    await review(w, t.name, "₦5,000.00");
    await authorise(w, { otp: "000000" });
    await expectAlert(w, "That code is wrong. 4 attempts left.");
    await w.check("wrong-otp");
    const id = (await world.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).executeTakeFirstOrThrow()).id;
    expect((await serverView(t, id)).payment).toMatchObject({ status: "initiated", response_status: "pending" });
    await authorise(w, { otp: "123456" });
    const success = await paidScreen(w);
    expect(success.payment.id).toBe(id);
    const server = await serverView(t, id);
    // The wrong code reached the bank (attempt 1) and came back refused; the right one is attempt 2.
    expect(server.events).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.awaiting_authorisation", "payment.processing", "payment.succeeded"]);
    expect(server.payment.reference).toMatch(/A2$/);
    expect(server.ledger).toEqual(confirmed(500_000));
    expect(await bankDebits(world.h.ctx, t)).toHaveLength(1);
  });

  it("bank down: offers Try again and another bank; nothing moves; Try again pays once the bank is back", async () => {
    const t = await merchant("Patient Stores");
    const w = track(await world.open(t, { flow: "pay-bank-down", options: { payment: true, charge: CHARGE } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    await review(w, t.name, "₦5,000.00");
    await world.h.ctx.sandbox.setFaults(t.id, world.bank(GTB).bankId, { down: true, operations: ["debit"] });
    await authorise(w, { otp: "123456" });
    await w.waitForScreen(`${GTB} is unavailable right now`);
    await expect(w.frame.getByRole("button", { name: "Pay from another bank" }).isVisible()).resolves.toBe(true);
    await w.check("bank-down");
    const id = (await world.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).executeTakeFirstOrThrow()).id;
    expect((await serverView(t, id)).payment.status).toBe("initiated");
    expect(await bankDebits(world.h.ctx, t)).toEqual([]);

    await world.h.ctx.sandbox.clearFaults(t.id, world.bank(GTB).bankId);
    await w.frame.getByRole("button", { name: "Try again" }).click();
    await authorise(w, { otp: "123456" });
    const success = await paidScreen(w);
    expect(success.payment.id).toBe(id);
    expect((await serverView(t, id)).ledger).toEqual(confirmed(500_000));
    expect(await bankDebits(world.h.ctx, t)).toHaveLength(1);
  });

  it("bank timeout: 'We're confirming with your bank…' while the payment is unknown, then the result once the worker re-queries", async () => {
    const t = await merchant("Slow Bank Stores");
    const w = track(await world.open(t, { flow: "pay-timeout", options: { payment: true, charge: CHARGE } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    await review(w, t.name, "₦5,000.00");
    // The bank takes the debit; its answer never comes back.
    await world.h.ctx.sandbox.setFaults(t.id, world.bank(GTB).bankId, { lostResponseRate: 1, operations: ["debit"] });
    await authorise(w, { otp: "123456" });
    await w.frame.getByRole("status").filter({ hasText: /We're confirming your payment of ₦5,000\.00 with Guaranty Trust Bank/ }).waitFor();
    await w.axe("confirming");
    await w.screenshot("confirming");
    const id = (await world.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).executeTakeFirstOrThrow()).id;
    const pending = await serverView(t, id);
    expect(pending.payment).toMatchObject({ status: "initiated", response_status: "pending" });
    expect(pending.events).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.unknown"]);
    expect(pending.ledger).toEqual([]);
    expect((await w.calls()).filter((c) => c.type === "success")).toEqual([]);

    await world.h.ctx.sandbox.clearFaults(t.id, world.bank(GTB).bankId);
    const worker = new JobRunner(world.h.ctx, PAYMENT_JOBS, { companyIds: [t.id] });
    for (let i = 0; i < 10; i++) {
      const state = (await world.h.ctx.db.selectFrom("payments").select("state").where("id", "=", id).executeTakeFirstOrThrow()).state;
      if (state !== "unknown" && state !== "processing") break;
      world.clock.advance(30_000);
      await worker.runOnce();
    }
    const success = await paidScreen(w, "paid-after-timeout");
    expect(success.payment.id).toBe(id);
    const server = await serverView(t, id);
    expect(server.events.slice(0, 4)).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.unknown", "payment.succeeded"]);
    expect(server.ledger[0]).toEqual(confirmed(500_000)[0]);
    expect(await bankDebits(world.h.ctx, t)).toHaveLength(1);
    const names = await eventNames(w);
    expect(isSubsequence(["payment_authorisation_submitted", "payment_confirming", "payment_succeeded"], names), JSON.stringify(names)).toBe(true);
  });

  it("closing before authorising cancels the payment (customer), and onClose fires", async () => {
    const t = await merchant("Browsing Stores");
    const w = track(await world.open(t, { flow: "pay-leave", options: { payment: true, charge: CHARGE } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await pickAccount(w, 0);
    await review(w, t.name, "₦5,000.00");
    await w.waitForScreen("Authorise the payment");
    await w.frame.getByRole("button", { name: "Close" }).click();
    await w.frame.getByRole("dialog", { name: "Leave without paying?" }).waitFor();
    await w.check("leave-dialog");
    await w.frame.getByRole("button", { name: "Leave" }).click();
    await w.waitForCall("close");
    const id = (await world.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).executeTakeFirstOrThrow()).id;
    const server = await serverView(t, id);
    expect(server.payment).toMatchObject({ status: "cancelled", response_status: "cancelled" });
    expect(server.events).toEqual(["payment.awaiting_authorisation", "payment.cancelled"]);
    expect(server.ledger).toEqual([]);
  });

  it("account data with the payments product: the consent screen offers debit permission, authorised with the OTP", async () => {
    const t = await merchant("Lending Co");
    const w = track(await world.open(t, { flow: "consent-debit", options: { products: ["auth", "balance", "payments"] } }));
    await chooseBank(w, GTB);
    await chooseMethod(w, GTB, "Internet banking");
    await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
    await w.waitForScreen("Choose accounts to share");
    // As a person does it: the second account's row unticks it.
    await w.frame.locator(".choice label").nth(1).click();
    await expect(w.frame.getByRole("checkbox", { checked: true }).count()).resolves.toBe(1);
    await w.frame.getByRole("button", { name: "Continue" }).click();
    await w.waitForScreen(`Share your data with ${t.name}`);
    const debit = w.frame.getByLabel(`Allow ${t.name} to debit this account when you pay them`);
    await expect(debit.isChecked()).resolves.toBe(false);
    await w.frame.getByText(`Allow ${t.name} to debit this account when you pay them`).click();
    await expect(debit.isChecked()).resolves.toBe(true);
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("000000");
    await w.check("consent-debit");
    await w.frame.getByRole("button", { name: "Allow" }).click();
    await expectAlert(w, "That code is wrong. 4 attempts left.");
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
    await w.frame.getByRole("button", { name: "Allow" }).click();
    await w.waitForScreen("Account connected", 20_000);
    await expect(w.frame.locator("main").innerText()).resolves.toMatch(new RegExp(`${escapeRegExp(t.name)} may debit this account`));
    await w.check("consent-success");
    const success = (await w.waitForCall("success")).data as ConnectResponse & { success: true };
    expect(success.consents).toEqual([{ id: expect.stringMatching(HEX24), account_id: expect.stringMatching(HEX24), status: expect.stringMatching(/^(pending|active)$/) }]);
    const consent = await world.h.ctx.db.selectFrom("payment_consents").selectAll().where("company_id", "=", t.id).executeTakeFirstOrThrow();
    expect(consent).toMatchObject({ id: success.consents[0]!.id, customer_id: success.customer_id, account_id: success.consents[0]!.account_id });
  });
});
