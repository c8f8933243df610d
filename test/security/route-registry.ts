import { randomUUID } from "node:crypto";
import type { Env } from "../../src/db/schema.js";
import { emitEvent } from "../../src/events/emit.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { createApp } from "../../src/platform/apps.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { Harness } from "../harness.js";

const GTBANK = "5d6fe57a4099cc4b210bbeb3";

/**
 * One entry per `/v2` route (path relative to the API prefix). The shared security suite
 * (security.test.ts) runs every entry under every API prefix and fails when a registered route
 * has no entry here, so a new route cannot ship without its security cases.
 */
export interface RouteCase {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** e.g. "/banks/list" */
  path: string;
  /** A valid request for a fresh tenant (query string and/or body). */
  valid?: { query?: string; body?: unknown };
  /**
   * For routes that read or change a tenant-owned object by id: make one for `tenant` in `env`
   * and say how to address it. The suite then checks that another company's key and the same
   * company's other-environment key both get 404, as for a missing object.
   */
  owned?: {
    create(h: Harness, tenant: NewCompany, env: Env): Promise<string>;
    request(id: string): { query?: string; body?: unknown };
  };
  /**
   * The route refuses production keys under every prefix, plain `/v2` included (the sandbox
   * customer and admin API): the suite then expects 403 SANDBOX_ONLY for a production key
   * everywhere, and tries the valid request with a sandbox key only.
   */
  sandboxOnly?: true;
}

export const routeCases: RouteCase[] = [
  { method: "GET", path: "/banks/list" },
  { method: "POST", path: "/banks/list", valid: { body: {} } },
  { method: "GET", path: "/banks/getById", valid: { query: "id=5d6fe57a4099cc4b210bbeb3" } },
  { method: "POST", path: "/banks/getById", valid: { body: { id: "5d6fe57a4099cc4b210bbeb3" } } },
  // Apps (platform/api-routes.ts): an Okro extension for managing widget configurations.
  { method: "POST", path: "/apps/create", valid: { body: { name: "Security widget", products: ["balance"] } } },
  { method: "POST", path: "/apps/list", valid: { body: { page: 1, limit: 5 } } },
  { method: "POST", path: "/apps/get", owned: { create: ownedApp, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/apps/update", owned: { create: ownedApp, request: (id) => ({ body: { id, color: "#123456" } }) } },
  { method: "POST", path: "/apps/delete", owned: { create: ownedApp, request: (id) => ({ body: { id } }) } },
  // Sandbox customers (Okra's API) and Okro's sandbox admin API (banks/sandbox/routes.ts).
  {
    method: "POST",
    path: "/sandbox/customers/create",
    sandboxOnly: true,
    valid: { body: [{ bank: GTBANK, username: "security_user", password: "pass_secure" }] },
  },
  { method: "POST", path: "/sandbox/customers/list", sandboxOnly: true, valid: { body: { page: 1, limit: 5 } } },
  {
    method: "POST",
    path: "/sandbox/customers/get",
    sandboxOnly: true,
    owned: { create: ownedSandboxCustomer, request: (id) => ({ body: { customer: id } }) },
  },
  { method: "POST", path: "/sandbox/customers/generate", sandboxOnly: true, valid: { body: { number: 1 } } },
  { method: "GET", path: "/sandbox/banks", sandboxOnly: true, valid: {} },
  { method: "POST", path: "/sandbox/banks", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/faults/get", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/faults/set", sandboxOnly: true, valid: { body: { bank: GTBANK, settings: { latencyMs: 0 } } } },
  { method: "POST", path: "/sandbox/faults/clear", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/clock/get", sandboxOnly: true, valid: { body: {} } },
  { method: "POST", path: "/sandbox/clock/advance", sandboxOnly: true, valid: { body: { ms: 1000 } } },
  // Events feed, webhook deliveries and replay (events/event-routes.ts).
  { method: "GET", path: "/events/list", valid: { query: "limit=5&order=asc&type=payment.*" } },
  { method: "POST", path: "/events/list", valid: { body: { limit: 5, type: "payment.*", from: "2020-01-01" } } },
  { method: "POST", path: "/events/get", owned: { create: ownedEvent, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/deliveries/list", valid: { body: { status: "failed", page: 1, limit: 5 } } },
  { method: "POST", path: "/webhooks/deliveries/get", owned: { create: ownedDelivery, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/deliveries/resend", owned: { create: ownedDelivery, request: (id) => ({ body: { id } }) } },
  {
    method: "POST",
    path: "/webhooks/deliveries/resend-failed",
    valid: { body: { from: "2020-01-01T00:00:00Z", to: "2020-01-31T00:00:00Z" } },
  },
  // Webhook endpoints (events/webhook-routes.ts): an Okro extension for managing where events go.
  { method: "POST", path: "/webhooks/create", valid: { body: { url: "https://hooks.example.com/security", event_types: ["payment.completed"] } } },
  { method: "POST", path: "/webhooks/list", valid: { body: { page: 1, limit: 5 } } },
  { method: "POST", path: "/webhooks/get", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/update", owned: { create: ownedEndpoint, request: (id) => ({ body: { id, description: "Changed" } }) } },
  { method: "POST", path: "/webhooks/delete", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
  { method: "POST", path: "/webhooks/rotate-secret", owned: { create: ownedEndpoint, request: (id) => ({ body: { id, expire_previous_in_seconds: 60 } }) } },
  { method: "POST", path: "/webhooks/test", owned: { create: ownedEndpoint, request: (id) => ({ body: { id } }) } },
];

/** A sandbox customer of `tenant`, made through the sandbox admin (not the route under test). */
async function ownedSandboxCustomer(h: Harness, tenant: NewCompany): Promise<string> {
  const [customer] = await h.ctx.sandbox.createCustomers(tenant.id, [
    { bankId: GTBANK, username: `owned_${randomUUID().slice(0, 8)}`, password: "pass_owned", type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4 },
  ]);
  return customer!.id;
}

/** An app of `tenant` in `env`, made through the service (not the route under test). */
async function ownedApp(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const app = await createApp(h.ctx.db, { companyId: tenant.id, env }, { name: "Owned widget" }, h.clock.now());
  return app.id;
}

/** An event of `tenant` in `env`, appended through the event log (not the route under test). */
async function ownedEvent(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const event = await h.ctx.db
    .transaction()
    .execute((trx) =>
      emitEvent(trx, { companyId: tenant.id, env, type: "security.owned", object: { type: "security", id: randomUUID() }, data: {} }, h.clock.now()),
    );
  return event.id;
}

/**
 * A succeeded webhook delivery of `tenant` in `env`: an endpoint made through the endpoints
 * service (one per tenant and environment), an event delivered to it alone, marked as sent.
 */
async function ownedDelivery(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const now = h.clock.now();
  return h.ctx.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("company_id", "=", tenant.id)
      .where("env", "=", env)
      .where("app_id", "is", null)
      .executeTakeFirst();
    // Nothing listens there: should a worker pick a resent one up, it fails at once.
    const url = env === "sandbox" ? "http://127.0.0.1:9/okro" : "https://hooks.example.com/okro";
    const endpointId = existing?.id ?? (await createEndpoint(trx, h.ctx.secrets, { companyId: tenant.id, env }, { url }, now)).id;
    const event = await emitEvent(
      trx,
      { companyId: tenant.id, env, type: "security.owned", object: { type: "security", id: randomUUID() }, data: {}, onlyEndpointId: endpointId },
      now,
    );
    const delivery = await trx
      .updateTable("webhook_deliveries")
      .set({ status: "succeeded", attempts: 1, next_attempt_at: null, last_status_code: 200, updated_at: now })
      .where("event_id", "=", event.id)
      .returning("id")
      .executeTakeFirstOrThrow();
    return delivery.id;
  });
}

/** A webhook endpoint of `tenant` in `env`, made through the endpoints service (not the route under test). */
async function ownedEndpoint(h: Harness, tenant: NewCompany, env: Env): Promise<string> {
  const scope = { companyId: tenant.id, env };
  const endpoint = await h.ctx.db
    .transaction()
    .execute((trx) => createEndpoint(trx, h.ctx.secrets, scope, { url: "https://hooks.example.com/owned" }, h.clock.now()));
  return endpoint.id;
}
