import { sql, type RawBuilder } from "kysely";
import { z } from "zod";
import type { JobKind } from "../jobs/define.js";
import { cancelQueued, requeue, type JobKeys } from "../jobs/store.js";
import type { Executor } from "../core/db.js";

/**
 * The per-(endpoint, object) delivery queues, and the `webhooks.deliver` job that sends their
 * heads (docs/decisions/0010, 0012).
 *
 * Deliveries of one object to one endpoint go out in sequence order. Only the head of such a
 * queue (its lowest-sequence pending delivery) has a `webhooks.deliver` job (key
 * `delivery:<id>`); the others are **parked**: pending, with no open job, so a head that keeps
 * failing for days costs the job runner's claim nothing however many events pile up behind it.
 * Whoever makes a pending delivery stop being pending (its job recording an outcome, a 410, a
 * disabled or deleted endpoint) enqueues the next one in the same transaction
 * ({@link releaseHeads}); whoever makes one pending again (a resend) withdraws the queued jobs of
 * what must now wait behind it ({@link settleQueues}).
 *
 * Races are closed by the object's `event_sequences` row lock, which emitEvent takes first: every
 * writer that parks, finishes or releases deliveries of an object holds it, so they serialize.
 * Writers that lock several objects lock them in (company_id, env, object_type, object_id) order.
 *
 * This module knows the job's name, payload and attempts (what enqueueing needs); its handler is
 * in worker.ts, which imports this (emitEvent enqueues without importing the sender).
 */

/**
 * Standard Webhooks retry schedule: the delay after failed attempt n (1-based) before attempt
 * n+1: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (ms). Ten attempts in all.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];
/** Attempts before a delivery is given up (`failed`). */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** Each retry delay is spread by ±10% so receivers that were down are not hit by a thundering herd. */
export const RETRY_JITTER = 0.1;

/**
 * The delay before the next attempt after failed attempt `attempt` (1-based), jittered, or null
 * when that was the last attempt of the schedule. `random` returns [0, 1) (injected in tests).
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | null {
  const base = RETRY_SCHEDULE_MS[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** The job's backoff: the schedule with its jitter (past the schedule, e.g. a resent delivery's 11th attempt, the last delay). */
export const deliveryBackoff =
  (random: () => number = Math.random) =>
  (attempt: number): number =>
    retryDelayMs(attempt, random) ?? retryDelayMs(RETRY_SCHEDULE_MS.length, random)!;

export const DeliveryJobPayload = z.object({ delivery_id: z.string().min(1).max(64) });

/** What enqueueing a delivery needs; the definition with its handler is `webhookDeliveryJob()` (worker.ts). */
export const DELIVERY_JOB: JobKind<typeof DeliveryJobPayload> = {
  name: "webhooks.deliver",
  payload: DeliveryJobPayload,
  retry: { maxAttempts: MAX_ATTEMPTS, backoff: deliveryBackoff() },
};

export const deliveryJobKey = (deliveryId: string) => `delivery:${deliveryId}`;
/** The same key in SQL, for a delivery id column or expression. */
const deliveryJobKeySql = (id: RawBuilder<unknown>) => sql`'delivery:' || ${id}`;

/**
 * Enqueues the job of each delivery (due at `now`): a new one, or its finished one reopened with
 * the delivery's attempts already spent (a resend continues the count; a given-up delivery gets
 * one more attempt); a delivery whose job is open keeps it as it is. Call holding the objects'
 * locks. Returns how many were queued.
 */
export async function queueDeliveries(
  trx: Executor,
  deliveries: ReadonlyArray<{ id: string; company_id: string; attempts: number }>,
  now: Date,
): Promise<number> {
  if (deliveries.length === 0) return 0;
  const queued = await requeue(
    trx,
    DELIVERY_JOB,
    deliveries.map((d) => ({ key: deliveryJobKey(d.id), payload: { delivery_id: d.id }, companyId: d.company_id, attempts: d.attempts })),
    { now },
  );
  return queued.length;
}

/** Withdraws the queued jobs of these deliveries (ids, or a SQL query yielding delivery ids). */
export async function cancelDeliveryJobs(trx: Executor, deliveryIds: readonly string[] | RawBuilder<unknown>): Promise<number> {
  const keys: JobKeys = Array.isArray(deliveryIds)
    ? (deliveryIds as readonly string[]).map(deliveryJobKey)
    : sql`SELECT ${deliveryJobKeySql(sql.ref("x.id"))} FROM (${deliveryIds as RawBuilder<unknown>}) AS x (id)`;
  return cancelQueued(trx, DELIVERY_JOB, keys);
}

/** A per-(endpoint, object) queue. */
export interface DeliveryQueue {
  endpoint_id: string;
  object_key: string;
}

/**
 * Locks the `event_sequences` rows of these events' objects, in key order, waiting for holders
 * (an emitEvent transaction, a resend, another runner) to finish. With `skipLocked`, takes only
 * the ones free now and returns which events' objects it holds. Call inside a transaction.
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
 * Enqueues each queue's head (its lowest-sequence pending delivery) if it is parked (has no open
 * job). Call after deliveries of these queues stopped being pending, in the same transaction,
 * holding the objects' locks ({@link lockObjectsOf}). Returns how many heads were queued.
 */
export async function releaseHeads(trx: Executor, queues: readonly DeliveryQueue[], now: Date): Promise<number> {
  if (queues.length === 0) return 0;
  const { endpoints, keys } = distinctQueues(queues);
  const { rows: heads } = await sql<{ id: string; company_id: string; attempts: number }>`
    SELECT h.id, h.company_id, h.attempts
    FROM unnest(${endpoints}::text[], ${keys}::text[]) AS q (endpoint_id, object_key)
    CROSS JOIN LATERAL (
      SELECT e.id, e.company_id, e.attempts FROM webhook_deliveries e
      WHERE e.endpoint_id = q.endpoint_id AND e.object_key = q.object_key AND e.status = 'pending'
      ORDER BY e.sequence
      LIMIT 1
    ) h
  `.execute(trx);
  return queueDeliveries(trx, heads, now);
}

/**
 * Restores the queue discipline after deliveries of these queues became pending again (a
 * resend): withdraws the queued job of every pending delivery that has an earlier pending one
 * (one whose job is running is left to finish: its run, seeing it is not the head, parks it or
 * retries on schedule), then enqueues each head that is parked. A resent delivery behind its
 * object's pending head waits for it; one ahead of the head goes first, and the former head
 * waits (its retry then comes when it is released, not on its old schedule). Hold the objects' locks.
 */
export async function settleQueues(trx: Executor, queues: readonly DeliveryQueue[], now: Date): Promise<void> {
  if (queues.length === 0) return;
  const { endpoints, keys } = distinctQueues(queues);
  await cancelDeliveryJobs(
    trx,
    sql`
      SELECT d.id FROM webhook_deliveries d
      JOIN unnest(${endpoints}::text[], ${keys}::text[]) AS q (endpoint_id, object_key)
        ON d.endpoint_id = q.endpoint_id AND d.object_key = q.object_key
      WHERE d.status = 'pending'
        AND EXISTS (
          SELECT 1 FROM webhook_deliveries e
          WHERE e.endpoint_id = d.endpoint_id AND e.object_key = d.object_key AND e.status = 'pending' AND e.sequence < d.sequence
        )`,
  );
  await releaseHeads(trx, queues, now);
}
