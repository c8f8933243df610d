import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath } from "./chromium.js";
import {
  answerMfa,
  bankButton,
  chooseAccounts,
  chooseBank,
  chooseMethod,
  consent,
  expectAlert,
  logIn,
  startWidgetWorld,
  waitForSuccess,
  type Tenant,
  type WidgetPage,
  type WidgetWorld,
} from "./widget-harness.js";

/**
 * The error states a real person meets in the widget, driven through a merchant page that uses
 * the okra-js 2.1.1 loader: wrong password, locked profile, wrong and expired codes, a bank that
 * is down, a lost network, an expired session, closing halfway, and a merchant's bad key. Time
 * moves on Okro's ManualClock (the widget session and the sandbox banks both run on it); faults
 * are injected into the tenant's own sandbox realm. Each screen is axe-checked and photographed.
 */

const MINUTE = 60_000;

describe.skipIf(!chromiumPath)("the widget's error states (okra-js 2.1.1 in Chromium)", () => {
  let world: WidgetWorld;
  const open: WidgetPage[] = [];
  const track = (w: WidgetPage) => (open.push(w), w);

  beforeAll(async () => {
    // These tests are about what goes wrong before the link; pulling two years of transactions
    // at the end of each (the standard-flow tests do that) would only make them slower.
    world = await startWidgetWorld({ products: ["auth", "balance", "identity"] });
  });
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  afterAll(async () => {
    await world?.close();
  });

  /** From the accounts screen to success; returns onSuccess's argument. */
  async function finish(w: WidgetPage, tenant: Tenant) {
    await chooseAccounts(w);
    await consent(w, tenant.name);
    await waitForSuccess(w);
    return (await w.waitForCall("success")).data;
  }

  it("says how many attempts are left after a wrong password, then logs in with the right one", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-wrong-password" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_good", secret: "not_my_password" });
    await expectAlert(w, "Wrong username or password. 4 attempts left.");
    await w.check("wrong-password");
    // Still on the credentials screen; the right password goes through.
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    const success = await finish(w, tenant);
    expect(success).toMatchObject({ success: true, bank_id: world.bank(bank).bankId });
    const events = (await w.calls()).filter((c) => c.type === "event").map((c) => c.data?.event);
    expect(events).toContain("error_shown");
  });

  it("tells a locked customer their profile is locked and lets them choose another bank", async () => {
    const tenant = await world.newTenant();
    const bank = "Access Bank";
    const w = track(await world.open(tenant, { flow: "err-locked" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_locked", secret: "pass_good" });
    await expectAlert(w, `Your ${bank} profile is locked`);
    await w.check("locked");
    await w.frame.getByRole("button", { name: "Choose another bank" }).click();
    await w.waitForScreen("Select your bank");
    await chooseBank(w, "Kuda Bank");
    await chooseMethod(w, "Kuda Bank", "Mobile app");
    await logIn(w, "Kuda Bank", { identifier: "okro_good", secret: "pass_good", identifierLabel: "Phone number", secretLabel: "Password or PIN" });
    expect(await finish(w, tenant)).toMatchObject({ success: true, bank_id: world.bank("Kuda Bank").bankId });
  });

  it("says a wrong one-time password is wrong, with attempts left, then accepts the right one", async () => {
    const tenant = await world.newTenant();
    const bank = "Access Bank";
    const w = track(await world.open(tenant, { flow: "err-wrong-otp" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_otp", secret: "pass_good" });
    await answerMfa(w, "One-time password", "000000");
    await expectAlert(w, "That code is wrong. 4 attempts left.");
    await w.check("wrong-otp");
    await answerMfa(w, "One-time password", "123456");
    expect(await finish(w, tenant)).toMatchObject({ success: true });
  });

  it("says the code has expired after 6 minutes and logs in again from the start of the login", async () => {
    const tenant = await world.newTenant();
    const bank = "Access Bank";
    const w = track(await world.open(tenant, { flow: "err-mfa-expired" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_otp", secret: "pass_good" });
    await w.waitForScreen("Verify it's you");
    world.clock.advance(6 * MINUTE);
    await answerMfa(w, "One-time password", "123456");
    await expectAlert(w, "The code has expired");
    await w.check("mfa-expired");
    await w.frame.getByRole("button", { name: "Log in again" }).click();
    // Back to the credentials (the bank and method are remembered, or asked again).
    const next = await Promise.race([
      w.heading(`How do you log in to ${bank}?`).waitFor().then(() => "method" as const),
      w.heading(`Log in to ${bank}`).waitFor().then(() => "credentials" as const),
    ]);
    if (next === "method") await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_otp", secret: "pass_good" });
    await answerMfa(w, "One-time password", "123456");
    expect(await finish(w, tenant)).toMatchObject({ success: true });
  });

  it("shows a bank that is down as Unavailable (cannot be chosen) and a slow one as Slow right now", async () => {
    const tenant = await world.newTenant();
    const bank = "United Bank for Africa";
    await world.h.ctx.sandbox.setFaults(tenant.id, world.bank(bank).bankId, { down: true });
    await world.h.ctx.sandbox.setFaults(tenant.id, world.bank("Wema Bank").bankId, { latencyMs: 2_000 });
    const w = track(await world.open(tenant, { flow: "err-bank-down-list" }));
    await w.waitForScreen("Select your bank");
    await w.frame.getByLabel("Search banks").fill("United Bank");
    const button = bankButton(w, bank);
    await expect(button.isDisabled()).resolves.toBe(true);
    await expect(button.textContent()).resolves.toContain("Unavailable");
    await w.check("bank-down-in-list");
    // A slow bank can still be chosen, with a warning.
    await w.frame.getByLabel("Search banks").fill("Wema");
    await expect(bankButton(w, "Wema Bank").isEnabled()).resolves.toBe(true);
    await expect(bankButton(w, "Wema Bank").textContent()).resolves.toContain("Slow right now");
    await w.check("bank-slow-in-list");
    // A bank without a product the merchant asked for (PalmPay has no identity) is not offered.
    await w.frame.getByLabel("Search banks").fill("PalmPay");
    await expect(bankButton(w, "PalmPay").count()).resolves.toBe(0);
    // And a healthy one says neither.
    await w.frame.getByLabel("Search banks").fill("Sterling");
    await expect(bankButton(w, "Sterling Bank").textContent()).resolves.not.toMatch(/Unavailable|Slow right now/);
  });

  it("says the bank is taking too long when Okro answers bank_timeout, and Try again goes on", async () => {
    // A real bank timeout takes BANK_CALL_TIMEOUT_MS (25 s) to surface; the widget's handling of
    // that answer is what is tested here, so the answer is given once at the network layer.
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-bank-timeout" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await w.waitForScreen(`Log in to ${bank}`);
    await w.context.route(
      `${world.widgetOrigin}/api/login`,
      (route) =>
        route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({ status: "error", error: "SERVICE_UNAVAILABLE", message: `${bank} did not answer in time; try again`, data: { reason: "bank_timeout" } }),
        }),
      { times: 1 },
    );
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await expectAlert(w, `${bank} is taking too long`);
    await w.check("bank-timeout");
    await w.frame.getByRole("button", { name: "Try again" }).click();
    expect(await finish(w, tenant)).toMatchObject({ success: true });
  });

  it("says the bank is unavailable when it goes down after it was chosen; Choose another bank works", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-bank-down-late" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await w.waitForScreen(`Log in to ${bank}`);
    await world.h.ctx.sandbox.setFaults(tenant.id, world.bank(bank).bankId, { down: true });
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await expectAlert(w, `${bank} is unavailable right now`);
    await expect(w.frame.getByRole("button", { name: "Try again" }).isVisible()).resolves.toBe(true);
    await w.check("bank-down");
    await w.frame.getByRole("button", { name: "Choose another bank" }).click();
    await chooseBank(w, "Citibank Nigeria");
    await logIn(w, "Citibank Nigeria", { identifier: "okro_good", secret: "pass_good" });
    expect(await finish(w, tenant)).toMatchObject({ success: true, bank_id: world.bank("Citibank Nigeria").bankId });
  });

  it("says you're offline when the network drops, and Try again carries on", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-offline" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await w.waitForScreen(`Log in to ${bank}`);
    await w.context.setOffline(true);
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await expectAlert(w, "You're offline");
    await w.check("offline");
    await w.context.setOffline(false);
    await w.frame.getByRole("button", { name: "Try again" }).click();
    expect(await finish(w, tenant)).toMatchObject({ success: true });
  });

  it("survives a lost answer to Allow: Try again replays the link instead of making a second one", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-lost-response" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await chooseAccounts(w);
    // The request reaches Okro and the account is linked; the answer never reaches the phone.
    let linked = 0;
    await w.context.route(
      `${world.widgetOrigin}/api/connect`,
      async (route) => {
        const answer = await route.fetch();
        linked = answer.status();
        await route.abort("connectionreset");
      },
      { times: 1 },
    );
    await consent(w, tenant.name);
    await expectAlert(w, "You're offline");
    expect(linked).toBe(200);
    await w.check("lost-response");
    expect((await w.calls()).filter((c) => c.type === "success")).toEqual([]);
    await w.frame.getByRole("button", { name: "Try again" }).click();
    await waitForSuccess(w);
    const success = (await w.waitForCall("success")).data;
    const records = await world.h.ctx.db.selectFrom("records").select("id").where("company_id", "=", tenant.id).execute();
    expect(records.map((r) => r.id)).toEqual([success.record_id]);
    expect((await w.calls()).filter((c) => c.type === "success")).toHaveLength(1);
  });

  it("says the session has expired after 31 minutes; Start again opens a new one that works", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = track(await world.open(tenant, { flow: "err-session-expired" }));
    await w.waitForScreen("Select your bank");
    world.clock.advance(31 * MINUTE);
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await expectAlert(w, "This session has expired");
    await w.check("session-expired");
    await w.frame.getByRole("button", { name: "Start again" }).click();
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    expect(await finish(w, tenant)).toMatchObject({ success: true });
    const sessions = await world.h.ctx.db.selectFrom("widget_sessions").select("id").where("company_id", "=", tenant.id).execute();
    expect(sessions.length).toBe(2);
  });

  it("asks before closing: Stay keeps the screen, Leave fires onClose and removes the iframe", async () => {
    const tenant = await world.newTenant();
    const bank = "Access Bank";
    const w = track(await world.open(tenant, { flow: "err-close" }));
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await w.waitForScreen(`Log in to ${bank}`);
    await w.frame.getByRole("button", { name: "Close" }).click();
    const dialog = w.frame.getByRole("dialog", { name: "Leave without connecting?" });
    await dialog.waitFor();
    await w.check("close-confirm");
    await dialog.getByRole("button", { name: "Stay" }).click();
    await dialog.waitFor({ state: "hidden" });
    await w.waitForScreen(`Log in to ${bank}`);
    expect((await w.calls()).filter((c) => c.type === "close")).toEqual([]);
    // Back goes one screen back, to the login methods.
    await w.frame.getByRole("button", { name: "Back" }).click();
    await w.waitForScreen(`How do you log in to ${bank}?`);

    await w.frame.getByRole("button", { name: "Close" }).click();
    await dialog.getByRole("button", { name: "Leave" }).click();
    await w.waitForCall("close");
    await expect.poll(() => w.iframe.count(), { timeout: 5_000 }).toBe(0);
    const calls = await w.calls();
    expect(calls.filter((c) => c.type === "success")).toEqual([]);
    // okra-js's beforeClose comes first, then onClose; onEvent heard the person ask to close.
    const order = calls.filter((c) => c.type === "beforeClose" || c.type === "close").map((c) => c.type);
    expect(order).toEqual(["beforeClose", "close"]);
    expect(calls.some((c) => c.type === "event" && c.data?.event === "close_requested")).toBe(true);
  });

  it("fires onError and says the widget is not set up correctly when the key is wrong", async () => {
    const tenant = await world.newTenant();
    const w = track(await world.open(tenant, { flow: "err-invalid-key", credentials: { key: "pk_test_this_key_does_not_exist_0000000000" } }));
    const error = await w.waitForCall("error");
    expect(error.data).toMatchObject({ error: true, message: expect.any(String) });
    await expectAlert(w, "This widget is not set up correctly");
    await w.check("invalid-key");
    const sessions = await world.h.ctx.db.selectFrom("widget_sessions").select("id").where("company_id", "=", tenant.id).execute();
    expect(sessions).toEqual([]);
  });
});
