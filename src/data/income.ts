/**
 * Income estimation: what a customer earns, derived from the credits on their accounts. Pure (no
 * clock, no I/O): the caller passes the credits and "now". All money is integer kobo.
 *
 * How it works:
 * 1. Credits that are not income are dropped: reversals (`REV:` lines, category `reversal`), bank
 *    interest, and transfers between the customer's own accounts (narration names the customer, see
 *    {@link IncomeOptions.ownNames}, or says "own account").
 * 2. The rest are grouped by **source**: the payer named in the narration, with references,
 *    dates, month names and banking noise words stripped ("SALARY NOV 2024 FROM ACME LTD" and
 *    "SALARY FROM ACME LTD NOV" are both "ACME LTD"). Credits from one source on one day count as
 *    one payment.
 * 3. A source's **regularity** comes from the gaps between its payments: monthly, biweekly or
 *    weekly when (nearly) every gap is a whole number of periods, give or take the drift of a
 *    payday moved off a weekend or holiday ({@link PAYDAY_TOLERANCE_DAYS} either way); otherwise
 *    irregular. A source is a **stream** when it is regular (3+ payments; 2 for salary) or pays
 *    irregularly but repeatedly (3+ payments in 2+ months). Single or paired unrelated credits are
 *    one-offs: they never form a stream, and never change another source's stream.
 * 4. Streams that stopped paying (no payment for two periods and the tolerance; 90 days for
 *    irregular ones) still count in past income but not in the current and projected figures.
 *
 * Dates are Lagos calendar days (WAT, UTC+1 all year), as Nigerian banks post them.
 */

export interface IncomeTransaction {
  /** When the credit was posted: ISO date or date-time. */
  date: string;
  /** The credit, kobo (a positive integer; anything else is ignored). */
  amount: number;
  narration: string;
  /** The bank's category (`salary`, `transfer_in`, `reversal`, `interest`, …). */
  category: string;
}

export type IncomeStreamType = "salary" | "transfer" | "other";
export type IncomeRegularity = "monthly" | "biweekly" | "weekly" | "irregular";

export interface IncomeStream {
  /** The payer or employer, normalised (upper case, no references or dates). */
  source: string;
  type: IncomeStreamType;
  regularity: IncomeRegularity;
  /** Mean payment (kobo). */
  avg_amount: number;
  /** What the stream brings in a month at its current rate (kobo). */
  monthly_income: number;
  /** Latest payment (ISO date). */
  last_paid: string;
  /** When the next payment is due (ISO date); null for irregular streams. */
  next_expected: string | null;
  /** Days from the stream's first payment to now. */
  days: number;
  /** 0–1: how sure we are this is a real, ongoing income. */
  confidence: number;
}

export interface IncomeSummary {
  /** Mean monthly income over the last (up to) 12 full calendar months of history (kobo). */
  avg_monthly_income: number;
  /** Income received in the last full calendar month (kobo). */
  monthly_income: number;
  /** Income received in the last 365 days (kobo). */
  last_year_income: number;
  /** The active streams' monthly income × 12 (kobo). */
  projected_yearly_income: number;
  number_of_income_streams: number;
  /** The active streams, biggest first. */
  streams: IncomeStream[];
  /** Latest salary payment (or of any regular stream when there is no salary); ISO date. */
  last_payday: string | null;
  /** Next expected salary (or regular) payment; ISO date. */
  next_expected_payday: string | null;
  /** 0–1, the streams' confidence weighted by their income; 0 with no stream. */
  confidence: number;
  currency: "NGN";
}

export interface IncomeOptions {
  /**
   * The customer's own names (identity full name, account names): credits from these are
   * transfers between the customer's own accounts, not income.
   */
  ownNames?: readonly string[];
}

/** How far a payday may move (weekends, public holidays) and still be "the same day" (days). */
export const PAYDAY_TOLERANCE_DAYS = 5;
/** Nigeria's time zone, WAT: UTC+1 all year (no daylight saving). */
const LAGOS_OFFSET_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAYS_PER_MONTH = 365.25 / 12;
/** A stream without a payment for this long is no longer counted as current (days). */
const IRREGULAR_ACTIVE_DAYS = 90;

interface Period {
  regularity: Exclude<IncomeRegularity, "irregular">;
  /** Nominal gap between payments (days). */
  days: number;
  /** How far one gap may differ from a whole number of periods (days). */
  tolerance: number;
  /** Payments per month. */
  perMonth: number;
}

// A monthly payday drifting by up to the tolerance either way makes one gap up to twice the
// tolerance longer or shorter than a month.
const PERIODS: readonly Period[] = [
  { regularity: "monthly", days: DAYS_PER_MONTH, tolerance: 2 * PAYDAY_TOLERANCE_DAYS, perMonth: 1 },
  { regularity: "biweekly", days: 14, tolerance: 3, perMonth: 26 / 12 },
  { regularity: "weekly", days: 7, tolerance: 1.5, perMonth: 52 / 12 },
];

/** Share of gaps that must be whole periods for a source to count as regular. */
const REGULAR_FIT = 0.75;

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

const MONTH_WORD = /^(JAN|JANUARY|FEB|FEBRUARY|MAR|MARCH|APR|APRIL|MAY|JUN|JUNE|JUL|JULY|AUG|AUGUST|SEP|SEPT|SEPTEMBER|OCT|OCTOBER|NOV|NOVEMBER|DEC|DECEMBER)$/;
/** Words banks put around the payer's name. */
const NOISE_WORDS = new Set([
  "SALARY", "SALARIES", "SAL", "PAYROLL", "WAGE", "WAGES", "STIPEND",
  "TRF", "TRFR", "TRANSFER", "TRANS", "TRX", "NIP", "NEFT", "RTGS", "FT", "IB", "MB", "USSD", "POS",
  "FROM", "BY", "FOR", "VIA", "OF", "THE", "TO",
  "PAYMENT", "PMT", "PYMT", "PAY", "CR", "CREDIT", "INWARD", "INFLOW", "REF", "REFERENCE", "MOB", "MOBILE", "APP", "WEB", "ONLINE",
  "CASH", "DEPOSIT", "LODGEMENT",
]);
const SALARY_WORDS = /\b(SALARY|SALARIES|SAL|PAYROLL|WAGES?|STIPEND)\b/;
const TRANSFER_WORDS = /\b(TRF|TRFR|TRANSFER|NIP|NEFT|RTGS|FT|INWARD)\b/;
const REVERSAL = /^\s*REV\b|^\s*REV:|\bREVERSAL\b|\bREVERSED\b/;
const OWN_ACCOUNT = /\bOWN\s+(A\/C|ACCT|ACCOUNT)\b|\bINTERNAL\s+TRANSFER\b|\bSELF\s+TRANSFER\b/;

const tokensOf = (text: string): string[] =>
  text
    .toUpperCase()
    .split(/[^A-Z0-9&']+/)
    .map((t) => t.replace(/^'+|'+$/g, ""))
    .filter((t) => t.length > 0);

const nameTokens = (text: string): string[] => tokensOf(text).filter((t) => !/\d/.test(t) && !MONTH_WORD.test(t) && !NOISE_WORDS.has(t));

/**
 * The payer a narration names: the text after FROM/BY (where the bank puts the payer), before any
 * "/reference", without digits, month names and banking words. "SALARY FROM ACME LTD NOV" →
 * "ACME LTD"; "TRF FROM JOHN DOE/REF 123" → "JOHN DOE". "UNKNOWN" when nothing is left.
 */
export function normaliseSource(narration: string): string {
  let text = narration.toUpperCase();
  const payer = /\b(?:FROM|BY)\b(.*)$/.exec(text);
  if (payer && nameTokens(payer[1]!).length > 0) text = payer[1]!;
  // A reference after a slash is not the payer: the first slash-part that names someone is.
  const part = text.split("/").find((p) => nameTokens(p).length > 0);
  const tokens = part === undefined ? [] : nameTokens(part);
  return tokens.length > 0 ? tokens.join(" ") : "UNKNOWN";
}

function isOwnSource(source: string, own: readonly string[][]): boolean {
  const tokens = source.split(" ");
  return own.some((name) => {
    if (name.length === 0) return false;
    const set = new Set(name);
    // Same words in any order ("TANKO HALIMA MARY"), or 2+ words all from the customer's name.
    if (tokens.length === name.length && tokens.every((t) => set.has(t))) return true;
    return tokens.length >= 2 && tokens.every((t) => set.has(t));
  });
}

// ---------------------------------------------------------------------------------------------
// Days
// ---------------------------------------------------------------------------------------------

/** Lagos calendar day number (days since 1970-01-01), or NaN. */
function lagosDay(isoOrMs: string | number): number {
  const ms = typeof isoOrMs === "number" ? isoOrMs : Date.parse(isoOrMs);
  return Math.floor((ms + LAGOS_OFFSET_MS) / DAY_MS);
}

const isoDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** { year, month (0–11), day } of a day number. */
function ymd(day: number): { year: number; month: number; date: number } {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), date: d.getUTCDate() };
}

/** The day number of `date` (clipped to the month's length) in month `month` (may overflow) of `year`. */
function dayInMonth(year: number, month: number, date: number): number {
  const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Math.floor(Date.UTC(year, month, Math.min(date, length)) / DAY_MS);
}

/** Absolute month number of a day (year × 12 + month). */
const monthIndex = (day: number): number => {
  const { year, month } = ymd(day);
  return year * 12 + month;
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const round2 = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;

// ---------------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------------

interface Payment {
  day: number;
  amount: number;
}

interface SourceGroup {
  source: string;
  payments: Payment[];
  salaryHint: boolean;
  transferHint: boolean;
}

interface Analysed {
  stream: IncomeStream;
  active: boolean;
  regular: boolean;
  payments: Payment[];
}

/** Which period the gaps follow (with the share of gaps that fit), or undefined. */
function detectPeriod(gaps: readonly number[]): { period: Period; fit: number } | undefined {
  if (gaps.length === 0) return undefined;
  const typical = median(gaps);
  // The period whose one-step range holds the median gap; missed payments (2–3 periods) still fit.
  const period = PERIODS.find((p) => Math.abs(typical - p.days) <= p.tolerance);
  if (!period) return undefined;
  const fits = gaps.filter((g) => [1, 2, 3].some((k) => Math.abs(g - k * period.days) <= period.tolerance)).length;
  return { period, fit: fits / gaps.length };
}

/** The first payday after `last` for a monthly stream paid around day-of-month `typicalDate`. */
function nextMonthly(last: number, typicalDate: number): number {
  const { year, month } = ymd(last);
  // This month's payday if it is still well ahead (a payment that came early or late), else next month's.
  for (let offset = 0; ; offset++) {
    const candidate = dayInMonth(year, month + offset, typicalDate);
    if (candidate - last >= DAYS_PER_MONTH / 2) return candidate;
  }
}

function analyse(group: SourceGroup, today: number): Analysed | undefined {
  const payments = group.payments;
  const n = payments.length;
  if (n < 2) return undefined;
  const gaps = payments.slice(1).map((p, i) => p.day - payments[i]!.day);
  const detected = detectPeriod(gaps);
  const minRegular = group.salaryHint ? 2 : 3;
  const regular = detected !== undefined && detected.fit >= REGULAR_FIT && n >= minRegular;
  const months = new Set(payments.map((p) => monthIndex(p.day))).size;
  if (!regular && (n < 3 || months < 2)) return undefined; // one-offs

  const amounts = payments.map((p) => p.amount);
  const total = amounts.reduce((a, b) => a + b, 0);
  const mean = total / n;
  const sd = Math.sqrt(amounts.reduce((s, a) => s + (a - mean) ** 2, 0) / n);
  const stability = Math.max(0.5, 1 - sd / mean);
  const first = payments[0]!.day;
  const last = payments[n - 1]!.day;
  const type: IncomeStreamType = group.salaryHint ? "salary" : group.transferHint ? "transfer" : "other";

  let regularity: IncomeRegularity = "irregular";
  let monthly: number;
  let next: number | null = null;
  let active: boolean;
  let confidence: number;
  const coverage = 0.5 + 0.5 * Math.min(1, (n - 1) / 5);
  if (regular) {
    const { period, fit } = detected!;
    regularity = period.regularity;
    active = today - last <= 2 * period.days + PAYDAY_TOLERANCE_DAYS;
    const recent = amounts.slice(-3);
    monthly = Math.round((recent.reduce((a, b) => a + b, 0) / recent.length) * period.perMonth);
    if (active) {
      const grace = Math.min(PAYDAY_TOLERANCE_DAYS, Math.floor(period.days / 2));
      if (period.regularity === "monthly") {
        const typicalDate = Math.round(median(payments.map((p) => ymd(p.day).date)));
        next = nextMonthly(last, typicalDate);
        // Missed paydays (well past, beyond the tolerance) are not "next" any more.
        while (next < today - grace) next = nextMonthly(next, typicalDate);
      } else {
        next = last + period.days;
        while (next < today - grace) next += period.days;
      }
    }
    confidence = fit * coverage * stability;
  } else {
    active = today - last <= IRREGULAR_ACTIVE_DAYS;
    const yearTotal = payments.filter((p) => p.day > today - 365).reduce((s, p) => s + p.amount, 0);
    const observedMonths = Math.min(12, Math.max(1, (today - first) / DAYS_PER_MONTH));
    monthly = Math.round(yearTotal / observedMonths);
    confidence = 0.3 * coverage * stability;
  }
  if (!active) {
    monthly = 0;
    confidence /= 2;
  }
  return {
    active,
    regular,
    payments,
    stream: {
      source: group.source,
      type,
      regularity,
      avg_amount: Math.round(mean),
      monthly_income: monthly,
      last_paid: isoDate(last),
      next_expected: next === null ? null : isoDate(next),
      days: Math.max(0, today - first),
      confidence: round2(confidence),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The estimate
// ---------------------------------------------------------------------------------------------

/** Estimates income from credits (kobo). Deterministic; integer kobo everywhere. */
export function estimateIncome(transactions: readonly IncomeTransaction[], now: Date, options: IncomeOptions = {}): IncomeSummary {
  const today = lagosDay(now.getTime());
  const own = (options.ownNames ?? []).map(nameTokens).filter((t) => t.length > 0);

  let firstDay = Infinity;
  const groups = new Map<string, SourceGroup & { byDay: Map<number, number> }>();
  for (const t of transactions) {
    const day = lagosDay(t.date);
    if (!Number.isSafeInteger(t.amount) || t.amount <= 0 || !Number.isFinite(day) || day > today) continue;
    firstDay = Math.min(firstDay, day);
    const narration = t.narration.toUpperCase();
    if (t.category === "reversal" || t.category === "interest" || REVERSAL.test(narration) || OWN_ACCOUNT.test(narration)) continue;
    const source = normaliseSource(narration);
    if (isOwnSource(source, own)) continue;
    let group = groups.get(source);
    if (!group) {
      group = { source, payments: [], salaryHint: false, transferHint: false, byDay: new Map() };
      groups.set(source, group);
    }
    group.byDay.set(day, (group.byDay.get(day) ?? 0) + t.amount);
    if (t.category === "salary" || SALARY_WORDS.test(narration)) group.salaryHint = true;
    if (t.category === "transfer_in" || TRANSFER_WORDS.test(narration)) group.transferHint = true;
  }

  const analysed: Analysed[] = [];
  for (const group of groups.values()) {
    group.payments = [...group.byDay].map(([day, amount]) => ({ day, amount })).sort((a, b) => a.day - b.day);
    const result = analyse(group, today);
    if (result) analysed.push(result);
  }

  const incomeDays = analysed.flatMap((a) => a.payments);
  const sumWhere = (keep: (p: Payment) => boolean) => incomeDays.filter(keep).reduce((s, p) => s + p.amount, 0);
  const thisMonth = monthIndex(today);
  const firstMonth = Number.isFinite(firstDay) ? monthIndex(firstDay) : thisMonth;
  // Full calendar months of history, up to 12, before this one.
  const fullMonths = Math.min(12, thisMonth - firstMonth);
  const avg =
    fullMonths > 0
      ? Math.round(sumWhere((p) => monthIndex(p.day) >= thisMonth - fullMonths && monthIndex(p.day) < thisMonth) / fullMonths)
      : sumWhere((p) => monthIndex(p.day) === thisMonth);

  const active = analysed.filter((a) => a.active);
  const streams = active.map((a) => a.stream).sort((a, b) => b.monthly_income - a.monthly_income || a.source.localeCompare(b.source));
  const monthlyTotal = streams.reduce((s, x) => s + x.monthly_income, 0);
  const confidence =
    streams.length === 0
      ? 0
      : monthlyTotal > 0
        ? round2(streams.reduce((s, x) => s + x.confidence * x.monthly_income, 0) / monthlyTotal)
        : Math.max(...streams.map((x) => x.confidence));

  const paydays = active.filter((a) => a.regular && a.stream.type === "salary");
  const payStreams = (paydays.length > 0 ? paydays : active.filter((a) => a.regular)).map((a) => a.stream);
  const lastPaid = payStreams.map((s) => s.last_paid).sort().at(-1) ?? null;
  const nextExpected = payStreams.flatMap((s) => (s.next_expected ? [s.next_expected] : [])).sort()[0] ?? null;

  return {
    avg_monthly_income: avg,
    monthly_income: sumWhere((p) => monthIndex(p.day) === thisMonth - 1),
    last_year_income: sumWhere((p) => p.day > today - 365),
    projected_yearly_income: monthlyTotal * 12,
    number_of_income_streams: streams.length,
    streams,
    last_payday: lastPaid,
    next_expected_payday: nextExpected,
    confidence,
    currency: "NGN",
  };
}
