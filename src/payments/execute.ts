import type { Transaction } from "kysely";
import { ConnectorError, isConnectorError, type BankConnector, type Mandate, type TransferResult, type TransferStatus } from "../banks/connector.js";
import { connectorFor } from "../banks/networks.js";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { sessionHold } from "../widget/session.js";
import type { PaymentState, TransferState } from "./domain.js";
import { enqueueConsentCheck, enqueuePaymentCheck, enqueueTransferCheck, type CheckPayload, type ConsentCheckPayload, type TransferCheckPayload } from "./schedule.js";
import { applyTransition, moveConsent, moveTransfer, type TransferKind, type TransitionInput } from "./transitions.js";
import * as store from "./store.js";
import { MANDATE_LOST_AFTER_MS, NOT_RECEIVED_AFTER_MS, paymentLeaseMs, paymentReference, REQUERY_BASE_MS, REQUERY_MAX_MS, requeryDelayMs } from "./timing.js";
import type { ConsentRow, PaymentRow, PayoutRow, RefundRow } from "./types.js";

/**
 * The bank-call paths of the payments engine: executing a consent payment (`debitMandate`),
 * recording a debit's outcome (for the worker and for the widget's `authorisePayment`),
 * re-querying unknown outcomes, validating settlement, sending refund and payout credits, and
 * activating consents. The job handlers (jobs.ts) call them with the row and the job's payload.
 *
 * The exactly-once rules, everywhere here:
 * - The reference (`OKRO<id>A<attempt>`) is fixed and committed (state `processing`) BEFORE the
 *   bank is called, and no bank call is made inside a database transaction.
 * - An answer that may hide a movement (`timeout`, or anything that is not a classified
 *   ConnectorError) is `unknown`: the next step is always a re-query by reference, never a send.
 * - A re-send happens only after a re-query said `not_found`, with the SAME reference, so the bank
 *   deduplicates it (`duplicate_reference` → re-query again).
 * - Outcomes are recorded by compare-and-set: on the state and attempt for transitions
 *   (applyTransition), on the row's check number for reschedules (schedule.ts). A job that was
 *   superseded (the row moved on or was rescheduled: its `seq` is no longer the row's `checks`)
 *   does nothing, and a run whose job lease lapsed mid-call cannot schedule over the newer run's
 *   work; the ledger's unique entry key is the last backstop.
 */

export {
  AUTHORISATION_CHECK_MS,
  MANDATE_LOST_AFTER_MS,
  NOT_RECEIVED_AFTER_MS,
  paymentLeaseMs,
  paymentReference,
  REQUERY_BASE_MS,
  REQUERY_MAX_MS,
  requeryDelayMs,
} from "./timing.js";

export function debitNarration(row: PaymentRow): string {
  return (row.note ? `OKRO ${row.note}` : `OKRO PAYMENT ${row.id}`).slice(0, 140);
}

/** The connector of the payment's bank (throws when the environment cannot reach it). */
export function requireConnectorFor(ctx: AppContext, row: { env: PaymentRow["env"]; company_id: string; bank_id: string | null }): BankConnector {
  const connector = row.bank_id ? connectorFor(ctx, row.env, row.company_id, row.bank_id) : undefined;
  if (!connector) throw new Error(`no connector for bank ${row.bank_id ?? "(none)"} in ${row.env}`);
  return connector;
}

/** A bank call's outcome, classified for the engine. */
export type BankOutcome<T> =
  | { kind: "ok"; value: T }
  /** The bank answered no (or was unavailable): nothing moved. */
  | { kind: "refused"; error: ConnectorError }
  /** No usable answer: it may have happened. Re-query. */
  | { kind: "unknown"; error: unknown };

export async function callBank<T>(fn: () => Promise<T>): Promise<BankOutcome<T>> {
  try {
    return { kind: "ok", value: await fn() };
  } catch (error) {
    if (isConnectorError(error) && error.kind !== "timeout") return { kind: "refused", error };
    return { kind: "unknown", error };
  }
}

const transaction = <T>(ctx: AppContext, fn: (trx: Transaction<DB>) => Promise<T>) => ctx.db.transaction().execute(fn);

// ── Debits ────────────────────────────────────────────────────────────────────────────────────

/** Okra's failure codes where one exists (okra-api.md §4.3), else the bank's reason. */
function failureCode(error: ConnectorError): string {
  switch (error.reason) {
    case "insufficient_funds":
      return "1013";
    case "unknown_account":
      return "1024";
    case "mandate_inactive":
      return "1027";
    case "invalid_otp":
      return "1010";
    default:
      return error.reason ?? error.kind;
  }
}

export interface RecordedDebit {
  payment: PaymentRow;
  /** Set when the payment went back to `awaiting_authorisation` (widget payments): what to tell the customer. */
  retry?: { reason: "invalid_otp" | "bank_unavailable" | "bank_session_expired"; attemptsLeft?: number; message: string };
  /** What happened, for logs and metrics. */
  label: string;
}

/**
 * Records the outcome of the debit sent for `row` (state `processing`, its attempt's reference
 * committed). One transaction; compare-and-set on the attempt. When someone else already moved
 * the payment (a re-query job, after our hold lapsed), returns the payment as it is now.
 */
export async function recordDebitOutcome(ctx: AppContext, row: PaymentRow, outcome: BankOutcome<TransferResult>): Promise<RecordedDebit> {
  const consent = row.method === "consent";
  const now = ctx.clock.now();
  const go = async (to: PaymentState, t: TransitionInput, label: string, retry?: RecordedDebit["retry"]): Promise<RecordedDebit> => {
    const moved = await transaction(ctx, (trx) => applyTransition(trx, ctx, row, to, t));
    if (!moved) return { payment: await current(ctx, row), label: "lost_race" };
    return { payment: moved, label, ...(retry ? { retry } : {}) };
  };
  const later = async (delayMs: number, label: string): Promise<RecordedDebit> => {
    const updated = await transaction(ctx, async (trx) => {
      const bumped = await store.bumpPaymentCheck(trx, row.id, "processing", row.checks, now);
      if (bumped) await enqueuePaymentCheck(trx, bumped, { now, runAt: new Date(now.getTime() + delayMs) });
      return bumped;
    });
    return { payment: updated ?? (await current(ctx, row)), label };
  };

  if (outcome.kind === "ok") {
    const r = outcome.value;
    switch (r.status) {
      case "success":
        return go("succeeded", { actor: "bank", reason: "bank_confirmed", detail: { session_id: r.sessionId } }, "succeeded");
      case "pending":
        return later(requeryDelayMs(0), "bank_pending");
      case "failed":
        return go(
          "failed",
          { actor: "bank", reason: "bank_failed", set: { failure_code: "bank_failed", failure_reason: r.failureReason ?? "the bank could not complete the debit" } },
          "failed",
        );
    }
  }
  if (outcome.kind === "unknown") {
    const detail = isConnectorError(outcome.error) ? { error: outcome.error.message } : { error: "connector_failure" };
    return go("unknown", { actor: "bank", reason: "bank_timeout", detail }, "unknown");
  }

  const error = outcome.error;
  const back = (reason: NonNullable<RecordedDebit["retry"]>["reason"], message: string) =>
    go(
      "awaiting_authorisation",
      { actor: "bank", reason, detail: { bank_message: error.message, ...(error.attemptsLeft !== undefined ? { attempts_left: error.attemptsLeft } : {}) } },
      `retry_${reason}`,
      { reason, message, ...(error.attemptsLeft !== undefined ? { attemptsLeft: error.attemptsLeft } : {}) },
    );
  const errored = (label: string) =>
    go("errored", { actor: "bank", reason: error.reason ?? error.kind, set: { failure_code: failureCode(error), failure_reason: error.message } }, label);
  const failed = (label: string) =>
    go("failed", { actor: "bank", reason: error.reason ?? error.kind, set: { failure_code: failureCode(error), failure_reason: error.message } }, label);

  switch (error.kind) {
    case "retryable":
    case "rate_limited":
      // Nothing moved. A consent payment keeps its reference: the re-query finds `not_found` and re-sends it.
      if (consent) return later(Math.max(requeryDelayMs(0), error.retryAfterMs ?? 0), "bank_unavailable");
      return back("bank_unavailable", "the bank is not available right now; try again in a moment");
    case "not_supported":
      return errored("not_supported");
    case "timeout":
      throw new Error("unreachable: timeouts are unknown outcomes");
    case "rejected":
      switch (error.reason) {
        case "duplicate_reference":
          // The bank has a debit with this reference: an earlier send of the same attempt arrived. Ask it.
          return later(0, "duplicate_reference");
        case "insufficient_funds":
        case "limit_exceeded":
        case "unknown_account":
          return errored(error.reason);
        case "invalid_otp":
          if (consent) return errored("invalid_otp");
          return back("invalid_otp", error.message);
        case "session_expired":
        case "mfa_expired":
          if (consent) return errored(error.reason);
          return back("bank_session_expired", "the bank session has ended; log in to your bank again");
        case "mandate_inactive":
        case "locked":
          return failed(error.reason);
        default:
          return errored(error.reason ?? "bank_rejected");
      }
  }
}

async function current(ctx: AppContext, row: PaymentRow): Promise<PaymentRow> {
  return (await store.paymentById(ctx.db, row.id)) ?? row;
}

/**
 * Leaves a payment where it is and schedules its next check after `delayMs` (compare-and-set on the
 * job's check number). `streak` counts the check as one more that changed nothing, unless told not to.
 */
async function reschedule(ctx: AppContext, row: PaymentRow, job: CheckPayload, delayMs: number, label: string, opts: { countCheck?: boolean } = {}): Promise<string> {
  const now = ctx.clock.now();
  await transaction(ctx, async (trx) => {
    const bumped = await store.bumpPaymentCheck(trx, row.id, row.state, job.seq, now);
    if (bumped) await enqueuePaymentCheck(trx, bumped, { now, runAt: new Date(now.getTime() + delayMs), streak: opts.countCheck === false ? job.streak : job.streak + 1 });
  });
  return label;
}

/** Whether the check job `job` is still the payment's latest and the payment in one of `states`; else the job was superseded. */
function isCurrent(row: { state: string; checks: number } | undefined, job: { seq: number }, states: readonly string[]): boolean {
  return row !== undefined && row.checks === job.seq && states.includes(row.state);
}

/** Sends (or re-sends, same reference) a consent payment's mandate debit and records the outcome. */
async function sendMandateDebit(ctx: AppContext, row: PaymentRow, consent: ConsentRow): Promise<string> {
  const connector = requireConnectorFor(ctx, row);
  const outcome = await callBank(() =>
    connector.debitMandate(
      { mandateId: consent.mandate_id!, amount: Number(row.amount), currency: row.currency, reference: row.reference!, narration: debitNarration(row) },
      { timeoutMs: ctx.config.payments.bankTimeoutMs },
    ),
  );
  return (await recordDebitOutcome(ctx, row, outcome)).label;
}

/**
 * `payments.execute` for attempt `attempt` of a `queued` consent payment: check the consent, move to
 * `processing` with the new attempt and reference (committed; its re-query is scheduled for when
 * the hold lapses), then `debitMandate` and record the outcome. Enqueued only once the consent is
 * active (transitions.ts), so a pending consent here is a broken invariant: the job throws and is
 * retried (and kept `failed` if it never clears).
 */
export async function executeQueued(ctx: AppContext, row: PaymentRow | undefined, job: { attempt: number; orWait?: boolean }): Promise<string> {
  if (!row || row.state !== "queued" || row.attempt + 1 !== job.attempt) return "superseded";
  // Widget payments are sent by authorisePayment, never by a job.
  if (row.method !== "consent") return "not_for_worker";
  const consent = row.consent_id ? await store.consentById(ctx.db, row.consent_id) : undefined;
  const now = ctx.clock.now();
  if (!consent || consent.status === "revoked") {
    await transaction(ctx, (trx) =>
      applyTransition(trx, ctx, row, "failed", {
        actor: "worker",
        reason: "consent_revoked",
        set: { failure_code: "1027", failure_reason: "the customer's payment consent was revoked" },
      }),
    );
    return "consent_revoked";
  }
  if (consent.status === "pending" || !consent.mandate_id) {
    if (job.orWait) return "consent_pending";
    throw new Error(`payment ${row.id}: consent ${consent.id} is not active yet; its activation sends the payment`);
  }
  if (row.amount > consent.max_amount) {
    await transaction(ctx, (trx) =>
      applyTransition(trx, ctx, row, "errored", {
        actor: "worker",
        reason: "above_consent_limit",
        set: { failure_code: "limit_exceeded", failure_reason: `above the consent's limit of ${consent.max_amount} kobo per debit` },
      }),
    );
    return "above_consent_limit";
  }
  const attempt = row.attempt + 1;
  const sending = await transaction(ctx, (trx) =>
    applyTransition(trx, ctx, row, "processing", {
      actor: "worker",
      reason: "debit_sent",
      detail: { attempt },
      set: { attempt, reference: paymentReference(row.id, attempt), sent_at: now },
    }),
  );
  if (!sending) return "lost_race";
  return sendMandateDebit(ctx, sending, consent);
}

/**
 * Sends a `queued` consent payment made with `sender: "caller"` (initiatePayment), after the
 * transaction that made it committed: the same path as the `payments.execute` job (processing with
 * its reference committed, the bank call, the outcome by compare-and-set). Safe to call again
 * (a crash between creation and sending: the caller's job runs again): a payment already sent is
 * `superseded`; one whose consent is not active yet is left for the activation to send.
 */
export async function sendQueuedPayment(ctx: AppContext, row: PaymentRow): Promise<string> {
  return executeQueued(ctx, row, { attempt: row.attempt + 1, orWait: true });
}

/**
 * `payments.expire_authorisation` of an `awaiting_authorisation` payment: failed
 * (`authorisation_expired`, actor scheduler) when the widget session that could authorise it has
 * lapsed, is gone, or holds another payment; otherwise looked at again when the session would
 * lapse. Nothing was sent to a bank.
 */
export async function expireUnauthorised(ctx: AppContext, row: PaymentRow | undefined, job: CheckPayload): Promise<string> {
  if (!row || !isCurrent(row, job, ["awaiting_authorisation"])) return "superseded";
  const now = ctx.clock.now();
  const session = row.widget_session_id ? await sessionHold(ctx.db, row.widget_session_id) : undefined;
  if (session && session.payment_id === row.id && session.expires_at.getTime() > now.getTime()) {
    const next = Math.max(session.expires_at.getTime(), now.getTime() + REQUERY_BASE_MS);
    return reschedule(ctx, row, job, next - now.getTime(), "awaiting_customer", { countCheck: false });
  }
  const moved = await transaction(ctx, (trx) =>
    applyTransition(trx, ctx, row, "failed", {
      actor: "scheduler",
      reason: "authorisation_expired",
      set: { failure_code: "authorisation_expired", failure_reason: "the customer did not authorise the payment before their session ended" },
    }),
  );
  return moved ? "authorisation_expired" : "lost_race";
}

/**
 * `payments.requery` of a `processing` (its sender's hold lapsed: the process sending it died, or
 * it waits for a pending debit) or `unknown` payment: ask the bank by reference, never send blindly.
 */
export async function requeryPayment(ctx: AppContext, row: PaymentRow | undefined, job: CheckPayload): Promise<string> {
  if (!row || !isCurrent(row, job, ["processing", "unknown"])) return "superseded";
  if (!row.reference) {
    // Unreachable: every path into processing fixes the reference in the same statement.
    return reschedule(ctx, row, job, REQUERY_MAX_MS, "no_reference");
  }
  const connector = requireConnectorFor(ctx, row);
  const status = await callBank(() => connector.debitStatus({ reference: row.reference! }, { timeoutMs: ctx.config.payments.bankTimeoutMs }));
  if (status.kind !== "ok") return reschedule(ctx, row, job, requeryDelayMs(job.streak), "requery_failed");
  const s: TransferStatus = status.value;
  const now = ctx.clock.now();
  const move = async (to: PaymentState, t: TransitionInput, label: string) => {
    const moved = await transaction(ctx, (trx) => applyTransition(trx, ctx, row, to, t));
    return moved ? label : "lost_race";
  };
  switch (s.status) {
    case "success":
      return move("succeeded", { actor: "bank", reason: "bank_confirmed", detail: { requery: true, session_id: s.sessionId } }, "succeeded");
    case "failed":
      return move(
        "failed",
        { actor: "bank", reason: "bank_failed", detail: { requery: true }, set: { failure_code: "bank_failed", failure_reason: s.failureReason ?? "the bank could not complete the debit" } },
        "failed",
      );
    case "pending":
      if (row.state === "unknown") {
        return move("processing", { actor: "bank", reason: "bank_pending", due: new Date(now.getTime() + requeryDelayMs(0)) }, "bank_pending");
      }
      return reschedule(ctx, row, job, requeryDelayMs(job.streak), "bank_pending");
    case "not_found": {
      if (row.method !== "consent") {
        const sentAt = row.sent_at?.getTime() ?? row.updated_at.getTime();
        if (now.getTime() - sentAt >= NOT_RECEIVED_AFTER_MS) {
          return move(
            "failed",
            { actor: "bank", reason: "not_received_by_bank", set: { failure_code: "not_received_by_bank", failure_reason: "the bank never received the debit" } },
            "not_received_by_bank",
          );
        }
        return reschedule(ctx, row, job, requeryDelayMs(job.streak), "not_found_yet");
      }
      // The bank never saw it: re-send with the SAME reference (the bank deduplicates a late first one).
      const consent = row.consent_id ? await store.consentById(ctx.db, row.consent_id) : undefined;
      if (!consent?.mandate_id) return reschedule(ctx, row, job, requeryDelayMs(job.streak), "no_mandate");
      let sending: PaymentRow | undefined;
      if (row.state === "unknown") {
        // Its re-query is scheduled for when the sender's hold lapses (applyTransition).
        sending = await transaction(ctx, (trx) => applyTransition(trx, ctx, row, "processing", { actor: "worker", reason: "resent_not_found" }));
      } else {
        // Already processing (its hold lapsed): a new hold, the re-query after it.
        sending = await transaction(ctx, async (trx) => {
          const bumped = await store.bumpPaymentCheck(trx, row.id, "processing", job.seq, now);
          if (bumped) await enqueuePaymentCheck(trx, bumped, { now, runAt: new Date(now.getTime() + paymentLeaseMs(ctx.config)), streak: job.streak });
          return bumped;
        });
      }
      if (!sending) return "lost_race";
      return sendMandateDebit(ctx, sending, consent);
    }
  }
}

/** `payments.settle` of a `succeeded` payment whose settlement delay has passed: validate by re-query, then settle (or reverse). */
export async function settlePayment(ctx: AppContext, row: PaymentRow | undefined, job: CheckPayload): Promise<string> {
  if (!row || !isCurrent(row, job, ["succeeded"])) return "superseded";
  if (!row.reference) return reschedule(ctx, row, job, REQUERY_MAX_MS, "no_reference");
  const connector = requireConnectorFor(ctx, row);
  const status = await callBank(() => connector.debitStatus({ reference: row.reference! }, { timeoutMs: ctx.config.payments.bankTimeoutMs }));
  if (status.kind !== "ok") return reschedule(ctx, row, job, requeryDelayMs(job.streak), "requery_failed");
  const s = status.value;
  if (s.status === "success") {
    const moved = await transaction(ctx, (trx) => applyTransition(trx, ctx, row, "settled", { actor: "scheduler", reason: "settlement_validated" }));
    return moved ? "settled" : "lost_race";
  }
  if (s.status === "failed") {
    const moved = await transaction(ctx, (trx) =>
      applyTransition(trx, ctx, row, "reversed", {
        actor: "bank",
        reason: "bank_reversed",
        set: { failure_code: "reversed", failure_reason: s.failureReason ?? "the bank reversed the debit" },
      }),
    );
    return moved ? "reversed" : "lost_race";
  }
  // pending (not settled yet), or a bank that lost track of it (not_found): ask again later.
  return reschedule(ctx, row, job, requeryDelayMs(job.streak), s.status === "pending" ? "settlement_pending" : "settlement_not_found");
}

// ── Credits: refunds and payouts ──────────────────────────────────────────────────────────────

const TABLE = { refund: "refunds", payout: "payouts" } as const;

/** {@link moveTransfer} in its own transaction (the credit paths run outside any). */
function move<R extends RefundRow | PayoutRow>(
  ctx: AppContext,
  kind: TransferKind,
  row: R,
  to: TransferState,
  t: Parameters<typeof moveTransfer>[5],
): Promise<R | undefined> {
  return transaction(ctx, (trx) => moveTransfer(trx, ctx, kind, row, to, t));
}

/** Leaves a refund or payout where it is and schedules its next check after `delayMs` (compare-and-set on check number `seq`). */
async function rescheduleTransfer(
  ctx: AppContext,
  kind: TransferKind,
  row: RefundRow | PayoutRow,
  seq: number,
  p: { delayMs: number; streak: number; label: string; set?: Parameters<typeof store.bumpTransferCheck>[5] },
): Promise<RefundRow | PayoutRow | undefined> {
  const now = ctx.clock.now();
  return transaction(ctx, async (trx) => {
    const bumped = await store.bumpTransferCheck(trx, TABLE[kind], row.id, row.state, seq, { ...p.set, updated_at: now });
    if (bumped) await enqueueTransferCheck(trx, kind, bumped, { now, runAt: new Date(now.getTime() + p.delayMs), streak: p.streak });
    return bumped;
  });
}

function creditConnector(ctx: AppContext, row: RefundRow | PayoutRow): BankConnector {
  return requireConnectorFor(ctx, { env: row.env, company_id: row.company_id, bank_id: row.bank_id });
}

/** Sends (or re-sends, same reference) the credit of `row` (state `processing`, its check number its own) and records the outcome. */
async function sendCredit(ctx: AppContext, kind: TransferKind, row: RefundRow | PayoutRow): Promise<string> {
  const connector = creditConnector(ctx, row);
  const narration = (kind === "refund" ? `OKRO REFUND ${(row as RefundRow).payment_id}` : `OKRO PAYOUT ${row.id}`).slice(0, 140);
  const outcome = await callBank(() =>
    connector.credit(
      { amount: Number(row.amount), currency: row.currency, reference: row.reference!, narration, destination: { bankId: row.bank_id, nuban: row.nuban } },
      { timeoutMs: ctx.config.payments.bankTimeoutMs },
    ),
  );
  const seq = row.checks;
  if (outcome.kind === "ok") {
    const r = outcome.value;
    if (r.status === "success") {
      return (await move(ctx, kind, row, "succeeded", { actor: "bank", reason: "bank_confirmed", seq })) ? "succeeded" : "lost_race";
    }
    if (r.status === "failed") {
      const set = { failure_reason: r.failureReason ?? "the bank could not complete the credit" };
      return (await move(ctx, kind, row, "failed", { actor: "bank", reason: "bank_failed", set, seq })) ? "failed" : "lost_race";
    }
    await rescheduleTransfer(ctx, kind, row, seq, { delayMs: requeryDelayMs(0), streak: 0, label: "bank_pending" });
    return "bank_pending";
  }
  if (outcome.kind === "unknown") {
    const detail = isConnectorError(outcome.error) ? { error: outcome.error.message } : { error: "connector_failure" };
    return (await move(ctx, kind, row, "unknown", { actor: "bank", reason: "bank_timeout", detail, seq })) ? "unknown" : "lost_race";
  }
  const error = outcome.error;
  if (error.kind === "retryable" || error.kind === "rate_limited" || (error.kind === "rejected" && error.reason === "duplicate_reference")) {
    // Nothing moved (or an earlier send of this reference arrived): re-query, which re-sends on not_found.
    const delay = error.reason === "duplicate_reference" ? 0 : Math.max(requeryDelayMs(0), error.retryAfterMs ?? 0);
    await rescheduleTransfer(ctx, kind, row, seq, { delayMs: delay, streak: 0, label: "bank_unavailable" });
    return "bank_unavailable";
  }
  const set = { failure_reason: error.message };
  return (await move(ctx, kind, row, "failed", { actor: "bank", reason: error.reason ?? error.kind, set, seq })) ? "failed" : "lost_race";
}

/**
 * `refunds.credit` / `payouts.credit`: `pending` → `processing` (attempt and reference committed,
 * its re-query scheduled for when the hold lapses) → credit; `processing` (hold lapsed, or a
 * pending credit) or `unknown` → re-query by reference (creditStatus); `not_found` → re-send with
 * the same reference. A superseded job (the row moved on or was rescheduled) does nothing.
 */
export async function processTransfer(ctx: AppContext, kind: TransferKind, row: RefundRow | PayoutRow | undefined, job: TransferCheckPayload): Promise<string> {
  if (!row || !isCurrent(row, job, ["pending", "processing", "unknown"])) return "superseded";
  const now = ctx.clock.now();
  const claim = { seq: job.seq };
  if (row.state === "pending") {
    const attempt = row.attempt + 1;
    const sending = await move(ctx, kind, row, "processing", {
      actor: "worker",
      reason: "credit_sent",
      detail: { attempt },
      set: { attempt, reference: paymentReference(row.id, attempt), sent_at: now },
      ...claim,
    });
    if (!sending) return "lost_race";
    return sendCredit(ctx, kind, sending);
  }
  const again = (delayMs: number, label: string) => rescheduleTransfer(ctx, kind, row, job.seq, { delayMs, streak: job.streak + 1, label }).then(() => label);
  if (!row.reference) return again(REQUERY_MAX_MS, "no_reference");
  const connector = creditConnector(ctx, row);
  const status = await callBank(() => connector.creditStatus({ reference: row.reference! }, { timeoutMs: ctx.config.payments.bankTimeoutMs }));
  if (status.kind !== "ok") return again(requeryDelayMs(job.streak), "requery_failed");
  const s = status.value;
  switch (s.status) {
    case "success":
      return (await move(ctx, kind, row, "succeeded", { actor: "bank", reason: "bank_confirmed", detail: { requery: true }, ...claim })) ? "succeeded" : "lost_race";
    case "failed": {
      const set = { failure_reason: s.failureReason ?? "the bank could not complete the credit" };
      return (await move(ctx, kind, row, "failed", { actor: "bank", reason: "bank_failed", detail: { requery: true }, set, ...claim })) ? "failed" : "lost_race";
    }
    case "pending":
      if (row.state === "unknown") {
        const due = new Date(now.getTime() + requeryDelayMs(0));
        return (await move(ctx, kind, row, "processing", { actor: "bank", reason: "bank_pending", due, ...claim })) ? "bank_pending" : "lost_race";
      }
      return again(requeryDelayMs(job.streak), "bank_pending");
    case "not_found": {
      // The bank never saw it: re-send with the SAME reference. From unknown that is a move back to
      // processing; a row already processing (its hold lapsed) stays put under a new hold.
      const sending =
        row.state === "unknown"
          ? await move(ctx, kind, row, "processing", { actor: "worker", reason: "resent_not_found", ...claim })
          : await rescheduleTransfer(ctx, kind, row, job.seq, { delayMs: paymentLeaseMs(ctx.config), streak: job.streak, label: "resent_not_found" });
      if (!sending) return "lost_race";
      return sendCredit(ctx, kind, sending);
    }
  }
}

// ── Consents ──────────────────────────────────────────────────────────────────────────────────

/**
 * Records what the bank says of a consent's mandate, by compare-and-set on (status, check number
 * `seq`): active → `active` (`consent.active`; its queued payments are sent now); pending →
 * checked again at `activatesAt`; cancelled/expired → `revoked` (`consent.revoked`).
 */
export async function recordMandate(ctx: AppContext, row: ConsentRow, mandate: Mandate, seq: number): Promise<ConsentRow | undefined> {
  const now = ctx.clock.now();
  const activatesAt = new Date(mandate.activatesAt);
  // The bank announces activation on its clock; a sandbox's runs ahead of ours by its offset (time
  // travel). Read before the transaction: on embedded PGlite the sandbox shares its one connection.
  const offsetMs = mandate.status === "pending" ? await sandboxOffsetMs(ctx, row) : 0;
  return transaction(ctx, async (trx) => {
    if (mandate.status === "pending") {
      const due = activatesAt.getTime() - offsetMs;
      const next = due > now.getTime() ? new Date(due) : new Date(now.getTime() + REQUERY_BASE_MS);
      const updated = await store.casConsent(trx, row.id, "pending", { mandate_id: mandate.id, activates_at: activatesAt, updated_at: now }, { seq, bump: true });
      if (updated) await enqueueConsentCheck(trx, updated, { now, runAt: next });
      return updated;
    }
    return moveConsent(trx, ctx, row, mandate.status === "active" ? "active" : "revoked", {
      actor: "bank",
      reason: `mandate_${mandate.status}`,
      set: { mandate_id: mandate.id, activates_at: activatesAt },
      seq,
    });
  });
}

/** How far a sandbox company's bank clock runs ahead of the platform's (0 in production, or when the sandbox cannot say). */
async function sandboxOffsetMs(ctx: AppContext, row: { env: string; company_id: string }): Promise<number> {
  if (row.env !== "sandbox") return 0;
  try {
    return (await ctx.sandbox.getClock(row.company_id)).offsetMs;
  } catch {
    return 0;
  }
}

/** `consents.activate` of a pending consent: ask the bank about its mandate (by id, or by reference when the creation's answer was lost). */
export async function checkConsent(ctx: AppContext, row: ConsentRow | undefined, job: ConsentCheckPayload): Promise<string> {
  if (!row || row.status !== "pending" || row.checks !== job.seq) return "superseded";
  const now = ctx.clock.now();
  const connector = requireConnectorFor(ctx, row);
  const lookup = row.mandate_id ? { mandateId: row.mandate_id } : { reference: row.reference };
  const outcome = await callBank(() => connector.getMandate(lookup, { timeoutMs: ctx.config.payments.bankTimeoutMs }));
  if (outcome.kind === "ok") {
    const moved = await recordMandate(ctx, row, outcome.value, job.seq);
    return moved ? `mandate_${outcome.value.status}` : "lost_race";
  }
  const age = now.getTime() - row.created_at.getTime();
  if (outcome.kind === "refused" && outcome.error.reason === "not_found" && age >= MANDATE_LOST_AFTER_MS) {
    // The bank never received the mandate request; it cannot be re-sent without the customer's OTP.
    const revoked = await transaction(ctx, (trx) => moveConsent(trx, ctx, row, "revoked", { actor: "worker", reason: "mandate_lost", set: {}, seq: job.seq }));
    return revoked ? "mandate_lost" : "lost_race";
  }
  const delay = Math.min(REQUERY_MAX_MS, Math.max(REQUERY_BASE_MS, Math.floor(age / 2)));
  await transaction(ctx, async (trx) => {
    const updated = await store.casConsent(trx, row.id, "pending", {}, { seq: job.seq, bump: true });
    if (updated) await enqueueConsentCheck(trx, updated, { now, runAt: new Date(now.getTime() + delay) });
  });
  return "mandate_unknown";
}
