import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidNuban } from "../../../src/banks/nuban.js";
import { accountTimeline, generateCustomer } from "../../../src/banks/sandbox/generate.js";
import { TELCOS } from "../../../src/banks/sandbox/names.js";
import { SANDBOX_BANKS } from "../../../src/banks/sandbox/profiles.js";
import { MAX_SANDBOX_KOBO } from "../../../src/banks/sandbox/traits.js";
import type { CustomerSpec, CustomerTraits, GeneratedAccount, GeneratedCustomer, GeneratedTxn } from "../../../src/banks/sandbox/types.js";

const DAY_MS = 86_400_000;
const LAGOS_OFFSET_MS = 3_600_000;
const PREFIXES = new Set(TELCOS.flatMap((t) => t.prefixes));
const INDIVIDUAL_FIELDS = ["firstName", "middleName", "lastName", "bvn", "dateOfBirth", "gender", "phones", "emails", "address", "maritalStatus", "nationality"] as const;
const CORPORATE_FIELDS = ["phones", "emails", "address", "rcNumber"] as const;

const traitsArb: fc.Arbitrary<CustomerTraits> = fc.record(
  {
    type: fc.constantFrom("ind" as const, "corp" as const),
    volume: fc.constantFrom("low" as const, "medium" as const, "high" as const),
    identity: fc.integer({ min: 1, max: 100 }),
    noOfAccount: fc.integer({ min: 1, max: 5 }),
    internetSpeed: fc.integer({ min: 2, max: 4 }),
    balance: fc.integer({ min: 0, max: 10_000_000_000 }),
    // Only combinations the rule allows (traits.ts): no amount without income, a payday only for salary.
    income: fc.oneof(
      fc.record({ kind: fc.constant("salary" as const), amount: fc.integer({ min: 1, max: 5_000_000_000 }), payday: fc.integer({ min: 1, max: 31 }) }, { requiredKeys: ["kind"] }),
      fc.record(
        { kind: fc.constantFrom("business" as const, "irregular" as const), amount: fc.integer({ min: 1, max: 5_000_000_000 }) },
        { requiredKeys: ["kind"] },
      ),
      fc.constant({ kind: "none" as const }),
    ),
  },
  { requiredKeys: ["type", "volume", "identity", "noOfAccount", "internetSpeed"] },
);

const specArb: fc.Arbitrary<CustomerSpec> = fc.record({
  seed: fc.string({ minLength: 1, maxLength: 16 }),
  bank: fc.constantFrom(...SANDBOX_BANKS),
  traits: traitsArb,
  anchor: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
});

function spec(seed: string, traits: Partial<CustomerTraits> = {}, bankSlug = "guaranty-trust-bank"): CustomerSpec {
  return {
    seed,
    bank: SANDBOX_BANKS.find((b) => b.slug === bankSlug)!,
    anchor: "2026-11-15T10:00:00.000Z",
    traits: { type: "ind", volume: "medium", identity: 100, noOfAccount: 1, internetSpeed: 3, ...traits },
  };
}

/** Which optional identity fields a customer has (non-empty arrays count as present). */
function fieldsOf(customer: GeneratedCustomer): string[] {
  return Object.entries(customer.identity)
    .filter(([k, v]) => k !== "kind" && k !== "fullName" && (Array.isArray(v) ? v.length > 0 : v !== undefined))
    .map(([k]) => k);
}

/** Lagos calendar month ("2026-11") of an instant. */
function lagosMonth(ms: number): string {
  return new Date(ms + LAGOS_OFFSET_MS).toISOString().slice(0, 7);
}

/** What is wrong with a history (the first problem found), or `undefined` when it keeps every invariant. */
function timelineProblem(account: GeneratedAccount, until: Date, lines: readonly GeneratedTxn[]): string | undefined {
  const opened = Date.parse(account.openedAt);
  let balance = account.openingBalance;
  let previous = opened;
  const ids = new Set<string>();
  for (const line of lines) {
    const at = Date.parse(line.postedAt);
    balance += line.amount;
    const problem =
      !Number.isSafeInteger(line.amount) || line.amount === 0 ? "amount is not a non-zero integer"
      : balance < 0 ? `balance goes negative (${balance})`
      : balance > MAX_SANDBOX_KOBO ? `balance goes above ${MAX_SANDBOX_KOBO} kobo (${balance})`
      : !(at >= previous) ? "out of order, or before openedAt"
      : at > until.getTime() ? "after until"
      : ids.has(line.id) ? "duplicate id"
      : !/^\S.*\S$/.test(line.narration) ? "blank or padded narration"
      : line.sessionId !== undefined && !(/^[0-9]{30}$/.test(line.sessionId) && line.reference !== undefined) ? "bad NIP session id or no reference"
      : ["transfer_in", "transfer_out", "salary", "rent"].includes(line.category) && !/^[A-Za-z0-9_-]{1,64}$/.test(line.reference ?? "") ? "transfer without a reference"
      : undefined;
    if (problem !== undefined) return `${line.id} ${JSON.stringify(line)}: ${problem}`;
    previous = at;
    ids.add(line.id);
  }
  return undefined;
}

describe("generateCustomer", () => {
  it("is deterministic: the same spec gives a deep-equal customer and histories", () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const a = generateCustomer(s);
        const b = generateCustomer(structuredClone(s));
        expect(b).toEqual(a);
        const until = new Date(s.anchor);
        expect(accountTimeline(b.accounts[0]!, until)).toEqual(accountTimeline(a.accounts[0]!, until));
      }),
      { numRuns: 40 },
    );
  });

  it("gives different seeds different customers", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 16 }), { minLength: 2, maxLength: 2 }), traitsArb, ([s1, s2], traits) => {
        const a = generateCustomer({ ...spec(s1!), traits });
        const b = generateCustomer({ ...spec(s2!), traits });
        expect(a.accounts[0]!.nuban).not.toBe(b.accounts[0]!.nuban);
        expect(a).not.toEqual(b);
      }),
    );
  });

  it("gives every account a NUBAN valid for its bank, distinct, avoiding the given ones", () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const first = generateCustomer(s);
        const nubans = first.accounts.map((a) => a.nuban);
        expect(nubans).toHaveLength(s.traits.noOfAccount);
        expect(new Set(nubans).size).toBe(nubans.length);
        for (const n of nubans) expect(isValidNuban(s.bank.cbnCode, n), `${s.bank.slug} ${n}`).toBe(true);
        const again = generateCustomer({ ...s, avoidNubans: new Set(nubans) });
        for (const a of again.accounts) {
          expect(nubans).not.toContain(a.nuban);
          expect(isValidNuban(s.bank.cbnCode, a.nuban)).toBe(true);
        }
      }),
    );
  });

  it("gives individuals a full Nigerian identity at completeness 100", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.constantFrom(...SANDBOX_BANKS), (seed, bank) => {
        const c = generateCustomer({ ...spec(seed), bank });
        const id = c.identity;
        expect(fieldsOf(c).sort()).toEqual([...INDIVIDUAL_FIELDS].sort());
        expect(id.kind).toBe("individual");
        expect(id.bvn).toMatch(/^22[0-9]{9}$/);
        expect(id.fullName).toBe(`${id.firstName} ${id.middleName} ${id.lastName}`);
        expect(id.nationality).toBe("Nigerian");
        expect(id.address?.country).toBe("Nigeria");
        for (const phone of [c.phone, ...id.phones]) {
          expect(phone).toMatch(/^0[0-9]{10}$/);
          expect(PREFIXES.has(phone.slice(0, 4))).toBe(true);
        }
        expect(id.phones[0]).toBe(c.phone);
        for (const email of id.emails) expect(email).toMatch(/^[a-z0-9.]+@[a-z0-9.]+\.[a-z]+$/);
        expect(c.username).toMatch(/^[a-z0-9]+(\.[a-z0-9]+)?[0-9]*$/);
        // Age 19–70 at the anchor (15 Nov 2026).
        const [y, m, d] = id.dateOfBirth!.split("-").map(Number) as [number, number, number];
        const age = 2026 - y - (m > 11 || (m === 11 && d > 15) ? 1 : 0);
        expect(age).toBeGreaterThanOrEqual(19);
        expect(age).toBeLessThanOrEqual(70);
        for (const a of c.accounts) {
          expect(a.name).toBe(id.fullName.toUpperCase());
          expect(a.currency).toBe("NGN");
          expect(a.dailyDebitLimit).toBe(500_000_000);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("gives corporates a company identity with no BVN, date of birth or gender", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 5 }), (seed, noOfAccount) => {
        const c = generateCustomer(spec(seed, { type: "corp", noOfAccount }));
        expect(c.type).toBe("corp");
        expect(c.identity.kind).toBe("corporate");
        expect(c.identity.fullName).toMatch(/ (Limited|Ventures|Nigeria Ltd)$/);
        expect(c.identity.rcNumber).toMatch(/^RC[1-9][0-9]{5,6}$/);
        expect(fieldsOf(c).sort()).toEqual([...CORPORATE_FIELDS].sort());
        for (const absent of ["bvn", "dateOfBirth", "gender", "firstName", "lastName", "maritalStatus"] as const) expect(c.identity[absent]).toBeUndefined();
        expect(c.accounts.map((a) => a.type)).toEqual(["corporate", ...Array<string>(noOfAccount - 1).fill("current")]);
        for (const a of c.accounts) expect(a.dailyDebitLimit).toBe(5_000_000_000);
      }),
      { numRuns: 60 },
    );
  });

  it("drops identity fields monotonically as completeness falls, never the name", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.constantFrom("ind" as const, "corp" as const), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (seed, type, p, q) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        const low = generateCustomer(spec(seed, { type, identity: lo }));
        const high = generateCustomer(spec(seed, { type, identity: hi }));
        expect(low.identity.fullName).toBe(high.identity.fullName);
        const highFields = fieldsOf(high);
        for (const field of fieldsOf(low)) {
          expect(highFields).toContain(field);
          expect(low.identity[field as keyof typeof low.identity]).toEqual(high.identity[field as keyof typeof high.identity]);
        }
        const total = type === "ind" ? INDIVIDUAL_FIELDS.length : CORPORATE_FIELDS.length;
        expect(fieldsOf(low).length).toBe(Math.round((total * lo) / 100));
        // Completeness changes the identity only: phone, username and accounts stay.
        expect(low.phone).toBe(high.phone);
        expect(low.accounts).toEqual(high.accounts);
      }),
    );
  });

  it("uses the given name and opening balance", () => {
    const c = generateCustomer(spec("named", { name: "  Adaeze   Okafor ", balance: 1_234_567 }));
    expect(c.identity).toMatchObject({ fullName: "Adaeze Okafor", firstName: "Adaeze", lastName: "Okafor", gender: "female" });
    expect(c.identity.middleName).toBeUndefined();
    expect(c.username).toMatch(/^adaeze\.okafor[0-9]*$/);
    expect(c.accounts[0]!).toMatchObject({ name: "ADAEZE OKAFOR", openingBalance: 1_234_567 });
    const corp = generateCustomer(spec("named", { type: "corp", name: "Okro Test Ventures" }));
    expect(corp.identity.fullName).toBe("Okro Test Ventures");
    expect(corp.accounts[0]!.name).toBe("OKRO TEST VENTURES");
    expect(corp.username).toBe("okro.test");
  });

  it("opens accounts 12–24 months before the anchor, on a weekday in banking hours, savings first", () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const c = generateCustomer(s);
        const anchor = Date.parse(s.anchor);
        for (const [i, a] of c.accounts.entries()) {
          const opened = Date.parse(a.openedAt);
          expect(anchor - opened).toBeGreaterThanOrEqual(365 * DAY_MS);
          // 24 calendar months are 731 days when they span a 29 February.
          expect(anchor - opened).toBeLessThanOrEqual(731 * DAY_MS);
          const local = new Date(opened + LAGOS_OFFSET_MS);
          expect([1, 2, 3, 4, 5]).toContain(local.getUTCDay());
          expect(local.getUTCHours()).toBeGreaterThanOrEqual(8);
          expect(local.getUTCHours()).toBeLessThan(17);
          expect(Number.isSafeInteger(a.openingBalance) && a.openingBalance >= 0).toBe(true);
          if (i === 0 && s.traits.balance !== undefined) expect(a.openingBalance).toBe(s.traits.balance);
          if (s.traits.type === "ind") expect(a.type).toBe(i === 0 ? "savings" : i === 1 ? "current" : a.type);
          expect(JSON.parse(JSON.stringify(a.profile))).toEqual(a.profile);
        }
      }),
    );
  });

  it("rejects traits out of range", () => {
    const bad: Array<Partial<CustomerTraits>> = [
      { identity: 0 },
      { identity: 101 },
      { identity: 50.5 },
      { noOfAccount: 0 },
      { noOfAccount: 6 },
      { balance: -1 },
      { balance: 1.5 },
      { name: "   " },
      { income: { kind: "salary", amount: 0 } },
      { income: { kind: "salary", payday: 32 } },
      { income: { kind: "none", amount: 0 } },
      { income: { kind: "none", amount: 5_000_000 } },
      { income: { kind: "business", payday: 5 } },
      { income: { kind: "salary", amount: Number.MAX_SAFE_INTEGER } },
      { balance: 10 ** 15 + 1 },
      { volume: "huge" as CustomerTraits["volume"] },
    ];
    for (const traits of bad) expect(() => generateCustomer(spec("bad", traits)), JSON.stringify(traits)).toThrow(RangeError);
    expect(() => generateCustomer({ ...spec("bad"), anchor: "not a date" })).toThrow(RangeError);
  });
});

describe("accountTimeline", () => {
  /** A customer and an `until` from shortly before the first opening to a few months past the anchor. */
  const caseArb = specArb.chain((s) =>
    fc.tuple(fc.constant(s), fc.integer({ min: -30, max: 800 })).map(([s2, days]) => {
      const customer = generateCustomer(s2);
      const opened = Math.min(...customer.accounts.map((a) => Date.parse(a.openedAt)));
      return { customer, until: new Date(opened + days * DAY_MS + (days % 7) * 3_600_000) };
    }),
  );

  it("keeps a non-negative running balance from the opening balance, with non-zero integer amounts in time order", () => {
    fc.assert(
      fc.property(caseArb, ({ customer, until }) => {
        for (const account of customer.accounts) expect(timelineProblem(account, until, accountTimeline(account, until))).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });

  it("keeps the balance of a customer opened at the top of the range within it, whatever their income", () => {
    const topArb = fc.record({
      seed: fc.string({ minLength: 1, maxLength: 16 }),
      bank: fc.constantFrom(...SANDBOX_BANKS),
      type: fc.constantFrom("ind" as const, "corp" as const),
      volume: fc.constantFrom("low" as const, "medium" as const, "high" as const),
      balance: fc.integer({ min: MAX_SANDBOX_KOBO - 10_000_000_000, max: MAX_SANDBOX_KOBO }),
      income: fc.oneof(
        fc.record({ kind: fc.constant("salary" as const), amount: fc.integer({ min: 1, max: MAX_SANDBOX_KOBO }) }),
        fc.record({ kind: fc.constantFrom("business" as const, "irregular" as const), amount: fc.integer({ min: 1, max: MAX_SANDBOX_KOBO }) }),
      ),
    });
    fc.assert(
      fc.property(topArb, ({ seed, bank, type, volume, balance, income }) => {
        const customer = generateCustomer({
          seed,
          bank,
          anchor: "2026-06-01T00:00:00Z",
          traits: { type, volume, identity: 100, noOfAccount: 2, internetSpeed: 4, balance, income },
        });
        const until = new Date("2028-06-01T00:00:00Z");
        for (const account of customer.accounts) expect(timelineProblem(account, until, accountTimeline(account, until))).toBeUndefined();
      }),
      { numRuns: 15 },
    );
  });

  it("grows by appending: the history up to t1 is a prefix of the history up to t2 > t1", () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 200 * DAY_MS }), ({ customer, until }, laterBy) => {
        const account = customer.accounts[0]!;
        const t1 = until;
        const t2 = new Date(until.getTime() + laterBy);
        const short = accountTimeline(account, t1);
        const long = accountTimeline(account, t2);
        expect(long.slice(0, short.length)).toEqual(short);
        const next = long[short.length];
        if (next !== undefined) expect(Date.parse(next.postedAt)).toBeGreaterThan(t1.getTime());
      }),
      { numRuns: 60 },
    );
  });

  it("gives the same history for an account that went through JSON (as the engine stores it)", () => {
    fc.assert(
      fc.property(caseArb, ({ customer, until }) => {
        const account = customer.accounts[0]!;
        expect(accountTimeline(JSON.parse(JSON.stringify(account)) as GeneratedAccount, until)).toEqual(accountTimeline(account, until));
      }),
      { numRuns: 25 },
    );
  });

  it("pays salary earners at least once every full month after the opening month", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.constantFrom("low" as const, "medium" as const, "high" as const),
        fc.option(fc.integer({ min: 1, max: 31 }), { nil: undefined }),
        (seed, volume, payday) => {
          const c = generateCustomer(spec(seed, { volume, income: { kind: "salary", ...(payday ? { payday } : {}) } }));
          const account = c.accounts[0]!;
          const until = new Date("2026-11-15T10:00:00.000Z");
          const salaryMonths = new Set(accountTimeline(account, until).filter((t) => t.category === "salary").map((t) => lagosMonth(Date.parse(t.postedAt))));
          // Every month after the opening one that ended before `until` (Lagos calendar).
          const opened = new Date(Date.parse(account.openedAt) + LAGOS_OFFSET_MS);
          for (let m = opened.getUTCMonth() + 1; ; m++) {
            const monthStart = Date.UTC(opened.getUTCFullYear(), m, 1) - LAGOS_OFFSET_MS;
            const monthEnd = Date.UTC(opened.getUTCFullYear(), m + 1, 1) - LAGOS_OFFSET_MS;
            if (monthEnd > until.getTime()) break;
            expect(salaryMonths.has(lagosMonth(monthStart)), lagosMonth(monthStart)).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("returns nothing before the account was opened and rejects an invalid date", () => {
    const account = generateCustomer(spec("early")).accounts[0]!;
    expect(accountTimeline(account, new Date(Date.parse(account.openedAt) - 1))).toEqual([]);
    expect(() => accountTimeline(account, new Date(Number.NaN))).toThrow(RangeError);
    expect(() => accountTimeline({ ...account, profile: {} }, new Date())).toThrow(TypeError);
  });

  it("looks like a Nigerian statement: the expected kinds of lines, in volumes near the targets", () => {
    const until = new Date("2026-11-15T10:00:00.000Z");
    const perMonth = (traits: Partial<CustomerTraits>): { lines: number; categories: Set<string>; narrations: string[] } => {
      let lines = 0;
      let months = 0;
      const categories = new Set<string>();
      const narrations: string[] = [];
      for (let i = 0; i < 20; i++) {
        const account = generateCustomer(spec(`volume-${i}`, traits)).accounts[0]!;
        const history = accountTimeline(account, until);
        lines += history.length;
        months += (until.getTime() - Date.parse(account.openedAt)) / (30.44 * DAY_MS);
        for (const t of history) {
          categories.add(t.category);
          narrations.push(t.narration);
        }
      }
      return { lines: lines / months, categories, narrations };
    };
    const targets = { low: 8, medium: 25, high: 60 } as const;
    for (const volume of ["low", "medium", "high"] as const) {
      const { lines } = perMonth({ volume });
      expect(lines, volume).toBeGreaterThan(targets[volume] * 0.6);
      expect(lines, volume).toBeLessThan(targets[volume] * 1.6);
    }
    const { categories, narrations } = perMonth({ volume: "high", income: { kind: "salary" } });
    for (const category of ["salary", "transfer_in", "transfer_out", "pos", "airtime", "bills", "cash", "fees", "reversal", "interest"]) expect(categories).toContain(category);
    const some = (pattern: RegExp): void => void expect(narrations.some((n) => pattern.test(n)), String(pattern)).toBe(true);
    some(/^SALARY [A-Z]{3} 20[0-9]{2} FROM [A-Z]/);
    some(/^POS PURCHASE [A-Z]/);
    some(/^AIRTIME (MTN|AIRTEL|GLO|9MOBILE) 0[0-9]{10}$/);
    some(/^NIP TRF TO [A-Z]/);
    some(/^TRF FROM [A-Z .&-]+\/FT[0-9]+$/);
    some(/^REV: POS PURCHASE /);
    some(/^STAMP DUTY CHARGE$/);
    some(/^NIP CHARGE \+ VAT$/);
    some(/^SMS ALERT CHARGES /);

    const corp = generateCustomer(spec("corporate-statement", { type: "corp", volume: "medium" })).accounts[0]!;
    const corpNarrations = accountTimeline(corp, until).map((t) => t.narration);
    for (const pattern of [/^TRF FROM .+\/INV[0-9]+$/, /^NIP TRF TO .+\/PO[0-9]+$/, / SALARY [A-Z]{3} 20[0-9]{2}$/, /^FIRS VAT REMITTANCE /, /^PENSION REMITTANCE /, / PAYE REMITTANCE /]) {
      expect(corpNarrations.some((n) => pattern.test(n)), String(pattern)).toBe(true);
    }
  });
});
