import type { Kysely, Transaction } from "kysely";
import type { z } from "zod";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";

/**
 * A job definition: everything the runner needs to know about one kind of deferred work. A new
 * kind of work is one `defineJob(…)` and registering it with the runner — no new column, table or
 * switch case (docs/decisions/0012-one-job-runner.md).
 */

/** Exponential backoff: attempt n (1-based) failed → wait `initialMs · factor^(n-1)`, at most `maxMs`. */
export interface ExponentialBackoff {
  initialMs: number;
  /** Default 2. */
  factor?: number;
  /** Default one hour. */
  maxMs?: number;
}
/** Or a table or rule of one's own: the delay (ms, business time) after failed attempt `attempt` (1-based). */
export type Backoff = ExponentialBackoff | ((attempt: number) => number);

export interface RetryPolicy {
  /** Runs in all, the first included; a job whose last attempt fails is kept as `failed`. */
  maxAttempts: number;
  backoff: Backoff;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoff: { initialMs: 5_000, factor: 4, maxMs: 3_600_000 } };
/** How long a claim holds a job before another worker may take it over (business time, ms). */
export const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_MAX_BACKOFF_MS = 3_600_000;

/** A handler's log lines, with the job's name, id, key, attempt and runner already on them. */
export interface JobLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What a handler is given: the job, its validated payload, the app, its log and the exactly-once completion. */
export interface RunningJob<P, L = unknown, O = never> {
  readonly id: string;
  readonly name: string;
  /** The unique key it was enqueued with (for a recurring job: its period's start, ISO). */
  readonly key: string | null;
  readonly payload: P;
  /** 1 on the first run; a lapsed lease (crashed worker) counts as an attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly companyId: string | null;
  readonly ctx: AppContext;
  readonly log: JobLog;
  /**
   * Makes the handler's database effects and the job's completion one transaction: locks the job
   * row, checks the lease is still this run's (a worker whose lease lapsed and was taken over
   * gets {@link JobLeaseLostError} and its effects roll back), runs `fn`, marks the job done,
   * commits. Call it at most once, as the handler's last step. A handler that returns without
   * calling it is completed by the runner (same lease check), with no effects of its own.
   */
  complete<T>(fn?: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Records this run as failed together with its effects, in one transaction that checks the
   * lease as `complete` does: the job is queued again after the definition's backoff, or failed
   * for good when this was its last attempt or `final` is set. `fn` is told which (`retryAt`,
   * null: for good). The handler then returns normally. Call it at most once, instead of `complete`.
   */
  fail<T>(error: string, fn?: (trx: Transaction<DB>, outcome: { retryAt: Date | null }) => Promise<T>, options?: { final?: boolean }): Promise<T>;
  /**
   * What the definition's {@link JobBatching.load} loaded for this job with its claim (one
   * statement for every job claimed together); undefined when it has no `load`, or the load
   * failed (the handler then loads it itself).
   */
  readonly loaded: L | undefined;
  /**
   * Records this run's outcome through the definition's {@link JobBatching.record}, grouped with
   * the outcomes of the other jobs of its kind that finish at about the same time: one
   * transaction, one lease check and state change for all of them (one multi-row statement), the
   * definition's multi-row effects. Without `failure` the job is done; with it, the run failed
   * as in {@link fail} (queued again after the backoff, or failed for good). Resolves once
   * committed, with when it runs again (`retryAt`, null: never); rejects with
   * {@link JobLeaseLostError} when the lease was taken over (nothing of this job written).
   * Call it at most once, instead of `complete`/`fail`; only on a definition with `batch`.
   */
  settle(outcome: O, failure?: { error: string; final?: boolean }): Promise<{ retryAt: Date | null }>;
}

/** One job's outcome as {@link JobBatching.record} gets it. */
export interface SettledJob<P, L, O> {
  readonly job: RunningJob<P, L, O>;
  readonly outcome: O;
  /** null: the job is done. Else it failed with `error`: queued again at `retryAt`, or failed for good when `retryAt` is null. */
  readonly failure: { error: string; retryAt: Date | null } | null;
}

/**
 * Batch capabilities of a definition whose jobs are many and small (webhook deliveries): what a
 * statement per job would cost is paid once per batch (docs/decisions/0012-one-job-runner.md,
 * "Throughput").
 */
export interface JobBatching<P, L, O> {
  /** Loads what the handlers of jobs claimed together need, in one statement, by job id (`job.loaded`). */
  load?(db: Kysely<DB>, jobs: ReadonlyArray<{ id: string; payload: P }>): Promise<ReadonlyMap<string, L>>;
  /**
   * Takes the locks recording needs, first in the recording transaction. With `wait` false (a
   * batch of several) take only those free now (SKIP LOCKED) so the batch never waits holding
   * some while another transaction holds others in its own order; return the job ids whose locks
   * are held. The others are recorded after, each alone, with `wait` true.
   */
  lock?(trx: Transaction<DB>, items: ReadonlyArray<SettledJob<P, L, O>>, options: { wait: boolean }): Promise<ReadonlySet<string>>;
  /**
   * Writes the outcomes' effects (multi-row statements), in the transaction that has just marked
   * these jobs done or failed, their leases checked: only jobs still this runner's are given. A
   * throw rolls back the whole batch; its jobs are then recorded again one by one.
   */
  record(trx: Transaction<DB>, items: ReadonlyArray<SettledJob<P, L, O>>): Promise<void>;
  /** Most outcomes in one transaction; default 200. */
  maxBatch?: number;
}

export interface JobDefinition<S extends z.ZodType = z.ZodType, L = unknown, O = never> {
  readonly name: string;
  /** Validated at enqueue (a bad payload never gets in) and again at run (a payload written by an older build). */
  readonly payload: S;
  readonly handler: (job: RunningJob<z.output<S>, L, O>) => Promise<void>;
  readonly retry: RetryPolicy;
  /** Business time, ms; or derived from the app's configuration when the runner starts (e.g. above a configured bank timeout). */
  readonly leaseMs: number | ((ctx: AppContext) => number);
  /** At most this many of this kind at once in one runner (process); default: only the runner's bound. */
  readonly concurrency: number | undefined;
  /** Recurring housekeeping: enqueued once per period of this length (ms) by every runner that knows it; the unique key (name, period start) makes a cluster run each period once. */
  readonly everyMs: number | undefined;
  /** Batch loading and recording (`job.loaded`, `job.settle`); absent: every job on its own. */
  readonly batch: JobBatching<z.output<S>, L, O> | undefined;
  /** Called when the job fails for good, in the transaction that marks it failed; see {@link GiveUp}. */
  readonly onGiveUp: GiveUp | undefined;
}

/** Any definition, whatever its payload, loaded and outcome types (lists of definitions, the runner). */
export type AnyJobDefinition = JobDefinition<any, any, any>;

/**
 * What a kind of work does when one of its jobs fails for good — its last attempt threw, its lease
 * lapsed on its last attempt (the worker died), its payload is refused, or the handler called
 * `fail(…, { final: true })` — run in the transaction that marks the job `failed`, after the lease
 * check: so the domain object the job was working on can be closed with the reason (a bulk row
 * ends `failed` instead of waiting for ever). `payload` is as stored (it may be the invalid one).
 * If it throws, the job is not marked failed: its lease lapses, it is claimed again and given up
 * again, hook included.
 */
export type GiveUp = (trx: Transaction<DB>, job: { ctx: AppContext; id: string; name: string; key: string | null; payload: unknown; companyId: string | null; error: string }) => Promise<void>;

/**
 * What enqueueing needs of a definition: its name, payload schema and retry policy (the attempt
 * budget is stored with the job). A domain whose transitions enqueue work can declare its kinds
 * with {@link jobKind} beside those transitions and attach the handlers where the work lives
 * (`defineJob({...kind, handler})`), so the module that schedules need not import the module
 * that does the work (payments: transitions.ts schedules, execute.ts works).
 */
export type JobKind<S extends z.ZodType = z.ZodType> = Pick<JobDefinition<S>, "name" | "payload" | "retry">;

export function jobKind<S extends z.ZodType>(kind: { name: string; payload: S; retry?: RetryPolicy }): JobKind<S> {
  return { name: kind.name, payload: kind.payload, retry: kind.retry ?? DEFAULT_RETRY };
}

export interface JobOptions<S extends z.ZodType, L = unknown, O = never> {
  name: string;
  payload: S;
  handler: (job: RunningJob<z.output<S>, L, O>) => Promise<void>;
  retry?: RetryPolicy;
  leaseMs?: number | ((ctx: AppContext) => number);
  concurrency?: number;
  everyMs?: number;
  batch?: JobBatching<z.output<S>, L, O>;
  onGiveUp?: GiveUp;
}

const NAME = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/;

export function defineJob<S extends z.ZodType, L = unknown, O = never>(options: JobOptions<S, L, O>): JobDefinition<S, L, O> {
  if (!NAME.test(options.name) || options.name.length > 100) {
    throw new RangeError(`job name must be dotted lower-case words (e.g. "payments.execute"): ${options.name}`);
  }
  const retry = options.retry ?? DEFAULT_RETRY;
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new RangeError(`${options.name}: retry.maxAttempts must be a positive integer`);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (typeof leaseMs === "number") checkLeaseMs(options.name, leaseMs);
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new RangeError(`${options.name}: concurrency must be a positive integer`);
  }
  if (options.everyMs !== undefined && (!Number.isInteger(options.everyMs) || options.everyMs < 1000)) {
    throw new RangeError(`${options.name}: everyMs must be a whole number of ms, at least 1000`);
  }
  if (options.batch?.maxBatch !== undefined && (!Number.isInteger(options.batch.maxBatch) || options.batch.maxBatch < 1)) {
    throw new RangeError(`${options.name}: batch.maxBatch must be a positive integer`);
  }
  if (options.batch && options.onGiveUp) {
    // A batched job's final failure is recorded by the batch's own `record`, which does not run the hook.
    throw new RangeError(`${options.name}: onGiveUp is not supported together with batch`);
  }
  return { ...options, retry, leaseMs, concurrency: options.concurrency, everyMs: options.everyMs, batch: options.batch, onGiveUp: options.onGiveUp };
}

export function checkLeaseMs(name: string, leaseMs: number): number {
  if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new RangeError(`${name}: leaseMs must be a positive integer (ms)`);
  return leaseMs;
}

/** The delay (business time, ms) before retrying after failed attempt `attempt` (1-based). */
export function backoffMs(backoff: Backoff, attempt: number): number {
  const ms = typeof backoff === "function" ? backoff(attempt) : Math.min(backoff.maxMs ?? DEFAULT_MAX_BACKOFF_MS, backoff.initialMs * (backoff.factor ?? 2) ** (attempt - 1));
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : 0;
}

/**
 * A payload its definition's schema refuses: at enqueue it is thrown to the caller (nothing is
 * written, the caller's transaction decides); at run the job fails at once (retrying cannot fix it).
 */
export class JobPayloadError extends Error {
  readonly jobName: string;
  readonly field: string;
  constructor(jobName: string, error: z.ZodError) {
    const issue = error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "payload";
    super(`job ${jobName}: ${field === "payload" ? "payload" : `payload.${field}`}: ${issue?.message ?? "invalid"}`);
    this.name = "JobPayloadError";
    this.jobName = jobName;
    this.field = field;
  }
}

/** The job was taken over by another worker after this run's lease lapsed: this run's effects were rolled back. */
export class JobLeaseLostError extends Error {
  constructor(jobName: string, id: string) {
    super(`job ${jobName} ${id}: the lease lapsed and another worker took the job over; this run's effects were rolled back`);
    this.name = "JobLeaseLostError";
  }
}

export function parsePayload<S extends z.ZodType>(def: JobKind<S>, payload: unknown): z.output<S> {
  const parsed = def.payload.safeParse(payload);
  if (!parsed.success) throw new JobPayloadError(def.name, parsed.error);
  return parsed.data;
}
