import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { paymentFixture } from "../security/route-registry.js";
import { chromiumPath } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { chooseBank, chooseMethod, logIn, startWidgetWorld, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The dashboard's payments pages as a new merchant uses them, in Chromium at 360 and 1280 px with
 * axe: sign up, create a payment link from the form (no API call: signup gave the sandbox a
 * receiving account), pay it through its hosted page as a customer would, see the payment in the
 * list, open its timeline, refund it with a confirmation, and approve a payment held for review.
 */
describe.skipIf(!chromiumPath)("the dashboard's payments, links and review queue (Chromium)", () => {
  let world: WidgetWorld;
  let api: string;
  const GTB = "Guaranty Trust Bank";

  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "balance", "payments"] });
    await world.h.app.listen({ port: 0, host: "127.0.0.1" });
    api = `http://127.0.0.1:${(world.h.app.server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  async function payAsCustomer(url: string, companyName: string, amountText: string, flow: string, viewport: { width: number; height: number }) {
    const w: WidgetPage = await world.openFullPage(url, { flow, viewport });
    try {
      await w.waitForScreen(`Payment to ${companyName}`);
      await w.frame.getByRole("button", { name: `Pay ${amountText}` }).click();
      await chooseBank(w, GTB);
      await chooseMethod(w, GTB, "Internet banking");
      await logIn(w, GTB, { identifier: "okro_good", secret: "pass_good" });
      await w.waitForScreen("Choose the account to pay from");
      await w.frame.locator(".choice label").first().click();
      await w.frame.getByRole("button", { name: "Continue" }).click();
      await w.waitForScreen(`Pay ${companyName}`);
      await w.frame.getByRole("button", { name: `Pay ${amountText}` }).click();
      await w.waitForScreen("Authorise the payment");
      await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
      await w.frame.getByRole("button", { name: "Confirm payment" }).click();
      await w.waitForScreen("Payment successful", 20_000);
    } finally {
      await w.close();
    }
  }

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`creates a link from the form, pays it on its page, sees and refunds the payment, approves one in review (${tag})`, async () => {
      const page = await world.browser.newPage({ viewport });
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      const company = `Chioma Crafts ${tag}`;
      const email = `owner-${randomUUID()}@example.com`;
      await page.goto(`${api}/dashboard/signup`);
      await page.getByLabel("Company name").fill(company);
      await page.getByLabel("Your name").fill("Chioma");
      await page.getByLabel("Work email").fill(email);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Your sandbox keys" }).waitFor();
      const user = await world.h.ctx.db.selectFrom("users").select("company_id").where("email", "=", email).executeTakeFirstOrThrow();

      // A payment link from the form, with its live preview; a server refusal shows beside its field.
      await navigate(page, "Payment links");
      await page.getByRole("heading", { name: "New payment link" }).waitFor();
      await page.getByLabel("What is it for?").fill("Beaded bag");
      await page.getByLabel("Amount (₦)").fill("0.5");
      await page.getByRole("button", { name: "Create link" }).click();
      await page.locator(".field.invalid .field-error", { hasText: "at least 100 kobo" }).waitFor();
      await page.getByLabel("Amount (₦)").fill("8500");
      await page.getByLabel("Note to the payer").fill("Handmade in Aba");
      await expect(page.locator(".preview-amount").textContent()).resolves.toBe("₦8,500.00");
      await check(page, "links", "form");
      await page.getByRole("button", { name: "Create link" }).click();
      await page.getByText("Your payment link is ready").waitFor();
      const url = await page.locator("#link-url").getAttribute("href");
      expect(url).toMatch(/\/pay\/[A-Za-z0-9]+$/);
      await expect(page.getByRole("img", { name: /QR code/ }).getAttribute("src")).resolves.toMatch(/^data:image\/png;base64,/);
      await check(page, "links", "created");

      // The customer pays on the hosted page (the widget origin).
      const short = url!.slice(url!.lastIndexOf("/") + 1);
      await payAsCustomer(`${world.widgetOrigin}/pay/${short}`, company, "₦8,500.00", `dash-pay-${tag}`, viewport);
      // Settlement: after the delay, the payment jobs validate it (completed).
      world.clock.advance(world.h.ctx.config.payments.settlementDelayMs);
      await new JobRunner(world.h.ctx, PAYMENT_JOBS, { companyIds: [user.company_id] }).runOnce();

      await page.reload();
      await page.getByRole("cell", { name: "completed" }).waitFor();
      await check(page, "links", "paid");
      await navigate(page, "Payments");
      await page.getByRole("heading", { name: "Payments", level: 1 }).waitFor();
      await page.getByRole("link", { name: "₦8,500.00" }).waitFor();
      await check(page, "payments", "list");
      await page.getByRole("link", { name: "₦8,500.00" }).click();
      await page.getByRole("heading", { name: "Timeline" }).waitFor();
      await expect(page.locator(".timeline li").count()).resolves.toBeGreaterThanOrEqual(4);
      await page.getByRole("cell", { name: "settlement" }).waitFor();
      await check(page, "payment", "timeline");
      await page.getByRole("button", { name: "Refund", exact: true }).click();
      await page.getByText("Refund ₦8,500.00 to the customer's account?").waitFor();
      await check(page, "payment", "confirm-refund");
      await page.getByRole("button", { name: "Yes, refund" }).click();
      await page.getByText("Refund initiated.").waitFor();
      await page.getByRole("heading", { name: "Refunds" }).waitFor();
      await check(page, "payment", "refunded");
      const refunds = await world.h.ctx.db.selectFrom("refunds").select(["amount", "state"]).where("company_id", "=", user.company_id).execute();
      expect(refunds).toEqual([{ amount: 850_000n, state: "pending" }]);

      // A payment held for review (above the threshold), approved from the queue.
      const held = await paymentFixture(world.h, { id: user.company_id, name: company } as NewCompany, "sandbox", { amount: 5_000_000, review: true });
      await navigate(page, "Review queue");
      await page.getByRole("link", { name: "₦50,000.00" }).waitFor();
      await check(page, "review", "queue");
      await page.getByRole("button", { name: "Approve" }).click();
      await page.getByRole("button", { name: "Yes, approve" }).click();
      await page.getByText("Nothing waits for review.").waitFor();
      await check(page, "review", "approved");
      const approved = await world.h.ctx.db.selectFrom("payments").select("state").where("id", "=", held.paymentId).executeTakeFirstOrThrow();
      expect(approved.state).toBe("queued");
      const audit = await world.h.ctx.db.selectFrom("audit_log").select(["action", "actor"]).where("company_id", "=", user.company_id).orderBy("at").orderBy("id").execute();
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["payment_link.create", "payment.refund", "payment.review.approve"]));
      await page.close();
    }, 120_000);

    it(`shows money and the sandbox tools, and advances the sandbox clock (${tag})`, async () => {
      const page = await world.browser.newPage({ viewport });
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      const email = `owner-${randomUUID()}@example.com`;
      await page.goto(`${api}/dashboard/signup`);
      await page.getByLabel("Company name").fill(`Ngozi Foods ${tag}`);
      await page.getByLabel("Your name").fill("Ngozi");
      await page.getByLabel("Work email").fill(email);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Your sandbox keys" }).waitFor();
      const user = await world.h.ctx.db.selectFrom("users").select("company_id").where("email", "=", email).executeTakeFirstOrThrow();
      await paymentFixture(world.h, { id: user.company_id, name: "Ngozi Foods" } as NewCompany, "sandbox", { amount: 120_000, settle: true });

      await navigate(page, "Balances and payouts");
      await page.getByRole("heading", { name: "Money", level: 1 }).waitFor();
      await expect(page.getByRole("region", { name: "Balances" }).innerText()).resolves.toContain("₦1,188.00");
      await check(page, "money", "balances");
      await page.getByLabel("Amount (₦)").fill("1000");
      await page.getByRole("button", { name: "Pay out", exact: true }).click();
      await page.getByText("Pay out ₦1000 to your default receiving account?").waitFor();
      await page.getByRole("button", { name: "Yes, pay out" }).click();
      await page.getByRole("cell", { name: "₦1,000.00", exact: true }).waitFor();
      await check(page, "money", "paid-out");
      const payouts = await world.h.ctx.db.selectFrom("payouts").select(["amount", "state"]).where("company_id", "=", user.company_id).execute();
      expect(payouts).toEqual([{ amount: 100_000n, state: "pending" }]);

      await navigate(page, "Sandbox tools");
      await page.getByRole("heading", { name: "Clock" }).waitFor();
      const before = await world.h.ctx.sandbox.getClock(user.company_id);
      await page.getByRole("button", { name: "+1 day" }).click();
      await page.getByText("Sandbox clock advanced by 1 day.").waitFor();
      const after = await world.h.ctx.sandbox.getClock(user.company_id);
      expect(after.offsetMs - before.offsetMs).toBeGreaterThanOrEqual(86_400_000);
      await check(page, "sandbox", "tools");
      await page.close();
    }, 60_000);
  }
});
