import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context.js";
import { ManualClock } from "../../src/lib/clock.js";
import { addCompanyAccount } from "../../src/payments/company-accounts.js";
import { createApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { CreateSessionResponse } from "../../src/widget/protocol.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { accountData, GTBANK, type AccountData } from "../security/route-registry.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * Returning-customer recognition on the widget origin (issue 18 item 10). The widget's options
 * come from a web page holding only the public key, so a BVN, phone or email there recognises
 * nobody in production: only a customer token the merchant's server made with its secret key
 * (`POST /v2/customers/token`) does. Production reaches no bank today, so the widget here gets
 * the sandbox network as production's connectors (`productionNetwork`), as it will have real ones.
 */

let h: Harness;
let clock: ManualClock;
let widget: FastifyInstance;
beforeAll(async () => {
  clock = new ManualClock(new Date("2026-03-02T10:00:00Z"));
  h = await createHarness({ clock });
  const live: AppContext = { ...h.ctx, productionNetwork: h.ctx.network };
  widget = await buildWidgetApi(live);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

const liveOptions = (t: NewCompany, extra: Record<string, unknown> = {}) => ({
  key: t.production.public_key,
  token: t.production.token,
  app_id: t.production.app_id,
  env: "production",
  ...extra,
});
async function open(t: NewCompany, extra: Record<string, unknown> = {}): Promise<CreateSessionResponse> {
  return expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: liveOptions(t, extra) }));
}
/** What a session answer says about the person, without what differs from one opening to the next. */
const shape = (s: CreateSessionResponse) => {
  const { session_token: _token, expires_at: _expires, ...rest } = s;
  return rest;
};
async function customerToken(secretKey: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.request({ method: "POST", url: "/v2/customers/token", headers: bearer(secretKey), payload: body });
  return expectSuccess<{ token: string }>(res).token;
}

let t: NewCompany;
let known: AccountData;
beforeAll(async () => {
  t = await h.newTenant("Vouching Co");
  known = await accountData(h, t, "production");
});

describe("production: recognition only with a customer token", () => {
  it("a known customer's BVN, email or phone from the page reveals nothing: the same answer as a stranger's", async () => {
    const stranger = shape(await open(t, { customer: { bvn: "29999999999" } }));
    expect(stranger.returning).toBeNull();
    for (const customer of [
      { bvn: known.bvn },
      { email: "owned@example.com" },
      { phone: "08030000000" },
      { id: known.customerId },
      { bvn: known.bvn, email: "OWNED@example.com", phone: "+2348030000000" },
    ]) {
      const s = await open(t, { customer });
      expect(shape(s)).toEqual(stranger);
      expect(JSON.stringify(s)).not.toContain(known.nuban.slice(-4));
      expect(JSON.stringify(s)).not.toContain("Owned");
      // Nor inside `options`, where Okra's docs also put it.
      expect(shape(await open(t, { options: { customer } }))).toEqual(stranger);
    }
  });

  it("with a token from the merchant's server the customer is recognised (first name, banks, last four digits)", async () => {
    const token = await customerToken(t.production.secret_key, { bvn: known.bvn });
    expect(token).toMatch(/^ctk_/);
    // Sealed: the BVN it vouches for cannot be read from the page.
    expect(token).not.toContain(known.bvn!);
    const s = await open(t, { customer: { token } });
    expect(s.returning).toMatchObject({ customer_id: known.customerId, name: "Owned" });
    expect(s.returning!.accounts.map((a) => a.nuban_masked)).toEqual([`••••${known.nuban.slice(-4)}`]);
    // Inside `options` too, and by email or phone.
    expect((await open(t, { options: { customer: { token } } })).returning?.customer_id).toBe(known.customerId);
    const byEmail = await customerToken(t.production.secret_key, { email: "Owned@Example.com" });
    expect((await open(t, { customer: { token: byEmail } })).returning?.customer_id).toBe(known.customerId);
    const byPhone = await customerToken(t.production.secret_key, { phone: "0803 000 0000", expires_in: 120, app_id: t.production.app_id });
    expect((await open(t, { customer: { token: byPhone } })).returning?.customer_id).toBe(known.customerId);
  });

  it("an expired, tampered, other company's, other environment's or other app's token reveals nothing", async () => {
    const stranger = shape(await open(t, { customer: { bvn: "29999999999" } }));
    const other = await h.newTenant("Other Co");
    const otherApp = await createApp(h.ctx.db, { companyId: t.id, env: "production" }, { name: "Second app", color: "#123456" }, clock.now());
    const good = await customerToken(t.production.secret_key, { bvn: known.bvn, expires_in: 60 });
    const flipped = good.slice(0, -6) + (good.at(-6) === "A" ? "B" : "A") + good.slice(-5);
    const bad = [
      flipped,
      "ctk_v1.deadbeef.AAAA",
      "not a token",
      await customerToken(other.production.secret_key, { bvn: known.bvn }),
      await customerToken(t.sandbox.secret_key, { bvn: known.bvn }),
      await customerToken(t.production.secret_key, { bvn: known.bvn, app_id: otherApp.id }),
    ];
    for (const token of bad) {
      expect(shape(await open(t, { customer: { token } }))).toEqual(stranger);
      // A bad token with the plain identifiers beside it still recognises nobody.
      expect(shape(await open(t, { customer: { token, bvn: known.bvn } }))).toEqual(stranger);
    }
    expect((await open(t, { customer: { token: good } })).returning?.customer_id).toBe(known.customerId);
    clock.advance(61_000);
    expect(shape(await open(t, { customer: { token: good } }))).toEqual(stranger);
  });

  it("Quick Pay in production needs the token too", async () => {
    await h.ctx.db
      .transaction()
      .execute((trx) => addCompanyAccount(trx, { companyId: t.id, env: "production" }, { bankId: GTBANK, nuban: "0123456789", name: "Vouching collections", currency: "NGN" }, clock.now()));
    const charge = { type: "one-time", amount: 500_000, currency: "NGN" };
    const withoutToken = await widget.inject({
      method: "POST",
      url: "/api/sessions",
      payload: liveOptions(t, { payment: true, charge, customer: { bvn: known.bvn }, account_to_debit: known.accountId }),
    });
    expect(expectError(withoutToken, 400, "INVALID_FIELD").message).toMatch(/^account_to_debit: Quick Pay needs the customer who holds this account: pass customer\{token\}/);
    const token = await customerToken(t.production.secret_key, { bvn: known.bvn });
    const quick = expectSuccess<CreateSessionResponse>(
      await widget.inject({ method: "POST", url: "/api/sessions", payload: liveOptions(t, { payment: true, charge, customer: { token }, account_to_debit: known.accountId }) }),
    );
    expect(quick.payment?.mode).toBe("quick_pay");
  });
});

describe("POST /v2/customers/token", () => {
  it("refuses a token that names nobody, and bad identifiers, naming the field", async () => {
    const post = (payload: unknown) => h.request({ method: "POST", url: "/v2/customers/token", headers: bearer(t.production.secret_key), payload: payload as object });
    expect(expectError(await post({}), 400, "INVALID_FIELD").message).toMatch(/^id: name the customer/);
    expect(expectError(await post({ bvn: "123" }), 400, "INVALID_FIELD").message).toMatch(/^bvn: must be an 11-digit BVN/);
    expect(expectError(await post({ bvn: known.bvn, expires_in: 7200 }), 400, "INVALID_FIELD").message).toMatch(/^expires_in: must be at most 3600/);
    expect(expectError(await post({ bvn: known.bvn, app_id: "5d6fe57a4099cc4b210bbeb3" }), 404, "NOT_FOUND").message).toMatch(/^app_id:/);
    // The public key cannot make one: that is the whole point.
    expectError(await h.request({ method: "POST", url: "/v2/customers/token", headers: bearer(t.production.public_key), payload: { bvn: known.bvn } }), 401, "UNAUTHORIZED");
  });
});

describe("sandbox", () => {
  it("still recognises the plain identifiers of its made-up customers, and tokens too", async () => {
    const sandbox = await accountData(h, t, "sandbox");
    const sandboxOptions = { key: t.sandbox.public_key, token: t.sandbox.token, app_id: t.sandbox.app_id, env: "production-sandbox" };
    const plain = expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { ...sandboxOptions, customer: { bvn: sandbox.bvn } } }));
    expect(plain.returning?.customer_id).toBe(sandbox.customerId);
    const token = await customerToken(t.sandbox.secret_key, { bvn: sandbox.bvn });
    const vouched = expectSuccess<CreateSessionResponse>(await widget.inject({ method: "POST", url: "/api/sessions", payload: { ...sandboxOptions, customer: { token } } }));
    expect(vouched.returning?.customer_id).toBe(sandbox.customerId);
  });
});
