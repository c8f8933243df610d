import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from "kysely";
import type { z } from "zod";
import type { DB, JobsTable } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { JobLeaseLostError, parsePayload, type JobDefinition, type JobKind } from "./define.js";
import type { Executor } from "../core/db.js";

/** The only file with the jobs table's SQL. */

export type JobRow = Selectable<JobsTable>;

/** Runners in this process listen here, so a job enqueued in-process is picked up without waiting for the next poll. */
export const localEnqueues = new EventEmitter();
localEnqueues.setMaxListeners(0);

export interface EnqueueOptions {
  /** Now, on the injected clock (`ctx.clock.now()`). */
  now: Date;
  /** Unique per job name: enqueuing a (name, key) that exists is a no-op that returns the existing job. */
  key?: string;
  /** When it becomes due (business time); default `now`. */
  runAt?: Date;
  /** The tenant it works for, when it has one (lets tests that share a database run only their own). */
  companyId?: string;
}

export interface Enqueued {
  job: JobRow;
  /** False when a job with this key already existed (and was returned instead). */
  created: boolean;
}

/**
 * Enqueues a job on `executor` — the caller's transaction, so the job exists exactly when the
 * change that causes it commits (a rolled-back change leaves no job). The payload is validated by
 * the definition's schema first ({@link JobPayloadError}, nothing written).
 */
export async function enqueue<S extends z.ZodType>(executor: Executor, def: JobKind<S>, payload: z.input<S>, options: EnqueueOptions): Promise<Enqueued> {
  const data = parsePayload(def, payload);
  const runAt = options.runAt ?? options.now;
  const inserted = await executor
    .insertInto("jobs")
    .values({
      id: newId(options.now),
      name: def.name,
      key: options.key ?? null,
      payload: JSON.stringify(data ?? null),
      company_id: options.companyId ?? null,
      state: "queued",
      run_at: runAt,
      max_attempts: def.retry.maxAttempts,
      created_at: options.now,
      updated_at: options.now,
    })
    .onConflict((oc) => oc.columns(["name", "key"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) {
    // Runners poll the table; this only spares an in-process one the wait (a transaction not yet
    // committed is simply not seen, and the runner looks again shortly).
    setImmediate(() => localEnqueues.emit("enqueued", def.name));
    return { job: inserted, created: true };
  }
  // The key exists (committed, or earlier in this very transaction): ON CONFLICT waited for a
  // concurrent inserter to commit, so a fresh statement sees its row.
  const existing = await executor.selectFrom("jobs").selectAll().where("name", "=", def.name).where("key", "=", options.key!).executeTakeFirst();
  if (!existing) throw new Error(`job ${def.name}: key ${options.key} conflicted but its job is gone (purged concurrently); enqueue again`);
  return { job: existing, created: false };
}

/**
 * Claims up to `limit` due jobs of the given names: queued jobs whose time has come, and running
 * jobs whose lease lapsed (their worker died or overran). One statement: the picking SELECT skips rows
 * another worker is claiming or completing (`FOR UPDATE SKIP LOCKED`); the UPDATE gives each a
 * fresh lease token, so the old holder's completion will find the job is no longer its own.
 */
export async function claimJobs(
  db: Executor,
  p: { names: readonly string[]; now: Date; leaseUntil: Date; limit: number; owner: string; companyIds?: readonly string[] | undefined },
): Promise<JobRow[]> {
  if (p.limit <= 0 || p.names.length === 0) return [];
  const { rows } = await claimStatement(p).execute(db);
  return rows;
}

/** The claim statement of {@link claimJobs} (exported so tests can EXPLAIN it). */
export function claimStatement(p: { names: readonly string[]; now: Date; leaseUntil: Date; limit: number; owner: string; companyIds?: readonly string[] | undefined }) {
  const scope = p.companyIds ? sql`AND company_id = ANY(${[...p.companyIds]}::text[])` : sql``;
  const token = randomUUID();
  // The pick is a MATERIALIZED CTE, so it runs exactly once. As `WHERE id IN (SELECT … LIMIT n FOR
  // UPDATE SKIP LOCKED)` the planner may put it on the inner side of a nested loop and run it again
  // for every row of the outer scan; with other workers' locks coming and going between those runs,
  // SKIP LOCKED can then hand out different rows each time and the UPDATE claims more than `n`.
  return sql<JobRow>`
    WITH picked AS MATERIALIZED (
      SELECT id FROM jobs
      WHERE state IN ('queued', 'running') AND run_at <= ${p.now} AND name = ANY(${[...p.names]}::text[]) ${scope}
      ORDER BY run_at, id
      LIMIT ${p.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs
    SET state = 'running', attempts = attempts + 1, lease_token = ${token}, lease_owner = ${p.owner},
        lease_until = ${p.leaseUntil}, run_at = ${p.leaseUntil}, updated_at = ${p.now}
    FROM picked
    WHERE jobs.id = picked.id
    RETURNING jobs.*`;
}

/** Locks the job row and checks the lease is still `job`'s (inside the completing transaction). */
async function holdLease(trx: Transaction<DB>, job: JobRow): Promise<void> {
  const mine = await trx
    .selectFrom("jobs")
    .select("id")
    .where("id", "=", job.id)
    .where("state", "=", "running")
    .where("lease_token", "=", job.lease_token)
    .forUpdate()
    .executeTakeFirst();
  if (!mine) throw new JobLeaseLostError(job.name, job.id);
}

/**
 * The exactly-once step: in one transaction, lock the job row, check the lease is still `token`'s,
 * run `fn` (the handler's effects), mark the job done. A lost lease throws {@link JobLeaseLostError}
 * before `fn` runs; an error in `fn` rolls everything back.
 */
export async function completeJob<T>(db: Kysely<DB>, job: JobRow, now: () => Date, fn?: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (!fn) {
    // No effects to commit with it: one compare-and-set on the lease token does the same (a job
    // taken over meanwhile has another token, or is no longer running).
    const at = now();
    const done = await db
      .updateTable("jobs")
      .set({ state: "done", run_at: null, lease_token: null, lease_owner: null, lease_until: null, last_error: null, finished_at: at, updated_at: at })
      .where("id", "=", job.id)
      .where("state", "=", "running")
      .where("lease_token", "=", job.lease_token)
      .returning("id")
      .executeTakeFirst();
    if (!done) throw new JobLeaseLostError(job.name, job.id);
    return undefined as T;
  }
  return db.transaction().execute(async (trx) => {
    await holdLease(trx, job);
    const result = await fn(trx);
    const at = now();
    await trx
      .updateTable("jobs")
      .set({ state: "done", run_at: null, lease_token: null, lease_owner: null, lease_until: null, last_error: null, finished_at: at, updated_at: at })
      .where("id", "=", job.id)
      .execute();
    return result;
  });
}

/**
 * A failed run and its effects in one transaction: lock the job row, check the lease (else
 * {@link JobLeaseLostError}, nothing written), run `fn`, then back to `queued` at `retryAt` or
 * `failed` for good when `retryAt` is null. An error in `fn` rolls everything back.
 */
export async function failJobWith<T>(
  db: Kysely<DB>,
  job: JobRow,
  p: { now: Date; error: string; retryAt: Date | null },
  fn?: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await holdLease(trx, job);
    const result = fn ? await fn(trx) : (undefined as T);
    await failJob(trx, job, p);
    return result;
  });
}

/**
 * Records a failed run (compare-and-set on the lease token): back to `queued` at `retryAt`, or
 * `failed` for good when `retryAt` is null. Returns the new state, or undefined if the lease was lost.
 */
export async function failJob(db: Executor, job: JobRow, p: { now: Date; error: string; retryAt: Date | null }): Promise<"queued" | "failed" | undefined> {
  const state = p.retryAt ? ("queued" as const) : ("failed" as const);
  const row = await db
    .updateTable("jobs")
    .set({
      state,
      run_at: p.retryAt,
      lease_token: null,
      lease_owner: null,
      lease_until: null,
      last_error: p.error.slice(0, 2000),
      finished_at: p.retryAt ? null : p.now,
      updated_at: p.now,
    })
    .where("id", "=", job.id)
    .where("lease_token", "=", job.lease_token)
    .returning("state")
    .executeTakeFirst();
  return row?.state as "queued" | "failed" | undefined;
}

/** One job's fate in {@link settleJobs}: done (`error` null), or failed, queued again at `retryAt` or for good. */
export interface JobFate {
  job: JobRow;
  error: string | null;
  retryAt: Date | null;
}

/**
 * Lease check, row lock and outcome of many jobs in one statement (a batch's recording
 * transaction, before its effects): each job still leased with its claim's token is marked done,
 * queued again at `retryAt` or failed for good; returns the ids it moved (the others' leases were
 * taken over: their effects must not be written). The rows stay locked until the transaction ends.
 */
export async function settleJobs(trx: Executor, fates: readonly JobFate[], now: Date): Promise<Set<string>> {
  if (fates.length === 0) return new Set();
  // In id order, so two transactions settling overlapping jobs (a lapsed lease) lock them in one order.
  const values = [...fates]
    .sort((a, b) => (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0))
    .map(({ job, error, retryAt }) => {
      const state = error === null ? "done" : retryAt ? "queued" : "failed";
      return sql`(${job.id}::text, ${job.lease_token}::text, ${state}::text, ${retryAt}::timestamptz, ${error === null ? null : error.slice(0, 2000)}::text)`;
    });
  const { rows } = await sql<{ id: string }>`
    UPDATE jobs j
    SET state = v.state, run_at = v.run_at, lease_token = NULL, lease_owner = NULL, lease_until = NULL,
        last_error = v.error, finished_at = CASE WHEN v.state = 'queued' THEN NULL ELSE ${now}::timestamptz END, updated_at = ${now}
    FROM (VALUES ${sql.join(values)}) AS v (id, token, state, run_at, error)
    WHERE j.id = v.id AND j.state = 'running' AND j.lease_token = v.token
    RETURNING j.id`.execute(trx);
  return new Set(rows.map((r) => r.id));
}

/** Open and failed jobs by name and state (the queue-depth gauge). Done jobs are not counted. */
export async function queueDepth(db: Executor): Promise<Array<{ name: string; state: string; count: number }>> {
  const rows = await db
    .selectFrom("jobs")
    .select(["name", "state", (eb) => eb.fn.countAll<string | number | bigint>().as("count")])
    .where("state", "<>", "done")
    .groupBy(["name", "state"])
    .execute();
  return rows.map((r) => ({ name: r.name, state: r.state, count: Number(r.count) }));
}

/** Deletes a bounded batch of jobs done before `before`; returns how many. Failed jobs stay (someone must look at them). */
export async function purgeFinishedJobs(db: Executor, before: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM jobs WHERE id IN (
      SELECT id FROM jobs WHERE state = 'done' AND finished_at < ${before} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Sandbox time travel: brings a company's queued sandbox jobs forward by `ms`, so work that falls
 * due in time the sandbox's clock skipped (a re-query, a settlement, a consent's activation) runs
 * now; returns how many moved. A job is sandbox work when its payload says `env: "sandbox"` (the
 * convention of every job about an environment's object); runners in this process are woken.
 */
export async function shiftSandboxJobs(db: Executor, companyId: string, ms: number): Promise<number> {
  if (!(ms > 0)) return 0;
  const rows = await db
    .updateTable("jobs")
    .set({ run_at: sql`run_at - ${String(ms)}::float8 * interval '1 millisecond'` })
    .where("company_id", "=", companyId)
    .where("state", "=", "queued")
    .where(sql<boolean>`payload->>'env' = 'sandbox'`)
    .returning("name")
    .execute();
  const names = new Set(rows.map((r) => r.name));
  if (names.size > 0) setImmediate(() => names.forEach((name) => localEnqueues.emit("enqueued", name)));
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Keyed work that can be asked for again, withdrawn or brought forward (webhook deliveries: a
// resend, a delivery parked behind an earlier one of its object, the sandbox clock)
// ---------------------------------------------------------------------------------------------

/** Keys: a list, or a SQL query yielding one `text` column of keys. */
export type JobKeys = readonly string[] | RawBuilder<unknown>;

const keyIn = (keys: JobKeys) => (Array.isArray(keys) ? sql`key = ANY(${[...(keys as readonly string[])]}::text[])` : sql`key IN (${keys as RawBuilder<unknown>})`);

export interface RequeueItem<P> {
  key: string;
  payload: P;
  companyId?: string | null;
  /** Attempts already spent: the next run is attempt `attempts + 1`, and the backoff continues from there. */
  attempts: number;
  /** Runs in all (at least `attempts + 1`); default the definition's `retry.maxAttempts`. */
  maxAttempts?: number;
}

/** Rows per INSERT in {@link requeue}. */
const REQUEUE_BATCH = 500;

/**
 * Enqueues keyed jobs, again if need be, on the caller's transaction: a key with no job gets a new
 * one; a key whose job finished (done or failed) is reopened — queued at `runAt`, with the given
 * attempts already spent; a key whose job is open (queued or running) is left as it is. For work
 * that can be wanted again after it finished (a webhook delivery resent). Open jobs are filtered
 * out before the upsert, so it never waits on a row a runner holds. Returns the keys queued.
 */
export async function requeue<S extends z.ZodType>(
  executor: Executor,
  def: JobKind<S>,
  items: ReadonlyArray<RequeueItem<z.input<S>>>,
  options: { now: Date; runAt?: Date },
): Promise<string[]> {
  const runAt = options.runAt ?? options.now;
  const queued: string[] = [];
  for (let from = 0; from < items.length; from += REQUEUE_BATCH) {
    const values = items.slice(from, from + REQUEUE_BATCH).map((item) => {
      const data = parsePayload(def, item.payload);
      const max = Math.max(item.maxAttempts ?? def.retry.maxAttempts, item.attempts + 1);
      return sql`(${newId(options.now)}::text, ${item.key}::text, ${JSON.stringify(data ?? null)}::jsonb, ${item.companyId ?? null}::text, ${item.attempts}::int4, ${max}::int4)`;
    });
    const { rows } = await sql<{ key: string }>`
      INSERT INTO jobs AS j (id, name, key, payload, company_id, state, run_at, attempts, max_attempts, created_at, updated_at)
      SELECT v.id, ${def.name}, v.key, v.payload, v.company_id, 'queued', ${runAt}, v.attempts, v.max_attempts, ${options.now}, ${options.now}
      FROM (VALUES ${sql.join(values)}) AS v (id, key, payload, company_id, attempts, max_attempts)
      WHERE NOT EXISTS (SELECT 1 FROM jobs o WHERE o.name = ${def.name} AND o.key = v.key AND o.state IN ('queued', 'running'))
      ON CONFLICT (name, key) DO UPDATE
      SET state = 'queued', run_at = EXCLUDED.run_at, attempts = EXCLUDED.attempts, max_attempts = EXCLUDED.max_attempts,
          payload = EXCLUDED.payload, company_id = EXCLUDED.company_id, lease_token = NULL, lease_owner = NULL, lease_until = NULL,
          last_error = NULL, finished_at = NULL, updated_at = EXCLUDED.updated_at
      WHERE j.state IN ('done', 'failed')
      RETURNING key`.execute(executor);
    queued.push(...rows.map((r) => r.key));
  }
  if (queued.length > 0) setImmediate(() => localEnqueues.emit("enqueued", def.name));
  return queued;
}

/**
 * Withdraws the queued (not running) jobs of these keys: the work is not wanted for now (a
 * webhook delivery parked behind an earlier one). Running jobs are left to finish. Returns how many.
 */
export async function cancelQueued(executor: Executor, def: JobKind, keys: JobKeys): Promise<number> {
  if (Array.isArray(keys) && keys.length === 0) return 0;
  const result = await sql`DELETE FROM jobs WHERE name = ${def.name} AND state = 'queued' AND ${keyIn(keys)}`.execute(executor);
  return Number(result.numAffectedRows ?? 0n);
}

/** Brings the queued jobs of these keys forward by `ms` (the sandbox clock's advance). Returns how many. */
export async function advanceQueued(executor: Executor, def: JobKind, keys: JobKeys, ms: number): Promise<number> {
  if (!(ms > 0) || (Array.isArray(keys) && keys.length === 0)) return 0;
  const result = await sql`
    UPDATE jobs SET run_at = run_at - ${String(ms)}::float8 * interval '1 millisecond'
    WHERE name = ${def.name} AND state = 'queued' AND ${keyIn(keys)}`.execute(executor);
  return Number(result.numAffectedRows ?? 0n);
}

export interface JobSchedule {
  state: JobRow["state"];
  /** Due time while queued, the lease's end while running. */
  run_at: Date | null;
  lease_until: Date | null;
  attempts: number;
}

/** The jobs of these keys, by key (for views: when a piece of work runs next, whether it is running). */
export async function jobSchedules(executor: Executor, def: JobKind, keys: readonly string[]): Promise<Map<string, JobSchedule>> {
  if (keys.length === 0) return new Map();
  const rows = await executor
    .selectFrom("jobs")
    .select(["key", "state", "run_at", "lease_until", "attempts"])
    .where("name", "=", def.name)
    .where("key", "in", [...new Set(keys)])
    .execute();
  return new Map(rows.map((r) => [r.key!, { state: r.state, run_at: r.run_at, lease_until: r.lease_until, attempts: r.attempts }]));
}
