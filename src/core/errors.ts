/**
 * The closed list of error codes Okro answers with, and the HTTP status of each. The names follow
 * Okra's documented `INVALID_REQUEST` family (MISSING_FIELDS, UNKNOWN_FIELDS, INVALID_FIELD,
 * INVALID_BODY, NOT_FOUND, SANDBOX_ONLY, RATE_LIMIT_EXCEEDED) so existing error handling keeps
 * working; the rest are ours. The map is exhaustive: adding a code without a status fails tsc.
 */
export const ERROR_STATUS = {
  /** A required field is absent. Send it; the message names it. */
  MISSING_FIELDS: 400,
  /** The body has a field this route does not take (mutating routes reject unknown fields). */
  UNKNOWN_FIELDS: 400,
  /** A field has the wrong type or value. The message names the field and what it must be. */
  INVALID_FIELD: 400,
  /** The body is not parseable (malformed JSON or form) or is not an object. */
  INVALID_BODY: 400,
  /** A header is malformed (e.g. an Idempotency-Key longer than 255 characters). */
  INVALID_HEADERS: 400,
  /** No usable secret key: missing, malformed, unknown, revoked or expired. */
  UNAUTHORIZED: 401,
  /** Authenticated, but this caller may not do this (e.g. cross-origin dashboard request). */
  FORBIDDEN: 403,
  /** A production key was used on a sandbox-only path (`/v2/sandbox/…`, `/sandbox/v2/…`). */
  SANDBOX_ONLY: 403,
  /** No such resource for this company and environment (also what another tenant's id gets). */
  NOT_FOUND: 404,
  /** The route exists but not with this HTTP method. */
  METHOD_NOT_ALLOWED: 405,
  /** The request conflicts with current state (e.g. an email already registered). */
  CONFLICT: 409,
  /** The Idempotency-Key was already used with a different request. Use a new key. */
  IDEMPOTENCY_KEY_REUSED: 409,
  /** The body is larger than the server accepts. */
  PAYLOAD_TOO_LARGE: 413,
  /** The body's Content-Type is neither JSON nor form-encoded. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Well-formed, but a business rule refuses it (e.g. rotating a key that is revoked). */
  UNPROCESSABLE: 422,
  /** Too many requests for this key in the current window; see the RateLimit-* headers. */
  RATE_LIMIT_EXCEEDED: 429,
  /** Something failed on our side. Nothing about it is leaked; quote the request id. */
  INTERNAL_ERROR: 500,
  /** The service cannot serve right now (e.g. database unreachable). Retry later. */
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export class OkroError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly field: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; data?: Record<string, unknown> } = {}) {
    super(message);
    this.name = "OkroError";
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.field = options.field;
    this.data = options.data;
  }
}

export const notFound = (what: string) => new OkroError("NOT_FOUND", `${what} not found`);
