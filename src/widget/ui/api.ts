/**
 * The one way the app talks to its backend (`/api/*` on this origin, protocol.ts): JSON in the
 * Okra envelope, a bearer session token, a 20 s timeout, and errors classified so each screen
 * can say what happened and what to do. Nothing here retries by itself: a login or an MFA
 * answer is sent again only when the person presses "Try again", and then as the very same
 * request (same body, same Idempotency-Key).
 */

export const REQUEST_TIMEOUT_MS = 20_000;
/**
 * `POST /api/connect` pulls the accounts, identity and up to 24 months of transactions while
 * the person waits, one bank call after another where the bank's cursor demands it: at a slow
 * bank that is well past REQUEST_TIMEOUT_MS (okro_corp at First Bank: 12–22 s). Giving up at
 * 20 s showed "taking too long" over an account that was being connected — and "Leave? Nothing
 * is shared" if the person then closed the widget.
 */
export const CONNECT_TIMEOUT_MS = 120_000;
/**
 * Login and MFA answers wait on the bank: up to 25 s a call on the server (BANK_CALL_TIMEOUT_MS in
 * session.ts), and a login that gets straight in also lists the accounts (a second call). Giving
 * up sooner than the server would say "taking too long" over a login that then succeeds.
 */
export const BANK_STEP_TIMEOUT_MS = 60_000;

export type Failure =
  /** Offline, or the request never got an answer (connection dropped, DNS, CORS…). */
  | { kind: "network" }
  /** No answer within REQUEST_TIMEOUT_MS. */
  | { kind: "timeout" }
  /** The backend answered with an error envelope. */
  | { kind: "http"; status: number; code: string; reason: string | null; message: string; data: Record<string, unknown> };

export class ApiError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind === "http" ? failure.message : failure.kind);
  }
}

let sessionToken: string | null = null;

export function setSessionToken(token: string | null): void {
  sessionToken = token;
}

/** A random key for one logical request, kept across its manual retries. */
export function newRequestKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export async function api<T>(method: "GET" | "POST", path: string, body?: unknown, requestKey?: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.onLine === false) throw new ApiError({ kind: "network" });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (sessionToken) headers.authorization = `Bearer ${sessionToken}`;
  if (requestKey) headers["idempotency-key"] = requestKey;
  let status: number;
  let payload: unknown = null;
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
    });
    status = res.status;
    try {
      payload = await res.json();
    } catch {
      payload = null;
    }
  } catch {
    throw new ApiError(controller.signal.aborted ? { kind: "timeout" } : { kind: "network" });
  } finally {
    clearTimeout(timer);
  }
  if (status >= 200 && status < 300 && isObject(payload) && payload.status === "success") return payload.data as T;
  const envelope = isObject(payload) ? payload : {};
  const data = isObject(envelope.data) ? envelope.data : {};
  throw new ApiError({
    kind: "http",
    status,
    code: typeof envelope.error === "string" ? envelope.error : `HTTP_${status}`,
    reason: typeof data.reason === "string" ? data.reason : null,
    message: typeof envelope.message === "string" ? envelope.message : "Unexpected answer from the server",
    data,
  });
}
