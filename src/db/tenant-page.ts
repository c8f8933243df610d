import { sql, type Kysely, type Selectable } from "kysely";
import type { DB, Env } from "./schema.js";

/** Tables that belong to one company and environment, listed newest first. */
type TenantTable = "apps" | "webhook_endpoints";

/**
 * One page of a tenant's rows, newest first (created_at, then id), and how many there are in all:
 * the storage half of every `…/list` route that pages with `page`/`limit`.
 */
export async function tenantPage<T extends TenantTable>(
  db: Kysely<DB>,
  table: T,
  scope: { companyId: string; env: Env },
  page: number,
  limit: number,
): Promise<{ rows: Selectable<DB[T]>[]; total: number }> {
  // One query shape for every tenant table; Kysely cannot check column names through the generic.
  const from = db.selectFrom(table as TenantTable).where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  const [rows, count] = await Promise.all([
    from.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).offset((page - 1) * limit).execute(),
    from.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as Selectable<DB[T]>[], total: count.n };
}
