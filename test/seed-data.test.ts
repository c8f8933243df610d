import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../src/banks/connector.js";
import { connectorFor } from "../src/banks/networks.js";
import { linkConnection } from "../src/data/link.js";
import type { NewCompany } from "../src/platform/companies.js";
import { GARNISH_JOBS } from "../src/garnish/sweeps.js";
import { JobRunner } from "../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../src/payments/jobs.js";
import { DEMO_DEBTOR, DEMO_LINKS, ensureDemoData, ensureDemoSettlementAccount } from "../src/seed.js";
import { bearer, createHarness, type Harness } from "./harness.js";

/**
 * The demo's account data (src/seed.ts `ensureDemoData`): a fresh `npm start` gives the demo
 * company's sandbox a few linked customers, so the API returns data from the first minute.
 * Tested on an ordinary tenant (the demo company is one per database).
 */

const GTBANK = "5d6fe57a4099cc4b210bbeb3";
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const count = async (table: "customers" | "records" | "accounts" | "transactions" | "identities" | "incomes" | "balances", tenant: NewCompany) =>
  (await h.ctx.db.selectFrom(table).select("id").where("company_id", "=", tenant.id).where("env", "=", "sandbox").execute()).length;

describe("demo account data", () => {
  it("links three sandbox customers at three banks with every account-data product, once", async () => {
    const tenant = await h.newTenant("Demo-like Store");
    // As `okro serve` does first: the demo's receiving account (the mandate's charges pay into it).
    await ensureDemoSettlementAccount(h.ctx, tenant.id);
    expect(await ensureDemoData(h.ctx, { company_id: tenant.id, sandbox: tenant.sandbox })).toEqual({ linked: DEMO_LINKS.length });

    const debtorBanks = new Set(h.ctx.sandbox.banks().filter((b) => DEMO_DEBTOR.accounts.some((a) => a.bankSlug === b.slug)).map((b) => b.bankId));
    const all = await h.ctx.db.selectFrom("records").selectAll().where("company_id", "=", tenant.id).execute();
    // The three demo links, and the demo debtor's two banks (one customer).
    expect(all).toHaveLength(5);
    const records = all.filter((r) => !debtorBanks.has(r.bank_id));
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.bank_id)).size).toBe(3);
    expect(new Set(records.map((r) => r.customer_id)).size).toBe(3);
    for (const r of records) {
      expect(r).toMatchObject({ env: "sandbox", status: "connected", app_id: tenant.sandbox.app_id });
      expect(r.products).toEqual(["auth", "balance", "transactions", "identity", "income"]);
      // Kept for refreshes, sealed.
      expect(r.credentials_sealed).toMatch(/^v1\./);
      expect(r.credentials_sealed).not.toContain("pass_good");
      const lines = await h.ctx.db.selectFrom("transactions").select("id").where("record_id", "=", r.id).execute();
      expect(lines.length).toBeGreaterThan(20);
    }
    expect(await count("customers", tenant)).toBe(4);
    const totals = { accounts: await count("accounts", tenant), transactions: await count("transactions", tenant), balances: await count("balances", tenant) };
    expect(totals.balances).toBe(totals.accounts);

    // One customer has an active monthly mandate with a charge history: its cycles of the last two months, charged.
    // (Each payment consent the seed grants is also its account's standing mandate, decision 0016: counted apart.)
    const mandates = await h.ctx.db.selectFrom("mandates").selectAll().where("company_id", "=", tenant.id).where("source", "<>", "consent").where("debit_type", "<>", "sweep").execute();
    expect(mandates).toHaveLength(1);
    const everyStanding = await h.ctx.db.selectFrom("mandates").select(["id", "bank_id"]).where("company_id", "=", tenant.id).where("source", "=", "consent").execute();
    // (The demo debtor's accounts, counted below, are left out here.)
    const standing = everyStanding.filter((m) => !debtorBanks.has(m.bank_id));
    const consents = (await h.ctx.db.selectFrom("payment_consents").select(["id", "bank_id"]).where("company_id", "=", tenant.id).execute()).filter((x) => !debtorBanks.has(x.bank_id));
    expect(standing).toHaveLength(consents.length);
    expect(mandates[0]).toMatchObject({ state: "active", interval: "monthly", debit_type: "fixed", reference: "okro_demo_monthly" });
    const charges = await h.ctx.db.selectFrom("payments").select(["mandate_cycle", "type"]).where("mandate_id", "=", mandates[0]!.id).orderBy("mandate_cycle").execute();
    expect(charges).toEqual([0, 1, 2].map((n) => ({ mandate_cycle: n, type: "recurring" })));

    // The demo debtor: accounts at two banks, a sweep mandate on each, an active recovery over both
    // that `garnish/list` with the company's key returns; the runner's first sweep collects part of it.
    const api = (path: string, body: unknown) => h.request({ method: "POST", url: `/v2${path}`, headers: bearer(tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
    const listed = (await api("/garnish/list", {})).json().data.garnishments as Array<Record<string, any>>;
    expect(listed).toHaveLength(1);
    const g = listed[0]!;
    expect(g).toMatchObject({ status: "active", reference: "okro_demo_recovery", debt: { principal: 9_000_000, interest: 1_000_000, owed: 10_000_000 } });
    expect(new Set(g.mandates.map((m: { bank: string }) => m.bank)).size).toBe(2);
    expect(g.mandates.every((m: { status: string }) => m.status === "active")).toBe(true);
    const runner = new JobRunner(h.ctx, [...PAYMENT_JOBS, ...GARNISH_JOBS], { companyIds: [tenant.id] });
    for (let i = 0; i < 4; i++) await runner.runOnce();
    const sweeps = (await api("/garnish/sweeps", { id: g._id })).json().data.sweeps as Array<Record<string, any>>;
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({ outcome: "partial", taken: 5_000_000 });
    expect(sweeps[0]!.accounts.map((a: { taken: number }) => a.taken)).toEqual([3_000_000, 2_000_000]);

    // A restart finds customers there and does nothing.
    expect(await ensureDemoData(h.ctx, { company_id: tenant.id, sandbox: tenant.sandbox })).toEqual({ linked: 0 });
    expect(await h.ctx.db.selectFrom("mandates").select("id").where("company_id", "=", tenant.id).execute()).toHaveLength(3 + everyStanding.length);
    expect((await api("/garnish/list", {})).json().data.garnishments).toHaveLength(1);
    expect(await count("customers", tenant)).toBe(4);
    expect({ accounts: await count("accounts", tenant), transactions: await count("transactions", tenant), balances: await count("balances", tenant) }).toEqual(totals);
  });

  it("converges when two starts seed at once: one customer per person, nothing twice", async () => {
    const tenant = await h.newTenant("Racing Store");
    await Promise.all([
      ensureDemoData(h.ctx, { company_id: tenant.id, sandbox: tenant.sandbox }),
      ensureDemoData(h.ctx, { company_id: tenant.id, sandbox: tenant.sandbox }),
    ]);
    expect(await count("customers", tenant)).toBe(4);
    expect(await count("records", tenant)).toBe(5);
    const accounts = await h.ctx.db.selectFrom("accounts").select(["bank_id", "nuban"]).where("company_id", "=", tenant.id).execute();
    expect(new Set(accounts.map((a) => `${a.bank_id}|${a.nuban}`)).size).toBe(accounts.length);
  });

  it("stops at shutdown, and the next start links the customers still missing", async () => {
    const tenant = await h.newTenant("Stopping Store");
    const demo = { company_id: tenant.id, sandbox: tenant.sandbox };
    const stopped = new AbortController();
    stopped.abort();
    expect(await ensureDemoData(h.ctx, demo, { signal: stopped.signal })).toEqual({ linked: 0 });
    expect(await count("customers", tenant)).toBe(0);

    // Cut short after the first customer: the second bank is slow, and Okro stops meanwhile.
    const second = h.ctx.sandbox.banks().find((b) => b.slug === DEMO_LINKS[1].bankSlug)!;
    await h.ctx.sandbox.setFaults(tenant.id, second.bankId, { latencyMs: 300 });
    const shutdown = new AbortController();
    const seeding = ensureDemoData(h.ctx, demo, { signal: shutdown.signal });
    while ((await count("records", tenant)) === 0) await new Promise((r) => setTimeout(r, 5));
    shutdown.abort();
    const first = await seeding;
    await h.ctx.sandbox.clearFaults(tenant.id, second.bankId);
    expect(first).toEqual({ linked: 1 });
    expect(await count("records", tenant)).toBe(1);

    expect(await ensureDemoData(h.ctx, demo)).toEqual({ linked: 2 });
    expect(await count("customers", tenant)).toBe(4);
    expect(await count("records", tenant)).toBe(5);
  });

  it("leaves a sandbox that has the developer's own customers alone", async () => {
    const tenant = await h.newTenant("Busy Store");
    const connector = connectorFor(h.ctx, "sandbox", tenant.id, GTBANK)!;
    const credentials = { method: "internet_banking" as const, identifier: "okro_corp", secret: new Secret("pass_good") };
    const login = await connector.startLogin({ credentials });
    const accounts = await connector.listAccounts({ session: login.session });
    await linkConnection(h.ctx, {
      companyId: tenant.id,
      env: "sandbox",
      appId: tenant.sandbox.app_id,
      bankId: GTBANK,
      loginMethod: "internet_banking",
      credentials,
      session: login.session,
      selectedAccountIds: accounts.map((a) => a.id),
      products: ["auth"],
      options: {},
    });
    expect(await ensureDemoData(h.ctx, { company_id: tenant.id, sandbox: tenant.sandbox })).toEqual({ linked: 0 });
    expect(await count("customers", tenant)).toBe(1);
  });
});
