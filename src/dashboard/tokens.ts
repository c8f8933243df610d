import { randomToken, sha256Hex } from "../lib/secrets.js";

/**
 * One-time tokens in emailed links (password reset, invitation): 32 random bytes, base64url.
 * Only the SHA-256 is stored, like sessions and keys; an unknown, malformed, used or expired
 * token gets the same answer.
 */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newLinkToken(): { token: string; hash: string } {
  const token = randomToken(32);
  return { token, hash: sha256Hex(token) };
}

export const hashLinkToken = (token: string): string | null => (LINK_TOKEN_PATTERN.test(token) ? sha256Hex(token) : null);
