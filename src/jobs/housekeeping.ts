import { z } from "zod";
import { purgeExpiredSessions as purgeExpiredSandboxSessions } from "../banks/sandbox/store.js";
import { IDEMPOTENCY_TTL_MS, purgeExpiredIdempotencyKeys } from "../core/idempotency.js";
import { purgeRateLimits, RATE_LIMIT_MAX_WINDOW_MS } from "../http/rate-limit.js";
import { purgeRequestLog, REQUEST_LOG_RETENTION_MS } from "../platform/request-log.js";
import { purgeSignInGuards } from "../platform/signin-guard.js";
import { purgeExpiredWidgetSessions } from "../widget/session.js";
import { defineJob, type JobDefinition } from "./define.js";
import { purgeFinishedJobs } from "./store.js";

/**
 * Housekeeping: recurring jobs that keep tables from growing forever. Each is enqueued once per
 * period by every runner that knows it, under the key of the period's start, so a cluster runs each
 * period's sweep once (and a missed period is simply the next one's work). They replace sweeps that
 * rode on requests (1 mutation in 100, 1 widget session in 20, 1 sandbox login in 200, 1 rate-limit
 * hit in 200): a quiet system now sweeps too, and no request pays for it.
 *
 * This file is where the runner meets the domains (like api-modules.ts for routes): the purges
 * themselves stay with the tables they sweep.
 */

/** Batches per run: a sweep that falls behind catches up over a few periods instead of holding the database. */
const MAX_BATCHES = 20;
const BATCH = 1_000;
/** Done jobs are kept this long (their unique keys with them: a key is "enqueued once" while its job is kept). */
export const FINISHED_JOB_RETENTION_MS = 7 * 24 * 3_600_000;

const noPayload = z.object({});
const MINUTE_MS = 60_000;

async function inBatches(run: () => Promise<number>, batch: number): Promise<void> {
  for (let i = 0; i < MAX_BATCHES; i++) if ((await run()) < batch) return;
}

/** Expired Idempotency-Key rows (kept IDEMPOTENCY_TTL_MS). */
export const purgeIdempotencyKeysJob = defineJob({
  name: "housekeeping.idempotency_keys",
  payload: noPayload,
  everyMs: 10 * MINUTE_MS,
  handler: async (job) => {
    const cutoff = new Date(job.ctx.clock.now().getTime() - IDEMPOTENCY_TTL_MS);
    await inBatches(() => purgeExpiredIdempotencyKeys(job.ctx.db, cutoff, BATCH), BATCH);
  },
});

/** Widget sessions: secrets of lapsed sessions wiped, long-expired sessions deleted. Often, because it wipes secrets. */
export const purgeWidgetSessionsJob = defineJob({
  name: "housekeeping.widget_sessions",
  payload: noPayload,
  everyMs: 5 * MINUTE_MS,
  handler: (job) => purgeExpiredWidgetSessions(job.ctx, job.ctx.clock.now()),
});

/** Sandbox bank sessions expired over a day ago. */
export const purgeSandboxSessionsJob = defineJob({
  name: "housekeeping.sandbox_sessions",
  payload: noPayload,
  everyMs: 60 * MINUTE_MS,
  handler: async (job) => {
    const now = job.ctx.clock.now();
    await inBatches(() => purgeExpiredSandboxSessions(job.ctx.db, now), 1_000);
  },
});

/** Rate-limit counts of windows that are over, whatever their store's window length. */
export const purgeRateLimitsJob = defineJob({
  name: "housekeeping.rate_limits",
  payload: noPayload,
  everyMs: 10 * MINUTE_MS,
  handler: async (job) => {
    const before = new Date(job.ctx.clock.now().getTime() - RATE_LIMIT_MAX_WINDOW_MS);
    await inBatches(() => purgeRateLimits(job.ctx.db, before, BATCH), BATCH);
  },
});

/** Dashboard sign-in counts (per email) untouched for a day and not locked. */
export const purgeSignInGuardsJob = defineJob({
  name: "housekeeping.signin_guards",
  payload: noPayload,
  everyMs: 60 * MINUTE_MS,
  handler: async (job) => {
    const now = job.ctx.clock.now();
    await inBatches(() => purgeSignInGuards(job.ctx.db, now, BATCH), BATCH);
  },
});

/** The jobs table's own done rows. Failed jobs stay until someone looks at them. */
export const purgeFinishedJobsJob = defineJob({
  name: "housekeeping.finished_jobs",
  payload: noPayload,
  everyMs: 60 * MINUTE_MS,
  handler: async (job) => {
    const before = new Date(job.ctx.clock.now().getTime() - FINISHED_JOB_RETENTION_MS);
    await inBatches(() => purgeFinishedJobs(job.ctx.db, before, BATCH), BATCH);
  },
});

/** API request log rows older than REQUEST_LOG_RETENTION_MS (the log grows with every request: swept often, in batches). */
export const purgeRequestLogJob = defineJob({
  name: "housekeeping.api_request_log",
  payload: noPayload,
  everyMs: 10 * MINUTE_MS,
  handler: async (job) => {
    const before = new Date(job.ctx.clock.now().getTime() - REQUEST_LOG_RETENTION_MS);
    await inBatches(() => purgeRequestLog(job.ctx.db, before, BATCH), BATCH);
  },
});

/** Every housekeeping job, for the runner of `okro serve` and `okro worker`. */
export const HOUSEKEEPING_JOBS: readonly JobDefinition[] = [
  purgeIdempotencyKeysJob,
  purgeWidgetSessionsJob,
  purgeSandboxSessionsJob,
  purgeRateLimitsJob,
  purgeSignInGuardsJob,
  purgeFinishedJobsJob,
  purgeRequestLogJob,
];
