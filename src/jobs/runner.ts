import os from "node:os";
import type { Transaction } from "kysely";
import type { BaseLogger } from "pino";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { backoffMs, checkLeaseMs, JobLeaseLostError, JobPayloadError, parsePayload, type AnyJobDefinition, type RunningJob, type SettledJob } from "./define.js";
import { claimJobs, completeJob, enqueue, failJob, failJobWith, localEnqueues, queueDepth, settleJobs, type JobRow } from "./store.js";

/**
 * The one job runner (docs/decisions/0012-one-job-runner.md). Any number run at once, in any number
 * of processes on one PostgreSQL, or one on the embedded database.
 *
 * - **Claim, then work.** A claim is one `WITH picked AS MATERIALIZED (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE …`
 *   that gives each job a lease (a fresh token, an owner, `lease_until`) and commits; handlers run
 *   after, outside any claim transaction. A worker that dies leaves its jobs leased; once the lease
 *   lapses any runner claims them again (a new attempt).
 * - **Exactly-once effects.** A handler's database effects and the job's completion are one
 *   transaction that first checks the lease token under the row lock (`job.complete(fn)`): a run
 *   whose lease was taken over rolls back. Effects outside the database (bank calls) follow the
 *   payments pattern instead: intent committed first, outcome re-queried, never blindly re-sent.
 * - **Retries.** A handler that throws is retried after its definition's backoff (business time)
 *   until `maxAttempts`; then the job stays `failed` with its last error, visible, never dropped.
 * - **Business time.** Due times, leases and backoff use `ctx.clock` (tests: ManualClock and
 *   {@link JobRunner.runOnce}); only the pause between idle polls is real time.
 */

export type JobLogger = Pick<BaseLogger, "debug" | "info" | "warn" | "error">;
const silentLogger: JobLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Longest pause between polls after repeated database errors (real time, ms). */
const MAX_ERROR_BACKOFF_MS = 5_000;
/** After an in-process enqueue woke the runner and it found nothing (the enqueuing transaction had not committed yet), it looks once more this soon (real time, ms). */
const WAKE_RECHECK_MS = 25;
/** runOnce stops after this many passes even if jobs keep becoming due at once (a safety net). */
const MAX_PASSES = 1_000;
export const DEFAULT_POLL_MS = 1_000;

export interface JobRunnerOptions {
  logger?: JobLogger;
  /** Jobs handled at once by this runner; default `config.workerConcurrency`. */
  concurrency?: number;
  /** Names this runner in logs and in `jobs.lease_owner`; default `<hostname>:<pid>`. */
  workerId?: string;
  /** Pause between polls when nothing is due (real time, ms); default 1 s. */
  pollMs?: number;
  /** Registers the runner's metrics here. */
  registry?: Registry;
  /** Only these companies' jobs (tests sharing one database). Default: every job, with or without a company. */
  companyIds?: readonly string[];
}

type AnyDefinition = AnyJobDefinition;
type Claimed = { def: AnyDefinition; row: JobRow; loaded: unknown };
/** An outcome waiting for its batch's commit ({@link JobRunner} `settleSoon`). */
interface PendingSettle {
  item: SettledJob<unknown, unknown, unknown>;
  row: JobRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}
const DEFAULT_MAX_BATCH = 200;

function createMetrics(registry: Registry, ctx: AppContext) {
  const jobs = new Counter({
    name: "okro_jobs_total",
    help: "Jobs by name and outcome: claimed, succeeded, retried (failed, will run again), failed (gave up), lost_lease (taken over after the lease lapsed)",
    labelNames: ["name", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "okro_job_duration_seconds",
    help: "Time to run one claimed job, completion included",
    labelNames: ["name"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "okro_jobs",
    help: "Jobs not done, by name and state (queued, running, failed); read from the database at scrape",
    labelNames: ["name", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await queueDepth(ctx.db)) this.set({ name: row.name, state: row.state }, row.count);
    },
  });
  return { jobs, duration };
}

export class JobRunner {
  readonly concurrency: number;
  readonly workerId: string;
  private readonly definitions = new Map<string, AnyDefinition>();
  /** Each definition's lease (ms), resolved against this runner's app once. */
  private readonly leases = new Map<string, number>();
  private readonly pollMs: number;
  private readonly log: JobLogger;
  private readonly companyIds: readonly string[] | undefined;
  private readonly metrics: ReturnType<typeof createMetrics> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightByName = new Map<string, number>();
  /** Recurring definitions: the period start this runner last enqueued (ms). */
  private readonly scheduled = new Map<string, number>();
  /** Batch definitions' outcomes waiting to be recorded, and whether a recording is under way, by name. */
  private readonly settling = new Map<string, { queue: PendingSettle[]; flushing: boolean }>();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  /** Whether a finished job should wake the loop: its last claim got all it asked for, or a kind was at its own bound. */
  private refillOnFinish = false;
  private wake: (() => void) | undefined;
  private readonly onEnqueued = (name: string) => {
    if (!this.definitions.has(name)) return;
    this.woken = true;
    this.wake?.();
  };

  constructor(
    private readonly ctx: AppContext,
    definitions: readonly AnyDefinition[],
    options: JobRunnerOptions = {},
  ) {
    for (const def of definitions) {
      if (this.definitions.has(def.name)) throw new RangeError(`job ${def.name} is registered twice`);
      this.definitions.set(def.name, def);
      this.leases.set(def.name, checkLeaseMs(def.name, typeof def.leaseMs === "function" ? def.leaseMs(ctx) : def.leaseMs));
    }
    this.concurrency = options.concurrency ?? ctx.config.workerConcurrency;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError("concurrency must be a positive integer");
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.log = options.logger ?? silentLogger;
    this.companyIds = options.companyIds;
    this.metrics = options.registry ? createMetrics(options.registry, ctx) : undefined;
  }

  /** Starts polling in the background (idempotent). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    localEnqueues.on("enqueued", this.onEnqueued);
    this.loop = this.run();
    this.log.debug({ workerId: this.workerId, concurrency: this.concurrency, jobs: [...this.definitions.keys()] }, "job runner started");
  }

  /** Stops claiming, lets the jobs in hand finish (and be recorded), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    localEnqueues.off("enqueued", this.onEnqueued);
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.loop = undefined;
  }

  /**
   * Enqueues this period's recurring jobs, then handles everything due now, in passes of up to
   * `concurrency` jobs, until nothing is due; returns how many jobs it ran. Tests drive the runner
   * with it (and a ManualClock).
   */
  async runOnce(): Promise<number> {
    await this.scheduleRecurring();
    let total = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const { claims } = await this.claim(this.concurrency);
      if (claims.length === 0) break;
      total += claims.length;
      await Promise.all(claims.map(({ def, row, loaded }) => this.handle(def, row, loaded)));
    }
    return total;
  }

  private async run(): Promise<void> {
    let errors = 0;
    // Refill in batches: while jobs are in hand, claim only once at least half the slots are free
    // (one statement for many jobs), not after every finished job (a claim of one per job).
    const refillAt = Math.ceil(this.concurrency / 2);
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      if (this.inFlight.size > 0 && free < refillAt) {
        await Promise.race(this.inFlight);
        continue;
      }
      const wokenByEnqueue = this.woken;
      this.woken = false;
      let claimed = 0;
      let more = false;
      try {
        await this.scheduleRecurring();
        const batch = await this.claim(free);
        claimed = batch.claims.length;
        more = batch.more;
        this.refillOnFinish = batch.more || batch.atBound;
        for (const { def, row, loaded } of batch.claims) {
          this.inFlightByName.set(def.name, (this.inFlightByName.get(def.name) ?? 0) + 1);
          const work: Promise<void> = this.handle(def, row, loaded).finally(() => {
            this.inFlight.delete(work);
            this.inFlightByName.set(def.name, this.inFlightByName.get(def.name)! - 1);
            // A finished job frees a slot worth filling only if the last claim left work behind.
            if (this.refillOnFinish) this.wake?.();
          });
          this.inFlight.add(work);
        }
        errors = 0;
      } catch (error) {
        errors++;
        this.log.error({ err: error, workerId: this.workerId }, "job runner: claiming due jobs failed; retrying");
      }
      if (this.stopping) break;
      // A claim that got all it asked for may have left more due: go round (waiting for slots).
      // One that got less drained what was due: poll again later, or when woken.
      if (!more || errors > 0) {
        const pause = errors > 0 ? Math.min(MAX_ERROR_BACKOFF_MS, this.pollMs * 2 ** errors) : wokenByEnqueue && claimed === 0 ? WAKE_RECHECK_MS : this.pollMs;
        if (!this.woken) await this.sleep(pause);
      }
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Enqueues the current period of every recurring definition, once per period per runner; the unique key makes it once per cluster. */
  private async scheduleRecurring(): Promise<void> {
    const now = this.ctx.clock.now();
    for (const def of this.definitions.values()) {
      if (def.everyMs === undefined) continue;
      const periodStart = Math.floor(now.getTime() / def.everyMs) * def.everyMs;
      if (this.scheduled.get(def.name) === periodStart) continue;
      const at = new Date(periodStart);
      await enqueue(this.ctx.db, def, {}, { now, key: at.toISOString(), runAt: at });
      this.scheduled.set(def.name, periodStart);
    }
  }

  /**
   * Claims up to `free` due jobs, respecting each definition's own bound in this runner. `more`:
   * some statement got all it asked for (more may be due); `atBound`: a kind was skipped at its
   * own bound (its finished jobs make room for more of it).
   */
  private async claim(free: number): Promise<{ claims: Claimed[]; more: boolean; atBound: boolean }> {
    const now = this.ctx.clock.now();
    const open: string[] = [];
    const bounded: AnyDefinition[] = [];
    for (const def of this.definitions.values()) {
      if (def.concurrency === undefined) open.push(def.name);
      else bounded.push(def);
    }
    const out: Claimed[] = [];
    let more = false;
    let atBound = false;
    const take = async (names: string[], limit: number, leaseMs: number) => {
      const rows = await claimJobs(this.ctx.db, {
        names,
        now,
        leaseUntil: new Date(now.getTime() + leaseMs),
        limit,
        owner: this.workerId,
        companyIds: this.companyIds,
      });
      if (rows.length >= limit) more = true;
      for (const row of rows) out.push({ def: this.definitions.get(row.name)!, row, loaded: undefined });
    };
    for (const def of bounded) {
      const own = def.concurrency! - (this.inFlightByName.get(def.name) ?? 0);
      if (own <= 0) atBound = true;
      const left = Math.min(free - out.length, own);
      if (left > 0) await take([def.name], left, this.leases.get(def.name)!);
    }
    // Unbounded kinds in one statement, grouped by lease length (most share the default).
    const byLease = new Map<number, string[]>();
    for (const name of open) {
      const ms = this.leases.get(name)!;
      byLease.set(ms, [...(byLease.get(ms) ?? []), name]);
    }
    for (const [leaseMs, names] of byLease) {
      if (free - out.length > 0) await take(names, free - out.length, leaseMs);
      else more = true; // no room left for these kinds this time
    }
    for (const { def } of out) this.metrics?.jobs.inc({ name: def.name, outcome: "claimed" });
    await this.loadClaimed(out);
    return { claims: out, more, atBound };
  }

  /** Runs each batch definition's `load` once for all its jobs just claimed (payloads that do not parse are left to fail in `execute`). */
  private async loadClaimed(claims: Claimed[]): Promise<void> {
    const byName = new Map<string, Claimed[]>();
    for (const c of claims) {
      if (!c.def.batch?.load) continue;
      byName.set(c.def.name, [...(byName.get(c.def.name) ?? []), c]);
    }
    for (const [name, group] of byName) {
      const def = this.definitions.get(name)!;
      const jobs: Array<{ id: string; payload: unknown }> = [];
      for (const c of group) {
        const parsed = def.payload.safeParse(c.row.payload);
        if (parsed.success) jobs.push({ id: c.row.id, payload: parsed.data });
      }
      if (jobs.length === 0) continue;
      try {
        const loaded = await def.batch!.load!(this.ctx.db, jobs);
        for (const c of group) c.loaded = loaded.get(c.row.id);
      } catch (error) {
        // The jobs are claimed: let them run; each handler loads what it needs itself.
        this.log.warn({ err: error, workerId: this.workerId, job: name }, "job runner: loading claimed jobs failed; their handlers load on their own");
      }
    }
  }

  /**
   * Group commit of batch definitions' outcomes: the first to arrive starts a recording (after
   * one turn of the event loop, so outcomes that arrived together go together), later ones
   * queue and the next recording takes them all. Resolves when the job's outcome committed.
   */
  private settleSoon(def: AnyDefinition, pending: Omit<PendingSettle, "resolve" | "reject">): Promise<void> {
    let state = this.settling.get(def.name);
    if (!state) this.settling.set(def.name, (state = { queue: [], flushing: false }));
    const promise = new Promise<void>((resolve, reject) => state.queue.push({ ...pending, resolve, reject }));
    if (!state.flushing) void this.flushSettles(def, state);
    return promise;
  }

  private async flushSettles(def: AnyDefinition, state: { queue: PendingSettle[]; flushing: boolean }): Promise<void> {
    state.flushing = true;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (state.queue.length > 0) {
        const batch = state.queue.splice(0, def.batch!.maxBatch ?? DEFAULT_MAX_BATCH);
        try {
          await this.recordBatch(def, batch);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // One bad outcome (or a deadlock) must not hold back the others: each again, alone.
          this.log.warn({ err: error, workerId: this.workerId, job: def.name, jobs: batch.length }, "job runner: recording a batch failed; recording its jobs one by one");
          for (const p of batch) await this.recordBatch(def, [p]).catch(p.reject);
        }
      }
    } finally {
      state.flushing = false;
    }
  }

  /**
   * One transaction: the definition's locks, every job's lease check and new state in one
   * statement, the definition's effects for the jobs still this runner's; then each job's promise
   * settles. Jobs whose locks were busy are recorded after, one by one. Throws (nothing settled)
   * when the transaction fails.
   */
  private async recordBatch(def: AnyDefinition, batch: PendingSettle[]): Promise<void> {
    const hooks = def.batch!;
    let busy: PendingSettle[] = [];
    let live: PendingSettle[] = [];
    let lost: PendingSettle[] = [];
    await this.ctx.db.transaction().execute(async (trx) => {
      let taken = batch;
      if (hooks.lock) {
        const held = await hooks.lock(trx, batch.map((p) => p.item), { wait: batch.length === 1 });
        taken = batch.filter((p) => held.has(p.row.id));
        busy = batch.filter((p) => !held.has(p.row.id));
      }
      const now = this.ctx.clock.now();
      const moved = await settleJobs(
        trx,
        taken.map((p) => ({ job: p.row, error: p.item.failure?.error ?? null, retryAt: p.item.failure?.retryAt ?? null })),
        now,
      );
      live = taken.filter((p) => moved.has(p.row.id));
      lost = taken.filter((p) => !moved.has(p.row.id));
      if (live.length > 0) await hooks.record(trx, live.map((p) => p.item));
    });
    for (const p of live) p.resolve();
    for (const p of lost) p.reject(new JobLeaseLostError(p.row.name, p.row.id));
    for (const p of busy) await this.recordBatch(def, [p]).catch(p.reject);
  }

  /** Runs one claimed job and records its outcome. Never throws. */
  private async handle(def: AnyDefinition, row: JobRow, loaded: unknown): Promise<void> {
    const started = performance.now();
    const outcome = await this.execute(def, row, loaded).catch((error: unknown) => {
      // Recording the outcome failed (database down): the lease lapses and the job runs again.
      this.log.error({ err: error, workerId: this.workerId, job: def.name, id: row.id }, "job runner: recording a job's outcome failed; it runs again when its lease lapses");
      return "error";
    });
    this.metrics?.jobs.inc({ name: def.name, outcome });
    this.metrics?.duration.observe({ name: def.name }, (performance.now() - started) / 1000);
  }

  /** The definition's `onGiveUp`, bound to this job (undefined when it has none). */
  private giveUpHook(def: AnyDefinition, row: JobRow, error: string): ((trx: Transaction<DB>) => Promise<void>) | undefined {
    const hook = def.onGiveUp;
    if (!hook) return undefined;
    return (trx) => hook(trx, { ctx: this.ctx, id: row.id, name: row.name, key: row.key, payload: row.payload, companyId: row.company_id, error });
  }

  /** Marks a job failed for good, with its definition's `onGiveUp` in the same transaction. Undefined: the lease was lost. */
  private async giveUp(def: AnyDefinition, row: JobRow, p: { now: Date; error: string; retryAt: null }): Promise<"failed" | undefined> {
    const hook = this.giveUpHook(def, row, p.error);
    if (!hook) return (await failJob(this.ctx.db, row, p)) as "failed" | undefined;
    try {
      await failJobWith(this.ctx.db, row, p, hook);
      return "failed";
    } catch (error) {
      if (error instanceof JobLeaseLostError) return undefined;
      throw error;
    }
  }

  private async execute(def: AnyDefinition, row: JobRow, loaded: unknown): Promise<string> {
    const clock = this.ctx.clock;
    const fields = { workerId: this.workerId, job: def.name, id: row.id, key: row.key, attempt: row.attempts };
    if (row.attempts > row.max_attempts) {
      // Re-claimed after a lapsed lease with no attempt left: its last worker died or overran.
      await this.giveUp(def, row, { now: clock.now(), error: `lease lapsed on attempt ${row.max_attempts} of ${row.max_attempts} (the worker died or ran longer than ${this.leases.get(def.name)} ms)`, retryAt: null });
      this.log.error(fields, "job runner: job failed for good (lease lapsed on its last attempt)");
      return "failed";
    }
    let payload: unknown;
    try {
      payload = parsePayload(def, row.payload);
    } catch (error) {
      await this.giveUp(def, row, { now: clock.now(), error: (error as Error).message, retryAt: null });
      this.log.error({ ...fields, err: error }, "job runner: job failed for good (invalid payload)");
      return "failed";
    }
    let completed = false;
    const log = this.log;
    /** Set when the handler recorded its own failure with `job.fail`. */
    let failed: "queued" | "failed" | undefined;
    const settle = () => {
      if (completed || failed) throw new Error(`job ${row.name} ${row.id}: complete() or fail() called twice`);
    };
    const retryAtAfter = (now: Date, final: boolean | undefined) =>
      !final && row.attempts < row.max_attempts ? new Date(now.getTime() + backoffMs(def.retry.backoff, row.attempts)) : null;
    const job: RunningJob<unknown, unknown, unknown> = {
      id: row.id,
      name: row.name,
      key: row.key,
      payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      companyId: row.company_id,
      ctx: this.ctx,
      log: {
        debug: (more, message) => log.debug({ ...fields, ...more }, message),
        info: (more, message) => log.info({ ...fields, ...more }, message),
        warn: (more, message) => log.warn({ ...fields, ...more }, message),
        error: (more, message) => log.error({ ...fields, ...more }, message),
      },
      complete: async <T>(fn?: (trx: Transaction<DB>) => Promise<T>): Promise<T> => {
        settle();
        const result = await completeJob(this.ctx.db, row, () => clock.now(), fn);
        completed = true;
        return result;
      },
      fail: async <T>(error: string, fn?: (trx: Transaction<DB>, outcome: { retryAt: Date | null }) => Promise<T>, options?: { final?: boolean }): Promise<T> => {
        settle();
        const now = clock.now();
        const retryAt = retryAtAfter(now, options?.final);
        const giveUp = retryAt ? undefined : this.giveUpHook(def, row, error);
        const result = await failJobWith(this.ctx.db, row, { now, error, retryAt }, fn || giveUp ? async (trx) => {
          const out = fn ? await fn(trx, { retryAt }) : (undefined as T);
          if (giveUp) await giveUp(trx);
          return out;
        } : undefined);
        failed = retryAt ? "queued" : "failed";
        return result;
      },
      loaded,
      settle: async (outcome: unknown, failure?: { error: string; final?: boolean }): Promise<{ retryAt: Date | null }> => {
        if (!def.batch) throw new Error(`job ${row.name}: settle() needs a definition with batch.record`);
        settle();
        const retryAt = failure ? retryAtAfter(clock.now(), failure.final) : null;
        await this.settleSoon(def, { row, item: { job, outcome, failure: failure ? { error: failure.error, retryAt } : null } });
        if (failure) failed = retryAt ? "queued" : "failed";
        else completed = true;
        return { retryAt };
      },
    };
    try {
      await def.handler(job);
      if (failed === "queued") {
        this.log.debug(fields, "job runner: job failed; it is retried");
        return "retried";
      }
      if (failed === "failed") {
        this.log.warn(fields, "job runner: job failed for good");
        return "failed";
      }
      if (!completed) await job.complete();
      this.log.debug(fields, "job runner: job done");
      return "succeeded";
    } catch (error) {
      if (error instanceof JobLeaseLostError) {
        this.log.warn(fields, "job runner: lease lost; another worker has the job");
        return "lost_lease";
      }
      if (completed || failed) {
        this.log.error({ ...fields, err: error }, `job runner: handler threw after ${completed ? "completing; the job stays done" : "recording its failure; that stands"}`);
        return completed ? "succeeded" : failed === "queued" ? "retried" : "failed";
      }
      const now = clock.now();
      const permanent = error instanceof JobPayloadError;
      const retryAt = !permanent && row.attempts < row.max_attempts ? new Date(now.getTime() + backoffMs(def.retry.backoff, row.attempts)) : null;
      const state = retryAt ? await failJob(this.ctx.db, row, { now, error: errorText(error), retryAt }) : await this.giveUp(def, row, { now, error: errorText(error), retryAt });
      if (state === undefined) {
        this.log.warn(fields, "job runner: lease lost while recording a failure; another worker has the job");
        return "lost_lease";
      }
      if (state === "queued") {
        this.log.warn({ ...fields, err: error, retryAt }, "job runner: job failed; it is retried");
        return "retried";
      }
      this.log.error({ ...fields, err: error }, "job runner: job failed for good");
      return "failed";
    }
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
