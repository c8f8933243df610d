import type { BankView } from "../banks/service.js";
import { wireEnv } from "../platform/domain.js";
import type {
  AccountRow,
  AuthRow,
  BalanceRow,
  CustomerExtras,
  CustomerRow,
  Flows,
  IdentityRow,
  IncomeRow,
  Reading,
  RecordRow,
  TransactionRow,
} from "./queries.js";
import type { AccountView, AuthView, BalanceView, CustomerView, IdentityView, RecordView, TransactionView } from "./schemas.js";

/**
 * Rows → Okra's objects (field names as Okra's API and okra-node know them), and the derived
 * views computed from stored transactions (enhanced balance and transactions, spending patterns,
 * transaction networks, benefactors). Pure: no I/O. Money stays integer kobo throughout; the only
 * non-integers are percentages.
 */

/** Kobo from an int8 column. Balances and amounts are far below 2^53 kobo (₦90 trillion). */
const kobo = (value: bigint | number): number => Number(value);
const iso = (d: Date) => d.toISOString();
const bookkeeping = (row: { company_id: string; env: "sandbox" | "production"; created_at: Date }, updated: Date) => ({
  owner: row.company_id,
  env: wireEnv(row.env),
  created_at: iso(row.created_at),
  last_updated: iso(updated),
});

export function authView(row: AuthRow): AuthView {
  return {
    _id: row.id,
    id: row.id,
    available_balance: kobo(row.available_balance),
    ledger_balance: kobo(row.ledger_balance),
    account: row.account_id,
    connected: row.connected,
    customer: row.customer_id,
    record: row.record_id,
    bank: row.bank_id,
    ...bookkeeping(row, row.updated_at),
  };
}

export function periodicView(readings: Reading[]): NonNullable<BalanceView["periodic"]> {
  return {
    available_balance: readings.map((r) => ({ amount: kobo(r.available_balance), as_of: iso(r.as_of) })),
    ledger_balance: readings.map((r) => ({ amount: kobo(r.ledger_balance), as_of: iso(r.as_of) })),
  };
}

export function balanceView(row: BalanceRow, readings?: Reading[]): BalanceView {
  return {
    _id: row.id,
    id: row.id,
    account: row.account_id,
    available_balance: kobo(row.available_balance),
    ledger_balance: kobo(row.ledger_balance),
    currency: row.currency,
    connected: row.connected,
    customer: row.customer_id,
    record: row.record_id,
    bank: row.bank_id,
    as_of: iso(row.as_of),
    ...(readings ? { periodic: periodicView(readings) } : {}),
    ...bookkeeping(row, row.updated_at),
  };
}

export function enhancedBalanceView(row: BalanceRow, flows: Flows, period: { from: Date | undefined; to: Date | undefined }) {
  return {
    ...balanceView(row),
    period: { from: period.from ? iso(period.from) : null, to: period.to ? iso(period.to) : null },
    inflow: kobo(flows.inflow),
    outflow: kobo(flows.outflow),
    net_flow: kobo(flows.inflow - flows.outflow),
    credits_count: flows.credits,
    debits_count: flows.debits,
    opening_balance: flows.opening === null ? null : kobo(flows.opening),
    closing_balance: flows.closing === null ? null : kobo(flows.closing),
  };
}

export function accountView(row: AccountRow): AccountView {
  return {
    _id: row.id,
    id: row.id,
    name: row.name,
    nuban: row.nuban,
    type: row.type,
    currency: row.currency,
    bank: row.bank_id,
    customer: row.customer_id,
    record: row.record_id,
    balance: row.balance_id,
    connected: row.connected,
    ...bookkeeping(row, row.updated_at),
  };
}

export function accountDetailsView(row: AccountRow, bank: BankView) {
  return { ...accountView(row), bank };
}

export function transactionView(row: TransactionRow): TransactionView {
  const date = iso(row.trans_date);
  return {
    _id: row.id,
    id: row.id,
    debit: row.debit === null ? null : kobo(row.debit),
    credit: row.credit === null ? null : kobo(row.credit),
    trans_date: date,
    // The banks give one posting time; Okro has no separate clearing date.
    cleared_date: date,
    unformatted_trans_date: date,
    unformatted_cleared_date: date,
    ref: row.reference ?? row.bank_transaction_id,
    balance: kobo(row.balance),
    notes: { desc: row.narration },
    category: row.category,
    account: row.account_id,
    customer: row.customer_id,
    record: row.record_id,
    bank: row.bank_id,
    currency: row.currency,
    ...bookkeeping(row, row.created_at),
  };
}

export type Channel = "Cash" | "Transfer" | "web_pos" | "other";

/** How money left the account, from the stored category (and the narration for card payments). */
export function channelOf(row: Pick<TransactionRow, "category" | "narration" | "debit">): Channel | null {
  if (row.debit === null) return null;
  switch (row.category) {
    case "cash":
      return "Cash";
    case "transfer_out":
    case "rent":
    case "direct_debit":
      return "Transfer";
    case "pos":
      return "web_pos";
    default:
      return /^(?:WEB|POS) PURCHASE /i.test(row.narration) ? "web_pos" : /^ATM /i.test(row.narration) ? "Cash" : "other";
  }
}

/**
 * The person or business on the other side of a transfer, as the narration names them:
 * `NIP TRF FROM ADA OBI/…`, `TRF FROM …`, `SALARY MAR 2026 FROM ACME LTD`, `CASH DEPOSIT BY …`
 * (money in); `NIP TRF TO …/…`, `DIRECT DEBIT …/…` (money out). Reversals and card, airtime,
 * bill and fee lines name no counterparty (null).
 */
export function counterpartyOf(narration: string): { name: string; direction: "in" | "out" } | null {
  const text = narration.trim().replace(/\s+/g, " ").toUpperCase();
  if (text.startsWith("REV")) return null;
  const patterns: Array<[RegExp, "in" | "out"]> = [
    [/^(?:NIP )?TRF FROM (.+?)(?:\/.*)?$/, "in"],
    [/^SALARY .*? FROM (.+)$/, "in"],
    [/^CASH DEPOSIT BY (.+)$/, "in"],
    [/^(?:NIP )?TRF TO (.+?)(?:\/.*)?$/, "out"],
    [/^DIRECT DEBIT (.+?)(?:\/.*)?$/, "out"],
  ];
  for (const [pattern, direction] of patterns) {
    const match = pattern.exec(text);
    // A staff payment reads `NIP TRF TO ADA OBI SALARY MAR 2026`: the name is before SALARY.
    const name = match?.[1]?.replace(/ SALARY .*$/, "").trim();
    if (name) return { name, direction };
  }
  return null;
}

export function enhancedTransactionView(row: TransactionRow) {
  const credit = row.credit !== null;
  return {
    ...transactionView(row),
    type: credit ? ("credit" as const) : ("debit" as const),
    amount: kobo(credit ? row.credit! : row.debit!),
    channel: channelOf(row),
    counterparty: counterpartyOf(row.narration)?.name ?? null,
  };
}

const percent = (part: bigint, whole: bigint) => (whole === 0n ? 0 : Math.round(Number((part * 10_000n) / whole)) / 100);

/** Spend (debits) per stored category and per channel, with count, sum and share of the total. */
export function spendingPatternView(accountId: string, currency: string, rows: TransactionRow[], window: { from: Date | undefined; to: Date | undefined }) {
  const debits = rows.filter((r) => r.debit !== null);
  const total = debits.reduce((sum, r) => sum + r.debit!, 0n);
  const tally = new Map<string, { count: number; sum: bigint }>();
  const channels: Record<Channel, { count: number; sum: bigint }> = {
    Cash: { count: 0, sum: 0n },
    Transfer: { count: 0, sum: 0n },
    web_pos: { count: 0, sum: 0n },
    other: { count: 0, sum: 0n },
  };
  for (const r of debits) {
    const t = tally.get(r.category) ?? { count: 0, sum: 0n };
    t.count += 1;
    t.sum += r.debit!;
    tally.set(r.category, t);
    const c = channels[channelOf(r) ?? "other"];
    c.count += 1;
    c.sum += r.debit!;
  }
  const share = (t: { count: number; sum: bigint }) => ({ count: t.count, percentage: percent(t.sum, total), sum: kobo(t.sum) });
  const pattern = Object.fromEntries([...tally.entries()].sort((a, b) => (b[1].sum > a[1].sum ? 1 : b[1].sum < a[1].sum ? -1 : 0)).map(([k, t]) => [k, share(t)]));
  return {
    account: accountId,
    currency,
    from: window.from ? iso(window.from) : null,
    to: window.to ? iso(window.to) : null,
    total_spend: kobo(total),
    total_count: debits.length,
    pattern,
    channel: { Cash: share(channels.Cash), Transfer: share(channels.Transfer), web_pos: share(channels.web_pos), other: share(channels.other) },
  };
}

interface Party {
  name: string;
  inCount: number;
  inSum: bigint;
  outCount: number;
  outSum: bigint;
  first: Date;
  last: Date;
}

function parties(rows: TransactionRow[]): Party[] {
  const byName = new Map<string, Party>();
  for (const r of rows) {
    const party = counterpartyOf(r.narration);
    if (!party) continue;
    const p = byName.get(party.name) ?? { name: party.name, inCount: 0, inSum: 0n, outCount: 0, outSum: 0n, first: r.trans_date, last: r.trans_date };
    if (r.credit !== null) {
      p.inCount += 1;
      p.inSum += r.credit;
    } else if (r.debit !== null) {
      p.outCount += 1;
      p.outSum += r.debit;
    }
    if (r.trans_date < p.first) p.first = r.trans_date;
    if (r.trans_date > p.last) p.last = r.trans_date;
    byName.set(party.name, p);
  }
  return [...byName.values()];
}

const bySumDesc = (a: bigint, b: bigint) => (b > a ? 1 : b < a ? -1 : 0);

/** Everyone the account (or customer) sent money to or received it from, by total moved. */
export function networkView(rows: TransactionRow[], top: number) {
  return parties(rows)
    .sort((a, b) => bySumDesc(a.inSum + a.outSum, b.inSum + b.outSum) || a.name.localeCompare(b.name))
    .slice(0, top)
    .map((p) => ({
      name: p.name,
      inflow: { count: p.inCount, sum: kobo(p.inSum) },
      outflow: { count: p.outCount, sum: kobo(p.outSum) },
      first_date: iso(p.first),
      last_date: iso(p.last),
    }));
}

/**
 * Who sent the most money in (salary payers, family, clients), by total received. `ownNames`
 * (the customer's and their accounts' names) are left out: moving money between one's own
 * accounts is not a benefactor.
 */
export function benefactorsView(rows: TransactionRow[], top: number, ownNames: readonly string[] = []) {
  const own = new Set(ownNames.map((n) => n.trim().replace(/\s+/g, " ").toUpperCase()));
  return parties(rows)
    .filter((p) => p.inCount > 0 && !own.has(p.name))
    .sort((a, b) => bySumDesc(a.inSum, b.inSum) || a.name.localeCompare(b.name))
    .slice(0, top)
    .map((p) => ({ name: p.name, count: p.inCount, sum: kobo(p.inSum), first_date: iso(p.first), last_date: iso(p.last) }));
}

const GENDER: Record<string, "M" | "F"> = { m: "M", male: "M", f: "F", female: "F" };

export function identityView(row: IdentityRow): IdentityView {
  const address = row.address;
  return {
    _id: row.id,
    id: row.id,
    type: row.kind,
    firstname: row.firstname,
    middlename: row.middlename,
    lastname: row.lastname,
    fullname: row.fullname,
    company_name: row.kind === "corporate" ? row.fullname : null,
    dob: row.dob,
    gender: row.gender ? (GENDER[row.gender.toLowerCase()] ?? null) : null,
    bvn: row.bvn,
    phone: row.phones,
    email: row.emails,
    address: address ? [[address.street, address.city, address.state, address.country].filter(Boolean).join(", ")] : [],
    marital_status: row.marital_status,
    nationality: row.nationality,
    rc_number: row.rc_number,
    customer: { _id: row.customer_id, name: row.customer_name },
    record: row.record_id,
    bank: row.bank_id,
    ...bookkeeping(row, row.updated_at),
  };
}

/** The stored summary as it is (whatever the income estimator produced), with Okra's bookkeeping fields. */
export function incomeView(row: IncomeRow) {
  const summary = row.summary && typeof row.summary === "object" && !Array.isArray(row.summary) ? (row.summary as Record<string, unknown>) : { summary: row.summary };
  return {
    ...summary,
    _id: row.id,
    id: row.id,
    customer: row.customer_id,
    record: row.record_id,
    ...bookkeeping(row, row.updated_at),
  };
}

type BankLookup = (bankId: string) => { _id: string; name: string; slug: string };

export function customerView(row: CustomerRow, extras: CustomerExtras, bankOf: BankLookup): CustomerView {
  return {
    _id: row.id,
    id: row.id,
    name: row.name,
    credentials: extras.accounts
      .filter((a) => a.customer_id === row.id)
      .map((a) => ({ bank: bankOf(a.bank_id), nuban: a.nuban, accountName: a.name, connected: a.connected, account: a.id })),
    record: extras.records.filter((r) => r.customer_id === row.id).map((r) => r.id),
    email: row.emails,
    phone: row.phones,
    // Okra shows the BVN only to companies that pulled the customer's identity.
    ...(row.bvn && extras.withIdentity.has(row.id) ? { bvn: row.bvn } : {}),
    blocked: false,
    flagged_banks: extras.flags.filter((f) => f.customer_id === row.id).map((f) => f.bank_id),
    ...bookkeeping(row, row.updated_at),
  };
}

export function recordView(row: RecordRow, accountIds: string[], bankOf: BankLookup): RecordView {
  return {
    _id: row.id,
    id: row.id,
    status: row.status,
    products: row.products,
    bank: bankOf(row.bank_id),
    customer: row.customer_id,
    accounts: accountIds,
    login_method: row.login_method,
    last_refreshed_at: row.last_refreshed_at ? iso(row.last_refreshed_at) : null,
    ...bookkeeping(row, row.updated_at),
  };
}
