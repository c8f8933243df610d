import { sql, type Selectable, type Transaction } from "kysely";
import type {
  AccountsTable,
  AuthsTable,
  BalancesTable,
  CustomersTable,
  DB,
  IdentitiesTable,
  IncomesTable,
  RecordsTable,
  TransactionsTable,
} from "../db/schema.js";
import { notFound, OkroError } from "../core/errors.js";
import { boundedPage, cappedCount, DEFERRED_JOIN_OFFSET, offsetOf } from "../core/paging.js";
import { MAX_PERIODIC_READINGS, type CustomerSearchKey } from "./schemas.js";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/**
 * The account-data API's SQL: every read of customers, records, accounts, auths, balances,
 * transactions, identities and incomes, and the few writes the API makes itself (flags, merge,
 * remove, income). Every query is bounded by the caller's company AND environment, so another
 * tenant's id finds nothing: the routes turn that into the same 404 as a missing id.
 */
export type { Scope };
export interface PageRequest {
  page: number;
  limit: number;
}
/** `[from, before)`: `before` is exclusive (a `to` date covers its whole day). */
export interface Window {
  from?: Date | undefined;
  before?: Date | undefined;
}
export interface Paged<T> {
  rows: T[];
  total: number;
  /** false: `total` is a lower bound (boundedPage); absent: exact. */
  exact?: boolean;
}

export type CustomerRow = Selectable<CustomersTable>;
export type RecordRow = Selectable<RecordsTable>;
export type AccountRow = Selectable<AccountsTable> & { balance_id: string | null };
export type AuthRow = Selectable<AuthsTable>;
export type BalanceRow = Selectable<BalancesTable> & { connected: boolean };
export type TransactionRow = Selectable<TransactionsTable>;
export type IdentityRow = Selectable<IdentitiesTable> & { customer_name: string };
export type IncomeRow = Selectable<IncomesTable>;

const COUNT = sql<number>`count(*)::int`.as("n");

/**
 * Runs independent queries at once on the pool, but one after another inside a transaction: a
 * transaction is one connection, and pg deprecates overlapping queries on one client.
 */
export async function together<T extends readonly unknown[] | []>(db: Executor, work: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (db.isTransaction) {
    const out: unknown[] = [];
    for (const run of work as ReadonlyArray<() => Promise<unknown>>) out.push(await run());
    return out as unknown as T;
  }
  return Promise.all((work as ReadonlyArray<() => Promise<unknown>>).map((run) => run())) as unknown as Promise<T>;
}

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, "\\$&");

// ---------------------------------------------------------------------------------------------
// Single objects (404 when absent in this company and environment)
// ---------------------------------------------------------------------------------------------

export async function findCustomer(db: Executor, scope: Scope, id: string): Promise<CustomerRow | undefined> {
  return db.selectFrom("customers").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

export async function requireCustomer(db: Executor, scope: Scope, id: string): Promise<CustomerRow> {
  const customer = await findCustomer(db, scope, id);
  if (!customer) throw notFound("customer");
  return customer;
}

/** The customer, row-locked until the transaction ends (merge, flag, remove, income): or undefined. */
export async function lockCustomer(trx: Transaction<DB>, scope: Scope, id: string): Promise<CustomerRow | undefined> {
  return trx
    .selectFrom("customers")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .forUpdate()
    .executeTakeFirst();
}

export async function requireAccount(db: Executor, scope: Scope, id: string): Promise<AccountRow> {
  const { rows } = await listAccounts(db, scope, { id }, { page: 1, limit: 1 });
  if (!rows[0]) throw notFound("account");
  return rows[0];
}

export async function findRecord(db: Executor, scope: Scope, id: string): Promise<RecordRow | undefined> {
  return db.selectFrom("records").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

export async function accountIdsOfRecord(db: Executor, recordId: string): Promise<string[]> {
  const rows = await db.selectFrom("accounts").select("id").where("record_id", "=", recordId).orderBy("created_at").orderBy("id").execute();
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// Lists: one page, newest first, and the total
// ---------------------------------------------------------------------------------------------

export interface AuthFilter {
  id?: string | undefined;
  customerId?: string | undefined;
  bankId?: string | undefined;
  window?: Window | undefined;
}

export async function listAuths(db: Executor, scope: Scope, f: AuthFilter, p: PageRequest): Promise<Paged<AuthRow>> {
  const base = db
    .selectFrom("auths")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("id", "=", f.id!))
    .$if(f.customerId !== undefined, (q) => q.where("customer_id", "=", f.customerId!))
    .$if(f.bankId !== undefined, (q) => q.where("bank_id", "=", f.bankId!))
    .$if(f.window?.from !== undefined, (q) => q.where("created_at", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("created_at", "<", f.window!.before!));
  const [rows, count] = await together(db, [
    () => base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(p.limit).offset(offsetOf(p.page, p.limit)).execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

export interface BalanceFilter {
  id?: string | undefined;
  accountId?: string | undefined;
  customerId?: string | undefined;
  window?: Window | undefined;
  atLeast?: { column: "available_balance" | "ledger_balance"; kobo: number } | undefined;
}

export async function listBalances(db: Executor, scope: Scope, f: BalanceFilter, p: PageRequest): Promise<Paged<BalanceRow>> {
  const base = db
    .selectFrom("balances")
    .innerJoin("accounts", "accounts.id", "balances.account_id")
    .where("balances.company_id", "=", scope.companyId)
    .where("balances.env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("balances.id", "=", f.id!))
    .$if(f.accountId !== undefined, (q) => q.where("balances.account_id", "=", f.accountId!))
    .$if(f.customerId !== undefined, (q) => q.where("balances.customer_id", "=", f.customerId!))
    .$if(f.window?.from !== undefined, (q) => q.where("balances.created_at", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("balances.created_at", "<", f.window!.before!))
    .$if(f.atLeast !== undefined, (q) => q.where(`balances.${f.atLeast!.column}`, ">=", BigInt(f.atLeast!.kobo)));
  const [rows, count] = await together(db, [
    () =>
      base
        .selectAll("balances")
        .select("accounts.connected")
        .orderBy("balances.created_at", "desc")
        .orderBy("balances.id", "desc")
        .limit(p.limit)
        .offset(offsetOf(p.page, p.limit))
        .execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

export interface Reading {
  available_balance: bigint;
  ledger_balance: bigint;
  as_of: Date;
}

/** The latest readings of a balance (at most MAX_PERIODIC_READINGS), oldest first. */
export async function balanceReadings(db: Executor, balanceId: string): Promise<Reading[]> {
  const rows = await db
    .selectFrom("balance_readings")
    .select(["available_balance", "ledger_balance", "as_of"])
    .where("balance_id", "=", balanceId)
    .orderBy("as_of", "desc")
    .orderBy("id", "desc")
    .limit(MAX_PERIODIC_READINGS)
    .execute();
  return rows.reverse();
}

export interface AccountFilter {
  id?: string | undefined;
  customerId?: string | undefined;
  bankId?: string | undefined;
  nuban?: string | undefined;
  nameContains?: string | undefined;
  balanceId?: string | undefined;
  minAvailable?: number | undefined;
  window?: Window | undefined;
}

export async function listAccounts(db: Executor, scope: Scope, f: AccountFilter, p: PageRequest): Promise<Paged<AccountRow>> {
  const base = db
    .selectFrom("accounts")
    .leftJoin("balances", "balances.account_id", "accounts.id")
    .where("accounts.company_id", "=", scope.companyId)
    .where("accounts.env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("accounts.id", "=", f.id!))
    .$if(f.customerId !== undefined, (q) => q.where("accounts.customer_id", "=", f.customerId!))
    .$if(f.bankId !== undefined, (q) => q.where("accounts.bank_id", "=", f.bankId!))
    .$if(f.nuban !== undefined, (q) => q.where("accounts.nuban", "=", f.nuban!))
    .$if(f.nameContains !== undefined, (q) => q.where("accounts.name", "ilike", `%${likeLiteral(f.nameContains!)}%`))
    .$if(f.balanceId !== undefined, (q) => q.where("balances.id", "=", f.balanceId!))
    .$if(f.minAvailable !== undefined, (q) => q.where("balances.available_balance", ">=", BigInt(f.minAvailable!)))
    .$if(f.window?.from !== undefined, (q) => q.where("accounts.created_at", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("accounts.created_at", "<", f.window!.before!));
  const [rows, count] = await together(db, [
    () =>
      base
        .selectAll("accounts")
        .select("balances.id as balance_id")
        .orderBy("accounts.created_at", "desc")
        .orderBy("accounts.id", "desc")
        .limit(p.limit)
        .offset(offsetOf(p.page, p.limit))
        .execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

export interface TransactionFilter {
  id?: string | undefined;
  accountIds?: string[] | undefined;
  customerId?: string | undefined;
  bankId?: string | undefined;
  type?: "credit" | "debit" | undefined;
  /** With `type`: lines of at least this many kobo. */
  minAmount?: number | undefined;
  /** On trans_date. */
  window?: Window | undefined;
}

function transactionsQuery(db: Executor, scope: Scope, f: TransactionFilter) {
  return db
    .selectFrom("transactions")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("id", "=", f.id!))
    .$if(f.accountIds !== undefined, (q) => q.where("account_id", "in", f.accountIds!.length ? f.accountIds! : ["-"]))
    .$if(f.customerId !== undefined, (q) => q.where("customer_id", "=", f.customerId!))
    .$if(f.bankId !== undefined, (q) => q.where("bank_id", "=", f.bankId!))
    .$if(f.type === "credit", (q) => q.where("credit", ">=", BigInt(Math.max(1, f.minAmount ?? 0))))
    .$if(f.type === "debit", (q) => q.where("debit", ">=", BigInt(Math.max(1, f.minAmount ?? 0))))
    .$if(f.window?.from !== undefined, (q) => q.where("trans_date", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("trans_date", "<", f.window!.before!));
}

export async function listTransactions(db: Executor, scope: Scope, f: TransactionFilter, p: PageRequest): Promise<Paged<TransactionRow>> {
  const base = transactionsQuery(db, scope, f);
  // A customer's 24 months are a few thousand lines, a company's can be millions: counted up to COUNT_BOUND.
  return boundedPage(
    p.page,
    p.limit,
    (limit, offset) => {
      const page = (q: typeof base) => q.orderBy("trans_date", "desc").orderBy("id", "desc");
      if (offset < DEFERRED_JOIN_OFFSET) return page(base).selectAll().limit(limit).offset(offset).execute();
      const ids = page(base).select("id").limit(limit).offset(offset);
      // Only the ids (already the tenant's): a tenant filter here would invite a walk of the list index.
      return page(db.selectFrom("transactions")).selectAll().where(sql<boolean>`id = ANY(ARRAY(${ids}))`).execute();
    },
    (cap) => cappedCount(db, base, cap),
  );
}

/**
 * Every stored line matching `f` (at most the newest MAX_ANALYSED_TRANSACTIONS), oldest first, for
 * the derived views (spending patterns, networks, benefactors, income). A 24-month statement is a
 * few thousand lines.
 */
export const MAX_ANALYSED_TRANSACTIONS = 50_000;
export async function allTransactions(db: Executor, scope: Scope, f: TransactionFilter, max = MAX_ANALYSED_TRANSACTIONS): Promise<TransactionRow[]> {
  // Past the bound, the newest lines are the ones that matter (income, recent spending): take the
  // newest MAX_ANALYSED_TRANSACTIONS, then hand them over oldest first.
  const newest = await transactionsQuery(db, scope, f).selectAll().orderBy("trans_date", "desc").orderBy("id", "desc").limit(max).execute();
  return newest.reverse();
}

export interface Flows {
  inflow: bigint;
  outflow: bigint;
  credits: number;
  debits: number;
  opening: bigint | null;
  closing: bigint | null;
}

/** Per account: credits and debits within the window, and the balance before and after it. */
export async function flowsByAccount(db: Executor, scope: Scope, accountIds: string[], window: Window): Promise<Map<string, Flows>> {
  const out = new Map<string, Flows>();
  if (accountIds.length === 0) return out;
  const f: TransactionFilter = { accountIds, window };
  const [sums, first, last] = await together(db, [
    () =>
      transactionsQuery(db, scope, f)
        .select([
          "account_id",
          sql<bigint>`coalesce(sum(credit), 0)::int8`.as("inflow"),
          sql<bigint>`coalesce(sum(debit), 0)::int8`.as("outflow"),
          sql<number>`count(credit)::int`.as("credits"),
          sql<number>`count(debit)::int`.as("debits"),
        ])
        .groupBy("account_id")
        .execute(),
    () =>
      transactionsQuery(db, scope, f)
        .distinctOn("account_id")
        .select(["account_id", "balance", "credit", "debit"])
        .orderBy("account_id")
        .orderBy("trans_date", "asc")
        .orderBy("id", "asc")
        .execute(),
    () =>
      transactionsQuery(db, scope, f)
        .distinctOn("account_id")
        .select(["account_id", "balance"])
        .orderBy("account_id")
        .orderBy("trans_date", "desc")
        .orderBy("id", "desc")
        .execute(),
  ]);
  for (const id of accountIds) out.set(id, { inflow: 0n, outflow: 0n, credits: 0, debits: 0, opening: null, closing: null });
  for (const s of sums) Object.assign(out.get(s.account_id)!, { inflow: BigInt(s.inflow), outflow: BigInt(s.outflow), credits: s.credits, debits: s.debits });
  // The balance before the first line is its balance with the line undone.
  for (const r of first) out.get(r.account_id)!.opening = r.balance - (r.credit ?? 0n) + (r.debit ?? 0n);
  for (const r of last) out.get(r.account_id)!.closing = r.balance;
  return out;
}

export interface IdentityFilter {
  id?: string | undefined;
  customerId?: string | undefined;
  bvn?: string | undefined;
  window?: Window | undefined;
}

export async function listIdentities(db: Executor, scope: Scope, f: IdentityFilter, p: PageRequest): Promise<Paged<IdentityRow>> {
  const base = db
    .selectFrom("identities")
    .innerJoin("customers", "customers.id", "identities.customer_id")
    .where("identities.company_id", "=", scope.companyId)
    .where("identities.env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("identities.id", "=", f.id!))
    .$if(f.customerId !== undefined, (q) => q.where("identities.customer_id", "=", f.customerId!))
    .$if(f.bvn !== undefined, (q) => q.where("identities.bvn", "=", f.bvn!))
    .$if(f.window?.from !== undefined, (q) => q.where("identities.created_at", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("identities.created_at", "<", f.window!.before!));
  const [rows, count] = await together(db, [
    () =>
      base
        .selectAll("identities")
        .select("customers.name as customer_name")
        .orderBy("identities.updated_at", "desc")
        .orderBy("identities.id", "desc")
        .limit(p.limit)
        .offset(offsetOf(p.page, p.limit))
        .execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

export interface IncomeFilter {
  id?: string | undefined;
  customerId?: string | undefined;
  window?: Window | undefined;
}

export async function listIncomes(db: Executor, scope: Scope, f: IncomeFilter, p: PageRequest): Promise<Paged<IncomeRow>> {
  const base = db
    .selectFrom("incomes")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .$if(f.id !== undefined, (q) => q.where("id", "=", f.id!))
    .$if(f.customerId !== undefined, (q) => q.where("customer_id", "=", f.customerId!))
    .$if(f.window?.from !== undefined, (q) => q.where("created_at", ">=", f.window!.from!))
    .$if(f.window?.before !== undefined, (q) => q.where("created_at", "<", f.window!.before!));
  const [rows, count] = await together(db, [
    () => base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(p.limit).offset(offsetOf(p.page, p.limit)).execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

/** The customer's most recently updated record (optionally at one bank). */
export async function latestRecordOf(db: Executor, scope: Scope, customerId: string, bankId?: string): Promise<RecordRow | undefined> {
  return db
    .selectFrom("records")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("customer_id", "=", customerId)
    .$if(bankId !== undefined, (q) => q.where("bank_id", "=", bankId!))
    .orderBy("updated_at", "desc")
    .orderBy("id", "desc")
    .executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

export interface CustomerSearch {
  key: CustomerSearchKey;
  value: string;
}

export async function listCustomers(db: Executor, scope: Scope, search: CustomerSearch | undefined, p: PageRequest): Promise<Paged<CustomerRow>> {
  let base = db.selectFrom("customers").where("customers.company_id", "=", scope.companyId).where("customers.env", "=", scope.env);
  if (search) {
    const v = search.value;
    switch (search.key) {
      case "id":
      case "_id":
        base = base.where("customers.id", "=", v.toLowerCase());
        break;
      case "name":
        base = base.where("customers.name", "ilike", `%${likeLiteral(v)}%`);
        break;
      case "email":
        base = base.where(sql<boolean>`exists (select 1 from jsonb_array_elements_text(customers.emails) e where lower(e) = lower(${v}))`);
        break;
      case "phone": {
        // Numbers are written many ways (+234 803…, 0803…): compare the last 10 digits.
        const digits = v.replace(/\D/g, "").slice(-10);
        base = base.where(
          sql<boolean>`exists (select 1 from jsonb_array_elements_text(customers.phones) p where right(regexp_replace(p, '[^0-9]', '', 'g'), 10) = ${digits})`,
        );
        break;
      }
      case "bvn":
        base = base.where("customers.bvn", "=", v);
        break;
      case "nuban":
        base = base.where((eb) =>
          eb.exists(
            eb
              .selectFrom("accounts")
              .select("accounts.id")
              .whereRef("accounts.customer_id", "=", "customers.id")
              .where("accounts.nuban", "=", v),
          ),
        );
        break;
      default: {
        const never: never = search.key;
        throw new Error(`unhandled search key ${String(never)}`);
      }
    }
  }
  const [rows, count] = await together(db, [
    () => base.selectAll("customers").orderBy("customers.created_at", "desc").orderBy("customers.id", "desc").limit(p.limit).offset(offsetOf(p.page, p.limit)).execute(),
    () => base.select(COUNT).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.n };
}

export interface CustomerExtras {
  accounts: Array<Pick<AccountRow, "id" | "bank_id" | "nuban" | "name" | "connected" | "customer_id">>;
  records: Array<{ id: string; customer_id: string }>;
  flags: Array<{ customer_id: string; bank_id: string }>;
  /** Customers whose identity this company holds (their BVN may be shown). */
  withIdentity: Set<string>;
}

/** What a Customer object shows besides its row, for a page of customers at once. */
export async function customerExtras(db: Executor, customerIds: string[]): Promise<CustomerExtras> {
  if (customerIds.length === 0) return { accounts: [], records: [], flags: [], withIdentity: new Set() };
  const [accounts, records, flags, identities] = await together(db, [
    () =>
      db
        .selectFrom("accounts")
        .select(["id", "bank_id", "nuban", "name", "connected", "customer_id"])
        .where("customer_id", "in", customerIds)
        .orderBy("created_at")
        .orderBy("id")
        .execute(),
    () => db.selectFrom("records").select(["id", "customer_id"]).where("customer_id", "in", customerIds).orderBy("created_at").orderBy("id").execute(),
    () => db.selectFrom("customer_flags").select(["customer_id", "bank_id"]).where("customer_id", "in", customerIds).orderBy("flagged_at").execute(),
    () => db.selectFrom("identities").select("customer_id").distinct().where("customer_id", "in", customerIds).execute(),
  ]);
  return { accounts, records, flags, withIdentity: new Set(identities.map((i) => i.customer_id)) };
}

/** Flags the customer at a bank (idempotent). */
export async function flagCustomer(db: Executor, scope: Scope, customerId: string, bankId: string, now: Date): Promise<void> {
  await db
    .insertInto("customer_flags")
    .values({ company_id: scope.companyId, env: scope.env, customer_id: customerId, bank_id: bankId, flagged_at: now })
    .onConflict((oc) => oc.columns(["customer_id", "bank_id"]).doNothing())
    .execute();
}

/** Removes the customer's flag at a bank (idempotent). */
export async function unflagCustomer(db: Executor, customerId: string, bankId: string): Promise<void> {
  await db.deleteFrom("customer_flags").where("customer_id", "=", customerId).where("bank_id", "=", bankId).execute();
}

const FOREIGN_KEY_VIOLATION = "23503";

/** A delete refused because something outside account data (e.g. payments) still points at the customer. */
function stillReferenced(error: unknown, what: string): never {
  if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
    throw new OkroError("CONFLICT", `customer: ${what}: other objects (such as payments) still refer to this customer`, { field: "customer" });
  }
  throw error;
}

/**
 * Deletes a customer and all the account data Okro holds about them (connections with their
 * sealed credentials, accounts, auths, balances and readings, transactions, identities, income,
 * flags). Runs inside the caller's transaction: all or nothing.
 */
export async function removeCustomer(trx: Transaction<DB>, scope: Scope, customerId: string): Promise<void> {
  const mine = (table: "transactions" | "auths" | "identities" | "incomes" | "accounts" | "records" | "customer_flags") =>
    trx.deleteFrom(table).where("customer_id", "=", customerId).where("company_id", "=", scope.companyId).where("env", "=", scope.env).execute();
  try {
    await trx
      .deleteFrom("balance_readings")
      .where("balance_id", "in", trx.selectFrom("balances").select("id").where("customer_id", "=", customerId))
      .execute();
    await mine("transactions");
    await trx.deleteFrom("balances").where("customer_id", "=", customerId).where("company_id", "=", scope.companyId).where("env", "=", scope.env).execute();
    await mine("auths");
    await mine("identities");
    await mine("incomes");
    await mine("accounts");
    await mine("records");
    await mine("customer_flags");
    await trx.deleteFrom("customers").where("id", "=", customerId).where("company_id", "=", scope.companyId).where("env", "=", scope.env).execute();
  } catch (error) {
    stillReferenced(error, "cannot be removed");
  }
}

/**
 * Merges customer `initial` into `final` (same company and environment), inside the caller's
 * transaction. Everything of `initial` moves to `final`. Where both are linked through the same
 * login at the same bank, `final`'s connection stays and takes over `initial`'s accounts and data there (its identity
 * is kept; `initial`'s identity at that bank goes). `final` keeps its own income when it has
 * one (call income/process to recompute); otherwise it takes `initial`'s. `final` takes
 * `initial`'s BVN when it has none, and both's emails and phones. Then `initial` is deleted.
 * Two different BVNs are two different people: refused with 422.
 */
export async function mergeCustomers(trx: Transaction<DB>, scope: Scope, initial: CustomerRow, final: CustomerRow, now: Date): Promise<void> {
  if (initial.bvn && final.bvn && initial.bvn !== final.bvn) {
    throw new OkroError("UNPROCESSABLE", "initial: has a different BVN from final; they are different people and cannot be merged", { field: "initial" });
  }
  const from = initial.id;
  const to = final.id;
  // A record is one login at one bank: records of the same login join, and so do records at the
  // same bank when either's login is unknown ('': older rows, links that kept no credentials);
  // two known, different logins stay two records.
  const finalRecords = await trx.selectFrom("records").select(["id", "bank_id", "login_key"]).where("customer_id", "=", to).execute();
  const initialRecords = await trx.selectFrom("records").select(["id", "bank_id", "login_key"]).where("customer_id", "=", from).execute();
  const survivorOf = (r: { bank_id: string; login_key: string }) => {
    const atBank = finalRecords.filter((f) => f.bank_id === r.bank_id);
    return (atBank.find((f) => f.login_key === r.login_key) ?? atBank.find((f) => r.login_key === "" || f.login_key === ""))?.id;
  };
  try {
    for (const record of initialRecords) {
      const survivor = survivorOf(record);
      if (!survivor) continue;
      // Both are linked through this login at this bank: the data of `initial`'s connection joins `final`'s.
      for (const table of ["accounts", "auths", "balances", "transactions", "incomes"] as const) {
        await trx.updateTable(table).set({ record_id: survivor }).where("record_id", "=", record.id).execute();
      }
      const kept = await trx.selectFrom("identities").select("id").where("record_id", "=", survivor).executeTakeFirst();
      if (kept) await trx.deleteFrom("identities").where("record_id", "=", record.id).execute();
      else await trx.updateTable("identities").set({ record_id: survivor }).where("record_id", "=", record.id).execute();
      await trx.deleteFrom("records").where("id", "=", record.id).execute();
    }
    await trx.updateTable("records").set({ customer_id: to, updated_at: now }).where("customer_id", "=", from).execute();
    for (const table of ["accounts", "auths", "balances", "transactions", "identities"] as const) {
      await trx.updateTable(table).set({ customer_id: to }).where("customer_id", "=", from).execute();
    }
    const finalIncome = await trx.selectFrom("incomes").select("id").where("customer_id", "=", to).executeTakeFirst();
    if (finalIncome) await trx.deleteFrom("incomes").where("customer_id", "=", from).execute();
    else await trx.updateTable("incomes").set({ customer_id: to }).where("customer_id", "=", from).execute();
    await sql`
      INSERT INTO customer_flags (company_id, env, customer_id, bank_id, flagged_at)
      SELECT company_id, env, ${to}, bank_id, flagged_at FROM customer_flags WHERE customer_id = ${from}
      ON CONFLICT (customer_id, bank_id) DO NOTHING`.execute(trx);
    await trx.deleteFrom("customer_flags").where("customer_id", "=", from).execute();
    // initial goes first: its BVN must be free before final takes it (unique per company+env).
    await trx.deleteFrom("customers").where("id", "=", from).where("company_id", "=", scope.companyId).where("env", "=", scope.env).execute();
  } catch (error) {
    stillReferenced(error, "initial cannot be merged away");
  }
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  await trx
    .updateTable("customers")
    .set({
      bvn: final.bvn ?? initial.bvn,
      external_id: final.external_id ?? initial.external_id,
      emails: JSON.stringify(union(final.emails, initial.emails)),
      phones: JSON.stringify(union(final.phones, initial.phones)),
      updated_at: now,
    })
    .where("id", "=", to)
    .execute();
}
