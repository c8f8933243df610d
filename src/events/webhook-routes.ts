import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import type { AppContext } from "../context.js";
import { tenantScope } from "../http/api-auth.js";
import { errorBody, ok } from "../core/envelope.js";
import { ERROR_STATUS } from "../core/errors.js";
import { mutate, runMutation } from "../http/idempotency.js";
import type { KeyPrincipal } from "../platform/keys.js";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpoint,
  type EndpointWithSecret,
} from "./endpoints.js";
import type { Scope } from "../core/tenancy.js";
import {
  CreateWebhookBody,
  GetWebhookBody,
  ListWebhooksBody,
  ListWebhooksResponse,
  RotateWebhookSecretBody,
  TestWebhookResponse,
  UpdateWebhookBody,
  WebhookIdBody,
  WebhookResponse,
  WebhookWithSecretResponse,
} from "./webhook-schemas.js";

const tags = ["Webhooks"];
const scopeOf = (t: KeyPrincipal): Scope => ({ companyId: t.companyId, env: t.env });

/**
 * What an Idempotency-Key replay of a response that showed a secret answers: the secret is never
 * stored (not even in the idempotency row), so the replay is a 409 naming the endpoint instead.
 */
export function shownOnce(endpoint: EndpointWithSecret, what: string) {
  return {
    statusCode: ERROR_STATUS.CONFLICT,
    body: errorBody(
      "CONFLICT",
      `Idempotency-Key: this request already ${what} webhook endpoint ${endpoint.id}; its signing secret (…${endpoint.secret_hint}) was shown only in the first response. If it was lost, call webhooks/rotate-secret with a new key.`,
      { endpoint_id: endpoint.id, secret_hint: endpoint.secret_hint },
    ),
  };
}

export const SHOWN_ONCE =
  "The signing secret is in this response only. With an Idempotency-Key, a repeat does not run again: it answers 409 CONFLICT naming the endpoint, since the secret is never stored in clear.";

/**
 * `/v2/webhooks/*`: an Okro extension for managing webhook endpoints with the secret key, whose
 * environment is the endpoints'. Apps' callback URLs are endpoints too (`source: "app"`),
 * changed through apps/update.
 */
export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    "/webhooks/create",
    {
      schema: { tags, summary: "Add a webhook endpoint", description: SHOWN_ONCE, body: CreateWebhookBody, response: { 200: WebhookWithSecretResponse } },
    },
    async (req, reply) =>
      runMutation(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const endpoint = await createEndpoint(trx, ctx.secrets, scopeOf(req.tenant), req.body, ctx.clock.now());
        return { body: ok("Webhook endpoint created; store its secret now, it is not shown again", { endpoint }), replayAs: shownOnce(endpoint, "created") };
      }) as Promise<z.infer<typeof WebhookWithSecretResponse>>,
  );

  app.post("/webhooks/list", { schema: { tags, summary: "List webhook endpoints", body: ListWebhooksBody, response: { 200: ListWebhooksResponse } } }, async (req) =>
    ok("Webhook endpoints retrieved successfully", await listEndpoints(ctx.db, scopeOf(req.tenant), req.body.page, req.body.limit, ctx.clock.now())),
  );

  app.post("/webhooks/get", { schema: { tags, summary: "Get one webhook endpoint", body: GetWebhookBody, response: { 200: WebhookResponse } } }, async (req) =>
    ok("Webhook endpoint retrieved successfully", { endpoint: await getEndpoint(ctx.db, scopeOf(req.tenant), req.body.id, ctx.clock.now()) }),
  );

  app.post(
    "/webhooks/update",
    {
      schema: {
        tags,
        summary: "Change a webhook endpoint",
        description: "An app's callback_url endpoint (source app) is changed through apps/update instead (422 here).",
        body: UpdateWebhookBody,
        response: { 200: WebhookResponse },
      },
    },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const { id, ...patch } = req.body;
        return ok("Webhook endpoint updated successfully", { endpoint: await updateEndpoint(trx, ctx.secrets, scopeOf(req.tenant), id, patch, ctx.clock.now()) });
      }),
  );

  app.post(
    "/webhooks/delete",
    {
      schema: {
        tags,
        summary: "Delete a webhook endpoint and its pending deliveries",
        description: "An app's callback_url endpoint (source app) is removed by clearing the app's callback_url instead (422 here).",
        body: WebhookIdBody,
        response: { 200: WebhookResponse },
      },
    },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
        ok("Webhook endpoint deleted successfully", { endpoint: await deleteEndpoint(trx, scopeOf(req.tenant), req.body.id, ctx.clock.now()) }),
      ),
  );

  app.post(
    "/webhooks/rotate-secret",
    {
      schema: {
        tags,
        summary: "Replace an endpoint's signing secret",
        description: `The previous secret keeps signing deliveries (both signatures are sent) until expire_previous_in_seconds pass, so receivers can switch without missing any. Works on app callback_url endpoints too: that is how you get their secret. ${SHOWN_ONCE}`,
        body: RotateWebhookSecretBody,
        response: { 200: WebhookWithSecretResponse },
      },
    },
    async (req, reply) =>
      runMutation(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const { id, expire_previous_in_seconds } = req.body;
        const endpoint = await rotateEndpointSecret(trx, ctx.secrets, scopeOf(req.tenant), id, expire_previous_in_seconds, ctx.clock.now());
        return { body: ok("Secret rotated; store the new secret now, it is not shown again", { endpoint }), replayAs: shownOnce(endpoint, "rotated the secret of") };
      }) as Promise<z.infer<typeof WebhookWithSecretResponse>>,
  );

  app.post(
    "/webhooks/test",
    {
      schema: {
        tags,
        summary: "Send a webhook.test event to one endpoint",
        description: "Delivered to this endpoint only, whatever its event_types. A disabled endpoint is a 422.",
        body: WebhookIdBody,
        response: { 200: TestWebhookResponse },
      },
    },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
        ok("Test event queued for delivery", await sendTestEvent(trx, scopeOf(req.tenant), req.body.id, ctx.clock.now())),
      ),
  );
};
