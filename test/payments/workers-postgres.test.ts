import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentReference } from "../../src/payments/execute.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { usingPostgres } from "../harness.js";
import { activeConsent, balances, bankTransfers, countingNetwork, expectSoundLedger, initiate, newCompany, openWorld, paymentRow, type World } from "./engine-world.js";

/**
 * Two background JobRunners (their own polling loops, real concurrency on PostgreSQL's pool)
 * over payments whose bank calls time out, lose their answers and fail to re-query, while
 * business time races ahead — so leases lapse mid-call and the workers take rows over from
 * each other. Whatever happens, each payment is debited once and the ledger says so.
 * Several processes (and SIGKILL) are test/process/payments-faults.test.ts's business.
 */
let w: World;
beforeAll(async () => {
  if (usingPostgres) w = await openWorld();
});
afterAll(async () => {
  await w?.h.close();
});

describe.skipIf(!usingPostgres)("two payment workers under faults (PostgreSQL)", () => {
  it("debit every payment exactly once and settle them all, the ledger matching the bank", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const payments = [];
    for (let i = 0; i < 30; i++) payments.push(await initiate(w, c, 1_000 + i));
    await c.faults({ lostResponseRate: 0.3, timeoutRate: 0.15, errorRate: 0.15, operations: ["debitMandate", "debitStatus"] });

    const counting = countingNetwork(w);
    const workers = ["a", "b"].map((id) => new JobRunner(counting.ctx, PAYMENT_JOBS, { companyIds: [c.tenant.id], concurrency: 5, pollMs: 5, workerId: id }));
    for (const worker of workers) worker.start();
    const deadline = Date.now() + 25_000;
    let settled = 0;
    try {
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        w.clock.advance(3_000);
        const rows = await w.h.ctx.db.selectFrom("payments").select("state").where("company_id", "=", c.tenant.id).execute();
        settled = rows.filter((r) => r.state === "settled").length;
        if (settled === payments.length) break;
        if (Date.now() > deadline - 10_000) await c.faults({});
      }
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
    expect(settled).toBe(payments.length);

    let total = 0n;
    for (const p of payments) {
      const row = await paymentRow(w, p.id);
      expect(row.attempt).toBe(1);
      expect(await bankTransfers(w, c, paymentReference(p.id, 1))).toHaveLength(1);
      total += row.amount;
    }
    // Re-sends happened only after a re-query (each a same-reference re-send the bank deduplicated).
    const sends = [...counting.calls.entries()].filter(([k]) => k.startsWith("debitMandate:")).reduce((s, [, n]) => s + n, 0);
    expect(sends).toBeGreaterThanOrEqual(payments.length);
    const b = await balances(w, c);
    expect(b).toMatchObject({ pending: 0n, collected: total });
    expect(b.available + b.fees).toBe(total);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 60_000);
});
