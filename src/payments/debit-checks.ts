import { boundConsentRefusal, debitAuthorities } from "../mandates/standing.js";
import { defaultCompanyAccount } from "./company-accounts.js";
import { isSupportedCurrency, type Executor, type Scope } from "./types.js";

/**
 * `pay/initiate`'s checks (service.ts `initiatePayment`) for many debits at once, without writing
 * anything and without throwing: what a bulk file's validation asks before anything moves. Three
 * queries for any number of rows (accounts, their live consents, the receiving accounts), so a
 * 10,000-row file is checked in seconds. `initiatePayment` checks again when each payment is
 * created (a consent may be revoked in between): these answers are a preview, not a promise.
 *
 * An account of another company or environment is answered exactly like a missing one.
 */
export interface DebitToCheck {
  accountToDebit: string;
  accountToCredit: string | null;
  amount: bigint;
  currency: string;
  /** When given, the account must be this customer's. */
  customer?: string | null;
  /**
   * `mandate`: a charge on a mandate (a bulk row of `type: mandate`), whose own authority and caps
   * the mandates module checks (src/mandates/adhoc.ts): the account's payment consent and its
   * per-debit limit are not asked here. Default `consent`.
   */
  authority?: "consent" | "mandate";
}

export type DebitCheck =
  | { ok: true; bankId: string; customerId: string; accountToCredit: string }
  | { ok: false; column: "account_to_debit" | "account_to_credit" | "amount" | "currency" | "customer"; code: string; message: string };

export async function checkDebits(db: Executor, scope: Scope, debits: readonly DebitToCheck[]): Promise<DebitCheck[]> {
  const debitIds = [...new Set(debits.map((d) => d.accountToDebit))];
  const creditIds = [...new Set(debits.flatMap((d) => (d.accountToCredit ? [d.accountToCredit] : [])))];
  const accounts = debitIds.length
    ? await db
        .selectFrom("accounts")
        .select(["id", "customer_id", "connected", "currency", "bank_id"])
        .where("company_id", "=", scope.companyId)
        .where("env", "=", scope.env)
        .where("id", "in", debitIds)
        .execute()
    : [];
  // Read through each account's standing mandate (its consent as a mandate, decision 0016).
  const consentByAccount = await debitAuthorities(db, scope, debitIds);
  const credits = creditIds.length
    ? await db
        .selectFrom("company_accounts")
        .select(["id", "currency"])
        .where("company_id", "=", scope.companyId)
        .where("env", "=", scope.env)
        .where("id", "in", creditIds)
        .execute()
    : [];
  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const creditById = new Map(credits.map((c) => [c.id, c]));
  const defaults = new Map<string, string | null>();

  const out: DebitCheck[] = [];
  for (const d of debits) {
    if (!isSupportedCurrency(d.currency)) {
      out.push({ ok: false, column: "currency", code: "unsupported_currency", message: `currency ${d.currency} is not supported; payments are in NGN only` });
      continue;
    }
    const account = accountById.get(d.accountToDebit);
    if (!account) {
      out.push({ ok: false, column: "account_to_debit", code: "unknown_account", message: `account_to_debit ${d.accountToDebit}: no such account (check the id: it is the customer's linked account, from accounts/list)` });
      continue;
    }
    if (d.customer && account.customer_id !== d.customer) {
      out.push({ ok: false, column: "customer", code: "customer_mismatch", message: `customer ${d.customer}: the account to debit is not this customer's` });
      continue;
    }
    if (!account.connected) {
      out.push({ ok: false, column: "account_to_debit", code: "account_not_connected", message: `account_to_debit ${d.accountToDebit}: the customer did not share this account; ask them to link it again` });
      continue;
    }
    if (account.currency !== d.currency) {
      out.push({ ok: false, column: "currency", code: "currency_mismatch", message: `currency: the account to debit holds ${account.currency}, not ${d.currency}` });
      continue;
    }
    const consent = consentByAccount.get(account.id);
    if (d.authority === "mandate") {
      // The mandate's own authority and caps are the mandates module's to check.
    } else if (consent?.closed === "bound") {
      out.push({ ok: false, column: "account_to_debit", code: "consent_bound_to_mandate", message: `account_to_debit ${d.accountToDebit}: ${boundConsentRefusal("account_to_debit", consent.boundMandateId).message.slice("account_to_debit: ".length)}` });
      continue;
    } else if (!consent || !consent.open) {
      out.push({ ok: false, column: "account_to_debit", code: "no_consent", message: `account_to_debit ${d.accountToDebit}: the customer has not given payment consent for this account (they link it with payments in the widget)` });
      continue;
    } else if (d.amount > consent.maxPerCharge) {
      out.push({ ok: false, column: "amount", code: "above_consent_limit", message: `amount ${d.amount} is above the consent's limit of ${consent.maxPerCharge} kobo per debit` });
      continue;
    }
    let credit: string | null;
    if (d.accountToCredit) {
      const c = creditById.get(d.accountToCredit);
      if (!c) {
        out.push({ ok: false, column: "account_to_credit", code: "unknown_account", message: `account_to_credit ${d.accountToCredit}: not one of your receiving accounts (pay/accounts/list); leave it empty for your default` });
        continue;
      }
      if (c.currency !== d.currency) {
        out.push({ ok: false, column: "account_to_credit", code: "currency_mismatch", message: `account_to_credit: the account holds ${c.currency}, not ${d.currency}` });
        continue;
      }
      credit = c.id;
    } else {
      if (!defaults.has(d.currency)) defaults.set(d.currency, (await defaultCompanyAccount(db, scope, d.currency))?.id ?? null);
      credit = defaults.get(d.currency) ?? null;
      if (!credit) {
        out.push({ ok: false, column: "account_to_credit", code: "no_receiving_account", message: `account_to_credit is empty and you have no default receiving account in ${d.currency}; add one (pay/accounts/add) or name one` });
        continue;
      }
    }
    out.push({ ok: true, bankId: account.bank_id, customerId: account.customer_id, accountToCredit: credit });
  }
  return out;
}
