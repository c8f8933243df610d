import { inspect } from "node:util";

/**
 * The bank connector interface: everything Okro asks of a bank, one method per flow.
 *
 * Written for the person adding a real bank. Okro's engine (account-data refreshes, the payment
 * worker, the widget backend) calls only these methods; it never knows whether it is talking to
 * the sandbox network, in-process or over HTTP, or to a real bank's API. Your connector's job is
 * to translate: typed requests in, typed results or a classified {@link ConnectorError} out.
 *
 * Rules every connector keeps:
 * - **Never decide what happens next.** Classify the failure (`retryable`, `timeout`,
 *   `rejected` with a reason, `rate_limited`, `not_supported`) and throw; the engine decides
 *   whether to retry, re-query, ask the customer or give up.
 * - **Never retry a money movement yourself.** `debit`, `credit` and `debitMandate` carry a
 *   caller-chosen `reference` that must be sent to the bank as its idempotency key / transaction
 *   reference. If you cannot tell whether the bank acted (socket closed, timeout, 5xx after the
 *   request was sent), throw `timeout`: the engine re-queries with `debitStatus`/`creditStatus`.
 * - **Credentials are {@link Secret}s.** Reveal them only at the moment you build the request
 *   to the bank; never log them, never put them in an error message.
 * - **Money is integer minor units** (kobo for NGN), as a JavaScript safe integer. Never floats.
 * - **Dates are ISO-8601 UTC strings** in every request and result, so results survive JSON
 *   unchanged (the HTTP sandbox bank and any queue that stores them).
 * - Every call may be given `timeoutMs`; a connector must not take longer than that before it
 *   throws `timeout`.
 */
export interface BankConnector {
  /** The directory id of the bank this connector reaches (24 hex chars). */
  readonly bankId: string;

  /**
   * Starts a login with the customer's credentials, as typed into the widget.
   *
   * Returns `connected` with a session when the bank let them straight in, or `mfa_required`
   * with a session and the challenge the customer must answer (then call {@link answerMfa}).
   * Wrong credentials are `rejected` / `invalid_credentials` (with `attemptsLeft` when the bank
   * says); a blocked profile is `rejected` / `locked`; a login method the bank does not offer is
   * `not_supported`.
   */
  startLogin(request: StartLoginRequest, options?: CallOptions): Promise<LoginResult>;

  /**
   * Answers the MFA challenge of a session from {@link startLogin}. Returns `connected`, or a
   * further challenge (some banks ask twice). A wrong answer is `rejected` / `invalid_otp` with
   * `attemptsLeft`; after the bank's limit the session is dead (`locked`); an expired challenge
   * is `rejected` / `mfa_expired`.
   */
  answerMfa(request: AnswerMfaRequest, options?: CallOptions): Promise<LoginResult>;

  /** The accounts the logged-in customer holds at this bank. `session_expired` when it lapsed. */
  listAccounts(request: SessionRequest, options?: CallOptions): Promise<BankAccount[]>;

  /** Available and ledger balance of one of the session's accounts. */
  getBalance(request: AccountRequest, options?: CallOptions): Promise<BankBalance>;

  /**
   * Transactions of one account within `[from, to]` (inclusive, ISO dates or date-times), newest
   * first. Page with the opaque `cursor` from the previous page while `hasMore` is true; a
   * cursor is only valid with the same account, `from` and `to`.
   */
  listTransactions(request: TransactionsRequest, options?: CallOptions): Promise<TransactionsPage>;

  /** The identity (KYC) the bank holds for the logged-in customer. */
  getIdentity(request: SessionRequest, options?: CallOptions): Promise<BankIdentity>;

  /**
   * Debits one of the session's accounts, authorised by the customer's OTP or PIN, and pays the
   * money to `destination` (or to the network's collection account when omitted).
   *
   * `reference` is the bank's idempotency key: a second debit with a used reference is
   * `rejected` / `duplicate_reference` and moves nothing; ask {@link debitStatus} what happened
   * to the first. The result is `success`, `pending` (the bank will settle it; re-query) or
   * `failed`. Refusals before any money moved are thrown as `rejected` (insufficient_funds,
   * limit_exceeded, invalid_otp, locked…).
   */
  debit(request: DebitRequest, options?: CallOptions): Promise<TransferResult>;

  /**
   * Re-queries a debit by its reference: `success`, `failed`, `pending` or `not_found` (the bank
   * never saw it, so it is safe to send again with the same reference). This is how an unknown
   * outcome (a `timeout`) is settled. Needs no customer session.
   *
   * `not_found` straight after a timeout is not final while the timed-out request may still be
   * on its way to the bank: re-query after a grace period, or re-send with the same reference
   * (`duplicate_reference` then says the first one arrived). Either way money moves once.
   */
  debitStatus(request: StatusRequest, options?: CallOptions): Promise<TransferStatus>;

  /**
   * Credits an account (refunds and payouts): moves `amount` from the institution's own account at
   * this bank to `destination`, at this bank or another (NIP). Same reference rules as
   * {@link debit}; no customer session or authorisation is involved.
   */
  credit(request: CreditRequest, options?: CallOptions): Promise<TransferResult>;

  /** Re-queries a credit by its reference, as {@link debitStatus} does for debits. */
  creditStatus(request: StatusRequest, options?: CallOptions): Promise<TransferStatus>;

  /**
   * Creates a direct-debit authority (mandate) on one of the session's accounts, authorised by
   * the customer. Mandates start `pending` and become `active` when the bank (NIBSS e-mandate)
   * approves them, minutes to hours later: poll {@link getMandate}. `reference` is the mandate's
   * idempotency key, as for debits.
   */
  createMandate(request: CreateMandateRequest, options?: CallOptions): Promise<Mandate>;

  /**
   * The mandate's current state (pending → active; cancelled; expired), by its id or by the
   * caller's reference — the way to recover a mandate whose `createMandate` answer was lost.
   */
  getMandate(request: MandateLookup, options?: CallOptions): Promise<Mandate>;

  /** Cancels a mandate; later debits against it are `rejected` / `mandate_inactive`. Idempotent. */
  cancelMandate(request: MandateRequest, options?: CallOptions): Promise<Mandate>;

  /**
   * Debits an active mandate without the customer present: no session, no OTP. Refused as
   * `mandate_inactive` before activation or after cancellation/expiry, `limit_exceeded` above the
   * mandate's per-debit cap. Reference rules as {@link debit}; re-query with {@link debitStatus}.
   */
  debitMandate(request: MandateDebitRequest, options?: CallOptions): Promise<TransferResult>;

  /**
   * The available balance of an active mandate's account, without the customer: the balance
   * enquiry a standing debit authority allows (what NIBSS runs across banks before a CBN Global
   * Standing Instruction debit). Refused as `mandate_inactive` like {@link debitMandate}.
   */
  mandateBalance(request: MandateRequest, options?: CallOptions): Promise<BankBalance>;
}

/** Per-call options. */
export interface CallOptions {
  /** Give up (and throw `timeout`) after this long. Connectors have a sensible default. */
  timeoutMs?: number;
}

/** Where a connector is used from. Real banks ignore it; the sandbox network keeps one world per realm. */
export interface ConnectorContext {
  /**
   * The sandbox network's tenant: each company gets its own sandbox world (customers, balances,
   * faults, clock), so one company's tests never disturb another's.
   */
  realm: string;
}

/** A registry of connectors: the sandbox network, or a set of real bank integrations. */
export interface BankNetwork {
  /** Whether this network can reach the bank. */
  supports(bankId: string): boolean;
  /** The connector for a bank, or `undefined` when the bank is not reachable here. */
  connector(bankId: string, context: ConnectorContext): BankConnector | undefined;
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

const REDACTED = "[redacted]";

/**
 * A credential (password, PIN, OTP, session token). It never prints: `String()`, template
 * literals, `JSON.stringify`, `console.log`/`util.inspect` and pino all see `[redacted]`. Call
 * {@link Secret.reveal} only where the bank needs the value.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value itself. Use it at the last moment, never keep it, never log it. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
  /** Wraps a value that may already be a Secret. */
  static of(value: string | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and results
// ---------------------------------------------------------------------------------------------

export type LoginMethod = "internet_banking" | "mobile_banking" | "account_number";
export type ChallengeKind = "sms_otp" | "hardware_token" | "security_question";

/**
 * What the customer typed. `identifier` is the internet-banking username, the phone number
 * (mobile banking) or the account number (NUBAN), depending on `method`; `secret` is the
 * password or PIN.
 */
export interface LoginCredentials {
  method: LoginMethod;
  identifier: string;
  secret: Secret;
}

export interface StartLoginRequest {
  credentials: LoginCredentials;
}

/**
 * A bank session handle. Opaque: pass it back as it came. It is a credential (whoever holds it
 * can read the customer's accounts), so it rides in a {@link Secret}.
 */
export interface BankSession {
  token: Secret;
  /** When the bank will stop honouring it (ISO). */
  expiresAt: string;
}

export interface MfaChallenge {
  kind: ChallengeKind;
  /** What to show the customer, e.g. "Enter the OTP sent to 080******21". */
  prompt: string;
  /** The question itself, for `security_question`. */
  question?: string;
  /** Wrong answers left before the bank locks the attempt. */
  attemptsLeft: number;
  /** When the challenge lapses (ISO). */
  expiresAt: string;
}

export type LoginResult =
  | { status: "connected"; session: BankSession }
  | { status: "mfa_required"; session: BankSession; challenge: MfaChallenge };

export interface AnswerMfaRequest {
  session: BankSession;
  answer: Secret;
}

export interface SessionRequest {
  session: BankSession;
}

export interface AccountRequest extends SessionRequest {
  /** The bank's id of the account, as {@link BankAccount.id}. */
  accountId: string;
}

export type AccountType = "savings" | "current" | "domiciliary" | "corporate";

export interface BankAccount {
  /** The bank's stable id for the account (the sandbox uses the NUBAN). */
  id: string;
  /** 10-digit NUBAN. */
  nuban: string;
  /** Account name as the bank holds it. */
  name: string;
  type: AccountType;
  /** ISO 4217, e.g. "NGN". */
  currency: string;
  /** Account holder's BVN, when the bank discloses it on the account. */
  bvn?: string;
  /** When the account was opened (ISO). */
  openedAt: string;
}

export interface BankBalance {
  accountId: string;
  currency: string;
  /** What can be spent now (kobo). */
  available: number;
  /** Book balance, including uncleared items (kobo). */
  ledger: number;
  /** The bank's time of the reading (ISO). */
  asOf: string;
}

export interface TransactionsRequest extends AccountRequest {
  /** Inclusive start (ISO date or date-time). */
  from: string;
  /** Inclusive end (ISO date or date-time). */
  to: string;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
  /** Page size; connectors cap it (the sandbox at 500, default 100). */
  limit?: number;
}

export type TransactionCategory =
  | "salary"
  | "transfer_in"
  | "transfer_out"
  | "pos"
  | "airtime"
  | "bills"
  | "rent"
  | "cash"
  | "fees"
  | "reversal"
  | "interest"
  | "direct_debit"
  | "other";

export interface BankTransaction {
  /** The bank's stable id for the line. */
  id: string;
  /** When it was posted (ISO). */
  postedAt: string;
  type: "credit" | "debit";
  /** Always positive (kobo); `type` says which way. */
  amount: number;
  currency: string;
  /** Balance after this line (kobo). */
  balance: number;
  narration: string;
  category: TransactionCategory;
  /** The transfer's reference, when it has one (e.g. an Okro debit's reference). */
  reference?: string;
  /** NIP session id of an interbank transfer. */
  sessionId?: string;
}

export interface TransactionsPage {
  transactions: BankTransaction[];
  hasMore: boolean;
  /** Present when `hasMore`. */
  nextCursor?: string;
}

export interface BankAddress {
  street: string;
  city: string;
  state: string;
  country: string;
}

export interface BankIdentity {
  kind: "individual" | "corporate";
  fullName: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  /** 11-digit Bank Verification Number (individuals). */
  bvn?: string;
  /** ISO date. */
  dateOfBirth?: string;
  gender?: "male" | "female";
  phones: string[];
  emails: string[];
  address?: BankAddress;
  maritalStatus?: string;
  nationality?: string;
  /** Corporate customers: CAC registration number. */
  rcNumber?: string;
}

/** How the customer authorised a payment: an OTP (sent by the bank) or their PIN. */
export interface PaymentAuthorization {
  otp?: Secret;
  pin?: Secret;
}

/** An account anywhere on the network, by bank and NUBAN. */
export interface AccountRef {
  bankId: string;
  nuban: string;
}

export interface DebitRequest extends AccountRequest {
  /** Kobo, a positive safe integer. */
  amount: number;
  currency: string;
  /** Caller-chosen, unique per bank: the bank's idempotency key. 1–64 chars of [A-Za-z0-9_-]. */
  reference: string;
  narration: string;
  authorization: PaymentAuthorization;
  /** Where the money goes; the network's collection account when omitted. */
  destination?: AccountRef;
}

/**
 * A credit is paid from the institution's own account at the bank (Okro's collection/settlement
 * account), never from a customer's: moving a customer's money needs their authorisation
 * ({@link BankConnector.debit}) or a mandate.
 */
export interface CreditRequest {
  amount: number;
  currency: string;
  reference: string;
  narration: string;
  destination: AccountRef;
}

export interface StatusRequest {
  reference: string;
}

export interface TransferResult {
  reference: string;
  status: "success" | "pending" | "failed";
  amount: number;
  currency: string;
  /** NIP-like 30-digit session id. */
  sessionId: string;
  /** When the bank accepted it (ISO). */
  at: string;
  /** Why, for `failed`. */
  failureReason?: string;
}

export type TransferStatus =
  | (TransferResult & { found: true })
  | { reference: string; status: "not_found"; found: false };

export interface CreateMandateRequest extends AccountRequest {
  reference: string;
  /** Largest single debit allowed (kobo). */
  maxAmount: number;
  currency: string;
  /** First day debits are allowed (ISO date). */
  startDate: string;
  /** Last day debits are allowed (ISO date); open-ended when omitted. */
  endDate?: string;
  narration: string;
  authorization: PaymentAuthorization;
  /** Where mandate debits pay to; the network's collection account when omitted. */
  destination?: AccountRef;
}

export interface MandateRequest {
  mandateId: string;
}

/** A mandate by the bank's id or by the caller's reference. */
export type MandateLookup = MandateRequest | { reference: string };

export interface Mandate {
  id: string;
  reference: string;
  status: "pending" | "active" | "cancelled" | "expired";
  accountId: string;
  maxAmount: number;
  currency: string;
  startDate: string;
  endDate?: string;
  createdAt: string;
  /** When a pending mandate becomes (or became) active (ISO). */
  activatesAt: string;
  cancelledAt?: string;
}

export interface MandateDebitRequest {
  mandateId: string;
  amount: number;
  currency: string;
  reference: string;
  narration: string;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * - `retryable`: the bank did not act (it was down, overloaded, refused the connection); the same
 *   call may be tried again later (`retryAfterMs` when known).
 * - `timeout`: no answer in time, or the answer was lost. For money movements **the outcome is
 *   unknown**: re-query by reference; never send it again blindly.
 * - `rejected`: the bank said no; `reason` says why. Retrying the same call will not help.
 * - `rate_limited`: too many calls; wait `retryAfterMs`.
 * - `not_supported`: this bank does not offer the flow (or the login method).
 */
export type ConnectorErrorKind = "retryable" | "timeout" | "rejected" | "rate_limited" | "not_supported";

export type RejectReason =
  | "invalid_credentials"
  | "locked"
  | "invalid_otp"
  | "mfa_expired"
  | "session_expired"
  | "insufficient_funds"
  | "limit_exceeded"
  | "unknown_account"
  | "duplicate_reference"
  | "mandate_inactive"
  | "not_found"
  | "invalid_request"
  /** The bank answered something Okro cannot hold (e.g. an amount outside integer kobo 0…MAX_KOBO); asking again gives the same. */
  | "invalid_answer";

export interface ConnectorErrorDetails {
  reason?: RejectReason;
  /** For `retryable` and `rate_limited`: when trying again makes sense. */
  retryAfterMs?: number;
  /** For `invalid_credentials` and `invalid_otp`: tries left before the bank locks. */
  attemptsLeft?: number;
  /** For `invalid_request`: which field. */
  field?: string;
}

export class ConnectorError extends Error {
  override readonly name = "ConnectorError";
  readonly kind: ConnectorErrorKind;
  readonly reason: RejectReason | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attemptsLeft: number | undefined;
  readonly field: string | undefined;

  constructor(kind: ConnectorErrorKind, message: string, details: ConnectorErrorDetails = {}) {
    super(message);
    this.kind = kind;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
    this.attemptsLeft = details.attemptsLeft;
    this.field = details.field;
  }

  /** Plain data for the wire (the HTTP sandbox bank) and for logs. Carries no secrets. */
  toJSON(): ConnectorErrorJson {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.attemptsLeft !== undefined ? { attemptsLeft: this.attemptsLeft } : {}),
      ...(this.field ? { field: this.field } : {}),
    };
  }

  static fromJSON(json: ConnectorErrorJson): ConnectorError {
    return new ConnectorError(json.kind, json.message, json);
  }
}

export interface ConnectorErrorJson extends ConnectorErrorDetails {
  kind: ConnectorErrorKind;
  message: string;
}

export const rejected = (reason: RejectReason, message: string, details: Omit<ConnectorErrorDetails, "reason"> = {}) =>
  new ConnectorError("rejected", message, { ...details, reason });

export const invalidRequest = (field: string, message: string) =>
  new ConnectorError("rejected", `${field}: ${message}`, { reason: "invalid_request", field });

export const isConnectorError = (error: unknown): error is ConnectorError => error instanceof ConnectorError;

/** The names of the connector's methods: what the HTTP sandbox bank exposes, one route each. */
export const CONNECTOR_OPERATIONS = [
  "startLogin",
  "answerMfa",
  "listAccounts",
  "getBalance",
  "listTransactions",
  "getIdentity",
  "debit",
  "debitStatus",
  "credit",
  "creditStatus",
  "createMandate",
  "getMandate",
  "cancelMandate",
  "debitMandate",
  "mandateBalance",
] as const satisfies readonly (keyof BankConnector)[];

export type ConnectorOperation = (typeof CONNECTOR_OPERATIONS)[number];

/** Operations that move money or create authorities: their outcome must be re-queried on a timeout. */
export const MUTATING_OPERATIONS: ReadonlySet<ConnectorOperation> = new Set([
  "debit",
  "credit",
  "createMandate",
  "cancelMandate",
  "debitMandate",
]);
