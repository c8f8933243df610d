/**
 * `BENCH_ONLY=lists`: the API's lists at scale, before and after issue 17 in one run, on one data set.
 *
 * Data (bulk-loaded with generate_series): one company with 1,000,000 payments, 1,000,000 events
 * and 1,000 customers × 24 months of transactions (30 lines a month: 720,000 lines), beside a
 * second company with a tenth as much of each (so scoping is real).
 *
 * Each case is one page of 20 through the code behind the endpoint (no HTTP): `pay/list`
 * (pagePayments), `pay/get` (a customer's payments), `transactions/getByCustomer` and
 * `products/transactions` (listTransactions), `events/list` (listEvents) with its filters. Pages:
 * the first, page 50, page 500 (offset 9,980: the last within COUNT_BOUND) and page 5,000 (offset
 * 99,980); events page by cursor, the deep one 100,000 events back.
 *
 * - before: migration 0032's indexes dropped, and the lists' former query: the page and an exact
 *   `count(*)` of every matching row (events had no count: only the indexes differ). 30 runs.
 * - after: 0032's indexes, and the bounded count (src/core/paging.ts boundedPage), deep pages by
 *   ids first (DEFERRED_JOIN_OFFSET).
 * - bare: `SELECT * … ORDER BY … LIMIT 20 OFFSET …` alone on the after-indexes: the least a page costs.
 *
 * BENCH_REPEAT (default 100) runs of each, p50 and p99. Target (issue 17): after p99 ≤ 20 ms.
 * On PostgreSQL when DATABASE_URL is set (a fresh database on that server, dropped after), else
 * PGlite in memory (slow to load: BENCH_LISTS_SCALE=0.1 loads a tenth).
 */
import { sql } from "kysely";
import { migrateToLatest, openDatabase, type Database, type DatabaseHandle } from "../src/db/index.js";
import * as m0032 from "../src/db/migrations/0032_list_indexes.js";
import { pagePayments } from "../src/payments/store.js";
import { listTransactions } from "../src/data/queries.js";
import { listEvents } from "../src/events/events.js";
import { offsetOf } from "../src/core/paging.js";
import type { Scope } from "../src/core/tenancy.js";
import { freshPostgresDatabase } from "../test/process/spawn.js";

const SCALE = Number(process.env.BENCH_LISTS_SCALE ?? 1);
const PAYMENTS = Math.round(1_000_000 * SCALE);
const EVENTS = Math.round(1_000_000 * SCALE);
const CUSTOMERS = Math.round(1_000 * SCALE);
const LINES_PER_MONTH = 30;
const MONTHS = 24;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 100);
const LIMIT = 20;
const P99_BUDGET_MS = 20;
const A = "aaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbb";
const NOW = "2026-12-01T00:00:00Z";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function chunks(total: number, size: number, each: (start: number, n: number) => Promise<unknown>) {
  for (let start = 0; start < total; start += size) await each(start, Math.min(size, total - start));
}

async function seedCompany(db: Database, company: string, fraction: number): Promise<void> {
  const tag = company === A ? "a" : "b";
  const now = new Date(NOW);
  await db.insertInto("companies").values({ id: company, name: `Bench ${tag}`, created_at: now }).execute();
  const account = `cc${company.slice(2)}`;
  await db
    .insertInto("company_accounts")
    .values({ id: account, company_id: company, env: "sandbox", bank_id: "bank000000000000000000a1", nuban: "0123456789", name: "Bench", currency: "NGN", is_default: true, created_at: now })
    .execute();
  const customers = Math.max(1, Math.round(CUSTOMERS * fraction));
  // Customers, one record and one account each (ids: cu|re|ac + tag + number).
  await sql`
    INSERT INTO customers (id, company_id, env, name, kind, created_at, updated_at)
    SELECT 'cu' || ${tag} || lpad(g::text, 21, '0'), ${company}, 'sandbox', 'Customer ' || g, 'individual', ${now}, ${now}
    FROM generate_series(1, ${customers}::int) g`.execute(db);
  await sql`
    INSERT INTO records (id, company_id, env, customer_id, bank_id, status, login_method, products, created_at, updated_at)
    SELECT 're' || ${tag} || lpad(g::text, 21, '0'), ${company}, 'sandbox', 'cu' || ${tag} || lpad(g::text, 21, '0'), 'bank000000000000000000a1', 'connected', 'username', '["transactions"]'::jsonb, ${now}, ${now}
    FROM generate_series(1, ${customers}::int) g`.execute(db);
  await sql`
    INSERT INTO accounts (id, company_id, env, customer_id, record_id, bank_id, bank_account_id, nuban, name, type, currency, connected, created_at, updated_at)
    SELECT 'ac' || ${tag} || lpad(g::text, 21, '0'), ${company}, 'sandbox', 'cu' || ${tag} || lpad(g::text, 21, '0'), 're' || ${tag} || lpad(g::text, 21, '0'),
           'bank000000000000000000a1', 'ba' || g, lpad(g::text, 10, '0'), 'Account ' || g, 'current', 'NGN', true, ${now}, ${now}
    FROM generate_series(1, ${customers}::int) g`.execute(db);
  // 24 months of 30 lines for every customer, a line every day; credit or debit.
  const perCustomer = MONTHS * LINES_PER_MONTH;
  await chunks(customers * perCustomer, 200_000, (start, n) =>
    sql`
      INSERT INTO transactions (id, company_id, env, account_id, customer_id, record_id, bank_id, bank_transaction_id, debit, credit, balance, currency, trans_date, narration, category, created_at)
      SELECT 'tx' || ${tag} || lpad(i::text, 21, '0'), ${company}, 'sandbox',
             'ac' || ${tag} || lpad(c::text, 21, '0'), 'cu' || ${tag} || lpad(c::text, 21, '0'), 're' || ${tag} || lpad(c::text, 21, '0'),
             'bank000000000000000000a1', 'bt' || i,
             CASE WHEN i % 3 = 0 THEN NULL ELSE 100 + (i * 7919) % 500000 END,
             CASE WHEN i % 3 = 0 THEN 1000 + (i * 104729) % 5000000 ELSE NULL END,
             (i * 31) % 100000000, 'NGN', ${now}::timestamptz - (d * interval '1 day') - (c * interval '1 second'), 'Line ' || i, 'general', ${now}
      FROM (SELECT ${start}::bigint + g AS i, 1 + (${start} + g - 1) / ${perCustomer} AS c, (${start} + g - 1) % ${perCustomer} AS d FROM generate_series(1, ${n}::int) g) s`.execute(db),
  );
  await chunks(Math.round(PAYMENTS * fraction), 200_000, (start, n) =>
    sql`
      INSERT INTO payments (id, company_id, env, customer_id, bank_id, nuban, account_to_credit, amount, currency, channel, method, state, reference, fee, created_at, updated_at)
      SELECT 'py' || ${tag} || lpad((${start} + g)::text, 21, '0'), ${company}, 'sandbox', 'cu' || ${tag} || lpad((1 + (${start} + g) % ${customers})::text, 21, '0'),
             'bank000000000000000000a1', lpad(((${start} + g) % 1000000000)::text, 10, '0'), ${account},
             1000 + ((${start} + g)::bigint * 104729) % 5000000, 'NGN', 'api', 'consent',
             (ARRAY['settled','settled','settled','succeeded','failed','queued'])[1 + (g % 6)], 'REF' || ${tag} || (${start} + g), 0,
             ${now}::timestamptz - ((${start} + g) * interval '7 seconds'), ${now}::timestamptz - ((${start} + g) * interval '7 seconds')
      FROM generate_series(1, ${n}::int) g`.execute(db),
  );
  await chunks(Math.round(EVENTS * fraction), 200_000, (start, n) =>
    sql`
      INSERT INTO events (id, company_id, env, type, object_type, object_id, sequence, payload, created_at)
      SELECT 'ev' || ${tag} || lpad(i::text, 21, '0'), ${company}, 'sandbox',
             (ARRAY['payment.created','payment.succeeded','payment.settled','payment.failed','record.connected','mandate.created'])[1 + (i % 6)],
             'payment', 'py' || ${tag} || lpad((i / 3)::text, 21, '0'), 1 + i % 3,
             jsonb_build_object('id', 'ev' || ${tag} || lpad(i::text, 21, '0'), 'type', (ARRAY['payment.created','payment.succeeded','payment.settled','payment.failed','record.connected','mandate.created'])[1 + (i % 6)],
                                'data', jsonb_build_object('id', 'py' || ${tag} || lpad((i / 3)::text, 21, '0'), 'amount', 1000 + i % 5000000, 'status', 'settled')),
             ${now}::timestamptz - (i * interval '6 seconds')
      FROM (SELECT ${start}::bigint + g AS i FROM generate_series(1, ${n}::int) g) s`.execute(db),
  );
}

/** The lists' queries before issue 17: the page, and an exact count of every matching row. */
async function formerPayments(db: Database, scope: Scope, customerId: string | undefined, page: number) {
  let from = db.selectFrom("payments").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (customerId !== undefined) from = from.where("customer_id", "=", customerId);
  const rows = await from.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(LIMIT).offset(offsetOf(page, LIMIT)).execute();
  const count = await from.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: count.n };
}
async function formerTransactions(db: Database, scope: Scope, customerId: string | undefined, page: number) {
  let base = db.selectFrom("transactions").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (customerId !== undefined) base = base.where("customer_id", "=", customerId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy("trans_date", "desc").orderBy("id", "desc").limit(LIMIT).offset(offsetOf(page, LIMIT)).execute(),
    base.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

interface Case {
  name: string;
  before?: () => Promise<unknown>;
  after: () => Promise<unknown>;
  bare?: () => Promise<unknown>;
}

async function measure(fn: () => Promise<unknown>, repeat = REPEAT): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

export async function benchLists(): Promise<boolean> {
  const base = process.env.DATABASE_URL;
  const database = base ? await freshPostgresDatabase(base, "okro_bench_lists") : undefined;
  const handle: DatabaseHandle = await openDatabase({ databaseUrl: database?.url });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    await m0032.down(db); // "before": without 0032's indexes (put back below)
    const seeding = performance.now();
    await seedCompany(db, A, 1);
    await seedCompany(db, B, 0.1);
    // What autovacuum does to a table in use: statistics, and the visibility map that lets an
    // index-only scan skip the table (the capped count, the ids of a deep page).
    await sql`VACUUM ANALYZE`.execute(db);
    const seeded = (performance.now() - seeding) / 1000;
    const scope: Scope = { companyId: A, env: "sandbox" };
    const customer = `cua${String(Math.max(1, Math.round(CUSTOMERS / 2))).padStart(21, "0")}`;
    const deepEvent = `eva${String(Math.min(EVENTS - 100, 100_000)).padStart(21, "0")}`;
    const evPage = (o: Partial<Parameters<typeof listEvents>[2]>) => () => listEvents(db, scope, { limit: LIMIT, order: "desc", ...o });
    const bareEvents = (where: (q: any) => any) => () =>
      where(db.selectFrom("events").select(["id", "payload"]).where("company_id", "=", A).where("env", "=", "sandbox"))
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(LIMIT + 1)
        .execute();
    const barePayments = (page: number, customerId?: string) => () =>
      db
        .selectFrom("payments")
        .selectAll()
        .where("company_id", "=", A)
        .where("env", "=", "sandbox")
        .$if(customerId !== undefined, (q) => q.where("customer_id", "=", customerId!))
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(LIMIT)
        .offset(offsetOf(page, LIMIT))
        .execute();
    const bareTransactions = (page: number, customerId?: string) => () =>
      db
        .selectFrom("transactions")
        .selectAll()
        .where("company_id", "=", A)
        .where("env", "=", "sandbox")
        .$if(customerId !== undefined, (q) => q.where("customer_id", "=", customerId!))
        .orderBy("trans_date", "desc")
        .orderBy("id", "desc")
        .limit(LIMIT)
        .offset(offsetOf(page, LIMIT))
        .execute();
    const cases: Case[] = [];
    for (const page of [1, 50, 500, 5_000]) {
      cases.push({ name: `pay/list page ${page}`, before: () => formerPayments(db, scope, undefined, page), after: () => pagePayments(db, scope, { page, limit: LIMIT }), bare: barePayments(page) });
    }
    for (const page of [1, 10, 50]) {
      cases.push({
        name: `pay/get (one customer's ${Math.round(PAYMENTS / CUSTOMERS)}) page ${page}`,
        before: () => formerPayments(db, scope, customer, page),
        after: () => pagePayments(db, scope, { customerId: customer, page, limit: LIMIT }),
        bare: barePayments(page, customer),
      });
    }
    for (const page of [1, 10, 36]) {
      cases.push({
        name: `transactions/getByCustomer (${MONTHS * LINES_PER_MONTH} lines) page ${page}`,
        before: () => formerTransactions(db, scope, customer, page),
        after: () => listTransactions(db, scope, { customerId: customer }, { page, limit: LIMIT }),
        bare: bareTransactions(page, customer),
      });
    }
    for (const page of [1, 500, 5_000]) {
      cases.push({
        name: `products/transactions (all ${(CUSTOMERS * MONTHS * LINES_PER_MONTH).toLocaleString("en")}) page ${page}`,
        before: () => formerTransactions(db, scope, undefined, page),
        after: () => listTransactions(db, scope, {}, { page, limit: LIMIT }),
        bare: bareTransactions(page),
      });
    }
    const from = new Date(Date.parse(NOW) - 30 * 86_400_000);
    const to = new Date(Date.parse(NOW) - 29 * 86_400_000);
    const eventCases: Array<[string, Partial<Parameters<typeof listEvents>[2]>, (q: any) => any]> = [
      ["events/list first page", {}, (q) => q],
      ["events/list starting_after 100,000 back", { starting_after: deepEvent }, (q) => q.where(sql`(created_at, id) < (SELECT c.created_at, c.id FROM events c WHERE c.id = ${deepEvent})`)],
      ["events/list type=payment.failed", { type: "payment.failed" }, (q) => q.where("type", "=", "payment.failed")],
      ["events/list type=mandate.created, 100,000 back", { type: "mandate.created", starting_after: deepEvent }, (q) => q.where("type", "=", "mandate.created").where(sql`(created_at, id) < (SELECT c.created_at, c.id FROM events c WHERE c.id = ${deepEvent})`)],
      ["events/list type=payment.*", { type: "payment.*" }, (q) => q.where("type", "like", "payment.%")],
      ["events/list object_id", { object_id: "pya000000000000000000050000" }, (q) => q.where("object_id", "=", "pya000000000000000000050000")],
      ["events/list from/to (one day, 30 days back)", { from, to }, (q) => q.where("created_at", ">=", from).where("created_at", "<", to)],
    ];
    for (const [name, o, where] of eventCases) cases.push({ name, before: evPage(o), after: evPage(o), bare: bareEvents(where) });

    const results = new Map<string, { before?: { p50: number; p99: number }; after?: { p50: number; p99: number }; bare?: { p50: number; p99: number } }>();
    // The former exact counts take up to a second a page: fewer runs (p99 of 30 is their slowest).
    for (const c of cases) if (c.before) results.set(c.name, { before: await measure(c.before, Math.min(REPEAT, 30)) });
    await m0032.up(db);
    await sql`VACUUM ANALYZE`.execute(db);
    for (const c of cases) {
      const r = results.get(c.name) ?? {};
      r.after = await measure(c.after);
      if (c.bare) r.bare = await measure(c.bare);
      results.set(c.name, r);
    }

    console.log(
      `\nLists on ${database ? "PostgreSQL" : "PGlite"} — ${PAYMENTS.toLocaleString("en")} payments, ${EVENTS.toLocaleString("en")} events, ${CUSTOMERS.toLocaleString("en")} customers × ${MONTHS} months (${(CUSTOMERS * MONTHS * LINES_PER_MONTH).toLocaleString("en")} transactions) of one company, +10% of each in another; seeded in ${seeded.toFixed(1)} s; pages of ${LIMIT}, ${REPEAT} runs each, ms`,
    );
    const f = (x?: { p50: number; p99: number }) => (x ? `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)}` : "—").padStart(17);
    console.log("case".padEnd(58) + "before p50/p99".padStart(17) + "after p50/p99".padStart(17) + "bare p50/p99".padStart(17) + "  after p99 ≤ 20 ms");
    let ok = true;
    for (const c of cases) {
      const r = results.get(c.name)!;
      const within = r.after!.p99 <= P99_BUDGET_MS;
      ok &&= within;
      console.log(c.name.padEnd(58) + f(r.before) + f(r.after) + f(r.bare) + (within ? "  ok" : "  OVER"));
    }
    return ok;
  } finally {
    await handle.close();
    await database?.drop();
  }
}
