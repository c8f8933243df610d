import { isConnectorError, Secret, type BankConnector, type BankSession, type LoginCredentials, type LoginMethod } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import type { Transaction } from "kysely";
import type { DB, RecordStatus } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { emitBalanceSuccess, emitIncomeSuccess, emitRecordTokenRequired, emitTransactionsSuccess, type RecordRef } from "./events.js";
import { DEFAULT_HISTORY_MONTHS, pullTransactions, requireConnector, rethrowBankError } from "./link.js";
import * as store from "./store.js";
import type { Scope } from "../core/tenancy.js";

/**
 * Going back to the bank through a stored connection. Throws OkroError: NOT_FOUND (no such
 * account for this company+env), UNPROCESSABLE with data.reason "token_required" when the bank
 * asks for MFA again or refuses the stored credentials (the record is marked `token_required` /
 * `invalid` and a `record.token_required` event tells the merchant), SERVICE_UNAVAILABLE when
 * the bank is down.
 */

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

/** How far before the newest stored line a refresh looks again, for lines the bank posts late (ms). */
export const REFRESH_OVERLAP_MS = 7 * 86_400_000;

/** Refreshes an account's balance from its bank: balance, a reading, the auth's balances, `balance.success`. */
export async function refreshBalance(ctx: AppContext, scope: Scope, accountId: string): Promise<BalanceRefresh> {
  const target = await loadTarget(ctx, scope, accountId);
  const { result: balance, session } = await withBank(ctx, scope, target, (connector, s) => connector.getBalance({ session: s, accountId: target.bankAccountId }));
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const owner = await relockTarget(trx, scope, target);
    const b: store.BalanceWrite = {
      accountId: target.accountId,
      customerId: owner.customerId,
      recordId: owner.recordId,
      bankId: target.bankId,
      available: balance.available,
      ledger: balance.ledger,
      currency: balance.currency,
      asOf: balance.asOf,
    };
    const balanceId = await store.upsertBalance(trx, scope, b, now);
    await store.updateAuthBalances(trx, target.accountId, balance.available, balance.ledger, now);
    await store.recordRefreshed(trx, owner.recordId, owner.recordId === target.recordId ? session : undefined, now);
    await emitBalanceSuccess(trx, scope, refOf(owner), { balanceId, accountId: target.accountId, available: b.available, ledger: b.ledger, currency: b.currency, asOf: b.asOf }, now);
    return {
      accountId: target.accountId,
      balanceId,
      available_balance: balance.available,
      ledger_balance: balance.ledger,
      currency: balance.currency,
      as_of: new Date(balance.asOf).toISOString(),
    };
  });
}

/**
 * Fetches an account's new lines: from a week before the newest stored line (banks post late)
 * to the bank's now, inserts the unseen ones, recomputes income when the record has the income
 * product, and sends `transactions.success` (PERIODIC_TRANSACTIONS, with `new_transactions`).
 */
export async function refreshTransactions(ctx: AppContext, scope: Scope, accountId: string): Promise<TransactionsRefresh> {
  const target = await loadTarget(ctx, scope, accountId);
  const latest = await store.latestTransactionDate(ctx.db, target.accountId);
  const now = ctx.clock.now();
  const { result, session } = await withBank(ctx, scope, target, async (connector, s) => {
    // The bank's clock says what "now" is (the sandbox's can run ahead of ours).
    const reading = await connector.getBalance({ session: s, accountId: target.bankAccountId });
    const to = new Date(Math.max(now.getTime(), Date.parse(reading.asOf) || 0));
    const from = latest ? new Date(latest.getTime() - REFRESH_OVERLAP_MS) : monthsBefore(to, DEFAULT_HISTORY_MONTHS);
    return { to, lines: await pullTransactions(connector, s, target.bankAccountId, from, to) };
  });
  return ctx.db.transaction().execute(async (trx) => {
    const current = await relockTarget(trx, scope, target);
    const owner = { accountId: target.accountId, customerId: current.customerId, recordId: current.recordId, bankId: target.bankId };
    const fresh = await store.insertTransactions(
      trx,
      scope,
      owner,
      result.lines.map(store.lineWrite),
      now,
    );
    const ref = refOf(current);
    if (current.products.includes("income")) {
      const customer = await store.customerById(trx, current.customerId);
      const income = await store.storeIncome(trx, scope, { customerId: current.customerId, recordId: current.recordId }, customer?.name, result.to, now);
      await emitIncomeSuccess(trx, scope, ref, income.id, income.summary, now);
    }
    await store.recordRefreshed(trx, current.recordId, current.recordId === target.recordId ? session : undefined, now);
    await emitTransactionsSuccess(trx, scope, ref, { code: "PERIODIC_TRANSACTIONS", accounts: [target.accountId], newTransactions: fresh }, now);
    return { accountId: target.accountId, new_transactions: fresh };
  });
}

// ---------------------------------------------------------------------------------------------

const monthsBefore = (at: Date, months: number): Date => {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
};

const refOf = (t: store.RefreshTarget): RecordRef => ({ recordId: t.recordId, customerId: t.customerId, bankId: t.bankId });

/**
 * The account again inside the refresh's write, its customer share-locked: the bank call took
 * seconds with no transaction open, and a customers/remove or merge may have run meanwhile.
 * Removed: NOT_FOUND (it was a 500 on the foreign keys). Merged: the data goes to where the
 * account is now. While the lock is held, a remove or merge of the customer waits for us.
 */
async function relockTarget(trx: Transaction<DB>, scope: Scope, target: store.RefreshTarget): Promise<store.RefreshTarget> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await store.refreshTarget(trx, scope, target.accountId);
    if (!before) break;
    await trx.selectFrom("customers").select("id").where("id", "=", before.customerId).forShare().execute();
    const after = await store.refreshTarget(trx, scope, target.accountId);
    if (after && after.customerId === before.customerId) return after;
  }
  throw new OkroError("NOT_FOUND", "account not found (the customer was removed meanwhile)", { field: "account_id" });
}

async function loadTarget(ctx: AppContext, scope: Scope, accountId: string): Promise<store.RefreshTarget> {
  const target = await store.refreshTarget(ctx.db, scope, accountId);
  if (!target) throw new OkroError("NOT_FOUND", "account not found", { field: "account_id" });
  if (!target.connected) {
    throw new OkroError("UNPROCESSABLE", "account_id: the customer did not share this account; it cannot be refreshed", {
      field: "account_id",
      data: { reason: "account_not_shared" },
    });
  }
  if (target.recordStatus !== "connected") throw tokenRequired(target.recordId, target.recordStatus);
  return target;
}

function tokenRequired(recordId: string, status: RecordStatus): OkroError {
  return new OkroError(
    "UNPROCESSABLE",
    `the bank asks the customer to log in again: open the widget for this customer so they re-authenticate (record ${recordId} is ${status}); refreshes work again after that`,
    { data: { reason: "token_required", record_id: recordId, record_status: status } },
  );
}

/** A session sealed on the record, if it is still within its life. (Also the widget's Quick Pay.) */
export function storedSession(ctx: AppContext, target: store.RefreshTarget): BankSession | undefined {
  if (!target.sessionSealed || !target.sessionExpiresAt || target.sessionExpiresAt.getTime() <= ctx.clock.now().getTime()) return undefined;
  const token = ctx.secrets.open(target.sessionSealed, `records:${target.recordId}:session`);
  return { token: new Secret(token), expiresAt: target.sessionExpiresAt.toISOString() };
}

/** The record's sealed credentials, opened. (Also the widget's Quick Pay silent login.) */
export function storedCredentials(ctx: AppContext, target: store.RefreshTarget): LoginCredentials | undefined {
  if (!target.credentialsSealed) return undefined;
  const plain = JSON.parse(ctx.secrets.open(target.credentialsSealed, `records:${target.recordId}:credentials`)) as { method: LoginMethod; identifier: string; secret: string };
  return { method: plain.method, identifier: plain.identifier, secret: new Secret(plain.secret) };
}

const sessionExpired = (error: unknown) => isConnectorError(error) && error.kind === "rejected" && error.reason === "session_expired";

/**
 * Runs `work` against the bank with the record's session; when that has lapsed (by its expiry,
 * or the bank says so), logs in again with the sealed credentials. A bank that wants MFA, or
 * refuses the credentials, needs the customer: the record is marked and the merchant told
 * ({@link markNeedsCustomer}). Returns the new session (sealed) when there was a new login.
 */
async function withBank<T>(
  ctx: AppContext,
  scope: Scope,
  target: store.RefreshTarget,
  work: (connector: BankConnector, session: BankSession) => Promise<T>,
): Promise<{ result: T; session: { sealed: string; expiresAt: string } | undefined }> {
  const connector = requireConnector(ctx, scope, target.bankId);
  const current = storedSession(ctx, target);
  if (current) {
    try {
      return { result: await work(connector, current), session: undefined };
    } catch (error) {
      if (!sessionExpired(error)) rethrowBankError(error);
    }
  }
  const credentials = storedCredentials(ctx, target);
  if (!credentials) return markNeedsCustomer(ctx, scope, target, "token_required", "no_stored_credentials");
  let login;
  try {
    login = await connector.startLogin({ credentials });
  } catch (error) {
    if (isConnectorError(error) && error.kind === "rejected" && (error.reason === "invalid_credentials" || error.reason === "locked")) {
      return markNeedsCustomer(ctx, scope, target, "invalid", error.reason);
    }
    rethrowBankError(error);
  }
  if (login.status === "mfa_required") return markNeedsCustomer(ctx, scope, target, "token_required", "mfa_required");
  try {
    const result = await work(connector, login.session);
    return {
      result,
      session: { sealed: ctx.secrets.seal(login.session.token.reveal(), `records:${target.recordId}:session`), expiresAt: login.session.expiresAt },
    };
  } catch (error) {
    rethrowBankError(error);
  }
}

/**
 * The connection needs the customer again: marks the record (`token_required`, or `invalid`
 * when the bank refused the stored credentials — retrying them could lock the customer out),
 * emits `record.token_required`, and throws UNPROCESSABLE `token_required`.
 */
async function markNeedsCustomer(ctx: AppContext, scope: Scope, target: store.RefreshTarget, status: RecordStatus, bankReason: string): Promise<never> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    if (await store.setRecordStatus(trx, target.recordId, status, now)) {
      await emitRecordTokenRequired(trx, scope, refOf(target), status, bankReason, now);
    }
  });
  throw tokenRequired(target.recordId, status);
}
