import os from "node:os";
import { Counter, Histogram, type Registry } from "prom-client";
import type { AppContext } from "../context.js";
import type { WorkerLogger } from "../events/worker.js";
import { checkConsent, executeQueued, expireUnauthorised, paymentLeaseMs, processTransfer, requeryPayment, settlePayment } from "./execute.js";
import { claimDue, type ClaimTable } from "./store.js";
import * as store from "./store.js";
import type { ConsentRow, PaymentRow, PayoutRow, RefundRow } from "./types.js";

/**
 * The payment worker: executes queued consent payments, re-queries unknown and stalled debits,
 * validates settlement, sends refund and payout credits and activates consents.
 *
 * How it keeps money moving once:
 * - **Claim, then work outside the transaction.** A claim is one statement per table (`UPDATE …
 *   WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`) that sets a lease (`lease_until`, and
 *   `next_check_at` pushed to the same instant) and commits. Bank calls happen after, with no
 *   transaction open; outcomes are recorded by compare-and-set (execute.ts). Two workers (or
 *   processes) never take the same row at once; a worker that dies mid-call leaves its row leased
 *   until the lease lapses, then any worker takes it — and, the reference being committed, it
 *   re-queries the bank instead of sending again.
 * - **Business time.** Due-ness, leases and backoff use `ctx.clock` (tests use a ManualClock and
 *   {@link PaymentWorker.runOnce}); only the pause between idle polls is real time.
 * - **Never stalls.** Every bank call is bounded (`config.payments.bankTimeoutMs`); at most
 *   `concurrency` rows are in hand at once; an error while handling a row is logged and the row is
 *   taken again when its lease lapses.
 */

const silentLogger: WorkerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** Longest pause between polls after repeated database errors (ms). */
const MAX_ERROR_BACKOFF_MS = 5_000;
/** runOnce stops after this many passes even if rows keep becoming due at once (a safety net). */
const MAX_PASSES = 50;

export interface PaymentWorkerOptions {
  logger?: WorkerLogger;
  /** Rows handled at once; default `config.workerConcurrency`. */
  concurrency?: number;
  /** Names this worker in logs; default `<hostname>:<pid>`. */
  workerId?: string;
  /** Pause between polls when nothing is due (real time, ms); default `config.payments.pollMs`. */
  pollMs?: number;
  /** How long a claim holds a row (business time, ms); default `paymentLeaseMs(config)` (60 s). */
  leaseMs?: number;
  /** Registers the worker's metrics here. */
  registry?: Registry;
  /** Only these companies' rows (tests sharing one database). Default: every company. */
  companyIds?: readonly string[];
}

type Claimed =
  | { table: "payments"; row: PaymentRow }
  | { table: "refunds"; row: RefundRow }
  | { table: "payouts"; row: PayoutRow }
  | { table: "payment_consents"; row: ConsentRow };

/** Consents first: an activation makes queued payments due in the same pass. */
const TABLES: readonly ClaimTable[] = ["payment_consents", "payments", "refunds", "payouts"];

function createMetrics(registry: Registry) {
  const handled = new Counter({
    name: "okro_payment_worker_rows_total",
    help: "Rows the payment worker handled, by table and outcome (succeeded, unknown, settled, bank_pending, lost_race, error, …)",
    labelNames: ["table", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "okro_payment_worker_row_duration_seconds",
    help: "Time to handle one claimed row, bank calls included",
    labelNames: ["table"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30],
    registers: [registry],
  });
  return { handled, duration };
}

export class PaymentWorker {
  readonly concurrency: number;
  readonly workerId: string;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly log: WorkerLogger;
  private readonly companyIds: readonly string[] | undefined;
  private readonly metrics: ReturnType<typeof createMetrics> | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: AppContext,
    options: PaymentWorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? ctx.config.workerConcurrency;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError("concurrency must be a positive integer");
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
    this.pollMs = options.pollMs ?? ctx.config.payments.pollMs;
    this.leaseMs = options.leaseMs ?? paymentLeaseMs(ctx.config);
    this.log = options.logger ?? silentLogger;
    this.companyIds = options.companyIds;
    this.metrics = options.registry ? createMetrics(options.registry) : undefined;
  }

  /** Starts polling in the background (idempotent). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
    this.log.debug({ workerId: this.workerId, concurrency: this.concurrency }, "payment worker started");
  }

  /** Stops claiming, lets the rows in hand finish (their bank calls are bounded) and be recorded, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.loop = undefined;
  }

  /**
   * Handles everything due now (consents, payments, refunds, payouts), in passes of up to
   * `concurrency` rows per table, until nothing is due; returns how many rows it handled. Tests
   * drive the worker with it (and a ManualClock).
   */
  async runOnce(): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let claimed = 0;
      for (const table of TABLES) {
        const claims = await this.claim(table, this.concurrency);
        claimed += claims.length;
        await Promise.all(claims.map((c) => this.handle(c)));
      }
      total += claimed;
      if (claimed === 0) break;
    }
    return total;
  }

  private async run(): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      let claimed = 0;
      try {
        let left = free;
        for (const table of TABLES) {
          if (left <= 0) break;
          const claims = await this.claim(table, left);
          left -= claims.length;
          claimed += claims.length;
          for (const c of claims) {
            const work: Promise<void> = this.handle(c).finally(() => {
              this.inFlight.delete(work);
              this.wake?.();
            });
            this.inFlight.add(work);
          }
        }
        errors = 0;
      } catch (error) {
        errors++;
        this.log.error({ err: error, workerId: this.workerId }, "payment worker: claiming due rows failed; retrying");
      }
      if (this.stopping) break;
      if (claimed === 0 || errors > 0) {
        await this.sleep(errors > 0 ? Math.min(MAX_ERROR_BACKOFF_MS, this.pollMs * 2 ** errors) : this.pollMs);
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

  private async claim(table: ClaimTable, limit: number): Promise<Claimed[]> {
    const now = this.ctx.clock.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const rows = await claimDue<Claimed["row"]>(this.ctx.db, table, { now, leaseUntil, limit, companyIds: this.companyIds });
    return rows.map((row) => ({ table, row }) as Claimed);
  }

  /** Handles one claimed row. Never throws: a failure is logged and the row is retried when its lease lapses. */
  private async handle(c: Claimed): Promise<void> {
    const started = performance.now();
    let outcome: string;
    try {
      outcome = await this.dispatch(c);
    } catch (error) {
      outcome = "error";
      this.log.error({ err: error, workerId: this.workerId, table: c.table, id: c.row.id }, "payment worker: handling a row failed; it is retried when its lease lapses");
    }
    this.metrics?.handled.inc({ table: c.table, outcome });
    this.metrics?.duration.observe({ table: c.table }, (performance.now() - started) / 1000);
    const fields = { workerId: this.workerId, table: c.table, id: c.row.id, outcome };
    if (outcome === "unknown" || outcome === "lost_race") this.log.info(fields, "payment worker: row handled");
    else this.log.debug(fields, "payment worker: row handled");
  }

  private async dispatch(c: Claimed): Promise<string> {
    switch (c.table) {
      case "payment_consents":
        return checkConsent(this.ctx, c.row);
      case "refunds":
        return processTransfer(this.ctx, "refund", c.row, this.leaseMs);
      case "payouts":
        return processTransfer(this.ctx, "payout", c.row, this.leaseMs);
      case "payments": {
        const row = c.row;
        switch (row.state) {
          case "queued":
            return executeQueued(this.ctx, row, this.leaseMs);
          case "processing":
          case "unknown":
            return requeryPayment(this.ctx, row, this.leaseMs);
          case "succeeded":
            return settlePayment(this.ctx, row);
          case "awaiting_authorisation":
            return expireUnauthorised(this.ctx, row);
          default:
            // Nothing for the worker to do in this state (review, or final).
            await store.casPayment(this.ctx.db, row.id, row.state, { next_check_at: null, lease_until: null }, { leaseUntil: row.lease_until });
            return "nothing_due";
        }
      }
    }
  }
}
