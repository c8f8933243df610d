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
