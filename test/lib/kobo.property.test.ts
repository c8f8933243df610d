import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, kobo, KoboError, MAX_KOBO, positiveKobo, subtractKobo, sumKobo, toWire } from "../../src/lib/kobo.js";

const amount = fc.bigInt({ min: 0n, max: MAX_KOBO });
const weights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 20 }).filter((ws) => ws.some((w) => w > 0n));

describe("kobo", () => {
  it("accepts every non-negative integer up to 10^15 and goes to the wire and back unchanged", () => {
    fc.assert(
      fc.property(amount, (n) => {
        const k = kobo(n);
        expect(toWire(k)).toBe(Number(n));
        expect(kobo(toWire(k))).toBe(k);
      }),
    );
  });

  it("refuses fractions, NaN, infinities, negatives and amounts above 10^15 with a KoboError", () => {
    fc.assert(
      fc.property(fc.double().filter((d) => !Number.isInteger(d)), (d) => {
        expect(() => kobo(d)).toThrow(KoboError);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: -1n }), (n) => {
        expect(() => kobo(n)).toThrow(/must not be negative/);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: MAX_KOBO + 1n, max: 10n ** 30n }), (n) => {
        expect(() => kobo(n)).toThrow(/too large/);
      }),
    );
    expect(() => kobo(Number.NaN)).toThrow(/NaN/);
    expect(() => kobo(Number.POSITIVE_INFINITY)).toThrow(KoboError);
    expect(() => kobo(0.1 + 0.2)).toThrow(/fraction/);
    expect(() => kobo(2 ** 53)).toThrow(/too large/);
    expect(() => positiveKobo(0)).toThrow(/greater than zero/);
  });

  it("never subtracts below zero and never sums above the maximum", () => {
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        if (b > a) expect(() => subtractKobo(kobo(a), kobo(b))).toThrow(KoboError);
        else expect(subtractKobo(kobo(a), kobo(b))).toBe(a - b);
        if (a + b > MAX_KOBO) expect(() => sumKobo([kobo(a), kobo(b)])).toThrow(KoboError);
        else expect(sumKobo([kobo(a), kobo(b)])).toBe(a + b);
      }),
    );
  });
});

describe("allocate (largest remainder)", () => {
  it("always splits the total into shares that sum to exactly the total", () => {
    fc.assert(
      fc.property(amount, weights, (total, ws) => {
        const shares = allocate(kobo(total), ws);
        expect(shares).toHaveLength(ws.length);
        expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
      }),
    );
  });

  it("gives each share its exact proportion rounded down or up by at most one kobo, and zero weights nothing", () => {
    fc.assert(
      fc.property(amount, weights, (total, ws) => {
        const sum = ws.reduce((a, b) => a + b, 0n);
        allocate(kobo(total), ws).forEach((share, i) => {
          const w = ws[i] as bigint;
          const floor = (total * w) / sum;
          expect(share === floor || share === floor + 1n).toBe(true);
          if (w === 0n) expect(share).toBe(0n);
        });
      }),
    );
  });

  it("accepts number weights like bigint weights and is deterministic", () => {
    fc.assert(
      fc.property(amount, fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 10 }), (total, ws) => {
        expect(allocate(kobo(total), ws)).toEqual(allocate(kobo(total), ws.map(BigInt)));
      }),
    );
    expect(allocate(kobo(100), [1, 1, 1])).toEqual([34n, 33n, 33n]);
  });

  it("refuses an empty, all-zero, negative or fractional weight list", () => {
    expect(() => allocate(kobo(1), [])).toThrow(KoboError);
    expect(() => allocate(kobo(1), [0, 0])).toThrow(/positive weight/);
    expect(() => allocate(kobo(1), [1, -1])).toThrow(/negative/);
    expect(() => allocate(kobo(1), [0.5])).toThrow(/integer/);
  });
});
