import { describe, expect, it } from "vitest";
import { BANK_DIRECTORY, popularFirst } from "../../src/banks/directory.js";
import { bankMatches, compactName, searchBanks } from "../../src/widget/ui/bank-search.js";

/**
 * The bank list's search (what the widget's Banks screen filters with), against the real
 * directory: the names Nigerians type find their bank.
 */
const list = popularFirst(BANK_DIRECTORY);
const found = (query: string) => searchBanks(list, query).map((b) => b.slug);

describe("bank search", () => {
  it.each([
    ["GTB", "guaranty-trust-bank"],
    ["GTBank", "guaranty-trust-bank"],
    ["gt bank", "guaranty-trust-bank"],
    ["UBA", "united-bank-for-africa"],
    ["FCMB", "first-city-monument-bank"],
    ["First Bank", "first-bank-of-nigeria"],
    ["firstbank", "first-bank-of-nigeria"],
    ["Stanbic", "stanbic-ibtc-bank"],
    ["Access", "access-bank"],
    ["Opay", "opay"],
    ["ALAT", "wema-bank"],
    ["Diamond", "access-bank"],
  ])("finds %s: %s", (query, slug) => {
    expect(found(query)).toContain(slug);
  });

  it("finds only the one bank for the short names that name one bank", () => {
    for (const [query, slug] of [
      ["GTB", "guaranty-trust-bank"],
      ["UBA", "united-bank-for-africa"],
      ["FCMB", "first-city-monument-bank"],
      ["Opay", "opay"],
    ] as const) {
      expect(found(query), query).toEqual([slug]);
    }
  });

  it("ignores case, spaces and punctuation, in the query and in the names", () => {
    const gtb = BANK_DIRECTORY.find((b) => b.slug === "guaranty-trust-bank")!;
    for (const q of ["gtbank", "GT-Bank", " g t b ", "Guaranty  Trust", "guaranty-trust"]) expect(bankMatches(gtb, q), q).toBe(true);
    expect(compactName("  First-Bank of  Nigeria ")).toBe("firstbankofnigeria");
  });

  it("matches every bank on an empty query and none on a name no bank has", () => {
    expect(found("")).toHaveLength(BANK_DIRECTORY.length);
    expect(found("   ")).toHaveLength(BANK_DIRECTORY.length);
    expect(found("Barclays")).toEqual([]);
  });

  it("keeps the list's order: popular banks first", () => {
    expect(found("bank").slice(0, 4)).toEqual(["access-bank", "guaranty-trust-bank", "zenith-bank", "first-bank-of-nigeria"]);
  });
});

describe("popular banks first", () => {
  it("puts ranked banks first, in rank order, then the rest by name", () => {
    const ranked = BANK_DIRECTORY.filter((b) => b.popular_rank !== undefined);
    expect(ranked.length).toBeGreaterThanOrEqual(5);
    expect(list.slice(0, ranked.length).map((b) => b.popular_rank)).toEqual(ranked.map((_, i) => i + 1));
    const rest = list.slice(ranked.length).map((b) => b.name.toLowerCase());
    expect(rest).toEqual([...rest].sort());
  });
});
