import { sql } from "kysely";
import type { Executor } from "../core/db.js";
import { isId } from "../lib/ids.js";
import { contactOf } from "./contact.js";
import * as store from "./store.js";

/**
 * Customers as other modules see them: the one rule that recognises a person from what a merchant
 * or a bank says about them (an id, a BVN, an email, a phone), and the reads of a customer's
 * accounts the widget needs. Account data owns the `customers` and `accounts` tables; the widget
 * and the payments engine ask here instead of reading them.
 *
 * **One contact rule** (contact.ts): link.ts, when it matches a bank login to a customer, and the
 * widget, when it recognises a returning customer, look emails and phones up the same way
 * (`store.customerByContact`).
 */

export type Scope = store.Scope;

export interface CustomerHint {
  id?: string;
  bvn?: string;
  email?: string;
  phone?: string;
}

/**
 * The company's customer a hint names — the merchant's id (the oldest customer holding it), the
 * Okro id, the BVN, the email, then the phone — or undefined. Whether a hint may be used at all
 * (a customer token; sandbox's plain identifiers) is the caller's decision (decision 0013).
 */
export async function recogniseCustomer(db: Executor, scope: Scope, hint: CustomerHint): Promise<{ id: string; name: string } | undefined> {
  const pick = (c: { id: string; name: string } | undefined) => (c ? { id: c.id, name: c.name } : undefined);
  if (hint.id !== undefined) {
    const byExternal = await store.customerByExternalId(db, scope, hint.id);
    if (byExternal) return pick(byExternal);
    if (isId(hint.id)) {
      const byId = await db.selectFrom("customers").select(["id", "name"]).where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("id", "=", hint.id).executeTakeFirst();
      if (byId) return byId;
    }
  }
  if (hint.bvn !== undefined && /^\d{11}$/.test(hint.bvn)) {
    const byBvn = await store.customerByBvn(db, scope, hint.bvn);
    if (byBvn) return pick(byBvn);
  }
  const { emails, phones } = contactOf({ emails: hint.email !== undefined ? [hint.email] : [], phones: hint.phone !== undefined ? [hint.phone] : [] });
  if (emails.length > 0) {
    const byEmail = await store.customerByContact(db, scope, emails, []);
    if (byEmail) return pick(byEmail);
  }
  if (phones.length > 0) {
    const byPhone = await store.customerByContact(db, scope, [], phones);
    if (byPhone) return pick(byPhone);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// A customer's accounts
// ---------------------------------------------------------------------------------------------

export interface CustomerAccount {
  id: string;
  bank_id: string;
  nuban: string;
  name: string;
  type: string;
}

/** The customer's connected accounts, oldest first. */
export async function connectedAccountsOf(db: Executor, scope: Scope, customerId: string): Promise<CustomerAccount[]> {
  return db
    .selectFrom("accounts")
    .select(["id", "bank_id", "nuban", "name", "type"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("customer_id", "=", customerId)
    .where("connected", "=", true)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

/** The customer's account with this id (only a connected one with `connected: true`), or undefined: another customer's is not theirs. */
export async function accountOfCustomer(db: Executor, scope: Scope, customerId: string, accountId: string, opts: { connected?: boolean } = {}): Promise<CustomerAccount | undefined> {
  return db
    .selectFrom("accounts")
    .select(["id", "bank_id", "nuban", "name", "type"])
    .where("id", "=", accountId)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("customer_id", "=", customerId)
    .$if(opts.connected === true, (q) => q.where("connected", "=", true))
    .executeTakeFirst();
}

/** Who holds an account, with the record it came from and the bank's own id for it, or undefined. */
export async function accountHolder(
  db: Executor,
  scope: Scope,
  accountId: string,
): Promise<{ id: string; record_id: string; customer_id: string; customer_name: string; bank_account_id: string } | undefined> {
  return db
    .selectFrom("accounts as a")
    .innerJoin("customers as c", "c.id", "a.customer_id")
    .select(["a.id", "a.record_id", "a.customer_id", sql<string>`c.name`.as("customer_name"), "a.bank_account_id"])
    .where("a.id", "=", accountId)
    .where("a.company_id", "=", scope.companyId)
    .where("a.env", "=", scope.env)
    .executeTakeFirst();
}

/**
 * The customers holding these accounts at this bank (by NUBAN), with their accounts' ids: the
 * payer's page asks who a bank login proved to be, from the accounts that login listed.
 */
export async function holdersOfNubans(
  db: Executor,
  scope: Scope,
  bankId: string,
  nubans: readonly string[],
): Promise<{ customer_id: string; customer_name: string; account_id: string; nuban: string }[]> {
  if (nubans.length === 0) return [];
  return db
    .selectFrom("accounts as a")
    .innerJoin("customers as c", "c.id", "a.customer_id")
    .select(["a.customer_id", sql<string>`c.name`.as("customer_name"), sql<string>`a.id`.as("account_id"), "a.nuban"])
    .where("a.company_id", "=", scope.companyId)
    .where("a.env", "=", scope.env)
    .where("a.bank_id", "=", bankId)
    .where("a.nuban", "in", [...nubans])
    .orderBy("a.created_at")
    .execute();
}

/** An account's bank and NUBAN (the tenant's), for showing it masked; undefined when it is not theirs. */
export async function accountNuban(db: Executor, scope: Scope, accountId: string): Promise<{ bank_id: string; nuban: string } | undefined> {
  return db.selectFrom("accounts").select(["bank_id", "nuban"]).where("id", "=", accountId).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}
