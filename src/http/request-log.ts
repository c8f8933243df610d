import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { newId } from "../lib/ids.js";
import { insertRequestLog, REQUEST_LOG_PATH_MAX, type RequestLogRow } from "../platform/request-log.js";
import { IDEMPOTENCY_HEADER } from "./idempotency.js";

/** Rows written at once: one INSERT of up to this many. */
export const REQUEST_LOG_BATCH = 200;
/** How long a row waits for others before its batch is written (ms, real time). */
export const REQUEST_LOG_FLUSH_MS = 250;
/**
 * Rows held while the database is slow or down. Beyond it new rows are dropped (and counted in
 * the log): the request log is for reading, and must never hold memory or requests hostage.
 */
export const REQUEST_LOG_MAX_PENDING = 20_000;
const IDEMPOTENCY_KEY_MAX = 255;

/**
 * Writes the API request log off the request path. `onResponse` runs after the answer is sent, so
 * the caller never waits for it; it only pushes a row into memory. Rows are written together, one
 * multi-row INSERT per REQUEST_LOG_BATCH rows or per REQUEST_LOG_FLUSH_MS, whichever comes first:
 * a busy API pays one round trip per couple of hundred requests instead of one each, and the charge
 * path's own transactions are not queued behind a write per request for a pool connection.
 *
 * The timer is armed only while rows wait (no loop, no lease: nothing to coordinate between
 * processes, each writes its own requests); closing the app flushes what is left. A failed write
 * is logged and its rows dropped — never retried into a pile, never surfaced to a caller.
 */
export class RequestLogWriter {
  private pending: RequestLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The `onResponse` hook of the `/v2` scopes: requests the key hook let through are logged. */
  readonly hook = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // No tenant: the key was missing or wrong (401) and the request belongs to no company.
    if (!req.tenant) return;
    const idempotencyKey = req.headers[IDEMPOTENCY_HEADER];
    const path = req.url.split("?", 1)[0]!;
    const now = this.ctx.clock.now();
    this.push({
      id: newId(now),
      company_id: req.tenant.companyId,
      env: req.tenant.env,
      key_id: req.tenant.keyId,
      method: req.method,
      path: path.slice(0, REQUEST_LOG_PATH_MAX),
      route: req.routeOptions.url ?? null,
      status: reply.statusCode,
      duration_ms: Math.max(0, Math.round(reply.elapsedTime)),
      request_id: String(req.id),
      idempotency_key: typeof idempotencyKey === "string" && idempotencyKey !== "" ? idempotencyKey.slice(0, IDEMPOTENCY_KEY_MAX) : null,
      at: now,
    });
  };

  push(row: RequestLogRow): void {
    if (this.pending.length >= REQUEST_LOG_MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push(row);
    if (this.pending.length >= REQUEST_LOG_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), REQUEST_LOG_FLUSH_MS).unref();
  }

  /** Writes every waiting row (after any write already running); resolves when they are stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.pending;
    this.pending = [];
    const dropped = this.dropped;
    this.dropped = 0;
    // Writes go one after another, so a flush resolves only when everything before it is stored.
    this.writing = this.writing.then(async () => {
      if (dropped > 0) this.log.warn({ dropped }, "request log: rows dropped while the database was behind");
      if (rows.length === 0) return;
      try {
        for (let i = 0; i < rows.length; i += REQUEST_LOG_BATCH) await insertRequestLog(this.ctx.db, rows.slice(i, i + REQUEST_LOG_BATCH));
      } catch (error) {
        this.log.warn({ err: error, rows: rows.length }, "request log: a batch could not be written and was dropped");
      }
    });
    return this.writing;
  }
}
