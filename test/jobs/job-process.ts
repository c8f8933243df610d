/**
 * A test-only process for test/jobs/exactly-once.test.ts, on the PostgreSQL of DATABASE_URL:
 *
 *   node --import tsx test/jobs/job-process.ts enqueue   enqueues keys FROM..TO-1 of JOB_NAME, 25 per
 *                                                        transaction; prints {"created","existing"}
 *   node --import tsx test/jobs/job-process.ts work      runs a JobRunner for JOB_NAME (WORKER_ID,
 *                                                        LEASE_MS) until SIGTERM (graceful) or SIGKILL
 */
import { bootStorage } from "../../src/boot.js";
import { loadConfig } from "../../src/config.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { enqueue } from "../../src/jobs/store.js";
import { systemClock } from "../../src/lib/clock.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";
import { CREATE_EFFECTS_TABLE, exactlyOnceJob } from "./exactly-once-job.js";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const config = loadConfig({ DATABASE_URL: env("DATABASE_URL"), LOG_LEVEL: "silent", OKRO_SEED_DEMO: "false", OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
const { handle, ctx } = await bootStorage(config, systemClock);
const workerId = process.env.WORKER_ID ?? `pid-${process.pid}`;
const def = exactlyOnceJob(env("JOB_NAME"), Number(env("LEASE_MS")), workerId);

if (process.argv[2] === "enqueue") {
  const from = Number(env("FROM"));
  const to = Number(env("TO"));
  let created = 0;
  let existing = 0;
  for (let start = from; start < to; start += 25) {
    await ctx.db.transaction().execute(async (trx) => {
      for (let n = start; n < Math.min(to, start + 25); n++) {
        const out = await enqueue(trx, def, { n }, { now: ctx.clock.now(), key: String(n) });
        if (out.created) created++;
        else existing++;
      }
    });
  }
  await handle.close();
  process.stdout.write(`${JSON.stringify({ created, existing })}\n`);
} else {
  await CREATE_EFFECTS_TABLE.execute(ctx.db);
  const runner = new JobRunner(ctx, [def], { concurrency: 8, pollMs: 50, workerId });
  runner.start();
  process.stdout.write("ready\n");
  process.on("SIGTERM", () => {
    void runner.stop().then(async () => {
      await handle.close();
      process.exit(0);
    });
  });
}
