import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import { dashboardScope } from "../http/api-auth.js";
import { mutate } from "../http/idempotency.js";
import { termLines } from "../mandates/payer.js";
import { cancelMandate, clockOffsetMs, pauseMandate, resumeMandate, upcomingCharges } from "../mandates/service.js";
import * as store from "../mandates/store.js";
import { mandateView } from "../mandates/views.js";
import { paymentView } from "../payments/views.js";
import { getCompany } from "../platform/companies.js";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";
import { customerNames } from "./customer-names.js";
import { requireRole } from "./roles.js";
import { auditAction, scopeOf } from "./payments-routes.js";
import { MandateActionBody, MandateEnvQuery, MandateListQuery, MandateParams } from "./mandates-schemas.js";

/**
 * The dashboard's mandates pages (issue 16 item 3), under /dashboard/api. Thin: scope to the
 * signed-in user's company and the chosen environment, call src/mandates (the same service as
 * /v2/mandates/*; no second copy of a rule), shape with its views. Pause, resume and cancel change
 * what will be debited from a customer: they need an admin, `confirm: true`, honour
 * Idempotency-Key and leave an audit entry in their own transaction.
 */

/** The company's mandate or a 404 (another company's or environment's id is a 404 too). */
async function mine(db: Executor, scope: Scope, id: string) {
  const m = await store.mandateById(db, scope, id);
  if (!m) throw new OkroError("NOT_FOUND", "id: mandate not found", { field: "id" });
  return m;
}

export const dashboardMandateRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  app.get("/mandates", { schema: { summary: "Mandates, newest first, filtered by status and customer", querystring: MandateListQuery } }, async (req) => {
    const { env, status, customer, page, limit } = req.query;
    const scope = scopeOf(req, env);
    const result = await store.listMandates(db, scope, { ...(status ? { state: status } : {}), ...(customer ? { customerId: customer } : {}), page, limit });
    const names = await customerNames(db, scope, result.rows.map((r) => r.customer_id));
    return ok("Mandates retrieved", {
      mandates: result.rows.map((r) => ({ ...mandateView(r), customer_name: names.get(r.customer_id) ?? null, created_at: r.created_at.toISOString() })),
      pagination: paginate(result.total, page, limit),
    });
  });

  app.get(
    "/mandates/:id",
    {
      schema: {
        summary: "One mandate: its terms in words, upcoming charges, its charges and its history",
        description: "Another company's or environment's id is a 404.",
        params: MandateParams,
        querystring: MandateEnvQuery,
      },
    },
    async (req) => {
      const scope = scopeOf(req, req.query.env);
      const m = await mine(db, scope, req.params.id);
      const offsetMs = await clockOffsetMs(ctx, scope);
      const [company, upcoming, charges, history, names] = await Promise.all([
        getCompany(db, scope.companyId),
        upcomingCharges(db, ctx, scope, m, 6, offsetMs),
        store.chargesOf(db, scope, m.id, 100),
        db
          .selectFrom("state_transitions")
          .selectAll()
          .where("object_type", "=", "mandate")
          .where("object_id", "=", m.id)
          .orderBy("id")
          .execute(),
        customerNames(db, scope, [m.customer_id]),
      ]);
      const terms = termLines(m, company?.name ?? "You", { text: "", href: "" })
        .filter((l) => l.key !== "withdraw" && l.key !== "who")
        .map((l) => ({ label: l.label, value: l.value }));
      return ok("Mandate retrieved", {
        mandate: { ...mandateView(m), customer_name: names.get(m.customer_id) ?? null, created_at: m.created_at.toISOString() },
        terms,
        upcoming,
        charges: charges.map((p) => ({ ...paymentView(p), cycle: p.mandate_cycle, attempt: p.charge_attempt })),
        history: history.map((t) => ({ from: t.from_state, to: t.to_state, actor: t.actor, reason: t.reason, at: t.at.toISOString() })),
      });
    },
  );

  const action = (path: string, verb: string, done: string, fn: (trx: Parameters<typeof pauseMandate>[0], scope: Scope, id: string) => ReturnType<typeof pauseMandate>) =>
    app.post(path, { schema: { summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a mandate (asks for confirmation)`, body: MandateActionBody } }, async (req, reply) => {
      requireRole(req.dashboard.role, "admin", `${verb} a mandate`);
      const { env, mandate_id } = req.body;
      return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
        const scope = scopeOf(req, env);
        const row = await fn(trx, scope, mandate_id);
        await auditAction(ctx, trx, req, env, `mandate.${verb}`, { type: "mandate", id: mandate_id }, { customer: row.customer_id });
        return ok(done, { mandate: mandateView(row) });
      });
    });
  action("/mandates/pause", "pause", "Mandate paused", (trx, scope, id) => pauseMandate(trx, ctx, scope, id, "mandate_id"));
  action("/mandates/resume", "resume", "Mandate resumed", (trx, scope, id) => resumeMandate(trx, ctx, scope, id, "mandate_id"));
  action("/mandates/cancel", "cancel", "Mandate cancelled", (trx, scope, id) => cancelMandate(trx, ctx, scope, id, { actor: "api", field: "mandate_id" }));
};
