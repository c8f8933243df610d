import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, waitFor, type Running } from "../process/spawn.js";

/**
 * The job mechanism's done-when test: a new job kind (test/jobs/exactly-once-job.ts: a definition
 * and a handler whose effect is one row, written with the job's completion), 1,000 jobs with
 * unique keys enqueued from two processes (half of the keys by both), two worker processes, one of
 * them SIGKILLed mid-run: every job runs exactly once. Needs a real PostgreSQL (DATABASE_URL).
 */
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  console.warn("\n*** SKIPPED: the two-process exactly-once job test needs PostgreSQL (set DATABASE_URL; .ci/run does) ***\n");
}

const SCRIPT = path.join(ROOT, "test/jobs/job-process.ts");
const LEASE_MS = 3_000;
const started: Running[] = [];

function startScript(mode: "enqueue" | "work", env: Record<string, string>): Running {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, mode], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: baseUrl, LEASE_MS: String(LEASE_MS), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const running: Running = { child, stdout: () => out, stderr: () => err, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  started.push(running);
  return running;
}

let client: pg.Client | undefined;
afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(started.map((r) => r.exited));
  await client?.end();
});

async function count(query: string, values: unknown[]): Promise<number> {
  const { rows } = await client!.query<{ n: string }>(query, values);
  return Number(rows[0]!.n);
}

describe.skipIf(!baseUrl)("a new job kind on two worker processes", () => {
  it("runs each of 1,000 jobs enqueued from two processes (half of them twice) exactly once, though a worker is SIGKILLed mid-run", { timeout: 180_000 }, async () => {
    const name = `test_${randomBytes(5).toString("hex")}.exactly_once`;
    client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    await client.query("CREATE TABLE IF NOT EXISTS job_test_effects (job_name text NOT NULL, key text NOT NULL, note text)");

    const victim = startScript("work", { JOB_NAME: name, WORKER_ID: "victim" });
    const survivor = startScript("work", { JOB_NAME: name, WORKER_ID: "survivor" });
    for (const w of [victim, survivor]) await waitFor(() => w.stdout().includes("ready") || w.child.exitCode !== null, "a worker to start", 60_000, w);
    expect(victim.child.exitCode, victim.stderr()).toBeNull();
    expect(survivor.child.exitCode, survivor.stderr()).toBeNull();

    // Keys 0–749 from one process and 250–999 from the other, at the same time: 250–749 twice.
    const enqueuers = [startScript("enqueue", { JOB_NAME: name, FROM: "0", TO: "750" }), startScript("enqueue", { JOB_NAME: name, FROM: "250", TO: "1000" })];

    // Kill the victim while it holds leased jobs (claimed, effects not committed), with work still left.
    await until(async () => {
      const effects = await count("SELECT count(*) AS n FROM job_test_effects WHERE job_name = $1", [name]);
      const held = await count("SELECT count(*) AS n FROM jobs WHERE name = $1 AND state = 'running' AND lease_owner = 'victim'", [name]);
      return effects >= 100 && held > 0;
    }, "the victim to be mid-run");
    const heldAtKill = await count("SELECT count(*) AS n FROM jobs WHERE name = $1 AND state = 'running' AND lease_owner = 'victim'", [name]);
    victim.child.kill("SIGKILL");
    await victim.exited;
    expect(victim.child.signalCode).toBe("SIGKILL");

    const enqueued = await Promise.all(
      enqueuers.map(async (e) => {
        expect(await e.exited, e.stderr()).toBe(0);
        return JSON.parse(e.stdout().trim()) as { created: number; existing: number };
      }),
    );
    // Each key was created once; the second enqueue of a key got the existing job back.
    expect(enqueued.reduce((sum, e) => sum + e.created, 0)).toBe(1_000);
    expect(enqueued.reduce((sum, e) => sum + e.existing, 0)).toBe(500);

    // The survivor finishes everything, the victim's leased jobs once their leases lapse.
    await until(async () => (await count("SELECT count(*) AS n FROM jobs WHERE name = $1 AND state = 'done'", [name])) === 1_000, "every job to be done", 120_000);
    expect(await count("SELECT count(*) AS n FROM jobs WHERE name = $1", [name])).toBe(1_000);
    const { rows } = await client.query<{ key: string; runs: string }>("SELECT key, count(*) AS runs FROM job_test_effects WHERE job_name = $1 GROUP BY key", [name]);
    expect(rows).toHaveLength(1_000);
    expect(rows.filter((r) => Number(r.runs) !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => Number(r.key)))).toEqual(new Set(Array.from({ length: 1_000 }, (_, n) => n)));
    // Both workers ran jobs, and jobs the victim held when it died were taken over (a second attempt).
    const byWorker = await client.query<{ note: string }>("SELECT DISTINCT note FROM job_test_effects WHERE job_name = $1 ORDER BY note", [name]);
    expect(byWorker.rows.map((r) => r.note)).toEqual(["survivor", "victim"]);
    expect(heldAtKill).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM jobs WHERE name = $1 AND attempts > 1", [name])).toBeGreaterThan(0);

    // The survivor stops gracefully.
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited, survivor.stderr()).toBe(0);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${started.map((r) => r.stderr()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
