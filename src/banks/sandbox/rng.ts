import { createHash } from "node:crypto";

/**
 * A small seeded pseudo-random number generator for the sandbox bank's data: the same seed
 * always gives the same stream, on every platform and Node version.
 *
 * The state is seeded from SHA-256 of the seed string (well mixed even for seeds that differ in
 * one character, such as "acct:1" and "acct:2") and advanced with sfc32 (Chris Doty-Humphrey's
 * Small Fast Counting generator, 128-bit state, public domain; passes PractRand). Not for secrets.
 */
export interface Rng {
  /** A float in [0, 1) with 53 random bits. */
  next(): number;
  /** An integer in [min, max], both inclusive. Throws RangeError unless both are safe integers, min ≤ max. */
  int(min: number, max: number): number;
  /** One of `items`, uniformly. Throws RangeError when empty. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p` (0–1). */
  chance(p: number): boolean;
  /** `n` random decimal digits (leading zeros allowed). */
  digits(n: number): string;
  /**
   * An independent stream derived from this generator's seed and `label` only: it does not
   * depend on how much of this stream was drawn, so `fork("month:7")` needs no draws for months
   * 1–6. The same label always gives the same stream; different labels give unrelated ones.
   */
  fork(label: string): Rng;
}

/** "000" … "999", for building digit strings without number formatting. */
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** Creates a generator whose whole output is determined by `seed`. */
export function createRng(seed: string): Rng {
  const hash = createHash("sha256").update(seed, "utf8").digest();
  let a = hash.readUInt32LE(0);
  let b = hash.readUInt32LE(4);
  let c = hash.readUInt32LE(8);
  let d = hash.readUInt32LE(12);

  /** sfc32: the next 32-bit output. */
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };

  const next = (): number => {
    // 27 + 26 bits, as in the reference genrand_res53.
    const hi = next32() >>> 5;
    const lo = next32() >>> 6;
    return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
  };

  const int = (min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new RangeError(`int(min, max) needs safe integers with min ≤ max, got ${min}, ${max}`);
    }
    return min + Math.floor(next() * (max - min + 1));
  };

  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("pick() from an empty list");
      return items[int(0, items.length - 1)]!;
    },
    chance(p: number): boolean {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`chance(p) needs 0 ≤ p ≤ 1, got ${p}`);
      return next() < p;
    },
    digits(n: number): string {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`digits(n) needs a non-negative integer, got ${n}`);
      // Up to 9 digits per 53-bit draw: each of the 10^9 values gets 2^53 / 10^9 ≈ 9·10^6 draws,
      // so the bias is below 10^-6.
      let out = "";
      for (let left = n; left > 0; left -= 9) {
        const v = Math.floor(next() * 1e9);
        const nine = THREE_DIGITS[Math.floor(v / 1e6)]! + THREE_DIGITS[Math.floor(v / 1e3) % 1000]! + THREE_DIGITS[v % 1000]!;
        out += left >= 9 ? nine : nine.slice(0, left);
      }
      return out;
    },
    fork(label: string): Rng {
      // A JSON-encoded label has no raw NUL, so the last NUL splits seed from label: distinct
      // (seed, label) pairs always hash distinct strings.
      return createRng(`${seed}\u0000${JSON.stringify(label)}`);
    },
  };
}
