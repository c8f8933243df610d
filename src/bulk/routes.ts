import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import multipart from "@fastify/multipart";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate, PageParams } from "../core/paging.js";
import type { Scope } from "../core/tenancy.js";
import { tenantScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import { clockOffsetMs } from "../mandates/charges.js";
import { batchMachine } from "./domain.js";
import { batchView, cancelBatch, commitBatch, errorsCsv, getBatch, listBatches, resultsCsv, retryFailedRows, validateBatch, type BatchSource, type NewBatch } from "./service.js";

/**
 * Bulk payments over HTTP (`/v2/batches/*`, and Okra's `/v2/bulkfiles/initiate`). Thin: read the
 * upload (multipart, form-encoded or JSON), scope to the key's company and environment, call the
 * service in one transaction with the Idempotency-Key row, shape the envelope.
 *
 * Uploads: a multipart `file` is spooled to a temporary file while its SHA-256 is computed (the
 * Idempotency-Key fingerprint and the duplicate-file check need it before validation), up to
 * `config.bulk.maxFileBytes`; validation then streams it from disk, so memory stays flat.
 */

const scopeOf = (req: FastifyRequest): Scope => ({ companyId: req.tenant.companyId, env: req.tenant.env });
const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no", ""]).transform((v) => v === "true" || v === "1" || v === "yes")]);
const BatchId = z.object({ id: z.string().min(1).max(64) });

const View = z.record(z.string(), z.unknown());
const BatchResponse = z.object({ status: z.literal("success"), message: z.string(), data: z.object({ batch: View }).passthrough() });

/** What an upload came as, once read: the file (spooled or in memory) and the other fields. */
interface Upload {
  source: BatchSource;
  fields: Record<string, string>;
  /** For the Idempotency-Key fingerprint: the fields and the file's hash, never its bytes. */
  fingerprint: Record<string, unknown>;
  cleanup: () => Promise<void>;
}

const FIELDS = ["product", "callback_url", "all_or_nothing", "allow_duplicate", "file_name"] as const;

export const bulkRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { maxFileBytes } = ctx.config.bulk;
  await app.register(multipart, { limits: { fileSize: maxFileBytes, files: 1, fields: 20, fieldSize: 4096, parts: 22 } });
  // Form-encoded or JSON files travel inside the body: allow them the file limit (and its encoding's overhead).
  const bodyLimit = maxFileBytes * 2;

  function tooLarge(): OkroError {
    return new OkroError("PAYLOAD_TOO_LARGE", `file: larger than ${maxFileBytes} bytes, the most one upload may be (OKRO_BULK_MAX_FILE_BYTES); split the file`, { field: "file", data: { reason: "file_too_large", limit_bytes: maxFileBytes } });
  }

  /** Reads a multipart upload (one `file` part and fields), spooling the file to disk with its hash. */
  async function readMultipart(req: FastifyRequest): Promise<Upload> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "okro-bulk-"));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    const fields: Record<string, string> = {};
    let file: { path: string; name: string | null; sha256: string; bytes: number } | undefined;
    try {
      for await (const part of req.parts()) {
        if (part.type === "file") {
          if (part.fieldname !== "file") {
            part.file.resume();
            throw new OkroError("UNKNOWN_FIELDS", `${part.fieldname}: unknown file field; send the CSV as \`file\``, { field: part.fieldname });
          }
          const hash = createHash("sha256");
          let bytes = 0;
          const target = path.join(dir, "upload.csv");
          await pipeline(
            part.file,
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                hash.update(chunk);
                bytes += chunk.length;
                done(null, chunk);
              },
            }),
            createWriteStream(target),
          );
          if (part.file.truncated) throw tooLarge();
          file = { path: target, name: part.filename || null, sha256: hash.digest("hex"), bytes };
        } else {
          if (!(FIELDS as readonly string[]).includes(part.fieldname)) throw new OkroError("UNKNOWN_FIELDS", `${part.fieldname}: unknown field; bulk uploads take file, ${FIELDS.join(", ")}`, { field: part.fieldname });
          fields[part.fieldname] = String(part.value ?? "");
        }
      }
    } catch (error) {
      await cleanup();
      const e = error as { code?: string; statusCode?: number };
      if (e.code === "FST_REQ_FILE_TOO_LARGE") throw tooLarge();
      if (e.code === "FST_FILES_LIMIT" || e.code === "FST_PARTS_LIMIT" || e.code === "FST_FIELDS_LIMIT") throw new OkroError("INVALID_BODY", "body: send one `file` and a few fields", { field: "file" });
      throw error;
    }
    if (!file) {
      await cleanup();
      throw new OkroError("MISSING_FIELDS", "file: missing; send the CSV as a multipart part named `file` (curl -F file=@payments.csv)", { field: "file" });
    }
    const f = file;
    return {
      source: { kind: "csv", stream: createReadStream(f.path), fileName: fields.file_name || f.name, sha256: () => f.sha256 },
      fields,
      fingerprint: { ...fields, file: { name: f.name, sha256: f.sha256, bytes: f.bytes } },
      cleanup,
    };
  }

  /**
   * A JSON or form-encoded body: `file` is the CSV's text (okra-node sends its options as JSON;
   * pyokra form-encodes), or a Node Buffer serialised by JSON.stringify (`{type:"Buffer",data:[…]}`,
   * what okra-node sends when given fs.readFileSync's result); or `payments`, an array of rows.
   */
  function readBody(req: FastifyRequest): Upload {
    const body = req.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      if (Array.isArray(body)) return jsonRows(body, {});
      throw new OkroError("MISSING_FIELDS", "file: missing; send the CSV as a multipart part named `file`, or `payments` as a JSON array", { field: "file" });
    }
    const b = body as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(b)) {
      if (k === "file" || k === "payments") continue;
      if (!(FIELDS as readonly string[]).includes(k)) throw new OkroError("UNKNOWN_FIELDS", `${k}: unknown field; bulk uploads take file (or payments), ${FIELDS.join(", ")}`, { field: k });
      fields[k] = typeof v === "string" ? v : typeof v === "boolean" || typeof v === "number" ? String(v) : "";
    }
    if (b.payments !== undefined) {
      if (!Array.isArray(b.payments)) throw new OkroError("INVALID_FIELD", "payments: must be an array of payment objects", { field: "payments" });
      return jsonRows(b.payments, fields);
    }
    let bytes: Buffer;
    const f = b.file;
    if (typeof f === "string") bytes = Buffer.from(f, "utf8");
    else if (f && typeof f === "object" && (f as { type?: unknown }).type === "Buffer" && Array.isArray((f as { data?: unknown }).data)) bytes = Buffer.from((f as { data: number[] }).data);
    else if (f === undefined || f === null || f === "") throw new OkroError("MISSING_FIELDS", "file: missing; send the CSV as a multipart part named `file` (or its text in `file`)", { field: "file" });
    else throw new OkroError("INVALID_FIELD", "file: must be the CSV file (multipart), or its text", { field: "file" });
    if (bytes.length > maxFileBytes) throw tooLarge();
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    return {
      source: { kind: "csv", stream: Readable.from([bytes]), fileName: fields.file_name || null, sha256: () => sha256 },
      fields,
      fingerprint: { ...fields, file: { sha256, bytes: bytes.length } },
      cleanup: async () => {},
    };
  }

  function jsonRows(rows: unknown[], fields: Record<string, string>): Upload {
    return { source: { kind: "json", rows }, fields, fingerprint: { ...fields, payments: rows }, cleanup: async () => {} };
  }

  async function readUpload(req: FastifyRequest): Promise<Upload> {
    return req.isMultipart() ? readMultipart(req) : readBody(req);
  }

  function flag(fields: Record<string, string>, name: string): boolean | undefined {
    const v = fields[name];
    if (v === undefined) return undefined;
    const parsed = bool.safeParse(v);
    if (!parsed.success) throw new OkroError("INVALID_FIELD", `${name}: must be true or false`, { field: name });
    return parsed.data;
  }

  function newBatch(u: Upload, offsetMs: number): NewBatch {
    const product = u.fields.product;
    if (product !== undefined && product !== "" && product !== "initiate_payment") {
      throw new OkroError("INVALID_FIELD", `product: ${JSON.stringify(product.slice(0, 40))} is not a bulk product; use initiate_payment`, { field: "product" });
    }
    return { source: u.source, callbackUrl: u.fields.callback_url || null, allOrNothing: flag(u.fields, "all_or_nothing"), product: "initiate_payment", offsetMs };
  }

  /** The upload's fingerprint stands in for the body (Idempotency-Key: same file, same answer; another file, a 409). */
  async function withUpload<T>(req: FastifyRequest, reply: FastifyReply, fn: (u: Upload, offsetMs: number) => (trx: Parameters<Parameters<typeof mutate>[4]>[0]) => Promise<T>): Promise<T> {
    const upload = await readUpload(req);
    try {
      (req as { body: unknown }).body = upload.fingerprint;
      // The company's business clock (mandate rows are checked on its day), read before the transaction.
      const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
      return await mutate(ctx, req, reply, tenantScope(req.tenant), fn(upload, offsetMs));
    } finally {
      await upload.cleanup();
    }
  }

  const tags = ["Bulk payments"];
  const MUTATING = "Honours `Idempotency-Key` (the same file and fields replay the first answer).";
  const UPLOAD =
    "The file: multipart `file` (CSV: a header row, then one payment a row; columns `account_to_debit` and `amount` required, `account_to_credit`, `currency`, `callback_url`, `reference`, `narration`, `customer`, `type` (`one-time`, or `mandate`: a charge on a mandate of the account without a schedule, within its caps), `mandate` (its id or reference; empty: the account's one such mandate) optional; amounts in kobo; UTF-8, a BOM, CRLF and quoted cells are fine), or form-encoded/JSON `file` holding the CSV's text, or JSON `payments`: an array of objects with the same columns. Fields: `callback_url` (the batch's `batch.*` events), `all_or_nothing`. Limits: `OKRO_BULK_MAX_ROWS` rows (10,000 by default) and `OKRO_BULK_MAX_FILE_BYTES` (16 MiB): a 413 naming the limit.";

  app.post(
    "/batches/create",
    { bodyLimit, schema: { tags, summary: "Upload and validate a bulk file", description: `Validates every row (nothing moves) and answers with the batch \`ready\`: totals (rows, amount, per currency, per bank), the first 100 row errors (row, column, code, message) and \`errors_url\`, a CSV of the rows with errors plus an \`error\` column to fix and upload again. A file uploaded before gets a \`duplicate_file\` warning (committing it then needs \`allow_duplicate\`). Commit with batches/commit. ${UPLOAD} ${MUTATING}`, response: { 200: BatchResponse } } },
    async (req, reply) =>
      withUpload(req, reply, (u, offsetMs) => async (trx) => {
        const batch = await validateBatch(trx, ctx, scopeOf(req), newBatch(u, offsetMs));
        return ok(`Batch validated: ${batch.valid_rows} of ${batch.total_rows} rows are valid`, { batch: batchView(batch) });
      }),
  );

  app.post(
    "/bulkfiles/initiate",
    { bodyLimit, schema: { tags, summary: "Okra's bulk debit upload (validate and commit in one call)", description: `Okra's \`bulkfiles/initiate\` (okra-node \`initBulkPayments({file, product})\`, pyokra form-encoded, \`curl -F file=@payments.csv -F product=initiate_payment\`): validates the file and commits its valid rows at once (with \`all_or_nothing=true\`, any invalid row refuses the whole file: a 422 and nothing moves). Answers in Okra's shape (\`_id\`, \`name\`, \`owner\`, \`product\`, \`status\`, \`user\`) plus the batch with its validation report. The same file uploaded again is a 409 naming the earlier batch (send \`allow_duplicate=true\` to pay it again on purpose); a file with no valid row is a 422 with the row errors. ${UPLOAD} ${MUTATING}`, response: { 200: BatchResponse } } },
    async (req, reply) =>
      withUpload(req, reply, (u, offsetMs) => async (trx) => {
        const scope = scopeOf(req);
        const input = newBatch(u, offsetMs);
        const validated = await validateBatch(trx, ctx, scope, input);
        if (validated.valid_rows === 0) {
          const view = batchView(validated);
          throw new OkroError("UNPROCESSABLE", `file: none of the ${validated.total_rows} rows is valid; nothing was charged (first error: row ${view.errors[0]?.row}, ${view.errors[0]?.message})`, {
            field: "file",
            data: { reason: "no_valid_rows", errors: view.errors, error_count: view.error_count, totals: view.totals },
          });
        }
        if (input.allOrNothing && validated.invalid_rows > 0) {
          const view = batchView(validated);
          throw new OkroError("UNPROCESSABLE", `file: ${validated.invalid_rows} of ${validated.total_rows} rows have errors and all_or_nothing was asked: nothing was charged`, {
            field: "file",
            data: { reason: "invalid_rows", errors: view.errors, error_count: view.error_count, totals: view.totals },
          });
        }
        const batch = await commitBatch(trx, ctx, scope, validated.id, { allowDuplicate: flag(u.fields, "allow_duplicate") });
        const view = batchView(batch);
        return ok("Bulk payment file uploaded successfully", {
          _id: batch.id,
          name: batch.file_name ?? "upload.csv",
          file_name: batch.file_name,
          owner: batch.company_id,
          user: batch.company_id,
          product: batch.product,
          status: batch.state,
          batch: view,
        });
      }),
  );

  const Commit = z.strictObject({ id: z.string().min(1).max(64), all_or_nothing: bool.optional(), allow_duplicate: bool.optional() });
  app.post(
    "/batches/commit",
    { schema: { tags, summary: "Commit a validated batch", description: `Starts a \`ready\` batch: each valid row becomes a payment (pay/initiate's rules, checked again), paced per bank. With \`all_or_nothing\` (or the batch's own), any invalid row refuses the commit: a 422 and nothing moves. A batch whose file was uploaded before needs \`allow_duplicate: true\` (409 otherwise). ${MUTATING}`, body: Commit, response: { 200: BatchResponse } } },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const b = req.body;
        const batch = await commitBatch(trx, ctx, scopeOf(req), b.id, { allOrNothing: b.all_or_nothing, allowDuplicate: b.allow_duplicate });
        return ok("Batch committed", { batch: batchView(batch) });
      }),
  );

  app.post(
    "/batches/cancel",
    { schema: { tags, summary: "Cancel a batch", description: `Cancels every row not yet sent (a ready batch: all of it) and answers with a summary: \`cancelled\` rows, rows \`in_flight\` (their payment exists: they finish on their own; pay/cancel each while it is still pending) and rows already final. ${MUTATING}`, body: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: BatchResponse } } },
    async (req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const s = await cancelBatch(trx, ctx, scopeOf(req), req.body.id);
        return ok(`Batch cancelled: ${s.cancelled} rows cancelled, ${s.in_flight.length} already sent`, { batch: batchView(s.batch), summary: { cancelled: s.cancelled, in_flight: s.in_flight, already_final: s.already_final } });
      }),
  );

  app.post(
    "/batches/retry",
    { schema: { tags, summary: "Retry a batch's failed rows", description: `Makes a new batch of the failed rows of a finished batch, validated again now, \`ready\` to commit (once per batch). ${MUTATING}`, body: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: BatchResponse } } },
    async (req, reply) => {
      const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
      return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const batch = await retryFailedRows(trx, ctx, scopeOf(req), req.body.id, offsetMs);
        return ok(`New batch of ${batch.total_rows} failed rows`, { batch: batchView(batch) });
      });
    },
  );

  app.post("/batches/get", { schema: { tags, summary: "A batch", description: "The batch with its totals, live counts and validation report. Another company's id is a 404.", body: BatchId, response: { 200: BatchResponse } } }, async (req) => {
    const batch = await getBatch(ctx.db, scopeOf(req), req.body.id);
    return ok("Batch retrieved", { batch: batchView(batch) });
  });

  const List = z.object({ ...PageParams, status: z.enum(batchMachine.states).optional(), from: z.coerce.date().optional(), to: z.coerce.date().optional() });
  app.post(
    "/batches/list",
    { schema: { tags, summary: "List batches", description: "Newest first; filters: `status`, `from`/`to` (created at, ISO dates). Paged with `page`/`limit`.", body: List, response: { 200: z.object({ status: z.literal("success"), message: z.string(), data: z.object({ batches: z.array(View), pagination: z.unknown() }) }) } } },
    async (req) => {
      const b = req.body;
      const page = await listBatches(ctx.db, scopeOf(req), { state: b.status, from: b.from, to: b.to, page: b.page, limit: b.limit });
      return ok("Batches retrieved", { batches: page.rows.map(batchView), pagination: paginate(page.total, b.page, b.limit) });
    },
  );

  const csvReply = (reply: FastifyReply, name: string, stream: Readable) =>
    reply.header("content-type", "text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).header("x-content-type-options", "nosniff").send(stream);
  app.get("/batches/errors.csv", { schema: { tags, summary: "The rows with errors, as CSV", description: "`?id=<batch id>`: the file's rows that have errors, as uploaded, plus an `error` column: fix them and upload the file again. Cells that a spreadsheet would run as a formula are prefixed with `'`.", querystring: BatchId } }, async (req, reply) => {
    const batch = await getBatch(ctx.db, scopeOf(req), req.query.id);
    return csvReply(reply, `batch-${batch.id}-errors.csv`, errorsCsv(ctx.db, batch));
  });
  app.get("/batches/results.csv", { schema: { tags, summary: "Every row's outcome, as CSV", description: "`?id=<batch id>`: `row, payment_id, status, reason, amount, currency, account_to_debit, reference` for every row, at any time (live while the batch runs). Formula-escaped.", querystring: BatchId } }, async (req, reply) => {
    const batch = await getBatch(ctx.db, scopeOf(req), req.query.id);
    return csvReply(reply, `batch-${batch.id}-results.csv`, resultsCsv(ctx.db, batch));
  });
};
