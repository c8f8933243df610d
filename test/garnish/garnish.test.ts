import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGarnishment, type NewGarnishment } from "../../src/garnish/service.js";
import { clockOffsetMs, createMandate } from "../../src/mandates/service.js";
import { expectSoundLedger, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { GARNISH_JOBS } from "../../src/garnish/sweeps.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { apiOf, bankBalance, debtor, garnishRunner } from "./world.js";

/**
 * Garnishments end to end on the harness (PGlite, or PostgreSQL with DATABASE_URL): a debtor with
 * accounts at several sandbox banks under one BVN, sweep mandates granted through the mandates
 * service, the `garnish.*` jobs with the payments engine on the one runner, a ManualClock.
 */

let w: World;
beforeAll(async () => {
  w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

const MIN = 60_000;
const DAY = 24 * 3_600_000;

function terms(customerId: string, over: Partial<NewGarnishment> = {}): NewGarnishment {
  return {
    customerId,
    mandateIds: null,
    currency: "NGN",
    principal: 9_000_000n,
    interest: 1_000_000n,
    penalties: null,
    floor: 0n,
    interval: "daily",
    dayOfMonth: null,
    startDate: null,
    endDate: null,
    accountToCredit: null,
    reference: null,
    purpose: "Loan 42",
    source: "api",
    ...over,
  };
}

async function create(c: Company, t: NewGarnishment) {
  const offsetMs = await clockOffsetMs(w.h.ctx, c.scope);
  return w.h.ctx.db.transaction().execute((trx) => createGarnishment(trx, w.h.ctx, c.scope, t, offsetMs));
}

async function debits(id: string) {
  return w.h.ctx.db.selectFrom("payments").selectAll().where("garnishment_id", "=", id).orderBy("created_at").orderBy("id").execute();
}

async function sweeps(id: string) {
  const rows = await w.h.ctx.db.selectFrom("garnishment_sweeps").selectAll().where("garnishment_id", "=", id).orderBy("seq").execute();
  return rows.map((r) => ({ ...r, accounts: (typeof r.accounts === "string" ? JSON.parse(r.accounts) : r.accounts) as Array<{ account: string; balance_seen: number | null; taken: number; payment: string | null; skipped: string | null }> }));
}

async function state(id: string) {
  return (await w.h.ctx.db.selectFrom("garnishments").select("state").where("id", "=", id).executeTakeFirstOrThrow()).state;
}

/** Runs everything due, then again a few minutes later (debits executed, outcomes read). */
async function settle(runner: ReturnType<typeof garnishRunner>, rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    await runner.runOnce();
    w.clock.advance(2 * MIN);
  }
}

describe("a debt over accounts at two banks", () => {
  it("collects what the balances allow, the rest as salaries land, and stops at exactly what is owed", async () => {
    w.clock.set(new Date("2027-03-01T09:00:00Z"));
    const c = await newCompany(w);
    const d = await debtor(w, c, { balances: [3_000_000, 2_000_000], maxTotal: 10_000_000, income: [{ amount: 4_000_000, payday: 5 }, { amount: 3_500_000, payday: 10 }] });
    expect(d.accounts.map((a) => a.bankId)[0]).not.toBe(d.accounts[1]!.bankId);
    const g = await create(c, terms(d.customerId));
    expect(g.state).toBe("active");
    const runner = garnishRunner(w, c);
    await settle(runner);
    const first = (await sweeps(g.id))[0]!;
    // Largest balance first, then the next; ₦50,000 of ₦100,000 on the first sweep.
    expect(first.accounts.map((a) => [a.account, a.balance_seen, a.taken])).toEqual([
      [d.accounts[0]!.accountId, 3_000_000, 3_000_000],
      [d.accounts[1]!.accountId, 2_000_000, 2_000_000],
    ]);
    expect(first.outcome).toBe("partial");
    expect(Number(first.taken)).toBe(5_000_000);
    // Salaries land on the 5th and the 10th; daily sweeps catch them.
    for (let day = 2; day <= 40 && (await state(g.id)) === "active"; day++) {
      w.clock.set(new Date(Date.UTC(2027, 2, day, 7, 30)));
      await settle(runner, 3);
    }
    expect(await state(g.id)).toBe("repaid");
    const rows = await debits(g.id);
    const taken = rows.filter((p) => p.state === "succeeded" || p.state === "settled").reduce((s, p) => s + p.amount, 0n);
    expect(taken).toBe(10_000_000n);
    // Never one account twice in a sweep.
    const pairs = rows.map((p) => `${p.mandate_cycle}:${p.account_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    // Each sweep's record matches its payments.
    for (const s of await sweeps(g.id)) {
      const ofSweep = rows.filter((p) => p.mandate_cycle === s.seq);
      expect(ofSweep.reduce((t, p) => t + p.amount, 0n)).toBe(s.taken);
      for (const line of s.accounts) {
        if (line.taken > 0) expect(line.taken).toBeLessThanOrEqual(line.balance_seen!);
      }
    }
    // Stopped: a month more of clock takes nothing.
    const count = rows.length;
    w.clock.advance(30 * DAY);
    await settle(runner, 2);
    expect(await debits(g.id)).toHaveLength(count);
    expect(await expectSoundLedger(w, c)).toEqual([]);
    expect(await bankBalance(w, c, d.accounts[0]!)).toBeGreaterThanOrEqual(0);
  }, 300_000);
});

async function events(c: Company, objectId: string) {
  const rows = await w.h.ctx.db.selectFrom("events").select(["type", "payload"]).where("company_id", "=", c.tenant.id).where("object_id", "=", objectId).orderBy("sequence").execute();
  return rows.map((r) => ({ type: r.type, data: ((typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as { data: Record<string, unknown> & { detail?: Record<string, unknown> } }).data }));
}

async function paymentCount(c: Company) {
  return Number((await w.h.ctx.db.selectFrom("payments").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).executeTakeFirstOrThrow()).n);
}

describe("garnish/* over the API", () => {
  it("refuses bad debts naming the field, and writes nothing", async () => {
    w.clock.set(new Date("2027-04-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [1_000_000], maxTotal: 5_000_000 });
    const bare = await debtor(w, c, { balances: [1_000_000], maxTotal: 5_000_000, mandate: "none" });
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ customer: bare.customerId, principal: 100_000 }, 422, "customer"],
      [{ customer: d.customerId, principal: 100_000, penalties: 5_000 }, 422, "penalties"],
      [{ customer: d.customerId, principal: 4_000_000, interest: 1_000_001 }, 422, "principal"],
      [{ customer: d.customerId, principal: 0 }, 400, "principal"],
      [{ customer: d.customerId, principal: 100_000, interest: -1 }, 400, "interest"],
      [{ customer: d.customerId, principal: 100_000, schedule: { interval: "daily", start_date: "2027-01-01" } }, 400, "schedule.start_date"],
      [{ mandates: [d.accounts[0]!.mandateId, d.accounts[0]!.mandateId], principal: 100_000 }, 400, "mandates"],
    ];
    for (const [body, status, field] of cases) {
      const res = await api("/garnish/create", body);
      expect([res.statusCode, (res.json().message as string).split(":")[0]], JSON.stringify(body)).toEqual([status, field]);
    }
    const list = await api("/garnish/list", {});
    expect(list.json().data.garnishments).toEqual([]);
    expect(await paymentCount(c)).toBe(0);
  }, 300_000);

  it("pause skips sweeps and refuses one on request; resume sweeps again; cancel stops for good", async () => {
    // 08:25 Lagos: the day's sweep (08:00) is due at once; generated account activity has minutes, not hours, to move the balances.
    w.clock.set(new Date("2027-05-03T07:25:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [2_000_000, 1_000_000], maxTotal: 10_000_000 });
    const created = await api("/garnish/create", { customer: d.customerId, principal: 8_000_000, interest: 500_000, floor: 100_000, purpose: "Loan 7" }, { "Idempotency-Key": "g-create-1" });
    expect(created.statusCode).toBe(200);
    const g = created.json().data.garnishment;
    expect(g).toMatchObject({ status: "active", debt: { principal: 8_000_000, interest: 500_000, owed: 8_500_000 }, collected: 0, remaining: 8_500_000, floor: 100_000 });
    expect(g.mandates).toHaveLength(2);
    // The same key answers the same, and makes nothing twice.
    const again = await api("/garnish/create", { customer: d.customerId, principal: 8_000_000, interest: 500_000, floor: 100_000, purpose: "Loan 7" }, { "Idempotency-Key": "g-create-1" });
    expect(again.json().data.garnishment._id).toBe(g._id);
    expect((await api("/garnish/list", {})).json().data.garnishments).toHaveLength(1);

    expect((await api("/garnish/pause", { id: g._id })).json().data.garnishment.status).toBe("paused");
    const refused = await api("/garnish/sweep", { id: g._id });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain("paused");
    const runner = garnishRunner(w, c);
    await settle(runner, 2);
    expect(await debits(g._id)).toHaveLength(0);
    const skipped = (await api("/garnish/sweeps", { id: g._id })).json().data.sweeps;
    expect(skipped).toMatchObject([{ sweep: 1, trigger: "schedule", outcome: "skipped", reason: "paused", taken: 0 }]);

    expect((await api("/garnish/resume", { id: g._id })).json().data.garnishment.status).toBe("active");
    const queued = await api("/garnish/sweep", { id: g._id }, { "Idempotency-Key": "sweep-now-1" });
    expect(queued.json().data.sweep.status).toBe("queued");
    await settle(runner, 4);
    const history = (await api("/garnish/sweeps", { id: g._id })).json().data;
    const swept = history.sweeps[0];
    // The floor stays in each account: ₦19,000 and ₦9,000 taken.
    expect(swept).toMatchObject({ sweep: 2, trigger: "request", outcome: "partial", taken: 2_800_000 });
    expect(swept.accounts.map((a: { balance_seen: number; taken: number }) => [a.balance_seen, a.taken])).toEqual([
      [2_000_000, 1_900_000],
      [1_000_000, 900_000],
    ]);
    expect(history.garnishment).toMatchObject({ collected: 2_800_000, remaining: 5_700_000, in_flight: 0 });
    // Its payments are ordinary payments: pay/verify and pay/list show them.
    const pid = swept.accounts[0].payment as string;
    const verify = await api("/pay/verify", { payment_id: pid });
    expect(verify.json().data.payment_status).toMatchObject({ amount: 1_900_000, garnishment: { _id: g._id, sweep: 2 } });
    const listed = (await api("/pay/list", {})).json().data.payments as Array<{ _id: string; garnishment?: { _id: string } }>;
    expect(listed.filter((p) => p.garnishment?._id === g._id)).toHaveLength(2);
    const types = (await events(c, g._id)).map((e) => e.type);
    expect(types.filter((t) => t === "garnishment.collected")).toHaveLength(2);
    expect(types).toEqual(expect.arrayContaining(["garnishment.created", "garnishment.active", "garnishment.paused", "garnishment.sweep"]));

    expect((await api("/garnish/cancel", { id: g._id })).json().data.garnishment.status).toBe("cancelled");
    expect((await api("/garnish/sweep", { id: g._id })).statusCode).toBe(409);
    const count = (await debits(g._id)).length;
    w.clock.advance(5 * DAY);
    await settle(runner, 2);
    expect(await debits(g._id)).toHaveLength(count);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 300_000);

  it("no consent, no sweep: a garnishment on mandates the debtor has not authorised waits and takes nothing", async () => {
    w.clock.set(new Date("2027-06-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [5_000_000], maxTotal: 5_000_000, mandate: "none" });
    const offsetMs = await clockOffsetMs(w.h.ctx, c.scope);
    const m = await w.h.ctx.db.transaction().execute((trx) =>
      createMandate(trx, w.h.ctx, c.scope, { accountId: d.accounts[0]!.accountId, debitType: "sweep", currency: "NGN", amount: null, initialAmount: null, maxPerCharge: null, maxTotal: 5_000_000n, maxPerPeriod: null, period: null, startDate: null, endDate: null, interval: null, dayOfMonth: null, count: null, purpose: null, reference: null, options: null, accountToCredit: null, retry: null }, offsetMs),
    );
    const res = await api("/garnish/create", { mandates: [m.id], principal: 1_000_000 });
    expect(res.json().data.garnishment.status).toBe("awaiting_consent");
    const id = res.json().data.garnishment._id as string;
    const refused = await api("/garnish/sweep", { id });
    expect([refused.statusCode, refused.json().data.reason]).toEqual([409, "no_consent"]);
    const runner = garnishRunner(w, c);
    await settle(runner, 2);
    w.clock.set(new Date("2027-06-02T07:30:00Z"));
    await settle(runner, 2);
    expect(await debits(id)).toHaveLength(0);
    const history = (await api("/garnish/sweeps", { id })).json().data.sweeps as Array<{ outcome: string; reason: string }>;
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((s) => s.outcome === "skipped" && s.reason === "no_consent")).toBe(true);
  }, 300_000);

  it("over-collection (the debt lowered while debits were at the bank) is refunded to the kobo", async () => {
    w.clock.set(new Date("2027-07-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [3_000_000, 2_000_000], maxTotal: 10_000_000 });
    const g = (await api("/garnish/create", { customer: d.customerId, principal: 10_000_000 })).json().data.garnishment;
    // Only the garnishment's jobs first: the sweep makes its two debits; the bank has not answered yet.
    await new JobRunner(w.h.ctx, [...GARNISH_JOBS], { companyIds: [c.tenant.id] }).runOnce();
    expect((await debits(g._id)).map((p) => p.state)).toEqual(["queued", "queued"]);
    const runner = garnishRunner(w, c);
    // The debtor paid ₦70,000 another way: ₦30,000 is all that is still owed, ₦50,000 is on its way.
    const lowered = await api("/garnish/update", { id: g._id, principal: 3_000_000 }, { "Idempotency-Key": "lower-1" });
    expect(lowered.json().data.garnishment).toMatchObject({ status: "active", debt: { owed: 3_000_000 }, in_flight: 5_000_000 });
    expect((await api("/garnish/update", { id: g._id, principal: 4_000_000 })).json()).toMatchObject({ status: "error" });
    await settle(runner, 8);
    const after = (await api("/garnish/get", { id: g._id })).json().data.garnishment;
    expect(after).toMatchObject({ status: "repaid", collected: 3_000_000, remaining: 0, refunded: 2_000_000 });
    const refunds = await w.h.ctx.db.selectFrom("refunds").select(["amount", "payment_id"]).where("company_id", "=", c.tenant.id).execute();
    expect(refunds.reduce((s, r) => s + r.amount, 0n)).toBe(2_000_000n);
    const over = (await events(c, g._id)).filter((e) => e.type === "garnishment.overcollected");
    expect(over.reduce((s, e) => s + Number(e.data.detail!.amount), 0)).toBe(2_000_000);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 300_000);

  it("a debt lowered below what the bank already confirmed is repaid at once, the excess refunded once settled", async () => {
    w.clock.set(new Date("2027-07-05T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [4_000_000], maxTotal: 10_000_000 });
    const g = (await api("/garnish/create", { customer: d.customerId, principal: 9_000_000, interest: 1_000_000 })).json().data.garnishment;
    const runner = garnishRunner(w, c);
    await settle(runner, 4);
    expect((await api("/garnish/get", { id: g._id })).json().data.garnishment).toMatchObject({ collected: 4_000_000, remaining: 6_000_000 });
    const lowered = await api("/garnish/update", { id: g._id, principal: 2_500_000, interest: 0 });
    expect(lowered.json().data.garnishment).toMatchObject({ status: "repaid", collected: 4_000_000, remaining: 0 });
    await settle(runner, 6);
    expect((await api("/garnish/get", { id: g._id })).json().data.garnishment).toMatchObject({ status: "repaid", collected: 2_500_000, refunded: 1_500_000 });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 300_000);

  it("pay/initiate with type garnish creates the recovery over every account the debtor consented to sweep", async () => {
    w.clock.set(new Date("2027-08-02T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [1_500_000, 2_500_000], maxTotal: 10_000_000 });
    const missing = await api("/pay/initiate", { account_to_debit: d.accounts[0]!.accountId, amount: 6_000_000, type: "garnish" });
    expect([missing.statusCode, missing.json().message]).toEqual([400, expect.stringContaining("schedule")]);
    const res = await api("/pay/initiate", { account_to_debit: d.accounts[0]!.accountId, amount: 6_000_000, currency: "NGN", type: "garnish", schedule: { interval: "weekly", startDate: "2027/08/02", endDate: "2027/12/31" } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.message).toContain("Payment succesfully initiated!");
    expect(body.data.payment).toBeNull();
    expect(body.data.garnishment).toMatchObject({ status: "active", debt: { owed: 6_000_000 }, schedule: { interval: "weekly", end_date: "2027-12-31" } });
    const accounts = (body.data.garnishment.mandates as Array<{ account: string }>).map((m) => m.account).sort();
    expect(accounts).toEqual(d.accounts.map((a) => a.accountId).sort());
    await settle(garnishRunner(w, c), 4);
    const rows = await debits(body.data.garnishment._id);
    expect(rows.map((p) => [p.account_id, Number(p.amount), p.type])).toEqual(
      expect.arrayContaining([
        [d.accounts[1]!.accountId, 2_500_000, "garnish"],
        [d.accounts[0]!.accountId, 1_500_000, "garnish"],
      ]),
    );
  }, 300_000);
});

describe("the stop date", () => {
  it("expires the recovery at the end of its stop date; later sweeps take nothing and ended ones refuse changes", async () => {
    w.clock.set(new Date("2027-10-04T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [0], maxTotal: 10_000_000, income: [{ amount: 5_000_000, payday: 20 }] });
    const g = (await api("/garnish/create", { customer: d.customerId, principal: 9_000_000, schedule: { interval: "daily", end_date: "2027-10-06" } })).json().data.garnishment;
    expect(g.schedule).toMatchObject({ interval: "daily", start_date: "2027-10-04", end_date: "2027-10-06" });
    const runner = garnishRunner(w, c);
    for (const day of [5, 6, 7, 8]) {
      w.clock.set(new Date(Date.UTC(2027, 9, day, 7, 30)));
      await settle(runner, 2);
    }
    const after = (await api("/garnish/get", { id: g._id })).json().data.garnishment;
    expect(after).toMatchObject({ status: "expired", status_reason: "stop_date_passed" });
    const taken = await debits(g._id);
    // Whatever the generated account received was swept only up to the stop date (end of 6 October, Lagos).
    expect(taken.every((p) => p.created_at.getTime() < Date.parse("2027-10-06T23:00:00Z"))).toBe(true);
    const sweepDays = ((await api("/garnish/sweeps", { id: g._id })).json().data.sweeps as Array<{ at: string }>).map((s) => s.at.slice(0, 10)).sort();
    expect(sweepDays.every((day) => day <= "2027-10-06")).toBe(true);
    // Salary day comes and goes: nothing is taken after the stop date.
    w.clock.set(new Date("2027-10-21T09:00:00Z"));
    await settle(runner, 2);
    expect(await debits(g._id)).toHaveLength(taken.length);
    const refused = await api("/garnish/update", { id: g._id, principal: 1_000 });
    expect([refused.statusCode, refused.json().message]).toEqual([409, expect.stringMatching(/^id: the garnishment is expired/)]);
  }, 300_000);
});
