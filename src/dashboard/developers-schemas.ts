import { z } from "zod";
import { PageParams } from "../core/paging.js";
import { ListEventsQuery, ResendFailedBody } from "../events/event-schemas.js";
import { CreateWebhookBody, RotateWebhookSecretBody, UpdateWebhookBody } from "../events/webhook-schemas.js";
import { ID_PATTERN } from "../lib/ids.js";
import { EnvParam } from "../platform/schemas.js";

/**
 * Request contracts of the dashboard's Developers pages (webhooks, deliveries, the events feed,
 * the API request log). Bodies are the `/v2/webhooks/*` and `/v2/events/*` schemas themselves
 * with the environment chosen in the dashboard (`env`), so a URL, an event type or a resend
 * window is judged exactly as the API judges it.
 */

const Id = z.string().regex(ID_PATTERN, "must be a 24-character hex id");
const page = { page: PageParams.page, limit: PageParams.limit };

export const EnvQuery = z.object({ env: EnvParam });
export const IdParams = z.object({ id: Id });
export const EndpointListQuery = z.object({ env: EnvParam, ...page });

export const DashboardCreateWebhookBody = CreateWebhookBody.extend({ env: EnvParam });
export const DashboardUpdateWebhookBody = UpdateWebhookBody.extend({ env: EnvParam });
export const DashboardRotateWebhookBody = RotateWebhookSecretBody.extend({ env: EnvParam });
export const DashboardWebhookIdBody = z.strictObject({ env: EnvParam, id: Id });

export const DeliveryListQuery = z.object({
  env: EnvParam,
  endpoint_id: Id.optional(),
  event_id: Id.optional(),
  status: z.enum(["pending", "succeeded", "failed"], { error: "must be pending, succeeded or failed" }).optional(),
  ...page,
});
export const DashboardResendBody = z.strictObject({ env: EnvParam, id: Id });
/** `safeExtend`: the API's schema carries its window rule (a refinement), which `extend` would drop. */
export const DashboardResendFailedBody = ResendFailedBody.safeExtend({ env: EnvParam });

export const DashboardEventsQuery = ListEventsQuery.safeExtend({ env: EnvParam });

const Filter = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).optional();
const STATUS_FILTER = /^(?:[1-5]xx|[1-5]\d\d)$/;
/** `/dashboard/api/request-log`: every filter in the query string, as the page keeps them in its URL. */
export const RequestLogQuery = z.object({
  env: EnvParam,
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"], { error: "must be GET, POST, PUT, PATCH or DELETE" }).optional(),
  status: z.string().trim().regex(STATUS_FILTER, "must be a status (404) or a class (2xx, 4xx, 5xx)").optional(),
  path: Filter(200).meta({ description: "Paths starting with this (/v2/pay/)" }),
  key_id: Id.optional(),
  request_id: Filter(128),
  idempotency_key: Filter(255),
  from: z.iso.datetime({ offset: true, error: "must be an ISO instant" }).or(z.iso.date({ error: "must be a date (YYYY-MM-DD)" })).optional(),
  to: z.iso.datetime({ offset: true, error: "must be an ISO instant" }).or(z.iso.date({ error: "must be a date (YYYY-MM-DD)" })).optional(),
  before: Id.optional().meta({ description: "The last id of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
