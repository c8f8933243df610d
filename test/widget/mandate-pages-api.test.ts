import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import { kobo } from "../../src/lib/kobo.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { widgetOrigin } from "../../src/payments/links.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { CreateSessionResponse, LoginResponse, MandateResponse } from "../../src/widget/protocol.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { GTBANK, eventsOf, paymentLink, receivingAccount } from "./payment-fixtures.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget's mandate flow opened by something other than okra-js options (decision 0022):
 * a recurring payment link (`payment_link`: its mandate and first charge are made by the
 * customer's authorisation, payRecurringLink) and a mandate the API created that waits for the
 * customer (`mandate`: the `/mandate/<id>` page its `url` names; terms from the stored mandate).
 * Over the session API against the in-process sandbox banks, PGlite or DATABASE_URL.
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

class W {
  constructor(readonly s: CreateSessionResponse) {}
  static raw(extra: Record<string, unknown>) {
    return widget.inject({ method: "POST", url: "/api/sessions", payload: extra });
  }
  static async open(extra: Record<string, unknown>): Promise<W> {
    return new W(expectSuccess<CreateSessionResponse>(await W.raw(extra)));
  }
  post(url: string, payload: unknown = {}) {
    return widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${this.s.session_token}` }, payload: payload as object });
  }
  async accounts(identifier = "okro_good") {
    let step = expectSuccess<LoginResponse>(await this.post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier, secret: "pass_good" }));
    if (step.step === "mfa") step = expectSuccess<LoginResponse>(await this.post("/api/mfa", { answer: "123456" }));
    if (step.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(step)}`);
    return step.accounts;
  }
}

async function merchant(name: string) {
  const t = await h.newTenant(name);
  await receivingAccount(h.ctx, t);
  return t;
}

const api = async (t: NewCompany, url: string, payload: object) => {
  const res = await h.request({ method: "POST", url, headers: bearer(t.sandbox.secret_key), payload });
  return { status: res.statusCode, body: res.json() };
};
async function runJobs(t: NewCompany, times = 3) {
  const runner = new JobRunner(h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [t.id] });
  for (let i = 0; i < times; i++) {
    clock.advance(6 * 60_000);
    await runner.runOnce();
  }
}
const lineOf = (m: { lines: { key: string; label: string; value: string }[] }, key: string) => m.lines.filter((l) => l.key === key).map((l) => `${l.label}: ${l.value}`);
const mandatesOf = (t: NewCompany) => h.ctx.db.selectFrom("mandates").selectAll().where("company_id", "=", t.id).execute();
const chargesOf = (mandateId: string) => h.ctx.db.selectFrom("payments").select(["id", "amount", "mandate_cycle", "state"]).where("mandate_id", "=", mandateId).execute();

describe("paying a recurring payment link in the widget", () => {
  it("states the link's terms, makes its mandate and first charge once on the bank's OTP, and a retry answers the same", async () => {
    const t = await merchant("Gym Lagos");
    const link = await paymentLink(h.ctx, t, { name: "Gold membership", note: null, amount: kobo(1_500_000), type: "recurring", reusable: false, schedule: { interval: "monthly", start_date: null, end_date: null, count: 12, day_of_month: null } });
    const w = await W.open({ payment_link: link.short_url });
    // Mandate mode, not a one-time payment: the consent screen's lines come from the link.
    expect(w.s.payment).toBeNull();
    const m = w.s.mandate!;
    expect(m).toMatchObject({ merchant: "Gym Lagos", kind: "recurring", amount: 1_500_000 });
    expect(lineOf(m, "amount")).toEqual(["How much: ₦15,000.00 each time, never more"]);
    expect(lineOf(m, "frequency")).toEqual(["How often: Every month on the 10th, 12 times"]);
    expect(lineOf(m, "from")).toEqual(["From: 10 Jan 2027"]);
    expect(lineOf(m, "until")).toEqual(["Until: 10 Dec 2027"]);
    expect(lineOf(m, "purpose")).toEqual(["For: Gold membership"]);
    const app = await h.ctx.db.selectFrom("apps").select("short_url").where("id", "=", t.sandbox.app_id).executeTakeFirstOrThrow();
    expect(m.lines.find((l) => l.key === "withdraw")?.href).toBe(`${widgetOrigin(h.ctx.config)}/mandates?short_url=${app.short_url}`);
    // That page opens (the bridge sends its query as options): the payer's page of this company.
    const payer = await W.open({ manage_mandates: true, short_url: app.short_url });
    expect(payer.s.payer).toEqual({ merchant: "Gym Lagos" });

    const accounts = await w.accounts();
    // Choosing the account links it; nothing is authorised, so no mandate exists yet.
    const chosen = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    expect(chosen).toMatchObject({ success: null, mandate: { id: "", status: "awaiting_customer", bank_name: "Guaranty Trust Bank", nuban_masked: `••••${accounts[0]!.nuban.slice(-4)}` } });
    expect(chosen.mandate.lines).toEqual(m.lines);
    expect(await mandatesOf(t)).toEqual([]);
    // The same account again: the same answer, still nothing made.
    expect(expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id })).mandate.id).toBe("");

    // A wrong code: the bank refuses, nothing is made, the code screen stays usable.
    expectError(await w.post("/api/mandates/authorise", { otp: "000000" }), 422, "UNPROCESSABLE");
    expect(await mandatesOf(t)).toEqual([]);

    const done = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { otp: "123456" }));
    expect(done.success).toMatchObject({ type: "authorization", customer_id: expect.any(String), account_id: expect.any(String), bank: { name: "Guaranty Trust Bank" }, env: "production-sandbox" });
    const auth = done.success!.authorization as { _id: string; status: string; amount: number; schedule: { interval: string; count: number } };
    expect(auth).toMatchObject({ amount: 1_500_000, schedule: { interval: "monthly", count: 12 } });
    expect(done.mandate.id).toBe(auth._id);

    // The bank activates the debit authority.
    await runJobs(t);
    // (Beside it, the standing mandate of the bank consent behind it: decision 0016.)
    const ofLink = async () => (await mandatesOf(t)).filter((r) => r.link_id !== null);
    expect((await ofLink()).map((r) => [r.id, r.state, r.link_id])).toEqual([[auth._id, "active", link.id]]);
    // The first cycle falls on Sunday 10 January: business days (decision 0027) take it on Monday 11th, nothing on Sunday.
    expect(await chargesOf(auth._id)).toEqual([]);

    // A retry of the authorisation (a lost reply) and of the account choice: the same mandate, nothing more made.
    const again = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { otp: "123456" }));
    expect(again.mandate.id).toBe(auth._id);
    expect((again.success!.authorization as { status: string }).status).toBe("active");
    expect(expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id })).mandate.id).toBe(auth._id);
    // Monday: the first cycle is charged, once.
    clock.advance(24 * 3600_000);
    await runJobs(t);
    await runJobs(t);
    expect((await ofLink()).length).toBe(1);
    const charges = await chargesOf(auth._id);
    expect(charges.map((c) => [Number(c.amount), c.mandate_cycle])).toEqual([[1_500_000, 0]]);
    // The single-use link is used: a new session for it is refused, naming the link.
    expect(expectError(await W.raw({ payment_link: link.short_url }), 404, "NOT_FOUND").data.field).toBe("payment_link");
    expect(await eventsOf(h.ctx, t, auth._id)).toEqual(expect.arrayContaining(["mandate.created", "mandate.active"]));
  });
  it("a process that died mid-authorisation leaves nothing made and the session claimable again once stale; the retry makes the mandate once", async () => {
    const t = await merchant("Pool Lagos");
    const link = await paymentLink(h.ctx, t, { name: "Swim club", note: null, amount: kobo(500_000), type: "recurring", reusable: false, schedule: { interval: "monthly", start_date: null, end_date: null, count: null, day_of_month: null } });
    const w = await W.open({ payment_link: link.short_url });
    const accounts = await w.accounts();
    expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    // What a crash during the bank call leaves: the session claimed (`connecting`), nothing made.
    const claimed = await h.ctx.db.updateTable("widget_sessions").set({ step: "connecting", updated_at: clock.now() }).where("company_id", "=", t.id).where("step", "=", "paying").returning("id").execute();
    expect(claimed.length).toBe(1);
    // While the claim is fresh, a second authorisation is refused (another tab may be at the bank).
    expect(expectError(await w.post("/api/mandates/authorise", { otp: "123456" }), 409, "CONFLICT").data.reason).toBe("authorising");
    expect(await mandatesOf(t)).toEqual([]);
    // Once stale, the customer's retry takes the claim over and authorises.
    clock.advance(6 * 60_000);
    const done = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { otp: "123456" }));
    expect(done.mandate.id).not.toBe("");
    const session = await h.ctx.db.selectFrom("widget_sessions").select(["step", "result"]).where("id", "=", claimed[0]!.id).executeTakeFirstOrThrow();
    // The session knows the mandate it made (written in the mandate's own transaction).
    expect(["paying", "done"]).toContain(session.step);
    expect((typeof session.result === "string" ? JSON.parse(session.result) : session.result).mandate_id).toBe(done.mandate.id);
    expect((await mandatesOf(t)).filter((r) => r.link_id !== null).map((r) => r.id)).toEqual([done.mandate.id]);
  });
});

describe("authorising a mandate the API created, on its /mandate/<id> page", () => {
  /** A customer with a linked GTB account (paid a one-time-capped authorisation in the widget first). */
  async function linkedAccount(t: NewCompany) {
    const w = await W.open({ key: t.sandbox.public_key, env: "production-sandbox", debitLater: true, debitAmount: 100_000 });
    const accounts = await w.accounts();
    const made = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: accounts[0]!.id }));
    const done = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { mandate_id: made.mandate.id, pin: "1234" }));
    return { accountId: done.success!.account_id, nuban: accounts[0]!.nuban, other: accounts[1]! };
  }

  it("answers with url; the page states the stored terms, takes the account it names and the OTP, and the jobs activate it", async () => {
    const t = await merchant("Water Co");
    const { accountId, other } = await linkedAccount(t);
    const created = await api(t, "/v2/mandates/create", { account: accountId, debit_type: "fixed", amount: 750_000, interval: "monthly", start_date: "2027-02-01", end_date: "2027-07-31", purpose: "Water delivery" });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const mandate = created.body.data.mandate as { id: string; status: string; url: string };
    expect(mandate.status).toBe("awaiting_customer");
    expect(mandate.url).toBe(`${widgetOrigin(h.ctx.config)}/mandate/${mandate.id}`);
    // The same url on get and on Okra's authorization answers.
    expect((await api(t, "/v2/mandates/get", { id: mandate.id })).body.data.mandate.url).toBe(mandate.url);

    // The page (the bridge sends the id as `mandate`): the stored terms, whatever else the URL says.
    const w = await W.open({ mandate: mandate.id, debitAmount: 1, debitLater: true });
    expect(w.s.payment).toBeNull();
    expect(w.s.banks.map((b) => b.name)).toEqual(["Guaranty Trust Bank"]);
    expect(w.s.mandate).toMatchObject({ merchant: "Water Co", kind: "recurring", amount: 750_000 });
    expect(lineOf(w.s.mandate!, "amount")).toEqual(["How much: ₦7,500.00 each time, never more"]);
    expect(lineOf(w.s.mandate!, "frequency")).toEqual(["How often: Every month on the 1st"]);
    expect(lineOf(w.s.mandate!, "until")).toEqual(["Until: 31 Jul 2027"]);
    expect(lineOf(w.s.mandate!, "purpose")).toEqual(["For: Water delivery"]);

    const accounts = await w.accounts();
    // Another account than the mandate's: refused naming account_id, and the mandate still waits.
    const wrong = expectError(await w.post("/api/mandates", { account_id: accounts.find((a) => a.nuban === other.nuban)!.id }), 422, "UNPROCESSABLE");
    expect(wrong.data.field).toBe("account_id");
    const own = accounts.find((a) => a.nuban !== other.nuban)!;
    const chosen = expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: own.id }));
    expect(chosen).toMatchObject({ success: null, mandate: { id: mandate.id, status: "awaiting_customer" } });
    // A new login before the code does not cancel the company's mandate (only unauthorised widget mandates are let go).
    await w.accounts();
    expect((await api(t, "/v2/mandates/get", { id: mandate.id })).body.data.mandate.status).toBe("awaiting_customer");
    expectSuccess<MandateResponse>(await w.post("/api/mandates", { account_id: own.id }));

    const done = expectSuccess<MandateResponse>(await w.post("/api/mandates/authorise", { mandate_id: mandate.id, otp: "123456" }));
    expect(done.success).toMatchObject({ type: "authorization", authorization: { _id: mandate.id }, account_id: accountId });
    await runJobs(t);
    expect((await api(t, "/v2/mandates/get", { id: mandate.id })).body.data.mandate.status).toBe("active");
    expect(await mandatesOf(t).then((r) => r.filter((m) => m.id === mandate.id).length)).toBe(1);

    // The page again: no form, the final state said in words.
    const over = expectError(await W.raw({ mandate: mandate.id }), 409, "CONFLICT");
    expect(over.data).toMatchObject({ reason: "mandate_unavailable", status: "active", field: "mandate" });
    expect(over.message).toMatch(/already authorised/);
  });

  it("a cancelled or unknown mandate's page is a final answer, not a form; pay/authorization/initiate answers carry the url too", async () => {
    const t = await merchant("Gas Co");
    const { accountId } = await linkedAccount(t);
    const created = await api(t, "/v2/mandates/create", { account: accountId, debit_type: "variable", max_total: 1_000_000, max_per_charge: 200_000 });
    const id = created.body.data.mandate.id as string;
    const planned = await api(t, "/v2/pay/authorization/initiate", { authorization: id, amount: 100_000, currency: "NGN", interval: "monthly" });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body.data.authorization.url).toBe(`${widgetOrigin(h.ctx.config)}/mandate/${id}`);
    expect((await api(t, "/v2/mandates/cancel", { id })).status).toBe(200);
    const cancelled = expectError(await W.raw({ mandate: id }), 409, "CONFLICT");
    expect(cancelled.data).toMatchObject({ reason: "mandate_unavailable", status: "cancelled" });
    expect(cancelled.message).toMatch(/cancelled/);
    expect(expectError(await W.raw({ mandate: "5f0000000000000000000000" }), 404, "NOT_FOUND").data).toMatchObject({ reason: "mandate_unavailable", field: "mandate" });
    expect(expectError(await W.raw({ mandate: "../etc" }), 404, "NOT_FOUND").data.field).toBe("mandate");
  });
});
