import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";

/**
 * Whether a company may take production payments: once the platform operator approved one of
 * its payment access requests (src/dashboard/access-requests.ts). Sandbox needs nothing.
 */
export async function hasProductionAccess(db: Kysely<DB>, companyId: string): Promise<boolean> {
  const row = await db.selectFrom("payment_access_requests").select("id").where("company_id", "=", companyId).where("state", "=", "approved").limit(1).executeTakeFirst();
  return Boolean(row);
}

/** Throws 403 FORBIDDEN (reason `payment_access_not_approved`) for a production payment of a company without access. */
export async function requirePaymentAccess(db: Kysely<DB>, scope: { companyId: string; env: "sandbox" | "production" }): Promise<void> {
  if (scope.env !== "production" || (await hasProductionAccess(db, scope.companyId))) return;
  throw new OkroError(
    "FORBIDDEN",
    "Production payments are not enabled for this company yet: request payment access in the dashboard (Settings → Payment access); sandbox payments work meanwhile",
    { data: { reason: "payment_access_not_approved" } },
  );
}
