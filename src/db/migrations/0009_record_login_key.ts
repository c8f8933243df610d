import { sql, type Kysely } from "kysely";

// A record is one bank login, not one (customer, bank): the same person may hold two logins at
// one bank (a personal and a business profile, or a second username), each with its own
// accounts and credentials. Keyed by customer, bank and a keyed fingerprint of the login
// (its identifier, never in clear); '' for records made before this and for
// links that kept no credentials (one per customer and bank, as before).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE records ADD COLUMN login_key text NOT NULL DEFAULT ''`.execute(db);
  await sql`ALTER TABLE records DROP CONSTRAINT records_company_id_env_customer_id_bank_id_key`.execute(db);
  await sql`ALTER TABLE records ADD CONSTRAINT records_login UNIQUE (company_id, env, customer_id, bank_id, login_key)`.execute(db);
}
