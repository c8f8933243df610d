import type { FastifyInstance } from "fastify";
import { kobo } from "../../src/lib/kobo.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { sha256Hex } from "../../src/lib/secrets.js";
import { consentFor } from "../../src/payments/consents.js";
import { getPayment } from "../../src/payments/service.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { createApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { buildWidgetApp } from "../../src/widget-app.js";
import { CONNECT_STALE_MS, SESSION_IDLE_MS } from "../../src/widget/session.js";
import type { ConnectResponse, CreateSessionResponse, LoginResponse, PaymentResponse } from "../../src/widget/protocol.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { ACCESS, GTBANK, LOTUS, ZENITH, bankDebits, eventsOf, historyOf, ledgerOf, paymentLink, receivingAccount } from "./payment-fixtures.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget's payment mode over its session API (protocol.ts), against the in-process sandbox
 * bank network: opening a payment session (charge, payment link, Quick Pay), the instant,
 * returning-user and Quick Pay flows, payment links (single-use, reusable, expired), payment
 * consent at connect, and every way a payment goes wrong — checked against what the bank did
 * (its transfers), the payment's history, its events and the ledger.
 *
 * The harness runs on its own ManualClock (and a sandbox network on it), so the worker's
 * re-query of an unknown payment can be brought due by moving time.
 */

let h: Harness;
let clock: ManualClock;
let widget: FastifyInstance;
beforeAll(async () => {
  clock = new ManualClock();
  h = await createHarness({ clock });
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

const HEX24 = /^[0-9a-f]{24}$/;

/** One widget opening, driven the way the browser app drives it. */
class W {
  constructor(readonly s: CreateSessionResponse) {}
  static async open(t: NewCompany, extra: Record<string, unknown> = {}): Promise<W> {
    return new W(expectSuccess<CreateSessionResponse>(await W.raw(t, extra)));
  }
  static raw(t: NewCompany, extra: Record<string, unknown> = {}) {
    return widget.inject({
      method: "POST",
      url: "/api/sessions",
      payload: { key: t.sandbox.public_key, token: t.sandbox.token, env: "production-sandbox", payment: true, charge: { type: "one-time", amount: 500_000, note: "Order 42", currency: "NGN" }, ...extra },
    });
  }
  post(url: string, payload: unknown = {}) {
    return widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${this.s.session_token}` }, payload: payload as object });
  }
  get(url: string) {
    return widget.inject({ method: "GET", url, headers: { authorization: `Bearer ${this.s.session_token}` } });
  }
  async login(identifier: string, bank_id = GTBANK, extra: Record<string, unknown> = {}): Promise<LoginResponse> {
    return expectSuccess<LoginResponse>(await this.post("/api/login", { bank_id, method: "internet_banking", identifier, secret: "pass_good", ...extra }));
  }
  async accounts(identifier: string, bank_id = GTBANK, extra: Record<string, unknown> = {}) {
    let step = await this.login(identifier, bank_id, extra);
    if (step.step === "mfa") step = expectSuccess<LoginResponse>(await this.post("/api/mfa", { answer: identifier === "okro_question" ? "okro" : "123456" }));
    if (step.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(step)}`);
    return step.accounts;
  }
  pay(account_id: string, amount?: number) {
    return this.post("/api/payments", { account_id, ...(amount !== undefined ? { amount } : {}) });
  }
  authorise(payment_id: string, auth: { otp?: string; pin?: string } = { otp: "123456" }) {
    return this.post("/api/payments/authorise", { payment_id, ...auth });
  }
  async row() {
    return h.ctx.db.selectFrom("widget_sessions").selectAll().where("token_hash", "=", sha256Hex(this.s.session_token)).executeTakeFirstOrThrow();
  }
}

/** A tenant whose sandbox can take payments (a default receiving account). */
async function merchant(name: string): Promise<NewCompany & { receiving: string }> {
  const t = await h.newTenant(name);
  return { ...t, receiving: await receivingAccount(h.ctx, t) };
}

/** Links okro_<user> at a bank through the account-data widget and returns the customer and the shared account. */
async function linkCustomer(t: NewCompany, user: string, bank_id: string) {
  const w = await W.open(t, { payment: undefined, charge: undefined, products: ["auth", "balance"] });
  const accounts = await w.accounts(user, bank_id);
  const connected = expectSuccess<ConnectResponse>(await w.post("/api/connect", { account_ids: [accounts[0]!.id], consent: true }));
  const account = connected.accounts.find((a) => a.connected)!;
  return { customerId: connected.customer_id, recordId: connected.record_id, accountId: account.id, nuban: account.nuban };
}

const scope = (t: NewCompany) => ({ companyId: t.id, env: "sandbox" as const });
/** The field an error names: our own errors say `field`, schema errors list `fields`. */
const fieldOf = (data: Record<string, unknown>) => (data.field ?? (data.fields as Array<{ field: string }> | undefined)?.[0]?.field) as string | undefined;

describe("opening a payment session", () => {
  it("takes okra-js `payment: true` + `charge`, offers only banks that take payments, and shares account details only", async () => {
    const t = await merchant("Charge Co");
    const w = await W.open(t, { options: { order: "42" } });
    expect(w.s.payment).toEqual({ mode: "instant", amount: 500_000, currency: "NGN", note: "Order 42", merchant: "Charge Co", link: null });
    expect(w.s.products).toEqual(["auth", "payments"]);
    expect(w.s.banks.length).toBeGreaterThan(20);
    expect(w.s.banks.every((b) => b.payments)).toBe(true);
    expect(w.s.banks.map((b) => b.id)).not.toContain(LOTUS);
    expect(w.s.sandbox_payment_auth).toEqual({ otp: "123456", pin: "1234" });
    // The same app without payment mode lists Lotus Bank (account data only), flagged as taking no payments.
    const data = await W.open(t, { payment: undefined, charge: undefined });
    expect(data.s.payment).toBeNull();
    expect(data.s.banks.find((b) => b.id === LOTUS)?.payments).toBe(false);
  });

  it("leaves the amount to the payer when the charge has none (null or absent), and credits the default receiving account", async () => {
    const t = await merchant("Open Amount Co");
    const w = await W.open(t, { charge: { type: "one-time", amount: null, currency: "NGN" } });
    expect(w.s.payment).toMatchObject({ mode: "instant", amount: null, note: null });
    const bare = await W.open(t, { charge: undefined });
    expect(bare.s.payment?.amount).toBeNull();
    const settings = (await w.row()).options as { payment: { account_to_credit: string } };
    expect(settings.payment.account_to_credit).toBe(t.receiving);
  });

  it("refuses a bad charge with a 400 naming the field, and opens nothing", async () => {
    const t = await merchant("Bad Charge Co");
    const other = await merchant("Someone Else");
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amount: 99 }, "charge.amount"],
      [{ amount: 1500.5 }, "charge.amount"],
      [{ amount: -500 }, "charge.amount"],
      [{ amount: "lots" }, "charge.amount"],
      [{ amount: 500_000, currency: "USD" }, "charge.currency"],
      [{ amount: 500_000, account: "5f0000000000000000000000" }, "charge.account"],
      [{ amount: 500_000, account: other.receiving }, "charge.account"],
      // A recurring charge opens the mandate mode (mandates.ts), which needs its schedule.
      [{ amount: 500_000, type: "recurring" }, "charge.schedule"],
    ];
    for (const [charge, field] of cases) {
      const { message, data } = expectError(await W.raw(t, { charge }), 400, "INVALID_FIELD");
      expect(message, JSON.stringify(charge)).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
      expect(fieldOf(data)).toBe(field);
    }
    const before = await h.ctx.db.selectFrom("widget_sessions").select("id").where("company_id", "=", t.id).execute();
    expect(before).toEqual([]);
  });

  it("needs a receiving account to credit, and the payments product on the app", async () => {
    const bare = await h.newTenant("No Account Co");
    const noAccount = expectError(await W.raw(bare), 400, "INVALID_FIELD");
    expect(noAccount.message).toMatch(/^charge\.account: this company has no default NGN receiving account/);

    const t = await merchant("Data Only Co");
    const app = await createApp(h.ctx.db, { companyId: t.id, env: "sandbox" }, { name: "Data only", products: ["balance"] }, clock.now());
    const noProduct = expectError(await W.raw(t, { app_id: app.id }), 400, "INVALID_FIELD");
    expect(noProduct.data.field).toBe("payment");
  });
});

describe("instant payment", () => {
  it("logs in, creates the payment for the chosen account, authorises it with the OTP: one bank debit, ledger and events", async () => {
    const t = await merchant("Instant Co");
    const w = await W.open(t, { options: { order: "42" } });
    const accounts = await w.accounts("okro_good");
    expect(accounts.length).toBe(2);
    const chosen = accounts[1]!;

    const created = expectSuccess<PaymentResponse>(await w.pay(chosen.id));
    expect(created.payment).toMatchObject({ id: expect.stringMatching(HEX24), state: "awaiting_authorisation", status: "initiated", response_status: "pending", amount: 500_000, currency: "NGN", reference: null });
    expect(created.success).toBeNull();
    // A double click (or a retry after a lost reply) gets the same payment.
    const again = expectSuccess<PaymentResponse>(await w.pay(chosen.id));
    expect(again.payment.id).toBe(created.payment.id);
    const row = await w.row();
    expect(row).toMatchObject({ step: "paying", payment_id: created.payment.id });
    const payment = await getPayment(h.ctx.db, scope(t), created.payment.id);
    expect(payment).toMatchObject({ channel: "widget", method: "authorised", widget_session_id: row.id, nuban: chosen.nuban, bank_id: GTBANK, account_to_credit: t.receiving, note: "Order 42" });
    expect(await bankDebits(h.ctx, t)).toEqual([]);

    const res = await w.authorise(created.payment.id, { otp: "123456" });
    const done = expectSuccess<PaymentResponse>(res);
    expect(done.payment).toMatchObject({ state: "succeeded", status: "success_pending_validation", response_status: "success", reference: expect.stringMatching(/^OKRO[0-9a-f]{24}A1$/) });
    // The onSuccess payload: the payment, and the usual auth/customer/record ids.
    expect(done.success).toMatchObject({
      type: "payment",
      payment: { id: created.payment.id, status: "success_pending_validation", response_status: "success", amount: 500_000, currency: "NGN", reference: done.payment.reference },
      customer_id: payment.customer_id,
      account_id: payment.account_id,
      record_id: expect.stringMatching(HEX24),
      bank_id: GTBANK,
      auth: { bank_id: GTBANK, customer_id: payment.customer_id, status: true, type: "validate" },
      env: "production-sandbox",
      options: { order: "42" },
    });

    // The bank moved the money once, with the payment's reference.
    expect(await bankDebits(h.ctx, t)).toEqual([{ reference: done.payment.reference, amount: 500_000n, status: "success", source_bank_id: GTBANK, source_nuban: chosen.nuban, kind: "debit" }]);
    expect(await historyOf(h.ctx, created.payment.id)).toEqual(["∅ → awaiting_authorisation (customer)", "awaiting_authorisation → processing (customer)", "processing → succeeded (bank)"]);
    expect(await eventsOf(h.ctx, t, created.payment.id)).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.succeeded"]);
    expect(await ledgerOf(h.ctx, t, created.payment.id)).toEqual([{ kind: "debit_confirmed", postings: ["external:customers debit 500000", "wallet:pending credit 500000"] }]);

    // The session is done: the bank login is wiped; polling and a late double click give the same answer.
    expect(await w.row()).toMatchObject({ step: "done", bank_session_sealed: null, credentials_sealed: null });
    const polled = expectSuccess<PaymentResponse>(await w.get(`/api/payments/${created.payment.id}`));
    expect(polled.success?.payment.id).toBe(created.payment.id);
    expect(expectSuccess<PaymentResponse>(await w.pay(chosen.id)).payment.id).toBe(created.payment.id);
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
  });

  it("makes one payment of two Pay clicks at once: the second waits (409 connecting) and then gets the same payment", async () => {
    const t = await merchant("Twin Click Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { latencyMs: 150 });
    let answers;
    try {
      answers = await Promise.all([w.pay(account!.id), w.pay(account!.id)]);
    } finally {
      await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    }
    const ok = answers.filter((a) => a.statusCode === 200).map((a) => expectSuccess<PaymentResponse>(a).payment.id);
    for (const a of answers.filter((x) => x.statusCode !== 200)) expect(expectError(a, 409, "CONFLICT").data.reason).toBe("connecting");
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const again = expectSuccess<PaymentResponse>(await w.pay(account!.id)).payment.id;
    expect(new Set([...ok, again]).size).toBe(1);
    expect(await h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).execute()).toEqual([{ id: again }]);
  });

  it("lets the customer pay again in a session whose payment preparation was abandoned (its process died mid-way)", async () => {
    const t = await merchant("Abandoned Claim Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    // A process claimed the session to prepare the payment, then died before writing it.
    await h.ctx.db.updateTable("widget_sessions").set({ step: "connecting", updated_at: clock.now() }).where("id", "=", (await w.row()).id).execute();
    // While the claim is fresh, the customer is asked to wait.
    expect(expectError(await w.pay(account!.id), 409, "CONFLICT").data.reason).toBe("connecting");
    // Once it is stale, paying works.
    clock.advance(CONNECT_STALE_MS + 1_000);
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    expect(expectSuccess<PaymentResponse>(await w.authorise(payment.id)).payment.state).toBe("succeeded");
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
  });

  it("takes the amount the payer typed when the charge left it open, and refuses none or too little", async () => {
    const t = await merchant("Typed Amount Co");
    const w = await W.open(t, { charge: { amount: null } });
    const [account] = await w.accounts("okro_good");
    expect(fieldOf(expectError(await w.pay(account!.id), 400, "INVALID_FIELD").data)).toBe("amount");
    expect(expectError(await w.pay(account!.id, 50), 400, "INVALID_FIELD").message).toMatch(/^amount: /);
    expect(expectError(await w.pay(account!.id, 12.5), 400, "INVALID_FIELD").message).toMatch(/^amount: /);
    const created = expectSuccess<PaymentResponse>(await w.pay(account!.id, 250_050));
    expect(created.payment.amount).toBe(250_050);
    // A fixed charge cannot be changed by the page.
    const fixed = await W.open(t);
    const [a2] = await fixed.accounts("okro_good");
    expect(fieldOf(expectError(await fixed.pay(a2!.id, 100), 400, "INVALID_FIELD").data)).toBe("amount");
  });

  it("keeps the payment waiting after a wrong OTP (attempts left), then takes the PIN", async () => {
    const t = await merchant("Wrong OTP Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    const wrong = expectError(await w.authorise(payment.id, { otp: "000000" }), 422, "UNPROCESSABLE");
    expect(wrong.data).toMatchObject({ reason: "invalid_otp", attempts_left: 4, payment: { id: payment.id, state: "awaiting_authorisation" } });
    expect(await bankDebits(h.ctx, t)).toEqual([]);
    expect((await getPayment(h.ctx.db, scope(t), payment.id)).state).toBe("awaiting_authorisation");
    // Not digits: refused before the bank sees it (no wrong try is spent).
    expect(fieldOf(expectError(await w.authorise(payment.id, { otp: "12 34 56x" }), 400, "INVALID_FIELD").data)).toBe("otp");
    expect(expectError(await w.authorise(payment.id, { otp: "123456", pin: "1234" }), 400, "INVALID_FIELD").message).toMatch(/exactly one of otp or pin/);
    const paid = expectSuccess<PaymentResponse>(await w.authorise(payment.id, { pin: "1234" }));
    expect(paid.payment.state).toBe("succeeded");
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
  });

  it("gives two authorisations at once (a double click, two tabs) one bank debit; the other is told to poll", async () => {
    const t = await merchant("Double Click Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { latencyMs: 200, operations: ["debit"] });
    try {
      const [a, b] = await Promise.all([w.authorise(payment.id), w.authorise(payment.id)]);
      const answers = [a, b].sort((x, y) => x.statusCode - y.statusCode);
      expect(expectSuccess<PaymentResponse>(answers[0]!).payment.state).toBe("succeeded");
      expect(expectError(answers[1]!, 409, "CONFLICT").data.reason).toBe("authorising");
    } finally {
      await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    }
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
    expect(await ledgerOf(h.ctx, t, payment.id)).toHaveLength(1);
    const polled = expectSuccess<PaymentResponse>(await w.get(`/api/payments/${payment.id}`));
    expect(polled.payment.state).toBe("succeeded");
  });

  it("ends the payment as an error on insufficient funds (nothing moved, no ledger); another account makes a new payment", async () => {
    const t = await merchant("Broke Co");
    const w = await W.open(t, { charge: { amount: null } });
    const accounts = await w.accounts("okro_good");
    const tooMuch = 90_000_000_000; // ₦900m: more than any sandbox account holds
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(accounts[0]!.id, tooMuch));
    const refused = expectError(await w.authorise(payment.id), 422, "UNPROCESSABLE");
    expect(refused.data).toMatchObject({ reason: "insufficient_funds", payment: { id: payment.id, state: "errored", status: "error", failure: { code: "1013" } } });
    expect(await bankDebits(h.ctx, t)).toEqual([]);
    expect(await ledgerOf(h.ctx, t, payment.id)).toEqual([]);
    expect(await eventsOf(h.ctx, t, payment.id)).toEqual(["payment.awaiting_authorisation", "payment.processing", "payment.errored"]);

    // "Choose another account": a new payment, the errored one left as it is.
    const next = expectSuccess<PaymentResponse>(await w.pay(accounts[1]!.id, 100_000));
    expect(next.payment.id).not.toBe(payment.id);
    expect((await w.row()).payment_id).toBe(next.payment.id);
    expect(expectSuccess<PaymentResponse>(await w.authorise(next.payment.id)).payment.state).toBe("succeeded");
    expect((await getPayment(h.ctx.db, scope(t), payment.id)).state).toBe("errored");
    // The earlier payment is not this session's to authorise any more.
    expect(expectError(await w.authorise(payment.id), 409, "CONFLICT").data.field).toBe("payment_id");
  });

  it("says bank_down when the bank is down (the payment waits; nothing moved), and pays once the bank is back", async () => {
    const t = await merchant("Bank Down Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { down: true, operations: ["debit"] });
    const down = expectError(await w.authorise(payment.id), 503, "SERVICE_UNAVAILABLE");
    expect(down.data).toMatchObject({ reason: "bank_down", payment: { state: "awaiting_authorisation" } });
    await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    expect(expectSuccess<PaymentResponse>(await w.authorise(payment.id)).payment.state).toBe("succeeded");
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
  });

  it("answers a bank timeout as `unknown` (202), and the worker's re-query settles it", async () => {
    const t = await merchant("Timeout Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    // The bank debits, and its answer is lost on the way back.
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { lostResponseRate: 1, operations: ["debit"] });
    const res = await w.authorise(payment.id);
    const unknown = expectSuccess<PaymentResponse>(res, 202);
    expect(unknown.payment).toMatchObject({ state: "unknown", status: "initiated", response_status: "pending" });
    expect(unknown.success).toBeNull();
    await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    // A second try while it is unknown is refused: the widget polls instead.
    expect(expectError(await w.authorise(payment.id), 409, "CONFLICT").data.reason).toBe("authorising");
    expect(expectSuccess<PaymentResponse>(await w.get(`/api/payments/${payment.id}`)).payment.state).toBe("unknown");

    const worker = new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [t.id] });
    for (let i = 0; i < 10 && (await getPayment(h.ctx.db, scope(t), payment.id)).state === "unknown"; i++) {
      clock.advance(30_000);
      await worker.runOnce();
    }
    const settled = expectSuccess<PaymentResponse>(await w.get(`/api/payments/${payment.id}`));
    expect(settled.payment.state).toMatch(/^(succeeded|settled)$/);
    expect(settled.success?.payment.id).toBe(payment.id);
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
    expect((await ledgerOf(h.ctx, t, payment.id))[0]).toEqual({ kind: "debit_confirmed", postings: ["external:customers debit 500000", "wallet:pending credit 500000"] });
  });

  it("cancels the waiting payment when the customer leaves, and only this session's payments are its business", async () => {
    const t = await merchant("Leaver Co");
    const w = await W.open(t);
    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    const other = await W.open(t);
    expect(expectError(await other.post("/api/payments/cancel", { payment_id: payment.id }), 404, "NOT_FOUND").data.field).toBe("payment_id");
    expect(expectError(await other.get(`/api/payments/${payment.id}`), 404, "NOT_FOUND").data.field).toBe("payment_id");
    const cancelled = expectSuccess<PaymentResponse>(await w.post("/api/payments/cancel", { payment_id: payment.id }));
    expect(cancelled.payment).toMatchObject({ state: "cancelled", status: "cancelled" });
    expect(await historyOf(h.ctx, payment.id)).toEqual(["∅ → awaiting_authorisation (customer)", "awaiting_authorisation → cancelled (customer)"]);
    expect(expectError(await w.authorise(payment.id), 409, "CONFLICT").data.reason).toBe("payment_cancelled");
    expect(await bankDebits(h.ctx, t)).toEqual([]);
  });

  it("is refused outside payment mode, and payment steps need a bank login first", async () => {
    const t = await merchant("Order Co");
    const data = await W.open(t, { payment: undefined, charge: undefined });
    expect(expectError(await data.pay("x"), 409, "CONFLICT").message).toMatch(/not opened for a payment/);
    const w = await W.open(t);
    expect(expectError(await w.pay("0123456789"), 409, "CONFLICT").message).toMatch(/log in/);
  });
});

describe("returning user", () => {
  it("recognises the customer, pays from a linked account after logging in there, and links nothing new", async () => {
    const t = await merchant("Returning Co");
    const first = await linkCustomer(t, "okro_otp", ACCESS);
    const customers = async () => (await h.ctx.db.selectFrom("customers").select("id").where("company_id", "=", t.id).execute()).map((c) => c.id);
    expect(await customers()).toEqual([first.customerId]);

    const w = await W.open(t, { customer: { id: first.customerId } });
    expect(w.s.payment?.mode).toBe("returning");
    expect(w.s.returning?.accounts.map((a) => [a.id, a.nuban_masked])).toEqual([[first.accountId, `••••${first.nuban.slice(-4)}`]]);
    const step = await w.login("okro_otp", ACCESS, { account_id: first.accountId });
    expect(step.step).toBe("mfa");
    const listed = expectSuccess<LoginResponse>(await w.post("/api/mfa", { answer: "123456" }));
    if (listed.step !== "accounts") throw new Error("expected accounts");
    const picked = listed.accounts.filter((a) => a.preselected);
    expect(picked.map((a) => a.nuban)).toEqual([first.nuban]);

    const { payment } = expectSuccess<PaymentResponse>(await w.pay(picked[0]!.id));
    const done = expectSuccess<PaymentResponse>(await w.authorise(payment.id, { pin: "1234" }));
    expect(done.success).toMatchObject({ customer_id: first.customerId, account_id: first.accountId, record_id: first.recordId });
    expect(await customers()).toEqual([first.customerId]);
    expect(await h.ctx.db.selectFrom("records").select("id").where("company_id", "=", t.id).execute()).toEqual([{ id: first.recordId }]);
  });
});

describe("Quick Pay", () => {
  it("preselects the bank and account, logs in with the saved connection, and needs only the OTP or PIN", async () => {
    const t = await merchant("Quick Co");
    const first = await linkCustomer(t, "okro_good", GTBANK);
    const w = await W.open(t, { customer: { id: first.customerId }, account_to_debit: first.accountId });
    expect(w.s.payment?.mode).toBe("quick_pay");
    expect(w.s.payment?.quick_pay?.account).toMatchObject({ id: first.accountId, bank_id: GTBANK, nuban_masked: `••••${first.nuban.slice(-4)}` });
    expect(w.s.payment?.quick_pay?.bank.id).toBe(GTBANK);

    const ready = expectSuccess<LoginResponse>(await w.post("/api/quick-pay", {}));
    if (ready.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(ready)}`);
    expect(ready.accounts).toEqual([expect.objectContaining({ nuban: first.nuban, preselected: true })]);
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(ready.accounts[0]!.id));
    const done = expectSuccess<PaymentResponse>(await w.authorise(payment.id, { otp: "123456" }));
    expect(done.success).toMatchObject({ customer_id: first.customerId, account_id: first.accountId, record_id: first.recordId });
    expect(await bankDebits(h.ctx, t)).toEqual([expect.objectContaining({ source_nuban: first.nuban, status: "success" })]);
  });

  it("logs in again silently with the sealed credentials when the stored session is gone, showing the bank's code screen first", async () => {
    const t = await merchant("Quick MFA Co");
    const first = await linkCustomer(t, "okro_otp", ZENITH);
    // The bank session stored on the record is gone: only the sealed credentials remain.
    await h.ctx.db.updateTable("records").set({ session_sealed: null, session_expires_at: null }).where("id", "=", first.recordId).execute();
    const w = await W.open(t, { customer: { id: first.customerId }, account_to_debit: first.accountId });
    const challenge = expectSuccess<LoginResponse>(await w.post("/api/quick-pay", {}));
    expect(challenge).toMatchObject({ step: "mfa", challenge: { kind: "sms_otp" } });
    const listed = expectSuccess<LoginResponse>(await w.post("/api/mfa", { answer: "123456" }));
    if (listed.step !== "accounts") throw new Error("expected accounts");
    const account = listed.accounts.find((a) => a.preselected)!;
    expect(account.nuban).toBe(first.nuban);
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account.id));
    expect(expectSuccess<PaymentResponse>(await w.authorise(payment.id, { pin: "1234" })).payment.state).toBe("succeeded");
  });

  it("refuses an account_to_debit that is not the customer's (400 naming it), and says quick_pay_unavailable when the saved login is refused", async () => {
    const t = await merchant("Quick Refused Co");
    const a = await linkCustomer(t, "okro_good", GTBANK);
    const other = await merchant("Quick Other Co");
    const b = await linkCustomer(other, "okro_good", GTBANK);
    for (const extra of [{ customer: { id: a.customerId }, account_to_debit: b.accountId }, { account_to_debit: a.accountId }]) {
      expect(expectError(await W.raw(t, extra), 400, "INVALID_FIELD").data.field).toBe("account_to_debit");
    }
    // The saved credentials no longer work at the bank: the customer logs in themselves.
    const sealed = h.ctx.secrets.seal(JSON.stringify({ method: "internet_banking", identifier: "okro_good", secret: "wrong" }), `records:${a.recordId}:credentials`);
    await h.ctx.db.updateTable("records").set({ session_sealed: null, session_expires_at: null, credentials_sealed: sealed }).where("id", "=", a.recordId).execute();
    const w = await W.open(t, { customer: { id: a.customerId }, account_to_debit: a.accountId });
    expect(expectError(await w.post("/api/quick-pay", {}), 422, "UNPROCESSABLE").data.reason).toBe("quick_pay_unavailable");
    const step = await w.login("okro_good", GTBANK, { account_id: a.accountId });
    expect(step.step === "accounts" && step.accounts.some((x) => x.preselected)).toBe(true);
  });
});

describe("payment links", () => {
  it("a recurring link's page opens the mandate flow, stating its charges (decision 0022: paid by authorising its mandate)", async () => {
    const t = await merchant("Recurring Link Co");
    const link = await paymentLink(h.ctx, t, { type: "recurring", amount: kobo(500_000), schedule: { interval: "monthly", start_date: null, end_date: null, count: 12, day_of_month: 1 } });
    const w = new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } })));
    expect(w.s.payment).toBeNull();
    expect(w.s.mandate?.lines.filter((l) => l.key === "frequency" || l.key === "amount").map((l) => l.value)).toEqual(["₦5,000.00 each time, never more", "Every month on the 1st, 12 times"]);
  });

  it("never takes a one-time payment for a recurring link: the payment path refuses it, and the link stays open", async () => {
    const t = await merchant("Recurring Refuse Co");
    const link = await paymentLink(h.ctx, t, { type: "recurring", amount: kobo(500_000), schedule: { interval: "monthly", start_date: null, end_date: null, count: 12, day_of_month: 1 } });
    const w = new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } })));
    const [account] = await w.accounts("okro_good");
    // The session is in mandate mode: the payment endpoint refuses it (and createWidgetPayment
    // refuses a recurring link whatever the mode, 422 naming payment_link).
    expectError(await w.pay(account!.id), 409, "CONFLICT");
    // Nothing moved: no payment, no debit, and the link can still be paid by its mandate.
    expect(await h.ctx.db.selectFrom("payments").select("id").where("link_id", "=", link.id).execute()).toHaveLength(0);
    expect(await h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).execute()).toHaveLength(0);
    const after = await h.ctx.db.selectFrom("payment_links").select(["status", "payments_count"]).where("id", "=", link.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: "active", payments_count: 0 });
  });

  it("pays a single-use link once: the session takes the link's amount and note, and the link is then used", async () => {
    const t = await merchant("Link Co");
    const link = await paymentLink(h.ctx, t);
    const open = () => widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } });
    const w = new W(expectSuccess<CreateSessionResponse>(await open()));
    expect(w.s.payment).toEqual({
      mode: "instant",
      amount: 1_250_000,
      currency: "NGN",
      note: "Entry for the 10 km race",
      merchant: "Link Co",
      link: { short_url: link.short_url, name: "Lagos Marathon entry", reusable: false },
    });
    // A second payer opens the same link before the first pays.
    const second = new W(expectSuccess<CreateSessionResponse>(await open()));

    const [account] = await w.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id));
    const stored = await getPayment(h.ctx.db, scope(t), payment.id);
    expect(stored).toMatchObject({ channel: "link", link_id: link.id });
    expect(expectSuccess<PaymentResponse>(await w.authorise(payment.id)).payment.state).toBe("succeeded");
    const after = await h.ctx.db.selectFrom("payment_links").select(["status", "payments_count"]).where("id", "=", link.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: "used", payments_count: 1 });

    // The second payer gets as far as the payment, then is told the link was paid.
    const [a2] = await second.accounts("okro_good");
    const refused = expectError(await second.pay(a2!.id), 404, "NOT_FOUND");
    expect(refused.data).toMatchObject({ reason: "link_unavailable", link_status: "used" });
    expect(await h.ctx.db.selectFrom("payments").select("id").where("link_id", "=", link.id).execute()).toHaveLength(1);
    // And a new visitor is refused at once.
    expect(expectError(await open(), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "used", field: "payment_link" });
  });

  it("never lets a payer whose first try failed pay a single-use link someone else has paid meanwhile (or that was disabled)", async () => {
    const t = await merchant("Link Retry Co");
    const link = await paymentLink(h.ctx, t, { amount: null });
    const open = async () => new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } })));
    const first = await open();
    const [a1, b1] = await first.accounts("okro_good");
    // The first payer's try fails (insufficient funds): the link can be paid again.
    const { payment: broke } = expectSuccess<PaymentResponse>(await first.pay(a1!.id, 90_000_000_000));
    expect(expectError(await first.authorise(broke.id), 422, "UNPROCESSABLE").data).toMatchObject({ reason: "insufficient_funds" });
    // A second payer pays it.
    const second = await open();
    const [a2] = await second.accounts("okro_good");
    const { payment: paid } = expectSuccess<PaymentResponse>(await second.pay(a2!.id, 100_000));
    expect(expectSuccess<PaymentResponse>(await second.authorise(paid.id)).payment.state).toBe("succeeded");
    // The first payer tries another account: the link is used.
    const refused = expectError(await first.pay(b1!.id, 100_000), 404, "NOT_FOUND");
    expect(refused.data).toMatchObject({ reason: "link_unavailable", link_status: "used" });
    const live = await h.ctx.db.selectFrom("payments").select("state").where("link_id", "=", link.id).where("state", "not in", ["errored", "failed", "cancelled"]).execute();
    expect(live).toHaveLength(1);

    // Same for a link the merchant disabled after a failed try.
    const other = await paymentLink(h.ctx, t, { amount: null, name: "Withdrawn after a try" });
    const w = new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: other.short_url } })));
    const [c1, d1] = await w.accounts("okro_good");
    const { payment: tried } = expectSuccess<PaymentResponse>(await w.pay(c1!.id, 90_000_000_000));
    expectError(await w.authorise(tried.id), 422, "UNPROCESSABLE");
    await h.ctx.db.updateTable("payment_links").set({ status: "disabled" }).where("id", "=", other.id).execute();
    expect(expectError(await w.pay(d1!.id, 100_000), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "disabled" });

    // And for a link that expired while the payer was logging in.
    const soon = await paymentLink(h.ctx, t, { name: "Ends soon", expiresAt: new Date(clock.now().getTime() + 60_000) });
    const late = new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: soon.short_url } })));
    const [e1] = await late.accounts("okro_good");
    clock.advance(2 * 60_000);
    expect(expectError(await late.pay(e1!.id), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "expired" });
    expect(await h.ctx.db.selectFrom("payments").select("id").where("link_id", "=", soon.id).execute()).toEqual([]);
  });

  it("fails a payment its payer abandoned (the widget session lapsed unauthorised), so a single-use link can be paid by the next payer", async () => {
    const t = await merchant("Abandoned Link Co");
    const link = await paymentLink(h.ctx, t);
    const open = () => widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } });
    const first = new W(expectSuccess<CreateSessionResponse>(await open()));
    const [account] = await first.accounts("okro_good");
    const { payment } = expectSuccess<PaymentResponse>(await first.pay(account!.id));
    // The payer closes the tab without cancelling: the link is taken while they might still pay.
    expect(expectError(await open(), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "used" });
    const worker = new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [t.id] });
    clock.advance(10 * 60_000);
    await worker.runOnce();
    expect((await getPayment(h.ctx.db, scope(t), payment.id)).state).toBe("awaiting_authorisation");

    // Their widget session lapses: nobody can authorise the payment any more.
    clock.advance(SESSION_IDLE_MS);
    await worker.runOnce();
    const expired = await getPayment(h.ctx.db, scope(t), payment.id);
    expect(expired).toMatchObject({ state: "failed", failure_code: "authorisation_expired" });
    expect(await historyOf(h.ctx, payment.id)).toEqual(["∅ → awaiting_authorisation (customer)", "awaiting_authorisation → failed (scheduler)"]);
    expect(await eventsOf(h.ctx, t, payment.id)).toEqual(["payment.awaiting_authorisation", "payment.failed"]);

    // The next payer can pay the link.
    const next = new W(expectSuccess<CreateSessionResponse>(await open()));
    const [a2] = await next.accounts("okro_good");
    const paid = expectSuccess<PaymentResponse>(await next.pay(a2!.id));
    expect(expectSuccess<PaymentResponse>(await next.authorise(paid.payment.id)).payment.state).toBe("succeeded");
    expect(await bankDebits(h.ctx, t)).toHaveLength(1);
  });

  it("takes payment after payment on a reusable link, with the amount each payer enters", async () => {
    const t = await merchant("Reusable Co");
    const link = await paymentLink(h.ctx, t, { reusable: true, amount: null, name: "Donations" });
    for (const amount of [100_000, 350_000]) {
      const w = new W(expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: link.short_url } })));
      expect(w.s.payment?.amount).toBeNull();
      const [account] = await w.accounts("okro_good");
      const { payment } = expectSuccess<PaymentResponse>(await w.pay(account!.id, amount));
      expect(expectSuccess<PaymentResponse>(await w.authorise(payment.id)).payment).toMatchObject({ state: "succeeded", amount });
    }
    const after = await h.ctx.db.selectFrom("payment_links").select(["status", "payments_count"]).where("id", "=", link.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: "active", payments_count: 2 });
  });

  it("refuses expired, disabled and unknown links with link_unavailable, and the hosted pay page says so", async () => {
    const t = await merchant("Expired Co");
    const expired = await paymentLink(h.ctx, t, { name: "Old offer", expiresAt: new Date(clock.now().getTime() + 60_000) });
    const disabled = await paymentLink(h.ctx, t, { name: "Withdrawn" });
    await h.ctx.db.updateTable("payment_links").set({ status: "disabled" }).where("id", "=", disabled.id).execute();
    const live = await paymentLink(h.ctx, t, { name: "Live offer" });
    clock.advance(2 * 60_000);
    const open = (code: string) => widget.inject({ method: "POST", url: "/api/sessions", payload: { payment_link: code } });
    expect(expectError(await open(expired.short_url), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "expired" });
    expect(expectError(await open(disabled.short_url), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "disabled" });
    expect(expectError(await open("NoSuchLnk1"), 404, "NOT_FOUND").data).toMatchObject({ reason: "link_unavailable", link_status: "unknown" });

    const origin = await buildWidgetApp(h.ctx, { logger: false });
    try {
      const page = (code: string) => origin.inject({ method: "GET", url: `/pay/${code}` });
      const ok = await page(live.short_url);
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain("<title>Pay with your bank account</title>");
      expect(ok.body).toMatch(/<script defer src="\/assets\/app\.[A-Za-z0-9]{10}\.js">/);
      for (const [code, status, text] of [
        [expired.short_url, 410, "This payment link has expired"],
        [disabled.short_url, 410, "This payment link is no longer active"],
        ["NoSuchLnk1", 404, "This payment link is not valid"],
      ] as const) {
        const res = await page(code);
        expect(res.statusCode, code).toBe(status);
        expect(res.headers["content-type"]).toMatch(/^text\/html/);
        expect(res.body).toContain(`<h1>${text}</h1>`);
        expect(res.body).not.toContain("<script");
      }
      expect((await page(expired.short_url)).body).toContain("Old offer");
      // The payer is told whom to ask, by name, not "the business".
      const paid = await paymentLink(h.ctx, t, { name: "Paid once" });
      await h.ctx.db.updateTable("payment_links").set({ status: "used" }).where("id", "=", paid.id).execute();
      const used = await page(paid.short_url);
      expect(used.statusCode).toBe(410);
      expect(used.body).toContain("<h1>This payment link has already been paid</h1>");
      expect(used.body).toContain("ask Expired Co for a new link");
      expect((await page(expired.short_url)).body).toContain("Ask Expired Co for a new link");
      expect((await page(disabled.short_url)).body).toContain("Expired Co turned it off");
      for (const code of [paid.short_url, expired.short_url, disabled.short_url]) expect((await page(code)).body).not.toContain("the business");
    } finally {
      await origin.close();
    }
  });
});

describe("payment consent at connect (account data with the payments product)", () => {
  it("links the account, then gives payment consent with the OTP; a wrong code is asked again without linking twice", async () => {
    const t = await merchant("Consent Co");
    const w = await W.open(t, { payment: undefined, charge: undefined, products: ["auth", "balance", "payments"] });
    const [account] = await w.accounts("okro_good");
    const wrong = expectError(await w.post("/api/connect", { account_ids: [account!.id], consent: true, payment_authorization: { otp: "000000" } }), 422, "UNPROCESSABLE");
    expect(wrong.data).toMatchObject({ reason: "invalid_otp", attempts_left: 4, connected: true });
    const records = await h.ctx.db.selectFrom("records").select("id").where("company_id", "=", t.id).execute();
    expect(records).toHaveLength(1);

    const res = expectSuccess<ConnectResponse>(await w.post("/api/connect", { account_ids: [account!.id], consent: true, payment_authorization: { otp: "123456" } }));
    const shared = res.accounts.find((a) => a.connected)!;
    expect(res.consents).toEqual([{ id: expect.stringMatching(HEX24), account_id: shared.id, status: expect.stringMatching(/^(pending|active)$/) }]);
    const consent = await consentFor(h.ctx.db, scope(t), shared.id);
    expect(consent).toMatchObject({ id: res.consents[0]!.id, customer_id: res.customer_id, bank_id: GTBANK });
    expect(await h.ctx.db.selectFrom("records").select("id").where("company_id", "=", t.id).execute()).toEqual(records);
    // Done: the bank session is wiped, and a repeat answers the same.
    expect((await w.row()).bank_session_sealed).toBeNull();
    expect(expectSuccess<ConnectResponse>(await w.post("/api/connect", { account_ids: [account!.id], consent: true })).consents).toEqual(res.consents);
  });

  it("connects without consent when none is asked, and refuses payment_authorization without the payments product", async () => {
    const t = await merchant("No Consent Co");
    const plain = await W.open(t, { payment: undefined, charge: undefined, products: ["auth", "balance", "payments"] });
    const [a1] = await plain.accounts("okro_good");
    expect(expectSuccess<ConnectResponse>(await plain.post("/api/connect", { account_ids: [a1!.id], consent: true })).consents).toEqual([]);
    expect((await plain.row()).bank_session_sealed).toBeNull();

    const noPayments = await W.open(t, { payment: undefined, charge: undefined, products: ["auth", "balance"] });
    const [a2] = await noPayments.accounts("okro_good");
    const refused = expectError(await noPayments.post("/api/connect", { account_ids: [a2!.id], consent: true, payment_authorization: { pin: "1234" } }), 400, "INVALID_FIELD");
    expect(fieldOf(refused.data)).toBe("payment_authorization");
  });
});
