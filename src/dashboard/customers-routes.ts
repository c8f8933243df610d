import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { paginate } from "../core/paging.js";
import { listAccounts, listCustomers, requireCustomer, type CustomerSearch } from "../data/queries.js";
import { Id } from "../data/schemas.js";
import { listMandates } from "../mandates/store.js";
import { mandateView } from "../mandates/views.js";
import { searchPayments } from "../payments/reporting.js";
import { paymentView } from "../payments/views.js";
import { EnvParam } from "../platform/schemas.js";
import { scopeOf } from "./payments-routes.js";

/**
 * The dashboard's customers pages (issue 16 item 3), under /dashboard/api: the list with one
 * search box, and a customer's page with their linked accounts, mandates and latest payments.
 * Read-only, so every role may use it; the search reuses the API's customer search
 * (data/queries.ts), picking the key from what was typed. A BVN is never shown here.
 */

const CustomerListQuery = z.object({
  env: EnvParam,
  q: z.string().trim().max(200, "must be at most 200 characters").optional().meta({ description: "A customer id, an email, a NUBAN (10 digits), a phone number, or part of a name" }),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

/** What the one search box means: an id, an email, a NUBAN, a phone number, else part of a name. */
export function searchOf(q: string | undefined): CustomerSearch | undefined {
  if (!q) return undefined;
  if (/^[0-9a-f]{24}$/i.test(q)) return { key: "id", value: q };
  if (q.includes("@")) return { key: "email", value: q };
  if (/^\d{10}$/.test(q)) return { key: "nuban", value: q };
  if (/^\+?[\d\s()-]{7,}$/.test(q)) return { key: "phone", value: q };
  return { key: "name", value: q };
}

const customerRow = (c: { id: string; name: string; kind: string; external_id: string | null; emails: string[]; phones: string[]; created_at: Date }) => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  external_id: c.external_id,
  emails: c.emails,
  phones: c.phones,
  created_at: c.created_at.toISOString(),
});

export const dashboardCustomerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  app.get("/customers", { schema: { summary: "Customers, newest first, searched by id, email, NUBAN, phone or name", querystring: CustomerListQuery } }, async (req) => {
    const { env, q, page, limit } = req.query;
    const scope = scopeOf(req, env);
    const result = await listCustomers(db, scope, searchOf(q), { page, limit });
    const counts = new Map<string, number>();
    if (result.rows.length > 0) {
      const accounts = await db
        .selectFrom("accounts")
        .select(["customer_id"])
        .where("company_id", "=", scope.companyId)
        .where("env", "=", scope.env)
        .where("customer_id", "in", result.rows.map((r) => r.id))
        .execute();
      for (const a of accounts) counts.set(a.customer_id, (counts.get(a.customer_id) ?? 0) + 1);
    }
    return ok("Customers retrieved", {
      customers: result.rows.map((c) => ({ ...customerRow(c), accounts: counts.get(c.id) ?? 0 })),
      pagination: paginate(result.total, page, limit),
    });
  });

  app.get(
    "/customers/:id",
    {
      schema: {
        summary: "One customer: their linked accounts, mandates and latest payments",
        description: "Another company's or environment's id is a 404.",
        params: z.object({ id: Id }),
        querystring: z.object({ env: EnvParam }),
      },
    },
    async (req) => {
      const scope = scopeOf(req, req.query.env);
      const customer = await requireCustomer(db, scope, req.params.id);
      const [accounts, mandates, payments] = await Promise.all([
        listAccounts(db, scope, { customerId: customer.id }, { page: 1, limit: 100 }),
        listMandates(db, scope, { customerId: customer.id, page: 1, limit: 100 }),
        searchPayments(db, scope, { customer: customer.id }, { limit: 25 }, null),
      ]);
      return ok("Customer retrieved", {
        customer: customerRow(customer),
        accounts: accounts.rows.map((a) => ({ id: a.id, bank: a.bank_id, nuban: a.nuban, name: a.name, type: a.type, currency: a.currency, connected: a.connected })),
        mandates: mandates.rows.map((m) => ({ ...mandateView(m), customer_name: customer.name, created_at: m.created_at.toISOString() })),
        payments: payments.rows.map((p) => ({ ...paymentView(p), customer_name: customer.name })),
        more_payments: payments.nextCursor !== null,
      });
    },
  );
};
