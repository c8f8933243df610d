import type { ApiKeyKind, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { OkroError } from "../core/errors.js";
import { generateKey, parseKey, type NewKey } from "./domain.js";
import type { Executor } from "../core/db.js";

/** Who a valid key belongs to. */
export interface KeyPrincipal {
  keyId: string;
  companyId: string;
  env: Env;
  kind: ApiKeyKind;
}

/** Stores a freshly generated key (hash only) and returns the clear key, shown this once. */
export async function issueKey(
  db: Executor,
  companyId: string,
  env: Env,
  kind: ApiKeyKind,
  now: Date,
): Promise<{ id: string; key: string; display_prefix: string }> {
  const generated: NewKey = generateKey(kind, env);
  const id = newId(now);
  await db
    .insertInto("api_keys")
    // A public key is published in merchants' pages anyway: kept in clear so the dashboard can show it in full.
    .values({ id, company_id: companyId, env, kind, key_hash: generated.hash, display_prefix: generated.displayPrefix, created_at: now, public_key: kind === "public" ? generated.key : null })
    .execute();
  return { id, key: generated.key, display_prefix: generated.displayPrefix };
}

/**
 * Resolves a presented key to its company and environment, or `null` when it is malformed,
 * unknown, revoked or past its expiry. The environment comes from the stored row, never from the
 * key's text, so a forged prefix cannot change environments.
 */
export async function findActiveKey(db: Executor, presented: string, now: Date): Promise<KeyPrincipal | null> {
  const parsed = parseKey(presented);
  if (!parsed) return null;
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "company_id", "env", "kind", "revoked_at", "expires_at"])
    .where("key_hash", "=", parsed.hash)
    .executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now)) return null;
  return { keyId: row.id, companyId: row.company_id, env: row.env as Env, kind: row.kind as ApiKeyKind };
}

export interface KeyView {
  id: string;
  env: Env;
  kind: ApiKeyKind;
  display_prefix: string;
  /** A public key in full (null for secret keys, and for public keys made before migration 0017). */
  public_key: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
}

export async function listKeys(db: Executor, companyId: string, now: Date): Promise<KeyView[]> {
  const rows = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("company_id", "=", companyId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    env: r.env as Env,
    kind: r.kind as ApiKeyKind,
    display_prefix: r.display_prefix,
    public_key: r.public_key,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at?.toISOString() ?? null,
    revoked_at: r.revoked_at?.toISOString() ?? null,
    active: !r.revoked_at && (!r.expires_at || r.expires_at > now),
  }));
}

/**
 * Rotation: issues a new key of `kind` for `env`, and retires the currently active ones — at
 * once, or after `graceSeconds` so deployments can switch over without downtime.
 */
export async function rotateKey(
  db: Executor,
  companyId: string,
  env: Env,
  kind: ApiKeyKind,
  graceSeconds: number,
  now: Date,
): Promise<{ id: string; key: string; display_prefix: string; retired: string[] }> {
  const retireAt = new Date(now.getTime() + graceSeconds * 1000);
  const active = await db
    .selectFrom("api_keys")
    .select(["id", "expires_at"])
    .where("company_id", "=", companyId)
    .where("env", "=", env)
    .where("kind", "=", kind)
    .where("revoked_at", "is", null)
    .execute();
  const retiring = active.filter((k) => !k.expires_at || k.expires_at > retireAt).map((k) => k.id);
  if (retiring.length > 0) {
    const update = graceSeconds === 0 ? { revoked_at: now } : { expires_at: retireAt };
    await db.updateTable("api_keys").set(update).where("id", "in", retiring).execute();
  }
  const issued = await issueKey(db, companyId, env, kind, now);
  return { ...issued, retired: retiring };
}

/** Revokes one key of the company at once. Another company's key id is a 404, like a missing one. */
export async function revokeKey(db: Executor, companyId: string, keyId: string, now: Date): Promise<void> {
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "revoked_at"])
    .where("id", "=", keyId)
    .where("company_id", "=", companyId)
    .executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", "key not found", { field: "id" });
  if (row.revoked_at) return;
  await db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", keyId).execute();
}
