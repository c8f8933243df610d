import { Migrator, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/index.js";
import { migrations } from "../../src/db/migrations/index.js";

/**
 * Migration 0023 on a database with payment consents (PGlite, a fresh in-memory one): each consent
 * becomes its standing mandate — variable, its cap per charge, no total, open-ended, no schedule —
 * in the state its consent is in, with a creation row in the history.
 */
let handle: DatabaseHandle;
const migrator = () =>
  new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations }, migrationTableName: "okro_migrations", migrationLockTableName: "okro_migrations_lock" });
const created = new Date("2026-03-31T23:30:00.000Z"); // 1 April 00:30 in Lagos
const updated = new Date("2026-04-02T10:00:00.000Z");

beforeAll(async () => {
  handle = await openDatabase({});
  const before = await migrator().migrateTo("0020_dashboard_payments");
  if (before.error) throw before.error;
  await sql`SET session_replication_role = replica`.execute(handle.db);
  await sql.raw(`INSERT INTO companies (id, name) VALUES ('c0c0c0c0c0c0c0c0c0c0c0c0', 'Consents Co')`).execute(handle.db);
  // A consent whose company row is missing (only possible with checks off, as other migration tests write): skipped.
  await sql.raw(`INSERT INTO payment_consents (id, company_id, env, customer_id, account_id, bank_id, reference, status, max_amount, currency, created_at, updated_at) VALUES
    ('c_orphan', 'co', 'sandbox', 'cu9', 'a9', 'b1', 'r9', 'active', 100, 'NGN', now(), now())`).execute(handle.db);
  await sql.raw(`INSERT INTO payment_consents (id, company_id, env, customer_id, account_id, bank_id, reference, status, max_amount, currency, created_at, updated_at) VALUES
    ('c_active', 'c0c0c0c0c0c0c0c0c0c0c0c0', 'sandbox', 'cu1', 'a1', 'b1', 'r1', 'active', 100000000, 'NGN', '${created.toISOString()}', '${updated.toISOString()}'),
    ('c_pending', 'c0c0c0c0c0c0c0c0c0c0c0c0', 'production', 'cu2', 'a2', 'b1', 'r2', 'pending', 500000, 'NGN', '${created.toISOString()}', '${updated.toISOString()}'),
    ('c_revoked', 'c0c0c0c0c0c0c0c0c0c0c0c0', 'sandbox', 'cu1', 'a3', 'b2', 'r3', 'revoked', 700000, 'NGN', '${created.toISOString()}', '${updated.toISOString()}')`).execute(handle.db);
  await sql`SET session_replication_role = DEFAULT`.execute(handle.db);
  const after = await migrator().migrateToLatest();
  if (after.error) throw after.error;
}, 60_000);
afterAll(async () => {
  await handle?.close();
});

describe("migration 0023 (payment consents become mandates)", () => {
  it("gives each consent its standing mandate, in its consent's state, with a history row", async () => {
    const rows = await handle.db.selectFrom("mandates").selectAll().orderBy("consent_id").execute();
    const common = { company_id: "c0c0c0c0c0c0c0c0c0c0c0c0", source: "consent", debit_type: "variable", currency: "NGN", amount: null, max_total: null, max_per_period: null, interval: null, end_date: null, start_date: "2026-04-01", notice_days: 3, retry_balance_check: true };
    expect(rows.map((r) => ({ ...common, ...pick(r, Object.keys(common)), consent_id: r.consent_id, env: r.env, customer_id: r.customer_id, account_id: r.account_id, state: r.state, max_per_charge: r.max_per_charge, activated: r.activated_at?.toISOString() ?? null, ended: r.ended_at?.toISOString() ?? null }))).toEqual([
      { ...common, consent_id: "c_active", env: "sandbox", customer_id: "cu1", account_id: "a1", state: "active", max_per_charge: 100_000_000n, activated: updated.toISOString(), ended: null },
      { ...common, consent_id: "c_pending", env: "production", customer_id: "cu2", account_id: "a2", state: "awaiting_bank", max_per_charge: 500_000n, activated: null, ended: null },
      { ...common, consent_id: "c_revoked", env: "sandbox", customer_id: "cu1", account_id: "a3", state: "revoked", max_per_charge: 700_000n, activated: null, ended: updated.toISOString() },
    ]);
    expect(rows.every((r) => /^[0-9a-f]{24}$/.test(r.id))).toBe(true);
    const history = await handle.db.selectFrom("state_transitions").select(["object_id", "from_state", "to_state", "reason"]).where("object_type", "=", "mandate").execute();
    expect(history.map((h) => [h.object_id, h.from_state, h.to_state, h.reason]).sort()).toEqual(rows.map((r) => [r.id, null, r.state, "migrated_from_consent"]).sort());
  });
});

function pick(r: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}
