import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { debitConfirmed, payoutInitiated, settlement, type JournalEntry } from "../../src/ledger/domain.js";
import { listEntries, lockWallet, postEntry, verifyLedger, walletBalances } from "../../src/ledger/store.js";
import { kobo } from "../../src/lib/kobo.js";
import type { Scope } from "../../src/payments/types.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

async function company(): Promise<Scope> {
  const tenant = await h.newTenant("Ledger Co");
  return { companyId: tenant.id, env: "sandbox" };
}

const post = (scope: Scope, entry: JournalEntry) => h.ctx.db.transaction().execute((trx) => postEntry(trx, scope.env, entry, h.clock.now()));

describe("the ledger store", () => {
  it("posts an entry once per key: a replay writes nothing and returns false", async () => {
    const scope = await company();
    const entry = debitConfirmed({ company_id: scope.companyId, currency: "NGN", payment_id: "p1", amount: kobo(10_000) });
    expect(await post(scope, entry)).toBe(true);
    expect(await post(scope, entry)).toBe(false);
    const [ngn] = await walletBalances(h.ctx.db, scope);
    expect(ngn).toMatchObject({ currency: "NGN", pending: 10_000n, available: 0n, collected: 10_000n });
    expect((await listEntries(h.ctx.db, scope, { page: 1, limit: 10 })).total).toBe(1);
    expect(await verifyLedger(h.ctx.db, scope)).toEqual([]);
  });

  it("shows NGN at zero for a company that has moved nothing, and every currency it has", async () => {
    const scope = await company();
    expect(await walletBalances(h.ctx.db, scope)).toEqual([
      { currency: "NGN", pending: 0n, available: 0n, in_transit: 0n, refunds_in_transit: 0n, payouts_in_transit: 0n, fees: 0n, collected: 0n },
    ]);
    await post(scope, debitConfirmed({ company_id: scope.companyId, currency: "USD", payment_id: "p2", amount: kobo(500) }));
    expect((await walletBalances(h.ctx.db, scope)).map((b) => [b.currency, b.pending])).toEqual([
      ["NGN", 0n],
      ["USD", 500n],
    ]);
  });

  it("keeps ledger_balances equal to the sum of postings for any sequence of entries", async () => {
    const scope = await company();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 6 }), async (payments) => {
        for (const [amount, pct] of payments) {
          const id = `p${n++}`;
          const base = { company_id: scope.companyId, currency: "NGN", payment_id: id, amount: kobo(amount) };
          await post(scope, debitConfirmed(base));
          await post(scope, settlement({ ...base, fee: kobo(Math.floor((amount * pct) / 100)) }));
        }
        expect(await verifyLedger(h.ctx.db, scope)).toEqual([]);
      }),
      { numRuns: 10 },
    );
    const [ngn] = await walletBalances(h.ctx.db, scope);
    expect(ngn!.pending).toBe(0n);
    expect(ngn!.available + ngn!.fees).toBe(ngn!.collected);
  });

  it("reports a balance row that drifted from its postings", async () => {
    const scope = await company();
    await post(scope, debitConfirmed({ company_id: scope.companyId, currency: "NGN", payment_id: "p1", amount: kobo(700) }));
    await h.ctx.db
      .updateTable("ledger_balances")
      .set({ balance: 701n })
      .where("company_id", "=", scope.companyId)
      .where("account", "=", "wallet:pending")
      .execute();
    const problems = await verifyLedger(h.ctx.db, scope);
    expect(problems).toContain("balance NGN wallet:pending: stored 701 but postings sum to 700");
    expect(problems).toContain("balances in NGN sum to 1, not zero");
  });

  it("refuses to UPDATE or DELETE postings and entries (append-only)", async () => {
    const scope = await company();
    await post(scope, payoutInitiated({ company_id: scope.companyId, currency: "NGN", payout_id: "o1", amount: kobo(5) }));
    await expect(sql`UPDATE ledger_postings SET amount = 6 WHERE company_id = ${scope.companyId}`.execute(h.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ledger_postings WHERE company_id = ${scope.companyId}`.execute(h.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE ledger_entries SET kind = 'x' WHERE company_id = ${scope.companyId}`.execute(h.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ledger_entries WHERE company_id = ${scope.companyId}`.execute(h.ctx.db)).rejects.toThrow(/append-only/);
    const { rows } = await listEntries(h.ctx.db, scope, { page: 1, limit: 10 });
    expect(rows[0]!.postings.map((p) => [p.account, p.direction, p.amount])).toEqual([
      ["wallet:available", "debit", 5n],
      ["payouts:in_transit", "credit", 5n],
    ]);
  });

  it("pages entries newest first, optionally of one payment", async () => {
    const scope = await company();
    for (let i = 0; i < 3; i++) {
      await post(scope, debitConfirmed({ company_id: scope.companyId, currency: "NGN", payment_id: `p${i}`, amount: kobo(100 + i) }));
      (h.clock as { advance?: (ms: number) => void }).advance?.(1_000);
    }
    const page = await listEntries(h.ctx.db, scope, { page: 1, limit: 2 });
    expect(page.total).toBe(3);
    expect(page.rows).toHaveLength(2);
    const one = await listEntries(h.ctx.db, scope, { paymentId: "p1", page: 1, limit: 10 });
    expect(one.rows.map((r) => r.key)).toEqual(["debit_confirmed:p1"]);
  });
});

describe.skipIf(!usingPostgres)("the wallet lock (PostgreSQL)", () => {
  it("makes a second spender wait until the first commits", async () => {
    const scope = await company();
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((r) => (releaseFirst = r));
    let firstLocked!: () => void;
    const locked = new Promise<void>((r) => (firstLocked = r));
    const order: string[] = [];
    const first = h.ctx.db.transaction().execute(async (trx) => {
      await lockWallet(trx, scope, "NGN");
      firstLocked();
      await firstHolds;
      await postEntry(trx, scope.env, payoutInitiated({ company_id: scope.companyId, currency: "NGN", payout_id: "o1", amount: kobo(1) }), h.clock.now());
      order.push("first committed");
    });
    await locked;
    const second = h.ctx.db.transaction().execute(async (trx) => {
      const { available } = await lockWallet(trx, scope, "NGN");
      order.push(`second saw ${available}`);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual([]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["first committed", "second saw -1"]);
  });
});
