/**
 * Schedule arithmetic for mandates and recurring payments: pure, no I/O, property-tested
 * (test/mandates/schedule.property.test.ts).
 *
 * Dates are calendar days in Africa/Lagos (WAT, UTC+1 all year: Nigeria has no daylight saving),
 * written `YYYY-MM-DD`. A cycle's due date is computed from the schedule's anchor each time, never
 * from the previous cycle, so clamping never drifts: a monthly schedule anchored on the 31st
 * charges on 31 January, 28 (or 29) February and 31 March. `day_of_month: -1` is the month's last
 * day. A cycle becomes due at {@link CHARGE_HOUR_LAGOS}:00 Lagos time on its date.
 *
 * Business days (decision 0027): a cycle keeps its date (`cycleDate`: its identity, its job key,
 * its cap period), but is charged on {@link chargeDate}: when that date is a Saturday, Sunday or a
 * Nigerian public holiday (holidays.ts), the next (or previous, per `businessDays`) business day.
 * The next cycle is computed from the anchor again, never from the moved date.
 */
import { NG_HOLIDAYS } from "./holidays.js";

export const INTERVALS = ["daily", "weekly", "monthly", "quarterly", "yearly"] as const;
export type Interval = (typeof INTERVALS)[number];

/** Where a charge falling on a weekend or public holiday goes: the next business day (default), the previous one, or nowhere. */
export const BUSINESS_DAYS = ["next", "previous", "none"] as const;
export type BusinessDays = (typeof BUSINESS_DAYS)[number];

/** Lagos is UTC+1 with no daylight saving (ms). */
export const LAGOS_OFFSET_MS = 3_600_000;
/** A cycle is due at 08:00 in Lagos on its date: inside banking hours, not at midnight. */
export const CHARGE_HOUR_LAGOS = 8;
const DAY_MS = 86_400_000;

/** A calendar day as numbers (month 1–12). */
interface Ymd {
  y: number;
  m: number;
  d: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const fmt = ({ y, m, d }: Ymd) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

function split(date: string): Ymd {
  return { y: Number(date.slice(0, 4)), m: Number(date.slice(5, 7)), d: Number(date.slice(8, 10)) };
}

/** Days since 1970-01-01 of a calendar date (proleptic Gregorian). */
function dayNumber(date: string): number {
  const { y, m, d } = split(date);
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return fromDayNumber(dayNumber(date) + days);
}

/** Whole days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}

/** The Lagos calendar day of an instant. */
export function lagosDate(at: Date): string {
  return new Date(at.getTime() + LAGOS_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a cycle dated `date` becomes due: {@link CHARGE_HOUR_LAGOS}:00 Lagos time. */
export function dueInstant(date: string): Date {
  return new Date(dayNumber(date) * DAY_MS + CHARGE_HOUR_LAGOS * 3_600_000 - LAGOS_OFFSET_MS);
}

/** The first instant of the Lagos day `date`. */
export function startOfLagosDay(date: string): Date {
  return new Date(dayNumber(date) * DAY_MS - LAGOS_OFFSET_MS);
}

/** The first instant of the Lagos day after `date`: a mandate ending on `date` is valid until then. */
export function endOfLagosDay(date: string): Date {
  return new Date((dayNumber(date) + 1) * DAY_MS - LAGOS_OFFSET_MS);
}

const DATE = /^(\d{4})[-/](\d{2})[-/](\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T/;

/**
 * A date as Okra's clients send it: `YYYY-MM-DD` or `YYYY/MM/DD` (Okra's future-payments doc), or
 * an ISO instant (its Lagos day). Undefined for anything else, including days that do not exist
 * (`2027-02-30`) and mixed separators (`2027-02/01`).
 */
export function parseDate(value: string): string | undefined {
  const text = value.trim();
  const m = DATE.exec(text);
  if (m) {
    if (text[4] !== text[7]) return undefined;
    const ymd = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
    if (ymd.y < 1900 || ymd.m < 1 || ymd.m > 12 || ymd.d < 1 || ymd.d > daysInMonth(ymd.y, ymd.m)) return undefined;
    return fmt(ymd);
  }
  if (INSTANT.test(text)) {
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) return undefined;
    return lagosDate(at);
  }
  return undefined;
}

// ── Schedules ─────────────────────────────────────────────────────────────────────────────────

export interface Schedule {
  interval: Interval;
  /** First day a charge may fall on (Lagos). */
  startDate: string;
  /** Last day a charge may fall on; null: until cancelled (or `count`). */
  endDate: string | null;
  /** How many charges in all; null: until `endDate` (or cancelled). */
  count: number | null;
  /**
   * Monthly, quarterly and yearly: the day of the month charges fall on (1–31, clamped to the
   * month's length; -1 the last day). Null: the start date's day. Ignored for daily and weekly.
   */
  dayOfMonth: number | null;
  /** Weekends and public holidays: charged the `next` or `previous` business day; `none` (or absent): on the day. Daily schedules never move. */
  businessDays?: BusinessDays;
}

const MONTHS_PER: Record<Interval, number> = { daily: 0, weekly: 0, monthly: 1, quarterly: 3, yearly: 12 };

function monthCandidate(s: Schedule, k: number): string {
  const start = split(s.startDate);
  const step = MONTHS_PER[s.interval];
  const index = start.y * 12 + (start.m - 1) + k * step;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  const anchor = s.dayOfMonth ?? start.d;
  const last = daysInMonth(y, m);
  return fmt({ y, m, d: anchor === -1 ? last : Math.min(anchor, last) });
}

/**
 * The date of cycle `n` (0-based), ignoring `endDate` and `count`. Daily and weekly step from the
 * start date. Monthly, quarterly and yearly fall on the anchor day (`dayOfMonth`, else the start
 * date's day) of every 1st, 3rd or 12th month from the start month, clamped to the month's end; if
 * the anchor day of the start month is before the start date, the first cycle is the next period's.
 */
export function cycleDate(s: Schedule, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`cycle must be a non-negative integer, got ${n}`);
  if (s.interval === "daily") return addDays(s.startDate, n);
  if (s.interval === "weekly") return addDays(s.startDate, 7 * n);
  const offset = monthCandidate(s, 0) < s.startDate ? 1 : 0;
  return monthCandidate(s, n + offset);
}

/** Whether cycle `n` exists: within `count` and on or before `endDate`. */
export function hasCycle(s: Schedule, n: number): boolean {
  if (s.count !== null && n >= s.count) return false;
  return s.endDate === null || cycleDate(s, n) <= s.endDate;
}

/** The cycles (index and date) from cycle `from`, at most `limit` of them. */
export function cyclesFrom(s: Schedule, from: number, limit: number): { cycle: number; date: string }[] {
  const out: { cycle: number; date: string }[] = [];
  for (let n = from; out.length < limit && hasCycle(s, n); n++) out.push({ cycle: n, date: cycleDate(s, n) });
  return out;
}

/** The first cycle dated on or after `date` (it may not exist: check {@link hasCycle}). */
export function firstCycleOnOrAfter(s: Schedule, date: string): number {
  // Cycles are strictly increasing in date; a galloping then binary search keeps this O(log n).
  if (cycleDate(s, 0) >= date) return 0;
  let hi = 1;
  while (cycleDate(s, hi) < date) hi *= 2;
  let lo = hi >>> 1;
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (cycleDate(s, mid) < date) lo = mid;
    else hi = mid;
  }
  return hi;
}

// ── Business days ─────────────────────────────────────────────────────────────────────────────

/** Monday to Friday and not a public holiday (`holidays`: Lagos days, default Nigeria's). */
export function isBusinessDay(date: string, holidays: ReadonlySet<string> = NG_HOLIDAYS): boolean {
  const weekday = (dayNumber(date) + 4) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
  return weekday !== 0 && weekday !== 6 && !holidays.has(date);
}

/** `date` itself when a business day, else the nearest business day after (`next`) or before (`previous`) it. */
export function rollToBusinessDay(date: string, direction: "next" | "previous", holidays: ReadonlySet<string> = NG_HOLIDAYS): string {
  const step = direction === "next" ? 1 : -1;
  let d = date;
  // A year of holidays cannot close more than a few days in a row; the bound only guards bad data.
  for (let i = 0; i < 31 && !isBusinessDay(d, holidays); i++) d = addDays(d, step);
  return d;
}

/**
 * The day cycle `n` is charged on: its {@link cycleDate}, moved off a weekend or public holiday
 * per `s.businessDays`. The moved day stays within the schedule's start and end dates and, for
 * monthly, quarterly and yearly schedules, within the cycle's month (the banks' "modified
 * following": with `next`, Sunday 28 February 2027 is charged Friday 26 February, since Monday
 * 1 March would leave the month) — so a month's charge is never taken in the next month, nor two in one. When
 * only the other direction (or only leaving the month) keeps it within the start and end dates,
 * that is taken; when nothing does, the cycle's own date. Daily schedules are never moved (their
 * weekend cycles would pile onto Monday).
 */
export function chargeDate(s: Schedule, n: number, holidays: ReadonlySet<string> = NG_HOLIDAYS): string {
  const date = cycleDate(s, n);
  const mode = s.businessDays ?? "none";
  if (mode === "none" || s.interval === "daily" || isBusinessDay(date, holidays)) return date;
  const other = mode === "next" ? "previous" : "next";
  const candidates = [rollToBusinessDay(date, mode, holidays), rollToBusinessDay(date, other, holidays)];
  const inBounds = (d: string) => d >= s.startDate && (s.endDate === null || d <= s.endDate);
  const sameMonth = (d: string) => s.interval === "weekly" || d.slice(0, 7) === date.slice(0, 7);
  return candidates.find((d) => inBounds(d) && sameMonth(d)) ?? candidates.find(inBounds) ?? date;
}

/** The first cycle charged on or after `date` (it may not exist: check {@link hasCycle}). */
export function firstChargeOnOrAfter(s: Schedule, date: string, holidays: ReadonlySet<string> = NG_HOLIDAYS): number {
  // A charge moves less than one cycle away from its date: only the neighbours can cross `date`.
  let n = Math.max(0, firstCycleOnOrAfter(s, date) - 1);
  while (chargeDate(s, n, holidays) < date) n++;
  return n;
}

/** The cycles from cycle `from` with their own date and the day each is charged, at most `limit`. */
export function chargesFrom(s: Schedule, from: number, limit: number, holidays: ReadonlySet<string> = NG_HOLIDAYS): { cycle: number; date: string; scheduledDate: string }[] {
  return cyclesFrom(s, from, limit).map((c) => ({ cycle: c.cycle, date: chargeDate(s, c.cycle, holidays), scheduledDate: c.date }));
}

/** Problems with a schedule's own terms (field names as Okro's API spells them), or []. */
export function scheduleProblems(s: Schedule): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (s.endDate !== null && s.endDate < s.startDate) out.push({ field: "end_date", message: `end_date: ${s.endDate} is before start_date ${s.startDate}` });
  if (s.count !== null && (!Number.isInteger(s.count) || s.count < 1 || s.count > 10_000)) out.push({ field: "count", message: "count: must be a whole number from 1 to 10000" });
  if (s.dayOfMonth !== null) {
    if (s.interval === "daily" || s.interval === "weekly") out.push({ field: "day_of_month", message: `day_of_month: only for monthly, quarterly or yearly schedules, not ${s.interval}` });
    else if (!Number.isInteger(s.dayOfMonth) || s.dayOfMonth === 0 || s.dayOfMonth < -1 || s.dayOfMonth > 31) out.push({ field: "day_of_month", message: "day_of_month: must be 1 to 31, or -1 for the last day of the month" });
  }
  if (out.length === 0 && !hasCycle(s, 0)) out.push({ field: "end_date", message: `end_date: no charge falls between ${s.startDate} and ${s.endDate}` });
  return out;
}

// ── Periods (for per-period caps) ─────────────────────────────────────────────────────────────

/** The first day of the calendar period (day, ISO week from Monday, month, quarter, year) that holds `date`. */
export function periodStart(interval: Interval, date: string): string {
  const { y, m } = split(date);
  switch (interval) {
    case "daily":
      return date;
    case "weekly": {
      // 1970-01-01 was a Thursday: day 0 → Monday is 3 days before.
      const n = dayNumber(date);
      return fromDayNumber(n - ((n + 3) % 7));
    }
    case "monthly":
      return fmt({ y, m, d: 1 });
    case "quarterly":
      return fmt({ y, m: Math.floor((m - 1) / 3) * 3 + 1, d: 1 });
    case "yearly":
      return fmt({ y, m: 1, d: 1 });
    default: {
      const never: never = interval;
      throw new Error(`unknown interval ${String(never)}`);
    }
  }
}

// ── Words ─────────────────────────────────────────────────────────────────────────────────────

/** `NGN 10,000.00` from kobo. */
export function money(amount: bigint, currency: string): string {
  const naira = amount / 100n;
  const k = amount % 100n;
  return `${currency} ${naira.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${pad(Number(k))}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

const EVERY: Record<Interval, string> = { daily: "every day", weekly: "every week", monthly: "every month", quarterly: "every quarter", yearly: "every year" };

/** How often, in words: "every month on the 31st (the last day in shorter months)". */
export function cadence(s: Schedule): string {
  if (s.interval === "daily") return EVERY.daily;
  const weekday = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  if (s.interval === "weekly") return `every week on ${weekday[new Date(`${s.startDate}T00:00:00Z`).getUTCDay()]}`;
  const first = cycleDate(s, 0);
  const day = s.dayOfMonth ?? split(s.startDate).d;
  const on = day === -1 ? "on the last day of the month" : `on the ${ordinal(day)}${day > 28 ? " (the last day in shorter months)" : ""}`;
  const yearly = s.interval === "yearly" ? ` of ${["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"][split(first).m - 1]}` : "";
  return `${EVERY[s.interval]} ${on}${yearly}`;
}

/** How weekends and public holidays move the charges, in words; null when they do not. */
export function businessDaysWords(s: Schedule): string | null {
  if (s.interval === "daily" || s.businessDays === undefined || s.businessDays === "none") return null;
  const within = s.interval === "weekly" ? "" : ", within the same month";
  return s.businessDays === "next" ? `a charge falling on a weekend or public holiday is taken the next business day${within}` : `a charge falling on a weekend or public holiday is taken the business day before${within}`;
}

/**
 * The schedule in words, for API messages and the consent screen: "NGN 5,000.00 every month on
 * the 31st (the last day in shorter months), starting 2027-01-31, 12 times (last charge
 * 2027-12-31)". With an initial amount that differs: "an initial payment of … on …, then …".
 */
export function describeSchedule(s: Schedule, amount: bigint, currency: string, initialAmount?: bigint | null): string {
  const first = hasCycle(s, 0) ? cycleDate(s, 0) : s.startDate;
  const until =
    s.count !== null
      ? s.count === 1
        ? "once"
        : `${s.count} times (last charge ${cycleDate(s, s.count - 1) <= (s.endDate ?? "9999-12-31") ? cycleDate(s, s.count - 1) : s.endDate})`
      : s.endDate !== null
        ? `until ${s.endDate}`
        : "on an ongoing basis until cancelled";
  const moved = businessDaysWords(s);
  const rule = moved ? `; ${moved}` : "";
  if (s.count === 1) return `${money(initialAmount ?? amount, currency)} once, on ${first}${rule}`;
  if (initialAmount !== undefined && initialAmount !== null && initialAmount !== amount) {
    return `an initial payment of ${money(initialAmount, currency)} on ${first}, then payments of ${money(amount, currency)} ${cadence(s)}, ${until}${rule}`;
  }
  return `${money(amount, currency)} ${cadence(s)}, starting ${first}, ${until}${rule}`;
}
