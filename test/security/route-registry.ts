import { randomUUID } from "node:crypto";
import type { Env } from "../../src/db/schema.js";
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
