import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGarnishment, type NewGarnishment } from "../../src/garnish/service.js";
import { clockOffsetMs } from "../../src/mandates/service.js";
import { expectSoundLedger, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { bankBalance, debtor, garnishRunner } from "./world.js";

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
