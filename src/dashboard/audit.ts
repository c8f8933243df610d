import type { Kysely } from "kysely";
import type { DB, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";

/**
 * The audit log: who did what, when, for every money-moving or security action taken in the
 * dashboard (and by the operator). Written in the transaction of the action itself, so an
 * action and its entry commit or roll back together. Never holds a secret: `detail` names
 * objects (ids, display prefixes, amounts), not keys or tokens.
 */
export interface AuditActor {
  userId: string | null;
  /** An email, `operator:<name>`, or `system`. */
  label: string;
}

export interface AuditEntry {
  companyId: string;
  env?: Env | null;
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  detail?: Record<string, unknown>;
}

export async function audit(trx: Kysely<DB>, actor: AuditActor, entry: AuditEntry, now: Date): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      id: newId(now),
      company_id: entry.companyId,
      env: entry.env ?? null,
      actor_user_id: actor.userId,
      actor: actor.label,
      action: entry.action,
      object_type: entry.objectType ?? null,
      object_id: entry.objectId ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
      at: now,
    })
    .execute();
}

/** The dashboard user behind a request, as an audit actor. */
export const userActor = (who: { userId: string; email: string }): AuditActor => ({ userId: who.userId, label: who.email });

export interface AuditView {
  id: string;
  at: string;
  actor: string;
  action: string;
  env: Env | null;
  object_type: string | null;
  object_id: string | null;
  detail: Record<string, unknown>;
}

/** The company's entries, newest first, keyset-paged by `before` (an entry id). */
export async function listAudit(db: Kysely<DB>, companyId: string, options: { limit: number; before?: string | undefined }): Promise<AuditView[]> {
  let q = db.selectFrom("audit_log").selectAll().where("company_id", "=", companyId);
  if (options.before) q = q.where("id", "<", options.before);
  const rows = await q.orderBy("at", "desc").orderBy("id", "desc").limit(options.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    env: r.env,
    object_type: r.object_type,
    object_id: r.object_id,
    detail: r.detail,
  }));
}
