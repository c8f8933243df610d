import { sql, type Kysely } from "kysely";

// Events and webhooks (src/events). Every state change a developer cares about appends an event
// (in the transaction of the change) with a per-object sequence; the same transaction fans it out
// to one delivery per matching enabled endpoint. Deliveries are the worker's queue: claimed with
// FOR UPDATE SKIP LOCKED and a lease (locked_until), retried on the Standard Webhooks schedule,
// each attempt recorded. Per (endpoint, object) only the head of the queue has a next_attempt_at:
// later deliveries are parked (NULL) until it finishes. Endpoint secrets are encrypted
// (AES-256-GCM), never stored in clear.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE event_sequences (
      company_id text NOT NULL,
      env text NOT NULL,
      object_type text NOT NULL,
      object_id text NOT NULL,
      last int8 NOT NULL,
      PRIMARY KEY (company_id, env, object_type, object_id)
    );

    CREATE TABLE events (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      type text NOT NULL,
      object_type text NOT NULL,
      object_id text NOT NULL,
      sequence int8 NOT NULL CHECK (sequence > 0),
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (company_id, env, object_type, object_id, sequence)
    );
    CREATE INDEX events_feed ON events (company_id, env, created_at, id);
    CREATE INDEX events_object ON events (company_id, env, object_id, sequence);

    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY,
      company_id text NOT NULL REFERENCES companies (id),
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      url text NOT NULL,
      description text,
      event_types text[] NOT NULL DEFAULT '{}',
      enabled boolean NOT NULL DEFAULT true,
      disabled_reason text,
      secret_enc text NOT NULL,
      secret_hint text NOT NULL,
      previous_secret_enc text,
      previous_secret_expires_at timestamptz,
      bearer_token_enc text,
      app_id text UNIQUE REFERENCES apps (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id, env, created_at);

    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      event_id text NOT NULL REFERENCES events (id),
      endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
      company_id text NOT NULL,
      env text NOT NULL,
      object_key text NOT NULL,
      sequence int8 NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      attempts int4 NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      locked_until timestamptz,
      last_status_code int4,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (event_id, endpoint_id)
    );
    -- What the worker claims from: pending deliveries with a time. Deliveries parked behind an
    -- earlier pending one of their (endpoint, object) queue have next_attempt_at NULL and are
    -- not in it, so however many wait behind a failing head, the claim never reads them.
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
    -- The (endpoint, object) queues: the head, whether one is pending before another.
    CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, object_key, sequence) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_company ON webhook_deliveries (company_id, env, created_at);
    -- Deleting an endpoint cascades to its deliveries of every status.
    CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

    CREATE TABLE webhook_attempts (
      id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt int4 NOT NULL,
      started_at timestamptz NOT NULL,
      duration_ms int4 NOT NULL,
      status_code int4,
      error text,
      response_snippet text,
      UNIQUE (delivery_id, attempt)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE webhook_attempts;
    DROP TABLE webhook_deliveries;
    DROP TABLE webhook_endpoints;
    DROP TABLE events;
    DROP TABLE event_sequences;
  `.execute(db);
}
