import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/** The names of a tenant's customers by id (dashboard lists show who pays or owes). */
export async function customerNames(db: Executor, scope: Scope, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("customers")
    .select(["id", "name"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("id", "in", [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
