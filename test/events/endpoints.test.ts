import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/db/schema.js";
import { emitEvent } from "../../src/events/emit.js";
import { endpointSecrets, MAX_ENDPOINTS_PER_ENV } from "../../src/events/endpoints.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createApp, updateApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const WHSEC = /^whsec_[A-Za-z0-9+/]{32}$/;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

/** A /v2 call with a secret key; `headers` adds e.g. an Idempotency-Key. */
const api = (key: string, path: string, body: unknown, headers: Record<string, string> = {}, harness: Harness = h) =>
  harness.request({ method: "POST", url: `/v2${path}`, headers: { ...bearer(key), ...headers }, payload: body as object });

const row = (id: string) => h.ctx.db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

const endpointsOf = (companyId: string, env: Env) =>
  h.ctx.db.selectFrom("webhook_endpoints").selectAll().where("company_id", "=", companyId).where("env", "=", env).execute();

/** Asserts that an error message names `field` first, as every Okro error does (`url: must be…`). */
const expectNames = (message: string, field: string, shown?: string) => expect(message, shown).toMatch(new RegExp(`^${field.replace(/\./g, "\\.")}: `));

/** True when `value`, serialised (deeply), contains `secret` anywhere. */
const mentions = (value: unknown, secret: string) => JSON.stringify(value).includes(secret);

describe("/v2/webhooks: managing endpoints with a secret key", () => {
  let tenant: NewCompany;
  beforeAll(async () => {
    tenant = await h.newTenant("Webhooks Co");
  });

  it("creates, lists, gets, updates and deletes an endpoint in the key's environment", async () => {
    const key = tenant.sandbox.secret_key;
    const created = expectSuccess(
      await api(key, "/webhooks/create", {
        url: "https://hooks.example.com/okro",
        description: "Main receiver",
        event_types: ["payment.completed", "balance.success", "payment.completed"],
        bearer_token: "okra-style-token-123",
      }),
    ).endpoint;
    expect(created).toMatchObject({
      url: "https://hooks.example.com/okro",
      description: "Main receiver",
      event_types: ["payment.completed", "balance.success"],
      enabled: true,
      disabled_reason: null,
      source: "api",
      app_id: null,
      has_bearer_token: true,
      previous_secret_expires_at: null,
      env: "sandbox",
    });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(created._id).toBe(created.id);
    expect(created.secret).toMatch(WHSEC);
    expect(created.secret_hint).toBe(created.secret.slice(-4));
    expect(created.created_at).toMatch(ISO);
    expect(created.updated_at).toMatch(ISO);
    const { secret, ...view } = created;

    const listed = expectSuccess(await api(key, "/webhooks/list", {}));
    expect(listed.endpoints).toEqual([view]);
    expect(listed.pagination).toMatchObject({ page: 1, limit: 20, totalDocs: 1, totalPages: 1 });
    const got = expectSuccess(await api(key, "/webhooks/get", { id: created.id })).endpoint;
    expect(got).toEqual(view);
    expect(mentions(listed, secret) || mentions(got, secret)).toBe(false);
    // The other environment's key sees none of it.
    expect(expectSuccess(await api(tenant.production.secret_key, "/webhooks/list", {})).endpoints).toEqual([]);

    const updated = expectSuccess(
      await api(key, "/webhooks/update", { id: created.id, url: "http://localhost:4000/hooks", description: null, event_types: [], bearer_token: null, enabled: false }),
    ).endpoint;
    expect(updated).toMatchObject({ id: created.id, url: "http://localhost:4000/hooks", description: null, event_types: [], has_bearer_token: false, enabled: false });
    expect(updated.secret_hint).toBe(created.secret_hint);
    expect(updated).not.toHaveProperty("secret");

    // Okro disabled it (the worker does this on 410 Gone); enabling it again clears the reason.
    await h.ctx.db.updateTable("webhook_endpoints").set({ disabled_reason: "the receiver answered 410 Gone" }).where("id", "=", created.id).execute();
    expect(expectSuccess(await api(key, "/webhooks/get", { id: created.id })).endpoint.disabled_reason).toBe("the receiver answered 410 Gone");
    const enabled = expectSuccess(await api(key, "/webhooks/update", { id: created.id, enabled: true })).endpoint;
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null });

    expect(expectSuccess(await api(key, "/webhooks/delete", { id: created.id })).endpoint.id).toBe(created.id);
    expectError(await api(key, "/webhooks/get", { id: created.id }), 404, "NOT_FOUND");
    expectError(await api(key, "/webhooks/delete", { id: created.id }), 404, "NOT_FOUND");
  });

  it("shows the secret only in the create and rotate responses, and stores it and the bearer token only sealed", async () => {
    const key = tenant.production.secret_key;
    const token = "bearer-token-for-okra-receivers";
    const created = expectSuccess(await api(key, "/webhooks/create", { url: "https://hooks.example.com/sealed", bearer_token: token })).endpoint;
    const stored = await row(created.id);
    const body = created.secret.slice("whsec_".length);
    for (const column of [stored.secret_enc, stored.bearer_token_enc]) {
      expect(column).toMatch(/^v1\./);
      expect(column).not.toContain(body);
      expect(column).not.toContain(token);
    }
    expect(mentions(stored, body) || mentions(stored, token)).toBe(false);
    expect(endpointSecrets(h.ctx, stored, h.clock.now())).toEqual({ secrets: [created.secret], bearerToken: token });

    const rotated = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: created.id })).endpoint;
    expect(rotated.secret).toMatch(WHSEC);
    expect(rotated.secret).not.toBe(created.secret);
    const after = await row(created.id);
    expect(mentions(after, rotated.secret.slice(6)) || mentions(after, body)).toBe(false);
    const seen = [await api(key, "/webhooks/get", { id: created.id }), await api(key, "/webhooks/list", {})];
    for (const res of seen) {
      expect(res.body).not.toContain(body);
      expect(res.body).not.toContain(rotated.secret.slice(6));
      expect(res.body).not.toContain(token);
    }
  });

  it("refuses a sealed value copied into another row (the row id is bound to it)", async () => {
    const key = tenant.sandbox.secret_key;
    const a = expectSuccess(await api(key, "/webhooks/create", { url: "https://a.example.com/" })).endpoint;
    const b = expectSuccess(await api(key, "/webhooks/create", { url: "https://b.example.com/" })).endpoint;
    const [rowA, rowB] = [await row(a.id), await row(b.id)];
    expect(() => endpointSecrets(h.ctx, { ...rowB, secret_enc: rowA.secret_enc }, h.clock.now())).toThrow();
    await api(key, "/webhooks/delete", { id: a.id });
    await api(key, "/webhooks/delete", { id: b.id });
  });

  it.each<Env>(["sandbox", "production"])("refuses bad URLs with 400 INVALID_FIELD naming url (%s)", async (env) => {
    const key = tenant[env].secret_key;
    const existing = expectSuccess(await api(key, "/webhooks/create", { url: "https://hooks.example.com/ok" })).endpoint;
    for (const url of [
      "ftp://example.com/hook",
      "/hooks/okro",
      "hooks.example.com/okro",
      "https://user:password@example.com/hook",
      "https://token@example.com/hook",
      `https://example.com/${"a".repeat(3000)}`,
      "https://example.com/hook#section",
      "http:example.com",
      "javascript:alert(1)",
      "https://exa mple.com/",
      "",
    ]) {
      const shown = `${env} ${url.slice(0, 60)}`;
      const create = expectError(await api(key, "/webhooks/create", { url }), 400, "INVALID_FIELD");
      expectNames(create.message, "url", shown);
      const update = expectError(await api(key, "/webhooks/update", { id: existing.id, url }), 400, "INVALID_FIELD");
      expectNames(update.message, "url", shown);
    }
    expect((await row(existing.id)).url).toBe("https://hooks.example.com/ok");
    await api(key, "/webhooks/delete", { id: existing.id });
  });

  it("refuses localhost and private addresses in production, and accepts them in sandbox", async () => {
    const local = [
      "http://localhost:3000/hooks",
      "http://api.localhost/hooks",
      "http://127.0.0.1/hooks",
      "http://10.1.2.3/hooks",
      "http://[::1]:8080/hooks",
      "http://169.254.169.254/latest/meta-data",
      "http://192.168.1.10/",
      "http://[::ffff:127.0.0.1]/",
      "http://2130706433/",
      "http://0/",
    ];
    for (const url of local) {
      const { message } = expectError(await api(tenant.production.secret_key, "/webhooks/create", { url }), 400, "INVALID_FIELD");
      expectNames(message, "url", url);
      expect(message, url).toMatch(/production/);
    }
    const sandboxIds: string[] = [];
    for (const url of ["http://localhost:3000/hooks", "http://127.0.0.1:9000/", "http://[::1]:8080/hooks", "http://10.1.2.3/"]) {
      sandboxIds.push(expectSuccess(await api(tenant.sandbox.secret_key, "/webhooks/create", { url })).endpoint.id);
    }
    // A public name is fine in production: what it resolves to is checked when delivering.
    const prod = expectSuccess(await api(tenant.production.secret_key, "/webhooks/create", { url: "https://hooks.example.com/prod" })).endpoint;
    // Moving a production endpoint to localhost is refused too.
    expectError(await api(tenant.production.secret_key, "/webhooks/update", { id: prod.id, url: "http://localhost/" }), 400, "INVALID_FIELD");
    for (const id of sandboxIds) await api(tenant.sandbox.secret_key, "/webhooks/delete", { id });
  });

  it("validates the other fields, naming them", async () => {
    const key = tenant.sandbox.secret_key;
    const url = "https://hooks.example.com/fields";
    const refused = async (body: object, code: "INVALID_FIELD" | "UNKNOWN_FIELDS" | "MISSING_FIELDS", field: string, path = "/webhooks/create") => {
      expectNames(expectError(await api(key, path, body), 400, code).message, field);
    };
    await refused({}, "MISSING_FIELDS", "url");
    await refused({ url, event_types: ["Payment Completed"] }, "INVALID_FIELD", "event_types.0");
    await refused({ url, event_types: "payment.completed" }, "INVALID_FIELD", "event_types");
    await refused({ url, bearer_token: "has space" }, "INVALID_FIELD", "bearer_token");
    await refused({ url, bearer_token: "x\r\nInjected: 1" }, "INVALID_FIELD", "bearer_token");
    await refused({ url, enabled: "yes" }, "INVALID_FIELD", "enabled");
    await refused({ url, secret: "whsec_mine" }, "UNKNOWN_FIELDS", "secret");
    const created = expectSuccess(await api(key, "/webhooks/create", { url })).endpoint;
    const nothing = expectError(await api(key, "/webhooks/update", { id: created.id }), 400, "MISSING_FIELDS");
    expect(nothing.message).toMatch(/nothing to update/);
    await refused({ id: created.id, expire_previous_in_seconds: 7 * 86_400 + 1 }, "INVALID_FIELD", "expire_previous_in_seconds", "/webhooks/rotate-secret");
    await refused({ id: created.id, expire_previous_in_seconds: -1 }, "INVALID_FIELD", "expire_previous_in_seconds", "/webhooks/rotate-secret");
    await refused({ id: "nope" }, "INVALID_FIELD", "id", "/webhooks/get");
    await api(key, "/webhooks/delete", { id: created.id });
  });

  it("answers another company's endpoint id with 404, as for a missing one", async () => {
    const owner = await h.newTenant("Owner Co");
    const stranger = await h.newTenant("Stranger Co");
    const mine = expectSuccess(await api(owner.sandbox.secret_key, "/webhooks/create", { url: "https://hooks.example.com/mine" })).endpoint;
    for (const [path, body] of [
      ["/webhooks/get", { id: mine.id }],
      ["/webhooks/update", { id: mine.id, enabled: false }],
      ["/webhooks/rotate-secret", { id: mine.id }],
      ["/webhooks/test", { id: mine.id }],
      ["/webhooks/delete", { id: mine.id }],
    ] as const) {
      expectError(await api(stranger.sandbox.secret_key, path, body), 404, "NOT_FOUND");
      expectError(await api(owner.production.secret_key, path, body), 404, "NOT_FOUND");
    }
    const untouched = await row(mine.id);
    expect(untouched.enabled).toBe(true);
    expect(endpointSecrets(h.ctx, untouched, h.clock.now()).secrets).toEqual([mine.secret]);
    expect(expectSuccess(await api(stranger.sandbox.secret_key, "/webhooks/list", {})).endpoints).toEqual([]);
  });

  it(`refuses a ${MAX_ENDPOINTS_PER_ENV + 1}th endpoint in one environment with 422 (apps' callback URLs count)`, async () => {
    const full = await h.newTenant("Full Co");
    const key = full.production.secret_key;
    for (let i = 0; i < MAX_ENDPOINTS_PER_ENV; i++) {
      expectSuccess(await api(key, "/webhooks/create", { url: `https://hooks.example.com/${i}` }));
    }
    const { message } = expectError(await api(key, "/webhooks/create", { url: "https://hooks.example.com/one-more" }), 422, "UNPROCESSABLE");
    expect(message).toMatch(/16/);
    const app = expectError(await api(key, "/apps/create", { name: "One more", callback_url: "https://hooks.example.com/app" }), 422, "UNPROCESSABLE");
    expectNames(app.message, "callback_url");
    expect(await endpointsOf(full.id, "production")).toHaveLength(MAX_ENDPOINTS_PER_ENV);
    // The other environment has its own allowance.
    expectSuccess(await api(full.sandbox.secret_key, "/webhooks/create", { url: "https://hooks.example.com/sandbox" }));
  });
});

describe("an app's callback_url is a webhook endpoint", () => {
  it("follows the app: created, moved, re-enabled and removed with its callback_url", async () => {
    const tenant = await h.newTenant("App Hooks Co");
    const key = tenant.sandbox.secret_key;
    const app = expectSuccess(await api(key, "/apps/create", { name: "Hooked", callback_url: "https://hooks.example.com/app" })).app;
    const [endpoint] = expectSuccess(await api(key, "/webhooks/list", {})).endpoints;
    expect(endpoint).toMatchObject({ url: "https://hooks.example.com/app", source: "app", app_id: app.id, enabled: true, event_types: [] });
    expect(endpoint).not.toHaveProperty("secret");

    // Its secret comes from rotate-secret.
    const rotated = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: endpoint.id, expire_previous_in_seconds: 0 })).endpoint;
    expect(rotated.secret).toMatch(WHSEC);
    expect(rotated).toMatchObject({ id: endpoint.id, source: "app", previous_secret_expires_at: null });

    // Not changed or deleted through /webhooks.
    const update = expectError(await api(key, "/webhooks/update", { id: endpoint.id, url: "https://elsewhere.example.com/" }), 422, "UNPROCESSABLE");
    expect(update.message).toMatch(/callback_url/);
    expect(update.message).toContain(app.id);
    const del = expectError(await api(key, "/webhooks/delete", { id: endpoint.id }), 422, "UNPROCESSABLE");
    expect(del.message).toMatch(/callback_url/);

    // Other app changes leave it alone; a new callback_url moves it (same endpoint, same secret).
    expectSuccess(await api(key, "/apps/update", { id: app.id, name: "Renamed" }));
    expect((await row(endpoint.id)).url).toBe("https://hooks.example.com/app");
    await h.ctx.db.updateTable("webhook_endpoints").set({ enabled: false, disabled_reason: "the receiver answered 410 Gone" }).where("id", "=", endpoint.id).execute();
    expectSuccess(await api(key, "/apps/update", { id: app.id, callback_url: "https://hooks.example.com/moved" }));
    const moved = await row(endpoint.id);
    expect(moved).toMatchObject({ url: "https://hooks.example.com/moved", enabled: true, disabled_reason: null, app_id: app.id });
    expect(endpointSecrets(h.ctx, moved, h.clock.now()).secrets).toEqual([rotated.secret]);

    // Clearing it removes the endpoint; setting it again makes a new one.
    expectSuccess(await api(key, "/apps/update", { id: app.id, callback_url: null }));
    expect(await endpointsOf(tenant.id, "sandbox")).toEqual([]);
    expectSuccess(await api(key, "/apps/update", { id: app.id, callback_url: "http://localhost:3000/hooks" }));
    const [again] = await endpointsOf(tenant.id, "sandbox");
    expect(again).toMatchObject({ app_id: app.id, url: "http://localhost:3000/hooks" });
    expect(again!.id).not.toBe(endpoint.id);

    // Deleting the app deletes its endpoint.
    expectSuccess(await api(key, "/apps/delete", { id: app.id }));
    expect(await endpointsOf(tenant.id, "sandbox")).toEqual([]);
  });

  it("holds callback URLs to the endpoint rules, naming callback_url, and writes nothing when refused", async () => {
    const tenant = await h.newTenant("App Rules Co");
    const key = tenant.production.secret_key;
    const { message } = expectError(await api(key, "/apps/create", { name: "Local", callback_url: "http://localhost:3000/hooks" }), 400, "INVALID_FIELD");
    expectNames(message, "callback_url");
    expect((await h.ctx.db.selectFrom("apps").select("id").where("company_id", "=", tenant.id).where("name", "=", "Local").execute()).length).toBe(0);
    const app = expectSuccess(await api(key, "/apps/create", { name: "Public", callback_url: "https://hooks.example.com/a" })).app;
    const update = expectError(await api(key, "/apps/update", { id: app.id, callback_url: "http://10.0.0.5/hooks" }), 400, "INVALID_FIELD");
    expectNames(update.message, "callback_url");
    expect(expectSuccess(await api(key, "/apps/get", { id: app.id })).app.callback_url).toBe("https://hooks.example.com/a");
    expect((await endpointsOf(tenant.id, "production")).map((e) => e.url)).toEqual(["https://hooks.example.com/a"]);
  });

  it("is kept by the apps service itself (the dashboard's routes use it too), which needs the secret box for it", async () => {
    const tenant = await h.newTenant("Service Hooks Co");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const app = await h.ctx.db.transaction().execute((trx) => createApp(trx, scope, { name: "Svc", callback_url: "https://hooks.example.com/svc" }, h.clock.now(), h.ctx.secrets));
    expect((await endpointsOf(tenant.id, "sandbox")).map((e) => e.app_id)).toEqual([app.id]);
    await expect(h.ctx.db.transaction().execute((trx) => updateApp(trx, scope, app.id, { callback_url: null }, h.clock.now()))).rejects.toThrow(/secret box/);
  });
});

describe("rotating a secret", () => {
  let clock: ManualClock;
  let hc: Harness;
  let tenant: NewCompany;
  beforeAll(async () => {
    clock = new ManualClock(new Date("2031-03-01T09:00:00.000Z"));
    hc = await createHarness({ clock });
    tenant = await hc.newTenant("Rotation Co");
  });
  afterAll(() => hc?.close());

  const rowOf = (id: string) => hc.ctx.db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("keeps the previous secret signing until it expires, then only the new one", async () => {
    const key = tenant.sandbox.secret_key;
    const created = expectSuccess(await api(key, "/webhooks/create", { url: "https://hooks.example.com/rotate" }, {}, hc)).endpoint;
    const rotated = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: created.id, expire_previous_in_seconds: 3600 }, {}, hc)).endpoint;
    expect(rotated.previous_secret_expires_at).toBe("2031-03-01T10:00:00.000Z");
    expect(rotated.secret_hint).toBe(rotated.secret.slice(-4));
    expect(endpointSecrets(hc.ctx, await rowOf(created.id), clock.now()).secrets).toEqual([rotated.secret, created.secret]);

    clock.advance(3600 * 1000 - 1);
    expect(endpointSecrets(hc.ctx, await rowOf(created.id), clock.now()).secrets).toEqual([rotated.secret, created.secret]);
    clock.advance(2);
    expect(endpointSecrets(hc.ctx, await rowOf(created.id), clock.now()).secrets).toEqual([rotated.secret]);
    expect(expectSuccess(await api(key, "/webhooks/get", { id: created.id }, {}, hc)).endpoint.previous_secret_expires_at).toBeNull();
  });

  it("defaults to a day of grace, and 0 retires the previous secret at once", async () => {
    const key = tenant.production.secret_key;
    const created = expectSuccess(await api(key, "/webhooks/create", { url: "https://hooks.example.com/default" }, {}, hc)).endpoint;
    const first = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: created.id }, {}, hc)).endpoint;
    expect(Date.parse(first.previous_secret_expires_at) - clock.now().getTime()).toBe(86_400_000);
    const second = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: created.id, expire_previous_in_seconds: 0 }, {}, hc)).endpoint;
    expect(second.previous_secret_expires_at).toBeNull();
    expect(endpointSecrets(hc.ctx, await rowOf(created.id), clock.now()).secrets).toEqual([second.secret]);
  });
});

describe("Idempotency-Key on endpoints", () => {
  it("creates one endpoint for a repeated create, and the replay carries no secret", async () => {
    const tenant = await h.newTenant("Idem Hooks Co");
    const key = tenant.sandbox.secret_key;
    const headers = { "idempotency-key": `create-${tenant.id}` };
    const body = { url: "https://hooks.example.com/idem", event_types: ["payment.completed"] };
    const first = await api(key, "/webhooks/create", body, headers);
    const created = expectSuccess(first).endpoint;
    const replay = await api(key, "/webhooks/create", body, headers);
    const { message, data } = expectError(replay, 409, "CONFLICT");
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(message).toMatch(/shown only in the first response/);
    expect(data).toMatchObject({ endpoint_id: created.id, secret_hint: created.secret_hint });
    expect(replay.body).not.toContain(created.secret.slice(6));
    expect(await endpointsOf(tenant.id, "sandbox")).toHaveLength(1);
    const stored = await h.ctx.db.selectFrom("idempotency_keys").selectAll().where("key", "=", headers["idempotency-key"]).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(6));

    // Rotation too: a repeat does not rotate again.
    const rotateHeaders = { "idempotency-key": `rotate-${tenant.id}` };
    const rotated = expectSuccess(await api(key, "/webhooks/rotate-secret", { id: created.id }, rotateHeaders)).endpoint;
    const again = await api(key, "/webhooks/rotate-secret", { id: created.id }, rotateHeaders);
    expectError(again, 409, "CONFLICT");
    expect(again.body).not.toContain(rotated.secret.slice(6));
    expect(endpointSecrets(h.ctx, await row(created.id), h.clock.now()).secrets[0]).toBe(rotated.secret);

    // An update replays its own response.
    const updateHeaders = { "idempotency-key": `update-${tenant.id}` };
    const updated = await api(key, "/webhooks/update", { id: created.id, description: "Idem" }, updateHeaders);
    const updatedAgain = await api(key, "/webhooks/update", { id: created.id, description: "Idem" }, updateHeaders);
    expect(updatedAgain.headers["idempotent-replayed"]).toBe("true");
    expect(updatedAgain.json()).toEqual(updated.json());
  });
});

describe("/v2/webhooks/test", () => {
  it("delivers a webhook.test event to that endpoint only, whatever the others subscribe to", async () => {
    const tenant = await h.newTenant("Test Hooks Co");
    const key = tenant.sandbox.secret_key;
    const create = async (body: object) => expectSuccess(await api(key, "/webhooks/create", { url: "https://hooks.example.com/t", ...body })).endpoint.id as string;
    const everything = await create({});
    const alsoEverything = await create({});
    const onlyPayments = await create({ event_types: ["payment.completed"] });
    const other = await h.newTenant("Other Test Co");
    const othersEndpoint = expectSuccess(await api(other.sandbox.secret_key, "/webhooks/create", { url: "https://hooks.example.com/o" })).endpoint.id;

    const sent = expectSuccess(await api(key, "/webhooks/test", { id: onlyPayments }));
    expect(sent).toEqual({ event_id: expect.stringMatching(/^[0-9a-f]{24}$/), endpoint_id: onlyPayments });
    const deliveries = await h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", sent.event_id).execute();
    expect(deliveries.map((d) => [d.endpoint_id, d.status])).toEqual([[onlyPayments, "pending"]]);
    const event = await h.ctx.db.selectFrom("events").selectAll().where("id", "=", sent.event_id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ type: "webhook.test", object_type: "webhook_endpoint", object_id: onlyPayments, company_id: tenant.id, env: "sandbox" });
    expect((event.payload as { data: unknown }).data).toMatchObject({ endpoint_id: onlyPayments, message: expect.any(String) });

    // Ordinary events still fan out to every endpoint that wants them, and to nobody else's.
    const emitted = await h.ctx.db.transaction().execute((trx) =>
      emitEvent(trx, { companyId: tenant.id, env: "sandbox", type: "balance.success", object: { type: "record", id: "0".repeat(24) }, data: {} }, h.clock.now()),
    );
    const fanned = await h.ctx.db.selectFrom("webhook_deliveries").select("endpoint_id").where("event_id", "=", emitted.id).execute();
    expect(fanned.map((d) => d.endpoint_id).sort()).toEqual([everything, alsoEverything].sort());
    expect(fanned.map((d) => d.endpoint_id)).not.toContain(othersEndpoint);

    // A disabled endpoint gets no test.
    expectSuccess(await api(key, "/webhooks/update", { id: everything, enabled: false }));
    const { message } = expectError(await api(key, "/webhooks/test", { id: everything }), 422, "UNPROCESSABLE");
    expect(message).toMatch(/disabled/);
  });
});
