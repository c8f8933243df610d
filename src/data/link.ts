import type { BankSession, LoginCredentials, LoginMethod } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import type { Env } from "../db/schema.js";
import type { Product } from "../platform/domain.js";

/**
 * CONTRACT (to be implemented by the data-core work): turns a logged-in bank session into Okro's
 * account data. Called by the widget backend when the customer consents, and by the demo seed.
 */
export interface LinkInput {
  companyId: string;
  env: Env;
  /** The widget app the connection came through (null for the seed / API-made links). */
  appId: string | null;
  bankId: string;
  loginMethod: LoginMethod;
  /** What the customer typed; sealed on the record for later refreshes. Null: never kept. */
  credentials: LoginCredentials | null;
  /** A connected bank session (after any MFA). */
  session: BankSession;
  /** The connector's ids (BankAccount.id) of the accounts the customer chose to share. */
  selectedAccountIds: string[];
  /** Products the app asked for ("auth" always included). Decides what is pulled and stored. */
  products: Product[];
  /** The merchant's free `options` object from the widget, kept for `…/byOptions`. */
  options: Record<string, unknown>;
  /** What the merchant told us about the person (widget `customer{id|bvn|email|phone}`). */
  customerHint?: { id?: string; bvn?: string; email?: string; phone?: string } | undefined;
  /** Statement length in months (widget `limit`, default 24). */
  historyMonths?: number | undefined;
}

export interface LinkedAccount {
  id: string;
  bank_account_id: string;
  nuban: string;
  name: string;
  type: string;
  currency: string;
  connected: boolean;
  available_balance: number;
  ledger_balance: number;
}

export interface LinkResult {
  recordId: string;
  customerId: string;
  customerName: string;
  bankId: string;
  /** Every account the bank listed; `connected` says which the customer shared. */
  accounts: LinkedAccount[];
  /** True when this customer+bank was linked before (the record was refreshed, not created). */
  relinked: boolean;
  /** Auth ids per shared account. */
  authIds: string[];
  identityId: string | null;
  incomeId: string | null;
}

export async function linkConnection(_ctx: AppContext, _input: LinkInput): Promise<LinkResult> {
  throw new Error("linkConnection: not implemented yet");
}
