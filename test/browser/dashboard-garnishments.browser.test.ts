import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGarnishment } from "../../src/garnish/service.js";
import { clockOffsetMs } from "../../src/mandates/service.js";
import { newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { uniqueIp } from "../platform/dashboard-client.js";
import { debtor, garnishRunner, type Debtor } from "../garnish/world.js";
import { chromiumPath, launch } from "./chromium.js";
import { DESKTOP, PHONE, check, navigate } from "./dashboard-helpers.js";
import { useSession } from "./dashboard-session.js";

/**
 * The garnishments pages as a lender uses them, in Chromium at 360 and 1280 px with axe: a real
 * recovery over a debtor's accounts at two sandbox banks, swept once by the garnish jobs (one
 * account had ₦30,000, the other nothing); the list with its status filter kept in the URL; the
 * recovery's page with what is owed, collected and remaining and the sweep's balances seen and
 * what was taken or why not; lowering the debt, pausing and cancelling behind confirmations,
 * each audited; a developer sees no buttons and the API refuses them.
 */
describe.skipIf(!chromiumPath)("the dashboard's garnishments (Chromium)", () => {
  let w: World;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    w = await openWorld();
    await w.h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(w.h.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await w?.h.close();
  });

  /** A ₦90,000 + ₦10,000 recovery over two accounts, swept once: ₦30,000 taken from the first, nothing from the second. */
  async function sweptRecovery(): Promise<{ c: Company; d: Debtor; id: string }> {
    w.clock.set(new Date("2027-03-01T09:00:00Z"));
    const c = await newCompany(w);
    const d = await debtor(w, c, { balances: [3_000_000, 0], maxTotal: 20_000_000 });
    const offsetMs = await clockOffsetMs(w.h.ctx, c.scope);
    const g = await w.h.ctx.db.transaction().execute((trx) =>
      createGarnishment(trx, w.h.ctx, c.scope, {
        customerId: d.customerId, mandateIds: null, currency: "NGN", principal: 9_000_000n, interest: 1_000_000n, penalties: null, floor: 0n, interval: "daily",
        dayOfMonth: null, startDate: null, endDate: null, accountToCredit: null, reference: "LOAN-42", purpose: "Loan 42", source: "api",
      }, offsetMs),
    );
    const runner = garnishRunner(w, c);
    for (let i = 0; i < 4; i++) {
      await runner.runOnce();
      w.clock.advance(2 * 60_000);
    }
    return { c, d, id: g.id };
  }

  /** A signed-up user moved into the world's company with `role` (the session reads both from the user). */
  async function member(c: Company, role: "owner" | "developer") {
    const email = `${role}-${randomUUID()}@example.com`;
    const signup = await w.h.request({ method: "POST", url: "/dashboard/api/signup", remoteAddress: uniqueIp(), payload: { company_name: "Lender Co", name: "Kemi", email, password: "correct horse battery" } });
    expect(signup.statusCode, signup.body).toBe(200);
    await w.h.ctx.db.updateTable("users").set({ company_id: c.tenant.id, role }).where("id", "=", signup.json().data.user.id).execute();
    return { email, signup };
  }

  for (const viewport of [PHONE, DESKTOP]) {
    const tag = viewport.width >= 1000 ? "desktop" : "phone";
    it(`lists recoveries, shows one's sweep history from its payments, lowers, pauses and cancels it after asking (${tag})`, async () => {
      const { c, id } = await sweptRecovery();
      const { email, signup } = await member(c, "owner");
      const context = await browser.newContext({ viewport });
      await useSession(context, base, signup);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      page.on("pageerror", (e) => console.error("pageerror", e));
      await page.goto(`${base}/dashboard`);
      await navigate(page, "Garnishments");
      await page.getByRole("heading", { level: 1, name: "Garnishments" }).waitFor();
      await page.getByText("1 garnishment", { exact: true }).waitFor();
      await check(page, "garnishments", "list");

      // The status filter lands in the URL; reloading keeps it.
      await page.getByLabel("Status").selectOption("paused");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("0 garnishments", { exact: true }).waitFor();
      expect(new URL(page.url()).searchParams.get("status")).toBe("paused");
      await page.reload();
      await page.getByText("No garnishments match.").waitFor();
      await page.getByLabel("Status").selectOption("active");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByRole("link", { name: "Adaeze Debtor" }).click();

      await page.getByRole("heading", { level: 1, name: "Garnishment: Adaeze Debtor" }).waitFor();
      await expect(page.getByTestId("collected").textContent()).resolves.toBe("₦30,000.00");
      await expect(page.getByTestId("remaining").textContent()).resolves.toBe("₦70,000.00");
      // The sweep: the ₦30,000 account first (taken in full), the empty one with why nothing was taken.
      const sweep = page.getByRole("table", { name: "Accounts in sweep 1, in the order tried" });
      const rows = sweep.getByRole("row");
      await expect(rows.count()).resolves.toBe(3);
      await expect(rows.nth(1).textContent()).resolves.toMatch(/₦30,000\.00.*₦30,000\.00/);
      await expect(rows.nth(2).textContent()).resolves.toMatch(/₦0\.00.*₦0\.00.*no balance/);
      await expect(page.getByRole("table", { name: "Accounts this garnishment may draw on" }).getByRole("row").count()).resolves.toBe(3);
      await check(page, "garnishments", "detail");

      // Lowering the debt asks first; a debt may only go down (the server's rule, named beside the field).
      await page.getByRole("button", { name: "Lower the debt" }).click();
      await page.getByLabel("New principal (₦)").fill("95000");
      await page.getByRole("button", { name: "Lower the debt" }).last().click();
      await page.getByRole("button", { name: "Yes, lower it" }).click();
      await page.getByText(/may only be lowered/).waitFor();
      await page.getByLabel("New principal (₦)").fill("50000");
      await page.getByRole("button", { name: "Lower the debt" }).last().click();
      await page.getByText(/Lower the debt to principal ₦50,000\.00\?/).waitFor();
      await check(page, "garnishments", "lower");
      await page.getByRole("button", { name: "Yes, lower it" }).click();
      await page.getByText("Debt lowered", { exact: true }).waitFor();
      // The page reloads the recovery after the notice: wait for the new figure.
      await page.getByTestId("remaining").filter({ hasText: "₦30,000.00" }).waitFor();

      // Pause, then cancel: each asks, each is audited (a minute apart, so the log has one order).
      w.clock.advance(60_000);
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByRole("button", { name: "Yes, pause" }).click();
      await page.getByText("Garnishment paused.").waitFor();
      await page.getByRole("button", { name: "Resume" }).waitFor();
      w.clock.advance(60_000);
      await page.getByRole("button", { name: "Cancel garnishment" }).click();
      await page.getByRole("button", { name: "Yes, cancel it" }).click();
      await page.getByText("Garnishment cancelled.").waitFor();
      await page.getByText("This garnishment has ended: nothing more is swept.").waitFor();
      expect((await w.h.ctx.db.selectFrom("garnishments").select("state").where("id", "=", id).executeTakeFirstOrThrow()).state).toBe("cancelled");
      const log = await w.h.ctx.db.selectFrom("audit_log").select(["action", "actor"]).where("company_id", "=", c.tenant.id).orderBy("at").execute();
      expect(log).toEqual([
        { action: "garnishment.lower", actor: email },
        { action: "garnishment.pause", actor: email },
        { action: "garnishment.cancel", actor: email },
      ]);
      await context.close();
    }, 180_000);
  }

  it("shows a developer no sweep, pause or cancel buttons, and the API refuses them (403)", async () => {
    const { c, id } = await sweptRecovery();
    const { signup } = await member(c, "developer");
    const context = await browser.newContext({ viewport: PHONE });
    await useSession(context, base, signup);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${base}/dashboard/garnishments/${id}`);
    await page.getByText("Your role can see garnishments but not sweep, pause, resume, lower or cancel them.").waitFor();
    await expect(page.getByRole("button", { name: /Sweep now|Pause|Cancel garnishment|Lower the debt/ }).count()).resolves.toBe(0);
    const refused = await page.evaluate(async (gid) => {
      const res = await fetch("/dashboard/api/garnishments/sweep", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() }, body: JSON.stringify({ env: "sandbox", id: gid, confirm: true }) });
      return { status: res.status, body: await res.json() };
    }, id);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/sweep a garnishment/);
    await context.close();
  }, 180_000);
});
