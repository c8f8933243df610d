import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { paymentFixture } from "../security/route-registry.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { uniqueIp } from "../platform/dashboard-client.js";
import { useSession } from "./dashboard-session.js";

/**
 * The bulk uploads page as a merchant uses it, in Chromium at 360 and 1280 px with axe: choose a
 * CSV, see its totals and row errors (and the errors CSV link), commit it after a confirmation,
 * then find it in the batch list and open its page with its counts.
 */
describe.skipIf(!chromiumPath)("the dashboard's bulk uploads (Chromium)", () => {
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

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`checks a CSV, shows its errors, commits it after asking and shows the batch (${tag})`, async () => {
      const email = `owner-${randomUUID()}@example.com`;
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Salary Co", name: "Bola", email, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);
      const tenant = { id: signup.json().data.company.id, name: "Salary Co" } as NewCompany;
      const a = await paymentFixture(h, tenant, "sandbox");
      const csv = `account_to_debit,amount,reference\n${a.accountId},150000,jan\n${a.accountId},abc,bad\n`;

      const context = await browser.newContext({ viewport });
      await useSession(context, base, signup);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      await page.goto(`${base}/dashboard/bulk`);
      await page.getByRole("heading", { level: 1, name: "Bulk uploads" }).waitFor();
      await navigate(page, "Bulk uploads");
      await page.getByText("No uploads yet.").waitFor();
      await check(page, "bulk", "empty");

      await page.getByLabel("CSV file").setInputFiles({ name: "salaries.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
      await page.getByRole("button", { name: "Check file" }).click();
      await page.getByRole("heading", { name: "Checked: salaries.csv" }).waitFor();
      await page.getByRole("table", { name: "Row errors" }).getByText(/amount/).first().waitFor();
      await page.getByRole("link", { name: "Download the rows with errors (CSV)" }).waitFor();
      await check(page, "bulk", "checked");

      await page.getByRole("button", { name: "Commit" }).click();
      await page.getByText(/Debit ₦1,500.00 across 1 payments/).waitFor();
      await page.getByRole("button", { name: "Yes, commit" }).click();
      await page.getByText("Batch committed: 1 payments are being made.").waitFor();
      const audit = await h.ctx.db.selectFrom("audit_log").select("action").where("company_id", "=", tenant.id).execute();
      expect(audit).toEqual([{ action: "batch.commit" }]);

      await page.getByRole("table", { name: "sandbox batches" }).getByRole("link", { name: "salaries.csv" }).click();
      await page.getByRole("heading", { level: 1, name: "Batch salaries.csv" }).waitFor();
      await page.getByRole("link", { name: "Results CSV" }).waitFor();
      await check(page, "bulk", "batch");
      await context.close();
    }, 60_000);
  }
});
