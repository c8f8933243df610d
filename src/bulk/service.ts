import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import { transition } from "../core/machine.js";
import type { Scope } from "../core/tenancy.js";
import type { BatchRowsTable } from "../db/schema.js";
import { emitEvent } from "../events/emit.js";
import { createEndpoint, endpointUrlProblem } from "../events/endpoints.js";
import { defineJob } from "../jobs/define.js";
import { requeue } from "../jobs/store.js";
import { newId } from "../lib/ids.js";
import { kobo } from "../lib/kobo.js";
import { chargeAdHoc, checkAdHocCharges } from "../mandates/adhoc.js";
import { clockOffsetMs } from "../mandates/charges.js";
import { checkDebits } from "../payments/debit-checks.js";
import { observePayments, type PaymentMove } from "../payments/observers.js";
import { sendQueuedPayment } from "../payments/execute.js";
import { initiatePayment } from "../payments/service.js";
import { paymentById } from "../payments/store.js";
import { paymentLeaseMs } from "../payments/timing.js";
import { enqueueExecuteIfConsentActive } from "../payments/transitions.js";
import type { PaymentRow } from "../payments/types.js";
import type { Insertable } from "kysely";
import { csvStream, readCsv } from "./csv.js";
import { addToTotals, COLUMNS, emptyTotals, isCounted, outcomeOf, readRow, type BatchState, type ParsedRow, type RowError, type RowState, type Totals } from "./domain.js";
import * as store from "./store.js";
import type { BatchRow, Executor, RowRow, Trx } from "./store.js";

/**
 * Bulk payments (issue 15; docs/decisions/0017-bulk-payments.md): a file (CSV) or a JSON array
 * of debits becomes a **batch**, validated in full before anything moves, committed by the
 * company, then run row by row — each row an ordinary payment made by `initiatePayment` (the
 * function `pay/initiate` uses: same machine, ledger, events, verify, refund) and sent in a
 * `batches.row` job keyed `batch:<id>:row:<n>` on the one job runner (one job per row).
 *
 * Pacing: per batch and bank, at most `config.bulk.bankConcurrency` rows are in flight (a job
 * enqueued or a payment not yet final). Commit enqueues the first rows of each bank; each row
 * that ends (its payment final, observed in the payment's own transaction) tops its bank's window
 * up once half of it is free, in that transaction. A slow or failing bank holds only its own window.
 */

// ── Events ────────────────────────────────────────────────────────────────────────────────────

/** `batch.<state>` on every batch move (the machine's afterEnter). */
const batchStore = store.batchStore(async (trx, e) => {
  await emitBatchEvent(trx, e.row, `batch.${e.to}`, { batch: batchView(e.row) });
});

/**
 * A batch event, once: to the company's endpoints that want it and to the batch's callback_url
 * (its endpoint) as well, and to `alsoUrl`'s (a row's callback_url) — or, with `onlyUrl`, to that
 * URL's endpoint alone (a row's callback_url).
 */
async function emitBatchEvent(trx: Trx, batch: BatchRow, type: string, data: Record<string, unknown>, onlyUrl?: string | null, alsoUrl?: string | null): Promise<void> {
  const scope = { companyId: batch.company_id, env: batch.env };
  const now = batch.updated_at;
  const event = { companyId: batch.company_id, env: batch.env, type, object: { type: "batch", id: batch.id }, data, legacy: { callback_type: "BULK_PAYMENT", callback_code: type.toUpperCase().replace(/\./g, "_") } };
  if (onlyUrl !== undefined) {
    const endpoint = onlyUrl ? await store.callbackEndpointId(trx, scope, onlyUrl) : undefined;
    if (endpoint) await emitEvent(trx, { ...event, onlyEndpointId: endpoint }, now);
    return;
  }
  const also: string[] = [];
  for (const url of new Set([batch.callback_url, alsoUrl])) {
    const endpoint = url ? await store.callbackEndpointId(trx, scope, url) : undefined;
    if (endpoint) also.push(endpoint);
  }
  await emitEvent(trx, also.length ? { ...event, alsoEndpointIds: also } : event, now);
}

// ── Views ─────────────────────────────────────────────────────────────────────────────────────

interface Report {
  totals: Totals;
  columns: string[];
  warnings: { code: string; message: string }[];
  /** The first row errors (all of them are in the errors CSV). */
  errors: ({ row: number } & RowError)[];
  error_count: number;
}
const MAX_ERRORS_INLINE = 100;

export function batchView(b: BatchRow) {
  const report = (b.totals ?? {}) as Partial<Report>;
  return {
    _id: b.id,
    id: b.id,
    status: b.state,
    env: b.env === "production" ? "production" : "sandbox",
    source: b.source,
    file_name: b.file_name,
    product: b.product,
    callback_url: b.callback_url,
    all_or_nothing: b.all_or_nothing,
    duplicate_of: b.duplicate_of,
    retry_of: b.retry_of,
    totals: report.totals ?? emptyTotals(),
    counts: {
      pending: b.pending_count,
      queued: b.queued_count,
      processing: b.processing_count,
      succeeded: b.succeeded_count,
      failed: b.failed_count,
      cancelled: b.cancelled_count,
      reversed: b.reversed_count,
      succeeded_amount: Number(b.succeeded_amount),
      failed_amount: Number(b.failed_amount),
      cancelled_amount: Number(b.cancelled_amount),
      reversed_amount: Number(b.reversed_amount),
    },
    warnings: report.warnings ?? [],
    errors: report.errors ?? [],
    error_count: report.error_count ?? 0,
    errors_url: `/v2/batches/errors.csv?id=${b.id}`,
    results_url: `/v2/batches/results.csv?id=${b.id}`,
    owner: b.company_id,
    created_at: b.created_at.toISOString(),
    committed_at: b.committed_at?.toISOString() ?? null,
    finished_at: b.finished_at?.toISOString() ?? null,
  };
}
export type BatchView = ReturnType<typeof batchView>;

// ── Validate ──────────────────────────────────────────────────────────────────────────────────

export type BatchSource =
  | { kind: "csv"; stream: Readable; fileName: string | null; sha256: () => string }
  | { kind: "json"; rows: unknown[] };

export interface NewBatch {
  source: BatchSource;
  callbackUrl?: string | null | undefined;
  allOrNothing?: boolean | undefined;
  product?: string | undefined;
  /**
   * The company's business-clock offset (its sandbox clock's; 0 in production), read before the
   * transaction (`clockOffsetMs`): a `type: mandate` row is checked against its mandate's validity
   * and cap period on the company's day.
   */
  offsetMs?: number | undefined;
}

/** Rows checked against the database and written per chunk: memory stays flat as files grow. */
const CHUNK = 500;

/** JSON rows: an object per row with the CSV's columns; numbers accepted for amount. */
function jsonRecords(rows: unknown[]) {
  return (async function* () {
    let row = 0;
    for (const item of rows) {
      row++;
      const raw: Record<string, string> = {};
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        yield { row, raw, cells: -1 };
        continue;
      }
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
        const key = k.trim().toLowerCase();
        raw[key] = v === null || v === undefined ? "" : typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
      }
      yield { row, raw, cells: Object.keys(raw).length };
    }
  })();
}

/**
 * Reads the whole file, checks every row (its cells, then the database: account, consent,
 * receiving account, in one query set per chunk), writes the rows with their errors and the
 * batch `ready` with its totals — in the caller's transaction, so a file refused as a whole (empty,
 * not CSV, missing columns, over the row limit) leaves nothing behind. Nothing moves money.
 */
export async function validateBatch(trx: Trx, ctx: AppContext, scope: Scope, input: NewBatch): Promise<BatchRow> {
  const now = ctx.clock.now();
  const { maxRows } = ctx.config.bulk;
  if (input.callbackUrl) {
    const problem = endpointUrlProblem(input.callbackUrl, scope.env);
    if (problem) throw new OkroError("INVALID_FIELD", `callback_url: ${problem}`, { field: "callback_url" });
  }
  const id = newId(now);
  let columns: string[] = [...COLUMNS];
  const warnings: Report["warnings"] = [];
  let records: AsyncGenerator<{ row: number; raw: Record<string, string>; cells: number }>;
  if (input.source.kind === "csv") {
    const file = await readCsv(input.source.stream);
    columns = file.header;
    if (file.unknownColumns.length) warnings.push({ code: "unknown_columns", message: `ignored column${file.unknownColumns.length > 1 ? "s" : ""} ${file.unknownColumns.join(", ")} (known: ${COLUMNS.join(", ")})` });
    records = file.records;
  } else {
    if (input.source.rows.length === 0) throw new OkroError("INVALID_FIELD", "payments: the array is empty; send at least one payment", { field: "payments" });
    if (input.source.rows.length > maxRows) throw tooManyRows(maxRows, "payments");
    records = jsonRecords(input.source.rows);
  }
  // The batch row first (the rows reference it); its sha256 is known only at the end for a stream.
  await store.insertBatch(trx, {
    id,
    company_id: scope.companyId,
    env: scope.env,
    state: "validating",
    source: input.source.kind,
    file_name: input.source.kind === "csv" ? input.source.fileName : null,
    file_sha256: "pending",
    product: input.product ?? "initiate_payment",
    callback_url: input.callbackUrl ?? null,
    all_or_nothing: input.allOrNothing ?? false,
    created_at: now,
    updated_at: now,
  });

  const totals = emptyTotals();
  const errors: Report["errors"] = [];
  let errorCount = 0;
  const references = new Map<string, number>();
  // What the file's `type: mandate` rows so far charge each mandate: its caps hold for all of them together.
  const plannedByMandate = new Map<string, bigint>();
  let chunk: ParsedRow[] = [];
  const headerCells = columns.length;

  const flush = async () => {
    if (!chunk.length) return;
    const clean = chunk.filter((r) => r.errors.length === 0 && r.amount !== null);
    const checks = await checkDebits(
      trx,
      scope,
      clean.map((r) => ({ accountToDebit: r.accountToDebit, accountToCredit: r.accountToCredit, amount: r.amount!, currency: r.currency, customer: r.customer, authority: r.type === "mandate" ? "mandate" : "consent" })),
    );
    const checked = new Map(clean.map((r, i) => [r.row, checks[i]!]));
    // Charges on a mandate: the mandates module's own checks (the mandate, its state, account,
    // customer, currency and caps — summed with the file's earlier rows on the same mandate).
    const onMandate = clean.filter((r) => r.type === "mandate" && checked.get(r.row)!.ok);
    const mandateChecks = await checkAdHocCharges(
      trx,
      scope,
      onMandate.map((r) => ({ mandate: r.mandate, accountId: r.accountToDebit, customer: r.customer, amount: r.amount!, currency: r.currency })),
      input.offsetMs ?? 0,
      now,
      plannedByMandate,
    );
    const mandateOf = new Map(onMandate.map((r, i) => [r.row, mandateChecks[i]!]));
    const inserts: Insertable<BatchRowsTable>[] = [];
    for (const r of chunk) {
      const check = checked.get(r.row);
      if (check && !check.ok) r.errors.push({ column: check.column, code: check.code, message: check.message });
      const onIt = mandateOf.get(r.row);
      if (onIt && !onIt.ok) r.errors.push({ column: onIt.column, code: onIt.code, message: onIt.message });
      const valid = r.errors.length === 0 && check?.ok === true && (r.type !== "mandate" || onIt?.ok === true);
      totals.rows++;
      if (valid) {
        totals.valid_rows++;
        addToTotals(totals, r.currency, check.bankId, r.amount!);
      } else {
        totals.invalid_rows++;
        errorCount += r.errors.length;
        for (const e of r.errors) if (errors.length < MAX_ERRORS_INLINE) errors.push({ row: r.row, ...e });
      }
      inserts.push({
        id: store.rowId(id, r.row),
        batch_id: id,
        row_no: r.row,
        company_id: scope.companyId,
        env: scope.env,
        state: valid ? "valid" : "invalid",
        raw: JSON.stringify(r.raw),
        errors: r.errors.length ? JSON.stringify(r.errors) : null,
        account_to_debit: r.accountToDebit || null,
        // A mandate's charge goes to the mandate's receiving account unless the row names one.
        account_to_credit: check?.ok ? (!r.accountToCredit && onIt?.ok && onIt.accountToCredit ? onIt.accountToCredit : check.accountToCredit) : r.accountToCredit,
        bank_id: check?.ok ? check.bankId : null,
        amount: r.amount,
        currency: r.currency,
        reference: r.reference,
        narration: r.narration,
        callback_url: r.callbackUrl,
        mandate_id: onIt?.ok ? onIt.mandateId : null,
        updated_at: now,
      });
    }
    await store.insertRows(trx, inserts);
    chunk = [];
  };

  for await (const rec of records) {
    if (rec.row > maxRows) throw tooManyRows(maxRows, input.source.kind === "csv" ? "file" : "payments");
    const parsed = readRow(rec.row, rec.raw, (url) => endpointUrlProblem(url, scope.env));
    if (rec.cells === -1) parsed.errors.unshift({ column: "row", code: "not_an_object", message: "each payment must be an object with account_to_debit, amount, …" });
    else if (input.source.kind === "csv" && rec.cells !== headerCells) {
      parsed.errors.unshift({ column: "row", code: "cell_count", message: `the row has ${rec.cells} cells; the header has ${headerCells} (a missing or extra comma? quote cells that contain commas)` });
    }
    if (parsed.reference) {
      const first = references.get(parsed.reference);
      if (first !== undefined) parsed.errors.push({ column: "reference", code: "duplicate_reference", message: `reference ${parsed.reference} is also on row ${first}; each payment needs its own reference` });
      else references.set(parsed.reference, rec.row);
    }
    chunk.push(parsed);
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  if (totals.rows === 0) throw new OkroError("INVALID_FIELD", "file: no payments below the header; add at least one row", { field: "file", data: { reason: "no_rows" } });

  const sha256 = input.source.kind === "csv" ? input.source.sha256() : createHash("sha256").update(JSON.stringify(input.source.rows)).digest("hex");
  const earlier = await store.earlierBatchOfFile(trx, scope, sha256, id);
  if (earlier) {
    warnings.push({
      code: "duplicate_file",
      message: `the same file was uploaded before as batch ${earlier.id} on ${earlier.created_at.toISOString()} (${earlier.state}); committing this one would charge its rows again — commit with allow_duplicate=true only if you mean to`,
    });
  }
  if (totals.invalid_rows > 0 && input.allOrNothing) {
    warnings.push({ code: "all_or_nothing", message: `${totals.invalid_rows} row${totals.invalid_rows > 1 ? "s have" : " has"} errors and the batch is all-or-nothing: it cannot be committed until they are fixed` });
  }
  const report: Report = { totals, columns, warnings, errors, error_count: errorCount };
  await trx
    .updateTable("batches")
    .set({ file_sha256: sha256, duplicate_of: earlier?.id ?? null, total_rows: totals.rows, valid_rows: totals.valid_rows, invalid_rows: totals.invalid_rows, valid_amount: BigInt(totals.amount), totals: JSON.stringify(report), updated_at: now })
    .where("id", "=", id)
    .execute();
  const validating = (await store.findBatch(trx, scope, id))!;
  const moved = await transition(trx, batchStore, ctx, { id, from: "validating", to: "ready", set: { updated_at: now }, actor: "api", reason: "validated", at: now });
  if (!moved.ok) throw new Error(`batch ${validating.id}: lost its own validation`);
  return moved.row;
}

function tooManyRows(max: number, field: string): OkroError {
  return new OkroError("PAYLOAD_TOO_LARGE", `${field}: more than ${max} rows; the limit is ${max} rows per batch (OKRO_BULK_MAX_ROWS): split the file`, { field, data: { reason: "too_many_rows", limit: max } });
}

// ── Commit ────────────────────────────────────────────────────────────────────────────────────

/**
 * Starts a `ready` batch: its valid rows become `pending` (its invalid ones stay as they are;
 * with all-or-nothing, any invalid row refuses the commit and nothing changes), the batch
 * `running`, and each bank's first window of rows gets its job. A batch of a file uploaded
 * before is refused unless `allowDuplicate`.
 */
export async function commitBatch(trx: Trx, ctx: AppContext, scope: Scope, id: string, opts: { allOrNothing?: boolean | undefined; allowDuplicate?: boolean | undefined } = {}): Promise<BatchRow> {
  const now = ctx.clock.now();
  const batch = await getBatch(trx, scope, id, true);
  if (batch.state !== "ready") {
    throw new OkroError("CONFLICT", `id: the batch is ${batch.state}; only a ready batch can be committed`, { field: "id", data: { reason: "not_ready", status: batch.state } });
  }
  const allOrNothing = opts.allOrNothing ?? batch.all_or_nothing;
  if (batch.duplicate_of && !opts.allowDuplicate) {
    throw new OkroError("CONFLICT", `file: the same file was already uploaded as batch ${batch.duplicate_of}; nothing was charged again. To charge these rows again on purpose, commit with allow_duplicate=true`, {
      field: "file",
      data: { reason: "duplicate_file", duplicate_of: batch.duplicate_of, batch_id: batch.id },
    });
  }
  if (allOrNothing && batch.invalid_rows > 0) {
    throw new OkroError("UNPROCESSABLE", `file: ${batch.invalid_rows} of ${batch.total_rows} rows have errors and all-or-nothing was asked: nothing was committed. Fix the rows in the errors CSV (/v2/batches/errors.csv?id=${batch.id}) and upload it again`, {
      field: "file",
      data: { reason: "invalid_rows", invalid_rows: batch.invalid_rows, batch_id: batch.id },
    });
  }
  if (batch.valid_rows === 0) {
    throw new OkroError("UNPROCESSABLE", `file: none of the ${batch.total_rows} rows is valid; nothing to pay. Fix the rows in the errors CSV (/v2/batches/errors.csv?id=${batch.id}) and upload it again`, {
      field: "file",
      data: { reason: "no_valid_rows", batch_id: batch.id },
    });
  }
  await ensureCallbackEndpoints(trx, ctx, scope, batch);
  const pending = await store.moveRowsWhere(trx, batch.id, "valid", "pending", { actor: "api", reason: "committed", at: now });
  await store.count(trx, batch.id, null, "pending", pending.length, 0n, now);
  await store.setBatch(trx, batch.id, { committed_at: now, all_or_nothing: allOrNothing, updated_at: now });
  const running = await transition(trx, batchStore, ctx, { id: batch.id, from: "ready", to: "running", set: { updated_at: now }, actor: "api", reason: "committed", at: now });
  if (!running.ok) throw new OkroError("CONFLICT", "id: the batch changed meanwhile; try again", { field: "id" });
  let opened = 0;
  for (const bank of await store.banksWithPending(trx, batch.id)) opened += (await openWindow(trx, ctx, batch, bank, now, 1)).length;
  if (opened) await store.count(trx, batch.id, "pending", "queued", opened, 0n, now);
  return (await store.findBatch(trx, scope, batch.id))!;
}

/** Every callback_url the batch names (its own, its rows') gets a signed webhook endpoint that receives only what is addressed to it. */
async function ensureCallbackEndpoints(trx: Trx, ctx: AppContext, scope: Scope, batch: BatchRow): Promise<void> {
  const rowUrls = await trx.selectFrom("batch_rows").select("callback_url").distinct().where("batch_id", "=", batch.id).where("state", "=", "valid").where("callback_url", "is not", null).execute();
  const urls = new Set([batch.callback_url, ...rowUrls.map((r) => r.callback_url)].filter((u): u is string => Boolean(u)));
  for (const url of urls) {
    if (await store.callbackEndpointId(trx, scope, url)) continue;
    try {
      await createEndpoint(trx, ctx.secrets, scope, { url, description: "callback_url of bulk payments", event_types: [store.BULK_CALLBACK_TYPE] }, ctx.clock.now());
    } catch (error) {
      if (error instanceof OkroError) throw new OkroError(error.code, `callback_url ${url}: ${error.message.replace(/^url: /, "")}`, { field: "callback_url" });
      throw error;
    }
  }
}

/**
 * Tops up a bank's window: pending rows → queued with their jobs (one statement for all of them),
 * up to the per-bank limit, once at least `minFree` places are free — a finishing row refills
 * only when half the window is free, so a 10,000-row batch reopens its windows a few hundred
 * times instead of 10,000. The caller counts the moved rows (pending → queued).
 */
async function openWindow(trx: Trx, ctx: AppContext, batch: { id: string; company_id: string; env: BatchRow["env"] }, bankId: string, now: Date, minFree: number): Promise<{ row_no: number }[]> {
  const batchId = batch.id;
  const free = ctx.config.bulk.bankConcurrency - (await store.inWindow(trx, batchId, bankId));
  if (free <= 0 || free < minFree) return [];
  const queued = await store.moveRowsWhere(trx, batchId, "pending", "queued", { actor: "worker", reason: "window_open", at: now, bankId, limit: free });
  if (queued.length) {
    // A mandate row's job carries its environment: it reads the company's business clock before its transaction.
    const payload = (r: { row_no: number; mandate_id: string | null }) => ({ batch_id: batchId, row: r.row_no, ...(r.mandate_id ? { mandate_env: batch.env } : {}) });
    await requeue(trx, batchRowJob, queued.map((r) => ({ key: `batch:${batchId}:row:${r.row_no}`, payload: payload(r), companyId: batch.company_id, attempts: 0 })), { now });
  }
  return queued;
}

// ── Running: the row job and the payments it makes ────────────────────────────────────────────

const RowJobPayload = z.object({ batch_id: z.string().min(1), row: z.number().int().positive(), mandate_env: z.enum(["sandbox", "production"]).optional() });
export const batchRowJob = defineJob({
  name: "batches.row",
  payload: RowJobPayload,
  retry: { maxAttempts: 10, backoff: { initialMs: 1_000, factor: 2, maxMs: 60_000 } },
  // It calls the bank (the payment's debit): held as long as the payments engine's own jobs are.
  leaseMs: (ctx) => paymentLeaseMs(ctx.config),
  handler: async (job) => {
    const { ctx } = job;
    const env = job.payload.mandate_env;
    const offsetMs = env && job.companyId ? await clockOffsetMs(ctx, { companyId: job.companyId, env }) : 0;
    const payment = await ctx.db.transaction().execute((trx) => runRow(trx, ctx, job.payload.batch_id, job.payload.row, offsetMs));
    if (payment) job.log.debug({ outcome: await sendQueuedPayment(ctx, payment) }, "batch row sent");
    await job.complete();
  },
  // Out of attempts (or its worker died on the last one): a row without its payment fails with the
  // reason, which frees its place in the bank's window and lets the batch finish; a payment made
  // but never sent is handed to the payments engine's execute job.
  onGiveUp: async (trx, job) => {
    const payload = RowJobPayload.safeParse(job.payload);
    if (!payload.success) return;
    const row = await store.lockRow(trx, store.rowId(payload.data.batch_id, payload.data.row));
    if (row?.state === "queued") {
      await finishRow(trx, job.ctx, row, "failed", `the payment could not be created: ${job.error}`.slice(0, 500), job.ctx.clock.now());
      return;
    }
    const payment = row?.state === "processing" && row.payment_id ? await paymentById(trx, row.payment_id) : undefined;
    if (payment?.state === "queued") await enqueueExecuteIfConsentActive(trx, payment, job.ctx.clock.now());
  },
});

/**
 * One row's payment, made by `initiatePayment` (sender: this job) under the row's lock, the row
 * `queued → processing` with it in the same transaction — so a retry, a crash or a second worker
 * makes it once (the row's state). Returns the payment for the job to send once this commits (a
 * run after a crash finds the row `processing` and returns its payment again: sending it twice is
 * refused by the payment's attempt). A payment refused at creation (the consent was revoked since
 * validation…) fails the row with the reason and nothing is debited.
 */
async function runRow(trx: Trx, ctx: AppContext, batchId: string, rowNo: number, offsetMs: number): Promise<PaymentRow | undefined> {
  const row = await store.lockRow(trx, store.rowId(batchId, rowNo));
  if (row?.state === "processing" && row.payment_id) {
    const payment = await paymentById(trx, row.payment_id);
    return payment?.state === "queued" ? payment : undefined;
  }
  if (!row || row.state !== "queued") return undefined; // cancelled meanwhile, or done by an earlier run
  const scope: Scope = { companyId: row.company_id, env: row.env };
  const now = ctx.clock.now();
  let payment: PaymentRow;
  try {
    const made = await makePayment(trx, ctx, scope, row, offsetMs);
    if (typeof made === "string") {
      await finishRow(trx, ctx, row, "failed", made, now);
      return undefined;
    }
    payment = made;
  } catch (error) {
    if (!(error instanceof OkroError)) throw error;
    await finishRow(trx, ctx, row, "failed", error.message, now);
    return undefined;
  }
  const moved = await store.moveRow(trx, ctx, row, "processing", { actor: "worker", reason: "payment_created", set: { payment_id: payment.id }, at: now });
  if (!moved) throw new Error(`batch row ${row.id} moved while locked`);
  await store.count(trx, batchId, "queued", "processing", 1, 0n, now);
  return payment.state === "queued" ? payment : undefined;
}

/**
 * The row's payment: a one-time row's by `initiatePayment` (pay/initiate's rules, checked again);
 * a `type: mandate` row's by the mandates module (`chargeAdHoc`: the mandate's state, account and
 * caps checked again under its lock, with what it has charged since validation). A refusal's
 * reason (a string, or an OkroError thrown) fails the row; nothing is debited.
 */
async function makePayment(trx: Trx, ctx: AppContext, scope: Scope, row: RowRow, offsetMs: number): Promise<PaymentRow | string> {
  const note = row.narration ?? row.reference;
  if (row.mandate_id) {
    const charged = await chargeAdHoc(
      trx,
      ctx,
      scope,
      { mandateId: row.mandate_id, accountId: row.account_to_debit!, amount: row.amount!, currency: row.currency!, accountToCredit: row.account_to_credit, note, sender: "caller" },
      offsetMs,
    );
    return charged.kind === "charged" ? charged.payment : charged.message;
  }
  return initiatePayment(trx, ctx, scope, {
    accountToDebit: row.account_to_debit!,
    ...(row.account_to_credit ? { accountToCredit: row.account_to_credit } : {}),
    amount: kobo(row.amount!),
    currency: row.currency!,
    ...(note ? { note } : {}),
    sender: "caller",
  });
}

/**
 * A payment's move, seen in its own transaction: a final one ends its row (one UPDATE keyed by the
 * payment, which for a payment that is no row's matches nothing).
 */
async function onPaymentMove(trx: Trx, ctx: AppContext, move: PaymentMove): Promise<void> {
  if (move.to === "reversed") {
    const reason = move.row.failure_reason ?? "the bank reversed the payment";
    const moved = await store.moveRowOfPayment(trx, move.row.id, "succeeded", "reversed", { actor: "worker", reason: "payment_reversed", set: { reason }, at: move.at });
    if (moved) await rowReversed(trx, moved, move.at);
    return;
  }
  const to = move.to === "succeeded" ? "succeeded" : move.to === "errored" || move.to === "failed" ? "failed" : move.to === "cancelled" ? "cancelled" : undefined;
  if (!to) return;
  const reason = to === "succeeded" ? null : (move.row.failure_reason ?? `payment ${to}`);
  const moved = await store.moveRowOfPayment(trx, move.row.id, "processing", to, { actor: "worker", reason: endReason(to), set: { reason }, at: move.at });
  if (moved) await rowEnded(trx, ctx, "processing", moved, move.at);
}
observePayments("bulk", onPaymentMove);

const endReason = (to: "succeeded" | "failed" | "cancelled") => (to === "succeeded" ? "payment_succeeded" : `payment_${to}`);

/** A row ends (a locked row, moved here): see {@link rowEnded}. */
async function finishRow(trx: Trx, ctx: AppContext, row: RowRow, to: "succeeded" | "failed" | "cancelled", reason: string | null, now: Date): Promise<void> {
  const moved = await store.moveRow(trx, ctx, row, to, { actor: "worker", reason: endReason(to), set: { reason }, at: now });
  if (moved) await rowEnded(trx, ctx, row.state, moved, now);
}

/**
 * After a row ended (moved `from` → its final state): the batch's counters, the row's callback,
 * the next rows of its bank, and — when it was the last open row of a running batch — the batch's end.
 */
async function rowEnded(trx: Trx, ctx: AppContext, from: RowState, moved: RowRow, now: Date): Promise<void> {
  const to = moved.state as "succeeded" | "failed" | "cancelled";
  if (!isCounted(from)) throw new Error(`batch row ${moved.id}: ${from} is not a committed state`);
  // The next rows of its bank (pending rows exist only while the batch runs: cancel takes them all).
  const opened = moved.bank_id ? await openWindow(trx, ctx, { id: moved.batch_id, company_id: moved.company_id, env: moved.env }, moved.bank_id, now, Math.ceil(ctx.config.bulk.bankConcurrency / 2)) : [];
  const batch = await store.countMoves(trx, moved.batch_id, [{ from, to, n: 1, amount: moved.amount ?? 0n }, ...(opened.length ? [{ from: "pending" as const, to: "queued" as const, n: opened.length, amount: 0n }] : [])], now);
  if (moved.callback_url) await emitBatchEvent(trx, batch, `batch.row.${to}`, { batch_id: batch.id, row: rowView(moved) }, moved.callback_url);
  const done = doneCount(batch);
  const committed = done + batch.pending_count + batch.queued_count + batch.processing_count;
  if (batch.state === "running" && done === committed) {
    const end = outcomeOf({ succeeded: batch.succeeded_count, failed: batch.failed_count, cancelled: batch.cancelled_count, reversed: batch.reversed_count });
    await transition(trx, batchStore, ctx, { id: batch.id, from: "running", to: end, set: { finished_at: now, updated_at: now }, actor: "worker", reason: "all_rows_final", at: now });
  } else if (batch.state === "running" && progressStep(done - 1, committed) !== progressStep(done, committed)) {
    await emitBatchEvent(trx, batch, "batch.progress", { batch: batchView(batch) });
  }
}

const doneCount = (b: BatchRow) => b.succeeded_count + b.failed_count + b.cancelled_count + b.reversed_count;

/**
 * A late reversal: the bank took back a payment after it succeeded (its row's outcome already
 * counted). The row moved succeeded → reversed; the batch's counts and amounts follow; the
 * batch's state is not changed (a finished batch stays finished: its counts tell the story), and
 * `batch.row.reversed` tells the company, the batch's callback_url and the row's.
 */
async function rowReversed(trx: Trx, moved: RowRow, now: Date): Promise<void> {
  const batch = await store.count(trx, moved.batch_id, "succeeded", "reversed", 1, moved.amount ?? 0n, now);
  await emitBatchEvent(trx, batch, "batch.row.reversed", { batch_id: batch.id, row: rowView(moved), batch: batchView(batch) }, undefined, moved.callback_url);
}

/** `batch.progress` at every 10% of the committed rows done. */
const progressStep = (done: number, of: number) => Math.floor((done * 10) / Math.max(of, 1));

export function rowView(r: RowRow) {
  return {
    row: r.row_no,
    status: r.state,
    payment_id: r.payment_id,
    account_to_debit: r.account_to_debit,
    amount: r.amount === null ? null : Number(r.amount),
    currency: r.currency,
    reference: r.reference,
    mandate: r.mandate_id,
    reason: r.reason,
    errors: r.errors ?? [],
  };
}

// ── Control ───────────────────────────────────────────────────────────────────────────────────

export interface CancelSummary {
  batch: BatchRow;
  /** Rows that had not been sent: now cancelled (or, before commit, skipped). */
  cancelled: number;
  /** Rows whose payment was already made: they finish on their own (pay/cancel each if still pending). */
  in_flight: { row: number; payment_id: string | null }[];
  /** Rows already final before the cancel. */
  already_final: number;
}

/**
 * Cancels what has not been sent: a `ready` batch's rows are skipped; a `running` batch's rows
 * waiting for their window or their job are cancelled (their jobs find them cancelled and do
 * nothing). Rows whose payment exists are reported in flight. The rows are moved before the batch
 * row is locked — the order a row job takes its locks in — so the two never deadlock.
 */
export async function cancelBatch(trx: Trx, ctx: AppContext, scope: Scope, id: string): Promise<CancelSummary> {
  const now = ctx.clock.now();
  const seen = await getBatch(trx, scope, id);
  if (seen.state !== "ready" && seen.state !== "running") {
    throw new OkroError("CONFLICT", `id: the batch is ${seen.state}; only a ready or running batch can be cancelled`, { field: "id", data: { reason: "not_cancellable", status: seen.state } });
  }
  let cancelled = 0;
  if (seen.state === "ready") {
    cancelled = (await store.moveRowsWhere(trx, id, "valid", "skipped", { actor: "api", reason: "batch_cancelled", at: now })).length;
  } else {
    for (const from of ["pending", "queued"] as const) {
      const moved = await store.moveRowsWhere(trx, id, from, "cancelled", { actor: "api", reason: "batch_cancelled", at: now });
      if (moved.length) await store.count(trx, id, from, "cancelled", moved.length, moved.reduce((s, r) => s + (r.amount ?? 0n), 0n), now);
      cancelled += moved.length;
    }
  }
  const batch = await getBatch(trx, scope, id, true);
  if (batch.state !== "ready" && batch.state !== "running") {
    throw new OkroError("CONFLICT", `id: the batch is ${batch.state}; only a ready or running batch can be cancelled`, { field: "id", data: { reason: "not_cancellable", status: batch.state } });
  }
  const inFlight = await trx.selectFrom("batch_rows").select(["row_no", "payment_id"]).where("batch_id", "=", id).where("state", "=", "processing").orderBy("row_no").execute();
  const moved = await transition(trx, batchStore, ctx, { id, from: batch.state, to: "cancelled", set: { finished_at: now, updated_at: now }, actor: "api", reason: "cancelled_by_merchant", at: now });
  if (!moved.ok) throw new OkroError("CONFLICT", "id: the batch changed meanwhile; try again", { field: "id" });
  const final = doneCount(moved.row) - cancelled;
  return { batch: moved.row, cancelled, in_flight: inFlight.map((r) => ({ row: r.row_no, payment_id: r.payment_id })), already_final: Math.max(final, 0) };
}

/**
 * The failed rows of a finished (or cancelled) batch as a new batch, validated again now (a
 * consent may have been given since), `ready` to commit. Once per batch: a second retry of the
 * same batch is refused, so the same failed rows are never charged twice by retries.
 */
export async function retryFailedRows(trx: Trx, ctx: AppContext, scope: Scope, id: string, offsetMs = 0): Promise<BatchRow> {
  const batch = await getBatch(trx, scope, id, true);
  if (batch.state === "ready" || batch.state === "running" || batch.state === "validating") {
    throw new OkroError("CONFLICT", `id: the batch is ${batch.state}; retry its failed rows once it has finished`, { field: "id", data: { reason: "not_finished", status: batch.state } });
  }
  const earlier = await trx.selectFrom("batches").select("id").where("retry_of", "=", batch.id).where("state", "not in", ["cancelled", "failed"]).executeTakeFirst();
  if (earlier) throw new OkroError("CONFLICT", `id: the failed rows were already retried as batch ${earlier.id}`, { field: "id", data: { reason: "already_retried", batch_id: earlier.id } });
  const failed = await trx.selectFrom("batch_rows").select(["raw"]).where("batch_id", "=", batch.id).where("state", "=", "failed").orderBy("row_no").execute();
  if (!failed.length) throw new OkroError("UNPROCESSABLE", "id: the batch has no failed rows to retry", { field: "id", data: { reason: "nothing_to_retry" } });
  const created = await validateBatch(trx, ctx, scope, { source: { kind: "json", rows: failed.map((r) => r.raw) }, callbackUrl: batch.callback_url, allOrNothing: batch.all_or_nothing, product: batch.product, offsetMs });
  // A retry is not a duplicate of anything: it is the rows that did not go through.
  await trx.updateTable("batches").set({ retry_of: batch.id, duplicate_of: null, file_name: batch.file_name ? `retry of ${batch.file_name}` : null }).where("id", "=", created.id).execute();
  return (await store.findBatch(trx, scope, created.id))!;
}

// ── Reading ───────────────────────────────────────────────────────────────────────────────────

export async function getBatch(db: Executor, scope: Scope, id: string, lock = false): Promise<BatchRow> {
  const row = await store.findBatch(db, scope, id, lock);
  if (!row) throw new OkroError("NOT_FOUND", "id: no such batch", { field: "id" });
  return row;
}

export async function listBatches(db: Executor, scope: Scope, f: { state?: BatchState | undefined; from?: Date | undefined; to?: Date | undefined; page: number; limit: number }) {
  return store.pageBatches(db, scope, f);
}

export async function batchRows(db: Executor, batchId: string, afterRow: number, limit: number, states?: readonly RowState[]) {
  return store.rowsAfter(db, batchId, afterRow, limit, states);
}

const PAGE = 1_000;
async function* pagesOf(db: Executor, batchId: string, states: readonly RowState[] | undefined, shape: (r: RowRow) => (string | number | null)[]) {
  let after = 0;
  for (;;) {
    const rows = await store.rowsAfter(db, batchId, after, PAGE, states);
    if (!rows.length) return;
    yield rows.map(shape);
    after = rows[rows.length - 1]!.row_no;
  }
}

/** The rows that have errors, as the file had them, plus `error`: fix and upload again. */
export function errorsCsv(db: Executor, batch: BatchRow): Readable {
  const columns = ((batch.totals as Partial<Report>).columns ?? [...COLUMNS]).filter((c) => c !== "error");
  return csvStream([...columns, "error"], () =>
    pagesOf(db, batch.id, ["invalid"], (r) => [...columns.map((c) => r.raw[c] ?? ""), (r.errors ?? []).map((e) => e.message).join("; ")]),
  );
}

/** Every row's outcome so far: row, payment id, status, reason, amount. */
export function resultsCsv(db: Executor, batch: BatchRow): Readable {
  return csvStream(["row", "payment_id", "status", "reason", "amount", "currency", "account_to_debit", "reference", "mandate"], () =>
    pagesOf(db, batch.id, undefined, (r) => [
      r.row_no,
      r.payment_id,
      r.state,
      r.reason ?? (r.errors ?? []).map((e) => e.message).join("; ") ?? null,
      r.amount === null ? null : Number(r.amount),
      r.currency,
      r.account_to_debit,
      r.reference,
      r.mandate_id,
    ]),
  );
}

/** The jobs bulk payments add to the runner. Importing this module also registers the payment observer. */
export const BULK_JOBS = [batchRowJob] as const;
