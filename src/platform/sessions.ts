import type { UserRole } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { randomToken, sha256Hex } from "../lib/secrets.js";
import { SESSION_TOKEN_BYTES, SESSION_TTL_MS } from "./domain.js";
import type { Executor } from "../core/db.js";

/**
 * Dashboard sessions. The cookie carries 32 random bytes; the table holds only their SHA-256,
 * so a leaked database (or backup) does not hand out live sessions. Expiry is absolute:
 * SESSION_TTL_MS after login, checked against the injected clock.
 */

/** Who a valid session belongs to. */
export interface DashboardPrincipal {
  sessionId: string;
  userId: string;
  companyId: string;
  email: string;
  name: string;
  role: UserRole;
}

/** base64url of SESSION_TOKEN_BYTES bytes: 43 characters. Anything else is not ours. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export async function createSession(db: Executor, userId: string, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken(SESSION_TOKEN_BYTES);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db
    .insertInto("sessions")
    .values({ id: newId(now), user_id: userId, token_hash: sha256Hex(token), created_at: now, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The session's user, or null when the token is malformed, unknown or expired. */
export async function resolveSession(db: Executor, token: string, now: Date): Promise<DashboardPrincipal | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["sessions.id as session_id", "users.id as user_id", "users.company_id", "users.email", "users.name", "users.role"])
    .where("sessions.token_hash", "=", sha256Hex(token))
    .where("sessions.expires_at", ">", now)
    .executeTakeFirst();
  if (!row) return null;
  return { sessionId: row.session_id, userId: row.user_id, companyId: row.company_id, email: row.email, name: row.name, role: row.role };
}

/** Ends the session this token names, if any (logging out twice is not an error). */
export async function endSession(db: Executor, token: string): Promise<void> {
  if (!TOKEN_PATTERN.test(token)) return;
  await db.deleteFrom("sessions").where("token_hash", "=", sha256Hex(token)).execute();
}

/** Drops a user's expired sessions; done at login so the table does not grow without bound. */
export async function dropExpiredSessions(db: Executor, userId: string, now: Date): Promise<void> {
  await db.deleteFrom("sessions").where("user_id", "=", userId).where("expires_at", "<=", now).execute();
}
