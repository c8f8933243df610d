import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCharge, classifyFailure, DEFAULT_RETRY_POLICY, mandateMachine, nextRetry, type MandateTerms } from "../../src/mandates/domain.js";
import {
  addDays,
  cycleDate,
  cyclesFrom,
  daysInMonth,
  describeSchedule,
  dueInstant,
  firstCycleOnOrAfter,
  hasCycle,
  INTERVALS,
  lagosDate,
  parseDate,
  periodStart,
  scheduleProblems,
  type Schedule,
} from "../../src/mandates/schedule.js";

const dateArb = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2090-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const monthlyish = fc.constantFrom("monthly", "quarterly", "yearly" as const);
const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  interval: fc.constantFrom(...INTERVALS),
  startDate: dateArb,
  endDate: fc.constant(null),
  count: fc.constant(null),
  dayOfMonth: fc.constant(null),
});
const monthlyArb: fc.Arbitrary<Schedule> = fc.record({
  interval: monthlyish,
  startDate: dateArb,
  endDate: fc.constant(null),
  count: fc.constant(null),
  dayOfMonth: fc.oneof(fc.constant(null), fc.constant(-1), fc.integer({ min: 1, max: 31 })),
});

describe("schedule arithmetic", () => {
  it("the issue's case: monthly from 31 January charges 31 Jan, 28/29 Feb, 31 Mar, 30 Apr", () => {
    const s: Schedule = { interval: "monthly", startDate: "2027-01-31", endDate: null, count: null, dayOfMonth: null };
    expect(cyclesFrom(s, 0, 4).map((c) => c.date)).toEqual(["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]);
    expect(cyclesFrom({ ...s, startDate: "2028-01-31" }, 0, 3).map((c) => c.date)).toEqual(["2028-01-31", "2028-02-29", "2028-03-31"]);
    // -1 is the last day; a day of month before the start date's day moves the first cycle on.
    expect(cyclesFrom({ ...s, startDate: "2027-02-10", dayOfMonth: -1 }, 0, 2).map((c) => c.date)).toEqual(["2027-02-28", "2027-03-31"]);
    expect(cyclesFrom({ ...s, startDate: "2027-02-10", dayOfMonth: 5 }, 0, 2).map((c) => c.date)).toEqual(["2027-03-05", "2027-04-05"]);
  });

  it("cycles are strictly increasing, never before the start, and step by the interval", () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: 0, max: 400 }), (s, n) => {
        const a = cycleDate(s, n);
        const b = cycleDate(s, n + 1);
        expect(a >= s.startDate).toBe(true);
        expect(b > a).toBe(true);
        if (s.interval === "daily") expect(b).toBe(addDays(a, 1));
        if (s.interval === "weekly") expect(b).toBe(addDays(a, 7));
      }),
    );
  });

  it("monthly-like cycles fall in consecutive 1/3/12-month steps, on the anchor day clamped to the month's end (never drifting)", () => {
    fc.assert(
      fc.property(monthlyArb, fc.integer({ min: 0, max: 300 }), (s, n) => {
        const step = s.interval === "monthly" ? 1 : s.interval === "quarterly" ? 3 : 12;
        const a = cycleDate(s, n);
        const b = cycleDate(s, n + 1);
        const months = (d: string) => Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7)) - 1;
        expect(months(b) - months(a)).toBe(step);
        const anchor = s.dayOfMonth ?? Number(s.startDate.slice(8, 10));
        for (const d of [a, b]) {
          const last = daysInMonth(Number(d.slice(0, 4)), Number(d.slice(5, 7)));
          expect(Number(d.slice(8, 10))).toBe(anchor === -1 ? last : Math.min(anchor, last));
        }
        // The first cycle is in the start month or the next period, never later.
        expect(months(cycleDate(s, 0)) - months(s.startDate)).toBeLessThanOrEqual(step);
      }),
    );
  });

  it("count and end date bound the cycles exactly", () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 800 }), (s, count, span) => {
        expect(cyclesFrom({ ...s, count }, 0, 1000)).toHaveLength(count);
        const end = addDays(s.startDate, span);
        const bounded = cyclesFrom({ ...s, endDate: end }, 0, 10_000);
        expect(bounded.every((c) => c.date <= end)).toBe(true);
        expect(hasCycle({ ...s, endDate: end }, bounded.length)).toBe(false);
        expect(cycleDate(s, bounded.length) > end).toBe(true);
      }),
    );
  });

  it("firstCycleOnOrAfter finds the first cycle on or after a date", () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: -30, max: 3000 }), (s, days) => {
        const date = addDays(s.startDate, days);
        const n = firstCycleOnOrAfter(s, date);
        expect(cycleDate(s, n) >= date).toBe(true);
        if (n > 0) expect(cycleDate(s, n - 1) < date).toBe(true);
      }),
    );
  });

  it("a year of monthly cycles is 12, of weekly 52 or 53, of quarterly 4", () => {
    fc.assert(
      fc.property(dateArb, fc.oneof(fc.constant(null), fc.constant(-1), fc.integer({ min: 1, max: 31 })), (start, dom) => {
        const yearEnd = addDays(`${Number(start.slice(0, 4)) + 1}${start.slice(4, 7)}-01`, -1);
        const s: Schedule = { interval: "monthly", startDate: `${start.slice(0, 7)}-01`, endDate: yearEnd, count: null, dayOfMonth: dom };
        expect(cyclesFrom(s, 0, 100)).toHaveLength(12);
        expect(cyclesFrom({ ...s, interval: "quarterly" }, 0, 100)).toHaveLength(4);
        expect([52, 53]).toContain(cyclesFrom({ ...s, interval: "weekly", dayOfMonth: null }, 0, 100).length);
      }),
    );
  });

  it("dates: YYYY-MM-DD and YYYY/MM/DD parse to the same day; impossible days and mixed separators do not", () => {
    fc.assert(
      fc.property(dateArb, (d) => {
        expect(parseDate(d)).toBe(d);
        expect(parseDate(d.replaceAll("-", "/"))).toBe(d);
      }),
    );
    expect(parseDate("2027-02-29")).toBeUndefined();
    expect(parseDate("2028-02-29")).toBe("2028-02-29");
    expect(parseDate("2027-13-01")).toBeUndefined();
    expect(parseDate("2027-02/01")).toBeUndefined();
    expect(parseDate("tomorrow")).toBeUndefined();
    // An instant is its Lagos day: 23:30 UTC is already the next day in Lagos.
    expect(parseDate("2027-03-01T23:30:00Z")).toBe("2027-03-02");
  });

  it("a cycle is due at 08:00 Lagos (07:00 UTC) on its Lagos date", () => {
    fc.assert(
      fc.property(dateArb, (d) => {
        const due = dueInstant(d);
        expect(due.toISOString()).toBe(`${d}T07:00:00.000Z`);
        expect(lagosDate(due)).toBe(d);
      }),
    );
  });

  it("periods: a date lies in its period, which starts on a Monday / the 1st / a quarter / 1 January", () => {
    fc.assert(
      fc.property(dateArb, (d) => {
        expect(new Date(`${periodStart("weekly", d)}T00:00:00Z`).getUTCDay()).toBe(1);
        expect(periodStart("weekly", d) <= d && addDays(periodStart("weekly", d), 7) > d).toBe(true);
        expect(periodStart("monthly", d)).toBe(`${d.slice(0, 7)}-01`);
        expect(["01", "04", "07", "10"]).toContain(periodStart("quarterly", d).slice(5, 7));
        expect(periodStart("yearly", d)).toBe(`${d.slice(0, 4)}-01-01`);
      }),
    );
  });

  it("a schedule that ends before it starts names end_date; day_of_month on a weekly one names day_of_month", () => {
    const s: Schedule = { interval: "monthly", startDate: "2027-05-10", endDate: "2027-05-01", count: null, dayOfMonth: null };
    expect(scheduleProblems(s).map((p) => p.field)).toEqual(["end_date"]);
    expect(scheduleProblems({ ...s, endDate: null, interval: "weekly", dayOfMonth: 3 }).map((p) => p.field)).toEqual(["day_of_month"]);
    expect(scheduleProblems({ ...s, endDate: null, dayOfMonth: 0 }).map((p) => p.field)).toEqual(["day_of_month"]);
    expect(scheduleProblems({ ...s, endDate: "2027-05-20", dayOfMonth: 5 }).map((p) => p.field)).toEqual(["end_date"]);
  });

  it("the schedule in words says how much, how often, from when, until when", () => {
    const s: Schedule = { interval: "monthly", startDate: "2027-01-31", endDate: null, count: 12, dayOfMonth: null };
    expect(describeSchedule(s, 500_000n, "NGN")).toBe("NGN 5,000.00 every month on the 31st (the last day in shorter months), starting 2027-01-31, 12 times (last charge 2027-12-31)");
    expect(describeSchedule({ ...s, count: null }, 1_000_000n, "NGN", 2_500_000n)).toBe(
      "an initial payment of NGN 25,000.00 on 2027-01-31, then payments of NGN 10,000.00 every month on the 31st (the last day in shorter months), on an ongoing basis until cancelled",
    );
  });
});

describe("mandate caps and retries", () => {
  const variable: MandateTerms = {
    debitType: "variable",
    currency: "NGN",
    amount: null,
    maxPerCharge: 50_000n,
    maxTotal: 200_000n,
    maxPerPeriod: 100_000n,
    period: "monthly",
    startDate: "2027-01-01",
    endDate: "2027-12-31",
  };

  it("a charge the checker accepts never exceeds any cap, the currency or the validity", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 300_000n }),
        fc.bigInt({ min: 0n, max: 250_000n }),
        fc.bigInt({ min: 0n, max: 150_000n }),
        fc.integer({ min: -40, max: 400 }),
        fc.constantFrom("NGN", "USD"),
        (amount, chargedTotal, chargedInPeriod, offset, currency) => {
          const date = addDays(variable.startDate, offset);
          const refusal = checkCharge(variable, { amount, currency, date, chargedTotal, chargedInPeriod });
          const fits = currency === "NGN" && date >= "2027-01-01" && date <= "2027-12-31" && amount <= 50_000n && chargedTotal + amount <= 200_000n && chargedInPeriod + amount <= 100_000n;
          expect(refusal === null).toBe(fits);
        },
      ),
    );
    const fixed: MandateTerms = { ...variable, debitType: "fixed", amount: 10_000n, maxPerCharge: null, maxTotal: null, maxPerPeriod: null, period: null };
    expect(checkCharge(fixed, { amount: 10_001n, currency: "NGN", date: "2027-02-01", chargedTotal: 0n, chargedInPeriod: 0n })?.field).toBe("amount");
    expect(checkCharge(fixed, { amount: 10_000n, currency: "NGN", date: "2028-01-01", chargedTotal: 0n, chargedInPeriod: 0n })?.reason).toBe("after_end");
  });

  it("only insufficient funds is retried, at most attempts − 1 times, spacing apart", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.constantFrom("1013", "1027", "1024", "bank_failed", null), (attempt, code) => {
        const at = new Date("2027-03-01T07:00:00Z");
        const next = nextRetry(DEFAULT_RETRY_POLICY, classifyFailure(code), attempt, at);
        expect(next.willRetry).toBe(code === "1013" && attempt < DEFAULT_RETRY_POLICY.attempts);
        if (next.willRetry) expect(next.at.getTime() - at.getTime()).toBe(DEFAULT_RETRY_POLICY.spacingHours * 3_600_000);
      }),
    );
    expect(classifyFailure("1027")).toBe("mandate");
  });

  it("the machine: terminal states charge nothing and only the active state is chargeable", () => {
    for (const s of mandateMachine.states) {
      expect(mandateMachine.is.chargeable(s)).toBe(s === "active");
      if (mandateMachine.isTerminal(s)) expect(mandateMachine.is.live(s)).toBe(false);
    }
    expect(mandateMachine.can("paused", "active")).toBe(true);
    expect(mandateMachine.can("cancelled", "active")).toBe(false);
  });
});
