import { kobo, type Kobo } from "../lib/kobo.js";

/**
 * Okro's fee on a collected payment, taken at settlement (ledger `settlement`: available → fees).
 * Pure, property-tested (test/payments/fees.property.test.ts).
 */
export interface FeeConfig {
  /** Basis points of the amount (100 = 1%). 0–10,000. */
  feeBps: number;
  /** The most one payment pays, in kobo (0 = no fee at all). */
  feeCapKobo: number;
}

/**
 * `round_half_up(amount × bps / 10,000)`, capped at `feeCapKobo`. Always within
 * `[0, min(amount, cap)]` and non-decreasing in `amount`, so a fee never exceeds what was
 * collected and a larger payment never pays less.
 */
export function paymentFee(amount: Kobo, config: FeeConfig): Kobo {
  if (!Number.isInteger(config.feeBps) || config.feeBps < 0 || config.feeBps > 10_000) {
    throw new RangeError(`feeBps must be a whole number from 0 to 10000, got ${config.feeBps}`);
  }
  if (!Number.isSafeInteger(config.feeCapKobo) || config.feeCapKobo < 0) {
    throw new RangeError(`feeCapKobo must be a non-negative whole number of kobo, got ${config.feeCapKobo}`);
  }
  const raw = (amount * BigInt(config.feeBps) + 5_000n) / 10_000n;
  const cap = BigInt(config.feeCapKobo);
  return kobo(raw < cap ? raw : cap);
}
