import type { Transaction } from "kysely";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { availableToRefund, canRefund, feeToReturn, refundInitiated, type RefundStatus } from "../ledger/domain.js";
import { lockWallet, postEntry } from "../ledger/store.js";
import { newId } from "../lib/ids.js";
import { kobo, ZERO_KOBO, type Kobo } from "../lib/kobo.js";
import { paymentWithStatus, wireStatus } from "./domain.js";
import { getPayment } from "./service.js";
import * as store from "./store.js";
import { enqueueTransferCheck } from "./schedule.js";
import { recordTransferCreated } from "./transitions.js";
import type { Executor, RefundRow, Scope } from "./types.js";
import { refusal } from "./reasons.js";

/**
 * Refunds (`pay/refund`): money sent back to the account a payment was collected from, drawn on
 * the company's available wallet, with Okro's fee on the refunded share given back (so a settled
 * payment can always be refunded in full from its own money). Full or partial, several per payment, never more than was
 * collected minus what was refunded (failed refunds do not count). The worker sends the credit
 * (execute.ts `processTransfer`); its own states: pending → processing → succeeded | unknown | failed.
 */

const refundStatus = (state: RefundRow["state"]): RefundStatus => (state === "failed" ? "failed" : state === "succeeded" ? "succeeded" : "pending");

/**
 * Accepts a refund of `amount` (default: all that is left) of a payment. In the caller's
 * transaction: takes the wallet lock first (so two refunds racing for the last kobo are decided
 * one after the other), checks with `canRefund`, inserts the refund `pending` (due now), posts
 * `refund_initiated` (available → refunds in transit) and emits `refund.pending`.
 * Only settled (`completed`) payments: Okro's fee is fixed at settlement, and a refund gives back
 * the fee on its share, so refunding earlier would leave the fee on money that was returned.
 * 404 naming `payment_id`; 409 when the payment is not settled (or was reversed); 422 naming
 * `amount` when it is more than is left to refund or than the available balance.
 */
export async function createRefund(trx: Transaction<DB>, ctx: AppContext, scope: Scope, input: { paymentId: string; amount?: Kobo }): Promise<RefundRow> {
  if (input.amount !== undefined && input.amount <= 0n) throw new OkroError("INVALID_FIELD", "amount: must be a positive integer (kobo)", { field: "amount" });
  const payment = await getPayment(trx, scope, input.paymentId);
  if (payment.state !== "settled" || !payment.bank_id || !payment.nuban) {
    const status = wireStatus(payment.state).status;
    const why =
      payment.state === "succeeded"
        ? `payment_id: ${paymentWithStatus(payment.state)} can be refunded once it is completed (its settlement validated with the bank)`
        : `payment_id: ${paymentWithStatus(payment.state)} cannot be refunded; only completed payments can`;
    throw new OkroError("CONFLICT", why, { field: "payment_id", data: refusal("not_refundable", { status }) });
  }
  const { available } = await lockWallet(trx, scope, payment.currency);
  // Re-read under the wallet lock: a refund committed meanwhile is counted, and a reversal seen.
  const fresh = await getPayment(trx, scope, input.paymentId);
  const collected = fresh.state === "settled" ? kobo(fresh.amount) : ZERO_KOBO;
  const rows = await store.refundsOfPayment(trx, payment.id);
  const refunds = rows.map((r) => ({ amount: kobo(r.amount), status: refundStatus(r.state) }));
  const left = availableToRefund(collected, refunds);
  const amount = input.amount ?? left;
  if (amount <= 0n) {
    throw new OkroError("UNPROCESSABLE", "amount: nothing is left to refund on this payment", { field: "amount", data: refusal("exceeds_refundable", { refundable: 0 }) });
  }
  // Okro's fee on this share comes back with it; never more than the payment's fee in all.
  const live = rows.filter((r) => r.state !== "failed");
  const refundedBefore = kobo(live.reduce((sum, r) => sum + r.amount, 0n));
  const returnedBefore = live.reduce((sum, r) => sum + r.fee_returned, 0n);
  const share = feeToReturn(kobo(fresh.fee), collected, refundedBefore, amount > left ? left : amount);
  const room = fresh.fee - returnedBefore;
  const feeReturned = kobo(share < room ? share : room < 0n ? 0n : room);
  const decision = canRefund(amount, { collected, refunds, available: available + feeReturned });
  if (!decision.ok) {
    if (decision.reason === "exceeds_refundable") {
      throw new OkroError("UNPROCESSABLE", `amount: more than is left to refund: ${left} kobo`, { field: "amount", data: refusal("exceeds_refundable", { refundable: Number(left) }) });
    }
    if (decision.reason === "insufficient_available") {
      throw new OkroError("UNPROCESSABLE", `amount: more than the available balance: ${available + feeReturned < 0n ? 0n : available + feeReturned} kobo`, {
        field: "amount",
        data: refusal("insufficient_available", { available: Number(available + feeReturned) }),
      });
    }
    throw new OkroError("INVALID_FIELD", "amount: must be a positive integer (kobo)", { field: "amount" });
  }
  const now = ctx.clock.now();
  const refund = await store.insertRefund(trx, {
    id: newId(now),
    company_id: scope.companyId,
    env: scope.env,
    payment_id: payment.id,
    amount,
    fee_returned: feeReturned,
    currency: payment.currency,
    bank_id: payment.bank_id,
    nuban: payment.nuban,
    state: "pending",
    checks: 1,
    created_at: now,
    updated_at: now,
  });
  await postEntry(trx, scope.env, refundInitiated({ company_id: scope.companyId, currency: payment.currency, payment_id: payment.id, refund_id: refund.id, amount, fee_returned: feeReturned }), now);
  await recordTransferCreated(trx, "refund", refund, "api", now);
  // Sent by `refunds.credit` once this commits.
  await enqueueTransferCheck(trx, "refund", refund, { now, runAt: now });
  return refund;
}

/** A page of the tenant's refunds, newest first (optionally one payment's). */
export async function listRefunds(db: Executor, scope: Scope, opts: { paymentId?: string; page: number; limit: number }): Promise<{ rows: RefundRow[]; total: number }> {
  return store.pageRefunds(db, scope, opts);
}

/** The tenant's refund, or 404 naming `refund_id`. */
export async function getRefund(db: Executor, scope: Scope, id: string): Promise<RefundRow> {
  const row = await store.findRefund(db, scope, id);
  if (!row) throw new OkroError("NOT_FOUND", "refund_id: no such refund", { field: "refund_id" });
  return row;
}
