import { SandboxAdminError, type SandboxCustomerView } from "../banks/sandbox/types.js";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import { randomToken } from "../lib/secrets.js";
import { addCompanyAccount, defaultCompanyAccount } from "./company-accounts.js";

/** Whose sandbox account a company's payments land in: a corporate sandbox customer at a bank. */
export interface SandboxShop {
  name: string;
  /** Its internet-banking username in the company's sandbox (not one of the magic `okro_…` ones). */
  username: string;
  bankSlug: string;
}

/**
 * The company's default NGN receiving account in sandbox (its id), made if it has none: the first
 * account of a corporate sandbox customer `shop`, created through the sandbox admin and
 * registered as a company account. The demo seed gives the demo company one at start; signup gives
 * every new company one, so its first payment link works without an API call. Nothing twice: an existing default is kept; a start that
 * finds the sandbox customer already there (an earlier start, or one racing on PostgreSQL) uses
 * it, and a lost race to register the account reads the winner's.
 */
/** Every new company's sandbox receiving account: a corporate customer of its sandbox at GTBank. */
export const signupShop = (companyName: string): SandboxShop => ({ name: companyName, username: "receiving_account", bankSlug: "guaranty-trust-bank" });

export async function ensureSandboxReceivingAccount(ctx: AppContext, companyId: string, shop: SandboxShop): Promise<string> {
  const scope = { companyId, env: "sandbox" as const };
  const existing = await defaultCompanyAccount(ctx.db, scope, "NGN");
  if (existing) return existing.id;
  const bank = ctx.sandbox.banks().find((b) => b.slug === shop.bankSlug);
  if (!bank) throw new Error(`no sandbox bank ${shop.bankSlug}`);
  let customer: SandboxCustomerView | undefined;
  try {
    [customer] = await ctx.sandbox.createCustomers(companyId, [
      {
        bankId: bank.bankId,
        username: shop.username,
        password: randomToken(12),
        name: shop.name,
        type: "corp",
        volume: "low",
        identity: 100,
        noOfAccount: 1,
        internetSpeed: 4,
      },
    ]);
  } catch (error) {
    if (!(error instanceof SandboxAdminError && error.code === "CONFLICT")) throw error;
    customer = await findSandboxCustomer(ctx, companyId, bank.bankId, shop.username);
  }
  const nuban = customer?.accounts[0]?.nuban;
  if (!customer || !nuban) throw new Error(`the sandbox account of ${shop.username} was not found`);
  try {
    const row = await ctx.db
      .transaction()
      .execute((trx) => addCompanyAccount(trx, scope, { bankId: bank.bankId, nuban, name: customer!.name, currency: "NGN", makeDefault: true }, ctx.clock.now()));
    return row.id;
  } catch (error) {
    if (!(error instanceof OkroError && error.code === "CONFLICT")) throw error;
    const winner = await defaultCompanyAccount(ctx.db, scope, "NGN");
    if (!winner) throw error;
    return winner.id;
  }
}

async function findSandboxCustomer(ctx: AppContext, realm: string, bankId: string, username: string): Promise<SandboxCustomerView | undefined> {
  const limit = 100;
  for (let page = 1; ; page++) {
    const { customers, total } = await ctx.sandbox.listCustomers(realm, page, limit);
    const found = customers.find((c) => c.bankId === bankId && c.username.toLowerCase() === username);
    if (found || page * limit >= total || customers.length === 0) return found;
  }
}

