import type { Env } from "../db/schema.js";
import type { WalletBalance } from "../ledger/store.js";
import { wireStatus, type PaymentState, type ResponseStatus, type WireStatus } from "./domain.js";
import type { ConsentRow, PaymentRow, PayoutRow, RefundRow, TransitionRow } from "./types.js";

/**
 * Wire shapes of payments, refunds, payouts and consents: what the API returns, what events
 * carry and what the widget shows. Money goes out as integer kobo (JSON numbers, exact: amounts
 * are capped far below 2^53), dates as ISO-8601 UTC.
 */

/** Okra's `env` on payment objects. */
export type WireEnv = "production" | "production-sandbox";
export const wireEnv = (env: Env): WireEnv => (env === "production" ? "production" : "production-sandbox");

/** A payment link as the verify response shows it (Okra: `link{_id, url, short_url, surl}`). */
export interface LinkRef {
  _id: string;
  url: string;
  short_url: string;
  surl: string;
}

export interface PaymentHistoryItem {
  from: PaymentState | null;
  to: PaymentState;
  /** The wire status the payment had after this step. */
  status: WireStatus;
  actor: string;
  reason: string;
  at: string;
}

export interface PaymentView {
  _id: string;
  id: string;
  /** Kobo. */
  amount: number;
  currency: string;
  /** Okro customer id, or null (a payment link paid by someone not yet linked). */
  customer: string | null;
  /** The customer's account debited (Okro account id), or null until chosen. */
  account: string | null;
  /** The company's receiving account (company account id). */
  account_to_credit: string;
  link: LinkRef | null;
  status: WireStatus;
  response_status: ResponseStatus;
  /** The internal state (src/payments/domain.ts), finer than `status`. */
  state: PaymentState;
  type: string;
  channel: "api" | "widget" | "link";
  /** The reference sent to the bank for the current attempt, once fixed. */
  reference: string | null;
  /** Okro's fee (kobo), known at settlement; 0 before. */
  fee: number;
  note: string | null;
  /** Why it ended without money: `code` (Okra's numeric code as a string where one exists, else the bank's reason) and a message. */
  failure: { code: string; message: string } | null;
  env: WireEnv;
  /** The company's id. */
  owner: string;
  created_at: string;
  last_updated: string;
  history?: PaymentHistoryItem[];
  /** A mandate's scheduled charge: the mandate, the cycle (0-based) and the try within it (1 = first). */
  mandate?: { _id: string; cycle: number; attempt: number };
  /** A garnishment's debit: the recovery and the sweep (1-based) that took it. */
  garnishment?: { _id: string; sweep: number };
}

const iso = (d: Date | string | null | undefined): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());

export function historyView(t: TransitionRow): PaymentHistoryItem {
  return {
    from: t.from_state,
    to: t.to_state,
    status: wireStatus(t.to_state).status,
    actor: t.actor,
    reason: t.reason,
    at: iso(t.at)!,
  };
}

export function paymentView(row: PaymentRow, extra: { link?: LinkRef | null; transitions?: TransitionRow[] } = {}): PaymentView {
  const wire = wireStatus(row.state);
  const view: PaymentView = {
    _id: row.id,
    id: row.id,
    amount: Number(row.amount),
    currency: row.currency,
    customer: row.customer_id,
    account: row.account_id,
    account_to_credit: row.account_to_credit,
    link: extra.link ?? null,
    status: wire.status,
    response_status: wire.response_status,
    state: row.state,
    type: row.type,
    channel: row.channel,
    reference: row.reference,
    fee: Number(row.fee),
    note: row.note,
    failure: row.failure_code !== null || row.failure_reason !== null ? { code: row.failure_code ?? "error", message: row.failure_reason ?? "" } : null,
    env: wireEnv(row.env),
    owner: row.company_id,
    created_at: iso(row.created_at)!,
    last_updated: iso(row.updated_at)!,
  };
  if (row.mandate_id !== null) view.mandate = { _id: row.mandate_id, cycle: row.mandate_cycle!, attempt: row.charge_attempt! };
  if (row.garnishment_id !== null && row.garnishment_id !== undefined) view.garnishment = { _id: row.garnishment_id, sweep: row.mandate_cycle! };
  if (extra.transitions) view.history = extra.transitions.map(historyView);
  return view;
}

/** A refund's wire status. `unknown` (the bank's answer was lost) shows as `processing`: the worker is finding out. */
export type RefundWireStatus = "pending" | "processing" | "success" | "failed";

export interface RefundView {
  _id: string;
  payment: string;
  amount: number;
  /** Okro's fee on the refunded share, given back to the company's available balance with this refund. */
  fee_returned: number;
  currency: string;
  status: RefundWireStatus;
  reference: string | null;
  failure_reason: string | null;
  created_at: string;
  last_updated: string;
}

export function refundView(row: RefundRow): RefundView {
  return {
    _id: row.id,
    payment: row.payment_id,
    amount: Number(row.amount),
    fee_returned: Number(row.fee_returned),
    currency: row.currency,
    status: transferWire(row.state, { pending: "pending", processing: "processing", success: "success", failed: "failed" }),
    reference: row.reference,
    failure_reason: row.failure_reason,
    created_at: iso(row.created_at)!,
    last_updated: iso(row.updated_at)!,
  };
}

/** Okra's payout statuses: `initiated` until the bank confirms, then `success` or `failed`. */
export type PayoutWireStatus = "initiated" | "success" | "failed";

/** okra-api.md §2.9: `{status, _id, amount, ref, fee, account_to_credit, nuban_to_credit{nuban, bank}, initiated_by, env, created_at, last_updated}`. */
export interface PayoutView {
  status: PayoutWireStatus;
  _id: string;
  amount: number;
  currency: string;
  ref: string | null;
  fee: number;
  account_to_credit: string | null;
  nuban_to_credit: { nuban: string; bank: string };
  initiated_by: string;
  env: WireEnv;
  failure_reason: string | null;
  created_at: string;
  last_updated: string;
}

export function payoutView(row: PayoutRow): PayoutView {
  return {
    status: transferWire(row.state, { pending: "initiated", processing: "initiated", success: "success", failed: "failed" }),
    _id: row.id,
    amount: Number(row.amount),
    currency: row.currency,
    ref: row.reference,
    fee: Number(row.fee),
    account_to_credit: row.company_account_id,
    nuban_to_credit: { nuban: row.nuban, bank: row.bank_id },
    initiated_by: row.initiated_by,
    env: wireEnv(row.env),
    failure_reason: row.failure_reason,
    created_at: iso(row.created_at)!,
    last_updated: iso(row.updated_at)!,
  };
}

function transferWire<T extends string>(state: RefundRow["state"], names: { pending: T; processing: T; success: T; failed: T }): T {
  switch (state) {
    case "pending":
      return names.pending;
    case "processing":
    case "unknown":
      return names.processing;
    case "succeeded":
      return names.success;
    case "failed":
      return names.failed;
    default: {
      const unreachable: never = state;
      throw new Error(`unknown transfer state ${String(unreachable)}`);
    }
  }
}

export interface ConsentView {
  _id: string;
  customer: string;
  account: string;
  bank: string;
  status: ConsentRow["status"];
  max_amount: number;
  currency: string;
  activates_at: string | null;
  env: WireEnv;
  created_at: string;
  last_updated: string;
}

export function consentView(row: ConsentRow): ConsentView {
  return {
    _id: row.id,
    customer: row.customer_id,
    account: row.account_id,
    bank: row.bank_id,
    status: row.status,
    max_amount: Number(row.max_amount),
    currency: row.currency,
    activates_at: iso(row.activates_at),
    env: wireEnv(row.env),
    created_at: iso(row.created_at)!,
    last_updated: iso(row.updated_at)!,
  };
}

/** A currency's balances on the wire (kobo as numbers): `pay/balances` and the dashboard's Money page. */
export function balanceView(w: WalletBalance) {
  return {
    currency: w.currency,
    pending: Number(w.pending),
    available: Number(w.available),
    in_transit: Number(w.in_transit),
    refunds_in_transit: Number(w.refunds_in_transit),
    payouts_in_transit: Number(w.payouts_in_transit),
    fees: Number(w.fees),
    collected: Number(w.collected),
  };
}
