import { sql } from "kysely";
import { z } from "zod";
import type { Env } from "../core/tenancy.js";
import { jobKind, type RetryPolicy } from "../jobs/define.js";
import { enqueue } from "../jobs/store.js";
import type { Trx } from "../core/db.js";

/**
 * When the payments engine's deferred work is due: the job kinds (name, payload, retry) and the
 * functions that enqueue them, in the transaction of the change that makes the work due
 * (docs/decisions/0012-one-job-runner.md). The handlers are attached in jobs.ts, beside the bank
 * calls; this module knows only the kinds, so transitions.ts can schedule without importing the
 * bank-call paths.
 *
 * **One live check per row.** Payments, refunds, payouts and consents carry `checks`: the number of
 * the row's latest scheduled check job, bumped in the same statement (or transaction) that
 * enqueues it, whose key is `<object>:<id>:check:<n>`. A handler first compares its `seq` with the
 * row's `checks`: a job whose number is no longer the row's was superseded (the row moved on, or
 * was rescheduled) and does nothing. That number is also the compare-and-set a reschedule makes
 * (`… WHERE checks = $seq`), so of two runs of one job (a lease that lapsed mid-call) only one can
 * schedule the next check. Money is kept safe by the state machine's compare-and-set and the
 * committed bank reference; the keys make a replayed enqueue a no-op.
 *
 * **Backoff.** `streak` counts the re-queries in a row that left the row where it was: the job
 * after a reschedule waits `requeryDelayMs(streak)` and carries `streak + 1`; a state change
 * starts again at 0 (as the old `checks` reset did).
 *
 * Every payload carries `env`: advancing a sandbox's clock brings the company's queued `sandbox`
 * jobs forward (src/jobs/store.ts `shiftSandboxJobs`).
 */

/**
 * Handlers that throw (a database error, a connector that cannot be built) are retried for about an
 * hour and a half (5 s doubling to 5 min, 20 runs), then kept `failed` and counted in
 * `okro_jobs{state="failed"}` for someone to look at; bank outcomes never throw (they are states).
 */
export const PAYMENT_JOB_RETRY: RetryPolicy = { maxAttempts: 20, backoff: { initialMs: 5_000, factor: 2, maxMs: 5 * 60_000 } };

const env = z.enum(["sandbox", "production"]);
const check = { seq: z.number().int().positive(), streak: z.number().int().min(0), env };
const retry = PAYMENT_JOB_RETRY;

/** Send a queued consent payment's debit (attempt `attempt`). Key `payment:<id>:attempt:<n>`. */
export const EXECUTE = jobKind({ name: "payments.execute", payload: z.object({ paymentId: z.string(), attempt: z.number().int().positive(), env }), retry });
/** Ask the bank about a `processing`/`unknown` debit. Key `payment:<id>:check:<n>`. */
export const REQUERY = jobKind({ name: "payments.requery", payload: z.object({ paymentId: z.string(), ...check }), retry });
/** Validate a `succeeded` debit's settlement. Key `payment:<id>:check:<n>`. */
export const SETTLE = jobKind({ name: "payments.settle", payload: z.object({ paymentId: z.string(), ...check }), retry });
/** Fail an `awaiting_authorisation` payment nobody can authorise any more. Key `payment:<id>:check:<n>`. */
export const EXPIRE_AUTHORISATION = jobKind({ name: "payments.expire_authorisation", payload: z.object({ paymentId: z.string(), ...check }), retry });
/** Send, re-query or re-send a refund's credit. Key `refund:<id>:check:<n>`. */
export const REFUND_CREDIT = jobKind({ name: "refunds.credit", payload: z.object({ id: z.string(), ...check }), retry });
/** Send, re-query or re-send a payout's credit. Key `payout:<id>:check:<n>`. */
export const PAYOUT_CREDIT = jobKind({ name: "payouts.credit", payload: z.object({ id: z.string(), ...check }), retry });
/** Ask the bank whether a pending consent's mandate is active. Key `consent:<id>:check:<n>`. */
export const ACTIVATE_CONSENT = jobKind({ name: "consents.activate", payload: z.object({ consentId: z.string(), seq: z.number().int().positive(), env }), retry });

export type CheckPayload = z.output<typeof REQUERY.payload>;
export type TransferCheckPayload = z.output<typeof REFUND_CREDIT.payload>;
export type ConsentCheckPayload = z.output<typeof ACTIVATE_CONSENT.payload>;

/** The check job a payment in `state` waits for, if any (queued consent payments wait for {@link EXECUTE} instead). */
export function paymentCheckKind(state: string) {
  switch (state) {
    case "processing":
    case "unknown":
      return REQUERY;
    case "succeeded":
      return SETTLE;
    case "awaiting_authorisation":
      return EXPIRE_AUTHORISATION;
    default:
      return undefined;
  }
}

interface Checked {
  id: string;
  company_id: string;
  env: Env;
  /** The row's `checks` after the bump: this job's number. */
  checks: number;
}

/** Enqueues the payment's check number `row.checks` (already bumped in this transaction) of the kind its state waits for. */
export async function enqueuePaymentCheck(trx: Trx, row: Checked & { state: string }, p: { now: Date; runAt: Date; streak?: number }): Promise<void> {
  const kind = paymentCheckKind(row.state);
  if (!kind) throw new Error(`payment ${row.id}: nothing to check in state ${row.state}`);
  await enqueue(trx, kind, { paymentId: row.id, seq: row.checks, streak: p.streak ?? 0, env: row.env }, {
    now: p.now,
    runAt: p.runAt,
    key: `payment:${row.id}:check:${row.checks}`,
    companyId: row.company_id,
  });
}

/** Enqueues the sending of a queued consent payment's next attempt (`attempt + 1`), due at `runAt`. */
export async function enqueueExecute(trx: Trx, row: { id: string; company_id: string; env: Env; attempt: number }, p: { now: Date; runAt?: Date }): Promise<void> {
  const attempt = row.attempt + 1;
  await enqueue(trx, EXECUTE, { paymentId: row.id, attempt, env: row.env }, { now: p.now, runAt: p.runAt ?? p.now, key: `payment:${row.id}:attempt:${attempt}`, companyId: row.company_id });
}

/** Queued consent payments of a consent that just became active (or revoked: they fail): their sending is due now. */
export async function enqueueExecuteForConsent(trx: Trx, consentId: string, now: Date): Promise<void> {
  const queued = await trx
    .selectFrom("payments")
    .select(["id", "company_id", "env", "attempt"])
    .where("consent_id", "=", consentId)
    .where("state", "=", "queued")
    .where("method", "=", "consent")
    .execute();
  for (const row of queued) await enqueueExecute(trx, row, { now });
}

/** Enqueues a refund's or payout's check number `row.checks` (already bumped in this transaction). */
export async function enqueueTransferCheck(trx: Trx, kind: "refund" | "payout", row: Checked, p: { now: Date; runAt: Date; streak?: number }): Promise<void> {
  await enqueue(trx, kind === "refund" ? REFUND_CREDIT : PAYOUT_CREDIT, { id: row.id, seq: row.checks, streak: p.streak ?? 0, env: row.env }, {
    now: p.now,
    runAt: p.runAt,
    key: `${kind}:${row.id}:check:${row.checks}`,
    companyId: row.company_id,
  });
}

/** Enqueues a consent's check number `row.checks` (already bumped in this transaction). */
export async function enqueueConsentCheck(trx: Trx, row: Checked, p: { now: Date; runAt: Date }): Promise<void> {
  await enqueue(trx, ACTIVATE_CONSENT, { consentId: row.id, seq: row.checks, env: row.env }, {
    now: p.now,
    runAt: p.runAt,
    key: `consent:${row.id}:check:${row.checks}`,
    companyId: row.company_id,
  });
}

/** `checks + 1`, for the statement that moves or reschedules a row and numbers its next check. */
export const NEXT_CHECK = sql<number>`checks + 1`;
