import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GARNISH_JOBS } from "../../src/garnish/sweeps.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { usingPostgres } from "../harness.js";
import { expectSoundLedger, newCompany, openWorld, type World } from "../payments/engine-world.js";
import { apiOf, debtor } from "./world.js";

/**
 * Exactly once per sweep and account, with two runners racing on a real PostgreSQL: 8 recoveries,
 * each over accounts at two banks holding more than is owed, each asked to sweep four times at once
 * (three requests and its schedule) while two runners (their own workers, concurrent claims) run
 * everything. No account is debited twice in a sweep, no recovery takes more than it is owed, and
 * each is repaid to the kobo with nothing to refund.
 */

if (!usingPostgres) console.warn("\n*** SKIPPED: the two-runner garnishment test needs PostgreSQL (set DATABASE_URL) ***\n");

let w: World;
beforeAll(async () => {
  if (usingPostgres) w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

const RECOVERIES = 8;

describe.skipIf(!usingPostgres)("two runners, many sweeps at once", () => {
  it("debits each account at most once per sweep and never past the debt", async () => {
    w.clock.set(new Date("2027-09-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const ids: string[] = [];
    for (let i = 0; i < RECOVERIES; i++) {
      const d = await debtor(w, c, { balances: [3_000_000, 2_000_000], maxTotal: 10_000_000 });
      const res = await api("/garnish/create", { customer: d.customerId, principal: 3_500_000, interest: 500_000 });
      expect(res.statusCode, res.body).toBe(200);
      ids.push(res.json().data.garnishment._id);
    }
    for (const id of ids) for (let k = 0; k < 3; k++) expect((await api("/garnish/sweep", { id })).statusCode).toBe(200);
    const jobs = [...PAYMENT_JOBS, ...MANDATE_JOBS, ...GARNISH_JOBS];
    const a = new JobRunner(w.h.ctx, jobs, { companyIds: [c.tenant.id], workerId: "runner-a", concurrency: 4 });
    const b = new JobRunner(w.h.ctx, jobs, { companyIds: [c.tenant.id], workerId: "runner-b", concurrency: 4 });
    for (let round = 0; round < 6; round++) {
      await Promise.all([a.runOnce(), b.runOnce()]);
      w.clock.advance(3 * 60_000);
    }
    const payments = await w.h.ctx.db.selectFrom("payments").selectAll().where("company_id", "=", c.tenant.id).where("garnishment_id", "is not", null).execute();
    const pairs = payments.map((p) => `${p.garnishment_id}:${p.mandate_cycle}:${p.account_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const id of ids) {
      const mine = payments.filter((p) => p.garnishment_id === id);
      expect(mine.reduce((s, p) => s + p.amount, 0n)).toBe(4_000_000n);
      const g = (await api("/garnish/get", { id })).json().data.garnishment;
      expect(g).toMatchObject({ status: "repaid", collected: 4_000_000, remaining: 0, refunded: 0 });
      // Every sweep ran and was recorded once: the schedule's and the three requests.
      const sweeps = (await api("/garnish/sweeps", { id })).json().data.sweeps as Array<{ taken: number }>;
      expect(sweeps.length).toBeGreaterThanOrEqual(4);
      expect(sweeps.reduce((s, x) => s + x.taken, 0)).toBe(4_000_000);
    }
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 600_000);
});
