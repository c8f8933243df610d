import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildApp } from "../../src/app.js";
import { envelope, ok } from "../../src/core/envelope.js";
import { OkroError } from "../../src/core/errors.js";
import { scopeId, type IdempotencyScope } from "../../src/core/idempotency.js";
import { IDEMPOTENCY_TTL_MS, runMutation } from "../../src/http/idempotency.js";
import { purgeIdempotencyKeysJob } from "../../src/jobs/housekeeping.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { enqueue } from "../../src/jobs/store.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "./envelope-assertions.js";

/**
 * runMutation through a small route on an app built by buildApp (so the real error handler,
 * body parsers and request ids apply). The effect is creating a company whose name the test
 * chooses, so "how many times did it happen" is a count of companies with that name.
 * The last block repeats the key cases on a real /v2 route.
 */
const clock = new ManualClock(new Date("2026-04-01T08:00:00Z"));
let h: Harness;
let app: FastifyInstance;
/** Names whose next mutation fails after writing (to show that a failure writes nothing). */
const failOnce = new Set<string>();
/** Names whose mutation answers a body that does not fit the route's response schema. */
const unserializable = new Set<string>();

const Body = z.object({ name: z.string().min(1).max(200), note: z.string().optional() });
// Like every real route, a response schema: it is also what makes a replay byte-identical (the
// stored jsonb body comes back with its keys reordered; the serializer puts them in schema order).
const Created = envelope(z.object({ id: z.string(), name: z.string(), note: z.string().nullable() }));

beforeAll(async () => {
  h = await createHarness({ clock });
  app = await buildApp(h.ctx, { logger: false });
  app.withTypeProvider<ZodTypeProvider>().post("/test/companies", { schema: { body: Body, response: { 201: Created } } }, async (req, reply) => {
    const scope = JSON.parse(String(req.headers["x-test-scope"])) as IdempotencyScope;
    const body = await runMutation(h.ctx, req, reply, scope, async (trx) => {
      const company = await createCompany(trx, { name: req.body.name }, clock.now());
      if (failOnce.delete(req.body.name)) throw new OkroError("UNPROCESSABLE", "name: refused once, on purpose");
      // A body its response schema refuses (note must be a string or null): the reply cannot be serialized.
      if (unserializable.has(req.body.name)) return { statusCode: 201, body: ok("Company created", { id: company.id, name: company.name, note: 42 }) };
      return { statusCode: 201, body: ok("Company created", { id: company.id, name: company.name, note: req.body.note ?? null }) };
    });
    return body as z.infer<typeof Created>;
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const uniqueName = () => `idem-${randomUUID()}`;
const newScope = (): IdempotencyScope => ({ who: "api", companyId: randomUUID(), env: "sandbox" });

function create(scope: IdempotencyScope, body: unknown, key?: string) {
  return app.inject({
    method: "POST",
    url: "/test/companies",
    headers: { "x-test-scope": JSON.stringify(scope), ...(key === undefined ? {} : { "idempotency-key": key }) },
    payload: body as object,
  });
}

async function effects(name: string): Promise<number> {
  const rows = await h.ctx.db.selectFrom("companies").select("id").where("name", "=", name).execute();
  return rows.length;
}

async function storedKeys(scope: IdempotencyScope, key: string): Promise<number> {
  const rows = await h.ctx.db.selectFrom("idempotency_keys").select("key").where("scope", "=", scopeId(scope)).where("key", "=", key).execute();
  return rows.length;
}

describe("Idempotency-Key", () => {
  it("runs each request without a key (no replay)", async () => {
    const name = uniqueName();
    const scope = newScope();
    expect((await create(scope, { name })).statusCode).toBe(201);
    expect((await create(scope, { name })).statusCode).toBe(201);
    expect(await effects(name)).toBe(2);
  });

  it("replays the first response for the same key and body, with Idempotent-Replayed, and does the effect once", async () => {
    const name = uniqueName();
    const scope = newScope();
    const key = randomUUID();
    const first = await create(scope, { name, note: "a" }, key);
    const firstData = expectSuccess(first, 201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const again = await create(scope, { note: "a", name }, key);
      expect(again.statusCode).toBe(201);
      expect(again.headers["idempotent-replayed"]).toBe("true");
      expect(again.body).toBe(first.body);
      expect(expectSuccess(again, 201).id).toBe(firstData.id);
    }
    expect(await effects(name)).toBe(1);
  });

  it("refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED, doing nothing", async () => {
    const name = uniqueName();
    const scope = newScope();
    const key = randomUUID();
    expect((await create(scope, { name }, key)).statusCode).toBe(201);
    const other = uniqueName();
    const { message } = expectError(await create(scope, { name: other }, key), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(message).toMatch(/^Idempotency-Key: /);
    expectError(await create(scope, { name, note: "extra" }, key), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(await effects(name)).toBe(1);
    expect(await effects(other)).toBe(0);
  });

  it("keeps keys of different scopes (tenants) independent", async () => {
    const name = uniqueName();
    const key = randomUUID();
    const a = await create(newScope(), { name }, key);
    const b = await create(newScope(), { name }, key);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers["idempotent-replayed"]).toBeUndefined();
    expect(b.json().data.id).not.toBe(a.json().data.id);
    expect(await effects(name)).toBe(2);
  });

  it("leaves no effect and no key when the mutation fails, so a retry with the same key runs", async () => {
    const name = uniqueName();
    const scope = newScope();
    const key = randomUUID();
    failOnce.add(name);
    expectError(await create(scope, { name }, key), 422, "UNPROCESSABLE");
    expect(await effects(name)).toBe(0);
    expect(await storedKeys(scope, key)).toBe(0);

    const retry = await create(scope, { name }, key);
    expectSuccess(retry, 201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    expect(await effects(name)).toBe(1);
    expect(await storedKeys(scope, key)).toBe(1);
  });

  it("keeps no write when the answer cannot be serialized: the 500 comes before the commit, with or without a key", async () => {
    for (const key of [undefined, randomUUID()]) {
      const name = uniqueName();
      const scope = newScope();
      unserializable.add(name);
      const res = await create(scope, { name }, key);
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ status: "error", error: "INTERNAL_ERROR" });
      expect(await effects(name)).toBe(0);
      if (key !== undefined) expect(await storedKeys(scope, key)).toBe(0);
      // Once the answer can be given, the same request (and key) runs and is kept.
      unserializable.delete(name);
      expect((await create(scope, { name }, key)).statusCode).toBe(201);
      expect(await effects(name)).toBe(1);
    }
  });

  it("does the effect exactly once for 20 concurrent requests with one key, and answers all 20 identically", async () => {
    const name = uniqueName();
    const scope = newScope();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => create(scope, { name }, key)));
    for (const res of answers) expect(res.statusCode, res.body).toBe(201);
    for (const res of answers) expect(res.body).toBe(answers[0]!.body);
    expect(answers.filter((res) => res.headers["idempotent-replayed"] === undefined)).toHaveLength(1);
    expect(await effects(name)).toBe(1);
  });

  it("refuses a malformed key with 400 INVALID_HEADERS before doing anything", async () => {
    const name = uniqueName();
    const scope = newScope();
    for (const key of ["k".repeat(256), "has space", "tab\tkey", ""]) {
      const res = await create(scope, { name }, key);
      const { message } = expectError(res, 400, "INVALID_HEADERS");
      expect(message).toMatch(/^Idempotency-Key: /);
    }
    expect(await effects(name)).toBe(0);
    expectSuccess(await create(scope, { name }, "k".repeat(255)), 201);
  });

  it("forgets keys after 24 hours: until then it replays, afterwards the key starts over", async () => {
    const name = uniqueName();
    const scope = newScope();
    const key = randomUUID();
    const first = await create(scope, { name }, key);
    expect(first.statusCode).toBe(201);

    clock.advance(IDEMPOTENCY_TTL_MS - 1000);
    const replayed = await create(scope, { name }, key);
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    expectError(await create(scope, { name: uniqueName() }, key), 409, "IDEMPOTENCY_KEY_REUSED");

    clock.advance(1001);
    const other = uniqueName();
    const fresh = await create(scope, { name: other }, key);
    expectSuccess(fresh, 201);
    expect(fresh.headers["idempotent-replayed"]).toBeUndefined();
    expect(await effects(name)).toBe(1);
    expect(await effects(other)).toBe(1);
    // …and the key now belongs to the new request.
    expect((await create(scope, { name: other }, key)).headers["idempotent-replayed"]).toBe("true");
    expect(await storedKeys(scope, key)).toBe(1);
  });
});

describe("Idempotency-Key on a real route: POST /v2/apps/create", () => {
  const createApp = (secretKey: string, body: unknown, key: string, prefix = "/v2") =>
    h.request({ method: "POST", url: `${prefix}/apps/create`, headers: { ...bearer(secretKey), "idempotency-key": key }, payload: body as object });
  const appsNamed = async (companyId: string, name: string) =>
    (await h.ctx.db.selectFrom("apps").select("id").where("company_id", "=", companyId).where("name", "=", name).execute()).length;

  it("replays the same request, refuses a different one, and creates the app once", async () => {
    const tenant = await h.newTenant("Idempotent Apps Co");
    const key = randomUUID();
    const name = `widget-${randomUUID()}`.slice(0, 60);
    const first = await createApp(tenant.sandbox.secret_key, { name, products: ["balance"] }, key);
    expectSuccess(first);
    const again = await createApp(tenant.sandbox.secret_key, { products: ["balance"], name }, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    expectError(await createApp(tenant.sandbox.secret_key, { name, products: ["identity"] }, key), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(await appsNamed(tenant.id, name)).toBe(1);
  });

  it("keeps one company's environments and other companies apart", async () => {
    const tenant = await h.newTenant("Idempotent Apps Co 2");
    const stranger = await h.newTenant("Idempotent Apps Co 3");
    const key = randomUUID();
    const name = `widget-${randomUUID()}`.slice(0, 60);
    for (const secretKey of [tenant.sandbox.secret_key, tenant.production.secret_key, stranger.sandbox.secret_key]) {
      const res = await createApp(secretKey, { name }, key);
      expectSuccess(res);
      expect(res.headers["idempotent-replayed"]).toBeUndefined();
    }
    expect(await appsNamed(tenant.id, name)).toBe(2);
    expect(await appsNamed(stranger.id, name)).toBe(1);
  });

  it("creates one app for 20 concurrent requests with one key", async () => {
    const tenant = await h.newTenant("Idempotent Apps Co 4");
    const key = randomUUID();
    const name = `widget-${randomUUID()}`.slice(0, 60);
    const answers = await Promise.all(Array.from({ length: 20 }, () => createApp(tenant.sandbox.secret_key, { name }, key)));
    for (const res of answers) expect(res.statusCode, res.body).toBe(200);
    for (const res of answers) expect(res.body).toBe(answers[0]!.body);
    expect(await appsNamed(tenant.id, name)).toBe(1);
  });

  it("treats /v2, /v2/sandbox and /sandbox/v2 as one API: a key sent to two of them replays", async () => {
    const tenant = await h.newTenant("Idempotent Apps Co 5");
    const key = randomUUID();
    const name = `widget-${randomUUID()}`.slice(0, 60);
    const first = await createApp(tenant.sandbox.secret_key, { name }, key, "/v2/sandbox");
    expectSuccess(first);
    const again = await createApp(tenant.sandbox.secret_key, { name }, key, "/v2");
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    expect(await appsNamed(tenant.id, name)).toBe(1);
  });
});

describe("expired idempotency keys", () => {
  it("are purged by the housekeeping job, so the table does not grow forever; live keys stay", async () => {
    const scope = newScope();
    const expired = new Date(clock.now().getTime() - IDEMPOTENCY_TTL_MS - 60_000);
    const live = new Date(clock.now().getTime() - IDEMPOTENCY_TTL_MS + 60_000);
    await h.ctx.db
      .insertInto("idempotency_keys")
      .values([
        { scope: scopeId(scope), key: "old", request_hash: "0".repeat(64), response_status: 200, response_body: "{}", created_at: expired },
        { scope: scopeId(scope), key: "live", request_hash: "0".repeat(64), response_status: 200, response_body: "{}", created_at: live },
      ])
      .execute();
    // The job recurs every 10 minutes; here it is enqueued once under a key of this test's own.
    await enqueue(h.ctx.db, purgeIdempotencyKeysJob, {}, { now: clock.now(), key: `test-${randomUUID()}` });
    expect(await new JobRunner(h.ctx, [purgeIdempotencyKeysJob]).runOnce()).toBeGreaterThanOrEqual(1);
    expect(await storedKeys(scope, "old")).toBe(0);
    expect(await storedKeys(scope, "live")).toBe(1);
  });
});
