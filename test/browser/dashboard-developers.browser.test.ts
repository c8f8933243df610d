import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { buildWidgetApp } from "../../src/widget-app.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitEvent } from "../../src/events/emit.js";
import { deliveryRunner } from "../events/delivery-jobs.js";
import { createHarness, type Harness } from "../harness.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { uniqueIp } from "../platform/dashboard-client.js";
import { useSession } from "./dashboard-session.js";

/**
 * The Developers pages as a developer uses them: add a webhook endpoint (its secret shown once),
 * see a delivery the receiver refused with the request sent and the answer, resend it once the
 * receiver is fixed, find the event in the events feed by type and open it with its deliveries.
 */
describe.skipIf(!chromiumPath)("dashboard developers pages (Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  let receiver: Server;
  let receiverUrl = "";
  let answer = 503;
  let widget: FastifyInstance;

  beforeAll(async () => {
    h = await createHarness();
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(answer, { "content-type": "text/plain" }).end(answer === 200 ? "ok, thanks" : "receiver down"));
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/okro-hooks`;
    widget = await buildWidgetApp(h.ctx, { logger: false });
    await widget.listen({ port: 0, host: "127.0.0.1" });
    // The builder's preview frames the widget from its own origin, as `okro serve` runs it.
    h.ctx.config.widgetUrl = `http://127.0.0.1:${(widget.server.address() as AddressInfo).port}`;
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await widget?.close();
    await h?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  async function signIn(page: Page, signup: { cookies: ReadonlyArray<{ name: string; value: string }> }, path: string, heading: string) {
    await useSession(page.context(), base, signup);
    await page.goto(`${base}/dashboard${path}`);
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
  }

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`builds a widget app with a live preview and saves it, with the API's rules beside each field (${tag})`, async () => {
      const email = `apps-${randomUUID()}@example.com`;
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Widget Works", name: "Ife", email, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);
      const token = signup.json().data.credentials.sandbox.token as string;

      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await signIn(page, signup, "/developers/apps", "Apps and widget");
      await page.getByText(token, { exact: true }).waitFor();
      await check(page, "developers", "apps");

      await page.getByLabel("New app's name").fill("Checkout widget");
      await page.getByRole("button", { name: "Create app" }).click();
      await page.getByRole("heading", { name: "Widget builder" }).waitFor();
      await page.getByRole("checkbox", { name: "balance" }).check();
      await page.getByLabel("Colour").fill("red");
      await page.getByRole("button", { name: "Save app" }).click();
      await expect.poll(() => page.locator(".field.invalid").filter({ hasText: "Colour" }).textContent()).toContain("hex colour");
      await page.getByLabel("Colour").fill("#aa3300");
      const bank = page.locator(".choice-list input[type=checkbox]").first();
      await bank.check();
      // The preview reloads the widget with what is being edited, before it is saved.
      const frame = page.locator("iframe.widget-preview");
      await expect.poll(() => frame.getAttribute("src")).toContain("color=%23aa3300");
      expect(await frame.getAttribute("src")).toMatch(/products=[^&]*balance/);
      expect(await frame.getAttribute("src")).toContain("filter%5Bbanks%5D=");
      await page.frameLocator("iframe.widget-preview").locator("button").first().waitFor();
      await page.getByLabel("Callback URL").fill("https://shop.example.com/okro/callback");
      await page.getByRole("button", { name: "Save app" }).click();
      await page.getByText("Saved. The widget uses these settings from now on.").waitFor();
      await check(page, "developers", "widget-builder");

      const appId = page.url().split("/").pop()!.split("?")[0]!;
      const cookies = await context.cookies();
      const saved = await h.request({ method: "GET", url: `/dashboard/api/apps/${appId}?env=sandbox`, headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join("; ") } });
      expect(saved.json().data.app).toMatchObject({ color: "#aa3300", callback_url: "https://shop.example.com/okro/callback", products: expect.arrayContaining(["auth", "balance"]) });
      expect(saved.json().data.app.bank_filter).toHaveLength(1);
      await context.close();
    });

    it(`adds an endpoint, reads a failed delivery, resends it, and finds the event in the feed (${tag})`, async () => {
      const email = `dev-${randomUUID()}@example.com`;
      const signup = await h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Hooks Ltd", name: "Dayo", email, password: "correct horse battery" } });
      expect(signup.statusCode, signup.body).toBe(200);
      const companyId = signup.json().data.company.id as string;

      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await signIn(page, signup, "/developers/webhooks", "Webhooks");
      await check(page, "developers", "webhooks-empty");

      answer = 503;
      await page.getByLabel("URL").fill("ftp://example.com/hooks");
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.locator(".field-error").first().waitFor();
      await page.getByLabel("URL").fill(receiverUrl);
      await page.getByLabel("Event types").fill("payment.completed, payment.failed");
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.getByRole("heading", { name: "Webhook endpoint", exact: true }).waitFor();
      const secret = await page.getByText(/^whsec_/).first().textContent();
      expect(secret).toMatch(/^whsec_/);
      await check(page, "developers", "endpoint-created");

      // A payment event, delivered by the job runner to a receiver that answers 503.
      const paymentId = randomUUID();
      const event = await h.ctx.db.transaction().execute((trx) =>
        emitEvent(trx, { companyId, env: "sandbox", type: "payment.completed", object: { type: "payment", id: paymentId }, data: { amount: 125_000 } }, h.ctx.clock.now()),
      );
      const runner = deliveryRunner(h.ctx, companyId);
      await runner.runOnce();
      await page.reload();
      await page.getByRole("link", { name: "payment.completed" }).click();
      await page.getByRole("heading", { name: "Webhook delivery" }).waitFor();
      await page.getByText("receiver down").waitFor();
      await expect.poll(() => page.getByLabel("Request body").textContent()).toContain(paymentId);
      await check(page, "developers", "delivery-failed");

      answer = 200;
      await page.getByRole("button", { name: "Resend", exact: true }).click();
      await page.getByRole("button", { name: "Resend now" }).click();
      await page.getByText("Queued: it is sent again in a moment.").waitFor();
      await runner.runOnce();
      await page.reload();
      await page.getByText("ok, thanks").waitFor();
      await check(page, "developers", "delivery-resent");

      await navigate(page, "Events");
      await page.getByRole("heading", { name: "Events", exact: true }).waitFor();
      await page.getByLabel("Type").fill("payment.");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.locator(".field-error").first().waitFor();
      await page.getByLabel("Type").fill("payment.*");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/type=payment/);
      await check(page, "developers", "events");
      await page.getByRole("link", { name: "payment.completed" }).first().click();
      await page.getByRole("heading", { name: "Event payment.completed" }).waitFor();
      expect(page.url()).toContain(event.id);
      await page.getByText("succeeded · 200").waitFor();
      await check(page, "developers", "event");

      // The API request log: the key's requests, filtered to the failed ones.
      const key = signup.json().data.credentials.sandbox.secret_key as string;
      const okAnswer = await h.request({ method: "GET", url: "/v2/events/list?limit=1", headers: { authorization: `Bearer ${key}` } });
      expect(okAnswer.statusCode).toBe(200);
      const refused = await h.request({ method: "POST", url: "/v2/webhooks/get", headers: { authorization: `Bearer ${key}` }, payload: { id: "not-an-id" } });
      expect(refused.statusCode).toBe(400);
      await h.app.requestLog.flush();
      await navigate(page, "API requests");
      await page.getByRole("heading", { name: "API requests", exact: true }).waitFor();
      await page.getByText("GET /v2/events/list").waitFor();
      await page.getByLabel("Status").fill("4xx");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/status=4xx/);
      await page.getByText(String(refused.headers["x-request-id"])).waitFor();
      await expect.poll(() => page.getByText("GET /v2/events/list").count()).toBe(0);
      await check(page, "developers", "requests");
      await context.close();
    });
  }
});
