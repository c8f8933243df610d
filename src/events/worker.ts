import { sql, type Kysely, type Transaction } from "kysely";
import type { BaseLogger } from "pino";
import { Counter, Histogram, type Registry } from "prom-client";
import type { z } from "zod";
import type { DB, Env } from "../db/schema.js";
import { defineJob, JobLeaseLostError, type JobDefinition, type RunningJob, type SettledJob } from "../jobs/define.js";
import { createWebhookAgents, sendWebhook, WEBHOOK_TIMEOUT_MS, type AttemptResult, type WebhookAgents } from "./deliver.js";
import { endpointSecrets } from "./endpoint-secrets.js";
import {
  cancelDeliveryJobs,
  DELIVERY_JOB,
  deliveryBackoff,
  DeliveryJobPayload,
  lockObjectsOf,
  lockObjectsWhere,
  MAX_ATTEMPTS,
  queueDeliveries,
  releaseHeads,
} from "./queues.js";

export { MAX_ATTEMPTS, RETRY_JITTER, RETRY_SCHEDULE_MS, retryDelayMs } from "./queues.js";

/**
 * Webhook delivery as a job of the one job runner (docs/decisions/0010, 0012): `webhooks.deliver`,
 * key `delivery:<id>`, enqueued by emitEvent's fan-out for the head of each (endpoint, object)
 * queue and by whoever releases the next head (queues.ts). Register {@link webhookDeliveryJob}
 * with a `JobRunner`; there is no loop, claim or lease here.
 *
 * One run is one attempt: the delivery with its event and endpoint (loaded with the claim, one
 * statement for every delivery claimed together: the runner's batch `load`), send it (deliver.ts:
 * address guard, timeout, signing), record the attempt and move the delivery on in the same
 * transaction as the job's own outcome, holding the object's lock. Attempts that finish together
 * are recorded together (`job.settle`: one transaction, one multi-row statement for the jobs'
 * lease checks and states, one for the attempts and moves, as the old worker's `recordOutcomes`):
 * - 2xx: `succeeded`, the job done, the next delivery of its queue enqueued;
 * - a failure: the job fails this run and the runner retries it on the Standard Webhooks schedule
 *   (the definition's backoff: 5 s … 24 h, ±10 %); on the tenth (the job's last attempt) the
 *   delivery is `failed` and the next one enqueued;
 * - 410 Gone: the job fails for good, the endpoint is disabled and its pending deliveries failed;
 * - endpoint disabled or deleted, event missing: `failed` without an attempt, next one enqueued.
 *
 * Guarantees: at least once (a runner that dies mid-send loses its lease and another sends
 * again, with the same `webhook-id`); a run whose lease was taken over cannot move the delivery
 * (the job's lease check is in the recording transaction) but its attempt is still recorded; in
 * order per object and endpoint (only a queue's head has a job, and a run that finds an earlier
 * delivery pending — a resend put it ahead — parks itself instead of sending).
 */

export type WorkerLogger = Pick<BaseLogger, "debug" | "info" | "warn" | "error">;
const silentLogger: WorkerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** `webhook_endpoints.disabled_reason` when a receiver answers 410 Gone (Standard Webhooks: stop sending). */
export const GONE_REASON = "gone: the receiver answered 410";
/** How long a run holds its job (business time): well over one attempt's 15 s. */
export const DEFAULT_LEASE_MS = 60_000;

export interface WebhookJobOptions {
  /** One attempt's time limit (ms); default 15 s. Tests shorten it. */
  timeoutMs?: number;
  /** The job's lease (business time, ms); default 60 s. Keep it well above `timeoutMs`. */
  leaseMs?: number;
  logger?: WorkerLogger;
  /** Registers the attempt metrics (by outcome, latency) in this registry. */
  registry?: Registry;
  /** Jitter source, [0, 1); default Math.random. */
  random?: () => number;
  /** Keep-alive connection pools; default: one set per definition (closed with the process). */
  agents?: WebhookAgents;
}

/** A delivery with what sending it needs (endpoint columns null when it was deleted). */
interface Loaded {
  id: string;
  event_id: string;
  endpoint_id: string;
  object_key: string;
  env: Env;
  status: string;
  payload: unknown;
  behind: boolean;
  endpoint_found: string | null;
  url: string | null;
  enabled: boolean | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
  bearer_token_enc: string | null;
}

type Outcome = "success" | "failure" | "gone" | "not_sent";

/** A sent attempt, waiting to be recorded with others (the runner's batch `record`). */
interface Attempted {
  d: Loaded;
  startedAt: Date;
  result: AttemptResult;
}

type DeliveryRun = RunningJob<z.output<typeof DeliveryJobPayload>, Loaded | null, Attempted>;

function createMetrics(registry: Registry) {
  const attempts = new Counter({
    name: "okro_webhook_attempts_total",
    help: "Webhook delivery attempts, by outcome (success, failure, gone = 410, not_sent = endpoint disabled or deleted)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "okro_webhook_attempt_duration_seconds",
    help: "Time of one webhook delivery attempt, request to response (or failure)",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  });
  return { attempts, latency };
}

/** Whether an earlier delivery of `d`'s queue is pending (one probe of `webhook_deliveries_order`). */
const behindSql = (d: string) => sql<boolean>`EXISTS (
  SELECT 1 FROM webhook_deliveries e
  WHERE e.endpoint_id = ${sql.ref(`${d}.endpoint_id`)} AND e.object_key = ${sql.ref(`${d}.object_key`)}
    AND e.status = 'pending' AND e.sequence < ${sql.ref(`${d}.sequence`)})`;

/** The deliveries of these ids with what sending them needs (one statement however many). */
async function loadMany(db: Kysely<DB>, ids: readonly string[]): Promise<Map<string, Loaded>> {
  const { rows } = await sql<Loaded>`
    SELECT d.id, d.event_id, d.endpoint_id, d.object_key, d.env, d.status, ev.payload, ${behindSql("d")} AS behind,
           ep.id AS endpoint_found, ep.url, ep.enabled, ep.secret_enc, ep.previous_secret_enc,
           ep.previous_secret_expires_at, ep.bearer_token_enc
    FROM webhook_deliveries d
    LEFT JOIN events ev ON ev.id = d.event_id
    LEFT JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
    WHERE d.id = ANY(${[...new Set(ids)]}::text[])
  `.execute(db);
  return new Map(rows.map((r) => [r.id, r]));
}

async function load(db: Kysely<DB>, id: string): Promise<Loaded | undefined> {
  return (await loadMany(db, [id])).get(id);
}

/**
 * Records sent attempts of several deliveries in one statement (the runner's batch `record`, in
 * the transaction that has just checked the jobs' leases and marked them done or failed, holding
 * the deliveries' objects' locks): each attempt's row; each delivery's move while it is still
 * pending (a 410 of another delivery may have failed it meanwhile): succeeded, pending for its
 * retry, or failed after its last attempt; and, for each that finished, the next delivery of its
 * queue (the lowest-sequence pending one besides it: what releaseHeads would release), which is
 * then enqueued. Only a queue's head has a job, so no two items share a queue.
 */
async function recordAttempts(trx: Transaction<DB>, items: ReadonlyArray<SettledJob<unknown, Loaded | null, Attempted>>): Promise<void> {
  if (items.length === 0) return;
  const now = items[0]!.job.ctx.clock.now();
  const values = items.map(({ job, outcome: { d, startedAt, result }, failure }) => {
    const status = failure === null ? "succeeded" : failure.retryAt === null ? "failed" : "pending";
    return sql`(${d.id}::text, ${job.attempt}::int4, ${startedAt}::timestamptz, ${result.durationMs}::int4, ${result.statusCode}::int4, ${result.error}::text, ${result.snippet}::text, ${status}::text)`;
  });
  const { rows } = await sql<{ id: string; company_id: string; attempts: number }>`
    WITH o (id, attempt, started_at, duration_ms, status_code, error, snippet, status) AS (VALUES ${sql.join(values)}),
    attempt AS (
      INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
      SELECT o.id, o.attempt, o.started_at, o.duration_ms, o.status_code, o.error, o.snippet
      FROM o WHERE EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.id = o.id)
      ON CONFLICT (delivery_id, attempt) DO NOTHING
    ),
    moved AS (
      UPDATE webhook_deliveries d
      SET status = o.status, attempts = o.attempt, last_status_code = o.status_code, last_error = o.error, updated_at = ${now}
      FROM o
      WHERE d.id = o.id AND d.status = 'pending'
      RETURNING d.id, d.endpoint_id, d.object_key, d.status
    )
    SELECT n.id, n.company_id, n.attempts
    FROM moved m
    CROSS JOIN LATERAL (
      SELECT e.id, e.company_id, e.attempts FROM webhook_deliveries e
      WHERE e.endpoint_id = m.endpoint_id AND e.object_key = m.object_key AND e.status = 'pending' AND e.id <> m.id
      ORDER BY e.sequence
      LIMIT 1
    ) n
    WHERE m.status <> 'pending'
  `.execute(trx);
  if (rows.length > 0) await queueDeliveries(trx, rows, now);
}

async function isBehind(trx: Transaction<DB>, id: string): Promise<boolean> {
  const { rows } = await sql<{ behind: boolean }>`SELECT ${behindSql("d")} AS behind FROM webhook_deliveries d WHERE d.id = ${id}`.execute(trx);
  return rows[0]?.behind ?? false;
}

/** Thrown inside a completion to roll it back: the delivery turned out to be its queue's head after all. */
class HeadAfterAll extends Error {}

/**
 * The `webhooks.deliver` job definition. Every runner that delivers webhooks registers one (the
 * options are per process: timeouts, metrics, jitter); enqueueing uses queues.ts's DELIVERY_JOB.
 */
export function webhookDeliveryJob(options: WebhookJobOptions = {}): JobDefinition<typeof DeliveryJobPayload, Loaded | null, Attempted> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const log = options.logger ?? silentLogger;
  const metrics = options.registry ? createMetrics(options.registry) : undefined;
  let agents = options.agents;

  async function finishUnsent(job: DeliveryRun, d: Loaded, reason: "endpoint_disabled" | "endpoint_deleted" | "event_missing"): Promise<void> {
    const now = job.ctx.clock.now();
    await job.complete(async (trx) => {
      await lockObjectsOf(trx, [d.event_id]);
      // Nothing was sent: the run does not count as an attempt.
      const ended = await trx
        .updateTable("webhook_deliveries")
        .set({ status: "failed", last_error: reason, updated_at: now })
        .where("id", "=", d.id)
        .where("status", "=", "pending")
        .returning(["endpoint_id", "object_key"])
        .execute();
      // The next one of its queue meets the same fate in turn while the endpoint stays disabled.
      await releaseHeads(trx, ended, now);
    });
    metrics?.attempts.inc({ outcome: "not_sent" });
    log.debug({ job: job.id, delivery: d.id, endpoint: d.endpoint_id, reason }, "webhook delivery not sent");
  }

  async function record(job: DeliveryRun, d: Loaded, startedAt: Date, result: AttemptResult): Promise<void> {
    const now = job.ctx.clock.now();
    const gone = result.statusCode === 410;
    const outcome: Outcome = result.ok ? "success" : gone ? "gone" : "failure";
    const fields = { job: job.id, delivery: d.id, endpoint: d.endpoint_id, attempt: job.attempt, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs };
    /**
     * One statement: the attempt's row; the delivery's move when it is still pending (a 410 of
     * another delivery may have failed it meanwhile); and, when it finished, the next delivery of
     * its queue (the lowest-sequence pending one besides it: what releaseHeads would release),
     * which is then enqueued. Call holding the object's lock.
     */
    const move = async (trx: Transaction<DB>, status: "pending" | "succeeded" | "failed") => {
      const { rows } = await sql<{ next_id: string | null; next_company: string | null; next_attempts: number | null }>`
        WITH attempt AS (
          INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
          SELECT x.id, ${job.attempt}::int4, ${startedAt}::timestamptz, ${result.durationMs}::int4, ${result.statusCode}::int4, ${result.error}::text, ${result.snippet}::text
          FROM webhook_deliveries x WHERE x.id = ${d.id}
          ON CONFLICT (delivery_id, attempt) DO NOTHING
        ),
        moved AS (
          UPDATE webhook_deliveries
          SET status = ${status}, attempts = ${job.attempt}::int4, last_status_code = ${result.statusCode}::int4, last_error = ${result.error}::text, updated_at = ${now}
          WHERE id = ${d.id} AND status = 'pending'
          RETURNING id, endpoint_id, object_key
        )
        SELECT n.id AS next_id, n.company_id AS next_company, n.attempts AS next_attempts
        FROM moved m
        LEFT JOIN LATERAL (
          SELECT e.id, e.company_id, e.attempts FROM webhook_deliveries e
          WHERE e.endpoint_id = m.endpoint_id AND e.object_key = m.object_key AND e.status = 'pending' AND e.id <> m.id
          ORDER BY e.sequence
          LIMIT 1
        ) n ON true
      `.execute(trx);
      const next = rows[0];
      if (status !== "pending" && next?.next_id) {
        await queueDeliveries(trx, [{ id: next.next_id, company_id: next.next_company!, attempts: next.next_attempts! }], now);
      }
    };
    try {
      if (result.ok) {
        await job.settle({ d, startedAt, result });
      } else if (gone) {
        await job.fail(
          "the receiver answered 410 Gone: endpoint disabled",
          async (trx) => {
            // Every object with a pending delivery to this endpoint (they are all about to stop
            // being pending), in key order: an emitEvent on one of them either finished before
            // (its delivery is failed below) or waits and then sees the endpoint disabled.
            await lockObjectsWhere(trx, sql`SELECT d.event_id FROM webhook_deliveries d WHERE (d.endpoint_id = ${d.endpoint_id} AND d.status = 'pending') OR d.id = ${d.id}`);
            await move(trx, "failed");
            // The receiver said it will never want these again (Standard Webhooks): stop sending.
            await trx.updateTable("webhook_endpoints").set({ enabled: false, disabled_reason: GONE_REASON, updated_at: now }).where("id", "=", d.endpoint_id).execute();
            const ended = sql`SELECT d.id FROM webhook_deliveries d WHERE d.endpoint_id = ${d.endpoint_id} AND d.status = 'pending'`;
            await cancelDeliveryJobs(trx, ended);
            await trx
              .updateTable("webhook_deliveries")
              .set({ status: "failed", last_error: "endpoint_disabled", updated_at: now })
              .where("endpoint_id", "=", d.endpoint_id)
              .where("status", "=", "pending")
              .execute();
          },
          { final: true },
        );
        log.warn(fields, "webhook endpoint disabled: the receiver answered 410 Gone");
      } else {
        // The last attempt: given up, and the next delivery of its queue goes (recordAttempts).
        const { retryAt } = await job.settle({ d, startedAt, result }, { error: result.error ?? `HTTP ${result.statusCode}` });
        if (retryAt === null) log.warn(fields, `webhook delivery failed: gave up after ${job.attempt} attempts`);
      }
    } catch (error) {
      if (error instanceof JobLeaseLostError) {
        // An attempt happened whoever holds the delivery now: keep its record, leave the delivery to the newer run.
        await insertAttempt(job.ctx.db, d.id, job.attempt, startedAt, result);
        log.warn(fields, "webhook attempt finished after its job's lease lapsed and another run took it; attempt recorded, delivery left to the newer run");
      }
      throw error;
    } finally {
      metrics?.attempts.inc({ outcome });
      metrics?.latency.observe(result.durationMs / 1000);
    }
    log.debug(fields, "webhook attempt");
  }

  return defineJob<typeof DeliveryJobPayload, Loaded | null, Attempted>({
    name: DELIVERY_JOB.name,
    payload: DeliveryJobPayload,
    retry: { maxAttempts: MAX_ATTEMPTS, backoff: deliveryBackoff(options.random) },
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    // Many small jobs: deliveries claimed together are loaded in one statement, and attempts that
    // finish together are recorded in one transaction (docs/decisions/0012, "Throughput").
    batch: {
      async load(db, jobs) {
        const found = await loadMany(
          db,
          jobs.map((j) => j.payload.delivery_id),
        );
        return new Map(jobs.map((j) => [j.id, found.get(j.payload.delivery_id) ?? null]));
      },
      // The objects' locks (see queues.ts), taken first; in a batch only those free now.
      async lock(trx, items, { wait }) {
        const held = await lockObjectsOf(
          trx,
          items.map((i) => i.outcome.d.event_id),
          { skipLocked: !wait },
        );
        return new Set(items.filter((i) => held.has(i.outcome.d.event_id)).map((i) => i.job.id));
      },
      record: recordAttempts,
    },
    handler: async (job) => {
      const ctx = job.ctx;
      // Loaded with the claim (null: the delivery is gone); on its own if that load failed.
      const d = job.loaded === undefined ? await load(ctx.db, job.payload.delivery_id) : (job.loaded ?? undefined);
      // Gone with its endpoint, or already finished (a run that lost its lease to this one's predecessor): nothing to do.
      if (!d || d.status !== "pending") return;
      if (d.behind) {
        // A resend put an earlier delivery of its object ahead of it while this job was due:
        // park (the earlier one's finish enqueues it again). Re-checked under the object's lock,
        // so an earlier one that finished meanwhile is not missed: then it is the head after all.
        try {
          await job.complete(async (trx) => {
            await lockObjectsOf(trx, [d.event_id]);
            if (!(await isBehind(trx, d.id))) throw new HeadAfterAll();
          });
          return;
        } catch (error) {
          if (!(error instanceof HeadAfterAll)) throw error;
        }
      }
      if (d.endpoint_found === null || d.url === null || d.secret_enc === null) return finishUnsent(job, d, "endpoint_deleted");
      if (!d.enabled) return finishUnsent(job, d, "endpoint_disabled");
      if (d.payload === null || d.payload === undefined) return finishUnsent(job, d, "event_missing");

      const startedAt = ctx.clock.now();
      let credentials: { secrets: string[]; bearerToken?: string };
      try {
        credentials = endpointSecrets(
          ctx,
          {
            id: d.endpoint_id,
            secret_enc: d.secret_enc,
            previous_secret_enc: d.previous_secret_enc,
            previous_secret_expires_at: d.previous_secret_expires_at === null ? null : new Date(d.previous_secret_expires_at),
            bearer_token_enc: d.bearer_token_enc,
          },
          startedAt,
        );
      } catch (error) {
        // A wrong OKRO_ENCRYPTION_KEY, or a damaged row: nothing can be signed. Counted as a
        // failed attempt (retried on schedule, so fixing the key lets it through).
        log.error({ job: job.id, delivery: d.id, endpoint: d.endpoint_id, reason: (error as Error).message }, "webhook delivery: cannot open the endpoint's signing secret");
        credentials = { secrets: [] };
      }
      let result: AttemptResult;
      if (credentials.secrets.length === 0) {
        result = { ok: false, statusCode: null, durationMs: 0, error: "secret_unavailable", snippet: null };
      } else {
        const body = typeof d.payload === "string" ? d.payload : JSON.stringify(d.payload);
        result = await sendWebhook(
          {
            url: d.url,
            messageId: d.id,
            body,
            secrets: credentials.secrets,
            bearerToken: credentials.bearerToken,
            guardAddresses: d.env === "production" || !ctx.config.sandboxWebhooksToPrivate,
          },
          { timeoutMs, agents: (agents ??= createWebhookAgents()) },
        );
      }
      await record(job, d, startedAt, result);
    },
  });
}

async function insertAttempt(executor: Kysely<DB>, deliveryId: string, attempt: number, startedAt: Date, result: AttemptResult): Promise<void> {
  // Only while the delivery exists (its endpoint may have been deleted meanwhile); once per attempt number.
  await sql`
    INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
    SELECT d.id, ${attempt}::int4, ${startedAt}::timestamptz, ${result.durationMs}::int4, ${result.statusCode}::int4, ${result.error}::text, ${result.snippet}::text
    FROM webhook_deliveries d WHERE d.id = ${deliveryId}
    ON CONFLICT (delivery_id, attempt) DO NOTHING
  `.execute(executor);
}
