import type { AddressInfo } from "node:net";
// okra-node 0.2.0, unmodified, pointed at an Okro listening on 127.0.0.1: the payment calls our
// users already make (initPayment, verifyPayment, getPayments, createPaymentLink).
// @ts-expect-error okra-node ships no type declarations
import { Payments } from "okra-node/src/okra-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import type { LinkResult } from "../../src/data/link.js";
import { ManualClock } from "../../src/lib/clock.js";
import { grantConsent } from "../../src/payments/consents.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { signUp } from "../../src/platform/users.js";
import { ensureDemoSettlementAccount } from "../../src/seed.js";
import { createHarness, type Harness } from "../harness.js";
import { GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK is untyped JavaScript
type Client = any;

let h: Harness;
let clock: ManualClock;
let tenant: NewCompany;
let base: string;
let linked: LinkResult;
let settlement: string;
let worker: JobRunner;

/** okra-node's Payments client for the sandbox, at `/v2/sandbox/` (what the SDK calls) or `/sandbox/v2/`. */
function payments(options: { secret?: string; prefix?: "/v2/sandbox/" | "/sandbox/v2/" } = {}): Client {
  const client = new Payments(options.secret ?? tenant.sandbox.secret_key, "sandbox") as { apiBaseUrl: string };
  client.apiBaseUrl = `${base}${options.prefix ?? "/v2/sandbox/"}`;
  return client;
}

beforeAll(async () => {
  clock = new ManualClock();
  h = await createHarness({ clock });
  tenant = await h.newTenant("SDK Payments Co");
  await h.ctx.sandbox.setFaults(tenant.id, GTBANK, { mandateActivationDelayMs: 0 });
  const link = await linkSandboxCustomer(h, tenant);
  linked = link.linked;
  await grantConsent(h.ctx, { companyId: tenant.id, env: "sandbox" }, {
    accountId: linked.accounts[0]!.id,
    bankSession: link.session.token,
    authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) },
  });
  settlement = await ensureDemoSettlementAccount(h.ctx, tenant.id);
  worker = new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [tenant.id] });
  await worker.runOnce();
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(() => h?.close());

describe("okra-node 0.2.0 Payments against Okro", () => {
  it("initPayment → verifyPayment → the worker → getPayments({payment_id}) with its history", async () => {
    const sdk = payments();
    const { payment } = await sdk.initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: settlement, amount: 250_000, currency: "NGN" });
    expect(payment).toMatchObject({ amount: 250_000, currency: "NGN", status: "pending", account_to_credit: settlement, customer: linked.customerId });

    const pending = await sdk.verifyPayment({ payment_id: payment._id });
    expect(pending.payment_status).toMatchObject({ _id: payment._id, status: "pending", response_status: "pending", link: null });

    await worker.runOnce();
    expect((await sdk.verifyPayment({ payment_id: payment._id })).payment_status.status).toBe("success_pending_validation");
    clock.advance(h.ctx.config.payments.settlementDelayMs + 1);
    await worker.runOnce();
    expect((await sdk.verifyPayment({ payment_id: payment._id })).payment_status).toMatchObject({ status: "completed", response_status: "success" });

    // getPayments({payment_id}) is pay/get/id with the SDK's page 1, limit 1.
    const one = await sdk.getPayments({ payment_id: payment._id });
    expect(one.payment._id).toBe(payment._id);
    expect(one.payment.history.map((t: { status: string }) => t.status)).toEqual(["pending", "initiated", "success_pending_validation", "completed"]);
  });

  it("initPayment with okra-node's required account_to_credit left empty pays into the default receiving account", async () => {
    const { payment } = await payments().initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: "", amount: 1_000, currency: "NGN" });
    expect(payment.account_to_credit).toBe(settlement);
  });

  it("getPayments() and getPayments({customer_id}) page one at a time with nextPage() (the SDK's pay/list and pay/get/)", async () => {
    const sdk = payments({ prefix: "/sandbox/v2/" });
    for (let i = 0; i < 2; i++) {
      clock.advance(1_000);
      await sdk.initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: settlement, amount: 5_000 + i, currency: "NGN" });
    }
    const first = await sdk.getPayments();
    expect(first.payments).toHaveLength(1);
    expect(first.pagination).toMatchObject({ limit: 1, page: 1, hasNextPage: true, nextPage: 2 });
    expect(first.payments[0].amount).toBe(5_001);
    const second = await first.nextPage();
    expect(second.payments[0].amount).toBe(5_000);

    const mine = await sdk.getPayments({ customer_id: linked.customerId, limit: 100 });
    expect(mine.pagination.totalDocs).toBe(first.pagination.totalDocs);
    expect(mine.payments.every((p: { customer: string }) => p.customer === linked.customerId)).toBe(true);
    expect((await sdk.getPayments({ page: 1, limit: 2 })).payments).toHaveLength(2);
  });

  it("createPaymentLink: Okra's fields (countries as the SDK's string) give a link on the widget origin", async () => {
    const { link } = await payments().createPaymentLink({
      amount: 1_000_000,
      name: "Consultation",
      currency: "NGN",
      countries: "NG",
      account: settlement,
      support_email: "help@example.com",
    });
    expect(link).toMatchObject({ amount: 1_000_000, name: "Consultation", account: settlement, status: "active", qr: null });
    expect(link.url).toMatch(new RegExp(`/pay/${link.short_url}$`));
    // Identical details: the same link.
    const again = await payments().createPaymentLink({
      amount: 1_000_000,
      name: "Consultation",
      currency: "NGN",
      countries: "NG",
      account: settlement,
      support_email: "help@example.com",
    });
    expect(again.link._id).toBe(link._id);
  });

  it("createPaymentLink with only okra-node's required keys (account \"\") pays the default account and shows the company's email", async () => {
    // A company as signup makes it: its owner's email is the company's email.
    const signed = await signUp(h.ctx.db, { company_name: "Link Shop", name: "Ada Owner", email: "Ada@Link-Shop.example", password: "correct horse battery" }, clock.now());
    const defaultAccount = await ensureDemoSettlementAccount(h.ctx, signed.company.id);
    const sdk = payments({ secret: signed.credentials.sandbox.secret_key });
    const { link } = await sdk.createPaymentLink({ amount: 250_000, name: "Ankara, 6 yards", currency: "NGN", countries: "NG", account: "" });
    // account null on the link: it pays into the default receiving account of its currency.
    expect(link).toMatchObject({ amount: 250_000, name: "Ankara, 6 yards", status: "active", account: null, support_email: "ada@link-shop.example" });
    // The defaulted email is the link's detail like a sent one: the same details, the same link.
    expect((await sdk.createPaymentLink({ amount: 250_000, name: "Ankara, 6 yards", currency: "NGN", countries: "NG", account: "", support_email: "ada@link-shop.example" })).link._id).toBe(link._id);
    const named = await sdk.createPaymentLink({ amount: 250_000, name: "Ankara, 6 yards", currency: "NGN", countries: "NG", account: defaultAccount, support_email: "help@link-shop.example" });
    expect(named.link).toMatchObject({ account: defaultAccount, support_email: "help@link-shop.example" });

    // account "" is the default, as account_to_credit "" is on pay/initiate; anything else must be an id.
    await expect(sdk.createPaymentLink({ amount: 250_000, name: "x", currency: "NGN", countries: "NG", account: "savings" })).rejects.toMatchObject({
      http_error_code: 400,
      error_payload: { error: "INVALID_FIELD", message: expect.stringMatching(/^account: must be a 24-character hex id/) },
    });
    await expect(payments().initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: "savings", amount: 1_000, currency: "NGN" })).rejects.toMatchObject({
      http_error_code: 400,
      error_payload: { error: "INVALID_FIELD", message: expect.stringMatching(/^account_to_credit: must be a 24-character hex id/) },
    });
    // A company made outside signup has no email to default to: the field is named.
    await expect(payments().createPaymentLink({ amount: 250_000, name: "x", currency: "NGN", countries: "NG", account: "" })).rejects.toMatchObject({
      http_error_code: 400,
      error_payload: { error: "MISSING_FIELDS", message: expect.stringMatching(/^support_email: is required/) },
    });
  });

  it("surfaces Okro's errors as the SDK's {error_payload, http_error_code}", async () => {
    const sdk = payments();
    await expect(sdk.initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: settlement, amount: 0, currency: "NGN" })).rejects.toMatchObject({
      http_error_code: 400,
      error_payload: { status: "error", error: "INVALID_FIELD", message: expect.stringMatching(/^amount: /) },
    });
    await expect(sdk.initPayment({ account_to_debit: linked.accounts[0]!.id, account_to_credit: settlement, amount: 100, currency: "USD" })).rejects.toMatchObject({
      http_error_code: 422,
      error_payload: { message: expect.stringMatching(/^currency: /) },
    });
    await expect(sdk.verifyPayment({ payment_id: "ffffffffffffffffffffffff" })).rejects.toMatchObject({ http_error_code: 404, error_payload: { error: "NOT_FOUND" } });
    // Another company's key does not see this company's payments.
    const other = await h.newTenant("SDK Payments Stranger");
    const { payments: listed } = await payments({ secret: other.sandbox.secret_key }).getPayments({ page: 1, limit: 10 });
    expect(listed).toEqual([]);
    // A production key on the SDK's sandbox path.
    await expect(payments({ secret: tenant.production.secret_key }).getPayments()).rejects.toMatchObject({ http_error_code: 403, error_payload: { error: "SANDBOX_ONLY" } });
  });
});
