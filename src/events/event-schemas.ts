import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { DEFAULT_LIMIT, MAX_LIMIT, PageParams, Pagination } from "../core/paging.js";
import { ID_PATTERN } from "../lib/ids.js";

/**
 * The HTTP contract of the events feed (`/v2/events/*`) and of webhook deliveries and replay
 * (`/v2/webhooks/deliveries/*`). Reads take unknown fields quietly (like every list/get);
 * mutating bodies (resend, resend-failed) reject them.
 */

const DAY_MS = 86_400_000;
/** Widest `resend-failed` window: 31 days (ms). */
export const MAX_RESEND_WINDOW_MS = 31 * DAY_MS;

const Id = z.string({ error: "must be a string" }).regex(ID_PATTERN, "must be a 24-character hex id");

/** A date (`2026-05-01`, midnight UTC) or an ISO-8601 instant with its offset. */
const ISO_DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
const Instant = z
  .string({ error: "must be a string" })
  .regex(ISO_DATE_OR_INSTANT, "must be an ISO-8601 date or instant, e.g. 2026-05-01 or 2026-05-01T09:00:00Z")
  .refine((v) => !Number.isNaN(Date.parse(v)), "is not a real date");

/** `payment.completed`, or a prefix ending in `.*` (`payment.*`). */
const EVENT_TYPE_FILTER = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:\.\*)?$/;

const Limit = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`)
  .default(DEFAULT_LIMIT)
  .meta({ description: `Events per page (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})` });

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export const Event = z
  .looseObject({
    id: z.string().meta({ description: "The event id: one per change, the same to every endpoint and in this feed" }),
    type: z.string().meta({ description: "Dotted, product first: `balance.success`, `payment.completed`…" }),
    created_at: z.string(),
    env: z.enum(["sandbox", "production"]),
    object: z.object({ type: z.string(), id: z.string() }).meta({ description: "What changed (Okra object type and id)" }),
    sequence: z.number().int().meta({ description: "Per object: 1 for its first event, then +1 each. Order and de-duplicate by it." }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({
    id: "Event",
    description:
      "What a webhook receiver gets, exactly as it was (or would have been) sent. Okra's legacy callback fields (`callback_type`, `callback_code`, `record`…) sit at the top level where the product has them.",
  });

const listEventsFields = {
  limit: Limit,
  order: z
    .enum(["desc", "asc"], { error: "must be desc or asc" })
    .default("desc")
    .meta({ description: "`desc` (default): newest first. `asc`: oldest first, for catching up from an event you saw." }),
  starting_after: Id.optional().meta({
    description: "An event id: return the events that come after it in this order (with `desc`: older; with `asc`: newer).",
  }),
  ending_before: Id.optional().meta({
    description: "An event id: return the events just before it in this order (with `desc`: the newer ones closest to it), still in this order.",
  }),
  type: z
    .string({ error: "must be a string" })
    .max(100, "must be at most 100 characters")
    .regex(EVENT_TYPE_FILTER, "must be an event type (payment.completed) or a prefix ending in .* (payment.*)")
    .optional()
    .meta({ description: "An event type, exactly, or a prefix ending in `.*` (`payment.*`)" }),
  object_id: z.string({ error: "must be a string" }).min(1, "must not be empty").max(100, "must be at most 100 characters").optional().meta({
    description: "Only the events of this object (a record, payment, mandate… id)",
  }),
  from: Instant.optional().meta({ description: "Only events created at or after this date or instant" }),
  to: Instant.optional().meta({ description: "Only events created before this date or instant" }),
};

function checkListEvents(body: { starting_after?: string | undefined; ending_before?: string | undefined; from?: string | undefined; to?: string | undefined }, check: z.RefinementCtx) {
  if (body.starting_after !== undefined && body.ending_before !== undefined) {
    check.addIssue({ code: "custom", path: ["ending_before"], message: "send starting_after or ending_before, not both" });
  }
  if (body.from !== undefined && body.to !== undefined && Date.parse(body.to) <= Date.parse(body.from)) {
    check.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  }
}

export const ListEventsBody = z.object(listEventsFields).superRefine(checkListEvents);
export const ListEventsQuery = z.object(listEventsFields).superRefine(checkListEvents);
export type ListEventsInput = z.infer<typeof ListEventsBody>;

export const ListEventsResponse = envelope(
  z.object({
    events: z.array(Event),
    has_more: z.boolean().meta({ description: "More events exist in this direction right now: ask again with next_cursor" }),
    next_cursor: z.string().nullable().meta({
      description:
        "Where to continue: pass it as the same cursor you used (starting_after, or ending_before) for the next page in this direction. Set even when has_more is false, so a poller can ask later for events that arrive after it; null only when there is no event to continue from.",
    }),
  }),
);

export const GetEventBody = z.object({ id: Id.meta({ description: "The event id" }) });
export const EventResponse = envelope(z.object({ event: Event }));

// ---------------------------------------------------------------------------------------------
// Webhook deliveries
// ---------------------------------------------------------------------------------------------

const DeliveryStatus = z.enum(["pending", "succeeded", "failed"], { error: "must be pending, succeeded or failed" });

export const Delivery = z
  .object({
    id: z.string().meta({ description: "The delivery id: sent as the `webhook-id` header, the same on every attempt and on a resend" }),
    event_id: z.string(),
    event_type: z.string(),
    endpoint_id: z.string(),
    env: z.enum(["sandbox", "production"]),
    object: z.object({ type: z.string(), id: z.string() }),
    sequence: z.number().int().meta({ description: "The event's per-object sequence: one object's deliveries to one endpoint go out in this order" }),
    status: DeliveryStatus.meta({ description: "pending (waiting or being sent), succeeded (a 2xx), failed (gave up, or the endpoint was disabled)" }),
    attempt_count: z.number().int(),
    next_attempt_at: z.string().nullable().meta({ description: "When a pending delivery is tried next" }),
    leased_until: z.string().nullable().meta({ description: "Set while a worker is sending it" }),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "WebhookDelivery" });

export const DeliveryAttempt = z
  .object({
    attempt: z.number().int().meta({ description: "1 for the first attempt, then +1 each (resends continue the count)" }),
    started_at: z.string(),
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when none came (timeout, refused, DNS…)" }),
    error: z.string().nullable(),
    response_snippet: z.string().nullable().meta({ description: "The start of the receiver's response body" }),
  })
  .meta({ id: "WebhookDeliveryAttempt" });

export const ListDeliveriesBody = z.object({
  endpoint_id: Id.optional().meta({ description: "Only deliveries to this endpoint" }),
  event_id: Id.optional().meta({ description: "Only deliveries of this event" }),
  status: DeliveryStatus.optional(),
  page: PageParams.page,
  limit: PageParams.limit,
});
export const ListDeliveriesResponse = envelope(z.object({ deliveries: z.array(Delivery), pagination: Pagination }));

export const GetDeliveryBody = z.object({ id: Id.meta({ description: "The delivery id" }) });
export const DeliveryDetailResponse = envelope(
  z.object({ delivery: Delivery, attempts: z.array(DeliveryAttempt).meta({ description: "Every attempt, first first" }), event: Event }),
);

export const ResendDeliveryBody = z.strictObject({ id: Id.meta({ description: "The delivery id" }) });
export const DeliveryResponse = envelope(z.object({ delivery: Delivery }));

export const ResendFailedBody = z
  .strictObject({
    endpoint_id: Id.optional().meta({ description: "Only this endpoint's failed deliveries (default: every enabled endpoint's)" }),
    from: Instant.meta({ description: "Deliveries created at or after this date or instant" }),
    to: Instant.meta({ description: "…and before this one (at most 31 days after from)" }),
  })
  .superRefine((body, check) => {
    const span = Date.parse(body.to) - Date.parse(body.from);
    if (span <= 0) check.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    else if (span > MAX_RESEND_WINDOW_MS) check.addIssue({ code: "custom", path: ["to"], message: "must be at most 31 days after from" });
  });
export const ResendFailedResponse = envelope(
  z.object({
    count: z.number().int().meta({ description: "Failed deliveries put back in the queue" }),
    skipped_disabled: z.number().int().meta({ description: "Failed deliveries in the range left alone because their endpoint is disabled" }),
  }),
);
