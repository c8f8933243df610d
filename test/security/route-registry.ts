import type { Env } from "../../src/db/schema.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { Harness } from "../harness.js";

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
}

export const routeCases: RouteCase[] = [
  { method: "GET", path: "/banks/list" },
  { method: "POST", path: "/banks/list", valid: { body: {} } },
  { method: "GET", path: "/banks/getById", valid: { query: "id=5d6fe57a4099cc4b210bbeb3" } },
  { method: "POST", path: "/banks/getById", valid: { body: { id: "5d6fe57a4099cc4b210bbeb3" } } },
];
