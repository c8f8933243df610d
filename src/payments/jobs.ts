import type { AppContext } from "../context.js";
import { defineJob, type JobDefinition, type RunningJob } from "../jobs/define.js";
import { checkConsent, executeQueued, expireUnauthorised, processTransfer, requeryPayment, settlePayment } from "./execute.js";
import { ACTIVATE_CONSENT, EXECUTE, EXPIRE_AUTHORISATION, PAYOUT_CREDIT, REFUND_CREDIT, REQUERY, SETTLE } from "./schedule.js";
import * as store from "./store.js";
import { paymentLeaseMs } from "./timing.js";

/**
 * The payments engine's job definitions: the kinds of schedule.ts (enqueued by the transitions that
 * make the work due) with their handlers, the bank-call paths of execute.ts. Register
 * {@link PAYMENT_JOBS} with the one JobRunner (`okro serve`, `okro worker`, tests, benches).
 *
 * Each handler reads its row and lets the row decide: a job that was superseded (the row moved on,
 * or a newer check was scheduled) does nothing. Bank calls follow the engine's pattern (intent and
 * reference committed first, the call outside any transaction, the outcome by compare-and-set,
 * unknown → re-query); the job is only the trigger, so the handlers' effects are their own
 * transactions and the runner completes the job after.
 */

/**
 * How long a claim holds a payment job (business time, ms): {@link paymentLeaseMs}, the engine's
 * hold (`OKRO_PAYMENT_LEASE_MS`, and always over twice one bank call's time limit), so a run is not
 * taken over while it waits on a bank, and a killed worker's jobs are taken over as soon as a
 * sender's hold would lapse. The lease only decides when another runner may run the job again;
 * what keeps money safe is the row's state and check number.
 */
const PAYMENT_JOB_LEASE_MS = (ctx: AppContext) => paymentLeaseMs(ctx.config);

/**
 * Logs what a handler did (`outcome`: succeeded, unknown, bank_pending, superseded, lost_race, …):
 * at info when it is worth a look (an unknown outcome, a race lost to another run), else at debug.
 */
function logOutcome(job: RunningJob<unknown>, outcome: string): void {
  const notable = outcome === "unknown" || outcome === "lost_race";
  job.log[notable ? "info" : "debug"]({ outcome }, "payment job handled");
}

const payment = (ctx: AppContext, id: string) => store.paymentById(ctx.db, id);

export const executePaymentJob = defineJob({
  ...EXECUTE,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await executeQueued(job.ctx, await payment(job.ctx, job.payload.paymentId), job.payload)),
});

export const requeryPaymentJob = defineJob({
  ...REQUERY,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await requeryPayment(job.ctx, await payment(job.ctx, job.payload.paymentId), job.payload)),
});

export const settlePaymentJob = defineJob({
  ...SETTLE,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await settlePayment(job.ctx, await payment(job.ctx, job.payload.paymentId), job.payload)),
});

export const expireAuthorisationJob = defineJob({
  ...EXPIRE_AUTHORISATION,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await expireUnauthorised(job.ctx, await payment(job.ctx, job.payload.paymentId), job.payload)),
});

export const refundCreditJob = defineJob({
  ...REFUND_CREDIT,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await processTransfer(job.ctx, "refund", await store.transferById(job.ctx.db, "refunds", job.payload.id), job.payload)),
});

export const payoutCreditJob = defineJob({
  ...PAYOUT_CREDIT,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await processTransfer(job.ctx, "payout", await store.transferById(job.ctx.db, "payouts", job.payload.id), job.payload)),
});

export const activateConsentJob = defineJob({
  ...ACTIVATE_CONSENT,
  leaseMs: PAYMENT_JOB_LEASE_MS,
  handler: async (job) => logOutcome(job, await checkConsent(job.ctx, await store.consentById(job.ctx.db, job.payload.consentId), job.payload)),
});

/** Every payments job, for the runner of `okro serve` and `okro worker`. Consents first: an activation makes queued payments due in the same pass. */
export const PAYMENT_JOBS: readonly JobDefinition[] = [
  activateConsentJob,
  executePaymentJob,
  requeryPaymentJob,
  settlePaymentJob,
  expireAuthorisationJob,
  refundCreditJob,
  payoutCreditJob,
];
