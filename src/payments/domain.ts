import { defineMachine, IllegalTransitionError, statesOf } from "../core/machine.js";
import type { ConsentStatus, PaymentStateColumn, TransferState as TransferStateColumn } from "../db/schema.js";

/**
 * The payment state machine, as data. Pure: no I/O, no clock (the caller passes `at`).
 *
 * One internal machine decides every transition; `wireStatus` maps each internal state onto the
 * nine statuses of Okra's wire format (seed 004). The service applies a transition with a
 * compare-and-set (`UPDATE … SET status=$to WHERE id=$id AND status=$from`), appends a
 * `TransitionRecord` as a history row, emits an event and posts to the ledger in the same
 * transaction.
 *
 * The edges (TRANSITIONS below is the source of truth):
 * ```
 *   queued                 → awaiting_authorisation | review | processing | cancelled | failed
 *   awaiting_authorisation → processing | cancelled | failed
 *   review                 → queued | failed
 *   processing             → succeeded | unknown | errored | failed
 *                            | awaiting_authorisation (the bank refused the customer's code, was
 *                              unavailable, or the bank session lapsed: nothing moved, ask again)
 *   unknown                → succeeded | processing (re-send, same reference) | errored | failed
 *   succeeded              → settled | reversed
 *   settled                → reversed            (late reversal: the only edge out of a final state)
 *   errored, failed, cancelled, reversed: final, no edges
 * ```
 */

/** Who caused a transition. Recorded on every history row. */
export const ACTORS = ["api", "customer", "bank", "scheduler", "worker"] as const;
export type Actor = (typeof ACTORS)[number];

/** The values of `payments.state` (the schema's `PaymentStateColumn`, one source), each once. */
export const PAYMENT_STATES = statesOf<PaymentStateColumn>()([
  "queued",
  "awaiting_authorisation",
  "review",
  "processing",
  "unknown",
  "succeeded",
  "settled",
  "errored",
  "failed",
  "cancelled",
  "reversed",
]);

/**
 * Internal payment states, one per real situation.
 *
 * - `queued` — accepted (`pay/initiate`, or created by the widget), waiting for the worker. Nothing
 *   has been sent to a bank. Caller: wait, or cancel.
 * - `awaiting_authorisation` — the customer must authorise in the widget (OTP/PIN). An authorising
 *   attempt moves it to `processing` (its reference committed before the bank is called); when the
 *   bank answers "wrong code", "not available right now" or "session lapsed" — nothing moved — it
 *   comes back here (`processing → awaiting_authorisation`) and the customer tries again with a new
 *   attempt and reference. Caller: wait for the widget, or cancel.
 * - `review` — held for a risk/operator review before anything is sent to the bank. Caller: wait;
 *   the operator releases it (back to `queued`) or rejects it (`failed`).
 * - `processing` — the debit reference (the bank's idempotency key) was fixed and committed, and
 *   the debit has been (or is being) sent. Not cancellable. Caller: wait, verify later.
 * - `unknown` — the bank call timed out or its response was lost: the debit may or may not have
 *   happened. The worker must re-query the bank with the same reference; never re-send blindly.
 *   Caller: wait, verify later.
 * - `succeeded` — the bank confirmed the debit; the money is pending settlement (ledger:
 *   `wallet:pending`). The scheduler re-queries after the settlement delay.
 * - `settled` — validated by re-query after the settlement delay; the money is available (ledger:
 *   `wallet:available`). Final, except for a late reversal by the bank.
 * - `errored` — the bank returned an error or the customer had insufficient funds. Final: nothing
 *   moved. Caller: start a new payment once the cause is fixed.
 * - `failed` — declined by the bank network, refused by the customer (no consent), rejected in
 *   review, or expired before it was authorised or executed. Final: nothing moved.
 * - `cancelled` — cancelled by the merchant (API) or the customer before any debit was sent. Final.
 * - `reversed` — the bank reversed the debit after confirming it (late failure / return). Final;
 *   the ledger posts the money back out of the company's wallet.
 */
export type PaymentState = (typeof PAYMENT_STATES)[number];

/**
 * Allowed transitions. Self-loops are not transitions (a re-query that learns nothing: no history
 * row). `unknown → processing` is the one re-send: only when the re-query says the bank never
 * received the debit, and with the SAME reference, so the bank deduplicates it.
 * `processing → awaiting_authorisation` is only taken on a bank answer that says nothing moved
 * (`invalid_otp`, `retryable`, `session_expired`); never on a timeout (that is `unknown`).
 */
export const TRANSITIONS = {
  queued: ["awaiting_authorisation", "review", "processing", "cancelled", "failed"],
  awaiting_authorisation: ["processing", "cancelled", "failed"],
  review: ["queued", "failed"],
  processing: ["succeeded", "unknown", "errored", "failed", "awaiting_authorisation"],
  unknown: ["succeeded", "processing", "errored", "failed"],
  succeeded: ["settled", "reversed"],
  settled: ["reversed"],
  errored: [],
  failed: [],
  cancelled: [],
  reversed: [],
} as const satisfies Record<PaymentState, readonly PaymentState[]>;

/**
 * The payment machine (src/core/machine.ts): TRANSITIONS as its edges, the four states with no way
 * out as terminal, and the named status sets. `settled` is final (the outcome is decided) but not
 * terminal: the bank may still reverse it.
 */
export const paymentMachine = defineMachine({
  object: "payment",
  states: PAYMENT_STATES,
  edges: TRANSITIONS,
  terminal: ["errored", "failed", "cancelled", "reversed"],
  edgeNames: {
    unknown: { processing: "resend_same_reference" },
    processing: { awaiting_authorisation: "nothing_moved_ask_again" },
    settled: { reversed: "late_reversal" },
  },
  predicates: {
    /** The outcome is decided; no worker, scheduler or customer action is pending. */
    final: ["settled", "errored", "failed", "cancelled", "reversed"],
    /**
     * `pay/cancel` may cancel it: nothing has been sent to a bank yet. The seed allows cancelling
     * only `pending`/`initialized` payments and forbids it "while it is actively processing": so
     * only `queued` (wire `pending`) and `awaiting_authorisation` (wire `initiated`). `processing`
     * and `unknown` also show `initiated` on the wire but are NOT cancellable: the debit may be at the bank.
     */
    cancellable: ["queued", "awaiting_authorisation"],
  },
});

/** The only edges that leave a final state: the bank reversing a debit it had confirmed. */
export const LATE_TRANSITIONS: ReadonlyArray<readonly [PaymentState, PaymentState]> = [["settled", "reversed"]];

export function canTransition(from: PaymentState, to: PaymentState): boolean {
  return paymentMachine.can(from, to);
}

/** A transition that the machine does not allow (the kernel's error, naming the payment, from and to). */
export { IllegalTransitionError };

export function assertTransition(from: PaymentState, to: PaymentState): void {
  paymentMachine.assert(from, to);
}

/** The outcome is decided; no worker, scheduler or customer action is pending. */
export function isFinal(s: PaymentState): boolean {
  return paymentMachine.is.final(s);
}

/** `pay/cancel` may cancel it: nothing has been sent to a bank yet (see the machine's `cancellable`). */
export function isCancellable(s: PaymentState): boolean {
  return paymentMachine.is.cancellable(s);
}

// ── Refunds and payouts ───────────────────────────────────────────────────────────────────────

export const TRANSFER_STATES = statesOf<TransferStateColumn>()(["pending", "processing", "unknown", "succeeded", "failed"]);
/** A refund's or payout's state: money going out through the connector's `credit`. */
export type TransferState = (typeof TRANSFER_STATES)[number];

/**
 * A credit's edges (the same rules as a debit's):
 * ```
 *   pending    → processing                        (attempt and reference committed, then sent)
 *   processing → succeeded | unknown | failed
 *   unknown    → processing (re-query: the bank has it pending, or never got it: re-send, same reference)
 *              | succeeded | failed
 *   succeeded, failed: terminal
 * ```
 * A credit left `processing` (pending at the bank, or re-sent after `not_found`) is re-scheduled
 * without a transition: staying put is not a move.
 */
export const TRANSFER_TRANSITIONS = {
  pending: ["processing"],
  processing: ["succeeded", "unknown", "failed"],
  unknown: ["processing", "succeeded", "failed"],
  succeeded: [],
  failed: [],
} as const satisfies Record<TransferState, readonly TransferState[]>;

const transfer = (object: "refund" | "payout") =>
  defineMachine({
    object,
    states: TRANSFER_STATES,
    edges: TRANSFER_TRANSITIONS,
    terminal: ["succeeded", "failed"],
    edgeNames: { unknown: { processing: "requeried_pending_or_resend" } },
  });
export const refundMachine = transfer("refund");
export const payoutMachine = transfer("payout");

// ── Payment consents ──────────────────────────────────────────────────────────────────────────

export const CONSENT_STATES = statesOf<ConsentStatus>()(["pending", "active", "revoked"]);
export type ConsentState = (typeof CONSENT_STATES)[number];

/**
 * A payment consent (the bank's mandate on an account): `pending` until the bank says the mandate
 * is active (`→ active`) or cancelled/expired/never received (`→ revoked`). `active → revoked` is
 * the payer's or the bank's withdrawal of a mandate that was in force.
 */
export const consentMachine = defineMachine({
  object: "consent",
  states: CONSENT_STATES,
  edges: { pending: ["active", "revoked"], active: ["revoked"], revoked: [] },
  terminal: ["revoked"],
});

/** The nine wire statuses of seed 004, in its order of description. */
export const WIRE_STATUSES = [
  "pending",
  "initiated",
  "review",
  "success",
  "success_pending_validation",
  "completed",
  "error",
  "failed",
  "cancelled",
] as const;
export type WireStatus = (typeof WIRE_STATUSES)[number];

/** The outcome so far, as `response_status` on the wire. */
export type ResponseStatus = "pending" | "success" | "error" | "failed" | "cancelled";

export interface WirePaymentStatus {
  status: WireStatus;
  response_status: ResponseStatus;
}

/**
 * How a refusal names a payment by its wire status: "a payment with status error". Putting the
 * article before the status read "a error payment", "a initiated payment"; this reads right for
 * every status.
 */
export function paymentWithStatus(s: PaymentState): string {
  return `a payment with status ${wireStatus(s).status}`;
}

/**
 * Internal state → Okra's `{status, response_status}`.
 *
 * `status` is where the payment is in its life; `response_status` is the outcome so far. The
 * seed's verify sample (`status: "completed", response_status: "success"`) and its definition
 * ("COMPLETED: completed whether or not it was successful") say `completed` means "done" and
 * `response_status` says how it went. So: a settled payment is `completed`/`success`; while the
 * money awaits settlement it is `success_pending_validation`/`success`; failures keep their own
 * status (`error`, `failed`, `cancelled`) and the same `response_status`; a late reversal is
 * `failed`/`failed` (the bank declined it after all — GoCardless's late `failed`), and the
 * history row and the `payment.reversed` event say it was a reversal. `success` is used only as a
 * `response_status`: Okro never stops at a bare "bank said 2xx" without knowing about settlement.
 */
export function wireStatus(s: PaymentState): WirePaymentStatus {
  switch (s) {
    case "queued":
      return { status: "pending", response_status: "pending" };
    case "awaiting_authorisation":
    case "processing":
    case "unknown":
      return { status: "initiated", response_status: "pending" };
    case "review":
      return { status: "review", response_status: "pending" };
    case "succeeded":
      return { status: "success_pending_validation", response_status: "success" };
    case "settled":
      return { status: "completed", response_status: "success" };
    case "errored":
      return { status: "error", response_status: "error" };
    case "failed":
    case "reversed":
      return { status: "failed", response_status: "failed" };
    case "cancelled":
      return { status: "cancelled", response_status: "cancelled" };
    default: {
      const unreachable: never = s;
      throw new Error(`unknown payment state ${String(unreachable)}`);
    }
  }
}
