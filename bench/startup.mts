/**
 * `BENCH_ONLY=startup`: how long `npm start` takes to answer, on the embedded database, beside
 * how it started before issue 17 (`npm run okro -- serve`: the TypeScript compiled by tsx at every
 * start), in the same run. Cold is the first start on an empty data directory (migrations, demo
 * seed); warm is the next start on the same directory. For each: the banner's "ready in" (from
 * serve()'s start: module loading not included) and the wall time from spawning npm to the first
 * 200 from `/health`. STARTUP_RUNS (default 3) of each; prints the median. The built JavaScript
 * is brought up to date first (one `npm start` whose time is not counted).
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

const COMMANDS = {
  "npm start (built JavaScript)": ["start", "--silent"],
  "before: tsx (npm run okro -- serve)": ["run", "--silent", "okro", "--", "serve"],
} as const;

async function startOnce(dataDir: string, port: number, args: readonly string[]): Promise<Start> {
  const t0 = performance.now();
  const child = spawn("npm", args, {
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
      if (performance.now() - t0 > 180_000) throw new Error(`no 200 from /health in 180 s:\n${out}`);
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
    // npm may exit before its node child has closed the port: wait until nothing answers there.
    while (await fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false)) await new Promise((r) => setTimeout(r, 50));
    // …and until the whole process group is gone (the data directory's lock goes with it).
    const alive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive()) await new Promise((r) => setTimeout(r, 50));
  }
  const m = /ready in (\d+) ms/.exec(out);
  return { wallMs: Math.round(wallMs), readyMs: m ? Number(m[1]) : null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchStartup(): Promise<boolean> {
  const runs = Number(process.env.STARTUP_RUNS ?? 3);
  let next = 47_000 + (process.pid % 500) * 20;
  const freshPort = () => (next += 2); // a port no earlier start may still hold
  const dirs: string[] = [];
  const fresh = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "okro-startup-"));
    dirs.push(dir);
    return dir;
  };
  const results = new Map<string, { cold: Start[]; warm: Start[] }>();
  try {
    await startOnce(fresh(), freshPort(), COMMANDS["npm start (built JavaScript)"]); // builds dist/ if stale
    for (let i = 0; i < runs; i++) {
      for (const [name, args] of Object.entries(COMMANDS)) {
        const r = results.get(name) ?? { cold: [], warm: [] };
        const dir = fresh();
        r.cold.push(await startOnce(dir, freshPort(), args));
        r.warm.push(await startOnce(dir, freshPort(), args));
        results.set(name, r);
      }
    }
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  const line = (name: string, xs: Start[], budget?: number) => {
    const wall = median(xs.map((x) => x.wallMs));
    const ready = xs.map((x) => x.readyMs ?? -1);
    console.log(
      `  ${name.padEnd(58)} first 200 on /health ${String(wall).padStart(6)} ms (runs ${xs.map((x) => x.wallMs).join(", ")}); "ready in" ${ready.join(", ")} ms` +
        (budget ? `; budget ${budget} ms → ${wall <= budget ? "ok" : "OVER"}` : ""),
    );
    return budget === undefined || wall <= budget;
  };
  console.log(`\nStart-up on PGlite (${runs} runs each, median; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${os.cpus().length} CPUs):`);
  let ok = true;
  for (const [name, r] of results) {
    const after = !name.startsWith("before");
    ok = line(`${name}, cold`, r.cold, after ? COLD_BUDGET_MS : undefined) && ok;
    ok = line(`${name}, warm`, r.warm, after ? WARM_BUDGET_MS : undefined) && ok;
  }
  return ok;
}
