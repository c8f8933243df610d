import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import type { AppContext } from "../../src/context.js";
import { openDatabase, type DatabaseHandle } from "../../src/db/index.js";
import { migrations } from "../../src/db/migrations/index.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";

let h: Harness;
let tenant: NewCompany;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("Ops Co");
});
afterAll(() => h?.close());

describe("/health", () => {
  it("answers 200 {status: ok} without a key", async () => {
    const res = await h.request({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect(res.headers["x-request-id"]).toBeTruthy();
  });
});

describe("/ready", () => {
  it("answers 200 when the database answers and every migration is applied", async () => {
    const res = await h.request({ method: "GET", url: "/ready" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready", database: "ok", migrations: { pending: [] } });
  });

  describe("on a database that is not ready", () => {
    let handle: DatabaseHandle;
    let ctx: AppContext;
    beforeAll(async () => {
      // A fresh, never-migrated embedded database.
      handle = await openDatabase({});
      ctx = { ...h.ctx, db: handle.db, dbKind: handle.kind };
    });
    afterAll(() => handle?.close());

    it("answers 503 not_ready naming every pending migration", async () => {
      const app = await buildApp(ctx, { logger: false });
      try {
        const res = await app.inject({ method: "GET", url: "/ready" });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({ status: "not_ready", database: "ok", migrations: { pending: Object.keys(migrations) } });
        expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    });

    it("answers 503 unreachable when the database is gone, while /health stays 200", async () => {
      // Nothing listens on port 1: every query fails to connect.
      const gone = await openDatabase({ databaseUrl: "postgres://okro@127.0.0.1:1/okro", poolSize: 1 });
      const app = await buildApp({ ...ctx, db: gone.db, dbKind: gone.kind }, { logger: false });
      try {
        const res = await app.inject({ method: "GET", url: "/ready" });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ status: "not_ready", database: "unreachable" });
        expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
      } finally {
        await app.close();
        await gone.close();
      }
    });
  });
});

describe("/metrics", () => {
  it("is Prometheus text with request counts labelled by route pattern, method and status", async () => {
    await h.request({ method: "GET", url: "/v2/banks/list?limit=2", headers: bearer(tenant.sandbox.secret_key) });
    await h.request({ method: "GET", url: "/v2/banks/list?limit=3", headers: bearer(tenant.sandbox.secret_key) });
    await h.request({ method: "GET", url: "/v2/banks/getById?id=5d6fe57a4099cc4b210bbeb3", headers: bearer(tenant.sandbox.secret_key) });
    await h.request({ method: "GET", url: "/v2/banks/list" });
    await h.request({ method: "GET", url: "/v2/nowhere/5d6fe57a4099cc4b210bbeb3" });

    const res = await h.request({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain("# TYPE okro_http_requests_total counter");
    const count = (labels: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`okro_http_requests_total{${labels}}`));
      return line ? Number(line.split(" ").pop()) : 0;
    };
    expect(count('method="GET",route="/v2/banks/list",status="200"')).toBeGreaterThanOrEqual(2);
    expect(count('method="GET",route="/v2/banks/getById",status="200"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="/v2/banks/list",status="401"')).toBeGreaterThanOrEqual(1);
    // Unknown URLs share one label: raw URLs (ids, query strings) never become labels.
    expect(count('method="GET",route="unmatched",status="404"')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("5d6fe57a4099cc4b210bbeb3");
    expect(text).not.toContain("limit=");
    expect(text).toContain("okro_http_request_duration_seconds_bucket");
    expect(text).toMatch(/^okro_process_cpu_user_seconds_total /m);
  });

  it("counts what it has answered, so the number grows", async () => {
    const read = async () => {
      const text = (await h.request({ method: "GET", url: "/metrics" })).body;
      const line = text.split("\n").find((l) => l.startsWith('okro_http_requests_total{method="GET",route="/health",status="200"}'));
      return line ? Number(line.split(" ").pop()) : 0;
    };
    const before = await read();
    await h.request({ method: "GET", url: "/health" });
    await h.request({ method: "GET", url: "/health" });
    expect(await read()).toBe(before + 2);
  });
});

describe("GET /v2 (the banner's API URL)", () => {
  it("answers an index without a key: JSON in the envelope by default, linking the docs and the OpenAPI document", async () => {
    for (const url of ["/v2", "/v2/"]) {
      const res = await h.request({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.json()).toMatchObject({ status: "success", data: { docs: "/docs", openapi: "/v2/openapi.json" } });
    }
    // The links it gives work.
    expect((await h.request({ method: "GET", url: "/v2/openapi.json" })).json()).toMatchObject({ openapi: "3.1.0" });
    expect((await h.request({ method: "GET", url: "/docs/" })).statusCode).toBe(200);
  });

  it("answers a small page with the same links when a browser asks for HTML", async () => {
    const res = await h.request({
      method: "GET",
      url: "/v2",
      headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain('href="/docs"');
    expect(res.body).toContain('href="/v2/openapi.json"');
    // An SDK or curl asking for JSON (or anything) still gets JSON.
    const json = await h.request({ method: "GET", url: "/v2/", headers: { accept: "application/json, text/html" } });
    expect(json.json()).toMatchObject({ status: "success" });
  });

  it("is only the index: the API's routes under /v2 still want a key", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list" });
    expect(res.statusCode).toBe(401);
    const keyed = await h.request({ method: "GET", url: "/v2", headers: bearer(tenant.sandbox.secret_key) });
    expect(keyed.statusCode).toBe(200);
  });
});
