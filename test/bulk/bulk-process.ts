/**
 * A test-only worker process for test/bulk/ten-thousand.test.ts, on the PostgreSQL of DATABASE_URL:
 * the job runner with the payments engine's and the bulk jobs, for one company (COMPANY_ID), named
 * WORKER_ID, until SIGTERM (graceful) or SIGKILL. Settings come from the environment as for
 * `okro worker` (OKRO_PAYMENT_POLL_MS, OKRO_PAYMENT_LEASE_MS, OKRO_BULK_BANK_CONCURRENCY, …).
 */
import { bootStorage } from "../../src/boot.js";
import { BULK_JOBS } from "../../src/bulk/service.js";
import { loadConfig } from "../../src/config.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { systemClock } from "../../src/lib/clock.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";

const config = loadConfig({ ...process.env, LOG_LEVEL: "silent", OKRO_SEED_DEMO: "false", OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
const { handle, ctx } = await bootStorage(config, systemClock);
const workerId = process.env.WORKER_ID ?? `pid-${process.pid}`;
const companyIds = [process.env.COMPANY_ID!];
const jobs = new JobRunner(ctx, [...PAYMENT_JOBS, ...BULK_JOBS], { companyIds, concurrency: 16, workerId, pollMs: 20 });
jobs.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void jobs.stop().then(async () => {
    await handle.close();
    process.exit(0);
  });
});
