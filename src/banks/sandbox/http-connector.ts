import {
  ConnectorError,
  MUTATING_OPERATIONS,
  type BankConnector,
  type BankNetwork,
  type CallOptions,
  type ConnectorContext,
  type ConnectorOperation,
} from "../connector.js";
import { DEFAULT_TIMEOUT_MS } from "./in-process.js";
import {
  SandboxAdminError,
  SandboxUnavailableError,
  type BankFaults,
  type CustomerInput,
  type FaultSettings,
  type OpRequest,
  type OpResult,
  type SandboxAdmin,
  type SandboxBankProfile,
  type SandboxClockView,
  type SandboxCustomerView,
} from "./types.js";
import { REALM_HEADER, connectorErrorFromWire, fromWire, toWire } from "./wire.js";
import { DispatchingConnector } from "./dispatching-connector.js";

/**
 * Clients of the HTTP sandbox bank (`okro sandbox-bank`, ./http-server.ts): a connector that
 * reaches a sandbox bank over a real socket, the way a real bank integration reaches its bank,
 * the admin controls, and the network of such connectors.
 */

export interface HttpConnectorOptions {
  /** Timeout of calls made without `timeoutMs` (default 30 s). */
  defaultTimeoutMs?: number;
}

/** Error codes of a request that never reached the server: safe to send again. */
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Error codes of a connection lost after the request went out: the server may have acted. */
const LOST_AFTER_SENT = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_CLOSED"]);

/**
 * A sandbox bank reached over HTTP. Failures are classified by what the caller can know:
 *
 * - no answer within the call's timeout → `timeout`;
 * - the request never reached the bank (connection refused, unknown host) → `retryable`;
 * - the connection dropped after the request was sent → `timeout`, for every operation: the bank
 *   may have acted, so the caller must re-query rather than resend;
 * - an error answer with a ConnectorError body → that error;
 * - any other answer (a proxy's HTML page, a malformed body) → `retryable` for reads, `timeout`
 *   for operations that move money or create authorities.
 *
 * Error messages name the operation and the bank's origin, never anything from the request.
 */
export class HttpConnector extends DispatchingConnector {
  readonly #endpoint: URL;
  readonly #origin: string;
  readonly #realm: string;
  readonly #defaultTimeoutMs: number;

  constructor(
    baseUrl: string,
    readonly bankId: string,
    realm: string,
    options: HttpConnectorOptions = {},
  ) {
    super();
    this.#endpoint = new URL(`v1/banks/${encodeURIComponent(bankId)}/`, withSlash(baseUrl));
    this.#origin = this.#endpoint.origin;
    this.#realm = realm;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  protected async call<O extends ConnectorOperation>(op: O, request: OpRequest<O>, options: CallOptions | undefined): Promise<OpResult<O>> {
    const timeoutMs = options?.timeoutMs ?? this.#defaultTimeoutMs;
    const where = `${op} at the sandbox bank ${this.#origin}`;
    let answer: Answer;
    try {
      answer = await exchange(new URL(op, this.#endpoint), "POST", { [REALM_HEADER]: this.#realm }, toWire(request), timeoutMs);
    } catch (error) {
      throw transportError(error, op, where, timeoutMs);
    }
    const { status, body } = answer;
    if (status === 200 && isObject(body) && body.ok === true && "result" in body) return fromWire(body.result) as OpResult<O>;
    if (status >= 400 && isObject(body) && body.ok === false) {
      const error = connectorErrorFromWire(body.error);
      if (error) throw error;
    }
    throw unexpectedAnswer(op, `${where} answered unexpectedly (HTTP ${status})`);
  }
}

/**
 * The sandbox bank's admin controls over HTTP. Create with {@link HttpSandboxAdmin.connect},
 * which fetches the (static) bank list once so that {@link banks} can answer synchronously.
 * Refusals come back as {@link SandboxAdminError}s; transport failures and unexpected answers
 * as plain Errors.
 */
export class HttpSandboxAdmin implements SandboxAdmin {
  /** The sandbox bank's base URL, as given to {@link connect}. */
  readonly baseUrl: string;
  readonly #banks: readonly SandboxBankProfile[];
  readonly #timeoutMs: number;

  private constructor(baseUrl: string, banks: readonly SandboxBankProfile[], timeoutMs: number) {
    this.baseUrl = baseUrl;
    this.#banks = banks;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects to the sandbox bank at `baseUrl` (fetching its bank list); fails when it is unreachable. */
  static async connect(baseUrl: string, options: { timeoutMs?: number } = {}): Promise<HttpSandboxAdmin> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const banks = await adminCall<SandboxBankProfile[]>(baseUrl, "GET", "banks", undefined, undefined, timeoutMs);
    if (!Array.isArray(banks)) throw new SandboxUnavailableError(`the sandbox bank at ${new URL(baseUrl).origin} sent no bank list`);
    return new HttpSandboxAdmin(baseUrl, Object.freeze(banks), timeoutMs);
  }

  banks(): SandboxBankProfile[] {
    return [...this.#banks];
  }
  createCustomers(realm: string, inputs: CustomerInput[]): Promise<SandboxCustomerView[]> {
    return this.#post("customers/create", realm, { customers: inputs });
  }
  generateCustomers(realm: string, count: number): Promise<CustomerInput[]> {
    return this.#post("customers/generate", realm, { count });
  }
  listCustomers(realm: string, page: number, limit: number): Promise<{ customers: SandboxCustomerView[]; total: number }> {
    return this.#post("customers/list", realm, { page, limit });
  }
  async getCustomer(realm: string, id: string): Promise<SandboxCustomerView | undefined> {
    return (await this.#post<SandboxCustomerView | null>("customers/get", realm, { id })) ?? undefined;
  }
  getFaults(realm: string): Promise<BankFaults[]> {
    return this.#post("faults/get", realm, {});
  }
  setFaults(realm: string, bankId: string, settings: FaultSettings): Promise<BankFaults> {
    return this.#post("faults/set", realm, { bankId, settings });
  }
  async clearFaults(realm: string, bankId?: string): Promise<void> {
    await this.#post("faults/clear", realm, bankId === undefined ? {} : { bankId });
  }
  getClock(realm: string): Promise<SandboxClockView> {
    return this.#post("clock/get", realm, {});
  }
  advanceClock(realm: string, ms: number): Promise<SandboxClockView> {
    return this.#post("clock/advance", realm, { ms });
  }

  #post<T>(path: string, realm: string, body: Record<string, unknown>): Promise<T> {
    return adminCall<T>(this.baseUrl, "POST", path, realm, body, this.#timeoutMs);
  }
}

/**
 * The sandbox bank network over HTTP: one {@link HttpConnector} per bank and realm, created on
 * first use and kept. Knows the banks from a connected {@link HttpSandboxAdmin}.
 */
export class HttpSandboxNetwork implements BankNetwork {
  readonly #baseUrl: string;
  readonly #bankIds: ReadonlySet<string>;
  readonly #options: HttpConnectorOptions;
  readonly #connectors = new Map<string, HttpConnector>();

  constructor(admin: HttpSandboxAdmin, options: HttpConnectorOptions = {}) {
    this.#baseUrl = admin.baseUrl;
    this.#bankIds = new Set(admin.banks().map((bank) => bank.bankId));
    this.#options = options;
  }

  supports(bankId: string): boolean {
    return this.#bankIds.has(bankId);
  }

  connector(bankId: string, context: ConnectorContext): BankConnector | undefined {
    if (!this.supports(bankId)) return undefined;
    const key = JSON.stringify([context.realm, bankId]);
    let connector = this.#connectors.get(key);
    if (!connector) {
      connector = new HttpConnector(this.#baseUrl, bankId, context.realm, this.#options);
      this.#connectors.set(key, connector);
    }
    return connector;
  }
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  /** The parsed JSON body; `undefined` when it was not JSON. */
  body: unknown;
}

/** One HTTP exchange, JSON each way; rejects on transport failures and when `timeoutMs` runs out. */
async function exchange(url: URL, method: "GET" | "POST", headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

/** Classifies a failed exchange (see {@link HttpConnector}); the original error is kept as `cause`. */
function transportError(error: unknown, op: ConnectorOperation, where: string, timeoutMs: number): ConnectorError {
  let classified: ConnectorError;
  const name = (error as Error | undefined)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    classified = new ConnectorError("timeout", `${where} did not answer within ${timeoutMs} ms; the outcome is unknown`);
  } else {
    const codes = errorCodes(error);
    if (codes.some((code) => LOST_AFTER_SENT.has(code))) {
      classified = new ConnectorError("timeout", `${where}: the connection closed before the answer; the outcome is unknown`);
    } else if (codes.some((code) => NEVER_SENT.has(code))) {
      classified = new ConnectorError("retryable", `could not reach ${where} (${codes.join(", ")}); nothing was sent`);
    } else {
      classified = unexpectedAnswer(op, `${where} failed (${codes.join(", ") || "network error"})`);
    }
  }
  classified.cause = error;
  return classified;
}

/** An answer the protocol does not explain: safe to retry for reads; an unknown outcome for mutations. */
function unexpectedAnswer(op: ConnectorOperation, message: string): ConnectorError {
  return MUTATING_OPERATIONS.has(op)
    ? new ConnectorError("timeout", `${message}; the outcome is unknown`)
    : new ConnectorError("retryable", message);
}

/** Every `code` on an error, its `cause` chain and an AggregateError's members. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!isObject(error) || depth > 5) return [];
  const own = typeof error.code === "string" ? [error.code] : [];
  const members = Array.isArray(error.errors) ? error.errors.flatMap((e: unknown) => errorCodes(e, depth + 1)) : [];
  return [...new Set([...own, ...errorCodes(error.cause, depth + 1), ...members])];
}

async function adminCall<T>(
  baseUrl: string,
  method: "GET" | "POST",
  path: string,
  realm: string | undefined,
  body: Record<string, unknown> | undefined,
  timeoutMs: number,
): Promise<T> {
  const url = new URL(`v1/admin/${path}`, withSlash(baseUrl));
  const where = `the sandbox bank at ${url.origin} (admin ${path})`;
  let answer: Answer;
  try {
    answer = await exchange(url, method, realm === undefined ? {} : { [REALM_HEADER]: realm }, body, timeoutMs);
  } catch (error) {
    const reason = (error as Error | undefined)?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : errorCodes(error).join(", ") || "network error";
    throw new SandboxUnavailableError(`${where} failed: ${reason}`, { cause: error });
  }
  const { status, body: answerBody } = answer;
  if (isObject(answerBody) && answerBody.ok === true && status === 200) return answerBody.result as T;
  const refusal = isObject(answerBody) ? adminErrorFromWire(answerBody.adminError) : undefined;
  if (refusal) throw refusal;
  throw new SandboxUnavailableError(`${where} answered unexpectedly (HTTP ${status})`);
}

function adminErrorFromWire(json: unknown): SandboxAdminError | undefined {
  if (!isObject(json)) return undefined;
  const { code, message, field } = json;
  if ((code !== "INVALID_FIELD" && code !== "NOT_FOUND" && code !== "CONFLICT") || typeof message !== "string") return undefined;
  return new SandboxAdminError(code, message, typeof field === "string" ? field : undefined);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** A base URL as a directory, so relative paths resolve under it (`http://h/sandbox` → `http://h/sandbox/`). */
const withSlash = (baseUrl: string) => (baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
