import { sql, type Kysely } from "kysely";

// Dashboard sign-in backoff per account (src/platform/signin-guard.ts, decision 0013): failed
// sign-ins counted per email — whether or not an account has it — so every process shares the
// count. The key is the SHA-256 of the lower-cased email: the table says nothing readable about
// who tried to sign in.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE signin_guards (
      email_hash text PRIMARY KEY,
      failures int4 NOT NULL DEFAULT 0 CHECK (failures >= 0),
      locked_until timestamptz,
      -- Whether the last try came while locked out (refused unchecked): set by the same statement
      -- that counts it, so the caller learns it without a second read.
      refused boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX signin_guards_updated ON signin_guards (updated_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE signin_guards`.execute(db);
}
