import { sql, type Transaction } from "kysely";
import type { DB, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";

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
    { id, companyId: event.companyId, env: event.env, type: event.type, objectKey: `${event.object.type}:${event.object.id}`, sequence, onlyEndpointId: event.onlyEndpointId },
    now,
  );
  return { id, sequence, payload, deliveries };
}

/**
 * One pending delivery per enabled endpoint of the company and environment that wants the type;
 * with `onlyEndpointId`, one for that endpoint alone (if enabled), whatever types it wants.
 */
async function fanOut(
  trx: Transaction<DB>,
  e: { id: string; companyId: string; env: Env; type: string; objectKey: string; sequence: number; onlyEndpointId?: string | undefined },
  now: Date,
): Promise<number> {
  const only = e.onlyEndpointId;
  const endpoints = await trx
    .selectFrom("webhook_endpoints")
    .select("id")
    .where("company_id", "=", e.companyId)
    .where("env", "=", e.env)
    .where("enabled", "=", true)
    .$if(only !== undefined, (qb) => qb.where("id", "=", only!))
    .$if(only === undefined, (qb) =>
      qb.where((eb) => eb.or([eb(sql`cardinality(event_types)`, "=", 0), eb(sql.val(e.type), "=", eb.fn.any("event_types"))])),
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
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return endpoints.length;
}
