import { sql, type Kysely } from "kysely";

// The sandbox bank network's own state (src/banks/sandbox). Generated data (built-in customers,
// account histories) is not stored: it is a pure function of the network seed. What is stored is
// what people did: realms (one sandbox world per company) with their clock offset, developer-
// created test customers and their accounts, bank sessions, failure counters and locks, transfers
// (keyed by the caller's reference: the bank's idempotency key), the postings they made on
// accounts, mandates and fault settings. A created customer keeps the data generated for it
// (identity, accounts) so later generator changes never renumber its accounts. Money is int8 kobo.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sandbox_realms (
      realm text PRIMARY KEY,
      epoch timestamptz NOT NULL,
      clock_offset_ms int8 NOT NULL DEFAULT 0 CHECK (clock_offset_ms >= 0),
      created_at timestamptz NOT NULL
    );

    CREATE TABLE sandbox_customers (
      id text PRIMARY KEY,
      realm text NOT NULL REFERENCES sandbox_realms (realm),
      bank_id text NOT NULL,
      seed text NOT NULL,
      username text NOT NULL,
      username_key text NOT NULL,
      phone text NOT NULL,
      password_hash text NOT NULL,
      traits jsonb NOT NULL,
      generated jsonb NOT NULL,
      anchor timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (realm, bank_id, username_key)
    );
    CREATE INDEX sandbox_customers_list ON sandbox_customers (realm, created_at DESC, id DESC);
    CREATE INDEX sandbox_customers_phone ON sandbox_customers (realm, bank_id, phone);

    CREATE TABLE sandbox_accounts (
      realm text NOT NULL,
      bank_id text NOT NULL,
      nuban text NOT NULL,
      customer_id text NOT NULL REFERENCES sandbox_customers (id),
      PRIMARY KEY (realm, bank_id, nuban)
    );

    CREATE TABLE sandbox_sessions (
      token_hash text PRIMARY KEY,
      realm text NOT NULL,
      bank_id text NOT NULL,
      customer_ref text NOT NULL,
      state text NOT NULL CHECK (state IN ('mfa', 'connected', 'dead')),
      challenge jsonb,
      failures int4 NOT NULL DEFAULT 0,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX sandbox_sessions_expiry ON sandbox_sessions (expires_at);

    CREATE TABLE sandbox_guards (
      realm text NOT NULL,
      bank_id text NOT NULL,
      subject text NOT NULL,
      failures int4 NOT NULL DEFAULT 0,
      locked_until timestamptz,
      PRIMARY KEY (realm, bank_id, subject)
    );

    CREATE TABLE sandbox_transfers (
      realm text NOT NULL,
      bank_id text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
      reference text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('debit', 'mandate_debit', 'credit')),
      mandate_id text,
      amount int8 NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      source_bank_id text NOT NULL,
      source_nuban text NOT NULL,
      destination_bank_id text NOT NULL,
      destination_nuban text NOT NULL,
      status text NOT NULL CHECK (status IN ('success', 'pending', 'failed')),
      settles_as text NOT NULL CHECK (settles_as IN ('success', 'failed')),
      session_id text NOT NULL,
      narration text NOT NULL,
      created_at timestamptz NOT NULL,
      settles_at timestamptz,
      PRIMARY KEY (realm, bank_id, direction, reference)
    );
    CREATE INDEX sandbox_transfers_source_day ON sandbox_transfers (realm, source_bank_id, source_nuban, created_at);
    CREATE INDEX sandbox_transfers_due ON sandbox_transfers (realm, settles_at) WHERE status = 'pending';

    CREATE TABLE sandbox_postings (
      id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      realm text NOT NULL,
      bank_id text NOT NULL,
      nuban text NOT NULL,
      amount int8 NOT NULL CHECK (amount <> 0),
      posted_at timestamptz NOT NULL,
      narration text NOT NULL,
      category text NOT NULL,
      reference text,
      session_id text
    );
    CREATE INDEX sandbox_postings_account ON sandbox_postings (realm, bank_id, nuban, posted_at, id);

    CREATE TABLE sandbox_mandates (
      id text PRIMARY KEY,
      realm text NOT NULL,
      bank_id text NOT NULL,
      reference text NOT NULL,
      nuban text NOT NULL,
      max_amount int8 NOT NULL CHECK (max_amount > 0),
      currency text NOT NULL,
      start_date text NOT NULL CHECK (start_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      end_date text CHECK (end_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      destination_bank_id text NOT NULL,
      destination_nuban text NOT NULL,
      narration text NOT NULL,
      created_at timestamptz NOT NULL,
      activates_at timestamptz NOT NULL,
      cancelled_at timestamptz,
      UNIQUE (realm, bank_id, reference)
    );

    CREATE TABLE sandbox_faults (
      realm text NOT NULL,
      bank_id text NOT NULL,
      settings jsonb NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (realm, bank_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE sandbox_faults;
    DROP TABLE sandbox_mandates;
    DROP TABLE sandbox_postings;
    DROP TABLE sandbox_transfers;
    DROP TABLE sandbox_guards;
    DROP TABLE sandbox_sessions;
    DROP TABLE sandbox_accounts;
    DROP TABLE sandbox_customers;
    DROP TABLE sandbox_realms;
  `.execute(db);
}
