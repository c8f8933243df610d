/**
 * `BENCH_ONLY=startup`: how long `npm start` takes to answer, on the embedded database. Cold is
 * the first start on an empty data directory (migrations, demo seed); warm is the next start on
 * the same directory. For each: the banner's "ready in" and the wall time from spawning
 * `npm start` to the first 200 from `/health`. STARTUP_RUNS (default 3) of each; prints the median.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.join(import.meta.dirname, "..");
const WARM_BUDGET_MS = 1500;
const COLD_BUDGET_MS = 3000;

interface Start {
  wallMs: number;
  readyMs: number | null;
}

async function startOnce(dataDir: string, port: number): Promise<Start> {
  const t0 = performance.now();
  const child = spawn("npm", ["start", "--silent"], {
    cwd: ROOT,
    env: { ...process.env, OKRO_DATA_DIR: dataDir, PORT: String(port), WIDGET_PORT: String(port + 1), LOG_LEVEL: "warn", DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  let wallMs = -1;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
      if (performance.now() - t0 > 60_000) throw new Error(`no 200 from /health in 60 s:\n${out}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
      if (ok) {
        wallMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    // The banner follows the listen; give it a moment.
    for (let i = 0; i < 100 && !/ready in \d+ ms/.test(out); i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      /* already gone */
    }
    await exited;
  }
  const m = /ready in (\d+) ms/.exec(out);
  return { wallMs: Math.round(wallMs), readyMs: m ? Number(m[1]) : null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchStartup(): Promise<boolean> {
  const runs = Number(process.env.STARTUP_RUNS ?? 3);
  const cold: Start[] = [];
  const warm: Start[] = [];
  const port = 47_000 + (process.pid % 1000) * 2;
  for (let i = 0; i < runs; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okro-startup-"));
    try {
      cold.push(await startOnce(dir, port));
      warm.push(await startOnce(dir, port));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const line = (name: string, xs: Start[], budget: number) => {
    const wall = median(xs.map((x) => x.wallMs));
    const ready = xs.map((x) => x.readyMs ?? -1);
    console.log(`  ${name}: first 200 on /health after ${wall} ms (median of ${xs.map((x) => x.wallMs).join(", ")}); banner "ready in" ${ready.join(", ")} ms; budget ${budget} ms → ${wall <= budget ? "ok" : "OVER"}`);
    return wall <= budget;
  };
  console.log(`\nStart-up of \`npm start\` on PGlite (${runs} runs each):`);
  const okCold = line("cold (empty data dir)", cold, COLD_BUDGET_MS);
  const okWarm = line("warm (same data dir) ", warm, WARM_BUDGET_MS);
  return okCold && okWarm;
}
