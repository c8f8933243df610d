import { sql, type Kysely } from "kysely";

// The dashboard SPA (issue 16, parts 1–2; docs/decisions/0018-dashboard-spa.md):
// - roles: owner, admin, developer, viewer (a `member` of 0002 becomes a developer);
// - public keys kept in clear (they are published in pages; secrets stay hashed only);
// - password resets and invitations: one-time tokens, only their SHA-256 stored;
// - the audit log: who did what, when, for every money-moving or security action;
// - production payment access: a company's request with its business details, decided by the
//   platform operator (state machine in src/dashboard/access-requests.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
    UPDATE users SET role = 'developer' WHERE role = 'member';
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'admin', 'developer', 'viewer'));

    ALTER TABLE api_keys ADD COLUMN public_key text CHECK (public_key IS NULL OR kind = 'public');

    CREATE TABLE password_resets (
      id char(24) PRIMARY KEY,
      user_id char(24) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash char(64) NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

    CREATE TABLE invitations (
      id char(24) PRIMARY KEY,
      company_id char(24) NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
      email text NOT NULL CHECK (email = lower(email)),
      role text NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
      token_hash char(64) NOT NULL UNIQUE,
      invited_by char(24) REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX invitations_company ON invitations (company_id, created_at DESC);

    CREATE TABLE audit_log (
      id char(24) PRIMARY KEY,
      company_id char(24) NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
      env text CHECK (env IN ('sandbox', 'production')),
      actor_user_id char(24),
      actor text NOT NULL,
      action text NOT NULL,
      object_type text,
      object_id text,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb,
      at timestamptz NOT NULL
    );
    CREATE INDEX audit_log_company ON audit_log (company_id, at DESC, id DESC);

    CREATE TABLE payment_access_requests (
      id char(24) PRIMARY KEY,
      company_id char(24) NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
      state text NOT NULL CHECK (state IN ('pending', 'approved', 'declined')),
      business jsonb NOT NULL,
      requested_by char(24) REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      decided_at timestamptz,
      decided_by text,
      decision_note text
    );
    CREATE INDEX payment_access_requests_company ON payment_access_requests (company_id, created_at DESC);
    CREATE INDEX payment_access_requests_pending ON payment_access_requests (created_at) WHERE state = 'pending';
    -- At most one open request per company.
    CREATE UNIQUE INDEX payment_access_requests_one_pending ON payment_access_requests (company_id) WHERE state = 'pending';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE payment_access_requests; DROP TABLE audit_log; DROP TABLE invitations; DROP TABLE password_resets;
    ALTER TABLE api_keys DROP COLUMN public_key;
    ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
    UPDATE users SET role = 'member' WHERE role <> 'owner';
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'member'));
  `.execute(db);
}
