import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createHarness, type Harness } from "../harness.js";
import { artifactPath, chromiumPath, launch } from "./chromium.js";

describe.skipIf(!chromiumPath)("the dashboard's first screen (Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  const email = `owner-${randomUUID()}@example.com`;
  const password = "correct horse battery";

  beforeAll(async () => {
    h = await createHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    const signup = await h.request({
      method: "POST",
      url: "/dashboard/api/signup",
      payload: { company_name: "Adaeze Lending", name: "Adaeze", email, password },
    });
    expect(signup.statusCode, signup.body).toBe(200);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("signs in, shows credentials and apps, rotates a key that then works, and signs out", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const external: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(base)) external.push(req.url());
    });
    await page.goto(`${base}/dashboard`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.screenshot({ path: artifactPath("dashboard-signin.png") });

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("wrong password!!");
    // The live region is there, empty, before anything went wrong (checked before the click: after
    // it, the answer can arrive before the check and the assertion would race the server).
    await expect(page.getByRole("alert").textContent()).resolves.toBe("");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("email or password is incorrect").waitFor();

    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Adaeze Lending" }).waitFor();
    expect(await page.locator("#keys tr").count()).toBe(2);
    expect(await page.locator("#apps tr").count()).toBe(1);
    await page.screenshot({ path: artifactPath("dashboard-home.png"), fullPage: true });

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Rotate secret key" }).click();
    const fresh = await page.locator("#new-key code").textContent({ timeout: 10_000 });
    expect(fresh).toMatch(/^sk_test_/);
    await page.screenshot({ path: artifactPath("dashboard-rotated.png"), fullPage: true });
    const call = await h.request({ method: "GET", url: "/v2/banks/list?limit=1", headers: bearer(fresh!) });
    expect(call.statusCode).toBe(200);

    await page.getByRole("tab", { name: "Production" }).click();
    await page.locator("#keys", { hasText: "sk_live_" }).waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(external).toEqual([]);
    await page.close();
  });
});
