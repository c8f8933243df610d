import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { issueKey } from "../../src/platform/keys.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError } from "./envelope-assertions.js";

/**
 * Per-key rate limits, counted in the database so every API process shares the count. Each test
 * uses a fresh tenant (its keys are fresh buckets) and its own clock, so windows move only here.
 */
const MAX = 3;
const WINDOW_MS = 60_000;

const clock = new ManualClock(new Date("2026-03-02T10:00:05Z"));
let h: Harness;
let twin: Harness;
beforeAll(async () => {
  const options = { clock, config: { rateLimit: { max: MAX, windowMs: WINDOW_MS } } };
  h = await createHarness(options);
  // A second app instance on the same database: what a second API process is.
  twin = await createHarness(options);
});
afterAll(async () => {
  await h?.close();
  await twin?.close();
});

type H = Harness;
const list = (app: H, key: string) => app.request({ method: "GET", url: "/v2/banks/list?limit=1", headers: bearer(key) });

function expectRateHeaders(res: Awaited<ReturnType<typeof list>>, remaining: number) {
  expect(res.headers["ratelimit-limit"]).toBe(String(MAX));
  expect(res.headers["ratelimit-remaining"]).toBe(String(remaining));
  const reset = Number(res.headers["ratelimit-reset"]);
  expect(Number.isInteger(reset)).toBe(true);
  expect(reset).toBeGreaterThan(0);
  expect(reset).toBeLessThanOrEqual(WINDOW_MS / 1000);
}

describe("per-key rate limit", () => {
  let tenant: NewCompany;
  beforeAll(async () => {
    tenant = await h.newTenant("Rate Co");
  });

  it(`refuses the ${MAX + 1}th request in a window with 429 RATE_LIMIT_EXCEEDED, Retry-After and RateLimit headers`, async () => {
    const key = tenant.sandbox.secret_key;
    for (let i = 1; i <= MAX; i++) {
      const res = await list(h, key);
      expect(res.statusCode, res.body).toBe(200);
      expectRateHeaders(res, MAX - i);
    }
    const refused = await list(h, key);
    const { message } = expectError(refused, 429, "RATE_LIMIT_EXCEEDED");
    expect(message).toMatch(new RegExp(`${MAX} requests per 1 minute`));
    expectRateHeaders(refused, 0);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    // Every prefix and every route share the key's count.
    expectError(await h.request({ method: "POST", url: "/sandbox/v2/banks/list", headers: bearer(key), payload: {} }), 429, "RATE_LIMIT_EXCEEDED");
  });

  it("puts the RateLimit headers on error responses too (a 400 still counts)", async () => {
    const fresh = await h.newTenant("Rate Co 400");
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: bearer(fresh.sandbox.secret_key), payload: {} });
    expectError(res, 400, "MISSING_FIELDS");
    expectRateHeaders(res, MAX - 1);
  });

  it("counts requests whose body cannot even be parsed, and limits them too", async () => {
    const fresh = await h.newTenant("Rate Co bad JSON");
    const bad = () =>
      h.request({
        method: "POST",
        url: "/v2/banks/getById",
        headers: { ...bearer(fresh.sandbox.secret_key), "content-type": "application/json" },
        payload: "{bad",
      });
    for (let i = 1; i <= MAX; i++) {
      const res = await bad();
      expectError(res, 400, "INVALID_BODY");
      expectRateHeaders(res, MAX - i);
    }
    expectError(await bad(), 429, "RATE_LIMIT_EXCEEDED");
  });

  it("counts another key of the same company separately", async () => {
    const fresh = await h.newTenant("Rate Co keys");
    const second = await issueKey(h.ctx.db, fresh.id, "sandbox", "secret", clock.now());
    for (let i = 0; i < MAX; i++) expect((await list(h, fresh.sandbox.secret_key)).statusCode).toBe(200);
    expect((await list(h, fresh.sandbox.secret_key)).statusCode).toBe(429);
    const other = await list(h, second.key);
    expect(other.statusCode).toBe(200);
    expectRateHeaders(other, MAX - 1);
    expect((await list(h, fresh.production.secret_key)).statusCode).toBe(200);
  });

  it("does not count refused authentication against the key's company", async () => {
    const fresh = await h.newTenant("Rate Co auth");
    for (let i = 0; i < MAX + 2; i++) expect((await list(h, `${fresh.sandbox.secret_key}x`)).statusCode).toBe(401);
    expectRateHeaders(await list(h, fresh.sandbox.secret_key), MAX - 1);
  });

  it("starts a new count when the window has passed", async () => {
    const fresh = await h.newTenant("Rate Co window");
    const key = fresh.sandbox.secret_key;
    for (let i = 0; i < MAX; i++) expect((await list(h, key)).statusCode).toBe(200);
    const refused = await list(h, key);
    expect(refused.statusCode).toBe(429);
    const retryAfterMs = Number(refused.headers["retry-after"]) * 1000;
    clock.advance(retryAfterMs - 1000);
    expect((await list(h, key)).statusCode).toBe(429);
    clock.advance(1000);
    const again = await list(h, key);
    expect(again.statusCode, again.body).toBe(200);
    expectRateHeaders(again, MAX - 1);
  });

  it("is shared by two app instances on the same database (the count lives in the database)", async () => {
    const fresh = await h.newTenant("Rate Co shared");
    const key = fresh.sandbox.secret_key;
    expectRateHeaders(await list(h, key), MAX - 1);
    expectRateHeaders(await list(twin, key), MAX - 2);
    expectRateHeaders(await list(h, key), MAX - 3);
    expectError(await list(twin, key), 429, "RATE_LIMIT_EXCEEDED");
    expectError(await list(h, key), 429, "RATE_LIMIT_EXCEEDED");
  });

  it("counts concurrent requests exactly (no lost updates)", async () => {
    const fresh = await h.newTenant("Rate Co burst");
    const answers = await Promise.all(Array.from({ length: MAX + 5 }, (_, i) => list(i % 2 ? h : twin, fresh.sandbox.secret_key)));
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it("leaves unauthenticated operations routes unlimited", async () => {
    for (let i = 0; i < MAX + 2; i++) {
      const res = await h.request({ method: "GET", url: "/health" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["ratelimit-limit"]).toBeUndefined();
    }
  });
});
