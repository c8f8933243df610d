import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clockOffsetMs, createMandate } from "../../src/mandates/service.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { accountData, paymentFixture } from "../security/route-registry.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { uniqueIp } from "../platform/dashboard-client.js";
import { useSession } from "./dashboard-session.js";

/**
 * The mandates pages as a merchant uses them, in Chromium at 360 and 1280 px with axe: the list,
 * its status filter kept in the URL, a mandate's page with its terms in words, upcoming charges and
 * a charge linking to its payment, and pausing it behind a confirmation; then the customers list,
 * its search kept in the URL, and the customer's page with their accounts, mandates and payments.
 */
describe.skipIf(!chromiumPath)("the dashboard's mandates and customers (Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    h = await createHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** An active monthly mandate of ₦5,000 on a fresh customer, with one charge (a payment) made on it. */
  async function activeMandate(tenant: NewCompany) {
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const data = await accountData(h, tenant, "sandbox");
    const offsetMs = await clockOffsetMs(h.ctx, scope);
    const row = await h.ctx.db.transaction().execute((trx) =>
      createMandate(trx, h.ctx, scope, {
        accountId: data.accountId, debitType: "fixed", currency: "NGN", amount: 500_000n, initialAmount: null, maxPerCharge: null, maxTotal: null, maxPerPeriod: null, period: null,
        startDate: null, endDate: null, interval: "monthly", dayOfMonth: null, count: 12, purpose: "Gym membership", reference: null, options: null, accountToCredit: null, retry: null,
      }, offsetMs),
    );
    await h.ctx.db.updateTable("mandates").set({ state: "active" }).where("id", "=", row.id).execute();
    const charge = await paymentFixture(h, tenant, "sandbox", { amount: 500_000 });
    await h.ctx.db.updateTable("payments").set({ mandate_id: row.id, mandate_cycle: 0, charge_attempt: 1, customer_id: data.customerId }).where("id", "=", charge.paymentId).execute();
    return { id: row.id, paymentId: charge.paymentId, customerId: data.customerId };
  }

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`lists mandates, filters them in the URL, shows one's terms and charges, and pauses it after asking (${tag})`, async () => {
      const email = `owner-${randomUUID()}@example.com`;
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Iron Gym", name: "Tunde", email, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);
      const tenant = { id: signup.json().data.company.id, name: "Iron Gym" } as NewCompany;
      const mandate = await activeMandate(tenant);

      const context = await browser.newContext({ viewport });
      await useSession(context, base, signup);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      await page.goto(`${base}/dashboard/mandates`);
      await page.getByRole("heading", { name: "Mandates", exact: true }).waitFor();
      // The nav leads here too.
      await navigate(page, "Mandates");
      await page.getByText("1 mandate", { exact: true }).waitFor();
      await check(page, "mandates", "list");

      // The status filter lands in the URL; reloading keeps it.
      await page.getByLabel("Status").selectOption("paused");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("0 mandates", { exact: true }).waitFor();
      expect(new URL(page.url()).searchParams.get("status")).toBe("paused");
      await page.reload();
      await page.getByText("0 mandates", { exact: true }).waitFor();
      await page.getByText("No mandates match.").waitFor();
      await page.getByLabel("Status").selectOption("active");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("1 mandate", { exact: true }).waitFor();

      await page.getByRole("link", { name: "₦5,000.00 each" }).click();
      await page.getByRole("heading", { name: /^Mandate:/ }).waitFor();
      await page.getByText("₦5,000.00 each time, never more").waitFor();
      await page.getByText("Gym membership").waitFor();
      await expect(page.getByRole("table", { name: "Upcoming charges" }).getByRole("row").count()).resolves.toBeGreaterThan(1);
      await check(page, "mandates", "detail");

      // Pausing asks first; saying no changes nothing.
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByText(/Pause this mandate\?/).waitFor();
      await check(page, "mandates", "confirm");
      await page.getByRole("button", { name: "Yes, pause" }).click();
      await page.getByText("Mandate paused.").waitFor();
      await page.getByRole("button", { name: "Resume" }).waitFor();
      expect((await h.ctx.db.selectFrom("mandates").select("state").where("id", "=", mandate.id).executeTakeFirstOrThrow()).state).toBe("paused");
      const log = await h.ctx.db.selectFrom("audit_log").select(["action", "actor"]).where("company_id", "=", tenant.id).execute();
      expect(log).toEqual([{ action: "mandate.pause", actor: email }]);

      // Its charge links to the payment's page.
      await page.getByRole("table", { name: "Charges of this mandate" }).getByRole("link", { name: "₦5,000.00" }).click();
      await page.getByRole("heading", { name: "Payment ₦5,000.00" }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/dashboard/payments/${mandate.paymentId}`);

      // Customers: the search is kept in the URL; a customer's page shows their accounts, mandates and payments.
      await navigate(page, "Customers");
      await page.getByRole("heading", { level: 1, name: "Customers" }).waitFor();
      // The mandate's customer and the one the payment fixture linked.
      await page.getByText("2 customers", { exact: true }).waitFor();
      await check(page, "customers", "list");
      await page.getByRole("searchbox", { name: "Search" }).fill("nobody here");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.getByText("No customers match.").waitFor();
      expect(new URL(page.url()).searchParams.get("q")).toBe("nobody here");
      await page.getByRole("searchbox", { name: "Search" }).fill(mandate.customerId);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.getByRole("link", { name: "Owned Customer" }).click();
      await page.getByRole("heading", { level: 1, name: "Owned Customer" }).waitFor();
      await page.getByRole("table", { name: "Mandates of this customer" }).getByText("paused").waitFor();
      await page.getByRole("table", { name: "Latest payments of this customer" }).getByRole("link", { name: "₦5,000.00" }).waitFor();
      await expect(page.getByRole("table", { name: "Linked accounts" }).getByRole("row").count()).resolves.toBeGreaterThan(1);
      await check(page, "customers", "detail");
      await context.close();
    }, 60_000);
  }
});
