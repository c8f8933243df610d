import { sql, type Kysely } from "kysely";

// Dashboard access: a user's role in their company (every signup makes an owner; invited members
// come later) and an index for sweeping expired sessions. Existing rows become owners, which is
// what every user created before this migration was.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'member'));
    CREATE INDEX sessions_expires ON sessions (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX sessions_expires;
    ALTER TABLE users DROP COLUMN role;
  `.execute(db);
}
