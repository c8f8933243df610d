import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { kobo } from "../../src/lib/kobo.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { lagosDate } from "../../src/mandates/schedule.js";
import { authoriseMandate, payRecurringLink } from "../../src/mandates/service.js";
import { grantConsent } from "../../src/payments/consents.js";
import { bearer } from "../harness.js";
import { activeConsent, consentDue, expectSoundLedger, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";

/**
 * Mandates end to end on the harness (PGlite, or PostgreSQL with DATABASE_URL): the API, the
 * `mandates.*` jobs on the one runner, the payments engine executing each charge against the
 * sandbox bank, all on a ManualClock.
 */

let w: World;
beforeAll(async () => {
  w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

const HOUR = 3_600_000;
/** The money was taken: confirmed by the bank, settled or not yet. */
const TAKEN = new Set(["succeeded", "settled"]);
const DAY = 24 * HOUR;

/** Runs the company's jobs — the mandates' and the payments engine's, on the one runner — until nothing more is due now. */
async function drive(_c: Company, runner: JobRunner) {
  await runner.runOnce();
}

/** Moves the platform clock to `iso`, then lets everything due run (and the charges' outcomes be read a few minutes later). */
async function at(c: Company, runner: JobRunner, iso: string) {
  w.clock.set(new Date(iso));
  await drive(c, runner);
  w.clock.advance(5 * 60_000);
  await drive(c, runner);
}

async function setUp(startIso: string, consentMax?: number) {
  w.clock.set(new Date(startIso));
  const c = await newCompany(w);
  await activeConsent(w, c, consentMax !== undefined ? kobo(consentMax) : undefined);
  const runner = new JobRunner(w.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [c.tenant.id] });
  const api = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    w.h.request({ method: "POST", url: `/v2${path}`, headers: { ...bearer(c.tenant.sandbox.secret_key), ...headers }, payload: body as Record<string, unknown> });
  return { c, runner, api };
}

async function charges(c: Company, mandateId: string) {
  return w.h.ctx.db
    .selectFrom("payments")
    .selectAll()
    .where("company_id", "=", c.tenant.id)
    .where("mandate_id", "=", mandateId)
    .orderBy("mandate_cycle")
    .orderBy("charge_attempt")
    .execute();
}

async function mandateEvents(c: Company, mandateId: string) {
  const rows = await w.h.ctx.db.selectFrom("events").select(["type", "payload"]).where("company_id", "=", c.tenant.id).where("object_id", "=", mandateId).orderBy("sequence").execute();
  return rows.map((r) => {
    const payload = (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as { data: { status: string; detail?: Record<string, unknown> } };
    return { type: r.type, status: payload.data.status, detail: payload.data.detail ?? {} };
  });
}

describe("recurring payments: pay/initiate with type recurring", () => {
  it("a monthly schedule started on 31 January charges on 31 Jan, 28 Feb and 31 Mar, each an ordinary payment", async () => {
    const { c, runner, api } = await setUp("2027-01-31T07:30:00Z");
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 10_000, currency: "NGN", type: "recurring", schedule: { interval: "monthly", startDate: "2027/01/31", businessDays: "none" } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.message).toContain("NGN 100.00 every month on the 31st (the last day in shorter months), starting 2027-01-31, on an ongoing basis until cancelled");
    expect(body.data.mandate).toMatchObject({ status: "active", debit_type: "fixed", amount: 10_000, schedule: { interval: "monthly", start_date: "2027-01-31", timezone: "Africa/Lagos" } });
    // The first cycle fell due today (08:00 Lagos has passed): charged now, an ordinary pending payment.
    expect(body.data.payment).toMatchObject({ amount: 10_000, status: "pending", type: "recurring", mandate: { _id: body.data.mandate._id, cycle: 0, attempt: 1 } });
    expect(body.data.upcoming.map((u: { date: string }) => u.date)).toEqual(["2027-02-28", "2027-03-31", "2027-04-30"]);
    const id = body.data.mandate._id as string;

    await at(c, runner, "2027-01-31T08:00:00Z");
    await at(c, runner, "2027-02-27T23:59:00Z");
    expect(await charges(c, id)).toHaveLength(1);
    await at(c, runner, "2027-02-28T07:00:00Z");
    await at(c, runner, "2027-03-31T07:00:00Z");
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, lagosDate(r.created_at), TAKEN.has(r.state)])).toEqual([
      [0, "2027-01-31", true],
      [1, "2027-02-28", true],
      [2, "2027-03-31", true],
    ]);
    // Verify and the payment's own events work as for any payment.
    const verify = await api("/pay/verify", { payment_id: rows[1]!.id });
    expect(verify.json().data.payment_status).toMatchObject({ mandate: { _id: id, cycle: 1, attempt: 1 } });
    expect(["success_pending_validation", "completed"]).toContain(verify.json().data.payment_status.status);
    expect(await expectSoundLedger(w, c)).toEqual([]);
    const events = await mandateEvents(c, id);
    expect(events.filter((e) => e.type === "mandate.charge_succeeded").map((e) => e.detail.cycle)).toEqual([0, 1, 2]);
  });

  it("advancing the clock a year gives exactly 12 charges, one per cycle", async () => {
    const { c, runner, api } = await setUp("2027-01-01T06:00:00Z");
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 5_000, type: "recurring", schedule: { interval: "monthly" } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.payment).toBeNull(); // 07:00 Lagos: the first cycle is due at 08:00
    const id = res.json().data.mandate._id as string;
    await at(c, runner, "2027-12-31T20:00:00Z");
    const rows = await charges(c, id);
    expect(rows.map((r) => r.mandate_cycle)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rows.every((r) => TAKEN.has(r.state) && r.charge_attempt === 1)).toBe(true);
    // Running everything again charges nothing more.
    await drive(c, runner);
    expect(await charges(c, id)).toHaveLength(12);
    const upcoming = await api("/mandates/upcoming", { id, limit: 2 });
    expect(upcoming.json().data.upcoming).toEqual([
      // Saturday 1 January 2028 is charged Monday 3rd; the next cycle keeps its anchor, the 1st.
      { cycle: 12, date: "2028-01-03", scheduled_date: "2028-01-01", amount: 5_000 },
      { cycle: 13, date: "2028-02-01", scheduled_date: "2028-02-01", amount: 5_000 },
    ]);
  });

  it("pausing skips the cycles that fall due while paused; resuming charges the next one", async () => {
    const { c, runner, api } = await setUp("2027-03-01T08:00:00Z");
    const id = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: 7_000, type: "recurring", schedule: { interval: "weekly" } })).json().data.mandate._id as string;
    await at(c, runner, "2027-03-01T09:00:00Z");
    expect(await charges(c, id)).toHaveLength(1);
    const paused = await api("/mandates/pause", { id }, { "idempotency-key": `pause-${id}` });
    expect(paused.json().data.mandate.status).toBe("paused");
    // Twice the same key: the same answer, not a 409 for pausing a paused mandate.
    expect((await api("/mandates/pause", { id }, { "idempotency-key": `pause-${id}` })).json().data.mandate.status).toBe("paused");
    expect((await api("/mandates/pause", { id })).statusCode).toBe(409);
    await at(c, runner, "2027-03-15T09:00:00Z");
    expect(await charges(c, id)).toHaveLength(1);
    expect((await api("/mandates/resume", { id })).json().data.mandate.status).toBe("active");
    await at(c, runner, "2027-03-22T09:00:00Z");
    const rows = await charges(c, id);
    expect(rows.map((r) => r.mandate_cycle)).toEqual([0, 3]);
    const skipped = (await mandateEvents(c, id)).filter((e) => e.type === "mandate.charge_skipped");
    expect(skipped.map((e) => [e.detail.cycle, e.detail.reason])).toEqual([
      [1, "paused"],
      [2, "paused"],
    ]);
  });

  it("a cancelled mandate charges nothing more; one revoked at the bank stops with the reason and charges nothing more", async () => {
    const { c, runner, api } = await setUp("2027-05-10T08:00:00Z");
    const one = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: 2_000, type: "recurring", schedule: { interval: "daily" } })).json().data.mandate._id as string;
    await at(c, runner, "2027-05-10T09:00:00Z");
    const cancelled = await api("/pay/authorization/cancel", { authorization: one, customer: c.account.customerId, link: "" });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().data.authorization).toMatchObject({ status: "cancelled", disconnect: true });
    expect((await api("/pay/authorization/cancel", { authorization: one })).statusCode).toBe(409);
    await at(c, runner, "2027-05-14T09:00:00Z");
    expect(await charges(c, one)).toHaveLength(1);

    // Revoked at the bank: the next charge is refused there (1027) and the mandate stops.
    const two = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: 2_000, type: "recurring", schedule: { interval: "daily" } })).json().data.mandate._id as string;
    const consent = await w.h.ctx.db.selectFrom("payment_consents").selectAll().where("company_id", "=", c.tenant.id).executeTakeFirstOrThrow();
    await c.customer.connector.cancelMandate({ mandateId: consent.mandate_id! });
    await at(c, runner, "2027-05-14T10:00:00Z");
    await at(c, runner, "2027-05-15T09:00:00Z");
    const m = (await api("/mandates/get", { id: two })).json().data.mandate;
    expect(m).toMatchObject({ status: "revoked", status_reason: "bank_authority_ended" });
    const rows = await charges(c, two);
    expect(rows.map((r) => [r.state, r.failure_code])).toEqual([["failed", "1027"]]);
    const failed = (await mandateEvents(c, two)).find((e) => e.type === "mandate.charge_failed")!;
    expect(failed.detail).toMatchObject({ cycle: 0, attempt: 1, failure: "mandate", will_retry: false, next_retry_at: null });
    expect((await mandateEvents(c, two)).at(-1)).toMatchObject({ type: "mandate.revoked", status: "revoked" });
    await at(c, runner, "2027-05-20T09:00:00Z");
    expect(await charges(c, two)).toHaveLength(1);
  });

  it("insufficient funds is retried per the policy (3 tries, 24 h apart), then the cycle stops with will_retry false; the next cycle still runs", async () => {
    w.clock.set(new Date("2027-06-01T06:00:00Z"));
    const probe = await newCompany(w);
    const balance = await probe.customer.connector.getBalance({ session: probe.customer.session, accountId: probe.account.bankAccountId });
    const { c, runner, api } = await setUp("2027-06-01T06:00:00Z", balance.available * 10);
    const id = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: balance.available + 1, type: "recurring", schedule: { interval: "monthly" } })).json().data.mandate._id as string;
    // Without the balance check, every try goes to the bank (the check is the next test's).
    await w.h.ctx.db.updateTable("mandates").set({ retry_balance_check: false }).where("id", "=", id).execute();
    await at(c, runner, "2027-06-01T07:00:00Z");
    await at(c, runner, "2027-06-02T07:05:00Z");
    await at(c, runner, "2027-06-03T07:10:00Z");
    await at(c, runner, "2027-06-20T07:10:00Z");
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, r.charge_attempt, r.state, r.failure_code])).toEqual([
      [0, 1, "errored", "1013"],
      [0, 2, "errored", "1013"],
      [0, 3, "errored", "1013"],
    ]);
    const failures = (await mandateEvents(c, id)).filter((e) => e.type === "mandate.charge_failed").map((e) => e.detail);
    expect(failures.map((f) => [f.cycle, f.attempt, f.failure, f.will_retry])).toEqual([
      [0, 1, "insufficient_funds", true],
      [0, 2, "insufficient_funds", true],
      [0, 3, "insufficient_funds", false],
    ]);
    // The retry comes spacing_hours after the failure was seen, and says when.
    expect(Date.parse(failures[0]!.next_retry_at as string) - Date.parse("2027-06-01T07:05:00Z")).toBeLessThanOrEqual(24 * HOUR);
    expect(failures[2]!.next_retry_at).toBeNull();
    expect((await api("/mandates/get", { id })).json().data.mandate.status).toBe("active");
    await at(c, runner, "2027-07-01T07:00:00Z");
    expect((await charges(c, id)).map((r) => [r.mandate_cycle, r.charge_attempt])).toContainEqual([1, 1]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("payment consents are mandates", () => {
  it("a consent's standing mandate follows it to active; cancelled or paused it refuses one-off debits; consenting again gives a new one", async () => {
    w.clock.set(new Date("2027-02-01T09:00:00Z"));
    const c = await newCompany(w);
    await c.faults({ mandateActivationDelayMs: 0 });
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) }, maxAmount: kobo(50_000) });
    expect(consent.status).toBe("active");
    const api = (path: string, body: unknown) => w.h.request({ method: "POST", url: `/v2${path}`, headers: bearer(c.tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
    const listed = (await api("/mandates/list", { customer: c.account.customerId })).json().data.mandates;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: "active", debit_type: "variable", max_per_charge: 50_000, max_total: null, schedule: null, account: c.account.id });
    expect(listed[0].description).toContain("at most NGN 500.00 per charge");
    const id = listed[0]._id as string;
    expect((await mandateEvents(c, id)).map((e) => e.type)).toEqual(["mandate.active"]);

    // Debits are checked against it: its cap per charge, its state.
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 50_001 })).json()).toMatchObject({ status: "error", data: { reason: "above_consent_limit" } });
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 1_000 })).statusCode).toBe(200);
    expect((await api("/mandates/pause", { id })).statusCode).toBe(200);
    const paused = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 1_000 });
    expect([paused.statusCode, paused.json().message.split(":")[0], paused.json().data.reason]).toEqual([422, "account_to_debit", "no_consent"]);
    expect((await api("/mandates/resume", { id })).statusCode).toBe(200);
    expect((await api("/mandates/cancel", { id })).statusCode).toBe(200);
    const cancelled = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 1_000 });
    expect([cancelled.statusCode, cancelled.json().message]).toEqual([422, expect.stringContaining("withdrawn or cancelled")]);

    // The customer consents again (the widget): the same bank consent, a new standing mandate.
    const again = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(again.id).toBe(consent.id);
    const now = (await api("/mandates/list", { customer: c.account.customerId, status: "active" })).json().data.mandates;
    expect(now.map((m: { _id: string }) => m._id)).not.toContain(id);
    expect(now).toHaveLength(1);
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 1_000 })).statusCode).toBe(200);
  });

  it("a consent given for one mandate is bound to it: no standing mandate, and debits on request are refused naming account_to_debit until the customer gives payment consent", async () => {
    w.clock.set(new Date("2027-02-01T09:00:00Z"));
    const c = await newCompany(w);
    await c.faults({ mandateActivationDelayMs: 0 });
    const api = (path: string, body: unknown) => w.h.request({ method: "POST", url: `/v2${path}`, headers: bearer(c.tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
    // The customer authorises ₦5,000 a month, and nothing else.
    const created = (await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 500_000, interval: "monthly", purpose: "Gym" })).json().data.mandate;
    const authorised = await authoriseMandate(w.h.ctx, c.scope, created._id, { bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(authorised.state).toBe("active");
    const consent = await w.h.ctx.db.selectFrom("payment_consents").selectAll().where("company_id", "=", c.tenant.id).executeTakeFirstOrThrow();
    expect([consent.standing, consent.bound_mandate_id, consent.max_amount]).toEqual([false, created._id, 500_000n]);
    const mandates = async () => (await w.h.ctx.db.selectFrom("mandates").select(["id", "source"]).where("company_id", "=", c.tenant.id).execute()).map((m) => [m.id, m.source]);
    expect(await mandates()).toEqual([[created._id, "api"]]);
    expect((await api("/mandates/list", { customer: c.account.customerId })).json().data.mandates.map((m: { _id: string }) => m._id)).toEqual([created._id]);

    // Debits on request, a new schedule or a garnishment on "the consent": a 422 naming account_to_debit and the authorization it covers; nothing written.
    const refused = [
      { account_to_debit: c.account.id, amount: 1_000 },
      { account_to_debit: c.account.id, amount: 1_000, type: "recurring", schedule: { interval: "weekly" } },
      { account_to_debit: c.account.id, amount: 100_000, currency: "NGN", type: "garnish", schedule: { interval: "weekly" } },
    ];
    for (const body of refused) {
      const r = await api("/pay/initiate", body);
      expect([r.statusCode, r.json().message.split(":")[0], r.json().data.reason, r.json().data.authorization], JSON.stringify(body)).toEqual([422, "account_to_debit", "consent_bound_to_mandate", created._id]);
    }
    expect(await mandates()).toEqual([[created._id, "api"]]);
    expect(await w.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
    expect(await w.h.ctx.db.selectFrom("garnishments").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
    // The mandate itself is charged as authorised.
    await new JobRunner(w.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [c.tenant.id] }).runOnce();
    expect((await charges(c, created._id)).map((p) => [p.mandate_cycle, Number(p.amount)])).toEqual([[0, 500_000]]);

    // Later the customer saves the account for future payments (the widget's payment consent): the same bank consent, now standing, with its standing mandate.
    const again = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect([again.id, again.standing]).toEqual([consent.id, true]);
    expect((await mandates()).map((m) => m[1]).sort()).toEqual(["api", "consent"]);
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 1_000 })).statusCode).toBe(200);
  });

  it("a consent the bank activates later: its mandate waits for the bank, then is active", async () => {
    w.clock.set(new Date("2027-02-01T09:00:00Z"));
    const c = await newCompany(w);
    await c.faults({ mandateActivationDelayMs: 60 * 60_000 });
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(consent.status).toBe("pending");
    const standing = () => w.h.ctx.db.selectFrom("mandates").selectAll().where("consent_id", "=", consent.id).where("source", "=", "consent").executeTakeFirstOrThrow();
    expect((await standing()).state).toBe("awaiting_bank");
    const runner = c.worker();
    w.clock.advance(61 * 60_000);
    await runner.runOnce();
    expect((await standing()).state).toBe("active");
    expect((await mandateEvents(c, (await standing()).id)).map((e) => e.type)).toEqual(["mandate.active"]);
  });
});

describe("recurring payment links", () => {
  it("pay/link/create with type recurring states its schedule in words; paying it sets up the link's mandate, charges the first cycle and uses the link", async () => {
    const { c, runner, api } = await setUp("2027-02-01T09:00:00Z");
    await w.h.request({ method: "POST", url: "/v2/pay/accounts/create", headers: bearer(c.tenant.sandbox.secret_key), payload: {} });
    const created = await api("/pay/link/create", { name: "Gym monthly", amount: 15_000, currency: "NGN", type: "recurring", schedule: { interval: "monthly", count: 3 }, support_email: "gym@example.com" });
    expect(created.statusCode, created.body).toBe(200);
    const link = created.json().data.link;
    expect(link).toMatchObject({ type: "recurring", amount: 15_000, schedule: { interval: "monthly", start_date: null, end_date: null, count: 3, day_of_month: null } });
    expect(link.schedule_description).toBe("NGN 150.00 every month, starting the day you pay, 3 times; a charge falling on a weekend or public holiday is taken the next business day, within the same month");
    const dated = (await api("/pay/link/create", { name: "Rent", amount: 500_000, type: "recurring", schedule: { interval: "monthly", startDate: "2027/03/31", endDate: "2027-12-31" }, support_email: "rent@example.com" })).json().data.link;
    expect(dated.schedule_description).toBe("NGN 5,000.00 every month on the 31st (the last day in shorter months), starting 2027-03-31, until 2027-12-31; a charge falling on a weekend or public holiday is taken the next business day, within the same month");

    const paid = await payRecurringLink(w.h.ctx, c.scope, link._id, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(paid.mandate).toMatchObject({ state: "active", source: "link", link_id: link._id, debit_type: "fixed", amount: 15_000n, interval: "monthly", count: 3, start_date: "2027-02-01" });
    expect(paid.first).toMatchObject({ kind: "charged" });
    expect((await api("/pay/link/get", { id: link._id })).json().data.link).toMatchObject({ status: "used", payments_count: 1 });
    // Used: a second payer is refused, and nothing more is set up.
    await expect(payRecurringLink(w.h.ctx, c.scope, link._id, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } })).rejects.toMatchObject({ field: "payment_link" });
    await at(c, runner, "2027-03-01T09:00:00Z");
    await at(c, runner, "2027-04-01T09:00:00Z");
    const rows = await charges(c, paid.mandate.id);
    expect(rows.map((r) => [r.mandate_cycle, lagosDate(r.created_at), TAKEN.has(r.state)])).toEqual([
      [0, "2027-02-01", true],
      [1, "2027-03-01", true],
      [2, "2027-04-01", true],
    ]);
    expect((await api("/mandates/get", { id: paid.mandate.id })).json().data.mandate.status).toBe("expired");
    // A one-time link is not a recurring one.
    const once = (await api("/pay/link/create", { name: "Once", amount: 1_000, support_email: "o@example.com" })).json().data.link;
    expect(once).toMatchObject({ schedule: null, schedule_description: null });
    await expect(payRecurringLink(w.h.ctx, c.scope, once._id, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } })).rejects.toMatchObject({ field: "payment_link" });
  });
});

describe("count-bounded schedules", () => {
  it("a schedule of 3 weekly charges is expired after its last charge, with mandate.expired saying the schedule completed, and charges nothing more", async () => {
    const { c, runner, api } = await setUp("2027-04-05T08:00:00Z");
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 4_000, type: "recurring", schedule: { interval: "weekly", count: 3 } });
    expect(res.statusCode).toBe(200);
    const id = res.json().data.mandate._id as string;
    await at(c, runner, "2027-04-05T09:00:00Z");
    await at(c, runner, "2027-04-12T09:00:00Z");
    expect((await api("/mandates/get", { id })).json().data.mandate.status).toBe("active");
    await at(c, runner, "2027-04-19T09:00:00Z");
    const m = (await api("/mandates/get", { id })).json().data.mandate;
    expect(m).toMatchObject({ status: "expired", status_reason: "schedule_completed" });
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, TAKEN.has(r.state)])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    const events = await mandateEvents(c, id);
    expect(events.at(-1)).toMatchObject({ type: "mandate.expired", status: "expired", detail: { reason: "schedule_completed", cycle: 2, count: 3 } });
    // The last charge's success came before the expiry.
    expect(events.map((e) => e.type).slice(-2)).toEqual(["mandate.charge_succeeded", "mandate.expired"]);
    await at(c, runner, "2027-05-30T09:00:00Z");
    expect(await charges(c, id)).toHaveLength(3);
    expect((await api("/mandates/upcoming", { id })).json().data.upcoming).toEqual([]);
  });
});

describe("pre-debit notices", () => {
  it("mandate.charge_upcoming comes 3 days before each scheduled charge, once per cycle, with its date and amount; a paused mandate gets none", async () => {
    const { c, runner, api } = await setUp("2027-01-10T09:00:00Z");
    const id = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: 6_000, type: "recurring", schedule: { interval: "monthly" } })).json().data.mandate._id as string;
    const notices = async () => (await mandateEvents(c, id)).filter((e) => e.type === "mandate.charge_upcoming").map((e) => e.detail);
    // The first cycle was due at once: no notice for it.
    await at(c, runner, "2027-02-07T06:50:00Z");
    expect(await notices()).toEqual([]);
    await at(c, runner, "2027-02-07T07:00:00Z");
    expect(await notices()).toEqual([{ cycle: 1, date: "2027-02-10", amount: 6_000, currency: "NGN", charge_at: "2027-02-10T07:00:00.000Z", notice_days: 3 }]);
    await at(c, runner, "2027-02-10T07:00:00Z");
    expect((await charges(c, id)).map((r) => r.mandate_cycle)).toEqual([0, 1]);
    expect(await notices()).toHaveLength(1);
    // Paused before the next notice: none is sent, and the cycle is skipped.
    expect((await api("/mandates/pause", { id })).json().data.mandate.status).toBe("paused");
    await at(c, runner, "2027-03-10T09:00:00Z");
    expect(await notices()).toHaveLength(1);
    expect((await charges(c, id)).map((r) => r.mandate_cycle)).toEqual([0, 1]);
  });

  it("notice_days sets the notice per mandate (0: none), and a bad value names the field", async () => {
    const { c, api } = await setUp("2027-01-10T09:00:00Z");
    const bad = await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 100, interval: "monthly", notice_days: 31 });
    expect([bad.statusCode, bad.json().message.split(":")[0]]).toEqual([400, "notice_days"]);
    const none = await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 100, interval: "monthly", notice_days: 0, retry: { attempts: 2, spacing_hours: 12, balance_check: false } });
    expect(none.json().data.mandate).toMatchObject({ notice_days: 0, retry: { attempts: 2, spacing_hours: 12, balance_check: false } });
  });
});

describe("the balance check before an insufficient-funds retry", () => {
  it("a retry while the balance is below the amount is not sent to the bank; the try is spent per the policy and the event says so", async () => {
    w.clock.set(new Date("2027-06-01T06:00:00Z"));
    const probe = await newCompany(w);
    const balance = await probe.customer.connector.getBalance({ session: probe.customer.session, accountId: probe.account.bankAccountId });
    const { c, runner, api } = await setUp("2027-06-01T06:00:00Z", balance.available * 10);
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: balance.available + 1, type: "recurring", schedule: { interval: "monthly" } });
    const id = res.json().data.mandate._id as string;
    expect(res.json().data.mandate.retry).toEqual({ attempts: 3, spacing_hours: 24, balance_check: true });
    const balancesBefore = (await w.h.ctx.db.selectFrom("events").select("id").where("company_id", "=", c.tenant.id).where("type", "=", "balance.success").execute()).length;
    await at(c, runner, "2027-06-01T07:00:00Z");
    await at(c, runner, "2027-06-02T07:05:00Z");
    await at(c, runner, "2027-06-03T07:10:00Z");
    await at(c, runner, "2027-06-20T07:10:00Z");
    // Only the first try reached the bank.
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, r.charge_attempt, r.state, r.failure_code])).toEqual([[0, 1, "errored", "1013"]]);
    const failures = (await mandateEvents(c, id)).filter((e) => e.type === "mandate.charge_failed").map((e) => e.detail);
    expect(failures.map((f) => [f.cycle, f.attempt, f.failure, f.reason, f.will_retry])).toEqual([
      [0, 1, "insufficient_funds", "1013", true],
      [0, 2, "insufficient_funds", "insufficient_balance", true],
      [0, 3, "insufficient_funds", "insufficient_balance", false],
    ]);
    expect(failures[1]!.payment).toBeNull();
    // Each balance check asked the bank through the connector's refresh path, which tells the company as Okra does: balance.success for the account.
    const balanceEvents = (await w.h.ctx.db.selectFrom("events").select(["type", "payload"]).where("company_id", "=", c.tenant.id).where("type", "=", "balance.success").orderBy("sequence").execute()).slice(balancesBefore);
    expect(balanceEvents).toHaveLength(2);
    for (const e of balanceEvents) {
      const payload = (typeof e.payload === "string" ? JSON.parse(e.payload) : e.payload) as Record<string, unknown>;
      expect(JSON.stringify(payload)).toContain(c.account.id);
    }
    expect(failures[1]!.message).toContain(`available balance (${balance.available} kobo) is below the charge (${balance.available + 1} kobo)`);
    expect(Date.parse(failures[1]!.next_retry_at as string)).toBeGreaterThan(Date.parse("2027-06-02T07:00:00Z"));
    // The next cycle's first try goes to the bank as usual.
    await at(c, runner, "2027-07-01T07:00:00Z");
    expect((await charges(c, id)).map((r) => [r.mandate_cycle, r.charge_attempt])).toContainEqual([1, 1]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("business days", () => {
  it("a charge due on a weekend or public holiday runs the next business day (or the previous one), the upcoming charges say so, and the next cycle keeps its anchor", async () => {
    // Friday 25 December 2026 is Christmas, Monday 28th Boxing Day observed: monthly on the 25th.
    const { c, runner, api } = await setUp("2026-11-25T09:00:00Z");
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 7_000, type: "recurring", schedule: { interval: "monthly", startDate: "2026/11/26", dayOfMonth: 25 } });
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json().data.mandate;
    expect(m.schedule).toMatchObject({ business_days: "next", day_of_month: 25 });
    expect(res.json().message).toContain("a charge falling on a weekend or public holiday is taken the next business day, within the same month");
    const up = (await api("/mandates/upcoming", { id: m._id, limit: 3 })).json().data.upcoming;
    expect(up).toEqual([
      { cycle: 0, date: "2026-12-29", scheduled_date: "2026-12-25", amount: 7_000 },
      { cycle: 1, date: "2027-01-25", scheduled_date: "2027-01-25", amount: 7_000 },
      { cycle: 2, date: "2027-02-25", scheduled_date: "2027-02-25", amount: 7_000 },
    ]);
    await at(c, runner, "2026-12-25T09:00:00Z");
    expect(await charges(c, m._id)).toEqual([]);
    await at(c, runner, "2026-12-29T07:00:00Z");
    await at(c, runner, "2027-01-25T07:00:00Z");
    expect((await charges(c, m._id)).map((r) => [r.mandate_cycle, lagosDate(r.created_at)])).toEqual([
      [0, "2026-12-29"],
      [1, "2027-01-25"],
    ]);

    // `previous`, and `none`: Sunday 28 February 2027 is charged Friday 26th, or on the Sunday.
    const prev = (await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 100, interval: "monthly", start_date: "2027-02-01", day_of_month: 28, business_days: "previous" })).json().data.mandate;
    expect((await api("/mandates/upcoming", { id: prev._id, limit: 1 })).json().data.upcoming).toEqual([{ cycle: 0, date: "2027-02-26", scheduled_date: "2027-02-28", amount: 100 }]);
    const none = (await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 100, interval: "monthly", start_date: "2027-02-01", day_of_month: 28, business_days: "none" })).json().data.mandate;
    expect((await api("/mandates/upcoming", { id: none._id, limit: 1 })).json().data.upcoming).toEqual([{ cycle: 0, date: "2027-02-28", scheduled_date: "2027-02-28", amount: 100 }]);
    const bad = await api("/mandates/create", { account: c.account.id, debit_type: "fixed", amount: 100, interval: "monthly", business_days: "sometimes" });
    expect([bad.statusCode, bad.json().message.split(":")[0]]).toEqual([400, "business_days"]);
  });
});

describe("Okra's pay/authorization/* and Okro's mandates/*", () => {
  it("mandates/create waits for the customer; authorised with the bank it is active; pay/authorization/initiate schedules charges within its caps", async () => {
    const { c, runner, api } = await setUp("2027-02-01T09:00:00Z");
    const created = await api("/mandates/create", {
      account: c.account.id,
      debit_type: "variable",
      max_total: 100_000,
      max_per_charge: 30_000,
      max_per_period: 40_000,
      period: "monthly",
      end_date: "2027-12-31",
      purpose: "Gym membership",
      reference: "gym-001",
      options: { reference: "gym-001", plan: "gold" },
    });
    expect(created.statusCode).toBe(200);
    const mandate = created.json().data.mandate;
    expect(mandate).toMatchObject({ status: "awaiting_customer", debit_type: "variable", max_total: 100_000, start_date: "2027-02-01", end_date: "2027-12-31" });
    expect(mandate.description).toContain("at most NGN 300.00 per charge, at most NGN 400.00 per month, at most NGN 1,000.00 in all");
    // Not yet authorised: no charges can be planned against it until it is active, but the plan is accepted.
    const authorised = await authoriseMandate(w.h.ctx, c.scope, mandate._id, { bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(authorised.state).toBe("active");

    // Over the per-charge cap, another currency, a schedule ending before it starts, after the mandate's end: 4xx naming the field, nothing written.
    const refusals = [
      [{ authorization: mandate._id, amount: 30_001, startDate: "2027/02/01" }, 422, "amount"],
      [{ authorization: mandate._id, amount: 10_000, currency: "USD" }, 422, "currency"],
      [{ authorization: mandate._id, amount: 10_000, startDate: "2027/03/10", endDate: "2027/03/01" }, 400, "endDate"],
      [{ authorization: mandate._id, amount: 10_000, endDate: "2028-01-31" }, 422, "endDate"],
      [{ authorization: mandate._id, amount: 10_000, startDate: "2027/02/30" }, 400, "startDate"],
    ] as const;
    for (const [body, status, field] of refusals) {
      const r = await api("/pay/authorization/initiate", body);
      expect([r.statusCode, r.json().message.split(":")[0]], JSON.stringify(body)).toEqual([status, field]);
    }
    const plan = await api("/pay/authorization/initiate", { authorization: mandate._id, amount: 25_000, initialAmount: 30_000, currency: "NGN", startDate: "2027/02/01", interval: "monthly", oneTime: false });
    expect(plan.statusCode).toBe(200);
    expect(plan.json().message).toBe(
      "Future payment set up: an initial payment of NGN 300.00 on 2027-02-01, then payments of NGN 250.00 every month on the 1st, until 2027-12-31; a charge falling on a weekend or public holiday is taken the next business day, within the same month; at most NGN 300.00 per charge, at most NGN 400.00 per month, at most NGN 1,000.00 in all",
    );
    expect(plan.json().data.authorization).toMatchObject({ _id: mandate._id, duration: { startDate: "2027-02-01", endDate: "2027-12-31", interval: "monthly" } });
    expect((await api("/pay/authorization/initiate", { authorization: mandate._id, amount: 1_000 })).statusCode).toBe(409);

    // The total cap (₦1,000) stops the schedule after 300 + 250 + 250 = 800: the 4th charge would pass it.
    await at(c, runner, "2027-06-01T09:00:00Z");
    const rows = await charges(c, mandate._id);
    expect(rows.map((r) => Number(r.amount))).toEqual([30_000, 25_000, 25_000]);
    const skipped = (await mandateEvents(c, mandate._id)).filter((e) => e.type === "mandate.charge_skipped");
    expect(skipped.map((e) => [e.detail.cycle, e.detail.reason])).toEqual([
      [3, "above_total_cap"],
      [4, "above_total_cap"],
    ]);

    // Lists and lookups, as okra-node and pyokra call them.
    expect((await api("/pay/authorization/getByCustomer", { customer: c.account.customerId })).json().data.authorizations.map((a: { _id: string }) => a._id)).toContain(mandate._id);
    expect((await api("/pay/authorization/getByOptions", { options: { plan: "gold" } })).json().data.authorizations.map((a: { _id: string }) => a._id)).toEqual([mandate._id]);
    expect((await api("/pay/authorization/getByCustomer", { options: { reference: "gym-001" } })).json().data.authorizations).toHaveLength(1);
    // This one, and the customer's payment consent as a mandate (its standing mandate).
    const listed = (await api("/mandates/list", { status: "active", customer: c.account.customerId })).json().data;
    expect(listed.pagination.totalDocs).toBe(2);
    expect(listed.mandates.map((m: { _id: string; debit_type: string; max_per_charge: number }) => [m._id === mandate._id, m.debit_type])).toEqual(
      expect.arrayContaining([
        [true, "variable"],
        [false, "variable"],
      ]),
    );

    // Reauth: only once it ended; a fresh mandate with the same terms, awaiting the customer.
    expect((await api("/pay/authorization/reauth", { authorization: mandate._id })).statusCode).toBe(409);
    await api("/mandates/cancel", { id: mandate._id });
    const again = await api("/pay/authorization/reauth", { authorization: mandate._id, customer: c.account.customerId, link: "", account: c.account.id });
    expect(again.json().data.authorization).toMatchObject({ status: "awaiting_customer", replaces: mandate._id, max_total: 100_000, start_date: "2027-06-01" });
  });

  it("bad input names the field and writes nothing", async () => {
    const { c, api } = await setUp("2027-02-01T09:00:00Z");
    const cases = [
      [{ account: c.account.id, debit_type: "fixed" }, 400, "amount"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, max_total: 5_000 }, 400, "debit_type"],
      [{ account: c.account.id, debit_type: "variable" }, 400, "max_total"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, start_date: "2027-03-01", end_date: "2027-02-01" }, 400, "end_date"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, start_date: "2027-01-01" }, 400, "start_date"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, currency: "USD" }, 422, "currency"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, interval: "weekly", day_of_month: 3 }, 400, "day_of_month"],
      [{ account: c.account.id, debit_type: "fixed", amount: 1.5 }, 400, "amount"],
      [{ account: "0123456789abcdef01234567", debit_type: "fixed", amount: 100 }, 404, "account"],
      [{ account: c.account.id, debit_type: "fixed", amount: 100, colour: "red" }, 400, "colour"],
    ] as const;
    for (const [body, status, field] of cases) {
      const r = await api("/mandates/create", body);
      expect([r.statusCode, r.json().status], JSON.stringify(body)).toEqual([status, "error"]);
      expect(r.json().message, JSON.stringify(body)).toContain(field);
    }
    const recurring = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 100, type: "recurring", schedule: { interval: "monthly", startDate: "2027-03-01", endDate: "2027-02-01" } });
    expect([recurring.statusCode, recurring.json().message.split(":")[0]]).toEqual([400, "schedule.endDate"]);
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 100, type: "recurring" })).statusCode).toBe(400);
    expect((await api("/pay/initiate", { account_to_debit: c.account.id, amount: 100, type: "recurring", schedule: { interval: "fortnightly" } })).statusCode).toBe(400);
    // Nothing but the payment consent's standing mandate (from setUp).
    const written = await w.h.ctx.db.selectFrom("mandates").select("id").where("company_id", "=", c.tenant.id).where("source", "<>", "consent").execute();
    expect(written).toEqual([]);
    expect(await w.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
  });

  it("time travel: advancing the sandbox clock runs the charges that became due", async () => {
    const { c, runner, api } = await setUp("2027-08-01T09:00:00Z");
    // (1 August 2027 is a Sunday: charged on the day, the subject here being time travel.)
    const id = (await api("/pay/initiate", { account_to_debit: c.account.id, amount: 3_000, type: "recurring", schedule: { interval: "monthly", businessDays: "none" } })).json().data.mandate._id as string;
    await drive(c, runner);
    expect(await charges(c, id)).toHaveLength(1);
    const advanced = await api("/sandbox/clock/advance", { ms: 62 * DAY });
    expect(advanced.statusCode).toBe(200);
    await drive(c, runner);
    w.clock.advance(5 * 60_000);
    await drive(c, runner);
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, TAKEN.has(r.state)])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    const upcoming = (await api("/mandates/upcoming", { id, limit: 1 })).json().data.upcoming;
    expect(upcoming).toEqual([{ cycle: 3, date: "2027-11-01", scheduled_date: "2027-11-01", amount: 3_000 }]);
  });

  it("time travel: a recurring payment waiting for the bank to activate its mandate charges in the pass after the clock reaches the activation", async () => {
    w.clock.set(new Date("2027-03-01T09:00:00Z"));
    const c = await newCompany(w);
    await c.faults({ mandateActivationDelayMs: DAY });
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(consent.status).toBe("pending");
    const runner = new JobRunner(w.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [c.tenant.id] });
    const api = (path: string, body: unknown) => w.h.request({ method: "POST", url: `/v2${path}`, headers: bearer(c.tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
    const res = await api("/pay/initiate", { account_to_debit: c.account.id, amount: 2_000, type: "recurring", schedule: { interval: "daily" } });
    expect(res.json().data.mandate.status).toBe("awaiting_bank");
    const id = res.json().data.mandate._id as string;
    await runner.runOnce();
    expect((await api("/mandates/get", { id })).json().data.mandate.status).toBe("awaiting_bank");
    expect((await api("/sandbox/clock/advance", { ms: DAY })).statusCode).toBe(200);
    // One pass, with Okro's own clock where it was: the bank is asked, the mandate activates, the day's cycle is charged.
    await runner.runOnce();
    expect((await api("/mandates/get", { id })).json().data.mandate.status).toBe("active");
    const rows = await charges(c, id);
    expect(rows.map((r) => [r.mandate_cycle, lagosDate(new Date(r.created_at.getTime() + DAY))])).toEqual([[1, "2027-03-02"]]);
    expect(rows[0]!.state).toBe("succeeded");
  });

  it("time travel: a consent granted on a sandbox clock already ahead is checked when the bank's activation comes, not an offset later", async () => {
    w.clock.set(new Date("2027-03-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = (path: string, body: unknown) => w.h.request({ method: "POST", url: `/v2${path}`, headers: bearer(c.tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
    expect((await api("/sandbox/clock/advance", { ms: 10 * DAY })).statusCode).toBe(200);
    await c.faults({ mandateActivationDelayMs: DAY });
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(consent.status).toBe("pending");
    // The bank says "active in a day" on its clock (11 days ahead of ours once it activates): due a day from Okro's now.
    expect((await consentDue(w, consent.id))!.getTime() - w.clock.now().getTime()).toBe(DAY);
  });
});
