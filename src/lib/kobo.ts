/**
 * Money as integer minor units (kobo for NGN). In the domain a `Kobo` is a branded, non-negative
 * `bigint`, so it can never be a float, never be mixed up with a plain count, and never be
 * produced by `x * 100`. At the edges (JSON, the connector interface) it is a safe-integer
 * `number`: use `kobo(n)` to come in and `toWire(k)` to go out.
 *
 * Signed quantities (ledger balances, which may legitimately be negative, e.g. the outside world's
 * account) are plain `bigint`; only amounts that move are `Kobo`.
 */

declare const koboBrand: unique symbol;
/** A non-negative integer amount of minor units, at most `MAX_KOBO`. */
export type Kobo = bigint & { readonly [koboBrand]: true };

/**
 * The largest amount Okro accepts: 10^15 kobo (₦10 trillion). Far above any real payment, and far
 * below 2^53, so every `Kobo` survives the trip to a JSON number and back exactly.
 */
export const MAX_KOBO = 10n ** 15n;

export const ZERO_KOBO = 0n as Kobo;

/** Thrown when something that is not a valid kobo amount is offered as one. */
export class KoboError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "KoboError";
  }
}

/**
 * The only way into `Kobo`. Accepts a non-negative safe integer (`number`) or `bigint`, at most
 * `MAX_KOBO`; throws `KoboError` naming the problem for floats, NaN, infinities, negatives and
 * absurd amounts. Never rounds.
 */
export function kobo(value: number | bigint): Kobo {
  let n: bigint;
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new KoboError("amount must be an integer number of kobo, got NaN");
    if (!Number.isFinite(value)) throw new KoboError(`amount must be an integer number of kobo, got ${value}`);
    if (!Number.isInteger(value)) throw new KoboError(`amount must be an integer number of kobo, got the fraction ${value}`);
    if (!Number.isSafeInteger(value)) throw new KoboError(`amount ${value} is too large (at most ${MAX_KOBO} kobo)`);
    n = BigInt(value);
  } else if (typeof value === "bigint") {
    n = value;
  } else {
    throw new KoboError(`amount must be an integer number of kobo, got ${typeof value}`);
  }
  if (n < 0n) throw new KoboError(`amount must not be negative, got ${n}`);
  if (n > MAX_KOBO) throw new KoboError(`amount ${n} is too large (at most ${MAX_KOBO} kobo)`);
  return n as Kobo;
}

/** Like `kobo`, but also refuses zero: for amounts that must move something (postings, debits). */
export function positiveKobo(value: number | bigint): Kobo {
  const k = kobo(value);
  if (k === 0n) throw new KoboError("amount must be greater than zero");
  return k;
}

/** The wire form: a JSON-safe integer. Exact, because `MAX_KOBO` < 2^53. */
export function toWire(k: Kobo): number {
  return Number(k);
}

/** Sum of amounts (throws `KoboError` if the sum passes `MAX_KOBO`). */
export function sumKobo(amounts: Iterable<Kobo>): Kobo {
  let total = 0n;
  for (const a of amounts) total += a;
  return kobo(total);
}

/** `a - b`; throws `KoboError` if it would be negative (callers check first: an early "no"). */
export function subtractKobo(a: Kobo, b: Kobo): Kobo {
  if (b > a) throw new KoboError(`cannot subtract ${b} from ${a}: the result would be negative`);
  return (a - b) as Kobo;
}

/**
 * Splits `total` in proportion to `weights` by the largest-remainder method: each share is
 * `floor(total * w / sum(w))`, and the kobo left over go one each to the largest remainders (ties
 * to the earlier index). The shares always sum to exactly `total`, and each is within one kobo of
 * its exact proportion. Weights must be non-negative integers with a positive sum; a zero weight
 * gets zero.
 */
export function allocate(total: Kobo, weights: readonly bigint[] | readonly number[]): Kobo[] {
  if (weights.length === 0) throw new KoboError("allocate needs at least one weight");
  const ws = weights.map((w, i) => {
    if (typeof w === "number" && !Number.isSafeInteger(w)) throw new KoboError(`weight ${i} must be an integer, got ${w}`);
    const b = BigInt(w);
    if (b < 0n) throw new KoboError(`weight ${i} must not be negative, got ${b}`);
    return b;
  });
  const sum = ws.reduce((a, b) => a + b, 0n);
  if (sum === 0n) throw new KoboError("allocate needs at least one positive weight");
  const shares = ws.map((w) => (total * w) / sum);
  const remainders = ws.map((w, i) => ({ i, r: (total * w) % sum }));
  let left = total - shares.reduce((a, b) => a + b, 0n);
  // Largest remainder first; equal remainders in index order, so the result is deterministic.
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i] = (shares[i] as bigint) + 1n;
    left -= 1n;
  }
  return shares as Kobo[];
}
