import { sql } from "kysely";
import { z } from "zod";
import { defineJob } from "../../src/jobs/define.js";

/**
 * The job kind of the two-process test, in a few lines: its effect is one row per run in
 * job_test_effects, written in the same transaction as the job's completion. A little database
 * work inside that transaction (`pg_sleep`) keeps several jobs in flight in each worker, so a
 * worker killed at any moment is killed holding some.
 */
export function exactlyOnceJob(name: string, leaseMs: number, workerId: string) {
  return defineJob({
    name,
    payload: z.object({ n: z.number().int().nonnegative() }),
    leaseMs,
    handler: (job) =>
      job.complete(async (trx) => {
        await sql`SELECT pg_sleep(0.02)`.execute(trx);
        await sql`INSERT INTO job_test_effects (job_name, key, note) VALUES (${job.name}, ${String(job.payload.n)}, ${workerId})`.execute(trx);
      }),
  });
}

export const CREATE_EFFECTS_TABLE = sql`CREATE TABLE IF NOT EXISTS job_test_effects (job_name text NOT NULL, key text NOT NULL, note text)`;
