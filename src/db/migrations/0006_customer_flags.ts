import { sql, type Kysely } from "kysely";

// Customer flags (src/data, `customers/flag` and `customers/unflag`): a company marks one of its
// customers at a bank (Okra's FLAGGED_USER). One row per customer and bank while the flag stands;
// unflagging deletes the row. Removing or merging away a customer takes its flags with it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE customer_flags (
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL REFERENCES customers (id),
      bank_id text NOT NULL,
      flagged_at timestamptz NOT NULL,
      PRIMARY KEY (customer_id, bank_id)
    );
    CREATE INDEX customer_flags_tenant ON customer_flags (company_id, env, bank_id);
  `.execute(db);
}
