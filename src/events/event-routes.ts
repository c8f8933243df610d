import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { tenantScope } from "../http/api-auth.js";
import { ok } from "../core/envelope.js";
import { mutate } from "../http/idempotency.js";
import type { KeyPrincipal } from "../platform/keys.js";
import {
  DeliveryDetailResponse,
  DeliveryResponse,
  EventResponse,
  GetDeliveryBody,
  GetEventBody,
  ListDeliveriesBody,
  ListDeliveriesResponse,
  ListEventsBody,
  ListEventsQuery,
  ListEventsResponse,
  ResendDeliveryBody,
  ResendFailedBody,
  ResendFailedResponse,
  type ListEventsInput,
} from "./event-schemas.js";
import { getDelivery, getEvent, listDeliveries, listEvents, resendDelivery, resendFailedDeliveries } from "./events.js";
import type { Scope } from "../core/tenancy.js";

const tags = ["Events"];
/** Deliveries live under `/webhooks/`, next to the endpoints they go to. */
const webhookTags = ["Webhooks"];
const scopeOf = (t: KeyPrincipal): Scope => ({ companyId: t.companyId, env: t.env });
/** A date alone means its midnight UTC (Date.parse's reading of `YYYY-MM-DD`). */
const dateOf = (value: string | undefined) => (value === undefined ? undefined : new Date(Date.parse(value)));

/**
 * `/v2/events/*` (the events feed: every event of the key's company and environment, for
 * receivers that catch up without webhooks) and `/v2/webhooks/deliveries/*` (what was sent where,
 * every attempt, and replay). Okro extensions; the events are Okra-shaped webhook bodies.
 */
export const eventRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const list = {
    tags,
    summary: "List events (the events feed)",
    description:
      "The events of your company in the key's environment, newest first (or oldest first with `order: asc`), with cursor pagination: pass an event id as `starting_after` for the next page, or `ending_before` for the previous one. To catch up after downtime, page with `order: asc` and `starting_after` = the last event you processed until `has_more` is false; to poll later, start again from an event about 10 seconds older than your newest and skip ids you have seen (an event is placed by when its change was made, and one committed a moment late can land just behind your newest). Filters: `type` (exact, or `payment.*`), `object_id`, `from`/`to` (created_at, from ≤ t < to).",
    response: { 200: ListEventsResponse },
  };
  const listed = async (req: { tenant: KeyPrincipal }, input: ListEventsInput) =>
    ok("Events retrieved successfully", await listEvents(ctx.db, scopeOf(req.tenant), { ...input, from: dateOf(input.from), to: dateOf(input.to) }));
  app.get("/events/list", { schema: { ...list, querystring: ListEventsQuery } }, async (req) => listed(req, req.query));
  app.post("/events/list", { schema: { ...list, body: ListEventsBody } }, async (req) => listed(req, req.body));

  app.post(
    "/events/get",
    { schema: { tags, summary: "Get one event by id", body: GetEventBody, response: { 200: EventResponse } } },
    async (req) => ok("Event retrieved successfully", { event: await getEvent(ctx.db, scopeOf(req.tenant), req.body.id) }),
  );

  app.post(
    "/webhooks/deliveries/list",
    {
      schema: {
        tags: webhookTags,
        summary: "List webhook deliveries",
        description: "One delivery per event and endpoint, newest first; filter by endpoint, event or status.",
        body: ListDeliveriesBody,
        response: { 200: ListDeliveriesResponse },
      },
    },
    async (req) => {
      const { page, limit, ...filter } = req.body;
      return ok("Webhook deliveries retrieved successfully", await listDeliveries(ctx.db, scopeOf(req.tenant), filter, page, limit));
    },
  );

  app.post(
    "/webhooks/deliveries/get",
    {
      schema: {
        tags: webhookTags,
        summary: "Get one webhook delivery with its attempts",
        description: "The delivery, every attempt (status code, latency, error, the start of the response) and the event it carries.",
        body: GetDeliveryBody,
        response: { 200: DeliveryDetailResponse },
      },
    },
    async (req) => ok("Webhook delivery retrieved successfully", await getDelivery(ctx.db, scopeOf(req.tenant), req.body.id)),
  );

  app.post(
    "/webhooks/deliveries/resend",
    {
      schema: {
        tags: webhookTags,
        summary: "Resend a webhook delivery",
        description:
          "Puts the delivery back in the queue, due now: the same delivery, so the same `webhook-id` (receivers de-duplicate by it). Works for succeeded and failed deliveries. 409 `CONFLICT` while a worker is sending it; 422 `UNPROCESSABLE` when its endpoint is disabled (re-enable it first).",
        body: ResendDeliveryBody,
        response: { 200: DeliveryResponse },
      },
    },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
        ok("Webhook delivery queued for resending", { delivery: await resendDelivery(trx, scopeOf(req.tenant), req.body.id, ctx.clock.now()) }),
      ),
  );

  app.post(
    "/webhooks/deliveries/resend-failed",
    {
      schema: {
        tags: webhookTags,
        summary: "Resend every failed webhook delivery in a time range",
        description:
          "Re-queues the failed deliveries created in [from, to) (at most 31 days), of one endpoint or of every enabled endpoint, each with its own `webhook-id` as before. Deliveries to disabled endpoints are left alone and counted.",
        body: ResendFailedBody,
        response: { 200: ResendFailedResponse },
      },
    },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const { endpoint_id, from, to } = req.body;
        const range = { endpoint_id, from: dateOf(from)!, to: dateOf(to)! };
        return ok("Failed webhook deliveries queued for resending", await resendFailedDeliveries(trx, scopeOf(req.tenant), range, ctx.clock.now()));
      }),
  );
};
