import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret, type BankAccount, type BankConnector, type BankSession } from "../../src/banks/connector.js";
import { BANK_DIRECTORY } from "../../src/banks/directory.js";
import type { LinkResult } from "../../src/data/link.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { accountData, GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

/**
 * The account-data API (src/data/routes.ts) over real linked sandbox data: a tenant links the
 * magic GTBank customer `okro_good` (two accounts, ~two years of history) exactly as the widget
 * does, and every read must agree with what the bank says. Tests that change data (refresh,
 * flag, remove, merge) use tenants of their own.
 */
const ACCESS = BANK_DIRECTORY.find((b) => b.slug === "access-bank")!.id;
const NOT_A_BANK = "0123456789abcdef01234567";
const MISSING = "ffffffffffffffffffffffff";
const DAY_MS = 86_400_000;

let h: Harness;
let tenant: NewCompany;
let stranger: NewCompany;
let linked: LinkResult;
let connector: BankConnector;
let session: BankSession;
let bankAccounts: BankAccount[];
/** Every stored line of the customer, newest first (read once through the API). */
let lines: any[];

const post = (url: string, payload: unknown, key: string = tenant.sandbox.secret_key, headers: Record<string, string> = {}) =>
  h.request({ method: "POST", url: `/v2${url}`, headers: { ...bearer(key), ...headers }, payload: payload as object }) as Promise<Answer>;
const data = async (url: string, payload: unknown, key?: string) => expectSuccess(await post(url, payload, key));

/** Every item of a paged list, following `pagination.nextPage`. */
async function all(url: string, body: Record<string, unknown>, key: string, field: string, t: NewCompany = tenant): Promise<any[]> {
  const out: any[] = [];
  let page: number | null = 1;
  while (page !== null) {
    const got: any = await data(url, { ...body, page, limit: 100 }, key ?? t.sandbox.secret_key);
    out.push(...got[field]);
    page = got.pagination.nextPage;
  }
  return out;
}

const dayOf = (iso: string) => iso.slice(0, 10);

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("Data API Co");
  stranger = await h.newTenant("Data Stranger Co");
  ({ linked, connector, session, bankAccounts } = await linkSandboxCustomer(h, tenant));
  lines = await all("/transactions/getByCustomer", { customer: linked.customerId }, tenant.sandbox.secret_key, "transactions");
}, 120_000);
afterAll(() => h?.close());

const bankBalance = (accountId: string) => {
  const bankId = linked.accounts.find((a) => a.id === accountId)!.bank_account_id;
  return connector.getBalance({ session, accountId: bankId });
};

describe("auths", () => {
  it("lists one Auth per shared account with seed 004's fields, and the bank's balances", async () => {
    const got = await data("/products/auths", { page: 1, limit: 10 });
    expect(got.auths).toHaveLength(bankAccounts.length);
    for (const auth of got.auths) {
      expect(Object.keys(auth).sort()).toEqual(
        ["_id", "id", "available_balance", "ledger_balance", "account", "connected", "customer", "record", "owner", "env", "created_at", "last_updated", "bank"].sort(),
      );
      const bank = await bankBalance(auth.account);
      expect(auth).toMatchObject({
        available_balance: bank.available,
        ledger_balance: bank.ledger,
        connected: true,
        customer: linked.customerId,
        record: linked.recordId,
        owner: tenant.id,
        env: "production-sandbox",
        bank: GTBANK,
      });
    }
    expect(got.pagination).toMatchObject({ totalDocs: bankAccounts.length, page: 1, hasNextPage: false });
  });

  it("gets one by id (in data.auths), by customer, by bank and by date", async () => {
    const id = linked.authIds[0]!;
    expect((await data("/auth/getById", { id })).auths.map((a: any) => a.id)).toEqual([id]);
    expectError(await post("/auth/getById", { id: MISSING }), 404, "NOT_FOUND");
    expect((await data("/auth/getByCustomer", { customer: linked.customerId })).auths.map((a: any) => a.id).sort()).toEqual([...linked.authIds].sort());
    expectError(await post("/auth/getByCustomer", { customer: MISSING }), 404, "NOT_FOUND");
    expect((await data("/auth/getByBank", { bank: GTBANK })).pagination.totalDocs).toBe(linked.authIds.length);
    expect((await data("/auth/getByBank", { bank: ACCESS })).auths).toEqual([]);
    expectError(await post("/auth/getByBank", { bank: NOT_A_BANK }), 404, "NOT_FOUND");

    const today = dayOf(h.clock.now().toISOString());
    const yesterday = dayOf(new Date(h.clock.now().getTime() - DAY_MS).toISOString());
    expect((await data("/auth/getByDate", { from: today, to: today })).pagination.totalDocs).toBe(linked.authIds.length);
    expect((await data("/auth/getByDate", { from: "2020-01-01", to: yesterday })).auths).toEqual([]);
    expect((await data("/auth/getByCustomerDate", { customer: linked.customerId, from: today, to: today })).auths).toHaveLength(linked.authIds.length);
  });

  it("pages the way okra-node expects (page, limit, nextPage, prevPage)", async () => {
    const first = await data("/products/auths", { page: 1, limit: 1 });
    expect(first.auths).toHaveLength(1);
    expect(first.pagination).toMatchObject({ totalDocs: 2, totalPages: 2, hasNextPage: true, nextPage: 2, hasPrevPage: false, prevPage: null });
    const second = await data("/products/auths", { page: 2, limit: 1 });
    expect(second.pagination).toMatchObject({ page: 2, hasNextPage: false, nextPage: null, hasPrevPage: true, prevPage: 1, pagingCounter: 2 });
    expect(second.auths[0].id).not.toBe(first.auths[0].id);
  });
});

describe("balances", () => {
  it("equal what the bank says, per account", async () => {
    const got = await data("/balance/getByCustomer", { customer: linked.customerId });
    expect(got.balance).toHaveLength(bankAccounts.length);
    for (const b of got.balance) {
      const bank = await bankBalance(b.account);
      expect(b).toMatchObject({ available_balance: bank.available, ledger_balance: bank.ledger, currency: "NGN", connected: true, customer: linked.customerId });
      expect(b.periodic).toBeUndefined();
    }
  });

  it("getById shows the readings as periodic unless includePeriodic is false", async () => {
    const [first] = (await data("/balance/getByCustomer", { customer: linked.customerId })).balance;
    const withPeriodic = (await data("/balance/getById", { id: first.id })).balance;
    expect(withPeriodic).toHaveLength(1);
    expect(withPeriodic[0].periodic).toEqual({
      available_balance: [{ amount: first.available_balance, as_of: first.as_of }],
      ledger_balance: [{ amount: first.ledger_balance, as_of: first.as_of }],
    });
    for (const includePeriodic of [false, "false"]) {
      expect((await data("/balance/getById", { id: first.id, includePeriodic })).balance[0]).not.toHaveProperty("periodic");
    }
    expectError(await post("/balance/getById", { id: MISSING }), 404, "NOT_FOUND");
  });

  it("by account, by type (at least a value, in kobo), by date", async () => {
    const account = linked.accounts[0]!;
    const [byAccount] = (await data("/balance/getByAccount", { account_id: account.id })).balance;
    expect(byAccount.available_balance).toBe(account.available_balance);
    expectError(await post("/balance/getByAccount", { account_id: MISSING }), 404, "NOT_FOUND");

    const amounts = linked.accounts.map((a) => a.available_balance).sort((a, b) => a - b);
    const atLeast = async (type: string, value: unknown) => (await data("/balance/getByType", { type, value })).balance.map((b: any) => b.available_balance);
    expect(await atLeast("available_balance", amounts[0])).toHaveLength(2);
    expect(await atLeast("available_balance", amounts[0]! + 1)).toEqual([amounts[1]]);
    expect(await atLeast("available_balance", String(amounts[1]! + 1))).toEqual([]);
    expect(await atLeast("ledger_balance", 0)).toHaveLength(2);

    const today = dayOf(h.clock.now().toISOString());
    expect((await data("/balance/getByDate", { from: today, to: today })).balance).toHaveLength(2);
    expect((await data("/balance/getByCustomerDate", { customer: linked.customerId, from: "2001-01-01", to: "2001-12-31" })).balance).toEqual([]);
  });

  it("enhanced: the balance with the window's inflow and outflow from stored transactions", async () => {
    const account = linked.accounts[0]!;
    const to = dayOf(lines[0].trans_date);
    const from = dayOf(new Date(Date.parse(to) - 60 * DAY_MS).toISOString());
    const inWindow = lines.filter((t) => t.account === account.id && dayOf(t.trans_date) >= from && dayOf(t.trans_date) <= to);
    const [enhanced] = (await data("/transactions/balance/process", { account_id: account.id, customer_id: linked.customerId, from, to })).balance;
    const sum = (xs: any[], f: string) => xs.reduce((s, t) => s + (t[f] ?? 0), 0);
    expect(enhanced).toMatchObject({
      account: account.id,
      available_balance: account.available_balance,
      inflow: sum(inWindow, "credit"),
      outflow: sum(inWindow, "debit"),
      net_flow: sum(inWindow, "credit") - sum(inWindow, "debit"),
      credits_count: inWindow.filter((t) => t.credit !== null).length,
      debits_count: inWindow.filter((t) => t.debit !== null).length,
      closing_balance: inWindow[0].balance,
      period: { from: `${from}T00:00:00.000Z`, to: `${to}T23:59:59.999Z` },
    });
    const oldest = inWindow.at(-1);
    expect(enhanced.opening_balance).toBe(oldest.balance - (oldest.credit ?? 0) + (oldest.debit ?? 0));
    // The newest line's running balance is the bank's balance: the history adds up.
    const newest = lines.find((t) => t.account === account.id);
    expect(newest.balance).toBe(account.available_balance);

    const byCustomer = await data("/transactions/balance/process", { customer_id: linked.customerId });
    expect(byCustomer.balance).toHaveLength(2);
    expect(byCustomer.balance.reduce((s: number, b: any) => s + b.inflow, 0)).toBe(sum(lines, "credit"));
    // One customer's account with another customer: 404.
    const own = await h.newTenant("Two Customers Co");
    const [a, b] = [await accountData(h, own, "sandbox"), await accountData(h, own, "sandbox")];
    expectError(await post("/transactions/balance/process", { account_id: a.accountId, customer_id: b.customerId }, own.sandbox.secret_key), 404, "NOT_FOUND");
    expect((await data("/transactions/balance/process", { account_id: a.accountId, customer_id: a.customerId }, own.sandbox.secret_key)).balance).toHaveLength(1);
  });
});

describe("accounts", () => {
  it("lists, gets and filters the linked accounts", async () => {
    const mine = (await data("/accounts/getByCustomer", { customer: linked.customerId })).accounts;
    expect(mine.map((a: any) => a.nuban).sort()).toEqual(bankAccounts.map((a) => a.nuban).sort());
    for (const a of mine) {
      const bank = bankAccounts.find((b) => b.nuban === a.nuban)!;
      expect(a).toMatchObject({ name: bank.name, type: bank.type, currency: "NGN", bank: GTBANK, customer: linked.customerId, record: linked.recordId, connected: true });
      expect(a.balance).toMatch(/^[0-9a-f]{24}$/);
    }
    const id = linked.accounts[0]!.id;
    expect((await data("/accounts/getById", { id })).accounts.map((a: any) => a.id)).toEqual([id]);
    expectError(await post("/accounts/getById", { id: MISSING }), 404, "NOT_FOUND");
    expect((await data("/products/accounts", {})).pagination.totalDocs).toBe(2);
    expect((await data("/accounts/getByBank", { bank: GTBANK })).accounts).toHaveLength(2);
    expect((await data("/accounts/getByBank", { bank: ACCESS })).accounts).toHaveLength(0);
    const today = dayOf(h.clock.now().toISOString());
    expect((await data("/accounts/getByCustomerDate", { customer: linked.customerId, from: today, to: today })).accounts).toHaveLength(2);
  });

  it("getAccountDetails embeds the bank from the directory", async () => {
    const { account } = await data("/accounts/getAccountDetails", { account: linked.accounts[0]!.id });
    expect(account.bank).toMatchObject({ _id: GTBANK, name: "Guaranty Trust Bank", slug: "guaranty-trust-bank" });
    expect(account.nuban).toBe(linked.accounts[0]!.nuban);
  });

  it("getByBalance takes a Balance id or a least available balance in kobo; getByName any case, in part", async () => {
    const [first] = (await data("/accounts/getByCustomer", { customer: linked.customerId })).accounts;
    expect((await data("/accounts/getByBalance", { balance: first.balance })).accounts.map((a: any) => a.id)).toEqual([first.id]);
    const richest = Math.max(...linked.accounts.map((a) => a.available_balance));
    expect((await data("/accounts/getByBalance", { balance: richest })).accounts).toHaveLength(1);
    expect((await data("/accounts/getByBalance", { balance: richest + 1 })).accounts).toHaveLength(0);
    const name = bankAccounts[0]!.name;
    expect((await data("/accounts/getByName", { name: name.split(" ")[0]!.toLowerCase() })).accounts).toHaveLength(2);
    expect((await data("/accounts/getByName", { name: "%" })).accounts).toHaveLength(0);
  });
});

describe("transactions", () => {
  it("stores every line the bank gave, newest first, with Okra's fields", () => {
    expect(lines.length).toBe(linked.newTransactions);
    const dates = lines.map((t) => t.trans_date);
    expect(dates).toEqual([...dates].sort().reverse());
    for (const t of lines.slice(0, 20)) {
      expect((t.debit === null) !== (t.credit === null)).toBe(true);
      expect(Number.isInteger(t.debit ?? t.credit)).toBe(true);
      expect(t).toMatchObject({ customer: linked.customerId, record: linked.recordId, bank: GTBANK, currency: "NGN", env: "production-sandbox" });
      expect(t.notes.desc.length).toBeGreaterThan(0);
      expect(t.unformatted_trans_date).toBe(t.trans_date);
    }
  });

  it("by id, account, NUBAN, bank and type", async () => {
    const one = lines[3];
    expect((await data("/transactions/getById", { id: one.id })).transactions).toEqual([one]);
    expectError(await post("/transactions/getById", { id: MISSING }), 404, "NOT_FOUND");
    const account = linked.accounts[1]!;
    const ofAccount = lines.filter((t) => t.account === account.id);
    expect((await data("/transactions/getByAccount", { account: account.id, limit: 1 })).pagination.totalDocs).toBe(ofAccount.length);
    expect((await data("/transactions/getByNuban", { nuban: account.nuban, limit: 1 })).pagination.totalDocs).toBe(ofAccount.length);
    expectError(await post("/transactions/getByNuban", { nuban: "0000000000" }), 404, "NOT_FOUND");
    expect((await data("/transactions/getByBank", { bank: GTBANK, limit: 1 })).pagination.totalDocs).toBe(lines.length);
    const value = 5_000_000;
    const big = await all("/transactions/getByType", { type: "credit", value }, tenant.sandbox.secret_key, "transactions");
    expect(big.map((t) => t.id)).toEqual(lines.filter((t) => t.credit !== null && t.credit >= value).map((t) => t.id));
    const debits = await data("/transactions/getByType", { type: "debit", limit: 1 });
    expect(debits.pagination.totalDocs).toBe(lines.filter((t) => t.debit !== null).length);
  });

  it("filters by trans_date, both ends inclusive, a date meaning its whole UTC day", async () => {
    const day = dayOf(lines[10].trans_date);
    const onDay = lines.filter((t) => dayOf(t.trans_date) === day).map((t) => t.id);
    const got = await all("/transactions/getByDate", { from: day, to: day }, tenant.sandbox.secret_key, "transactions");
    expect(got.map((t) => t.id)).toEqual(onDay);
    const byCustomer = await all("/transactions/getByCustomerDate", { customer: linked.customerId, from: day, to: day }, tenant.sandbox.secret_key, "transactions");
    expect(byCustomer.map((t) => t.id)).toEqual(onDay);
    // Instants are exact: [t, t] holds the line at t.
    const at = lines[10].trans_date;
    expect((await data("/transactions/getByDate", { from: at, to: at })).transactions.map((t: any) => t.id)).toContain(lines[10].id);
    expect((await data("/transactions/getByAccount", { account: lines[10].account, from: at, to: at })).transactions.map((t: any) => t.id)).toContain(lines[10].id);
    expect((await data("/transactions/getByDate", { from: "1999-01-01", to: "1999-12-31" })).transactions).toEqual([]);
    const { message } = expectError(await post("/transactions/getByDate", { from: "2026-02-01", to: "2026-01-31" }), 400, "INVALID_FIELD");
    expect(message).toMatch(/^from: /);
  });

  it("enhanced transactions add type, amount, channel and the counterparty the narration names", async () => {
    const account = linked.accounts[0]!;
    const got = await all("/transactions/process", { account: account.id }, tenant.sandbox.secret_key, "transactions");
    expect(got).toHaveLength(lines.filter((t) => t.account === account.id).length);
    for (const t of got) {
      expect(t.type).toBe(t.credit !== null ? "credit" : "debit");
      expect(t.amount).toBe(t.credit ?? t.debit);
      if (t.type === "credit") expect(t.channel).toBeNull();
      else expect(["Cash", "Transfer", "web_pos", "other"]).toContain(t.channel);
    }
    const salary = got.find((t) => /^SALARY .* FROM /.test(t.notes.desc));
    expect(salary.counterparty).toBe(salary.notes.desc.replace(/^SALARY .*? FROM /, ""));
  });

  it("spending patterns add up to the account's debits, per category and per channel", async () => {
    const account = linked.accounts[0]!;
    const debits = lines.filter((t) => t.account === account.id && t.debit !== null);
    const got = await data("/products/spending-patterns/process", { account: account.id });
    const total = debits.reduce((s, t) => s + t.debit, 0);
    expect(got).toMatchObject({ account: account.id, currency: "NGN", total_spend: total, total_count: debits.length });
    const parts = Object.values<any>(got.pattern);
    expect(parts.reduce((s, p) => s + p.sum, 0)).toBe(total);
    expect(parts.reduce((s, p) => s + p.count, 0)).toBe(debits.length);
    expect(Object.keys(got.pattern).sort()).toEqual([...new Set(debits.map((t) => t.category))].sort());
    expect(got.pattern[debits[0].category].sum).toBe(debits.filter((t) => t.category === debits[0].category).reduce((s, t) => s + t.debit, 0));
    const channels = Object.values<any>(got.channel);
    expect(channels.reduce((s, c) => s + c.sum, 0)).toBe(total);
    expect(channels.reduce((s, c) => s + c.percentage, 0)).toBeCloseTo(100, 0);
  });

  it("the transaction network and the benefactors come from the narrations", async () => {
    const network = (await data("/products/trans-networks/process", { account: linked.accounts[0]!.id, customer: linked.customerId, limit: 100 })).network;
    expect(network.length).toBeGreaterThan(2);
    const totals = network.map((p: any) => p.inflow.sum + p.outflow.sum);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    const { benefactors } = await data("/products/benefactors/process", { customer: linked.customerId });
    const { income } = await data("/income/getByCustomer", { customer: linked.customerId });
    const salary = income[0].streams.find((s: any) => s.type === "salary");
    expect(benefactors[0].name).toBe(salary.source);
    // The customer's transfers from their own accounts are not benefactors.
    expect(benefactors.map((b: any) => b.name)).not.toContain(bankAccounts[0]!.name);
    const fromTop = lines.filter((t) => t.credit !== null && t.notes.desc.includes(salary.source));
    expect(benefactors[0]).toMatchObject({ count: fromTop.length, sum: fromTop.reduce((s, t) => s + t.credit, 0) });
  });
});

describe("identity", () => {
  it("is what the bank holds, in Okra's fields", async () => {
    const bank = await connector.getIdentity({ session });
    const [identity] = (await data("/identity/getByCustomer", { customer: linked.customerId })).identity;
    expect(identity).toMatchObject({
      id: linked.identityId,
      fullname: bank.fullName,
      firstname: bank.firstName,
      lastname: bank.lastName,
      bvn: bank.bvn,
      dob: bank.dateOfBirth,
      gender: bank.gender === "female" ? "F" : "M",
      phone: bank.phones,
      email: bank.emails,
      customer: { _id: linked.customerId, name: linked.customerName },
    });
    expect(identity.address[0]).toContain(bank.address!.city);
    expect((await data("/identity/getById", { id: linked.identityId! })).identity).toEqual([identity]);
    expect((await data("/products/identities", {})).identity).toEqual([identity]);
    const today = dayOf(h.clock.now().toISOString());
    expect((await data("/identity/getByDate", { from: today, to: today })).identity).toHaveLength(1);
    expect((await data("/identity/getByCustomerDate", { customer: linked.customerId, from: "2001-01-01", to: "2001-01-02" })).identity).toEqual([]);
  });

  it("verifies a BVN, a customer and a NUBAN against what the company holds", async () => {
    const bvn = bankAccounts[0]!.bvn!;
    const byBvn = await data("/products/kyc/bvn-verify", { bvn });
    expect(byBvn).toMatchObject({ customer: linked.customerId, identity: { bvn } });
    const { message } = expectError(await post("/products/kyc/bvn-verify", { bvn: "12345678901" }), 404, "NOT_FOUND");
    expect(message).toMatch(/^bvn: /);
    expectError(await post("/products/kyc/bvn-verify", { bvn }, stranger.sandbox.secret_key), 404, "NOT_FOUND");
    expect((await data("/products/kyc/customer-verify", { customer: linked.customerId })).identity.id).toBe(linked.identityId);
    const nuban = bankAccounts[1]!.nuban;
    const byNuban = await data("/products/kyc/nuban-verify", { nuban, bank: GTBANK });
    expect(byNuban).toMatchObject({ customer: linked.customerId, account: { nuban, name: bankAccounts[1]!.name, bank: { name: "Guaranty Trust Bank" } } });
    expectError(await post("/products/kyc/nuban-verify", { nuban, bank: ACCESS }), 404, "NOT_FOUND");
  });

  it.each(["rc-verify", "tin-verify", "rc-tin-verify"])("answers %s with 422: no government registry behind it", async (path) => {
    const { message } = expectError(await post(`/products/kyc/${path}`, { rc_number: "RC123456", company_name: "Okro Ltd", tin_number: "12345678-0001" }), 422, "UNPROCESSABLE");
    expect(message).toMatch(/registr/i);
  });
});

describe("income", () => {
  it("is stored at link, and income/process recomputes the same figures from stored transactions", async () => {
    const [stored] = (await data("/income/getByCustomer", { customer: linked.customerId })).income;
    expect(stored).toMatchObject({ id: linked.incomeId, customer: linked.customerId, record: linked.recordId, currency: "NGN" });
    expect(stored.avg_monthly_income).toBeGreaterThan(0);
    expect(stored.streams.length).toBeGreaterThan(0);
    expect((await data("/income/getById", { id: linked.incomeId! })).income).toEqual([stored]);
    expect((await data("/products/income/get", {})).income).toHaveLength(1);
    const today = dayOf(h.clock.now().toISOString());
    expect((await data("/income/getByDate", { from: today, to: today })).income).toHaveLength(1);
    expect((await data("/income/getByCustomerDate", { customer: linked.customerId, from: today, to: today })).income).toHaveLength(1);

    const events = async () => (await data("/events/list", { type: "income.success", limit: 100 })).events.length;
    const before = await events();
    const { income } = await data("/products/income/process", { customer_id: linked.customerId, bank: GTBANK });
    const { created_at: _c, last_updated: _l, ...same } = stored;
    expect(income).toMatchObject({ ...same, id: linked.incomeId });
    expect(await events()).toBe(before + 1);
    expectError(await post("/products/income/process", { customer_id: linked.customerId, bank: ACCESS }), 404, "NOT_FOUND");
  });

  it("revenue/ estimates over a window without storing it", async () => {
    const to = dayOf(lines[0].trans_date);
    const from = dayOf(new Date(Date.parse(to) - 90 * DAY_MS).toISOString());
    const { income } = await data("/revenue/", { customer: linked.customerId, from, to, pdf: false });
    const credits = lines.filter((t) => t.credit !== null && dayOf(t.trans_date) >= from && dayOf(t.trans_date) <= to);
    expect(income).toMatchObject({ customer: linked.customerId, from: `${from}T00:00:00.000Z`, transactions: credits.length, currency: "NGN" });
    const whole = (await data("/revenue/", { customer: linked.customerId })).income;
    expect(whole.last_year_income).toBeGreaterThanOrEqual(income.last_year_income);
    expectError(await post("/revenue/", { customer: linked.customerId, pdf: true }), 422, "UNPROCESSABLE");
  });
});

describe("customers", () => {
  it("lists the linked person with their bank credentials and BVN", async () => {
    const { customers } = await data("/customers/list", { page: 1, limit: 10 });
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ id: linked.customerId, name: linked.customerName, record: [linked.recordId], bvn: bankAccounts[0]!.bvn, blocked: false, flagged_banks: [] });
    expect(customers[0].credentials.map((c: any) => c.nuban).sort()).toEqual(bankAccounts.map((a) => a.nuban).sort());
    expect(customers[0].credentials[0]).toMatchObject({ bank: { _id: GTBANK, name: "Guaranty Trust Bank", slug: "guaranty-trust-bank" }, connected: true });
    // /sandbox/v2 is the same API; /v2/sandbox/customers/list is the sandbox customer API (decision 0009).
    const alt = expectSuccess(await h.request({ method: "POST", url: "/sandbox/v2/customers/list", headers: bearer(tenant.sandbox.secret_key), payload: {} }));
    expect(alt.customers.map((c: any) => c.id)).toEqual([linked.customerId]);
  });

  it("finds customers by id, name, email, phone, BVN or NUBAN", async () => {
    const identity = await connector.getIdentity({ session });
    const phone = identity.phones[0]!;
    const values: Array<[string, string]> = [
      ["id", linked.customerId],
      ["_id", linked.customerId],
      ["name", linked.customerName.split(" ")[1]!.toLowerCase()],
      ["email", identity.emails[0]!.toUpperCase()],
      ["phone", `+234 ${phone.slice(1)}`],
      ["bvn", identity.bvn!],
      ["nuban", bankAccounts[0]!.nuban],
    ];
    for (const [key, value] of values) {
      expect((await data("/customers/find-customers-by", { key, value })).customers.map((c: any) => c.id), `${key}=${value}`).toEqual([linked.customerId]);
    }
    expect((await data("/customers/find-customers-by", { key: "name", value: "nobody at all" })).customers).toEqual([]);
    const { message } = expectError(await post("/customers/find-customers-by", { key: "shoe_size", value: "42" }), 400, "INVALID_FIELD");
    expect(message).toMatch(/^key: /);
  });

  it("flags and unflags a customer at a bank, idempotently", async () => {
    const own = await h.newTenant("Flag Co");
    const { customerId } = await accountData(h, own, "sandbox");
    const key = own.sandbox.secret_key;
    const flag = { customer: customerId, bank: GTBANK };
    expect((await data("/customers/flag", flag, key)).customer.flagged_banks).toEqual([GTBANK]);
    expect((await data("/customers/flag", flag, key)).customer.flagged_banks).toEqual([GTBANK]);
    expect((await data("/customers/flag", { ...flag, bank: ACCESS }, key)).customer.flagged_banks).toEqual([GTBANK, ACCESS]);
    const first = await post("/customers/unflag", { ...flag, unflag: true }, key, { "idempotency-key": "unflag-1" });
    expect(expectSuccess(first).customer.flagged_banks).toEqual([ACCESS]);
    const replay = await post("/customers/unflag", { ...flag, unflag: true }, key, { "idempotency-key": "unflag-1" });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.json()).toEqual(first.json());
    expectError(await post("/customers/unflag", { ...flag, bank: ACCESS }, key, { "idempotency-key": "unflag-1" }), 409, "IDEMPOTENCY_KEY_REUSED");
    expectError(await post("/customers/flag", { ...flag, bank: NOT_A_BANK }, key), 404, "NOT_FOUND");
    expectError(await post("/customers/flag", flag, stranger.sandbox.secret_key), 404, "NOT_FOUND");
  });

  it("removes a customer and everything held about them", async () => {
    const own = await h.newTenant("Remove Co");
    const key = own.sandbox.secret_key;
    const { linked: mine } = await linkSandboxCustomer(h, own);
    await data("/customers/flag", { customer: mine.customerId, bank: GTBANK }, key);
    const { customer } = await data("/customers/remove", { customer: mine.customerId }, key);
    expect(customer).toMatchObject({ id: mine.customerId, flagged_banks: [GTBANK] });
    expectError(await post("/customers/remove", { customer: mine.customerId }, key), 404, "NOT_FOUND");
    expectError(await post("/auth/getByCustomer", { customer: mine.customerId }, key), 404, "NOT_FOUND");
    expectError(await post("/accounts/getById", { id: mine.accounts[0]!.id }, key), 404, "NOT_FOUND");
    expectError(await post("/products/records/get", { record_id: mine.recordId }, key), 404, "NOT_FOUND");
    for (const [url, field] of [
      ["/products/transactions", "transactions"],
      ["/products/balances", "balance"],
      ["/products/identities", "identity"],
      ["/products/income/get", "income"],
      ["/customers/list", "customers"],
    ] as const) {
      expect((await data(url, {}, key))[field], url).toEqual([]);
    }
    // Linking again starts over, as a new customer.
    const { linked: again } = await linkSandboxCustomer(h, own);
    expect(again.customerId).not.toBe(mine.customerId);
    expect(again.relinked).toBe(false);
  });

  it("merges one customer into another, moving their connections and data", async () => {
    const own = await h.newTenant("Merge Co");
    const key = own.sandbox.secret_key;
    const { linked: person } = await linkSandboxCustomer(h, own);
    // The same person, known a second time without a BVN, with a GTBank account of their own.
    const dup = await accountData(h, own, "sandbox", { bvn: null });
    const res = await data("/products/identity/merge", { initial: dup.customerId, final: person.customerId }, key);
    expect(res.merged).toEqual({ initial: dup.customerId, final: person.customerId });
    expect(res.customer.credentials.map((c: any) => c.nuban).sort()).toEqual([...person.accounts.map((a) => a.nuban), dup.nuban].sort());
    // Both were linked at GTBank: the final customer's connection took the account over.
    expect(res.customer.record).toEqual([person.recordId]);
    expect((await data("/accounts/getById", { id: dup.accountId }, key)).accounts[0]).toMatchObject({ customer: person.customerId, record: person.recordId });
    expect((await data("/transactions/getById", { id: dup.transactionIds[0]! }, key)).transactions[0].customer).toBe(person.customerId);
    expect((await data("/identity/getByCustomer", { customer: person.customerId }, key)).identity.map((i: any) => i.id)).toEqual([person.identityId]);
    expect((await data("/income/getByCustomer", { customer: person.customerId }, key)).income.map((i: any) => i.id)).toEqual([person.incomeId]);
    expectError(await post("/auth/getByCustomer", { customer: dup.customerId }, key), 404, "NOT_FOUND");
    expectError(await post("/products/records/get", { record_id: dup.recordId }, key), 404, "NOT_FOUND");

    // At another bank, the connection itself moves.
    const elsewhere = await accountData(h, own, "sandbox", { bvn: null });
    await h.ctx.db.updateTable("records").set({ bank_id: ACCESS }).where("id", "=", elsewhere.recordId).execute();
    const moved = await data("/products/identity/merge", { initial: elsewhere.customerId, final: person.customerId }, key);
    expect(moved.customer.record.sort()).toEqual([person.recordId, elsewhere.recordId].sort());

    // Two BVNs are two people.
    const other = await accountData(h, own, "sandbox");
    const { message } = expectError(await post("/products/identity/merge", { initial: other.customerId, final: person.customerId }, key), 422, "UNPROCESSABLE");
    expect(message).toMatch(/BVN/);
    expectError(await post("/products/identity/merge", { initial: MISSING, final: person.customerId }, key), 404, "NOT_FOUND");
  });
});

describe("records", () => {
  it("shows one connection: status, products, bank, customer and accounts", async () => {
    const { records } = await data("/products/records/get", { record_id: linked.recordId });
    expect(records).toMatchObject({
      id: linked.recordId,
      status: "connected",
      products: ["auth", "balance", "transactions", "identity", "income"],
      bank: { _id: GTBANK, slug: "guaranty-trust-bank" },
      customer: linked.customerId,
      login_method: "internet_banking",
    });
    expect(records.accounts.sort()).toEqual(linked.accounts.map((a) => a.id).sort());
    const { message } = expectError(await post("/products/records/get", { record_id: MISSING }), 404, "NOT_FOUND");
    expect(message).toMatch(/^record_id: /);
  });
});

describe("refreshes go back to the bank", () => {
  let own: NewCompany;
  let mine: LinkResult;
  let bank: { connector: BankConnector; session: BankSession };
  const AMOUNT = 1_234_500;
  const reference = `okro-test-${Date.now()}`;

  beforeAll(async () => {
    own = await h.newTenant("Refresh Co");
    const result = await linkSandboxCustomer(h, own);
    mine = result.linked;
    bank = { connector: result.connector, session: result.session };
    const account = mine.accounts[0]!;
    const debit = await bank.connector.debit({
      session: bank.session,
      accountId: account.bank_account_id,
      amount: AMOUNT,
      currency: "NGN",
      reference,
      narration: "OKRO TEST DEBIT",
      authorization: { otp: new Secret("123456") },
    });
    expect(debit.status).toBe("success");
  }, 120_000);

  it("balance/refresh shows a sandbox debit, adds a reading and updates the auth; a replay does not call again", async () => {
    const account = mine.accounts[0]!;
    const key = own.sandbox.secret_key;
    const first = await post("/balance/refresh", { account_id: account.id }, key, { "idempotency-key": "refresh-1" });
    const { balance } = expectSuccess(first);
    expect(balance.available_balance).toBe(account.available_balance - AMOUNT);
    expect(balance.available_balance).toBe((await bank.connector.getBalance({ session: bank.session, accountId: account.bank_account_id })).available);
    const replay = await post("/balance/refresh", { account_id: account.id }, key, { "idempotency-key": "refresh-1" });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.json()).toEqual(first.json());
    const [withPeriodic] = (await data("/balance/getById", { id: balance.id }, key)).balance;
    expect(withPeriodic.periodic.available_balance.map((r: any) => r.amount)).toEqual([account.available_balance, account.available_balance - AMOUNT]);
    const auth = (await data("/auth/getByCustomer", { customer: mine.customerId }, key)).auths.find((a: any) => a.account === account.id);
    expect(auth.available_balance).toBe(account.available_balance - AMOUNT);
    expect((await data("/products/records/get", { record_id: mine.recordId }, key)).records.last_refreshed_at).not.toBeNull();
  });

  it("balance/check answers the real-time balance, and the record must be the account's", async () => {
    const account = mine.accounts[0]!;
    const key = own.sandbox.secret_key;
    const { balance } = await data("/balance/check", { account_id: account.id, record_id: mine.recordId }, key);
    expect(balance.available_balance).toBe(account.available_balance - AMOUNT);
    const other = await accountData(h, own, "sandbox");
    const { message } = expectError(await post("/balance/check", { account_id: account.id, record_id: other.recordId }, key), 404, "NOT_FOUND");
    expect(message).toMatch(/^record_id: /);
  });

  it("transactions/refresh stores the debit's line", async () => {
    const account = mine.accounts[0]!;
    const key = own.sandbox.secret_key;
    const before = (await data("/transactions/getByAccount", { account: account.id, limit: 1 }, key)).pagination.totalDocs;
    const refreshed = await data("/transactions/refresh", { account_id: account.id }, key);
    expect(refreshed).toMatchObject({ account: account.id });
    expect(refreshed.new_transactions).toBeGreaterThanOrEqual(1);
    const after = await data("/transactions/getByAccount", { account: account.id, limit: 5 }, key);
    expect(after.pagination.totalDocs).toBe(before + refreshed.new_transactions);
    const line = after.transactions.find((t: any) => t.ref === reference);
    expect(line).toMatchObject({ debit: AMOUNT, credit: null, balance: account.available_balance - AMOUNT });
    expect((await data("/transactions/refresh", { account_id: account.id }, key)).new_transactions).toBe(0);
  });

  it("answers another company's or environment's account with 404", async () => {
    const account = mine.accounts[0]!;
    for (const key of [stranger.sandbox.secret_key, own.production.secret_key]) {
      expectError(await post("/balance/refresh", { account_id: account.id }, key), 404, "NOT_FOUND");
      expectError(await post("/balance/check", { account_id: account.id, record_id: mine.recordId }, key), 404, "NOT_FOUND");
      expectError(await post("/transactions/refresh", { account_id: account.id }, key), 404, "NOT_FOUND");
    }
  });

  it("a bank that is down is a 503; one that asks for MFA again marks the record token_required", async () => {
    const account = mine.accounts[1]!;
    const key = own.sandbox.secret_key;
    await h.ctx.sandbox.setFaults(own.id, GTBANK, { down: true });
    try {
      expectError(await post("/balance/refresh", { account_id: account.id }, key), 503, "SERVICE_UNAVAILABLE");
    } finally {
      await h.ctx.sandbox.clearFaults(own.id, GTBANK);
    }
    // An OTP customer: the bank session lapses (sandbox clock), the stored password is not enough.
    const otp = await h.newTenant("Token Co");
    const { linked: otpLinked } = await linkSandboxCustomer(h, otp, { identifier: "okro_otp" });
    await h.ctx.sandbox.advanceClock(otp.id, 31 * 60_000);
    const res = await post("/transactions/refresh", { account_id: otpLinked.accounts[0]!.id }, otp.sandbox.secret_key);
    const { data: details } = expectError(res, 422, "UNPROCESSABLE");
    expect(details).toMatchObject({ reason: "token_required" });
    expect((await data("/products/records/get", { record_id: otpLinked.recordId }, otp.sandbox.secret_key)).records.status).toBe("token_required");
  });
});
