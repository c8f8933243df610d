import type { Transaction } from "kysely";
import { networkFor } from "../banks/networks.js";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { canPayout, payoutInitiated } from "../ledger/domain.js";
import { lockWallet, postEntry } from "../ledger/store.js";
import { newId } from "../lib/ids.js";
import type { Kobo } from "../lib/kobo.js";
import { receivingAccount } from "./company-accounts.js";
import * as store from "./store.js";
import { enqueueTransferCheck } from "./schedule.js";
import { recordTransferCreated } from "./transitions.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES, type Executor, type PayoutRow, type Scope } from "./types.js";
import { refusal } from "./reasons.js";

/**
 * Payouts (`pay/payout`): money moved from the company's available wallet to its own bank
 * account (a company account, or a bank + NUBAN), never overdrawing. The worker sends the credit
 * (execute.ts `processTransfer`); states pending → processing → succeeded | unknown | failed
 * (wire: initiated → success | failed).
 */

export interface PayoutInput {
  /** A company account (company_accounts.id); default: the company's default account in `currency`. */
  companyAccountId?: string;
  /** Or an account by bank and NUBAN (both). */
  bankId?: string;
  nuban?: string;
  amount: Kobo;
  currency: string;
  /** Who asked (a user id or "api"), shown as `initiated_by`. */
  initiatedBy: string;
}

/**
 * Accepts a payout. In the caller's transaction: resolves the destination (404 naming
 * `account_to_credit` for another company's account; 400/422 naming `nuban`/`bank`; 422 when
 * there is no default account), takes the wallet lock, checks `canPayout` against the available
 * balance (422 naming `amount`: "more than the available balance: N kobo" — also while a late
 * reversal left it negative), inserts the payout `pending` (due now), posts `payout_initiated`
 * and emits `payout.pending`.
 */
export async function createPayout(trx: Transaction<DB>, ctx: AppContext, scope: Scope, input: PayoutInput): Promise<PayoutRow> {
  if (!isSupportedCurrency(input.currency)) {
    throw new OkroError("UNPROCESSABLE", `currency: ${JSON.stringify(input.currency)} is not supported; payouts are in ${SUPPORTED_CURRENCIES.join(", ")}`, {
      field: "currency",
      data: refusal("unsupported_currency"),
    });
  }
  if (typeof input.amount !== "bigint" || input.amount <= 0n) throw new OkroError("INVALID_FIELD", "amount: must be a positive integer (kobo)", { field: "amount" });

  let destination: { companyAccountId: string | null; bankId: string; nuban: string };
  if (input.companyAccountId !== undefined) {
    const account = await receivingAccount(trx, scope, input.companyAccountId, input.currency);
    destination = { companyAccountId: account.id, bankId: account.bank_id, nuban: account.nuban };
  } else if (input.bankId !== undefined || input.nuban !== undefined) {
    if (input.nuban === undefined || !/^\d{10}$/.test(input.nuban)) throw new OkroError("INVALID_FIELD", "nuban: must be a 10-digit account number", { field: "nuban" });
    if (input.bankId === undefined) throw new OkroError("MISSING_FIELDS", "bank: required with nuban", { field: "bank" });
    if (!networkFor(ctx, scope.env).supports(input.bankId)) {
      throw new OkroError("UNPROCESSABLE", "bank: not a bank Okro can pay into in this environment", { field: "bank", data: refusal("unknown_bank") });
    }
    destination = { companyAccountId: null, bankId: input.bankId, nuban: input.nuban };
  } else {
    const account = await receivingAccount(trx, scope, undefined, input.currency, "name one, or give nuban and bank");
    destination = { companyAccountId: account.id, bankId: account.bank_id, nuban: account.nuban };
  }

  const { available } = await lockWallet(trx, scope, input.currency);
  if (!canPayout(available, input.amount)) {
    throw new OkroError("UNPROCESSABLE", `amount: more than the available balance: ${available < 0n ? 0n : available} kobo`, {
      field: "amount",
      data: refusal("insufficient_available", { available: Number(available) }),
    });
  }
  const now = ctx.clock.now();
  const payout = await store.insertPayout(trx, {
    id: newId(now),
    company_id: scope.companyId,
    env: scope.env,
    amount: input.amount,
    currency: input.currency,
    company_account_id: destination.companyAccountId,
    bank_id: destination.bankId,
    nuban: destination.nuban,
    initiated_by: input.initiatedBy,
    state: "pending",
    checks: 1,
    created_at: now,
    updated_at: now,
  });
  await postEntry(trx, scope.env, payoutInitiated({ company_id: scope.companyId, currency: input.currency, payout_id: payout.id, amount: input.amount }), now);
  await recordTransferCreated(trx, "payout", payout, "api", now);
  // Sent by `payouts.credit` once this commits.
  await enqueueTransferCheck(trx, "payout", payout, { now, runAt: now });
  return payout;
}

/** A page of the tenant's payouts, newest first. */
export async function listPayouts(db: Executor, scope: Scope, opts: { page: number; limit: number }): Promise<{ rows: PayoutRow[]; total: number }> {
  return store.pagePayouts(db, scope, opts);
}

/** The tenant's payout, or 404 naming `payout_id`. */
export async function getPayout(db: Executor, scope: Scope, id: string): Promise<PayoutRow> {
  const row = await store.findPayout(db, scope, id);
  if (!row) throw new OkroError("NOT_FOUND", "payout_id: no such payout", { field: "payout_id" });
  return row;
}
