import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import { findCustomer } from "../data/queries.js";
import type { Scope } from "../core/tenancy.js";
import { tenantScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import * as S from "./schemas.js";
import { cancelMandate, clockOffsetMs, createMandate, pauseMandate, planCharges, reauthMandate, resumeMandate, upcomingCharges } from "./service.js";
import * as store from "./store.js";
import { mandateApiView } from "./views.js";

const scopeOf = (req: FastifyRequest): Scope => ({ companyId: req.tenant.companyId, env: req.tenant.env });

const LIST = "Newest first, paged with `page`/`limit` (`data.pagination`).";
const MUTATING = "Honours `Idempotency-Key`; unknown fields are a 400.";
const NOT_MINE = "An id of another company or environment is a 404, as for a missing one.";
const big = (n: number | undefined) => (n === undefined ? null : BigInt(n));
const date = (d: string | null | undefined) => d || null;

/**
 * Mandates over HTTP: Okra's `pay/authorization/*` (okra-node's `authorization/initiate` too) and
 * Okro's `mandates/*`. Thin: parse (schemas.ts), scope to the key's company and environment, call
 * service.ts, shape (views.ts). Every mutation runs in one transaction with its Idempotency-Key row;
 * a refusal writes nothing and charges nothing.
 */
export const mandateRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;
  /** The mandate as the API answers it: with `url`, where the customer authorises it (the widget's `/mandate/<id>`). */
  const view = (m: Parameters<typeof mandateApiView>[0]) => mandateApiView(m, ctx.config);

  function post<B extends z.ZodType, R extends z.ZodType>(
    path: string,
    doc: { operationId: string; summary: string; description: string; tags?: string[] },
    body: B,
    response: R,
    handler: (body: z.output<B>, req: FastifyRequest, reply: FastifyReply) => Promise<z.input<R>>,
  ) {
    app.post(path, { schema: { tags: doc.tags ?? ["Mandates"], ...doc, body, response: { 200: response } } }, (req, reply) => handler(req.body as z.output<B>, req, reply) as never);
  }

  /** The tenant's mandate or a 404 naming `field`; `executor`: the request's transaction when inside one (embedded PGlite has one connection). */
  async function mine(scope: Scope, id: string, field: string, executor: store.Executor = db) {
    const m = await store.mandateById(executor, scope, id);
    if (!m) throw new OkroError("NOT_FOUND", `${field}: mandate not found`, { field });
    return m;
  }

  // ── Okro's mandates/* ──────────────────────────────────────────────────────────────────────
  post(
    "/mandates/create",
    {
      operationId: "createMandate",
      summary: "Create a mandate",
      description: `Proposes a mandate on a customer's linked account: \`fixed\` (\`amount\` every charge) or \`variable\` (any amount within \`max_total\`, and \`max_per_charge\` / \`max_per_period\` per \`period\` when given), from \`start_date\` (default today, Lagos) to \`end_date\` (absent: until cancelled), optionally with a schedule (\`interval\` daily|weekly|monthly|quarterly|yearly, \`day_of_month\` 1–31 or -1 = last day, \`count\`). It starts \`awaiting_customer\`: the customer authorises it with their bank, then it is \`awaiting_bank\` until the bank activates it, then \`active\`. \`description\` states every limit in words. Bad terms (a schedule ending before it starts, caps that contradict each other, a start in the past) are a 400 naming the field; another currency than the account's a 422. ${MUTATING}`,
    },
    S.CreateMandateBody,
    S.MandateResponse,
    async (b, req, reply) => {
      // The business clock is read before the transaction (embedded PGlite has one connection).
      const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
      return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const row = await createMandate(trx, ctx, scopeOf(req), {
          accountId: b.account,
          debitType: b.debit_type,
          currency: b.currency,
          amount: big(b.amount),
          initialAmount: big(b.initial_amount),
          maxPerCharge: big(b.max_per_charge),
          maxTotal: big(b.max_total),
          maxPerPeriod: big(b.max_per_period),
          period: b.period ?? null,
          startDate: date(b.start_date),
          endDate: date(b.end_date),
          interval: b.interval ?? null,
          dayOfMonth: b.day_of_month ?? null,
          count: b.count ?? null,
          businessDays: b.business_days ?? null,
          purpose: b.purpose ?? null,
          reference: b.reference ?? null,
          options: b.options ?? null,
          accountToCredit: b.account_to_credit ?? null,
          retry: b.retry ? { attempts: b.retry.attempts, spacingHours: b.retry.spacing_hours, balanceCheck: b.retry.balance_check ?? true } : null,
          noticeDays: b.notice_days ?? null,
        }, offsetMs);
        return ok(`Mandate created: ${view(row).description}`, { mandate: view(row) });
      });
    },
  );
  post("/mandates/get", { operationId: "getMandate", summary: "Get a mandate", description: `The mandate, its state and why. ${NOT_MINE}` }, S.MandateIdBody, S.MandateResponse, async (b, req) => {
    const m = await mine(scopeOf(req), b.id, "id");
    return ok("Mandate retrieved successfully", { mandate: view(m) });
  });
  post(
    "/mandates/list",
    { operationId: "listMandates", summary: "List mandates", description: `The key's company's mandates, filtered by \`status\` (one or a list), \`customer\`, \`account\`. ${LIST}` },
    S.ListMandatesBody,
    S.MandatesResponse,
    async (b, req) => {
      const page = await store.listMandates(db, scopeOf(req), {
        ...(b.status ? { state: Array.isArray(b.status) ? b.status : [b.status] } : {}),
        ...(b.customer ? { customerId: b.customer } : {}),
        ...(b.account ? { accountId: b.account } : {}),
        page: b.page,
        limit: b.limit,
      });
      return ok("Mandates retrieved successfully", { mandates: page.rows.map(view), pagination: paginate(page.total, b.page, b.limit) });
    },
  );
  const move = (path: string, operationId: string, summary: string, description: string, fn: typeof pauseMandate, done: string) =>
    post(path, { operationId, summary, description: `${description} ${MUTATING} ${NOT_MINE}` }, S.MandateMutateBody, S.MandateResponse, async (b, req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => ok(done, { mandate: view(await fn(trx, ctx, scopeOf(req), b.id)) })),
    );
  move("/mandates/pause", "pauseMandate", "Pause a mandate", "An active mandate stops charging; cycles that fall due while it is paused are skipped (`mandate.charge_skipped`), not caught up. Anything but `active` is a 409 naming its status.", pauseMandate, "Mandate paused");
  move("/mandates/resume", "resumeMandate", "Resume a mandate", "A paused mandate charges again from its next cycle. Anything but `paused` is a 409.", resumeMandate, "Mandate resumed");
  move(
    "/mandates/cancel",
    "cancelMandate",
    "Cancel a mandate",
    "Nothing more is charged (charges already at the bank finish). A mandate that has ended is a 409.",
    (trx, c, scope, id) => cancelMandate(trx, c, scope, id, { actor: "api" }),
    "Mandate cancelled",
  );
  post(
    "/mandates/upcoming",
    { operationId: "upcomingMandateCharges", summary: "A mandate's upcoming charges", description: `The next \`limit\` (default 12) charges of a live mandate's schedule: cycle (0-based), Lagos date (29th–31st clamped to shorter months' last day, visible here) and amount. ${NOT_MINE}` },
    S.UpcomingBody,
    S.UpcomingResponse,
    async (b, req) => {
      const scope = scopeOf(req);
      const m = await mine(scope, b.id, "id");
      return ok("Upcoming charges retrieved successfully", { mandate: view(m), upcoming: await upcomingCharges(db, ctx, scope, m, b.limit, await clockOffsetMs(ctx, scope)) });
    },
  );

  // ── Okra's pay/authorization/* ─────────────────────────────────────────────────────────────
  const tags = ["Mandates (Okra)"];
  const initiate = async (b: z.output<typeof S.AuthorizationInitiateBody>, req: FastifyRequest, reply: FastifyReply) => {
    const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
    return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
      const scope = scopeOf(req);
      const row = await planCharges(trx, ctx, scope, b.authorization, {
        amount: BigInt(b.amount),
        initialAmount: big(b.initialAmount),
        currency: b.currency,
        startDate: date(b.startDate) ?? date(b.start_date),
        endDate: date(b.endDate) ?? date(b.end_date),
        interval: b.interval,
        oneTime: b.oneTime,
      }, offsetMs);
      const shown = view(row);
      return ok(`Future payment set up: ${shown.description}`, { authorization: shown, upcoming: await upcomingCharges(trx, ctx, scope, row, 3, offsetMs) });
    });
  };
  const initiateDoc = {
    tags,
    summary: "Charge an authorization (future payment)",
    description: `Okra's future payment: \`amount\` every \`interval\` (default monthly) on the authorization \`authorization\` from \`startDate\` (default today, Lagos; \`YYYY-MM-DD\` or \`YYYY/MM/DD\`) until \`endDate\` (absent: until cancelled), the first charge \`initialAmount\` when given, once only with \`oneTime\`. The message describes the schedule in words; \`data.authorization\` is the mandate. Each charge must fit the authorization (currency, validity, caps): otherwise a 4xx naming the field and nothing is charged. An authorization that already has a schedule is a 409; one that has ended a 409 naming its status. ${MUTATING} ${NOT_MINE}`,
  };
  post("/pay/authorization/initiate", { ...initiateDoc, operationId: "initiateAuthorizationCharges" }, S.AuthorizationInitiateBody, S.AuthorizationResponse, initiate);
  // okra-node 0.2.0's initFuturePayment posts here, with start_date/end_date.
  post("/authorization/initiate", { ...initiateDoc, operationId: "initiateAuthorizationChargesOkraNode", summary: "Charge an authorization (okra-node 0.2.0's path)" }, S.AuthorizationInitiateBody, S.AuthorizationResponse, initiate);
  post(
    "/pay/authorization/cancel",
    { tags, operationId: "cancelAuthorization", summary: "Cancel an authorization", description: `Stops the authorization (mandate): nothing more is charged. \`customer\`, when given, must be its customer (else 404). ${MUTATING} ${NOT_MINE}` },
    S.AuthorizationRefBody,
    S.AuthorizationResponse,
    async (b, req, reply) =>
      mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const row = await cancelMandate(trx, ctx, scopeOf(req), b.authorization, { actor: "api", field: "authorization", ...(b.customer ? { customerId: b.customer } : {}) });
        return ok("Authorization cancelled successfully", { authorization: view(row) });
      }),
  );
  post(
    "/pay/authorization/reauth",
    { tags, operationId: "reauthAuthorization", summary: "Re-authorise an authorization", description: `For an authorization that ended (cancelled, expired, revoked, rejected): a new one with the same terms, \`awaiting_customer\` until the customer authorises it again. One that has not ended is a 409. ${MUTATING} ${NOT_MINE}` },
    S.AuthorizationRefBody,
    S.AuthorizationResponse,
    async (b, req, reply) => {
      const offsetMs = await clockOffsetMs(ctx, scopeOf(req));
      return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const scope = scopeOf(req);
        if (b.customer) {
          const old = await mine(scope, b.authorization, "authorization", trx);
          if (old.customer_id !== b.customer) throw new OkroError("NOT_FOUND", "customer: the authorization is not this customer's", { field: "customer" });
        }
        const row = await reauthMandate(trx, ctx, scope, b.authorization, offsetMs);
        return ok("Authorization created again; the customer must authorise it", { authorization: view(row) });
      });
    },
  );
  post("/pay/authorization/list", { tags, operationId: "listAuthorizations", summary: "List authorizations", description: `Every authorization (mandate). ${LIST}` }, S.AuthorizationListBody, S.AuthorizationsResponse, async (b, req) => {
    const page = await store.listMandates(db, scopeOf(req), { page: b.page, limit: b.limit });
    return ok("Authorizations retrieved successfully", { authorizations: page.rows.map(view), pagination: paginate(page.total, b.page, b.limit) });
  });
  post(
    "/pay/authorization/getByCustomer",
    { tags, operationId: "listAuthorizationsByCustomer", summary: "A customer's authorizations", description: `By \`customer\` (okra-node) or by \`options\` (pyokra sends \`{options: {reference}}\` here). ${LIST} ${NOT_MINE}` },
    S.ByCustomerBody,
    S.AuthorizationsResponse,
    async (b, req) => {
      if (!b.customer && !b.options) throw new OkroError("MISSING_FIELDS", "customer: required (or options)", { field: "customer" });
      const scope = scopeOf(req);
      const page = await store.listMandates(db, scope, { ...(b.customer ? { customerId: b.customer } : {}), ...(b.options ? { options: b.options } : {}), page: b.page, limit: b.limit });
      // A customer that is not the tenant's is a 404, as for pay/get.
      if (b.customer && page.total === 0 && !(await findCustomer(db, scope, b.customer))) throw new OkroError("NOT_FOUND", "customer: customer not found", { field: "customer" });
      return ok("Authorizations retrieved successfully", { authorizations: page.rows.map(view), pagination: paginate(page.total, b.page, b.limit) });
    },
  );
  post(
    "/pay/authorization/getByOptions",
    { tags, operationId: "listAuthorizationsByOptions", summary: "Authorizations by options", description: `The authorizations whose \`options\` contain every key and value given. ${LIST}` },
    S.ByOptionsBody,
    S.AuthorizationsResponse,
    async (b, req) => {
      const page = await store.listMandates(db, scopeOf(req), { options: b.options, page: b.page, limit: b.limit });
      return ok("Authorizations retrieved successfully", { authorizations: page.rows.map(view), pagination: paginate(page.total, b.page, b.limit) });
    },
  );
};
