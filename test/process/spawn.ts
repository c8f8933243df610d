import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `okro <command>` (or `okro <args…>`, e.g. `["sandbox-bank", "--port", "0"]`) as a
 * real process. By default `node --import tsx` (one process). With
 * `asTerminal`, the way a person runs it — npm, which runs `node --import tsx` (package.json) —
 * in its own process group, so `interrupt()` does what Ctrl-C does
 * in a terminal.
 */
export function startOkro(
  command: string | readonly string[],
  env: Record<string, string | undefined>,
  options: { asTerminal?: boolean } = {},
): Running {
  const argv = typeof command === "string" ? [command] : [...command];
  const [file, args] = options.asTerminal
    ? ["npm", ["run", "--silent", "okro", "--", ...argv]]
    : [process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli.ts"), ...argv]];
  const child = spawn(file, args, {
    detached: Boolean(options.asTerminal),
    cwd: ROOT,
    env: { ...process.env, PORT: "0", WIDGET_PORT: "0", LOG_LEVEL: "info", DATABASE_URL: undefined, OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000, running?: Running): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\nstdout:\n${running?.stdout()}\nstderr:\n${running?.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ctrl-C: SIGINT to the whole process group (npm and its node child both receive it). */
export function interrupt(running: Running): void {
  process.kill(-running.child.pid!, "SIGINT");
}

export async function stop(running: Running): Promise<number | null> {
  if (running.child.exitCode === null) running.child.kill("SIGTERM");
  return running.exited;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh, empty database on the PostgreSQL of DATABASE_URL, dropped by the returned function. */
export async function freshPostgresDatabase(baseUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
