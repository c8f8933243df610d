import { serveSandboxBank } from "./banks/sandbox/serve.js";
import { bootStorage } from "./boot.js";
import { ConfigError, loadConfig } from "./config.js";
import { DataDirLockedError, lockDataDir } from "./lib/data-dir-lock.js";
import { systemClock } from "./lib/clock.js";
import { serve } from "./server.js";

const HELP = `okro — open banking and direct debit, wire-compatible with Okra's v2 API

Usage: okro <command>

  serve     Everything in one process: API + dashboard (PORT), widget origin (WIDGET_PORT),
            demo company seeded and printed. What \`npm start\` runs.
  api       The API and widget origins only (no demo seed): run several against one PostgreSQL.
  migrate   Apply pending database migrations and exit (safe to run from several processes).
  sandbox-bank [--port N] [--host H]
            The sandbox bank network as its own HTTP service (port SANDBOX_BANK_PORT, default
            4002); point Okro at it with OKRO_SANDBOX_BANK_URL.
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
    case "sandbox-bank":
      await serveSandboxBank(config, argv.slice(1));
      return -1;
    case "migrate": {
      // The embedded database belongs to one process: refuse while `okro serve` holds it.
      const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
      try {
        const { handle } = await bootStorage(config, systemClock);
        await handle.close();
        process.stdout.write(`migrations applied (${handle.kind})\n`);
      } finally {
        unlock();
      }
      return 0;
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}\n`);
      return 2;
  }
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
