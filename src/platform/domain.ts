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

/**
 * An app's products as stored: `auth` first and always (Okra: free and always on), then the
 * others in the canonical PRODUCTS order, each once, so equal sets compare equal.
 */
export function normalizeProducts(requested: readonly Product[]): Product[] {
  const wanted = new Set<Product>(["auth", ...requested]);
  return PRODUCTS.filter((p) => wanted.has(p));
}

export const APP_NAME_MAX = 100;
export const URL_MAX_LENGTH = 2048;
/** A logo sent inline as a data URL, counted in characters of the URL (≈ bytes: it is ASCII). */
export const LOGO_DATA_URL_MAX_BYTES = 100 * 1024;
export const COLOR_PATTERN = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
/** Bank directory slugs: lower-case words joined by dashes ("guaranty-trust-bank"). */
export const BANK_SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// SVG is left out of inline logos on purpose: an SVG document can carry script, and a data URL
// is one mistaken `<object>` or top-level open away from running it on someone's origin.
const LOGO_DATA_URL = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;

/** True for an absolute http(s) URL with a host (callback and redirect URLs). */
export function isHttpUrl(value: string, options: { httpsOnly?: boolean } = {}): boolean {
  if (value.length > URL_MAX_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const allowed = options.httpsOnly ? ["https:"] : ["http:", "https:"];
  return allowed.includes(url.protocol) && url.hostname.length > 0;
}

/** Why a logo is refused, or null when it is an https URL or a small inline raster image. */
export function logoProblem(value: string): string | null {
  if (value.startsWith("data:")) {
    if (value.length > LOGO_DATA_URL_MAX_BYTES) return `must be at most ${LOGO_DATA_URL_MAX_BYTES / 1024} KB as a data URL`;
    return LOGO_DATA_URL.test(value) ? null : "must be a base64 data:image/png, jpeg, gif or webp URL";
  }
  return isHttpUrl(value, { httpsOnly: true }) ? null : "must be an https URL or a data:image/… URL";
}

/** Dashboard sessions last this long from login, whatever the activity (no sliding renewal). */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const SESSION_COOKIE = "okro_session";
export const SESSION_TOKEN_BYTES = 32;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
/** Longest key rotation grace: a week is enough to redeploy everything that holds the old key. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 60 * 60;
