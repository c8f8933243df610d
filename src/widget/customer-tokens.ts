import type { Env } from "../db/schema.js";
import type { SecretBox } from "../lib/secret-box.js";

/**
 * Customer tokens: the merchant's server vouching, with its secret key, for whom its page opens
 * the widget (`POST /v2/customers/token`, docs/decisions/0013).
 *
 * The widget's options come from a web page holding only the public key, so `customer{bvn}` (or
 * phone, email, id) there is a claim anyone can make. In production the widget recognises a
 * returning customer only from a token: sealed with the secret box (AES-256-GCM), so it cannot be
 * forged, altered or read in the browser (the BVN inside stays hidden), and bound to the company,
 * the environment, optionally one app, and an expiry of minutes. Nothing is stored: a token is
 * checked by opening it.
 */

export const CUSTOMER_TOKEN_PREFIX = "ctk_";
/** A token lives this long by default (seconds)… */
export const CUSTOMER_TOKEN_DEFAULT_TTL_S = 15 * 60;
/** …and at most this long: long enough for a page to load and a customer to start, not a credential to keep. */
export const CUSTOMER_TOKEN_MAX_TTL_S = 60 * 60;
export const CUSTOMER_TOKEN_MIN_TTL_S = 60;
/** Longer than any token we make (identifiers at their longest), shorter than anything abusive. */
export const CUSTOMER_TOKEN_MAX_LENGTH = 2048;
/** Names what the seal is for, so no other sealed value of Okro passes for a token. */
const AAD = "customer_token:v1";

/** The identifiers a token vouches for (at least one). */
export interface VouchedCustomer {
  id?: string;
  bvn?: string;
  email?: string;
  phone?: string;
}

export interface CustomerTokenClaims {
  company_id: string;
  env: Env;
  /** Only this app's widget may use it; null: any app of the company and environment. */
  app_id: string | null;
  customer: VouchedCustomer;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export function sealCustomerToken(secrets: SecretBox, claims: CustomerTokenClaims): string {
  return CUSTOMER_TOKEN_PREFIX + secrets.seal(JSON.stringify(claims), AAD);
}

/**
 * The customer a token vouches for, when it is genuine (sealed by this deployment's key), unexpired
 * and bound to this company, environment and app; otherwise undefined — the caller then treats
 * the customer as unknown, whatever the reason, so a bad token reveals nothing either.
 */
export function openCustomerToken(
  secrets: SecretBox,
  token: string,
  expected: { companyId: string; env: Env; appId: string; now: Date },
): VouchedCustomer | undefined {
  const value = token.trim();
  if (!value.startsWith(CUSTOMER_TOKEN_PREFIX) || value.length > CUSTOMER_TOKEN_MAX_LENGTH) return undefined;
  let claims: CustomerTokenClaims;
  try {
    claims = JSON.parse(secrets.open(value.slice(CUSTOMER_TOKEN_PREFIX.length), AAD)) as CustomerTokenClaims;
  } catch {
    return undefined;
  }
  if (claims.company_id !== expected.companyId || claims.env !== expected.env) return undefined;
  if (claims.app_id !== null && claims.app_id !== expected.appId) return undefined;
  if (!(typeof claims.exp === "number" && claims.exp > expected.now.getTime())) return undefined;
  return claims.customer;
}
