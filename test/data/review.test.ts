import { sql, type Transaction } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret, type LoginCredentials } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import type { DB } from "../../src/db/schema.js";
import { insertCustomer } from "../../src/data/store.js";
import { linkConnection, pullTransactions, TRANSACTIONS_PAGE_LIMIT, type LinkInput, type LinkResult } from "../../src/data/link.js";
import { allTransactions, lockCustomer, mergeCustomers, removeCustomer } from "../../src/data/queries.js";
import { linkSandboxCustomer } from "../security/route-registry.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { Product } from "../../src/platform/domain.js";
import { BankGate } from "../banks/bank-gate.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";

/**
 * Review of issue 4's account data (src/data): defects found by attacking linkConnection and the
 * read API, each pinned by a test that failed before its fix.
 */

const BANKS = { gtbank: "5d6fe57a4099cc4b210bbeb3", zenith: "5d6fe57a4099cc4b210bbec0" } as const;
const ALL: Product[] = ["auth", "balance", "transactions", "identity", "income"];

let h: Harness;
const gate = new BankGate();
beforeAll(async () => {
  h = await createHarness({ clock: new ManualClock(new Date("2026-03-10T09:00:00.000Z")), wrapNetwork: (n) => gate.wrap(n) });
});
afterAll(() => h?.close());

/** Logs a magic sandbox user in (answering MFA) and links every account, as the widget would. */
async function link(tenant: NewCompany, bankId: string, identifier: string, overrides: Partial<LinkInput> = {}): Promise<LinkResult> {
  const connector = connectorFor(h.ctx, "sandbox", tenant.id, bankId)!;
  const credentials: LoginCredentials = { method: "internet_banking", identifier, secret: new Secret("pass_good") };
  let login = await connector.startLogin({ credentials });
  while (login.status === "mfa_required") {
    login = await connector.answerMfa({ session: login.session, answer: new Secret(login.challenge.kind === "security_question" ? "okro" : "123456") });
  }
  const accounts = await connector.listAccounts({ session: login.session });
  return linkConnection(h.ctx, {
    companyId: tenant.id,
    env: "sandbox",
    appId: null,
    bankId,
    loginMethod: "internet_banking",
    credentials,
    session: login.session,
    selectedAccountIds: accounts.map((a) => a.id),
    products: ALL,
    options: {},
    ...overrides,
  });
}

const customersOf = (tenant: NewCompany) =>
  h.ctx.db.selectFrom("customers").selectAll().where("company_id", "=", tenant.id).orderBy("created_at").orderBy("id").execute();

describe("the merchant's customer hint", () => {
  it("never puts another person's bank login on the customer it names (their user id)", async () => {
    const tenant = await h.newTenant("Hint Co");
    // The merchant's user 42 links their own GTBank login…
    const own = await link(tenant, BANKS.gtbank, "okro_good", { customerHint: { id: "user-42" } });
    const ownRecord = await h.ctx.db.selectFrom("records").selectAll().where("id", "=", own.recordId).executeTakeFirstOrThrow();
    const ownIdentity = await h.ctx.db.selectFrom("identities").selectAll().where("record_id", "=", own.recordId).executeTakeFirstOrThrow();
    // …then, still signed in as user 42, someone else's GTBank login (another BVN).
    const other = await link(tenant, BANKS.gtbank, "okro_otp", { customerHint: { id: "user-42" } });

    expect(other.customerId).not.toBe(own.customerId);
    expect(other.recordId).not.toBe(own.recordId);
    expect(other.relinked).toBe(false);
    // User 42's connection is untouched: same sealed login, same identity, same name.
    const after = await h.ctx.db.selectFrom("records").selectAll().where("id", "=", own.recordId).executeTakeFirstOrThrow();
    expect(after.credentials_sealed).toBe(ownRecord.credentials_sealed);
    expect(after.session_sealed).toBe(ownRecord.session_sealed);
    const identity = await h.ctx.db.selectFrom("identities").selectAll().where("record_id", "=", own.recordId).executeTakeFirstOrThrow();
    expect(identity.bvn).toBe(ownIdentity.bvn);
    const customers = await customersOf(tenant);
    expect(customers).toHaveLength(2);
    const mine = customers.find((c) => c.id === own.customerId);
    const theirs = customers.find((c) => c.id === other.customerId)!;
    expect(mine).toMatchObject({ name: own.customerName, external_id: "user-42", bvn: ownIdentity.bvn });
    // One person per customer: each customer's accounts are its own login's.
    expect(theirs.bvn).toMatch(/^\d{11}$/);
    expect(theirs.bvn).not.toBe(ownIdentity.bvn);
    expect(theirs.external_id).toBeNull();
    const accounts = await h.ctx.db.selectFrom("accounts").select(["customer_id", "record_id"]).where("company_id", "=", tenant.id).execute();
    for (const a of accounts) expect(a.record_id).toBe(a.customer_id === own.customerId ? own.recordId : other.recordId);
  });

  it("keeps a business's login apart from its owner's personal customer, and an email hint names no one else", async () => {
    const tenant = await h.newTenant("Owner Co");
    const personal = await link(tenant, BANKS.gtbank, "okro_good", { customerHint: { id: "owner-1", email: "owner@example.com" } });
    const business = await link(tenant, BANKS.gtbank, "okro_corp", { customerHint: { id: "owner-1" }, products: ["auth", "identity"] });
    expect(business.customerId).not.toBe(personal.customerId);
    expect(business.recordId).not.toBe(personal.recordId);
    const byEmail = await link(tenant, BANKS.zenith, "okro_otp", { customerHint: { email: "owner@example.com" } });
    expect(byEmail.customerId).not.toBe(personal.customerId);
    const kinds = new Map((await customersOf(tenant)).map((c) => [c.id, c.kind]));
    expect(kinds).toEqual(
      new Map([
        [personal.customerId, "individual"],
        [business.customerId, "corporate"],
        [byEmail.customerId, "individual"],
      ]),
    );
    // The same person is still recognised by the hint (the BVN agrees).
    const again = await link(tenant, BANKS.zenith, "okro_good", { customerHint: { id: "owner-1" } });
    expect(again.customerId).toBe(personal.customerId);
  });
});

describe.runIf(usingPostgres)("links racing a removal or a merge (PostgreSQL)", () => {
  /** Runs `change` in a transaction, and commits it only once a link is waiting on its row locks. */
  async function whileLinkWaits(change: (trx: Transaction<DB>) => Promise<void>, start: () => Promise<LinkResult>): Promise<LinkResult> {
    let linking: Promise<LinkResult> | undefined;
    await h.ctx.db.transaction().execute(async (trx) => {
      await change(trx);
      linking = start();
      linking.catch(() => undefined);
      for (let i = 0; i < 200; i++) {
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`.execute(h.ctx.db);
        if (rows[0]!.n > 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("the link never waited on the locks");
    });
    return linking!;
  }

  it("a link that found the customer a moment before customers/remove deleted it links as a new customer, not a 500", async () => {
    const tenant = await h.newTenant("Remove Race Co");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const first = await link(tenant, BANKS.gtbank, "okro_good");
    const result = await whileLinkWaits(
      async (trx) => {
        await lockCustomer(trx, scope, first.customerId);
        await removeCustomer(trx, scope, first.customerId);
      },
      () => link(tenant, BANKS.zenith, "okro_good"),
    );
    const customers = await customersOf(tenant);
    expect(customers.map((c) => c.id)).toEqual([result.customerId]);
    expect(result.customerId).not.toBe(first.customerId);
    expect(customers[0]!.bvn).toMatch(/^\d{11}$/);
  });

  it("a link racing a merge of its customer lands on the merge's survivor", async () => {
    const tenant = await h.newTenant("Merge Race Co");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    // The same person twice: the second without a BVN (say, made before the identity product).
    const withBvn = await link(tenant, BANKS.gtbank, "okro_good");
    const noBvn = { customerId: await h.ctx.db.transaction().execute((trx) =>
      insertCustomer(trx, scope, { name: withBvn.customerName, kind: "individual", bvn: null, externalId: null, emails: [], phones: [] }, h.clock.now()),
    ) };
    const result = await whileLinkWaits(
      async (trx) => {
        const initial = (await lockCustomer(trx, scope, withBvn.customerId))!;
        const final = (await lockCustomer(trx, scope, noBvn.customerId))!;
        await mergeCustomers(trx, scope, initial, final, h.clock.now());
      },
      () => link(tenant, BANKS.gtbank, "okro_good"),
    );
    expect(result.customerId).toBe(noBvn.customerId);
    expect((await customersOf(tenant)).map((c) => c.id)).toEqual([noBvn.customerId]);
  });
});

describe("date filters", () => {
  it("refuse an impossible calendar day written as an instant, as they do a date", async () => {
    const tenant = await h.newTenant("Dates Co");
    const post = (payload: object) =>
      h.request({ method: "POST", url: "/v2/transactions/getByDate", headers: { authorization: `Bearer ${tenant.sandbox.secret_key}` }, payload });
    for (const bad of ["2026-02-30T10:00:00Z", "2026-04-31T00:00:00+01:00", "2025-02-29T23:59:59.999Z"]) {
      const res = await post({ from: bad, to: "2026-12-31" });
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(400);
      expect(res.json().message).toBe("from: is not a real date");
      expect((await post({ from: "2020-01-01", to: bad })).json().message).toBe("to: is not a real date");
    }
    // Real days still pass, leap day included, with any offset.
    for (const good of ["2024-02-29T10:00:00Z", "2026-03-01T00:30:00+01:00", "2026-12-31T23:59:59.999Z"]) {
      expect((await post({ from: good, to: "2026-12-31T23:59:59.999Z" })).statusCode, good).toBe(200);
    }
  });
});

describe("pulling a long statement while the customer waits", () => {
  it("asks the bank for its windows at once, so a slow bank costs a few calls' time, not one per page", async () => {
    const tenant = await h.newTenant("Slow Bank Co");
    const connector = connectorFor(h.ctx, "sandbox", tenant.id, BANKS.zenith)!;
    const login = await connector.startLogin({ credentials: { method: "internet_banking", identifier: "okro_corp", secret: new Secret("pass_good") } });
    if (login.status !== "connected") throw new Error("okro_corp logs straight in");
    const [main] = await connector.listAccounts({ session: login.session });
    const to = h.clock.now();
    const from = new Date(Date.UTC(to.getUTCFullYear() - 2, to.getUTCMonth(), to.getUTCDate()));
    // One cursor over the whole range, as a bank serves it: the reference.
    const reference: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await connector.listTransactions({
        session: login.session,
        accountId: main!.id,
        from: from.toISOString(),
        to: to.toISOString(),
        limit: TRANSACTIONS_PAGE_LIMIT,
        ...(cursor ? { cursor } : {}),
      });
      reference.push(...page.transactions.map((t) => t.id));
      cursor = page.hasMore ? page.nextCursor : undefined;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(5);

    // Every call to this bank now takes 400 ms (sandbox latency fault).
    await h.ctx.sandbox.setFaults(tenant.id, BANKS.zenith, { latencyMs: 400 });
    const started = performance.now();
    const lines = await pullTransactions(connector, login.session, main!.id, from, to);
    const elapsed = performance.now() - started;
    await h.ctx.sandbox.clearFaults(tenant.id, BANKS.zenith);

    // The same lines, each once…
    expect(lines.map((t) => t.id).sort()).toEqual([...reference].sort());
    // …in well under one call per page (5+ pages one after the other: 2 s and more).
    expect(elapsed).toBeLessThan(pages * 400 * 0.6);
  });
});

describe("a refresh racing customers/remove or merge", () => {
  const api = (tenant: NewCompany, url: string, payload: object) =>
    h.request({ method: "POST", url: `/v2${url}`, headers: { authorization: `Bearer ${tenant.sandbox.secret_key}` }, payload });

  it("answers 404 when the customer is removed while the bank answers, not a 500", async () => {
    const tenant = await h.newTenant("Refresh Remove Co");
    const linked = await link(tenant, BANKS.gtbank, "okro_good");
    const account = linked.accounts.find((a) => a.connected)!.id;
    // Both refreshes are at the bank; the merchant removes the customer meanwhile.
    gate.hold("getBalance", "listTransactions");
    try {
      const refreshes = [api(tenant, "/balance/refresh", { account_id: account }), api(tenant, "/transactions/refresh", { account_id: account })];
      await gate.arrived(2);
      expect((await api(tenant, "/customers/remove", { customer: linked.customerId })).statusCode).toBe(200);
      gate.release();
      for (const res of await Promise.all(refreshes)) {
        expect(res.statusCode, res.body).toBe(404);
        expect(res.json()).toMatchObject({ status: "error", error: "NOT_FOUND" });
      }
    } finally {
      gate.release();
    }
    expect(await customersOf(tenant)).toEqual([]);
  });

  it("stores what it fetched against the account's customer after a merge moved it", async () => {
    const tenant = await h.newTenant("Refresh Merge Co");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const linked = await link(tenant, BANKS.gtbank, "okro_good");
    const account = linked.accounts.find((a) => a.connected)!.id;
    const final = await h.ctx.db
      .transaction()
      .execute((trx) => insertCustomer(trx, scope, { name: linked.customerName, kind: "individual", bvn: null, externalId: null, emails: [], phones: [] }, h.clock.now()));
    // A debit after the link, so the refresh has a line to store.
    await h.ctx.db.deleteFrom("transactions").where("account_id", "=", account).where("trans_date", ">=", new Date(h.clock.now().getTime() - 20 * 86_400_000)).execute();
    gate.hold("listTransactions");
    try {
      const refresh = api(tenant, "/transactions/refresh", { account_id: account });
      await gate.arrived();
      expect((await api(tenant, "/products/identity/merge", { initial: linked.customerId, final })).statusCode).toBe(200);
      gate.release();
      const res = await refresh;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.new_transactions).toBeGreaterThan(0);
    } finally {
      gate.release();
    }
    const owners = await h.ctx.db.selectFrom("transactions").select("customer_id").distinct().where("account_id", "=", account).execute();
    expect(owners).toEqual([{ customer_id: final }]);
  });
});

describe("analyses over a statement longer than their bound", () => {
  it("read the newest lines, handed over oldest first (income and spending reflect the present, not the distant past)", async () => {
    const h2 = await createHarness();
    try {
      const tenant = await h2.newTenant("Long Statement Co");
      const { linked } = await linkSandboxCustomer(h2, tenant);
      const scope = { companyId: tenant.id, env: "sandbox" as const };
      const all = await allTransactions(h2.ctx.db, scope, { customerId: linked.customerId });
      expect(all.length).toBeGreaterThan(10);
      const bounded = await allTransactions(h2.ctx.db, scope, { customerId: linked.customerId }, 10);
      expect(bounded.map((t) => t.id)).toEqual(all.slice(-10).map((t) => t.id));
    } finally {
      await h2.close();
    }
  });
});
