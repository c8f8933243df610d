import { MAX_KOBO } from "../lib/kobo.js";
import { rejected, type BankBalance, type BankConnector, type TransactionsPage } from "./connector.js";

/**
 * A bank's answers are input too. Every amount a bank reports (balances, transaction amounts and
 * running balances) must be whole kobo within 0…MAX_KOBO before Okro stores or shows it: a value
 * outside that range is a classified connector error (`rejected` / `invalid_answer`), never a
 * stored value that later breaks every page that shows it.
 *
 * Money movements' answers (debit/credit results) are left as they are: their amount is the one
 * Okro asked for, and refusing an answer there would turn "the bank moved money" into "nothing
 * happened".
 */
export function checkedConnector(inner: BankConnector): BankConnector {
  return {
    bankId: inner.bankId,
    startLogin: (request, options) => inner.startLogin(request, options),
    answerMfa: (request, options) => inner.answerMfa(request, options),
    listAccounts: (request, options) => inner.listAccounts(request, options),
    getBalance: async (request, options) => checkBalance(await inner.getBalance(request, options)),
    listTransactions: async (request, options) => checkTransactions(await inner.listTransactions(request, options)),
    getIdentity: (request, options) => inner.getIdentity(request, options),
    debit: (request, options) => inner.debit(request, options),
    debitStatus: (request, options) => inner.debitStatus(request, options),
    credit: (request, options) => inner.credit(request, options),
    creditStatus: (request, options) => inner.creditStatus(request, options),
    createMandate: (request, options) => inner.createMandate(request, options),
    getMandate: (request, options) => inner.getMandate(request, options),
    cancelMandate: (request, options) => inner.cancelMandate(request, options),
    debitMandate: (request, options) => inner.debitMandate(request, options),
    mandateBalance: async (request, options) => checkBalance(await inner.mandateBalance(request, options)),
  };
}

const MAX = Number(MAX_KOBO);

/** Throws `rejected` / `invalid_answer` unless `value` is whole kobo in [min, MAX_KOBO]. */
function assertKobo(value: unknown, min: 0 | 1, what: string): void {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= MAX) return;
  throw rejected("invalid_answer", `the bank answered ${what} = ${String(value)}, outside whole kobo ${min}…${MAX}`);
}

function checkBalance(balance: BankBalance): BankBalance {
  assertKobo(balance.available, 0, "an available balance");
  assertKobo(balance.ledger, 0, "a ledger balance");
  return balance;
}

function checkTransactions(page: TransactionsPage): TransactionsPage {
  for (const t of page.transactions) {
    assertKobo(t.amount, 1, `transaction ${t.id}'s amount`);
    assertKobo(t.balance, 0, `transaction ${t.id}'s balance`);
  }
  return page;
}
