import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { listRequestLog, REQUEST_LOG_RETENTION_MS } from "../platform/request-log.js";
import { RequestLogQuery } from "./developers-schemas.js";
import { rangeEnd, rangeStart } from "./payments-schemas.js";
import { scopeOf } from "./payments-routes.js";

const DAY_MS = 86_400_000;

/**
 * Developers → API requests: the request log of an environment (every authenticated `/v2`
 * request of the company's keys: method, path, status, duration, key, request id,
 * Idempotency-Key), newest first, filtered in the query string. Every role may read it: it holds
 * no body and no secret.
 */
export const dashboardRequestLogRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get("/request-log", { schema: { summary: "API requests of an environment, newest first (kept 30 days)", querystring: RequestLogQuery } }, async (req) => {
    const { env, limit, before, from, to, ...filter } = req.query;
    // A key of another company is not found, like a missing one (not an empty page that says it exists).
    if (filter.key_id !== undefined) {
      const key = await ctx.db.selectFrom("api_keys").select("id").where("id", "=", filter.key_id).where("company_id", "=", req.dashboard.companyId).executeTakeFirst();
      if (!key) throw new OkroError("NOT_FOUND", "key_id: no such API key", { field: "key_id" });
    }
    const page = await listRequestLog(ctx.db, scopeOf(req, env), { ...filter, from: rangeStart(from), to: rangeEnd(to) }, { limit, before });
    return ok("API requests retrieved", { ...page, retention_days: REQUEST_LOG_RETENTION_MS / DAY_MS });
  });
};
