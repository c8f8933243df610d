import type { Executor } from "../core/db.js";
import type { Database } from "../db/index.js";
import type { UserRole } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import { hashPassword } from "../platform/passwords.js";
import { createSession } from "../platform/sessions.js";
import { normalizeEmail, userView, type UserView } from "../platform/users.js";
import { audit, type AuditActor } from "./audit.js";
import { roleAtLeast } from "./roles.js";
import { hashLinkToken, newLinkToken } from "./tokens.js";

/**
 * Teammates: invitations by email with a role, accepting one (a new user in the inviter's
 * company), role changes and removals. Who may do it is checked by the routes (admin); the
 * rules that keep a company manageable are here: nobody changes their own role or removes
 * themselves, only an owner touches an owner, the last owner stays.
 */
export type InviteRole = Exclude<UserRole, "owner">;

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const UNIQUE_VIOLATION = "23505";

export interface InvitationView {
  id: string;
  email: string;
  role: InviteRole;
  created_at: string;
  expires_at: string;
  status: "pending" | "accepted" | "revoked" | "expired";
}

const invitationView = (
  r: { id: string; email: string; role: InviteRole; created_at: Date; expires_at: Date; accepted_at: Date | null; revoked_at: Date | null },
  now: Date,
): InvitationView => ({
  id: r.id,
  email: r.email,
  role: r.role,
  created_at: r.created_at.toISOString(),
  expires_at: r.expires_at.toISOString(),
  status: r.accepted_at ? "accepted" : r.revoked_at ? "revoked" : r.expires_at <= now ? "expired" : "pending",
});

export async function listTeam(db: Executor, companyId: string, now: Date): Promise<{ members: UserView[]; invitations: InvitationView[] }> {
  const [members, invitations] = await Promise.all([
    db.selectFrom("users").select(["id", "email", "name", "role", "created_at"]).where("company_id", "=", companyId).orderBy("created_at").orderBy("id").execute(),
    db
      .selectFrom("invitations")
      .select(["id", "email", "role", "created_at", "expires_at", "accepted_at", "revoked_at"])
      .where("company_id", "=", companyId)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .orderBy("created_at", "desc")
      .limit(100)
      .execute(),
  ]);
  return { members: members.map(userView), invitations: invitations.map((i) => invitationView(i, now)) };
}

export async function invite(
  trx: Executor,
  actor: AuditActor & { userId: string },
  companyId: string,
  input: { email: string; role: InviteRole },
  now: Date,
): Promise<{ invitation: InvitationView; token: string }> {
  const email = normalizeEmail(input.email);
  const existing = await trx.selectFrom("users").select(["company_id"]).where("email", "=", email).executeTakeFirst();
  if (existing) {
    throw new OkroError(
      "CONFLICT",
      existing.company_id === companyId ? "email: this person is already on your team" : "email: this email already has an Okro account; ask them to use another address",
      { field: "email" },
    );
  }
  // A new invitation to the same address replaces the open one (its link stops working).
  await trx.updateTable("invitations").set({ revoked_at: now }).where("company_id", "=", companyId).where("email", "=", email).where("accepted_at", "is", null).where("revoked_at", "is", null).execute();
  const { token, hash } = newLinkToken();
  const row = {
    id: newId(now),
    company_id: companyId,
    email,
    role: input.role,
    token_hash: hash,
    invited_by: actor.userId,
    created_at: now,
    expires_at: new Date(now.getTime() + INVITATION_TTL_MS),
  };
  await trx.insertInto("invitations").values(row).execute();
  await audit(trx, actor, { companyId, action: "team.invite", objectType: "invitation", objectId: row.id, detail: { email, role: input.role } }, now);
  return { invitation: invitationView({ ...row, accepted_at: null, revoked_at: null }, now), token };
}

export async function revokeInvitation(trx: Executor, actor: AuditActor, companyId: string, id: string, now: Date): Promise<InvitationView> {
  const row = await trx
    .updateTable("invitations")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("company_id", "=", companyId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .returning(["id", "email", "role", "created_at", "expires_at", "accepted_at", "revoked_at"])
    .executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", "id: no open invitation with this id", { field: "id" });
  await audit(trx, actor, { companyId, action: "team.invitation_revoked", objectType: "invitation", objectId: id, detail: { email: row.email } }, now);
  return invitationView(row, now);
}

const invalidInvitation = () => new OkroError("NOT_FOUND", "token: this invitation link is not valid any more (used, replaced, revoked or expired); ask for a new one", { field: "token" });

async function openInvitation(db: Executor, token: string, now: Date) {
  const hash = hashLinkToken(token);
  if (!hash) throw invalidInvitation();
  const row = await db
    .selectFrom("invitations")
    .innerJoin("companies", "companies.id", "invitations.company_id")
    .select(["invitations.id", "invitations.company_id", "invitations.email", "invitations.role", "invitations.expires_at", "companies.name as company_name"])
    .where("invitations.token_hash", "=", hash)
    .where("invitations.accepted_at", "is", null)
    .where("invitations.revoked_at", "is", null)
    .where("invitations.expires_at", ">", now)
    .executeTakeFirst();
  if (!row) throw invalidInvitation();
  return row;
}

/** What the invitation page shows before the person accepts. */
export async function lookUpInvitation(db: Executor, token: string, now: Date): Promise<{ company_name: string; email: string; role: InviteRole }> {
  const row = await openInvitation(db, token, now);
  return { company_name: row.company_name, email: row.email, role: row.role };
}

/** Accepts: a user in the inviting company with the invited role, signed in. The link works once. */
export async function acceptInvitation(
  db: Database,
  input: { token: string; name: string; password: string },
  now: Date,
): Promise<{ user: UserView; session: { token: string; expiresAt: Date } }> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const inv = await openInvitation(trx, input.token, now);
      const claimed = await trx.updateTable("invitations").set({ accepted_at: now }).where("id", "=", inv.id).where("accepted_at", "is", null).returning("id").executeTakeFirst();
      if (!claimed) throw invalidInvitation();
      const userId = newId(now);
      await trx.insertInto("users").values({ id: userId, company_id: inv.company_id, email: inv.email, name: input.name, password_hash: passwordHash, role: inv.role, created_at: now }).execute();
      await audit(trx, { userId, label: inv.email }, { companyId: inv.company_id, action: "team.joined", objectType: "user", objectId: userId, detail: { role: inv.role } }, now);
      const session = await createSession(trx, userId, now);
      return { user: { id: userId, email: inv.email, name: input.name, role: inv.role, created_at: now.toISOString() }, session };
    });
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new OkroError("CONFLICT", "token: an account with this email already exists; sign in instead", { field: "token" });
    throw error;
  }
}

async function teammate(trx: Executor, companyId: string, id: string) {
  const row = await trx.selectFrom("users").select(["id", "email", "name", "role", "created_at"]).where("id", "=", id).where("company_id", "=", companyId).forUpdate().executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", "id: no teammate with this id", { field: "id" });
  return row;
}

async function guardChange(trx: Executor, actor: { userId: string; role: UserRole }, companyId: string, target: { id: string; role: UserRole }, newRole: UserRole | null) {
  if (target.id === actor.userId) throw new OkroError("FORBIDDEN", "id: you cannot change your own role or remove yourself; ask another admin", { field: "id" });
  if ((target.role === "owner" || newRole === "owner") && !roleAtLeast(actor.role, "owner")) {
    throw new OkroError("FORBIDDEN", "Only an owner can change an owner or make someone an owner", { field: "role" });
  }
  if (target.role === "owner" && newRole !== "owner") {
    // Lock the company's owners so two demotions at once cannot leave none.
    const owners = await trx.selectFrom("users").select("id").where("company_id", "=", companyId).where("role", "=", "owner").forUpdate().execute();
    if (owners.length <= 1) throw new OkroError("CONFLICT", "id: a company keeps at least one owner", { field: "id" });
  }
}

export async function changeRole(trx: Executor, actor: AuditActor & { userId: string; role: UserRole }, companyId: string, id: string, role: UserRole, now: Date): Promise<UserView> {
  const target = await teammate(trx, companyId, id);
  await guardChange(trx, actor, companyId, target, role);
  const row = await trx.updateTable("users").set({ role }).where("id", "=", id).where("company_id", "=", companyId).returning(["id", "email", "name", "role", "created_at"]).executeTakeFirstOrThrow();
  await audit(trx, actor, { companyId, action: "team.role_changed", objectType: "user", objectId: id, detail: { email: target.email, from: target.role, to: role } }, now);
  return userView(row);
}

export async function removeTeammate(trx: Executor, actor: AuditActor & { userId: string; role: UserRole }, companyId: string, id: string, now: Date): Promise<UserView> {
  const target = await teammate(trx, companyId, id);
  await guardChange(trx, actor, companyId, target, null);
  await trx.deleteFrom("users").where("id", "=", id).where("company_id", "=", companyId).execute();
  await audit(trx, actor, { companyId, action: "team.removed", objectType: "user", objectId: id, detail: { email: target.email, role: target.role } }, now);
  return userView(target);
}
