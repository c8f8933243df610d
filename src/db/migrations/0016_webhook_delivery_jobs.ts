import { sql, type Kysely } from "kysely";

// Webhook delivery moves onto the one job runner (docs/decisions/0010, 0012; src/events/queues.ts).
// A delivery's schedule and lease were its own columns (next_attempt_at, locked_until) claimed by a
// loop of its own; now they are its `webhooks.deliver` job's (key `delivery:<id>`). Parking stays
// data: a pending delivery with no open job waits behind an earlier one of its (endpoint, object).
//
// Every pending delivery that was due or waiting for a retry (next_attempt_at set) gets its job,
// due when it was (or when a lease an old worker held lapses), with its attempts already spent;
// parked ones (next_attempt_at NULL) get none, as before. Job ids keep newId's shape (8 hex of
// seconds, 16 random hex).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO jobs (id, name, key, payload, company_id, state, run_at, attempts, max_attempts, created_at, updated_at)
    SELECT lpad(to_hex(extract(epoch FROM now())::int8), 8, '0') || substr(md5(random()::text || d.id), 1, 16),
           'webhooks.deliver', 'delivery:' || d.id, jsonb_build_object('delivery_id', d.id), d.company_id, 'queued',
           GREATEST(d.next_attempt_at, d.locked_until), d.attempts, GREATEST(10, d.attempts + 1), now(), now()
    FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at IS NOT NULL
    ON CONFLICT (name, key) DO NOTHING
  `.execute(db);
  await sql`DROP INDEX webhook_deliveries_due`.execute(db);
  await sql`ALTER TABLE webhook_deliveries DROP COLUMN next_attempt_at, DROP COLUMN locked_until`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE webhook_deliveries ADD COLUMN next_attempt_at timestamptz, ADD COLUMN locked_until timestamptz`.execute(db);
  await sql`
    UPDATE webhook_deliveries d SET next_attempt_at = j.run_at
    FROM jobs j
    WHERE j.name = 'webhooks.deliver' AND j.key = 'delivery:' || d.id AND j.state IN ('queued', 'running') AND d.status = 'pending'
  `.execute(db);
  await sql`DELETE FROM jobs WHERE name = 'webhooks.deliver'`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending' AND next_attempt_at IS NOT NULL`.execute(db);
}
