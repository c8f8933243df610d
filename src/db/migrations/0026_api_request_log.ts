import { sql, type Kysely } from "kysely";

// The API request log (issue 16 §2, the dashboard's Developers → API requests page).
//
// One row per authenticated /v2 request: who (company, environment, key id), what (method, path
// without its query string, the route pattern), the outcome (status, duration) and the ids a
// developer searches by (request id, Idempotency-Key). Never a body, a header value other than
// the Idempotency-Key, or a query string. Written in batches by src/http/request-log.ts after
// the response is sent; kept REQUEST_LOG_RETENTION_MS and purged by a housekeeping job.
//
// No foreign key: the log is written off the request path in bulk and dropped by age; a key or
// company id in it names what it was then. The list index serves the page newest first by
// (at, id) per company and environment; the `at` index serves the purge.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE api_request_log (
      id text PRIMARY KEY,
      company_id text NOT NULL,
      env text NOT NULL CHECK (env IN ('sandbox', 'production')),
      key_id text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      route text,
      status integer NOT NULL,
      duration_ms integer NOT NULL CHECK (duration_ms >= 0),
      request_id text NOT NULL,
      idempotency_key text,
      at timestamptz NOT NULL
    );
    CREATE INDEX api_request_log_list ON api_request_log (company_id, env, at, id);
    CREATE INDEX api_request_log_at ON api_request_log (at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE api_request_log;`.execute(db);
}
