import { sql, type Kysely } from "kysely";

// Payments (src/payments) and the ledger (src/ledger).
//
// - company_accounts: a company's own bank accounts (where `account_to_credit` points and where
//   payouts land). One default per company, environment and currency.
// - payment_consents: a customer's standing authority for the company to debit one linked
//   account without the customer present (`pay/initiate`). Backed by a bank mandate created with
//   the customer's OTP/PIN in the widget; `pending` until the bank activates it.
// - payment_links: `pay/link/create`, paid on the widget origin's hosted pay page.
// - payments: one row per payment (customer, account and consent ids are kept, not foreign keys:
//   a payment outlives `customers/remove` and `identity/merge` as the record of what was moved), its internal state (src/payments/domain.ts) changed only by
//   compare-and-set; `reference` is the bank's idempotency key for the current attempt, fixed and
//   committed before the bank is called; `next_check_at` is when the worker must look at it
//   (execute, re-query, settle); `lease_until` keeps two workers off one row.
// - payment_transitions: the history, one row per transition (actor, reason).
// - refunds, payouts: money sent out through the connector's `credit`, same reference rules.
// - ledger_entries / ledger_postings: double-entry, append-only (triggers refuse UPDATE and
//   DELETE); `(company, env, key)` unique so an entry is posted once. ledger_balances is the sum
//   of postings per account, kept in the same transaction as each posting (and checked against
//   the postings by tests); its wallet row is the lock that serialises spending.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE company_accounts (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      bank_id text NOT NULL,
      nuban text NOT NULL CHECK (nuban ~ '^[0-9]{10}$'),
      name text NOT NULL,
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      UNIQUE (company_id, env, bank_id, nuban)
    );
    CREATE UNIQUE INDEX company_accounts_default ON company_accounts (company_id, env, currency) WHERE is_default;

    CREATE TABLE payment_consents (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
      account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      bank_id text NOT NULL,
      reference text NOT NULL UNIQUE,
      mandate_id text,
      status text NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
      max_amount bigint NOT NULL CHECK (max_amount > 0),
      currency text NOT NULL,
      activates_at timestamptz,
      next_check_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX payment_consents_account ON payment_consents (account_id) WHERE status <> 'revoked';
    CREATE INDEX payment_consents_due ON payment_consents (next_check_at) WHERE next_check_at IS NOT NULL;

    CREATE TABLE payment_links (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      short_url text NOT NULL UNIQUE,
      name text NOT NULL,
      note text,
      amount bigint CHECK (amount IS NULL OR amount >= 100),
      currency text NOT NULL,
      type text NOT NULL CHECK (type IN ('one-time', 'recurring')),
      reusable boolean NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'used', 'disabled')),
      expires_at timestamptz,
      account_to_credit text REFERENCES company_accounts (id),
      support_email text NOT NULL,
      success_url text,
      callback_url text,
      logo text,
      color text,
      filter_banks jsonb NOT NULL DEFAULT '[]',
      details_hash text NOT NULL,
      payments_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX payment_links_list ON payment_links (company_id, env, created_at, id);
    CREATE INDEX payment_links_details ON payment_links (company_id, env, details_hash);

    CREATE TABLE payments (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text,
      account_id text,
      bank_id text,
      nuban text,
      account_to_credit text NOT NULL REFERENCES company_accounts (id),
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      type text NOT NULL DEFAULT 'one-time',
      channel text NOT NULL CHECK (channel IN ('api', 'widget', 'link')),
      method text NOT NULL CHECK (method IN ('consent', 'authorised')),
      consent_id text,
      link_id text REFERENCES payment_links (id),
      widget_session_id text,
      note text,
      state text NOT NULL CHECK (state IN ('queued', 'awaiting_authorisation', 'review', 'processing', 'unknown',
        'succeeded', 'settled', 'errored', 'failed', 'cancelled', 'reversed')),
      attempt integer NOT NULL DEFAULT 0,
      reference text UNIQUE,
      sent_at timestamptz,
      bank_session_id text,
      failure_code text,
      failure_reason text,
      fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
      next_check_at timestamptz,
      checks integer NOT NULL DEFAULT 0,
      lease_until timestamptz,
      succeeded_at timestamptz,
      settled_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX payments_due ON payments (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE INDEX payments_list ON payments (company_id, env, created_at, id);
    CREATE INDEX payments_customer ON payments (customer_id, created_at);
    CREATE INDEX payments_link ON payments (link_id) WHERE link_id IS NOT NULL;
    CREATE INDEX payments_session ON payments (widget_session_id) WHERE widget_session_id IS NOT NULL;

    CREATE TABLE payment_transitions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments (id),
      from_state text,
      to_state text NOT NULL,
      actor text NOT NULL CHECK (actor IN ('api', 'customer', 'bank', 'scheduler', 'worker')),
      reason text NOT NULL,
      detail jsonb,
      at timestamptz NOT NULL
    );
    CREATE INDEX payment_transitions_payment ON payment_transitions (payment_id, id);

    CREATE TABLE refunds (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      payment_id text NOT NULL REFERENCES payments (id),
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      bank_id text NOT NULL,
      nuban text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'processing', 'unknown', 'succeeded', 'failed')),
      attempt integer NOT NULL DEFAULT 0,
      reference text UNIQUE,
      sent_at timestamptz,
      failure_reason text,
      next_check_at timestamptz,
      checks integer NOT NULL DEFAULT 0,
      lease_until timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX refunds_payment ON refunds (payment_id);
    CREATE INDEX refunds_due ON refunds (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE INDEX refunds_list ON refunds (company_id, env, created_at, id);

    CREATE TABLE payouts (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      amount bigint NOT NULL CHECK (amount > 0),
      fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
      currency text NOT NULL,
      company_account_id text REFERENCES company_accounts (id),
      bank_id text NOT NULL,
      nuban text NOT NULL,
      initiated_by text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'processing', 'unknown', 'succeeded', 'failed')),
      attempt integer NOT NULL DEFAULT 0,
      reference text UNIQUE,
      sent_at timestamptz,
      failure_reason text,
      next_check_at timestamptz,
      checks integer NOT NULL DEFAULT 0,
      lease_until timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX payouts_due ON payouts (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE INDEX payouts_list ON payouts (company_id, env, created_at, id);

    CREATE TABLE ledger_entries (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      key text NOT NULL,
      kind text NOT NULL,
      payment_id text,
      refund_id text,
      payout_id text,
      created_at timestamptz NOT NULL,
      UNIQUE (company_id, env, key)
    );
    CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id) WHERE payment_id IS NOT NULL;

    CREATE TABLE ledger_postings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      entry_id text NOT NULL REFERENCES ledger_entries (id),
      company_id text NOT NULL,
      env text NOT NULL,
      account text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$')
    );
    CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
    CREATE INDEX ledger_postings_account ON ledger_postings (company_id, env, currency, account);

    CREATE TABLE ledger_balances (
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      currency text NOT NULL,
      account text NOT NULL,
      balance bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (company_id, env, currency, account)
    );

    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
    END;
    $$;
    CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

    ALTER TABLE widget_sessions ADD COLUMN payment_id text;
  `.execute(db);
}
