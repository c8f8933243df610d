import type { Config } from "../config.js";

/**
 * The payments engine's clock arithmetic and bank references: how long to wait before looking at
 * a row again, how long a claim holds it, and the reference a bank deduplicates a send by. Shared
 * by the transitions (which schedule the next check of the state they enter) and the bank-call
 * paths (execute.ts), so neither imports the other for them.
 */

/** First re-query delay; doubles per check. */
export const REQUERY_BASE_MS = 2_000;
/** Longest pause between two re-queries. */
export const REQUERY_MAX_MS = 5 * 60_000;
/**
 * A widget debit the bank still says it never saw this long after it was sent cannot be on its
 * way any more (the call's own timeout is far shorter): it is `failed` (`not_received_by_bank`).
 * Widget payments cannot be re-sent: the customer's OTP was for that one attempt.
 */
export const NOT_RECEIVED_AFTER_MS = 5 * 60_000;
/**
 * A payment awaiting the customer's OTP/PIN is looked at this long after it (re)entered that
 * state: once the widget session that could authorise it has lapsed (or moved on to another
 * payment), nobody can, and it is `failed` (`authorisation_expired`) — releasing a single-use
 * link it held. While the session lives, it is looked at again when the session would lapse.
 */
export const AUTHORISATION_CHECK_MS = 30 * 60_000;
/** A consent whose mandate the bank has never heard of this long after we asked for it is revoked. */
export const MANDATE_LOST_AFTER_MS = 5 * 60_000;

/** 2 s, 4 s, 8 s … capped at 5 min, for the `checks`-th re-query (0-based). */
export function requeryDelayMs(checks: number): number {
  const n = Math.max(0, Math.min(checks, 20));
  return Math.min(REQUERY_MAX_MS, REQUERY_BASE_MS * 2 ** n);
}

/** How long a claim (or an authorising customer) holds a row: `config.payments.leaseMs`, and always over twice one bank call's time limit. */
export function paymentLeaseMs(config: Pick<Config, "payments">): number {
  return Math.max(config.payments.leaseMs, 2 * config.payments.bankTimeoutMs + 1_000);
}

/** The bank's idempotency key for a payment's (or refund's, payout's) attempt: `OKRO<id>A<attempt>`. */
export function paymentReference(id: string, attempt: number): string {
  return `OKRO${id}A${attempt}`;
}
