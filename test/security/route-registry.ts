import { randomUUID } from "node:crypto";
import { SANDBOX_MAGIC } from "../../src/banks/sandbox-logins.js";
import { Secret } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import { linkConnection } from "../../src/data/link.js";
import type { Env, GarnishmentStateColumn, MandateStateColumn } from "../../src/db/schema.js";
import { createGarnishment } from "../../src/garnish/service.js";
import { emitEvent } from "../../src/events/emit.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { cancelDeliveryJobs } from "../../src/events/queues.js";
import { newId } from "../../src/lib/ids.js";
import { kobo } from "../../src/lib/kobo.js";
import { makeNuban } from "../../src/banks/nuban.js";
import { addCompanyAccount, defaultCompanyAccount } from "../../src/payments/company-accounts.js";
import type { PaymentState } from "../../src/payments/domain.js";
import { paymentReference } from "../../src/payments/execute.js";
import { createLink } from "../../src/payments/links.js";
import { applyTransition, initiatePayment } from "../../src/payments/service.js";
import { createApp } from "../../src/platform/apps.js";
import { clockOffsetMs, createMandate } from "../../src/mandates/service.js";
import { validateBatch } from "../../src/bulk/service.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { Product } from "../../src/platform/domain.js";
import type { Harness } from "../harness.js";

export const GTBANK = "5d6fe57a4099cc4b210bbeb3";

/**
 * One entry per `/v2` route (path relative to the API prefix). The shared security suite
 * (security.test.ts) runs every entry under every API prefix and fails when a registered route
 * has no entry here, so a new route cannot ship without its security cases.
 */
export interface RouteCase {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** e.g. "/banks/list" */
  path: string;
  /** A valid request for a fresh tenant (query string and/or body). */
  valid?: { query?: string; body?: unknown };
  /**
   * For routes that read or change a tenant-owned object by id: make one for `tenant` in `env`
   * and say how to address it. The suite then checks that another company's key and the same
   * company's other-environment key both get 404, as for a missing object.
   */
  owned?: {
    create(h: Harness, tenant: NewCompany, env: Env): Promise<string>;
    request(id: string): { query?: string; body?: unknown };
  };
  /**
   * The route refuses production keys under every prefix, plain `/v2` included (the sandbox
   * customer and admin API): the suite then expects 403 SANDBOX_ONLY for a production key
   * everywhere, and tries the valid request with a sandbox key only.
   */
  sandboxOnly?: true;
}

const WIDE = { from: "2000-01-01", to: "2100-12-31" };
const page = { page: 1, limit: 5 };
/** An owned case addressing one of accountData()'s ids. */
const own = (pick: (d: AccountData) => string, body: (id: string) => Record<string, unknown>): RouteCase["owned"] => ({
  create: async (h, tenant, env) => pick(await accountData(h, tenant, env)),
  request: (id) => ({ body: body(id) }),
});

export const routeCases: RouteCase[] = [
  { method: "GET", path: "/banks/list" },
  { method: "POST", path: "/banks/list", valid: { body: {} } },
  { method: "GET", path: "/banks/getById", valid: { query: "id=5d6fe57a4099cc4b210bbeb3" } },
  { method: "POST", path: "/banks/getById", valid: { body: { id: "5d6fe57a4099cc4b210bbeb3" } } },
  // Apps (platform/api-routes.ts): an Okro extension for managing widget configurations.
  { method: "POST", path: "/apps/create", valid: { body: { name: "Security widget", products: ["balance"] } } },
  { method: "POST", path: "/apps/list", valid: { body: { page: 1, limit: 5 } } },
  { method: "POST", path: "/apps/get", owned: { create: ownedApp, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/apps/update", owned: { create: ownedApp, request: (id) => ({ body: { id, color: "#123456" } }) } },
  { method: "POST", path: "/apps/delete", owned: { create: ownedApp, request: (id) => ({ body: { id } }) } },
  // Sandbox customers (Okra's API) and Okro's sandbox admin API (banks/sandbox/routes.ts).
  {
    method: "POST",
    path: "/sandbox/customers/create",
    sandboxOnly: true,
    valid: { body: [{ bank: GTBANK, username: "security_user", password: "pass_secure" }] },
  },
  { method: "POST", path: "/sandbox/customers/list", sandboxOnly: true, valid: { body: { page: 1, limit: 5 } } },
  {
    method: "POST",
    path: "/sandbox/customers/get",
    sandboxOnly: true,
    owned: { create: ownedSandboxCustomer, request: (id) => ({ body: { customer: id } }) },
  },
  { method: "POST", path: "/sandbox/customers/generate", sandboxOnly: true, valid: { body: { number: 1 } } },
  // The same two where okra-node's Sandbox client posts them with the base URL /v2/.
  {
    method: "POST",
    path: "/customers/create",
    sandboxOnly: true,
    valid: { body: [{ bank: GTBANK, username: "security_sdk_user", password: "pass_secure" }] },
  },
  { method: "POST", path: "/customers/generate", sandboxOnly: true, valid: { body: { number: 1 } } },
  { method: "GET", path: "/sandbox/banks", sandboxOnly: true, valid: {} },
  { method: "POST", path: "/sandbox/banks", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/faults/get", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/faults/set", sandboxOnly: true, valid: { body: { bank: GTBANK, settings: { latencyMs: 0 } } } },
  { method: "POST", path: "/sandbox/faults/clear", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/clock/get", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/clock/advance", sandboxOnly: true, valid: { body: { ms: 1000 } } },
  // Events feed, webhook deliveries and replay (events/event-routes.ts).
  { method: "GET", path: "/events/list", valid: { query: "limit=5&order=asc&type=payment.*" } },
  { method: "POST", path: "/events/list", valid: { body: { limit: 5, type: "payment.*", from: "2020-01-01" } } },
  { method: "POST", path: "/events/get", owned: { create: ownedEvent, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/deliveries/list", valid: { body: { status: "failed", page: 1, limit: 5 } } },
  { method: "POST", path: "/webhooks/deliveries/get", owned: { create: ownedDelivery, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/deliveries/resend", owned: { create: ownedDelivery, request: (id) => ({ body: { id } }) } },
  {
    method: "POST",
    path: "/webhooks/deliveries/resend-failed",
    valid: { body: { from: "2020-01-01T00:00:00Z", to: "2020-01-31T00:00:00Z" } },
  },
  // Webhook endpoints (events/webhook-routes.ts): an Okro extension for managing where events go.
  { method: "POST", path: "/webhooks/create", valid: { body: { url: "https://hooks.example.com/security", event_types: ["payment.completed"] } } },
  { method: "POST", path: "/webhooks/list", valid: { body: { page: 1, limit: 5 } } },
  { method: "POST", path: "/webhooks/get", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/update", owned: { create: ownedEndpoint, request: (id) => ({ body: { id, description: "Changed" } }) } },
  { method: "POST", path: "/webhooks/delete", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/rotate-secret", owned: { create: ownedEndpoint, request: (id) => ({ body: { id, expire_previous_in_seconds: 60 } }) } },
  { method: "POST", path: "/webhooks/test", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
  // The account-data API (data/routes.ts): okra-node 0.2.0's auth, balance, accounts,
  // transactions, identity, income, customers and records paths. Owned objects are made by
  // accountData() straight in the tables, in either environment (production has no bank).
  ...accountDataCases(),
  // Payments (payments/routes.ts). Owned payments are made by paymentFixture() straight through
  // the engine, in either environment (production has no bank: the fixture's consent is a row).
  ...paymentCases(),
  // Mandates (mandates/routes.ts): Okro's mandates/* and Okra's pay/authorization/*. Owned
  // mandates are made by mandateFixture() through the service, in either environment.
  ...mandateCases(),
  // Garnishments (garnish/routes.ts). Owned recoveries are made by garnishmentFixture() through
  // the service over a sweep mandate, in either environment.
  ...garnishCases(),
  // Bulk payments (bulk/routes.ts). Owned batches are validated straight through the service from
  // a payment fixture's account, in either environment.
  ...bulkCases(),
];

export function mandateCases(): RouteCase[] {
  const post = (path: string, rest: Omit<RouteCase, "method" | "path"> = {}): RouteCase => ({ method: "POST", path, ...rest });
  const mandate = (state: MandateStateColumn | undefined, body: (id: string) => Record<string, unknown>): RouteCase["owned"] => ({
    create: async (h, t, env) => (await mandateFixture(h, t, env, state)).id,
    request: (id) => ({ body: body(id) }),
  });
  return [
    post("/mandates/create", { owned: { create: async (h, t, env) => (await accountData(h, t, env)).accountId, request: (account) => ({ body: { account, debit_type: "fixed", amount: 10_000, interval: "monthly" } }) } }),
    post("/mandates/get", { owned: mandate(undefined, (id) => ({ id })) }),
    post("/mandates/list", { valid: { body: page } }),
    post("/mandates/pause", { owned: mandate("active", (id) => ({ id })) }),
    post("/mandates/resume", { owned: mandate("paused", (id) => ({ id })) }),
    post("/mandates/cancel", { owned: mandate(undefined, (id) => ({ id })) }),
    post("/mandates/upcoming", { owned: mandate(undefined, (id) => ({ id })) }),
    post("/pay/authorization/initiate", { owned: mandate(undefined, (authorization) => ({ authorization, amount: 5_000, interval: "weekly" })) }),
    post("/authorization/initiate", { owned: mandate(undefined, (authorization) => ({ authorization, amount: 5_000, currency: "NGN", start_date: "", end_date: "" })) }),
    post("/pay/authorization/cancel", { owned: mandate(undefined, (authorization) => ({ authorization })) }),
    post("/pay/authorization/reauth", { owned: mandate("cancelled", (authorization) => ({ authorization })) }),
    post("/pay/authorization/list", { valid: { body: page } }),
    post("/pay/authorization/getByCustomer", { owned: { create: async (h, t, env) => (await mandateFixture(h, t, env)).customer_id, request: (customer) => ({ body: { customer } }) } }),
    post("/pay/authorization/getByOptions", { valid: { body: { options: { reference: "x" } } } }),
  ];
}

export function garnishCases(): RouteCase[] {
  const post = (path: string, rest: Omit<RouteCase, "method" | "path"> = {}): RouteCase => ({ method: "POST", path, ...rest });
  const garnishment = (state: GarnishmentStateColumn | undefined, body: (id: string) => Record<string, unknown>): RouteCase["owned"] => ({
    create: async (h, t, env) => garnishmentFixture(h, t, env, state),
    request: (id) => ({ body: body(id) }),
  });
  return [
    post("/garnish/create", { owned: { create: async (h, t, env) => (await mandateFixture(h, t, env, undefined, "sweep")).id, request: (mandate) => ({ body: { mandates: [mandate], principal: 10_000 } }) } }),
    post("/garnish/get", { owned: garnishment(undefined, (id) => ({ id })) }),
    post("/garnish/list", { valid: { body: page } }),
    post("/garnish/sweeps", { owned: garnishment(undefined, (id) => ({ id })) }),
    post("/garnish/sweep", { owned: garnishment("active", (id) => ({ id })) }),
    post("/garnish/pause", { owned: garnishment("active", (id) => ({ id })) }),
    post("/garnish/resume", { owned: garnishment("paused", (id) => ({ id })) }),
    post("/garnish/update", { owned: garnishment(undefined, (id) => ({ id, principal: 5_000 })) }),
    post("/garnish/cancel", { owned: garnishment(undefined, (id) => ({ id })) }),
  ];
}

/** A garnishment of ₦100 over a sweep mandate fixture, made through the service; `state` written straight to the row. */
export async function garnishmentFixture(h: Harness, tenant: NewCompany, env: Env, state?: GarnishmentStateColumn): Promise<string> {
  const scope = { companyId: tenant.id, env };
  const m = await mandateFixture(h, tenant, env, undefined, "sweep");
  const offsetMs = await clockOffsetMs(h.ctx, scope);
  const row = await h.ctx.db.transaction().execute((trx) =>
    createGarnishment(trx, h.ctx, scope, {
      customerId: null, mandateIds: [m.id], currency: "NGN", principal: 10_000n, interest: 0n, penalties: null, floor: 0n, interval: "daily", dayOfMonth: null,
      startDate: null, endDate: null, accountToCredit: null, reference: null, purpose: null, source: "api",
    }, offsetMs),
  );
  if (state) await h.ctx.db.updateTable("garnishments").set({ state }).where("id", "=", row.id).execute();
  return row.id;
}

/**
 * A variable mandate (₦1,000 cap, no schedule) of `tenant` in `env` on an accountData() account,
 * made through the service; `state` other than `awaiting_customer` is written straight to the row
 * (production has no bank to authorise it with).
 */
export async function mandateFixture(h: Harness, tenant: NewCompany, env: Env, state?: MandateStateColumn, debitType: "variable" | "sweep" = "variable") {
  const scope = { companyId: tenant.id, env };
  const data = await accountData(h, tenant, env);
  const offsetMs = await clockOffsetMs(h.ctx, scope);
  const row = await h.ctx.db.transaction().execute((trx) =>
    createMandate(trx, h.ctx, scope, {
      accountId: data.accountId, debitType, currency: "NGN", amount: null, initialAmount: null, maxPerCharge: null, maxTotal: 100_000n, maxPerPeriod: null, period: null,
      startDate: null, endDate: null, interval: null, dayOfMonth: null, count: null, purpose: null, reference: null, options: null, accountToCredit: null, retry: null,
    }, offsetMs),
  );
  if (!state) return row;
  return h.ctx.db.updateTable("mandates").set({ state }).where("id", "=", row.id).returningAll().executeTakeFirstOrThrow();
}


/** A `ready` batch of one valid row (the fixture's account); `finished` also fails that row and ends the batch (for retry). */
async function batchFixture(h: Harness, tenant: NewCompany, env: Env, options: { finished?: boolean } = {}): Promise<string> {
  const fixture = await paymentFixture(h, tenant, env);
  const batch = await h.ctx.db.transaction().execute((trx) =>
    validateBatch(trx, h.ctx, { companyId: tenant.id, env }, { source: { kind: "json", rows: [{ account_to_debit: fixture.accountId, amount: 100 + Math.floor(Math.random() * 1e6) }] } }),
  );
  if (options.finished) {
    await h.ctx.db.updateTable("batch_rows").set({ state: "failed", reason: "fixture" }).where("batch_id", "=", batch.id).execute();
    await h.ctx.db.updateTable("batches").set({ state: "failed", failed_count: 1 }).where("id", "=", batch.id).execute();
  }
  return batch.id;
}

export function bulkCases(): RouteCase[] {
  const post = (path: string, rest: Omit<RouteCase, "method" | "path"> = {}): RouteCase => ({ method: "POST", path, ...rest });
  const ready: RouteCase["owned"] = { create: (h, t, env) => batchFixture(h, t, env), request: (id) => ({ body: { id } }) };
  const csvOf: RouteCase["owned"] = { create: (h, t, env) => batchFixture(h, t, env), request: (id) => ({ query: `id=${id}` }) };
  return [
    // Another company's account is a row error (as if unknown), not a 404: the batch is the caller's own.
    post("/batches/create", { valid: { body: { payments: [{ account_to_debit: "ffffffffffffffffffffffff", amount: 100 }] } } }),
    post("/bulkfiles/initiate"),
    post("/batches/commit", { owned: ready }),
    post("/batches/cancel", { owned: ready }),
    post("/batches/retry", { owned: { create: (h, t, env) => batchFixture(h, t, env, { finished: true }), request: (id) => ({ body: { id } }) } }),
    post("/batches/get", { owned: ready }),
    post("/batches/list", { valid: { body: page } }),
    { method: "GET", path: "/batches/errors.csv", owned: csvOf },
    { method: "GET", path: "/batches/results.csv", owned: csvOf },
  ];
}

export function paymentCases(): RouteCase[] {
  const post = (path: string, rest: Omit<RouteCase, "method" | "path"> = {}): RouteCase => ({ method: "POST", path, ...rest });
  const queued: RouteCase["owned"] = { create: async (h, t, env) => (await paymentFixture(h, t, env)).paymentId, request: (payment_id) => ({ body: { payment_id } }) };
  const inReview: RouteCase["owned"] = { create: async (h, t, env) => (await paymentFixture(h, t, env, { review: true })).paymentId, request: (payment_id) => ({ body: { payment_id } }) };
  /** A settled payment: the tenant has an available balance to refund and pay out from. */
  const settled = (request: (ids: PaymentFixture) => Record<string, unknown>): RouteCase["owned"] => ({
    create: async (h, t, env) => JSON.stringify(await paymentFixture(h, t, env, { settle: true })),
    request: (json) => ({ body: request(JSON.parse(json) as PaymentFixture) }),
  });
  const customer: RouteCase["owned"] = { create: async (h, t, env) => (await paymentFixture(h, t, env)).customerId, request: (customer_id) => ({ body: { customer_id, ...page } }) };
  const link: RouteCase["owned"] = { create: async (h, t, env) => (await linkFixture(h, t, env)).id, request: (id) => ({ body: { id } }) };
  return [
    post("/pay/initiate", {
      owned: {
        create: async (h, t, env) => (await paymentFixture(h, t, env)).accountId,
        request: (account_to_debit) => ({ body: { account_to_debit, amount: 10_000, currency: "NGN" } }),
      },
    }),
    post("/pay/verify", { owned: queued }),
    post("/pay/cancel", { owned: queued }),
    post("/pay/review/approve", { owned: inReview }),
    post("/pay/review/decline", { owned: inReview }),
    post("/pay/list", { valid: { body: page } }),
    post("/pay/get", { owned: customer }),
    post("/pay/get/", { owned: customer }),
    post("/pay/get/id", { owned: queued }),
    post("/pay/get/Id", { owned: queued }),
    post("/pay/refund", { owned: settled((f) => ({ payment_id: f.paymentId, amount: 100 })) }),
    post("/pay/refund/list", { owned: queued }),
    // The payout goes to the tenant's own receiving account: another tenant's id is a 404.
    post("/pay/payout", { owned: settled((f) => ({ account_to_credit: f.companyAccountId, amount: 100 })) }),
    post("/pay/payout/list", { valid: { body: page } }),
    post("/pay/accounts/create", { valid: { body: { bank: "guaranty-trust-bank", nuban: makeNuban("058", "012345678") } } }),
    post("/pay/accounts/list", { valid: { body: page } }),
    post("/ledger/balances", { valid: { body: { currency: "NGN" } } }),
    post("/ledger/entries", { owned: settled((f) => ({ payment_id: f.paymentId, ...page })) }),
    // The link credits the tenant's own receiving account: another tenant's id is a 404.
    post("/pay/link/create", {
      owned: {
        create: async (h, t, env) => receivingAccount(h, t, env),
        request: (account) => ({ body: { name: "Security link", amount: 10_000, support_email: "pay@example.com", account } }),
      },
    }),
    post("/pay/link/list", { valid: { body: page } }),
    post("/pay/link/get", { owned: link }),
    post("/pay/link/disable", { owned: link }),
  ];
}

export interface PaymentFixture {
  paymentId: string;
  customerId: string;
  accountId: string;
  companyAccountId: string;
}

/** A random NUBAN that is valid at GTBank (CBN code 058). */
export const gtbankNuban = () => makeNuban("058", digits(9));

/** `tenant`'s default NGN receiving account in `env` (made once, through the company-accounts module). */
export async function receivingAccount(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const scope = { companyId: tenant.id, env };
  const existing = await defaultCompanyAccount(h.ctx.db, scope, "NGN");
  if (existing) return existing.id;
  const row = await h.ctx.db
    .transaction()
    .execute((trx) => addCompanyAccount(trx, scope, { bankId: GTBANK, nuban: gtbankNuban(), name: tenant.name, currency: "NGN" }, h.clock.now()));
  return row.id;
}

/**
 * A payment of `tenant` in `env`, made through the engine (initiatePayment), on an account made by
 * accountData() whose consent is written as an active row (production has no bank to ask for a
 * mandate). `settle`: moved on by applyTransition as the worker would (sent, confirmed, settled),
 * posting the ledger, so the tenant has `amount` minus the fee available.
 */
export async function paymentFixture(h: Harness, tenant: NewCompany, env: Env, options: { amount?: number; settle?: boolean; review?: boolean } = {}): Promise<PaymentFixture> {
  const scope = { companyId: tenant.id, env };
  const data = await accountData(h, tenant, env);
  const companyAccountId = await receivingAccount(h, tenant, env);
  const now = h.clock.now();
  // Production payments need the operator's approval (issue 16): the fixture's company has it.
  if (env === "production") {
    await h.ctx.db
      .insertInto("payment_access_requests")
      .values({ id: newId(now), company_id: tenant.id, state: "approved", business: JSON.stringify({ legal_name: tenant.name }), requested_by: null, created_at: now, decided_at: now, decided_by: "fixture", decision_note: null })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const row = await h.ctx.db.transaction().execute(async (trx) => {
    const consentId = newId(now);
    await trx
      .insertInto("payment_consents")
      .values({
        id: consentId,
        company_id: tenant.id,
        env,
        customer_id: data.customerId,
        account_id: data.accountId,
        bank_id: GTBANK,
        reference: `OKROM${consentId}`,
        mandate_id: `MANDATE-${consentId}`,
        status: "active",
        max_amount: 100_000_000n,
        currency: "NGN",
        activates_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    let payment = await initiatePayment(trx, h.ctx, scope, { accountToDebit: data.accountId, amount: kobo(options.amount ?? 50_000), currency: "NGN" });
    if (options.review) {
      // As a payment above the company's threshold would be (without setting one, which would hold the tenant's later fixtures too).
      const held = await applyTransition(trx, h.ctx, payment, "review", { actor: "api", reason: "fixture_review" });
      if (!held) throw new Error("fixture: could not hold the payment for review");
      payment = held;
    }
    if (options.settle) {
      const step = async (to: PaymentState, set = {}) => {
        const moved = await applyTransition(trx, h.ctx, payment, to, { actor: "worker", reason: `fixture_${to}`, set });
        if (!moved) throw new Error(`fixture: could not move the payment to ${to}`);
        payment = moved;
      };
      await step("processing", { attempt: 1, reference: paymentReference(payment.id, 1), sent_at: now });
      await step("succeeded");
      await step("settled");
    }
    return payment;
  });
  return { paymentId: row.id, customerId: data.customerId, accountId: data.accountId, companyAccountId };
}

/** A payment link of `tenant` in `env`, made through the links module. */
export async function linkFixture(h: Harness, tenant: NewCompany, env: Env) {
  const accountToCredit = await receivingAccount(h, tenant, env);
  const { link } = await h.ctx.db.transaction().execute((trx) =>
    createLink(trx, h.ctx, { companyId: tenant.id, env }, {
      name: `Owned link ${randomUUID()}`,
      amount: kobo(25_000),
      currency: "NGN",
      note: null,
      logo: null,
      color: null,
      type: "one-time",
      accountToCredit,
      supportEmail: "owned@example.com",
      successUrl: null,
      callbackUrl: null,
      filterBanks: [],
      reusable: false,
      expiresAt: null,
    }),
  );
  return link;
}

export function accountDataCases(): RouteCase[] {
  const post = (path: string, rest: Omit<RouteCase, "method" | "path"> = {}): RouteCase => ({ method: "POST", path, ...rest });
  const customer = own((d) => d.customerId, (customer) => ({ customer }));
  const customerDate = own((d) => d.customerId, (customer) => ({ customer, ...WIDE }));
  const account = own((d) => d.accountId, (account) => ({ account }));
  return [
    // Auth
    post("/products/auths", { valid: { body: { ...page, ...WIDE } } }),
    post("/auth/getById", { owned: own((d) => d.authId, (id) => ({ id })) }),
    post("/auth/getByCustomer", { owned: customer }),
    post("/auth/getByDate", { valid: { body: WIDE } }),
    post("/auth/getByBank", { valid: { body: { bank: GTBANK } } }),
    post("/auth/getByCustomerDate", { owned: customerDate }),
    // Balance. check/refresh go to the bank, which production does not have: their tenant
    // isolation is tested in test/data/api.test.ts.
    post("/products/balances", { valid: { body: page } }),
    post("/balance/getById", { owned: own((d) => d.balanceId, (id) => ({ id, includePeriodic: true })) }),
    post("/balance/getByAccount", { owned: own((d) => d.accountId, (account_id) => ({ account_id })) }),
    post("/balance/getByType", { valid: { body: { type: "available_balance", value: 0 } } }),
    post("/balance/getByCustomer", { owned: customer }),
    post("/balance/getByDate", { valid: { body: WIDE } }),
    post("/balance/getByCustomerDate", { owned: customerDate }),
    post("/balance/check"),
    post("/balance/refresh"),
    post("/transactions/balance/process", { owned: own((d) => d.accountId, (account_id) => ({ account_id, ...WIDE })) }),
    // Accounts
    post("/products/accounts", { valid: { body: page } }),
    post("/accounts/getById", { owned: own((d) => d.accountId, (id) => ({ id })) }),
    post("/accounts/getAccountDetails", { owned: account }),
    post("/accounts/getByCustomer", { owned: customer }),
    post("/accounts/getByCustomerDate", { owned: customerDate }),
    post("/accounts/getByBalance", { valid: { body: { balance: 0 } } }),
    post("/accounts/getByBank", { valid: { body: { bank: GTBANK } } }),
    post("/accounts/getByName", { valid: { body: { name: "owned" } } }),
    // Transactions
    post("/products/transactions", { valid: { body: page } }),
    post("/transactions/getById", { owned: own((d) => d.transactionIds[0]!, (id) => ({ id })) }),
    post("/transactions/getByAccount", { owned: account }),
    post("/transactions/getByBank", { valid: { body: { bank: GTBANK } } }),
    post("/transactions/getByType", { valid: { body: { type: "credit", value: 100 } } }),
    post("/transactions/getByNuban", { owned: own((d) => d.nuban, (nuban) => ({ nuban })) }),
    post("/transactions/getByCustomer", { owned: customer }),
    post("/transactions/getByDate", { valid: { body: WIDE } }),
    post("/transactions/getByCustomerDate", { owned: customerDate }),
    post("/transactions/refresh"),
    post("/transactions/process", { owned: account }),
    post("/products/spending-patterns/process", { owned: account }),
    post("/products/trans-networks/process", { owned: account }),
    post("/products/benefactors/process", { owned: customer }),
    // Identity
    post("/products/identities", { valid: { body: page } }),
    post("/identity/getById", { owned: own((d) => d.identityId, (id) => ({ id })) }),
    post("/identity/getByCustomer", { owned: customer }),
    post("/identity/getByDate", { valid: { body: WIDE } }),
    post("/identity/getByCustomerDate", { owned: customerDate }),
    post("/products/kyc/bvn-verify", { owned: own((d) => d.bvn!, (bvn) => ({ bvn })) }),
    post("/products/kyc/customer-verify", { owned: customer }),
    post("/products/kyc/nuban-verify", { owned: own((d) => d.nuban, (nuban) => ({ nuban, bank: GTBANK })) }),
    // Two customers: "initial,final".
    post("/products/identity/merge", {
      owned: {
        // The same person linked twice, once without a BVN (two BVNs are two people: 422).
        create: async (h, tenant, env) => `${(await accountData(h, tenant, env, { bvn: null })).customerId},${(await accountData(h, tenant, env)).customerId}`,
        request: (ids) => ({ body: { initial: ids.split(",")[0], final: ids.split(",")[1] } }),
      },
    }),
    // Always 422: no government registry behind them.
    post("/products/kyc/rc-verify"),
    post("/products/kyc/tin-verify"),
    post("/products/kyc/rc-tin-verify"),
    // Income
    post("/products/income/get", { valid: { body: page } }),
    post("/income/getById", { owned: own((d) => d.incomeId, (id) => ({ id })) }),
    post("/income/getByCustomer", { owned: customer }),
    post("/income/getByDate", { valid: { body: WIDE } }),
    post("/income/getByCustomerDate", { owned: customerDate }),
    post("/products/income/process", { owned: own((d) => d.customerId, (customer_id) => ({ customer_id })) }),
    post("/revenue/", { owned: customerDate }),
    // Customers (under /v2/sandbox, customers/list is the sandbox customer API's: decision 0009)
    post("/customers/list", { valid: { body: page } }),
    post("/customers/find-customers-by", { valid: { body: { key: "name", value: "owned" } } }),
    post("/customers/flag", { owned: own((d) => d.customerId, (customer) => ({ customer, bank: GTBANK })) }),
    post("/customers/unflag", { owned: own((d) => d.customerId, (customer) => ({ customer, bank: GTBANK, unflag: true })) }),
    post("/customers/remove", { owned: customer }),
    post("/customers/token", { valid: { body: { bvn: "22222222222", expires_in: 120 } } }),
    // Records
    post("/products/records/get", { owned: own((d) => d.recordId, (record_id) => ({ record_id })) }),
  ];
}

export interface AccountData {
  customerId: string;
  recordId: string;
  accountId: string;
  authId: string;
  balanceId: string;
  /** Oldest first: a salary credit, a transfer out, a POS purchase. */
  transactionIds: string[];
  identityId: string;
  incomeId: string;
  nuban: string;
  bvn: string | null;
}

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join("");

/**
 * One linked customer of `tenant` in `env` with a GTBank account and every product's data,
 * written straight into the tables (as linkConnection would), so it works in production too,
 * where no bank is reachable. Balances ₦250,000.00 available / ₦260,000.00 ledger; three lines.
 */
export async function accountData(h: Harness, tenant: NewCompany, env: Env, options: { bvn?: string | null } = {}): Promise<AccountData> {
  const now = h.clock.now();
  const scope = { company_id: tenant.id, env };
  const ids = { customerId: newId(now), recordId: newId(now), accountId: newId(now), authId: newId(now), balanceId: newId(now), identityId: newId(now), incomeId: newId(now) };
  const nuban = digits(10);
  const bvn = options.bvn === undefined ? `2${digits(10)}` : options.bvn;
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * 86_400_000);
  const lines = [
    { credit: 30_000_000, debit: null, balance: 30_000_000, narration: "SALARY MAR 2026 FROM OWNED EMPLOYER LTD", category: "salary", daysAgo: 20 },
    { credit: null, debit: 4_000_000, balance: 26_000_000, narration: "NIP TRF TO ADA OWNED/RENT", category: "transfer_out", daysAgo: 10 },
    { credit: null, debit: 1_000_000, balance: 25_000_000, narration: "POS PURCHASE OWNED MART LAGOS", category: "pos", daysAgo: 5 },
  ];
  const transactionIds = lines.map(() => newId(now));
  await h.ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("customers")
      .values({ id: ids.customerId, ...scope, name: "Owned Customer", kind: "individual", bvn, emails: JSON.stringify(["owned@example.com"]), phones: JSON.stringify(["+2348030000000"]), created_at: now, updated_at: now })
      .execute();
    await trx
      .insertInto("records")
      .values({
        id: ids.recordId,
        ...scope,
        customer_id: ids.customerId,
        bank_id: GTBANK,
        app_id: null,
        status: "connected",
        login_method: "internet_banking",
        products: JSON.stringify(["auth", "balance", "transactions", "identity", "income"]),
        options: "{}",
        created_at: now,
        updated_at: now,
      })
      .execute();
    const owner = { ...scope, customer_id: ids.customerId, record_id: ids.recordId, bank_id: GTBANK };
    await trx
      .insertInto("accounts")
      .values({ id: ids.accountId, ...owner, bank_account_id: nuban, nuban, name: "OWNED CUSTOMER", type: "savings", currency: "NGN", connected: true, created_at: now, updated_at: now })
      .execute();
    const balances = { available_balance: 25_000_000, ledger_balance: 26_000_000 };
    await trx.insertInto("auths").values({ id: ids.authId, ...owner, account_id: ids.accountId, ...balances, connected: true, created_at: now, updated_at: now }).execute();
    await trx.insertInto("balances").values({ id: ids.balanceId, ...owner, account_id: ids.accountId, ...balances, currency: "NGN", as_of: now, created_at: now, updated_at: now }).execute();
    await trx.insertInto("balance_readings").values({ balance_id: ids.balanceId, ...balances, as_of: now }).execute();
    await trx
      .insertInto("transactions")
      .values(
        lines.map((l, i) => ({
          id: transactionIds[i]!,
          ...owner,
          account_id: ids.accountId,
          bank_transaction_id: `${nuban}-${i}`,
          debit: l.debit,
          credit: l.credit,
          balance: l.balance,
          currency: "NGN",
          trans_date: at(l.daysAgo),
          narration: l.narration,
          category: l.category,
          reference: null,
          session_id: null,
          created_at: now,
        })),
      )
      .execute();
    await trx
      .insertInto("identities")
      .values({
        id: ids.identityId,
        ...owner,
        kind: "individual",
        fullname: "Owned Customer",
        firstname: "Owned",
        middlename: null,
        lastname: "Customer",
        bvn,
        dob: "1990-01-31",
        gender: "female",
        phones: JSON.stringify(["+2348030000000"]),
        emails: JSON.stringify(["owned@example.com"]),
        address: JSON.stringify({ street: "1 Owned Street", city: "Ikeja", state: "Lagos", country: "Nigeria" }),
        marital_status: "single",
        nationality: "Nigerian",
        rc_number: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto("incomes")
      .values({
        id: ids.incomeId,
        ...scope,
        customer_id: ids.customerId,
        record_id: ids.recordId,
        summary: JSON.stringify({ avg_monthly_income: 30_000_000, streams: [], confidence: 0.5, currency: "NGN" }),
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  return { ...ids, transactionIds, nuban, bvn };
}

/** A sandbox customer of `tenant`, made through the sandbox admin (not the route under test). */
async function ownedSandboxCustomer(h: Harness, tenant: NewCompany): Promise<string> {
  const [customer] = await h.ctx.sandbox.createCustomers(tenant.id, [
    { bankId: GTBANK, username: `owned_${randomUUID().slice(0, 8)}`, password: "pass_owned", type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4 },
  ]);
  return customer!.id;
}

/** An app of `tenant` in `env`, made through the service (not the route under test). */
async function ownedApp(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const app = await createApp(h.ctx.db, { companyId: tenant.id, env }, { name: "Owned widget" }, h.clock.now());
  return app.id;
}

/** An event of `tenant` in `env`, appended through the event log (not the route under test). */
async function ownedEvent(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const event = await h.ctx.db
    .transaction()
    .execute((trx) =>
      emitEvent(trx, { companyId: tenant.id, env, type: "security.owned", object: { type: "security", id: randomUUID() }, data: {} }, h.clock.now()),
    );
  return event.id;
}

/**
 * A succeeded webhook delivery of `tenant` in `env`: an endpoint made through the endpoints
 * service (one per tenant and environment), an event delivered to it alone, marked as sent.
 */
async function ownedDelivery(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const now = h.clock.now();
  return h.ctx.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("company_id", "=", tenant.id)
      .where("env", "=", env)
      .where("app_id", "is", null)
      .executeTakeFirst();
    // Nothing listens there: should a worker pick a resent one up, it fails at once.
    const url = env === "sandbox" ? "http://127.0.0.1:9/okro" : "https://hooks.example.com/okro";
    const endpointId = existing?.id ?? (await createEndpoint(trx, h.ctx.secrets, { companyId: tenant.id, env }, { url }, now)).id;
    const event = await emitEvent(
      trx,
      { companyId: tenant.id, env, type: "security.owned", object: { type: "security", id: randomUUID() }, data: {}, onlyEndpointId: endpointId },
      now,
    );
    const delivery = await trx
      .updateTable("webhook_deliveries")
      .set({ status: "succeeded", attempts: 1, last_status_code: 200, updated_at: now })
      .where("event_id", "=", event.id)
      .returning("id")
      .executeTakeFirstOrThrow();
    // As if sent: its job is no longer queued.
    await cancelDeliveryJobs(trx, [delivery.id]);
    return delivery.id;
  });
}

/** A webhook endpoint of `tenant` in `env`, made through the endpoints service (not the route under test). */
async function ownedEndpoint(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const scope = { companyId: tenant.id, env };
  const endpoint = await h.ctx.db
    .transaction()
    .execute((trx) => createEndpoint(trx, h.ctx.secrets, scope, { url: "https://hooks.example.com/owned" }, h.clock.now()));
  return endpoint.id;
}

export const SANDBOX_PRODUCTS: Product[] = ["auth", "balance", "transactions", "identity", "income"];

/**
 * Links a sandbox bank login of `tenant` the way the widget does (connector login, then
 * linkConnection with every product and every account shared). `identifier` is a magic sandbox
 * user; MFA (okro_otp) is answered with the sandbox OTP.
 */
export async function linkSandboxCustomer(h: Harness, tenant: NewCompany, options: { bankId?: string; identifier?: string } = {}) {
  const bankId = options.bankId ?? GTBANK;
  const connector = connectorFor(h.ctx, "sandbox", tenant.id, bankId);
  if (!connector) throw new Error(`no sandbox connector for ${bankId}`);
  const credentials = { method: "internet_banking" as const, identifier: options.identifier ?? "okro_good", secret: new Secret(SANDBOX_MAGIC.password) };
  let login = await connector.startLogin({ credentials });
  if (login.status === "mfa_required") {
    const answer = login.challenge.kind === "security_question" ? SANDBOX_MAGIC.securityAnswer : SANDBOX_MAGIC.otp;
    login = await connector.answerMfa({ session: login.session, answer: new Secret(answer) });
  }
  if (login.status !== "connected") throw new Error("sandbox login did not connect");
  const session = login.session;
  const bankAccounts = await connector.listAccounts({ session });
  const linked = await linkConnection(h.ctx, {
    companyId: tenant.id,
    env: "sandbox",
    appId: null,
    bankId,
    loginMethod: "internet_banking",
    credentials,
    session,
    selectedAccountIds: bankAccounts.map((a) => a.id),
    products: SANDBOX_PRODUCTS,
    options: {},
  });
  return { linked, connector, session, bankAccounts };
}
