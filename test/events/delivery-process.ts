/**
 * A test-only process for test/events/delivery-processes.test.ts, on the PostgreSQL of
 * DATABASE_URL: runs a JobRunner with the webhook delivery job for one company (COMPANY_ID;
 * WORKER_ID, LEASE_MS) until SIGTERM (graceful) or SIGKILL.
 */
import { bootStorage } from "../../src/boot.js";
import { loadConfig } from "../../src/config.js";
import { webhookDeliveryJob } from "../../src/events/worker.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { systemClock } from "../../src/lib/clock.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const config = loadConfig({ DATABASE_URL: env("DATABASE_URL"), LOG_LEVEL: "silent", OKRO_SEED_DEMO: "false", OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
const { handle, ctx } = await bootStorage(config, systemClock);
const workerId = env("WORKER_ID");
const runner = new JobRunner(ctx, [webhookDeliveryJob({ leaseMs: Number(env("LEASE_MS")), timeoutMs: 2_000 })], {
  concurrency: 8,
  pollMs: 50,
  workerId,
  companyIds: [env("COMPANY_ID")],
});
runner.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void runner.stop().then(async () => {
    await handle.close();
    process.exit(0);
  });
});
