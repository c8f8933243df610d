import { sql } from "kysely";
import type { Database } from "../db/index.js";
import { sha256Hex } from "../lib/secrets.js";

/**
 * Dashboard sign-in backoff per account (decision 0013), on top of the per-address limit: an
 * attacker spreading guesses over many addresses still meets it.
 *
 * Failed sign-ins are counted per email, whether or not an account has it (an unknown email is
 * treated exactly as a known one, so the answers tell nothing), in PostgreSQL so that every
 * process shares the count. The try is counted *before* the password is checked, in one atomic
 * statement, and a success clears the count: so racing guesses each get their own number. The
 * first FREE_FAILURES tries in a row are free; from then on each try sets a lockout window before
 * it is checked — SIGNIN_BASE_LOCK_MS, doubling with each further failure, at most
 * SIGNIN_MAX_LOCK_MS — and a try inside the window is refused unchecked (429 with Retry-After).
 */
export const SIGNIN_FREE_FAILURES = 5;
export const SIGNIN_BASE_LOCK_MS = 60_000;
export const SIGNIN_MAX_LOCK_MS = 60 * 60_000;

/** Counts untouched this long (and not locked) are forgotten, by housekeeping (src/jobs/housekeeping.ts). */
export const SIGNIN_RETENTION_MS = 24 * 60 * 60_000;

const emailKey = (email: string) => sha256Hex(`dashboard-signin:${email.trim().toLowerCase()}`);

/** The lockout window that the `failures`-th failure in a row opens (ms; 0 while still free). */
export function signinLockMs(failures: number): number {
  if (failures <= SIGNIN_FREE_FAILURES) return 0;
  return Math.min(SIGNIN_MAX_LOCK_MS, SIGNIN_BASE_LOCK_MS * 2 ** Math.min(20, failures - SIGNIN_FREE_FAILURES - 1));
}

/**
 * Counts one sign-in try for `email` before its password is checked. `retryAfterMs` > 0: the
 * email is locked out; refuse without checking the password.
 */
export async function reserveSignIn(db: Database, email: string, now: Date): Promise<{ retryAfterMs: number }> {
  const free = SIGNIN_FREE_FAILURES;
  // The window this try opens when it is past the free ones: base · 2^(n − free − 1), capped.
  const n = sql`(g.failures + 1)`;
  const lockMs = sql`LEAST(${SIGNIN_MAX_LOCK_MS}::float8, ${SIGNIN_BASE_LOCK_MS}::float8 * power(2, LEAST(20, ${n} - ${free} - 1)))`;
  // In DO UPDATE, `g` is the row as it was: whether it was locked decides everything else.
  const locked = sql`COALESCE(g.locked_until > ${now}, false)`;
  const { rows } = await sql<{ locked_until: Date | null; refused: boolean }>`
    INSERT INTO signin_guards AS g (email_hash, failures, locked_until, refused, updated_at)
    VALUES (${emailKey(email)}, 1, NULL, false, ${now})
    ON CONFLICT (email_hash) DO UPDATE SET
      failures = CASE WHEN ${locked} THEN g.failures ELSE g.failures + 1 END,
      locked_until = CASE
        WHEN ${locked} THEN g.locked_until
        WHEN ${n} > ${free} THEN ${now}::timestamptz + ${lockMs} * interval '1 millisecond'
        ELSE g.locked_until END,
      refused = ${locked},
      updated_at = ${now}
    RETURNING locked_until, refused
  `.execute(db);
  const row = rows[0]!;
  return { retryAfterMs: row.refused && row.locked_until ? Math.max(1, row.locked_until.getTime() - now.getTime()) : 0 };
}

/** A successful sign-in: the count starts again. */
export async function clearSignIn(db: Database, email: string): Promise<void> {
  await db.deleteFrom("signin_guards").where("email_hash", "=", emailKey(email)).execute();
}

/** Forgets up to `limit` counts untouched for SIGNIN_RETENTION_MS and not locked; returns how many. */
export async function purgeSignInGuards(db: Database, now: Date, limit: number): Promise<number> {
  const cutoff = new Date(now.getTime() - SIGNIN_RETENTION_MS);
  const result = await sql`
    DELETE FROM signin_guards WHERE email_hash IN (
      SELECT email_hash FROM signin_guards
      WHERE updated_at < ${cutoff} AND (locked_until IS NULL OR locked_until < ${now}) LIMIT ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
