import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { debtProblems, planSweep, standing, type SweepAccount } from "../../src/garnish/domain.js";

const acct = (accountId: string, available: bigint | null, perDebitCap = 10n ** 12n, unavailable: string | null = null): SweepAccount => ({ accountId, mandateId: `m-${accountId}`, available, unavailable, perDebitCap });

describe("the sweep plan", () => {
  it("tries the largest balance first, then by account id, an unreadable account last", () => {
    const plan = planSweep([acct("b", 20n), acct("c", 30n), acct("a", 20n), acct("d", null, 10n ** 12n, "enquiry_failed: timeout")], 1_000n, 0n);
    expect(plan.map((p) => [p.accountId, p.take, p.skip])).toEqual([
      ["c", 30n, null],
      ["a", 20n, null],
      ["b", 20n, null],
      ["d", 0n, "enquiry_failed: timeout"],
    ]);
  });

  it("leaves the floor, respects each account's cap, and stops at what may still be taken", () => {
    const plan = planSweep([acct("a", 10_000n), acct("b", 5_000n, 1_000n), acct("c", 500n)], 7_000n, 1_000n);
    expect(plan.map((p) => [p.accountId, p.take, p.skip])).toEqual([
      ["a", 7_000n, null],
      ["b", 0n, "repaid"],
      ["c", 0n, "repaid"],
    ]);
    expect(planSweep([acct("c", 500n), acct("d", 0n)], 7_000n, 1_000n).map((p) => [p.take, p.skip])).toEqual([
      [0n, "floor"],
      [0n, "no_balance"],
    ]);
    const capped = planSweep([acct("a", 10_000n, 2_000n), acct("b", 5_000n, 1_000n)], 7_000n, 0n);
    expect(capped.map((p) => p.take)).toEqual([2_000n, 1_000n]);
  });

  it("never takes more than may be taken in all, nor more than an account holds above its floor", () => {
    const account = fc.record({ id: fc.string({ minLength: 1, maxLength: 3 }), available: fc.option(fc.bigInt({ min: -1_000n, max: 10_000_000n })), cap: fc.bigInt({ min: 0n, max: 10_000_000n }) });
    fc.assert(
      fc.property(fc.uniqueArray(account, { selector: (a) => a.id, maxLength: 6 }), fc.bigInt({ min: 0n, max: 20_000_000n }), fc.bigInt({ min: 0n, max: 100_000n }), (accounts, sweepable, floor) => {
        const plan = planSweep(accounts.map((a) => acct(a.id, a.available, a.cap)), sweepable, floor);
        const total = plan.reduce((s, p) => s + p.take, 0n);
        expect(total <= sweepable).toBe(true);
        for (const p of plan) {
          const a = accounts.find((x) => x.id === p.accountId)!;
          expect(p.take >= 0n).toBe(true);
          if (p.take > 0n) {
            expect(p.take <= a.available! - floor).toBe(true);
            expect(p.take <= a.cap).toBe(true);
          }
        }
        // Deterministic: the same accounts in another order give the same plan.
        expect(planSweep([...accounts].reverse().map((a) => acct(a.id, a.available, a.cap)), sweepable, floor)).toEqual(plan);
      }),
    );
  });
});

describe("the debt", () => {
  it("derives what remains and what may still be swept from collected and in-flight money", () => {
    expect(standing({ principal: 90n, interest: 10n }, { collected: 30n, inFlight: 50n, refunded: 0n })).toEqual({ owed: 100n, collected: 30n, sweepable: 20n, remaining: 70n, over: 0n });
    expect(standing({ principal: 90n, interest: 10n }, { collected: 120n, inFlight: 0n, refunded: 0n })).toMatchObject({ remaining: 0n, sweepable: 0n, over: 20n });
  });

  it("refuses penalties, a principal of zero and a negative floor, naming the field", () => {
    expect(debtProblems({ principal: 100n, interest: 0n, penalties: 5n, floor: 0n }).map((p) => p.field)).toEqual(["penalties"]);
    expect(debtProblems({ principal: 0n, interest: 0n, floor: -1n }).map((p) => p.field)).toEqual(["principal", "floor"]);
    expect(debtProblems({ principal: 1n, interest: 0n, penalties: 0n, floor: 0n })).toEqual([]);
  });
});
