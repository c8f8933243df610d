import type { Config } from "../config.js";
import { widgetOrigin } from "../payments/links.js";
import type { MandateRow } from "./store.js";
import { chargesFrom, describeSchedule, firstChargeOnOrAfter, hasCycle, type Schedule } from "./schedule.js";
import type { MandateTerms } from "./domain.js";

/** Wire shapes of a mandate: Okro's own (`mandates/*`) and Okra's "authorization" (`pay/authorization/*`). */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function termsOf(m: MandateRow): MandateTerms {
  return {
    debitType: m.debit_type,
    currency: m.currency,
    amount: m.amount,
    maxPerCharge: m.max_per_charge,
    maxTotal: m.max_total,
    maxPerPeriod: m.max_per_period,
    period: m.period,
    startDate: m.start_date,
    endDate: m.end_date,
  };
}

export function scheduleOf(m: MandateRow): Schedule | null {
  if (m.interval === null) return null;
  return { interval: m.interval, startDate: m.start_date, endDate: m.end_date, count: m.count, dayOfMonth: m.day_of_month, businessDays: m.business_days };
}

/** The amount of cycle `n`: the initial amount for cycle 0 when set, else the fixed amount (variable mandates: their per-charge cap). */
export function cycleAmount(m: MandateRow, n: number): bigint | null {
  if (n === 0 && m.initial_amount !== null) return m.initial_amount;
  return m.amount ?? m.max_per_charge;
}

/** The schedule (and every limit) in words: what the customer authorises. */
export function describeMandate(m: MandateRow): string {
  const s = scheduleOf(m);
  const limits: string[] = [];
  if (m.debit_type !== "fixed") {
    const money = (k: bigint) => `${m.currency} ${(Number(k) / 100).toLocaleString("en-NG", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    if (m.max_per_charge !== null) limits.push(`at most ${money(m.max_per_charge)} per charge`);
    if (m.max_per_period !== null) limits.push(`at most ${money(m.max_per_period)} per ${m.period === "daily" ? "day" : (m.period ?? "period").replace(/ly$/, "")}`);
    if (m.max_total !== null) limits.push(`at most ${money(m.max_total)} in all`);
  }
  const window = `from ${m.start_date}${m.end_date ? ` to ${m.end_date}` : " until cancelled"}`;
  const amount = cycleAmount(m, 1);
  const plan =
    m.debit_type === "sweep"
      ? `a garnishment's sweeps take what the account's balance allows ${window}, until the debt is repaid`
      : s && amount !== null
        ? describeSchedule(s, amount, m.currency, m.initial_amount)
        : `charges on request ${window}`;
  return limits.length > 0 ? `${plan}; ${limits.join(", ")}` : plan;
}

/** The next `limit` charges a live mandate will make, from the Lagos day `today` on (empty when it has no schedule or is over). */
export function upcoming(m: MandateRow, today: string, nextCycle: number, limit: number): { cycle: number; date: string; scheduled_date: string; amount: number }[] {
  const s = scheduleOf(m);
  if (!s || ["cancelled", "expired", "revoked", "rejected"].includes(m.state)) return [];
  // `date` is the day it is taken (moved off weekends and holidays); `scheduled_date` the cycle's own.
  const from = Math.max(nextCycle, firstChargeOnOrAfter(s, today));
  if (!hasCycle(s, from)) return [];
  return chargesFrom(s, from, limit).map((c) => ({ cycle: c.cycle, date: c.date, scheduled_date: c.scheduledDate, amount: Number(cycleAmount(m, c.cycle) ?? 0n) }));
}

export interface MandateView {
  _id: string;
  id: string;
  status: MandateRow["state"];
  status_reason: string | null;
  customer: string;
  account: string;
  accounts: string[];
  bank: string;
  debit_type: MandateRow["debit_type"];
  currency: string;
  amount: number | null;
  initial_amount: number | null;
  max_per_charge: number | null;
  max_total: number | null;
  max_per_period: number | null;
  period: MandateRow["period"];
  start_date: string;
  end_date: string | null;
  schedule: { interval: NonNullable<MandateRow["interval"]>; day_of_month: number | null; count: number | null; start_date: string; end_date: string | null; business_days: MandateRow["business_days"]; timezone: "Africa/Lagos" } | null;
  description: string;
  purpose: string | null;
  reference: string | null;
  options: unknown;
  account_to_credit: string | null;
  retry: { attempts: number; spacing_hours: number; balance_check: boolean };
  notice_days: number;
  replaces: string | null;
  /** Okra's authorization fields. */
  disconnect: boolean;
  disconnected_at: string | null;
  duration: { startDate: string; endDate: string | null; interval: MandateRow["interval"] };
  env: "sandbox" | "production";
  owner: string;
  authorised_at: string | null;
  activated_at: string | null;
  ended_at: string | null;
  created_at: string;
  last_updated: string;
  /**
   * On the API's answers (not in events): the page on the widget origin where the customer
   * authorises this mandate (`/mandate/<id>`: bank login, the account, the terms, the bank's OTP);
   * once it is no longer `awaiting_customer` the page says so instead of asking. Named as a payment
   * link's `url`.
   */
  url?: string;
}

export function mandateView(m: MandateRow): MandateView {
  const ended = ["cancelled", "expired", "revoked", "rejected"].includes(m.state);
  const n = (k: bigint | null) => (k === null ? null : Number(k));
  return {
    _id: m.id,
    id: m.id,
    status: m.state,
    status_reason: m.state_reason,
    customer: m.customer_id,
    account: m.account_id,
    accounts: [m.account_id],
    bank: m.bank_id,
    debit_type: m.debit_type,
    currency: m.currency,
    amount: n(m.amount),
    initial_amount: n(m.initial_amount),
    max_per_charge: n(m.max_per_charge),
    max_total: n(m.max_total),
    max_per_period: n(m.max_per_period),
    period: m.period,
    start_date: m.start_date,
    end_date: m.end_date,
    schedule: m.interval ? { interval: m.interval, day_of_month: m.day_of_month, count: m.count, start_date: m.start_date, end_date: m.end_date, business_days: m.business_days, timezone: "Africa/Lagos" } : null,
    description: describeMandate(m),
    purpose: m.purpose,
    reference: m.reference,
    options: m.options ?? null,
    account_to_credit: m.account_to_credit,
    retry: { attempts: m.retry_attempts, spacing_hours: m.retry_spacing_hours, balance_check: m.retry_balance_check },
    notice_days: m.notice_days,
    replaces: m.replaces_id,
    disconnect: ended,
    disconnected_at: ended ? iso(m.ended_at) : null,
    duration: { startDate: m.start_date, endDate: m.end_date, interval: m.interval },
    env: m.env === "sandbox" ? "sandbox" : "production",
    owner: m.company_id,
    authorised_at: iso(m.authorised_at),
    activated_at: iso(m.activated_at),
    ended_at: iso(m.ended_at),
    created_at: m.created_at.toISOString(),
    last_updated: m.updated_at.toISOString(),
  };
}

/** The widget page where the customer authorises mandate `id` (its terms come from the stored mandate, not the URL). */
export const mandateUrl = (config: Pick<Config, "widgetUrl" | "widgetPort">, id: string) => `${widgetOrigin(config)}/mandate/${id}`;

/** The mandate as the API answers it: its view and `url`, the page where the customer authorises it. */
export function mandateApiView(m: MandateRow, config: Pick<Config, "widgetUrl" | "widgetPort">): MandateView {
  return { ...mandateView(m), url: mandateUrl(config, m.id) };
}
