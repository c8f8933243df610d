import { sql, type Selectable, type Transaction } from "kysely";
import type { CompanyAccountsTable, DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { offsetOf } from "../core/paging.js";
import { newId } from "../lib/ids.js";
import type { Executor, Scope } from "./types.js";
import { wireEnv } from "./views.js";
import { refusal } from "./reasons.js";

/**
 * A company's own bank accounts: where `account_to_credit` points (the receiving account a
 * payment is for) and where payouts land. At most one default per company, environment and
 * currency (a partial unique index): the first account of a currency becomes its default, and
 * `default: true` moves the default to a new one. Rows are never deleted: payments and payouts
 * refer to them.
 */
export type CompanyAccountRow = Selectable<CompanyAccountsTable>;


export interface NewCompanyAccount {
  bankId: string;
  /** Checked by the caller against the bank's CBN code (NUBAN check digit). */
  nuban: string;
  name: string;
  currency: string;
  /** Make it the currency's default (the first account of a currency is the default anyway). */
  makeDefault?: boolean;
}

/**
 * Registers an account. A second registration of the same bank and NUBAN is a 409 CONFLICT
 * naming `nuban` (with the existing id in `data.account`). Serialised per company, environment and
 * currency, so two first accounts created at once cannot both become the default.
 */
export async function addCompanyAccount(trx: Transaction<DB>, scope: Scope, input: NewCompanyAccount, now: Date): Promise<CompanyAccountRow> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`company_accounts:${scope.companyId}:${scope.env}:${input.currency}`}, 0))`.execute(trx);
  const existing = await trx
    .selectFrom("company_accounts")
    .select("id")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("bank_id", "=", input.bankId)
    .where("nuban", "=", input.nuban)
    .executeTakeFirst();
  if (existing) {
    throw new OkroError("CONFLICT", `nuban: this account at this bank is already registered (${existing.id})`, {
      field: "nuban",
      data: { account: existing.id },
    });
  }
  const current = await defaultCompanyAccount(trx, scope, input.currency);
  const isDefault = input.makeDefault === true || current === undefined;
  if (isDefault && current) {
    await trx.updateTable("company_accounts").set({ is_default: false }).where("id", "=", current.id).execute();
  }
  return trx
    .insertInto("company_accounts")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      bank_id: input.bankId,
      nuban: input.nuban,
      name: input.name,
      currency: input.currency,
      is_default: isDefault,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Newest first. */
export async function listCompanyAccounts(db: Executor, scope: Scope, opts: { page: number; limit: number }): Promise<{ rows: CompanyAccountRow[]; total: number }> {
  const base = db.selectFrom("company_accounts").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  // One after the other: inside a transaction both would share one connection.
  const rows = await base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).offset(offsetOf(opts.page, opts.limit)).execute();
  const count = await base.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: count.n };
}

/** The currency's default receiving account, if the company has one. */
export async function defaultCompanyAccount(db: Executor, scope: Scope, currency: string): Promise<CompanyAccountRow | undefined> {
  return db
    .selectFrom("company_accounts")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("currency", "=", currency)
    .where("is_default", "=", true)
    .executeTakeFirst();
}

/** The account by id within the tenant, or 404 NOT_FOUND naming `field` (also for another tenant's id). */
export async function requireCompanyAccount(db: Executor, scope: Scope, id: string, field = "account_to_credit"): Promise<CompanyAccountRow> {
  const row = await db
    .selectFrom("company_accounts")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", `${field}: no receiving account with this id (see pay/accounts/list)`, { field });
  return row;
}

/**
 * Where money for the company goes: the receiving account named by `id` (404 naming
 * `account_to_credit` when it is not the tenant's; 422 when it holds another currency), or the
 * company's default account in `currency` (422 `no_receiving_account` when there is none; `hint`
 * says what else the caller could give).
 */
export async function receivingAccount(db: Executor, scope: Scope, id: string | undefined, currency: string, hint = "add one or name it"): Promise<CompanyAccountRow> {
  if (id !== undefined) {
    const account = await requireCompanyAccount(db, scope, id);
    if (account.currency !== currency) {
      throw new OkroError("UNPROCESSABLE", `account_to_credit: the account holds ${account.currency}, not ${currency}`, { field: "account_to_credit", data: refusal("currency_mismatch") });
    }
    return account;
  }
  const account = await defaultCompanyAccount(db, scope, currency);
  if (!account) {
    throw new OkroError("UNPROCESSABLE", `account_to_credit: the company has no default receiving account in ${currency}; ${hint}`, {
      field: "account_to_credit",
      data: refusal("no_receiving_account"),
    });
  }
  return account;
}

/** The wire shape (`pay/accounts/*`). */
export function companyAccountView(row: CompanyAccountRow) {
  return {
    _id: row.id,
    id: row.id,
    bank: row.bank_id,
    nuban: row.nuban,
    name: row.name,
    currency: row.currency,
    default: row.is_default,
    owner: row.company_id,
    env: wireEnv(row.env),
    created_at: row.created_at.toISOString(),
  };
}
export type CompanyAccountView = ReturnType<typeof companyAccountView>;
