import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OkroError } from "../../src/core/errors.js";
import { kobo } from "../../src/lib/kobo.js";
import { createPayout } from "../../src/payments/payouts.js";
import { createRefund, listRefunds } from "../../src/payments/refunds.js";
import { reportReversal } from "../../src/payments/service.js";
import type { PaymentRow } from "../../src/payments/types.js";
import { refundView, payoutView } from "../../src/payments/views.js";
import { activeConsent, balances, bankTransfers, entriesOf, eventTypes, expectSoundLedger, initiate, newCompany, openWorld, paymentRow, type Company, type World } from "./engine-world.js";

let w: World;
beforeAll(async () => {
  w = await openWorld();
});
afterAll(async () => {
  await w?.h.close();
});

/** Collected and settled payments of `amounts` (available = sum − 1% fees). */
async function settledPayments(c: Company, amounts: number[]): Promise<PaymentRow[]> {
  await activeConsent(w, c);
  const rows = [];
  for (const amount of amounts) rows.push(await initiate(w, c, amount));
  const worker = c.worker();
  await worker.runOnce();
  w.clock.advance(w.h.ctx.config.payments.settlementDelayMs);
  await worker.runOnce();
  const settled = [];
  for (const r of rows) settled.push(await paymentRow(w, r.id));
  for (const s of settled) expect(s.state).toBe("settled");
  return settled;
}

const refund = (c: Company, paymentId: string, amount?: number) =>
  w.h.ctx.db.transaction().execute((trx) => createRefund(trx, w.h.ctx, c.scope, { paymentId, ...(amount !== undefined ? { amount: kobo(amount) } : {}) }));
const payout = (c: Company, amount: number) =>
  w.h.ctx.db.transaction().execute((trx) => createPayout(trx, w.h.ctx, c.scope, { amount: kobo(amount), currency: "NGN", initiatedBy: "api" }));
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as OkroError);

describe("refunds", () => {
  it("refunds partially, several times, then the rest; never more than collected minus refunded; credits the customer's account", async () => {
    const c = await newCompany(w);
    const [p1] = await settledPayments(c, [100_000, 100_000]);
    expect(await balances(w, c)).toMatchObject({ available: 198_000n });

    const r1 = await refund(c, p1!.id, 30_000);
    expect(r1.state).toBe("pending");
    expect(refundView(r1)).toMatchObject({ payment: p1!.id, amount: 30_000, status: "pending" });
    // Okro's 1% fee on the refunded share comes back with the refund: 300 of the 1,000.
    expect(r1.fee_returned).toBe(300n);
    expect(await balances(w, c)).toMatchObject({ available: 168_300n, refunds_in_transit: 30_000n, in_transit: 30_000n, fees: 1_700n });
    await refund(c, p1!.id, 50_000);

    const over = await failure(refund(c, p1!.id, 20_001));
    expect(over).toMatchObject({ code: "UNPROCESSABLE", statusCode: 422, field: "amount" });
    expect(over!.message).toBe("amount: more than is left to refund: 20000 kobo");
    const rest = await refund(c, p1!.id);
    expect(rest.amount).toBe(20_000n);
    expect(await failure(refund(c, p1!.id, 1))).toMatchObject({ code: "UNPROCESSABLE", field: "amount" });

    await c.worker().runOnce();
    const refunds = (await listRefunds(w.h.ctx.db, c.scope, { paymentId: p1!.id, page: 1, limit: 10 })).rows;
    expect(refunds.map((r) => r.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    for (const r of refunds) {
      const transfers = await bankTransfers(w, c, r.reference!);
      expect(transfers).toHaveLength(1);
      expect(transfers[0]).toMatchObject({ direction: "credit", destination_nuban: c.account.nuban, amount: r.amount });
    }
    expect(await eventTypes(w, c, r1.id)).toEqual(["refund.pending", "refund.processing", "refund.succeeded"]);
    expect(refunds.reduce((sum, r) => sum + r.fee_returned, 0n)).toBe(1_000n);
    expect(await balances(w, c)).toMatchObject({ available: 99_000n, refunds_in_transit: 0n, fees: 1_000n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("refunds a company's only settled payment in full: its fee comes back, so the wallet covers it", async () => {
    const c = await newCompany(w);
    const [p] = await settledPayments(c, [50_000]);
    expect(await balances(w, c)).toMatchObject({ available: 49_500n, fees: 500n });
    const full = await refund(c, p!.id);
    expect(full).toMatchObject({ amount: 50_000n, fee_returned: 500n });
    await c.worker().runOnce();
    expect(await balances(w, c)).toMatchObject({ available: 0n, pending: 0n, fees: 0n, refunds_in_transit: 0n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("refuses a refund of a payment that has not succeeded (409) and one larger than the available balance (422), touching nothing", async () => {
    const c = await newCompany(w);
    const [p] = await settledPayments(c, [50_000]);
    await payout(c, 10_000);
    const queued = await initiate(w, c, 10_000);
    const before = await entriesOf(w, c);
    expect(await failure(refund(c, queued.id))).toMatchObject({ code: "CONFLICT", statusCode: 409, field: "payment_id" });
    // available is 49,500 after the fee, 39,500 after the payout: a full refund of 50,000 (with
    // its 500 fee back) would overdraw it.
    const short = await failure(refund(c, p!.id));
    expect(short).toMatchObject({ code: "UNPROCESSABLE", field: "amount", data: { reason: "insufficient_available" } });
    expect(await failure(refund(c, "000000000000000000000000"))).toMatchObject({ code: "NOT_FOUND", field: "payment_id" });
    expect(await entriesOf(w, c)).toEqual(before);
    expect(await w.h.ctx.db.selectFrom("refunds").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("waits for settlement: a success_pending_validation payment is refused (409) until it is completed, then refunds", async () => {
    const c = await newCompany(w);
    await settledPayments(c, [80_000]);
    const fresh = await initiate(w, c, 20_000);
    await c.worker().runOnce();
    expect((await paymentRow(w, fresh.id)).state).toBe("succeeded");
    const before = await entriesOf(w, c);
    const early = await failure(refund(c, fresh.id));
    expect(early).toMatchObject({ code: "CONFLICT", statusCode: 409, field: "payment_id", data: { reason: "not_refundable", status: "success_pending_validation" } });
    expect(early!.message).toMatch(/once it is completed/);
    expect(await entriesOf(w, c)).toEqual(before);
    w.clock.advance(w.h.ctx.config.payments.settlementDelayMs);
    await c.worker().runOnce();
    expect(await refund(c, fresh.id)).toMatchObject({ amount: 20_000n, fee_returned: 200n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("lets only one of two refunds racing for the last kobo through", async () => {
    const c = await newCompany(w);
    const [p] = await settledPayments(c, [40_000, 40_000]);
    const results = await Promise.allSettled([refund(c, p!.id, 40_000), refund(c, p!.id, 40_000)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: "UNPROCESSABLE", field: "amount", data: { reason: "exceeds_refundable" } });
    expect(await balances(w, c)).toMatchObject({ available: 79_200n + 400n - 40_000n, refunds_in_transit: 40_000n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("puts a refund the bank refused back into available, refundable again", async () => {
    const c = await newCompany(w);
    const [p] = await settledPayments(c, [30_000, 30_000]);
    const r = await refund(c, p!.id, 10_000);
    // Credits come from the customer's bank's side: refuse them there.
    await c.faults({ failRate: 1, pendingMs: 1_000, operations: ["credit"] });
    const worker = c.worker();
    await worker.runOnce();
    expect((await w.h.ctx.db.selectFrom("refunds").select("state").where("id", "=", r.id).executeTakeFirstOrThrow()).state).toBe("processing");
    await c.faults({});
    w.clock.advance(2_000);
    await worker.runOnce();
    const failed = await w.h.ctx.db.selectFrom("refunds").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
    expect(failed.state).toBe("failed");
    expect(await balances(w, c)).toMatchObject({ available: 59_400n, refunds_in_transit: 0n });
    expect((await refund(c, p!.id, 30_000)).amount).toBe(30_000n);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("payouts", () => {
  it("pays the available balance out to the company's account, and never more", async () => {
    const c = await newCompany(w);
    await settledPayments(c, [100_000]);
    const over = await failure(payout(c, 99_001));
    expect(over).toMatchObject({ code: "UNPROCESSABLE", field: "amount" });
    expect(over!.message).toBe("amount: more than the available balance: 99000 kobo");
    const p = await payout(c, 99_000);
    expect(payoutView(p)).toMatchObject({ status: "initiated", amount: 99_000, nuban_to_credit: { nuban: c.receiving.nuban, bank: c.receiving.bankId }, account_to_credit: c.receivingAccountId });
    expect(await balances(w, c)).toMatchObject({ available: 0n, payouts_in_transit: 99_000n });
    expect(await failure(payout(c, 1))).toMatchObject({ code: "UNPROCESSABLE", field: "amount" });

    await c.worker().runOnce();
    const done = await w.h.ctx.db.selectFrom("payouts").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow();
    expect(payoutView(done).status).toBe("success");
    const transfers = await bankTransfers(w, c, done.reference!);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({ direction: "credit", destination_bank_id: c.receiving.bankId, destination_nuban: c.receiving.nuban, amount: 99_000n });
    expect(await eventTypes(w, c, p.id)).toEqual(["payout.pending", "payout.processing", "payout.succeeded"]);
    expect(await balances(w, c)).toMatchObject({ available: 0n, payouts_in_transit: 0n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("a payout credit whose answer was lost is re-queried and confirmed, not sent twice", async () => {
    const c = await newCompany(w);
    await settledPayments(c, [10_000]);
    const p = await payout(c, 5_000);
    await c.faults({ lostResponseRate: 1, operations: ["credit"] }, c.receiving.bankId);
    const worker = c.worker();
    await worker.runOnce();
    expect((await w.h.ctx.db.selectFrom("payouts").select("state").where("id", "=", p.id).executeTakeFirstOrThrow()).state).toBe("unknown");
    await c.faults({}, c.receiving.bankId);
    w.clock.advance(2_000);
    await worker.runOnce();
    const done = await w.h.ctx.db.selectFrom("payouts").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow();
    expect(done.state).toBe("succeeded");
    expect(await bankTransfers(w, c, done.reference!)).toHaveLength(1);
    expect(await expectSoundLedger(w, c)).toEqual([]);
    // Every move of the payout is on its history, with who moved it and why.
    const history = await w.h.ctx.db
      .selectFrom("state_transitions")
      .select(["from_state", "to_state", "actor", "reason"])
      .where("object_type", "=", "payout")
      .where("object_id", "=", p.id)
      .orderBy("id")
      .execute();
    expect(history).toEqual([
      { from_state: null, to_state: "pending", actor: "api", reason: "initiated" },
      { from_state: "pending", to_state: "processing", actor: "worker", reason: "credit_sent" },
      { from_state: "processing", to_state: "unknown", actor: "bank", reason: "bank_timeout" },
      { from_state: "unknown", to_state: "succeeded", actor: "bank", reason: "bank_confirmed" },
    ]);
  });
});

describe("a late reversal after settlement", () => {
  it("takes the money back out of available, even below zero, and blocks payouts and refunds until it is repaid", async () => {
    const c = await newCompany(w);
    const [p1, p2] = await settledPayments(c, [50_000, 50_000]);
    await payout(c, 99_000);
    expect(await balances(w, c)).toMatchObject({ available: 0n });

    const reversed = await reportReversal(w.h.ctx, c.scope, p1!.id, "customer disputed the debit");
    expect(reversed.state).toBe("reversed");
    expect(await balances(w, c)).toMatchObject({ available: -50_000n });
    expect(await eventTypes(w, c, p1!.id)).toContain("payment.reversed");
    expect(await failure(payout(c, 1))).toMatchObject({ code: "UNPROCESSABLE", field: "amount", data: { available: -50_000 } });
    expect(await failure(refund(c, p2!.id, 1))).toMatchObject({ code: "UNPROCESSABLE", field: "amount" });
    expect(await failure(reportReversal(w.h.ctx, c.scope, p1!.id, "again"))).toMatchObject({ code: "CONFLICT" });
    expect((await entriesOf(w, c, p1!.id)).map((e) => e.kind).sort()).toEqual(["debit_confirmed", "late_reversal", "settlement"]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});
