import { sql, type Kysely } from "kysely";

// The merchant dashboard's payments pages (issue 16).
//
// payment_review_settings: a company's review threshold per environment. A payment above it
// (pay/initiate) waits in `review` until someone approves or declines it; no row, or a null
// threshold, is no review. `updated_by` is who set it (a dashboard user id).
//
// Indexes for the payments list's filters, each ending in the list's order (created_at, id) so a
// filtered page is an index range read, newest first, however many payments the company has:
// by status (state), by bank, by consent (mandate). Customer, link and reference already have one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payment_review_settings (
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      threshold bigint CHECK (threshold IS NULL OR threshold > 0),
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (company_id, env)
    );
    CREATE INDEX payments_list_state ON payments (company_id, env, state, created_at, id);
    CREATE INDEX payments_list_bank ON payments (company_id, env, bank_id, created_at, id);
    CREATE INDEX payments_consent ON payments (consent_id, created_at) WHERE consent_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX payments_consent;
    DROP INDEX payments_list_bank;
    DROP INDEX payments_list_state;
    DROP TABLE payment_review_settings;
  `.execute(db);
}
