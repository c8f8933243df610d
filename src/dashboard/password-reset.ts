import type { Executor } from "../core/db.js";
import type { Database } from "../db/index.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import { hashPassword } from "../platform/passwords.js";
import { normalizeEmail } from "../platform/users.js";
import { audit } from "./audit.js";
import { hashLinkToken, newLinkToken } from "./tokens.js";

/**
 * Password reset by emailed link. Asking never says whether the email has an account (same
 * answer either way); a link works once, for RESET_TTL_MS, and a newer one replaces it. Setting
 * the new password ends every session of that user (whoever had the old password is out).
 */
export const RESET_TTL_MS = 60 * 60 * 1000;

/** A reset link token for this email's user, or null when there is no such user (the caller answers the same). */
export async function startPasswordReset(db: Database, email: string, now: Date): Promise<{ token: string; email: string; name: string } | null> {
  const user = await db.selectFrom("users").select(["id", "email", "name", "company_id"]).where("email", "=", normalizeEmail(email)).executeTakeFirst();
  if (!user) return null;
  const { token, hash } = newLinkToken();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("password_resets").set({ used_at: now }).where("user_id", "=", user.id).where("used_at", "is", null).execute();
    await trx.insertInto("password_resets").values({ id: newId(now), user_id: user.id, token_hash: hash, created_at: now, expires_at: new Date(now.getTime() + RESET_TTL_MS) }).execute();
    await audit(trx, { userId: user.id, label: user.email }, { companyId: user.company_id, action: "user.password_reset_requested", objectType: "user", objectId: user.id }, now);
  });
  return { token, email: user.email, name: user.name };
}

const invalidLink = () => new OkroError("NOT_FOUND", "token: this reset link is not valid any more (used, replaced or older than an hour); ask for a new one", { field: "token" });

export async function finishPasswordReset(db: Database, input: { token: string; password: string }, now: Date): Promise<{ email: string }> {
  const hash = hashLinkToken(input.token);
  if (!hash) throw invalidLink();
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx: Executor) => {
    const reset = await trx
      .updateTable("password_resets")
      .set({ used_at: now })
      .where("token_hash", "=", hash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .returning(["user_id"])
      .executeTakeFirst();
    if (!reset) throw invalidLink();
    const user = await trx.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", reset.user_id).returning(["id", "email", "company_id"]).executeTakeFirstOrThrow();
    await trx.deleteFrom("sessions").where("user_id", "=", user.id).execute();
    await audit(trx, { userId: user.id, label: user.email }, { companyId: user.company_id, action: "user.password_reset", objectType: "user", objectId: user.id }, now);
    return { email: user.email };
  });
}
