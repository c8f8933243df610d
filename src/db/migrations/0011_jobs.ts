import { sql, type Kysely } from "kysely";

// One table for every kind of deferred work (src/jobs, docs/decisions/0012-one-job-runner.md).
// A job is a definition's name plus a JSON payload; a new kind of work is a new name, never a new
// column. `run_at` is when the job next needs a worker: its due time while queued, its lease's
// end while running (so a job whose worker died is due again once the lease lapses); NULL once
// done or failed, which keeps finished jobs out of the claim index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE jobs (
      id text PRIMARY KEY,
      name text NOT NULL,
      key text,
      payload jsonb NOT NULL,
      company_id text,
      state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
      run_at timestamptz,
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      max_attempts integer NOT NULL CHECK (max_attempts >= 1),
      lease_token text,
      lease_owner text,
      lease_until timestamptz,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      CONSTRAINT jobs_name_key_unique UNIQUE (name, key),
      CONSTRAINT jobs_run_at_while_open CHECK ((state IN ('queued', 'running')) = (run_at IS NOT NULL)),
      CONSTRAINT jobs_lease_while_running CHECK ((state = 'running') = (lease_token IS NOT NULL))
    )`.execute(db);
  // The claim: due open jobs in due order.
  await sql`CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE state IN ('queued', 'running')`.execute(db);
  // Queue depth by state (metrics) and the purge of old finished jobs.
  await sql`CREATE INDEX jobs_open_state_idx ON jobs (state, name) WHERE state <> 'done'`.execute(db);
  await sql`CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state = 'done'`.execute(db);
}
