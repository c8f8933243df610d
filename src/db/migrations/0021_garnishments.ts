import { sql, type Kysely } from "kysely";

// Garnishments (issue 14): a recovery of a debt from every account the debtor granted a sweep
// mandate on, at any bank, until it is repaid. Moved only by the garnishment machine
// (src/garnish/domain.ts); history in state_transitions (object_type 'garnishment').
// What was collected is NEVER stored here: it is derived from the recovery's payments (each debit
// an ordinary payment carrying garnishment_id) and their refunds. principal and interest are the
// debt's terms (the company may lower them), kept apart: penalties are not recoverable (CBN GSI).
// A sweep mandate (mandates.debit_type 'sweep') backs one recovery, ever (unique mandate_id): its
// debits use the mandate's (cycle, attempt) columns as (sweep number, 1), so the payments' unique
// (mandate_id, mandate_cycle, charge_attempt) index makes each account debited at most once per sweep.
export async function up(db: Kysely<any>): Promise<void> {
  // The mandates' debit_type CHECKs were created unnamed (0013): find them by their text.
  const checks = await sql<{ conname: string }>`
    SELECT conname FROM pg_constraint
    WHERE conrelid = 'mandates'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%debit_type%'
  `.execute(db);
  for (const c of checks.rows) await sql`ALTER TABLE mandates DROP CONSTRAINT ${sql.id(c.conname)}`.execute(db);
  await sql`
    ALTER TABLE mandates ADD CONSTRAINT mandates_debit_type CHECK (debit_type IN ('fixed', 'variable', 'sweep'));
    ALTER TABLE mandates ADD CONSTRAINT mandates_fixed_amount CHECK (debit_type <> 'fixed' OR amount IS NOT NULL);
    ALTER TABLE mandates ADD CONSTRAINT mandates_sweep_unscheduled CHECK (debit_type <> 'sweep' OR (interval IS NULL AND max_total IS NOT NULL));

    CREATE TABLE garnishments (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies(id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      customer_id text NOT NULL,
      state text NOT NULL CHECK (state IN ('awaiting_consent', 'active', 'paused', 'repaid', 'cancelled', 'expired')),
      state_reason text,
      source text NOT NULL CHECK (source IN ('api', 'pay_initiate')),
      currency text NOT NULL,
      principal bigint NOT NULL CHECK (principal > 0),
      interest bigint NOT NULL CHECK (interest >= 0),
      floor bigint NOT NULL DEFAULT 0 CHECK (floor >= 0),
      interval text CHECK (interval IN ('daily', 'weekly', 'monthly', 'quarterly', 'yearly')),
      day_of_month integer CHECK (day_of_month = -1 OR day_of_month BETWEEN 1 AND 31),
      start_date text NOT NULL CHECK (start_date ~ '^\\d{4}-\\d{2}-\\d{2}$'),
      end_date text CHECK (end_date ~ '^\\d{4}-\\d{2}-\\d{2}$' AND end_date >= start_date),
      account_to_credit text,
      reference text,
      purpose text,
      sweeps integer NOT NULL DEFAULT 0 CHECK (sweeps >= 0),
      activated_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX garnishments_tenant ON garnishments (company_id, env, created_at DESC, id DESC);
    CREATE INDEX garnishments_customer ON garnishments (company_id, env, customer_id);
    CREATE UNIQUE INDEX garnishments_reference ON garnishments (company_id, env, reference) WHERE reference IS NOT NULL;

    CREATE TABLE garnishment_mandates (
      garnishment_id text NOT NULL REFERENCES garnishments(id),
      mandate_id text NOT NULL UNIQUE REFERENCES mandates(id),
      account_id text NOT NULL,
      PRIMARY KEY (garnishment_id, mandate_id)
    );

    CREATE TABLE garnishment_sweeps (
      id text PRIMARY KEY,
      garnishment_id text NOT NULL REFERENCES garnishments(id),
      company_id text NOT NULL,
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      seq integer NOT NULL CHECK (seq >= 1),
      trigger text NOT NULL CHECK (trigger IN ('schedule', 'request')),
      job_key text NOT NULL,
      owed_before bigint NOT NULL,
      taken bigint NOT NULL CHECK (taken >= 0),
      outcome text NOT NULL CHECK (outcome IN ('collected', 'partial', 'nothing', 'skipped')),
      reason text,
      accounts jsonb NOT NULL,
      at timestamptz NOT NULL,
      UNIQUE (garnishment_id, seq),
      UNIQUE (garnishment_id, job_key)
    );
    CREATE INDEX garnishment_sweeps_list ON garnishment_sweeps (garnishment_id, seq DESC);

    ALTER TABLE payments ADD COLUMN garnishment_id text;
    CREATE INDEX payments_garnishment ON payments (garnishment_id) WHERE garnishment_id IS NOT NULL;
  `.execute(db);
}
