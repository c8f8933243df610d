import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCOUNTS,
  assertBalanced,
  availableToRefund,
  balancesFrom,
  canPayout,
  canRefund,
  companyBalances,
  debitConfirmed,
  feeCharged,
  feeToReturn,
  type JournalEntry,
  lateReversal,
  payoutConfirmed,
  payoutFailed,
  payoutInitiated,
  refundConfirmed,
  refundFailed,
  refundInitiated,
  type RefundStatus,
  settlement,
  UnbalancedEntryError,
} from "../../src/ledger/domain.js";
import { type Kobo, kobo } from "../../src/lib/kobo.js";

const CURRENCIES = ["NGN", "USD", "GHS"] as const;
const company_id = "5f5b67748df30163f294f432";
const currency = fc.constantFrom(...CURRENCIES);
const positive = fc.bigInt({ min: 1n, max: 10n ** 12n }).map(kobo);

/** Every builder with arbitrary valid inputs. */
const anyEntry: fc.Arbitrary<JournalEntry> = fc
  .tuple(currency, positive, fc.bigInt({ min: 0n, max: 100n }), fc.constantFrom("succeeded", "settled") as fc.Arbitrary<"succeeded" | "settled">, fc.nat(10))
  .map(([c, amount, pct, from, which]) => {
    const base = { company_id, currency: c, payment_id: "p1", refund_id: "r1", payout_id: "o1", subject_id: "s1", amount };
    const builders = [
      () => debitConfirmed(base),
      () => settlement({ ...base, fee: kobo((amount * pct) / 100n) }),
      () => feeCharged(base),
      () => refundInitiated(base),
      () => refundConfirmed(base),
      () => refundFailed(base),
      () => payoutInitiated(base),
      () => payoutConfirmed(base),
      () => payoutFailed(base),
      () => lateReversal({ ...base, from }),
    ];
    return (builders[which % builders.length] as () => JournalEntry)();
  });

const sumPerCurrency = (entries: JournalEntry[]) => {
  const out = new Map<string, bigint>();
  for (const [c, accounts] of balancesFrom(entries)) out.set(c, Object.values(accounts).reduce((a, b) => a + b, 0n));
  return out;
};

// ── A model of a company's money events, driven only through the guards ─────────────────────
type Op =
  | { t: "collect"; c: (typeof CURRENCIES)[number]; amount: Kobo }
  | { t: "settle"; i: number; feePct: bigint }
  | { t: "refund"; i: number; amount: Kobo }
  | { t: "resolveRefund"; i: number; ok: boolean }
  | { t: "payout"; c: (typeof CURRENCIES)[number]; amount: Kobo }
  | { t: "resolvePayout"; i: number; ok: boolean }
  | { t: "reverse"; i: number };

const small = fc.bigInt({ min: 1n, max: 100_000n }).map(kobo);
const op = (withReversals: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({ t: fc.constant("collect" as const), c: currency, amount: small }),
    fc.record({ t: fc.constant("settle" as const), i: fc.nat(), feePct: fc.bigInt({ min: 0n, max: 5n }) }),
    fc.record({ t: fc.constant("refund" as const), i: fc.nat(), amount: small }),
    fc.record({ t: fc.constant("resolveRefund" as const), i: fc.nat(), ok: fc.boolean() }),
    fc.record({ t: fc.constant("payout" as const), c: currency, amount: small }),
    fc.record({ t: fc.constant("resolvePayout" as const), i: fc.nat(), ok: fc.boolean() }),
    ...(withReversals ? [fc.record({ t: fc.constant("reverse" as const), i: fc.nat() })] : []),
  );

interface Payment {
  id: string;
  c: string;
  amount: Kobo;
  state: "succeeded" | "settled" | "reversed";
  refunds: { id: string; amount: Kobo; status: RefundStatus }[];
}

/** Runs the ops, posting only what the guards allow; checks the invariants after every entry. */
function run(ops: Op[], check: (entries: JournalEntry[], payments: Payment[]) => void): JournalEntry[] {
  const entries: JournalEntry[] = [];
  const payments: Payment[] = [];
  const payouts: { id: string; c: string; amount: Kobo; status: "pending" | "done" }[] = [];
  const post = (e: JournalEntry) => {
    entries.push(e);
    check(entries, payments);
  };
  const available = (c: string) => companyBalances(balancesFrom(entries), c).available;
  const pick = <T>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
  let n = 0;
  for (const o of ops) {
    const id = `x${n++}`;
    switch (o.t) {
      case "collect":
        payments.push({ id, c: o.c, amount: o.amount, state: "succeeded", refunds: [] });
        post(debitConfirmed({ company_id, currency: o.c, payment_id: id, amount: o.amount }));
        break;
      case "settle": {
        const p = pick(payments.filter((x) => x.state === "succeeded"), o.i);
        if (!p) break;
        p.state = "settled";
        post(settlement({ company_id, currency: p.c, payment_id: p.id, amount: p.amount, fee: kobo((p.amount * o.feePct) / 100n) }));
        break;
      }
      case "refund": {
        const p = pick(payments.filter((x) => x.state === "settled"), o.i);
        if (!p) break;
        if (!canRefund(o.amount, { collected: p.amount, refunds: p.refunds, available: available(p.c) }).ok) break;
        p.refunds.push({ id, amount: o.amount, status: "pending" });
        post(refundInitiated({ company_id, currency: p.c, payment_id: p.id, refund_id: id, amount: o.amount }));
        break;
      }
      case "resolveRefund": {
        const pending = payments.flatMap((p) => p.refunds.filter((r) => r.status === "pending").map((r) => ({ p, r })));
        const hit = pick(pending, o.i);
        if (!hit) break;
        hit.r.status = o.ok ? "succeeded" : "failed";
        const a = { company_id, currency: hit.p.c, payment_id: hit.p.id, refund_id: hit.r.id, amount: hit.r.amount };
        post(o.ok ? refundConfirmed(a) : refundFailed(a));
        break;
      }
      case "payout":
        if (!canPayout(available(o.c), o.amount)) break;
        payouts.push({ id, c: o.c, amount: o.amount, status: "pending" });
        post(payoutInitiated({ company_id, currency: o.c, payout_id: id, amount: o.amount }));
        break;
      case "resolvePayout": {
        const p = pick(payouts.filter((x) => x.status === "pending"), o.i);
        if (!p) break;
        p.status = "done";
        const a = { company_id, currency: p.c, payout_id: p.id, amount: p.amount };
        post(o.ok ? payoutConfirmed(a) : payoutFailed(a));
        break;
      }
      case "reverse": {
        const p = pick(payments.filter((x) => x.state !== "reversed"), o.i);
        if (!p) break;
        const from = p.state as "succeeded" | "settled";
        p.state = "reversed";
        post(lateReversal({ company_id, currency: p.c, payment_id: p.id, amount: p.amount, from }));
        break;
      }
    }
  }
  return entries;
}

describe("ledger entries", () => {
  it("every builder's entry is balanced per currency, with at least two positive postings", () => {
    fc.assert(
      fc.property(anyEntry, (e) => {
        expect(() => assertBalanced(e)).not.toThrow();
        expect(e.postings.length).toBeGreaterThanOrEqual(2);
        for (const p of e.postings) expect(p.amount > 0n).toBe(true);
        expect(e.key.startsWith(`${e.kind}:`)).toBe(true);
      }),
    );
  });

  it("refuses an entry whose postings were tampered with: unbalanced, zero, negative or single", () => {
    fc.assert(
      fc.property(anyEntry, fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), (e, i, delta) => {
        const at = i % e.postings.length;
        const bumped = e.postings.map((p, j) => (j === at ? { ...p, amount: (p.amount + delta) as Kobo } : p));
        expect(() => assertBalanced({ ...e, postings: bumped })).toThrow(UnbalancedEntryError);
        const zeroed = e.postings.map((p, j) => (j === at ? { ...p, amount: 0n as Kobo } : p));
        expect(() => assertBalanced({ ...e, postings: zeroed })).toThrow(UnbalancedEntryError);
        expect(() => assertBalanced({ ...e, postings: e.postings.slice(0, 1) })).toThrow(/at least two/);
        const otherCurrency = e.postings.map((p, j) => (j === at ? { ...p, currency: p.currency === "NGN" ? "USD" : "NGN" } : p));
        expect(() => assertBalanced({ ...e, postings: otherCurrency })).toThrow(/do not balance/);
      }),
    );
  });

  it("refuses zero amounts and a fee larger than the payment at build time", () => {
    expect(() => debitConfirmed({ company_id, currency: "NGN", payment_id: "p", amount: kobo(0) })).toThrow(/greater than zero/);
    expect(() => settlement({ company_id, currency: "NGN", payment_id: "p", amount: kobo(100), fee: kobo(101) })).toThrow(/exceeds/);
  });
});

describe("ledger balances", () => {
  it("any sequence of valid money events keeps the sum of all balances at zero in every currency", () => {
    fc.assert(
      fc.property(fc.array(op(true), { maxLength: 80 }), (ops) => {
        run(ops, (entries) => {
          for (const [, sum] of sumPerCurrency(entries)) expect(sum).toBe(0n);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("the available wallet never goes negative through payouts and refunds that the guards allowed", () => {
    fc.assert(
      fc.property(fc.array(op(false), { maxLength: 80 }), (ops) => {
        run(ops, (entries) => {
          for (const c of CURRENCIES) {
            const b = companyBalances(balancesFrom(entries), c);
            expect(b.available >= 0n).toBe(true);
            expect(b.pending >= 0n).toBe(true);
            expect(b.in_transit >= 0n).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it("a refund never exceeds what was collected minus what was refunded", () => {
    fc.assert(
      fc.property(fc.array(op(true), { maxLength: 80 }), (ops) => {
        run(ops, (_entries, payments) => {
          for (const p of payments) {
            const refunded = p.refunds.filter((r) => r.status !== "failed").reduce((a, r) => a + r.amount, 0n);
            expect(refunded <= p.amount).toBe(true);
            expect(availableToRefund(p.amount, p.refunds)).toBe(p.amount - refunded);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it("a late reversal of a not-yet-settled payment never drives pending negative; of a settled one it may drive available negative, visibly", () => {
    fc.assert(
      fc.property(fc.array(op(true), { maxLength: 80 }), (ops) => {
        run(ops, (entries) => {
          for (const c of CURRENCIES) expect(companyBalances(balancesFrom(entries), c).pending >= 0n).toBe(true);
        });
      }),
    );
    // Collect 1000, settle, pay all of it out, then the bank reverses: the company owes 1000.
    const base = { company_id, currency: "NGN", payment_id: "p", payout_id: "o" };
    const entries = [
      debitConfirmed({ ...base, amount: kobo(1000) }),
      settlement({ ...base, amount: kobo(1000) }),
      payoutInitiated({ ...base, amount: kobo(1000) }),
      payoutConfirmed({ ...base, amount: kobo(1000) }),
      lateReversal({ ...base, amount: kobo(1000), from: "settled" }),
    ];
    const b = companyBalances(balancesFrom(entries), "NGN");
    expect(b.available).toBe(-1000n);
    expect(canPayout(b.available, kobo(1))).toBe(false);
    expect(canRefund(kobo(1), { collected: kobo(5), refunds: [], available: b.available })).toEqual({ ok: false, reason: "insufficient_available" });
  });

  it("derives balances from postings alone: every account appears, untouched ones at zero, and tenants never mix", () => {
    const e = debitConfirmed({ company_id, currency: "NGN", payment_id: "p", amount: kobo(250) });
    const b = balancesFrom([e]).get("NGN");
    expect(Object.keys(b ?? {}).sort()).toEqual([...ACCOUNTS].sort());
    expect(b?.["wallet:pending"]).toBe(250n);
    expect(b?.["external:customers"]).toBe(-250n);
    expect(b?.["wallet:available"]).toBe(0n);
    expect(() => balancesFrom([e, { ...e, company_id: "other" }])).toThrow(/two companies/);
  });

  it("refuses a refund over what is left, a non-positive one, and a payout over the available balance", () => {
    const refunds = [
      { amount: kobo(600), status: "succeeded" as const },
      { amount: kobo(300), status: "failed" as const },
      { amount: kobo(100), status: "pending" as const },
    ];
    expect(availableToRefund(kobo(1000), refunds)).toBe(300n);
    expect(canRefund(kobo(301), { collected: kobo(1000), refunds, available: 10_000n })).toEqual({ ok: false, reason: "exceeds_refundable" });
    expect(canRefund(kobo(300), { collected: kobo(1000), refunds, available: 10_000n })).toEqual({ ok: true });
    expect(canRefund(kobo(0), { collected: kobo(1000), refunds, available: 10_000n })).toEqual({ ok: false, reason: "not_positive" });
    expect(canPayout(500n, kobo(501))).toBe(false);
    expect(canPayout(500n, kobo(500))).toBe(true);
    expect(canPayout(500n, kobo(0))).toBe(false);
  });
});

describe("feeToReturn", () => {
  it("gives back exactly the fee once a payment is refunded in any pieces, never more at any point", () => {
    fc.assert(
      fc.property(positive, fc.bigInt({ min: 0n, max: 100n }), fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 12 }), (collected, pct, weights) => {
        const fee = kobo((collected * pct) / 100n);
        // Split the payment into pieces proportional to the weights (the last takes the rest).
        const total = weights.reduce((a, b) => a + b, 0n);
        let refunded = 0n;
        let returned = 0n;
        weights.forEach((w, i) => {
          const piece = i === weights.length - 1 ? collected - refunded : (collected * w) / total;
          if (piece <= 0n) return;
          returned += feeToReturn(fee, collected, kobo(refunded), kobo(piece));
          refunded += piece;
          expect(returned).toBeLessThanOrEqual(fee);
          expect(returned).toBe((fee * refunded) / collected);
        });
        expect(returned).toBe(fee);
      }),
    );
  });

  it("returns nothing when there was no fee", () => {
    expect(feeToReturn(kobo(0), kobo(10_000), kobo(0), kobo(10_000))).toBe(0n);
  });
});
