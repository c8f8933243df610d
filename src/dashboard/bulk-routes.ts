import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import { dashboardScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import { batchMachine } from "../bulk/domain.js";
import { batchView, cancelBatch, commitBatch, errorsCsv, getBatch, listBatches, resultsCsv, retryFailedRows, validateBatch } from "../bulk/service.js";
import { EnvParam } from "../platform/schemas.js";
import { auditAction, scopeOf } from "./payments-routes.js";
import { requireRole } from "./roles.js";

/**
 * The dashboard's bulk uploads (issue 16 item 3), under /dashboard/api: upload a CSV (its text, read
 * by the page) to validate it, then commit it (confirmed; all-or-nothing optional), the batch list,
 * a batch with its live counts, cancel, retry the failed rows, and the errors / results CSVs. Thin
 * over src/bulk (the same service as /v2/batches/*). Validating moves nothing (a developer may);
 * commit, cancel and retry need an admin and `confirm: true`, and leave an audit entry.
 */

const BatchIdText = z.string().min(1).max(64);
const Confirm = z.literal(true, { error: "must be true: confirm this action (it moves money)" });

const ValidateBody = z.strictObject({
  env: EnvParam,
  file: z.string({ error: "must be the CSV's text" }).min(1, "is empty: choose a CSV file"),
  file_name: z.string().trim().max(200).optional(),
  all_or_nothing: z.boolean().optional(),
});
const CommitBody = z.strictObject({ env: EnvParam, id: BatchIdText, all_or_nothing: z.boolean().optional(), allow_duplicate: z.boolean().optional(), confirm: Confirm });
const ActionBody = z.strictObject({ env: EnvParam, id: BatchIdText, confirm: Confirm });
const ListQuery = z.object({
  env: EnvParam,
  status: z.enum(batchMachine.states).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
const GetQuery = z.object({ env: EnvParam });

export const dashboardBulkRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;
  const { maxFileBytes } = ctx.config.bulk;

  app.post(
    "/batches/validate",
    { bodyLimit: maxFileBytes * 2, schema: { summary: "Upload a CSV and validate it (nothing moves)", body: ValidateBody } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "developer", "upload a bulk file");
      const { env, file, file_name, all_or_nothing } = req.body;
      const bytes = Buffer.from(file, "utf8");
      if (bytes.length > maxFileBytes) throw new OkroError("PAYLOAD_TOO_LARGE", `file: larger than ${maxFileBytes} bytes, the most one upload may be; split the file`, { field: "file" });
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const batch = await validateBatch(trx, ctx, scopeOf(req, env), {
          source: { kind: "csv", stream: Readable.from([bytes]), fileName: file_name || null, sha256: () => sha256 },
          callbackUrl: null,
          allOrNothing: all_or_nothing,
          product: "initiate_payment",
        });
        return ok(`Batch validated: ${batch.valid_rows} of ${batch.total_rows} rows are valid`, { batch: batchView(batch) });
      });
    },
  );

  app.post("/batches/commit", { schema: { summary: "Commit a validated batch (asks for confirmation)", body: CommitBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "commit a bulk payment");
    const { env, id, all_or_nothing, allow_duplicate } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const batch = await commitBatch(trx, ctx, scopeOf(req, env), id, { allOrNothing: all_or_nothing, allowDuplicate: allow_duplicate });
      const view = batchView(batch);
      await auditAction(ctx, trx, req, env, "batch.commit", { type: "batch", id }, { rows: batch.valid_rows, totals: view.totals });
      return ok("Batch committed", { batch: view });
    });
  });

  app.post("/batches/cancel", { schema: { summary: "Cancel a batch's rows not yet sent (asks for confirmation)", body: ActionBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "cancel a bulk payment");
    const { env, id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const s = await cancelBatch(trx, ctx, scopeOf(req, env), id);
      await auditAction(ctx, trx, req, env, "batch.cancel", { type: "batch", id }, { cancelled: s.cancelled, in_flight: s.in_flight.length });
      return ok(`Batch cancelled: ${s.cancelled} rows cancelled, ${s.in_flight.length} already sent`, { batch: batchView(s.batch), summary: { cancelled: s.cancelled, in_flight: s.in_flight, already_final: s.already_final } });
    });
  });

  app.post("/batches/retry", { schema: { summary: "A new batch of a finished batch's failed rows, ready to commit", body: ActionBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "retry a bulk payment");
    const { env, id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const batch = await retryFailedRows(trx, ctx, scopeOf(req, env), id);
      await auditAction(ctx, trx, req, env, "batch.retry", { type: "batch", id }, { new_batch: batch.id, rows: batch.total_rows });
      return ok(`New batch of ${batch.total_rows} failed rows`, { batch: batchView(batch) });
    });
  });

  app.get("/batches", { schema: { summary: "Bulk uploads, newest first", querystring: ListQuery } }, async (req) => {
    const { env, status, page, limit } = req.query;
    const result = await listBatches(db, scopeOf(req, env), { state: status, page, limit });
    return ok("Batches retrieved", { batches: result.rows.map(batchView), pagination: paginate(result.total, page, limit) });
  });

  app.get("/batches/:id", { schema: { summary: "A batch with its totals, live counts and row errors", params: z.object({ id: BatchIdText }), querystring: GetQuery } }, async (req) => {
    const batch = await getBatch(db, scopeOf(req, req.query.env), req.params.id);
    return ok("Batch retrieved", { batch: batchView(batch) });
  });

  const csvReply = (reply: FastifyReply, name: string, stream: Readable) =>
    reply.header("content-type", "text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).header("x-content-type-options", "nosniff").send(stream);
  app.get("/batches/:id/errors.csv", { schema: { summary: "The rows with errors, with an error column, as CSV", params: z.object({ id: BatchIdText }), querystring: GetQuery } }, async (req, reply) => {
    const batch = await getBatch(db, scopeOf(req, req.query.env), req.params.id);
    return csvReply(reply, `batch-${batch.id}-errors.csv`, errorsCsv(db, batch));
  });
  app.get("/batches/:id/results.csv", { schema: { summary: "Every row's outcome, as CSV", params: z.object({ id: BatchIdText }), querystring: GetQuery } }, async (req, reply) => {
    const batch = await getBatch(db, scopeOf(req, req.query.env), req.params.id);
    return csvReply(reply, `batch-${batch.id}-results.csv`, resultsCsv(db, batch));
  });
};
