import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { CreateSessionResponse, LoginResponse } from "../../src/widget/protocol.js";
import { api, ApiError, BANK_STEP_TIMEOUT_MS, CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../../src/widget/ui/api.js";
import { BANK_CALL_TIMEOUT_MS } from "../../src/widget/session.js";
import { chromiumPath } from "../browser/chromium.js";
import { chooseAccounts, chooseBank, chooseMethod, consent, expectAlert, logIn, startWidgetWorld, waitForSuccess, type WidgetPage, type WidgetWorld } from "../browser/widget-harness.js";
import { BankGate } from "../banks/bank-gate.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * Review of issue 4's widget: defects found by driving the session API (and the app's request
 * helper) the way a slow bank and an impatient person do, each pinned by a test that failed
 * before its fix.
 */

const GTBANK = "5d6fe57a4099cc4b210bbeb3";

let h: Harness;
let widget: FastifyInstance;
const gate = new BankGate();
beforeAll(async () => {
  h = await createHarness({ wrapNetwork: (n) => gate.wrap(n) });
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

describe("a connect that outlasts the person's patience", () => {
  it("a second connect while the first still pulls says `connecting`, so the app keeps waiting instead of showing an error", async () => {
    const t = await h.newTenant("Slow Connect Co");
    const opened = await widget.inject({
      method: "POST",
      url: "/api/sessions",
      payload: { key: t.sandbox.public_key, env: "production-sandbox", products: ["auth", "balance", "transactions"] },
    });
    const s = expectSuccess<CreateSessionResponse>(opened);
    const post = (url: string, payload: object) => widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${s.session_token}` }, payload });
    const step = expectSuccess<LoginResponse>(await post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier: "okro_good", secret: "pass_good" }));
    if (step.step !== "accounts") throw new Error("okro_good logs straight in");
    const ids = step.accounts.map((a) => a.id);
    // The bank is slow: the first connect is still pulling when the "Try again" arrives.
    gate.hold("getBalance", "listTransactions", "getIdentity");
    try {
      const first = post("/api/connect", { account_ids: ids, consent: true });
      await gate.arrived();
      const again = expectError(await post("/api/connect", { account_ids: ids, consent: true }), 409, "CONFLICT");
      expect(again.data.reason).toBe("connecting");
      gate.release();
      expect(expectSuccess(await first).record_id).toMatch(/^[0-9a-f]{24}$/);
    } finally {
      gate.release();
    }
  });

  describe("the app's request helper", () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.unstubAllGlobals();
    });

    /** A server that answers `POST /api/connect` after `ms`, honouring the request's abort signal. */
    function slowServer(ms: number) {
      vi.stubGlobal("fetch", (_url: string, init: { signal: AbortSignal }) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(new Response(JSON.stringify({ status: "success", message: "ok", data: { record_id: "r" } }))), ms);
          init.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new DOMException("aborted", "AbortError"));
          });
        }),
      );
    }

    it("waits for a connect longer than for any other call", async () => {
      vi.useFakeTimers();
      slowServer(25_000);
      const ordinary = api("POST", "/api/login", {}).catch((e: unknown) => e);
      const connect = api("POST", "/api/connect", {}, "k", CONNECT_TIMEOUT_MS);
      await vi.advanceTimersByTimeAsync(25_000);
      const timedOut = await ordinary;
      expect(timedOut).toBeInstanceOf(ApiError);
      expect((timedOut as ApiError).failure).toEqual({ kind: "timeout" });
      await expect(connect).resolves.toEqual({ record_id: "r" });
      expect(CONNECT_TIMEOUT_MS).toBeGreaterThan(3 * REQUEST_TIMEOUT_MS);
    });

    it("waits for a login or code answer as long as the server waits on the bank (a start-login and an account list)", async () => {
      vi.useFakeTimers();
      slowServer(2 * BANK_CALL_TIMEOUT_MS);
      const login = api("POST", "/api/login", {}, "k", BANK_STEP_TIMEOUT_MS);
      await vi.advanceTimersByTimeAsync(2 * BANK_CALL_TIMEOUT_MS);
      await expect(login).resolves.toEqual({ record_id: "r" });
      expect(BANK_STEP_TIMEOUT_MS).toBeGreaterThan(2 * BANK_CALL_TIMEOUT_MS);
    });
  });
});

describe.skipIf(!chromiumPath)("the widget in Chromium (okra-js 2.1.1)", () => {
  let world: WidgetWorld;
  /** The sandbox's good internet-banking login at `bank`, up to the accounts chosen. */
  const logInAndChooseAccounts = async (w: WidgetPage, bank: string) => {
    await chooseBank(w, bank);
    await chooseMethod(w, bank, "Internet banking");
    await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
    await chooseAccounts(w);
  };
  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "balance", "identity"] });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("waits out a connect slower than 20 s and fires onSuccess, instead of saying the bank is taking too long", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = await world.open(tenant, { flow: "review-slow-connect", hold: ["/api/connect"] });
    try {
      await logInAndChooseAccounts(w, bank);
      await consent(w, tenant.name);
      // The link takes 21 s (two years of statements at a slow bank): held here, then let through.
      await w.reached("/api/connect");
      await new Promise((r) => setTimeout(r, 21_000));
      w.release("/api/connect");
      await waitForSuccess(w);
      expect((await w.waitForCall("success")).data).toMatchObject({ success: true });
      expect(w.apiLog.filter((l) => l.startsWith("POST /api/connect"))).toHaveLength(1);
    } finally {
      await w.close();
    }
  }, 90_000);

  it("after the bank login lapsed on the consent screen, Log in again goes back to the login and then connects", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = await world.open(tenant, { flow: "review-bank-session-lapsed" });
    try {
      await logInAndChooseAccounts(w, bank);
      await w.waitForScreen(`Share your data with ${tenant.name}`);
      // The bank's 30-minute session ends while the person reads the consent (the widget session,
      // on Okro's clock, is still alive).
      await world.h.ctx.sandbox.advanceClock(tenant.id, 31 * 60_000);
      await consent(w, tenant.name);
      await expectAlert(w, `Your ${bank} login has timed out`);
      await w.frame.getByRole("button", { name: "Log in again" }).click();
      await logIn(w, bank, { identifier: "okro_good", secret: "pass_good" });
      await chooseAccounts(w);
      await consent(w, tenant.name);
      await waitForSuccess(w);
      expect((await w.waitForCall("success")).data).toMatchObject({ success: true });
    } finally {
      await w.close();
    }
  }, 90_000);

  it("full page: a redirect_url put on the link is not followed; only the app's own redirect is", async () => {
    const tenant = await world.newTenant();
    const bank = "Guaranty Trust Bank";
    const w = await world.openFullPage(`${world.widgetOrigin}/${tenant.shortUrl}?redirect_url=${encodeURIComponent("https://phish.example/next")}`, {
      flow: "review-redirect",
    });
    try {
      await logInAndChooseAccounts(w, bank);
      await consent(w, tenant.name);
      await waitForSuccess(w);
      const leaving = w.page.waitForRequest((r) => r.url().startsWith("https://phish.example"), { timeout: 3_000 }).then(
        (r) => r.url(),
        () => null,
      );
      await w.frame.getByRole("button", { name: "Done" }).click();
      await w.waitForScreen("All done");
      expect(await leaving).toBeNull();
    } finally {
      await w.close();
    }
    // The app's own redirect_url (dashboard) is where Done goes, with the outcome.
    const merchant = await world.newTenant();
    await world.h.ctx.db.updateTable("apps").set({ redirect_url: "https://merchant.example/linked" }).where("id", "=", merchant.sandbox.app_id).execute();
    const own = await world.openFullPage(`${world.widgetOrigin}/${merchant.shortUrl}?redirect_url=${encodeURIComponent("https://phish.example/next")}`, {
      flow: "review-redirect-app",
    });
    try {
      await logInAndChooseAccounts(own, bank);
      await consent(own, merchant.name);
      await waitForSuccess(own);
      const going = own.page.waitForRequest((r) => r.url().startsWith("https://"), { timeout: 5_000 });
      await own.frame.getByRole("button", { name: "Done" }).click();
      expect((await going).url()).toMatch(/^https:\/\/merchant\.example\/linked\?status=success&record_id=[0-9a-f]{24}&customer_id=[0-9a-f]{24}$/);
    } finally {
      await own.close();
    }
  });
});
