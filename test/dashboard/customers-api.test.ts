import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { activeConsent, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { signedUp, type DashboardClient } from "../platform/dashboard-client.js";

/**
 * The dashboard's customers API as the customers pages use it: the list and its one search box
 * (id, email, NUBAN, part of a name), and a customer's page with their linked accounts, mandates
 * and payments; another company's customer is a 404 and never in its list.
 */

let w: World;
beforeAll(async () => {
  w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

describe("the dashboard's customers", () => {
  let c: Company;
  let client: DashboardClient;
  let customer: { id: string; name: string; emails: string[] };
  let mandateId: string;
  let paymentId: string;

  beforeAll(async () => {
    w.clock.set(new Date("2027-01-31T07:30:00Z"));
    c = await newCompany(w);
    await activeConsent(w, c);
    const s = await signedUp(w.h);
    await w.h.ctx.db.updateTable("users").set({ company_id: c.tenant.id }).where("id", "=", s.user.id).execute();
    client = s.client;
    const row = await w.h.ctx.db.selectFrom("customers").select(["id", "name", "emails"]).where("id", "=", c.account.customerId).executeTakeFirstOrThrow();
    customer = { id: row.id, name: row.name, emails: row.emails };
    const res = await w.h.request({
      method: "POST",
      url: "/v2/pay/initiate",
      headers: bearer(c.tenant.sandbox.secret_key),
      payload: { account_to_debit: c.account.id, amount: 7_500, currency: "NGN", type: "recurring", schedule: { interval: "monthly", startDate: "2027/01/31", businessDays: "none" } },
    });
    expect(res.statusCode, res.body).toBe(200);
    mandateId = res.json().data.mandate._id;
    paymentId = res.json().data.payment.id;
  }, 120_000);

  it("lists customers and finds one by id, email, NUBAN or part of the name", async () => {
    const all = expectSuccess(await client.get("/customers?env=sandbox"));
    expect(all.customers).toEqual([expect.objectContaining({ id: customer.id, name: customer.name, accounts: expect.any(Number) })]);
    expect(all.customers[0].accounts).toBeGreaterThan(0);
    expect(all.customers[0]).not.toHaveProperty("bvn");
    const find = async (q: string) => expectSuccess(await client.get(`/customers?env=sandbox&q=${encodeURIComponent(q)}`)).customers.map((x: { id: string }) => x.id);
    expect(await find(customer.id)).toEqual([customer.id]);
    expect(await find(c.account.nuban)).toEqual([customer.id]);
    expect(await find(customer.name.slice(1, 5))).toEqual([customer.id]);
    if (customer.emails[0]) expect(await find(customer.emails[0].toUpperCase())).toEqual([customer.id]);
    expect(await find("nobody by this name")).toEqual([]);
    expect(await find("0000000000")).toEqual([]);
  });

  it("shows a customer's linked accounts, mandates and payments", async () => {
    const body = expectSuccess(await client.get(`/customers/${customer.id}?env=sandbox`));
    expect(body.customer).toMatchObject({ id: customer.id, name: customer.name });
    expect(body.accounts).toContainEqual(expect.objectContaining({ id: c.account.id, nuban: c.account.nuban, connected: true }));
    // The recurring mandate, and the standing mandate of the customer's payment consent (decision 0016).
    expect(body.mandates).toHaveLength(2);
    expect(body.mandates).toContainEqual(expect.objectContaining({ id: mandateId, status: "active", amount: 7_500 }));
    expect(body.payments).toEqual([expect.objectContaining({ id: paymentId, amount: 7_500, customer_name: customer.name })]);
  });

  it("answers 404 for another company's customer, and lists none of them", async () => {
    const other = await signedUp(w.h);
    expectError(await other.client.get(`/customers/${customer.id}?env=sandbox`), 404, "NOT_FOUND");
    expect(expectSuccess(await other.client.get(`/customers?env=sandbox&q=${customer.id}`)).customers).toEqual([]);
    expectError(await client.get("/customers/not-an-id?env=sandbox"), 400, "INVALID_FIELD");
  });
});
