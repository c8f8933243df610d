import { standing, type Money } from "./domain.js";
import type { GarnishmentRow, SweepRow } from "./store.js";

/** Wire shapes of a garnishment and of its sweeps (Okro's `garnish/*`). Amounts in kobo. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface GarnishmentView {
  _id: string;
  id: string;
  status: GarnishmentRow["state"];
  status_reason: string | null;
  customer: string;
  currency: string;
  /** The debt: principal and accrued interest, stated apart; `owed` their sum. Penalties are never recoverable. */
  debt: { principal: number; interest: number; owed: number; penalties_excluded: true };
  /** Derived from the recovery's payments and refunds, never stored. */
  collected: number;
  remaining: number;
  in_flight: number;
  refunded: number;
  floor: number;
  schedule: { interval: string | null; day_of_month: number | null; start_date: string; end_date: string | null; timezone: "Africa/Lagos" };
  /** The accounts it may draw on, one sweep mandate each, in account-id order. */
  mandates: { mandate: string; account: string; bank: string; status: string }[];
  /** The deterministic order a sweep tries accounts in. */
  order: "largest_balance_first";
  sweeps: number;
  account_to_credit: string | null;
  reference: string | null;
  purpose: string | null;
  env: GarnishmentRow["env"];
  activated_at: string | null;
  ended_at: string | null;
  created_at: string;
  last_updated: string;
}

export function garnishmentView(g: GarnishmentRow, money: Money, mandates: { mandate_id: string; account_id: string; bank_id: string; state: string }[]): GarnishmentView {
  const s = standing({ principal: g.principal, interest: g.interest }, money);
  return {
    _id: g.id,
    id: g.id,
    status: g.state,
    status_reason: g.state_reason,
    customer: g.customer_id,
    currency: g.currency,
    debt: { principal: Number(g.principal), interest: Number(g.interest), owed: Number(s.owed), penalties_excluded: true },
    collected: Number(money.collected),
    remaining: Number(s.remaining),
    in_flight: Number(money.inFlight),
    refunded: Number(money.refunded),
    floor: Number(g.floor),
    schedule: { interval: g.interval, day_of_month: g.day_of_month, start_date: g.start_date, end_date: g.end_date, timezone: "Africa/Lagos" },
    mandates: mandates.map((m) => ({ mandate: m.mandate_id, account: m.account_id, bank: m.bank_id, status: m.state })),
    order: "largest_balance_first",
    sweeps: g.sweeps,
    account_to_credit: g.account_to_credit,
    reference: g.reference,
    purpose: g.purpose,
    env: g.env,
    activated_at: iso(g.activated_at),
    ended_at: iso(g.ended_at),
    created_at: g.created_at.toISOString(),
    last_updated: g.updated_at.toISOString(),
  };
}

/** One account's line in a sweep record. */
export interface SweepLine {
  account: string;
  mandate: string;
  /** Available balance the bank reported (kobo); null when the enquiry failed. */
  balance_seen: number | null;
  taken: number;
  payment: string | null;
  /** Why nothing was taken (no_balance, floor, repaid, mandate_cap_reached, mandate_<state>, enquiry_failed: …), or null. */
  skipped: string | null;
}

export interface SweepView {
  _id: string;
  garnishment: string;
  sweep: number;
  trigger: SweepRow["trigger"];
  at: string;
  owed_before: number;
  taken: number;
  outcome: SweepRow["outcome"];
  reason: string | null;
  accounts: SweepLine[];
}

export function sweepView(s: SweepRow): SweepView {
  const accounts = (typeof s.accounts === "string" ? JSON.parse(s.accounts) : s.accounts) as SweepLine[];
  return {
    _id: s.id,
    garnishment: s.garnishment_id,
    sweep: s.seq,
    trigger: s.trigger,
    at: s.at.toISOString(),
    owed_before: Number(s.owed_before),
    taken: Number(s.taken),
    outcome: s.outcome,
    reason: s.reason,
    accounts,
  };
}
