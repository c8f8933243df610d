/**
 * The job runner on PostgreSQL: jobs claimed and completed per second, by one runner and by two,
 * against a bare baseline measured in the same run on the same database.
 *
 * - okro: BENCH_JOBS (default 3000) jobs of one kind enqueued (50 per transaction, unique keys),
 *   then JobRunner(s) with concurrency BENCH_CONCURRENCY (default 10) each, on a pool of their own
 *   (as separate processes would have), run them; each handler writes one effect row through
 *   `job.complete(trx => …)` (lease check, effect, done, one transaction). Timed from start() to
 *   the last completion.
 * - baseline: the same number of rows in a bare table, drained by BENCH_CONCURRENCY loops per
 *   "runner" (each runner its own pool), one transaction per job: `SELECT … FOR UPDATE SKIP
 *   LOCKED LIMIT 1`, the same effect insert, `DELETE` — the least a SKIP LOCKED queue can do.
 *
 * Runners and loops all run in this one process (so two runners share one Node thread; separate
 * processes would each have their own). Needs DATABASE_URL (a fresh database on that server is
 * created and dropped); skipped without it.
 */
import { sql } from "kysely";
import pg from "pg";
import { z } from "zod";
import { loadConfig } from "../src/config.js";
import type { AppContext } from "../src/context.js";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../src/db/index.js";
import { defineJob } from "../src/jobs/define.js";
import { JobRunner } from "../src/jobs/runner.js";
import { enqueue } from "../src/jobs/store.js";
import { systemClock } from "../src/lib/clock.js";
import { freshPostgresDatabase } from "../test/process/spawn.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);

interface Result {
  name: string;
  perSecond: number;
  seconds: number;
}

async function baseline(url: string, runners: number): Promise<Result> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query("DROP TABLE IF EXISTS bare_queue; DROP TABLE IF EXISTS bare_effects");
  await admin.query("CREATE TABLE bare_queue (id bigserial PRIMARY KEY, n integer NOT NULL); CREATE TABLE bare_effects (n integer NOT NULL)");
  await admin.query("INSERT INTO bare_queue (n) SELECT g FROM generate_series(1, $1) g", [JOBS]);
  const pools = Array.from({ length: runners }, () => new pg.Pool({ connectionString: url, max: CONCURRENCY }));
  const started = performance.now();
  const loop = async (pool: pg.Pool) => {
    for (;;) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rows } = await client.query<{ id: string; n: number }>("SELECT id, n FROM bare_queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED");
        const row = rows[0];
        if (!row) {
          await client.query("COMMIT");
          return;
        }
        await client.query("INSERT INTO bare_effects (n) VALUES ($1)", [row.n]);
        await client.query("DELETE FROM bare_queue WHERE id = $1", [row.id]);
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(pools.flatMap((pool) => Array.from({ length: CONCURRENCY }, () => loop(pool))));
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM bare_effects");
  if (Number(rows[0]!.n) !== JOBS) throw new Error(`baseline: ${rows[0]!.n} effects for ${JOBS} jobs`);
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
  return { name: `baseline: SELECT … FOR UPDATE SKIP LOCKED + DELETE, ${runners} × ${CONCURRENCY} loops`, perSecond: JOBS / seconds, seconds };
}

async function okro(url: string, runners: number): Promise<Result> {
  const handles: DatabaseHandle[] = await Promise.all(Array.from({ length: runners }, () => openDatabase({ databaseUrl: url, poolSize: CONCURRENCY })));
  const db = handles[0]!.db;
  await migrateToLatest(db);
  await sql`CREATE TABLE IF NOT EXISTS bench_effects (n integer NOT NULL)`.execute(db);
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const def = defineJob({
    name: `bench.job_${runners}`,
    payload: z.object({ n: z.number().int() }),
    handler: async (job) => {
      await job.complete(async (trx) => {
        await sql`INSERT INTO bench_effects (n) VALUES (${job.payload.n})`.execute(trx);
      });
      if (++done === JOBS) finish();
    },
  });
  const now = systemClock.now();
  for (let start = 0; start < JOBS; start += 50) {
    await db.transaction().execute(async (trx) => {
      for (let n = start; n < Math.min(JOBS, start + 50); n++) await enqueue(trx, def, { n }, { now, key: String(n) });
    });
  }
  // Only the machinery a runner uses: storage, time, settings.
  const contexts = handles.map((h) => ({ db: h.db, dbKind: h.kind, clock: systemClock, config }) as unknown as AppContext);
  const started = performance.now();
  const running = contexts.map((ctx, i) => new JobRunner(ctx, [def], { concurrency: CONCURRENCY, pollMs: 50, workerId: `bench-${i}` }));
  for (const r of running) r.start();
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(running.map((r) => r.stop()));
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM bench_effects`.execute(db);
  await sql`DELETE FROM bench_effects`.execute(db);
  await Promise.all(handles.map((h) => h.close()));
  if (Number(rows[0]!.n) !== JOBS) throw new Error(`okro: ${rows[0]!.n} effects for ${JOBS} jobs`);
  return { name: `okro JobRunner: claim + lease + job.complete(effect), ${runners} × ${CONCURRENCY}`, perSecond: JOBS / seconds, seconds };
}

export async function benchJobs(): Promise<boolean> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log("\nJobs: SKIPPED (the job bench runs on PostgreSQL: set DATABASE_URL)");
    return true;
  }
  const database = await freshPostgresDatabase(base, "okro_bench_jobs");
  const results: Result[] = [];
  try {
    for (const runners of [1, 2]) {
      results.push(await baseline(database.url, runners));
      results.push(await okro(database.url, runners));
    }
  } finally {
    await database.drop();
  }
  console.log(`\nJobs on PostgreSQL — ${JOBS} jobs, ${CONCURRENCY} at once per runner, Node ${process.version}\n`);
  console.log("target".padEnd(78) + "jobs/s".padStart(9) + "  vs baseline".padStart(13) + "seconds".padStart(9));
  for (let i = 0; i < results.length; i += 2) {
    const bare = results[i]!;
    for (const r of [bare, results[i + 1]!]) {
      console.log(r.name.padEnd(78) + r.perSecond.toFixed(0).padStart(9) + `${((r.perSecond / bare.perSecond) * 100).toFixed(1)}%`.padStart(13) + r.seconds.toFixed(2).padStart(9));
    }
  }
  return true;
}
