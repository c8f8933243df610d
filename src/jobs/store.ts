import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { z } from "zod";
import type { DB, JobsTable } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { JobLeaseLostError, parsePayload, type JobDefinition } from "./define.js";
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
export async function enqueue<S extends z.ZodType>(executor: Executor, def: JobDefinition<S>, payload: z.input<S>, options: EnqueueOptions): Promise<Enqueued> {
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
 * jobs whose lease lapsed (their worker died or overran). One statement: the inner SELECT skips rows
 * another worker is claiming or completing (`FOR UPDATE SKIP LOCKED`); the UPDATE gives each a
 * fresh lease token, so the old holder's completion will find the job is no longer its own.
 */
export async function claimJobs(
  db: Executor,
  p: { names: readonly string[]; now: Date; leaseUntil: Date; limit: number; owner: string; companyIds?: readonly string[] | undefined },
): Promise<JobRow[]> {
  if (p.limit <= 0 || p.names.length === 0) return [];
  const scope = p.companyIds ? sql`AND company_id = ANY(${[...p.companyIds]}::text[])` : sql``;
  const token = randomUUID();
  const { rows } = await sql<JobRow>`
    UPDATE jobs
    SET state = 'running', attempts = attempts + 1, lease_token = ${token}, lease_owner = ${p.owner},
        lease_until = ${p.leaseUntil}, run_at = ${p.leaseUntil}, updated_at = ${p.now}
    WHERE id IN (
      SELECT id FROM jobs
      WHERE state IN ('queued', 'running') AND run_at <= ${p.now} AND name = ANY(${[...p.names]}::text[]) ${scope}
      ORDER BY run_at, id
      LIMIT ${p.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return rows;
}

/**
 * The exactly-once step: in one transaction, lock the job row, check the lease is still `token`'s,
 * run `fn` (the handler's effects), mark the job done. A lost lease throws {@link JobLeaseLostError}
 * before `fn` runs; an error in `fn` rolls everything back.
 */
export async function completeJob<T>(db: Kysely<DB>, job: JobRow, now: () => Date, fn?: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const mine = await trx
      .selectFrom("jobs")
      .select("id")
      .where("id", "=", job.id)
      .where("state", "=", "running")
      .where("lease_token", "=", job.lease_token)
      .forUpdate()
      .executeTakeFirst();
    if (!mine) throw new JobLeaseLostError(job.name, job.id);
    const result = fn ? await fn(trx) : (undefined as T);
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
