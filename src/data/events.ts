import type { RecordStatus } from "../db/schema.js";
import { emitEvent } from "../events/emit.js";
import type { IncomeSummary } from "./income.js";
import type { Scope } from "./store.js";
import type { Trx } from "../core/db.js";

/**
 * The account-data events, one function per type, so link and refresh send the same shapes.
 * Each carries Okra's legacy callback fields at the top level (`callback_type`, `callback_code`,
 * `record`, `recordId`, `customerId`, `bankId`, `error: null`, …) for receivers written for Okra,
 * and the object's state in `data`. Call them inside the transaction that made the change.
 *
 * | type | object | legacy callback_type / callback_code |
 * | --- | --- | --- |
 * | `record.connected` | record | AUTH / AUTH_SUCCESS |
 * | `record.token_required` | record | AUTH / TOKEN_REQUIRED |
 * | `balance.success` | balance | BALANCE / BALANCE_SUCCESS |
 * | `transactions.success` | record | TRANSACTIONS / INITIAL_TRANSACTIONS, FULL_TRANSACTIONS, PERIODIC_TRANSACTIONS (+ `new_transactions`) |
 * | `identity.success` | identity | IDENTITY / IDENTITY_SUCCESS |
 * | `income.success` | income | INCOME / INCOME_SUCCESS |
 */

export interface RecordRef {
  recordId: string;
  customerId: string;
  bankId: string;
}

const legacyOf = (ref: RecordRef, callbackType: string, callbackCode: string, extra: Record<string, unknown> = {}) => ({
  callback_type: callbackType,
  callback_code: callbackCode,
  method: callbackType,
  record: ref.recordId,
  recordId: ref.recordId,
  customerId: ref.customerId,
  bankId: ref.bankId,
  error: null,
  ...extra,
});

export async function emitRecordConnected(
  trx: Trx,
  scope: Scope,
  ref: RecordRef,
  record: { products: string[]; accounts: string[]; relinked: boolean },
  now: Date,
): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "record.connected",
      object: { type: "record", id: ref.recordId },
      data: {
        record: { id: ref.recordId, status: "connected", customer: ref.customerId, bank: ref.bankId, products: record.products, accounts: record.accounts },
        relinked: record.relinked,
      },
      legacy: legacyOf(ref, "AUTH", "AUTH_SUCCESS", { accounts: record.accounts }),
    },
    now,
  );
}

export async function emitRecordTokenRequired(trx: Trx, scope: Scope, ref: RecordRef, status: RecordStatus, bankReason: string, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "record.token_required",
      object: { type: "record", id: ref.recordId },
      data: { record: { id: ref.recordId, status, customer: ref.customerId, bank: ref.bankId }, reason: bankReason },
      legacy: legacyOf(ref, "AUTH", "TOKEN_REQUIRED", { status }),
    },
    now,
  );
}

export interface BalanceEvent {
  balanceId: string;
  accountId: string;
  available: number;
  ledger: number;
  currency: string;
  asOf: string;
}

export async function emitBalanceSuccess(trx: Trx, scope: Scope, ref: RecordRef, b: BalanceEvent, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "balance.success",
      object: { type: "balance", id: b.balanceId },
      data: {
        balance: {
          id: b.balanceId,
          account: b.accountId,
          available_balance: b.available,
          ledger_balance: b.ledger,
          currency: b.currency,
          customer: ref.customerId,
          record: ref.recordId,
          bank: ref.bankId,
          as_of: b.asOf,
        },
      },
      legacy: legacyOf(ref, "BALANCE", "BALANCE_SUCCESS", { accountId: b.accountId }),
    },
    now,
  );
}

export type TransactionsCode = "INITIAL_TRANSACTIONS" | "FULL_TRANSACTIONS" | "PERIODIC_TRANSACTIONS";

export async function emitTransactionsSuccess(
  trx: Trx,
  scope: Scope,
  ref: RecordRef,
  t: { code: TransactionsCode; accounts: string[]; newTransactions: number },
  now: Date,
): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "transactions.success",
      object: { type: "record", id: ref.recordId },
      data: { record: ref.recordId, customer: ref.customerId, bank: ref.bankId, accounts: t.accounts, new_transactions: t.newTransactions },
      legacy: legacyOf(ref, "TRANSACTIONS", t.code, { new_transactions: t.newTransactions }),
    },
    now,
  );
}

export async function emitIdentitySuccess(trx: Trx, scope: Scope, ref: RecordRef, identityId: string, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "identity.success",
      object: { type: "identity", id: identityId },
      // Personal data stays behind the API (identity/getByCustomer…): the event says where it is.
      data: { identity: { id: identityId, customer: ref.customerId, record: ref.recordId, bank: ref.bankId } },
      legacy: legacyOf(ref, "IDENTITY", "IDENTITY_SUCCESS", { identityId }),
    },
    now,
  );
}

export async function emitIncomeSuccess(trx: Trx, scope: Scope, ref: RecordRef, incomeId: string, summary: IncomeSummary, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      ...scope,
      type: "income.success",
      object: { type: "income", id: incomeId },
      data: {
        income: {
          id: incomeId,
          customer: ref.customerId,
          record: ref.recordId,
          avg_monthly_income: summary.avg_monthly_income,
          projected_yearly_income: summary.projected_yearly_income,
          number_of_income_streams: summary.number_of_income_streams,
          confidence: summary.confidence,
          currency: summary.currency,
        },
      },
      legacy: legacyOf(ref, "INCOME", "INCOME_SUCCESS", { incomeId }),
    },
    now,
  );
}
