import { describe, expect, it } from "vitest";
import { BANK_DIRECTORY } from "../../../src/banks/directory.js";
import { inMaintenance, SANDBOX_BANKS, sandboxProfile } from "../../../src/banks/sandbox/profiles.js";
import type { SandboxBankProfile } from "../../../src/banks/sandbox/types.js";

function bySlug(slug: string): SandboxBankProfile {
  const profile = SANDBOX_BANKS.find((p) => p.slug === slug);
  if (!profile) throw new Error(`no sandbox bank ${slug}`);
  return profile;
}

/** An instant given in Lagos wall-clock time (WAT, UTC+1). */
function wat(local: string): Date {
  return new Date(`${local}+01:00`);
}

describe("SANDBOX_BANKS", () => {
  it("has one profile per directory bank (35), in directory order, with its codes", () => {
    expect(SANDBOX_BANKS).toHaveLength(35);
    expect(SANDBOX_BANKS.map((p) => p.bankId)).toEqual(BANK_DIRECTORY.map((b) => b.id));
    for (const [i, bank] of BANK_DIRECTORY.entries()) {
      const p = SANDBOX_BANKS[i]!;
      expect(p, bank.slug).toMatchObject({ slug: bank.slug, name: bank.name, cbnCode: bank.cbn_code, nipCode: bank.nip_code, corporate: bank.corporate });
      expect(p.loginMethods).toEqual(bank.login_methods);
      expect(sandboxProfile(bank.id)).toBe(p);
    }
    expect(sandboxProfile("000000000000000000000000")).toBeUndefined();
  });

  it("derives the second factors from the directory's mfa_kinds", () => {
    for (const bank of BANK_DIRECTORY) {
      const p = sandboxProfile(bank.id)!;
      const soft = bank.mfa_kinds.find((k) => k === "sms_otp" || k === "security_question");
      const expected = soft ?? (bank.mfa_kinds.includes("hardware_token") ? "hardware_token" : "none");
      expect(p.mfa, bank.slug).toBe(expected);
      expect(p.corporateMfa, bank.slug).toBe(bank.mfa_kinds.includes("hardware_token") ? "hardware_token" : expected);
    }
    expect(bySlug("standard-chartered-bank")).toMatchObject({ mfa: "sms_otp", corporateMfa: "hardware_token" });
    expect(bySlug("citibank-nigeria")).toMatchObject({ mfa: "hardware_token", corporateMfa: "hardware_token" });
    expect(bySlug("opay")).toMatchObject({ mfa: "none", corporateMfa: "none" });
  });

  it("gives every bank a deterministic latency, limits and a one-line description", () => {
    for (const p of SANDBOX_BANKS) {
      if (p.slug !== "first-bank-of-nigeria") {
        expect(p.baseLatencyMs, p.slug).toBeGreaterThanOrEqual(60);
        expect(p.baseLatencyMs, p.slug).toBeLessThanOrEqual(200);
        expect(p.jitterMs, p.slug).toBe(100);
      }
      expect(p.dailyLimit).toEqual({ individual: 500_000_000, corporate: 5_000_000_000 });
      expect(p.habits, p.slug).toMatch(/^[A-Z][^\n]+\.$/);
    }
    expect(new Set(SANDBOX_BANKS.map((p) => p.baseLatencyMs)).size).toBeGreaterThan(10);
    expect(Object.isFrozen(SANDBOX_BANKS) && SANDBOX_BANKS.every((p) => Object.isFrozen(p))).toBe(true);
  });

  it("makes First Bank slow: 1.2–3 s per call", () => {
    const fbn = bySlug("first-bank-of-nigeria");
    expect(fbn).toMatchObject({ baseLatencyMs: 1200, jitterMs: 1800 });
    expect(fbn.habits).toContain("slow");
  });

  it("gives only Union Bank a maintenance window, 01:00–02:00 Lagos time", () => {
    expect(SANDBOX_BANKS.filter((p) => p.maintenance).map((p) => p.slug)).toEqual(["union-bank-of-nigeria"]);
    expect(bySlug("union-bank-of-nigeria").maintenance).toEqual({ from: "01:00", to: "02:00" });
  });
});

describe("inMaintenance", () => {
  const union = bySlug("union-bank-of-nigeria");

  it("holds Union Bank down from 01:00 (inclusive) to 02:00 (exclusive) WAT, every day", () => {
    expect(inMaintenance(union, wat("2026-03-10T00:59:59.999"))).toEqual({ down: false });
    expect(inMaintenance(union, wat("2026-03-10T01:00:00"))).toEqual({ down: true, until: wat("2026-03-10T02:00:00") });
    expect(inMaintenance(union, wat("2026-03-10T01:59:00"))).toEqual({ down: true, until: wat("2026-03-10T02:00:00") });
    expect(inMaintenance(union, wat("2026-03-10T01:59:59.999"))).toEqual({ down: true, until: wat("2026-03-10T02:00:00") });
    expect(inMaintenance(union, wat("2026-03-10T02:00:00"))).toEqual({ down: false });
    // 01:30 WAT is 00:30 UTC: the window follows Lagos, not UTC.
    expect(inMaintenance(union, new Date("2026-03-10T00:30:00Z")).down).toBe(true);
    expect(inMaintenance(union, new Date("2026-03-10T01:30:00Z")).down).toBe(false);
    // Across a year boundary and on a leap day.
    expect(inMaintenance(union, wat("2027-01-01T01:15:00"))).toEqual({ down: true, until: wat("2027-01-01T02:00:00") });
    expect(inMaintenance(union, wat("2028-02-29T01:00:00")).down).toBe(true);
  });

  it("is never down for banks without a window", () => {
    expect(inMaintenance(bySlug("access-bank"), wat("2026-03-10T01:30:00"))).toEqual({ down: false });
  });

  it("handles windows that cross midnight", () => {
    const night = { ...union, maintenance: { from: "23:30", to: "00:30" } };
    expect(inMaintenance(night, wat("2026-03-10T23:29:59"))).toEqual({ down: false });
    expect(inMaintenance(night, wat("2026-03-10T23:30:00"))).toEqual({ down: true, until: wat("2026-03-11T00:30:00") });
    expect(inMaintenance(night, wat("2026-03-11T00:00:00"))).toEqual({ down: true, until: wat("2026-03-11T00:30:00") });
    expect(inMaintenance(night, wat("2026-03-11T00:29:59"))).toEqual({ down: true, until: wat("2026-03-11T00:30:00") });
    expect(inMaintenance(night, wat("2026-03-11T00:30:00"))).toEqual({ down: false });
  });

  it("keeps a weekday window to the day it starts on, even past midnight", () => {
    // 2026-03-08 is a Sunday.
    const sunday = { ...union, maintenance: { weekday: 0, from: "23:00", to: "01:00" } };
    expect(inMaintenance(sunday, wat("2026-03-08T23:30:00"))).toEqual({ down: true, until: wat("2026-03-09T01:00:00") });
    expect(inMaintenance(sunday, wat("2026-03-09T00:30:00"))).toEqual({ down: true, until: wat("2026-03-09T01:00:00") });
    expect(inMaintenance(sunday, wat("2026-03-09T23:30:00"))).toEqual({ down: false });
    expect(inMaintenance(sunday, wat("2026-03-08T00:30:00"))).toEqual({ down: false });
  });

  it("rejects invalid dates and malformed windows", () => {
    expect(() => inMaintenance(union, new Date(Number.NaN))).toThrow(RangeError);
    expect(() => inMaintenance({ ...union, maintenance: { from: "1:00", to: "02:00" } }, wat("2026-03-10T01:30:00"))).toThrow(RangeError);
    expect(() => inMaintenance({ ...union, maintenance: { from: "02:00", to: "02:00" } }, wat("2026-03-10T01:30:00"))).toThrow(RangeError);
    expect(() => inMaintenance({ ...union, maintenance: { weekday: 7, from: "01:00", to: "02:00" } }, wat("2026-03-10T01:30:00"))).toThrow(RangeError);
  });
});
