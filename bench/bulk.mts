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
import { sql, type Kysely, type KyselyPlugin } from "kysely";
import type { DB } from "../src/db/schema.js";
import { BULK_JOBS } from "../src/bulk/service.js";
import { JobRunner } from "../src/jobs/runner.js";
import { systemClock, type ManualClock } from "../src/lib/clock.js";
import { PAYMENT_JOBS } from "../src/payments/jobs.js";
import { Secret } from "../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../src/banks/sandbox-logins.js";
import { grantConsent } from "../src/payments/consents.js";
import { bulkCompany, csv, multipartBody, auth } from "../test/bulk/bulk-world.js";
import { GTBANK, linkSandboxCustomer } from "../test/security/route-registry.js";
import { createHarness, testConfig } from "../test/harness.js";

const ROWS = Number(process.env.BENCH_BULK_ROWS ?? 10_000);
/** Rows executed (default: all of them); less on a loaded machine, where each row costs seconds of waiting. */
const RUN_ROWS = Number(process.env.BENCH_BULK_RUN_ROWS ?? ROWS);
/** Extra banks whose accounts the rows debit too (see below); default 4 (10 payer accounts at 6 banks). */
const EXTRA_BANKS = Number(process.env.BENCH_BULK_BANKS ?? 4);
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
    // A bulk file debits many customers; BENCH_BULK_BANKS more banks (the magic customer's two
    // accounts at each, with payment consent) spread the rows over 2 + 2·n accounts. 0: the two
    // accounts of bulkCompany only (each debit at the sandbox bank locks its payer's account, so two
    // payers serialise every debit).
    const accounts = [gt!.id, other!.id];
    const used = new Set([GTBANK, other!.bankId, c.receiving.bankId]);
    for (const bank of h.ctx.sandbox.banks().filter((b) => !used.has(b.bankId)).slice(0, EXTRA_BANKS)) {
      const link = await linkSandboxCustomer(h, c.tenant, { bankId: bank.bankId });
      await c.faults({ mandateActivationDelayMs: 0 }, bank.bankId);
      for (const a of link.linked.accounts.filter((x) => x.connected)) {
        await grantConsent(h.ctx, c.scope, { accountId: a.id, bankSession: link.session.token, authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
        accounts.push(a.id);
      }
    }
    if (accounts.length > 2) {
      const activate = new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [c.tenant.id], concurrency: 4 });
      await activate.runOnce();
    }
    const debtor = (i: number) => accounts[i % accounts.length]!;
    const file = csv(Array.from({ length: ROWS }, (_, i) => ({ account_to_debit: debtor(i), amount: 100 + (i % 97) })));
    const storage = process.env.DATABASE_URL ? "PostgreSQL" : "PGlite (embedded)";
    console.log(`\nbulk: ${ROWS} rows (${(file.length / 1024).toFixed(0)} KiB of CSV) on ${storage}, in-process sandbox bank, ${accounts.length} payer accounts at ${accounts.length > 2 ? 2 + EXTRA_BANKS : 2} banks`);

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
    // With `node --expose-gc`, heap figures are after a full collection: what is retained, not garbage not yet collected.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
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
      const small = multipartBody([{ name: "file", filename: "bench-run.csv", content: csv(Array.from({ length: RUN_ROWS }, (_, i) => ({ account_to_debit: debtor(i), amount: 200 + (i % 97) }))) }]);
      batch = (await h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...small.headers }, payload: small.payload })).json().data.batch;
    }

    // BENCH_BULK_PROFILE=1: statements per row by kind and table (those through ctx.db: Okro's own,
    // not the sandbox bank's), and on PostgreSQL transactions and tuples written per row (everything).
    const profile = process.env.BENCH_BULK_PROFILE ? startProfile(h.ctx) : undefined;
    const pgBefore = process.env.DATABASE_URL ? await pgStats(h.ctx.db) : undefined;
    const cpu0 = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpu0);
    profile?.print(RUN_ROWS);
    if (pgBefore) {
      await new Promise((r) => setTimeout(r, 1_500)); // statistics are flushed at most once a second
      const after = await pgStats(h.ctx.db);
      const per = (n: number) => (n / RUN_ROWS).toFixed(1);
      console.log(`  pg stats per row: ${per(after.xact - pgBefore.xact)} commits; tuples written ${Object.entries(after.tables).map(([t, n]) => [t, n - (pgBefore.tables[t] ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${per(n)}`).join(", ")}`);
    }
    await jobs.stop();
    clearInterval(sample);
    gc?.();
    const after = process.memoryUsage();
    const end = await h.ctx.db.selectFrom("batches").selectAll().where("id", "=", batch.id).executeTakeFirstOrThrow();

    const rate = (ms: number, rows = ROWS) => `${((rows / ms) * 1000).toFixed(0)} rows/s`;
    console.log(`  baseline  ${ROWS} bare INSERTs (one transaction): ${(baselineMs / 1000).toFixed(2)} s (${rate(baselineMs)})`);
    console.log(`  validate  upload + check + write ${ROWS} rows: ${(validationMs / 1000).toFixed(2)} s (${rate(validationMs)}; ${(validationMs / baselineMs).toFixed(1)}× the baseline)  goal ≤ 5 s`);
    console.log(`  execute   commit → every one of ${RUN_ROWS} rows final (${end.state}: ${end.succeeded_count} succeeded, ${end.failed_count} failed): ${(executionMs / 1000).toFixed(2)} s (${rate(executionMs, RUN_ROWS)})  goal for 10,000 rows ≤ 60 s`);
    console.log(`  cpu       this process ${((cpu.user + cpu.system) / 1000 / RUN_ROWS).toFixed(1)} ms per row (${(((cpu.user + cpu.system) / 1000 / executionMs) * 100).toFixed(0)}% of one core over the execution)`);
    if (end.failed_count > 0) {
      const reasons = await h.ctx.db.selectFrom("batch_rows").select(["reason", (eb) => eb.fn.countAll<string>().as("n")]).where("batch_id", "=", batch.id).where("state", "=", "failed").groupBy("reason").execute();
      console.log(`  failed    ${reasons.map((r) => `${r.n}× ${r.reason}`).join("; ")}`);
    }
    console.log(`  memory    rss ${MiB(before.rss)} → peak ${MiB(peakRss)} → ${MiB(after.rss)}; heap used ${MiB(before.heapUsed)} → peak ${MiB(peakHeap)} → ${MiB(after.heapUsed)}${gc ? " (after a full GC)" : " (run with node --expose-gc for retained heap)"}`);
    console.log(`  load      ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")} (1/5/15-min load average on ${(await import("node:os")).cpus().length} cores)`);
    return end.succeeded_count === RUN_ROWS;
  } finally {
    await h.close();
  }
}

/** Counts the statements Okro sends through ctx.db (a Kysely plugin on a copy of the handle), by kind and table. */
function startProfile(ctx: { db: Kysely<DB> }) {
  const counts = new Map<string, number>();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      const node = args.node as { kind: string; sqlFragments?: readonly string[]; into?: { table: { identifier: { name: string } } }; table?: { table: { identifier: { name: string } } }; from?: { froms: { table?: { identifier: { name: string } } }[] } };
      let key: string = node.kind;
      if (node.kind === "RawNode") key = `raw ${(node.sqlFragments ?? []).join("?").replace(/\s+/g, " ").trim().slice(0, 70)}`;
      else if (node.kind === "InsertQueryNode") key = `insert ${node.into?.table.identifier.name}`;
      else if (node.kind === "UpdateQueryNode") key = `update ${node.table?.table.identifier.name}`;
      else if (node.kind === "SelectQueryNode") key = `select ${node.from?.froms.map((f) => f.table?.identifier.name).join(",")}`;
      else if (node.kind === "DeleteQueryNode") key = `delete`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  ctx.db = ctx.db.withPlugin(plugin);
  return {
    print(rows: number) {
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`  profile   ${(total / rows).toFixed(1)} statements per row through ctx.db; the most frequent (per row):`);
      for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${(n / rows).toFixed(2).padStart(6)}  ${k}`);
    },
  };
}

async function pgStats(db: Kysely<DB>) {
  const x = await sql<{ xact: string }>`SELECT xact_commit::text AS xact FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  const t = await sql<{ relname: string; n: string }>`SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS n FROM pg_stat_user_tables`.execute(db);
  return { xact: Number(x.rows[0]!.xact), tables: Object.fromEntries(t.rows.map((r) => [r.relname, Number(r.n)])) as Record<string, number> };
}
