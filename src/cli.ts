import { pino } from "pino";
import { serveSandboxBank } from "./banks/sandbox/serve.js";
import { bootStorage } from "./boot.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { loggerOptions } from "./core/logging.js";
import { DataDirLockedError, lockDataDir } from "./lib/data-dir-lock.js";
import { systemClock } from "./lib/clock.js";
import { backgroundJobs } from "./background-jobs.js";
import { JobRunner } from "./jobs/runner.js";
import { serve, SHUTDOWN_GRACE_MS } from "./server.js";
import { runAdmin } from "./dashboard/admin-cli.js";

const HELP = `okro — open banking and direct debit, wire-compatible with Okra's v2 API

Usage: okro <command>

  serve     Everything in one process: API + dashboard (PORT), widget origin (WIDGET_PORT),
            webhook delivery and the job runner, demo company seeded and printed. What
            \`npm start\` runs.
  api       The API and widget origins only (no demo seed, no webhook delivery, no job
            runner): run several against one PostgreSQL, with \`okro worker\` beside them.
  worker    Background work only: the job runner — webhook delivery, executing queued
            payments, re-querying unknown outcomes, settlement, refunds, payouts, consents;
            housekeeping: expired idempotency keys, widget and sandbox sessions, rate-limit
            counts, finished jobs — each OKRO_WORKER_CONCURRENCY at once.
            Run one or more beside \`okro api\` on one PostgreSQL.
  migrate   Apply pending database migrations and exit (safe to run from several processes).
  sandbox-bank [--port N] [--host H]
            The sandbox bank network as its own HTTP service (port SANDBOX_BANK_PORT, default
            4002); point Okro at it with OKRO_SANDBOX_BANK_URL.
  admin access list|approve <id>|decline <id> [--note TEXT]
            The platform operator's decisions on production payment access (also on the
            dashboard's operator page for OKRO_OPERATOR_EMAILS).
  help      This text.

Configuration is read from the environment; see the README.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? "serve";
  if (command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case "serve":
      await serve(config, { role: "all" });
      return -1; // keeps running until a signal
    case "api":
      await serve(config, { role: "api" });
      return -1;
    case "worker":
      await runWorker(config);
      return -1;
    case "sandbox-bank":
      await serveSandboxBank(config, argv.slice(1));
      return -1;
    case "migrate": {
      // The embedded database belongs to one process: refuse while `okro serve` holds it.
      const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
      try {
        const { handle } = await bootStorage(config, systemClock, { requireSecrets: false });
        await handle.close();
        process.stdout.write(`migrations applied (${handle.kind})\n`);
      } finally {
        unlock();
      }
      return 0;
    }
    case "admin": {
      const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
      try {
        const { handle, ctx } = await bootStorage(config, systemClock);
        try {
          return await runAdmin(ctx, argv.slice(1), process.stdout, process.stderr);
        } finally {
          await handle.close();
        }
      } finally {
        unlock();
      }
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}\n`);
      return 2;
  }
}

/**
 * `okro worker`: delivers webhooks and runs the job runner (payments, housekeeping) until SIGINT/SIGTERM, then stops
 * claiming, lets in-flight deliveries and bank calls finish and be recorded, closes the database
 * and exits 0. Any number of workers may share one PostgreSQL (claims skip each other's rows; a
 * worker killed mid-call leaves leased rows that another takes over when the lease lapses); the
 * embedded database belongs to one process, so there it refuses while `okro serve` (which runs
 * its own workers) holds it.
 */
async function runWorker(config: Config): Promise<void> {
  const log = pino(loggerOptions(config.logLevel));
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  let storage: Awaited<ReturnType<typeof bootStorage>>;
  try {
    storage = await bootStorage(config, systemClock);
  } catch (error) {
    unlock();
    throw error;
  }
  const { handle, ctx } = storage;
  const jobs = new JobRunner(ctx, backgroundJobs({ logger: log }), { concurrency: config.workerConcurrency, pollMs: config.payments.pollMs, logger: log });
  jobs.start();
  log.info({ storage: handle.kind, workerId: jobs.workerId, concurrency: jobs.concurrency }, "okro worker started");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight deliveries and bank calls");
    setTimeout(() => {
      log.error("in-flight deliveries did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await Promise.allSettled([jobs.stop()]);
    await handle.close();
    unlock();
    log.info("stopped");
    process.exit(0);
  };
  // `on`, not `once`: under npm/tsx the same Ctrl-C arrives twice (see server.ts).
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain (it is asynchronous when piped) instead of exiting on the spot.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof DataDirLockedError;
    let message = `okro: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`;
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      message += "okro: a port is taken; set PORT and WIDGET_PORT to free ports\n";
    }
    process.stderr.write(message, () => process.exit(1));
  },
);
