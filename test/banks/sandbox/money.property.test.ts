import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret, isConnectorError, type AccountRef, type BankConnector, type BankSession, type TransferStatus } from "../../../src/banks/connector.js";
import type { FaultSettings } from "../../../src/banks/sandbox/types.js";
import { InProcessConnector } from "../../../src/banks/sandbox/in-process.js";
import {
  BANKS,
  DAY,
  MAGIC,
  allTransactions,
  firstAccount,
  httpFixture,
  inProcessFixture,
  isoDate,
  login,
  newEngine,
  newWorld,
  signed,
  type NetworkFixture,
  type World,
} from "./fixtures.js";

/**
 * Money properties of the sandbox bank network, whatever faults and retries happen:
 * (1) balances are always opening balance plus the account's lines, and money is conserved;
 * (2) a reference never moves money twice;
 * (3) the same seed gives the same data, a different seed different data.
 */

/** Timeout given to every money call: long enough for a healthy call, short enough for fast runs. */
const CALL_TIMEOUT_MS = 400;
const PENDING_MS = 60_000;

type Op =
  | { kind: "debit"; from: number; to: number | "collection"; amount: number; reuse: number | null; auth: "otp" | "pin" }
  | { kind: "credit"; from: number | "collection"; to: number; amount: number; reuse: number | null }
  | { kind: "faults"; settings: FaultSettings };

/** Amounts: mostly small, some larger than any balance or the daily limit. */
const amountArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 5_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000_000, max: 2_000_000_000 }) },
);
const rate = fc.constantFrom(0, 0, 0.5, 1);
const faultsArb: fc.Arbitrary<Op> = fc
  .record({ errorRate: rate, lostResponseRate: rate, timeoutRate: fc.constantFrom(0, 0, 0.3), pendingRate: rate })
  .map((r) => ({
    kind: "faults" as const,
    settings: {
      ...Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0)),
      pendingMs: PENDING_MS,
      operations: ["debit", "credit"],
    } satisfies FaultSettings,
  }));

function opsArb(accounts: number, reuseWeight: number): fc.Arbitrary<Op[]> {
  const reuse = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: reuseWeight, arbitrary: fc.nat({ max: 50 }) });
  const debit: fc.Arbitrary<Op> = fc.record({
    kind: fc.constant("debit" as const),
    from: fc.nat({ max: accounts - 1 }),
    to: fc.oneof(fc.constant("collection" as const), fc.nat({ max: accounts - 1 })),
    amount: amountArb,
    reuse,
    auth: fc.constantFrom("otp" as const, "pin" as const),
  });
  const credit: fc.Arbitrary<Op> = fc.record({
    kind: fc.constant("credit" as const),
    // Credits are paid from the bank's own account, never a customer's.
    from: fc.constant("collection" as const),
    to: fc.nat({ max: accounts - 1 }),
    amount: amountArb,
    reuse,
  });
  // No transfers from an account to itself.
  const distinct = (op: Op): Op => (op.kind === "debit" && op.to === op.from ? { ...op, to: "collection" } : op);
  return fc.array(fc.oneof({ weight: 4, arbitrary: debit }, { weight: 2, arbitrary: credit }, { weight: 1, arbitrary: faultsArb }).map(distinct), {
    minLength: 1,
    maxLength: 8,
  });
}

interface Party {
  bankId: string;
  conn: BankConnector;
  session: BankSession;
  accountId: string;
  ref: AccountRef;
}

/** Three accounts: two at GTBank (different people), one at Zenith. Money calls go through GTBank. */
async function parties(w: World): Promise<Party[]> {
  const out: Party[] = [];
  for (const [bankId, who] of [
    [BANKS.gtbank, "okro_good"],
    [BANKS.gtbank, "okro_question"],
    [BANKS.zenith, "okro_good"],
  ] as const) {
    const conn = w.conn(bankId);
    const { session } = await login(conn, who);
    const account = await firstAccount(conn, session);
    out.push({ bankId, conn, session, accountId: account.id, ref: { bankId, nuban: account.nuban } });
  }
  return out;
}

interface Sent {
  direction: "debit" | "credit";
  reference: string;
  /** Every amount sent with this reference (re-sends may carry another body). */
  amounts: Set<number>;
  from: number | "collection";
  to: number | "collection";
}

/** Runs a sequence, then checks every money invariant. */
async function runAndCheck(f: NetworkFixture, ops: Op[]): Promise<void> {
  const w = newWorld(f);
  const ps = await parties(w);
  const bank = w.conn(BANKS.gtbank);
  /** The bank a transfer is sent to (and re-queried at): the payer's; GTBank for the collection account's credits. */
  const bankOf = (s: { from: number | "collection" }) => (s.from === "collection" ? bank : ps[s.from]!.conn);
  const start = await w.now();
  const window = { from: isoDate(new Date(start.getTime() - 800 * DAY)), to: () => w.now().then((n) => new Date(n.getTime() + DAY).toISOString()) };

  const snapshot = async () =>
    Promise.all(
      ps.map(async (p) => {
        // Faults are limited to debit/credit, so reads are clean.
        const { lines } = await allTransactions(p.conn, p.session, p.accountId, window.from, await window.to());
        const balance = await p.conn.getBalance({ session: p.session, accountId: p.accountId });
        return { lines, balance };
      }),
    );
  const before = await snapshot();

  // First use of each reference, by sequence number; re-sends use one of them again.
  const firsts: Sent[] = [];
  let n = 0;
  let timedOut = false;
  for (let op of ops) {
    if (op.kind === "faults") {
      await f.admin.setFaults(w.realm, BANKS.gtbank, op.settings);
      continue;
    }
    const reused = op.reuse !== null && firsts.length > 0 ? firsts[op.reuse % firsts.length]! : undefined;
    const reference = reused?.reference ?? `p${n++}-${w.realm.slice(6, 14)}`;
    if (reused) {
      // A re-send: same reference, same direction and payer (so the same bank), maybe another body.
      const amount = op.amount % 2 === 0 ? [...reused.amounts][0]! : op.amount; // the same body or another
      reused.amounts.add(amount);
      if (reused.direction === "debit") op = { kind: "debit", from: reused.from as number, to: reused.to, amount, reuse: null, auth: "otp" };
      else op = { kind: "credit", from: reused.from, to: reused.to as number, amount, reuse: null };
    } else {
      firsts.push({ direction: op.kind, reference, amounts: new Set([op.amount]), from: op.from, to: op.to });
    }
    try {
      if (op.kind === "debit") {
        const src = ps[op.from]!;
        // Debits need the payer's session, at the payer's bank; other banks' accounts pay through their own connector.
        await src.conn.debit(
          {
            session: src.session,
            accountId: src.accountId,
            amount: op.amount,
            currency: "NGN",
            reference,
            narration: "property",
            authorization: op.auth === "otp" ? { otp: new Secret(MAGIC.otp) } : { pin: new Secret(MAGIC.pin) },
            ...(op.to === "collection" ? {} : { destination: ps[op.to]!.ref }),
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
      } else {
        await bankOf(op).credit(
          {
            amount: op.amount,
            currency: "NGN",
            reference,
            narration: "property",
            destination: ps[op.to]!.ref,
          },
          { timeoutMs: CALL_TIMEOUT_MS },
        );
      }
    } catch (error) {
      if (!isConnectorError(error)) throw error;
      // Any classified failure is fine here; what happened is settled by re-query below.
      if (error.kind === "timeout") timedOut = true;
    }
  }

  // Settle: no more faults, let pending transfers mature, then ask about every reference. A call
  // abandoned on a timeout may still be finishing at the bank: give it a moment, as an engine
  // would before re-querying.
  if (timedOut) await sleep(200);
  await f.admin.clearFaults(w.realm);
  await w.advance(PENDING_MS + 1_000);
  // A session lasts 30 minutes; the sequence took far less sandbox time.
  const succeeded: { s: Sent; amount: number }[] = [];
  for (const s of firsts) {
    const conn = bankOf(s);
    const status: TransferStatus =
      s.direction === "debit" ? await conn.debitStatus({ reference: s.reference }) : await conn.creditStatus({ reference: s.reference });
    expect(["success", "failed", "not_found"], `${s.reference} settled`).toContain(status.status);
    if (status.found && status.status === "success") {
      expect([...s.amounts], `${s.reference}: the amount that moved was one that was sent`).toContain(status.amount);
      succeeded.push({ s, amount: status.amount });
    }
  }

  const after = await snapshot();
  let collectionDelta = 0;
  const expectedDelta = ps.map(() => 0);
  for (const { s, amount } of succeeded) {
    if (s.from === "collection") collectionDelta -= amount;
    else expectedDelta[s.from]! -= amount;
    if (s.to === "collection") collectionDelta += amount;
    else expectedDelta[s.to]! += amount;
  }

  let customerDelta = 0;
  const ourRefs = new Set(firsts.map((s) => s.reference));
  ps.forEach((p, i) => {
    const { lines, balance } = after[i]!;
    // (1) The running balance adds up over the whole history and ends at the ledger balance.
    const asc = [...lines].reverse();
    for (let k = 1; k < asc.length; k++) expect(asc[k]!.balance, `account ${i} line ${asc[k]!.id}`).toBe(asc[k - 1]!.balance + signed(asc[k]!));
    expect(lines[0]?.balance, `account ${i} newest line = ledger`).toBe(balance.ledger);
    // A customer account is never overdrawn, at any line (pending money is not spendable).
    for (const t of lines) expect(t.balance, `account ${i} line ${t.id} overdrawn`).toBeGreaterThanOrEqual(0);
    const opening = asc.length > 0 ? asc[0]!.balance - signed(asc[0]!) : balance.ledger;
    expect(opening + asc.reduce((sum, t) => sum + signed(t), 0)).toBe(balance.ledger);
    // Lines that were not there before: ours, plus whatever history the clock brought.
    const seen = new Set(before[i]!.lines.map((t) => t.id));
    const fresh = lines.filter((t) => !seen.has(t.id));
    expect(balance.ledger - before[i]!.balance.ledger, `account ${i} delta = its new lines`).toBe(fresh.reduce((sum, t) => sum + signed(t), 0));
    // Lines that belong to our transfers add up to what the statuses say moved.
    const ours = fresh.filter((t) => t.reference !== undefined && ourRefs.has(t.reference));
    const oursDelta = ours.reduce((sum, t) => sum + signed(t), 0);
    expect(oursDelta, `account ${i}: our lines vs successful transfers`).toBe(expectedDelta[i]);
    customerDelta += oursDelta;
    // (2) At most one line per reference and direction on each account.
    const count = new Map<string, number>();
    for (const t of ours) count.set(`${t.type}:${t.reference}`, (count.get(`${t.type}:${t.reference}`) ?? 0) + 1);
    for (const [key, c] of count) expect(c, `account ${i}: ${key} appears ${c} times`).toBe(1);
  });
  // Conservation: what left customers arrived at the collection side and vice versa.
  expect(customerDelta + collectionDelta, "customers' change + collection side's change").toBe(0);
}

describe.each([
  { name: "in-process", make: inProcessFixture, runs: 25 },
  { name: "http", make: httpFixture, runs: 8 },
] as const)("sandbox money properties ($name)", ({ make, runs }) => {
  let f: NetworkFixture;
  beforeAll(async () => {
    f = await make();
  });
  afterAll(async () => {
    await f?.close();
  });

  it("balances are opening plus lines, and money is conserved, under random transfers and faults", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb(3, 1), (ops) => runAndCheck(f, ops)),
      { numRuns: runs, endOnFailure: true },
    );
  }, 90_000);

  it("re-sending a used reference never moves money twice, with or without faults", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb(3, 6), (ops) => runAndCheck(f, ops)),
      { numRuns: runs, endOnFailure: true },
    );
  }, 90_000);
});

describe("sandbox data is a function of the seed", () => {
  async function snapshot(seed: string, realm: string) {
    const { engine } = await newEngine({ seed });
    const conn = new InProcessConnector(engine, BANKS.gtbank, realm);
    const { session } = await login(conn, "okro_good");
    const accounts = await conn.listAccounts({ session });
    const identity = await conn.getIdentity({ session });
    const now = new Date((await engine.admin.getClock(realm)).now);
    const txns = [];
    for (const a of accounts) {
      const { lines } = await allTransactions(conn, session, a.id, isoDate(new Date(now.getTime() - 800 * DAY)), now.toISOString());
      txns.push(lines.map((t) => ({ ...t })));
    }
    return { accounts, identity, txns };
  }

  it("the same seed gives the same accounts, identity and transactions; another seed different ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 12 }), async (x, y) => {
        fc.pre(x !== y);
        const a = await snapshot(x, `seed-a-${crypto.randomUUID()}`);
        const b = await snapshot(x, `seed-b-${crypto.randomUUID()}`);
        expect(b).toEqual(a);
        const c = await snapshot(y, `seed-c-${crypto.randomUUID()}`);
        expect(c.identity.bvn).not.toBe(a.identity.bvn);
        expect(c.accounts.map((t) => t.nuban)).not.toEqual(a.accounts.map((t) => t.nuban));
        expect(c.txns).not.toEqual(a.txns);
      }),
      { numRuns: 4 },
    );
  }, 60_000);
});
