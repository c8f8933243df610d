import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ID_PATTERN, isId, newId } from "../../src/lib/ids.js";

describe("newId", () => {
  it("is always 24 lower-case hex characters and unique across 10,000 draws", () => {
    const ids = Array.from({ length: 10_000 }, () => newId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is unique across 10,000 draws within the same second", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const ids = new Set(Array.from({ length: 10_000 }, () => newId(now)));
    expect(ids.size).toBe(10_000);
  });

  it("is 24-hex for any date, starting with the seconds since the epoch (so ids sort by creation)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date("2106-02-07T06:28:15Z"), noInvalidDate: true }), (date) => {
        const id = newId(date);
        expect(id).toMatch(ID_PATTERN);
        expect(isId(id)).toBe(true);
        expect(parseInt(id.slice(0, 8), 16)).toBe(Math.floor(date.getTime() / 1000));
      }),
    );
  });

  it("stays 24-hex even for dates outside the 32-bit seconds range", () => {
    for (const date of [new Date(-1), new Date("1900-01-01"), new Date("2200-01-01"), new Date(Number.NaN)]) {
      expect(newId(date)).toMatch(ID_PATTERN);
    }
  });

  it("isId refuses anything but a 24-hex string", () => {
    for (const bad of ["", "A".repeat(24), "0".repeat(23), "0".repeat(25), 123, null, undefined, { id: "0".repeat(24) }]) {
      expect(isId(bad)).toBe(false);
    }
  });
});
