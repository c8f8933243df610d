import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import { isValidNuban } from "../banks/nuban.js";
import { listBanks, type BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { findCustomer } from "../data/queries.js";
import { tenantScope } from "../http/api-auth.js";
import { ok } from "../core/envelope.js";
import { OkroError } from "../core/errors.js";
import { mutate } from "../http/idempotency.js";
import { paginate } from "../core/paging.js";
import { parseJsonBody } from "../http/validation.js";
import { ALIAS_OF } from "../http/openapi.js";
import { positiveKobo } from "../lib/kobo.js";
import { listEntries, walletBalances } from "../ledger/store.js";
import { getCompany } from "../platform/companies.js";
import { addCompanyAccount, companyAccountView, listCompanyAccounts } from "./company-accounts.js";
import { clockOffsetMs, startRecurring, upcomingCharges } from "../mandates/service.js";
import { mandateApiView } from "../mandates/views.js";
import { startGarnishFromInitiate, viewOf as garnishmentViewOf } from "../garnish/service.js";
import { createPayout, listPayouts } from "./payouts.js";
import { createRefund, listRefunds } from "./refunds.js";
import { linkInputFrom, resolveBank as resolveBankIn, unsupportedCurrency } from "./link-input.js";
import { createLink, disableLink, getLink, linkRef, linksByIds, linkView, listLinks } from "./links.js";
import { approvePayment, declinePayment } from "./review.js";
import * as S from "./schemas.js";
import { cancelPayment, getPayment, initiatePayment, listPayments, transitionsOf } from "./service.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES, type Executor, type PaymentRow, type Scope, type TransitionRow } from "./types.js";
import { balanceView, paymentView, payoutView, refundView } from "./views.js";

const scopeOf = (req: FastifyRequest): Scope => ({ companyId: req.tenant.companyId, env: req.tenant.env });

const LIST = "Newest first, paged with `page`/`limit` (`data.pagination`).";
const MUTATING = "Honours `Idempotency-Key`; unknown fields are a 400.";
const NOT_MINE = "An id of another company or environment is a 404, as for a missing one.";
const MONEY = "Amounts are integer kobo (₦1 = 100): zero, negative, fractional, non-numeric or absurd (> 10^15) amounts are a 400 naming `amount`.";

/**
 * Okra's docs show `pay/cancel` with `-d '{ payment_id: "…" }'`: a JavaScript object literal,
 * not JSON. So that call works verbatim, a body that is not JSON is tried once more with its
 * bare keys quoted; anything else still malformed keeps JSON's own error.
 */
const BARE_KEY = /([A-Za-z_$][A-Za-z0-9_$]*)(?=\s*:)/y;

export function quoteBareKeys(raw: string): string {
  let out = "";
  let inString = false;
  let last = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out += c;
      if (c === "\\") out += raw[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      last = c;
      continue;
    }
    if ((last === "{" || last === ",") && /[A-Za-z_$]/.test(c)) {
      // Sticky: matches at i without copying the rest of the body (linear in its size).
      BARE_KEY.lastIndex = i;
      const key = BARE_KEY.exec(raw)?.[1];
      if (key) {
        out += `"${key}"`;
        i += key.length - 1;
        last = '"';
        continue;
      }
    }
    out += c;
    if (!/\s/.test(c)) last = c;
  }
  return out;
}

export function parseOkraJson(raw: string): unknown {
  try {
    return parseJsonBody(raw);
  } catch (error) {
    if (!(error instanceof OkroError) || error.code !== "INVALID_BODY") throw error;
    const relaxed = quoteBareKeys(raw);
    if (relaxed === raw) throw error;
    try {
      return parseJsonBody(relaxed);
    } catch {
      throw error;
    }
  }
}

/**
 * The payments API (`/v2/pay/*`, `/v2/ledger/*`): Okra's one-time payments, verify and cancel
 * (seed 004), refunds, payouts and payment links, plus Okro's receiving accounts and ledger.
 * Thin handlers: parse (schemas.ts), scope to the key's company and environment, call the
 * engine (service, refunds, payouts) or links/company-accounts, shape (views.ts). Every mutation
 * runs in one transaction with its Idempotency-Key row; a refusal writes nothing.
 */
export const paymentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  // Only in this plugin: the tolerant parser for Okra's documented object-literal bodies.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseOkraJson(body as string));
    } catch (error) {
      done(error as OkroError, undefined);
    }
  });

  function post<B extends z.ZodType, R extends z.ZodType>(
    path: string,
    doc: { tags: string[]; summary: string; description: string; [ALIAS_OF]?: string },
    body: B,
    response: R,
    handler: (body: z.output<B>, req: FastifyRequest, reply: FastifyReply) => Promise<z.input<R>>,
  ) {
    app.post(path, { schema: { ...doc, body, response: { 200: response } } }, (req, reply) => handler(req.body as z.output<B>, req, reply) as never);
  }

  /** A bank of the directory by id or slug, or a 400 naming `field`. Read before any transaction. */
  const resolveBank = (ref: string, field: string) => resolveBankIn(db, ref, field);

  function checkNuban(bank: BankView, nuban: string, field = "nuban") {
    if (!isValidNuban(bank.cbn_code, nuban)) {
      throw new OkroError("UNPROCESSABLE", `${field}: ${nuban} is not a valid account number at ${bank.name} (its check digit is wrong)`, { field });
    }
  }

  /** Payment views for rows, with their links' `{_id, url, short_url, surl}`. */
  async function paymentViews(executor: Executor, scope: Scope, rows: PaymentRow[]) {
    const links = await linksByIds(
      executor,
      scope,
      rows.flatMap((r) => (r.link_id ? [r.link_id] : [])),
    );
    return rows.map((row) => {
      const link = row.link_id ? links.get(row.link_id) : undefined;
      return paymentView(row, { link: link ? linkRef(link, ctx) : null });
    });
  }
  const onePayment = async (executor: Executor, scope: Scope, row: PaymentRow, transitions?: TransitionRow[]) => {
    const link = row.link_id ? (await linksByIds(executor, scope, [row.link_id])).get(row.link_id) : undefined;
    return paymentView(row, { link: link ? linkRef(link, ctx) : null, ...(transitions ? { transitions } : {}) });
  };

  // -- Payments -------------------------------------------------------------------------------
  {
    const tags = ["Payments"];
    post(
      "/pay/initiate",
      {
        tags,
        summary: "Initiate a payment (one-time, recurring or garnish)",
        description: `Queues a debit of \`amount\` from the customer's linked account \`account_to_debit\` to your receiving account \`account_to_credit\` (default: your default account for the currency; see pay/accounts/*). The account needs payment consent, which the customer gives in the widget (\`payment: true\`). The payment starts \`pending\`; the worker sends the debit and it moves to \`initiated\`, then \`success_pending_validation\` when the bank confirms it and \`completed\` once settled — check with pay/verify or listen for \`payment.*\` webhooks. \`type: recurring\` with \`schedule{interval: daily|weekly|monthly|quarterly|yearly (default monthly), startDate (default today), endDate, count, dayOfMonth (-1: last day)}\` (dates in Africa/Lagos, YYYY-MM-DD or YYYY/MM/DD) makes a fixed mandate on the account's consent: \`amount\` every cycle, each charge an ordinary payment (\`payment.*\` events carry \`mandate{_id, cycle, attempt}\`); \`data.payment\` is the first charge when it falls due today (else null), \`data.mandate\` the mandate (mandates/*), \`data.upcoming\` the next charges. The message describes the schedule in words. A schedule that ends before it starts is a 400 naming \`schedule.endDate\`. \`currency\`: NGN only (422 otherwise). \`type: garnish\` with \`schedule{interval, startDate, endDate}\` recovers a debt of \`amount\`: a sweep mandate on the account's consent plus every other sweep mandate the customer granted (at any bank), swept on the schedule — what the balances allow, the rest later — until repaid; \`data.garnishment\` is the recovery (garnish/*), \`data.payment\` null (each sweep's debits are payments with \`garnishment{_id, sweep}\`). ${MONEY} ${MUTATING}`,
      },
      S.InitiateBody,
      S.InitiateResponse,
      async (b, req, reply) => {
        if (b.type === "garnish" && b.schedule === undefined) {
          throw new OkroError("MISSING_FIELDS", "schedule: required for garnish payments ({interval, startDate, endDate})", { field: "schedule" });
        }
        if (b.type === "garnish" && b.schedule?.count !== undefined) {
          throw new OkroError("INVALID_FIELD", "schedule.count: a garnishment sweeps until the debt is repaid or schedule.endDate; it has no count", { field: "schedule.count" });
        }
        if (b.type === "one-time" && b.schedule !== undefined) {
          throw new OkroError("INVALID_FIELD", "schedule: only for recurring payments; omit it for one-time", { field: "schedule" });
        }
        if (b.type === "recurring" && b.schedule === undefined) {
          throw new OkroError("MISSING_FIELDS", "schedule: required for recurring payments ({interval, startDate, endDate})", { field: "schedule" });
        }
        if (!isSupportedCurrency(b.currency)) throw unsupportedCurrency(b.currency);
        // A sandbox company's business clock, read before the transaction (embedded PGlite has one connection).
        const offsetMs = b.type !== "one-time" ? await clockOffsetMs(ctx, scopeOf(req)) : 0;
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          if (b.type === "garnish") {
            const sch = b.schedule!;
            const row = await startGarnishFromInitiate(trx, ctx, scope, {
              accountToDebit: b.account_to_debit,
              accountToCredit: S.receivingAccountOrDefault(b.account_to_credit) ?? null,
              amount: positiveKobo(b.amount),
              currency: b.currency,
              schedule: { interval: sch.interval, startDate: sch.startDate || null, endDate: sch.endDate || null, dayOfMonth: sch.dayOfMonth ?? sch.day_of_month ?? null },
              note: b.note ?? null,
            }, offsetMs);
            const view = await garnishmentViewOf(trx, row);
            return ok(`Payment succesfully initiated! A garnishment of ${b.currency} ${(b.amount / 100).toFixed(2)} sweeps the customer's consented accounts ${sch.interval === "daily" ? "every day" : `every ${sch.interval.replace(/ly$/, "").replace("dai", "day")}`} until it is repaid${view.schedule.end_date ? ` or ${view.schedule.end_date}` : ""}; each debit is a payment (pay/verify, pay/list)`, {
              payment: null,
              garnishment: view,
            });
          }
          if (b.type === "recurring") {
            const sch = b.schedule!;
            if (sch.dayOfMonth !== undefined && sch.day_of_month !== undefined && sch.dayOfMonth !== sch.day_of_month) {
              throw new OkroError("INVALID_FIELD", "schedule.day_of_month: disagrees with schedule.dayOfMonth; send one", { field: "schedule.day_of_month" });
            }
            if (sch.businessDays !== undefined && sch.business_days !== undefined && sch.businessDays !== sch.business_days) {
              throw new OkroError("INVALID_FIELD", "schedule.business_days: disagrees with schedule.businessDays; send one", { field: "schedule.business_days" });
            }
            const { mandate, first } = await startRecurring(trx, ctx, scope, {
              accountToDebit: b.account_to_debit,
              accountToCredit: S.receivingAccountOrDefault(b.account_to_credit) ?? null,
              amount: positiveKobo(b.amount),
              currency: b.currency,
              schedule: { interval: sch.interval, startDate: sch.startDate || null, endDate: sch.endDate || null, count: sch.count ?? null, dayOfMonth: sch.dayOfMonth ?? sch.day_of_month ?? null, businessDays: sch.businessDays ?? sch.business_days },
              note: b.note ?? null,
            }, offsetMs).catch((error: unknown) => {
              // The schedule's own fields are named where the caller wrote them.
              if (error instanceof OkroError && error.field && ["start_date", "end_date", "count", "day_of_month"].includes(error.field)) {
                const camel = { start_date: "startDate", end_date: "endDate", count: "count", day_of_month: "dayOfMonth" }[error.field]!;
                throw new OkroError(error.code, `schedule.${camel}${error.message.slice(error.field.length)}`, { field: `schedule.${camel}`, ...(error.data ? { data: error.data } : {}) });
              }
              throw error;
            });
            const view = mandateApiView(mandate, ctx.config);
            const payment = first?.kind === "charged" ? await getPayment(trx, scope, first.paymentId) : null;
            return ok(`Recurring payment set up: ${view.description}`, {
              payment: payment ? await onePayment(trx, scope, payment) : null,
              mandate: view,
              upcoming: await upcomingCharges(trx, ctx, scope, mandate, 3, offsetMs),
            });
          }
          const row = await initiatePayment(trx, ctx, scope, {
            accountToDebit: b.account_to_debit,
            accountToCredit: S.receivingAccountOrDefault(b.account_to_credit),
            amount: positiveKobo(b.amount),
            currency: b.currency,
            note: b.note ?? undefined,
          });
          return ok("Payment succesfully initiated!", { payment: await onePayment(trx, scope, row) });
        });
      },
    );
    post(
      "/pay/verify",
      {
        tags,
        summary: "Verify a payment's status",
        description: `Seed 004's call: \`data.payment_status\` is the payment, with \`_id, amount, currency, customer, link{_id,url,short_url,surl}, status, response_status\` (and Okro's fields). \`status\` is one of pending, initiated, review, success, success_pending_validation, completed, error, failed, cancelled; \`response_status\` is the outcome so far. ${NOT_MINE}`,
      },
      S.PaymentIdBody,
      S.VerifyResponse,
      async (b, req) => {
        const scope = scopeOf(req);
        const row = await getPayment(db, scope, b.payment_id);
        return ok("Payment Status suceccefully retrieved!", { payment_status: await onePayment(db, scope, row) });
      },
    );
    post(
      "/pay/cancel",
      {
        tags,
        summary: "Cancel a payment",
        description: `Seed 004's call: cancels a payment that has not been sent to the bank — status \`pending\` (queued) or \`initiated\` while it waits for the customer's authorisation. Any other payment (being processed at the bank, succeeded, completed, failed…) is a 409 \`CONFLICT\` naming its status, and nothing changes. The answer is the cancelled payment. ${MUTATING} ${NOT_MINE}`,
      },
      S.CancelBody,
      S.PaymentResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          const row = await cancelPayment(trx, ctx, scope, b.payment_id, "api");
          return ok("Payment cancelled successfully", { payment: await onePayment(trx, scope, row) });
        }),
    );
    post(
      "/pay/review/approve",
      {
        tags,
        summary: "Approve a payment held for review",
        description: `Okro extension: a payment above your review threshold (set in the dashboard) is created with status \`review\` and nothing is sent to the bank until it is approved (it becomes \`pending\` and is debited like any other) or declined (pay/review/decline). A payment not in review is a 409 naming its status. ${MUTATING} ${NOT_MINE}`,
      },
      S.ApproveReviewBody,
      S.PaymentResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          const row = await approvePayment(trx, ctx, scope, b.payment_id, `key:${req.tenant.keyId}`);
          return ok("Payment approved successfully", { payment: await onePayment(trx, scope, row) });
        }),
    );
    post(
      "/pay/review/decline",
      {
        tags,
        summary: "Decline a payment held for review",
        description: `Okro extension: the payment in \`review\` ends \`failed\` (failure code \`review_declined\`, with your \`reason\`); nothing is debited. A payment not in review is a 409 naming its status. ${MUTATING} ${NOT_MINE}`,
      },
      S.DeclineReviewBody,
      S.PaymentResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          const row = await declinePayment(trx, ctx, scope, b.payment_id, `key:${req.tenant.keyId}`, b.reason);
          return ok("Payment declined successfully", { payment: await onePayment(trx, scope, row) });
        }),
    );
    post("/pay/list", { tags, summary: "List payments", description: `Every payment of the key's company and environment. ${LIST}` }, S.PageBody, S.PaymentsResponse, async (b, req) => {
      const scope = scopeOf(req);
      const page = await listPayments(db, scope, { page: b.page, limit: b.limit });
      return ok("Payments retrieved successfully", { payments: await paymentViews(db, scope, page.rows), pagination: paginate(page.total, b.page, b.limit, page.exact) });
    });
    const byCustomer = async (b: z.output<typeof S.ByCustomerBody>, req: FastifyRequest) => {
      const scope = scopeOf(req);
      const page = await listPayments(db, scope, { customerId: b.customer_id, page: b.page, limit: b.limit });
      // Payments outlive customers/remove; an id that is neither a customer nor on any payment is a 404.
      if (page.total === 0 && !(await findCustomer(db, scope, b.customer_id))) {
        throw new OkroError("NOT_FOUND", "customer_id: customer not found", { field: "customer_id" });
      }
      return ok("Payments retrieved successfully", { payments: await paymentViews(db, scope, page.rows), pagination: paginate(page.total, b.page, b.limit, page.exact) });
    };
    const byCustomerDoc = { tags, summary: "A customer's payments", description: `The payments debited from the customer's accounts. ${LIST} ${NOT_MINE}` };
    post("/pay/get", byCustomerDoc, S.ByCustomerBody, S.PaymentsResponse, byCustomer);
    // okra-node 0.2.0 posts to `pay/get/` (trailing slash).
    post("/pay/get/", { ...byCustomerDoc, [ALIAS_OF]: `${app.prefix}/pay/get` }, S.ByCustomerBody, S.PaymentsResponse, byCustomer);
    const byId = async (b: z.output<typeof S.GetPaymentBody>, req: FastifyRequest) => {
      const scope = scopeOf(req);
      const row = await getPayment(db, scope, b.payment_id);
      return ok("Payment retrieved successfully", { payment: await onePayment(db, scope, row, await transitionsOf(db, row.id)) });
    };
    const byIdDoc = {
      tags,
      summary: "Get one payment, with its history",
      description: `\`data.payment\` is the payment with \`history\`: every transition (from, to, wire status, actor, reason, at), oldest first. ${NOT_MINE}`,
    };
    post("/pay/get/id", byIdDoc, S.GetPaymentBody, S.PaymentResponse, byId);
    // okra-ruby and the old SDK spell it `pay/get/Id`.
    post("/pay/get/Id", { ...byIdDoc, [ALIAS_OF]: `${app.prefix}/pay/get/id` }, S.GetPaymentBody, S.PaymentResponse, byId);
  }

  // -- Refunds and payouts --------------------------------------------------------------------
  {
    const tags = ["Payments"];
    post(
      "/pay/refund",
      {
        tags,
        summary: "Refund a payment (fully or partly)",
        description: `Sends \`amount\` (default: everything not yet refunded) back to the account the payment was debited from, out of your available balance. Several partial refunds are allowed, never more in total than was collected: more than is left is a 422 naming \`amount\`, as is more than your available balance. Only a successful payment (status success_pending_validation or completed) can be refunded (409 otherwise). The refund starts \`pending\` and ends \`success\` or \`failed\` (refund.* webhooks; pay/refund/list). ${MONEY} ${MUTATING} ${NOT_MINE}`,
      },
      S.RefundBody,
      S.RefundResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const row = await createRefund(trx, ctx, scopeOf(req), { paymentId: b.payment_id, amount: b.amount === undefined ? undefined : positiveKobo(b.amount) });
          return ok("Refund initiated successfully", { refund: refundView(row) });
        }),
    );
    post(
      "/pay/refund/list",
      { tags, summary: "List refunds", description: `All refunds, or one payment's (\`payment_id\`). ${LIST} ${NOT_MINE}` },
      S.RefundListBody,
      S.RefundsResponse,
      async (b, req) => {
        const scope = scopeOf(req);
        if (b.payment_id !== undefined) await getPayment(db, scope, b.payment_id);
        const page = await listRefunds(db, scope, { paymentId: b.payment_id, page: b.page, limit: b.limit });
        return ok("Refunds retrieved successfully", { refunds: page.rows.map(refundView), pagination: paginate(page.total, b.page, b.limit) });
      },
    );
    post(
      "/pay/payout",
      {
        tags,
        summary: "Pay out to your bank account",
        description: `Moves \`amount\` from your available balance (ledger/balances) to your bank account: \`account_to_credit\` (a receiving account, pay/accounts/list), or \`nuban\` and \`bank\` (an id or slug from banks/list), or, with neither, your default receiving account for the currency. More than your available balance is a 422 naming \`amount\`. \`data.payout\` is Okra's payout object: \`status\` initiated, then success or failed. ${MONEY} ${MUTATING}`,
      },
      S.PayoutBody,
      S.PayoutResponse,
      async (b, req, reply) => {
        if (!isSupportedCurrency(b.currency)) throw unsupportedCurrency(b.currency);
        const bank = b.bank === undefined ? undefined : await resolveBank(b.bank, "bank");
        if (bank && b.nuban !== undefined) checkNuban(bank, b.nuban);
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          // Neither account_to_credit nor nuban/bank: the engine pays into the default account.
          const target =
            b.account_to_credit !== undefined ? { companyAccountId: b.account_to_credit } : bank && b.nuban !== undefined ? { bankId: bank.id, nuban: b.nuban } : {};
          const row = await createPayout(trx, ctx, scope, { ...target, amount: positiveKobo(b.amount), currency: b.currency, initiatedBy: req.tenant.keyId });
          return ok("Payout initiated successfully", { payout: payoutView(row) });
        });
      },
    );
    post("/pay/payout/list", { tags, summary: "List payouts", description: LIST }, S.PageBody, S.PayoutsResponse, async (b, req) => {
      const page = await listPayouts(db, scopeOf(req), { page: b.page, limit: b.limit });
      return ok("Payouts retrieved successfully", { payouts: page.rows.map(payoutView), pagination: paginate(page.total, b.page, b.limit) });
    });
  }

  // -- Receiving accounts ---------------------------------------------------------------------
  {
    const tags = ["Payments"];
    post(
      "/pay/accounts/create",
      {
        tags,
        summary: "Add a receiving account",
        description: `Okro extension: registers one of your own bank accounts (\`bank\`: an id or slug from banks/list; \`nuban\`, checked against the bank's check digit: 422 when wrong). Payments are for a receiving account (\`account_to_credit\`) and payouts land in one. The first account of a currency becomes its default; \`default: true\` moves the default. The same bank and NUBAN twice is a 409. ${MUTATING}`,
      },
      S.CreateAccountBody,
      S.AccountResponse,
      async (b, req, reply) => {
        if (!isSupportedCurrency(b.currency)) throw unsupportedCurrency(b.currency);
        const bank = await resolveBank(b.bank, "bank");
        checkNuban(bank, b.nuban);
        const name = b.name ?? (await getCompany(db, req.tenant.companyId))?.name ?? "Receiving account";
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const row = await addCompanyAccount(trx, scopeOf(req), { bankId: bank.id, nuban: b.nuban, name, currency: b.currency, makeDefault: b.default }, ctx.clock.now());
          return ok("Receiving account added successfully", { account: companyAccountView(row) });
        });
      },
    );
    post("/pay/accounts/list", { tags, summary: "List receiving accounts", description: `Okro extension: your receiving accounts. ${LIST}` }, S.PageBody, S.AccountsResponse, async (b, req) => {
      const page = await listCompanyAccounts(db, scopeOf(req), b);
      return ok("Receiving accounts retrieved successfully", { accounts: page.rows.map(companyAccountView), pagination: paginate(page.total, b.page, b.limit) });
    });
  }

  // -- Ledger ---------------------------------------------------------------------------------
  {
    const tags = ["Ledger"];
    post(
      "/ledger/balances",
      {
        tags,
        summary: "Your collected balances",
        description:
          "Okro extension: per currency (`currency` for one), in kobo — `pending` (confirmed by the bank, not yet settled), `available` (settled: what refunds and payouts draw on), `in_transit` (refunds and payouts sent, not yet confirmed; split into `refunds_in_transit` and `payouts_in_transit`), `fees` (Okro's fees so far) and `collected` (everything ever confirmed, gross). Derived from the ledger's postings. NGN is always listed.",
      },
      S.BalancesBody,
      S.BalancesResponse,
      async (b, req) => {
        if (b.currency !== undefined && !isSupportedCurrency(b.currency)) throw unsupportedCurrency(b.currency);
        const balances = (await walletBalances(db, scopeOf(req))).filter((w) => b.currency === undefined || w.currency === b.currency);
        return ok("Balances retrieved successfully", {
          balances: balances.map(balanceView),
        });
      },
    );
    post(
      "/ledger/entries",
      {
        tags,
        summary: "Ledger entries",
        description: `Okro extension: the double-entry journal behind your balances, newest first — every entry (\`kind\`: debit_confirmed, settlement, refund_*, payout_*, late_reversal…) with its postings, which sum to zero per currency. \`payment_id\`: only that payment's. ${LIST} ${NOT_MINE}`,
      },
      S.EntriesBody,
      S.EntriesResponse,
      async (b, req) => {
        const scope = scopeOf(req);
        if (b.payment_id !== undefined) await getPayment(db, scope, b.payment_id);
        const page = await listEntries(db, scope, { paymentId: b.payment_id, page: b.page, limit: b.limit });
        return ok("Ledger entries retrieved successfully", {
          entries: page.rows.map((e) => ({
            _id: e.id,
            id: e.id,
            key: e.key,
            kind: e.kind,
            payment: e.payment_id,
            refund: e.refund_id,
            payout: e.payout_id,
            created_at: e.created_at.toISOString(),
            postings: e.postings.map((p) => ({ account: p.account, direction: p.direction, amount: Number(p.amount), currency: p.currency })),
          })),
          pagination: paginate(page.total, b.page, b.limit),
        });
      },
    );
  }

  // -- Payment links --------------------------------------------------------------------------
  {
    const tags = ["Payment links"];
    post(
      "/pay/link/create",
      {
        tags,
        summary: "Create a payment link",
        description: `A page on the widget origin (\`url\`: \`<widget origin>/pay/<short_url>\`) where a customer pays you: a fixed \`amount\` (at least 100 kobo) or, when absent or null, one they enter. Okra's fields (\`name\`, \`currency\` NGN, \`note\`, \`logo\`, \`countries\` NG, \`type\` one-time, \`color\`, \`account\` (absent, empty or null: your default receiving account), \`support_email\` (absent: your company's email), \`success_url\`, \`callback_url\`, \`filter{banks}\`) plus Okro's \`reusable\` (default false: the link is used once paid) and \`expires_at\` (an ISO instant in the future). Creating identical details again gives back the same active link. \`type: recurring\` and \`data: true\` are a 422 (not available yet). ${MUTATING}`,
      },
      S.CreateLinkBody,
      S.LinkResponse,
      async (b, req, reply) => {
        const input = await linkInputFrom(db, b);
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const { link } = await createLink(trx, ctx, scopeOf(req), input);
          return ok("Payment link created successfully", { link: linkView(link, ctx) });
        });
      },
    );
    post("/pay/link/list", { tags, summary: "List payment links", description: LIST }, S.PageBody, S.LinksResponse, async (b, req) => {
      const page = await listLinks(db, scopeOf(req), b);
      return ok("Payment links retrieved successfully", { links: page.rows.map((r) => linkView(r, ctx)), pagination: paginate(page.total, b.page, b.limit) });
    });
    post("/pay/link/get", { tags, summary: "Get one payment link", description: NOT_MINE }, S.LinkIdBody, S.LinkResponse, async (b, req) =>
      ok("Payment link retrieved successfully", { link: linkView(await getLink(db, scopeOf(req), b.id), ctx) }),
    );
    post(
      "/pay/link/disable",
      {
        tags,
        summary: "Disable a payment link",
        description: `The link can no longer be paid (its page says so); payments already made are not affected. Disabling twice changes nothing; a used link stays \`used\`. ${MUTATING} ${NOT_MINE}`,
      },
      S.DisableLinkBody,
      S.LinkResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) =>
          ok("Payment link disabled successfully", { link: linkView(await disableLink(trx, scopeOf(req), b.id, ctx.clock.now()), ctx) }),
        ),
    );
  }
};
