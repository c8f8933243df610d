import { defineMachine } from "../core/machine.js";
import { endOfLagosDay, periodStart, type Interval } from "./schedule.js";

/**
 * The mandate (Okra's "payment authorization"): what a customer granted, on which account, to which
 * company — a fixed amount per charge, or a variable one under caps — between a start and an end
 * date. Pure: its machine, its caps and the NSF retry policy. No I/O.
 */

export const MANDATE_STATES = ["awaiting_customer", "awaiting_bank", "active", "paused", "cancelled", "expired", "revoked", "rejected"] as const;
export type MandateState = (typeof MANDATE_STATES)[number];

/**
 * - `awaiting_customer`: created by the company; the customer has not authorised it yet.
 * - `awaiting_bank`: authorised by the customer; the bank has not activated the debit authority.
 * - `active`: charges run.
 * - `paused`: by the company; cycles falling due while paused are skipped, not caught up.
 * - `cancelled` (by the company, or the customer withdrawing it), `expired` (its end date or
 *   count passed), `revoked` (by the payer at their bank, or the bank's authority ended),
 *   `rejected` (the bank refused to set it up): nothing is charged any more.
 */
export const mandateMachine = defineMachine({
  object: "mandate",
  states: MANDATE_STATES,
  edges: {
    awaiting_customer: ["awaiting_bank", "active", "cancelled", "expired", "rejected"],
    awaiting_bank: ["active", "cancelled", "expired", "rejected"],
    active: ["paused", "cancelled", "expired", "revoked"],
    paused: ["active", "cancelled", "expired", "revoked"],
    cancelled: [],
    expired: [],
    revoked: [],
    rejected: [],
  },
  terminal: ["cancelled", "expired", "revoked", "rejected"],
  predicates: {
    /** Still may charge now or later. */
    live: ["awaiting_customer", "awaiting_bank", "active", "paused"],
    /** A charge may run now. */
    chargeable: ["active"],
    /** The company may cancel it. */
    cancellable: ["awaiting_customer", "awaiting_bank", "active", "paused"],
    /** `pay/authorization/reauth` makes a fresh mandate with its terms. */
    reauthorisable: ["cancelled", "expired", "revoked", "rejected"],
  },
});

/** `sweep`: a garnishment's authority (src/garnish) — capped like `variable`, never scheduled. */
export type DebitType = "fixed" | "variable" | "sweep";

/** What the customer authorises: every limit Okro enforces on charges. Amounts in kobo. */
export interface MandateTerms {
  debitType: DebitType;
  currency: string;
  /** Fixed: the amount of every charge. Variable: its schedule's charge, if any (the caps bound it, not this). */
  amount: bigint | null;
  /** Variable: the largest single charge (null: no per-charge cap beyond the total). */
  maxPerCharge: bigint | null;
  /** Variable: the most charged in all (null for fixed: count × amount bounds it). */
  maxTotal: bigint | null;
  /** Variable: the most charged within one `period` (calendar day/week/month/quarter/year). */
  maxPerPeriod: bigint | null;
  period: Interval | null;
  /** First and last Lagos day charges may fall on (end null: until cancelled). */
  startDate: string;
  endDate: string | null;
}

export interface ChargeFacts {
  amount: bigint;
  currency: string;
  /** The Lagos day the charge would run on. */
  date: string;
  /** Charged so far under the mandate (succeeded or in flight), kobo. */
  chargedTotal: bigint;
  /** Charged so far in the calendar period holding `date`, kobo. */
  chargedInPeriod: bigint;
}

export type ChargeRefusal = { field: string; reason: string; message: string };

/**
 * Would a charge stay within the mandate? The first broken limit, naming the field the caller
 * controls (`amount`, `currency`, `date`), or null. Invariant 10: a charge never exceeds its
 * mandate's caps nor runs outside its validity.
 */
export function checkCharge(t: MandateTerms, c: ChargeFacts): ChargeRefusal | null {
  if (c.currency !== t.currency) return { field: "currency", reason: "currency_mismatch", message: `currency: the mandate is in ${t.currency}, not ${c.currency}` };
  if (c.amount <= 0n) return { field: "amount", reason: "invalid_amount", message: "amount: must be a positive integer (kobo)" };
  if (c.date < t.startDate) return { field: "date", reason: "before_start", message: `date: the mandate allows charges from ${t.startDate}` };
  if (t.endDate !== null && c.date > t.endDate) return { field: "date", reason: "after_end", message: `date: the mandate ended on ${t.endDate}` };
  if (t.debitType === "fixed") {
    if (t.amount !== null && c.amount !== t.amount) return { field: "amount", reason: "not_fixed_amount", message: `amount: the mandate is fixed at ${t.amount} kobo per charge` };
    return null;
  }
  if (t.maxPerCharge !== null && c.amount > t.maxPerCharge) return { field: "amount", reason: "above_per_charge_cap", message: `amount: above the mandate's limit of ${t.maxPerCharge} kobo per charge` };
  if (t.maxTotal !== null && c.chargedTotal + c.amount > t.maxTotal) {
    return { field: "amount", reason: "above_total_cap", message: `amount: would take the mandate past its total of ${t.maxTotal} kobo (${t.maxTotal - c.chargedTotal} kobo left)` };
  }
  if (t.maxPerPeriod !== null && c.chargedInPeriod + c.amount > t.maxPerPeriod) {
    return {
      field: "amount",
      reason: "above_period_cap",
      message: `amount: would take this ${t.period ?? "period"} past the mandate's limit of ${t.maxPerPeriod} kobo (${t.maxPerPeriod - c.chargedInPeriod} kobo left)`,
    };
  }
  return null;
}

/** Problems with the terms themselves (before anything is written), naming the field. */
export function termsProblems(t: MandateTerms): ChargeRefusal[] {
  const out: ChargeRefusal[] = [];
  if (t.debitType === "fixed") {
    if (t.amount === null || t.amount <= 0n) out.push({ field: "amount", reason: "missing_amount", message: "amount: a fixed mandate needs the amount of each charge (kobo)" });
    if (t.maxTotal !== null || t.maxPerCharge !== null || t.maxPerPeriod !== null) {
      out.push({ field: "debit_type", reason: "caps_on_fixed", message: "debit_type: max_total, max_per_charge and max_per_period are for variable mandates; a fixed one charges `amount` each time" });
    }
  } else {
    if (t.maxTotal === null || t.maxTotal <= 0n) out.push({ field: "max_total", reason: "missing_total", message: "max_total: a variable mandate needs its total cap (kobo)" });
    if (t.maxPerCharge !== null && t.maxTotal !== null && t.maxPerCharge > t.maxTotal) out.push({ field: "max_per_charge", reason: "above_total", message: "max_per_charge: is above max_total" });
    if ((t.maxPerPeriod === null) !== (t.period === null)) out.push({ field: "period", reason: "period_pair", message: "period: max_per_period and period go together (daily, weekly, monthly, quarterly or yearly)" });
  }
  if (t.debitType === "sweep" && t.amount !== null) out.push({ field: "amount", reason: "amount_on_sweep", message: "amount: a sweep mandate has no fixed charge; its recovery takes what the balance allows, within max_total" });
  if (t.endDate !== null && t.endDate < t.startDate) out.push({ field: "end_date", reason: "ends_before_start", message: `end_date: ${t.endDate} is before start_date ${t.startDate}` });
  return out;
}

/** The calendar period a per-period cap counts in, for a charge dated `date` (null: no such cap). */
export function capPeriodStart(t: MandateTerms, date: string): string | null {
  return t.period === null ? null : periodStart(t.period, date);
}

/** The instant after which the mandate allows nothing (null: open-ended). */
export function validUntil(t: MandateTerms): Date | null {
  return t.endDate === null ? null : endOfLagosDay(t.endDate);
}

// ── Failed charges ────────────────────────────────────────────────────────────────────────────

/**
 * Insufficient funds is retried; nothing else is. `attempts` counts the first try (3: the first
 * and two retries), `spacingHours` apart. GoCardless's Success+ default is 3 retries within 4
 * weeks; ours is smaller and every number is the company's to set per mandate.
 */
export interface RetryPolicy {
  attempts: number;
  spacingHours: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, spacingHours: 24 };

/** How a failed charge is classed (from the payment's failure code). */
export type FailureClass = "insufficient_funds" | "mandate" | "other";

/** Okra's code for insufficient funds on a direct debit (what payments record as `failure_code`). */
export const NSF_CODE = "1013";
/**
 * Failure codes that mean the authority itself is gone: stop the mandate, say why. 1027: no (or a
 * revoked) debit authority; 1024: the account is unknown to the bank (closed).
 */
const MANDATE_LEVEL = new Set(["1027", "1024", "mandate_inactive", "unknown_account"]);

export function classifyFailure(code: string | null): FailureClass {
  if (code === NSF_CODE || code === "insufficient_funds") return "insufficient_funds";
  if (code !== null && MANDATE_LEVEL.has(code)) return "mandate";
  return "other";
}

/** After failed attempt `attempt` (1-based) of a cycle: whether and when the next try comes. */
export function nextRetry(policy: RetryPolicy, failure: FailureClass, attempt: number, failedAt: Date): { willRetry: false } | { willRetry: true; at: Date } {
  if (failure !== "insufficient_funds" || attempt >= policy.attempts) return { willRetry: false };
  return { willRetry: true, at: new Date(failedAt.getTime() + policy.spacingHours * 3_600_000) };
}
