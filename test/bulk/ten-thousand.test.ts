import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowStateCounts } from "../../src/bulk/store.js";
import { systemClock, type ManualClock } from "../../src/lib/clock.js";
import { walletBalances } from "../../src/ledger/store.js";
import { createHarness, usingPostgres } from "../harness.js";
import { expectSoundLedger, type World } from "../payments/engine-world.js";
import { ROOT, waitFor, type Running } from "../process/spawn.js";
import { auth, bulkCompany, csv, multipartBody, type BulkCompany } from "./bulk-world.js";

/**
 * Issue 15's done-when, on PostgreSQL: a 10,000-row batch (BULK_ROWS overrides), half of it at a
 * sandbox bank that fails 20% of debits, run by two worker processes (test/bulk/bulk-process.ts:
 * the job runner with the payments engine's jobs and `batches.row`), one SIGKILLed mid-run. Every row ends final
 * with exactly one payment, and the batch's counts equal the rows' states and the ledger.
 */
if (!usingPostgres) console.warn("\n*** SKIPPED: the 10,000-row bulk test needs PostgreSQL (set DATABASE_URL) ***\n");

const ROWS = Number(process.env.BULK_ROWS ?? 10_000);
const SCRIPT = path.join(ROOT, "test/bulk/bulk-process.ts");
const started: Running[] = [];
let w: World;
let c: BulkCompany;

function startWorker(workerId: string): Running {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    cwd: ROOT,
    env: {
      ...process.env,
      COMPANY_ID: c.tenant.id,
      WORKER_ID: workerId,
      OKRO_SANDBOX_LATENCY_SCALE: "0",
      OKRO_PAYMENT_POLL_MS: "20",
      OKRO_PAYMENT_BANK_TIMEOUT_MS: "1000",
      OKRO_PAYMENT_LEASE_MS: "3000",
      OKRO_BULK_BANK_CONCURRENCY: "25",
    },
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

beforeAll(async () => {
  if (!usingPostgres) return;
  const h = await createHarness({ clock: systemClock, config: { bulk: { maxRows: 10_000, maxFileBytes: 16 * 1_048_576, bankConcurrency: 25 } } });
  w = { h, clock: systemClock as unknown as ManualClock };
  c = await bulkCompany(w);
}, 120_000);
afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(started.map((r) => r.exited));
  await client?.end();
  await w?.h.close();
});

let client: pg.Client | undefined;
const count = async (query: string, ...values: unknown[]) => {
  if (!client) {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  }
  const { rows } = await client.query<{ n: string }>(query, values);
  return Number(rows[0]!.n);
};

describe.skipIf(!usingPostgres)(`a ${ROWS}-row batch on two worker processes, one SIGKILLed, one bank failing 20% of debits`, () => {
  it("ends with exactly one payment per row, every row final, counts equal to the rows and the ledger", { timeout: 3_600_000 }, async () => {
    const [gt, other] = c.accounts;
    const file = csv(Array.from({ length: ROWS }, (_, i) => ({ account_to_debit: (i % 2 === 0 ? gt : other)!.id, amount: 100 + (i % 97) })));
    const body = multipartBody([{ name: "file", filename: "ten-thousand.csv", content: file }]);
    const t0 = Date.now();
    const validated = await w.h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...body.headers }, payload: body.payload });
    const validationMs = Date.now() - t0;
    expect(validated.statusCode, validated.body).toBe(200);
    const batch = validated.json().data.batch;
    expect(batch.totals).toMatchObject({ rows: ROWS, valid_rows: ROWS, invalid_rows: 0 });
    const total = batch.totals.amount as number;

    await c.faults({ failRate: 0.2, pendingMs: 1 }, other!.bankId);
    const committed = await w.h.request({ method: "POST", url: "/v2/batches/commit", headers: auth(c), payload: { id: batch.id } });
    expect(committed.statusCode, committed.body).toBe(200);

    const t1 = Date.now();
    const victim = startWorker("victim");
    const survivor = startWorker("survivor");
    for (const p of [victim, survivor]) await waitFor(() => p.stdout().includes("ready") || p.child.exitCode !== null, "a worker to start", 60_000, p);

    const done = () => count("SELECT count(*) AS n FROM batch_rows WHERE batch_id = $1 AND state IN ('succeeded', 'failed')", batch.id);
    const held = () => count("SELECT count(*) AS n FROM jobs WHERE name = 'batches.row' AND state = 'running' AND lease_owner = 'victim' AND company_id = $1", c.tenant.id);
    await until(async () => (await done()) >= Math.min(1_000, ROWS / 5), "a fifth of the rows (at most 1,000) to be done", 1_500_000);
    const killBy = Date.now() + 30_000;
    let heldAtKill = 0;
    while (Date.now() < killBy && (heldAtKill = await held()) === 0) await new Promise((r) => setTimeout(r, 2));
    victim.child.kill("SIGKILL");
    await victim.exited;
    const doneAtKill = await done();

    const state = () => w.h.ctx.db.selectFrom("batches").selectAll().where("id", "=", batch.id).executeTakeFirstOrThrow();
    await until(async () => !["running"].includes((await state()).state), "the batch to end", 3_500_000);
    const executionMs = Date.now() - t1;
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited, survivor.stderr()).toBe(0);

    const end = await state();
    console.log(`bulk ${ROWS} rows on PostgreSQL: validated in ${validationMs} ms, all rows final in ${executionMs} ms (two workers, one SIGKILLed at ${doneAtKill} rows done holding ${heldAtKill} row jobs); ${end.succeeded_count} succeeded, ${end.failed_count} failed`);
    // Every row final, and the counters equal the rows' own states.
    const byState = await rowStateCounts(w.h.ctx.db, batch.id);
    expect(byState).toEqual({ succeeded: end.succeeded_count, failed: end.failed_count });
    expect(end.succeeded_count + end.failed_count).toBe(ROWS);
    expect(end).toMatchObject({ state: "partially_completed", pending_count: 0, queued_count: 0, processing_count: 0 });
    // Failures only at the failing bank, about a fifth of its rows.
    expect(await count("SELECT count(*) AS n FROM batch_rows WHERE batch_id = $1 AND state = 'failed' AND bank_id <> $2", batch.id, other!.bankId)).toBe(0);
    expect(end.failed_count).toBeGreaterThan(ROWS / 2 / 10);
    expect(end.failed_count).toBeLessThan(ROWS / 2 / 3);

    // Exactly one payment per row: as many payments as rows, each row's its own, states agreeing.
    expect(await count("SELECT count(*) AS n FROM payments WHERE company_id = $1", c.tenant.id)).toBe(ROWS);
    expect(await count("SELECT count(DISTINCT payment_id) AS n FROM batch_rows WHERE batch_id = $1 AND payment_id IS NOT NULL", batch.id)).toBe(ROWS);
    expect(await count("SELECT count(*) AS n FROM payments p JOIN batch_rows r ON r.payment_id = p.id WHERE r.batch_id = $1 AND ((r.state = 'succeeded') <> (p.state IN ('succeeded', 'settled')))", batch.id)).toBe(0);
    // Every row job done once; some were taken over from the killed worker.
    expect(await count("SELECT count(*) AS n FROM jobs WHERE name = 'batches.row' AND company_id = $1 AND state = 'done'", c.tenant.id)).toBe(ROWS);
    if (heldAtKill > 0) expect(await count("SELECT count(*) AS n FROM jobs WHERE name = 'batches.row' AND company_id = $1 AND attempts > 1", c.tenant.id)).toBeGreaterThan(0);

    // The ledger collected exactly what the succeeded rows say, and balances.
    const [ngn] = await walletBalances(w.h.ctx.db, c.scope);
    expect(ngn!.collected).toBe(end.succeeded_amount);
    expect(Number(end.succeeded_amount) + Number(end.failed_amount)).toBe(total);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${started.map((r) => r.stderr()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
