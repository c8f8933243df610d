import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { createEndpoint } from "../../src/events/endpoints.js";
import { ManualClock } from "../../src/lib/clock.js";
import { kobo } from "../../src/lib/kobo.js";
import { initiatePayment } from "../../src/payments/service.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { DashboardClient, signedUp } from "../platform/dashboard-client.js";
import { GTBANK, paymentFixture } from "../security/route-registry.js";

/**
 * The dashboard's payments API as the payments page uses it: filters and search, keyset pages,
 * the CSV export of exactly the current filter, a payment's timeline, refund and cancel, the
 * review queue, payment links, money and sandbox tools — and another company's ids are 404s.
 */

let h: Harness;
const clock = new ManualClock(new Date("2026-03-02T09:00:00Z"));
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

interface Company {
  client: DashboardClient;
  tenant: NewCompany;
  sandboxKey: string;
}

async function company(name = "Dash Co"): Promise<Company> {
  const s = await signedUp(h, { company_name: name });
  return { client: s.client, tenant: { id: s.company.id, name } as NewCompany, sandboxKey: s.credentials.sandbox.secret_key };
}

/** A payment of `amount` kobo created `minutesAgo` before now (the clock is moved back and forth). */
async function paymentAt(c: Company, amount: number, options: { settle?: boolean; review?: boolean } = {}) {
  clock.advance(60_000);
  return paymentFixture(h, c.tenant, "sandbox", { amount, ...options });
}

describe("the payments list", () => {
  let c: Company;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    c = await company();
    ids.small = (await paymentAt(c, 10_000)).paymentId;
    ids.settled = (await paymentAt(c, 50_000, { settle: true })).paymentId;
    ids.review = (await paymentAt(c, 900_000, { review: true })).paymentId;
    ids.big = (await paymentAt(c, 250_000)).paymentId;
  });

  it("lists newest first, with the bank and customer beside each payment", async () => {
    const body = expectSuccess(await c.client.get("/payments?env=sandbox"));
    expect(body.payments.map((p: { id: string }) => p.id)).toEqual([ids.big, ids.review, ids.settled, ids.small]);
    expect(body).toMatchObject({ total: 4, total_capped: false, next_cursor: null });
    expect(body.payments[0]).toMatchObject({ amount: 250_000, status: "pending", bank: GTBANK, channel: "api" });
    expect(body.payments[0].customer_name).toEqual(expect.any(String));
  });

  it("filters by status, amount range, date range and search, and says how many match", async () => {
    const list = async (query: string) => {
      const body = expectSuccess(await c.client.get(`/payments?env=sandbox&${query}`));
      return body.payments.map((p: { id: string }) => p.id);
    };
    expect(await list("status=review")).toEqual([ids.review]);
    expect(await list("status=completed,review")).toEqual([ids.review, ids.settled]);
    expect(await list("amount_min=50000&amount_max=250000")).toEqual([ids.big, ids.settled]);
    expect(await list(`q=${ids.small}`)).toEqual([ids.small]);
    const settled = expectSuccess(await c.client.get(`/payments/${ids.settled}?env=sandbox`)).payment;
    expect(await list(`q=${settled.reference}`)).toEqual([ids.settled]);
    expect(await list(`customer=${settled.customer}`)).toEqual([ids.settled]);
    expect(await list(`bank=${GTBANK}&channel=api`)).toHaveLength(4);
    expect(await list("from=2020-01-01&to=2020-12-31")).toEqual([]);
    const today = clock.now().toISOString().slice(0, 10);
    expect(await list(`from=${today}&to=${today}`)).toHaveLength(4);
  });

  it("pages with a cursor, without repeating or skipping a payment", async () => {
    const first = expectSuccess(await c.client.get("/payments?env=sandbox&limit=3"));
    expect(first.payments).toHaveLength(3);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = expectSuccess(await c.client.get(`/payments?env=sandbox&limit=3&cursor=${first.next_cursor}`));
    expect(second.payments.map((p: { id: string }) => p.id)).toEqual([ids.small]);
    expect(second.next_cursor).toBeNull();
    expectError(await c.client.get("/payments?env=sandbox&cursor=bm9wZQ"), 400, "INVALID_FIELD");
  });

  it("refuses a bad filter with a 400 naming it", async () => {
    const bad = expectError(await c.client.get("/payments?env=sandbox&status=paid"), 400, "INVALID_FIELD");
    expect(bad.message).toMatch(/^status/);
    expect(expectError(await c.client.get("/payments?env=sandbox&amount_min=-5"), 400, "INVALID_FIELD").message).toMatch(/^amount_min/);
    expect(expectError(await c.client.get("/payments?env=sandbox&from=yesterday"), 400, "INVALID_FIELD").message).toMatch(/^from/);
  });

  it("shows another company nothing: its list is empty and the ids are 404s", async () => {
    const other = await company("Other Co");
    expect(expectSuccess(await other.client.get("/payments?env=sandbox")).payments).toEqual([]);
    expect(expectSuccess(await other.client.get(`/payments?env=sandbox&q=${ids.small}`)).payments).toEqual([]);
    expectError(await other.client.get(`/payments/${ids.small}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await other.client.post("/payments/refund", { env: "sandbox", payment_id: ids.settled, confirm: true }), 404, "NOT_FOUND");
    expectError(await other.client.post("/payments/cancel", { env: "sandbox", payment_id: ids.small }), 404, "NOT_FOUND");
    expectError(await other.client.post("/payments/review/approve", { env: "sandbox", payment_id: ids.review, confirm: true }), 404, "NOT_FOUND");
    // And the production environment of the same company does not hold sandbox payments.
    expectError(await c.client.get(`/payments/${ids.small}?env=production`), 404, "NOT_FOUND");
  });
});

describe("the CSV export", () => {
  it("exports exactly the filtered payments, with formula cells escaped", async () => {
    const c = await company();
    const f = await paymentAt(c, 12_345);
    const scope = { companyId: c.tenant.id, env: "sandbox" as const };
    clock.advance(60_000);
    const noted = await h.ctx.db
      .transaction()
      .execute((trx) => initiatePayment(trx, h.ctx, scope, { accountToDebit: f.accountId, amount: kobo(70_001), currency: "NGN", note: '=HYPERLINK("http://evil.example","x")' }));
    await paymentAt(c, 999_999, { review: true });

    const res = await c.client.get("/payments/export.csv?env=sandbox&amount_max=100000");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/csv/);
    expect(res.headers["content-disposition"]).toMatch(/^attachment; filename="okro-payments-sandbox-.*\.csv"$/);
    const rows = parse(res.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.id)).toEqual([noted.id, f.paymentId]);
    expect(rows[0]).toMatchObject({ amount_kobo: "70001", amount: "700.01", status: "pending", note: `'=HYPERLINK("http://evil.example","x")` });
    expect(rows[1]).toMatchObject({ amount_kobo: "12345", amount: "123.45", note: "" });
  });

  it("streams a header alone when nothing matches", async () => {
    const c = await company();
    const res = await c.client.get("/payments/export.csv?env=sandbox&status=review");
    expect(res.statusCode).toBe(200);
    expect(res.body.trim().split("\n")).toHaveLength(1);
    expect(res.body).toMatch(/^id,created_at,status,state,amount_kobo,amount,/);
  });
});

describe("a payment's page", () => {
  it("shows the timeline (history, events with webhook deliveries, ledger) and refunds from it", async () => {
    const c = await company();
    await createEndpoint(h.ctx.db, h.ctx.secrets, { companyId: c.tenant.id, env: "sandbox" }, { url: "https://hooks.example.com/okro" }, clock.now());
    const f = await paymentAt(c, 100_000, { settle: true });

    const unconfirmed = expectError(await c.client.post("/payments/refund", { env: "sandbox", payment_id: f.paymentId, amount: 40_000 }), 400, "MISSING_FIELDS");
    expect(unconfirmed.message).toMatch(/^confirm/);
    clock.advance(60_000);
    const refund = expectSuccess(await c.client.post("/payments/refund", { env: "sandbox", payment_id: f.paymentId, amount: 40_000, confirm: true })).refund;
    expect(refund).toMatchObject({ payment: f.paymentId, amount: 40_000, status: "pending" });
    const over = expectError(await c.client.post("/payments/refund", { env: "sandbox", payment_id: f.paymentId, amount: 60_001, confirm: true }), 422, "UNPROCESSABLE");
    expect(over.message).toBe("amount: more than is left to refund: 60000 kobo");

    const page = expectSuccess(await c.client.get(`/payments/${f.paymentId}?env=sandbox`));
    expect(page.payment).toMatchObject({ id: f.paymentId, status: "completed", amount: 100_000 });
    expect(page.history.map((t: { to: string }) => t.to)).toEqual(["queued", "processing", "succeeded", "settled"]);
    expect(page.history[3]).toMatchObject({ from: "succeeded", status: "completed" });
    expect(page.refunds).toEqual([expect.objectContaining({ _id: refund._id, amount: 40_000 })]);
    // Oldest first (the fixture confirms and settles in one instant, so those two may come in either order).
    const kinds = page.ledger.map((e: { kind: string }) => e.kind);
    expect([...kinds.slice(0, 2)].sort()).toEqual(["debit_confirmed", "settlement"]);
    expect(kinds[2]).toBe("refund_initiated");
    for (const entry of page.ledger) {
      const net = entry.postings.reduce((sum: number, p: { direction: string; amount: number }) => sum + (p.direction === "credit" ? p.amount : -p.amount), 0);
      expect(net).toBe(0);
    }
    const types = page.activity.map((a: { event: { type: string } }) => a.event.type);
    expect(types).toEqual(expect.arrayContaining(["payment.queued", "payment.settled", "refund.pending"]));
    const settledEvent = page.activity.find((a: { event: { type: string } }) => a.event.type === "payment.settled");
    expect(settledEvent.deliveries).toEqual([expect.objectContaining({ status: "pending", attempts: [] })]);
  });

  it("cancels a payment not yet sent, and refuses to cancel a completed one", async () => {
    const c = await company();
    const queued = await paymentAt(c, 20_000);
    const settled = await paymentAt(c, 20_000, { settle: true });
    const cancelled = expectSuccess(await c.client.post("/payments/cancel", { env: "sandbox", payment_id: queued.paymentId })).payment;
    expect(cancelled).toMatchObject({ id: queued.paymentId, status: "cancelled" });
    const refused = expectError(await c.client.post("/payments/cancel", { env: "sandbox", payment_id: settled.paymentId }), 409, "CONFLICT");
    expect(refused.message).toMatch(/^payment_id: a payment with status completed cannot be cancelled/);
  });
});

describe("the review queue", () => {
  it("holds payments above the company's threshold until approved or declined, here or through the API", async () => {
    const c = await company();
    expect(expectSuccess(await c.client.get("/settings/review?env=sandbox")).threshold).toBeNull();
    expectSuccess(await c.client.post("/settings/review", { env: "sandbox", threshold: 100_000 }));
    expect(expectSuccess(await c.client.get("/settings/review?env=sandbox")).threshold).toBe(100_000);

    const f = await paymentAt(c, 100_000); // at the threshold: not held
    expect(expectSuccess(await c.client.get(`/payments/${f.paymentId}?env=sandbox`)).payment.status).toBe("pending");
    const initiate = (amount: number) => (clock.advance(1000),
      h.request({ method: "POST", url: "/v2/pay/initiate", headers: bearer(c.sandboxKey), payload: { account_to_debit: f.accountId, amount, currency: "NGN" } }));
    const held = expectSuccess(await initiate(100_001)).payment;
    expect(held.status).toBe("review");
    const second = expectSuccess(await initiate(300_000)).payment;
    const third = expectSuccess(await initiate(400_000)).payment;
    const queue = expectSuccess(await c.client.get("/payments?env=sandbox&status=review")).payments;
    expect(queue.map((p: { id: string }) => p.id)).toEqual([third.id, second.id, held.id]);

    const approved = expectSuccess(await c.client.post("/payments/review/approve", { env: "sandbox", payment_id: held.id, confirm: true })).payment;
    expect(approved).toMatchObject({ id: held.id, status: "pending", state: "queued" });
    const declined = expectSuccess(await c.client.post("/payments/review/decline", { env: "sandbox", payment_id: second.id, reason: "Unusual amount" })).payment;
    expect(declined).toMatchObject({ status: "failed", failure: { code: "review_declined", message: "Declined in review: Unusual amount" } });
    const again = expectError(await c.client.post("/payments/review/approve", { env: "sandbox", payment_id: second.id, confirm: true }), 409, "CONFLICT");
    expect(again.message).toMatch(/^payment_id: a payment with status failed cannot be approved/);

    // Through the API, with the secret key.
    const viaApi = expectSuccess(await h.request({ method: "POST", url: "/v2/pay/review/approve", headers: bearer(c.sandboxKey), payload: { payment_id: third.id } })).payment;
    expect(viaApi.status).toBe("pending");
    const history = expectSuccess(await c.client.get(`/payments/${held.id}?env=sandbox`)).history;
    expect(history.map((t: { to: string; reason: string }) => `${t.to}:${t.reason}`)).toEqual(["review:initiated", "queued:approved_in_review"]);
    expect(history[1].detail).toEqual({ by: expect.stringMatching(/^user:/) });
    expect(expectSuccess(await c.client.get("/payments?env=sandbox&status=review")).payments).toEqual([]);
  });

  it("refuses a threshold that is not a positive amount, naming it", async () => {
    const c = await company();
    expect(expectError(await c.client.post("/settings/review", { env: "sandbox", threshold: 0 }), 400, "INVALID_FIELD").message).toMatch(/^threshold/);
  });
});

describe("payment links", () => {
  it("creates a link from the form with its QR code, lists its payments, and disables it", async () => {
    const c = await company();
    // Signup gave the company a sandbox receiving account: the first link needs no API call.
    const [account] = expectSuccess(await c.client.get("/money/accounts?env=sandbox")).accounts;
    expect(account).toMatchObject({ default: true, currency: "NGN", env: "production-sandbox" });
    const created = expectSuccess(
      await c.client.post("/links/create", { env: "sandbox", name: "Lagos rent", amount: 150_000, note: "March", support_email: "rent@example.com", reusable: true }),
    ).link;
    expect(created).toMatchObject({ name: "Lagos rent", amount: 150_000, reusable: true, status: "active" });
    expect(created.url).toMatch(/\/pay\/[A-Za-z0-9]+$/);
    expect(created.qr).toMatch(/^data:image\/png;base64,/);
    const got = expectSuccess(await c.client.get(`/links/${created.id}?env=sandbox`)).link;
    expect(got.qr).toBe(created.qr);
    expect(expectSuccess(await c.client.get("/links?env=sandbox")).links.map((l: { id: string }) => l.id)).toEqual([created.id]);
    expect(expectSuccess(await c.client.get(`/payments?env=sandbox&link=${created.id}`)).payments).toEqual([]);

    const tooSmall = expectError(await c.client.post("/links/create", { env: "sandbox", name: "Tiny", amount: 50 }), 400, "INVALID_FIELD");
    expect(tooSmall.message).toMatch(/^amount/);
    expect(expectError(await c.client.post("/links/create", { env: "sandbox", name: "", amount: 500 }), 400, "INVALID_FIELD").message).toMatch(/^name/);

    const disabled = expectSuccess(await c.client.post("/links/disable", { env: "sandbox", id: created.id })).link;
    expect(disabled.status).toBe("disabled");
    const other = await company("Other Co");
    expectError(await other.client.get(`/links/${created.id}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await other.client.post("/links/disable", { env: "sandbox", id: created.id }), 404, "NOT_FOUND");
  });
});

describe("money", () => {
  it("shows balances, pays out with confirmation, lists the ledger and charts the days, banks and failures", async () => {
    const c = await company();
    await paymentAt(c, 200_000, { settle: true });
    const declined = await paymentAt(c, 300_000, { review: true });
    expectSuccess(await c.client.post("/payments/review/decline", { env: "sandbox", payment_id: declined.paymentId }));

    const [ngn] = expectSuccess(await c.client.get("/money/balances?env=sandbox")).balances;
    expect(ngn).toMatchObject({ currency: "NGN", available: 198_000, pending: 0, fees: 2_000 });
    expect(expectError(await c.client.post("/money/payouts", { env: "sandbox", amount: 100_000 }), 400, "MISSING_FIELDS").message).toBe("confirm: is required");
    const payout = expectSuccess(await c.client.post("/money/payouts", { env: "sandbox", amount: 100_000, confirm: true })).payout;
    expect(payout).toMatchObject({ amount: 100_000, status: "initiated", initiated_by: expect.stringMatching(/^user:/) });
    expect(expectError(await c.client.post("/money/payouts", { env: "sandbox", amount: 100_000, confirm: true }), 422, "UNPROCESSABLE").message).toBe(
      "amount: more than the available balance: 98000 kobo",
    );
    expect(expectSuccess(await c.client.get("/money/payouts?env=sandbox")).payouts).toHaveLength(1);
    const entries = expectSuccess(await c.client.get("/money/ledger?env=sandbox")).entries;
    // Newest first (the fixture confirms and settles in one instant: those two in either order).
    const kinds = entries.map((e: { kind: string }) => e.kind);
    expect(kinds[0]).toBe("payout_initiated");
    expect(kinds.slice(1).sort()).toEqual(["debit_confirmed", "settlement"]);

    const stats = expectSuccess(await c.client.get("/money/stats?env=sandbox"));
    expect(stats.by_day).toEqual([{ day: clock.now().toISOString().slice(0, 10), payments: 2, succeeded: 1, unsuccessful: 1, volume: 200_000, success_rate: 0.5 }]);
    expect(stats.by_bank).toEqual([expect.objectContaining({ bank: GTBANK, payments: 2, success_rate: 0.5 })]);
    expect(stats.failures).toEqual([{ code: "review_declined", message: "Declined in review", count: 1 }]);
    expectError(await c.client.get("/money/stats?env=sandbox&from=2026-03-05&to=2026-03-01"), 400, "INVALID_FIELD");
  });
});

describe("sandbox tools", () => {
  it("advances the clock, sets and clears bank faults, creates a test customer and sends a test webhook", async () => {
    const c = await company();
    const before = expectSuccess(await c.client.get("/sandbox/state"));
    expect(before.faults).toEqual([]);
    expect(before.banks.length).toBeGreaterThan(1);
    const advanced = expectSuccess(await c.client.post("/sandbox/clock/advance", { ms: 3_600_000 })).clock;
    expect(advanced.offset_ms - before.clock.offset_ms).toBeGreaterThanOrEqual(3_600_000);

    const set = expectSuccess(await c.client.post("/sandbox/faults/set", { bank: GTBANK, settings: { errorRate: 0.5 } })).faults;
    expect(set).toMatchObject({ bank: GTBANK, settings: { errorRate: 0.5 } });
    expect(expectError(await c.client.post("/sandbox/faults/set", { bank: "0".repeat(24), settings: {} }), 400, "INVALID_FIELD").message).toMatch(/^bank/);
    expect(expectSuccess(await c.client.post("/sandbox/faults/clear", {})).faults).toEqual([]);

    const customer = expectSuccess(await c.client.post("/sandbox/customers/create", { bank: GTBANK, username: "dash_tester", password: "pass1234", name: "Dash Tester" })).customer;
    expect(customer).toMatchObject({ username: "dash_tester", bank: GTBANK, name: "Dash Tester" });
    expectError(await c.client.post("/sandbox/customers/create", { bank: GTBANK, username: "dash_tester", password: "x" }), 409, "CONFLICT");

    const endpoint = await createEndpoint(h.ctx.db, h.ctx.secrets, { companyId: c.tenant.id, env: "sandbox" }, { url: "https://hooks.example.com/t" }, clock.now());
    const sent = expectSuccess(await c.client.post("/sandbox/webhooks/test", { endpoint_id: endpoint.id }));
    expect(sent).toMatchObject({ endpoint_id: endpoint.id, event_id: expect.any(String) });
    const other = await company("Other Co");
    expectError(await other.client.post("/sandbox/webhooks/test", { endpoint_id: endpoint.id }), 404, "NOT_FOUND");
  });
});

describe("roles and the audit log", () => {
  it("lets a viewer look but not refund, approve or pay out (403), and records who moved money", async () => {
    const c = await company();
    const settled = await paymentAt(c, 100_000, { settle: true });
    const held = await paymentAt(c, 100_000, { review: true });
    // A teammate who only looks (made a viewer directly: invitations are the team pages' tests).
    const admin = await h.ctx.db.selectFrom("users").selectAll().where("company_id", "=", c.tenant.id).executeTakeFirstOrThrow();
    await h.ctx.db.updateTable("users").set({ role: "viewer" }).where("id", "=", admin.id).execute();
    const viewer = c.client;
    expect(expectSuccess(await viewer.get(`/payments/${settled.paymentId}?env=sandbox`)).payment.status).toBe("completed");
    const refused = expectError(await viewer.post("/payments/refund", { env: "sandbox", payment_id: settled.paymentId, confirm: true }), 403, "FORBIDDEN");
    expect(refused.message).toBe("Your role (viewer) cannot refund a payment; ask an admin or the owner of your company");
    expectError(await viewer.post("/payments/review/approve", { env: "sandbox", payment_id: held.paymentId, confirm: true }), 403, "FORBIDDEN");
    expectError(await viewer.post("/money/payouts", { env: "sandbox", amount: 1_000, confirm: true }), 403, "FORBIDDEN");
    expectError(await viewer.post("/links/create", { env: "sandbox", name: "No", amount: 1_000 }), 403, "FORBIDDEN");
    expect(await h.ctx.db.selectFrom("refunds").select("id").where("payment_id", "=", settled.paymentId).execute()).toEqual([]);

    await h.ctx.db.updateTable("users").set({ role: "admin" }).where("id", "=", admin.id).execute();
    const refund = expectSuccess(await c.client.post("/payments/refund", { env: "sandbox", payment_id: settled.paymentId, amount: 1_000, confirm: true })).refund;
    clock.advance(1000);
    expectSuccess(await c.client.post("/payments/review/approve", { env: "sandbox", payment_id: held.paymentId, confirm: true }));
    const log = await h.ctx.db.selectFrom("audit_log").selectAll().where("company_id", "=", c.tenant.id).orderBy("at").orderBy("id").execute();
    expect(log.map((e) => ({ actor: e.actor, action: e.action, object: e.object_id, env: e.env }))).toEqual([
      { actor: admin.email, action: "payment.refund", object: settled.paymentId, env: "sandbox" },
      { actor: admin.email, action: "payment.review.approve", object: held.paymentId, env: "sandbox" },
    ]);
    expect(log[0]!.detail).toEqual({ refund: refund._id, amount: 1_000 });
  });
});
