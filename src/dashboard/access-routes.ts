import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { dashboardScope } from "../http/api-auth.js";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { mutate } from "../http/idempotency.js";
import { accessStatus, companyAdmins, decideAccess, listAccessRequests, requestAccess } from "./access-requests.js";
import { userActor } from "./audit.js";
import { dashboardBase, sendMail, type MailLog } from "./mailer.js";
import { requireRole } from "./roles.js";
import { AccessRequestBody, AccessRequestListResponse, AccessRequestResponse, AccessStatusResponse, DecideBody, OperatorListQuery } from "./schemas.js";

/**
 * Payment access: the company's side (status, request with business details) and the
 * operator's (list, approve or decline). Operators are the dashboard users whose emails are in
 * OKRO_OPERATOR_EMAILS; anyone else gets 403 on the operator routes.
 */
export const accessRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const isOperator = (email: string) => ctx.config.operatorEmails.includes(email.toLowerCase());

  app.get("/payment-access", { schema: { summary: "Whether production payments are enabled, and the latest request", response: { 200: AccessStatusResponse } } }, async (req) =>
    ok("Payment access retrieved", { ...(await accessStatus(ctx.db, req.dashboard.companyId)), operator: isOperator(req.dashboard.email) }),
  );

  app.post("/payment-access/request", { schema: { summary: "Ask the operator for production payment access", body: AccessRequestBody, response: { 200: AccessRequestResponse } } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "request production payment access");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const { website, ...rest } = req.body;
      const request = await requestAccess(trx, { ...userActor(req.dashboard), userId: req.dashboard.userId }, req.dashboard.companyId, { ...rest, ...(website ? { website } : {}) }, ctx.clock.now());
      for (const to of ctx.config.operatorEmails) {
        await sendMail(ctx.config, { to, subject: `Payment access request: ${request.business.legal_name}`, text: `${request.business.legal_name} asks for production payment access.\nDecide at ${dashboardBase(ctx.config, req)}/operator or with \`okro admin access approve ${request.id}\`.\n` }, req.log);
      }
      return ok("Request sent; you will be told by email when the operator decides", { request });
    });
  });

  // Operator routes are not part of a merchant's dashboard API: hidden from the OpenAPI document
  // (and so from the merchant-facing security suite); test/dashboard/team-access.test.ts holds them.
  app.get("/operator/access-requests", { schema: { hide: true, summary: "Operator: payment access requests (open ones first)", querystring: OperatorListQuery, response: { 200: AccessRequestListResponse } } }, async (req) => {
    if (!isOperator(req.dashboard.email)) throw new OkroError("FORBIDDEN", "Only the platform's operators (OKRO_OPERATOR_EMAILS) can see payment access requests");
    return ok("Requests retrieved", { requests: await listAccessRequests(ctx.db, { state: req.query.state, limit: 200 }) });
  });

  app.post("/operator/access-requests/decide", { schema: { hide: true, summary: "Operator: approve or decline a payment access request", body: DecideBody, response: { 200: AccessRequestResponse } } }, async (req, reply) => {
    if (!isOperator(req.dashboard.email)) throw new OkroError("FORBIDDEN", "Only the platform's operators (OKRO_OPERATOR_EMAILS) can decide payment access");
    return mutate(ctx, req, reply, { who: "operator", userId: req.dashboard.userId }, async (trx) => {
      const request = await decideAccess(trx, req.dashboard.email, req.body, ctx.clock.now());
      await tellCompany(ctx, trx, request, dashboardBase(ctx.config, req), req.log);
      return ok(`Request ${request.state}`, { request });
    });
  });
};

/** Mails the company's owners and admins the operator's decision. */
export async function tellCompany(
  ctx: Pick<AppContext, "config">,
  db: Parameters<typeof companyAdmins>[0],
  request: { company_id: string; state: string; decision_note: string | null },
  base: string,
  log: MailLog,
): Promise<void> {
  const approved = request.state === "approved";
  for (const to of await companyAdmins(db, request.company_id)) {
    await sendMail(
      ctx.config,
      {
        to,
        subject: approved ? "Production payments are enabled on Okro" : "Your Okro payment access request was declined",
        text: approved
          ? `Good news: production payments are now enabled for your company.\nYour production keys are under Developers → API keys: ${base}/developers/keys\n`
          : `The operator declined your request for production payment access.${request.decision_note ? `\nReason: ${request.decision_note}` : ""}\nYou can correct your details and ask again: ${base}/settings/payment-access\n`,
      },
      log,
    );
  }
}
