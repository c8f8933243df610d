import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { ensureDemo, ensureDemoData, type DemoInfo } from "../../src/seed.js";
import { buildWidgetApp } from "../../src/widget-app.js";
import { createHarness, type Harness } from "../harness.js";
import { tempDir } from "../process/spawn.js";
import { chromiumPath, launch } from "./chromium.js";
import { ARTIFACTS_DIR, DESKTOP, PHONE } from "./widget-harness.js";

/**
 * The `/demo` merchant page a newcomer opens after `npm start`: okra-js 2.1.1 from npm on the
 * demo company, with a button for each of the widget's five flows. Each button opens its flow's
 * first screen against the seeded demo company (its linked customers for the returning-user
 * flows and Quick Pay); the buttons line up at 360 px and at desktop width.
 */
describe.skipIf(!chromiumPath)("the /demo merchant page (okra-js 2.1.1 in Chromium)", () => {
  let h: Harness;
  let api: FastifyInstance;
  let widget: FastifyInstance;
  let browser: Browser;
  let info: DemoInfo | undefined;
  let origin: string;
  let dataDir: string;

  beforeAll(async () => {
    h = await createHarness();
    widget = await buildWidgetApp(h.ctx, { logger: false });
    await widget.listen({ port: 0, host: "127.0.0.1" });
    api = await buildApp(h.ctx, { logger: false, demo: () => info });
    await api.listen({ port: 0, host: "127.0.0.1" });
    origin = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    const widgetOrigin = `http://127.0.0.1:${(widget.server.address() as AddressInfo).port}`;
    dataDir = tempDir("okro-demo-page-");
    info = await ensureDemo(h.ctx, dataDir, { api: origin, widget: widgetOrigin });
    await ensureDemoData(h.ctx, info);
    browser = await launch();
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await widget?.close();
    await h?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function demoPage(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${origin}/demo`);
    return page;
  }

  const FLOWS = [
    { button: "Link a bank account", first: "Select your bank", says: "Search banks" },
    { button: "Link as a returning customer", first: /^Welcome back, /, says: "Choose an account to connect" },
    { button: "Pay with your bank", first: "Select your bank", says: "Search banks" },
    { button: "Pay as a returning customer", first: /^Welcome back, /, says: "Choose an account to pay from" },
    { button: "Quick Pay", first: "Pay Demo Store", says: "₦5,000.00" },
  ] as const;

  it("offers the five flows, each with a line saying what it shows, the buttons aligned at 360 px and at desktop width", async () => {
    for (const [viewport, tag] of [
      [PHONE, "phone"],
      [DESKTOP, "desktop"],
    ] as const) {
      const page = await demoPage(viewport);
      try {
        const boxes = [];
        for (const flow of FLOWS) {
          const button = page.getByRole("button", { name: flow.button, exact: true });
          expect(await button.isEnabled(), flow.button).toBe(true);
          // Each button is described by its one-line explanation.
          const describedBy = await button.getAttribute("aria-describedby");
          expect((await page.locator(`#${describedBy}`).innerText()).length, flow.button).toBeGreaterThan(20);
          boxes.push((await button.boundingBox())!);
        }
        // One column of equal buttons: same left edge, same width, inside the viewport.
        for (const box of boxes) {
          expect(Math.round(box.x), tag).toBe(Math.round(boxes[0]!.x));
          expect(Math.round(box.width), tag).toBe(Math.round(boxes[0]!.width));
          expect(box.x + box.width, tag).toBeLessThanOrEqual(viewport.width);
        }
        expect(await page.evaluate(() => document.documentElement.scrollWidth), tag).toBeLessThanOrEqual(viewport.width);
        await page.screenshot({ path: path.join(ARTIFACTS_DIR, `demo-page-${tag}.png`), fullPage: true });
      } finally {
        await page.context().close();
      }
    }
  });

  for (const flow of FLOWS) {
    it(`"${flow.button}" opens its first screen in the widget`, async () => {
      const page = await demoPage(PHONE);
      try {
        await page.getByRole("button", { name: flow.button, exact: true }).click();
        const frame = page.frameLocator(`iframe[src^="${info!.widget.replace(/\/$/, "")}/"]`);
        await frame.getByRole("heading", { name: flow.first, level: 1 }).waitFor({ timeout: 20_000 });
        expect(await frame.locator("main").innerText()).toContain(flow.says);
        const slug = flow.button.toLowerCase().replace(/[^a-z0-9]+/g, "-");
        await page.screenshot({ path: path.join(ARTIFACTS_DIR, `demo-page-${slug}-phone.png`) });
      } finally {
        await page.context().close();
      }
    });
  }
});
