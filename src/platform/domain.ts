import type { ApiKeyKind, Env } from "../db/schema.js";
import { randomToken, sha256Hex } from "../lib/secrets.js";

/**
 * API keys. A key is a prefix naming its kind and environment plus 32 random bytes (base64url,
 * 43 characters). Only its SHA-256 is stored; the clear key is shown once, when it is made.
 * A short display prefix (kind, environment and 4 characters) lets people tell keys apart.
 */
export const KEY_PREFIX: Record<ApiKeyKind, Record<Env, string>> = {
  secret: { sandbox: "sk_test_", production: "sk_live_" },
  public: { sandbox: "pk_test_", production: "pk_live_" },
};
export const KEY_RANDOM_BYTES = 32;
const KEY_PATTERN = /^(sk|pk)_(test|live)_([A-Za-z0-9_-]{43})$/;

export interface NewKey {
  key: string;
  hash: string;
  displayPrefix: string;
}

export function generateKey(kind: ApiKeyKind, env: Env): NewKey {
  const key = KEY_PREFIX[kind][env] + randomToken(KEY_RANDOM_BYTES);
  return { key, hash: sha256Hex(key), displayPrefix: key.slice(0, KEY_PREFIX[kind][env].length + 4) };
}

export interface ParsedKey {
  kind: ApiKeyKind;
  env: Env;
  hash: string;
}

/** Recognises a well-formed key and says what it claims to be; `null` when malformed. */
export function parseKey(value: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(value);
  if (!match) return null;
  return {
    kind: match[1] === "sk" ? "secret" : "public",
    env: match[2] === "test" ? "sandbox" : "production",
    hash: sha256Hex(value),
  };
}

/** Okra writes environments as `production` and `production-sandbox` on its objects. */
export function wireEnv(env: Env): "production" | "production-sandbox" {
  return env === "production" ? "production" : "production-sandbox";
}

export const ENVIRONMENTS: readonly Env[] = ["sandbox", "production"];

/** Products an app can enable; `auth` is always included (Okra: free, always on). */
export const PRODUCTS = ["auth", "balance", "transactions", "identity", "income", "payments"] as const;
export type Product = (typeof PRODUCTS)[number];

export const DEFAULT_APP_COLOR = "#3AB795";
