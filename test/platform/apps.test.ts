import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../../src/core/errors.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { signedUp } from "./dashboard-client.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const GTB = "guaranty-trust-bank";
const FCMB = "first-city-monument-bank";

let h: Harness;
let tenant: NewCompany;
let stranger: NewCompany;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("Apps Co");
  stranger = await h.newTenant("Stranger Co");
});
afterAll(() => h?.close());

/** A /v2 call with a secret key; `headers` adds e.g. an Idempotency-Key. */
const api = (key: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  h.request({ method: "POST", url: `/v2${path}`, headers: { ...bearer(key), ...headers }, payload: body as object });

const countApps = async (companyId: string, name: string) =>
  (await h.ctx.db.selectFrom("apps").select("id").where("company_id", "=", companyId).where("name", "=", name).execute()).length;

describe("/v2/apps with a secret key", () => {
  it("creates, lists, gets, updates and deletes an app in the key's environment", async () => {
    const key = tenant.sandbox.secret_key;
    const created = expectSuccess(
      await api(key, "/apps/create", {
        name: "Checkout widget",
        products: ["transactions", "balance", "balance"],
        color: "#FFAA00",
        logo: "https://cdn.example.com/logo.png",
        bank_filter: [GTB, FCMB, GTB],
        callback_url: "https://api.example.com/okra/webhook",
        redirect_url: "http://localhost:3000/done",
      }),
    ).app;
    expect(created).toMatchObject({
      name: "Checkout widget",
      env: "production-sandbox",
      owner: tenant.id,
      products: ["auth", "balance", "transactions"],
      color: "#FFAA00",
      logo: "https://cdn.example.com/logo.png",
      bank_filter: [GTB, FCMB],
      callback_url: "https://api.example.com/okra/webhook",
      redirect_url: "http://localhost:3000/done",
    });
    expect(created._id).toMatch(/^[0-9a-f]{24}$/);
    expect(created.id).toBe(created._id);
    expect(created.app_id).toBe(created._id);
    expect(created.created_at).toMatch(ISO);
    expect(created.last_updated).toMatch(ISO);

    const listed = expectSuccess(await api(key, "/apps/list", {}));
    expect(listed.apps.map((a: { id: string }) => a.id)).toContain(created.id);
    expect(listed.pagination).toMatchObject({ page: 1, limit: 20, totalDocs: listed.apps.length });

    expect(expectSuccess(await api(key, "/apps/get", { id: created.id })).app).toEqual(created);

    const updated = expectSuccess(await api(key, "/apps/update", { id: created.id, name: "Renamed", logo: null, bank_filter: [] })).app;
    expect(updated).toMatchObject({ id: created.id, name: "Renamed", logo: null, bank_filter: [], color: "#FFAA00", products: created.products });

    expect(expectSuccess(await api(key, "/apps/delete", { id: created.id })).app.id).toBe(created.id);
    expectError(await api(key, "/apps/get", { id: created.id }), 404, "NOT_FOUND");
    expectError(await api(key, "/apps/delete", { id: created.id }), 404, "NOT_FOUND");
  });

  it("defaults to every product and Okra's colour, and always includes auth", async () => {
    const app = expectSuccess(await api(tenant.production.secret_key, "/apps/create", { name: "Defaults" })).app;
    expect(app).toMatchObject({ env: "production", products: ["auth", "balance", "transactions", "identity", "income", "payments"], color: "#3AB795" });
    expect(app).toMatchObject({ logo: null, bank_filter: [], callback_url: null, redirect_url: null });
    const onlyAuth = expectSuccess(await api(tenant.production.secret_key, "/apps/create", { name: "Auth only", products: [] })).app;
    expect(onlyAuth.products).toEqual(["auth"]);
  });

  it("pages the list with page and limit", async () => {
    const company = await h.newTenant("Paging Co");
    // createCompany made one app per environment; add four more.
    for (let i = 0; i < 4; i++) expectSuccess(await api(company.sandbox.secret_key, "/apps/create", { name: `App ${i}` }));
    const first = expectSuccess(await api(company.sandbox.secret_key, "/apps/list", { page: 1, limit: 2 }));
    expect(first.apps).toHaveLength(2);
    expect(first.pagination).toMatchObject({ totalDocs: 5, limit: 2, page: 1, totalPages: 3, hasNextPage: true, nextPage: 2, hasPrevPage: false });
    const last = expectSuccess(await api(company.sandbox.secret_key, "/apps/list", { page: 3, limit: 2 }));
    expect(last.apps).toHaveLength(1);
    const ids = new Set([...first.apps, ...expectSuccess(await api(company.sandbox.secret_key, "/apps/list", { page: 2, limit: 2 })).apps, ...last.apps].map((a) => a.id));
    expect(ids.size).toBe(5);
    // The production environment's list is separate.
    expect(expectSuccess(await api(company.production.secret_key, "/apps/list", {})).pagination.totalDocs).toBe(1);
    expect(expectError(await api(company.sandbox.secret_key, "/apps/list", { limit: 1000 }), 400, "INVALID_FIELD").message).toMatch(/^limit: /);
  });

  it("orders the list newest first", async () => {
    const clock = new ManualClock(new Date("2026-03-04T08:00:00Z"));
    const timed = await createHarness({ clock });
    try {
      const company = await timed.newTenant("Ordered Co");
      const names = ["first", "second", "third"];
      for (const name of names) {
        clock.advance(1000);
        await timed.request({ method: "POST", url: "/v2/apps/create", headers: bearer(company.sandbox.secret_key), payload: { name } });
      }
      const res = await timed.request({ method: "POST", url: "/v2/apps/list", headers: bearer(company.sandbox.secret_key), payload: { limit: 3 } });
      expect(res.json().data.apps.map((a: { name: string }) => a.name)).toEqual(["third", "second", "first"]);
    } finally {
      await timed.close();
    }
  });

  it("answers another company's app, and the other environment's, with 404 exactly like a missing one — and changes nothing", async () => {
    const app = expectSuccess(await api(tenant.sandbox.secret_key, "/apps/create", { name: "Private" })).app;
    const missing = await api(tenant.sandbox.secret_key, "/apps/get", { id: "0".repeat(24) });
    const shape = (res: typeof missing) => ({ status: res.statusCode, ...res.json(), data: { ...res.json().data, request_id: null } });
    for (const key of [stranger.sandbox.secret_key, stranger.production.secret_key, tenant.production.secret_key]) {
      expect(shape(await api(key, "/apps/get", { id: app.id }))).toEqual(shape(missing));
      expectError(await api(key, "/apps/update", { id: app.id, name: "Hijacked" }), 404, "NOT_FOUND");
      expectError(await api(key, "/apps/delete", { id: app.id }), 404, "NOT_FOUND");
      const listed = expectSuccess(await api(key, "/apps/list", { limit: 100 }));
      expect(listed.apps.map((a: { id: string }) => a.id)).not.toContain(app.id);
    }
    expect(expectSuccess(await api(tenant.sandbox.secret_key, "/apps/get", { id: app.id })).app).toEqual(app);
  });

  it("works on the sandbox paths with a sandbox key, and refuses a production key there", async () => {
    const res = await h.request({ method: "POST", url: "/v2/sandbox/apps/create", headers: bearer(tenant.sandbox.secret_key), payload: { name: "Via sandbox path" } });
    expect(expectSuccess(res).app.env).toBe("production-sandbox");
    const refused = await h.request({ method: "POST", url: "/sandbox/v2/apps/list", headers: bearer(tenant.production.secret_key), payload: {} });
    expectError(refused, 403, "SANDBOX_ONLY");
  });
});

describe("app validation", () => {
  const key = () => tenant.sandbox.secret_key;
  const refuses = async (path: string, body: unknown, code: ErrorCode, field: string) => {
    const { message } = expectError(await api(key(), path, body), 400, code);
    expect(message, JSON.stringify(body).slice(0, 200)).toMatch(new RegExp(`^${field.replace(/\./g, "\\.")}: `));
  };

  it("refuses bad fields on create with 400 naming the field, and writes nothing", async () => {
    const name = `invalid-${randomUUID()}`;
    const tinyPng = "data:image/png;base64,iVBORw0KGgo=";
    await refuses("/apps/create", {}, "MISSING_FIELDS", "name");
    await refuses("/apps/create", { name: "" }, "INVALID_FIELD", "name");
    await refuses("/apps/create", { name: "x".repeat(101) }, "INVALID_FIELD", "name");
    await refuses("/apps/create", { name: 123 }, "INVALID_FIELD", "name");
    await refuses("/apps/create", { name, products: ["auth", "crypto"] }, "INVALID_FIELD", "products.1");
    await refuses("/apps/create", { name, products: "balance" }, "INVALID_FIELD", "products");
    await refuses("/apps/create", { name, color: "red" }, "INVALID_FIELD", "color");
    await refuses("/apps/create", { name, color: "#12345" }, "INVALID_FIELD", "color");
    await refuses("/apps/create", { name, logo: "http://cdn.example.com/logo.png" }, "INVALID_FIELD", "logo");
    await refuses("/apps/create", { name, logo: "javascript:alert(1)" }, "INVALID_FIELD", "logo");
    await refuses("/apps/create", { name, logo: "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" }, "INVALID_FIELD", "logo");
    await refuses("/apps/create", { name, logo: `data:image/png;base64,${"A".repeat(100 * 1024)}` }, "INVALID_FIELD", "logo");
    await refuses("/apps/create", { name, bank_filter: ["no-such-bank"] }, "INVALID_FIELD", "bank_filter");
    await refuses("/apps/create", { name, bank_filter: [GTB, "no-such-bank"] }, "INVALID_FIELD", "bank_filter");
    await refuses("/apps/create", { name, bank_filter: ["Not A Slug"] }, "INVALID_FIELD", "bank_filter.0");
    await refuses("/apps/create", { name, callback_url: "ftp://example.com/hook" }, "INVALID_FIELD", "callback_url");
    await refuses("/apps/create", { name, redirect_url: "not a url" }, "INVALID_FIELD", "redirect_url");
    await refuses("/apps/create", { name, owner: stranger.id }, "UNKNOWN_FIELDS", "owner");
    await refuses("/apps/create", { name, env: "production" }, "UNKNOWN_FIELDS", "env");
    expect(await countApps(tenant.id, name)).toBe(0);
    // The shapes that are allowed.
    const ok = expectSuccess(await api(key(), "/apps/create", { name, color: "#abc", logo: tinyPng })).app;
    expect(ok).toMatchObject({ color: "#abc", logo: tinyPng });
  });

  it("refuses bad updates with 400 naming the field, and leaves the app as it was", async () => {
    const app = expectSuccess(await api(key(), "/apps/create", { name: "Stable", color: "#000000" })).app;
    await refuses("/apps/update", { id: app.id }, "MISSING_FIELDS", "body");
    await refuses("/apps/update", { name: "No id" }, "MISSING_FIELDS", "id");
    await refuses("/apps/update", { id: "xyz", name: "Bad id" }, "INVALID_FIELD", "id");
    await refuses("/apps/update", { id: app.id, name: null }, "INVALID_FIELD", "name");
    await refuses("/apps/update", { id: app.id, color: null }, "INVALID_FIELD", "color");
    await refuses("/apps/update", { id: app.id, color: "#fff", bank_filter: ["atlantis-bank"] }, "INVALID_FIELD", "bank_filter");
    await refuses("/apps/update", { id: app.id, colour: "#fff" }, "UNKNOWN_FIELDS", "colour");
    expect(expectSuccess(await api(key(), "/apps/get", { id: app.id })).app).toEqual(app);
  });
});

describe("Idempotency-Key on /v2/apps", () => {
  it("replays the same request's response, creating the app once", async () => {
    const name = `idem-${randomUUID()}`;
    const idem = { "idempotency-key": `create-${name}` };
    const first = await api(tenant.sandbox.secret_key, "/apps/create", { name, color: "#111111" }, idem);
    const second = await api(tenant.sandbox.secret_key, "/apps/create", { color: "#111111", name }, idem);
    expectSuccess(first);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(second.statusCode).toBe(200);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.body).toBe(first.body);
    expect(await countApps(tenant.id, name)).toBe(1);
  });

  it("refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED, creating nothing more", async () => {
    const name = `idem-${randomUUID()}`;
    const idem = { "idempotency-key": `create-${name}` };
    expectSuccess(await api(tenant.sandbox.secret_key, "/apps/create", { name }, idem));
    const reused = await api(tenant.sandbox.secret_key, "/apps/create", { name: `${name}-other` }, idem);
    expect(expectError(reused, 409, "IDEMPOTENCY_KEY_REUSED").message).toMatch(/^Idempotency-Key: /);
    expect(await countApps(tenant.id, `${name}-other`)).toBe(0);
  });

  it("keeps keys per company and environment: the same key elsewhere is a new request", async () => {
    const name = `idem-${randomUUID()}`;
    const idem = { "idempotency-key": "shared-key-name" + name };
    expectSuccess(await api(tenant.sandbox.secret_key, "/apps/create", { name }, idem));
    const production = await api(tenant.production.secret_key, "/apps/create", { name }, idem);
    expect(production.headers["idempotent-replayed"]).toBeUndefined();
    expect(expectSuccess(production).app.env).toBe("production");
    const other = await api(stranger.sandbox.secret_key, "/apps/create", { name }, idem);
    expect(other.headers["idempotent-replayed"]).toBeUndefined();
    expect(expectSuccess(other).app.owner).toBe(stranger.id);
  });

  it("keeps no key for a failed request: a corrected retry under the same key runs", async () => {
    const name = `idem-${randomUUID()}`;
    const idem = { "idempotency-key": `fail-${name}` };
    expectError(await api(tenant.sandbox.secret_key, "/apps/create", { name, bank_filter: ["no-such-bank"] }, idem), 400, "INVALID_FIELD");
    const retry = await api(tenant.sandbox.secret_key, "/apps/create", { name, bank_filter: [GTB] }, idem);
    expect(expectSuccess(retry).app.bank_filter).toEqual([GTB]);
    expect(await countApps(tenant.id, name)).toBe(1);
  });
});

describe("apps in the dashboard", () => {
  it("creates, lists, gets, updates and deletes an environment's apps, sharing them with /v2", async () => {
    const { client, credentials, company } = await signedUp(h);
    const created = expectSuccess(await client.post("/apps/create", { env: "production", name: "Dashboard app", products: ["income"] })).app;
    expect(created).toMatchObject({ env: "production", owner: company.id, products: ["auth", "income"] });

    const production = expectSuccess(await client.get("/apps?env=production")).apps;
    expect(production.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining([created.id, credentials.production.app_id]));
    const sandbox = expectSuccess(await client.get("/apps?env=sandbox&limit=100")).apps;
    expect(sandbox.map((a: { id: string }) => a.id)).toEqual([credentials.sandbox.app_id]);

    expect(expectSuccess(await client.get(`/apps/${created.id}?env=production`)).app).toEqual(created);
    expectError(await client.get(`/apps/${created.id}?env=sandbox`), 404, "NOT_FOUND");

    // The same app through the API with the production key.
    expect(expectSuccess(await api(credentials.production.secret_key, "/apps/get", { id: created.id })).app).toEqual(created);

    const updated = expectSuccess(await client.post("/apps/update", { env: "production", id: created.id, color: "#0a0b0c", redirect_url: "https://shop.example.com/done" })).app;
    expect(updated).toMatchObject({ color: "#0a0b0c", redirect_url: "https://shop.example.com/done", name: "Dashboard app" });
    expectError(await client.post("/apps/update", { env: "sandbox", id: created.id, name: "Wrong env" }), 404, "NOT_FOUND");
    expectError(await client.post("/apps/delete", { env: "sandbox", id: created.id }), 404, "NOT_FOUND");

    expectSuccess(await client.post("/apps/delete", { env: "production", id: created.id }));
    expectError(await client.get(`/apps/${created.id}?env=production`), 404, "NOT_FOUND");
    expectError(await api(credentials.production.secret_key, "/apps/get", { id: created.id }), 404, "NOT_FOUND");
  });

  it("answers another company's app with 404 and leaves it alone", async () => {
    const mine = await signedUp(h);
    const theirs = await signedUp(h);
    const theirApp = theirs.credentials.sandbox.app_id;
    expectError(await mine.client.get(`/apps/${theirApp}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await mine.client.post("/apps/update", { env: "sandbox", id: theirApp, name: "Mine now" }), 404, "NOT_FOUND");
    expectError(await mine.client.post("/apps/delete", { env: "sandbox", id: theirApp }), 404, "NOT_FOUND");
    expect(expectSuccess(await theirs.client.get(`/apps/${theirApp}?env=sandbox`)).app.name).toBe(theirs.company.name);
  });

  it("validates like the API, and requires the environment", async () => {
    const { client } = await signedUp(h);
    expect(expectError(await client.post("/apps/create", { name: "No env" }), 400, "MISSING_FIELDS").message).toBe("env: is required");
    expect(expectError(await client.post("/apps/create", { env: "staging", name: "Bad env" }), 400, "INVALID_FIELD").message).toMatch(/^env: /);
    expect(expectError(await client.post("/apps/create", { env: "sandbox", name: "x", colour: "#fff" }), 400, "UNKNOWN_FIELDS").message).toMatch(/^colour: /);
    expect(expectError(await client.post("/apps/create", { env: "sandbox", name: "x", bank_filter: ["nowhere-bank"] }), 400, "INVALID_FIELD").message).toMatch(/^bank_filter: /);
    expect(expectError(await client.get("/apps"), 400, "MISSING_FIELDS").message).toMatch(/^env: /);
    expect(expectError(await client.get("/apps/nope?env=sandbox"), 400, "INVALID_FIELD").message).toMatch(/^id: /);
  });

  it("replays a create sent again with the same Idempotency-Key, and refuses the key with another body", async () => {
    const { client, company } = await signedUp(h);
    const name = `dash-idem-${randomUUID()}`;
    const idem = { "idempotency-key": "dashboard-create-1" };
    const first = await client.post("/apps/create", { env: "sandbox", name }, idem);
    const again = await client.post("/apps/create", { env: "sandbox", name }, idem);
    expectSuccess(first);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    expect(await countApps(company.id, name)).toBe(1);
    expectError(await client.post("/apps/create", { env: "production", name }, idem), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(await countApps(company.id, name)).toBe(1);
  });

  it("refuses every app route without a session", async () => {
    const { client, credentials } = await signedUp(h);
    client.cookie = undefined;
    expectError(await client.get("/apps?env=sandbox"), 401, "UNAUTHORIZED");
    expectError(await client.get(`/apps/${credentials.sandbox.app_id}?env=sandbox`), 401, "UNAUTHORIZED");
    expectError(await client.post("/apps/create", { env: "sandbox", name: "x" }), 401, "UNAUTHORIZED");
    expectError(await client.post("/apps/update", { env: "sandbox", id: credentials.sandbox.app_id, name: "x" }), 401, "UNAUTHORIZED");
    expectError(await client.post("/apps/delete", { env: "sandbox", id: credentials.sandbox.app_id }), 401, "UNAUTHORIZED");
  });
});

describe("OpenAPI", () => {
  it("documents the dashboard and app routes with tags, summaries and their security", async () => {
    const doc = (await h.request({ method: "GET", url: "/v2/openapi.json" })).json();
    const signup = doc.paths["/dashboard/api/signup"].post;
    expect(signup).toMatchObject({ tags: ["Dashboard"], security: [] });
    expect(signup.summary).toBeTruthy();
    expect(signup.requestBody).toBeDefined();
    expect(doc.paths["/dashboard/api/me"].get).toMatchObject({ tags: ["Dashboard"], security: [{ session: [] }] });
    expect(doc.paths["/dashboard/api/apps/create"].post).toMatchObject({ tags: ["Dashboard"], security: [{ session: [] }] });
    const create = doc.paths["/v2/apps/create"].post;
    expect(create).toMatchObject({ tags: ["Apps"], security: [{ secretKey: [] }] });
    expect(create.responses["200"]).toBeDefined();
    expect(doc.components.schemas.App).toBeDefined();
  });
});
