import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { artifactPath, chromiumPath, launch } from "./chromium.js";

describe.skipIf(!chromiumPath)("pages a person opens (Chromium)", () => {
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

  it("renders the API reference at /docs from the served OpenAPI document, without external requests", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith("data:")) external.push(req.url());
    });
    await page.goto(`${base}/docs`);
    await page.getByText("Okro API", { exact: false }).first().waitFor({ timeout: 15_000 });
    await page.locator(".opblock-summary-path", { hasText: "/v2/banks/list" }).first().waitFor();
    await page.screenshot({ path: artifactPath("docs.png"), fullPage: false });
    expect(external).toEqual([]);
    expect(await page.locator(".opblock").count()).toBeGreaterThan(8);
    await page.close();
  });

  it("shows where everything is on the API origin's front page", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
    await page.goto(`${base}/`);
    await expect(page.getByRole("link", { name: "API reference" }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: artifactPath("landing.png") });
    await page.close();
  });
});
