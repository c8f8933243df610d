import type { AppContext } from "../context.js";
import type { Executor } from "../core/db.js";
import { OkroError } from "../core/errors.js";
import type { Scope } from "../core/tenancy.js";
import { businessDaysWords, cadence, cycleDate, money, type Schedule } from "./schedule.js";
import { cancelMandate } from "./service.js";
import * as store from "./store.js";
import { moveMandate } from "./transitions.js";

/**
 * What the customer sees of a mandate (the widget's consent screen, the payer's page): its terms
 * in words, one line each — who, how much (every cap it enforces), how often, from when to when,
 * what for, how to withdraw — and the payer's own reads and withdrawal.
 */

/** The terms a mandate enforces, as its row holds them (a proposed mandate's settings use the same shape). */
export type MandateTermsRow = Pick<
  store.MandateRow,
  "debit_type" | "currency" | "amount" | "initial_amount" | "max_per_charge" | "max_total" | "max_per_period" | "period" | "start_date" | "end_date" | "interval" | "day_of_month" | "count" | "purpose"
> & {
  /** Absent (a session's terms before the mandate is written): `next`, what a new mandate gets. */
  business_days?: store.MandateRow["business_days"];
};

export interface TermLine {
  key: "who" | "amount" | "limit" | "frequency" | "business_days" | "from" | "until" | "purpose" | "withdraw" | "covers" | "reach";
  label: string;
  value: string;
  href?: string;
}

const PER: Record<string, string> = { daily: "day", weekly: "week", monthly: "month", quarterly: "quarter", yearly: "year" };

/** `7 Dec 2026` for a Lagos day `2026-12-07`. */
export function dayInWords(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

const naira = (k: bigint, currency: string) => (currency === "NGN" ? `₦${money(k, currency).slice(4)}` : money(k, currency));
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The consent screen's lines. Every limit the mandate enforces is a line: a fixed amount, or the
 * total cap with the per-debit and per-period caps when set; the schedule or "when they ask"; the
 * first and last day. `withdraw` says where the payer withdraws it.
 */
export function termLines(t: MandateTermsRow, merchant: string, withdraw: { text: string; href: string }, covered?: readonly string[]): TermLine[] {
  if (t.debit_type === "sweep") return sweepLines(t, merchant, withdraw, covered ?? []);
  const lines: TermLine[] = [{ key: "who", label: "Who can debit your account", value: merchant }];
  const s: Schedule | null = t.interval === null ? null : { interval: t.interval, startDate: t.start_date, endDate: t.end_date, count: t.count, dayOfMonth: t.day_of_month, businessDays: t.business_days ?? "next" };
  if (t.debit_type === "fixed" && t.amount !== null) {
    const each = naira(t.amount, t.currency);
    lines.push({
      key: "amount",
      label: "How much",
      value: t.initial_amount !== null && t.initial_amount !== t.amount ? `${naira(t.initial_amount, t.currency)} the first time, then ${each} each time` : `${each} each time, never more`,
    });
  } else {
    if (t.max_total !== null) lines.push({ key: "amount", label: "How much", value: `Up to ${naira(t.max_total, t.currency)} in total` });
    if (t.max_per_charge !== null) lines.push({ key: "limit", label: "Most in one debit", value: naira(t.max_per_charge, t.currency) });
    if (t.max_per_period !== null && t.period !== null) lines.push({ key: "limit", label: `Most in one ${PER[t.period] ?? t.period}`, value: naira(t.max_per_period, t.currency) });
  }
  if (s) {
    const times = s.count === null ? "" : s.count === 1 ? ", once" : `, ${s.count} times`;
    lines.push({ key: "frequency", label: "How often", value: s.count === 1 ? `Once, on ${dayInWords(cycleDate(s, 0))}` : `${capital(cadence(s))}${times}` });
    // Business-day rolling is a rule the schedule enforces (decision 0027): the screen states it.
    const moved = businessDaysWords(s);
    if (moved) lines.push({ key: "business_days", label: "Weekends and public holidays", value: capital(moved) });
  } else {
    lines.push({ key: "frequency", label: "How often", value: `When ${merchant} asks, within the dates below` });
  }
  lines.push({ key: "from", label: "From", value: dayInWords(s && s.count !== null ? cycleDate(s, 0) : t.start_date) });
  const last = s && s.count !== null ? cycleDate(s, s.count - 1) : null;
  const until = t.end_date !== null && (last === null || t.end_date < last) ? t.end_date : last;
  lines.push({ key: "until", label: "Until", value: until !== null ? dayInWords(until) : "You withdraw it (no end date)" });
  if (t.purpose) lines.push({ key: "purpose", label: "For", value: t.purpose });
  lines.push({ key: "withdraw", label: "How to withdraw", value: withdraw.text, href: withdraw.href });
  return lines;
}

/**
 * A sweep mandate's consent (a garnishment's authority, issue 14): the lender, the most that can
 * be taken (max_total, the only cap `createGarnishment` and the sweeps enforce), every account it
 * covers (`covered`: this one and the debtor's other live sweep mandates with the lender), that
 * accounts at other banks linked to the BVN can be covered (each only once authorised with that
 * bank), when money is taken, how it ends, how to withdraw.
 */
function sweepLines(t: MandateTermsRow, merchant: string, withdraw: { text: string; href: string }, covered: readonly string[]): TermLine[] {
  const most = t.max_total === null ? "" : naira(t.max_total, t.currency);
  const lines: TermLine[] = [
    { key: "who", label: "Who can take money", value: `${merchant} (your lender), to recover a loan you owe them` },
    { key: "amount", label: "The most that can be taken", value: `${most} from each account you authorise, and never more than you owe in all: the past-due loan and its interest, never penalties` },
    {
      key: "covers",
      label: "Accounts it covers",
      value: covered.length > 0 ? covered.join("; ") : "The account you chose, and each account you add with “Add another bank” (each listed once authorised)",
    },
    {
      key: "reach",
      label: "Other banks",
      value: `It can reach your accounts at other banks linked to your BVN: each one you add with “Add another bank” and authorise with that bank's code`,
    },
    { key: "frequency", label: "When money is taken", value: `When a repayment to ${merchant} is past due: your balance is checked and what is there is taken, up to what is still owed` },
    { key: "from", label: "From", value: dayInWords(t.start_date) },
    {
      key: "until",
      label: "How it ends",
      value: `When the debt is repaid, when ${merchant} cancels it, or when you withdraw it${t.end_date !== null ? `; at the latest on ${dayInWords(t.end_date)}` : ""}`,
    },
  ];
  if (t.purpose) lines.push({ key: "purpose", label: "For", value: t.purpose });
  lines.push({ key: "withdraw", label: "How to withdraw", value: withdraw.text, href: withdraw.href });
  return lines;
}

/** The tenant's mandates of these customers (the payer's page: the customers a bank login proved), newest first. */
export async function mandatesOfCustomers(db: Executor, scope: Scope, customerIds: readonly string[]): Promise<store.MandateRow[]> {
  const out: store.MandateRow[] = [];
  for (const customerId of new Set(customerIds)) {
    const { rows } = await store.listMandates(db, scope, { customerId, page: 1, limit: 100 });
    out.push(...rows);
  }
  return out.sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : -1));
}

/**
 * The payer withdraws a mandate (payer's page): it must be one of these customers' (else 404
 * naming `mandate_id`, whoever's it is); it ends `cancelled` with reason `withdrawn_by_payer`, the
 * company gets `mandate.cancelled`, and nothing more is charged.
 */
export async function withdrawMandate(ctx: AppContext, scope: Scope, id: string, customerIds: readonly string[]): Promise<store.MandateRow> {
  const m = await store.mandateById(ctx.db, scope, id);
  if (!m || !customerIds.includes(m.customer_id)) throw new OkroError("NOT_FOUND", "mandate_id: not one of your mandates with this business", { field: "mandate_id" });
  return ctx.db.transaction().execute((trx) => cancelMandate(trx, ctx, scope, id, { actor: "customer", field: "mandate_id", customerId: m.customer_id }));
}

export async function mandateOf(db: Executor, scope: Scope, id: string): Promise<store.MandateRow | undefined> {
  return store.mandateById(db, scope, id);
}

/**
 * A mandate the customer never authorised, let go in the widget (they chose another account, or
 * logged in again): `awaiting_customer` → `cancelled`, reason `not_authorised`. Anything else is
 * left as it is (already authorised, or ended).
 */
export async function dropUnauthorisedMandate(ctx: AppContext, scope: Scope, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const m = await store.mandateById(trx, scope, id);
    if (!m || m.state !== "awaiting_customer") return;
    const locked = await store.lockMandate(trx, id);
    if (!locked || locked.state !== "awaiting_customer") return;
    await moveMandate(trx, ctx, locked, "cancelled", { actor: "customer", reason: "not_authorised" });
  });
}
