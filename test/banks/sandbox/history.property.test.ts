import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lagosDay, lagosDayStart, mergeHistory, type Posting } from "../../../src/banks/sandbox/history.js";
import type { GeneratedTxn } from "../../../src/banks/sandbox/types.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const amount = fc.integer({ min: -5_000_000, max: 5_000_000 }).filter((n) => n !== 0);
const generated = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), amount), { maxLength: 60 })
  .map((xs) =>
    xs
      .sort((a, b) => a[0] - b[0])
      .map(([t, a], i): GeneratedTxn => ({ id: `g${i}`, postedAt: new Date(T0 + t * 1000).toISOString(), amount: a, narration: "gen", category: "other" })),
  );
const postings = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), amount), { maxLength: 30 })
  .map((xs) => xs.sort((a, b) => a[0] - b[0]).map(([t, a], i): Posting => ({ id: `p${i}`, at: T0 + t * 1000, amount: a, narration: "post", category: "transfer_out" })));

describe("mergeHistory", () => {
  it("running balances add up: opening + every line = the final balance, line by line", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), generated, postings, (opening, gen, post) => {
        const { lines, balance } = mergeHistory(opening, gen, post, Infinity);
        let running = opening;
        for (const line of lines) {
          running += line.amount;
          expect(line.balance).toBe(running);
        }
        expect(balance).toBe(running);
      }),
    );
  });

  it("keeps every posting, in time order, and never lets a generated debit overdraw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), generated, postings, (opening, gen, post) => {
        const { lines } = mergeHistory(opening, gen, post, Infinity);
        expect(lines.filter((l) => l.narration === "post").map((l) => l.id)).toEqual(post.map((p) => p.id));
        for (let i = 1; i < lines.length; i++) expect(lines[i]!.at).toBeGreaterThanOrEqual(lines[i - 1]!.at);
        lines.forEach((line, i) => {
          if (line.narration === "gen" && line.amount < 0) expect(line.balance).toBeGreaterThanOrEqual(0);
          if (line.narration === "gen" && line.amount < 0 && i > 0) expect(lines[i - 1]!.balance + line.amount).toBe(line.balance);
        });
      }),
    );
  });

  it("stops at `until`", () => {
    fc.assert(
      fc.property(generated, postings, fc.integer({ min: 0, max: 1_000_000 }), (gen, post, cut) => {
        const until = T0 + cut * 1000;
        const { lines } = mergeHistory(1_000_000_000, gen, post, until);
        expect(lines.every((l) => l.at <= until)).toBe(true);
        expect(lines.length).toBe(gen.filter((g) => Date.parse(g.postedAt) <= until).length + post.filter((p) => p.at <= until).length);
      }),
    );
  });
});

describe("Lagos days", () => {
  it("start at 23:00 UTC the evening before", () => {
    expect(lagosDay(new Date("2026-03-09T22:59:59Z"))).toBe("2026-03-09");
    expect(lagosDay(new Date("2026-03-09T23:00:00Z"))).toBe("2026-03-10");
    expect(new Date(lagosDayStart("2026-03-10")).toISOString()).toBe("2026-03-09T23:00:00.000Z");
  });
});
