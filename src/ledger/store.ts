import { sql, type Transaction } from "kysely";
import type { DB, Env } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import type { Scope } from "../core/tenancy.js";
import type { Executor } from "../core/db.js";
import { ACCOUNTS, assertBalanced, type AccountName, type JournalEntry } from "./domain.js";

/**
 * The ledger's storage: appends entries and their postings, keeps `ledger_balances` (the sum of
 * postings per account) in the same transaction, and reads balances back. Entries are built and
 * checked by the pure core (src/ledger/domain.ts); nothing here decides whether money may move.
 *
 * ## Locks (read before posting from a new place)
 * A posting updates one `ledger_balances` row per account it touches, and a row update holds
 * that row's lock until commit. Every transaction takes these row locks in ONE global order, so
 * two postings can never wait for each other in a cycle: `wallet:available` first (it is also
 * what {@link lockWallet} takes, before anything else, to serialise spending), then the other
 * accounts in alphabetical order. Rules that follow:
 * - call {@link lockWallet} before posting, never after, when the transaction spends (refunds,
 *   payouts);
 * - post at most one entry per transaction, or entries whose accounts come later in the order.
 */

/** The row that serialises spending from a company's wallet (per currency). */
const WALLET_ACCOUNT: AccountName = "wallet:available";

/** The global lock order of balance rows: wallet:available first, then alphabetical. */
function lockOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === WALLET_ACCOUNT) return -1;
  if (b === WALLET_ACCOUNT) return 1;
  return a < b ? -1 : 1;
}

/**
 * Appends `entry` (postings and balances) in the caller's transaction. Returns false, writing
 * nothing, when an entry with the same key was already posted for the company and environment:
 * the unique (company, env, key) index is the backstop that makes a replayed transition (a
 * worker retry, two workers racing) post once.
 */
export async function postEntry(trx: Transaction<DB>, env: Env, entry: JournalEntry, now: Date): Promise<boolean> {
  assertBalanced(entry);
  const id = newId(now);
  // Net change per (currency, account), applied in the global lock order (a multi-row upsert
  // takes its rows' locks in the order of its rows).
  const deltas = new Map<string, { currency: string; account: string; delta: bigint }>();
  for (const p of entry.postings) {
    const key = `${p.currency}|${p.account}`;
    const d = deltas.get(key) ?? { currency: p.currency, account: p.account, delta: 0n };
    d.delta += p.direction === "credit" ? p.amount : -p.amount;
    deltas.set(key, d);
  }
  const ordered = [...deltas.values()].sort((a, b) => (a.currency === b.currency ? lockOrder(a.account, b.account) : a.currency < b.currency ? -1 : 1));
  // One statement: the entry (nothing when its key was posted: then no postings and no balance
  // change either), its postings, and one balance upsert for all its accounts.
  const postings = sql.join(
    entry.postings.map((p, i) => sql`(${i}::int, ${p.account}::text, ${p.direction}::text, ${p.amount}::int8, ${p.currency}::text)`),
  );
  const balances = sql.join(ordered.map((d, i) => sql`(${i}::int, ${d.currency}::text, ${d.account}::text, ${d.delta}::int8)`));
  const inserted = await sql<{ id: string }>`
    WITH entry AS (
      INSERT INTO ledger_entries (id, company_id, env, key, kind, payment_id, refund_id, payout_id, created_at)
      VALUES (${id}, ${entry.company_id}, ${env}, ${entry.key}, ${entry.kind}, ${entry.payment_id ?? null}, ${entry.refund_id ?? null}, ${entry.payout_id ?? null}, ${now})
      ON CONFLICT (company_id, env, key) DO NOTHING
      RETURNING id, company_id, env
    ), posted AS (
      INSERT INTO ledger_postings (entry_id, company_id, env, account, direction, amount, currency)
      SELECT entry.id, entry.company_id, entry.env, p.account, p.direction, p.amount, p.currency
      FROM entry CROSS JOIN (VALUES ${postings}) AS p (n, account, direction, amount, currency)
      ORDER BY p.n
    ), balanced AS (
      INSERT INTO ledger_balances (company_id, env, currency, account, balance)
      SELECT entry.company_id, entry.env, b.currency, b.account, b.delta
      FROM entry CROSS JOIN (VALUES ${balances}) AS b (n, currency, account, delta)
      ORDER BY b.n
      ON CONFLICT (company_id, env, currency, account) DO UPDATE SET balance = ledger_balances.balance + excluded.balance
    )
    SELECT id FROM entry
  `.execute(trx);
  if (inserted.rows.length === 0) return false;
  return true;
}

/**
 * Locks the company's available wallet in `currency` (creating its balance row at zero first)
 * until the transaction ends, and returns the balance. Everything that spends from the wallet
 * (refunds, payouts) takes this lock first, so two spends never both see the same money.
 */
export async function lockWallet(trx: Transaction<DB>, scope: Scope, currency: string): Promise<{ available: bigint }> {
  await trx
    .insertInto("ledger_balances")
    .values({ company_id: scope.companyId, env: scope.env, currency, account: WALLET_ACCOUNT, balance: 0n })
    .onConflict((oc) => oc.columns(["company_id", "env", "currency", "account"]).doNothing())
    .execute();
  const row = await trx
    .selectFrom("ledger_balances")
    .select("balance")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("currency", "=", currency)
    .where("account", "=", WALLET_ACCOUNT)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { available: BigInt(row.balance) };
}

/** What the balances API shows for one currency (signed kobo; `available` may be negative after a late reversal). */
export interface WalletBalance {
  currency: string;
  /** Confirmed by the bank, settlement not yet validated ("in transit from the banks"). */
  pending: bigint;
  /** Settled and spendable (refunds, payouts). */
  available: bigint;
  /** Refunds and payouts sent, not yet confirmed by the bank. */
  in_transit: bigint;
  refunds_in_transit: bigint;
  payouts_in_transit: bigint;
  /** Okro's fees taken so far. */
  fees: bigint;
  /** Gross ever confirmed by the banks (before refunds, reversals and fees). */
  collected: bigint;
}

/** The company's balances, one per currency it has postings in; NGN is always there (zeros when untouched). */
export async function walletBalances(db: Executor, scope: Scope): Promise<WalletBalance[]> {
  const rows = await db
    .selectFrom("ledger_balances")
    .select(["currency", "account", "balance"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .execute();
  // Gross collected: every credit to wallet:pending is a confirmed debit (nothing else credits it).
  const collectedRows = await db
    .selectFrom("ledger_postings")
    .select(["currency", sql<bigint>`coalesce(sum(amount), 0)::int8`.as("total")])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("account", "=", "wallet:pending")
    .where("direction", "=", "credit")
    .groupBy("currency")
    .execute();
  const byCurrency = new Map<string, Record<string, bigint>>();
  const of = (c: string) => {
    let m = byCurrency.get(c);
    if (!m) byCurrency.set(c, (m = {}));
    return m;
  };
  of("NGN");
  for (const r of rows) of(r.currency)[r.account] = BigInt(r.balance);
  const collected = new Map(collectedRows.map((r) => [r.currency, BigInt(r.total)]));
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a === "NGN" ? -1 : b === "NGN" ? 1 : a < b ? -1 : 1))
    .map(([currency, a]) => {
      const get = (name: AccountName) => a[name] ?? 0n;
      const refunds = get("refunds:in_transit");
      const payouts = get("payouts:in_transit");
      return {
        currency,
        pending: get("wallet:pending"),
        available: get("wallet:available"),
        in_transit: refunds + payouts,
        refunds_in_transit: refunds,
        payouts_in_transit: payouts,
        fees: get("fees"),
        collected: collected.get(currency) ?? 0n,
      };
    });
}

export interface LedgerEntryView {
  id: string;
  key: string;
  kind: string;
  payment_id: string | null;
  refund_id: string | null;
  payout_id: string | null;
  created_at: Date;
  postings: Array<{ account: string; direction: "debit" | "credit"; amount: bigint; currency: string }>;
}

/** A page of the company's entries, newest first, each with its postings (optionally one payment's). */
export async function listEntries(
  db: Executor,
  scope: Scope,
  opts: { paymentId?: string; page: number; limit: number },
): Promise<{ rows: LedgerEntryView[]; total: number }> {
  let q = db.selectFrom("ledger_entries").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (opts.paymentId !== undefined) q = q.where("payment_id", "=", opts.paymentId);
  const count = await q.select(sql<string>`count(*)::text`.as("n")).executeTakeFirstOrThrow();
  const entries = await q
    .selectAll()
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(opts.limit)
    .offset((opts.page - 1) * opts.limit)
    .execute();
  const postings =
    entries.length === 0
      ? []
      : await db
          .selectFrom("ledger_postings")
          .select(["entry_id", "account", "direction", "amount", "currency"])
          .where(
            "entry_id",
            "in",
            entries.map((e) => e.id),
          )
          .orderBy("id")
          .execute();
  const byEntry = new Map<string, LedgerEntryView["postings"]>();
  for (const p of postings) {
    const list = byEntry.get(p.entry_id) ?? [];
    list.push({ account: p.account, direction: p.direction, amount: BigInt(p.amount), currency: p.currency });
    byEntry.set(p.entry_id, list);
  }
  return {
    rows: entries.map((e) => ({
      id: e.id,
      key: e.key,
      kind: e.kind,
      payment_id: e.payment_id,
      refund_id: e.refund_id,
      payout_id: e.payout_id,
      created_at: e.created_at,
      postings: byEntry.get(e.id) ?? [],
    })),
    total: Number(count.n),
  };
}

/**
 * Checks the company's ledger and returns every problem found ([] = sound): an entry with fewer
 * than two postings, an entry whose postings do not balance per currency, an unknown account, a
 * balance row that differs from the sum of its postings (or a sum without a row), and a
 * currency whose balances do not sum to zero.
 */
export async function verifyLedger(db: Executor, scope: Scope): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await sql<{ entry_id: string; key: string; currency: string | null; net: bigint | null; n: string }>`
    SELECT e.id AS entry_id, e.key, p.currency,
           sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END)::int8 AS net,
           count(p.id)::text AS n
    FROM ledger_entries e
    LEFT JOIN ledger_postings p ON p.entry_id = e.id
    WHERE e.company_id = ${scope.companyId} AND e.env = ${scope.env}
    GROUP BY e.id, e.key, p.currency
    HAVING count(p.id) < 2 OR sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END) <> 0
  `.execute(db);
  for (const r of unbalanced.rows) {
    problems.push(
      Number(r.n) < 2
        ? `entry ${r.key}: has ${r.n} posting(s)${r.currency ? ` in ${r.currency}` : ""}, needs at least two`
        : `entry ${r.key}: ${r.currency} postings do not balance (credits − debits = ${String(r.net)})`,
    );
  }
  const foreign = await sql<{ entry_id: string }>`
    SELECT p.entry_id FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
    WHERE e.company_id = ${scope.companyId} AND e.env = ${scope.env} AND (p.company_id <> e.company_id OR p.env <> e.env)
  `.execute(db);
  for (const r of foreign.rows) problems.push(`entry ${r.entry_id}: a posting names another company or environment`);

  const drift = await sql<{ currency: string; account: string; stored: bigint | null; summed: bigint | null }>`
    WITH summed AS (
      SELECT currency, account, sum(CASE WHEN direction = 'credit' THEN amount ELSE -amount END)::int8 AS total
      FROM ledger_postings WHERE company_id = ${scope.companyId} AND env = ${scope.env}
      GROUP BY currency, account
    ), stored AS (
      SELECT currency, account, balance FROM ledger_balances WHERE company_id = ${scope.companyId} AND env = ${scope.env}
    )
    SELECT coalesce(s.currency, b.currency) AS currency, coalesce(s.account, b.account) AS account, b.balance AS stored, s.total AS summed
    FROM summed s FULL OUTER JOIN stored b ON b.currency = s.currency AND b.account = s.account
    WHERE coalesce(b.balance, 0) <> coalesce(s.total, 0)
  `.execute(db);
  for (const r of drift.rows) {
    problems.push(`balance ${r.currency} ${r.account}: stored ${String(r.stored ?? 0n)} but postings sum to ${String(r.summed ?? 0n)}`);
  }
  const accounts = await db
    .selectFrom("ledger_balances")
    .select(["currency", "account", "balance"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .execute();
  const totals = new Map<string, bigint>();
  for (const a of accounts) {
    if (!(ACCOUNTS as readonly string[]).includes(a.account)) problems.push(`balance ${a.currency} ${a.account}: not a ledger account`);
    totals.set(a.currency, (totals.get(a.currency) ?? 0n) + BigInt(a.balance));
  }
  for (const [currency, total] of totals) if (total !== 0n) problems.push(`balances in ${currency} sum to ${total}, not zero`);
  return problems;
}
