import { sql, type Kysely } from "kysely";

// Mandates (issue 13): what a customer granted a company on one account — fixed or variable, with
// caps, a validity window and optionally a schedule of charges. Moved only by the mandate machine
// (src/mandates/domain.ts); history in state_transitions (object_type 'mandate').
// Dates are Lagos calendar days as text `YYYY-MM-DD` (the CHECKs keep the shape): a `date` column
// would come back as a JavaScript Date at UTC midnight on one driver and a string on the other.
// Charges are ordinary payments carrying (mandate_id, mandate_cycle, charge_attempt); the unique
// index is the backstop of invariant 9: one payment per cycle and attempt, whatever races.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE mandates (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies(id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL,
      account_id text NOT NULL,
      bank_id text NOT NULL,
      consent_id text,
      state text NOT NULL CHECK (state IN ('awaiting_customer', 'awaiting_bank', 'active', 'paused', 'cancelled', 'expired', 'revoked', 'rejected')),
      state_reason text,
      source text NOT NULL CHECK (source IN ('api', 'pay_initiate', 'link', 'reauth', 'consent')),
      debit_type text NOT NULL CHECK (debit_type IN ('fixed', 'variable')),
      currency text NOT NULL,
      amount bigint CHECK (amount > 0),
      initial_amount bigint CHECK (initial_amount > 0),
      max_per_charge bigint CHECK (max_per_charge > 0),
      max_total bigint CHECK (max_total > 0),
      max_per_period bigint CHECK (max_per_period > 0),
      period text CHECK (period IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
      start_date text NOT NULL CHECK (start_date ~ '^\\d{4}-\\d{2}-\\d{2}$'),
      end_date text CHECK (end_date ~ '^\\d{4}-\\d{2}-\\d{2}$' AND end_date >= start_date),
      interval text CHECK (interval IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
      day_of_month integer CHECK (day_of_month = -1 OR day_of_month BETWEEN 1 AND 31),
      count integer CHECK (count > 0),
      purpose text,
      reference text,
      options jsonb,
      account_to_credit text,
      retry_attempts integer NOT NULL CHECK (retry_attempts BETWEEN 1 AND 10),
      retry_spacing_hours integer NOT NULL CHECK (retry_spacing_hours BETWEEN 1 AND 720),
      replaces_id text,
      authorised_at timestamptz,
      activated_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (debit_type = 'variable' OR amount IS NOT NULL),
      CHECK ((max_per_period IS NULL) = (period IS NULL))
    );
    CREATE INDEX mandates_tenant ON mandates (company_id, env, created_at DESC, id DESC);
    CREATE INDEX mandates_customer ON mandates (company_id, env, customer_id);
    CREATE UNIQUE INDEX mandates_reference ON mandates (company_id, env, reference) WHERE reference IS NOT NULL;

    ALTER TABLE payments ADD COLUMN mandate_id text;
    ALTER TABLE payments ADD COLUMN mandate_cycle integer;
    ALTER TABLE payments ADD COLUMN charge_attempt integer;
    ALTER TABLE payments ADD CONSTRAINT payments_mandate_charge CHECK ((mandate_id IS NULL) = (mandate_cycle IS NULL) AND (mandate_id IS NULL) = (charge_attempt IS NULL));
    CREATE UNIQUE INDEX payments_mandate_cycle ON payments (mandate_id, mandate_cycle, charge_attempt) WHERE mandate_id IS NOT NULL;
  `.execute(db);
}
