import type { Selectable } from "kysely";
import type { PaymentConsentsTable, PaymentsTable, PaymentTransitionsTable, PayoutsTable, RefundsTable } from "../db/schema.js";

/**
 * Shared types of the payments engine (src/payments) and the ledger store (src/ledger/store.ts).
 * Rows are the tables' Kysely `Selectable`s: int8 columns (amounts, fees) arrive as `bigint`.
 */

/** One tenant's slice of the data (the kernel's). */
export type { Scope } from "../core/tenancy.js";

/** Anything that runs queries: the database or an open transaction. */
export type { Executor } from "../core/db.js";

export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;
export type PayoutRow = Selectable<PayoutsTable>;
export type ConsentRow = Selectable<PaymentConsentsTable>;
export type TransitionRow = Selectable<PaymentTransitionsTable>;

/** Currencies Okro collects and pays out in (Okra: "NGN only"). */
export const SUPPORTED_CURRENCIES = ["NGN"] as const;
export type SupportedCurrency = (typeof SUPPORTED_CURRENCIES)[number];

export function isSupportedCurrency(currency: string): currency is SupportedCurrency {
  return (SUPPORTED_CURRENCIES as readonly string[]).includes(currency);
}
