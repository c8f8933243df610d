import { createHash } from "node:crypto";
import { sql, type Selectable } from "kysely";
import type { BankTransaction } from "../banks/connector.js";
import type { CustomerKind, IncomesTable, RecordStatus } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { storedEmail, storedPhone } from "./contact.js";
import { estimateIncome } from "./income.js";
import type { Executor, Trx } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/**
 * The SQL of account data's writers (link, refresh). Everything here runs inside the caller's
 * transaction unless it takes a plain `Kysely`; nothing here talks to a bank.
 */

export type { Scope };

/** Lines per INSERT of transactions (one JSON parameter each). */
const INSERT_CHUNK = 2000;

// ---------------------------------------------------------------------------------------------
// Serialising links of the same person
// ---------------------------------------------------------------------------------------------

/**
 * Takes transaction-scoped advisory locks on what identifies a person in this company and
 * environment (BVN, the merchant's id, each bank account), in a fixed order so two links never
 * deadlock. Two links that share any of these run one after the other, so the second sees the
 * first's customer, record and accounts (READ COMMITTED takes a fresh snapshot per statement);
 * the unique indexes stay the backstop.
 */
export async function lockIdentities(trx: Trx, scope: Scope, keys: readonly string[]): Promise<void> {
  const ids = [...new Set(keys.map((key) => lockId(`${scope.companyId}|${scope.env}|${key}`)))].sort();
  for (const id of ids) await sql`select pg_advisory_xact_lock(${id}::bigint)`.execute(trx);
}

/** A positive 60-bit number from a key (the same in every process and PostgreSQL version). */
const lockId = (key: string): string => BigInt(`0x${createHash("sha256").update(`okro-data|${key}`).digest("hex").slice(0, 15)}`).toString();

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

export interface CustomerRow {
  id: string;
  name: string;
  kind: CustomerKind;
  bvn: string | null;
  external_id: string | null;
  emails: string[];
  phones: string[];
}

const customerColumns = ["id", "name", "kind", "bvn", "external_id", "emails", "phones"] as const;

export async function customerByExternalId(trx: Executor, scope: Scope, externalId: string): Promise<CustomerRow | undefined> {
  return trx
    .selectFrom("customers")
    .select(customerColumns)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("external_id", "=", externalId)
    .orderBy("created_at")
    .orderBy("id")
    .executeTakeFirst();
}

export async function customerByBvn(trx: Executor, scope: Scope, bvn: string): Promise<CustomerRow | undefined> {
  return trx
    .selectFrom("customers")
    .select(customerColumns)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("bvn", "=", bvn)
    .executeTakeFirst();
}

export async function customerById(trx: Trx, id: string): Promise<CustomerRow | undefined> {
  return trx.selectFrom("customers").select(customerColumns).where("id", "=", id).executeTakeFirst();
}

/**
 * The first customer holding one of these emails or phones (the oldest, when several do). Give
 * them in stored form (contact.ts `contactOf`); stored values are compared under the same rule.
 */
export async function customerByContact(trx: Executor, scope: Scope, emails: readonly string[], phones: readonly string[]): Promise<CustomerRow | undefined> {
  if (emails.length === 0 && phones.length === 0) return undefined;
  const anyOf = (column: "emails" | "phones", values: readonly string[], rule: typeof storedEmail) =>
    sql<boolean>`EXISTS (SELECT 1 FROM jsonb_array_elements_text(${sql.ref(column)}) AS c(v) WHERE ${rule(sql<string>`c.v`)} IN (${sql.join(values)}))`;
  return trx
    .selectFrom("customers")
    .select(customerColumns)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where((eb) =>
      eb.or([...(emails.length > 0 ? [anyOf("emails", emails, storedEmail)] : []), ...(phones.length > 0 ? [anyOf("phones", phones, storedPhone)] : [])]),
    )
    .orderBy("created_at")
    .orderBy("id")
    .executeTakeFirst();
}

export interface NewCustomer {
  name: string;
  kind: CustomerKind;
  bvn: string | null;
  externalId: string | null;
  emails: string[];
  phones: string[];
}

/**
 * Creates a customer, or, when another link created the same person (same BVN) first, returns
 * that one: the BVN's unique index decides, so racing links of one person make one customer.
 */
export async function insertCustomer(trx: Trx, scope: Scope, c: NewCustomer, now: Date): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO customers (id, company_id, env, name, kind, bvn, external_id, emails, phones, created_at, updated_at)
    VALUES (${newId(now)}, ${scope.companyId}, ${scope.env}, ${c.name}, ${c.kind}, ${c.bvn}, ${c.externalId},
            ${JSON.stringify(c.emails)}::jsonb, ${JSON.stringify(c.phones)}::jsonb, ${now}, ${now})
    ON CONFLICT (company_id, env, bvn) WHERE bvn IS NOT NULL DO UPDATE SET updated_at = EXCLUDED.updated_at
    RETURNING id
  `.execute(trx);
  return rows[0]!.id;
}

/** Updates the customer; false when it no longer exists (removed or merged away meanwhile). */
export async function updateCustomer(
  trx: Trx,
  id: string,
  patch: { name: string; kind: CustomerKind; bvn: string | null; externalId: string | null; emails: string[]; phones: string[] },
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable("customers")
    .set({
      name: patch.name,
      kind: patch.kind,
      bvn: patch.bvn,
      external_id: patch.externalId,
      emails: JSON.stringify(patch.emails),
      phones: JSON.stringify(patch.phones),
      updated_at: now,
    })
    .where("id", "=", id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

export interface RecordRow {
  id: string;
  customer_id: string;
  bank_id: string;
  status: RecordStatus;
  products: string[];
  options: Record<string, unknown>;
  credentials_sealed: string | null;
  session_sealed: string | null;
  session_expires_at: Date | null;
}

export async function recordFor(trx: Trx, scope: Scope, customerId: string, bankId: string, loginKey: string): Promise<RecordRow | undefined> {
  return trx
    .selectFrom("records")
    .select(["id", "customer_id", "bank_id", "status", "products", "options", "credentials_sealed", "session_sealed", "session_expires_at"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("customer_id", "=", customerId)
    .where("bank_id", "=", bankId)
    .where("login_key", "=", loginKey)
    .forUpdate()
    .executeTakeFirst();
}

export interface RecordWrite {
  id: string;
  customerId: string;
  bankId: string;
  /** The login's keyed fingerprint ({@link loginKeyOf} in link.ts); '' when unknown. */
  loginKey: string;
  appId: string | null;
  loginMethod: string;
  products: string[];
  options: Record<string, unknown>;
  credentialsSealed: string | null;
  sessionSealed: string;
  sessionExpiresAt: string;
}

/**
 * Inserts the record, or (same customer, bank and login) reconnects the existing one. Returns the id
 * that is stored: another link's, if it won a race; the caller then re-seals for that id.
 */
export async function upsertRecord(trx: Trx, scope: Scope, r: RecordWrite, now: Date): Promise<string> {
  const row = await trx
    .insertInto("records")
    .values({
      id: r.id,
      company_id: scope.companyId,
      env: scope.env,
      customer_id: r.customerId,
      bank_id: r.bankId,
      login_key: r.loginKey,
      app_id: r.appId,
      status: "connected",
      login_method: r.loginMethod,
      products: JSON.stringify(r.products),
      options: JSON.stringify(r.options),
      credentials_sealed: r.credentialsSealed,
      session_sealed: r.sessionSealed,
      session_expires_at: r.sessionExpiresAt,
      last_refreshed_at: now,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["company_id", "env", "customer_id", "bank_id", "login_key"]).doUpdateSet((eb) => ({
        app_id: sql<string | null>`coalesce(${eb.ref("excluded.app_id")}, records.app_id)`,
        status: "connected",
        login_method: eb.ref("excluded.login_method"),
        products: eb.ref("excluded.products"),
        options: eb.ref("excluded.options"),
        credentials_sealed: eb.ref("excluded.credentials_sealed"),
        session_sealed: eb.ref("excluded.session_sealed"),
        session_expires_at: eb.ref("excluded.session_expires_at"),
        last_refreshed_at: eb.ref("excluded.last_refreshed_at"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setRecordSecrets(trx: Trx, id: string, credentialsSealed: string | null, sessionSealed: string): Promise<void> {
  await trx.updateTable("records").set({ credentials_sealed: credentialsSealed, session_sealed: sessionSealed }).where("id", "=", id).execute();
}

// ---------------------------------------------------------------------------------------------
// Accounts, auths, balances
// ---------------------------------------------------------------------------------------------

export interface StoredAccount {
  id: string;
  customer_id: string;
  record_id: string;
  nuban: string;
  connected: boolean;
}

export async function accountsByNuban(trx: Trx, scope: Scope, bankId: string, nubans: readonly string[]): Promise<StoredAccount[]> {
  if (nubans.length === 0) return [];
  return trx
    .selectFrom("accounts")
    .select(["id", "customer_id", "record_id", "nuban", "connected"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("bank_id", "=", bankId)
    .where("nuban", "in", [...nubans])
    .execute();
}

export interface AccountWrite {
  bankAccountId: string;
  nuban: string;
  name: string;
  type: string;
  currency: string;
  /** Shared in this link. Once shared, an account stays `connected`. */
  shared: boolean;
}

/** Inserts or updates the account (bank + NUBAN is unique per company and environment). */
export async function upsertAccount(
  trx: Trx,
  scope: Scope,
  owner: { customerId: string; recordId: string; bankId: string },
  a: AccountWrite,
  now: Date,
): Promise<{ id: string; connected: boolean }> {
  return trx
    .insertInto("accounts")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      customer_id: owner.customerId,
      record_id: owner.recordId,
      bank_id: owner.bankId,
      bank_account_id: a.bankAccountId,
      nuban: a.nuban,
      name: a.name,
      type: a.type,
      currency: a.currency,
      connected: a.shared,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["company_id", "env", "bank_id", "nuban"]).doUpdateSet((eb) => ({
        customer_id: eb.ref("excluded.customer_id"),
        record_id: eb.ref("excluded.record_id"),
        bank_account_id: eb.ref("excluded.bank_account_id"),
        name: eb.ref("excluded.name"),
        type: eb.ref("excluded.type"),
        currency: eb.ref("excluded.currency"),
        connected: sql<boolean>`accounts.connected OR ${eb.ref("excluded.connected")}`,
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returning(["id", "connected"])
    .executeTakeFirstOrThrow();
}

/**
 * An account that now belongs to another record (the person was recognised differently, or
 * linked through another customer): its auth, balance and lines follow it.
 */
export async function moveAccountData(trx: Trx, accountId: string, owner: { customerId: string; recordId: string }): Promise<void> {
  for (const table of ["auths", "balances", "transactions"] as const) {
    await trx.updateTable(table).set({ customer_id: owner.customerId, record_id: owner.recordId }).where("account_id", "=", accountId).execute();
  }
}

export interface BalanceWrite {
  accountId: string;
  customerId: string;
  recordId: string;
  bankId: string;
  available: number;
  ledger: number;
  currency: string;
  asOf: string;
}

/** The account's auth (created on first share) with its balances. Returns the auth id. */
export async function upsertAuth(trx: Trx, scope: Scope, b: BalanceWrite, now: Date): Promise<string> {
  const row = await trx
    .insertInto("auths")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      account_id: b.accountId,
      customer_id: b.customerId,
      record_id: b.recordId,
      bank_id: b.bankId,
      available_balance: b.available,
      ledger_balance: b.ledger,
      connected: true,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column("account_id").doUpdateSet((eb) => ({
        customer_id: eb.ref("excluded.customer_id"),
        record_id: eb.ref("excluded.record_id"),
        available_balance: eb.ref("excluded.available_balance"),
        ledger_balance: eb.ref("excluded.ledger_balance"),
        connected: true,
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Updates the auth's balances of an account that has one (refreshes). */
export async function updateAuthBalances(trx: Trx, accountId: string, available: number, ledger: number, now: Date): Promise<void> {
  await trx.updateTable("auths").set({ available_balance: available, ledger_balance: ledger, updated_at: now }).where("account_id", "=", accountId).execute();
}

/** The account's current balance row, and a reading for its history (Okra's `periodic`). Returns the balance id. */
export async function upsertBalance(trx: Trx, scope: Scope, b: BalanceWrite, now: Date): Promise<string> {
  const row = await trx
    .insertInto("balances")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      account_id: b.accountId,
      customer_id: b.customerId,
      record_id: b.recordId,
      bank_id: b.bankId,
      available_balance: b.available,
      ledger_balance: b.ledger,
      currency: b.currency,
      as_of: b.asOf,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column("account_id").doUpdateSet((eb) => ({
        customer_id: eb.ref("excluded.customer_id"),
        record_id: eb.ref("excluded.record_id"),
        available_balance: eb.ref("excluded.available_balance"),
        ledger_balance: eb.ref("excluded.ledger_balance"),
        currency: eb.ref("excluded.currency"),
        as_of: eb.ref("excluded.as_of"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx.insertInto("balance_readings").values({ balance_id: row.id, available_balance: b.available, ledger_balance: b.ledger, as_of: b.asOf }).execute();
  return row.id;
}

/** Stored current balances of accounts (kobo), by account id. */
export async function balancesOf(trx: Trx, accountIds: readonly string[]): Promise<Map<string, { available: number; ledger: number }>> {
  if (accountIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom("balances")
    .select(["account_id", "available_balance", "ledger_balance"])
    .where("account_id", "in", [...accountIds])
    .execute();
  return new Map(rows.map((r) => [r.account_id, { available: Number(r.available_balance), ledger: Number(r.ledger_balance) }]));
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

export interface TransactionWrite {
  bankTransactionId: string;
  type: "credit" | "debit";
  amount: number;
  balance: number;
  currency: string;
  postedAt: string;
  narration: string;
  category: string;
  reference: string | null;
  sessionId: string | null;
}

/** A bank's statement line as stored (kobo, ISO dates as the connector gives them). */
export function lineWrite(t: BankTransaction): TransactionWrite {
  return {
    bankTransactionId: t.id,
    type: t.type,
    amount: t.amount,
    balance: t.balance,
    currency: t.currency,
    postedAt: t.postedAt,
    narration: t.narration,
    category: t.category,
    reference: t.reference ?? null,
    sessionId: t.sessionId ?? null,
  };
}

/**
 * Inserts lines not seen before (account + bank line id is unique). Returns how many were new.
 * The lines travel as one JSON parameter per chunk (`jsonb_to_recordset`): on the embedded
 * database that is several times faster than binding 17 parameters per row, and a 24-month
 * statement is thousands of lines.
 */
export async function insertTransactions(
  trx: Trx,
  scope: Scope,
  owner: { accountId: string; customerId: string; recordId: string; bankId: string },
  lines: readonly TransactionWrite[],
  now: Date,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < lines.length; i += INSERT_CHUNK) {
    const rows = lines.slice(i, i + INSERT_CHUNK).map((t) => ({
      id: newId(now),
      bank_transaction_id: t.bankTransactionId,
      debit: t.type === "debit" ? t.amount : null,
      credit: t.type === "credit" ? t.amount : null,
      balance: t.balance,
      currency: t.currency,
      trans_date: t.postedAt,
      narration: t.narration,
      category: t.category,
      reference: t.reference,
      session_id: t.sessionId,
    }));
    const result = await sql`
      INSERT INTO transactions (id, company_id, env, account_id, customer_id, record_id, bank_id, bank_transaction_id,
                                debit, credit, balance, currency, trans_date, narration, category, reference, session_id, created_at)
      SELECT t.id, ${scope.companyId}, ${scope.env}, ${owner.accountId}, ${owner.customerId}, ${owner.recordId}, ${owner.bankId}, t.bank_transaction_id,
             t.debit, t.credit, t.balance, t.currency, t.trans_date, t.narration, t.category, t.reference, t.session_id, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS t (
        id text, bank_transaction_id text, debit int8, credit int8, balance int8, currency text,
        trans_date timestamptz, narration text, category text, reference text, session_id text
      )
      ON CONFLICT (account_id, bank_transaction_id) DO NOTHING
    `.execute(trx);
    inserted += Number(result.numAffectedRows ?? 0n);
  }
  return inserted;
}

/** The newest stored line's date of an account, if any. */
export async function latestTransactionDate(db: Executor, accountId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom("transactions")
    .select("trans_date")
    .where("account_id", "=", accountId)
    .orderBy("trans_date", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.trans_date;
}

/** Every credit on the customer's accounts, for income. */
export async function customerCredits(trx: Trx, customerId: string): Promise<Array<{ date: string; amount: number; narration: string; category: string }>> {
  const rows = await trx
    .selectFrom("transactions")
    .select(["trans_date", "credit", "narration", "category"])
    .where("customer_id", "=", customerId)
    .where("credit", "is not", null)
    .execute();
  return rows.map((r) => ({ date: r.trans_date.toISOString(), amount: Number(r.credit), narration: r.narration, category: r.category }));
}

/** Names of the customer's accounts (to tell transfers between their own accounts from income). */
export async function customerAccountNames(trx: Trx, customerId: string): Promise<string[]> {
  const rows = await trx.selectFrom("accounts").select("name").distinct().where("customer_id", "=", customerId).execute();
  return rows.map((r) => r.name);
}

// ---------------------------------------------------------------------------------------------
// Identity and income
// ---------------------------------------------------------------------------------------------

export interface IdentityWrite {
  kind: CustomerKind;
  fullname: string;
  firstname: string | null;
  middlename: string | null;
  lastname: string | null;
  bvn: string | null;
  dob: string | null;
  gender: string | null;
  phones: string[];
  emails: string[];
  address: { street: string; city: string; state: string; country: string } | null;
  marital_status: string | null;
  nationality: string | null;
  rc_number: string | null;
}

/** One identity per record: a relink replaces it. Returns its id. */
export async function upsertIdentity(trx: Trx, scope: Scope, owner: { customerId: string; recordId: string; bankId: string }, i: IdentityWrite, now: Date): Promise<string> {
  const values = {
    kind: i.kind,
    fullname: i.fullname,
    firstname: i.firstname,
    middlename: i.middlename,
    lastname: i.lastname,
    bvn: i.bvn,
    dob: i.dob,
    gender: i.gender,
    phones: JSON.stringify(i.phones),
    emails: JSON.stringify(i.emails),
    address: JSON.stringify(i.address),
    marital_status: i.marital_status,
    nationality: i.nationality,
    rc_number: i.rc_number,
  };
  const row = await trx
    .insertInto("identities")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      customer_id: owner.customerId,
      record_id: owner.recordId,
      bank_id: owner.bankId,
      ...values,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("record_id").doUpdateSet({ ...values, customer_id: owner.customerId, updated_at: now }))
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The customer's income summary (one per customer), computed from the record that last updated it. */
export async function upsertIncome(trx: Executor, scope: Scope, owner: { customerId: string; recordId: string }, summary: unknown, now: Date): Promise<Selectable<IncomesTable>> {
  return trx
    .insertInto("incomes")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      customer_id: owner.customerId,
      record_id: owner.recordId,
      summary: JSON.stringify(summary),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("customer_id").doUpdateSet({ record_id: owner.recordId, summary: JSON.stringify(summary), updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Estimates the customer's income from every stored credit (their own accounts' names tell
 * transfers between them from income) as of the bank's time `at`, and stores it against `recordId`.
 */
export async function storeIncome(trx: Trx, scope: Scope, owner: { customerId: string; recordId: string }, ownName: string | undefined, at: Date, now: Date) {
  const credits = await customerCredits(trx, owner.customerId);
  const ownNames = [...(ownName !== undefined ? [ownName] : []), ...(await customerAccountNames(trx, owner.customerId))];
  const summary = estimateIncome(credits, at, { ownNames });
  const row = await upsertIncome(trx, scope, owner, summary, now);
  return { id: row.id, summary };
}

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

export interface RefreshTarget {
  accountId: string;
  bankAccountId: string;
  nuban: string;
  currency: string;
  connected: boolean;
  customerId: string;
  recordId: string;
  bankId: string;
  recordStatus: RecordStatus;
  products: string[];
  credentialsSealed: string | null;
  sessionSealed: string | null;
  sessionExpiresAt: Date | null;
}

/** An account of this company and environment with its record; undefined otherwise. */
export async function refreshTarget(db: Executor, scope: Scope, accountId: string): Promise<RefreshTarget | undefined> {
  const row = await db
    .selectFrom("accounts as a")
    .innerJoin("records as r", "r.id", "a.record_id")
    .select([
      "a.id as accountId",
      "a.bank_account_id as bankAccountId",
      "a.nuban",
      "a.currency",
      "a.connected",
      "a.customer_id as customerId",
      "r.id as recordId",
      "a.bank_id as bankId",
      "r.status as recordStatus",
      "r.products",
      "r.credentials_sealed as credentialsSealed",
      "r.session_sealed as sessionSealed",
      "r.session_expires_at as sessionExpiresAt",
    ])
    .where("a.id", "=", accountId)
    .where("a.company_id", "=", scope.companyId)
    .where("a.env", "=", scope.env)
    .executeTakeFirst();
  return row;
}

/** After a successful refresh: the (possibly new) sealed session and the refresh time. */
export async function recordRefreshed(trx: Trx, recordId: string, session: { sealed: string; expiresAt: string } | undefined, now: Date): Promise<void> {
  await trx
    .updateTable("records")
    .set({ ...(session ? { session_sealed: session.sealed, session_expires_at: session.expiresAt } : {}), last_refreshed_at: now, updated_at: now })
    .where("id", "=", recordId)
    .execute();
}

/** Marks a record as needing the customer (token_required / invalid); false when it already was. */
export async function setRecordStatus(trx: Trx, recordId: string, status: RecordStatus, now: Date): Promise<boolean> {
  const result = await trx
    .updateTable("records")
    .set({ status, session_sealed: null, session_expires_at: null, updated_at: now })
    .where("id", "=", recordId)
    .where("status", "<>", status)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * The demo seed's view of a sandbox: whether it holds customers the seed did not make (the
 * developer's: then the seed leaves it alone), and the banks the seed already linked (records
 * whose options carry `marker`).
 */
export async function demoSeedState(db: Executor, scope: Scope, marker: string): Promise<{ othersExist: boolean; seededBanks: Set<string> }> {
  const seeded = await db
    .selectFrom("records")
    .select(["bank_id", "customer_id"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where(sql<boolean>`(options ->> ${marker}) = 'true'`)
    .execute();
  const seededCustomers = [...new Set(seeded.map((r) => r.customer_id))];
  const other = await db
    .selectFrom("customers")
    .select("id")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .$if(seededCustomers.length > 0, (qb) => qb.where("id", "not in", seededCustomers))
    .limit(1)
    .executeTakeFirst();
  return { othersExist: other !== undefined, seededBanks: new Set(seeded.map((r) => r.bank_id)) };
}
