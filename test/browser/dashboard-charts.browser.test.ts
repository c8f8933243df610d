import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { uniqueIp } from "../platform/dashboard-client.js";
import { paymentFixture } from "../security/route-registry.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { useSession } from "./dashboard-session.js";

/**
 * The Money page's charts (uPlot), in Chromium at 360 and 1280 px with axe: volume and success
 * rate by day, payments by bank and failures by reason are drawn (each an image with a label, the
 * tables keep the numbers); uPlot arrives as its own chunk only when a chart shows, so the first
 * screen does not load it; the charts fit a phone's width.
 */
describe.skipIf(!chromiumPath)("the dashboard's charts (Chromium)", () => {
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
    it(`draws volume, success rate, banks and failure reasons, loading uPlot only on the Money page (${tag})`, async () => {
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Chart Co", name: "Ife", email: `owner-${randomUUID()}@example.com`, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);
      const tenant = { id: signup.json().data.company.id, name: "Chart Co" } as NewCompany;
      await paymentFixture(h, tenant, "sandbox", { amount: 120_000, settle: true });
      const failed = await paymentFixture(h, tenant, "sandbox", { amount: 50_000 });
      await h.ctx.db.updateTable("payments").set({ state: "failed", failure_code: "insufficient_funds", failure_reason: "Not enough money in the account" }).where("id", "=", failed.paymentId).execute();

      const context = await browser.newContext({ viewport });
      await useSession(context, base, signup);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      // Scripts the page fetched that carry uPlot (its legend's class name is in its code).
      const chunks: string[] = [];
      page.on("response", async (r) => {
        if (/\/dashboard\/assets\/.*\.js$/.test(r.url()) && (await r.text().catch(() => "")).includes("u-legend")) chunks.push(r.url());
      });
      await page.goto(`${base}/dashboard`);
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      expect(chunks, "the first screen loads no chart code").toEqual([]);

      await navigate(page, "Balances and payouts");
      await page.getByRole("heading", { name: "Money", level: 1 }).waitFor();
      const daily = page.getByRole("img", { name: /Succeeded volume and success rate by day/ });
      const banks = page.getByRole("img", { name: /Payments by bank/ });
      const reasons = page.getByRole("img", { name: /Failed payments by reason/ });
      for (const chart of [daily, banks, reasons]) await chart.locator("canvas").waitFor();
      expect(chunks.length).toBeGreaterThan(0);
      await daily.getByText("Success rate").waitFor();
      // Drawn, not blank: the bars' green is on the canvas.
      for (const chart of [daily, banks, reasons]) {
        const green = await chart.locator("canvas").evaluate((c: HTMLCanvasElement) => {
          const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] === 0x1d && d[i + 1] === 0x6b && d[i + 2] === 0x53) n++;
          return n;
        });
        expect(green).toBeGreaterThan(20);
      }
      // A chart is as wide as its card, never wider than the phone.
      const width = await daily.evaluate((el) => el.getBoundingClientRect().width);
      expect(width).toBeLessThanOrEqual(viewport.width);
      await page.getByRole("table", { name: "Why payments failed" }).getByText("insufficient_funds: Not enough money in the account").waitFor();
      await check(page, "money", "charts");
      await context.close();
    }, 60_000);
  }

  it("closes the phone menu when its link is the page already open", async () => {
    const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Menu Co", name: "Ife", email: `owner-${randomUUID()}@example.com`, password: "correct horse battery" } });
    expect(signup.statusCode, signup.body).toBe(200);
    const context = await browser.newContext({ viewport: PHONE });
    await useSession(context, base, signup);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${base}/dashboard/money`);
    await page.getByRole("heading", { name: "Money", level: 1 }).waitFor();
    const toggle = page.getByRole("button", { name: "Menu" });
    const link = page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Balances and payouts", exact: true });
    await toggle.click();
    await expect(toggle.getAttribute("aria-expanded")).resolves.toBe("true");
    await link.waitFor();
    await link.click();
    await expect(toggle.getAttribute("aria-expanded")).resolves.toBe("false");
    await link.waitFor({ state: "hidden" });
    expect(new URL(page.url()).pathname).toBe("/dashboard/money");
    // Another page's link closes it too, as before.
    await toggle.click();
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Garnishments", exact: true }).click();
    await page.getByRole("heading", { name: "Garnishments", level: 1 }).waitFor();
    await expect(toggle.getAttribute("aria-expanded")).resolves.toBe("false");
    await context.close();
  }, 60_000);
});
