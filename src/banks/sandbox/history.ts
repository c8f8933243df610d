import type { TransactionCategory } from "../connector.js";
import { MAX_SANDBOX_KOBO } from "./traits.js";
import type { GeneratedTxn } from "./types.js";

/**
 * An account's history as the sandbox bank shows it: the generated lines (a pure function of the
 * seed) merged with the postings people made (debits, credits), in time order, with running
 * balances. Pure, so the balance rules can be property-tested without a database.
 */

/** A stored movement on an account (a debit or credit made through the connector). */
export interface Posting {
  id: string;
  /** Epoch ms. */
  at: number;
  /** Signed kobo. */
  amount: number;
  narration: string;
  category: TransactionCategory;
  reference?: string;
  sessionId?: string;
}

export interface HistoryLine {
  id: string;
  /** Epoch ms. */
  at: number;
  /** Signed kobo. */
  amount: number;
  /** Balance after this line (kobo). */
  balance: number;
  narration: string;
  category: TransactionCategory;
  reference?: string;
  sessionId?: string;
}

export interface History {
  lines: HistoryLine[];
  /** Balance after the last line (the opening balance when there are none). */
  balance: number;
}

/**
 * Merges `generated` (ascending; the generator keeps its own balance non-negative) with
 * `postings` (ascending) up to `until` (epoch ms, inclusive). At equal times generated lines come
 * first. A generated debit that would take the merged balance below zero is left out: the
 * customer's own spending is declined once Okro's debits have taken the money (a bank does not
 * let a card payment overdraw a savings account); likewise a generated credit that would take it
 * above MAX_SANDBOX_KOBO. Postings always apply: they were checked against the balance when they
 * were made.
 */
export function mergeHistory(opening: number, generated: readonly GeneratedTxn[], postings: readonly Posting[], until: number): History {
  const lines: HistoryLine[] = [];
  let balance = opening;
  let g = 0;
  let p = 0;
  while (true) {
    const gen = g < generated.length ? generated[g] : undefined;
    const genAt = gen ? Date.parse(gen.postedAt) : Infinity;
    const post = p < postings.length ? postings[p] : undefined;
    const postAt = post ? post.at : Infinity;
    if (gen && genAt <= postAt && genAt <= until) {
      g++;
      if (gen.amount < 0 && balance + gen.amount < 0) continue;
      // Nor may a generated credit take it above the cap, once Okro's credits have filled it.
      if (gen.amount > 0 && balance + gen.amount > MAX_SANDBOX_KOBO) continue;
      balance += gen.amount;
      lines.push({
        id: gen.id,
        at: genAt,
        amount: gen.amount,
        balance,
        narration: gen.narration,
        category: gen.category,
        ...(gen.reference ? { reference: gen.reference } : {}),
        ...(gen.sessionId ? { sessionId: gen.sessionId } : {}),
      });
    } else if (post && postAt <= until) {
      p++;
      balance += post.amount;
      lines.push({ ...post, balance });
    } else {
      break;
    }
  }
  return { lines, balance };
}

/** Lagos (WAT, UTC+1, no daylight saving) offset. Nigerian banks' days are Lagos days. */
export const LAGOS_OFFSET_MS = 60 * 60 * 1000;

/** The Lagos calendar day of an instant, "YYYY-MM-DD". */
export function lagosDay(at: Date): string {
  return new Date(at.getTime() + LAGOS_OFFSET_MS).toISOString().slice(0, 10);
}

/** Start (inclusive) of the Lagos day `day` ("YYYY-MM-DD"), epoch ms. */
export function lagosDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`) - LAGOS_OFFSET_MS;
}
