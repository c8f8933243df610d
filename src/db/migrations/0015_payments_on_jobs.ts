import { sql, type Kysely } from "kysely";

// Payments, refunds, payouts and consents move onto the one job runner (docs/decisions/0012): the
// per-table claim columns go (`next_check_at`, `lease_until`: the job's `run_at` and lease replace
// them). `checks` stays on payments, refunds and payouts and is added to consents with a new
// meaning: the sequence number of the row's latest scheduled check job, bumped in the transaction
// that enqueues it (job key `<object>:<id>:check:<n>`); a job whose number is no longer the row's
// is superseded and does nothing. Work that was due in the old columns becomes jobs here, so an
// upgrade loses nothing in flight: the job names, keys and payloads are those of
// src/payments/schedule.ts (max_attempts = its PAYMENT_JOB_RETRY).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_consents ADD COLUMN checks integer NOT NULL DEFAULT 0`.execute(db);

  const id = sql`substr(md5(random()::text || clock_timestamp()::text || t.id), 1, 24)`;
  // Consent payments waiting to be sent, whose consent is active (a pending consent's activation enqueues them).
  await sql`
    INSERT INTO jobs (id, name, key, payload, company_id, state, run_at, max_attempts, created_at, updated_at)
    SELECT ${id}, 'payments.execute', 'payment:' || t.id || ':attempt:' || (t.attempt + 1),
      jsonb_build_object('paymentId', t.id, 'attempt', t.attempt + 1, 'env', t.env), t.company_id, 'queued', t.next_check_at, 20, now(), now()
    FROM payments t JOIN payment_consents c ON c.id = t.consent_id
    WHERE t.state = 'queued' AND t.method = 'consent' AND t.next_check_at IS NOT NULL AND c.status <> 'pending'`.execute(db);
  // Re-queries, settlements, authorisation expiries: check n = checks + 1.
  await sql`
    INSERT INTO jobs (id, name, key, payload, company_id, state, run_at, max_attempts, created_at, updated_at)
    SELECT ${id},
      CASE t.state WHEN 'succeeded' THEN 'payments.settle' WHEN 'awaiting_authorisation' THEN 'payments.expire_authorisation' ELSE 'payments.requery' END,
      'payment:' || t.id || ':check:' || (t.checks + 1),
      jsonb_build_object('paymentId', t.id, 'seq', t.checks + 1, 'streak', t.checks, 'env', t.env), t.company_id, 'queued', t.next_check_at, 20, now(), now()
    FROM payments t
    WHERE t.state IN ('processing', 'unknown', 'succeeded', 'awaiting_authorisation') AND t.next_check_at IS NOT NULL`.execute(db);
  await sql`UPDATE payments SET checks = checks + 1 WHERE state IN ('processing', 'unknown', 'succeeded', 'awaiting_authorisation') AND next_check_at IS NOT NULL`.execute(db);
  for (const [table, name, object] of [
    ["refunds", "refunds.credit", "refund"],
    ["payouts", "payouts.credit", "payout"],
  ] as const) {
    await sql`
      INSERT INTO jobs (id, name, key, payload, company_id, state, run_at, max_attempts, created_at, updated_at)
      SELECT ${id}, ${name}, ${object + ":"} || t.id || ':check:' || (t.checks + 1),
        jsonb_build_object('id', t.id, 'seq', t.checks + 1, 'streak', t.checks, 'env', t.env), t.company_id, 'queued', t.next_check_at, 20, now(), now()
      FROM ${sql.table(table)} t
      WHERE t.state IN ('pending', 'processing', 'unknown') AND t.next_check_at IS NOT NULL`.execute(db);
    await sql`UPDATE ${sql.table(table)} SET checks = checks + 1 WHERE state IN ('pending', 'processing', 'unknown') AND next_check_at IS NOT NULL`.execute(db);
  }
  await sql`
    INSERT INTO jobs (id, name, key, payload, company_id, state, run_at, max_attempts, created_at, updated_at)
    SELECT ${id}, 'consents.activate', 'consent:' || t.id || ':check:1',
      jsonb_build_object('consentId', t.id, 'seq', 1, 'env', t.env), t.company_id, 'queued', t.next_check_at, 20, now(), now()
    FROM payment_consents t
    WHERE t.status = 'pending' AND t.next_check_at IS NOT NULL`.execute(db);
  await sql`UPDATE payment_consents SET checks = 1 WHERE status = 'pending' AND next_check_at IS NOT NULL`.execute(db);

  await sql`
    DROP INDEX payments_due;
    DROP INDEX refunds_due;
    DROP INDEX payouts_due;
    DROP INDEX payment_consents_due;
    ALTER TABLE payments DROP COLUMN next_check_at, DROP COLUMN lease_until;
    ALTER TABLE refunds DROP COLUMN next_check_at, DROP COLUMN lease_until;
    ALTER TABLE payouts DROP COLUMN next_check_at, DROP COLUMN lease_until;
    ALTER TABLE payment_consents DROP COLUMN next_check_at;
  `.execute(db);
}
