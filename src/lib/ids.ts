import { randomBytes } from "node:crypto";

/**
 * Okra's ids are MongoDB ObjectIds: 24 lower-case hex characters. We keep that shape on the
 * wire so existing integrations that validate ids keep working. Layout as ObjectId: 4 bytes of
 * seconds since the epoch (so ids sort roughly by creation), then 8 random bytes (no counter:
 * several processes create ids at once, and 64 random bits make collisions negligible).
 */
export function newId(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000) >>> 0;
  return seconds.toString(16).padStart(8, "0") + randomBytes(8).toString("hex");
}

export const ID_PATTERN = /^[0-9a-f]{24}$/;

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

const SHORT_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * A short link code (apps' `short_url`, payment links): 10 characters of an alphabet without
 * look-alikes (0/O, 1/l/I), ~57 bits. Public (it appears in URLs), so it grants nothing by itself.
 */
export function shortCode(length = 10): string {
  const bytes = randomBytes(length);
  let out = "";
  // 256 % 56 bias is negligible for a non-secret code.
  for (const b of bytes) out += SHORT_ALPHABET[b % SHORT_ALPHABET.length];
  return out;
}
