import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createHarness, type Harness } from "../harness.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";

describe.skipIf(!chromiumPath)("the dashboard as a new user (Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    h = await createHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`signs up on the page, sees the sandbox keys once, finds them under Developers and rotates one that then works (${tag})`, async () => {
      const page = await browser.newPage({ viewport });
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      const external: string[] = [];
      page.on("request", (req) => {
        if (!req.url().startsWith(base)) external.push(req.url());
      });
      const email = `owner-${randomUUID()}@example.com`;
      await page.goto(`${base}/dashboard/signup`);
      await page.getByRole("heading", { name: "Create your Okro account" }).waitFor();
      await page.getByLabel("Company name").fill("Adaeze Lending");
      await page.getByLabel("Your name").fill("Adaeze");
      await page.getByLabel("Work email").fill(email);
      await page.getByLabel("Password").fill("short");
      await page.getByRole("button", { name: "Create account" }).click();
      // The server's own schema answers; the message sits beside the password field.
      await page.locator(".field.invalid", { has: page.getByLabel("Password") }).locator(".field-error", { hasText: "at least 10 characters" }).waitFor();
      await expect(page.getByLabel("Password").getAttribute("aria-invalid")).resolves.toBe("true");
      await check(page, "signup", "field-error");

      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Your sandbox keys" }).waitFor();
      const secret = await page.locator("dd code").first().textContent();
      expect(secret).toMatch(/^sk_test_/);
      await check(page, "signup", "keys-once");
      expect((await h.request({ method: "GET", url: "/v2/banks/list?limit=1", headers: bearer(secret!) })).statusCode).toBe(200);

      await navigate(page, "API keys");
      await page.getByRole("heading", { name: "API keys" }).waitFor();
      await expect(page.locator("#client-token").textContent()).resolves.toMatch(/\S{10,}/);
      await check(page, "keys", "sandbox");

      await page.getByRole("button", { name: "Rotate secret key" }).click();
      await page.getByRole("button", { name: "Rotate now" }).click();
      const fresh = await page.locator(".notice code").first().textContent();
      expect(fresh).toMatch(/^sk_test_/);
      expect((await h.request({ method: "GET", url: "/v2/banks/list?limit=1", headers: bearer(fresh!) })).statusCode).toBe(200);
      expect((await h.request({ method: "GET", url: "/v2/banks/list?limit=1", headers: bearer(secret!) })).statusCode).toBe(401);

      await page.getByRole("button", { name: "Production" }).click();
      await page.getByRole("cell", { name: /sk_live_/ }).waitFor();
      await check(page, "keys", "production");
      expect(external).toEqual([]);
      await page.close();
    }, 60_000);
  }
});
