import os from "node:os";
import { sql, type Kysely, type Transaction } from "kysely";
import type { BaseLogger } from "pino";
import { Counter, Histogram, type Registry } from "prom-client";
import type { AppContext } from "../context.js";
import type { DB, DeliveryStatus, Env } from "../db/schema.js";
import { lockObjectsOf, lockObjectsWhere, releaseHeads } from "./emit.js";
import { createWebhookAgents, destroyWebhookAgents, sendWebhook, WEBHOOK_TIMEOUT_MS, type AttemptResult, type WebhookAgents } from "./deliver.js";
import { endpointSecrets } from "./endpoints.js";

/**
 * The webhook delivery worker: claims due deliveries from `webhook_deliveries`, sends them
 * (`deliver.ts`), records every attempt and schedules the next one.
 *
 * Guarantees:
 * - **At least once.** A claim is a lease (`locked_until`), not a lock held across the send: a
 *   worker that dies mid-send leaves the delivery locked until the lease expires, then any
 *   worker takes it again. The receiver may see a delivery twice; `webhook-id` (the delivery id)
 *   is the same every time, so it can de-duplicate.
 * - **Never twice at once.** Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
 *   LOCKED)`, which increments `attempts`; recording compares-and-sets on `(id, attempts)`, so a
 *   worker whose lease expired cannot overwrite the outcome of a newer claim. Safe with many
 *   worker processes on one PostgreSQL, and on PGlite (one connection, trivially serial).
 * - **In order per object and endpoint.** A delivery is not claimed while an earlier-sequence
 *   delivery of the same object to the same endpoint is still pending (sending or waiting for
 *   a retry): event 2 waits for event 1 to succeed or be given up. Waiting deliveries are
 *   parked (`next_attempt_at` NULL, outside the due index: the claim never reads them); the
 *   transaction that finishes a delivery releases the next one of its queue, holding the
 *   object's `event_sequences` lock so that a concurrent emitEvent cannot park one unseen (see
 *   emit.ts).
 * - **Business time.** Due-ness, leases and retry schedules use the injected clock
 *   (`ctx.clock`: tests move it); a company's sandbox clock advance brings its due retries forward
 *   by shifting their schedules (`shiftSandboxSchedules` in events.ts). Only the signature's
 *   `webhook-timestamp` and latencies use the machine's real time.
 * - **Never stalls.** Each attempt is bounded (15 s), the worker sends at most `concurrency` at
 *   once, and nothing a receiver does (or a bad URL, or a database hiccup) escapes as an
 *   exception: it becomes a recorded failed attempt, or a log line and a later retry.
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
/** `webhook_endpoints.disabled_reason` when a receiver answers 410 Gone (Standard Webhooks: stop sending). */
export const GONE_REASON = "gone: the receiver answered 410";
export const DEFAULT_POLL_INTERVAL_MS = 250;
/** How long a claim holds a delivery (business time): well over one attempt's 15 s. */
export const DEFAULT_LEASE_MS = 60_000;
/** Longest pause between polls after repeated database errors. */
const MAX_ERROR_BACKOFF_MS = 5_000;

/**
 * The delay before the next attempt after failed attempt `attempt` (1-based), jittered, or null
 * when that was the last attempt. `random` returns [0, 1) (injected in tests).
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | null {
  const base = RETRY_SCHEDULE_MS[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

export type WorkerLogger = Pick<BaseLogger, "debug" | "info" | "warn" | "error">;

const silentLogger: WorkerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface WebhookWorkerOptions {
  /** Deliveries sent at once (and claimed per batch); default `config.workerConcurrency`. */
  concurrency?: number;
  /** Pause between polls when nothing is due (real time, ms); default 250. */
  pollIntervalMs?: number;
  /** How long a claim holds a delivery (business time, ms); default 60 s. Keep it well above `timeoutMs`. */
  leaseMs?: number;
  /** Names this worker in logs; default `<hostname>:<pid>`. */
  workerId?: string;
  /** One attempt's time limit (ms); default 15 s. Tests shorten it. */
  timeoutMs?: number;
  logger?: WorkerLogger;
  /** Registers the worker's metrics (attempts by outcome, latency) in this registry. */
  registry?: Registry;
  /**
   * Only these companies' deliveries (tests sharing one database; a worker dedicated to a
   * tenant). Default: every company.
   */
  companyIds?: readonly string[];
  /** Jitter source, [0, 1); default Math.random. */
  random?: () => number;
}

/** A claimed delivery with what sending it needs (endpoint columns null when it was deleted). */
interface Claim {
  id: string;
  event_id: string;
  endpoint_id: string;
  object_key: string;
  env: Env;
  attempts: number;
  payload: unknown;
  endpoint_found: string | null;
  url: string | null;
  enabled: boolean | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
  bearer_token_enc: string | null;
}

type Outcome = "success" | "failure" | "gone" | "not_sent";

/** One attempt's outcome, ready to write. */
interface OutcomeRow {
  claim: Claim;
  startedAt: Date;
  result: AttemptResult;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  now: Date;
}

/** Outcomes written in one statement at most. */
const MAX_RECORD_BATCH = 200;

const rowKey = (row: OutcomeRow) => `${row.claim.id}:${row.claim.attempts}`;

/**
 * Writes outcomes in one transaction: each attempt's row, then each delivery's move, then the
 * release of the next delivery of every queue whose head finished. An attempt happened whoever
 * holds its delivery now, so it is recorded either way (unless the delivery itself is gone: its
 * endpoint was deleted meanwhile). A move is a compare-and-set on (id, attempts, pending): only
 * the newest claim may move a delivery. A delivery rescheduled for a retry is parked instead if
 * an earlier delivery of its queue is pending (a resend put an older event ahead of it while it
 * was being sent). Returns the `id:attempts` of the moves that applied.
 *
 * The caller holds the `event_sequences` locks of the rows' objects ({@link lockObjectsOf}).
 */
async function recordOutcomesIn(trx: Transaction<DB>, rows: readonly OutcomeRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = sql.join(
    rows.map(
      ({ claim, startedAt, result, status, nextAttemptAt, now }) =>
        sql`(${claim.id}::text, ${claim.attempts}::int4, ${startedAt}::timestamptz, ${result.durationMs}::int4, ${result.statusCode}::int4,
             ${result.error}::text, ${result.snippet}::text, ${status}::text, ${nextAttemptAt}::timestamptz, ${now}::timestamptz)`,
    ),
  );
  const { rows: moved } = await sql<{ id: string; attempts: number; endpoint_id: string; object_key: string; status: DeliveryStatus }>`
    WITH outcome (id, attempt, started_at, duration_ms, status_code, error, snippet, status, next_attempt_at, now) AS (VALUES ${values}),
    recorded AS (
      INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_snippet)
      SELECT o.id, o.attempt, o.started_at, o.duration_ms, o.status_code, o.error, o.snippet
      FROM outcome o
      WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = o.id)
      ON CONFLICT (delivery_id, attempt) DO NOTHING
    )
    UPDATE webhook_deliveries d
    SET status = o.status,
        next_attempt_at = CASE
          WHEN o.status = 'pending' AND EXISTS (
            SELECT 1 FROM webhook_deliveries e
            WHERE e.endpoint_id = d.endpoint_id AND e.object_key = d.object_key AND e.status = 'pending' AND e.sequence < d.sequence
          ) THEN NULL
          ELSE o.next_attempt_at
        END,
        locked_until = NULL,
        last_status_code = o.status_code, last_error = o.error, updated_at = o.now
    FROM outcome o
    WHERE d.id = o.id AND d.attempts = o.attempt AND d.status = 'pending'
    RETURNING d.id, d.attempts, d.endpoint_id, d.object_key, d.status
  `.execute(trx);
  // A separate statement: it must see the moves above (one statement sees one snapshot).
  const finished = moved.filter((m) => m.status !== "pending");
  if (finished.length > 0) await releaseHeads(trx, finished, rows[0]!.now);
  return new Set(moved.map((m) => `${m.id}:${m.attempts}`));
}

/**
 * Records a batch of outcomes. The batch's objects are locked with SKIP LOCKED in one
 * transaction, so the worker never waits while holding several locks (no deadlock with an
 * emitEvent transaction that locks objects in its own order); outcomes whose object is busy (an
 * emitEvent or resend transaction in progress on it) are recorded after, one per transaction,
 * each waiting for its one lock.
 */
async function recordOutcomes(db: Kysely<DB>, rows: readonly OutcomeRow[]): Promise<Set<string>> {
  const [moved, busy] = await db.transaction().execute(async (trx) => {
    const locked = await lockObjectsOf(
      trx,
      rows.map((r) => r.claim.event_id),
      { skipLocked: rows.length > 1 },
    );
    const mine = rows.length > 1 ? rows.filter((r) => locked.has(r.claim.event_id)) : rows;
    const mineSet = new Set(mine);
    return [await recordOutcomesIn(trx, mine), rows.filter((r) => !mineSet.has(r))] as const;
  });
  for (const row of busy) {
    for (const key of await recordOutcomes(db, [row])) moved.add(key);
  }
  return moved;
}

/**
 * The claim statement ({@link WebhookWorker} `claim`): exported so tests can EXPLAIN it.
 */
export function claimStatement(p: { now: Date; lockedUntil: Date; limit: number; companyIds?: readonly string[] | undefined }) {
  const scope = p.companyIds ? sql`AND d.company_id = ANY(${[...p.companyIds]}::text[])` : sql``;
  return sql<Claim>`
    WITH claimed AS (
      UPDATE webhook_deliveries
      SET locked_until = ${p.lockedUntil}, attempts = attempts + 1, updated_at = ${p.now}
      WHERE id IN (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.status = 'pending'
          AND d.next_attempt_at IS NOT NULL
          AND d.next_attempt_at <= ${p.now}
          AND (d.locked_until IS NULL OR d.locked_until < ${p.now})
          ${scope}
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries e
            WHERE e.endpoint_id = d.endpoint_id AND e.object_key = d.object_key
              AND e.status = 'pending' AND e.sequence < d.sequence
          )
        ORDER BY d.next_attempt_at
        LIMIT ${p.limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, event_id, endpoint_id, object_key, env, attempts
    )
    SELECT c.id, c.event_id, c.endpoint_id, c.object_key, c.env, c.attempts, ev.payload,
           ep.id AS endpoint_found, ep.url, ep.enabled, ep.secret_enc, ep.previous_secret_enc,
           ep.previous_secret_expires_at, ep.bearer_token_enc
    FROM claimed c
    LEFT JOIN events ev ON ev.id = c.event_id
    LEFT JOIN webhook_endpoints ep ON ep.id = c.endpoint_id
  `;
}

function createWorkerMetrics(registry: Registry) {
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

export class WebhookWorker {
  readonly concurrency: number;
  readonly workerId: string;
  /** Free slots worth a claim query while deliveries are in flight. */
  private readonly claimThreshold: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly log: WorkerLogger;
  private readonly random: () => number;
  private readonly companyIds: readonly string[] | undefined;
  private readonly metrics: ReturnType<typeof createWorkerMetrics> | undefined;
  private agents: WebhookAgents | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private readonly outcomes: Array<{ row: OutcomeRow; resolve: (applied: boolean) => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly ctx: AppContext,
    options: WebhookWorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? ctx.config.workerConcurrency;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError("concurrency must be a positive integer");
    this.claimThreshold = Math.ceil(this.concurrency / 2);
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
    this.log = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.companyIds = options.companyIds;
    this.metrics = options.registry ? createWorkerMetrics(options.registry) : undefined;
  }

  /** Starts polling in the background (idempotent). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
    this.log.debug({ workerId: this.workerId, concurrency: this.concurrency }, "webhook worker started");
  }

  /** Stops claiming, lets in-flight sends finish and be recorded, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.loop = undefined;
    if (this.agents) destroyWebhookAgents(this.agents);
    this.agents = undefined;
  }

  /**
   * Claims one batch of due deliveries (up to `concurrency`), sends them all and records the
   * outcomes. Resolves with how many were claimed. Tests drive the worker with it.
   */
  async runOnce(): Promise<number> {
    const claims = await this.claim(this.concurrency);
    await Promise.all(claims.map((claim) => this.process(claim)));
    return claims.length;
  }

  private async run(): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      // Claim in batches: while busy, wait until half the slots are free, so one claim query
      // serves several deliveries instead of one each (it is the costliest statement).
      if (free <= 0 || (this.inFlight.size > 0 && free < this.claimThreshold)) {
        await Promise.race(this.inFlight);
        continue;
      }
      let claimed = 0;
      try {
        const claims = await this.claim(free);
        claimed = claims.length;
        errors = 0;
        for (const claim of claims) {
          const sending: Promise<void> = this.process(claim).finally(() => {
            this.inFlight.delete(sending);
            // A finished delivery frees a slot, and may unblock the next event of its object.
            this.wake?.();
          });
          this.inFlight.add(sending);
        }
      } catch (error) {
        errors++;
        this.log.error({ err: error, workerId: this.workerId }, "webhook worker: claiming deliveries failed; retrying");
      }
      if (this.stopping) break;
      // A full batch: more may be due at once. Otherwise wait for the next poll or a free slot.
      if (claimed < free || errors > 0) {
        await this.sleep(errors > 0 ? Math.min(MAX_ERROR_BACKOFF_MS, this.pollIntervalMs * 2 ** errors) : this.pollIntervalMs);
      }
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /**
   * Claims up to `limit` due deliveries in one statement and returns them with their event
   * payload and endpoint. A delivery is due when pending, its time has come, nobody holds a
   * live lease on it, and no earlier event of its object is pending for its endpoint. SKIP
   * LOCKED makes concurrent claimers take different rows instead of waiting for each other.
   *
   * Parked deliveries (next_attempt_at NULL: behind an earlier pending one of their queue) are
   * not in the `webhook_deliveries_due` index, so the claim reads only heads whose time has
   * come, however many deliveries wait behind them. The NOT EXISTS is a safety net for the
   * queue order (an unparked delivery should never have a pending predecessor); it is one probe
   * of `webhook_deliveries_order` per candidate, stopping at the first row.
   */
  private async claim(limit: number): Promise<Claim[]> {
    const now = this.ctx.clock.now();
    const { rows } = await claimStatement({ now, lockedUntil: new Date(now.getTime() + this.leaseMs), limit, companyIds: this.companyIds }).execute(this.ctx.db);
    return rows;
  }

  /** Sends one claimed delivery and records the outcome. Never throws. */
  private async process(claim: Claim): Promise<void> {
    try {
      if (claim.endpoint_found === null || claim.url === null || claim.secret_enc === null) {
        return await this.finishUnsent(claim, "endpoint_deleted");
      }
      if (!claim.enabled) return await this.finishUnsent(claim, "endpoint_disabled");
      if (claim.payload === null || claim.payload === undefined) return await this.finishUnsent(claim, "event_missing");

      const startedAt = this.ctx.clock.now();
      let result: AttemptResult;
      let credentials: { secrets: string[]; bearerToken?: string };
      try {
        credentials = endpointSecrets(
          this.ctx,
          {
            id: claim.endpoint_id,
            secret_enc: claim.secret_enc,
            previous_secret_enc: claim.previous_secret_enc,
            previous_secret_expires_at: claim.previous_secret_expires_at === null ? null : new Date(claim.previous_secret_expires_at),
            bearer_token_enc: claim.bearer_token_enc,
          },
          startedAt,
        );
      } catch (error) {
        // A wrong OKRO_ENCRYPTION_KEY, or a damaged row: nothing can be signed. Counted as a
        // failed attempt (retried on schedule, so fixing the key lets it through).
        this.log.error(
          { workerId: this.workerId, delivery: claim.id, endpoint: claim.endpoint_id, reason: (error as Error).message },
          "webhook worker: cannot open the endpoint's signing secret",
        );
        credentials = { secrets: [] };
      }
      if (credentials.secrets.length === 0) {
        result = { ok: false, statusCode: null, durationMs: 0, error: "secret_unavailable", snippet: null };
      } else {
        const body = typeof claim.payload === "string" ? claim.payload : JSON.stringify(claim.payload);
        result = await sendWebhook(
          {
            url: claim.url,
            messageId: claim.id,
            body,
            secrets: credentials.secrets,
            bearerToken: credentials.bearerToken,
            guardAddresses: claim.env === "production" || !this.ctx.config.sandboxWebhooksToPrivate,
          },
          { timeoutMs: this.timeoutMs, agents: (this.agents ??= createWebhookAgents()) },
        );
      }
      await this.record(claim, startedAt, result);
    } catch (error) {
      // A database error while recording: the delivery stays leased and is retried after the lease.
      this.log.error({ err: error, workerId: this.workerId, delivery: claim.id }, "webhook worker: recording a delivery attempt failed");
    }
  }

  /**
   * Records one attempt and moves the delivery on: succeeded; pending with the next attempt
   * time; failed after the last attempt; or, on 410 Gone, the endpoint disabled and all its
   * pending deliveries failed (one transaction).
   */
  private async record(claim: Claim, startedAt: Date, result: AttemptResult): Promise<void> {
    const now = this.ctx.clock.now();
    const gone = result.statusCode === 410;
    const delay = result.ok || gone ? null : retryDelayMs(claim.attempts, this.random);
    const status: DeliveryStatus = result.ok ? "succeeded" : delay === null ? "failed" : "pending";
    const outcome: Outcome = result.ok ? "success" : gone ? "gone" : "failure";
    const row: OutcomeRow = { claim, startedAt, result, status, nextAttemptAt: delay === null ? null : new Date(now.getTime() + delay), now };

    const applied = !gone
      ? await this.recordSoon(row)
      : await this.ctx.db.transaction().execute(async (trx) => {
          // Every object with a pending delivery to this endpoint (they are all about to stop
          // being pending), in key order: an emitEvent on one of them either finished before
          // (its delivery is failed below) or waits and then sees the endpoint disabled.
          await lockObjectsWhere(
            trx,
            sql`SELECT d.event_id FROM webhook_deliveries d WHERE (d.endpoint_id = ${claim.endpoint_id} AND d.status = 'pending') OR d.id = ${claim.id}`,
          );
          const moved = await recordOutcomesIn(trx, [row]);
          // The receiver said it will never want these again (Standard Webhooks): stop sending.
          await trx
            .updateTable("webhook_endpoints")
            .set({ enabled: false, disabled_reason: GONE_REASON, updated_at: now })
            .where("id", "=", claim.endpoint_id)
            .execute();
          await trx
            .updateTable("webhook_deliveries")
            .set({ status: "failed", next_attempt_at: null, locked_until: null, last_error: "endpoint_disabled", updated_at: now })
            .where("endpoint_id", "=", claim.endpoint_id)
            .where("status", "=", "pending")
            .execute();
          return moved.has(rowKey(row));
        });

    this.metrics?.attempts.inc({ outcome });
    this.metrics?.latency.observe(result.durationMs / 1000);
    const fields = {
      workerId: this.workerId,
      delivery: claim.id,
      endpoint: claim.endpoint_id,
      attempt: claim.attempts,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
    };
    if (!applied) this.log.warn(fields, "webhook attempt finished after its claim was lost (lease expired); outcome recorded, delivery left to the newer claim");
    else if (gone) this.log.warn(fields, "webhook endpoint disabled: the receiver answered 410 Gone");
    else if (status === "failed") this.log.warn(fields, `webhook delivery failed: gave up after ${MAX_ATTEMPTS} attempts`);
    else this.log.debug(fields, "webhook attempt");
  }

  /**
   * Group commit: outcomes that finish while a write is under way wait for it and then go
   * together in one statement (one round trip, one commit), so recording keeps up with sending
   * instead of costing a commit per delivery. Resolves whether this claim's move applied.
   */
  private recordSoon(row: OutcomeRow): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.outcomes.push({ row, resolve, reject });
      if (!this.flushing) void this.flushOutcomes();
    });
  }

  private async flushOutcomes(): Promise<void> {
    this.flushing = true;
    try {
      // Let responses already received be handled first (on the embedded database a write blocks
      // the event loop, so without this yield every batch would hold a single outcome).
      await new Promise((resolve) => setImmediate(resolve));
      while (this.outcomes.length > 0) {
        const batch = this.outcomes.splice(0, MAX_RECORD_BATCH);
        try {
          const moved = await recordOutcomes(this.ctx.db, batch.map((b) => b.row));
          for (const b of batch) b.resolve(moved.has(rowKey(b.row)));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // One bad row (say, its delivery deleted mid-write) must not hold back the others.
          for (const b of batch) {
            await recordOutcomes(this.ctx.db, [b.row]).then((moved) => b.resolve(moved.has(rowKey(b.row))), b.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Ends a delivery that cannot be sent (endpoint disabled or deleted, event missing), without an
   * attempt, and releases the next delivery of its queue (which meets the same fate in turn
   * while the endpoint stays disabled).
   */
  private async finishUnsent(claim: Claim, reason: "endpoint_disabled" | "endpoint_deleted" | "event_missing"): Promise<void> {
    const now = this.ctx.clock.now();
    await this.ctx.db.transaction().execute(async (trx) => {
      await lockObjectsOf(trx, [claim.event_id]);
      const ended = await trx
        .updateTable("webhook_deliveries")
        .set((eb) => ({
          status: "failed",
          // Nothing was sent: the claim does not count as an attempt.
          attempts: eb("attempts", "-", 1),
          next_attempt_at: null,
          locked_until: null,
          last_error: reason,
          updated_at: now,
        }))
        .where("id", "=", claim.id)
        .where("attempts", "=", claim.attempts)
        .where("status", "=", "pending")
        .returning(["endpoint_id", "object_key"])
        .execute();
      await releaseHeads(trx, ended, now);
    });
    this.metrics?.attempts.inc({ outcome: "not_sent" });
    this.log.debug({ workerId: this.workerId, delivery: claim.id, endpoint: claim.endpoint_id, reason }, "webhook delivery not sent");
  }
}
