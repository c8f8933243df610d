import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_PREFIXES, type RouteEntry } from "../../src/app.js";
import type { Env } from "../../src/db/schema.js";
import { issueKey, revokeKey } from "../../src/platform/keys.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { randomToken } from "../../src/lib/secrets.js";
import { expectError, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { routeCases, type RouteCase } from "./route-registry.js";

/**
 * The shared security suite (STYLE.md "Tests", DESIGN.md §4.1 and invariant 6): every `/v2`
 * route, under every API prefix, refuses callers without a usable secret key, keeps production
 * keys off the sandbox-only prefixes, and answers another tenant's (or environment's) object
 * with the same 404 as a missing one. Cases come from route-registry.ts; a registered route
 * without a case fails the suite.
 */

/** Routes that live under an API prefix but are public on purpose: the OpenAPI document, and the index at the API's base. */
const PUBLIC_API_ROUTES = new Set(["GET /v2/openapi.json", "HEAD /v2/openapi.json", "GET /v2/", "HEAD /v2/"]);

const isUnder = (url: string, prefix: string) => url.startsWith(`${prefix}/`);

/**
 * Registered API routes that no case covers, as "METHOD url". Fastify adds a HEAD route for
 * every GET; the GET's case covers it.
 */
function uncoveredRoutes(table: readonly RouteEntry[], cases: readonly RouteCase[]): string[] {
  const covered = new Set(cases.flatMap((c) => API_PREFIXES.map(({ prefix }) => `${c.method} ${prefix}${c.path}`)));
  return table
    .filter((r) => API_PREFIXES.some(({ prefix }) => isUnder(r.url, prefix)))
    .map((r) => `${r.method} ${r.url}`)
    .filter((route) => !PUBLIC_API_ROUTES.has(route))
    .filter((route) => !covered.has(route) && !covered.has(route.replace(/^HEAD /, "GET ")))
    .sort();
}

/** Cases (under each prefix) that name a route nobody registered: a stale or misspelt entry. */
function unregisteredCases(table: readonly RouteEntry[], cases: readonly RouteCase[]): string[] {
  const registered = new Set(table.map((r) => `${r.method} ${r.url}`));
  return cases
    .flatMap((c) => API_PREFIXES.map(({ prefix }) => `${c.method} ${prefix}${c.path}`))
    .filter((route) => !registered.has(route))
    .sort();
}

describe("route registry coverage (how the suite knows every route)", () => {
  const table: RouteEntry[] = [
    { method: "GET", url: "/health", hidden: false },
    { method: "GET", url: "/v2/openapi.json", hidden: true },
    ...API_PREFIXES.flatMap(({ prefix }) => [
      { method: "GET", url: `${prefix}/things/list`, hidden: false },
      { method: "HEAD", url: `${prefix}/things/list`, hidden: false },
      { method: "POST", url: `${prefix}/things/create`, hidden: false },
    ]),
  ];

  it("reports a registered route that has no case, under every prefix", () => {
    expect(uncoveredRoutes(table, [{ method: "GET", path: "/things/list" }])).toEqual([
      "POST /sandbox/v2/things/create",
      "POST /v2/sandbox/things/create",
      "POST /v2/things/create",
    ]);
  });

  it("counts Fastify's automatic HEAD route as covered by its GET case, and ignores non-API routes", () => {
    expect(
      uncoveredRoutes(table, [
        { method: "GET", path: "/things/list" },
        { method: "POST", path: "/things/create" },
      ]),
    ).toEqual([]);
  });

  it("reports a case whose route is not registered", () => {
    expect(unregisteredCases(table, [{ method: "POST", path: "/things/lsit" }])).toHaveLength(3);
  });
});

let h: Harness;
/** A company whose keys must never reach anybody else's objects. */
let stranger: NewCompany;

beforeAll(async () => {
  h = await createHarness();
  stranger = await h.newTenant("Stranger Co");
});
afterAll(() => h?.close());

describe("the route registry", () => {
  it("has a case for every registered API route (add yours to test/security/route-registry.ts)", () => {
    expect(uncoveredRoutes(h.app.routeTable, routeCases)).toEqual([]);
  });

  it("names only routes that exist", () => {
    expect(unregisteredCases(h.app.routeTable, routeCases)).toEqual([]);
  });

  it("covers at least the bank directory (the suite is not vacuous)", () => {
    const apiRoutes = h.app.routeTable.filter((r) => API_PREFIXES.some(({ prefix }) => isUnder(r.url, prefix)));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(routeCases.length * API_PREFIXES.length);
    expect(routeCases.length).toBeGreaterThanOrEqual(4);
  });
});

type Shape = { query?: string; body?: unknown };

function injectOptions(prefix: string, c: RouteCase, shape: Shape | undefined, headers: Record<string, string>): InjectOptions {
  const url = `${prefix}${c.path}${shape?.query ? `?${shape.query}` : ""}`;
  const options: InjectOptions = { method: c.method, url, headers };
  if (shape?.body !== undefined) options.payload = shape.body as InjectOptions["payload"];
  return options;
}

const caseName = (c: RouteCase) => `${c.method} ${c.path}`;

describe.each(routeCases.map((c) => [caseName(c), c] as const))("%s", (_name, c) => {
  describe.each(API_PREFIXES.map((p) => [p.prefix, p] as const))("under %s", (prefix, { sandboxOnly: sandboxPrefix }) => {
    // Production keys are refused on the sandbox-only prefixes, and on every prefix by routes
    // that act on the sandbox itself (RouteCase.sandboxOnly).
    const sandboxOnly = sandboxPrefix || c.sandboxOnly === true;
    let tenant: NewCompany;
    /** A revoked and an expired sandbox secret key of `tenant`. */
    let revoked: string;
    let expired: string;
    /** The request the refusals are tried with: the valid one, or one naming a real object. */
    let attempt: Shape | undefined;

    beforeAll(async () => {
      // A fresh tenant per case and prefix: valid requests may create things (and count
      // against the per-key rate limit), and must not see other tests' data.
      tenant = await h.newTenant(`Security ${caseName(c)} ${prefix}`.slice(0, 200));
      const extra = await issueKey(h.ctx.db, tenant.id, "sandbox", "secret", h.clock.now());
      await revokeKey(h.ctx.db, tenant.id, extra.id, h.clock.now());
      revoked = extra.key;
      const old = await issueKey(h.ctx.db, tenant.id, "sandbox", "secret", h.clock.now());
      await h.ctx.db.updateTable("api_keys").set({ expires_at: h.clock.now() }).where("id", "=", old.id).execute();
      expired = old.key;
      attempt = c.owned ? c.owned.request(await c.owned.create(h, tenant, "sandbox")) : c.valid;
    });

    const send = (shape: Shape | undefined, headers: Record<string, string>) =>
      h.request(injectOptions(prefix, c, shape, headers)) as Promise<Answer>;

    it("refuses a request without Authorization with 401 UNAUTHORIZED", async () => {
      expectError(await send(attempt, {}), 401, "UNAUTHORIZED");
      expectError(await send(attempt, { authorization: "" }), 401, "UNAUTHORIZED");
      expectError(await send(attempt, { authorization: "Bearer " }), 401, "UNAUTHORIZED");
      if (c.method === "GET") {
        const head = await h.request({ ...injectOptions(prefix, c, attempt, {}), method: "HEAD" });
        expect(head.statusCode).toBe(401);
      }
    });

    it("refuses a malformed or unknown key with 401", async () => {
      for (const authorization of [
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        `Bearer ${tenant.sandbox.secret_key}x!`,
        `Bearer ${tenant.sandbox.secret_key.slice(0, -1)}`,
        `Bearer sk_test_${randomToken(32)}`,
        `Bearer sk_live_${randomToken(32)}`,
      ]) {
        expectError(await send(attempt, { authorization }), 401, "UNAUTHORIZED");
      }
    });

    it("refuses a public key (pk_test_…, pk_live_…) with 401", async () => {
      expectError(await send(attempt, bearer(tenant.sandbox.public_key)), 401, "UNAUTHORIZED");
      expectError(await send(attempt, bearer(tenant.production.public_key)), 401, "UNAUTHORIZED");
    });

    it("refuses a revoked secret key with 401", async () => {
      expectError(await send(attempt, bearer(revoked)), 401, "UNAUTHORIZED");
    });

    it("refuses an expired secret key with 401", async () => {
      expectError(await send(attempt, bearer(expired)), 401, "UNAUTHORIZED");
    });

    if (sandboxOnly) {
      it("refuses a production secret key with 403 SANDBOX_ONLY", async () => {
        const { message } = expectError(await send(attempt, bearer(tenant.production.secret_key)), 403, "SANDBOX_ONLY");
        expect(message).toMatch(/sandbox/i);
      });
    }

    const envs: Env[] = sandboxOnly ? ["sandbox"] : ["sandbox", "production"];
    it.each(envs)(`lets a valid %s secret key through (neither 401 nor 403${c.valid || c.owned ? "; 2xx for the valid request" : ""})`, async (env) => {
      const shape = c.owned ? c.owned.request(await c.owned.create(h, tenant, env)) : c.valid;
      const res = await send(shape, bearer(tenant[env].secret_key));
      expect(res.statusCode, res.body).not.toBe(401);
      expect(res.statusCode, res.body).not.toBe(403);
      expect(res.statusCode, res.body).toBeLessThan(500);
      if (c.valid || c.owned) expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
      if (c.valid || c.owned) expect(res.statusCode, res.body).toBeLessThan(300);
      if (res.statusCode >= 400) expectError(res, res.statusCode, res.json().error);
      expect(typeof res.headers["x-request-id"]).toBe("string");
    });

    const owned = c.owned;
    if (owned) {
      it("answers another company's key with 404 NOT_FOUND, as for a missing object", async () => {
        for (const env of envs) {
          const id = await owned.create(h, tenant, env);
          expectError(await send(owned.request(id), bearer(stranger[env].secret_key)), 404, "NOT_FOUND");
          // The owner still sees it afterwards: the 404 was about who asked.
          const mine = await send(owned.request(id), bearer(tenant[env].secret_key));
          expect(mine.statusCode, mine.body).toBeLessThan(300);
        }
      });

      if (!sandboxOnly) {
        it("answers the same company's other-environment key with 404 NOT_FOUND", async () => {
          const inSandbox = await owned.create(h, tenant, "sandbox");
          expectError(await send(owned.request(inSandbox), bearer(tenant.production.secret_key)), 404, "NOT_FOUND");
          const inProduction = await owned.create(h, tenant, "production");
          expectError(await send(owned.request(inProduction), bearer(tenant.sandbox.secret_key)), 404, "NOT_FOUND");
        });
      }
    }
  });
});
