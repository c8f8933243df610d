import { MAX_KOBO } from "../../lib/kobo.js";
import type { IncomePattern } from "./types.js";

/**
 * The rules of the amounts and income a developer may give a sandbox customer, as pure
 * functions: the single source for both the API's schema (which turns a problem into a 400
 * naming the field) and the generator (which throws on one), so the two can never disagree.
 */

/** The largest amount a sandbox customer may be given or may come to hold (kobo): Okro's MAX_KOBO. */
export const MAX_SANDBOX_KOBO = Number(MAX_KOBO);

export const INCOME_KINDS = ["salary", "business", "irregular", "none"] as const;

/** A problem with one field, named relative to the object checked (`amount`, `payday`…). */
export interface TraitProblem {
  field: string;
  problem: string;
}

/** What is wrong with an amount of kobo a customer holds (`min` 0) or earns (`min` 1), or undefined. */
export function koboProblem(value: unknown, min: 0 | 1): string | undefined {
  if (typeof value !== "number" || Number.isNaN(value)) return "must be a number (kobo)";
  if (!Number.isInteger(value)) return "must be a whole number of kobo";
  if (value < min) return min === 0 ? "must not be negative" : "must be greater than zero (kobo)";
  if (value > MAX_SANDBOX_KOBO) return `must be at most ${MAX_SANDBOX_KOBO} kobo`;
  return undefined;
}

/** What is wrong with an opening balance, or undefined. */
export const balanceProblem = (balance: unknown): string | undefined => koboProblem(balance, 0);

/**
 * What is wrong with an income pattern: the kind must be known; an amount is a positive number
 * of kobo up to MAX_SANDBOX_KOBO, and `none` (no income) takes none; a payday is a day 1–31 and
 * only means something for `salary`.
 */
export function incomeProblems(income: { kind: unknown; amount?: unknown; payday?: unknown }): TraitProblem[] {
  const problems: TraitProblem[] = [];
  if (!INCOME_KINDS.includes(income.kind as IncomePattern["kind"])) {
    problems.push({ field: "kind", problem: 'must be "salary", "business", "irregular" or "none"' });
  }
  if (income.amount !== undefined) {
    const problem = income.kind === "none" ? 'must be left out when kind is "none" (no income)' : koboProblem(income.amount, 1);
    if (problem) problems.push({ field: "amount", problem });
  }
  if (income.payday !== undefined) {
    const p = income.payday;
    const problem =
      income.kind !== "salary"
        ? 'is only for kind "salary"; leave it out'
        : typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 31
          ? "must be a whole number from 1 to 31"
          : undefined;
    if (problem) problems.push({ field: "payday", problem });
  }
  return problems;
}
