import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatNaira, parseNaira } from "../../src/widget/ui/money.js";

/** The widget's naira ⇄ kobo conversions: integer arithmetic, never a float rounding. */
describe("formatNaira", () => {
  it("writes kobo as naira with thousands separators and two decimals", () => {
    expect(formatNaira(0)).toBe("₦0.00");
    expect(formatNaira(5)).toBe("₦0.05");
    expect(formatNaira(29)).toBe("₦0.29");
    expect(formatNaira(100)).toBe("₦1.00");
    expect(formatNaira(123_456)).toBe("₦1,234.56");
    expect(formatNaira(500_000)).toBe("₦5,000.00");
    expect(formatNaira(100_000_000_000)).toBe("₦1,000,000,000.00");
    // Past where k / 100 in floating point would round the last kobo away.
    expect(formatNaira(9_007_199_254_740_991)).toBe("₦90,071,992,547,409.91");
  });
});

describe("parseNaira", () => {
  it("reads what people type: plain, with separators, with a ₦, with one or two decimals", () => {
    expect(parseNaira("5000")).toBe(500_000);
    expect(parseNaira("5,000")).toBe(500_000);
    expect(parseNaira("₦5,000.5")).toBe(500_050);
    expect(parseNaira(" 2,500.50 ")).toBe(250_050);
    expect(parseNaira("0.29")).toBe(29);
    expect(parseNaira("1,234,567.89")).toBe(123_456_789);
  });

  it("refuses what is not an amount", () => {
    for (const bad of ["", "abc", "1.234", "12,34", "1,2345", "-5", "5.", ".5", "2,500.5O", "1e3", "5 000"]) expect(parseNaira(bad), bad).toBeNull();
  });

  it("round-trips every amount it formats", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 15 - 1 }), (k) => {
        expect(parseNaira(formatNaira(k))).toBe(k);
      }),
    );
  });
});
