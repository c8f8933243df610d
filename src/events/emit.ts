import { sql, type RawBuilder, type Transaction } from "kysely";
import type { DB, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import type { Executor } from "../core/db.js";

/**
 * The event log. Every state change a developer cares about calls {@link emitEvent} inside the
 * transaction that makes the change, so an event exists exactly when its change does. The same
 * transaction fans the event out: one delivery per enabled endpoint of the company and
 * environment that wants the type (the worker sends them). Per object, events carry an
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
  await trx
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
    .execute();
  const deliveries = await fanOut(
    trx,
    { id, companyId: event.companyId, env: event.env, type: event.type, objectKey: objectKey(event.object), sequence, onlyEndpointId: event.onlyEndpointId },
    now,
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
 * One pending delivery per enabled endpoint of the company and environment that wants the type;
 * with `onlyEndpointId`, one for that endpoint alone (if enabled), whatever types it wants.
 *
 * A delivery is **parked** (`next_attempt_at` NULL) when an earlier delivery of the same object
 * to the same endpoint is still pending: the worker never looks at parked rows, and whoever
 * finishes the earlier one releases the next ({@link releaseHeads}). The caller holds the
 * object's `event_sequences` row lock (taken first thing in {@link emitEvent}), so a worker
 * finishing that earlier delivery in another process either finished before this statement's
 * snapshot (nothing to wait for: not parked) or waits for this transaction and then sees the
 * parked delivery and releases it.
 */
async function fanOut(
  trx: Transaction<DB>,
  e: { id: string; companyId: string; env: Env; type: string; objectKey: string; sequence: number; onlyEndpointId?: string | undefined },
  now: Date,
): Promise<number> {
  const only = e.onlyEndpointId;
  const endpoints = await trx
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
      qb.where((eb) => eb.or([eb(sql`cardinality(w.event_types)`, "=", 0), eb(sql.val(e.type), "=", eb.fn.any("w.event_types"))])),
    )
    .execute();
  if (endpoints.length === 0) return 0;
  await trx
    .insertInto("webhook_deliveries")
    .values(
      endpoints.map((endpoint) => ({
        id: newId(now),
        event_id: e.id,
        endpoint_id: endpoint.id,
        company_id: e.companyId,
        env: e.env,
        object_key: e.objectKey,
        sequence: e.sequence,
        status: "pending" as const,
        next_attempt_at: endpoint.behind ? null : now,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return endpoints.length;
}

// ---------------------------------------------------------------------------------------------
// The per-(endpoint, object) queues
// ---------------------------------------------------------------------------------------------
//
// Deliveries of one object to one endpoint go out in sequence order. Only the head of such a
// queue (its lowest-sequence pending delivery) has a `next_attempt_at`; the others are parked
// (NULL) and are not in the worker's due index at all, so a head that keeps failing for days
// costs the claim nothing however many events pile up behind it. Whoever makes a pending
// delivery stop being pending (the worker recording an outcome, a 410, a disabled or deleted
// endpoint) releases the next one in the same transaction; whoever makes one pending again (a
// resend) parks what must wait behind it.
//
// Races are closed by the object's `event_sequences` row lock, which emitEvent takes first: every
// writer that parks, finishes or releases deliveries of an object holds it, so they serialize.
// Writers that lock several objects lock them in (company_id, env, object_type, object_id) order.

/** A per-(endpoint, object) queue. */
export interface DeliveryQueue {
  endpoint_id: string;
  object_key: string;
}

/**
 * Locks the `event_sequences` rows of these events' objects, in key order, waiting for holders
 * (an emitEvent transaction, a resend, another worker) to finish. With `skipLocked`, takes only
 * the ones free now and returns which events' objects it holds (callers handle the others one by
 * one, so a worker never waits while holding several locks). Call inside a transaction.
 */
export async function lockObjectsOf(trx: Executor, eventIds: readonly string[], options: { skipLocked?: boolean } = {}): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await sql<{ event_id: string }>`
    SELECT ev.id AS event_id
    FROM events ev
    JOIN event_sequences s
      ON s.company_id = ev.company_id AND s.env = ev.env AND s.object_type = ev.object_type AND s.object_id = ev.object_id
    WHERE ev.id = ANY(${[...new Set(eventIds)]}::text[])
    ORDER BY s.company_id, s.env, s.object_type, s.object_id
    FOR UPDATE OF s ${options.skipLocked ? sql`SKIP LOCKED` : sql``}
  `.execute(trx);
  return new Set(rows.map((r) => r.event_id));
}

/**
 * Locks (waiting, in key order) the `event_sequences` rows of the objects of the events that
 * `eventIds` (a subquery yielding event ids) selects: for writers that touch many deliveries at
 * once (a 410 disabling an endpoint, resend-failed). Call inside a transaction.
 */
export async function lockObjectsWhere(trx: Executor, eventIds: RawBuilder<unknown>): Promise<void> {
  await sql`
    SELECT 1 FROM event_sequences s
    WHERE (s.company_id, s.env, s.object_type, s.object_id) IN (
      SELECT ev.company_id, ev.env, ev.object_type, ev.object_id FROM events ev WHERE ev.id IN (${eventIds})
    )
    ORDER BY s.company_id, s.env, s.object_type, s.object_id
    FOR UPDATE OF s
  `.execute(trx);
}

const distinctQueues = (queues: readonly DeliveryQueue[]) => {
  const seen = new Map(queues.map((q) => [`${q.endpoint_id}\u0000${q.object_key}`, q]));
  return { endpoints: [...seen.values()].map((q) => q.endpoint_id), keys: [...seen.values()].map((q) => q.object_key) };
};

/**
 * Releases each queue's head (its lowest-sequence pending delivery) if it is parked: due now.
 * Call after deliveries of these queues stopped being pending, in the same transaction, holding
 * the objects' locks ({@link lockObjectsOf}). A queue whose head is not parked is left alone.
 */
export async function releaseHeads(trx: Executor, queues: readonly DeliveryQueue[], now: Date): Promise<number> {
  if (queues.length === 0) return 0;
  const { endpoints, keys } = distinctQueues(queues);
  const result = await sql`
    UPDATE webhook_deliveries d
    SET next_attempt_at = ${now}, updated_at = ${now}
    FROM unnest(${endpoints}::text[], ${keys}::text[]) AS q (endpoint_id, object_key)
    WHERE d.id = (
        SELECT e.id FROM webhook_deliveries e
        WHERE e.endpoint_id = q.endpoint_id AND e.object_key = q.object_key AND e.status = 'pending'
        ORDER BY e.sequence
        LIMIT 1
      )
      AND d.next_attempt_at IS NULL
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Restores the queue discipline after deliveries of these queues became pending again (a
 * resend): parks every pending delivery that has an earlier pending one (unless a worker holds
 * a live lease on it: its outcome parks it), then releases each head that is parked. A resent
 * delivery behind its object's pending head waits for it; one ahead of the head goes first, and
 * the former head waits (its retry then comes when it is released, not on its old schedule).
 * Hold the objects' locks.
 */
export async function settleQueues(trx: Executor, queues: readonly DeliveryQueue[], now: Date): Promise<void> {
  if (queues.length === 0) return;
  const { endpoints, keys } = distinctQueues(queues);
  await sql`
    UPDATE webhook_deliveries d
    SET next_attempt_at = NULL, updated_at = ${now}
    FROM unnest(${endpoints}::text[], ${keys}::text[]) AS q (endpoint_id, object_key)
    WHERE d.endpoint_id = q.endpoint_id AND d.object_key = q.object_key AND d.status = 'pending'
      AND d.next_attempt_at IS NOT NULL
      AND (d.locked_until IS NULL OR d.locked_until <= ${now})
      AND EXISTS (
        SELECT 1 FROM webhook_deliveries e
        WHERE e.endpoint_id = d.endpoint_id AND e.object_key = d.object_key AND e.status = 'pending' AND e.sequence < d.sequence
      )
  `.execute(trx);
  await releaseHeads(trx, queues, now);
}
