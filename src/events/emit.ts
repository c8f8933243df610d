import { sql, type InsertQueryBuilder, type Transaction } from "kysely";
import type { DB, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { queueDeliveries } from "./queues.js";

/**
 * The event log. Every state change a developer cares about calls {@link emitEvent} inside the
 * transaction that makes the change, so an event exists exactly when its change does. The same
 * transaction fans the event out: one delivery per enabled endpoint of the company and
 * environment that wants the type, and a `webhooks.deliver` job for each that is not waiting
 * behind an earlier one of its object (the job runner sends them; queues.ts). Per object, events carry an
 * increasing `sequence` (1, 2, 3…): receivers can order and de-duplicate by it.
 */

export interface NewEvent {
  companyId: string;
  env: Env;
  /** Dotted, product first: `balance.success`, `payment.completed`, `webhook.test`. */
  type: string;
  /** What changed: the Okra object type and id (`record`, `payment`, `mandate`…). */
  object: { type: string; id: string };
  /** The object's state as the receiver needs it (JSON). */
  data: Record<string, unknown>;
  /**
   * Okra's legacy callback fields, for receivers written for Okra (`callback_type: "BALANCE"`,
   * `callback_code: "BALANCE_SUCCESS"`, `record`, …): merged at the top level of the payload.
   */
  legacy?: Record<string, unknown>;
  /**
   * Deliver to this endpoint only (if it is enabled and the company's, in this environment),
   * whatever its event types and whatever other endpoints subscribe to: `webhooks/test`.
   */
  onlyEndpointId?: string;
  /**
   * Deliver to these endpoints as well as to those that want the type (each endpoint once, if
   * enabled and the company's, in this environment): one event, so a receiver that is both sees it
   * once. Bulk payments: a batch's `callback_url`.
   */
  alsoEndpointIds?: readonly string[];
}

/** What a receiver gets (the body of the webhook, and of `events/list` items). */
export interface EventPayload {
  id: string;
  type: string;
  created_at: string;
  env: Env;
  object: { type: string; id: string };
  /** Per object: 1 for its first event, then +1 each. */
  sequence: number;
  data: Record<string, unknown>;
  [legacy: string]: unknown;
}

export interface EmittedEvent {
  id: string;
  sequence: number;
  payload: EventPayload;
  /** Deliveries created for it (one per matching enabled endpoint). */
  deliveries: number;
}

/** The event's INSERT, run as a CTE of the fan-out's endpoint query. */
type InsertEvent = InsertQueryBuilder<DB, "events", { id: string }>;

/** Keys the payload owns; legacy fields with these names are ignored. */
const OWN_KEYS = new Set(["id", "type", "created_at", "env", "object", "sequence", "data"]);

/** Appends an event and its deliveries. Call it inside the transaction of the change. */
export async function emitEvent(trx: Transaction<DB>, event: NewEvent, now: Date): Promise<EmittedEvent> {
  // The row lock of the sequence row orders concurrent events of one object.
  const seq = await sql<{ last: string }>`
    INSERT INTO event_sequences (company_id, env, object_type, object_id, last)
    VALUES (${event.companyId}, ${event.env}, ${event.object.type}, ${event.object.id}, 1)
    ON CONFLICT (company_id, env, object_type, object_id) DO UPDATE SET last = event_sequences.last + 1
    RETURNING last::text AS last
  `.execute(trx);
  const sequence = Number(seq.rows[0]!.last);
  const id = newId(now);
  const legacy = Object.fromEntries(Object.entries(event.legacy ?? {}).filter(([key]) => !OWN_KEYS.has(key)));
  const payload: EventPayload = {
    ...legacy,
    id,
    type: event.type,
    created_at: now.toISOString(),
    env: event.env,
    object: event.object,
    sequence,
    data: event.data,
  };
  // Inserted by the fan-out's statement (a data-modifying CTE): one round trip for both.
  const insertEvent = trx
    .insertInto("events")
    .values({
      id,
      company_id: event.companyId,
      env: event.env,
      type: event.type,
      object_type: event.object.type,
      object_id: event.object.id,
      sequence,
      payload: JSON.stringify(payload),
      created_at: now,
    })
    .returning("id");
  const deliveries = await fanOut(
    trx,
    { id, companyId: event.companyId, env: event.env, type: event.type, objectKey: objectKey(event.object), sequence, onlyEndpointId: event.onlyEndpointId, alsoEndpointIds: event.alsoEndpointIds },
    now,
    insertEvent,
  );
  return { id, sequence, payload, deliveries };
}

/**
 * `webhook_deliveries.object_key`: which per-object queue a delivery is in (with its endpoint).
 * Only ever compared for equality, never parsed (the object's type and id are on its event, and
 * the queue's lock is found through the event). It is unambiguous because object types are code
 * constants without ':' (`payment`, `webhook_endpoint`, …; an id may contain ':').
 */
const objectKey = (object: { type: string; id: string }) => `${object.type}:${object.id}`;

/**
 * One pending delivery per enabled endpoint of the company and environment that wants the type
 * (and per endpoint of `alsoEndpointIds`); with `onlyEndpointId`, one for that endpoint alone (if
 * enabled), whatever types it wants.
 *
 * A delivery that is the head of its (endpoint, object) queue gets its `webhooks.deliver` job
 * here, in the same transaction. One is **parked** (no job) when an earlier delivery of the same
 * object to the same endpoint is still pending: whoever finishes the earlier one enqueues the
 * next ({@link releaseHeads} in queues.ts). The caller holds the object's `event_sequences` row
 * lock (taken first thing in {@link emitEvent}), so a runner finishing that earlier delivery in
 * another process either finished before this statement's snapshot (nothing to wait for: not
 * parked) or waits for this transaction and then sees the parked delivery and releases it.
 */
async function fanOut(
  trx: Transaction<DB>,
  e: { id: string; companyId: string; env: Env; type: string; objectKey: string; sequence: number; onlyEndpointId?: string | undefined; alsoEndpointIds?: readonly string[] | undefined },
  now: Date,
  insertEvent: InsertEvent,
): Promise<number> {
  const only = e.onlyEndpointId;
  const endpoints = await trx
    .with("emitted", () => insertEvent)
    .selectFrom("webhook_endpoints as w")
    .select("w.id")
    // Parked if an earlier delivery of this object to this endpoint is pending (one index probe).
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom("webhook_deliveries as d")
            .select(sql.lit(1).as("one"))
            .whereRef("d.endpoint_id", "=", "w.id")
            .where("d.object_key", "=", e.objectKey)
            .where("d.status", "=", "pending"),
        )
        .as("behind"),
    )
    .where("w.company_id", "=", e.companyId)
    .where("w.env", "=", e.env)
    .where("w.enabled", "=", true)
    .$if(only !== undefined, (qb) => qb.where("w.id", "=", only!))
    .$if(only === undefined, (qb) =>
      qb.where((eb) =>
        eb.or([
          eb(sql`cardinality(w.event_types)`, "=", 0),
          eb(sql.val(e.type), "=", eb.fn.any("w.event_types")),
          ...(e.alsoEndpointIds?.length ? [eb("w.id", "in", [...e.alsoEndpointIds])] : []),
        ]),
      ),
    )
    .execute();
  if (endpoints.length === 0) return 0;
  const rows = endpoints.map((endpoint) => ({ id: newId(now), behind: endpoint.behind, endpointId: endpoint.id }));
  await trx
    .insertInto("webhook_deliveries")
    .values(
      rows.map((row) => ({
        id: row.id,
        event_id: e.id,
        endpoint_id: row.endpointId,
        company_id: e.companyId,
        env: e.env,
        object_key: e.objectKey,
        sequence: e.sequence,
        status: "pending" as const,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  await queueDeliveries(
    trx,
    rows.filter((row) => !row.behind).map((row) => ({ id: row.id, company_id: e.companyId, attempts: 0 })),
    now,
  );
  return endpoints.length;
}

