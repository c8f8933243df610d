/**
 * The ledger's pure core: double-entry, append-only, per company and currency, integer kobo.
 * No I/O. The store appends entries (never updates or deletes a posting); balances are derived
 * by summing postings; a correction is a new entry that moves the money back.
 *
 * ## Conventions (read before posting anything)
 * - **A posting has a direction and a positive amount**, not a signed amount: amounts are `Kobo`
 *   (non-negative by type, `CHECK (amount > 0)` in the table), so a sign error cannot hide in a
 *   column, and "a credit of 0 or -5" is unrepresentable rather than a bug to find.
 * - **Direction is the bank-statement sense**: a *credit* means money arrives in the account, a
 *   *debit* means money leaves it (what a Nigerian merchant reads on a statement). So every
 *   account's balance is `credits − debits` = what the account holds. Every movement is "debit
 *   the source, credit the destination" (`transfer`). This is not the accountant's asset-normal
 *   convention; there are no asset/liability sides here, just where the money is.
 * - **The outside world is accounts too** (`external:customers`, `external:settlement`): they go
 *   negative or positive as money enters or leaves Okro, so the sum of all balances of one company
 *   in one currency is always exactly zero (DESIGN §5.1).
 * - **Money is in exactly one account at a time.** "In transit from the bank" and "pending for the
 *   company" are the same kobo (the bank confirmed the debit; settlement not yet validated), so
 *   there is one account for it, `wallet:pending`, not two mirrored ones that could drift.
 * - **Every entry has a deterministic `key`** (`<kind>:<subject id>`). The store puts a unique index
 *   on (company, key): replaying an event (worker crash, duplicate webhook) cannot post twice.
 */
import { type Kobo, kobo, positiveKobo, subtractKobo, ZERO_KOBO } from "../lib/kobo.js";

/** An ISO-4217 code. Which currencies are *supported* is the service's decision (NGN first). */
export type Currency = string;
const CURRENCY_RE = /^[A-Z]{3}$/;

export const ACCOUNTS = [
  "external:customers",
  "wallet:pending",
  "wallet:available",
  "refunds:in_transit",
  "payouts:in_transit",
  "fees",
  "external:settlement",
] as const;

/**
 * Account names, one set per company and currency.
 * - `external:customers` — the customers' banks (the outside world on the paying side). Debited by
 *   collections, credited by refunds and reversals. Normally negative.
 * - `wallet:pending` — collected: the bank confirmed the debit, but settlement is not yet validated
 *   by re-query. This is the money "in transit from the banks". Not spendable.
 * - `wallet:available` — settled and spendable: payouts and refunds draw on it. Never driven
 *   negative by Okro's own movements (guards), only by a bank's late reversal.
 * - `refunds:in_transit` — refunds sent to the customer's bank, not yet confirmed.
 * - `payouts:in_transit` — payouts sent to the company's settlement bank account, not yet confirmed.
 * - `fees` — Okro's fees, taken from the wallet.
 * - `external:settlement` — the company's own bank account outside Okro (where payouts land).
 */
export type AccountName = (typeof ACCOUNTS)[number];

export type Direction = "debit" | "credit";

export interface Posting {
  account: AccountName;
  direction: Direction;
  amount: Kobo;
  currency: Currency;
}

export const ENTRY_KINDS = [
  "debit_confirmed",
  "settlement",
  "fee",
  "refund_initiated",
  "refund_confirmed",
  "refund_failed",
  "payout_initiated",
  "payout_confirmed",
  "payout_failed",
  "late_reversal",
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface JournalEntry {
  /** Unique per company: `<kind>:<subject id>`. The idempotency backstop for posting. */
  key: string;
  kind: EntryKind;
  company_id: string;
  payment_id?: string;
  refund_id?: string;
  payout_id?: string;
  postings: readonly Posting[];
}

/** An entry that breaks double entry. A bug in the caller, never a business "no". */
export class UnbalancedEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnbalancedEntryError";
  }
}

/**
 * The entry is well-formed: at least two postings, every amount > 0, known accounts, valid
 * currencies, and for each currency the debits equal the credits.
 */
export function assertBalanced(entry: JournalEntry): void {
  const where = `entry ${entry.key}`;
  if (entry.postings.length < 2) throw new UnbalancedEntryError(`${where}: needs at least two postings, has ${entry.postings.length}`);
  const net = new Map<Currency, bigint>();
  for (const p of entry.postings) {
    if (!(ACCOUNTS as readonly string[]).includes(p.account)) throw new UnbalancedEntryError(`${where}: unknown account ${String(p.account)}`);
    if (!CURRENCY_RE.test(p.currency)) throw new UnbalancedEntryError(`${where}: invalid currency ${JSON.stringify(p.currency)}`);
    if (typeof p.amount !== "bigint" || p.amount <= 0n) throw new UnbalancedEntryError(`${where}: posting amounts must be positive kobo, got ${String(p.amount)} on ${p.account}`);
    if (p.direction !== "debit" && p.direction !== "credit") throw new UnbalancedEntryError(`${where}: invalid direction ${String(p.direction)}`);
    net.set(p.currency, (net.get(p.currency) ?? 0n) + (p.direction === "credit" ? p.amount : -p.amount));
  }
  for (const [currency, sum] of net) {
    if (sum !== 0n) throw new UnbalancedEntryError(`${where}: ${currency} postings do not balance (credits − debits = ${sum})`);
  }
}

/** Two postings moving `amount` from `from` to `to`. */
export function transfer(from: AccountName, to: AccountName, amount: Kobo, currency: Currency): Posting[] {
  return [
    { account: from, direction: "debit", amount, currency },
    { account: to, direction: "credit", amount, currency },
  ];
}

function build(entry: JournalEntry): JournalEntry {
  assertBalanced(entry);
  return entry;
}

interface Base {
  company_id: string;
  currency: Currency;
}

// ── Builders: one per money event. Each returns a balanced entry or throws. ──────────────────

/** The bank confirmed a debit (payment → `succeeded`): the customer's money is pending for the company. */
export function debitConfirmed(a: Base & { payment_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `debit_confirmed:${a.payment_id}`,
    kind: "debit_confirmed",
    company_id: a.company_id,
    payment_id: a.payment_id,
    postings: transfer("external:customers", "wallet:pending", positiveKobo(a.amount), a.currency),
  });
}

/**
 * Settlement validated by re-query (payment → `settled`): pending → available, and Okro's fee
 * (if any) taken from available in the same entry, so the company never sees the gross as
 * spendable. `fee` ≤ `amount`.
 */
export function settlement(a: Base & { payment_id: string; amount: Kobo; fee?: Kobo }): JournalEntry {
  const fee = a.fee ?? ZERO_KOBO;
  if (fee > a.amount) throw new UnbalancedEntryError(`settlement ${a.payment_id}: fee ${fee} exceeds amount ${a.amount}`);
  const postings = transfer("wallet:pending", "wallet:available", positiveKobo(a.amount), a.currency);
  if (fee > 0n) postings.push(...transfer("wallet:available", "fees", fee, a.currency));
  return build({ key: `settlement:${a.payment_id}`, kind: "settlement", company_id: a.company_id, payment_id: a.payment_id, postings });
}

/** A standalone fee (e.g. a payout fee) from the available wallet. `subject_id` names what it is for. */
export function feeCharged(a: Base & { subject_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `fee:${a.subject_id}`,
    kind: "fee",
    company_id: a.company_id,
    postings: transfer("wallet:available", "fees", positiveKobo(a.amount), a.currency),
  });
}

/**
 * A refund was accepted and sent to the bank: available → refunds in transit. With `fee_returned`,
 * the same entry gives back Okro's fee on the refunded share (fees → available) — see
 * {@link feeToReturn}. Guard with `canRefund` first (counting the fee returned as available).
 */
export function refundInitiated(a: Base & { payment_id: string; refund_id: string; amount: Kobo; fee_returned?: Kobo }): JournalEntry {
  const postings: Posting[] = [];
  if (a.fee_returned && a.fee_returned > 0n) postings.push(...transfer("fees", "wallet:available", a.fee_returned, a.currency));
  postings.push(...transfer("wallet:available", "refunds:in_transit", positiveKobo(a.amount), a.currency));
  return build({
    key: `refund_initiated:${a.refund_id}`,
    kind: "refund_initiated",
    company_id: a.company_id,
    payment_id: a.payment_id,
    refund_id: a.refund_id,
    postings,
  });
}

/**
 * Okro's fee to give back with a refund of `amount` on a payment that collected `collected` and
 * paid `fee`, when `refundedBefore` was already refunded (not counting failed refunds): the fee
 * share of everything refunded so far minus what earlier refunds gave back, each share rounded
 * down. Refunding a payment in pieces gives back exactly `fee` once all of it is refunded.
 */
export function feeToReturn(fee: Kobo, collected: Kobo, refundedBefore: Kobo, amount: Kobo): Kobo {
  if (collected <= 0n || fee <= 0n) return ZERO_KOBO;
  const after = refundedBefore + amount > collected ? collected : refundedBefore + amount;
  const share = (refunded: bigint) => (fee * refunded) / collected;
  return kobo(share(after) - share(refundedBefore));
}

/** The bank confirmed the refund: the money reached the customer. */
export function refundConfirmed(a: Base & { payment_id: string; refund_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `refund_confirmed:${a.refund_id}`,
    kind: "refund_confirmed",
    company_id: a.company_id,
    payment_id: a.payment_id,
    refund_id: a.refund_id,
    postings: transfer("refunds:in_transit", "external:customers", positiveKobo(a.amount), a.currency),
  });
}

/** The refund failed at the bank: the money goes back to available (and is refundable again), and the fee it gave back returns to fees. */
export function refundFailed(a: Base & { payment_id: string; refund_id: string; amount: Kobo; fee_returned?: Kobo }): JournalEntry {
  const postings = transfer("refunds:in_transit", "wallet:available", positiveKobo(a.amount), a.currency);
  if (a.fee_returned && a.fee_returned > 0n) postings.push(...transfer("wallet:available", "fees", a.fee_returned, a.currency));
  return build({
    key: `refund_failed:${a.refund_id}`,
    kind: "refund_failed",
    company_id: a.company_id,
    payment_id: a.payment_id,
    refund_id: a.refund_id,
    postings,
  });
}

/** A payout was accepted and sent: available → payouts in transit. Guard with `canPayout` first. */
export function payoutInitiated(a: Base & { payout_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `payout_initiated:${a.payout_id}`,
    kind: "payout_initiated",
    company_id: a.company_id,
    payout_id: a.payout_id,
    postings: transfer("wallet:available", "payouts:in_transit", positiveKobo(a.amount), a.currency),
  });
}

/** The payout reached the company's settlement account. */
export function payoutConfirmed(a: Base & { payout_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `payout_confirmed:${a.payout_id}`,
    kind: "payout_confirmed",
    company_id: a.company_id,
    payout_id: a.payout_id,
    postings: transfer("payouts:in_transit", "external:settlement", positiveKobo(a.amount), a.currency),
  });
}

/** The payout bounced: the money goes back to available. */
export function payoutFailed(a: Base & { payout_id: string; amount: Kobo }): JournalEntry {
  return build({
    key: `payout_failed:${a.payout_id}`,
    kind: "payout_failed",
    company_id: a.company_id,
    payout_id: a.payout_id,
    postings: transfer("payouts:in_transit", "wallet:available", positiveKobo(a.amount), a.currency),
  });
}

/**
 * The bank reversed a debit after confirming it (payment → `reversed`). The bank takes back the
 * gross amount; Okro does not choose where it comes from, it records it:
 * - from `succeeded` (not yet settled): out of `wallet:pending`, which still holds exactly this
 *   payment's gross (fees are only taken at settlement), so pending never goes negative;
 * - from `settled`: out of `wallet:available`. If the company already paid the money out or
 *   refunded it, **available goes negative** — a debt of the company, visible in its balances.
 *   Okro does not borrow from other payments' pending money to hide it. `canPayout` and
 *   `canRefund` refuse while available is not enough, so the debt is repaid by later settlements.
 *   The fee already taken is kept (returning it is a policy call for the service, as a new entry).
 */
export function lateReversal(a: Base & { payment_id: string; amount: Kobo; from: "succeeded" | "settled" }): JournalEntry {
  const source: AccountName = a.from === "succeeded" ? "wallet:pending" : "wallet:available";
  return build({
    key: `late_reversal:${a.payment_id}`,
    kind: "late_reversal",
    company_id: a.company_id,
    payment_id: a.payment_id,
    postings: transfer(source, "external:customers", positiveKobo(a.amount), a.currency),
  });
}

// ── Derived balances and guards ───────────────────────────────────────────────────────────────

/** Balance (`credits − debits`, signed kobo) of every account, per currency. */
export type Balances = Map<Currency, Record<AccountName, bigint>>;

function zeroAccounts(): Record<AccountName, bigint> {
  return Object.fromEntries(ACCOUNTS.map((a) => [a, 0n])) as Record<AccountName, bigint>;
}

/**
 * Sums the postings of ONE company's entries (throws if given several companies' entries:
 * balances never mix tenants). Every currency that appears has every account, zero if untouched.
 */
export function balancesFrom(entries: Iterable<JournalEntry>): Balances {
  const out: Balances = new Map();
  let company: string | undefined;
  for (const e of entries) {
    if (company === undefined) company = e.company_id;
    else if (company !== e.company_id) throw new Error(`balancesFrom: entries of two companies (${company}, ${e.company_id})`);
    for (const p of e.postings) {
      let accounts = out.get(p.currency);
      if (!accounts) out.set(p.currency, (accounts = zeroAccounts()));
      accounts[p.account] += p.direction === "credit" ? p.amount : -p.amount;
    }
  }
  return out;
}

/** What the balances API shows for one currency. `available` may be negative after a late reversal. */
export function companyBalances(b: Balances, currency: Currency): { pending: bigint; available: bigint; in_transit: bigint } {
  const a = b.get(currency) ?? zeroAccounts();
  return {
    pending: a["wallet:pending"],
    available: a["wallet:available"],
    in_transit: a["refunds:in_transit"] + a["payouts:in_transit"],
  };
}

/** A refund's status as the ledger cares about it. */
export type RefundStatus = "pending" | "succeeded" | "failed";

/**
 * What can still be refunded on a payment: collected minus every refund that is not `failed`
 * (pending refunds count: the money is already on its way). `collected` is the payment's amount
 * once the bank confirmed it, and zero before that or after a late reversal. Never negative.
 */
export function availableToRefund(collected: Kobo, refunds: ReadonlyArray<{ amount: Kobo; status: RefundStatus }>): Kobo {
  let used = 0n;
  for (const r of refunds) if (r.status !== "failed") used += r.amount;
  return used >= collected ? ZERO_KOBO : subtractKobo(collected, kobo(used));
}

/** A payout of `amount` is allowed: positive and covered by the available balance (signed). */
export function canPayout(available: bigint, amount: Kobo): boolean {
  return amount > 0n && amount <= available;
}

export type RefundDecision = { ok: true } | { ok: false; reason: "not_positive" | "exceeds_refundable" | "insufficient_available" };

/**
 * A refund of `amount` is allowed: positive, within what is left to refund on the payment, and
 * covered by the available wallet (refunds draw on available; Okro never overdraws it itself).
 */
export function canRefund(amount: Kobo, ctx: { collected: Kobo; refunds: ReadonlyArray<{ amount: Kobo; status: RefundStatus }>; available: bigint }): RefundDecision {
  if (amount <= 0n) return { ok: false, reason: "not_positive" };
  if (amount > availableToRefund(ctx.collected, ctx.refunds)) return { ok: false, reason: "exceeds_refundable" };
  if (amount > ctx.available) return { ok: false, reason: "insufficient_available" };
  return { ok: true };
}
