import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { hasProductionAccess } from "./access-requests.js";
import { listAudit } from "./audit.js";
import { AuditQuery, AuditResponse, ChecklistResponse } from "./schemas.js";

/** The home page's getting-started checklist, and the audit log. */
export const overviewRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get("/onboarding", { schema: { summary: "Getting started: which steps are done", response: { 200: ChecklistResponse } } }, async (req) => {
    const companyId = req.dashboard.companyId;
    const now = ctx.clock.now();
    // One round trip: does the company have each thing in sandbox?
    const row = await sql<{ keys: boolean; accounts: boolean; payments: boolean; webhooks: boolean }>`
      SELECT
        EXISTS (SELECT 1 FROM api_keys WHERE company_id = ${companyId} AND env = 'sandbox' AND kind = 'secret' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})) AS keys,
        EXISTS (SELECT 1 FROM accounts WHERE company_id = ${companyId} AND env = 'sandbox') AS accounts,
        EXISTS (SELECT 1 FROM payments WHERE company_id = ${companyId} AND env = 'sandbox') AS payments,
        EXISTS (SELECT 1 FROM webhook_endpoints WHERE company_id = ${companyId} AND env = 'sandbox') AS webhooks
    `.execute(ctx.db);
    const has = row.rows[0]!;
    const live = await hasProductionAccess(ctx.db, companyId);
    return ok("Checklist retrieved", {
      steps: [
        { id: "keys", title: "Get your sandbox keys", done: has.keys, detail: "Your secret key calls the API from your server; the public key opens the widget.", href: "/developers/keys" },
        { id: "link", title: "Link a test bank account", done: has.accounts, detail: "Open the widget with your sandbox key and connect one of the sandbox banks' test customers.", href: "/developers/keys" },
        { id: "payment", title: "Make your first payment", done: has.payments, detail: "Debit the linked test account with POST /v2/pay/initiate, or create a payment link.", href: "/" },
        { id: "webhook", title: "Receive webhooks", done: has.webhooks, detail: "Add an endpoint so your server hears about payments as they change.", href: "/developers/webhooks" },
        { id: "live", title: "Go live", done: live, detail: "Tell us about your business; the operator enables production payments.", href: "/settings/payment-access" },
      ],
    });
  });

  app.get("/audit", { schema: { summary: "Audit log: who did what, when (newest first)", querystring: AuditQuery, response: { 200: AuditResponse } } }, async (req) =>
    ok("Audit log retrieved", { entries: await listAudit(ctx.db, req.dashboard.companyId, { limit: req.query.limit, before: req.query.before }) }),
  );
};
