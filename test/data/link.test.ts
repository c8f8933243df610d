import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorError, Secret, type BankAccount, type BankSession, type BankTransaction, type LoginCredentials, type LoginMethod } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import type { Env } from "../../src/db/schema.js";
import type { EventPayload } from "../../src/events/emit.js";
import { OkroError } from "../../src/core/errors.js";
import { bankErrorToOkro, linkConnection, type LinkInput, type LinkResult } from "../../src/data/link.js";
import { refreshBalance, refreshTransactions } from "../../src/data/refresh.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { Product } from "../../src/platform/domain.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * Linking a bank connection (src/data/link.ts) against the in-process sandbox bank network: what
 * a customer's consent in the widget turns into, as the developer later reads it.
 */

const BANKS = { gtbank: "5d6fe57a4099cc4b210bbeb3", zenith: "5d6fe57a4099cc4b210bbec0", kuda: "5d6fe57a4099cc4b210bbeb7" } as const;
const ALL: Product[] = ["auth", "balance", "transactions", "identity", "income"];
/** Tuesday 10:00 in Lagos. */
const START = new Date("2026-03-10T09:00:00.000Z");

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ clock: new ManualClock(START) });
});
afterAll(() => h?.close());

interface Login {
  credentials: LoginCredentials;
  session: BankSession;
  accounts: BankAccount[];
}

/** Logs a magic sandbox user in at a bank, answering any MFA, as the widget would. */
async function login(tenant: NewCompany, bankId: string, identifier: string, method: LoginMethod = "internet_banking"): Promise<Login> {
  const connector = connectorFor(h.ctx, "sandbox", tenant.id, bankId)!;
  const credentials: LoginCredentials = { method, identifier, secret: new Secret("pass_good") };
  let result = await connector.startLogin({ credentials });
  while (result.status === "mfa_required") {
    const answer = result.challenge.kind === "security_question" ? "okro" : "123456";
    result = await connector.answerMfa({ session: result.session, answer: new Secret(answer) });
  }
  return { credentials, session: result.session, accounts: await connector.listAccounts({ session: result.session }) };
}

async function link(tenant: NewCompany, bankId: string, identifier: string, overrides: Partial<LinkInput> = {}): Promise<LinkResult & { login: Login }> {
  const l = await login(tenant, bankId, identifier, overrides.loginMethod);
  const result = await linkConnection(h.ctx, {
    companyId: tenant.id,
    env: "sandbox",
    appId: null,
    bankId,
    loginMethod: l.credentials.method,
    credentials: l.credentials,
    session: l.session,
    selectedAccountIds: l.accounts.map((a) => a.id),
    products: ALL,
    options: {},
    ...overrides,
  });
  return { ...result, login: l };
}

/** All of an account's lines the bank has in the link's window (24 months). */
async function bankLines(tenant: NewCompany, bankId: string, session: BankSession, accountId: string): Promise<BankTransaction[]> {
  const connector = connectorFor(h.ctx, "sandbox", tenant.id, bankId)!;
  const lines: BankTransaction[] = [];
  let cursor: string | undefined;
  do {
    const page = await connector.listTransactions({ session, accountId, from: "2024-03-10T09:00:00.000Z", to: START.toISOString(), limit: 500, ...(cursor ? { cursor } : {}) });
    lines.push(...page.transactions);
    cursor = page.nextCursor;
  } while (cursor);
  return lines;
}

const rowsOf = (table: "customers" | "records" | "accounts" | "auths" | "balances" | "transactions" | "identities" | "incomes", tenant: NewCompany, env: Env = "sandbox") =>
  h.ctx.db.selectFrom(table).selectAll().where("company_id", "=", tenant.id).where("env", "=", env).execute();

const eventsOf = async (tenant: NewCompany): Promise<EventPayload[]> =>
  (await h.ctx.db.selectFrom("events").select("payload").where("company_id", "=", tenant.id).orderBy("created_at").orderBy("sequence").execute()).map(
    (e) => e.payload as EventPayload,
  );

async function expectOkroError(promise: Promise<unknown>, code: OkroError["code"]): Promise<OkroError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OkroError);
  expect((error as OkroError).code).toBe(code);
  return error as OkroError;
}

describe("linkConnection", () => {
  it("stores the customer, record, accounts, auth, balances, transactions, identity and income with the bank's numbers", async () => {
    const tenant = await h.newTenant();
    const result = await link(tenant, BANKS.gtbank, "okro_good");
    const connector = connectorFor(h.ctx, "sandbox", tenant.id, BANKS.gtbank)!;
    const identity = await connector.getIdentity({ session: result.login.session });

    const [customer, ...otherCustomers] = await rowsOf("customers", tenant);
    expect(otherCustomers).toEqual([]);
    expect(customer).toMatchObject({ id: result.customerId, name: identity.fullName, bvn: identity.bvn, kind: "individual" });
    expect(customer!.emails).toEqual(identity.emails);
    expect(result.customerName).toBe(identity.fullName);

    const [record] = await rowsOf("records", tenant);
    expect(record).toMatchObject({ id: result.recordId, customer_id: result.customerId, bank_id: BANKS.gtbank, status: "connected", login_method: "internet_banking" });
    expect(record!.products).toEqual(ALL);
    expect(result.relinked).toBe(false);

    const accounts = await rowsOf("accounts", tenant);
    expect(accounts.map((a) => a.nuban).sort()).toEqual(result.login.accounts.map((a) => a.nuban).sort());
    expect(accounts.every((a) => a.connected && a.record_id === result.recordId && a.customer_id === result.customerId)).toBe(true);

    const auths = await rowsOf("auths", tenant);
    const balances = await rowsOf("balances", tenant);
    expect(auths).toHaveLength(accounts.length);
    expect(result.authIds.sort()).toEqual(auths.map((a) => a.id).sort());
    for (const account of accounts) {
      const bank = await connector.getBalance({ session: result.login.session, accountId: account.bank_account_id });
      const auth = auths.find((a) => a.account_id === account.id)!;
      const balance = balances.find((b) => b.account_id === account.id)!;
      expect(Number(auth.available_balance)).toBe(bank.available);
      expect(Number(auth.ledger_balance)).toBe(bank.ledger);
      expect(Number(balance.available_balance)).toBe(bank.available);
      expect(Number(balance.ledger_balance)).toBe(bank.ledger);
      expect(result.accounts.find((a) => a.id === account.id)).toMatchObject({ connected: true, available_balance: bank.available, nuban: account.nuban });
      const readings = await h.ctx.db.selectFrom("balance_readings").selectAll().where("balance_id", "=", balance.id).execute();
      expect(readings.map((r) => Number(r.available_balance))).toEqual([bank.available]);

      // Every line of the statement, once, debit/credit in kobo as the bank gave them.
      const lines = await bankLines(tenant, BANKS.gtbank, result.login.session, account.bank_account_id);
      const stored = await h.ctx.db.selectFrom("transactions").selectAll().where("account_id", "=", account.id).execute();
      expect(lines.length).toBeGreaterThan(20);
      expect(stored).toHaveLength(lines.length);
      const byBankId = new Map(stored.map((t) => [t.bank_transaction_id, t]));
      for (const line of lines) {
        const t = byBankId.get(line.id)!;
        expect(t.debit === null ? null : Number(t.debit)).toBe(line.type === "debit" ? line.amount : null);
        expect(t.credit === null ? null : Number(t.credit)).toBe(line.type === "credit" ? line.amount : null);
        expect(Number(t.balance)).toBe(line.balance);
        expect(t.trans_date.toISOString()).toBe(line.postedAt);
        expect(t.narration).toBe(line.narration);
      }
      // The newest line's running balance is the account's balance.
      expect(lines[0]!.balance).toBe(bank.ledger);
    }
    expect(result.newTransactions).toBe((await rowsOf("transactions", tenant)).length);

    const [stored] = await rowsOf("identities", tenant);
    expect(stored).toMatchObject({ id: result.identityId, record_id: result.recordId, fullname: identity.fullName, bvn: identity.bvn, dob: identity.dateOfBirth });
    const [income] = await rowsOf("incomes", tenant);
    expect(income).toMatchObject({ id: result.incomeId, customer_id: result.customerId, record_id: result.recordId });
    expect((income!.summary as { streams: Array<{ type: string }> }).streams.some((s) => s.type === "salary")).toBe(true);
  });

  it("pulls and stores only what the products ask for, and only the accounts the customer shared", async () => {
    const tenant = await h.newTenant();
    const l = await login(tenant, BANKS.gtbank, "okro_good");
    expect(l.accounts.length).toBeGreaterThanOrEqual(2);
    const result = await linkConnection(h.ctx, {
      companyId: tenant.id,
      env: "sandbox",
      appId: null,
      bankId: BANKS.gtbank,
      loginMethod: "internet_banking",
      credentials: l.credentials,
      session: l.session,
      selectedAccountIds: [l.accounts[0]!.id],
      products: ["auth", "balance"],
      options: { loan: "L-1" },
    });
    const accounts = await rowsOf("accounts", tenant);
    expect(accounts).toHaveLength(l.accounts.length);
    expect(accounts.filter((a) => a.connected).map((a) => a.nuban)).toEqual([l.accounts[0]!.nuban]);
    expect(result.accounts.filter((a) => a.connected).map((a) => a.nuban)).toEqual([l.accounts[0]!.nuban]);
    expect(await rowsOf("auths", tenant)).toHaveLength(1);
    expect(await rowsOf("transactions", tenant)).toEqual([]);
    expect(await rowsOf("identities", tenant)).toEqual([]);
    expect(await rowsOf("incomes", tenant)).toEqual([]);
    expect(result).toMatchObject({ identityId: null, incomeId: null });
    // The BVN still recognises the person (identity is always read, stored only when asked for).
    const [customer] = await rowsOf("customers", tenant);
    expect(customer!.bvn).toMatch(/^\d{11}$/);
    const [record] = await rowsOf("records", tenant);
    expect(record!.options).toEqual({ loan: "L-1" });
    expect((await eventsOf(tenant)).map((e) => e.type)).toEqual(["record.connected", "balance.success"]);
  });

  it("relinking the same bank updates the same record and never duplicates accounts or transactions", async () => {
    const tenant = await h.newTenant();
    const l = await login(tenant, BANKS.gtbank, "okro_good");
    const base = {
      companyId: tenant.id,
      env: "sandbox" as const,
      appId: null,
      bankId: BANKS.gtbank,
      loginMethod: "internet_banking" as const,
      credentials: l.credentials,
      options: {},
    };
    const first = await linkConnection(h.ctx, { ...base, session: l.session, selectedAccountIds: [l.accounts[0]!.id], products: ["auth", "transactions"] });
    const firstLines = (await rowsOf("transactions", tenant)).length;
    expect(firstLines).toBeGreaterThan(0);

    // Later, the other account, with identity too.
    const again = await login(tenant, BANKS.gtbank, "okro_good");
    const second = await linkConnection(h.ctx, { ...base, session: again.session, selectedAccountIds: [l.accounts[1]!.id], products: ["auth", "identity"] });
    expect(second).toMatchObject({ recordId: first.recordId, customerId: first.customerId, relinked: true });
    const accounts = await rowsOf("accounts", tenant);
    expect(accounts).toHaveLength(l.accounts.length);
    // Shared once, shared still.
    expect(accounts.filter((a) => a.connected)).toHaveLength(2);
    expect(await rowsOf("auths", tenant)).toHaveLength(2);
    const [record] = await rowsOf("records", tenant);
    expect(record!.products).toEqual(["auth", "transactions", "identity"]);

    // Everything again: nothing new, nothing twice.
    const third = await link(tenant, BANKS.gtbank, "okro_good");
    const lines = await rowsOf("transactions", tenant);
    const secondAccountLines = await bankLines(tenant, BANKS.gtbank, third.login.session, l.accounts[1]!.id);
    expect(lines).toHaveLength(firstLines + secondAccountLines.length);
    expect(new Set(lines.map((t) => `${t.account_id}|${t.bank_transaction_id}`)).size).toBe(lines.length);
    expect(third.newTransactions).toBe(secondAccountLines.length);
    expect(await rowsOf("records", tenant)).toHaveLength(1);
    expect(await rowsOf("customers", tenant)).toHaveLength(1);
    expect(await rowsOf("accounts", tenant)).toHaveLength(l.accounts.length);
    expect(await rowsOf("balances", tenant)).toHaveLength(2);
    expect(await rowsOf("identities", tenant)).toHaveLength(1);

    const fourth = await link(tenant, BANKS.gtbank, "okro_good");
    expect(fourth.newTransactions).toBe(0);
    expect(await rowsOf("transactions", tenant)).toHaveLength(lines.length);
    const transactionEvents = (await eventsOf(tenant)).filter((e) => e.type === "transactions.success");
    expect(transactionEvents.map((e) => [e.callback_code, e.new_transactions])).toEqual([
      ["INITIAL_TRANSACTIONS", firstLines],
      ["FULL_TRANSACTIONS", secondAccountLines.length],
      ["FULL_TRANSACTIONS", 0],
    ]);
  });

  it("recognises the same person at two banks as one customer, by BVN", async () => {
    const tenant = await h.newTenant();
    const atGtbank = await link(tenant, BANKS.gtbank, "okro_good");
    const atZenith = await link(tenant, BANKS.zenith, "okro_good");
    expect(atZenith.customerId).toBe(atGtbank.customerId);
    expect(atZenith.recordId).not.toBe(atGtbank.recordId);
    expect(atZenith.relinked).toBe(false);
    expect(await rowsOf("customers", tenant)).toHaveLength(1);
    const records = await rowsOf("records", tenant);
    expect(records.map((r) => r.bank_id).sort()).toEqual([BANKS.gtbank, BANKS.zenith].sort());
    // Income covers both banks' accounts: one summary for the person.
    const incomes = await rowsOf("incomes", tenant);
    expect(incomes).toHaveLength(1);
    expect(incomes[0]!.record_id).toBe(atZenith.recordId);
  });

  it("refuses a new connection at a bank where the business flagged the customer, writing nothing; other banks still link", async () => {
    const tenant = await h.newTenant();
    const first = await link(tenant, BANKS.gtbank, "okro_good");
    await h.ctx.db
      .insertInto("customer_flags")
      .values({ company_id: tenant.id, env: "sandbox", customer_id: first.customerId, bank_id: BANKS.zenith, flagged_at: h.clock.now() })
      .execute();
    const refused = await expectOkroError(link(tenant, BANKS.zenith, "okro_good"), "UNPROCESSABLE");
    expect(refused.data).toMatchObject({ reason: "flagged_user" });
    expect((await rowsOf("records", tenant)).map((r) => r.bank_id)).toEqual([BANKS.gtbank]);
    expect((await link(tenant, BANKS.gtbank, "okro_good")).relinked).toBe(true);
  });

  it("makes one customer of two links of the same person racing each other", async () => {
    const tenant = await h.newTenant();
    const [a, b] = await Promise.all([link(tenant, BANKS.gtbank, "okro_good"), link(tenant, BANKS.zenith, "okro_good")]);
    expect(a.customerId).toBe(b.customerId);
    expect(await rowsOf("customers", tenant)).toHaveLength(1);
  });

  it("recognises a customer by the merchant's own id, even without a BVN", async () => {
    const tenant = await h.newTenant();
    const products: Product[] = ["auth", "identity"];
    const corp = await link(tenant, BANKS.zenith, "okro_corp", { customerHint: { id: "merchant-customer-42" }, products });
    const [customer] = await rowsOf("customers", tenant);
    expect(customer).toMatchObject({ id: corp.customerId, external_id: "merchant-customer-42", kind: "corporate", bvn: null });
    const again = await link(tenant, BANKS.gtbank, "okro_corp", { customerHint: { id: "merchant-customer-42" }, products });
    expect(again.customerId).toBe(corp.customerId);
    // Without the hint, a known account still recognises them.
    const third = await link(tenant, BANKS.zenith, "okro_corp", { products });
    expect(third).toMatchObject({ customerId: corp.customerId, recordId: corp.recordId, relinked: true });
    expect(await rowsOf("customers", tenant)).toHaveLength(1);
  });

  it("keeps two logins of one customer at one bank as two records, each refreshing with its own credentials", async () => {
    const tenant = await h.newTenant();
    // A second login at Zenith for the same business: a corporate profile with its own username
    // and accounts. Corporates have no BVN, so the merchant's id is what makes them one customer.
    await h.ctx.sandbox.createCustomers(tenant.id, [
      { bankId: BANKS.zenith, username: "ada_business", password: "pass_good", type: "corp", volume: "medium", identity: 100, noOfAccount: 1, internetSpeed: 4 },
    ]);
    const hint = { customerHint: { id: "merchant-customer-7" } };
    const first = await link(tenant, BANKS.zenith, "okro_corp", hint);
    const second = await link(tenant, BANKS.zenith, "ada_business", hint);
    expect(second.customerId).toBe(first.customerId);
    expect(second.recordId).not.toBe(first.recordId);
    expect(second.relinked).toBe(false);

    const records = await rowsOf("records", tenant);
    expect(records).toHaveLength(2);
    const identifierOf = (id: string) => {
      const row = records.find((r) => r.id === id)!;
      return (JSON.parse(h.ctx.secrets.open(row.credentials_sealed!, `records:${id}:credentials`)) as { identifier: string }).identifier;
    };
    expect(identifierOf(first.recordId)).toBe("okro_corp");
    expect(identifierOf(second.recordId)).toBe("ada_business");

    // The first login's accounts refresh through the first login, also after its session lapsed.
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    for (const account of first.accounts) {
      expect((await refreshBalance(h.ctx, scope, account.id)).available_balance).toBe(account.available_balance);
      await refreshTransactions(h.ctx, scope, account.id);
    }
    await h.ctx.db.updateTable("records").set({ session_expires_at: new Date(0) }).where("id", "=", first.recordId).execute();
    expect((await refreshBalance(h.ctx, scope, first.accounts[0]!.id)).available_balance).toBe(first.accounts[0]!.available_balance);
    expect((await refreshBalance(h.ctx, scope, second.accounts[0]!.id)).available_balance).toBe(second.accounts[0]!.available_balance);

    // Each record keeps its own accounts; relinking a login reconnects its own record.
    const accounts = await rowsOf("accounts", tenant);
    expect(new Set(accounts.filter((a) => first.accounts.some((f) => f.id === a.id)).map((a) => a.record_id))).toEqual(new Set([first.recordId]));
    expect(new Set(accounts.filter((a) => second.accounts.some((f) => f.id === a.id)).map((a) => a.record_id))).toEqual(new Set([second.recordId]));
    const again = await link(tenant, BANKS.zenith, "OKRO_CORP", hint);
    expect(again).toMatchObject({ recordId: first.recordId, relinked: true });
    expect(await rowsOf("records", tenant)).toHaveLength(2);
  });

  it("keeps two tenants' links of the same sandbox person apart", async () => {
    const one = await h.newTenant("One Co");
    const two = await h.newTenant("Two Co");
    const a = await link(one, BANKS.gtbank, "okro_good");
    const b = await link(two, BANKS.gtbank, "okro_good");
    expect(b.customerId).not.toBe(a.customerId);
    expect(b.recordId).not.toBe(a.recordId);
    expect(b.relinked).toBe(false);
    expect((await rowsOf("customers", one)).map((c) => c.id)).toEqual([a.customerId]);
    expect((await rowsOf("customers", two)).map((c) => c.id)).toEqual([b.customerId]);
    expect((await rowsOf("accounts", two)).every((x) => x.record_id === b.recordId)).toBe(true);
  });

  it("seals the credentials and the bank session: the database never holds the password or the token", async () => {
    const tenant = await h.newTenant();
    const result = await link(tenant, BANKS.kuda, "okro_otp", { loginMethod: "mobile_banking" });
    const token = result.login.session.token.reveal();
    const [record] = await h.ctx.db.selectFrom("records").selectAll().where("id", "=", result.recordId).execute();
    const everything = JSON.stringify(record);
    expect(everything).not.toContain("pass_good");
    expect(everything).not.toContain(token);
    expect(record!.credentials_sealed).toMatch(/^v1\./);
    expect(record!.session_sealed).toMatch(/^v1\./);
    // Sealed for this record: they open with its id, and only with it.
    expect(JSON.parse(h.ctx.secrets.open(record!.credentials_sealed!, `records:${record!.id}:credentials`))).toEqual({
      method: "mobile_banking",
      identifier: "okro_otp",
      secret: "pass_good",
    });
    expect(h.ctx.secrets.open(record!.session_sealed!, `records:${record!.id}:session`)).toBe(token);
    expect(() => h.ctx.secrets.open(record!.session_sealed!, `records:${"0".repeat(24)}:session`)).toThrow();
    // Nor do the events.
    expect(JSON.stringify(await eventsOf(tenant))).not.toContain(token);
    expect(JSON.stringify(await eventsOf(tenant))).not.toContain("pass_good");
  });

  it("keeps no credentials when told not to", async () => {
    const tenant = await h.newTenant();
    const result = await link(tenant, BANKS.gtbank, "okro_good", { credentials: null, products: ["auth"] });
    const [record] = await h.ctx.db.selectFrom("records").selectAll().where("id", "=", result.recordId).execute();
    expect(record!.credentials_sealed).toBeNull();
    expect(record!.session_sealed).toMatch(/^v1\./);
  });

  it("emits the link's events with Okra's legacy callback fields", async () => {
    const tenant = await h.newTenant();
    const result = await link(tenant, BANKS.gtbank, "okro_good");
    const events = await eventsOf(tenant);
    const accounts = result.accounts.filter((a) => a.connected);
    // One transaction wrote them all (their order is per object: `sequence`).
    expect(events.map((e) => e.type).sort()).toEqual(
      ["record.connected", ...accounts.map(() => "balance.success"), "transactions.success", "identity.success", "income.success"].sort(),
    );
    expect(events.filter((e) => e.object.type === "record").map((e) => [e.type, e.sequence])).toEqual([
      ["record.connected", 1],
      ["transactions.success", 2],
    ]);
    const common = { record: result.recordId, recordId: result.recordId, customerId: result.customerId, bankId: BANKS.gtbank, error: null, env: "sandbox" };
    const connected = events.find((e) => e.type === "record.connected")!;
    expect(connected).toMatchObject({ ...common, callback_type: "AUTH", callback_code: "AUTH_SUCCESS", object: { type: "record", id: result.recordId } });
    expect(connected.data).toMatchObject({ record: { id: result.recordId, status: "connected", customer: result.customerId, bank: BANKS.gtbank } });
    for (const account of accounts) {
      const event = events.find((e) => e.type === "balance.success" && e.accountId === account.id)!;
      expect(event).toMatchObject({ ...common, callback_type: "BALANCE", callback_code: "BALANCE_SUCCESS", accountId: account.id, object: { type: "balance" } });
      expect(event.data).toMatchObject({ balance: { account: account.id, available_balance: account.available_balance, ledger_balance: account.ledger_balance, currency: "NGN" } });
    }
    const transactions = events.find((e) => e.type === "transactions.success")!;
    expect(transactions).toMatchObject({
      ...common,
      callback_type: "TRANSACTIONS",
      callback_code: "INITIAL_TRANSACTIONS",
      new_transactions: result.newTransactions,
      object: { type: "record", id: result.recordId },
    });
    expect(events.find((e) => e.type === "identity.success")).toMatchObject({ ...common, callback_type: "IDENTITY", object: { type: "identity", id: result.identityId } });
    expect(events.find((e) => e.type === "income.success")).toMatchObject({ ...common, callback_type: "INCOME", object: { type: "income", id: result.incomeId } });
  });

  it("answers SERVICE_UNAVAILABLE when the bank is down, and writes nothing", async () => {
    const tenant = await h.newTenant();
    const l = await login(tenant, BANKS.gtbank, "okro_good");
    await h.ctx.sandbox.setFaults(tenant.id, BANKS.gtbank, { down: true });
    try {
      const error = await expectOkroError(
        linkConnection(h.ctx, {
          companyId: tenant.id,
          env: "sandbox",
          appId: null,
          bankId: BANKS.gtbank,
          loginMethod: "internet_banking",
          credentials: l.credentials,
          session: l.session,
          selectedAccountIds: l.accounts.map((a) => a.id),
          products: ALL,
          options: {},
        }),
        "SERVICE_UNAVAILABLE",
      );
      expect(error.statusCode).toBe(503);
      expect(error.data).toMatchObject({ reason: "bank_down", retry_after_ms: expect.any(Number) });
    } finally {
      await h.ctx.sandbox.clearFaults(tenant.id, BANKS.gtbank);
    }
    for (const table of ["customers", "records", "accounts", "transactions"] as const) expect(await rowsOf(table, tenant)).toEqual([]);
    expect(await eventsOf(tenant)).toEqual([]);
  });

  it("refuses production (no bank connectors there) and unknown banks as UNPROCESSABLE, writing nothing", async () => {
    const tenant = await h.newTenant();
    const l = await login(tenant, BANKS.gtbank, "okro_good");
    const input: LinkInput = {
      companyId: tenant.id,
      env: "production",
      appId: null,
      bankId: BANKS.gtbank,
      loginMethod: "internet_banking",
      credentials: l.credentials,
      session: l.session,
      selectedAccountIds: l.accounts.map((a) => a.id),
      products: ALL,
      options: {},
    };
    const production = await expectOkroError(linkConnection(h.ctx, input), "UNPROCESSABLE");
    expect(production.message).toMatch(/production/);
    await expectOkroError(linkConnection(h.ctx, { ...input, env: "sandbox", bankId: "f".repeat(24) }), "UNPROCESSABLE");
    await expectOkroError(linkConnection(h.ctx, { ...input, env: "sandbox", selectedAccountIds: ["0000000000"] }), "UNPROCESSABLE");
    await expectOkroError(linkConnection(h.ctx, { ...input, env: "sandbox", selectedAccountIds: [] }), "UNPROCESSABLE");
    expect(await rowsOf("customers", tenant, "production")).toEqual([]);
    expect(await rowsOf("customers", tenant)).toEqual([]);
    expect(await eventsOf(tenant)).toEqual([]);
  });

  it("answers UNPROCESSABLE bank_session_expired when the bank session has lapsed", async () => {
    const tenant = await h.newTenant();
    const l = await login(tenant, BANKS.gtbank, "okro_good");
    const error = await expectOkroError(
      linkConnection(h.ctx, {
        companyId: tenant.id,
        env: "sandbox",
        appId: null,
        bankId: BANKS.gtbank,
        loginMethod: "internet_banking",
        credentials: l.credentials,
        session: { token: new Secret("sbx_not-a-session"), expiresAt: l.session.expiresAt },
        selectedAccountIds: l.accounts.map((a) => a.id),
        products: ALL,
        options: {},
      }),
      "UNPROCESSABLE",
    );
    expect(error.data).toMatchObject({ reason: "bank_session_expired" });
    expect(await rowsOf("customers", tenant)).toEqual([]);
  });
});

describe("bankErrorToOkro", () => {
  it("tells the caller whether to retry (bank down, slow) or to go back to the customer", () => {
    expect(bankErrorToOkro(new ConnectorError("retryable", "down", { retryAfterMs: 1234 }))).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      data: { reason: "bank_down", retry_after_ms: 1234 },
    });
    expect(bankErrorToOkro(new ConnectorError("rate_limited", "slow down", { retryAfterMs: 500 }))).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      data: { reason: "bank_down", retry_after_ms: 500 },
    });
    expect(bankErrorToOkro(new ConnectorError("timeout", "no answer"))).toMatchObject({ code: "SERVICE_UNAVAILABLE", data: { reason: "bank_timeout" } });
    expect(bankErrorToOkro(new ConnectorError("rejected", "expired", { reason: "session_expired" }))).toMatchObject({
      code: "UNPROCESSABLE",
      data: { reason: "bank_session_expired" },
    });
    expect(bankErrorToOkro(new ConnectorError("rejected", "the login details are not correct", { reason: "invalid_credentials", attemptsLeft: 3 }))).toMatchObject({
      code: "UNPROCESSABLE",
      message: "the login details are not correct",
      data: { reason: "invalid_credentials", attempts_left: 3 },
    });
    expect(bankErrorToOkro(new ConnectorError("not_supported", "no mobile banking"))).toMatchObject({ code: "UNPROCESSABLE", data: { reason: "not_supported" } });
  });
});
