import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kobo, MAX_KOBO } from "../../src/lib/kobo.js";
import { paymentFee } from "../../src/payments/fees.js";

const amount = fc.bigInt({ min: 1n, max: MAX_KOBO }).map(kobo);
const config = fc.record({ feeBps: fc.integer({ min: 0, max: 10_000 }), feeCapKobo: fc.integer({ min: 0, max: 10_000_000 }) });

describe("paymentFee", () => {
  it("is never more than the amount or the cap, and never negative", () => {
    fc.assert(
      fc.property(amount, config, (a, c) => {
        const fee = paymentFee(a, c);
        expect(fee >= 0n).toBe(true);
        expect(fee <= a).toBe(true);
        expect(fee <= BigInt(c.feeCapKobo)).toBe(true);
      }),
    );
  });

  it("never charges a larger payment less", () => {
    fc.assert(
      fc.property(amount, amount, config, (a, b, c) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(paymentFee(lo, c) <= paymentFee(hi, c)).toBe(true);
      }),
    );
  });

  it("is the rate rounded half up to the kobo, below the cap", () => {
    const defaults = { feeBps: 100, feeCapKobo: 200_000 };
    expect(paymentFee(kobo(250_000), defaults)).toBe(2_500n);
    expect(paymentFee(kobo(50), defaults)).toBe(1n); // 0.5 kobo rounds up
    expect(paymentFee(kobo(49), defaults)).toBe(0n);
    expect(paymentFee(kobo(100_000_000), defaults)).toBe(200_000n); // 1,000,000 capped at 200,000
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 10_000 }), (a, bps) => {
        const exact = Number(a) * bps / 10_000;
        const fee = paymentFee(a, { feeBps: bps, feeCapKobo: Number.MAX_SAFE_INTEGER });
        if (a < 10n ** 11n) expect(Math.abs(Number(fee) - exact)).toBeLessThanOrEqual(0.5);
      }),
    );
  });

  it("refuses a nonsense configuration", () => {
    expect(() => paymentFee(kobo(1), { feeBps: 10_001, feeCapKobo: 0 })).toThrow(RangeError);
    expect(() => paymentFee(kobo(1), { feeBps: 1.5, feeCapKobo: 0 })).toThrow(RangeError);
    expect(() => paymentFee(kobo(1), { feeBps: 1, feeCapKobo: -1 })).toThrow(RangeError);
  });
});
