import { sql, type Insertable } from "kysely";
import type { Executor } from "../core/db.js";
import { OkroError } from "../core/errors.js";
import type { Scope } from "../core/tenancy.js";
import type { ApiRequestLogTable } from "../db/schema.js";

/**
 * The API request log (migration 0026): what each authenticated `/v2` request was and how it
 * ended, for the dashboard's Developers → API requests page. Rows are written in batches by the
 * HTTP layer (src/http/request-log.ts) and purged by age (housekeeping). They name the request —
 * method, path, status, duration, key id, request id, Idempotency-Key — never its body, its
 * query string or any other header, so no secret can land here.
 */

/** How long rows are kept: 30 days, like the dashboards developers compare us with. */
export const REQUEST_LOG_RETENTION_MS = 30 * 24 * 3_600_000;
/** The longest path kept; longer ones are cut (a path is a route plus ids, rarely near this). */
export const REQUEST_LOG_PATH_MAX = 512;

export type RequestLogRow = Insertable<ApiRequestLogTable>;

/** One multi-row INSERT: what a flush of the writer costs, however many requests it carries. */
export async function insertRequestLog(db: Executor, rows: readonly RequestLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto("api_request_log").values([...rows]).execute();
}

/** Deletes up to `batch` rows older than `before`; returns how many. */
export async function purgeRequestLog(db: Executor, before: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM api_request_log WHERE id IN (
      SELECT id FROM api_request_log WHERE at < ${before} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

export interface RequestLogFilter {
  method?: string | undefined;
  /** `2xx`, `4xx`, `5xx`… or one status. */
  status?: string | undefined;
  /** Paths starting with this. */
  path?: string | undefined;
  key_id?: string | undefined;
  request_id?: string | undefined;
  idempotency_key?: string | undefined;
  /** at ≥ from. */
  from?: Date | undefined;
  /** at < to. */
  to?: Date | undefined;
}

export interface RequestLogView {
  id: string;
  at: string;
  method: string;
  path: string;
  route: string | null;
  status: number;
  duration_ms: number;
  key_id: string;
  request_id: string;
  idempotency_key: string | null;
}

/** `%`, `_` and `\` are LIKE's metacharacters; a path prefix means itself. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * A page of the log, newest first, keyset-paged on (at, id): `before` is the last id of the
 * previous page. Every filter narrows the range of the (company, env, at, id) index, so a page
 * reads about `limit` matching rows, whatever the table holds of other companies.
 */
export async function listRequestLog(
  db: Executor,
  scope: Scope,
  filter: RequestLogFilter,
  page: { limit: number; before?: string | undefined },
): Promise<{ requests: RequestLogView[]; next_cursor: string | null }> {
  let q = db.selectFrom("api_request_log").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (page.before !== undefined) {
    const cursor = await db.selectFrom("api_request_log").select(["at", "id"]).where("id", "=", page.before).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
    if (!cursor) throw new OkroError("NOT_FOUND", "before: no such request in this log", { field: "before" });
    q = q.where((eb) => eb.or([eb("at", "<", cursor.at), eb.and([eb("at", "=", cursor.at), eb("id", "<", cursor.id)])]));
  }
  if (filter.method) q = q.where("method", "=", filter.method);
  if (filter.status) {
    const klass = /^([1-5])xx$/.exec(filter.status);
    if (klass) {
      const low = Number(klass[1]) * 100;
      q = q.where("status", ">=", low).where("status", "<", low + 100);
    } else q = q.where("status", "=", Number(filter.status));
  }
  if (filter.path) q = q.where(sql<boolean>`path LIKE ${likePrefix(filter.path)} ESCAPE '\\'`);
  if (filter.key_id) q = q.where("key_id", "=", filter.key_id);
  if (filter.request_id) q = q.where("request_id", "=", filter.request_id);
  if (filter.idempotency_key) q = q.where("idempotency_key", "=", filter.idempotency_key);
  if (filter.from) q = q.where("at", ">=", filter.from);
  if (filter.to) q = q.where("at", "<", filter.to);
  const rows = await q.orderBy("at", "desc").orderBy("id", "desc").limit(page.limit + 1).execute();
  const shown = rows.slice(0, page.limit);
  return {
    requests: shown.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      method: r.method,
      path: r.path,
      route: r.route,
      status: r.status,
      duration_ms: r.duration_ms,
      key_id: r.key_id,
      request_id: r.request_id,
      idempotency_key: r.idempotency_key,
    })),
    next_cursor: rows.length > page.limit ? shown[shown.length - 1]!.id : null,
  };
}
