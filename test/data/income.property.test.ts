import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateIncome, PAYDAY_TOLERANCE_DAYS, type IncomeSummary, type IncomeTransaction } from "../../src/data/income.js";

/**
 * Income estimation (src/data/income.ts) is a pure core: these properties hold for any history.
 */

const DAY_MS = 86_400_000;
const NOW = new Date("2026-03-10T09:00:00.000Z");

/** A Lagos calendar date as an instant in the morning, as a bank posts a salary. */
const at = (year: number, month: number, day: number) => new Date(Date.UTC(year, month, day, 8)).toISOString();
const isoDay = (year: number, month: number, day: number) => new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) => Math.round((Date.parse(a) - Date.parse(b)) / DAY_MS);

/** Letters only: narrations' digits are references, stripped from sources. */
const letters = (n: number): string => {
  let s = "";
  do {
    s += String.fromCharCode(65 + (n % 26));
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
};

const EMPLOYERS = ["ACME LTD", "LAFARGE AFRICA PLC", "NIGERIAN BREWERIES PLC", "FIRST AFRICA LOGISTICS LTD", "KANO STATE GOVT"];

interface Salary {
  employer: string;
  amount: number;
  payday: number;
  months: number;
  /** Move paydays that fall on a weekend to the Friday before (as Nigerian payrolls do). */
  offWeekends: boolean;
  narrationStyle: 0 | 1;
}

const salaryArb: fc.Arbitrary<Salary> = fc.record({
  employer: fc.constantFrom(...EMPLOYERS),
  amount: fc.integer({ min: 5_000_000, max: 2_000_000_000 }),
  payday: fc.integer({ min: 3, max: 28 }),
  months: fc.integer({ min: 3, max: 24 }),
  offWeekends: fc.boolean(),
  narrationStyle: fc.constantFrom(0 as const, 1 as const),
});

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** The salary's payments up to NOW, and the date the next one is due. */
function salaryHistory(s: Salary): { credits: IncomeTransaction[]; next: string; last: string } {
  const payDate = (k: number) => {
    const d = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + k, s.payday));
    if (s.offWeekends) {
      const weekday = d.getUTCDay();
      if (weekday === 6) d.setUTCDate(d.getUTCDate() - 1);
      if (weekday === 0) d.setUTCDate(d.getUTCDate() - 2);
    }
    return d;
  };
  // The latest payday on or before today is month 0 or -1.
  const latest = payDate(0).getTime() <= NOW.getTime() ? 0 : -1;
  const credits: IncomeTransaction[] = [];
  for (let k = latest - s.months + 1; k <= latest; k++) {
    const d = payDate(k);
    const label = `${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    credits.push({
      date: at(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
      amount: s.amount,
      narration: s.narrationStyle === 0 ? `SALARY ${label} FROM ${s.employer}` : `SALARY FROM ${s.employer} ${label.slice(0, 3)}`,
      category: "salary",
    });
  }
  const next = payDate(latest + 1);
  const last = payDate(latest);
  return { credits, next: isoDay(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate()), last: isoDay(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate()) };
}

const salaryStream = (summary: IncomeSummary, employer: string) => summary.streams.find((s) => s.source === employer);

/** Small credits, each from its own payer (once), anywhere in the last two years. */
const oneOffsArb = fc.array(
  fc.record({
    daysAgo: fc.integer({ min: 0, max: 730 }),
    amount: fc.integer({ min: 100, max: 5_000_000 }),
    category: fc.constantFrom("transfer_in", "cash", "other"),
  }),
  { maxLength: 40 },
);

function oneOffs(list: Array<{ daysAgo: number; amount: number; category: string }>): IncomeTransaction[] {
  return list.map((o, i) => ({
    date: new Date(NOW.getTime() - o.daysAgo * DAY_MS).toISOString(),
    amount: o.amount,
    narration: `TRF FROM FRIEND ${letters(i)} ONEOFF/REF${i}${o.daysAgo}`,
    category: o.category,
  }));
}

const anyCredit: fc.Arbitrary<IncomeTransaction> = fc.record({
  date: fc.integer({ min: -800, max: 5 }).map((d) => new Date(NOW.getTime() + d * DAY_MS - 3_600_000).toISOString()),
  amount: fc.oneof(fc.integer({ min: 1, max: 9_000_000_000 }), fc.constantFrom(0, -5, 1.5, Number.NaN)),
  narration: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom("SALARY FEB 2026 FROM ACME LTD", "TRF FROM JOHN DOE/REF 1", "REV: POS PURCHASE SHOPRITE", "INTEREST PAID JAN 2026", "CASH DEPOSIT BY ADA OBI"),
  ),
  category: fc.constantFrom("salary", "transfer_in", "reversal", "interest", "cash", "other"),
});

function expectWellFormed(summary: IncomeSummary): void {
  for (const key of ["avg_monthly_income", "monthly_income", "last_year_income", "projected_yearly_income", "number_of_income_streams"] as const) {
    expect(Number.isSafeInteger(summary[key]), key).toBe(true);
    expect(summary[key], key).toBeGreaterThanOrEqual(0);
  }
  expect(summary.confidence).toBeGreaterThanOrEqual(0);
  expect(summary.confidence).toBeLessThanOrEqual(1);
  expect(summary.number_of_income_streams).toBe(summary.streams.length);
  expect(summary.currency).toBe("NGN");
  for (const s of summary.streams) {
    expect(Number.isSafeInteger(s.avg_amount) && s.avg_amount > 0).toBe(true);
    expect(Number.isSafeInteger(s.monthly_income) && s.monthly_income >= 0).toBe(true);
    expect(Number.isSafeInteger(s.days) && s.days >= 0).toBe(true);
    expect(s.confidence).toBeGreaterThanOrEqual(0);
    expect(s.confidence).toBeLessThanOrEqual(1);
    expect(s.last_paid).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    if (s.next_expected !== null) expect(s.next_expected).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }
}

describe("estimateIncome", () => {
  it("keeps every amount an integer number of kobo, whatever the credits", () => {
    fc.assert(
      fc.property(fc.array(anyCredit, { maxLength: 200 }), (credits) => {
        expectWellFormed(estimateIncome(credits, NOW));
      }),
    );
  });

  it("finds a regular monthly salary with its amount, and its next payday within the tolerance", () => {
    fc.assert(
      fc.property(salaryArb, (s) => {
        const { credits, next, last } = salaryHistory(s);
        const summary = estimateIncome(credits, NOW);
        expectWellFormed(summary);
        const stream = salaryStream(summary, s.employer);
        expect(stream, JSON.stringify(summary)).toBeDefined();
        expect(stream!.type).toBe("salary");
        expect(stream!.regularity).toBe("monthly");
        expect(stream!.avg_amount).toBe(s.amount);
        expect(stream!.monthly_income).toBe(s.amount);
        expect(stream!.last_paid).toBe(last);
        expect(Math.abs(daysBetween(stream!.next_expected!, next)), `${stream!.next_expected} vs ${next}`).toBeLessThanOrEqual(PAYDAY_TOLERANCE_DAYS);
        expect(summary.last_payday).toBe(last);
        expect(summary.next_expected_payday).toBe(stream!.next_expected);
        expect(summary.projected_yearly_income).toBe(12 * s.amount);
        // One payment in every month of the history: the monthly average is the salary.
        if (!s.offWeekends) expect(summary.avg_monthly_income).toBe(s.amount);
        expect(summary.confidence).toBeGreaterThan(0.5);
      }),
    );
  });

  it("never loses the salary stream to unrelated small one-off credits", () => {
    fc.assert(
      fc.property(salaryArb, oneOffsArb, (s, extras) => {
        const { credits } = salaryHistory(s);
        const alone = salaryStream(estimateIncome(credits, NOW), s.employer);
        const mixed = estimateIncome([...oneOffs(extras), ...credits], NOW);
        expectWellFormed(mixed);
        const stream = salaryStream(mixed, s.employer);
        expect(stream).toEqual(alone);
        // One-offs are not income streams.
        expect(mixed.streams.filter((x) => x.source.includes("ONEOFF"))).toEqual([]);
      }),
    );
  });

  it("gives zero income and no confidence for no credits", () => {
    const summary = estimateIncome([], NOW);
    expect(summary).toEqual({
      avg_monthly_income: 0,
      monthly_income: 0,
      last_year_income: 0,
      projected_yearly_income: 0,
      number_of_income_streams: 0,
      streams: [],
      last_payday: null,
      next_expected_payday: null,
      confidence: 0,
      currency: "NGN",
    });
  });

  it("gives zero income for credits that are not income (reversals, interest, own transfers)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 24 }), fc.integer({ min: 100, max: 10_000_000 }), (months, amount) => {
        const credits: IncomeTransaction[] = [];
        for (let k = 0; k < months; k++) {
          const date = at(2026, 1 - k, 15);
          credits.push({ date, amount, narration: "REV: POS PURCHASE SHOPRITE IKEJA", category: "reversal" });
          credits.push({ date, amount, narration: `INTEREST PAID ${MONTH_NAMES[(13 - k) % 12]} 2025`, category: "interest" });
          credits.push({ date, amount, narration: "TRF FROM ADA NNEKA OBI/SAVINGS", category: "transfer_in" });
        }
        const summary = estimateIncome(credits, NOW, { ownNames: ["Obi Ada Nneka"] });
        expect(summary.streams).toEqual([]);
        expect(summary.last_year_income).toBe(0);
        expect(summary.confidence).toBe(0);
      }),
    );
  });
});
