import type {
  AccountType,
  BankConnector,
  BankIdentity,
  ChallengeKind,
  ConnectorOperation,
  LoginMethod,
  TransactionCategory,
} from "../connector.js";

/**
 * Shared vocabulary of the sandbox bank network: the data generator (pure), the engine (state in
 * PostgreSQL), the in-process and HTTP connectors, and the admin API.
 */

// ---------------------------------------------------------------------------------------------
// Banks and their habits
// ---------------------------------------------------------------------------------------------

export interface SandboxBankProfile {
  /** Directory id. */
  bankId: string;
  slug: string;
  name: string;
  /** CBN code: 3 digits for banks; 5–6 digits for MFBs and mobile money (used for NUBANs). */
  cbnCode: string;
  nipCode: string;
  loginMethods: LoginMethod[];
  /** The second factor individuals meet at login; `none` means straight in. */
  mfa: ChallengeKind | "none";
  /** The second factor corporate customers meet (hardware tokens, where the bank issues them). */
  corporateMfa: ChallengeKind | "none";
  /** Whether the bank has corporate customers in the sandbox. */
  corporate: boolean;
  /** Latency every call pays (ms, before the network's latency scale). */
  baseLatencyMs: number;
  /** Extra latency drawn uniformly in [0, jitterMs] per call. */
  jitterMs: number;
  /** A recurring maintenance window in Lagos time (WAT, UTC+1), when the bank answers "down". */
  maintenance?: MaintenanceWindow;
  /** Per-account daily debit limit (kobo) for individuals and for corporates. */
  dailyLimit: { individual: number; corporate: number };
  /** A short human description of its habits, for the README and the admin API. */
  habits: string;
}

export interface MaintenanceWindow {
  /** 0 = Sunday … 6 = Saturday; every day when absent. */
  weekday?: number;
  /** "HH:MM" Lagos time, start inclusive. */
  from: string;
  /** "HH:MM" Lagos time, end exclusive (may be before `from`: crosses midnight). */
  to: string;
}

// ---------------------------------------------------------------------------------------------
// Customers (generator input and output)
// ---------------------------------------------------------------------------------------------

export type CustomerType = "ind" | "corp";
export type Volume = "low" | "medium" | "high";

/** How money comes in. */
export interface IncomePattern {
  /** salary: one payday a month; business: many receipts; irregular: occasional; none: no income. */
  kind: "salary" | "business" | "irregular" | "none";
  /** Typical monthly income (kobo). */
  amount?: number;
  /** Day of month for `salary` (1–31; clipped to the month's length, moved off weekends). */
  payday?: number;
}

/** The traits a developer chooses (Okra's sandbox customer fields plus balance and income). */
export interface CustomerTraits {
  type: CustomerType;
  volume: Volume;
  /** Identity completeness, 1–100: the share of identity fields the bank holds. */
  identity: number;
  /** 1–5 accounts. */
  noOfAccount: number;
  /** Simulated connection quality of the customer, 2 (slow) – 4 (fast). */
  internetSpeed: number;
  /** Full name (individual) or company name (corporate); generated when absent. */
  name?: string;
  /** Balance of the first account when the customer is created (kobo); generated when absent. */
  balance?: number;
  income?: IncomePattern;
  /**
   * The individual's BVN, 11 digits; generated when absent. Give two customers at different banks
   * the same BVN and they are one person banking at both (Okro links them to one customer, and a
   * garnishment can sweep both).
   */
  bvn?: string;
}

export interface CustomerSpec {
  /** Everything random about the customer derives from this. */
  seed: string;
  bank: SandboxBankProfile;
  traits: CustomerTraits;
  /** ISO. Accounts were opened 12–24 months before this instant. */
  anchor: string;
  /** NUBANs already used at this bank: the generator draws others. */
  avoidNubans?: ReadonlySet<string>;
}

export interface GeneratedAccount {
  /** Seed of this account's history. */
  seed: string;
  nuban: string;
  name: string;
  type: AccountType;
  currency: "NGN";
  /** ISO; the first transaction is on or after this. */
  openedAt: string;
  /** Balance at `openedAt` (kobo, ≥ 0). */
  openingBalance: number;
  /** Per-day debit limit (kobo). */
  dailyDebitLimit: number;
  /** What drives its history (income, spending level…); the generator's own, JSON-safe. */
  profile: AccountProfile;
}

/** JSON-safe parameters of an account's history. Opaque outside the generator. */
export type AccountProfile = Record<string, unknown>;

export interface GeneratedCustomer {
  seed: string;
  type: CustomerType;
  /** With completeness applied (missing fields absent). */
  identity: BankIdentity;
  /** Always present (mobile-banking login), even when the identity omits phones. */
  phone: string;
  /** Internet-banking username suggestion (lower case). */
  username: string;
  accounts: GeneratedAccount[];
}

/** One line of generated history. */
export interface GeneratedTxn {
  /** Stable id (unique within the account). */
  id: string;
  /** ISO. */
  postedAt: string;
  /** Signed kobo: positive credits, negative debits. Never zero. */
  amount: number;
  narration: string;
  category: TransactionCategory;
  reference?: string;
  sessionId?: string;
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/** Fault settings for one bank in one realm. Every field optional; absent means "no fault". */
export interface FaultSettings {
  /** Added to every call (ms). */
  latencyMs?: number;
  /** 0–1: the call fails `retryable` and nothing happens. */
  errorRate?: number;
  /** 0–1: no answer; nothing happens; the caller times out. */
  timeoutRate?: number;
  /** 0–1: money movements happen, then the answer is lost (the caller sees a timeout). */
  lostResponseRate?: number;
  /** 0–1: debits and credits are accepted as `pending` and settle after `pendingMs`. */
  pendingRate?: number;
  /** 0–1: debits and credits are accepted as `pending` and fail after `pendingMs`: the money goes back (a NIP reversal). */
  failRate?: number;
  /** How long a pending transfer stays pending (sandbox ms; default 60 000). */
  pendingMs?: number;
  /** Calls per minute before `rate_limited`. */
  rateLimitPerMinute?: number;
  /** Down now (until cleared). */
  down?: boolean;
  /** Down during these sandbox-time windows (ISO instants, end exclusive). */
  downtime?: Array<{ from: string; to: string }>;
  /** How long new mandates stay pending before NIBSS activates them (sandbox ms; default 5 min). */
  mandateActivationDelayMs?: number;
  /** Limit the faults to these operations (all when absent). Latency always applies. */
  operations?: ConnectorOperation[];
}

export interface BankFaults {
  bankId: string;
  settings: FaultSettings;
  updatedAt: string;
}

/** What a fault roll decided for one call. */
export interface FaultPlan {
  /** Sleep this long first (ms, already scaled). */
  delayMs: number;
  outcome: "none" | "error" | "timeout" | "lost_response" | "down" | "rate_limited";
  /** For `down` and `rate_limited`. */
  retryAfterMs?: number;
  /** For `down`: why (maintenance window, fault). */
  message?: string;
}

// ---------------------------------------------------------------------------------------------
// Admin: customers, faults, clock
// ---------------------------------------------------------------------------------------------

/** A developer's request for a test customer (Okra's `sandbox/customers/create` item). */
export interface CustomerInput extends CustomerTraits {
  bankId: string;
  /** Internet-banking username (unique per bank in the realm, case-insensitive). */
  username: string;
  password: string;
}

export interface SandboxAccountView {
  nuban: string;
  name: string;
  type: AccountType;
  currency: string;
  /** Available balance now (kobo). */
  balance: number;
  openedAt: string;
}

export interface SandboxCustomerView {
  id: string;
  /** Built-in customers come with the network (magic credentials and generated residents). */
  builtin: boolean;
  bankId: string;
  bankName: string;
  name: string;
  username: string;
  /** Shown for built-in customers only (they are public fixtures); never for created ones. */
  password?: string;
  phone: string;
  /** PIN for mobile-banking and account-number logins: built-in customers only. */
  pin?: string;
  loginMethods: LoginMethod[];
  mfa: ChallengeKind | "none";
  traits: CustomerTraits;
  identity: BankIdentity;
  accounts: SandboxAccountView[];
  createdAt: string;
}

export interface SandboxClockView {
  /** The realm's sandbox time (ISO). */
  now: string;
  /** How far ahead of the platform clock it runs (ms, ≥ 0). */
  offsetMs: number;
}

/**
 * The sandbox bank network's own controls: customers, faults and time. Not part of the connector
 * interface (real banks have no such thing). Implemented in-process by the engine and over HTTP
 * by a client of `okro sandbox-bank`. Every method is scoped to a realm (a company).
 */
export interface SandboxAdmin {
  banks(): SandboxBankProfile[];
  createCustomers(realm: string, inputs: CustomerInput[]): Promise<SandboxCustomerView[]>;
  /** Random customer inputs (not yet created). */
  generateCustomers(realm: string, count: number): Promise<CustomerInput[]>;
  listCustomers(realm: string, page: number, limit: number): Promise<{ customers: SandboxCustomerView[]; total: number }>;
  /** By id; `undefined` when not in this realm. */
  getCustomer(realm: string, id: string): Promise<SandboxCustomerView | undefined>;
  getFaults(realm: string): Promise<BankFaults[]>;
  setFaults(realm: string, bankId: string, settings: FaultSettings): Promise<BankFaults>;
  clearFaults(realm: string, bankId?: string): Promise<void>;
  getClock(realm: string): Promise<SandboxClockView>;
  /** Moves the realm's clock forward by `ms` (> 0). Time never goes back. */
  advanceClock(realm: string, ms: number): Promise<SandboxClockView>;
}

/** A connector operation's request and result types, by name. */
export type OpRequest<O extends ConnectorOperation> = Parameters<BankConnector[O]>[0];
export type OpResult<O extends ConnectorOperation> = Awaited<ReturnType<BankConnector[O]>>;

/**
 * The sandbox bank itself, before faults: runs one connector operation for a realm and bank.
 * The in-process connector and the HTTP server both wrap it and apply {@link planFault} — the
 * first as sleeps and thrown errors, the second on the socket (held, dropped, 503).
 */
export interface SandboxEngine {
  readonly admin: SandboxAdmin;
  profile(bankId: string): SandboxBankProfile | undefined;
  run<O extends ConnectorOperation>(realm: string, bankId: string, op: O, request: OpRequest<O>): Promise<OpResult<O>>;
  planFault(realm: string, bankId: string, op: ConnectorOperation): Promise<FaultPlan>;
}

/** Longest realm name (company ids are 24 characters). */
export const MAX_REALM_LENGTH = 128;

/** The sandbox bank could not be reached, or answered nonsense. Routes answer 503: try again later. */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

/** A refused admin request (bad input, unknown customer, taken username). Routes map it to the Okra envelope. */
export class SandboxAdminError extends Error {
  override readonly name = "SandboxAdminError";
  constructor(
    readonly code: "INVALID_FIELD" | "NOT_FOUND" | "CONFLICT",
    message: string,
    /** The request field at fault, e.g. `customers[0].username`. */
    readonly field?: string,
  ) {
    super(message);
  }
}
