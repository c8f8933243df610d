import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import type { LinkResult } from "../../src/data/link.js";
import { ManualClock } from "../../src/lib/clock.js";
import { kobo } from "../../src/lib/kobo.js";
import { grantConsent } from "../../src/payments/consents.js";
import { markLinkUsed } from "../../src/payments/links.js";
import { createAuthorisedPayment } from "../../src/payments/service.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { verifyLedger } from "../../src/ledger/store.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { ensureDemoSettlementAccount } from "../../src/seed.js";
import { expectError, expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { GTBANK, gtbankNuban, linkFixture, linkSandboxCustomer, paymentFixture } from "../security/route-registry.js";

/**
 * The payments API (src/payments/routes.ts) end to end: a tenant links the sandbox GTBank
 * customer `okro_good` as the widget does, the customer gives payment consent on one account
 * (OTP), the company registers a receiving account, and payments run through the real engine
 * and worker on a ManualClock. Each describe block that needs clean balances has its own tenant.
 */
const MISSING = "ffffffffffffffffffffffff";
/** OKRO_SETTLEMENT_DELAY_MS's default: the worker settles a confirmed debit this long after. */
const SETTLEMENT_DELAY_MS = 60_000;

let h: Harness;
let clock: ManualClock;
let tenant: NewCompany;
let stranger: NewCompany;
let linked: LinkResult;
/** The account with payment consent, and one without. */
let consented: string;
let unconsented: string;
let receiving: string;
let worker: JobRunner;

const post = (url: string, payload: unknown, key: string = tenant.sandbox.secret_key, headers: Record<string, string> = {}) =>
  h.request({ method: "POST", url: `/v2${url}`, headers: { ...bearer(key), ...headers }, payload: payload as object }) as Promise<Answer>;
const data = async (url: string, payload: unknown, key?: string) => expectSuccess(await post(url, payload, key));

/** The worker's pass, then the settlement delay, then another pass: a confirmed debit settles. */
async function settleAll(w: JobRunner = worker) {
  await w.runOnce();
  clock.advance(SETTLEMENT_DELAY_MS + 1);
  await w.runOnce();
}

const entriesOf = async (t: NewCompany) =>
  (await h.ctx.db.selectFrom("ledger_entries").select("id").where("company_id", "=", t.id).where("env", "=", "sandbox").execute()).length;
const paymentsOf = async (t: NewCompany) =>
  (await h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", t.id).where("env", "=", "sandbox").execute()).length;

/** A tenant with a linked, consented GTBank customer and a default receiving account. */
async function payingTenant(name: string) {
  const t = await h.newTenant(name);
  await h.ctx.sandbox.setFaults(t.id, GTBANK, { mandateActivationDelayMs: 0 });
  const link = await linkSandboxCustomer(h, t);
  const scope = { companyId: t.id, env: "sandbox" as const };
  const consent = await grantConsent(h.ctx, scope, {
    accountId: link.linked.accounts[0]!.id,
    bankSession: link.session.token,
    authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) },
  });
  // A real sandbox account (the demo seed's "Demo Shop Ltd" at GTBank): payouts can land in it.
  const account = await ensureDemoSettlementAccount(h.ctx, t.id);
  return { tenant: t, link, consent, account, worker: new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [t.id] }) };
}

beforeAll(async () => {
  clock = new ManualClock();
  h = await createHarness({ clock });
  expect(h.ctx.config.payments).toMatchObject({ settlementDelayMs: SETTLEMENT_DELAY_MS, feeBps: 100 });
  stranger = await h.newTenant("Payments Stranger Co");
  const setup = await payingTenant("Payments API Co");
  ({ tenant, worker } = setup);
  linked = setup.link.linked;
  consented = linked.accounts[0]!.id;
  unconsented = linked.accounts[1]!.id;
  receiving = setup.account;
  // The consent is active (activation delay 0) once the worker has looked.
  await worker.runOnce();
}, 120_000);
afterAll(() => h?.close());

const initiate = (body: Record<string, unknown>, key?: string, headers?: Record<string, string>) =>
  post("/pay/initiate", { account_to_debit: consented, amount: 100_000, currency: "NGN", ...body }, key, headers);

describe("pay/initiate", () => {
  it("queues a debit that the worker sends and settles: pending → success_pending_validation → completed", async () => {
    const res = await initiate({ note: "Order 1001" });
    expect(res.json().message).toBe("Payment succesfully initiated!");
    const { payment } = expectSuccess(res);
    expect(payment).toMatchObject({
      amount: 100_000,
      currency: "NGN",
      customer: linked.customerId,
      account: consented,
      account_to_credit: receiving,
      link: null,
      status: "pending",
      response_status: "pending",
      state: "queued",
      type: "one-time",
      channel: "api",
      note: "Order 1001",
      env: "production-sandbox",
      owner: tenant.id,
    });
    expect(payment._id).toMatch(/^[0-9a-f]{24}$/);

    await worker.runOnce();
    const sent = (await data("/pay/verify", { payment_id: payment._id })).payment_status;
    expect(sent).toMatchObject({ status: "success_pending_validation", response_status: "success", reference: expect.stringMatching(/^OKRO/) });

    clock.advance(SETTLEMENT_DELAY_MS + 1);
    await worker.runOnce();
    const done = (await data("/pay/verify", { payment_id: payment._id })).payment_status;
    expect(done).toMatchObject({ status: "completed", response_status: "success", fee: 1_000 });

    const { entries } = await data("/ledger/entries", { payment_id: payment._id, limit: 10 });
    expect(entries.map((e: any) => e.kind).sort()).toEqual(["debit_confirmed", "settlement"]);
    for (const entry of entries) {
      const net = entry.postings.reduce((sum: number, p: any) => sum + (p.direction === "credit" ? p.amount : -p.amount), 0);
      expect(net).toBe(0);
    }
    expect(await verifyLedger(h.ctx.db, { companyId: tenant.id, env: "sandbox" })).toEqual([]);
  });

  it("defaults account_to_credit to the default receiving account, also when okra-node sends it empty", async () => {
    for (const account_to_credit of [undefined, "", null]) {
      const { payment } = expectSuccess(await initiate({ account_to_credit, amount: 1_000 }));
      expect(payment.account_to_credit).toBe(receiving);
    }
    const named = expectSuccess(await initiate({ account_to_credit: receiving, amount: 1_000 })).payment;
    expect(named.account_to_credit).toBe(receiving);
  });

  it.each([
    ["zero", 0],
    ["negative", -500],
    ["fractional", 100.5],
    ["a string", "10000"],
    ["above 10^15", 1_000_000_000_000_001],
    ["far above 2^53", 1e20],
    ["null", null],
    ["a boolean", true],
  ])("refuses an amount that is %s with a 400 naming amount, creating nothing", async (_what, amount) => {
    const before = { payments: await paymentsOf(tenant), entries: await entriesOf(tenant) };
    const { message, data: details } = expectError(await initiate({ amount }), 400, "INVALID_FIELD");
    expect(message).toMatch(/^amount: /);
    expect(details.fields).toEqual([{ field: "amount", message: expect.any(String) }]);
    expect({ payments: await paymentsOf(tenant), entries: await entriesOf(tenant) }).toEqual(before);
  });

  it("names a missing amount or account_to_debit", async () => {
    expectError(await post("/pay/initiate", { account_to_debit: consented }), 400, "MISSING_FIELDS");
    const { message } = expectError(await post("/pay/initiate", { amount: 1_000 }), 400, "MISSING_FIELDS");
    expect(message).toMatch(/account_to_debit: is required/);
    const bad = expectError(await initiate({ account_to_debit: "not-an-id" }), 400, "INVALID_FIELD");
    expect(bad.message).toMatch(/^account_to_debit: /);
  });

  it("refuses an unknown currency with 422 naming currency, and a malformed one with 400", async () => {
    const { message } = expectError(await initiate({ currency: "USD" }), 422, "UNPROCESSABLE");
    expect(message).toMatch(/^currency: USD is not supported/);
    expect(expectError(await initiate({ currency: "naira" }), 400, "INVALID_FIELD").message).toMatch(/^currency: /);
    // Case does not matter.
    expect(expectSuccess(await initiate({ currency: "ngn", amount: 1_000 })).payment.currency).toBe("NGN");
  });

  it("answers garnish or recurring without a schedule (and garnish with a count) with 400 naming it, and an unknown type with 400", async () => {
    expect(expectError(await initiate({ type: "garnish" }), 400, "MISSING_FIELDS").message).toMatch(/^schedule: /);
    expect(expectError(await initiate({ type: "garnish", schedule: { interval: "monthly", count: 3 } }), 400, "INVALID_FIELD").message).toMatch(/^schedule\.count: /);
    expect(expectError(await initiate({ type: "recurring" }), 400, "MISSING_FIELDS").message).toMatch(/^schedule: /);
    expect(expectError(await initiate({ type: "weekly" }), 400, "INVALID_FIELD").message).toMatch(/^type: /);
    expect(expectError(await initiate({ schedule: { interval: "monthly" } }), 400, "INVALID_FIELD").message).toMatch(/^schedule: /);
  });

  it("refuses unknown fields, an account without consent, and another tenant's accounts (404, no payment)", async () => {
    expectError(await initiate({ amout: 5 }), 400, "UNKNOWN_FIELDS");
    expect(expectError(await initiate({ account_to_debit: unconsented }), 422, "UNPROCESSABLE").message).toMatch(/^account_to_debit: .*consent/);
    const before = await paymentsOf(stranger);
    expect(expectError(await initiate({}, stranger.sandbox.secret_key), 404, "NOT_FOUND").message).toMatch(/^account_to_debit: /);
    expect(await paymentsOf(stranger)).toBe(before);
    // The production key of the same company does not see sandbox accounts either.
    expectError(await initiate({}, tenant.production.secret_key), 404, "NOT_FOUND");
    // Another tenant's receiving account.
    const theirs = (await paymentFixture(h, stranger, "sandbox")).companyAccountId;
    expect(expectError(await initiate({ account_to_credit: theirs }), 404, "NOT_FOUND").message).toMatch(/^account_to_credit: /);
  });

  it("accepts form-encoded bodies (some Okra integrations post forms to pay/initiate and pay/verify)", async () => {
    const form = (url: string, payload: string) =>
      h.request({ method: "POST", url: `/v2${url}`, headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/x-www-form-urlencoded" }, payload }) as Promise<Answer>;
    const { payment } = expectSuccess(await form("/pay/initiate", `account_to_debit=${consented}&amount=7500&currency=NGN`));
    expect(payment).toMatchObject({ amount: 7_500, account_to_credit: receiving });
    expect(expectSuccess(await form("/pay/verify", `payment_id=${payment._id}`)).payment_status._id).toBe(payment._id);
    expect(expectError(await form("/pay/initiate", `account_to_debit=${consented}&amount=75.5`), 400, "INVALID_FIELD").message).toMatch(/^amount: /);
  });

  it("replays the same Idempotency-Key and body, and refuses the key with another body (409): one payment", async () => {
    const key = { "idempotency-key": `initiate-${Date.now()}` };
    const before = await paymentsOf(tenant);
    const first = await initiate({ amount: 2_000 }, undefined, key);
    const again = await initiate({ amount: 2_000 }, undefined, key);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(expectSuccess(again).payment._id).toBe(expectSuccess(first).payment._id);
    expectError(await initiate({ amount: 2_001 }, undefined, key), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(await paymentsOf(tenant)).toBe(before + 1);
  });
});

describe("pay/verify and pay/cancel, verbatim from seed 004", () => {
  const raw = (url: string, payload: string, key = tenant.sandbox.secret_key) =>
    h.request({ method: "POST", url, headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, payload }) as Promise<Answer>;

  it("verify: data.payment_status has exactly the seed's fields (plus Okro's), with the seed's message", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 10_000 }));
    const res = await raw("/v2/pay/verify", `{\n"payment_id":"${payment._id}"\n}`);
    expect(res.json().message).toBe("Payment Status suceccefully retrieved!");
    const status = expectSuccess(res).payment_status;
    for (const key of ["_id", "amount", "currency", "customer", "link", "status", "response_status"]) expect(status).toHaveProperty(key);
    expect(Object.keys(status).sort()).toEqual(
      [
        "_id",
        "id",
        "amount",
        "currency",
        "customer",
        "account",
        "account_to_credit",
        "link",
        "status",
        "response_status",
        "state",
        "type",
        "channel",
        "reference",
        "fee",
        "note",
        "failure",
        "env",
        "owner",
        "created_at",
        "last_updated",
      ].sort(),
    );
    expect(status).toMatchObject({ _id: payment._id, amount: 10_000, currency: "NGN", customer: linked.customerId, link: null, status: "pending", response_status: "pending" });
  });

  it("verify: a link payment shows link {_id, url, short_url, surl} on the widget origin", async () => {
    const link = await linkFixture(h, tenant, "sandbox");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const row = await h.ctx.db.transaction().execute(async (trx) => {
      expect(await markLinkUsed(trx, link.id, clock.now())).toBeDefined();
      return createAuthorisedPayment(trx, h.ctx, scope, {
        customerId: linked.customerId,
        accountId: consented,
        amount: kobo(25_000),
        currency: "NGN",
        channel: "link",
        linkId: link.id,
        widgetSessionId: "session-of-the-link",
      });
    });
    const status = (await data("/pay/verify", { payment_id: row.id })).payment_status;
    expect(Object.keys(status.link).sort()).toEqual(["_id", "short_url", "surl", "url"]);
    expect(status.link).toEqual({
      _id: link.id,
      short_url: link.short_url,
      url: `http://localhost:${h.ctx.config.widgetPort}/pay/${link.short_url}`,
      surl: `http://localhost:${h.ctx.config.widgetPort}/pay/${link.short_url}`,
    });
    expect(status).toMatchObject({ status: "initiated", channel: "link" });
    // A single-use link is used once paid.
    expect((await data("/pay/link/get", { id: link.id })).link).toMatchObject({ status: "used", payments_count: 1 });
  });

  it("cancel: the seed's body (an object literal with a bare key) cancels a pending payment", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 10_000 }));
    const entries = await entriesOf(tenant);
    const res = await raw("/v2/pay/cancel", `{\npayment_id: "${payment._id}"\n}`);
    expect(expectSuccess(res).payment).toMatchObject({ _id: payment._id, status: "cancelled", response_status: "cancelled" });
    expect((await data("/pay/verify", { payment_id: payment._id })).payment_status.status).toBe("cancelled");
    expect(await entriesOf(tenant)).toBe(entries);
    // The worker leaves it alone.
    await worker.runOnce();
    expect((await data("/pay/verify", { payment_id: payment._id })).payment_status.status).toBe("cancelled");
  });

  it("still refuses a body that is neither JSON nor Okra's object literal with 400 INVALID_BODY", async () => {
    for (const payload of ["{payment_id: }", "{'payment_id': 'x'}", "{payment_id: x}", "payment_id"]) {
      expect(expectError(await raw("/v2/pay/cancel", payload), 400, "INVALID_BODY").message).toMatch(/^body: /);
    }
  });

  it("cancel: a payment awaiting the customer's authorisation (initiated) can be cancelled", async () => {
    const row = await h.ctx.db.transaction().execute((trx) =>
      createAuthorisedPayment(trx, h.ctx, { companyId: tenant.id, env: "sandbox" }, {
        customerId: linked.customerId,
        accountId: consented,
        amount: kobo(3_000),
        currency: "NGN",
        channel: "widget",
        widgetSessionId: "session-cancel",
      }),
    );
    expect((await data("/pay/cancel", { payment_id: row.id })).payment.status).toBe("cancelled");
  });

  it("cancel: refuses a cancelled, a succeeded and a completed payment with 409 naming the status; nothing changes", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 10_000 }));
    await data("/pay/cancel", { payment_id: payment._id });
    expect(expectError(await post("/pay/cancel", { payment_id: payment._id }), 409, "CONFLICT").message).toMatch(/^payment_id: a payment with status cancelled cannot be cancelled/);

    const sent = expectSuccess(await initiate({ amount: 10_000 })).payment;
    await worker.runOnce();
    const entriesOfSent = async () => (await data("/ledger/entries", { payment_id: sent._id, limit: 10 })).entries.map((e: any) => e.kind).sort();
    expect(expectError(await post("/pay/cancel", { payment_id: sent._id }), 409, "CONFLICT").message).toMatch(/success_pending_validation/);
    expect(await entriesOfSent()).toEqual(["debit_confirmed"]);
    clock.advance(SETTLEMENT_DELAY_MS + 1);
    await worker.runOnce();
    expect(expectError(await post("/pay/cancel", { payment_id: sent._id }), 409, "CONFLICT").message).toMatch(/a payment with status completed cannot be cancelled/);
    expect(await entriesOfSent()).toEqual(["debit_confirmed", "settlement"]);
    expect((await data("/pay/verify", { payment_id: sent._id })).payment_status.status).toBe("completed");
  });

  it("answers a missing id, another tenant's and the other environment's payment with 404 naming payment_id", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 1_000 }));
    for (const [url, id, key] of [
      ["/pay/verify", MISSING, tenant.sandbox.secret_key],
      ["/pay/verify", payment._id, stranger.sandbox.secret_key],
      ["/pay/verify", payment._id, tenant.production.secret_key],
      ["/pay/cancel", payment._id, stranger.sandbox.secret_key],
      ["/pay/get/id", payment._id, stranger.sandbox.secret_key],
    ] as const) {
      expect(expectError(await post(url, { payment_id: id }, key), 404, "NOT_FOUND").message).toMatch(/^payment_id: /);
    }
    // The stranger's cancel changed nothing.
    expect((await data("/pay/verify", { payment_id: payment._id })).payment_status.status).toBe("pending");
    expect(expectError(await post("/pay/verify", {}), 400, "MISSING_FIELDS").message).toMatch(/^payment_id: is required/);
    expect(expectError(await post("/pay/verify", { payment_id: "12" }), 400, "INVALID_FIELD").message).toMatch(/^payment_id: /);
  });

  it("cancel honours Idempotency-Key: the replay answers the cancellation again", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 1_000 }));
    const key = { "idempotency-key": `cancel-${payment._id}` };
    const first = await post("/pay/cancel", { payment_id: payment._id }, undefined, key);
    const again = await post("/pay/cancel", { payment_id: payment._id }, undefined, key);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
  });
});

describe("pay/list, pay/get (by customer), pay/get/id", () => {
  it("lists newest first with Okra's pagination", async () => {
    const t = await h.newTenant("Payments List Co");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await paymentFixture(h, t, "sandbox", { amount: 1_000 + i })).paymentId);
      clock.advance(1_000);
    }
    const first = await data("/pay/list", { page: 1, limit: 2 }, t.sandbox.secret_key);
    expect(first.payments.map((p: any) => p._id)).toEqual([ids[2], ids[1]]);
    expect(first.pagination).toMatchObject({ totalDocs: 3, limit: 2, page: 1, totalPages: 2, hasNextPage: true, nextPage: 2, hasPrevPage: false, prevPage: null });
    const second = await data("/pay/list", { page: 2, limit: 2 }, t.sandbox.secret_key);
    expect(second.payments.map((p: any) => p._id)).toEqual([ids[0]]);
    // The other environment and other tenants see none of them.
    expect((await data("/pay/list", {}, t.production.secret_key)).pagination.totalDocs).toBe(0);
    expect((await data("/pay/list", { page: 1, limit: 100 }, stranger.sandbox.secret_key)).payments.map((p: any) => p._id)).not.toContain(ids[0]);
    expect(expectError(await post("/pay/list", { limit: 1000 }, t.sandbox.secret_key), 400, "INVALID_FIELD").message).toMatch(/^limit: /);
  });

  it("lists a customer's payments at pay/get and okra-node's pay/get/; an unknown customer is a 404", async () => {
    const t = await h.newTenant("Payments Customer Co");
    const a = await paymentFixture(h, t, "sandbox");
    await paymentFixture(h, t, "sandbox");
    for (const url of ["/pay/get", "/pay/get/"]) {
      const got = await data(url, { customer_id: a.customerId, page: 1, limit: 10 }, t.sandbox.secret_key);
      expect(got.payments.map((p: any) => p._id)).toEqual([a.paymentId]);
      expect(got.pagination.totalDocs).toBe(1);
    }
    expect(expectError(await post("/pay/get", { customer_id: MISSING }, t.sandbox.secret_key), 404, "NOT_FOUND").message).toMatch(/^customer_id: /);
    expectError(await post("/pay/get", { customer_id: a.customerId }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
  });

  it("gets one payment with its history at pay/get/id and pay/get/Id", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 5_000 }));
    await worker.runOnce();
    for (const url of ["/pay/get/id", "/pay/get/Id"]) {
      const got = (await data(url, { payment_id: payment._id, page: 1, limit: 1 })).payment;
      expect(got._id).toBe(payment._id);
      expect(got.history.map((t: any) => [t.from, t.to, t.status, t.actor])).toEqual([
        [null, "queued", "pending", "api"],
        ["queued", "processing", "initiated", expect.any(String)],
        ["processing", "succeeded", "success_pending_validation", expect.any(String)],
      ]);
    }
  });
});

describe("refunds", () => {
  it("refunds part of a payment, then the rest; more than is left is a 422 naming amount and the ledger is untouched", async () => {
    const p = await payingTenant("Refund Co");
    const key = p.tenant.sandbox.secret_key;
    const first = expectSuccess(await post("/pay/initiate", { account_to_debit: p.link.linked.accounts[0]!.id, amount: 100_000 }, key)).payment;
    // A second payment, so the wallet holds more than the first one's refundable amount.
    await post("/pay/initiate", { account_to_debit: p.link.linked.accounts[0]!.id, amount: 100_000 }, key);
    await settleAll(p.worker);

    const part = expectSuccess(await post("/pay/refund", { payment_id: first._id, amount: 40_000 }, key)).refund;
    expect(part).toMatchObject({ payment: first._id, amount: 40_000, currency: "NGN", status: "pending" });

    const entries = await entriesOf(p.tenant);
    const balances = (await data("/ledger/balances", {}, key)).balances;
    const { message } = expectError(await post("/pay/refund", { payment_id: first._id, amount: 60_001 }, key), 422, "UNPROCESSABLE");
    expect(message).toMatch(/^amount: more than is left to refund: 60000 kobo/);
    expect(await entriesOf(p.tenant)).toBe(entries);
    expect((await data("/ledger/balances", {}, key)).balances).toEqual(balances);

    // The rest (no amount: everything left), then nothing is left.
    expect(expectSuccess(await post("/pay/refund", { payment_id: first._id }, key)).refund.amount).toBe(60_000);
    expect(expectError(await post("/pay/refund", { payment_id: first._id, amount: 1 }, key), 422, "UNPROCESSABLE").message).toMatch(/^amount: /);

    await p.worker.runOnce();
    const listed = await data("/pay/refund/list", { payment_id: first._id, page: 1, limit: 10 }, key);
    expect(listed.refunds.map((r: any) => [r.amount, r.status]).sort()).toEqual([
      [40_000, "success"],
      [60_000, "success"],
    ]);
    expect(listed.pagination.totalDocs).toBe(2);
    expect((await data("/pay/refund/list", {}, key)).pagination.totalDocs).toBe(2);
    expect(await verifyLedger(h.ctx.db, { companyId: p.tenant.id, env: "sandbox" })).toEqual([]);
  });

  it("refuses a refund of a payment that has not succeeded (409), bad amounts (400), and other tenants' payments (404)", async () => {
    const { payment } = expectSuccess(await initiate({ amount: 1_000 }));
    expect(expectError(await post("/pay/refund", { payment_id: payment._id }), 409, "CONFLICT").message).toMatch(/^payment_id: a payment with status pending cannot be refunded/);
    for (const amount of [0, -1, 1.5, "100"]) {
      expect(expectError(await post("/pay/refund", { payment_id: payment._id, amount }), 400, "INVALID_FIELD").message).toMatch(/^amount: /);
    }
    expectError(await post("/pay/refund", { payment_id: payment._id }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
    expectError(await post("/pay/refund/list", { payment_id: payment._id }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
  });
});

describe("payouts and balances", () => {
  it("pays out from the available balance; more than available is a 422 naming amount, ledger untouched", async () => {
    const p = await payingTenant("Payout Co");
    const key = p.tenant.sandbox.secret_key;
    expect((await data("/ledger/balances", { currency: "NGN" }, key)).balances).toEqual([
      { currency: "NGN", pending: 0, available: 0, in_transit: 0, refunds_in_transit: 0, payouts_in_transit: 0, fees: 0, collected: 0 },
    ]);
    expect(expectError(await post("/pay/payout", { amount: 1 }, key), 422, "UNPROCESSABLE").message).toMatch(/^amount: /);

    await post("/pay/initiate", { account_to_debit: p.link.linked.accounts[0]!.id, amount: 200_000 }, key);
    await p.worker.runOnce();
    expect((await data("/ledger/balances", {}, key)).balances[0]).toMatchObject({ pending: 200_000, available: 0, collected: 200_000 });
    clock.advance(SETTLEMENT_DELAY_MS + 1);
    await p.worker.runOnce();
    const [settled] = (await data("/ledger/balances", {}, key)).balances;
    expect(settled).toMatchObject({ pending: 0, available: 198_000, fees: 2_000, collected: 200_000 });
    for (const value of Object.values(settled).filter((v) => typeof v === "number")) expect(Number.isInteger(value)).toBe(true);

    const entries = await entriesOf(p.tenant);
    const over = expectError(await post("/pay/payout", { account_to_credit: p.account, amount: 198_001 }, key), 422, "UNPROCESSABLE");
    expect(over.message).toMatch(/^amount: more than the available balance: 198000 kobo/);
    expect(await entriesOf(p.tenant)).toBe(entries);

    const res = await post("/pay/payout", { account_to_credit: p.account, amount: 150_000, currency: "NGN" }, key);
    const { payout } = expectSuccess(res);
    for (const field of ["status", "_id", "amount", "ref", "fee", "account_to_credit", "nuban_to_credit", "initiated_by", "env", "created_at", "last_updated"]) {
      expect(payout).toHaveProperty(field);
    }
    expect(payout).toMatchObject({ status: "initiated", amount: 150_000, account_to_credit: p.account, nuban_to_credit: { bank: GTBANK }, env: "production-sandbox" });
    expect((await data("/ledger/balances", {}, key)).balances[0]).toMatchObject({ available: 48_000, payouts_in_transit: 150_000, in_transit: 150_000 });

    // By NUBAN and bank slug: an account nobody holds, so the bank fails the credit and the money comes back.
    clock.advance(1_000);
    const nobody = gtbankNuban();
    const byNuban = expectSuccess(await post("/pay/payout", { nuban: nobody, bank: "guaranty-trust-bank", amount: 48_000 }, key)).payout;
    expect(byNuban).toMatchObject({ account_to_credit: null, nuban_to_credit: { nuban: nobody, bank: GTBANK } });
    expectError(await post("/pay/payout", { amount: 1 }, key), 422, "UNPROCESSABLE");

    await p.worker.runOnce();
    const listed = await data("/pay/payout/list", { page: 1, limit: 10 }, key);
    expect(listed.payouts.map((x: any) => [x.amount, x.status])).toEqual([
      [48_000, "failed"],
      [150_000, "success"],
    ]);
    expect(listed.pagination.totalDocs).toBe(2);
    expect((await data("/ledger/balances", {}, key)).balances[0]).toMatchObject({ available: 48_000, in_transit: 0 });
    // With neither account nor NUBAN: the default receiving account.
    expect(expectSuccess(await post("/pay/payout", { amount: 48_000 }, key)).payout).toMatchObject({ account_to_credit: p.account });
    expect(await verifyLedger(h.ctx.db, { companyId: p.tenant.id, env: "sandbox" })).toEqual([]);
  });

  it("names the problem in a payout's destination", async () => {
    expect(expectError(await post("/pay/payout", { nuban: gtbankNuban(), amount: 100 }), 400, "INVALID_FIELD").message).toMatch(/bank: is required with nuban/);
    expect(expectError(await post("/pay/payout", { bank: GTBANK, amount: 100 }), 400, "INVALID_FIELD").message).toMatch(/nuban: is required with bank/);
    expect(
      expectError(await post("/pay/payout", { account_to_credit: receiving, nuban: gtbankNuban(), bank: GTBANK, amount: 100 }), 400, "INVALID_FIELD").message,
    ).toMatch(/^account_to_credit: /);
    expect(expectError(await post("/pay/payout", { nuban: gtbankNuban(), bank: "no-such-bank", amount: 100 }), 400, "INVALID_FIELD").message).toMatch(/^bank: unknown bank/);
    const wrongDigit = gtbankNuban().replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    expect(expectError(await post("/pay/payout", { nuban: wrongDigit, bank: GTBANK, amount: 100 }), 422, "UNPROCESSABLE").message).toMatch(/^nuban: /);
    expect(expectError(await post("/pay/payout", { account_to_credit: MISSING, amount: 100 }), 404, "NOT_FOUND").message).toMatch(/^account_to_credit: /);
    expect(expectError(await post("/pay/payout", { amount: 100, currency: "USD" }), 422, "UNPROCESSABLE").message).toMatch(/^currency: /);
    expect(expectError(await post("/pay/payout", { amount: 0 }), 400, "INVALID_FIELD").message).toMatch(/^amount: /);
    expect(expectError(await post("/ledger/balances", { currency: "USD" }), 422, "UNPROCESSABLE").message).toMatch(/^currency: /);
  });
});

describe("ledger/entries", () => {
  it("pages the journal newest first, each entry balanced; another tenant's payment is a 404", async () => {
    const t = await h.newTenant("Ledger Co");
    const a = await paymentFixture(h, t, "sandbox", { settle: true });
    clock.advance(1_000);
    const b = await paymentFixture(h, t, "sandbox", { settle: true });
    const all = await data("/ledger/entries", { page: 1, limit: 10 }, t.sandbox.secret_key);
    expect(all.pagination.totalDocs).toBe(4);
    // Newest first: the second payment's two entries (posted in one instant), then the first's.
    expect(all.entries.map((e: any) => e.payment)).toEqual([b.paymentId, b.paymentId, a.paymentId, a.paymentId]);
    expect(all.entries.slice(0, 2).map((e: any) => e.kind).sort()).toEqual(["debit_confirmed", "settlement"]);
    for (const entry of all.entries) {
      const net = entry.postings.reduce((sum: number, p: any) => sum + (p.direction === "credit" ? p.amount : -p.amount), 0);
      expect(net).toBe(0);
    }
    const second = await data("/ledger/entries", { page: 2, limit: 3 }, t.sandbox.secret_key);
    expect(second.entries.map((e: any) => e.id)).toEqual([all.entries[3].id]);
    const one = await data("/ledger/entries", { payment_id: a.paymentId }, t.sandbox.secret_key);
    expect(one.entries.every((e: any) => e.payment === a.paymentId)).toBe(true);
    const confirmed = one.entries.find((e: any) => e.kind === "debit_confirmed");
    expect(confirmed.postings).toEqual(
      expect.arrayContaining([
        { account: "external:customers", direction: "debit", amount: 50_000, currency: "NGN" },
        { account: "wallet:pending", direction: "credit", amount: 50_000, currency: "NGN" },
      ]),
    );
    expectError(await post("/ledger/entries", { payment_id: a.paymentId }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
  });
});

describe("receiving accounts", () => {
  it("adds accounts (the first is the default; default: true moves it), lists them, and refuses duplicates and bad numbers", async () => {
    const t = await h.newTenant("Accounts Co");
    const key = t.sandbox.secret_key;
    const first = (await data("/pay/accounts/create", { bank: GTBANK, nuban: gtbankNuban() }, key)).account;
    expect(first).toMatchObject({ bank: GTBANK, currency: "NGN", default: true, name: "Accounts Co", env: "production-sandbox", owner: t.id });
    const nuban = gtbankNuban();
    clock.advance(1_000);
    const second = (await data("/pay/accounts/create", { bank: "guaranty-trust-bank", nuban, name: "Payroll", default: true }, key)).account;
    expect(second).toMatchObject({ default: true, name: "Payroll" });
    const listed = await data("/pay/accounts/list", { page: 1, limit: 10 }, key);
    expect(listed.accounts.map((a: any) => [a.id, a.default])).toEqual([
      [second.id, true],
      [first.id, false],
    ]);
    const dup = expectError(await post("/pay/accounts/create", { bank: GTBANK, nuban }, key), 409, "CONFLICT");
    expect(dup.message).toMatch(/^nuban: /);
    const wrong = nuban.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    expect(expectError(await post("/pay/accounts/create", { bank: GTBANK, nuban: wrong }, key), 422, "UNPROCESSABLE").message).toMatch(/^nuban: .*not a valid account number/);
    expect(expectError(await post("/pay/accounts/create", { bank: "atlantis", nuban }, key), 400, "INVALID_FIELD").message).toMatch(/^bank: /);
    expect(expectError(await post("/pay/accounts/create", { bank: GTBANK, nuban: "12345" }, key), 400, "INVALID_FIELD").message).toMatch(/^nuban: /);
    expect(expectError(await post("/pay/accounts/create", { bank: GTBANK, nuban: gtbankNuban(), currency: "KES" }, key), 422, "UNPROCESSABLE").message).toMatch(
      /^currency: /,
    );
    expectError(await post("/pay/accounts/create", { bank: GTBANK, nuban: gtbankNuban(), iban: "x" }, key), 400, "UNKNOWN_FIELDS");
    // Per environment and tenant.
    expect((await data("/pay/accounts/list", {}, t.production.secret_key)).pagination.totalDocs).toBe(0);
    expect((await data("/pay/accounts/list", {}, stranger.sandbox.secret_key)).accounts.map((a: any) => a.id)).not.toContain(first.id);
  });
});

describe("payment links", () => {
  const details = { name: "Ankara fabric, 6 yards", amount: 1_500_000, currency: "NGN", support_email: "orders@example.com", countries: ["NG"] };

  it("creates a link on the widget origin; the same details give the same link, other details another", async () => {
    const res = await post("/pay/link/create", { ...details, note: "Delivery in Lagos", color: "#3AB795", filter: { banks: ["guaranty-trust-bank", GTBANK] } });
    const { link } = expectSuccess(res);
    expect(link).toMatchObject({
      name: details.name,
      amount: 1_500_000,
      currency: "NGN",
      type: "one-time",
      reusable: false,
      status: "active",
      qr: null,
      account: null,
      support_email: "orders@example.com",
      filter: { banks: ["guaranty-trust-bank"] },
      owner: tenant.id,
    });
    expect(link.short_url).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(link.url).toBe(`http://localhost:${h.ctx.config.widgetPort}/pay/${link.short_url}`);
    expect(link.surl).toBe(link.url);

    const again = expectSuccess(await post("/pay/link/create", { ...details, note: "Delivery in Lagos", color: "#3AB795", filter: { banks: [GTBANK] } })).link;
    expect(again._id).toBe(link._id);
    const other = expectSuccess(await post("/pay/link/create", { ...details, amount: 1_500_001 })).link;
    expect(other._id).not.toBe(link._id);
    const open = expectSuccess(await post("/pay/link/create", { ...details, amount: null, reusable: true })).link;
    expect(open).toMatchObject({ amount: null, reusable: true });

    // Disabled, the same details make a new link.
    expect((await data("/pay/link/disable", { id: link._id })).link.status).toBe("disabled");
    expect((await data("/pay/link/disable", { id: link._id })).link.status).toBe("disabled");
    const fresh = expectSuccess(await post("/pay/link/create", { ...details, note: "Delivery in Lagos", color: "#3AB795", filter: { banks: [GTBANK] } })).link;
    expect(fresh._id).not.toBe(link._id);

    expect((await data("/pay/link/get", { id: link._id })).link.status).toBe("disabled");
    const listed = await data("/pay/link/list", { page: 1, limit: 100 });
    expect(listed.links.map((l: any) => l._id)).toEqual(expect.arrayContaining([link._id, other._id, open._id, fresh._id]));
  });

  it("names bad details", async () => {
    const bad = async (body: Record<string, unknown>, status: number, field: RegExp) => {
      const res = await post("/pay/link/create", { ...details, ...body });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().message).toMatch(field);
    };
    await bad({ amount: 99 }, 400, /^amount: must be at least 100 kobo/);
    await bad({ amount: 0 }, 400, /^amount: /);
    await bad({ amount: 10.5 }, 400, /^amount: /);
    await bad({ support_email: undefined }, 400, /^support_email: is required/);
    await bad({ support_email: "not-an-email" }, 400, /^support_email: /);
    await bad({ name: "" }, 400, /^name: /);
    await bad({ type: "recurring" }, 400, /^schedule: required for recurring links/);
    await bad({ type: "recurring", amount: null, schedule: { interval: "monthly" } }, 400, /^amount: a recurring link charges a fixed amount/);
    await bad({ type: "recurring", schedule: { interval: "monthly", startDate: "2027-03-01", endDate: "2027-02-01" } }, 400, /^schedule\.endDate: /);
    await bad({ schedule: { interval: "monthly" } }, 400, /^schedule: only for recurring links/);
    await bad({ currency: "GHS" }, 422, /^currency: /);
    await bad({ countries: ["GH"] }, 400, /^countries/);
    await bad({ expires_at: new Date(clock.now().getTime() - 1_000).toISOString() }, 422, /^expires_at: must be in the future/);
    await bad({ expires_at: "tomorrow" }, 400, /^expires_at: /);
    await bad({ filter: { banks: ["atlantis"] } }, 400, /^filter\.banks\.0: unknown bank/);
    await bad({ success_url: "javascript:alert(1)" }, 400, /^success_url: /);
    await bad({ color: "red" }, 400, /^color: /);
    await bad({ data: true }, 422, /^data: /);
    await bad({ account: MISSING }, 404, /^account: /);
    await bad({ surprise: 1 }, 400, /surprise: unknown field/);
    // No default receiving account and none named.
    const t = await h.newTenant("Linkless Co");
    const none = await post("/pay/link/create", details, t.sandbox.secret_key);
    expect(expectError(none, 422, "UNPROCESSABLE").message).toMatch(/^account: .*no default NGN receiving account/);
  });

  it("keeps links to their tenant and environment", async () => {
    const link = await linkFixture(h, tenant, "sandbox");
    expectError(await post("/pay/link/get", { id: link.id }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
    expectError(await post("/pay/link/get", { id: link.id }, tenant.production.secret_key), 404, "NOT_FOUND");
    expectError(await post("/pay/link/disable", { id: link.id }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
    expect((await data("/pay/link/get", { id: link.id })).link.status).toBe("active");
    expect((await data("/pay/link/list", {}, tenant.production.secret_key)).links.map((l: any) => l._id)).not.toContain(link.id);
    // An expiry shows as expired once passed.
    const soon = new Date(clock.now().getTime() + 60_000).toISOString();
    const expiring = expectSuccess(await post("/pay/link/create", { ...details, name: "Expiring", expires_at: soon })).link;
    expect(expiring.expires_at).toBe(soon);
    clock.advance(61_000);
    expect((await data("/pay/link/get", { id: expiring._id })).link.status).toBe("expired");
  });
});
