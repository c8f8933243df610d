import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteEntry } from "../../src/app.js";
import type { Env } from "../../src/db/schema.js";
import { ManualClock } from "../../src/lib/clock.js";
import { randomToken } from "../../src/lib/secrets.js";
import { newId } from "../../src/lib/ids.js";
import { createApp } from "../../src/platform/apps.js";
import { SESSION_COOKIE, SESSION_TTL_MS } from "../../src/platform/domain.js";
import { normalizeEmail } from "../../src/platform/users.js";
import { issueKey } from "../../src/platform/keys.js";
import { createEndpoint, deleteEndpoint } from "../../src/events/endpoints.js";
import { emitEvent } from "../../src/events/emit.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { accountData, garnishmentFixture, linkFixture, mandateFixture, paymentFixture } from "./route-registry.js";
import { validateBatch } from "../../src/bulk/service.js";
import { expectError, expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { createHarness, type Harness } from "../harness.js";
import { DashboardClient, PASSWORD, signedUp, uniqueEmail, type InjectResponseExtras } from "../platform/dashboard-client.js";

/**
 * The shared security suite for the dashboard's JSON API (/dashboard/api/*), the session-cookie
 * counterpart of security.test.ts. The routes come from the app's own route table, so a new
 * dashboard route is tested the moment it is registered: every route that is not in
 * PUBLIC_DASHBOARD_ROUTES is treated as session-protected and must
 *
 *  - answer 401 UNAUTHORIZED (Okra's error envelope) without a session cookie, with a malformed
 *    one, with a well-formed but unknown token, with a logged-out session and with an expired one
 *    (SESSION_TTL_MS after login, by the injected clock), and change nothing;
 *  - when it changes state (POST/PUT/PATCH/DELETE), answer 403 FORBIDDEN to a valid session's
 *    request from another Origin and 415 UNSUPPORTED_MEDIA_TYPE to one with a form content type,
 *    and change nothing;
 *  - when it addresses an object by id (found in the OpenAPI document: an `id` path, query or
 *    body field), answer another company's id with the same 404 NOT_FOUND as a missing one, and
 *    change nothing. Such a route needs an entry in OWNED_OBJECTS, or the suite fails.
 */

const DASHBOARD_API = "/dashboard/api";

/** Dashboard routes that need no session, on purpose. Everything else under /dashboard/api/ must. */
const PUBLIC_DASHBOARD_ROUTES: readonly string[] = [
  "POST /dashboard/api/signup",
  "POST /dashboard/api/login",
  // Ends the cookie's session if there is one; without one it only clears the cookie.
  "POST /dashboard/api/logout",
  // A forgotten password and an invitation are what people without a session have.
  "POST /dashboard/api/password/forgot",
  "POST /dashboard/api/password/reset",
  "POST /dashboard/api/invitations/lookup",
  "POST /dashboard/api/invitations/accept",
];

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Registered dashboard API routes as "METHOD url", once each. Fastify's automatic HEAD route for
 * a GET is covered by the GET's tests; hidden routes are not part of the API.
 */
function dashboardRoutes(table: readonly RouteEntry[]): string[] {
  const routes = table
    .filter((r) => r.url.startsWith(`${DASHBOARD_API}/`) && r.method !== "HEAD" && !r.hidden)
    .map((r) => `${r.method} ${r.url}`);
  return [...new Set(routes)].sort();
}

/** The routes the suite holds to a session: every dashboard route not listed as public. */
function protectedRoutes(table: readonly RouteEntry[], publicRoutes: readonly string[]): string[] {
  return dashboardRoutes(table).filter((route) => !publicRoutes.includes(route));
}

/** Listed routes (public ones, per-route cases) that nobody registered: a stale or misspelt entry. */
function unregistered(table: readonly RouteEntry[], listed: readonly string[]): string[] {
  const registered = new Set(dashboardRoutes(table));
  return listed.filter((route) => !registered.has(route)).sort();
}

describe("dashboard route classification (how the suite knows every route)", () => {
  const table: RouteEntry[] = [
    { method: "GET", url: "/dashboard", hidden: true },
    { method: "GET", url: "/v2/things/list", hidden: false },
    { method: "POST", url: "/dashboard/api/login", hidden: false },
    { method: "GET", url: "/dashboard/api/things", hidden: false },
    { method: "HEAD", url: "/dashboard/api/things", hidden: false },
    { method: "POST", url: "/dashboard/api/things/create", hidden: false },
    { method: "GET", url: "/dashboard/api/internal", hidden: true },
  ];

  it("treats every registered dashboard API route that is not listed as public as session-protected", () => {
    expect(protectedRoutes(table, ["POST /dashboard/api/login"])).toEqual(["GET /dashboard/api/things", "POST /dashboard/api/things/create"]);
  });

  it("so a newly registered route is protected until someone lists it as public", () => {
    const grown = [...table, { method: "POST", url: "/dashboard/api/things/export", hidden: false }];
    expect(protectedRoutes(grown, ["POST /dashboard/api/login"])).toContain("POST /dashboard/api/things/export");
  });

  it("reports a listed route that is not registered", () => {
    expect(unregistered(table, ["POST /dashboard/api/login", "POST /dashboard/api/lgoin"])).toEqual(["POST /dashboard/api/lgoin"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Harnesses. Built at module level: the describe.each below needs the route table to exist.
// ---------------------------------------------------------------------------------------------

/** Never moves: sessions made on `h` stay valid for the whole file. */
const clock = new ManualClock();
const h: Harness = await createHarness({ clock });
/** Moved forward by the expiry tests only (each makes its own sessions first). */
const timedClock = new ManualClock();
const timed: Harness = await createHarness({ clock: timedClock });
afterAll(async () => {
  await h.close();
  await timed.close();
});

const PROTECTED = protectedRoutes(h.app.routeTable, PUBLIC_DASHBOARD_ROUTES);

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** What a request carries besides its method and route: path parameters, a query, a JSON body. */
interface Shape {
  params?: Record<string, string>;
  query?: string;
  body?: Record<string, unknown>;
}

/** A signed-in user's company, for building requests that address its objects. */
interface Owner {
  client: DashboardClient;
  companyId: string;
}

/** An id that names nothing (ids are 24 hex characters). */
const MISSING_ID = "0".repeat(24);

const splitRoute = (route: string) => {
  const [method, url] = route.split(" ") as [string, string];
  return { method, url };
};

/** The path under /dashboard/api, with path parameters filled in (a missing one: MISSING_ID). */
function pathOf(url: string, shape: Shape): string {
  const path = url.slice(DASHBOARD_API.length).replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(shape.params?.[name] ?? MISSING_ID));
  return shape.query ? `${path}?${shape.query}` : path;
}

/**
 * Sends `route` with `shape` as `client` (its cookie and address). State-changing requests always
 * carry a JSON body, so that they pass the CSRF guard and the answer is about the session.
 */
function send(client: DashboardClient, route: string, shape: Shape, headers: Record<string, string> = {}) {
  const { method, url } = splitRoute(route);
  const body = STATE_CHANGING.has(method) ? (shape.body ?? {}) : shape.body;
  return client.send(method as "GET", pathOf(url, shape), body, headers);
}

/** An app of `companyId` in `env`, made through the service (not the route under test). */
async function ownedApp(companyId: string, env: Env): Promise<string> {
  return (await createApp(h.ctx.db, { companyId, env }, { name: "Owned widget" }, clock.now())).id;
}

/** A spare secret key of `companyId` in `env` (revoking it must not lock the owner out). */
async function ownedKey(companyId: string, env: Env): Promise<string> {
  return (await issueKey(h.ctx.db, companyId, env, "secret", clock.now())).id;
}

/** A viewer teammate of `companyId`, written straight into the table. */
async function ownedTeammate(companyId: string): Promise<string> {
  const id = newId(clock.now());
  await h.ctx.db.insertInto("users").values({ id, company_id: companyId, email: normalizeEmail(uniqueEmail()), name: "Teammate", password_hash: "x", role: "viewer", created_at: clock.now() }).execute();
  return id;
}

/** An open invitation of `companyId`. */
async function ownedInvitation(companyId: string): Promise<string> {
  const id = newId(clock.now());
  await h.ctx.db
    .insertInto("invitations")
    .values({ id, company_id: companyId, email: normalizeEmail(uniqueEmail()), role: "viewer", token_hash: randomToken(32).padEnd(64, "0").slice(0, 64), invited_by: null, created_at: clock.now(), expires_at: new Date(clock.now().getTime() + 86_400_000) })
    .execute();
  return id;
}

interface OwnedObject {
  what: string;
  create(companyId: string, env: Env): Promise<string>;
  request(id: string, env: Env): Shape;
  /** The object belongs to one environment, and the route names it: the other one must 404 too. */
  envScoped: boolean;
  /** The route answers a CSV download (not the JSON envelope) when it succeeds. */
  csv?: boolean;
}

/** Success: the JSON envelope, or for a CSV download a 200 text/csv attachment. */
function expectOk(res: Answer & { headers: Record<string, unknown> }, csv: boolean | undefined): void {
  if (!csv) {
    expectSuccess(res);
    return;
  }
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(String(res.headers["content-type"])).toMatch(/^text\/csv/);
  expect(String(res.headers["content-disposition"])).toMatch(/^attachment/);
}

/**
 * Routes that address one of the company's objects by id. Every protected route whose schema
 * takes an id must be here (checked against the OpenAPI document below).
 */
const OWNED_OBJECTS: Record<string, OwnedObject> = {
  "GET /dashboard/api/apps/:id": { what: "app", create: ownedApp, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/apps/update": { what: "app", create: ownedApp, request: (id, env) => ({ body: { env, id, name: "Hijacked", color: "#123456" } }), envScoped: true },
  "POST /dashboard/api/apps/delete": { what: "app", create: ownedApp, request: (id, env) => ({ body: { env, id } }), envScoped: true },
  "POST /dashboard/api/keys/revoke": { what: "key", create: ownedKey, request: (id) => ({ body: { id } }), envScoped: false },
  "POST /dashboard/api/team/role": { what: "teammate", create: ownedTeammate, request: (id) => ({ body: { id, role: "developer" } }), envScoped: false },
  "POST /dashboard/api/team/remove": { what: "teammate", create: ownedTeammate, request: (id) => ({ body: { id } }), envScoped: false },
  "POST /dashboard/api/team/invitations/revoke": { what: "invitation", create: ownedInvitation, request: (id) => ({ body: { id } }), envScoped: false },
  // Payments, links and sandbox tools (dashboard/api): objects made by the payments fixtures.
  "GET /dashboard/api/payments/:id": { what: "payment", create: ownedPayment(), request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/payments/refund": {
    what: "payment",
    create: ownedPayment({ settle: true }),
    request: (payment_id, env) => ({ body: { env, payment_id, amount: 100, confirm: true } }),
    envScoped: true,
  },
  "POST /dashboard/api/payments/cancel": { what: "payment", create: ownedPayment(), request: (payment_id, env) => ({ body: { env, payment_id } }), envScoped: true },
  "POST /dashboard/api/payments/review/approve": {
    what: "payment",
    create: ownedPayment({ review: true }),
    request: (payment_id, env) => ({ body: { env, payment_id, confirm: true } }),
    envScoped: true,
  },
  "POST /dashboard/api/payments/review/decline": { what: "payment", create: ownedPayment({ review: true }), request: (payment_id, env) => ({ body: { env, payment_id } }), envScoped: true },
  "GET /dashboard/api/links/:id": { what: "payment link", create: ownedLink, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/links/disable": { what: "payment link", create: ownedLink, request: (id, env) => ({ body: { env, id } }), envScoped: true },
  // Mandates, customers and bulk uploads (wt-pages).
  "GET /dashboard/api/mandates/:id": { what: "mandate", create: ownedMandate("active"), request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/mandates/pause": { what: "mandate", create: ownedMandate("active"), request: (mandate_id, env) => ({ body: { env, mandate_id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/mandates/resume": { what: "mandate", create: ownedMandate("paused"), request: (mandate_id, env) => ({ body: { env, mandate_id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/mandates/cancel": { what: "mandate", create: ownedMandate("active"), request: (mandate_id, env) => ({ body: { env, mandate_id, confirm: true } }), envScoped: true },
  "GET /dashboard/api/customers/:id": {
    what: "customer",
    create: async (companyId, env) => (await accountData(h, { id: companyId, name: "Owner" } as NewCompany, env)).customerId,
    request: (id, env) => ({ params: { id }, query: `env=${env}` }),
    envScoped: true,
  },
  "GET /dashboard/api/batches/:id": { what: "batch", create: ownedBatch, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "GET /dashboard/api/batches/:id/errors.csv": { what: "batch", create: ownedBatch, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true, csv: true },
  "GET /dashboard/api/batches/:id/results.csv": { what: "batch", create: ownedBatch, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true, csv: true },
  "POST /dashboard/api/batches/commit": { what: "batch", create: ownedBatch, request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/batches/cancel": { what: "batch", create: ownedBatch, request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/batches/retry": {
    what: "batch",
    create: async (companyId, env) => {
      const id = await ownedBatch(companyId, env);
      await h.ctx.db.updateTable("batch_rows").set({ state: "failed", reason: "fixture" }).where("batch_id", "=", id).execute();
      await h.ctx.db.updateTable("batches").set({ state: "failed", failed_count: 1 }).where("id", "=", id).execute();
      return id;
    },
    request: (id, env) => ({ body: { env, id, confirm: true } }),
    envScoped: true,
  },
  // Garnishments (wt-dash): recoveries made by the garnish service over a sweep mandate fixture.
  "GET /dashboard/api/garnishments/:id": { what: "garnishment", create: ownedGarnishment(), request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/garnishments/pause": { what: "garnishment", create: ownedGarnishment("active"), request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/garnishments/resume": { what: "garnishment", create: ownedGarnishment("paused"), request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/garnishments/cancel": { what: "garnishment", create: ownedGarnishment("active"), request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/garnishments/sweep": { what: "garnishment", create: ownedGarnishment("active"), request: (id, env) => ({ body: { env, id, confirm: true } }), envScoped: true },
  "POST /dashboard/api/garnishments/lower": { what: "garnishment", create: ownedGarnishment("active"), request: (id, env) => ({ body: { env, id, principal: 5_000, confirm: true } }), envScoped: true },
  // The sandbox tools act on the company's sandbox only: its endpoint is always a sandbox one.
  "POST /dashboard/api/sandbox/webhooks/test": {
    what: "webhook endpoint",
    create: ownedSandboxEndpoint,
    request: (endpoint_id) => ({ body: { endpoint_id } }),
    envScoped: false,
  },
  // Developers: webhook endpoints, deliveries and events (wt-devpages).
  "GET /dashboard/api/webhooks/:id": { what: "webhook endpoint", create: ownedEndpoint, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/webhooks/update": { what: "webhook endpoint", create: ownedEndpoint, request: (id, env) => ({ body: { env, id, enabled: false, description: "Hijacked" } }), envScoped: true },
  "POST /dashboard/api/webhooks/rotate-secret": { what: "webhook endpoint", create: ownedEndpoint, request: (id, env) => ({ body: { env, id } }), envScoped: true },
  "POST /dashboard/api/webhooks/delete": { what: "webhook endpoint", create: ownedEndpoint, request: (id, env) => ({ body: { env, id } }), envScoped: true },
  "GET /dashboard/api/webhooks/deliveries": { what: "webhook endpoint", create: ownedEndpoint, request: (id, env) => ({ query: `env=${env}&endpoint_id=${id}` }), envScoped: true },
  "POST /dashboard/api/webhooks/deliveries/resend-failed": {
    what: "webhook endpoint",
    create: ownedEndpoint,
    request: (endpoint_id, env) => ({ body: { env, endpoint_id, from: "2026-01-01", to: "2026-01-31" } }),
    envScoped: true,
  },
  "GET /dashboard/api/webhooks/deliveries/:id": { what: "webhook delivery", create: ownedDelivery, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
  "POST /dashboard/api/webhooks/deliveries/resend": { what: "webhook delivery", create: ownedDelivery, request: (id, env) => ({ body: { env, id } }), envScoped: true },
  "GET /dashboard/api/events": { what: "event", create: ownedEvent, request: (id, env) => ({ query: `env=${env}&starting_after=${id}` }), envScoped: true },
  "GET /dashboard/api/request-log": { what: "API key", create: ownedKey, request: (id, env) => ({ query: `env=${env}&key_id=${id}` }), envScoped: false },
  "GET /dashboard/api/events/:id": { what: "event", create: ownedEvent, request: (id, env) => ({ params: { id }, query: `env=${env}` }), envScoped: true },
};

/** A ₦100 garnishment of `companyId` in `env`, in `state` (as created when not given). */
function ownedGarnishment(state?: "active" | "paused") {
  return (companyId: string, env: Env) => garnishmentFixture(h, { id: companyId, name: "Owner" } as NewCompany, env, state);
}

/** A mandate of `companyId` in `env`, in `state`. */
function ownedMandate(state: "active" | "paused") {
  return async (companyId: string, env: Env) => (await mandateFixture(h, { id: companyId, name: "Owner" } as NewCompany, env, state)).id;
}

/** A `ready` batch of one valid row of `companyId` in `env`. */
async function ownedBatch(companyId: string, env: Env): Promise<string> {
  const fixture = await paymentFixture(h, { id: companyId, name: "Owner" } as NewCompany, env);
  const batch = await h.ctx.db.transaction().execute((trx) =>
    validateBatch(trx, h.ctx, { companyId, env }, { source: { kind: "json", rows: [{ account_to_debit: fixture.accountId, amount: 100 + Math.floor(Math.random() * 1e6) }] } }),
  );
  return batch.id;
}

/** A payment of `companyId` in `env`, made through the engine (payments fixtures). */
function ownedPayment(options: { settle?: boolean; review?: boolean } = {}) {
  return async (companyId: string, env: Env) => (await paymentFixture(h, { id: companyId, name: "Owner" } as NewCompany, env, options)).paymentId;
}

/** The company's sandbox webhook endpoint (one per company: the suite asks for it many times, and an environment holds at most 16). */
async function ownedSandboxEndpoint(companyId: string): Promise<string> {
  const existing = await h.ctx.db.selectFrom("webhook_endpoints").select("id").where("company_id", "=", companyId).where("env", "=", "sandbox").executeTakeFirst();
  return existing?.id ?? (await createEndpoint(h.ctx.db, h.ctx.secrets, { companyId, env: "sandbox" }, { url: "https://hooks.example.com/dash" }, clock.now())).id;
}

/**
 * A fresh webhook endpoint of `companyId` in `env` (routes under test disable or delete them). An
 * environment holds at most 16, and the suite asks many times: the oldest made here go first.
 */
async function ownedEndpoint(companyId: string, env: Env): Promise<string> {
  const made = await h.ctx.db.selectFrom("webhook_endpoints").select("id").where("company_id", "=", companyId).where("env", "=", env).where("url", "like", "%/owned").orderBy("id").execute();
  for (const old of made.slice(0, Math.max(0, made.length - 8))) await deleteEndpoint(h.ctx.db, { companyId, env }, old.id, clock.now());
  const url = env === "sandbox" ? "http://127.0.0.1:9/owned" : "https://hooks.example.com/owned";
  return (await createEndpoint(h.ctx.db, h.ctx.secrets, { companyId, env }, { url }, clock.now())).id;
}

/** An event of `companyId` in `env`, emitted as the engine does. */
async function ownedEvent(companyId: string, env: Env): Promise<string> {
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(trx, { companyId, env, type: "payment.completed", object: { type: "payment", id: newId(clock.now()) }, data: {} }, clock.now()),
  );
  return event.id;
}

/** A delivery of a fresh event to a fresh endpoint of `companyId` in `env`. */
async function ownedDelivery(companyId: string, env: Env): Promise<string> {
  const endpointId = await ownedEndpoint(companyId, env);
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(trx, { companyId, env, type: "payment.completed", object: { type: "payment", id: newId(clock.now()) }, data: {}, onlyEndpointId: endpointId }, clock.now()),
  );
  return (await h.ctx.db.selectFrom("webhook_deliveries").select("id").where("event_id", "=", event.id).executeTakeFirstOrThrow()).id;
}

async function ownedLink(companyId: string, env: Env): Promise<string> {
  return (await linkFixture(h, { id: companyId, name: "Owner" } as NewCompany, env)).id;
}

/** A request that succeeds for a signed-in user of a fresh company, for routes that address no object. */
const VALID_REQUESTS: Record<string, Shape> = {
  "GET /dashboard/api/me": {},
  "GET /dashboard/api/keys": { query: "env=sandbox" },
  "POST /dashboard/api/keys/rotate": { body: { env: "sandbox", kind: "public", grace_seconds: 60 } },
  "POST /dashboard/api/client-token/rotate": { body: { env: "sandbox" } },
  "GET /dashboard/api/apps": { query: "env=sandbox&limit=5" },
  "POST /dashboard/api/apps/create": { body: { env: "sandbox", name: "Security widget" } },
  "GET /dashboard/api/team": {},
  "POST /dashboard/api/team/invite": { body: { email: "invitee@example.com", role: "viewer" } },
  "GET /dashboard/api/payment-access": {},
  "POST /dashboard/api/payment-access/request": {
    body: { legal_name: "Security Co Ltd", registration_number: "RC 123456", address: "1 Marina, Lagos", contact_phone: "+234 803 123 4567", description: "Testing" },
  },
  "GET /dashboard/api/onboarding": {},
  "GET /dashboard/api/audit": { query: "limit=5" },
  "GET /dashboard/api/payments": { query: "env=sandbox&status=review,completed&amount_min=1" },
  "GET /dashboard/api/settings/review": { query: "env=sandbox" },
  "POST /dashboard/api/settings/review": { body: { env: "sandbox", threshold: 5_000_000 } },
  "GET /dashboard/api/links": { query: "env=sandbox" },
  "GET /dashboard/api/money/balances": { query: "env=production" },
  "GET /dashboard/api/money/accounts": { query: "env=sandbox" },
  "GET /dashboard/api/money/payouts": { query: "env=sandbox" },
  "GET /dashboard/api/money/ledger": { query: "env=sandbox" },
  "GET /dashboard/api/money/stats": { query: "env=sandbox" },
  "GET /dashboard/api/sandbox/state": {},
  "POST /dashboard/api/sandbox/clock/advance": { body: { ms: 1000 } },
  "POST /dashboard/api/sandbox/faults/clear": { body: {} },
  "GET /dashboard/api/webhooks": { query: "env=sandbox" },
  "GET /dashboard/api/widget-builder": {},
  "POST /dashboard/api/webhooks/create": { body: { env: "sandbox", url: "http://127.0.0.1:9/security" } },
  "GET /dashboard/api/mandates": { query: "env=sandbox&status=active,paused" },
  "GET /dashboard/api/garnishments": { query: "env=sandbox&status=active,paused" },
  "GET /dashboard/api/customers": { query: "env=sandbox&q=ada" },
  "GET /dashboard/api/batches": { query: "env=sandbox" },
  "POST /dashboard/api/batches/validate": { body: { env: "sandbox", file: "account_to_debit,amount\nnot-an-account,100\n", file_name: "x.csv" } },
};

/**
 * The request the suite tries `route` with, for `owner`: a valid one (addressing a fresh object of
 * theirs, for an owned-object route), or for a route the suite has no case for, an empty one.
 */
async function attemptFor(route: string, owner: Owner): Promise<{ shape: Shape; known: boolean }> {
  const owned = OWNED_OBJECTS[route];
  if (owned) return { shape: owned.request(await owned.create(owner.companyId, "sandbox"), "sandbox"), known: true };
  const valid = VALID_REQUESTS[route];
  return valid ? { shape: valid, known: true } : { shape: {}, known: false };
}

/** Everything a company has that a dashboard route could change, to show a refusal changed nothing. */
async function companyState(companyId: string) {
  const db = h.ctx.db;
  const [companies, environments, keys, users, apps] = await Promise.all([
    db.selectFrom("companies").select(["id", "name"]).where("id", "=", companyId).execute(),
    db.selectFrom("environments").select(["env", "client_token"]).where("company_id", "=", companyId).orderBy("env").execute(),
    db.selectFrom("api_keys").select(["id", "env", "kind", "expires_at", "revoked_at"]).where("company_id", "=", companyId).orderBy("id").execute(),
    db.selectFrom("users").select(["id", "email", "name", "role", "password_hash"]).where("company_id", "=", companyId).orderBy("id").execute(),
    db.selectFrom("apps").selectAll().where("company_id", "=", companyId).orderBy("id").execute(),
  ]);
  return { companies, environments, keys, users, apps };
}

/** An error answer without its request id, to compare two answers. */
const errorShape = (res: Answer) => ({ status: res.statusCode, ...res.json(), data: { ...res.json().data, request_id: undefined } });

// ---------------------------------------------------------------------------------------------
// Does the suite know every route?
// ---------------------------------------------------------------------------------------------

interface OpenApiSchema {
  $ref?: string;
  properties?: Record<string, unknown>;
  allOf?: OpenApiSchema[];
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
}
interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
  security?: Record<string, unknown>[];
}
interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, OpenApiSchema> };
}

const isIdField = (name: string) => name === "id" || name.endsWith("_id");

function operationOf(doc: OpenApiDoc, route: string): OpenApiOperation | undefined {
  const { method, url } = splitRoute(route);
  return doc.paths[url.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()];
}

/** The fields a body schema names, following $refs and combinators. */
function bodyFields(doc: OpenApiDoc, schema: OpenApiSchema | undefined, seen = new Set<string>()): string[] {
  if (!schema) return [];
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    if (seen.has(name)) return [];
    seen.add(name);
    return bodyFields(doc, doc.components?.schemas?.[name], seen);
  }
  return [
    ...Object.keys(schema.properties ?? {}),
    ...[...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap((s) => bodyFields(doc, s, seen)),
  ];
}

/** Does the route address something by id (a path, query or body field named id or …_id)? */
function takesId(doc: OpenApiDoc, route: string): boolean {
  const op = operationOf(doc, route);
  if (!op) return true; // Undocumented: the suite cannot tell, so it asks for a case.
  if ((op.parameters ?? []).some((p) => isIdField(p.name))) return true;
  return Object.values(op.requestBody?.content ?? {}).some((c) => bodyFields(doc, c.schema).some(isIdField));
}

describe("the dashboard routes", () => {
  it("lists only public routes that exist", () => {
    expect(unregistered(h.app.routeTable, PUBLIC_DASHBOARD_ROUTES)).toEqual([]);
  });

  it("has requests only for public routes that exist and are listed as public", () => {
    expect(Object.keys(PUBLIC_REQUESTS).filter((r) => !PUBLIC_DASHBOARD_ROUTES.includes(r))).toEqual([]);
  });

  it("has per-route cases only for protected routes that exist", () => {
    expect(unregistered(h.app.routeTable, [...Object.keys(OWNED_OBJECTS), ...Object.keys(VALID_REQUESTS)])).toEqual([]);
    expect([...Object.keys(OWNED_OBJECTS), ...Object.keys(VALID_REQUESTS)].filter((r) => PUBLIC_DASHBOARD_ROUTES.includes(r))).toEqual([]);
  });

  it("has an OWNED_OBJECTS case for every protected route that takes an id, so another company's id is tried on it", () => {
    const doc = h.app.swagger() as unknown as OpenApiDoc;
    expect(PROTECTED.filter((route) => takesId(doc, route) && !OWNED_OBJECTS[route])).toEqual([]);
  });

  it("documents every protected route as needing the session", () => {
    const doc = h.app.swagger() as unknown as OpenApiDoc;
    const undocumented = PROTECTED.filter((route) => !(operationOf(doc, route)?.security ?? []).some((s) => "session" in s));
    expect(undocumented).toEqual([]);
  });

  it("covers at least the account, key and app routes (the suite is not vacuous)", () => {
    expect(PROTECTED).toEqual(expect.arrayContaining(["GET /dashboard/api/me", "GET /dashboard/api/apps/:id", "POST /dashboard/api/apps/update", "POST /dashboard/api/apps/delete"]));
    expect(PROTECTED.length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(OWNED_OBJECTS).length).toBeGreaterThanOrEqual(3);
  });
});

// ---------------------------------------------------------------------------------------------
// The suite, per protected route
// ---------------------------------------------------------------------------------------------

/**
 * A company that must never reach anybody else's objects. Made on first use (not in a file-level
 * beforeAll), so that a broken signup fails the tests that need it, not the route checks above.
 */
let strangerPromise: Promise<Owner> | undefined;
const theStranger = () =>
  (strangerPromise ??= signedUp(h, { company_name: "Stranger Co" }).then((s) => ({ client: s.client, companyId: s.company.id })));

/** Cookie values that are not a session token at all. */
const malformedCookies = (token: string): [string, string][] => [
  ["not a token", "not-a-token"],
  ["one character short", token.slice(0, 42)],
  ["one character long", `${token}A`],
  ["a character outside base64url", `${token.slice(0, 42)}!`],
  ["standard base64 (+ /)", `${token.slice(0, 41)}+/`],
  ["padded", `${token.slice(0, 42)}=`],
  ["broken percent-encoding", "%E0%A4%A"],
  ["the token twice", `${token}${token}`],
  ["4 KB long", "A".repeat(4096)],
];

/** Bodies a cross-site page can make a browser send with the victim's cookie and no preflight. */
const FORM_KINDS = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain (with a JSON body)", "no Content-Type (and no body)"] as const;
type FormKind = (typeof FORM_KINDS)[number];

/** `body` as a form of kind `kind`: its Content-Type and payload (neither, for the last kind). */
function formBody(kind: FormKind, body: Record<string, unknown>): { contentType?: string; payload?: string } {
  const fields = Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as [string, string]);
  const boundary = "----okro-csrf";
  switch (kind) {
    case "application/x-www-form-urlencoded":
      return { contentType: kind, payload: new URLSearchParams(fields).toString() };
    case "multipart/form-data":
      return {
        contentType: `multipart/form-data; boundary=${boundary}`,
        payload: `${fields.map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("")}--${boundary}--\r\n`,
      };
    case "text/plain (with a JSON body)":
      // A form with enctype=text/plain can carry a body that parses as JSON.
      return { contentType: "text/plain", payload: JSON.stringify(body) };
    case "no Content-Type (and no body)":
      return {};
  }
}

/** Sends `route` as a form of kind `kind` from address `ip`, with session `token` if given. */
function sendForm(route: string, shape: Shape, kind: FormKind, ip: string, token?: string) {
  const { method, url } = splitRoute(route);
  const { contentType, payload } = formBody(kind, shape.body ?? {});
  return h.request({
    method: method as "POST",
    url: `${DASHBOARD_API}${pathOf(url, shape)}`,
    remoteAddress: ip,
    headers: { ...(token ? { cookie: `${SESSION_COOKIE}=${token}` } : {}), ...(contentType ? { "content-type": contentType } : {}) },
    ...(payload !== undefined ? { payload } : {}),
  }) as Promise<Answer & InjectResponseExtras>;
}

const FOREIGN_ORIGINS = ["https://evil.example", "null"];

describe.each(PROTECTED.map((route) => [route] as const))("%s", (route) => {
  const { method } = splitRoute(route);
  const changesState = STATE_CHANGING.has(method);
  let owner: Owner;
  /** The owner's valid session token, and their sandbox secret API key. */
  let token: string;
  let secretKey: string;

  beforeAll(async () => {
    // A fresh company per route: valid requests create, rotate and delete things.
    const s = await signedUp(h, { company_name: `Security ${route}`.slice(0, 100) });
    owner = { client: s.client, companyId: s.company.id };
    token = s.client.cookie!;
    secretKey = s.credentials.sandbox.secret_key;
  });

  /**
   * Sends `route`'s attempt with the given headers from a cookie-less client, and checks that it
   * is refused with 401 UNAUTHORIZED and that the owner's company did not change.
   */
  async function expectUnauthorized(headers: Record<string, string>, label: string, client = new DashboardClient(h)) {
    const { shape } = await attemptFor(route, owner);
    const before = await companyState(owner.companyId);
    const res = await send(client, route, shape, headers);
    expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBe(401);
    expectError(res, 401, "UNAUTHORIZED");
    expect(res.cookies.filter((c) => c.name === SESSION_COOKIE && c.value), label).toEqual([]);
    expect(await companyState(owner.companyId), label).toEqual(before);
  }

  it("refuses a request without a session cookie with 401 UNAUTHORIZED, changing nothing", async () => {
    await expectUnauthorized({}, "no cookie");
    await expectUnauthorized({ cookie: "theme=dark; lang=en" }, "other cookies only");
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}=` }, "empty session cookie");
    // The session token only counts in the session cookie.
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}x=${token}` }, "token under another cookie name");
    await expectUnauthorized({ authorization: `Bearer ${token}` }, "token as a bearer token");
    // An API secret key is not a dashboard credential, in either place.
    await expectUnauthorized({ authorization: `Bearer ${secretKey}` }, "secret key as a bearer token");
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}=${secretKey}` }, "secret key as the session cookie");
    if (method === "GET") {
      const { shape } = await attemptFor(route, owner);
      const { url } = splitRoute(route);
      const head = await h.request({ method: "HEAD", url: `${DASHBOARD_API}${pathOf(url, shape)}`, remoteAddress: owner.client.ip });
      expect(head.statusCode).toBe(401);
    }
  });

  it("refuses a malformed session cookie with 401", async () => {
    for (const [label, value] of malformedCookies(token)) {
      await expectUnauthorized({ cookie: `${SESSION_COOKIE}=${value}` }, label);
    }
  });

  it("refuses a well-formed but unknown session token (43 base64url characters) with 401", async () => {
    const unknown = randomToken(32);
    expect(unknown).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}=${unknown}` }, "random token");
    // The real token with its first character changed: still well-formed, no longer anyone's.
    const altered = `${token[0] === "A" ? "B" : "A"}${token.slice(1)}`;
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}=${altered}` }, "altered token");
  });

  it("refuses a session that ended with logout with 401", async () => {
    const s = await signedUp(h);
    const ended = s.client.cookie!;
    expectSuccess(await s.client.post("/logout", {}));
    await expectUnauthorized({ cookie: `${SESSION_COOKIE}=${ended}` }, "logged-out session");
  });

  it("refuses an expired session (SESSION_TTL_MS after login, by the server's clock) with 401", async () => {
    // Sessions from signup and from login, both started now on the timed harness.
    const { client: signupClient, input, company } = await signedUp(timed);
    const loginClient = new DashboardClient(timed);
    expectSuccess(await loginClient.login(input.email, input.password));
    const clients = [signupClient, loginClient];
    const shapeFor = async () => (await attemptFor(route, { client: signupClient, companyId: company.id })).shape;

    // One millisecond before the end, both still work…
    timedClock.advance(SESSION_TTL_MS - 1);
    for (const client of clients) {
      const res = await send(client, route, await shapeFor());
      expect(res.statusCode, res.body.slice(0, 300)).not.toBe(401);
      expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
    }
    // …at the end, and after it, neither does.
    for (const step of [1, 60_000]) {
      timedClock.advance(step);
      for (const client of clients) {
        const shape = await shapeFor();
        const before = await companyState(company.id);
        expectError(await send(client, route, shape), 401, "UNAUTHORIZED");
        expect(await companyState(company.id)).toEqual(before);
      }
    }
  });

  it("lets a valid session through (the refusals above are about the session)", async () => {
    const { shape, known } = await attemptFor(route, owner);
    // With our own Origin, as a browser on the dashboard sends it.
    const res = await send(owner.client, route, shape, { origin: "http://localhost" });
    expect(res.statusCode, res.body.slice(0, 300)).not.toBe(401);
    expect(res.statusCode, res.body.slice(0, 300)).not.toBe(403);
    expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
    // It is one user's data: no cache may keep it.
    expect(res.headers["cache-control"]).toBe("no-store");
    if (known) expectOk(res, OWNED_OBJECTS[route]?.csv);
    else if (res.statusCode >= 400) expectError(res, res.statusCode, res.json().error);
  });

  if (changesState) {
    it.each(FOREIGN_ORIGINS)("refuses a valid session's request from Origin: %s with 403 FORBIDDEN, changing nothing", async (origin) => {
      const { shape } = await attemptFor(route, owner);
      const before = await companyState(owner.companyId);
      const res = await send(owner.client, route, shape, { origin });
      expect(expectError(res, 403, "FORBIDDEN").message).toMatch(/^Origin: /);
      expect(await companyState(owner.companyId)).toEqual(before);
    });

    it.each(FORM_KINDS)("refuses a valid session's request sent as %s with 415 UNSUPPORTED_MEDIA_TYPE, changing nothing", async (kind) => {
      const { shape } = await attemptFor(route, owner);
      const before = await companyState(owner.companyId);
      const res = await sendForm(route, shape, kind, owner.client.ip, token);
      expect(expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE").message).toMatch(/Content-Type/);
      expect(await companyState(owner.companyId)).toEqual(before);
    });
  }

  const owned = OWNED_OBJECTS[route];
  if (owned) {
    it(`answers another company's ${owned.what} id with 404 NOT_FOUND, exactly as a missing one, changing nothing`, async () => {
      const stranger = await theStranger();
      for (const env of ["sandbox", "production"] as const) {
        const id = await owned.create(owner.companyId, env);
        const before = await companyState(owner.companyId);
        const res = await send(stranger.client, route, owned.request(id, env));
        expectError(res, 404, "NOT_FOUND");
        expect(errorShape(res)).toEqual(errorShape(await send(stranger.client, route, owned.request(MISSING_ID, env))));
        expect(await companyState(owner.companyId)).toEqual(before);
        // The owner still reaches it: the 404 was about who asked.
        expectOk(await send(owner.client, route, owned.request(id, env)), owned.csv);
      }
    });

    if (owned.envScoped) {
      it(`answers the same company's ${owned.what} id under the other environment with 404 NOT_FOUND`, async () => {
        for (const [env, other] of [["sandbox", "production"], ["production", "sandbox"]] as const) {
          const id = await owned.create(owner.companyId, env);
          const before = await companyState(owner.companyId);
          expectError(await send(owner.client, route, owned.request(id, other)), 404, "NOT_FOUND");
          expect(await companyState(owner.companyId)).toEqual(before);
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The public routes need no session, but change state too (they start and end sessions): the
// same CSRF guard holds for them, or a cross-site page could sign a victim into an attacker's
// account (login CSRF), out of their own, or make accounts from their browser.
// ---------------------------------------------------------------------------------------------

/** What a browser would send to each public route; a route not named here gets an empty body. */
const PUBLIC_REQUESTS: Record<string, (victim: { email: string; password: string }) => Shape> = {
  "POST /dashboard/api/signup": () => ({ body: { company_name: "Forged Co", name: "Mallory", email: uniqueEmail(), password: PASSWORD } }),
  "POST /dashboard/api/login": (victim) => ({ body: { email: victim.email, password: victim.password } }),
  "POST /dashboard/api/logout": () => ({ body: {} }),
  "POST /dashboard/api/password/forgot": (victim) => ({ body: { email: victim.email } }),
  "POST /dashboard/api/password/reset": () => ({ body: { token: "A".repeat(43), password: "a forged new password" } }),
  "POST /dashboard/api/invitations/lookup": () => ({ body: { token: "A".repeat(43) } }),
  "POST /dashboard/api/invitations/accept": () => ({ body: { token: "A".repeat(43), name: "Mallory", password: "a forged new password" } }),
};

describe.each(PUBLIC_DASHBOARD_ROUTES.map((route) => [route] as const))("%s (public)", (route) => {
  let victim: Awaited<ReturnType<typeof signedUp>>;
  beforeAll(async () => {
    victim = await signedUp(h);
  });

  /** The victim's sessions and, when the request names an email, the accounts with it. */
  const stateFor = async (shape: Shape) => {
    const email = typeof shape.body?.email === "string" ? normalizeEmail(shape.body.email) : undefined;
    const [sessions, accounts] = await Promise.all([
      h.ctx.db.selectFrom("sessions").select(["id", "expires_at"]).where("user_id", "=", victim.user.id).orderBy("id").execute(),
      email ? h.ctx.db.selectFrom("users").select("id").where("email", "=", email).execute() : [],
    ]);
    return { sessions, accounts };
  };

  /** Refused (403 or 415), no session cookie set or cleared, nothing changed, the victim still signed in. */
  async function expectRefused(shape: Shape, res: Answer & InjectResponseExtras, before: unknown, pattern: RegExp, status: 403 | 415 = 403) {
    expect(expectError(res, status, status === 403 ? "FORBIDDEN" : "UNSUPPORTED_MEDIA_TYPE").message).toMatch(pattern);
    expect(res.cookies.filter((c) => c.name === SESSION_COOKIE)).toEqual([]);
    expect(await stateFor(shape)).toEqual(before);
    expectSuccess(await victim.client.get("/me"));
  }

  it.each(FOREIGN_ORIGINS)("refuses a request from Origin: %s with 403 FORBIDDEN, changing nothing", async (origin) => {
    const shape = (PUBLIC_REQUESTS[route] ?? (() => ({ body: {} })))(victim.input);
    const before = await stateFor(shape);
    const res = await send(victim.client, route, shape, { origin });
    await expectRefused(shape, res, before, /^Origin: /);
  });

  it.each(FORM_KINDS)("refuses a request sent as %s with 415 UNSUPPORTED_MEDIA_TYPE, changing nothing", async (kind) => {
    const shape = (PUBLIC_REQUESTS[route] ?? (() => ({ body: {} })))(victim.input);
    const before = await stateFor(shape);
    const res = await sendForm(route, shape, kind, victim.client.ip, victim.client.cookie);
    await expectRefused(shape, res, before, /Content-Type/, 415);
  });
});
