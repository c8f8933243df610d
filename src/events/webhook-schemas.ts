import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { ID_PATTERN } from "../lib/ids.js";
import { DEFAULT_PREVIOUS_SECRET_TTL_SECONDS, ENDPOINT_URL_MAX_LENGTH, endpointUrlProblem, MAX_PREVIOUS_SECRET_TTL_SECONDS } from "./endpoints.js";

/**
 * The `/v2/webhooks/*` contract (an Okro extension: Okra configured webhooks only in its
 * dashboard). Mutating bodies are strict: an unknown field is a 400 naming it. The URL rules that
 * depend on the environment (no private addresses in production) are the service's.
 */

const Id = z.string().regex(ID_PATTERN, "must be a 24-character hex id");

/** Dotted, product first: `balance.success`, `payment.completed`. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$/;
const EVENT_TYPES_MAX = 100;

const Url = z
  .string()
  .trim()
  // abort: a URL too long is not also parsed (and reported twice).
  .max(ENDPOINT_URL_MAX_LENGTH, { error: `must be at most ${ENDPOINT_URL_MAX_LENGTH} characters`, abort: true })
  .superRefine((value, check) => {
    const problem = endpointUrlProblem(value);
    if (problem) check.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: `Where deliveries are POSTed: an absolute http(s) URL (at most ${ENDPOINT_URL_MAX_LENGTH} characters, no credentials, no fragment). In production not localhost or a private address; sandbox endpoints may point anywhere, localhost included.`,
  });
const Description = z.string().trim().max(500, "must be at most 500 characters").meta({ description: "Your note about the endpoint" });
const EventTypes = z
  .array(z.string().max(100, "must be at most 100 characters").regex(EVENT_TYPE_PATTERN, "must be a dotted event type such as payment.completed"))
  .max(EVENT_TYPES_MAX, `must have at most ${EVENT_TYPES_MAX} entries`)
  .meta({ description: "Event types to deliver (e.g. balance.success, payment.completed); empty or absent: every type" });
const Enabled = z.boolean().meta({ description: "Whether events are delivered to it (default true)" });
const BearerToken = z
  .string()
  .min(1, "must not be empty")
  .max(512, "must be at most 512 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
  .meta({
    description:
      "Okra-compatible: sent as `Authorization: Bearer <token>` with every delivery, for receivers written for Okra's protected endpoints. Stored encrypted, never shown again.",
  });

export const CreateWebhookBody = z.strictObject({
  url: Url,
  description: Description.optional(),
  event_types: EventTypes.optional(),
  enabled: Enabled.default(true),
  bearer_token: BearerToken.optional(),
});

export const UpdateWebhookBody = z.strictObject({
  id: Id,
  url: Url.optional(),
  description: Description.nullable().optional().meta({ description: "Your note about the endpoint; null clears it" }),
  event_types: EventTypes.optional(),
  enabled: Enabled.optional().meta({ description: "false stops deliveries (events meanwhile get none: read them from events/list); true resumes deliveries of new events and clears disabled_reason" }),
  bearer_token: BearerToken.nullable().optional().meta({ description: "A new bearer token (see webhooks/create); null stops sending one" }),
});

export const WebhookIdBody = z.strictObject({ id: Id });
export const GetWebhookBody = z.object({ id: Id });
export const ListWebhooksBody = z.object({ page: PageParams.page, limit: PageParams.limit });

export const RotateWebhookSecretBody = z.strictObject({
  id: Id,
  expire_previous_in_seconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0, "must be at least 0")
    .max(MAX_PREVIOUS_SECRET_TTL_SECONDS, `must be at most ${MAX_PREVIOUS_SECRET_TTL_SECONDS} (7 days)`)
    .default(DEFAULT_PREVIOUS_SECRET_TTL_SECONDS)
    .meta({
      description: `How long the current secret keeps signing deliveries next to the new one (default ${DEFAULT_PREVIOUS_SECRET_TTL_SECONDS}: a day; 0: it stops at once)`,
    }),
});

export const WebhookEndpoint = z
  .object({
    _id: z.string(),
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).meta({ description: "Empty: every event type" }),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .meta({ description: "Why Okro disabled it (e.g. the receiver answered 410 Gone); null when enabled or disabled by you" }),
    source: z.enum(["api", "app"]).meta({ description: "app: an app's callback_url, changed through apps/update; api: made here" }),
    app_id: z.string().nullable().meta({ description: "The app whose callback_url this is (source app)" }),
    has_bearer_token: z.boolean(),
    secret_hint: z.string().meta({ description: "The signing secret's last 4 characters, to tell secrets apart (never the secret)" }),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .meta({ description: "Until when the secret before the last rotation still signs deliveries (with the new one); null when it does not" }),
    env: z.enum(["sandbox", "production"]),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "WebhookEndpoint" });

const Secret = z.string().meta({
  description: "The Standard Webhooks signing secret (whsec_…): verify `webhook-signature` with it. Shown only in this response; store it now.",
});

export const WebhookResponse = envelope(z.object({ endpoint: WebhookEndpoint }));
export const WebhookWithSecretResponse = envelope(z.object({ endpoint: WebhookEndpoint.extend({ secret: Secret }) }));
export const ListWebhooksResponse = envelope(z.object({ endpoints: z.array(WebhookEndpoint), pagination: Pagination }));
export const TestWebhookResponse = envelope(
  z.object({
    event_id: z.string().meta({ description: "The webhook.test event, delivered to this endpoint only (see the events list)" }),
    endpoint_id: z.string(),
  }),
);
