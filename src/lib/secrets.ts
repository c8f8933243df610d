import { createHash, randomBytes } from "node:crypto";

/** SHA-256 hex digest. Used for what we only ever compare (API keys, session tokens). */
export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** `bytes` cryptographically random bytes, base64url (no padding). 32 bytes → 43 chars. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * Canonical JSON: object keys sorted at every depth, so that two requests with the same fields
 * in a different order hash the same (used for Idempotency-Key request fingerprints).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    // No prototype: an own "__proto__" key (JSON.parse makes those) must stay a key, not
    // become the object's prototype and vanish from the output.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}
