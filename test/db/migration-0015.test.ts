import { Migrator, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/index.js";
import { migrations } from "../../src/db/migrations/index.js";
import { PAYMENT_JOB_RETRY } from "../../src/payments/schedule.js";

/**
 * Migration 0015 on a database with work in flight (PGlite, a fresh in-memory one): every row whose
 * old `next_check_at` was due becomes the job the payments engine would have enqueued (same due
 * time, the row's check number bumped), nothing else does, and the old claim columns are gone.
 */
let handle: DatabaseHandle;
const migrator = () =>
  new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations }, migrationTableName: "okro_migrations", migrationLockTableName: "okro_migrations_lock" });
const due = new Date("2026-01-02T03:04:05.000Z");

beforeAll(async () => {
  handle = await openDatabase({});
  const before = await migrator().migrateTo("0012_state_transitions");
  if (before.error) throw before.error;
  const db = handle.db;
  // Only the columns 0015 reads matter: foreign keys are not checked for these rows.
  await sql`SET session_replication_role = replica`.execute(db);
  const payment = (id: string, state: string, extra: string) =>
    sql.raw(`INSERT INTO payments (id, company_id, env, account_to_credit, amount, currency, channel, method, consent_id, state, attempt, checks, next_check_at, created_at, updated_at)
      VALUES ('${id}', 'co', 'sandbox', 'acc', 100, 'NGN', 'api', ${extra}, '${state}', 1, 3, '${due.toISOString()}', now(), now())`).execute(db);
  await sql.raw(`INSERT INTO payment_consents (id, company_id, env, customer_id, account_id, bank_id, reference, status, max_amount, currency, next_check_at, created_at, updated_at) VALUES
    ('c_active', 'co', 'sandbox', 'cu', 'a1', 'b', 'r1', 'active', 100, 'NGN', NULL, now(), now()),
    ('c_pending', 'co', 'production', 'cu', 'a2', 'b', 'r2', 'pending', 100, 'NGN', '${due.toISOString()}', now(), now())`).execute(db);
  await payment("p_queued", "queued", "'consent', 'c_active'");
  await payment("p_waiting", "queued", "'consent', 'c_pending'");
  await payment("p_unknown", "unknown", "'consent', 'c_active'");
  await payment("p_succeeded", "succeeded", "'authorised', NULL");
  await payment("p_awaiting", "awaiting_authorisation", "'authorised', NULL");
  await sql.raw(`INSERT INTO payments (id, company_id, env, account_to_credit, amount, currency, channel, method, state, created_at, updated_at)
    VALUES ('p_settled', 'co', 'sandbox', 'acc', 100, 'NGN', 'api', 'consent', 'settled', now(), now())`).execute(db);
  await sql.raw(`INSERT INTO refunds (id, company_id, env, payment_id, amount, currency, bank_id, nuban, state, checks, next_check_at, created_at, updated_at)
    VALUES ('r_pending', 'co', 'sandbox', 'p_settled', 50, 'NGN', 'b', 'n', 'pending', 0, '${due.toISOString()}', now(), now())`).execute(db);
  await sql.raw(`INSERT INTO payouts (id, company_id, env, amount, currency, bank_id, nuban, initiated_by, state, checks, next_check_at, created_at, updated_at)
    VALUES ('o_unknown', 'co', 'sandbox', 50, 'NGN', 'b', 'n', 'api', 'unknown', 2, '${due.toISOString()}', now(), now())`).execute(db);
  await sql`SET session_replication_role = DEFAULT`.execute(db);
  // Up to 0015 only: its rows are made with foreign keys off, which later data migrations (0023's
  // consents → mandates) rightly refuse.
  const after = await migrator().migrateTo("0015_payments_on_jobs");
  if (after.error) throw after.error;
}, 60_000);
afterAll(async () => {
  await handle?.close();
});

describe("migration 0015 (payments onto the job runner)", () => {
  it("turns each due row into its job, keyed and numbered as the engine does", async () => {
    const jobs = await handle.db.selectFrom("jobs").select(["name", "key", "payload", "company_id", "state", "run_at", "max_attempts"]).execute();
    const byKey = (a: { key: string | null }, b: { key: string | null }) => (a.key! < b.key! ? -1 : 1);
    const at = { company_id: "co", state: "queued", run_at: due, max_attempts: PAYMENT_JOB_RETRY.maxAttempts };
    expect(jobs.sort(byKey)).toEqual([
      { ...at, name: "consents.activate", key: "consent:c_pending:check:1", payload: { consentId: "c_pending", seq: 1, env: "production" } },
      { ...at, name: "payouts.credit", key: "payout:o_unknown:check:3", payload: { id: "o_unknown", seq: 3, streak: 2, env: "sandbox" } },
      { ...at, name: "payments.expire_authorisation", key: "payment:p_awaiting:check:4", payload: { paymentId: "p_awaiting", seq: 4, streak: 3, env: "sandbox" } },
      // p_waiting's consent is pending: its activation sends it.
      { ...at, name: "payments.execute", key: "payment:p_queued:attempt:2", payload: { paymentId: "p_queued", attempt: 2, env: "sandbox" } },
      { ...at, name: "payments.settle", key: "payment:p_succeeded:check:4", payload: { paymentId: "p_succeeded", seq: 4, streak: 3, env: "sandbox" } },
      { ...at, name: "payments.requery", key: "payment:p_unknown:check:4", payload: { paymentId: "p_unknown", seq: 4, streak: 3, env: "sandbox" } },
      { ...at, name: "refunds.credit", key: "refund:r_pending:check:1", payload: { id: "r_pending", seq: 1, streak: 0, env: "sandbox" } },
    ].sort(byKey));
    const checks = await handle.db.selectFrom("payments").select(["id", "checks"]).orderBy("id").execute();
    expect(Object.fromEntries(checks.map((r) => [r.id, r.checks]))).toEqual({ p_awaiting: 4, p_queued: 3, p_settled: 0, p_succeeded: 4, p_unknown: 4, p_waiting: 3 });
    const consents = await handle.db.selectFrom("payment_consents").select(["id", "checks"]).orderBy("id").execute();
    expect(consents).toEqual([
      { id: "c_active", checks: 0 },
      { id: "c_pending", checks: 1 },
    ]);
  });

  it("drops the old claim columns", async () => {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_name IN ('payments', 'refunds', 'payouts', 'payment_consents') AND column_name IN ('next_check_at', 'lease_until')`.execute(handle.db);
    expect(rows).toEqual([]);
  });
});
