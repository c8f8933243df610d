import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { paginate } from "../core/paging.js";
import type { Scope } from "../core/tenancy.js";
import { tenantScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import { clockOffsetMs } from "../mandates/service.js";
import * as S from "./schemas.js";
import {
  cancelGarnishment,
  createGarnishment,
  getGarnishment,
  listGarnishments,
  pauseGarnishment,
  requestSweep,
  resumeGarnishment,
  sweepHistory,
  updateGarnishment,
  viewOf,
} from "./service.js";
import { sweepView } from "./views.js";

const scopeOf = (req: FastifyRequest): Scope => ({ companyId: req.tenant.companyId, env: req.tenant.env });

const LIST = "Newest first, paged with `page`/`limit` (`data.pagination`).";
const MUTATING = "Honours `Idempotency-Key`; unknown fields are a 400.";
const NOT_MINE = "An id of another company or environment is a 404, as for a missing one.";

/**
 * Garnishments over HTTP: Okro's `garnish/*` (Okra's `pay/initiate` with `type: garnish` is in
 * payments/routes.ts and lands in the same service). Thin: parse (schemas.ts), scope to the key's
 * company and environment, call service.ts, shape (views.ts). Every mutation runs in one
 * transaction with its Idempotency-Key row; a refusal writes nothing and debits nothing.
 */
export const garnishRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  function post<B extends z.ZodType, R extends z.ZodType>(
    path: string,
    doc: { operationId: string; summary: string; description: string },
    body: B,
    response: R,
    handler: (body: z.output<B>, req: FastifyRequest, reply: FastifyReply) => Promise<z.input<R>>,
  ) {
    app.post(path, { schema: { tags: ["Garnishments"], ...doc, body, response: { 200: response } } }, (req, reply) => handler(req.body as z.output<B>, req, reply) as never);
  }

  post(
    "/garnish/create",
    {
      operationId: "createGarnishment",
      summary: "Create a garnishment",
      description: `Recovers a debt from every account the debtor granted a sweep mandate on (\`mandates/create\` with \`debit_type: sweep\`, authorised by the debtor with each bank), at any bank: on each day of \`schedule\` (default daily, 08:00 Lagos) and on \`garnish/sweep\`, a sweep asks each bank for the account's available balance and debits what is there above \`floor\`, largest balance first, never more in all than is still owed. Each debit is an ordinary payment (\`type: garnish\`, pay/verify, pay/list, refunds). \`principal\` and \`interest\` are stated apart; penalties are not recoverable (422 naming \`penalties\`). A customer without a sweep mandate is a 422 naming \`customer\`; a debt beyond what the mandates allow in all a 422 naming \`principal\`. It is \`active\` when one of its mandates is active with the bank, else \`awaiting_consent\` (no consent, no sweep). \`collected\` and \`remaining\` are derived from its payments. ${MUTATING}`,
    },
    S.CreateGarnishmentBody,
    S.GarnishmentResponse,
    async (b, req, reply) => {
      const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
      return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const row = await createGarnishment(
          trx,
          ctx,
          scopeOf(req),
          {
            customerId: b.customer ?? null,
            mandateIds: b.mandates ?? null,
            currency: b.currency,
            principal: BigInt(b.principal),
            interest: BigInt(b.interest),
            penalties: b.penalties === undefined ? null : BigInt(b.penalties),
            floor: BigInt(b.floor),
            interval: b.schedule?.interval ?? "daily",
            dayOfMonth: b.schedule?.day_of_month ?? null,
            startDate: b.schedule?.start_date ?? null,
            endDate: b.schedule?.end_date ?? null,
            accountToCredit: b.account_to_credit ?? null,
            reference: b.reference ?? null,
            purpose: b.purpose ?? null,
            source: "api",
          },
          offsetMs,
        );
        return ok("Garnishment created", { garnishment: await viewOf(trx, row) });
      });
    },
  );
  post("/garnish/get", { operationId: "getGarnishment", summary: "Get a garnishment", description: `The recovery, what it collected and what remains. ${NOT_MINE}` }, S.GarnishmentIdBody, S.GarnishmentResponse, async (b, req) => {
    const g = await getGarnishment(db, scopeOf(req), b.id);
    return ok("Garnishment retrieved successfully", { garnishment: await viewOf(db, g) });
  });
  post(
    "/garnish/list",
    { operationId: "listGarnishments", summary: "List garnishments", description: `The key's company's garnishments, filtered by \`status\` (one or a list) and \`customer\`. ${LIST}` },
    S.ListGarnishmentsBody,
    S.GarnishmentsResponse,
    async (b, req) => {
      const page = await listGarnishments(db, scopeOf(req), {
        ...(b.status ? { state: Array.isArray(b.status) ? b.status : [b.status] } : {}),
        ...(b.customer ? { customerId: b.customer } : {}),
        page: b.page,
        limit: b.limit,
      });
      const views = [];
      for (const g of page.rows) views.push(await viewOf(db, g));
      return ok("Garnishments retrieved successfully", { garnishments: views, pagination: paginate(page.total, b.page, b.limit) });
    },
  );
  post(
    "/garnish/sweep",
    {
      operationId: "sweepGarnishment",
      summary: "Sweep a garnishment now",
      description: `Queues a sweep now (outside the schedule): its record appears in garnish/sweeps once it ran. A paused, ended or unconsented garnishment is a 409 naming its status, and nothing is debited. ${MUTATING} ${NOT_MINE}`,
    },
    S.GarnishmentIdBody,
    S.SweepRequestedResponse,
    async (b, req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const { garnishment, job } = await requestSweep(trx, ctx, scopeOf(req), b.id);
        return ok("Sweep queued", { garnishment: await viewOf(trx, garnishment), sweep: { status: "queued" as const, job } });
      }),
  );
  post(
    "/garnish/sweeps",
    {
      operationId: "listGarnishmentSweeps",
      summary: "A garnishment's sweep history",
      description: `Every sweep, newest first: when, why (schedule or request), what was owed before it, each account's balance seen (in the order tried), what was taken (and its payment) or why nothing was. ${NOT_MINE}`,
    },
    S.SweepsBody,
    S.SweepsResponse,
    async (b, req) => {
      const scope = scopeOf(req);
      const page = await sweepHistory(db, scope, b.id, b.page, b.limit);
      const g = await getGarnishment(db, scope, b.id);
      return ok("Sweeps retrieved successfully", { garnishment: await viewOf(db, g), sweeps: page.rows.map(sweepView), pagination: paginate(page.total, b.page, b.limit) });
    },
  );
  const move = (path: string, operationId: string, summary: string, description: string, fn: typeof pauseGarnishment, done: string) =>
    post(path, { operationId, summary, description: `${description} ${MUTATING} ${NOT_MINE}` }, S.GarnishmentIdBody, S.GarnishmentResponse, async (b, req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => ok(done, { garnishment: await viewOf(trx, await fn(trx, ctx, scopeOf(req), b.id)) })),
    );
  move("/garnish/pause", "pauseGarnishment", "Pause a garnishment", "An active garnishment stops sweeping; scheduled sweeps while paused are recorded as skipped, not caught up. Anything but `active` is a 409.", pauseGarnishment, "Garnishment paused");
  move("/garnish/resume", "resumeGarnishment", "Resume a garnishment", "A paused garnishment sweeps again from its next scheduled sweep. Anything but `paused` is a 409.", resumeGarnishment, "Garnishment resumed");
  move("/garnish/cancel", "cancelGarnishment", "Cancel a garnishment", "Nothing more is swept (debits already at the bank finish and count). An ended garnishment is a 409.", cancelGarnishment, "Garnishment cancelled");
  post(
    "/garnish/update",
    {
      operationId: "updateGarnishment",
      summary: "Lower a garnishment's debt",
      description: `Lowers \`principal\` and/or \`interest\` (e.g. the debtor paid another way) or changes \`floor\`. The debt may only go down (a higher one is a 422 naming the field). At or below what was collected, the garnishment is \`repaid\` at once and the excess is refunded automatically through pay/refund once the debits have settled. ${MUTATING} ${NOT_MINE}`,
    },
    S.UpdateGarnishmentBody,
    S.GarnishmentResponse,
    async (b, req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const row = await updateGarnishment(trx, ctx, scopeOf(req), b.id, {
          principal: b.principal === undefined ? null : BigInt(b.principal),
          interest: b.interest === undefined ? null : BigInt(b.interest),
          floor: b.floor === undefined ? null : BigInt(b.floor),
        });
        return ok("Garnishment updated", { garnishment: await viewOf(trx, row) });
      }),
  );
};
