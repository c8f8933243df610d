import type { AppContext } from "../context.js";
import type { Env } from "../db/schema.js";

/**
 * CONTRACT (to be implemented by the data-core work): going back to the bank through a stored
 * connection. Throws OkroError: NOT_FOUND (no such account for this company+env), UNPROCESSABLE
 * with data.reason "token_required" when the bank asks for MFA again (the record is marked
 * `token_required` and an event tells the merchant), SERVICE_UNAVAILABLE when the bank is down.
 */
export interface DataScope {
  companyId: string;
  env: Env;
}

export interface BalanceRefresh {
  accountId: string;
  balanceId: string;
  available_balance: number;
  ledger_balance: number;
  currency: string;
  as_of: string;
}

export interface TransactionsRefresh {
  accountId: string;
  /** Lines not seen before. */
  new_transactions: number;
}

export async function refreshBalance(_ctx: AppContext, _scope: DataScope, _accountId: string): Promise<BalanceRefresh> {
  throw new Error("refreshBalance: not implemented yet");
}

export async function refreshTransactions(_ctx: AppContext, _scope: DataScope, _accountId: string): Promise<TransactionsRefresh> {
  throw new Error("refreshTransactions: not implemented yet");
}
