/**
 * A test-only worker process for test/garnish/workers-postgres.test.ts, on the PostgreSQL of
 * DATABASE_URL: one JobRunner with every job a garnishment needs (payments, mandates,
 * garnishments) for COMPANY_ID (WORKER_ID), on business time running CLOCK_SPEED times faster
 * than the wall clock, at CLOCK_ORIGIN when the wall clock reads CLOCK_BASE (test/garnish/fast-clock.ts), until SIGTERM (graceful) or SIGKILL.
 */
import { bootStorage } from "../../src/boot.js";
import { loadConfig } from "../../src/config.js";
import { GARNISH_JOBS } from "../../src/garnish/sweeps.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";
import { FastClock } from "./fast-clock.js";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const config = loadConfig({
  DATABASE_URL: env("DATABASE_URL"),
  LOG_LEVEL: "silent",
  OKRO_SEED_DEMO: "false",
  OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  OKRO_SANDBOX_LATENCY_SCALE: "0",
  OKRO_SETTLEMENT_DELAY_MS: env("SETTLEMENT_DELAY_MS"),
});
const clock = new FastClock(Number(env("CLOCK_BASE")), Number(env("CLOCK_SPEED")), Number(env("CLOCK_ORIGIN")));
const { handle, ctx } = await bootStorage(config, clock);
const runner = new JobRunner(ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS, ...GARNISH_JOBS], { concurrency: 8, pollMs: 50, workerId: env("WORKER_ID"), companyIds: [env("COMPANY_ID")] });
runner.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void runner.stop().then(async () => {
    await handle.close();
    process.exit(0);
  });
});
