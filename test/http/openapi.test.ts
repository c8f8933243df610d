import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_PREFIXES } from "../../src/app.js";
import { ERROR_CODES } from "../../src/core/errors.js";
import { PAYMENT_REFUSAL_REASONS, refusal, type PaymentRefusalReason } from "../../src/payments/reasons.js";
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

  it("documents every route that is not hidden, with its method: at its own path, or as an alias of the operation it spells another way", () => {
    const missing: string[] = [];
    const visible = h.app.routeTable.filter((r) => !r.hidden);
    expect(visible.length).toBeGreaterThan(3);
    const aliased = new Set<string>();
    for (const [, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) for (const alias of op["x-okro-aliases"] ?? []) aliased.add(`${method} ${alias}`);
    }
    for (const route of visible) {
      const item = doc.paths?.[openApiPath(route.url)];
      // Fastify adds a HEAD route for every GET; the document lists the GET.
      const method = route.method === "HEAD" ? "get" : route.method.toLowerCase();
      if (!item?.[method] && !aliased.has(`${method} ${openApiPath(route.url)}`)) missing.push(`${route.method} ${route.url}`);
    }
    expect(missing).toEqual([]);
  });

  it("gives every operation a unique operationId, for a generated client", () => {
    const ids: string[] = [];
    for (const item of Object.values<Record<string, any>>(doc.paths)) for (const op of Object.values<any>(item)) ids.push(op.operationId);
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.filter((id) => typeof id !== "string" || !/^[a-z][A-Za-z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), "duplicate operationIds").toEqual([]);
    expect(doc.paths["/v2/pay/initiate"].post.operationId).toBe("payInitiate");
  });

  it("documents Okra's alias paths once: /v2/sandbox/…, /sandbox/v2/… and pay/get/Id are aliases of the canonical operation", () => {
    // A /sandbox/v2/… path is never documented: /v2/… is (/v2/sandbox/… can be a /v2 route's own path, `sandbox/customers/create`).
    expect(Object.keys(doc.paths).filter((path) => path.startsWith("/sandbox/v2/"))).toEqual([]);
    // …and a path is read with the prefix it was registered under: `/v2` + `/sandbox/customers/list` is not `/v2/customers/list`.
    expect(doc.paths["/v2/sandbox/customers/list"].post.tags).toEqual(["Sandbox"]);
    expect(doc.paths["/v2/customers/list"].post.tags).not.toEqual(["Sandbox"]);
    expect(doc.paths["/v2/sandbox/customers/list"].post["x-okro-aliases"]).toEqual(["/sandbox/v2/sandbox/customers/list", "/v2/sandbox/sandbox/customers/list"]);
    expect(doc.paths["/v2/pay/get/Id"]).toBeUndefined();
    expect(doc.paths["/v2/pay/get/"]).toBeUndefined();
    expect(doc.paths["/v2/pay/get"].post["x-okro-aliases"]).toContain("/v2/pay/get/");
    expect(doc.paths["/v2/pay/get/id"].post["x-okro-aliases"]).toEqual(
      ["/sandbox/v2/pay/get/Id", "/sandbox/v2/pay/get/id", "/v2/pay/get/Id", "/v2/sandbox/pay/get/Id", "/v2/sandbox/pay/get/id"],
    );
    expect(doc.paths["/v2/sandbox/customers/create"].post["x-okro-aliases"]).toContain("/v2/customers/create");
    expect(doc.paths["/v2/apps/list"].post["x-okro-aliases"]).toEqual(["/sandbox/v2/apps/list", "/v2/sandbox/apps/list"]);
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

  it("documents the closed list of data.reason values of payments refusals, each with its meaning", () => {
    const reasons = Object.keys(PAYMENT_REFUSAL_REASONS);
    expect(reasons.length).toBeGreaterThan(10);
    for (const reason of reasons) expect(doc.info.description).toContain(`- \`${reason}\`: ${PAYMENT_REFUSAL_REASONS[reason as PaymentRefusalReason]}`);
    // @ts-expect-error a reason outside the list does not compile (checked by tsc over test/)
    refusal("because");
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
