import type { Transaction } from "kysely";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import type { Kobo } from "../lib/kobo.js";
import { paymentWithStatus, wireStatus } from "./domain.js";
import { getPayment } from "./service.js";
import * as store from "./store.js";
import { applyTransition } from "./transitions.js";
import type { Executor, PaymentRow, Scope } from "./types.js";

/**
 * The review queue (seed 004's REVIEW status): a company sets a threshold per environment, and a
 * `pay/initiate` payment above it is created in `review` (service.ts) instead of `queued`. Nothing
 * is sent to a bank until someone approves it (`review → queued`: the worker then executes it as
 * any other) or declines it (`review → failed`, nothing moved). Both go through the payment
 * machine's one compare-and-set, so an approval racing a decline decides once; the loser is a 409.
 *
 * Widget and payment-link payments are authorised by the customer on the spot and are not held.
 */

/** Who approved or declined: a dashboard user (`user:<id>`) or an API key (`key:<id>`). */
export type Reviewer = string;

export async function getReviewThreshold(db: Executor, scope: Scope): Promise<Kobo | null> {
  return (await store.reviewThreshold(db, scope)) as Kobo | null;
}

/** Sets (or, with null, removes) the threshold; payments already created keep their state. */
export async function setReviewThreshold(db: Executor, scope: Scope, threshold: Kobo | null, by: Reviewer, now: Date): Promise<void> {
  if (threshold !== null && threshold <= 0n) throw new OkroError("INVALID_FIELD", "threshold: must be a positive integer (kobo), or null for no review", { field: "threshold" });
  await store.saveReviewThreshold(db, scope, threshold, by, now);
}

function notInReview(row: PaymentRow, verb: string): OkroError {
  return new OkroError("CONFLICT", `payment_id: ${paymentWithStatus(row.state)} cannot be ${verb}; only payments in review can`, {
    field: "payment_id",
    data: { reason: "not_in_review", status: wireStatus(row.state).status },
  });
}

/** `review → queued`: due now, the worker debits it. 404 naming `payment_id`; 409 when it is not (or no longer) in review. */
export async function approvePayment(trx: Transaction<DB>, ctx: AppContext, scope: Scope, paymentId: string, by: Reviewer): Promise<PaymentRow> {
  const row = await getPayment(trx, scope, paymentId);
  if (row.state !== "review") throw notInReview(row, "approved");
  const moved = await applyTransition(trx, ctx, row, "queued", { actor: "api", reason: "approved_in_review", detail: { by } });
  if (!moved) throw notInReview(await getPayment(trx, scope, paymentId), "approved");
  return moved;
}

/** `review → failed` with failure `review_declined` (and the reviewer's `reason`, if given). Nothing moved. */
export async function declinePayment(
  trx: Transaction<DB>,
  ctx: AppContext,
  scope: Scope,
  paymentId: string,
  by: Reviewer,
  reason?: string,
): Promise<PaymentRow> {
  const row = await getPayment(trx, scope, paymentId);
  if (row.state !== "review") throw notInReview(row, "declined");
  const moved = await applyTransition(trx, ctx, row, "failed", {
    actor: "api",
    reason: "declined_in_review",
    detail: { by, ...(reason ? { reason } : {}) },
    set: { failure_code: "review_declined", failure_reason: reason ? `Declined in review: ${reason}` : "Declined in review" },
  });
  if (!moved) throw notInReview(await getPayment(trx, scope, paymentId), "declined");
  return moved;
}
