import {
  ConnectorError,
  Secret,
  type ConnectorErrorJson,
  type ConnectorErrorKind,
  type RejectReason,
} from "../connector.js";

/**
 * The wire protocol between the HTTP sandbox bank and its clients: the realm header, and the JSON
 * encoding of connector requests, results and errors.
 *
 * A {@link Secret} refuses to serialise (`JSON.stringify` sees `[redacted]`), which is what every
 * log line and error message needs, but the wire must carry the value. So values are walked
 * before stringifying: each Secret becomes `{ "$secret": "<value>" }`, and {@link fromWire} turns
 * such objects back into Secrets. An object whose only key is `$secret` is therefore reserved;
 * no connector request or result has one.
 */

/** The HTTP header that names the realm (the tenant's sandbox world) of a call to the sandbox bank. */
export const REALM_HEADER = "x-sandbox-realm";

/** The key of an encoded secret. */
export const SECRET_KEY = "$secret";

/** JSON-safe data: what {@link toWire} produces and what a JSON body parses into. */
export type WireValue = null | boolean | number | string | WireValue[] | { [key: string]: WireValue };

/**
 * A deep copy of `value` that JSON can carry, with every {@link Secret} replaced by
 * `{ "$secret": "<value>" }`. The result holds credentials in clear: stringify it straight into
 * a request or response body and never log it. Object properties that are `undefined` are left
 * out (as `JSON.stringify` would); values that are not plain data (a Date, a class instance)
 * are copied by reference and left to their own `toJSON`.
 */
export function toWire(value: unknown): WireValue {
  if (value instanceof Secret) return { [SECRET_KEY]: value.reveal() };
  if (Array.isArray(value)) return value.map(toWire);
  if (isPlainObject(value)) {
    const out: Record<string, WireValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) setOwn(out, key, toWire(item));
    }
    return out;
  }
  return value as WireValue;
}

/**
 * The inverse of {@link toWire}: a deep copy of parsed JSON in which every `{ "$secret": string }`
 * object is a {@link Secret} again. The result is untyped: validate it (the server does) or
 * trust its source (the client trusts the sandbox bank's results).
 */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === SECRET_KEY && typeof value[SECRET_KEY] === "string") {
      return new Secret(value[SECRET_KEY]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) setOwn(out, key, fromWire(value[key]));
    return out;
  }
  return value;
}

// Records (not arrays) so that the compiler insists every kind and reason is listed.
const ERROR_KINDS: Record<ConnectorErrorKind, true> = {
  retryable: true,
  timeout: true,
  rejected: true,
  rate_limited: true,
  not_supported: true,
};
const REJECT_REASONS: Record<RejectReason, true> = {
  invalid_credentials: true,
  locked: true,
  invalid_otp: true,
  mfa_expired: true,
  session_expired: true,
  insufficient_funds: true,
  limit_exceeded: true,
  unknown_account: true,
  duplicate_reference: true,
  mandate_inactive: true,
  not_found: true,
  invalid_request: true,
  invalid_answer: true,
};

/**
 * The {@link ConnectorError} a wire body describes, or `undefined` when `json` is not a
 * well-formed {@link ConnectorErrorJson} (unknown kind or reason, wrongly typed details).
 * The other direction is `error.toJSON()`, which carries no secrets.
 */
export function connectorErrorFromWire(json: unknown): ConnectorError | undefined {
  if (!isPlainObject(json)) return undefined;
  const { kind, message, reason, retryAfterMs, attemptsLeft, field } = json;
  const ok =
    typeof kind === "string" &&
    Object.hasOwn(ERROR_KINDS, kind) &&
    typeof message === "string" &&
    (reason === undefined || (typeof reason === "string" && Object.hasOwn(REJECT_REASONS, reason))) &&
    (retryAfterMs === undefined || isNonNegativeInteger(retryAfterMs)) &&
    (attemptsLeft === undefined || isNonNegativeInteger(attemptsLeft)) &&
    (field === undefined || typeof field === "string");
  if (!ok) return undefined;
  return ConnectorError.fromJSON({
    kind: kind as ConnectorErrorKind,
    message,
    ...(reason !== undefined ? { reason: reason as RejectReason } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs: retryAfterMs as number } : {}),
    ...(attemptsLeft !== undefined ? { attemptsLeft: attemptsLeft as number } : {}),
    ...(field !== undefined ? { field } : {}),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const isNonNegativeInteger = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** Assigns an own property, even one named `__proto__` (plain assignment would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
