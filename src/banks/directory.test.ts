import { describe, it, expect } from "vitest";
import { BANK_DIRECTORY } from "./directory.js";
import type { LoginMethod, MfaKind } from "./directory.js";

const ALL_LOGIN_METHODS: readonly LoginMethod[] = ["internet_banking", "mobile_banking", "account_number"];
const ALL_MFA_KINDS: readonly MfaKind[] = ["sms_otp", "hardware_token", "security_question", "none"];

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) dups.add(v);
    seen.add(v);
  }
  return [...dups];
}

describe("BANK_DIRECTORY", () => {
  it("is not empty", () => {
    expect(BANK_DIRECTORY.length).toBeGreaterThanOrEqual(25);
  });

  it("has 24-char lower-case hex ids, unique", () => {
    for (const b of BANK_DIRECTORY) expect(b.id, b.name).toMatch(/^[0-9a-f]{24}$/);
    expect(duplicates(BANK_DIRECTORY.map((b) => b.id))).toEqual([]);
  });

  it("has kebab-case slugs, unique", () => {
    for (const b of BANK_DIRECTORY) expect(b.slug, b.name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(duplicates(BANK_DIRECTORY.map((b) => b.slug))).toEqual([]);
  });

  it("has digit-only CBN codes, unique, 3 digits for commercial/merchant/non-interest banks", () => {
    for (const b of BANK_DIRECTORY) {
      expect(b.cbn_code, b.name).toMatch(/^\d+$/);
      if (b.type === "commercial" || b.type === "merchant" || b.type === "non_interest") {
        expect(b.cbn_code, b.name).toMatch(/^\d{3}$/);
      }
    }
    expect(duplicates(BANK_DIRECTORY.map((b) => b.cbn_code))).toEqual([]);
  });

  it("has 6-digit NIP codes, unique", () => {
    for (const b of BANK_DIRECTORY) expect(b.nip_code, b.name).toMatch(/^\d{6}$/);
    expect(duplicates(BANK_DIRECTORY.map((b) => b.nip_code))).toEqual([]);
  });

  it("keeps Okra's known ids", () => {
    const byId = new Map(BANK_DIRECTORY.map((b) => [b.id, b]));
    expect(byId.get("5d6fe57a4099cc4b210bbeb3")?.slug).toBe("guaranty-trust-bank");
    expect(byId.get("5d6fe57a4099cc4b210bbeb2")?.slug).toBe("first-city-monument-bank");
    expect(byId.get("5d6fe57a4099cc4b210bbeb6")?.slug).toBe("stanbic-ibtc-bank");
    expect(byId.get("5d6fe57a4099cc4b210bbeb3")?.nip_code).toBe("000013");
    expect(byId.get("5d6fe57a4099cc4b210bbeb2")?.nip_code).toBe("000003");
    expect(byId.get("5d6fe57a4099cc4b210bbeb6")?.nip_code).toBe("000012");
  });

  it("has non-empty, duplicate-free login methods, MFA kinds and products, always with auth", () => {
    for (const b of BANK_DIRECTORY) {
      expect(b.login_methods.length, b.name).toBeGreaterThan(0);
      expect(b.mfa_kinds.length, b.name).toBeGreaterThan(0);
      expect(b.products.length, b.name).toBeGreaterThan(0);
      expect(duplicates(b.login_methods), b.name).toEqual([]);
      expect(duplicates(b.mfa_kinds), b.name).toEqual([]);
      expect(duplicates(b.products), b.name).toEqual([]);
      expect(b.products, b.name).toContain("auth");
    }
  });

  it('uses MFA kind "none" only on its own', () => {
    for (const b of BANK_DIRECTORY) {
      if (b.mfa_kinds.includes("none")) expect(b.mfa_kinds, b.name).toEqual(["none"]);
    }
  });

  it("exercises every MFA kind and every login method somewhere", () => {
    const mfa = new Set(BANK_DIRECTORY.flatMap((b) => b.mfa_kinds));
    const login = new Set(BANK_DIRECTORY.flatMap((b) => b.login_methods));
    for (const k of ALL_MFA_KINDS) expect(mfa.has(k), k).toBe(true);
    for (const m of ALL_LOGIN_METHODS) expect(login.has(m), m).toBe(true);
  });

  it("serves at least one of corporate or individual; no corporate at MFBs/mobile money; merchant banks corporate only", () => {
    for (const b of BANK_DIRECTORY) {
      expect(b.corporate || b.individual, b.name).toBe(true);
      if (b.type === "microfinance" || b.type === "mobile_money") expect(b.corporate, b.name).toBe(false);
      if (b.type === "merchant") {
        expect(b.corporate, b.name).toBe(true);
        expect(b.individual, b.name).toBe(false);
      }
    }
  });

  it("has #rrggbb colours", () => {
    for (const b of BANK_DIRECTORY) {
      expect(b.colors.primary, b.name).toMatch(/^#[0-9a-f]{6}$/i);
      expect(b.colors.accent, b.name).toMatch(/^#[0-9a-f]{6}$/i);
    }
  });

  it("is sorted by name, case-insensitively", () => {
    const names = BANK_DIRECTORY.map((b) => b.name.toLowerCase());
    for (let i = 1; i < names.length; i++) {
      expect(names[i - 1]! < names[i]!, `${names[i - 1]} before ${names[i]}`).toBe(true);
    }
  });

  it("has aliases that say something the name and slug do not (the search matches parts of those), each for one bank", () => {
    const compact = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
    for (const b of BANK_DIRECTORY) {
      for (const a of b.aliases) {
        expect(compact(a), `${b.name}: "${a}"`).not.toBe("");
        expect(compact(b.name).includes(compact(a)) || compact(b.slug).includes(compact(a)), `${b.name}: "${a}"`).toBe(false);
      }
    }
    expect(duplicates(BANK_DIRECTORY.flatMap((b) => b.aliases.map(compact)))).toEqual([]);
  });

  it("ranks popular banks 1, 2, 3… without gaps or ties", () => {
    const ranks = BANK_DIRECTORY.flatMap((b) => (b.popular_rank === undefined ? [] : [b.popular_rank])).sort((x, y) => x - y);
    expect(ranks.length).toBeGreaterThan(0);
    expect(ranks).toEqual(ranks.map((_, i) => i + 1));
  });

  it("leaves ALAT out (it shares Wema's codes)", () => {
    expect(BANK_DIRECTORY.find((b) => b.slug === "alat")).toBeUndefined();
  });
});
