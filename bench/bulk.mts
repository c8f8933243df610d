/**
 * Bulk payments (issue 15): a 10,000-row file (BENCH_BULK_ROWS) validated and then run to the end
 * against the in-process sandbox bank, beside a baseline measured in the same run on the same
 * database: 10,000 bare single-row INSERTs of the rows' columns in one transaction.
 *
 * - validation: `POST /v2/batches/create` with the CSV as a multipart upload (app.inject): parse,
 *   check every row (account, consent, receiving account), write the rows and the report.
 * - execution: `POST /v2/batches/commit`, then one JobRunner (`batches.row` and the payments engine's jobs)
 *   in this process (concurrency 16, polling every 5 ms) until every row is final: each row a
 *   payment made by initiatePayment, debited at the sandbox bank, its outcome on the ledger.
 * - memory: RSS and heap before, at the peak (sampled every 50 ms) and after.
 *
 * Storage: embedded PGlite by default, PostgreSQL when DATABASE_URL is set (the test harness's).
 * Goal (issue 15): validated in ≤ 5 s, all rows final in ≤ 60 s on a 2-core machine.
 */
import { sql } from "kysely";
import { BULK_JOBS } from "../src/bulk/service.js";
import { JobRunner } from "../src/jobs/runner.js";
import { systemClock, type ManualClock } from "../src/lib/clock.js";
import { PAYMENT_JOBS } from "../src/payments/jobs.js";
import { bulkCompany, csv, multipartBody, auth } from "../test/bulk/bulk-world.js";
import { createHarness, testConfig } from "../test/harness.js";

const ROWS = Number(process.env.BENCH_BULK_ROWS ?? 10_000);
/** Rows executed (default: all of them); less on a loaded machine, where each row costs seconds of waiting. */
const RUN_ROWS = Number(process.env.BENCH_BULK_RUN_ROWS ?? ROWS);
const MiB = (n: number) => `${(n / 1_048_576).toFixed(0)} MiB`;

export async function benchBulk(): Promise<boolean> {
  const base = testConfig();
  const h = await createHarness({
    clock: systemClock,
    config: { payments: { ...base.payments, pollMs: 5 }, bulk: { maxRows: Math.max(ROWS, 10_000), maxFileBytes: 64 * 1_048_576, bankConcurrency: 50 } },
  });
  try {
    const c = await bulkCompany({ h, clock: systemClock as unknown as ManualClock });
    await c.payments.stop();
    const [gt, other] = c.accounts;
    const file = csv(Array.from({ length: ROWS }, (_, i) => ({ account_to_debit: (i % 2 === 0 ? gt : other)!.id, amount: 100 + (i % 97) })));
    const storage = process.env.DATABASE_URL ? "PostgreSQL" : "PGlite (embedded)";
    console.log(`\nbulk: ${ROWS} rows (${(file.length / 1024).toFixed(0)} KiB of CSV) on ${storage}, in-process sandbox bank`);

    // Baseline: the same number of bare INSERTs, one transaction.
    await sql`CREATE TEMP TABLE IF NOT EXISTS bench_bulk_rows (batch text, row_no int, account text, amount bigint, currency text, PRIMARY KEY (batch, row_no))`.execute(h.ctx.db);
    const b0 = performance.now();
    await h.ctx.db.transaction().execute(async (trx) => {
      for (let i = 1; i <= ROWS; i++) await sql`INSERT INTO bench_bulk_rows VALUES ('b', ${i}, ${gt!.id}, ${100 + (i % 97)}, 'NGN')`.execute(trx);
    });
    const baselineMs = performance.now() - b0;

    let peakRss = 0;
    let peakHeap = 0;
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 50);
    const before = process.memoryUsage();

    const body = multipartBody([{ name: "file", filename: "bench.csv", content: file }]);
    const v0 = performance.now();
    const validated = await h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...body.headers }, payload: body.payload });
    const validationMs = performance.now() - v0;
    if (validated.statusCode !== 200) throw new Error(`validation failed: ${validated.body}`);
    let batch = validated.json().data.batch;
    if (RUN_ROWS !== ROWS) {
      // Execution on a smaller file of the same shape: the validated batch is cancelled.
      await h.request({ method: "POST", url: "/v2/batches/cancel", headers: auth(c), payload: { id: batch.id } });
      const small = multipartBody([{ name: "file", filename: "bench-run.csv", content: csv(Array.from({ length: RUN_ROWS }, (_, i) => ({ account_to_debit: (i % 2 === 0 ? gt : other)!.id, amount: 200 + (i % 97) }))) }]);
      batch = (await h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...small.headers }, payload: small.payload })).json().data.batch;
    }

    const e0 = performance.now();
    const committed = await h.request({ method: "POST", url: "/v2/batches/commit", headers: auth(c), payload: { id: batch.id } });
    if (committed.statusCode !== 200) throw new Error(`commit failed: ${committed.body}`);
    const jobs = new JobRunner(h.ctx, [...PAYMENT_JOBS, ...BULK_JOBS], { companyIds: [c.tenant.id], concurrency: 16, pollMs: 5 });
    jobs.start();
    let state = "running";
    while (state === "running") {
      await new Promise((r) => setTimeout(r, 100));
      const b = await h.ctx.db.selectFrom("batches").selectAll().where("id", "=", batch.id).executeTakeFirstOrThrow();
      state = b.state;
      if (process.env.BENCH_BULK_TRACE) {
        const ps = await h.ctx.db.selectFrom("payments").select(["state", (eb) => eb.fn.countAll<string>().as("n")]).where("company_id", "=", c.tenant.id).groupBy("state").execute();
        const js = await h.ctx.db.selectFrom("jobs").select(["state", (eb) => eb.fn.countAll<string>().as("n")]).where("company_id", "=", c.tenant.id).groupBy("state").execute();
        console.log(Math.round(performance.now() - e0), { p: b.pending_count, q: b.queued_count, pr: b.processing_count, s: b.succeeded_count }, ps.map((r) => `${r.state}:${r.n}`).join(" "), js.map((r) => `${r.state}:${r.n}`).join(" "));
      }
    }
    const executionMs = performance.now() - e0;
    await jobs.stop();
    clearInterval(sample);
    const after = process.memoryUsage();
    const end = await h.ctx.db.selectFrom("batches").selectAll().where("id", "=", batch.id).executeTakeFirstOrThrow();

    const rate = (ms: number, rows = ROWS) => `${((rows / ms) * 1000).toFixed(0)} rows/s`;
    console.log(`  baseline  ${ROWS} bare INSERTs (one transaction): ${(baselineMs / 1000).toFixed(2)} s (${rate(baselineMs)})`);
    console.log(`  validate  upload + check + write ${ROWS} rows: ${(validationMs / 1000).toFixed(2)} s (${rate(validationMs)}; ${(validationMs / baselineMs).toFixed(1)}× the baseline)  goal ≤ 5 s`);
    console.log(`  execute   commit → every one of ${RUN_ROWS} rows final (${end.state}: ${end.succeeded_count} succeeded, ${end.failed_count} failed): ${(executionMs / 1000).toFixed(2)} s (${rate(executionMs, RUN_ROWS)})  goal for 10,000 rows ≤ 60 s`);
    console.log(`  memory    rss ${MiB(before.rss)} → peak ${MiB(peakRss)} → ${MiB(after.rss)}; heap used ${MiB(before.heapUsed)} → peak ${MiB(peakHeap)} → ${MiB(after.heapUsed)}`);
    console.log(`  load      ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")} (1/5/15-min load average on ${(await import("node:os")).cpus().length} cores)`);
    return end.succeeded_count === RUN_ROWS;
  } finally {
    await h.close();
  }
}
