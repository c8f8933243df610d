import type { AddressInfo } from "node:net";
// okra-node 0.2.0, unmodified, with the base URL the README recommends: `<okro>/v2/` for every
// client, sandbox or production (the key decides the environment). Under `/v2/sandbox/` (the
// SDK's own sandbox base) its Customers and Sandbox clients collide on `customers/list`; this
// file proves `/v2/` serves every okra-node path Okro implements with Okra's meaning.
// @ts-expect-error okra-node ships no type declarations
import * as okra from "okra-node/src/okra-client.js";
// @ts-expect-error okra-node ships no type declarations
import OkraModels from "okra-node/src/models/models.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LinkResult } from "../../src/data/link.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK is untyped JavaScript
type Client = any;
interface Model {
  path: string;
  validKeys?: Record<string, unknown>;
  urlValue?: Record<string, unknown>;
}

const RECOMMENDED = "/v2/";

let h: Harness;
let tenant: NewCompany;
let base: string;
let linked: LinkResult;

function sdk(Kind: string, options: { secret?: string; prefix?: string } = {}): Client {
  const client = new (okra as Record<string, new (secret: string, env: string) => Client>)[Kind]!(options.secret ?? tenant.sandbox.secret_key, "sandbox");
  client.apiBaseUrl = `${base}${options.prefix ?? RECOMMENDED}`;
  return client;
}

/** Every request model okra-node 0.2.0 has (group → name → {path, validKeys}), but the `#` (path parameter) ones. */
function sdkModels(): Array<{ name: string; model: Model }> {
  const all: Array<{ name: string; model: Model }> = [];
  for (const [group, models] of Object.entries(OkraModels as Record<string, Record<string, Model>>)) {
    for (const [name, model] of Object.entries(models)) all.push({ name: `${group}.${name}`, model });
  }
  // customers/remove last: the calls after it would find no customer.
  return [...all.filter((m) => m.name !== "customers.remove"), ...all.filter((m) => m.name === "customers.remove")];
}

/**
 * Real values for the keys okra-node insists on, so most served paths answer their happy case;
 * keys without one here keep okra-node's placeholder and get a 4xx naming the field.
 */
function optionsFor(group: string, model: Model): Record<string, unknown> {
  const account = linked.accounts.find((a) => a.connected)!;
  const today = h.clock.now().toISOString().slice(0, 10);
  const known: Record<string, unknown> = {
    customer: linked.customerId,
    customer_id: linked.customerId,
    record_id: linked.recordId,
    account_id: account.id,
    account: account.id,
    bank: GTBANK,
    from: "2020-01-01",
    to: today,
    key: "name",
    value: linked.customerName,
    name: linked.customerName,
    balance: 0,
    type: "ledger_balance",
    currency: "NGN",
    unflag: true,
    id: ({ accounts: account.id, auths: linked.authIds[0], identity: linked.identityId, income: linked.incomeId, banks: GTBANK } as Record<string, unknown>)[group] ?? "",
  };
  const options: Record<string, unknown> = {};
  for (const [key, placeholder] of Object.entries(model.validKeys ?? {})) options[key] = key in known ? known[key] : placeholder;
  return options;
}

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("SDK Base Co");
  ({ linked } = await linkSandboxCustomer(h, tenant));
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(() => h?.close());

describe(`okra-node 0.2.0 with the recommended base URL, ${RECOMMENDED}`, () => {
  it("Customers.get() lists the company's customers, not sandbox bank logins", async () => {
    const page = await sdk("Customers").get({ page: 1, limit: 100 });
    expect(page.customers.map((c: { id: string }) => c.id)).toContain(linked.customerId);
    for (const customer of page.customers) {
      expect(customer).not.toHaveProperty("pin");
      expect(customer).not.toHaveProperty("password");
    }
    const found = await sdk("Customers").get({ key: "name", value: linked.customerName });
    expect(found.customers.map((c: { id: string }) => c.id)).toContain(linked.customerId);
  });

  it("Sandbox.createCustomer and generateCustomers create sandbox bank customers; production keys are refused", async () => {
    const created = await sdk("Sandbox").createCustomer({
      noOfAccount: 1,
      name: "Ada Base",
      bank: GTBANK,
      username: "ada_base",
      password: "ada_pass",
      type: "ind",
      volume: "low",
      identity: 100,
      internetSpeed: 4,
    });
    expect(created.customers).toEqual([expect.objectContaining({ username: "ada_base", bank: GTBANK })]);
    const generated = await sdk("Sandbox").generateCustomers({ number: 2, create: true });
    expect(generated.customers).toHaveLength(2);
    // The sandbox logins themselves are listed at /v2/sandbox/customers/list (the Sandbox client with the SDK's sandbox base).
    const logins = await sdk("Sandbox", { prefix: "/v2/sandbox/" }).getCustomers({ page: 1, limit: 100 });
    expect(logins.customers.map((c: { username: string }) => c.username)).toContain("ada_base");
    await expect(
      sdk("Sandbox", { secret: tenant.production.secret_key }).generateCustomers({ number: 1 }),
    ).rejects.toMatchObject({ http_error_code: 403, error_payload: { error: "SANDBOX_ONLY" } });
  });

  it("the clients that collide under /v2/sandbox/ do not under /v2/: Sandbox.getCustomers() there is the customers list", async () => {
    const sandboxList = await sdk("Sandbox").getCustomers({ page: 1, limit: 100 });
    const customers = await sdk("Customers").get({ page: 1, limit: 100 });
    expect(sandboxList.customers.map((c: { id: string }) => c.id)).toEqual(customers.customers.map((c: { id: string }) => c.id));
    // Under the SDK's sandbox base the same Customers call gets bank logins: why the README recommends /v2/.
    const collided = await sdk("Customers", { prefix: "/v2/sandbox/" }).get({ page: 1, limit: 5 });
    expect(collided.customers[0]).toHaveProperty("username");
  });
  // Last: it runs every call, customers/remove and flag included.
  it("reaches every okra-node path Okro serves with its account-data or payments meaning, never a missing route or a 500", async () => {
    const routes = new Set(h.app.routeTable.map((r) => `${r.method} ${r.url}`));
    const served: string[] = [];
    const notServed: string[] = [];
    for (const { name, model } of sdkModels()) {
      if (model.urlValue || model.path.includes("#")) {
        notServed.push(name);
        continue;
      }
      const method = routes.has(`POST /v2/${model.path}`) ? "POST" : routes.has(`GET /v2/${model.path}`) ? "GET" : undefined;
      if (!method) {
        notServed.push(name);
        continue;
      }
      served.push(name);
      // okra-node's own request path (defineAction: base URL + model path, its axios wrapper).
      const outcome = await sdk("Banks")
        .defineAction(optionsFor(name.split(".")[0]!, model), { ...model, validKeys: { ...(model.validKeys ?? {}) } }, tenant.sandbox.secret_key, method)
        .then(
          () => ({ status: 200, body: undefined as unknown }),
          (e: { http_error_code?: number; error_payload?: { message?: string } }) => ({ status: e.http_error_code ?? 0, body: e.error_payload }),
        );
      expect(outcome.status, `${name} (${model.path}): ${JSON.stringify(outcome.body)}`).toBeGreaterThan(0);
      expect(outcome.status, `${name} (${model.path}): ${JSON.stringify(outcome.body)}`).toBeLessThan(500);
      expect((outcome.body as { message?: string } | undefined)?.message ?? "", name).not.toMatch(/^Route /);
    }
    // The sandbox client's four: create and generate are served at /v2/ for it; list and get are
    // the account-data customers' there (the ambiguity the README states).
    expect(served).toEqual(expect.arrayContaining(["sandbox.createCustomers", "sandbox.generateCustomer", "customers.getCustomerList", "sandbox.listCustomers"]));
    expect(served.length).toBeGreaterThanOrEqual(60);
    // What okra-node can call that Okro does not implement (wallet, reports, liabilities, …). Its
    // payment authorisations (mandates) and bulk payments are served since issues 13 and 15.
    expect(notServed).toEqual([
      ...["checkBalance", "listTopups", "autoTopupToggle", "getById", "fetch", "setThreshold", "edit", "getByCompanyId", "toggleCompanyTopup"].map((m) => `wallet.${m}`),
      // At /v2/ the Sandbox client's customers/get is not a sandbox route (Okra's account-data API has one of that name).
      "sandbox.getCustomerById",
      ...["schedule", "fetch", "getById", "delete", "download", "getByScheduledId", "update", "deleteScheduled"].map((m) => `reports.${m}`),
      ...["getCustomerGuarantors", "generateDownloadbleTransactions", "getCompleteView", "generateDownloadbleRecords"].map((m) => `transactions.${m}`),
      ...["process", "getById", "getByCustomer", "fetch", "getByDate"].map((m) => `liabilities.${m}`),
      "Investments.process",
      ...["process", "getByCustomer", "fetch"].map((m) => `Insurance.${m}`),
    ]);
  }, 120_000);

});
