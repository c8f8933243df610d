import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { tenantScope } from "../http/api-auth.js";
import type { KeyPrincipal } from "./keys.js";
import { createApp, deleteApp, getApp, listApps, updateApp } from "./apps.js";
import type { Scope } from "../core/tenancy.js";
import { mutate } from "../http/idempotency.js";
import { AppIdBody, AppResponse, CreateAppBody, GetAppBody, ListAppsBody, ListAppsResponse, UpdateAppBody } from "./schemas.js";

const tags = ["Apps"];
const scopeOf = (t: KeyPrincipal): Scope => ({ companyId: t.companyId, env: t.env });

/**
 * `/v2/apps/*`: an Okro extension (Okra managed apps only in its dashboard) so developers can
 * manage widget configurations with their secret key. The key's environment is the app's.
 */
export const appApiRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post("/apps/create", { schema: { tags, summary: "Create an app (widget configuration)", body: CreateAppBody, response: { 200: AppResponse } } }, async (req, reply) =>
    mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
      ok("App created successfully", { app: await createApp(trx, scopeOf(req.tenant), req.body, ctx.clock.now(), ctx.secrets) }),
    ),
  );

  app.post("/apps/list", { schema: { tags, summary: "List apps", body: ListAppsBody, response: { 200: ListAppsResponse } } }, async (req) =>
    ok("Apps retrieved successfully", await listApps(ctx.db, scopeOf(req.tenant), req.body.page, req.body.limit)),
  );

  app.post("/apps/get", { schema: { tags, summary: "Get one app by id", body: GetAppBody, response: { 200: AppResponse } } }, async (req) =>
    ok("App retrieved successfully", { app: await getApp(ctx.db, scopeOf(req.tenant), req.body.id) }),
  );

  app.post("/apps/update", { schema: { tags, summary: "Change an app's settings", body: UpdateAppBody, response: { 200: AppResponse } } }, async (req, reply) => {
    return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
      const { id, ...patch } = req.body;
      return ok("App updated successfully", { app: await updateApp(trx, scopeOf(req.tenant), id, patch, ctx.clock.now(), ctx.secrets) });
    });
  });

  app.post("/apps/delete", { schema: { tags, summary: "Delete an app", body: AppIdBody, response: { 200: AppResponse } } }, async (req, reply) =>
    mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
      ok("App deleted successfully", { app: await deleteApp(trx, scopeOf(req.tenant), req.body.id) }),
    ),
  );
};
