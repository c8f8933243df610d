import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import type { Executor } from "../core/db.js";
import { ok } from "../core/envelope.js";
import { paginate } from "../core/paging.js";
import type { Scope } from "../core/tenancy.js";
import { customerNames } from "./customer-names.js";
import {
  cancelGarnishment,
  getGarnishment,
  listGarnishments,
  pauseGarnishment,
  requestSweep,
  resumeGarnishment,
  sweepHistory,
  updateGarnishment,
  viewOf,
} from "../garnish/service.js";
import * as store from "../garnish/store.js";
import { sweepView } from "../garnish/views.js";
import { dashboardScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import { paymentView } from "../payments/views.js";
import { GarnishActionBody, GarnishDetailQuery, GarnishListQuery, GarnishLowerBody, GarnishParams } from "./garnish-schemas.js";
import { auditAction, scopeOf } from "./payments-routes.js";
import { requireRole } from "./roles.js";

/**
 * The dashboard's garnishments pages (issue 16 item 5), under /dashboard/api. Thin: scope to the
 * signed-in user's company and the chosen environment, call src/garnish (the same service as
 * /v2/garnish/*; no second copy of a rule: owed, collected and remaining are its view, derived
 * from the recovery's payments and refunds), shape with its views. Pause, resume, lower, cancel
 * and "sweep now" change what is taken from a debtor: they need an admin, `confirm: true`, honour
 * Idempotency-Key and leave an audit entry in their own transaction.
 */

const SWEEPS_PER_PAGE = 20;

/** The covered accounts as a person reads them: bank name, account number, holder's name. */
async function accountsOf(db: Executor, scope: Scope, ids: string[]) {
  if (ids.length === 0) return new Map<string, { nuban: string; name: string; bank_name: string }>();
  const rows = await db
    .selectFrom("accounts")
    .leftJoin("banks", "banks.id", "accounts.bank_id")
    .select(["accounts.id", "accounts.nuban", "accounts.name", "banks.name as bank_name"])
    .where("accounts.company_id", "=", scope.companyId)
    .where("accounts.env", "=", scope.env)
    .where("accounts.id", "in", [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, { nuban: r.nuban, name: r.name, bank_name: r.bank_name ?? "" }]));
}

export const dashboardGarnishRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  app.get("/garnishments", { schema: { summary: "Garnishments, newest first, filtered by status and debtor", querystring: GarnishListQuery } }, async (req) => {
    const { env, status, customer, page, limit } = req.query;
    const scope = scopeOf(req, env);
    const result = await listGarnishments(db, scope, { ...(status ? { state: status } : {}), ...(customer ? { customerId: customer } : {}), page, limit });
    const names = await customerNames(db, scope, result.rows.map((r) => r.customer_id));
    const views = [];
    for (const g of result.rows) views.push({ ...(await viewOf(db, g)), customer_name: names.get(g.customer_id) ?? null });
    return ok("Garnishments retrieved", { garnishments: views, pagination: paginate(result.total, page, limit) });
  });

  app.get(
    "/garnishments/:id",
    {
      schema: {
        summary: "One garnishment: the debtor, what is owed, collected and remaining, its accounts, its sweeps, its debits and its history",
        description: "Sweeps are paged with `page` (newest first). Another company's or environment's id is a 404.",
        params: GarnishParams,
        querystring: GarnishDetailQuery,
      },
    },
    async (req) => {
      const scope = scopeOf(req, req.query.env);
      const g = await getGarnishment(db, scope, req.params.id);
      const [view, sweeps, debits, history, names] = await Promise.all([
        viewOf(db, g),
        sweepHistory(db, scope, g.id, req.query.page, SWEEPS_PER_PAGE),
        store.debitsOf(db, g.id, 100),
        db.selectFrom("state_transitions").selectAll().where("object_id", "=", g.id).orderBy("id").execute(),
        customerNames(db, scope, [g.customer_id]),
      ]);
      const sweepViews = sweeps.rows.map(sweepView);
      const accounts = await accountsOf(db, scope, [...view.mandates.map((m) => m.account), ...sweepViews.flatMap((s) => s.accounts.map((a) => a.account))]);
      return ok("Garnishment retrieved", {
        garnishment: { ...view, customer_name: names.get(g.customer_id) ?? null },
        accounts: Object.fromEntries(accounts),
        sweeps: sweepViews,
        sweeps_pagination: paginate(sweeps.total, req.query.page, SWEEPS_PER_PAGE),
        debits: debits.map((p) => paymentView(p)),
        history: history.map((t) => ({ from: t.from_state, to: t.to_state, actor: t.actor, reason: t.reason, at: t.at.toISOString() })),
      });
    },
  );

  type Action = (trx: Parameters<typeof pauseGarnishment>[0], scope: Scope, id: string) => Promise<unknown>;
  const action = (path: string, verb: string, done: string, fn: Action) =>
    app.post(path, { schema: { summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a garnishment (asks for confirmation)`, body: GarnishActionBody } }, async (req, reply) => {
      requireRole(req.dashboard.role, "admin", `${verb} a garnishment`);
      const { env, id } = req.body;
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const scope = scopeOf(req, env);
        const result = await fn(trx, scope, id);
        const g = await getGarnishment(trx, scope, id);
        await auditAction(ctx, trx, req, env, `garnishment.${verb.replace(/ /g, "_")}`, { type: "garnishment", id }, { customer: g.customer_id, ...(typeof result === "string" ? { job: result } : {}) });
        return ok(done, { garnishment: await viewOf(trx, g) });
      });
    });
  action("/garnishments/pause", "pause", "Garnishment paused", (trx, scope, id) => pauseGarnishment(trx, ctx, scope, id));
  action("/garnishments/resume", "resume", "Garnishment resumed", (trx, scope, id) => resumeGarnishment(trx, ctx, scope, id));
  action("/garnishments/cancel", "cancel", "Garnishment cancelled", (trx, scope, id) => cancelGarnishment(trx, ctx, scope, id));
  action("/garnishments/sweep", "sweep", "Sweep queued: its record appears in the sweep history once it ran", async (trx, scope, id) => (await requestSweep(trx, ctx, scope, id)).job);

  app.post("/garnishments/lower", { schema: { summary: "Lower a garnishment's debt (asks for confirmation)", body: GarnishLowerBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "lower a garnishment's debt");
    const { env, id, principal, interest } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const scope = scopeOf(req, env);
      const before = await getGarnishment(trx, scope, id);
      const row = await updateGarnishment(trx, ctx, scope, id, {
        principal: principal === undefined ? null : BigInt(principal),
        interest: interest === undefined ? null : BigInt(interest),
        floor: null,
      });
      await auditAction(ctx, trx, req, env, "garnishment.lower", { type: "garnishment", id }, {
        customer: row.customer_id,
        principal: { from: Number(before.principal), to: Number(row.principal) },
        interest: { from: Number(before.interest), to: Number(row.interest) },
      });
      return ok(row.state === "repaid" ? "Debt lowered: the garnishment is repaid" : "Debt lowered", { garnishment: await viewOf(trx, row) });
    });
  });
};
