import { defineMachine } from "../core/machine.js";

/**
 * The garnishment (a "recovery", issue 14): a debt a debtor owes a company, recovered by sweeping
 * every account the debtor granted a sweep mandate on, at any bank, until it is repaid. Pure: its
 * machine, the debt's arithmetic and the sweep plan. No I/O.
 *
 * Modelled on the CBN's Global Standing Instruction: consent (the mandates) before the debt, then
 * balance enquiries across the covered accounts and debits of what is there, continuing until the
 * past-due principal and interest — never penalties — are recovered.
 */

export const GARNISHMENT_STATES = ["awaiting_consent", "active", "paused", "repaid", "cancelled", "expired"] as const;
export type GarnishmentState = (typeof GARNISHMENT_STATES)[number];

/**
 * - `awaiting_consent`: none of its mandates is active yet (the debtor has not authorised one with
 *   their bank). No consent, no sweep.
 * - `active`: sweeps run on the schedule and on request.
 * - `paused`: by the company; scheduled sweeps are skipped (not caught up), a requested one is a 409.
 * - `repaid` (the moment what was collected reaches what is owed), `cancelled` (by the company),
 *   `expired` (its stop date passed): nothing more is taken.
 * - `repaid → active` (the one way back, docs/decisions/0023): a debit the bank reversed after the
 *   recovery was repaid leaves part of the debt unpaid again; before its stop date the recovery
 *   reopens and sweeps again. Cancelled and expired are final.
 */
export const garnishmentMachine = defineMachine({
  object: "garnishment",
  states: GARNISHMENT_STATES,
  edges: {
    awaiting_consent: ["active", "cancelled", "expired"],
    active: ["paused", "repaid", "cancelled", "expired"],
    paused: ["active", "repaid", "cancelled", "expired"],
    repaid: ["active"],
    cancelled: [],
    expired: [],
  },
  terminal: ["cancelled", "expired"],
  predicates: {
    /** Nothing more is taken (unless a reversed debit reopens a repaid one). */
    ended: ["repaid", "cancelled", "expired"],
    /** May still take money now or later. */
    live: ["awaiting_consent", "active", "paused"],
    /** A sweep may run now. */
    sweepable: ["active"],
    cancellable: ["awaiting_consent", "active", "paused"],
  },
});

/** The debt: principal and accrued interest (kobo), never penalties. */
export interface Debt {
  principal: bigint;
  interest: bigint;
}

export const owedOf = (d: Debt): bigint => d.principal + d.interest;

/**
 * Money of the recovery, all derived from its payments (kobo):
 * - `collected`: debits the bank confirmed, less what was refunded of them;
 * - `inFlight`: debits sent or queued whose outcome is not known yet;
 * - `refunded`: over-collection given back (or being given back).
 */
export interface Money {
  collected: bigint;
  inFlight: bigint;
  refunded: bigint;
}

export interface Standing {
  owed: bigint;
  collected: bigint;
  /** What a sweep may still take: owed − collected − in flight (never below 0). */
  sweepable: bigint;
  /** What is still owed once in-flight debits land: owed − collected (never below 0). */
  remaining: bigint;
  /** Collected beyond the debt (refunded automatically). */
  over: bigint;
}

export function standing(d: Debt, m: Money): Standing {
  const owed = owedOf(d);
  const remaining = owed > m.collected ? owed - m.collected : 0n;
  const sweepable = remaining > m.inFlight ? remaining - m.inFlight : 0n;
  return { owed, collected: m.collected, sweepable, remaining, over: m.collected > owed ? m.collected - owed : 0n };
}

/** One covered account as a sweep sees it. */
export interface SweepAccount {
  accountId: string;
  mandateId: string;
  /** Available balance the bank reported now (kobo), or null when the enquiry failed. */
  available: bigint | null;
  /** Why the account cannot be debited this sweep (enquiry failed, mandate not active…), or null. */
  unavailable: string | null;
  /** The most one debit may be on this account: the bank authority's per-debit cap, the mandate's caps (kobo). */
  perDebitCap: bigint;
}

export interface PlannedDebit {
  accountId: string;
  mandateId: string;
  balance: bigint | null;
  take: bigint;
  /** Why nothing is taken from this account (`no_balance`, `floor`, `repaid`, the unavailability). */
  skip: string | null;
}

/**
 * The sweep's plan, deterministic: accounts by available balance, largest first, then by account
 * id (a failed enquiry last); from each, what is there above the floor, up to what may still be
 * taken and the account's cap. The sum never exceeds `sweepable`. Mono says its order "is not
 * guaranteed"; ours is, so a lender can tell a debtor exactly why an account was debited.
 */
export function planSweep(accounts: SweepAccount[], sweepable: bigint, floor: bigint): PlannedDebit[] {
  const ordered = [...accounts].sort((a, b) => {
    if (a.available === null || b.available === null) return a.available === null ? (b.available === null ? cmp(a.accountId, b.accountId) : 1) : -1;
    if (a.available !== b.available) return a.available > b.available ? -1 : 1;
    return cmp(a.accountId, b.accountId);
  });
  let left = sweepable;
  return ordered.map((a) => {
    const base = { accountId: a.accountId, mandateId: a.mandateId, balance: a.available };
    if (a.unavailable !== null || a.available === null) return { ...base, take: 0n, skip: a.unavailable ?? "balance_unknown" };
    if (left <= 0n) return { ...base, take: 0n, skip: "repaid" };
    const spare = a.available - floor;
    if (a.available <= 0n) return { ...base, take: 0n, skip: "no_balance" };
    if (spare <= 0n) return { ...base, take: 0n, skip: "floor" };
    if (a.perDebitCap <= 0n) return { ...base, take: 0n, skip: "mandate_cap_reached" };
    const take = min(min(spare, left), a.perDebitCap);
    left -= take;
    return { ...base, take, skip: null };
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

export type DebtProblem = { field: string; reason: string; message: string };

/** Problems with a debt's terms, naming the field (nothing written when there is one). */
export function debtProblems(d: { principal: bigint; interest: bigint; penalties?: bigint | null; floor: bigint }): DebtProblem[] {
  const out: DebtProblem[] = [];
  if (d.principal <= 0n) out.push({ field: "principal", reason: "invalid_amount", message: "principal: must be a positive whole number of kobo" });
  if (d.interest < 0n) out.push({ field: "interest", reason: "invalid_amount", message: "interest: must be 0 or more kobo" });
  if (d.penalties !== undefined && d.penalties !== null && d.penalties !== 0n) {
    out.push({ field: "penalties", reason: "penalties_not_recoverable", message: "penalties: a garnishment recovers past-due principal and accrued interest only, never penal charges (CBN GSI guidelines)" });
  }
  if (d.floor < 0n) out.push({ field: "floor", reason: "invalid_amount", message: "floor: must be 0 or more kobo" });
  return out;
}
