import { defineMachine } from "../core/machine.js";

/**
 * Bulk payments, the pure part: the batch's and the row's state machines, the file's columns, how
 * one row is read and checked (everything that needs no database), and the formula escape every
 * CSV Okro writes goes through. No I/O.
 *
 * ```
 *   batch: validating → ready | failed
 *          ready      → running | cancelled
 *          running    → completed | partially_completed | failed | cancelled
 *   row:   valid      → pending (committed: waits for its bank's window) | skipped (not committed)
 *          pending    → queued (its `batches.row` job enqueued) | cancelled
 *          queued     → processing (its payment exists) | failed (refused when created) | cancelled
 *          processing → succeeded | failed | cancelled (its payment's outcome)
 *          succeeded  → reversed (the bank reversed its payment later: a late reversal)
 *          invalid, skipped, failed, cancelled, reversed: final (succeeded too, but for a reversal)
 * ```
 */

export const batchMachine = defineMachine({
  object: "batch",
  states: ["validating", "ready", "running", "completed", "partially_completed", "failed", "cancelled"],
  edges: {
    validating: ["ready", "failed"],
    ready: ["running", "cancelled"],
    running: ["completed", "partially_completed", "failed", "cancelled"],
    completed: [],
    partially_completed: [],
    failed: [],
    cancelled: [],
  },
  terminal: ["completed", "partially_completed", "failed", "cancelled"],
  predicates: { final: ["completed", "partially_completed", "failed", "cancelled"], cancellable: ["ready", "running"] },
});
export type BatchState = (typeof batchMachine.states)[number];

export const rowMachine = defineMachine({
  object: "batch_row",
  states: ["invalid", "valid", "skipped", "pending", "queued", "processing", "succeeded", "failed", "cancelled", "reversed"],
  edges: {
    invalid: [],
    valid: ["pending", "skipped"],
    skipped: [],
    pending: ["queued", "cancelled"],
    queued: ["processing", "failed", "cancelled"],
    processing: ["succeeded", "failed", "cancelled"],
    succeeded: ["reversed"],
    failed: [],
    cancelled: [],
    reversed: [],
  },
  terminal: ["invalid", "skipped", "failed", "cancelled", "reversed"],
  predicates: { final: ["invalid", "skipped", "succeeded", "failed", "cancelled", "reversed"], open: ["pending", "queued", "processing"] },
});
export type RowState = (typeof rowMachine.states)[number];

/** The row states a committed row can be in, and the batch counter column of each. */
export const COUNTED = {
  pending: "pending_count",
  queued: "queued_count",
  processing: "processing_count",
  succeeded: "succeeded_count",
  failed: "failed_count",
  cancelled: "cancelled_count",
  reversed: "reversed_count",
} as const;
/** The counted states whose amounts the batch sums too. */
export const AMOUNTED = ["succeeded", "failed", "cancelled", "reversed"] as const;
export type CountedState = keyof typeof COUNTED;
export const isCounted = (s: RowState): s is CountedState => s in COUNTED;

/** A running batch whose open rows are all done ends in one of these, by what its rows became. */
export function outcomeOf(counts: { succeeded: number; failed: number; cancelled: number; reversed?: number }): "completed" | "partially_completed" | "failed" {
  if (counts.failed === 0 && counts.cancelled === 0 && !counts.reversed) return "completed";
  if (counts.succeeded === 0) return "failed";
  return "partially_completed";
}

// ── The file ─────────────────────────────────────────────────────────────────────────────────

/** Okra's five columns. `account_to_credit`, `currency` and `callback_url` may be left empty in a row. */
export const REQUIRED_COLUMNS = ["account_to_debit", "account_to_credit", "amount", "currency", "callback_url"] as const;
/** Okro's optional columns. */
export const OPTIONAL_COLUMNS = ["reference", "narration", "customer", "type", "mandate"] as const;
export const COLUMNS = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS] as const;
export type Column = (typeof COLUMNS)[number];
/** Only these two must be present as headers; the other three of Okra's may be absent (their defaults apply). */
export const MUST_HAVE_COLUMNS = ["account_to_debit", "amount"] as const;

export const MAX_NARRATION = 100;
export const MAX_REFERENCE = 64;
/** Largest amount one row may ask for (kobo): ₦10 billion, as everywhere else (lib/kobo). */
export const MAX_ROW_AMOUNT = 1_000_000_000_000n;

export interface RowError {
  column: Column | "row";
  code: string;
  message: string;
}

/** A row as read (the cells the file had, trimmed), before the database is asked. */
export interface ParsedRow {
  row: number;
  raw: Record<string, string>;
  accountToDebit: string;
  accountToCredit: string | null;
  amount: bigint | null;
  currency: string;
  callbackUrl: string | null;
  reference: string | null;
  narration: string | null;
  customer: string | null;
  /** `one-time`: a debit on the account's payment consent; `mandate`: a charge on a mandate of the account. */
  type: "one-time" | "mandate";
  /** With `type: mandate`: the mandate's id or reference (null: the account's one active mandate without a schedule). */
  mandate: string | null;
  errors: RowError[];
}

const ID = /^[0-9a-f]{24}$/i;

/**
 * Checks one row by itself (shape of every cell); database checks (account, consent, receiving
 * account) come after, in the service. `row` is 1-based, the header not counted.
 */
export function readRow(row: number, raw: Record<string, string>, urlProblem: (url: string) => string | null): ParsedRow {
  const cell = (c: Column) => (raw[c] ?? "").trim();
  const errors: RowError[] = [];
  const err = (column: RowError["column"], code: string, message: string) => errors.push({ column, code, message });

  const accountToDebit = cell("account_to_debit");
  if (!accountToDebit) err("account_to_debit", "missing", "account_to_debit is empty: put the id of the customer's linked account (24 hex characters)");
  else if (!ID.test(accountToDebit)) err("account_to_debit", "unknown_account", `account_to_debit ${JSON.stringify(accountToDebit.slice(0, 40))} is not an account id (24 hex characters)`);

  const credit = cell("account_to_credit");
  if (credit && !ID.test(credit)) err("account_to_credit", "unknown_account", `account_to_credit ${JSON.stringify(credit.slice(0, 40))} is not an account id (24 hex characters); leave it empty for your default receiving account`);

  let amount: bigint | null = null;
  const a = cell("amount");
  if (!a) err("amount", "missing", "amount is empty: put the amount in kobo (₦1 = 100), e.g. 150000 for ₦1,500");
  else if (!/^\d+$/.test(a)) {
    err("amount", "bad_amount", /^\d+\.\d+$/.test(a) ? `amount ${a} has a fraction: amounts are whole kobo (₦1 = 100), e.g. ${a.replace(".", "")} if you meant kobo` : `amount ${JSON.stringify(a.slice(0, 40))} is not a whole number of kobo`);
  } else {
    const n = BigInt(a);
    if (n <= 0n) err("amount", "bad_amount", "amount must be more than 0 kobo");
    else if (n > MAX_ROW_AMOUNT) err("amount", "bad_amount", `amount ${a} is above the most one payment may be (${MAX_ROW_AMOUNT} kobo)`);
    else amount = n;
  }

  const currency = (cell("currency") || "NGN").toUpperCase();
  if (currency !== "NGN") err("currency", "unsupported_currency", `currency ${JSON.stringify(currency.slice(0, 10))} is not supported; bulk payments are in NGN only`);

  const callback = cell("callback_url");
  if (callback) {
    const problem = urlProblem(callback);
    if (problem) err("callback_url", "bad_url", `callback_url ${problem}`);
  }

  const reference = cell("reference") || null;
  if (reference && (reference.length > MAX_REFERENCE || !/^[\x21-\x7e]+$/.test(reference))) {
    err("reference", "bad_reference", `reference must be 1–${MAX_REFERENCE} printable characters without spaces`);
  }
  const narration = cell("narration") || null;
  if (narration && narration.length > MAX_NARRATION) err("narration", "too_long", `narration is ${narration.length} characters; at most ${MAX_NARRATION}`);
  const customer = cell("customer") || null;
  if (customer && !ID.test(customer)) err("customer", "unknown_customer", `customer ${JSON.stringify(customer.slice(0, 40))} is not a customer id (24 hex characters)`);

  const typed = (cell("type") || "one-time").toLowerCase();
  const type = typed === "mandate" ? "mandate" : "one-time";
  if (typed !== "one-time" && typed !== "mandate") {
    err("type", "bad_type", `type ${JSON.stringify(typed.slice(0, 20))} is not one of one-time (a debit on the account's payment consent), mandate (a charge on a mandate of the account)`);
  }
  const mandate = cell("mandate") || null;
  if (mandate && type !== "mandate") err("mandate", "mandate_without_type", "mandate is set but type is not mandate: set type to mandate to charge it, or empty the mandate cell for a one-time debit");
  else if (mandate && (mandate.length > MAX_REFERENCE || !/^[\x21-\x7e]+$/.test(mandate))) err("mandate", "unknown_mandate", `mandate must be the mandate's id or its reference (1–${MAX_REFERENCE} printable characters)`);

  return { row, raw, accountToDebit, accountToCredit: credit || null, amount, currency, callbackUrl: callback || null, reference, narration, customer, type, mandate, errors };
}

/**
 * Spreadsheet formula injection (CWE-1236): a cell that starts with `=`, `+`, `-`, `@`, a tab or
 * a carriage return is run as a formula by Excel/Sheets. Every CSV Okro writes passes every cell
 * through this, which prefixes such a cell with `'` (shown as text, not run).
 */
export function escapeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The totals a validation answers with. Amounts are kobo (integers, as strings in JSON when large). */
export interface Totals {
  rows: number;
  valid_rows: number;
  invalid_rows: number;
  amount: number;
  by_currency: Record<string, { rows: number; amount: number }>;
  by_bank: Record<string, { rows: number; amount: number }>;
}

export function emptyTotals(): Totals {
  return { rows: 0, valid_rows: 0, invalid_rows: 0, amount: 0, by_currency: {}, by_bank: {} };
}

export function addToTotals(t: Totals, currency: string, bank: string, amount: bigint): void {
  const n = Number(amount);
  t.amount += n;
  const c = (t.by_currency[currency] ??= { rows: 0, amount: 0 });
  c.rows++;
  c.amount += n;
  const b = (t.by_bank[bank] ??= { rows: 0, amount: 0 });
  b.rows++;
  b.amount += n;
}
