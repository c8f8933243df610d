import { sql, type Kysely } from "kysely";

// Bulk payments (issue 15, docs/decisions/0017-bulk-payments.md). A batch is one uploaded file
// (or JSON array), validated before anything moves; its rows are the file's lines with their
// outcome. Rows become ordinary payments through the `batches.row` job (key batch:<id>:row:<n>).
// The batch's counters are kept in the transaction of every row move (so they always equal the
// rows' states); history rows go to state_transitions (object_type 'batch' and 'batch_row').
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE batches (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      state text NOT NULL CHECK (state IN ('validating', 'ready', 'running', 'completed', 'partially_completed', 'failed', 'cancelled')),
      source text NOT NULL CHECK (source IN ('csv', 'json')),
      file_name text,
      file_sha256 text NOT NULL,
      product text NOT NULL DEFAULT 'initiate_payment',
      callback_url text,
      all_or_nothing boolean NOT NULL DEFAULT false,
      retry_of text REFERENCES batches (id),
      duplicate_of text REFERENCES batches (id),
      total_rows integer NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
      valid_rows integer NOT NULL DEFAULT 0 CHECK (valid_rows >= 0),
      invalid_rows integer NOT NULL DEFAULT 0 CHECK (invalid_rows >= 0),
      valid_amount bigint NOT NULL DEFAULT 0 CHECK (valid_amount >= 0),
      totals jsonb NOT NULL DEFAULT '{}',
      pending_count integer NOT NULL DEFAULT 0 CHECK (pending_count >= 0),
      queued_count integer NOT NULL DEFAULT 0 CHECK (queued_count >= 0),
      processing_count integer NOT NULL DEFAULT 0 CHECK (processing_count >= 0),
      succeeded_count integer NOT NULL DEFAULT 0 CHECK (succeeded_count >= 0),
      failed_count integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
      cancelled_count integer NOT NULL DEFAULT 0 CHECK (cancelled_count >= 0),
      succeeded_amount bigint NOT NULL DEFAULT 0 CHECK (succeeded_amount >= 0),
      failed_amount bigint NOT NULL DEFAULT 0 CHECK (failed_amount >= 0),
      cancelled_amount bigint NOT NULL DEFAULT 0 CHECK (cancelled_amount >= 0),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      committed_at timestamptz,
      finished_at timestamptz
    );
    CREATE INDEX batches_tenant ON batches (company_id, env, created_at DESC, id DESC);
    CREATE INDEX batches_file ON batches (company_id, env, file_sha256);

    CREATE TABLE batch_rows (
      id text NOT NULL UNIQUE,
      batch_id text NOT NULL REFERENCES batches (id),
      row_no integer NOT NULL CHECK (row_no >= 1),
      company_id text NOT NULL,
      env text NOT NULL,
      state text NOT NULL CHECK (state IN ('invalid', 'valid', 'skipped', 'pending', 'queued', 'processing', 'succeeded', 'failed', 'cancelled')),
      raw jsonb NOT NULL,
      errors jsonb,
      account_to_debit text,
      account_to_credit text,
      bank_id text,
      amount bigint CHECK (amount > 0),
      currency text,
      reference text,
      narration text,
      callback_url text,
      payment_id text,
      reason text,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (batch_id, row_no)
    );
    CREATE INDEX batch_rows_window ON batch_rows (batch_id, bank_id, state, row_no);
    CREATE UNIQUE INDEX batch_rows_payment ON batch_rows (payment_id) WHERE payment_id IS NOT NULL;
  `.execute(db);
}
