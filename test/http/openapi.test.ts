import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_PREFIXES } from "../../src/app.js";
import { ERROR_CODES } from "../../src/core/errors.js";
import { createHarness, type Harness } from "../harness.js";

let h: Harness;
let doc: any;
beforeAll(async () => {
  h = await createHarness();
  const res = await h.request({ method: "GET", url: "/v2/openapi.json" });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(() => h?.close());

/** Fastify's `/apps/:id` is OpenAPI's `/apps/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

describe("the OpenAPI document at /v2/openapi.json", () => {
  it("is served without a key as JSON", async () => {
    const res = await h.request({ method: "GET", url: "/v2/openapi.json" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("is OpenAPI 3.1", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it("validates against the OpenAPI 3.1 schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    if (!result.valid) console.error(JSON.stringify(result.errors, null, 2).slice(0, 5000));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("would be refused if broken (the validator is not a rubber stamp)", async () => {
    const broken = structuredClone(doc);
    delete broken.info;
    const firstPath = Object.keys(broken.paths)[0]!;
    broken.paths[firstPath].get = { responses: { "200": { description: 42 } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("documents every route that is not hidden, with its method", () => {
    const missing: string[] = [];
    const visible = h.app.routeTable.filter((r) => !r.hidden);
    expect(visible.length).toBeGreaterThan(3);
    for (const route of visible) {
      const item = doc.paths?.[openApiPath(route.url)];
      // Fastify adds a HEAD route for every GET; the document lists the GET.
      const method = route.method === "HEAD" ? "get" : route.method.toLowerCase();
      if (!item?.[method]) missing.push(`${route.method} ${route.url}`);
    }
    expect(missing).toEqual([]);
  });

  it("documents nothing that is not served", () => {
    const served = new Set(h.app.routeTable.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    const extra: string[] = [];
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths ?? {})) {
      for (const method of Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))) {
        if (!served.has(`${method} ${path}`)) extra.push(`${method} ${path}`);
      }
    }
    expect(extra).toEqual([]);
  });

  it("marks every API route as needing the secret key, and the sandbox-only ones as such", () => {
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      const prefix = API_PREFIXES.find(({ prefix: p }) => path.startsWith(`${p}/`));
      if (!prefix) continue;
      for (const operation of Object.values(item)) {
        expect(operation.security, path).toEqual([{ secretKey: [] }]);
        if (prefix.sandboxOnly) expect(operation.description, path).toMatch(/sandbox secret keys only/);
      }
    }
    expect(doc.components.securitySchemes.secretKey).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("lists every error code in the description", () => {
    for (const code of ERROR_CODES) expect(doc.info.description).toContain(`\`${code}\``);
  });
});

describe("/docs", () => {
  it("serves the Swagger UI reference as HTML", async () => {
    const res = await h.request({ method: "GET", url: "/docs" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger-ui/i);
  });

  it("serves the UI's assets", async () => {
    const res = await h.request({ method: "GET", url: "/docs/static/swagger-initializer.js" });
    expect(res.statusCode).toBe(200);
  });
});
