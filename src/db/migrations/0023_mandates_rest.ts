import { sql, type Kysely } from "kysely";

// The rest of mandates (issue 13; docs/decisions/0016).
//
// 1. Standing payment consents become mandates. Each consent (the "pay later" authority a customer
//    gives in the widget, capped per debit) gets its mandate, `source = 'consent'`: variable, no
//    total cap, `max_per_charge` = the consent's `max_amount`, open-ended, no schedule. Its state
//    follows the consent's: pending → awaiting_bank, active → active, revoked → revoked. One per
//    live consent (unique index; a withdrawn one is replaced when the customer consents again);
//    new consents get theirs when granted (src/mandates/standing.ts).
//    The id is derived from the consent's (md5, 24 hex like every id), so a re-run finds it.
// 2. `notice_days`: a pre-debit notice (`mandate.charge_upcoming`) this many days before each
//    scheduled charge; 0 = none.
// 3. `retry_balance_check`: before retrying a charge refused for insufficient funds, read the
//    account's balance and skip the try while it is below the amount.
// 4. Recurring payment links: `schedule` (interval, start_date, end_date, count, day_of_month) of a
//    `type = 'recurring'` link; paying the link creates a mandate (`source = 'link'`, `link_id`).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE mandates ADD COLUMN notice_days integer NOT NULL DEFAULT 3 CHECK (notice_days BETWEEN 0 AND 30);
    ALTER TABLE mandates ADD COLUMN retry_balance_check boolean NOT NULL DEFAULT true;
    ALTER TABLE mandates ADD COLUMN link_id text;
    CREATE UNIQUE INDEX mandates_standing_consent ON mandates (consent_id) WHERE source = 'consent' AND state IN ('awaiting_bank', 'active', 'paused');
    ALTER TABLE payment_links ADD COLUMN schedule jsonb;

    INSERT INTO mandates (
      id, company_id, env, customer_id, account_id, bank_id, consent_id, state, state_reason, source,
      debit_type, currency, max_per_charge, start_date, purpose, retry_attempts, retry_spacing_hours,
      authorised_at, activated_at, ended_at, created_at, updated_at
    )
    SELECT
      substr(md5('mandate-of-consent:' || c.id), 1, 24), c.company_id, c.env, c.customer_id, c.account_id, c.bank_id, c.id,
      CASE c.status WHEN 'active' THEN 'active' WHEN 'pending' THEN 'awaiting_bank' ELSE 'revoked' END,
      'standing_consent', 'consent', 'variable', c.currency, c.max_amount,
      to_char((c.created_at AT TIME ZONE 'UTC') + interval '1 hour', 'YYYY-MM-DD'),
      'Payment consent', 3, 24,
      c.created_at,
      CASE WHEN c.status = 'active' THEN c.updated_at END,
      CASE WHEN c.status = 'revoked' THEN c.updated_at END,
      c.created_at, c.updated_at
    FROM payment_consents c
    JOIN companies co ON co.id = c.company_id
    WHERE NOT EXISTS (SELECT 1 FROM mandates m WHERE m.consent_id = c.id AND m.source = 'consent');

    INSERT INTO state_transitions (object_type, object_id, from_state, to_state, actor, reason, detail, at)
    SELECT 'mandate', m.id, NULL, m.state, 'worker', 'migrated_from_consent', jsonb_build_object('consent', m.consent_id), m.updated_at
    FROM mandates m
    WHERE m.source = 'consent'
      AND NOT EXISTS (SELECT 1 FROM state_transitions t WHERE t.object_type = 'mandate' AND t.object_id = m.id);
  `.execute(db);
}
