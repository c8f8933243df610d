import { sql, type Kysely } from "kysely";

// Bulk payments (issue 15, decision 0017):
// - a row whose payment the bank reverses after it succeeded moves succeeded → reversed, and the
//   batch counts it (reversed_count, reversed_amount; succeeded_* go down by as much);
// - a row of `type: mandate` charges an existing mandate: mandate_id is the mandate validation found.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE batches
      ADD COLUMN reversed_count integer NOT NULL DEFAULT 0 CHECK (reversed_count >= 0),
      ADD COLUMN reversed_amount bigint NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0);
    ALTER TABLE batch_rows DROP CONSTRAINT batch_rows_state_check;
    ALTER TABLE batch_rows ADD CONSTRAINT batch_rows_state_check
      CHECK (state IN ('invalid', 'valid', 'skipped', 'pending', 'queued', 'processing', 'succeeded', 'failed', 'cancelled', 'reversed'));
    ALTER TABLE batch_rows ADD COLUMN mandate_id text;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE batch_rows DROP COLUMN mandate_id;
    ALTER TABLE batch_rows DROP CONSTRAINT batch_rows_state_check;
    ALTER TABLE batch_rows ADD CONSTRAINT batch_rows_state_check
      CHECK (state IN ('invalid', 'valid', 'skipped', 'pending', 'queued', 'processing', 'succeeded', 'failed', 'cancelled'));
    ALTER TABLE batches DROP COLUMN reversed_count, DROP COLUMN reversed_amount;
  `.execute(db);
}
