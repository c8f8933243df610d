import { sql, type Kysely } from "kysely";

// Account data (src/data) and the widget's backend sessions (src/widget).
//
// A *customer* is one real person (or company) as one Okro company knows them, recognised again
// by BVN (unique per company and environment when known) or by the merchant's own id. A *record*
// is one connection: a customer's login at one bank through the widget (Okra's word). Linking the
// same bank again for the same customer refreshes the same record; an account (bank + NUBAN) is
// never stored twice per company and environment. Balances keep one current row per account
// plus readings (Okra's `periodic`); transactions are unique per account and bank line id.
// Auth is per account (seed 004's Auth object: balances, connected, record, customer).
// Credentials a record keeps for later refreshes, and the bank session, are sealed with the
// secret box (AES-256-GCM), never stored in clear.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE apps ADD COLUMN short_url text;
    UPDATE apps SET short_url = substr(md5(id || 'okro-short-url'), 1, 10) WHERE short_url IS NULL;
    ALTER TABLE apps ALTER COLUMN short_url SET NOT NULL;
    CREATE UNIQUE INDEX apps_short_url ON apps (short_url);

    CREATE TABLE customers (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('individual', 'corporate')),
      bvn text CHECK (bvn ~ '^[0-9]{11}$'),
      external_id text,
      emails jsonb NOT NULL DEFAULT '[]',
      phones jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX customers_bvn ON customers (company_id, env, bvn) WHERE bvn IS NOT NULL;
    CREATE INDEX customers_external ON customers (company_id, env, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX customers_list ON customers (company_id, env, created_at, id);

    CREATE TABLE records (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL REFERENCES customers (id),
      bank_id text NOT NULL,
      app_id text,
      status text NOT NULL CHECK (status IN ('connected', 'token_required', 'invalid')),
      login_method text NOT NULL,
      products jsonb NOT NULL,
      options jsonb NOT NULL DEFAULT '{}',
      credentials_sealed text,
      session_sealed text,
      session_expires_at timestamptz,
      last_refreshed_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (company_id, env, customer_id, bank_id)
    );
    CREATE INDEX records_list ON records (company_id, env, created_at, id);

    CREATE TABLE accounts (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL REFERENCES customers (id),
      record_id text NOT NULL REFERENCES records (id),
      bank_id text NOT NULL,
      bank_account_id text NOT NULL,
      nuban text NOT NULL CHECK (nuban ~ '^[0-9]{10}$'),
      name text NOT NULL,
      type text NOT NULL,
      currency text NOT NULL,
      connected boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (company_id, env, bank_id, nuban)
    );
    CREATE INDEX accounts_customer ON accounts (customer_id);
    CREATE INDEX accounts_record ON accounts (record_id);
    CREATE INDEX accounts_list ON accounts (company_id, env, created_at, id);

    CREATE TABLE auths (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      account_id text NOT NULL UNIQUE REFERENCES accounts (id),
      customer_id text NOT NULL REFERENCES customers (id),
      record_id text NOT NULL REFERENCES records (id),
      bank_id text NOT NULL,
      available_balance int8 NOT NULL,
      ledger_balance int8 NOT NULL,
      connected boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX auths_customer ON auths (customer_id);
    CREATE INDEX auths_list ON auths (company_id, env, created_at, id);

    CREATE TABLE balances (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      account_id text NOT NULL UNIQUE REFERENCES accounts (id),
      customer_id text NOT NULL REFERENCES customers (id),
      record_id text NOT NULL REFERENCES records (id),
      bank_id text NOT NULL,
      available_balance int8 NOT NULL,
      ledger_balance int8 NOT NULL,
      currency text NOT NULL,
      as_of timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX balances_customer ON balances (customer_id);
    CREATE INDEX balances_list ON balances (company_id, env, created_at, id);

    CREATE TABLE balance_readings (
      id bigserial PRIMARY KEY,
      balance_id text NOT NULL REFERENCES balances (id),
      available_balance int8 NOT NULL,
      ledger_balance int8 NOT NULL,
      as_of timestamptz NOT NULL
    );
    CREATE INDEX balance_readings_balance ON balance_readings (balance_id, as_of);

    CREATE TABLE transactions (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      account_id text NOT NULL REFERENCES accounts (id),
      customer_id text NOT NULL REFERENCES customers (id),
      record_id text NOT NULL REFERENCES records (id),
      bank_id text NOT NULL,
      bank_transaction_id text NOT NULL,
      debit int8 CHECK (debit > 0),
      credit int8 CHECK (credit > 0),
      balance int8 NOT NULL,
      currency text NOT NULL,
      trans_date timestamptz NOT NULL,
      narration text NOT NULL,
      category text NOT NULL,
      reference text,
      session_id text,
      created_at timestamptz NOT NULL,
      CHECK ((debit IS NULL) <> (credit IS NULL)),
      UNIQUE (account_id, bank_transaction_id)
    );
    CREATE INDEX transactions_account_date ON transactions (account_id, trans_date DESC, id);
    CREATE INDEX transactions_customer_date ON transactions (customer_id, trans_date DESC, id);
    CREATE INDEX transactions_list ON transactions (company_id, env, trans_date DESC, id);

    CREATE TABLE identities (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL REFERENCES customers (id),
      record_id text NOT NULL UNIQUE REFERENCES records (id),
      bank_id text NOT NULL,
      kind text NOT NULL,
      fullname text NOT NULL,
      firstname text,
      middlename text,
      lastname text,
      bvn text,
      dob text,
      gender text,
      phones jsonb NOT NULL DEFAULT '[]',
      emails jsonb NOT NULL DEFAULT '[]',
      address jsonb,
      marital_status text,
      nationality text,
      rc_number text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX identities_customer ON identities (customer_id);
    CREATE INDEX identities_list ON identities (company_id, env, created_at, id);

    CREATE TABLE incomes (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL UNIQUE REFERENCES customers (id),
      record_id text NOT NULL REFERENCES records (id),
      summary jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX incomes_list ON incomes (company_id, env, created_at, id);

    CREATE TABLE widget_sessions (
      id text PRIMARY KEY,
      token_hash text NOT NULL UNIQUE,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      app_id text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
      options jsonb NOT NULL,
      step text NOT NULL,
      bank_id text,
      login_method text,
      customer_id text,
      record_id text,
      credentials_sealed text,
      bank_session_sealed text,
      challenge jsonb,
      bank_accounts jsonb,
      result jsonb,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX widget_sessions_expiry ON widget_sessions (expires_at);
  `.execute(db);
}
