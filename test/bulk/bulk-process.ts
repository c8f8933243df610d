/**
 * A test-only worker process for test/bulk/ten-thousand.test.ts, on the PostgreSQL of DATABASE_URL:
 * a PaymentWorker and a JobRunner with the bulk jobs, for one company (COMPANY_ID), named
 * WORKER_ID, until SIGTERM (graceful) or SIGKILL. Settings come from the environment as for
 * `okro worker` (OKRO_PAYMENT_POLL_MS, OKRO_PAYMENT_LEASE_MS, OKRO_BULK_BANK_CONCURRENCY, …).
 */
import { bootStorage } from "../../src/boot.js";
import { BULK_JOBS } from "../../src/bulk/service.js";
import { loadConfig } from "../../src/config.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { systemClock } from "../../src/lib/clock.js";
import { PaymentWorker } from "../../src/payments/worker.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";

const config = loadConfig({ ...process.env, LOG_LEVEL: "silent", OKRO_SEED_DEMO: "false", OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
const { handle, ctx } = await bootStorage(config, systemClock);
const workerId = process.env.WORKER_ID ?? `pid-${process.pid}`;
const companyIds = [process.env.COMPANY_ID!];
const payments = new PaymentWorker(ctx, { companyIds, concurrency: 16, workerId, pollMs: 20 });
const jobs = new JobRunner(ctx, [...BULK_JOBS], { companyIds, concurrency: 16, workerId, pollMs: 50 });
payments.start();
jobs.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void Promise.all([payments.stop(), jobs.stop()]).then(async () => {
    await handle.close();
    process.exit(0);
  });
});
