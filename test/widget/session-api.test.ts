import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggerOptions } from "../../src/core/logging.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { SESSIONS_PER_WINDOW } from "../../src/widget/api-routes.js";
import { buildWidgetApp } from "../../src/widget-app.js";
import type { BanksResponse, CreateSessionResponse } from "../../src/widget/protocol.js";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "../../src/widget/session.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget session API (protocol.ts) on the widget origin: opening a session from the okra-js
 * options, the bank list with health, session lifetime, bad input, and what reaches the logs.
 * The login → MFA → connect flows are in session-flow.test.ts.
 *
 * The API is mounted the way buildWidgetApp mounts it (request ids, the envelope error handler,
 * the API's own parsers), without the widget's static assets, which are built separately and are
 * covered by origin.test.ts.
 */
const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const ACCESS = "5d6fe57a4099cc4b210bbeb0";
const CITIBANK = "5d6fe57a4099cc4b210bbec1";
const UNION = "5d6fe57a4099cc4b210bbebc";
const FIRST_BANK = "5d6fe57a4099cc4b210bbeb5";
const LOTUS = "5d6fe57a4099cc4b210bbec6";
const GLOBUS = "5d6fe57a4099cc4b210bbec3";

let h: Harness;
let widget: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

const open = (app: FastifyInstance, payload: unknown) => app.inject({ method: "POST", url: "/api/sessions", payload: payload as object });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const sandboxOptions = (t: NewCompany, extra: Record<string, unknown> = {}) => ({
  key: t.sandbox.public_key,
  token: t.sandbox.token,
  app_id: t.sandbox.app_id,
  env: "production-sandbox",
  ...extra,
});
async function session(app: FastifyInstance, t: NewCompany, extra: Record<string, unknown> = {}): Promise<CreateSessionResponse> {
  return expectSuccess<CreateSessionResponse>(await open(app, sandboxOptions(t, extra)));
}
async function banks(app: FastifyInstance, token: string) {
  return expectSuccess<BanksResponse>(await app.inject({ method: "GET", url: "/api/banks", headers: auth(token) })).banks;
}

describe("POST /api/sessions", () => {
  it("is served on the widget origin itself, next to the widget app", async () => {
    const origin = await buildWidgetApp(h.ctx, { logger: false });
    try {
      const t = await h.newTenant("Origin Co");
      const s = expectSuccess<CreateSessionResponse>(await origin.inject({ method: "POST", url: "/api/sessions", payload: sandboxOptions(t) }));
      expect((await banks(origin, s.session_token)).length).toBeGreaterThan(0);
      expectError(await origin.inject({ method: "GET", url: "/api/banks" }), 401, "UNAUTHORIZED");
    } finally {
      await origin.close();
    }
  });

  it("opens a session from the okra-js options: key, token and app, bound to the app's branding and products", async () => {
    const t = await h.newTenant("Session Co");
    const res = await open(widget, {
      ...sandboxOptions(t),
      products: ["auth", "balance", "nonsense"],
      name: "Acme Lending",
      color: "#F0A",
      limit: 6,
      options: { loan_id: "L-1" },
      // What the loader adds: tolerated.
      source: "integration",
      hideCardOnExit: true,
      iframeData: true,
      withOptions: true,
    });
    expect(res.headers["cache-control"]).toBe("no-store");
    const s = expectSuccess<CreateSessionResponse>(res);
    expect(s.session_token).toMatch(/^wst_[A-Za-z0-9_-]{43}$/);
    expect(s.env).toBe("production-sandbox");
    expect(s.app_id).toBe(t.sandbox.app_id);
    expect(s.products).toEqual(["auth", "balance"]);
    expect(s.branding).toEqual({ name: "Acme Lending", logo: null, color: "#ff00aa" });
    expect(s.history_months).toBe(6);
    expect(s.consent_until).toBeNull();
    expect(s.returning).toBeNull();
    expect(s.sandbox_hint?.map((x) => x.username)).toContain("okro_otp");
    expect(Date.parse(s.expires_at) - h.clock.now().getTime()).toBe(SESSION_IDLE_MS);

    // Only the token's hash is stored, bound to company, env and app.
    const row = await h.ctx.db.selectFrom("widget_sessions").selectAll().where("company_id", "=", t.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ env: "sandbox", app_id: t.sandbox.app_id, step: "start" });
    expect(JSON.stringify(row)).not.toContain(s.session_token);
  });

  it("uses the environment's first app when no app_id is given, and the app's products and name by default", async () => {
    const t = await h.newTenant("Default App Co");
    await createApp(h.ctx.db, { companyId: t.id, env: "sandbox" }, { name: "Second app", products: ["balance"] }, new Date(h.clock.now().getTime() + 1000));
    const s = await session(widget, t, { app_id: undefined, token: undefined, name: "This Client" });
    expect(s.app_id).toBe(t.sandbox.app_id);
    expect(s.products).toEqual(["auth", "balance", "transactions", "identity", "income", "payments"]);
    expect(s.branding.name).toBe("Default App Co");
    expect(s.branding.color).toBe("#3ab795");
  });

  it("intersects the requested products with the app's, auth always on", async () => {
    const t = await h.newTenant("Narrow App Co");
    const app = await createApp(h.ctx.db, { companyId: t.id, env: "sandbox" }, { name: "Balance only", products: ["balance"] }, h.clock.now());
    const s = await session(widget, t, { app_id: app.id, products: ["identity", "balance"] });
    expect(s.products).toEqual(["auth", "balance"]);
    const none = await session(widget, t, { app_id: app.id, products: ["income"] });
    expect(none.products).toEqual(["auth"]);
  });

  it("opens a session from an app's short link (short_url or the loader's ref), whatever env the loader sent", async () => {
    const t = await h.newTenant("Short Link Co");
    const app = await createApp(h.ctx.db, { companyId: t.id, env: "production" }, { name: "Live link", color: "#123456" }, h.clock.now());
    const byShortUrl = expectSuccess<CreateSessionResponse>(await open(widget, { short_url: app.short_url }));
    expect(byShortUrl).toMatchObject({ env: "production", app_id: app.id, sandbox_hint: null, branding: { name: "Live link", color: "#123456" } });
    const byRef = expectSuccess<CreateSessionResponse>(await open(widget, { ref: app.short_url, withShortURL: true, env: "production-sandbox" }));
    expect(byRef.env).toBe("production");
    const unknown = expectError(await open(widget, { short_url: "nosuchlink" }), 404, "NOT_FOUND");
    expect(unknown.data).toMatchObject({ reason: "unknown_link", field: "short_url" });
  });

  it("refuses a missing, unknown, secret or other-environment key with 401 invalid_key and a clear message", async () => {
    const t = await h.newTenant("Bad Key Co");
    const cases: Array<[unknown, RegExp]> = [
      [{ env: "production-sandbox" }, /^key: missing/],
      [{ key: "pk_test_nope", env: "production-sandbox" }, /^key: unknown, revoked or expired/],
      [{ key: `${t.sandbox.public_key.slice(0, -2)}zz`, env: "production-sandbox" }, /^key: unknown/],
      [{ key: t.sandbox.secret_key, env: "production-sandbox" }, /secret key, which must never be put in a web page/],
      [{ key: t.sandbox.public_key, env: "production" }, /sandbox public key but the widget was opened with env production/],
      [{ key: t.production.public_key, env: "production-sandbox" }, /production public key/],
    ];
    for (const [body, message] of cases) {
      const err = expectError(await open(widget, body), 401, "UNAUTHORIZED");
      expect(err.message).toMatch(message);
      expect(err.data.reason).toBe("invalid_key");
    }
  });

  it("refuses a token or app of another company or environment", async () => {
    const t = await h.newTenant("Token Co");
    const other = await h.newTenant("Other Token Co");
    const wrongToken = [other.sandbox.token, t.production.token, "nope"];
    for (const token of wrongToken) {
      const err = expectError(await open(widget, sandboxOptions(t, { token })), 401, "UNAUTHORIZED");
      expect(err.message).toMatch(/^token: does not belong/);
      expect(err.data).toMatchObject({ reason: "invalid_key", field: "token" });
    }
    for (const app_id of [other.sandbox.app_id, t.production.app_id, "not-an-id"]) {
      const err = expectError(await open(widget, sandboxOptions(t, { app_id })), 401, "UNAUTHORIZED");
      expect(err.message).toMatch(/^app_id: no such app/);
      expect(err.data.reason).toBe("invalid_key");
    }
    // A production key with its own token and app is fine.
    const live = expectSuccess<CreateSessionResponse>(
      await open(widget, { key: t.production.public_key, token: t.production.token, app_id: t.production.app_id, env: "production" }),
    );
    expect(live).toMatchObject({ env: "production", sandbox_hint: null });
  });

  it("answers bad input with 400 naming the field, never 500", async () => {
    const t = await h.newTenant("Bad Input Co");
    const cases: Array<[unknown, string]> = [
      [{ ...sandboxOptions(t), products: "balance" }, "products"],
      [{ ...sandboxOptions(t), limit: 36 }, "limit"],
      [{ ...sandboxOptions(t), limit: "six" }, "limit"],
      [{ ...sandboxOptions(t), env: "staging" }, "env"],
      [{ ...sandboxOptions(t), customer: "someone" }, "customer"],
      [{ ...sandboxOptions(t), options: [1, 2] }, "options"],
      [{ ...sandboxOptions(t), isCorporate: "maybe" }, "isCorporate"],
      [{ ...sandboxOptions(t), key: 42 }, "key"],
    ];
    for (const [body, field] of cases) {
      const res = await open(widget, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().message).toMatch(new RegExp(`^${field}: `));
    }
    expectError(await widget.inject({ method: "POST", url: "/api/sessions", headers: { "content-type": "application/json" }, payload: "{" }), 400, "INVALID_BODY");
    expectError(await widget.inject({ method: "POST", url: "/api/sessions", headers: { "content-type": "application/json" }, payload: "[]" }), 400, "INVALID_BODY");
    // Cosmetic options the widget cannot use fall back to the app's instead of failing.
    const s = await session(widget, t, { color: "red", logo: "javascript:alert(1)", limit: "12" });
    expect(s.branding).toMatchObject({ color: "#3ab795", logo: null });
    expect(s.history_months).toBe(12);
  });
});

describe("rate limits", () => {
  it("bounds sessions per address and merchant (a public key cannot scan customers in bulk); another merchant is unaffected", async () => {
    const t = await h.newTenant("Busy Checkout Co");
    const other = await h.newTenant("Quiet Checkout Co");
    for (let i = 0; i < SESSIONS_PER_WINDOW; i++) expectSuccess(await open(widget, sandboxOptions(t, { customer: { bvn: `2${String(i).padStart(10, "0")}` } })));
    const refused = expectError(await open(widget, sandboxOptions(t)), 429, "RATE_LIMIT_EXCEEDED");
    expect(refused.message).toMatch(/Too many tries from this address/);
    expectSuccess(await open(widget, sandboxOptions(other)));
  });
});

describe("session lifetime", () => {
  it("expires after 30 minutes without use, is extended by use, and never outlives 2 hours", async () => {
    const clock = new ManualClock(new Date("2025-03-03T10:00:00Z"));
    const th = await createHarness({ clock });
    const w = await buildWidgetApi(th.ctx);
    try {
      const t = await th.newTenant("Expiry Co");
      const idle = await session(w, t);
      const busy = await session(w, t);
      for (let i = 0; i < 5; i++) {
        clock.advance(25 * 60_000);
        if (i === 0) expect((await banks(w, idle.session_token)).length).toBeGreaterThan(0);
        const start = Date.parse("2025-03-03T10:00:00Z");
        if (clock.now().getTime() - start < SESSION_MAX_MS) {
          const res = await w.inject({ method: "GET", url: "/api/banks", headers: auth(busy.session_token) });
          expect(res.statusCode).toBe(200);
          // Extended by each use, up to the cap; the widget learns the deadline from the header.
          const deadline = Math.min(clock.now().getTime() + SESSION_IDLE_MS, start + SESSION_MAX_MS);
          expect(res.headers["x-session-expires-at"]).toBe(new Date(deadline).toISOString());
        }
      }
      // idle: used at 10:25, then nothing for over 30 minutes.
      const expired = expectError(await w.inject({ method: "GET", url: "/api/banks", headers: auth(idle.session_token) }), 401, "UNAUTHORIZED");
      expect(expired.data.reason).toBe("session_expired");
      // busy: used every 25 minutes, but 12:05 is past the 2-hour cap.
      expect(clock.now().toISOString()).toBe("2025-03-03T12:05:00.000Z");
      expectError(await w.inject({ method: "GET", url: "/api/banks", headers: auth(busy.session_token) }), 401, "UNAUTHORIZED");
    } finally {
      await w.close();
      await th.close();
    }
  });

  it("answers an unknown, missing or malformed session token with 401 session_expired, before reading the body", async () => {
    for (const headers of [{}, auth("wst_nope"), { authorization: "Bearer" }, auth("x".repeat(500))]) {
      const res = await widget.inject({ method: "POST", url: "/api/login", headers, payload: { bogus: true } });
      expect(expectError(res, 401, "UNAUTHORIZED").data.reason).toBe("session_expired");
    }
  });
});

describe("GET /api/banks", () => {
  it("lists the sandbox banks with login methods, colours and health", async () => {
    const t = await h.newTenant("Bank List Co");
    const s = await session(widget, t, { products: ["auth"] });
    const list = await banks(widget, s.session_token);
    expect(list.length).toBe(35);
    // The session already brought the same list, so the first screen needs no second request.
    expect(s.banks).toEqual(list);
    // The app's products by default (every product): income is derived from transactions and
    // payments belong to the payment flows, so only the two banks without identity data drop out.
    const all = await banks(widget, (await session(widget, t)).session_token);
    expect(all.length).toBe(33);
    expect(all.map((b) => b.id)).toContain(CITIBANK);
    const identity = await banks(widget, (await session(widget, t, { products: ["identity"] })).session_token);
    expect(identity.map((b) => b.id)).toEqual(all.map((b) => b.id));
    const gtb = list.find((b) => b.id === GTBANK)!;
    expect(gtb).toMatchObject({ name: "Guaranty Trust Bank", slug: "guaranty-trust-bank", color: "#dd4f05", health: "healthy", health_message: null });
    expect(gtb.login_methods.map((m) => m.method)).toEqual(["internet_banking", "mobile_banking", "account_number"]);
    // What people call it comes with it (the search matches it), and the most used banks lead the list.
    expect(gtb.aliases).toEqual(["GTBank", "GTCO"]);
    expect(list.slice(0, 5).map((b) => b.slug)).toEqual(["access-bank", "guaranty-trust-bank", "zenith-bank", "first-bank-of-nigeria", "united-bank-for-africa"]);
    expect(gtb.login_methods[0]).toEqual({ method: "internet_banking", label: "Internet banking", identifier_label: "Username", secret_label: "Password" });
  });

  it("filters by the app's bank filter, the options' filter.banks, the products and corporate banking", async () => {
    const t = await h.newTenant("Bank Filter Co");
    const filtered = await createApp(
      h.ctx.db,
      { companyId: t.id, env: "sandbox" },
      { name: "Filtered", bank_filter: ["guaranty-trust-bank", "access-bank", "citibank-nigeria", "lotus-bank", "globus-bank"] },
      h.clock.now(),
    );
    const ids = async (extra: Record<string, unknown>) =>
      (await banks(widget, (await session(widget, t, { app_id: filtered.id, products: ["auth"], ...extra })).session_token)).map((b) => b.id).sort();
    expect(await ids({})).toEqual([ACCESS, CITIBANK, GLOBUS, GTBANK, LOTUS].sort());
    expect(await ids({ filter: { banks: ["access-bank", "zenith-bank"] } })).toEqual([ACCESS]);
    // Payments do not narrow the account-data flow; income needs only transactions (Okro derives it).
    expect(await ids({ products: ["payments"] })).toEqual([ACCESS, CITIBANK, GLOBUS, GTBANK, LOTUS].sort());
    expect(await ids({ products: ["income"] })).toEqual([ACCESS, CITIBANK, GLOBUS, GTBANK, LOTUS].sort());
    expect(await ids({ isCorporate: true })).toEqual([ACCESS, CITIBANK, GTBANK].sort());
    expect(await ids({ account_type: "individual" })).toEqual([ACCESS, GLOBUS, GTBANK, LOTUS].sort());
  });

  it("lists no banks in production: no real bank is reachable yet", async () => {
    const t = await h.newTenant("Live Banks Co");
    const s = expectSuccess<CreateSessionResponse>(await open(widget, { key: t.production.public_key, env: "production" }));
    expect(await banks(widget, s.session_token)).toEqual([]);
  });

  it("shows a bank down or degraded from this company's sandbox faults only", async () => {
    const t = await h.newTenant("Faulty Co");
    const other = await h.newTenant("Healthy Co");
    const now = Date.parse((await h.ctx.sandbox.getClock(t.id)).now);
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { down: true });
    await h.ctx.sandbox.setFaults(t.id, ACCESS, { errorRate: 0.3 });
    await h.ctx.sandbox.setFaults(t.id, CITIBANK, {
      downtime: [{ from: new Date(now - 60_000).toISOString(), to: new Date(now + 90 * 60_000).toISOString() }],
    });
    await h.ctx.sandbox.setFaults(t.id, LOTUS, { latencyMs: 3000 });
    // Faults limited to payment operations do not concern the widget.
    await h.ctx.sandbox.setFaults(t.id, GLOBUS, { down: true, operations: ["debit"] });
    const list = await banks(widget, (await session(widget, t, { products: ["auth"] })).session_token);
    const health = (id: string) => list.find((b) => b.id === id)!;
    expect(health(GTBANK)).toMatchObject({ health: "down", health_message: expect.stringMatching(/Guaranty Trust Bank is down/) });
    expect(health(ACCESS)).toMatchObject({ health: "degraded", health_message: expect.stringMatching(/failing some requests/) });
    const until = new Date(now + 90 * 60_000 + 3_600_000).toISOString().slice(11, 16);
    expect(health(CITIBANK)).toMatchObject({ health: "down", health_message: expect.stringContaining(`until ${until} WAT`) });
    expect(health(LOTUS).health).toBe("degraded");
    expect(health(GLOBUS).health).toBe("healthy");

    const theirs = await banks(widget, (await session(widget, other, { products: ["auth"] })).session_token);
    for (const id of [GTBANK, ACCESS, CITIBANK, LOTUS, GLOBUS]) expect(theirs.find((b) => b.id === id)!.health).toBe("healthy");
  });

  it("shows Union Bank down during its nightly window (01:00–02:00 WAT) on the company's sandbox clock", async () => {
    const t = await h.newTenant("Night Owl Co");
    const now = new Date((await h.ctx.sandbox.getClock(t.id)).now);
    // The next 01:30 Lagos time (00:30 UTC).
    const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 0, 30));
    if (target.getTime() <= now.getTime()) target.setUTCDate(target.getUTCDate() + 1);
    await h.ctx.sandbox.advanceClock(t.id, target.getTime() - now.getTime());
    const union = (await banks(widget, (await session(widget, t)).session_token)).find((b) => b.id === UNION)!;
    expect(union.health).toBe("down");
    expect(union.health_message).toMatch(/Union Bank of Nigeria is down for maintenance until 02:00 WAT/);

    const later = await h.newTenant("Day Co");
    const day = (await banks(widget, (await session(widget, later)).session_token)).find((b) => b.id === UNION)!;
    const lagosHour = (new Date((await h.ctx.sandbox.getClock(later.id)).now).getUTCHours() + 1) % 24;
    expect(day.health).toBe(lagosHour === 1 ? "down" : "healthy");
  });

  it("shows a bank that is slow by habit as degraded when sandbox latency is real", async () => {
    const slow = await createHarness({ config: { sandboxBank: { ...h.ctx.config.sandboxBank, latencyScale: 1 } } });
    const w = await buildWidgetApi(slow.ctx);
    try {
      const t = await slow.newTenant("Slow Co");
      const list = await banks(w, (await session(w, t)).session_token);
      expect(list.find((b) => b.id === FIRST_BANK)).toMatchObject({ health: "degraded", health_message: expect.stringMatching(/often slow/) });
      expect(list.find((b) => b.id === GTBANK)!.health).toBe("healthy");
    } finally {
      await w.close();
      await slow.close();
    }
  });
});

describe("logs", () => {
  it("never contain the credentials, answers or session tokens the widget sends", async () => {
    const lines: string[] = [];
    const logger = pino({ ...loggerOptions("trace") }, { write: (line: string) => void lines.push(line) });
    const app = await buildWidgetApi(h.ctx, logger);
    try {
      const t = await h.newTenant("Quiet Co");
      const secrets = [t.sandbox.public_key, t.sandbox.token];
      const secret = (label: string) => {
        const value = `${label}-${randomUUID()}`;
        secrets.push(value);
        return value;
      };
      const s = expectSuccess<CreateSessionResponse>(await app.inject({ method: "POST", url: "/api/sessions", payload: sandboxOptions(t) }));
      secrets.push(s.session_token);
      const post = (url: string, payload: unknown) => app.inject({ method: "POST", url, headers: auth(s.session_token), payload: payload as object });
      // Refused by the bank, refused by validation, and a real MFA login with wrong answers.
      await post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier: secret("user"), secret: secret("password") });
      await post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier: secret("user2"), secret: secret("pw2"), extra: secret("x") });
      await post("/api/login", { bank_id: "nope", method: "internet_banking", identifier: secret("user3"), secret: secret("pw3") });
      const otp = await post("/api/login", { bank_id: GTBANK, method: "internet_banking", identifier: "okro_otp", secret: "pass_good" });
      expect(otp.json().data.step).toBe("mfa");
      await post("/api/mfa", { answer: secret("otp") });
      await post("/api/mfa", { answer: secret("otp2"), more: 1 });
      await app.inject({ method: "POST", url: "/api/login", headers: { ...auth(s.session_token), "content-type": "application/json" }, payload: `{"secret":"${secret("broken")}"` });
      await app.inject({ method: "GET", url: `/api/banks?token=${secret("query")}`, headers: auth(s.session_token) });

      const text = lines.join("");
      expect(lines.length).toBeGreaterThan(10);
      for (const value of secrets) expect(text, `log output contains ${value}`).not.toContain(value);
      expect(text).not.toContain("pass_good");
    } finally {
      await app.close();
    }
  });
});
