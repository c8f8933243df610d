import { sql, type Kysely } from "kysely";

// Tenancy, access and the HTTP conventions' own state (idempotency, rate limits).
// Plain PostgreSQL 15 SQL: it runs on PGlite (PG 17/18) and on the PG 15 that CI uses.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE companies (
      id          char(24) PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
      name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      is_demo     boolean NOT NULL DEFAULT false,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    -- At most one demo company: racing first starts collide here instead of seeding twice.
    CREATE UNIQUE INDEX companies_one_demo ON companies (is_demo) WHERE is_demo;

    CREATE TABLE environments (
      company_id   char(24) NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
      env          text NOT NULL CHECK (env IN ('sandbox', 'production')),
      client_token char(24) NOT NULL UNIQUE CHECK (client_token ~ '^[0-9a-f]{24}$'),
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (company_id, env)
    );

    CREATE TABLE api_keys (
      id             char(24) PRIMARY KEY,
      company_id     char(24) NOT NULL,
      env            text NOT NULL,
      kind           text NOT NULL CHECK (kind IN ('secret', 'public')),
      key_hash       char(64) NOT NULL UNIQUE,
      display_prefix text NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT now(),
      expires_at     timestamptz,
      revoked_at     timestamptz,
      FOREIGN KEY (company_id, env) REFERENCES environments(company_id, env) ON DELETE CASCADE
    );
    CREATE INDEX api_keys_company ON api_keys (company_id, env, kind);

    CREATE TABLE users (
      id            char(24) PRIMARY KEY,
      company_id    char(24) NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
      email         text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
      name          text NOT NULL,
      password_hash text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_email ON users (email);

    CREATE TABLE sessions (
      id          char(24) PRIMARY KEY,
      user_id     char(24) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash  char(64) NOT NULL UNIQUE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      expires_at  timestamptz NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (user_id);

    CREATE TABLE apps (
      id            char(24) PRIMARY KEY,
      company_id    char(24) NOT NULL,
      env           text NOT NULL,
      name          text NOT NULL,
      products      text[] NOT NULL,
      logo          text,
      color         text NOT NULL,
      bank_filter   text[] NOT NULL DEFAULT '{}',
      callback_url  text,
      redirect_url  text,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (company_id, env) REFERENCES environments(company_id, env) ON DELETE CASCADE
    );
    CREATE INDEX apps_company ON apps (company_id, env, created_at);

    -- Idempotency: the row is written in the same transaction as the effect it guards, so the
    -- primary key is what makes concurrent duplicates safe (the loser's transaction rolls back).
    CREATE TABLE idempotency_keys (
      scope            text NOT NULL,
      key              text NOT NULL,
      request_hash     char(64) NOT NULL,
      response_status  integer NOT NULL,
      response_body    jsonb NOT NULL,
      created_at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

    -- Fixed-window request counters shared by every API process.
    CREATE TABLE rate_limits (
      bucket        text NOT NULL,
      window_start  timestamptz NOT NULL,
      hits          integer NOT NULL,
      PRIMARY KEY (bucket, window_start)
    );
    CREATE INDEX rate_limits_window ON rate_limits (window_start);

    CREATE TABLE banks (
      id             char(24) PRIMARY KEY,
      slug           text NOT NULL UNIQUE,
      name           text NOT NULL,
      cbn_code       text NOT NULL UNIQUE,
      nip_code       text NOT NULL UNIQUE,
      type           text NOT NULL,
      login_methods  text[] NOT NULL,
      mfa_kinds      text[] NOT NULL,
      products       text[] NOT NULL,
      corporate      boolean NOT NULL,
      individual     boolean NOT NULL,
      status         text NOT NULL DEFAULT 'healthy' CHECK (status IN ('healthy', 'degraded', 'down')),
      colors         jsonb NOT NULL,
      sort_order     integer NOT NULL,
      updated_at     timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE banks; DROP TABLE rate_limits; DROP TABLE idempotency_keys; DROP TABLE apps;
    DROP TABLE sessions; DROP TABLE users; DROP TABLE api_keys; DROP TABLE environments;
    DROP TABLE companies;
  `.execute(db);
}
