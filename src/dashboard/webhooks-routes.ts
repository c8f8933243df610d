import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint } from "../events/endpoints.js";
import { getDelivery, getEvent, listDeliveries, listEvents, resendDelivery, resendFailedDeliveries } from "../events/events.js";
import { shownOnce } from "../events/webhook-routes.js";
import { dashboardScope } from "../http/api-auth.js";
import { mutate, runMutation } from "../http/idempotency.js";
import {
  DashboardCreateWebhookBody,
  DashboardEventsQuery,
  DashboardResendBody,
  DashboardResendFailedBody,
  DashboardRotateWebhookBody,
  DashboardUpdateWebhookBody,
  DashboardWebhookIdBody,
  DeliveryListQuery,
  EndpointListQuery,
  EnvQuery,
  IdParams,
} from "./developers-schemas.js";
import { auditAction, scopeOf } from "./payments-routes.js";
import { requireRole } from "./roles.js";

/** A date alone means its midnight UTC, as in `/v2/events/list`. */
const dateOf = (value: string | undefined) => (value === undefined ? undefined : new Date(Date.parse(value)));

/**
 * The dashboard's webhooks and events pages (issue 16 §2): endpoints, their deliveries with each
 * attempt, resend one or every failed one, and the events feed. Each route calls the service the
 * `/v2/webhooks/*` and `/v2/events/*` routes call, with the company from the session and the
 * environment picked in the header. Viewers read; developers and up change, and every change is
 * in the audit log (never a secret or a bearer token: only which fields changed).
 */
export const dashboardWebhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  // ----- endpoints -----------------------------------------------------------------------------
  app.get("/webhooks", { schema: { summary: "Webhook endpoints of an environment", querystring: EndpointListQuery } }, async (req) => {
    const { env, page, limit } = req.query;
    return ok("Webhook endpoints retrieved", await listEndpoints(db, scopeOf(req, env), page, limit, ctx.clock.now()));
  });

  app.get("/webhooks/:id", { schema: { summary: "One webhook endpoint", params: IdParams, querystring: EnvQuery } }, async (req) =>
    ok("Webhook endpoint retrieved", { endpoint: await getEndpoint(db, scopeOf(req, req.query.env), req.params.id, ctx.clock.now()) }),
  );

  app.post(
    "/webhooks/create",
    { schema: { summary: "Add a webhook endpoint (its signing secret is in this response only)", body: DashboardCreateWebhookBody } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "add webhook endpoints");
      const { env, ...fields } = req.body;
      return runMutation(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const endpoint = await createEndpoint(trx, ctx.secrets, scopeOf(req, env), fields, ctx.clock.now());
        await auditAction(ctx, trx, req, env, "webhook.created", { type: "webhook_endpoint", id: endpoint.id }, { url: endpoint.url, event_types: endpoint.event_types });
        return { body: ok("Webhook endpoint created; store its secret now, it is not shown again", { endpoint }), replayAs: shownOnce(endpoint, "created") };
      });
    },
  );

  app.post("/webhooks/update", { schema: { summary: "Change, disable or enable a webhook endpoint", body: DashboardUpdateWebhookBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "change webhook endpoints");
    const { env, id, ...patch } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const endpoint = await updateEndpoint(trx, ctx.secrets, scopeOf(req, env), id, patch, ctx.clock.now());
      // Which fields changed, and the new public ones; the bearer token is named, never written.
      const detail: Record<string, unknown> = { fields: Object.keys(patch).sort() };
      if (patch.url !== undefined) detail.url = endpoint.url;
      if (patch.enabled !== undefined) detail.enabled = endpoint.enabled;
      const action = patch.enabled === false ? "webhook.disabled" : patch.enabled === true ? "webhook.enabled" : "webhook.updated";
      await auditAction(ctx, trx, req, env, action, { type: "webhook_endpoint", id }, detail);
      return ok("Webhook endpoint updated", { endpoint });
    });
  });

  app.post(
    "/webhooks/rotate-secret",
    { schema: { summary: "Replace an endpoint's signing secret (the new one is in this response only)", body: DashboardRotateWebhookBody } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "rotate webhook secrets");
      const { env, id, expire_previous_in_seconds } = req.body;
      return runMutation(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const endpoint = await rotateEndpointSecret(trx, ctx.secrets, scopeOf(req, env), id, expire_previous_in_seconds, ctx.clock.now());
        await auditAction(ctx, trx, req, env, "webhook.secret_rotated", { type: "webhook_endpoint", id }, { expire_previous_in_seconds, secret_hint: endpoint.secret_hint });
        return { body: ok("Secret rotated; store the new secret now, it is not shown again", { endpoint }), replayAs: shownOnce(endpoint, "rotated the secret of") };
      });
    },
  );

  app.post("/webhooks/delete", { schema: { summary: "Delete a webhook endpoint and its pending deliveries", body: DashboardWebhookIdBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "delete webhook endpoints");
    const { env, id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const endpoint = await deleteEndpoint(trx, scopeOf(req, env), id, ctx.clock.now());
      await auditAction(ctx, trx, req, env, "webhook.deleted", { type: "webhook_endpoint", id }, { url: endpoint.url });
      return ok("Webhook endpoint deleted", { endpoint });
    });
  });

  // ----- deliveries ----------------------------------------------------------------------------
  app.get("/webhooks/deliveries", { schema: { summary: "Webhook deliveries, newest first (by endpoint, event or status)", querystring: DeliveryListQuery } }, async (req) => {
    const { env, page, limit, ...filter } = req.query;
    const scope = scopeOf(req, env);
    // The endpoint's page lists its deliveries under it; an endpoint that is not the company's is a 404, like a missing one.
    const endpoint = filter.endpoint_id === undefined ? null : await getEndpoint(db, scope, filter.endpoint_id, ctx.clock.now());
    return ok("Webhook deliveries retrieved", { ...(await listDeliveries(db, scope, filter, page, limit)), endpoint });
  });

  app.get(
    "/webhooks/deliveries/:id",
    { schema: { summary: "One delivery: the request sent (the event body) and every attempt's response", params: IdParams, querystring: EnvQuery } },
    async (req) => ok("Webhook delivery retrieved", await getDelivery(db, scopeOf(req, req.query.env), req.params.id)),
  );

  app.post("/webhooks/deliveries/resend", { schema: { summary: "Send a delivery again (same webhook-id)", body: DashboardResendBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "resend webhooks");
    const { env, id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const delivery = await resendDelivery(trx, scopeOf(req, env), id, ctx.clock.now());
      await auditAction(ctx, trx, req, env, "webhook.delivery_resent", { type: "webhook_delivery", id }, { event_id: delivery.event_id, endpoint_id: delivery.endpoint_id });
      return ok("Webhook delivery queued for resending", { delivery });
    });
  });

  app.post(
    "/webhooks/deliveries/resend-failed",
    { schema: { summary: "Send every failed delivery of a time range again (one endpoint's, or every enabled one's)", body: DashboardResendFailedBody } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "resend webhooks");
      const { env, endpoint_id, from, to } = req.body;
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const result = await resendFailedDeliveries(trx, scopeOf(req, env), { endpoint_id, from: dateOf(from)!, to: dateOf(to)! }, ctx.clock.now());
        await auditAction(ctx, trx, req, env, "webhook.failed_resent", { type: "webhook_endpoint", id: endpoint_id ?? "all" }, { from, to, ...result });
        return ok("Failed webhook deliveries queued for resending", result);
      });
    },
  );

  // ----- the events feed -----------------------------------------------------------------------
  app.get("/events", { schema: { summary: "The events feed (by type or object), newest first, with a cursor", querystring: DashboardEventsQuery } }, async (req) => {
    const { env, from, to, ...options } = req.query;
    return ok("Events retrieved", await listEvents(db, scopeOf(req, env), { ...options, from: dateOf(from), to: dateOf(to) }));
  });

  app.get("/events/:id", { schema: { summary: "One event, with its deliveries", params: IdParams, querystring: EnvQuery } }, async (req) => {
    const scope = scopeOf(req, req.query.env);
    const event = await getEvent(db, scope, req.params.id);
    const { deliveries } = await listDeliveries(db, scope, { event_id: event.id }, 1, 100);
    return ok("Event retrieved", { event, deliveries });
  });
};
