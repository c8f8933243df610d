import { stringify } from "csv-stringify";
import { dashboardScope } from "../http/api-auth.js";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import QRCode from "qrcode";
import { Readable } from "node:stream";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import type { Scope } from "../core/tenancy.js";
import { objectActivity } from "../events/events.js";
import { mutate } from "../http/idempotency.js";
import { listEntries } from "../ledger/store.js";
import { nairaText, safeCell } from "../lib/csv.js";
import { kobo, positiveKobo } from "../lib/kobo.js";
import { defaultCompanyAccount } from "../payments/company-accounts.js";
import { linkInputFrom } from "../payments/link-input.js";
import { ensureSandboxReceivingAccount, signupShop } from "../payments/sandbox-receiving.js";
import { getCompany } from "../platform/companies.js";
import { createLink, disableLink, getLink, linkRef, linksByIds, linkView, listLinks } from "../payments/links.js";
import { createRefund, listRefunds } from "../payments/refunds.js";
import { allPayments, searchPayments, type PaymentFilter } from "../payments/reporting.js";
import { approvePayment, declinePayment, getReviewThreshold, setReviewThreshold } from "../payments/review.js";
import { cancelPayment, getPayment, transitionsOf } from "../payments/service.js";
import type { Executor, PaymentRow } from "../payments/types.js";
import { paymentView, refundView } from "../payments/views.js";
import { audit, userActor } from "./audit.js";
import { requireRole } from "./roles.js";
import {
  ApproveBody,
  CancelBody,
  CreateLinkForm,
  DeclineBody,
  EnvQuery,
  IdParams,
  LinkIdBody,
  PageQuery,
  PaymentFilterQuery,
  PaymentListQuery,
  rangeEnd,
  rangeStart,
  RefundBody,
  ReviewSettingsBody,
} from "./payments-schemas.js";

/**
 * The dashboard's payments and payment-link pages (issue 16 §3–4), under /dashboard/api, inside
 * the session-authenticated part of platform/routes.ts (cookie session, CSRF guard, no-store).
 * Thin: parse, scope to the signed-in user's company and the chosen environment, call the same
 * services as /v2/pay/* (no second copy of a rule), shape with the same views. Mutations honour
 * Idempotency-Key in the dashboard's scope; those that move money need `confirm: true` and a role
 * that may move money.
 */

export const scopeOf = (req: FastifyRequest, env: Scope["env"]): Scope => ({ companyId: req.dashboard.companyId, env });
/** Who did it, on history rows: the dashboard user. */
export const reviewer = (req: FastifyRequest) => `user:${req.dashboard.userId}`;

/** Records who did what in the dashboard (audit.ts), in the transaction of the action itself. */
export function auditAction(
  ctx: AppContext,
  trx: Executor,
  req: FastifyRequest,
  env: Scope["env"],
  action: string,
  object: { type: string; id: string },
  detail: Record<string, unknown> = {},
): Promise<void> {
  return audit(trx, userActor(req.dashboard), { companyId: req.dashboard.companyId, env, action, objectType: object.type, objectId: object.id, detail }, ctx.clock.now());
}

export function filterOf(q: PaymentFilterQuery): PaymentFilter {
  return {
    status: q.status,
    from: rangeStart(q.from),
    to: rangeEnd(q.to),
    amountMin: q.amount_min === undefined ? undefined : BigInt(q.amount_min),
    amountMax: q.amount_max === undefined ? undefined : BigInt(q.amount_max),
    customer: q.customer,
    bank: q.bank,
    channel: q.channel,
    type: q.type,
    link: q.link,
    consent: q.consent,
    mandate: q.mandate,
    batch: q.batch,
    q: q.q,
  };
}

/** The rows as the list shows them: the API's payment view, plus the bank, NUBAN and customer's name. */
async function rowViews(ctx: AppContext, db: Executor, scope: Scope, rows: PaymentRow[]) {
  const links = await linksByIds(db, scope, rows.flatMap((r) => (r.link_id ? [r.link_id] : [])));
  const customerIds = [...new Set(rows.flatMap((r) => (r.customer_id ? [r.customer_id] : [])))];
  const names =
    customerIds.length === 0
      ? new Map<string, string>()
      : new Map(
          (
            await db
              .selectFrom("customers")
              .select(["id", "name"])
              .where("company_id", "=", scope.companyId)
              .where("env", "=", scope.env)
              .where("id", "in", customerIds)
              .execute()
          ).map((c) => [c.id, c.name]),
        );
  return rows.map((row) => {
    const link = row.link_id ? links.get(row.link_id) : undefined;
    return {
      ...paymentView(row, { link: link ? linkRef(link, ctx) : null }),
      bank: row.bank_id,
      nuban: row.nuban,
      customer_name: row.customer_id ? (names.get(row.customer_id) ?? null) : null,
      settled_at: row.settled_at?.toISOString() ?? null,
    };
  });
}

/** The export's columns, in order (GoCardless-style: ids, money, status, who, where, when). */
const CSV_COLUMNS = [
  "id",
  "created_at",
  "status",
  "state",
  "amount_kobo",
  "amount",
  "currency",
  "fee_kobo",
  "customer_id",
  "customer_name",
  "bank",
  "nuban",
  "reference",
  "channel",
  "type",
  "link_id",
  "note",
  "failure_code",
  "failure_reason",
  "settled_at",
  "last_updated",
] as const;

export const dashboardPaymentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  // ----- payments ------------------------------------------------------------------------------
  app.get(
    "/payments",
    {
      schema: {
        summary: "Payments, newest first, filtered and searched",
        description: "Keyset pages: `next_cursor` fetches the next (older) page. `total` counts at most 10,000 (`total_capped` beyond).",
        querystring: PaymentListQuery,
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      const scope = scopeOf(req, filter.env);
      const page = await searchPayments(db, scope, filterOf(filter), { limit, cursor });
      return ok("Payments retrieved", {
        payments: await rowViews(ctx, db, scope, page.rows),
        next_cursor: page.nextCursor,
        total: page.total,
        total_capped: page.totalCapped,
      });
    },
  );

  app.get(
    "/payments/export.csv",
    {
      schema: {
        summary: "Export the filtered payments as CSV",
        description: "Exactly the payments the same filter lists, newest first, streamed. Text cells that a spreadsheet would run as a formula get a leading '.",
        querystring: PaymentFilterQuery,
      },
    },
    async (req, reply) => {
      const scope = scopeOf(req, req.query.env);
      const filter = filterOf(req.query);
      const csv = stringify({ header: true, columns: [...CSV_COLUMNS] });
      async function* rows() {
        for await (const batch of allPayments(db, scope, filter)) {
          for (const p of await rowViews(ctx, db, scope, batch)) {
            const row = batch.find((b) => b.id === p.id)!;
            yield {
              id: p.id,
              created_at: p.created_at,
              status: p.status,
              state: p.state,
              amount_kobo: String(row.amount),
              amount: nairaText(row.amount),
              currency: safeCell(p.currency),
              fee_kobo: String(row.fee),
              customer_id: safeCell(p.customer),
              customer_name: safeCell(p.customer_name),
              bank: safeCell(p.bank),
              nuban: safeCell(p.nuban),
              reference: safeCell(p.reference),
              channel: p.channel,
              type: safeCell(p.type),
              link_id: safeCell(p.link?._id),
              note: safeCell(p.note),
              failure_code: safeCell(p.failure?.code),
              failure_reason: safeCell(p.failure?.message),
              settled_at: p.settled_at ?? "",
              last_updated: p.last_updated,
            };
          }
        }
      }
      const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, "-");
      reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="okro-payments-${req.query.env}-${stamp}.csv"`);
      return reply.send(Readable.from(rows()).pipe(csv));
    },
  );

  app.get(
    "/payments/:id",
    {
      schema: {
        summary: "One payment and its timeline",
        description: "State history, refunds, ledger entries with their postings, and every event with its webhook deliveries and attempts. Another company's id is a 404.",
        params: IdParams,
        querystring: EnvQuery,
      },
    },
    async (req) => {
      const scope = scopeOf(req, req.query.env);
      const row = await getPayment(db, scope, req.params.id);
      const [[payment], history, refunds, ledger] = await Promise.all([
        rowViews(ctx, db, scope, [row]),
        transitionsOf(db, row.id),
        listRefunds(db, scope, { paymentId: row.id, page: 1, limit: 100 }),
        listEntries(db, scope, { paymentId: row.id, page: 1, limit: 100 }),
      ]);
      const activity = await objectActivity(db, scope, [row.id, ...refunds.rows.map((r) => r.id)]);
      return ok("Payment retrieved", {
        payment: payment!,
        history: history.map((t) => ({
          from: t.from_state,
          to: t.to_state,
          status: paymentView({ ...row, state: t.to_state }).status,
          actor: t.actor,
          reason: t.reason,
          detail: t.detail,
          at: t.at.toISOString(),
        })),
        refunds: refunds.rows.map(refundView),
        ledger: ledger.rows.reverse().map((e) => ({
          id: e.id,
          kind: e.kind,
          refund: e.refund_id,
          created_at: e.created_at.toISOString(),
          postings: e.postings.map((p) => ({ account: p.account, direction: p.direction, amount: Number(p.amount), currency: p.currency })),
        })),
        activity,
      });
    },
  );

  app.post(
    "/payments/refund",
    { schema: { summary: "Refund a completed payment (all that is left, or `amount`)", body: RefundBody } },
    async (req, reply) => {
      requireRole(req.dashboard.role, "admin", "refund a payment");
      const { env, payment_id, amount } = req.body;
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const row = await createRefund(trx, ctx, scopeOf(req, env), { paymentId: payment_id, ...(amount !== undefined ? { amount: positiveKobo(amount) } : {}) });
        await auditAction(ctx, trx, req, env, "payment.refund", { type: "payment", id: payment_id }, { refund: row.id, amount: Number(row.amount) });
        return ok("Refund initiated", { refund: refundView(row) });
      });
    },
  );

  app.post("/payments/cancel", { schema: { summary: "Cancel a payment not yet sent to the bank", body: CancelBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "cancel a payment");
    const { env, payment_id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const scope = scopeOf(req, env);
      const row = await cancelPayment(trx, ctx, scope, payment_id, "api");
      await auditAction(ctx, trx, req, env, "payment.cancel", { type: "payment", id: payment_id }, { amount: Number(row.amount) });
      return ok("Payment cancelled", { payment: (await rowViews(ctx, trx, scope, [row]))[0]! });
    });
  });

  // ----- the review queue ----------------------------------------------------------------------
  app.post("/payments/review/approve", { schema: { summary: "Approve a payment held for review (it is then debited)", body: ApproveBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "approve a payment in review");
    const { env, payment_id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const scope = scopeOf(req, env);
      const row = await approvePayment(trx, ctx, scope, payment_id, reviewer(req));
      await auditAction(ctx, trx, req, env, "payment.review.approve", { type: "payment", id: payment_id }, { amount: Number(row.amount) });
      return ok("Payment approved", { payment: (await rowViews(ctx, trx, scope, [row]))[0]! });
    });
  });

  app.post("/payments/review/decline", { schema: { summary: "Decline a payment held for review (nothing is debited)", body: DeclineBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "decline a payment in review");
    const { env, payment_id, reason } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const scope = scopeOf(req, env);
      const row = await declinePayment(trx, ctx, scope, payment_id, reviewer(req), reason);
      await auditAction(ctx, trx, req, env, "payment.review.decline", { type: "payment", id: payment_id }, { amount: Number(row.amount), ...(reason ? { reason } : {}) });
      return ok("Payment declined", { payment: (await rowViews(ctx, trx, scope, [row]))[0]! });
    });
  });

  app.get("/settings/review", { schema: { summary: "The review threshold (kobo; null: no review)", querystring: EnvQuery } }, async (req) => {
    const threshold = await getReviewThreshold(db, scopeOf(req, req.query.env));
    return ok("Review settings retrieved", { threshold: threshold === null ? null : Number(threshold) });
  });

  app.post("/settings/review", { schema: { summary: "Set the review threshold (payments above it wait in review)", body: ReviewSettingsBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "change the review threshold");
    const { env, threshold } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      await setReviewThreshold(trx, scopeOf(req, env), threshold === null ? null : kobo(threshold), reviewer(req), ctx.clock.now());
      await auditAction(ctx, trx, req, env, "payments.review_threshold", { type: "company", id: req.dashboard.companyId }, { threshold });
      return ok("Review settings saved", { threshold });
    });
  });

  // ----- payment links -------------------------------------------------------------------------
  const withQr = async (view: ReturnType<typeof linkView>) => ({ ...view, qr: await QRCode.toDataURL(view.url, { margin: 1, width: 240 }) });

  app.get("/links", { schema: { summary: "Payment links, newest first", querystring: PageQuery } }, async (req) => {
    const { env, page, limit } = req.query;
    const found = await listLinks(db, scopeOf(req, env), { page, limit });
    return ok("Payment links retrieved", { links: found.rows.map((r) => linkView(r, ctx)), pagination: paginate(found.total, page, limit) });
  });

  app.get("/links/:id", { schema: { summary: "One payment link, with its QR code (a PNG data URL)", params: IdParams, querystring: EnvQuery } }, async (req) => {
    const link = await getLink(db, scopeOf(req, req.query.env), req.params.id);
    return ok("Payment link retrieved", { link: await withQr(linkView(link, ctx)) });
  });

  app.post("/links/create", { schema: { summary: "Create a payment link (the API's pay/link/create, no code)", body: CreateLinkForm } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "create a payment link");
    const { env, ...body } = req.body;
    const input = await linkInputFrom(db, body);
    // A company whose signup could not reach the sandbox bank gets its sandbox receiving account now.
    if (env === "sandbox" && input.accountToCredit === null && !(await defaultCompanyAccount(db, scopeOf(req, env), input.currency))) {
      const company = await getCompany(db, req.dashboard.companyId);
      await ensureSandboxReceivingAccount(ctx, req.dashboard.companyId, signupShop(company?.name ?? "Receiving account"));
    }
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const { link, created } = await createLink(trx, ctx, scopeOf(req, env), input);
      if (created) await auditAction(ctx, trx, req, env, "payment_link.create", { type: "payment_link", id: link.id }, { amount: link.amount === null ? null : Number(link.amount) });
      return ok("Payment link created", { link: await withQr(linkView(link, ctx)) });
    });
  });

  app.post("/links/disable", { schema: { summary: "Disable a payment link", body: LinkIdBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "disable a payment link");
    const { env, id } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const link = await disableLink(trx, scopeOf(req, env), id, ctx.clock.now());
      await auditAction(ctx, trx, req, env, "payment_link.disable", { type: "payment_link", id });
      return ok("Payment link disabled", { link: linkView(link, ctx) });
    });
  });
};
