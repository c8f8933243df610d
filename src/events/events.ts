import { sql } from "kysely";
import type { DeliveryStatus, Env } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { offsetOf, paginate, type Pagination } from "../core/paging.js";
import { advanceQueued, jobSchedules, type JobSchedule } from "../jobs/store.js";
import type { EventPayload } from "./emit.js";
import { cancelDeliveryJobs, DELIVERY_JOB, deliveryJobKey, lockObjectsOf, lockObjectsWhere, settleQueues } from "./queues.js";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/**
 * The read and replay side of the event log: the events feed (cursor-paginated, for receivers
 * that catch up without webhooks), webhook deliveries with their attempts, resending one delivery
 * or every failed one in a time range, and the sandbox clock's hold on delivery schedules.
 *
 * Everything is filtered by company and environment: another tenant's (or environment's) event
 * or delivery is "not found", exactly like a missing one.
 */

// ---------------------------------------------------------------------------------------------
// The events feed
// ---------------------------------------------------------------------------------------------

export interface ListEventsOptions {
  limit: number;
  /** `desc`: newest first (default). `asc`: oldest first. */
  order: "asc" | "desc";
  /** An event id: the events after it in `order`. */
  starting_after?: string | undefined;
  /** An event id: the events just before it in `order` (returned in `order`). */
  ending_before?: string | undefined;
  /** Exact type, or a prefix ending in `.*`. */
  type?: string | undefined;
  object_id?: string | undefined;
  /** created_at ≥ from. */
  from?: Date | undefined;
  /** created_at < to. */
  to?: Date | undefined;
}

export interface EventPage {
  events: EventPayload[];
  has_more: boolean;
  next_cursor: string | null;
}

/** `%`, `_` and `\` are LIKE's metacharacters; a type prefix means itself. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of the feed. Keyset pagination on (created_at, id): a page is "the `limit` events
 * after (or before) the cursor's position", so events that arrive between pages never shift
 * what the next page holds (unlike offsets). An event is placed by when its change was made,
 * not when it committed: one committed a moment late can land just behind a cursor a poller has
 * passed, so pollers overlap their last few seconds (see decision 0010).
 *
 * `next_cursor` continues in the direction asked (the last event of a `starting_after` page,
 * the first of an `ending_before` page); it is given even when `has_more` is false, so a poller
 * in `asc` order keeps it and asks again later.
 */
export async function listEvents(db: Executor, scope: Scope, options: ListEventsOptions): Promise<EventPage> {
  const cursorId = options.starting_after ?? options.ending_before;
  if (cursorId !== undefined) {
    const cursor = await db
      .selectFrom("events")
      .select("id")
      .where("id", "=", cursorId)
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .executeTakeFirst();
    if (!cursor) {
      const field = options.starting_after !== undefined ? "starting_after" : "ending_before";
      throw new OkroError("NOT_FOUND", `${field}: no event with this id in this environment`, { field });
    }
  }
  // Walking backwards (ending_before) reads the other way from the cursor, then flips the page.
  const backwards = options.ending_before !== undefined;
  const ascending = (options.order === "asc") !== backwards;
  const direction = ascending ? "asc" : "desc";

  let query = db
    .selectFrom("events")
    .select(["id", "payload"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env);
  if (options.type !== undefined) {
    query = options.type.endsWith(".*")
      ? query.where("type", "like", likePrefix(options.type.slice(0, -1)))
      : query.where("type", "=", options.type);
  }
  if (options.object_id !== undefined) query = query.where("object_id", "=", options.object_id);
  if (options.from !== undefined) query = query.where("created_at", ">=", options.from);
  if (options.to !== undefined) query = query.where("created_at", "<", options.to);
  if (cursorId !== undefined) {
    // Compared with the cursor row as stored (no round trip through a JS Date).
    const position = sql`(SELECT c.created_at, c.id FROM events c WHERE c.id = ${cursorId})`;
    query = query.where(ascending ? sql<boolean>`(created_at, id) > ${position}` : sql<boolean>`(created_at, id) < ${position}`);
  }
  const rows = await query.orderBy("created_at", direction).orderBy("id", direction).limit(options.limit + 1).execute();

  const has_more = rows.length > options.limit;
  const page = rows.slice(0, options.limit);
  if (backwards) page.reverse();
  const events = page.map((row) => row.payload as EventPayload);
  const edge = backwards ? events[0] : events[events.length - 1];
  return { events, has_more, next_cursor: edge?.id ?? cursorId ?? null };
}

/** One event, as its receivers get it. */
export async function getEvent(db: Executor, scope: Scope, id: string): Promise<EventPayload> {
  const row = await db
    .selectFrom("events")
    .select("payload")
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", "event not found", { field: "id" });
  return row.payload as EventPayload;
}

// ---------------------------------------------------------------------------------------------
// Deliveries
// ---------------------------------------------------------------------------------------------

export interface DeliveryView {
  /** Sent as `webhook-id`: the same on every attempt and on a resend, so receivers de-duplicate. */
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  env: Env;
  object: { type: string; id: string };
  sequence: number;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  leased_until: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function deliveriesOf(db: Executor, scope: Scope) {
  return db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("events as e", "e.id", "d.event_id")
    .select([
      "d.id",
      "d.event_id",
      "e.type as event_type",
      "d.endpoint_id",
      "d.env",
      "e.object_type",
      "e.object_id",
      "d.sequence",
      "d.status",
      "d.attempts",
      "d.last_status_code",
      "d.last_error",
      "d.created_at",
      "d.updated_at",
    ])
    .where("d.company_id", "=", scope.companyId)
    .where("d.env", "=", scope.env);
}
type DeliveryRow = Awaited<ReturnType<ReturnType<typeof deliveriesOf>["executeTakeFirstOrThrow"]>>;

/**
 * Views of these rows, with when each is tried next and whether it is being sent now, read from
 * its `webhooks.deliver` job: queued → `next_attempt_at` is the job's due time; running →
 * `leased_until` is its lease's end; a pending delivery with neither is parked behind an earlier
 * one of its object.
 */
async function deliveryViews(db: Executor, rows: readonly DeliveryRow[]): Promise<DeliveryView[]> {
  const jobs = await jobSchedules(
    db,
    DELIVERY_JOB,
    rows.filter((r) => r.status === "pending").map((r) => deliveryJobKey(r.id)),
  );
  return rows.map((row) => deliveryView(row, jobs.get(deliveryJobKey(row.id))));
}

function deliveryView(row: DeliveryRow, job: JobSchedule | undefined): DeliveryView {
  const pending = row.status === "pending";
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    endpoint_id: row.endpoint_id,
    env: row.env,
    object: { type: row.object_type, id: row.object_id },
    sequence: Number(row.sequence),
    status: row.status,
    attempt_count: row.attempts,
    next_attempt_at: pending && job?.state === "queued" ? iso(job.run_at) : null,
    leased_until: pending && job?.state === "running" ? iso(job.lease_until) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const deliveryNotFound = () => new OkroError("NOT_FOUND", "webhook delivery not found", { field: "id" });

export interface DeliveryFilter {
  endpoint_id?: string | undefined;
  event_id?: string | undefined;
  status?: DeliveryStatus | undefined;
}

/** Newest first, Okra-style pages. */
export async function listDeliveries(
  db: Executor,
  scope: Scope,
  filter: DeliveryFilter,
  page: number,
  limit: number,
): Promise<{ deliveries: DeliveryView[]; pagination: Pagination }> {
  let rows = deliveriesOf(db, scope);
  let count = db
    .selectFrom("webhook_deliveries as d")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("d.company_id", "=", scope.companyId)
    .where("d.env", "=", scope.env);
  if (filter.endpoint_id !== undefined) {
    rows = rows.where("d.endpoint_id", "=", filter.endpoint_id);
    count = count.where("d.endpoint_id", "=", filter.endpoint_id);
  }
  if (filter.event_id !== undefined) {
    rows = rows.where("d.event_id", "=", filter.event_id);
    count = count.where("d.event_id", "=", filter.event_id);
  }
  if (filter.status !== undefined) {
    rows = rows.where("d.status", "=", filter.status);
    count = count.where("d.status", "=", filter.status);
  }
  const [found, total] = await Promise.all([
    rows.orderBy("d.created_at", "desc").orderBy("d.id", "desc").limit(limit).offset(offsetOf(page, limit)).execute(),
    count.executeTakeFirstOrThrow(),
  ]);
  return { deliveries: await deliveryViews(db, found), pagination: paginate(total.n, page, limit) };
}

/** A delivery with every attempt (first first) and the event it carries. */
export async function getDelivery(
  db: Executor,
  scope: Scope,
  id: string,
): Promise<{ delivery: DeliveryView; attempts: AttemptView[]; event: EventPayload }> {
  const row = await deliveriesOf(db, scope).where("d.id", "=", id).executeTakeFirst();
  if (!row) throw deliveryNotFound();
  const [attempts, event] = await Promise.all([
    db
      .selectFrom("webhook_attempts")
      .select(["attempt", "started_at", "duration_ms", "status_code", "error", "response_snippet"])
      .where("delivery_id", "=", id)
      .orderBy("attempt", "asc")
      .execute(),
    getEvent(db, scope, row.event_id),
  ]);
  return {
    delivery: (await deliveryViews(db, [row]))[0]!,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      started_at: a.started_at.toISOString(),
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      error: a.error,
      response_snippet: a.response_snippet,
    })),
    event,
  };
}

/** How to turn a disabled endpoint back on: an app's callback_url endpoint follows the app. */
const howToEnable = (appId: string | null) =>
  appId === null ? "re-enable it (webhooks/update with enabled: true)" : `set the callback_url of app ${appId} again (apps/update)`;

const disabledEndpoint = (field: string, endpoint: { disabled_reason: string | null; app_id: string | null }) =>
  new OkroError(
    "UNPROCESSABLE",
    `${field}: the webhook endpoint is disabled${endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ""}; ${howToEnable(endpoint.app_id)}, then resend`,
    { field },
  );

/**
 * Puts one delivery back in the queue: pending, due now, no lease. The delivery keeps its id, so
 * the resend carries the same `webhook-id` (receivers de-duplicate by it) and continues its
 * attempt count. Works for succeeded and failed deliveries (and for a pending one waiting for its
 * retry: it becomes due now). Refused while a worker holds it (pending with a live lease: 409)
 * and when its endpoint is disabled (422: its job would not send it).
 *
 * Per-object order still holds: the delivery jobs send one object's pending deliveries to one endpoint
 * in sequence order, so a resent older event goes out before newer pending ones of that object
 * (they are parked behind it: a former head waiting for a retry is then tried when the resent
 * one finishes, not on its old schedule), and a resent newer event does not jump the queue: it
 * is parked (no job) until the earlier pending ones finish. Call it in a
 * transaction: it holds the object's event_sequences lock (see queues.ts) while it re-queues.
 */
export async function resendDelivery(trx: Executor, scope: Scope, id: string, now: Date): Promise<DeliveryView> {
  const current = await trx
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as w", "w.id", "d.endpoint_id")
    .select(["d.id", "d.event_id", "d.endpoint_id", "d.object_key", "w.enabled", "w.disabled_reason", "w.app_id"])
    .where("d.id", "=", id)
    .where("d.company_id", "=", scope.companyId)
    .where("d.env", "=", scope.env)
    .executeTakeFirst();
  if (!current) throw deliveryNotFound();
  if (!current.enabled) throw disabledEndpoint("id", current);
  await lockObjectsOf(trx, [current.event_id]);
  // Holding the object's lock, no run of this delivery can record an outcome meanwhile; one that
  // is sending right now (a live lease) is left to finish, and we say so.
  const job = (await jobSchedules(trx, DELIVERY_JOB, [deliveryJobKey(id)])).get(deliveryJobKey(id));
  if (job?.state === "running" && job.lease_until !== null && job.lease_until > now) {
    throw new OkroError("CONFLICT", "id: this delivery is being sent by a worker right now; wait for the attempt to finish (deliveries/get shows it), then resend", {
      field: "id",
    });
  }
  await trx.updateTable("webhook_deliveries").set({ status: "pending", updated_at: now }).where("id", "=", id).execute();
  // A retry waiting for its time is withdrawn, so the resend (if it is its queue's head) is due now.
  await cancelDeliveryJobs(trx, [id]);
  await settleQueues(trx, [current], now);
  const row = await deliveriesOf(trx, scope).where("d.id", "=", id).executeTakeFirstOrThrow();
  return (await deliveryViews(trx, [row]))[0]!;
}

/**
 * Re-queues every failed delivery created in [from, to) — of one endpoint, or of every enabled
 * endpoint — as {@link resendDelivery} does one (each parked behind earlier pending deliveries
 * of its object, if any). Deliveries to disabled endpoints stay failed and are counted in
 * `skipped_disabled`; naming a disabled endpoint is a 422.
 */
export async function resendFailedDeliveries(
  trx: Executor,
  scope: Scope,
  range: { endpoint_id?: string | undefined; from: Date; to: Date },
  now: Date,
): Promise<{ count: number; skipped_disabled: number }> {
  if (range.endpoint_id !== undefined) {
    const endpoint = await trx
      .selectFrom("webhook_endpoints")
      .select(["enabled", "disabled_reason", "app_id"])
      .where("id", "=", range.endpoint_id)
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .executeTakeFirst();
    if (!endpoint) throw new OkroError("NOT_FOUND", "endpoint_id: webhook endpoint not found", { field: "endpoint_id" });
    if (!endpoint.enabled) throw disabledEndpoint("endpoint_id", endpoint);
  }
  const enabledEndpoints = trx
    .selectFrom("webhook_endpoints")
    .select("id")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("enabled", "=", true);
  const inRange = trx
    .selectFrom("webhook_deliveries")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("status", "=", "failed")
    .where("created_at", ">=", range.from)
    .where("created_at", "<", range.to)
    .$if(range.endpoint_id !== undefined, (qb) => qb.where("endpoint_id", "=", range.endpoint_id!));
  const { n: skippedDisabled } = await inRange
    .select(sql<number>`count(*)::int`.as("n"))
    .where("endpoint_id", "not in", enabledEndpoints)
    .executeTakeFirstOrThrow();
  const toResend = inRange.where("endpoint_id", "in", enabledEndpoints);
  // The objects' locks first (key order), as every writer of the queues takes them (emit.ts).
  await lockObjectsWhere(trx, sql`${toResend.select("event_id")}`);
  const requeued = await trx
    .updateTable("webhook_deliveries")
    .set({ status: "pending", updated_at: now })
    .where("id", "in", toResend.select("id"))
    .returning(["endpoint_id", "object_key"])
    .execute();
  await settleQueues(trx, requeued, now);
  return { count: requeued.length, skipped_disabled: skippedDisabled };
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/**
 * The sandbox clock's hold on webhook schedules. The job runner compares a job's due time with
 * the process clock, which an advance of a company's sandbox clock does not move; so the advance
 * brings that company's queued sandbox deliveries forward by the same amount instead: a retry due
 * in 5 h is due at once after advancing 5 h (and one due in 10 h, in 5 h). Production deliveries
 * are never touched. Called by `POST /v2/sandbox/clock/advance` (the realm is the company).
 */
export async function shiftSandboxSchedules(db: Executor, companyId: string, ms: number): Promise<number> {
  if (!(ms > 0)) return 0;
  return advanceQueued(
    db,
    DELIVERY_JOB,
    sql`SELECT 'delivery:' || d.id FROM webhook_deliveries d WHERE d.company_id = ${companyId} AND d.env = 'sandbox' AND d.status = 'pending'`,
    ms,
  );
}

// ---------------------------------------------------------------------------------------------
// An object's activity (the dashboard's timelines)
// ---------------------------------------------------------------------------------------------

export interface ObjectEventView {
  event: EventPayload;
  deliveries: Array<DeliveryView & { attempts: AttemptView[] }>;
}

/** How many events one timeline shows (an object has a handful; a cap keeps a pathological one cheap). */
const ACTIVITY_LIMIT = 200;

/**
 * The events of some objects (a payment and its refunds), oldest first, each with its webhook
 * deliveries and every attempt (status code, error, response snippet). Scoped to the company and
 * environment: another tenant's object ids find nothing.
 */
export async function objectActivity(db: Executor, scope: Scope, objectIds: readonly string[]): Promise<ObjectEventView[]> {
  if (objectIds.length === 0) return [];
  const events = await db
    .selectFrom("events")
    .select(["id", "payload"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("object_id", "in", [...objectIds])
    .orderBy("created_at", "asc")
    .orderBy("id", "asc")
    .limit(ACTIVITY_LIMIT)
    .execute();
  if (events.length === 0) return [];
  const deliveries = await deliveriesOf(db, scope)
    .where(
      "d.event_id",
      "in",
      events.map((e) => e.id),
    )
    .orderBy("d.created_at", "asc")
    .execute();
  const attempts =
    deliveries.length === 0
      ? []
      : await db
          .selectFrom("webhook_attempts")
          .select(["delivery_id", "attempt", "started_at", "duration_ms", "status_code", "error", "response_snippet"])
          .where(
            "delivery_id",
            "in",
            deliveries.map((d) => d.id),
          )
          .orderBy("attempt", "asc")
          .execute();
  const attemptsOf = new Map<string, AttemptView[]>();
  for (const a of attempts) {
    const list = attemptsOf.get(a.delivery_id) ?? [];
    list.push({ attempt: a.attempt, started_at: a.started_at.toISOString(), duration_ms: a.duration_ms, status_code: a.status_code, error: a.error, response_snippet: a.response_snippet });
    attemptsOf.set(a.delivery_id, list);
  }
  const views = await deliveryViews(db, deliveries);
  const byEvent = new Map<string, ObjectEventView["deliveries"]>();
  for (const d of views) {
    const list = byEvent.get(d.event_id) ?? [];
    list.push({ ...d, attempts: attemptsOf.get(d.id) ?? [] });
    byEvent.set(d.event_id, list);
  }
  return events.map((e) => ({ event: e.payload as EventPayload, deliveries: byEvent.get(e.id) ?? [] }));
}
