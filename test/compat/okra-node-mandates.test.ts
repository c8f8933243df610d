import type { AddressInfo } from "node:net";
// okra-node 0.2.0, unmodified, pointed at an Okro listening on 127.0.0.1 with only the base URL
// changed: its future-payment (authorization) methods and a recurring initPayment.
// @ts-expect-error okra-node ships no type declarations
import { Payments } from "okra-node/src/okra-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { authoriseMandate } from "../../src/mandates/service.js";
import { grantConsent } from "../../src/payments/consents.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { ensureDemoSettlementAccount } from "../../src/seed.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK is untyped JavaScript
type Client = any;

let h: Harness;
let clock: ManualClock;
let tenant: NewCompany;
let base: string;
let link: Awaited<ReturnType<typeof linkSandboxCustomer>>;
let settlement: string;

const payments = (): Client => {
  const client = new Payments(tenant.sandbox.secret_key, "sandbox") as { apiBaseUrl: string };
  client.apiBaseUrl = `${base}/v2/sandbox/`;
  return client;
};

beforeAll(async () => {
  clock = new ManualClock(new Date("2027-04-01T09:00:00Z"));
  h = await createHarness({ clock });
  tenant = await h.newTenant("SDK Mandates Co");
  await h.ctx.sandbox.setFaults(tenant.id, GTBANK, { mandateActivationDelayMs: 0 });
  link = await linkSandboxCustomer(h, tenant);
  await grantConsent(h.ctx, { companyId: tenant.id, env: "sandbox" }, { accountId: link.linked.accounts[0]!.id, bankSession: link.session.token, authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
  settlement = await ensureDemoSettlementAccount(h.ctx, tenant.id);
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(() => h?.close());

describe("okra-node 0.2.0's authorisation methods against Okro", () => {
  it("initFuturePayment (authorization/initiate, start_date/end_date), getPayAutherizations, cancelFuturePayment, reauthFuturePayment", async () => {
    const created = await h.request({
      method: "POST",
      url: "/v2/mandates/create",
      headers: bearer(tenant.sandbox.secret_key),
      payload: { account: link.linked.accounts[0]!.id, debit_type: "variable", max_total: 500_000, max_per_charge: 50_000 },
    });
    const id = created.json().data.mandate._id as string;
    await authoriseMandate(h.ctx, { companyId: tenant.id, env: "sandbox" }, id, { bankSession: link.session.token, authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });

    const sdk = payments();
    const planned = await sdk.initFuturePayment({ authorization: id, amount: 20_000, currency: "NGN", start_date: "2027/04/05", end_date: "2027/09/30" });
    expect(planned.authorization).toMatchObject({ _id: id, status: "active", amount: 20_000, duration: { startDate: "2027-04-05", endDate: "2027-09-30", interval: "monthly" }, disconnect: false });
    expect(planned.upcoming.map((u: { date: string }) => u.date)).toEqual(["2027-04-05", "2027-05-05", "2027-06-07"]); // Saturday 5 June: the next business day

    // The account's payment consent is an authorization too (its standing mandate): ask for more than okra-node's default page of 1.
    const all = await sdk.getPayAutherizations({ page: 1, limit: 10 });
    expect(all.authorizations.map((a: { _id: string }) => a._id)).toContain(id);
    const mine = await sdk.getPayAutherizations({ customer: link.linked.customerId });
    expect(mine.authorizations.every((a: { customer: string }) => a.customer === link.linked.customerId)).toBe(true);

    const cancelled = await sdk.cancelFuturePayment({ authorization: id, customer: link.linked.customerId, link: "" });
    expect(cancelled.authorization).toMatchObject({ status: "cancelled", disconnect: true });
    const again = await sdk.reauthFuturePayment({ authorization: id, customer: link.linked.customerId, link: "", account: link.linked.accounts[0]!.id });
    expect(again.authorization).toMatchObject({ status: "awaiting_customer", replaces: id });
  });

  it("a recurring initPayment runs its cycles as ordinary payments the SDK verifies", async () => {
    const sdk = payments();
    const res = await sdk.initPayment({ account_to_debit: link.linked.accounts[0]!.id, account_to_credit: settlement, amount: 15_000, currency: "NGN", type: "recurring", schedule: { interval: "weekly", startDate: "2027-04-01" } });
    expect(res.mandate).toMatchObject({ status: "active", amount: 15_000, schedule: { interval: "weekly" } });
    expect(res.payment).toMatchObject({ amount: 15_000, status: "pending", mandate: { cycle: 0, attempt: 1 } });
    // The one runner, with the payments engine's jobs and the mandates'.
    const runner = new JobRunner(h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [tenant.id] });
    clock.set(new Date("2027-04-08T09:00:00Z"));
    await runner.runOnce();
    const listed = await sdk.getPayments({ customer_id: link.linked.customerId, limit: 100 });
    const charges = listed.payments.filter((p: { mandate?: { _id: string } }) => p.mandate?._id === res.mandate._id);
    expect(charges.map((p: { mandate: { cycle: number } }) => p.mandate.cycle).sort()).toEqual([0, 1]);
    const verified = await sdk.verifyPayment({ payment_id: charges[0]._id });
    expect(["success_pending_validation", "completed"]).toContain(verified.payment_status.status);
  });
});
