import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../../src/jobs/runner.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { bearer } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { activeConsent, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { signedUp, type DashboardClient } from "../platform/dashboard-client.js";

/**
 * The dashboard's mandates API as the mandates pages use it: the list filtered by status and
 * customer, a mandate's page (terms in words, upcoming charges, its charges, its history), and
 * pause / resume / cancel — confirmed, admin only, audited, idempotent — with another company's
 * mandate a 404.
 */

let w: World;
beforeAll(async () => {
  w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

/** A company with a linked, consented customer, and a dashboard user of it. */
async function setUp(): Promise<{ c: Company; client: DashboardClient; userId: string; email: string }> {
  const c = await newCompany(w);
  await activeConsent(w, c);
  const s = await signedUp(w.h);
  // The signed-up user joins the world's company (the session reads the company from the user).
  await w.h.ctx.db.updateTable("users").set({ company_id: c.tenant.id }).where("id", "=", s.user.id).execute();
  return { c, client: s.client, userId: s.user.id, email: s.user.email };
}

async function recurring(c: Company, amount: number) {
  const res = await w.h.request({
    method: "POST",
    url: "/v2/pay/initiate",
    headers: bearer(c.tenant.sandbox.secret_key),
    payload: { account_to_debit: c.account.id, amount, currency: "NGN", type: "recurring", schedule: { interval: "monthly", startDate: "2027/01/31", businessDays: "none" } }, // on the 31st itself (a Sunday): the subject is the page, not business days
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as { mandate: { _id: string }; payment: { id: string } };
}

describe("the dashboard's mandates", () => {
  let c: Company;
  let client: DashboardClient;
  let email: string;
  let userId: string;
  let first: { mandate: { _id: string }; payment: { id: string } };
  let second: { mandate: { _id: string }; payment: { id: string } };

  beforeAll(async () => {
    w.clock.set(new Date("2027-01-31T07:30:00Z"));
    ({ c, client, email, userId } = await setUp());
    // A minute after the fixture's consent (and its standing mandate), so "newest first" has one order.
    w.clock.advance(60_000);
    first = await recurring(c, 10_000);
    w.clock.advance(60_000);
    second = await recurring(c, 25_000);
    const runner = new JobRunner(w.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS], { companyIds: [c.tenant.id] });
    await runner.runOnce();
  }, 120_000);

  it("lists the company's mandates newest first, with the customer's name, filtered by status and customer", async () => {
    const body = expectSuccess(await client.get("/mandates?env=sandbox"));
    // Newest first: the two recurring mandates, then the standing mandate of the payment consent the
    // fixture gave (a consent is a standing mandate, decision 0016).
    expect(body.mandates.map((m: { id: string }) => m.id).slice(0, 2)).toEqual([second.mandate._id, first.mandate._id]);
    expect(body.mandates[2]).toMatchObject({ status: "active", debit_type: "variable", amount: null });
    expect(body.mandates[0]).toMatchObject({ status: "active", amount: 25_000, customer: c.account.customerId, customer_name: expect.any(String) });
    expect(body.pagination.totalDocs).toBe(3);
    expect(expectSuccess(await client.get("/mandates?env=sandbox&status=paused")).mandates).toEqual([]);
    expect(expectSuccess(await client.get(`/mandates?env=sandbox&status=active,paused&customer=${c.account.customerId}`)).mandates).toHaveLength(3);
    const bad = expectError(await client.get("/mandates?env=sandbox&status=sleeping"), 400, "INVALID_FIELD");
    expect(bad.message).toContain("status");
  });

  it("shows a mandate's terms in words, its upcoming charges, its charges and its history", async () => {
    const body = expectSuccess(await client.get(`/mandates/${first.mandate._id}?env=sandbox`));
    expect(body.mandate.description).toContain("NGN 100.00 every month on the 31st");
    expect(body.terms).toContainEqual({ label: "How much", value: "₦100.00 each time, never more" });
    expect(body.upcoming.map((u: { date: string }) => u.date).slice(0, 3)).toEqual(["2027-02-28", "2027-03-31", "2027-04-30"]);
    expect(body.upcoming[0].amount).toBe(10_000);
    expect(body.charges).toHaveLength(1);
    expect(body.charges[0]).toMatchObject({ id: first.payment.id, amount: 10_000, cycle: 0, attempt: 1 });
    expect(body.history.map((t: { to: string }) => t.to)).toContain("active");
  });

  it("pauses, resumes and cancels with confirmation, audited; a viewer is refused and nothing changes", async () => {
    const id = first.mandate._id;
    const unconfirmed = expectError(await client.post("/mandates/pause", { env: "sandbox", mandate_id: id }), 400, "MISSING_FIELDS");
    expect(unconfirmed.message).toContain("confirm");

    await w.h.ctx.db.updateTable("users").set({ role: "viewer" }).where("id", "=", userId).execute();
    const refused = expectError(await client.post("/mandates/cancel", { env: "sandbox", mandate_id: id, confirm: true }), 403, "FORBIDDEN");
    expect(refused.message).toBe("Your role (viewer) cannot cancel a mandate; ask an admin or the owner of your company");
    await w.h.ctx.db.updateTable("users").set({ role: "admin" }).where("id", "=", userId).execute();
    expect(expectSuccess(await client.get(`/mandates/${id}?env=sandbox`)).mandate.status).toBe("active");

    const key = { "idempotency-key": "pause-1" };
    expect(expectSuccess(await client.post("/mandates/pause", { env: "sandbox", mandate_id: id, confirm: true }, key)).mandate.status).toBe("paused");
    // The same key again answers the same, without pausing twice (a second pause would be a 409).
    expect(expectSuccess(await client.post("/mandates/pause", { env: "sandbox", mandate_id: id, confirm: true }, key)).mandate.status).toBe("paused");
    expectError(await client.post("/mandates/pause", { env: "sandbox", mandate_id: id, confirm: true }), 409, "CONFLICT");
    expect(expectSuccess(await client.get(`/mandates/${id}?env=sandbox`)).upcoming).toHaveLength(6);
    w.clock.advance(1000);
    expect(expectSuccess(await client.post("/mandates/resume", { env: "sandbox", mandate_id: id, confirm: true })).mandate.status).toBe("active");
    w.clock.advance(1000);
    expect(expectSuccess(await client.post("/mandates/cancel", { env: "sandbox", mandate_id: id, confirm: true })).mandate.status).toBe("cancelled");
    expect(expectSuccess(await client.get(`/mandates/${id}?env=sandbox`)).upcoming).toEqual([]);

    const log = await w.h.ctx.db.selectFrom("audit_log").selectAll().where("company_id", "=", c.tenant.id).orderBy("at").orderBy("id").execute();
    expect(log.map((e) => ({ actor: e.actor, action: e.action, object: e.object_id }))).toEqual([
      { actor: email, action: "mandate.pause", object: id },
      { actor: email, action: "mandate.resume", object: id },
      { actor: email, action: "mandate.cancel", object: id },
    ]);
  });

  it("answers 404 for another company's mandate, and does not touch it", async () => {
    const other = await signedUp(w.h);
    expectError(await other.client.get(`/mandates/${second.mandate._id}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await other.client.post("/mandates/cancel", { env: "sandbox", mandate_id: second.mandate._id, confirm: true }), 404, "NOT_FOUND");
    expect(expectSuccess(await other.client.get("/mandates?env=sandbox")).mandates).toEqual([]);
    expect(expectSuccess(await client.get(`/mandates/${second.mandate._id}?env=sandbox`)).mandate.status).toBe("active");
  });
});
