import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import { sha256Hex } from "../../src/lib/secrets.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { createApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { ConnectResponse, CreateSessionResponse, LoginResponse, MandateResponse, PayerMandatesResponse, WidgetMandate } from "../../src/widget/protocol.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { GTBANK, eventsOf, receivingAccount } from "./payment-fixtures.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget's mandate mode (`debitLater`, `charge.type: "recurring"`) and the payer's page
 * (`manage_mandates`) over the session API, against the in-process sandbox banks on a ManualClock:
 * what the consent screen is told to state, the mandate created and authorised with the bank's
 * OTP (awaiting_bank → active by the activation job), the onSuccess payload, a returning customer,
 * bad options naming their field, and the payer proving who they are and withdrawing a mandate.
 */

let h: Harness;
let clock: ManualClock;
let widget: FastifyInstance;
beforeAll(async () => {
  clock = new ManualClock(new Date("2027-01-10T09:00:00Z"));
  h = await createHarness({ clock });
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

const MINUTE = 60_000;
const fieldOf = (data: Record<string, unknown>) => (data.field ?? (data.fields as Array<{ field: string }> | undefined)?.[0]?.field) as string | undefined;

class W {
  constructor(readonly s: CreateSessionResponse) {}
  static raw(t: NewCompany, extra: Record<string, unknown>) {
    return widget.inject({ method: "POST", url: "/api/sessions", payload: { key: t.sandbox.public_key, env: "production-sandbox", ...extra } });
  }
  static async open(t: NewCompany, extra: Record<string, unknown>): Promise<W> {
    return new W(expectSuccess<CreateSessionResponse>(await W.raw(t, extra)));
  }
  post(url: string, payload: unknown = {}) {
    return widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${this.s.session_token}` }, payload: payload as object });
  }
  get(url: string) {
    return widget.inject({ method: "GET", url, headers: { authorization: `Bearer ${this.s.session_token}` } });
  }
  async accounts(identifier: string, extra: Record<string, unknown> = {}) {
    let step = expectSuccess<LoginResponse>(await this.post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier, secret: "pass_good", ...extra }));
    if (step.step === "mfa") step = expectSuccess<LoginResponse>(await this.post("/api/mfa", { answer: "123456" }));
    if (step.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(step)}`);
    return step.accounts;
  }
  async row() {
    return h.ctx.db.selectFrom("widget_sessions").selectAll().where("token_hash", "=", sha256Hex(this.s.session_token)).executeTakeFirstOrThrow();
  }
}

async function merchant(name: string) {
  const t = await h.newTenant(name);
  await receivingAccount(h.ctx, t);
  return t;
}

const monthly = { debitLater: true, debitType: "recurring", debitAmount: 500_000, debitStartDate: "2027-01-31", debitEndDate: "2027/12/31", debitInterval: "monthly" };
const lineOf = (m: { lines: { key: string; label: string; value: string }[] }, key: string) => m.lines.filter((l) => l.key === key).map((l) => `${l.label}: ${l.value}`);

/** Lets the runner do what became due (the bank's activation of the debit authority). */
async function runJobs(t: NewCompany) {
  const runner = new JobRunner(h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [t.id] });
  await runner.runOnce();
}

describe("opening a mandate session", () => {
  it("turns debitLater's recurring options into the lines the consent screen states: who, how much, how often, from when to when, how to withdraw", async () => {
    const t = await merchant("Gym Co");
    const w = await W.open(t, monthly);
    expect(w.s.payment).toBeNull();
    expect(w.s.products).toEqual(["auth", "payments"]);
    expect(w.s.banks.every((b) => b.payments)).toBe(true);
    const m = w.s.mandate!;
    expect(m).toMatchObject({ merchant: "Gym Co", kind: "recurring", currency: "NGN", amount: 500_000 });
    expect(m.summary).toBe("NGN 5,000.00 every month on the 31st (the last day in shorter months), starting 2027-01-31, until 2027-12-31");
    expect(lineOf(m, "who")).toEqual(["Who can debit your account: Gym Co"]);
    expect(lineOf(m, "amount")).toEqual(["How much: ₦5,000.00 each time, never more"]);
    expect(lineOf(m, "frequency")).toEqual(["How often: Every month on the 31st (the last day in shorter months)"]);
    expect(lineOf(m, "from")).toEqual(["From: 31 Jan 2027"]);
    expect(lineOf(m, "until")).toEqual(["Until: 31 Dec 2027"]);
    expect(lineOf(m, "withdraw")).toEqual(["How to withdraw: Any time, on your authorisations page for Gym Co (you log in to your bank there), or by asking Gym Co. Debits already sent to your bank still complete."]);
    expect(m.lines.find((l) => l.key === "withdraw")?.href).toMatch(new RegExp(`^https?://[^/]+/mandates\\?key=${t.sandbox.public_key}$`));
    // Opened for one app: the payer's page is that app's (its name).
    const forApp = await W.open(t, { ...monthly, app_id: t.sandbox.app_id });
    expect(forApp.s.mandate!.lines.find((l) => l.key === "withdraw")?.href).toMatch(new RegExp(`/mandates\\?key=${t.sandbox.public_key}&app_id=${t.sandbox.app_id}$`));
  });

  it("states every cap of a one-time authorisation, and 'until you withdraw it' for an ongoing one", async () => {
    const t = await merchant("Loan Co");
    const once = await W.open(t, { debitLater: true, debitType: "one-time", debitAmount: "2500000", debitStartDate: "2027-02-01", charge: { note: "Loan repayment" } });
    expect(once.s.mandate!.lines.map((l) => `${l.label}: ${l.value}`)).toEqual([
      "Who can debit your account: Loan Co",
      "How much: Up to ₦25,000.00 in total",
      "Most in one debit: ₦25,000.00",
      "How often: When Loan Co asks, within the dates below",
      "From: 1 Feb 2027",
      "Until: You withdraw it (no end date)",
      "For: Loan repayment",
      expect.stringMatching(/^How to withdraw: /),
    ]);
    const ongoing = await W.open(t, { debitLater: true, debitType: "ongoing", debitAmount: 100_000, debitInterval: "weekly" });
    expect(ongoing.s.mandate!.kind).toBe("ongoing");
    expect(lineOf(ongoing.s.mandate!, "frequency")).toEqual(["How often: Every week on Sunday"]);
    expect(lineOf(ongoing.s.mandate!, "until")).toEqual(["Until: You withdraw it (no end date)"]);
    // charge.type recurring with a schedule and a count.
    const rec = await W.open(t, { payment: true, charge: { type: "recurring", amount: 300_000, schedule: { interval: "monthly", startDate: "2027-03-15", count: 6 } } });
    expect(rec.s.payment).toBeNull();
    expect(rec.s.mandate!.kind).toBe("recurring");
    expect(lineOf(rec.s.mandate!, "frequency")).toEqual(["How often: Every month on the 15th, 6 times"]);
    expect(lineOf(rec.s.mandate!, "until")).toEqual(["Until: 15 Aug 2027"]);
  });

  it("refuses bad options with a 400 naming the field, and opens nothing", async () => {
    const t = await merchant("Bad Options Co");
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ debitLater: true }, "debitAmount"],
      [{ debitLater: true, debitAmount: 99 }, "debitAmount"],
      [{ debitLater: true, debitAmount: 1500.5 }, "debitAmount"],
      [{ debitLater: true, debitAmount: "lots" }, "debitAmount"],
      [{ debitLater: true, debitAmount: 500_000, debitType: "sometimes" }, "debitType"],
      [{ debitLater: true, debitAmount: 500_000, debitStartDate: "2027-02-30" }, "debitStartDate"],
      [{ debitLater: true, debitAmount: 500_000, debitStartDate: "2026-12-01" }, "debitStartDate"],
      [{ debitLater: true, debitAmount: 500_000, debitStartDate: "2027-03-01", debitEndDate: "2027-02-01" }, "debitEndDate"],
      [{ debitLater: true, debitAmount: 500_000, debitInterval: "monthly" }, "debitInterval"],
      [{ debitLater: true, debitAmount: 500_000, debitType: "recurring", debitEndDate: "2027-12-31" }, "debitInterval"],
      [{ debitLater: true, debitAmount: 500_000, debitType: "recurring", debitInterval: "monthly" }, "debitEndDate"],
      [{ debitLater: true, debitAmount: 500_000, debitType: "ongoing", debitInterval: "fortnightly" }, "debitInterval"],
      [{ debitLater: true, debitAmount: 500_000, charge: { currency: "USD" } }, "charge.currency"],
      [{ debitLater: true, debitAmount: 500_000, charge: { account: "5f0000000000000000000000" } }, "charge.account"],
      [{ payment: true, charge: { type: "recurring", amount: 500_000 } }, "charge.schedule"],
      [{ payment: true, charge: { type: "recurring", schedule: { interval: "monthly" } } }, "charge.amount"],
      [{ payment: true, charge: { type: "recurring", amount: 500_000, schedule: { interval: "hourly" } } }, "charge.schedule.interval"],
      [{ payment: true, charge: { type: "recurring", amount: 500_000, schedule: { interval: "monthly", startDate: "2027-05-01", endDate: "2027-04-01" } } }, "charge.schedule.endDate"],
    ];
    for (const [options, field] of cases) {
      const { message, data } = expectError(await W.raw(t, options), 400, "INVALID_FIELD");
      expect([fieldOf(data), message.split(":")[0]], JSON.stringify(options)).toEqual([field, field]);
    }
    const app = await createApp(h.ctx.db, { companyId: t.id, env: "sandbox" }, { name: "Data only", products: ["balance"] }, clock.now());
    expect(fieldOf(expectError(await W.raw(t, { ...monthly, app_id: app.id }), 400, "INVALID_FIELD").data)).toBe("debitLater");
    expect(await h.ctx.db.selectFrom("widget_sessions").select("id").where("company_id", "=", t.id).execute()).toEqual([]);
  });
});

describe("authorising a mandate in the widget", () => {
  it("creates the mandate on the chosen account, takes the bank's OTP, and the activation job makes it active; onSuccess carries the authorization", async () => {
    const t = await merchant("Stream Co");
    const w = await W.open(t, { ...monthly, options: { plan: "gold" } });
    const accounts = await w.accounts("okro_good");
    // The account-data connect is refused in this mode.
    expect(expectError(await w.post("/api/connect", { account_ids: [accounts[0]!.id], consent: true }), 409, "CONFLICT").message).toMatch(/POST \/api\/mandates/);

    // The customer first agrees on one account, then goes back and picks the other: the first, never authorised, is let go.
    const first = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    const created = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[1]!.id }));
    expect(created.mandate.id).not.toBe(first.mandate.id);
    expect(await h.ctx.db.selectFrom("mandates").select(["state", "state_reason"]).where("id", "=", first.mandate.id).executeTakeFirstOrThrow()).toEqual({ state: "cancelled", state_reason: "not_authorised" });
    expect(created.success).toBeNull();
    expect(created.mandate).toMatchObject({ status: "awaiting_customer", merchant: "Stream Co", bank_name: "Guaranty Trust Bank", nuban_masked: `••••${accounts[1]!.nuban.slice(-4)}` });
    expect(created.mandate.lines).toEqual(w.s.mandate!.lines);
    // The same request again: the same mandate.
    expect(expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[1]!.id })).mandate.id).toBe(created.mandate.id);
    expect((await w.row()).step).toBe("paying");

    // A wrong code: still waiting, and the customer can try again.
    const wrong = expectError(await w.post("/api/mandates/authorise", { mandate_id: created.mandate.id, otp: "000000" }), 422, "UNPROCESSABLE");
    expect(wrong.data.reason).toBe("invalid_otp");
    const authorised = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { mandate_id: created.mandate.id, otp: "123456" }));
    expect(authorised.mandate.status).toBe("awaiting_bank");
    expect(authorised.success).toMatchObject({
      type: "authorization",
      authorization: { _id: created.mandate.id, status: "awaiting_bank", debit_type: "fixed", amount: 500_000, duration: { startDate: "2027-01-31", endDate: "2027-12-31", interval: "monthly" }, options: { plan: "gold" } },
      bank_id: GTBANK,
      auth: { bank_id: GTBANK, status: true, type: "validate" },
      env: "production-sandbox",
      options: { plan: "gold" },
    });
    const row = await w.row();
    expect(row.step).toBe("done");
    expect(row.bank_session_sealed).toBeNull();
    const mandate = await h.ctx.db.selectFrom("mandates").selectAll().where("id", "=", created.mandate.id).executeTakeFirstOrThrow();
    expect(mandate).toMatchObject({ source: "widget", customer_id: authorised.success!.customer_id, account_id: authorised.success!.account_id, interval: "monthly", start_date: "2027-01-31" });

    // The bank activates the debit authority after its delay; the job moves the mandate.
    for (let i = 0; i < 3; i++) {
      clock.advance(6 * MINUTE);
      await runJobs(t);
    }
    const polled = expectSuccess<MandateResponse>(await w.get(`/api/mandates/${created.mandate.id}`));
    expect(polled.mandate.status).toBe("active");
    expect(polled.success?.authorization.status).toBe("active");
    expect(await eventsOf(h.ctx, t, created.mandate.id)).toEqual(["mandate.created", "mandate.awaiting_bank", "mandate.active"]);
  });

  it("lets a returning customer authorise a new mandate on an account already linked", async () => {
    const t = await merchant("Returning Co");
    const first = await W.open(t, { ...monthly, customer: { bvn: "" } });
    const accounts = await first.accounts("okro_good");
    const one = expectSuccess<MandateResponse>(await first.post("/api/mandates", { account_id: accounts[0]!.id }));
    const done = expectSuccess<MandateResponse>(await first.post("/api/mandates/authorise", { mandate_id: one.mandate.id, pin: "1234" }));
    const customerId = done.success!.customer_id;

    const again = await W.open(t, { debitLater: true, debitType: "one-time", debitAmount: 900_000, customer: { id: customerId } });
    expect(again.s.returning?.accounts.map((a) => a.id)).toContain(done.success!.account_id);
    const listed = await again.accounts("okro_good", { account_id: done.success!.account_id });
    const picked = listed.find((a) => a.preselected)!;
    const two = expectSuccess<MandateResponse>(await again.post("/api/mandates", { account_id: picked.id }));
    const ok = expectSuccess<MandateResponse>(await again.post("/api/mandates/authorise", { mandate_id: two.mandate.id, pin: "1234" }));
    expect(ok.success).toMatchObject({ customer_id: customerId, account_id: done.success!.account_id });
    // Exactly the two mandates the customer authorised: no open-ended standing mandate beside them (decision 0027).
    const rows = await h.ctx.db.selectFrom("mandates").select(["id", "customer_id", "account_id", "debit_type", "source"]).where("company_id", "=", t.id).orderBy("created_at").execute();
    // Both are made at the same instant of the test clock: compare without their order.
    expect(rows.map((r) => [r.customer_id, r.account_id, r.debit_type, r.source]).sort((a, b) => String(a[2]).localeCompare(String(b[2])))).toEqual([
      [customerId, done.success!.account_id, "fixed", "widget"],
      [customerId, done.success!.account_id, "variable", "widget"],
    ]);
    // The bank consent behind them was given for the first mandate: bound to it, no standing authority.
    const consent = await h.ctx.db.selectFrom("payment_consents").select(["standing", "bound_mandate_id"]).where("company_id", "=", t.id).executeTakeFirstOrThrow();
    expect(consent).toEqual({ standing: false, bound_mandate_id: one.mandate.id });
    // One customer, one account: the relink refreshed the record.
    expect(await h.ctx.db.selectFrom("customers").select("id").where("company_id", "=", t.id).execute()).toHaveLength(1);
  });
});

describe("a future payment (debitLater one-time) charged later by the company", () => {
  it("is charged by pay/authorization/initiate within the cap the consent screen stated; above it is a 422 naming amount, nothing charged", async () => {
    const t = await merchant("Later Co");
    const w = await W.open(t, { debitLater: true, debitType: "one-time", debitAmount: 2_500_000 });
    const accounts = await w.accounts("okro_good");
    const created = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    const done = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { mandate_id: created.mandate.id, pin: "1234" }));
    expect(done.success?.authorization).toMatchObject({ debit_type: "variable", max_total: 2_500_000, max_per_charge: 2_500_000, schedule: null });
    for (let i = 0; i < 3; i++) {
      clock.advance(6 * MINUTE);
      await runJobs(t);
    }
    const api = (path: string, body: object) => h.request({ method: "POST", url: `/v2${path}`, headers: bearer(t.sandbox.secret_key), payload: body as Record<string, unknown> });
    const over = await api("/pay/authorization/initiate", { authorization: created.mandate.id, amount: 2_500_001, currency: "NGN", oneTime: true });
    expect([over.statusCode, over.json().message.split(":")[0]]).toEqual([422, "amount"]);
    const charged = await api("/pay/authorization/initiate", { authorization: created.mandate.id, amount: 2_500_000, currency: "NGN", oneTime: true });
    expect(charged.statusCode, charged.body).toBe(200);
    // Today (10 January 2027) is a Sunday: the charge is taken the next business day, Monday at 08:00 Lagos (decision 0027).
    expect(charged.json().data.upcoming.map((u: { date: string; scheduled_date: string }) => [u.scheduled_date, u.date])).toEqual([["2027-01-10", "2027-01-11"]]);
    await runJobs(t);
    expect(await h.ctx.db.selectFrom("payments").select("id").where("mandate_id", "=", created.mandate.id).execute()).toEqual([]);
    clock.advance(24 * 60 * MINUTE);
    await runJobs(t);
    clock.advance(6 * MINUTE);
    await runJobs(t);
    const payments = await h.ctx.db.selectFrom("payments").select(["amount", "state", "mandate_cycle"]).where("mandate_id", "=", created.mandate.id).execute();
    expect(payments.map((p) => [Number(p.amount), p.mandate_cycle, p.state])).toEqual([[2_500_000, 0, expect.stringMatching(/^(succeeded|settled)$/)]]);
  });
});

describe("the payer's page", () => {
  it("shows the mandates of the customer the bank login proved, and withdraws one: cancelled by the payer, the company told", async () => {
    const t = await merchant("Payer Co");
    const w = await W.open(t, monthly);
    const accounts = await w.accounts("okro_good");
    const created = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { mandate_id: created.mandate.id, otp: "123456" }));
    // Someone else's mandate with the same company (another login) is not shown to this payer.
    const other = await W.open(t, monthly);
    const otherAccounts = await other.accounts("okro_otp");
    const theirs = expectSuccess<MandateResponse>(await other.post("/api/mandates", { account_id: otherAccounts[0]!.id }));

    const page = await W.open(t, { manage_mandates: true });
    expect(page.s.payer).toEqual({ merchant: "Payer Co" });
    expect(page.s.mandate).toBeNull();
    // Before the bank login proves who they are: nothing.
    expect(expectError(await page.get("/api/payer/mandates"), 409, "CONFLICT").message).toMatch(/log in to your bank first/);
    await page.accounts("okro_good");
    const listed = expectSuccess<PayerMandatesResponse>(await page.get("/api/payer/mandates"));
    // The proven customer's mandate is there — alone: the bank consent behind it was given for it and is no standing mandate (decision 0027) — and nobody else's.
    expect(listed.mandates.map((m) => [m.id, m.status])).toEqual([[created.mandate.id, "awaiting_bank"]]);
    expect(listed.mandates.map((m) => m.id)).not.toContain(theirs.mandate.id);
    expect(listed.customer?.name).toBeTruthy();
    expect(expectError(await page.post("/api/payer/mandates/withdraw", { mandate_id: theirs.mandate.id }), 404, "NOT_FOUND").message).toMatch(/^mandate_id: /);
    expect(expectError(await page.post("/api/connect", { account_ids: [accounts[0]!.id], consent: true }), 409, "CONFLICT").message).toMatch(/payer's page/);

    const withdrawn = expectSuccess<{ mandate: WidgetMandate }>(await page.post("/api/payer/mandates/withdraw", { mandate_id: created.mandate.id }));
    expect(withdrawn.mandate.status).toBe("cancelled");
    const row = await h.ctx.db.selectFrom("mandates").select(["state", "state_reason"]).where("id", "=", created.mandate.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "cancelled", state_reason: "withdrawn_by_payer" });
    expect((await eventsOf(h.ctx, t, created.mandate.id)).at(-1)).toBe("mandate.cancelled");
    // Withdrawn twice: a 409 naming its state; the other mandate is untouched.
    expect(expectError(await page.post("/api/payer/mandates/withdraw", { mandate_id: created.mandate.id }), 409, "CONFLICT").message).toMatch(/cancelled/);
    const theirRow = await h.ctx.db.selectFrom("mandates").select("state").where("id", "=", theirs.mandate.id).executeTakeFirstOrThrow();
    expect(theirRow.state).toBe("awaiting_customer");
  });
});

void ({} as ConnectResponse);
