/**
 * The dashboard's payments list and CSV export on 100,000 payments of one company (and 20,000 of
 * another, so scoping is real), against a baseline measured in the same run on the same data.
 *
 * - okro list: `searchPayments` (src/payments/reporting.ts), the query behind GET
 *   /dashboard/api/payments: a page of 25, newest first, keyset-paged, with its capped count —
 *   first page unfiltered, a later page (cursor), and filtered by status, bank, amount range and
 *   a search by reference. Median of BENCH_REPEAT (default 15) runs each.
 * - baseline list: the least a page can cost, `SELECT * … WHERE company_id AND env ORDER BY
 *   created_at DESC, id DESC LIMIT 25` with no count, on the same index.
 * - okro export: `allPayments` (keyset batches of 1,000) through csv-stringify with the formula
 *   escaping, every payment of the company (100,000 rows) — what GET
 *   /dashboard/api/payments/export.csv streams (without the HTTP layer).
 * - baseline export: one `SELECT *` of the same rows in the same order into the same stringifier.
 *
 * On PostgreSQL when DATABASE_URL is set (a fresh database on that server, dropped after), else
 * on embedded PGlite in memory.
 */
import { sql } from "kysely";
import { stringify } from "csv-stringify";
import { Writable, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../src/db/index.js";
import { safeCell } from "../src/lib/csv.js";
import { allPayments, searchPayments, type PaymentFilter } from "../src/payments/reporting.js";
import type { Scope } from "../src/core/tenancy.js";
import { freshPostgresDatabase } from "../test/process/spawn.js";

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 100_000);
const NOISE = Math.round(PAYMENTS / 5);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const BANKS = ["bank000000000000000000a1", "bank000000000000000000a2", "bank000000000000000000a3", "bank000000000000000000a4", "bank000000000000000000a5"];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function seed(handle: DatabaseHandle, companyId: string, count: number): Promise<void> {
  const db = handle.db;
  const now = new Date("2026-03-01T00:00:00Z");
  await db.insertInto("companies").values({ id: companyId, name: `Bench ${companyId}`, created_at: now }).execute();
  const account = `cc${companyId.slice(2)}`;
  await db
    .insertInto("company_accounts")
    .values({ id: account, company_id: companyId, env: "sandbox", bank_id: BANKS[0]!, nuban: "0123456789", name: "Bench", currency: "NGN", is_default: true, created_at: now })
    .execute();
  // Spread over 90 days; states in a realistic mix; 2,000 customers; ids sortable by time like newId's.
  for (let start = 0; start < count; start += 20_000) {
    const n = Math.min(20_000, count - start);
    await sql`
      INSERT INTO payments (id, company_id, env, customer_id, account_id, bank_id, nuban, account_to_credit, amount, currency, channel, method,
                            state, reference, note, failure_code, failure_reason, fee, created_at, updated_at)
      SELECT lpad(to_hex(${companyId === "aaaaaaaaaaaaaaaaaaaaaaaa" ? 1 : 2} * 10000000 + ${start} + g), 24, '0'),
             ${companyId}, 'sandbox', 'cust' || lpad(((g * 7919) % 2000)::text, 20, '0'), NULL,
             (${sql.val(BANKS)}::text[])[1 + (g % 5)], lpad((g % 1000000000)::text, 10, '0'), ${account},
             1000 + (g * 104729) % 5000000, 'NGN', 'api', 'consent',
             (ARRAY['settled','settled','settled','settled','succeeded','failed','errored','queued','review','cancelled'])[1 + (g % 10)],
             'OKRO' || ${companyId} || '-' || (${start} + g) || 'A1',
             CASE WHEN g % 13 = 0 THEN '=SUM(A1:A9)' ELSE NULL END,
             CASE WHEN g % 10 IN (5, 6) THEN 'NSF' ELSE NULL END,
             CASE WHEN g % 10 IN (5, 6) THEN 'Insufficient funds' ELSE NULL END,
             0,
             timestamptz '2026-03-01' - ((${start} + g) * interval '77 seconds'),
             timestamptz '2026-03-01' - ((${start} + g) * interval '77 seconds')
      FROM generate_series(1, ${n}) g
    `.execute(db);
  }
  await sql`ANALYZE payments`.execute(db);
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

const COLUMNS = ["id", "created_at", "status", "amount_kobo", "customer_id", "bank", "reference", "note", "failure_reason"];

async function okroExport(handle: DatabaseHandle, scope: Scope, filter: PaymentFilter): Promise<number> {
  let rows = 0;
  async function* records() {
    for await (const batch of allPayments(handle.db, scope, filter)) {
      for (const p of batch) {
        rows++;
        yield [p.id, p.created_at.toISOString(), p.state, String(p.amount), safeCell(p.customer_id), safeCell(p.bank_id), safeCell(p.reference), safeCell(p.note), safeCell(p.failure_reason)];
      }
    }
  }
  await pipeline(Readable.from(records()), stringify({ header: true, columns: COLUMNS }), sink());
  return rows;
}

async function bareExport(handle: DatabaseHandle, scope: Scope): Promise<number> {
  const all = await handle.db
    .selectFrom("payments")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  await pipeline(
    Readable.from(all.map((p) => [p.id, p.created_at.toISOString(), p.state, String(p.amount), p.customer_id, p.bank_id, p.reference, p.note, p.failure_reason])),
    stringify({ header: true, columns: COLUMNS }),
    sink(),
  );
  return all.length;
}

export async function benchDashboard(): Promise<boolean> {
  const base = process.env.DATABASE_URL;
  const database = base ? await freshPostgresDatabase(base, "okro_bench_dashboard") : undefined;
  const handle = await openDatabase({ databaseUrl: database?.url });
  try {
    await migrateToLatest(handle.db);
    const seeding = performance.now();
    await seed(handle, "aaaaaaaaaaaaaaaaaaaaaaaa", PAYMENTS);
    await seed(handle, "bbbbbbbbbbbbbbbbbbbbbbbb", NOISE);
    const seeded = (performance.now() - seeding) / 1000;
    const scope: Scope = { companyId: "aaaaaaaaaaaaaaaaaaaaaaaa", env: "sandbox" };
    const db = handle.db;
    const first = await searchPayments(db, scope, {}, { limit: 25 });
    if (first.rows.length !== 25 || !first.totalCapped) throw new Error("bench: the first page is not a full, capped page");
    const sample = first.rows[3]!;

    const cases: Array<[string, () => Promise<unknown>]> = [
      [
        "baseline: SELECT * … ORDER BY created_at DESC, id DESC LIMIT 25 (no count)",
        () =>
          db.selectFrom("payments").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).orderBy("created_at", "desc").orderBy("id", "desc").limit(25).execute(),
      ],
      ["okro list: first page + capped count", () => searchPayments(db, scope, {}, { limit: 25 })],
      ["okro list: a later page (cursor) + capped count", () => searchPayments(db, scope, {}, { limit: 25, cursor: first.nextCursor! })],
      ["okro list: status=review", () => searchPayments(db, scope, { status: ["review"] }, { limit: 25 })],
      ["okro list: status=completed,error,failed", () => searchPayments(db, scope, { status: ["completed", "error", "failed"] }, { limit: 25 })],
      ["okro list: bank", () => searchPayments(db, scope, { bank: BANKS[2] }, { limit: 25 })],
      ["okro list: amount 1,000,000–1,200,000 kobo", () => searchPayments(db, scope, { amountMin: 1_000_000n, amountMax: 1_200_000n }, { limit: 25 })],
      ["okro list: customer", () => searchPayments(db, scope, { customer: sample.customer_id! }, { limit: 25 })],
      ["okro list: search by reference", () => searchPayments(db, scope, { q: sample.reference! }, { limit: 25 })],
      ["okro list: date range (one week)", () => searchPayments(db, scope, { from: new Date("2026-02-10T00:00:00Z"), to: new Date("2026-02-17T00:00:00Z") }, { limit: 25 })],
    ];
    const listResults: Array<[string, number]> = [];
    for (const [name, fn] of cases) {
      await fn(); // warm
      const times: number[] = [];
      for (let i = 0; i < REPEAT; i++) times.push(await time(fn));
      listResults.push([name, median(times)]);
    }

    let bareRows = 0;
    let okroRows = 0;
    const bareMs = await time(async () => (bareRows = await bareExport(handle, scope)));
    const okroMs = await time(async () => (okroRows = await okroExport(handle, scope, {})));
    if (bareRows !== PAYMENTS || okroRows !== PAYMENTS) throw new Error(`bench: exported ${okroRows} (baseline ${bareRows}) of ${PAYMENTS}`);
    let failedRows = 0;
    const failedMs = await time(async () => (failedRows = await okroExport(handle, scope, { status: ["error", "failed"] })));

    console.log(
      `\nDashboard lists on ${database ? "PostgreSQL" : "PGlite"} — ${PAYMENTS.toLocaleString("en")} payments of one company (+${NOISE.toLocaleString("en")} of another), seeded in ${seeded.toFixed(1)} s, Node ${process.version}\n`,
    );
    const bare = listResults[0]![1];
    console.log("list (page of 25), median of " + REPEAT + " runs".padEnd(40) + "ms".padStart(12) + "vs baseline".padStart(14));
    for (const [name, ms] of listResults) console.log(name.padEnd(72) + ms.toFixed(2).padStart(10) + `${(ms / bare).toFixed(1)}×`.padStart(12));
    console.log(`\nexport (CSV, every payment of the company: ${PAYMENTS.toLocaleString("en")} rows)`.padEnd(72) + "seconds".padStart(10) + "rows/s".padStart(12));
    console.log("baseline: one SELECT * → csv-stringify".padEnd(72) + (bareMs / 1000).toFixed(2).padStart(10) + (bareRows / (bareMs / 1000)).toFixed(0).padStart(12));
    console.log("okro export: keyset batches of 1,000 → formula-escaped csv-stringify".padEnd(72) + (okroMs / 1000).toFixed(2).padStart(10) + (okroRows / (okroMs / 1000)).toFixed(0).padStart(12));
    console.log(`okro export: status=error,failed (${failedRows.toLocaleString("en")} rows)`.padEnd(72) + (failedMs / 1000).toFixed(2).padStart(10) + (failedRows / (failedMs / 1000)).toFixed(0).padStart(12));
    return true;
  } finally {
    await handle.close();
    await database?.drop();
  }
}
