import type { UserRole } from "../db/schema.js";
import { OkroError } from "../core/errors.js";

/**
 * Who may do what in the dashboard. Roles are ordered: owner > admin > developer > viewer.
 * - viewer: reads everything of the company; changes nothing.
 * - developer: keys, apps, webhooks, sandbox tools; creates payments and links.
 * - admin: also refunds, cancels, approves reviews, payouts, teammates, payment access.
 * - owner: also owners' own changes (there is at least one owner per company).
 * The dashboard API enforces this with {@link requireRole}; the SPA only hides buttons.
 */
export const ROLES = ["owner", "admin", "developer", "viewer"] as const satisfies readonly UserRole[];
const RANK: Record<UserRole, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

export const roleAtLeast = (role: UserRole, needed: UserRole) => RANK[role] >= RANK[needed];

/**
 * Throws 403 FORBIDDEN naming the action and the role it needs unless `role` is at least
 * `needed`: `requireRole(req.dashboard.role, "admin", "refund a payment")` →
 * "Your role (viewer) cannot refund a payment; ask an admin or the owner of your company".
 */
export function requireRole(role: UserRole, needed: UserRole, action: string): void {
  if (roleAtLeast(role, needed)) return;
  const who = needed === "owner" ? "the owner" : `${needed === "admin" ? "an admin" : `a ${needed}`} or the owner`;
  throw new OkroError("FORBIDDEN", `Your role (${role}) cannot ${action}; ask ${who} of your company`, { data: { role, required_role: needed } });
}
