/**
 * The dashboard's one way to its JSON API (`/dashboard/api/*`, same origin, cookie session).
 * Every call: JSON in, Okra envelope out. A state-changing call sends `Content-Type:
 * application/json` (the server's CSRF guard refuses anything else) and an `Idempotency-Key`
 * (the caller keeps one per logical action, so pressing "Try again" repeats the same request).
 * Failures come back as `ApiError` with the field the server named, so forms can show the message
 * beside it. A 401 tells `onSignedOut` listeners (the app shows the sign-in dialog over the page,
 * keeping what was typed) and still rejects, so the form stays as it was.
 */

export type Role = "owner" | "admin" | "developer" | "viewer";
export type Env = "sandbox" | "production";

export interface Envelope<T> {
  status: "success";
  message: string;
  data: T;
}

export type Failure =
  | { kind: "network" }
  | { kind: "http"; status: number; code: string; message: string; field: string | null; data: Record<string, unknown> };

export class ApiError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind === "http" ? failure.message : "Network error: check your connection and try again.");
  }
  get status(): number {
    return this.failure.kind === "http" ? this.failure.status : 0;
  }
  /** The request field the server named (`email`, `amount`…), or null. */
  get field(): string | null {
    return this.failure.kind === "http" ? this.failure.field : null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A random key for one logical action, kept across its retries. */
export function newRequestKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called whenever the API says the session is gone (401). Returns an unsubscribe function. */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/**
 * The field a message is about: `data.field` when the server set it, else the leading
 * `name:` of the message ("email: an account with this email already exists").
 */
export function fieldOf(message: string, data: Record<string, unknown>): string | null {
  if (typeof data.field === "string") return data.field;
  const match = /^([a-z_][a-z0-9_.[\]]*):\s/i.exec(message);
  return match ? match[1]! : null;
}

export interface RequestOptions {
  /** Idempotency-Key for a mutation; one is made when absent. */
  key?: string;
  /** Do not announce a 401 (the sign-in form's own call, the first `/me`). */
  quiet401?: boolean;
}

export async function request<T>(method: "GET" | "POST", path: string, body?: unknown, options: RequestOptions = {}): Promise<Envelope<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    headers["idempotency-key"] = options.key ?? newRequestKey();
  }
  let res: Response;
  try {
    res = await fetch(`/dashboard/api${path}`, {
      method,
      headers,
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError({ kind: "network" });
  }
  let payload: unknown = null;
  try {
    payload = await res.json();
  } catch {
    payload = null;
  }
  if (res.ok && isObject(payload) && payload.status === "success") return payload as unknown as Envelope<T>;
  const env = isObject(payload) ? payload : {};
  const message = typeof env.message === "string" ? env.message : `The server answered ${res.status}; try again.`;
  const data = isObject(env.data) ? env.data : {};
  if (res.status === 401 && !options.quiet401) for (const l of signedOutListeners) l();
  throw new ApiError({ kind: "http", status: res.status, code: typeof env.error === "string" ? env.error : "ERROR", message, field: fieldOf(message, data), data });
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options);
export const post = <T>(path: string, body: unknown, options?: RequestOptions) => request<T>("POST", path, body, options);

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

// ----- shapes the shell itself uses -------------------------------------------------------------

export interface KeyView {
  id: string;
  env: Env;
  kind: "secret" | "public";
  display_prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
}

export interface Me {
  user: { id: string; email: string; name: string; role: Role; created_at: string };
  company: { id: string; name: string; created_at: string };
  environments: Record<Env, { env: Env; wire_env: string; client_token: string; keys: KeyView[] }>;
}

/** Formats integer kobo as naira for display only (money is never a float anywhere else). */
export function formatKobo(kobo: number, currency = "NGN"): string {
  const negative = kobo < 0;
  const abs = Math.abs(kobo);
  const naira = Math.floor(abs / 100).toLocaleString("en-NG");
  const rest = String(abs % 100).padStart(2, "0");
  return `${negative ? "-" : ""}${currency === "NGN" ? "₦" : currency + " "}${naira}.${rest}`;
}

export const shortDate = (iso: string | null | undefined) => (iso ? iso.slice(0, 16).replace("T", " ") : "—");
