import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { dashboardScope } from "../http/api-auth.js";
import { admin, advanceSandboxClock, assertSandboxBanks, viewsOf } from "../banks/sandbox/controls.js";
import { ClearFaultsBody, clockView, customerInput, customerView, SandboxCustomerInput, SetFaultsBody } from "../banks/sandbox/schemas.js";
import type { AppContext } from "../context.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { paginate } from "../core/paging.js";
import type { Scope } from "../core/tenancy.js";
import { listEndpoints, sendTestEvent } from "../events/endpoints.js";
import { mutate, runOutsideTransaction } from "../http/idempotency.js";
import { listEntries, walletBalances } from "../ledger/store.js";
import { positiveKobo } from "../lib/kobo.js";
import { companyAccountView, listCompanyAccounts } from "../payments/company-accounts.js";
import { createPayout, listPayouts } from "../payments/payouts.js";
import { paymentStats } from "../payments/reporting.js";
import { balanceView, payoutView } from "../payments/views.js";
import { auditAction, scopeOf } from "./payments-routes.js";
import { requireRole } from "./roles.js";
import { AdvanceClockForm, EnvQuery, PageQuery, PayoutBody, rangeEnd, rangeStart, StatsQuery, TestWebhookBody } from "./payments-schemas.js";

/** The charts' default window: the last 30 days. */
const DEFAULT_STATS_DAYS = 30;
const DAY_MS = 86_400_000;
/** The longest window a chart reads at once. */
const MAX_STATS_DAYS = 366;

/**
 * The dashboard's money pages (issue 16 §6: balances, payouts, the ledger, charts) and sandbox
 * tools (§7: the clock, bank faults, test customers, a test webhook). Same services as the API.
 */
export const dashboardMoneyRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  app.get("/money/balances", { schema: { summary: "Balances: pending, available, in transit, fees (kobo)", querystring: EnvQuery } }, async (req) => {
    const balances = await walletBalances(db, scopeOf(req, req.query.env));
    return ok("Balances retrieved", {
      balances: balances.map(balanceView),
    });
  });

  app.get("/money/accounts", { schema: { summary: "Receiving accounts (where payments and payouts land)", querystring: PageQuery } }, async (req) => {
    const { env, page, limit } = req.query;
    const found = await listCompanyAccounts(db, scopeOf(req, env), { page, limit });
    return ok("Receiving accounts retrieved", { accounts: found.rows.map(companyAccountView), pagination: paginate(found.total, page, limit) });
  });

  app.get("/money/payouts", { schema: { summary: "Payouts, newest first", querystring: PageQuery } }, async (req) => {
    const { env, page, limit } = req.query;
    const found = await listPayouts(db, scopeOf(req, env), { page, limit });
    return ok("Payouts retrieved", { payouts: found.rows.map(payoutView), pagination: paginate(found.total, page, limit) });
  });

  app.post("/money/payouts", { schema: { summary: "Pay out from the available balance to a receiving account", body: PayoutBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "admin", "pay out");
    const { env, amount, account_to_credit } = req.body;
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) => {
      const row = await createPayout(trx, ctx, scopeOf(req, env), {
        ...(account_to_credit !== undefined ? { companyAccountId: account_to_credit } : {}),
        amount: positiveKobo(amount),
        currency: "NGN",
        initiatedBy: `user:${req.dashboard.userId}`,
      });
      await auditAction(ctx, trx, req, env, "payout.create", { type: "payout", id: row.id }, { amount: Number(row.amount), account: row.company_account_id });
      return ok("Payout initiated", { payout: payoutView(row) });
    });
  });

  app.get("/money/ledger", { schema: { summary: "Ledger entries with their postings, newest first", querystring: PageQuery } }, async (req) => {
    const { env, page, limit } = req.query;
    const found = await listEntries(db, scopeOf(req, env), { page, limit });
    return ok("Ledger entries retrieved", {
      entries: found.rows.map((e) => ({
        id: e.id,
        kind: e.kind,
        payment: e.payment_id,
        refund: e.refund_id,
        payout: e.payout_id,
        created_at: e.created_at.toISOString(),
        postings: e.postings.map((p) => ({ account: p.account, direction: p.direction, amount: Number(p.amount), currency: p.currency })),
      })),
      pagination: paginate(found.total, page, limit),
    });
  });

  app.get(
    "/money/stats",
    {
      schema: {
        summary: "Volume and success rate by day (UTC) and by bank, and failure reasons",
        description: "Payments created in [from, to): default the 30 days up to the end of today (UTC); at most 366 days. Success rate = succeeded / (succeeded + unsuccessful).",
        querystring: StatsQuery,
      },
    },
    async (req) => {
      const now = ctx.clock.now();
      // Default: through the end of today (UTC), so today's payments are in.
      const to = rangeEnd(req.query.to) ?? rangeEnd(now.toISOString().slice(0, 10))!;
      const from = rangeStart(req.query.from) ?? new Date(to.getTime() - DEFAULT_STATS_DAYS * DAY_MS);
      if (from >= to) throw new OkroError("INVALID_FIELD", "from: must be before to", { field: "from" });
      if (to.getTime() - from.getTime() > MAX_STATS_DAYS * DAY_MS) throw new OkroError("INVALID_FIELD", `from: the window may be at most ${MAX_STATS_DAYS} days`, { field: "from" });
      const stats = await paymentStats(db, scopeOf(req, req.query.env), { from, to });
      const rate = (r: { succeeded: number; unsuccessful: number }) => (r.succeeded + r.unsuccessful === 0 ? null : r.succeeded / (r.succeeded + r.unsuccessful));
      const row = (r: (typeof stats.byDay)[number]) => ({ payments: r.payments, succeeded: r.succeeded, unsuccessful: r.unsuccessful, volume: Number(r.volume), success_rate: rate(r) });
      return ok("Payment statistics retrieved", {
        from: from.toISOString(),
        to: to.toISOString(),
        by_day: stats.byDay.map((r) => ({ day: r.key, ...row(r) })),
        by_bank: stats.byBank.map((r) => ({ bank: r.key || null, ...row(r) })),
        failures: stats.failures,
      });
    },
  );

  // ----- sandbox tools (the signed-in company's sandbox only) ----------------------------------
  const sandbox = (companyId: string): Scope => ({ companyId, env: "sandbox" });

  app.get("/sandbox/state", { schema: { summary: "Your sandbox: its clock, bank faults, banks and webhook endpoints" } }, async (req) => {
    const realm = req.dashboard.companyId;
    const [clock, faults, endpoints] = await Promise.all([
      admin(() => ctx.sandbox.getClock(realm)),
      admin(() => ctx.sandbox.getFaults(realm)),
      listEndpoints(db, sandbox(realm), 1, 100, ctx.clock.now()),
    ]);
    return ok("Sandbox retrieved", {
      clock: clockView(clock),
      faults: viewsOf(ctx, faults),
      banks: ctx.sandbox.banks().map((b) => ({ id: b.bankId, name: b.name, slug: b.slug })),
      endpoints: endpoints.endpoints.map((e) => ({ id: e.id, url: e.url, enabled: e.enabled })),
    });
  });

  app.post("/sandbox/clock/advance", { schema: { summary: "Advance your sandbox's clock", body: AdvanceClockForm } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "use the sandbox tools");
    return runOutsideTransaction(ctx, req, reply, dashboardScope(req.dashboard), async () => {
      const clock = await advanceSandboxClock(ctx, req.dashboard.companyId, { ms: req.body.ms });
      return { body: ok("Sandbox clock advanced", { clock: clockView(clock) }) };
    });
  });

  app.post("/sandbox/faults/set", { schema: { summary: "Set a sandbox bank's faults", body: SetFaultsBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "use the sandbox tools");
    const { bank, settings } = req.body;
    assertSandboxBanks(ctx, [[bank, "bank"]]);
    return runOutsideTransaction(ctx, req, reply, dashboardScope(req.dashboard), async () => {
      const saved = await admin(() => ctx.sandbox.setFaults(req.dashboard.companyId, bank, settings));
      return { body: ok("Sandbox faults set", { faults: viewsOf(ctx, [saved])[0]! }) };
    });
  });

  app.post("/sandbox/faults/clear", { schema: { summary: "Clear one sandbox bank's faults, or every bank's", body: ClearFaultsBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "use the sandbox tools");
    const { bank } = req.body;
    if (bank !== undefined) assertSandboxBanks(ctx, [[bank, "bank"]]);
    return runOutsideTransaction(ctx, req, reply, dashboardScope(req.dashboard), async () => {
      await admin(() => ctx.sandbox.clearFaults(req.dashboard.companyId, bank));
      return { body: ok("Sandbox faults cleared", { faults: viewsOf(ctx, await admin(() => ctx.sandbox.getFaults(req.dashboard.companyId))) }) };
    });
  });

  app.post("/sandbox/customers/create", { schema: { summary: "Create a sandbox test customer (log in with it in the sandbox widget)", body: SandboxCustomerInput } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "use the sandbox tools");
    assertSandboxBanks(ctx, [[req.body.bank, "bank"]]);
    return runOutsideTransaction(ctx, req, reply, dashboardScope(req.dashboard), async () => {
      const [created] = await admin(() => ctx.sandbox.createCustomers(req.dashboard.companyId, [customerInput(req.body)]));
      return { body: ok("Sandbox customer created", { customer: customerView(created!) }) };
    });
  });

  app.post("/sandbox/webhooks/test", { schema: { summary: "Send a webhook.test event to one of your sandbox endpoints", body: TestWebhookBody } }, async (req, reply) => {
    requireRole(req.dashboard.role, "developer", "use the sandbox tools");
    return mutate(ctx, req, reply, dashboardScope(req.dashboard), async (trx) =>
      ok("Test event queued for delivery", await sendTestEvent(trx, sandbox(req.dashboard.companyId), req.body.endpoint_id, ctx.clock.now())),
    );
  });
};

