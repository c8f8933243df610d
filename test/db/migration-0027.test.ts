import { Migrator, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../src/db/index.js";
import { migrations } from "../../src/db/migrations/index.js";

/**
 * Migration 0027 on a database written before it (PGlite, a fresh in-memory one): consents made by
 * a mandate flow are bound to their mandate and lose the standing mandate they were given; consents
 * given as payment consents (earlier, by the connect flow or the seed) stay standing, even when a
 * mandate was authorised on them later. Mandates written before keep their dates (`business_days`
 * none); new ones default to `next`.
 */
let handle: DatabaseHandle;
const migrator = () =>
  new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations }, migrationTableName: "okro_migrations", migrationLockTableName: "okro_migrations_lock" });
const CO = "c0c0c0c0c0c0c0c0c0c0c0c0";
const t = (iso: string) => `'${iso}'`;

function consent(id: string, account: string, created: string) {
  return `('${id}', '${CO}', 'sandbox', 'cu1', '${account}', 'b1', 'ref_${id}', 'active', 500000, 'NGN', ${t(created)}, ${t(created)})`;
}
function mandate(id: string, consentId: string, account: string, source: string, created: string, authorised: string | null, state = "active") {
  const fixed = source === "consent" ? "'variable', NULL" : "'fixed', 500000";
  return `('${id}', '${CO}', 'sandbox', 'cu1', '${account}', 'b1', '${consentId}', '${state}', '${source}', ${fixed}, 'NGN', '2026-05-01', 3, 24, ${authorised ? t(authorised) : "NULL"}, ${t(created)}, ${t(created)})`;
}

beforeAll(async () => {
  handle = await openDatabase({});
  const before = await migrator().migrateTo("0026_api_request_log");
  if (before.error) throw before.error;
  await sql`SET session_replication_role = replica`.execute(handle.db);
  await sql.raw(`INSERT INTO companies (id, name) VALUES ('${CO}', 'Consents Co')`).execute(handle.db);
  await sql.raw(`INSERT INTO payment_consents (id, company_id, env, customer_id, account_id, bank_id, reference, status, max_amount, currency, created_at, updated_at) VALUES
    ${consent("c_widget", "a1", "2026-05-01T10:00:30Z")},
    ${consent("c_link", "a2", "2026-05-01T11:00:00Z")},
    ${consent("c_connect", "a3", "2026-05-01T09:00:00Z")},
    ${consent("c_plain", "a4", "2026-05-01T09:00:00Z")}`).execute(handle.db);
  await sql.raw(`INSERT INTO mandates (id, company_id, env, customer_id, account_id, bank_id, consent_id, state, source, debit_type, amount, currency, start_date, retry_attempts, retry_spacing_hours, authorised_at, created_at, updated_at) VALUES
    ${mandate("m_widget", "c_widget", "a1", "widget", "2026-05-01T10:00:00Z", "2026-05-01T10:00:40Z")},
    ${mandate("s_widget", "c_widget", "a1", "consent", "2026-05-01T10:00:30Z", null)},
    ${mandate("m_link", "c_link", "a2", "link", "2026-05-01T11:00:05Z", "2026-05-01T11:00:05Z")},
    ${mandate("s_link", "c_link", "a2", "consent", "2026-05-01T11:00:00Z", null, "paused")},
    ${mandate("m_later", "c_connect", "a3", "widget", "2026-05-03T10:00:00Z", "2026-05-03T10:01:00Z")},
    ${mandate("s_connect", "c_connect", "a3", "consent", "2026-05-01T09:00:00Z", null)},
    ${mandate("s_plain", "c_plain", "a4", "consent", "2026-05-01T09:00:00Z", null)}`).execute(handle.db);
  await sql`SET session_replication_role = DEFAULT`.execute(handle.db);
  const after = await migrator().migrateToLatest();
  if (after.error) throw after.error;
}, 60_000);
afterAll(async () => {
  await handle?.close();
});

describe("migration 0027 (consents bound to their mandate; business days)", () => {
  it("binds the consents a mandate flow created, ends their standing mandates with a history row, and leaves payment consents standing", async () => {
    const consents = await handle.db.selectFrom("payment_consents").select(["id", "standing", "bound_mandate_id"]).orderBy("id").execute();
    expect(consents).toEqual([
      { id: "c_connect", standing: true, bound_mandate_id: null },
      { id: "c_link", standing: false, bound_mandate_id: "m_link" },
      { id: "c_plain", standing: true, bound_mandate_id: null },
      { id: "c_widget", standing: false, bound_mandate_id: "m_widget" },
    ]);
    const mandates = await handle.db.selectFrom("mandates").select(["id", "state", "state_reason", "business_days"]).orderBy("id").execute();
    expect(mandates.map((m) => [m.id, m.state, m.state_reason])).toEqual([
      ["m_later", "active", null],
      ["m_link", "active", null],
      ["m_widget", "active", null],
      ["s_connect", "active", null],
      ["s_link", "cancelled", "consent_bound_to_mandate"],
      ["s_plain", "active", null],
      ["s_widget", "cancelled", "consent_bound_to_mandate"],
    ]);
    expect(new Set(mandates.map((m) => m.business_days))).toEqual(new Set(["none"]));
    const history = await handle.db.selectFrom("state_transitions").select(["object_id", "from_state", "to_state", "reason"]).where("object_type", "=", "mandate").orderBy("object_id").execute();
    expect(history.map((h) => [h.object_id, h.from_state, h.to_state, h.reason])).toEqual([
      ["s_link", "paused", "cancelled", "consent_bound_to_mandate"],
      ["s_widget", "active", "cancelled", "consent_bound_to_mandate"],
    ]);
    // New rows default to rolling to the next business day.
    const d = await sql<{ column_default: string }>`SELECT column_default FROM information_schema.columns WHERE table_name = 'mandates' AND column_name = 'business_days'`.execute(handle.db);
    expect(d.rows[0]!.column_default).toContain("next");
  });
});
