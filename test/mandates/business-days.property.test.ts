import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NG_HOLIDAYS } from "../../src/mandates/holidays.js";
import { addDays, chargeDate, chargesFrom, cycleDate, firstChargeOnOrAfter, INTERVALS, isBusinessDay, type BusinessDays, type Schedule } from "../../src/mandates/schedule.js";

/**
 * Business-day rolling (decision 0027): a charge falling on a weekend or Nigerian public holiday is
 * taken on the next (or previous) business day, within its month for monthly-or-longer schedules
 * and within the schedule's start and end; the cycles' own dates (the anchor) never move.
 */
const dateArb = fc.date({ min: new Date("2025-10-01T00:00:00Z"), max: new Date("2028-03-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const rolling = fc.constantFrom<BusinessDays>("next", "previous");
const scheduleArb = (mode: fc.Arbitrary<BusinessDays>): fc.Arbitrary<Schedule> =>
  fc.record({
    interval: fc.constantFrom("weekly", "monthly", "quarterly", "yearly" as const),
    startDate: dateArb,
    endDate: fc.constant(null),
    count: fc.constant(null),
    dayOfMonth: fc.oneof(fc.constant(null), fc.constant(-1), fc.integer({ min: 1, max: 31 })),
    businessDays: mode,
  }).map((s) => (s.interval === "weekly" ? { ...s, dayOfMonth: null } : s));
const cycleArb = fc.integer({ min: 0, max: 30 });
const s = (over: Partial<Schedule>): Schedule => ({ interval: "monthly", startDate: "2027-01-31", endDate: null, count: null, dayOfMonth: null, businessDays: "next", ...over });
const dates = (sch: Schedule, n: number) => Array.from({ length: n }, (_, k) => chargeDate(sch, k));

describe("business days", () => {
  it("weekends and the listed holidays are not business days", () => {
    expect(["2027-01-30", "2027-01-31", "2026-12-25", "2026-12-28", "2027-10-01"].map((d) => isBusinessDay(d))).toEqual([false, false, false, false, false]);
    expect(["2027-02-01", "2026-12-29", "2027-09-30"].map((d) => isBusinessDay(d))).toEqual([true, true, true]);
  });

  it("monthly from Sunday 31 January 2027: 1 Feb (the start bars the Friday before), Friday 26 Feb (not 1 March), 31 Mar, 30 Apr — the anchor stays the 31st", () => {
    expect(dates(s({}), 5)).toEqual(["2027-02-01", "2027-02-26", "2027-03-31", "2027-04-30", "2027-05-31"]);
    expect(Array.from({ length: 5 }, (_, k) => cycleDate(s({}), k))).toEqual(["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]);
    expect(dates(s({ businessDays: "none" }), 3)).toEqual(["2027-01-31", "2027-02-28", "2027-03-31"]);
    // Previous: Sunday 31 October 2027 → Friday 29th.
    expect(chargeDate(s({ businessDays: "previous" }), 9)).toBe("2027-10-29");
  });

  it("public holidays: New Year 2027 (a Friday) moves to Monday 4th; Christmas 2026 (Friday) past Boxing Day observed to Tuesday 29th", () => {
    expect(chargeDate(s({ startDate: "2026-12-01", dayOfMonth: 1 }), 1)).toBe("2027-01-04");
    // Previous would leave January: it stays in the month, going forward.
    expect(chargeDate(s({ startDate: "2026-12-01", dayOfMonth: 1, businessDays: "previous" }), 1)).toBe("2027-01-04");
    expect(chargeDate(s({ interval: "weekly", startDate: "2026-12-18" }), 1)).toBe("2026-12-29");
    expect(chargeDate(s({ interval: "weekly", startDate: "2026-12-18", businessDays: "previous" }), 1)).toBe("2026-12-24");
  });

  it("daily schedules never move; `none` never moves", () => {
    fc.assert(
      fc.property(dateArb, cycleArb, rolling, (start, n, mode) => {
        expect(chargeDate({ interval: "daily", startDate: start, endDate: null, count: null, dayOfMonth: null, businessDays: mode }, n)).toBe(addDays(start, n));
      }),
    );
    fc.assert(
      fc.property(scheduleArb(fc.constant<BusinessDays>("none")), cycleArb, (sch, n) => {
        expect(chargeDate(sch, n)).toBe(cycleDate(sch, n));
      }),
    );
  });

  it("every charge falls on a business day, the nearest one in its direction (or the other, to stay in its month and after the start)", () => {
    fc.assert(
      fc.property(scheduleArb(rolling), cycleArb, (sch, n) => {
        const own = cycleDate(sch, n);
        const d = chargeDate(sch, n);
        expect(isBusinessDay(d)).toBe(true);
        expect(d >= sch.startDate).toBe(true);
        // Nothing between the cycle's own date and its charge is a business day: it is the nearest on that side.
        const [lo, hi] = d < own ? [d, own] : [own, d];
        for (let x = addDays(lo, 1); x < hi; x = addDays(x, 1)) expect(isBusinessDay(x)).toBe(false);
        expect(Math.abs(Date.parse(d) - Date.parse(own))).toBeLessThan(7 * 86_400_000);
        if (isBusinessDay(own)) expect(d).toBe(own);
        // Monthly-or-longer: the charge stays in its cycle's month, unless that would put it before the start.
        if (sch.interval !== "weekly" && d.slice(0, 7) !== own.slice(0, 7)) expect(n === 0 && d > own).toBe(true);
        // The preferred direction is taken when it keeps the month and the start.
        if (sch.businessDays === "next" && d < own) expect(d.slice(0, 7) === own.slice(0, 7)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("charge days are strictly increasing, and the cycles' own dates are the anchor's whatever the rolling", () => {
    fc.assert(
      fc.property(scheduleArb(rolling), fc.integer({ min: 0, max: 40 }), (sch, n) => {
        expect(chargeDate(sch, n + 1) > chargeDate(sch, n)).toBe(true);
        expect(cycleDate(sch, n)).toBe(cycleDate({ ...sch, businessDays: "none" }, n));
      }),
      { numRuns: 500 },
    );
  });

  it("firstChargeOnOrAfter gives the first cycle charged on or after a day; chargesFrom lists both dates", () => {
    fc.assert(
      fc.property(scheduleArb(rolling), fc.integer({ min: -20, max: 500 }), (sch, days) => {
        const day = addDays(sch.startDate, days);
        const k = firstChargeOnOrAfter(sch, day);
        expect(chargeDate(sch, k) >= day).toBe(true);
        if (k > 0) expect(chargeDate(sch, k - 1) < day).toBe(true);
        const [c] = chargesFrom(sch, k, 1);
        expect(c).toEqual({ cycle: k, date: chargeDate(sch, k), scheduledDate: cycleDate(sch, k) });
      }),
      { numRuns: 500 },
    );
  });

  it("a charge moved past the end date goes the other way; every listed holiday is a weekday", () => {
    // Sunday 28 February 2027, schedule ending that day: Friday 26th rather than after the end.
    expect(chargeDate(s({ startDate: "2027-01-28", endDate: "2027-02-28", dayOfMonth: 28 }), 1)).toBe("2027-02-26");
    for (const h of NG_HOLIDAYS) expect(isBusinessDay(h, new Set())).toBe(true);
  });
});
void INTERVALS;
