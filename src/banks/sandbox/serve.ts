import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { bootStorage } from "../../boot.js";
import { ConfigError, type Config } from "../../config.js";
import { purgeSandboxSessionsJob } from "../../jobs/housekeeping.js";
import { JobRunner } from "../../jobs/runner.js";
import { lockDataDir } from "../../lib/data-dir-lock.js";
import { systemClock } from "../../lib/clock.js";
import { SHUTDOWN_GRACE_MS } from "../../server.js";
import { createSandboxEngine } from "./engine.js";
import { buildSandboxBankServer } from "./http-server.js";

/** The sandbox bank's port when neither `--port` nor `SANDBOX_BANK_PORT` says otherwise. */
export const DEFAULT_SANDBOX_BANK_PORT = 4002;

export interface SandboxBankListen {
  port: number;
  host: string;
}

/**
 * Where `okro sandbox-bank [--port N] [--host H]` listens: `--port`, else `SANDBOX_BANK_PORT`,
 * else {@link DEFAULT_SANDBOX_BANK_PORT}; `--host`, else the configured HOST. Bad arguments are
 * {@link ConfigError}s.
 */
export function sandboxBankListen(args: readonly string[], config: Config, env: NodeJS.ProcessEnv = process.env): SandboxBankListen {
  let values: { port?: string; host?: string };
  try {
    ({ values } = parseArgs({ args: [...args], options: { port: { type: "string" }, host: { type: "string" } }, strict: true }));
  } catch (error) {
    throw new ConfigError(`okro sandbox-bank [--port N] [--host H]: ${(error as Error).message}`);
  }
  const rawPort = values.port ?? (env.SANDBOX_BANK_PORT || String(DEFAULT_SANDBOX_BANK_PORT));
  if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65535) {
    throw new ConfigError(`Invalid sandbox bank port ${JSON.stringify(rawPort)}: expected a whole number from 0 to 65535`);
  }
  const host = values.host ?? config.host;
  if (host.trim() === "") throw new ConfigError("Invalid sandbox bank host: empty");
  return { port: Number(rawPort), host };
}

/**
 * Runs `okro sandbox-bank`: the sandbox bank network as its own HTTP service, for Okro processes
 * started with `OKRO_SANDBOX_BANK_URL`. Storage opens as for `okro serve` — the PostgreSQL of
 * DATABASE_URL, or an embedded database of its own in `<OKRO_DATA_DIR>/sandbox-bank`, so it can
 * run beside `okro serve`. Prints one line once listening; stops gracefully on SIGINT/SIGTERM
 * (held connections are dropped, in-flight calls finish, the database closes, exit 0).
 */
export async function serveSandboxBank(config: Config, args: readonly string[]): Promise<void> {
  const { port, host } = sandboxBankListen(args, config);
  const dataDir = path.join(config.dataDir, "sandbox-bank");
  // This process is the sandbox bank: it must never try to reach one over HTTP itself.
  const storageConfig: Config = { ...config, dataDir, sandboxBank: { ...config.sandboxBank, url: undefined } };
  const unlock = config.databaseUrl ? () => {} : lockDataDir(dataDir);
  let storage: Awaited<ReturnType<typeof bootStorage>>;
  try {
    storage = await bootStorage(storageConfig, systemClock, { requireSecrets: false });
  } catch (error) {
    unlock();
    throw error;
  }
  const { handle, ctx } = storage;
  const engine = createSandboxEngine({
    db: handle.db,
    clock: systemClock,
    seed: config.sandboxBank.seed,
    latencyScale: config.sandboxBank.latencyScale,
  });
  const server = buildSandboxBankServer(engine, { logger: { level: config.logLevel } });
  try {
    await server.listen({ port, host });
  } catch (error) {
    await server.close();
    await handle.close();
    unlock();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ConfigError(`Port ${port} on ${host} is taken: choose another with --port or SANDBOX_BANK_PORT`);
    }
    throw error;
  }

  // Its own sessions' sweep (with its own embedded database, no other process would run it; on a
  // shared PostgreSQL the job's unique key makes it once per period whoever runs it).
  const jobs = new JobRunner(ctx, [purgeSandboxSessionsJob], { concurrency: 1, logger: server.log });
  jobs.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, "shutting down: finishing in-flight calls");
    setTimeout(() => {
      server.log.error("in-flight calls did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await Promise.allSettled([server.close(), jobs.stop()]);
    await handle.close();
    unlock();
    server.log.info("stopped");
    process.exit(0);
  };
  // `on`, not `once`: under npm and tsx the same Ctrl-C arrives twice (see server.ts).
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const { port: actualPort } = server.server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  process.stdout.write(`sandbox bank listening on http://${shownHost}:${actualPort}\n`);
}
