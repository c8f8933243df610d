import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { Env } from "../core/tenancy.js";

/**
 * Kysely's view of the tables. Migrations (src/db/migrations) are the truth; this file mirrors
 * them. int8 columns arrive as bigint on both drivers (see src/db/index.ts).
 */
export type { Env };
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface CompaniesTable {
  id: string;
  name: string;
  is_demo: Generated<boolean>;
  created_at: Timestamp;
}

export interface EnvironmentsTable {
  company_id: string;
  env: Env;
  client_token: string;
  created_at: Timestamp;
}

export type ApiKeyKind = "secret" | "public";
export interface ApiKeysTable {
  id: string;
  company_id: string;
  env: Env;
  kind: ApiKeyKind;
  key_hash: string;
  display_prefix: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** Migration 0017: a public key in clear (it is published in pages); null for secrets and older keys. */
  public_key: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0017: owner > admin > developer > viewer (src/dashboard/roles.ts says who may do what). */
export type UserRole = "owner" | "admin" | "developer" | "viewer";
export interface UsersTable {
  id: string;
  company_id: string;
  /** Lower-cased; unique across the installation. */
  email: string;
  name: string;
  /** argon2id PHC string; never the password. */
  password_hash: string;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  created_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 hex of the cookie's token; the token itself is never stored. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface AppsTable {
  id: string;
  company_id: string;
  env: Env;
  name: string;
  products: string[];
  logo: string | null;
  color: string;
  bank_filter: string[];
  callback_url: string | null;
  redirect_url: string | null;
  /** The app's short link code (`buildWithShortUrl`, `<widget origin>/<short_url>`). */
  short_url: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number;
  response_body: Json<unknown>;
  created_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

export type BankStatus = "healthy" | "degraded" | "down";
/** The bank directory's vocabulary (src/banks/directory.ts re-exports it): stored in banks' array columns. */
export type LoginMethod = "internet_banking" | "mobile_banking" | "account_number";
export type MfaKind = "sms_otp" | "hardware_token" | "security_question" | "none";
export type BankProduct = "auth" | "balance" | "transactions" | "identity" | "income" | "payments";
export interface BanksTable {
  id: string;
  slug: string;
  name: string;
  cbn_code: string;
  nip_code: string;
  type: string;
  login_methods: LoginMethod[];
  mfa_kinds: MfaKind[];
  products: BankProduct[];
  corporate: boolean;
  individual: boolean;
  status: ColumnType<BankStatus, BankStatus | undefined, BankStatus>;
  colors: Json<{ primary: string; accent: string }>;
  sort_order: number;
  updated_at: Timestamp;
}

export interface SandboxRealmsTable {
  realm: string;
  epoch: Timestamp;
  clock_offset_ms: ColumnType<bigint, bigint | number | undefined, bigint | number>;
  created_at: Timestamp;
}

export interface SandboxCustomersTable {
  id: string;
  realm: string;
  bank_id: string;
  seed: string;
  username: string;
  username_key: string;
  phone: string;
  password_hash: string;
  traits: Json<unknown>;
  generated: Json<unknown>;
  anchor: Timestamp;
  created_at: Timestamp;
}

export interface SandboxAccountsTable {
  realm: string;
  bank_id: string;
  nuban: string;
  customer_id: string;
}

export interface SandboxSessionsTable {
  token_hash: string;
  realm: string;
  bank_id: string;
  customer_ref: string;
  state: "mfa" | "connected" | "dead";
  challenge: ColumnType<unknown, string | null | undefined, string | null>;
  failures: Generated<number>;
  expires_at: Timestamp;
  created_at: Timestamp;
}

export interface SandboxGuardsTable {
  realm: string;
  bank_id: string;
  subject: string;
  failures: Generated<number>;
  locked_until: NullableTimestamp;
}

/** Dashboard sign-in backoff per account (migration 0010). */
export interface SigninGuardsTable {
  email_hash: string;
  failures: Generated<number>;
  locked_until: NullableTimestamp;
  refused: Generated<boolean>;
  updated_at: Timestamp;
}

export interface SandboxTransfersTable {
  realm: string;
  bank_id: string;
  direction: "debit" | "credit";
  reference: string;
  kind: "debit" | "mandate_debit" | "credit";
  mandate_id: string | null;
  amount: ColumnType<bigint, bigint | number, bigint | number>;
  currency: string;
  source_bank_id: string;
  source_nuban: string;
  destination_bank_id: string;
  destination_nuban: string;
  status: "success" | "pending" | "failed";
  /** What a pending transfer becomes at `settles_at`. */
  settles_as: "success" | "failed";
  session_id: string;
  narration: string;
  created_at: Timestamp;
  settles_at: NullableTimestamp;
}

export interface SandboxPostingsTable {
  id: Generated<bigint>;
  realm: string;
  bank_id: string;
  nuban: string;
  amount: ColumnType<bigint, bigint | number, bigint | number>;
  posted_at: Timestamp;
  narration: string;
  category: string;
  reference: string | null;
  session_id: string | null;
}

export interface SandboxMandatesTable {
  id: string;
  realm: string;
  bank_id: string;
  reference: string;
  nuban: string;
  max_amount: ColumnType<bigint, bigint | number, bigint | number>;
  currency: string;
  /** "YYYY-MM-DD" (Lagos calendar day). */
  start_date: string;
  end_date: string | null;
  destination_bank_id: string;
  destination_nuban: string;
  narration: string;
  created_at: Timestamp;
  activates_at: Timestamp;
  cancelled_at: NullableTimestamp;
}

export interface SandboxFaultsTable {
  realm: string;
  bank_id: string;
  settings: Json<unknown>;
  updated_at: Timestamp;
}

export interface EventSequencesTable {
  company_id: string;
  env: Env;
  object_type: string;
  object_id: string;
  last: ColumnType<bigint, bigint | number, bigint | number>;
}

export interface EventsTable {
  id: string;
  company_id: string;
  env: Env;
  type: string;
  object_type: string;
  object_id: string;
  sequence: ColumnType<bigint, bigint | number, bigint | number>;
  payload: Json<unknown>;
  created_at: Timestamp;
}

export interface WebhookEndpointsTable {
  id: string;
  company_id: string;
  env: Env;
  url: string;
  description: string | null;
  /** Empty: every event type. */
  event_types: ColumnType<string[], string[] | undefined, string[]>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  disabled_reason: string | null;
  secret_enc: string;
  /** The current secret's last characters, in clear: views show it without opening the secret. */
  secret_hint: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: NullableTimestamp;
  bearer_token_enc: string | null;
  /** Set when the endpoint is an app's callback_url. */
  app_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";
export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  company_id: string;
  env: Env;
  /** `<object_type>:<object_id>`: deliveries of one object to one endpoint go out in sequence order. */
  object_key: string;
  sequence: ColumnType<bigint, bigint | number, bigint | number>;
  status: DeliveryStatus;
  /** Attempts sent (the number of the latest); when it is tried next and whether it is being sent are its `webhooks.deliver` job's (queues.ts). */
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: Generated<bigint>;
  delivery_id: string;
  attempt: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
}

// Account data (src/data) and widget sessions (src/widget): migration 0005.
type Kobo = ColumnType<bigint, bigint | number, bigint | number>;
type NullableKobo = ColumnType<bigint | null, bigint | number | null, bigint | number | null>;

export type CustomerKind = "individual" | "corporate";
export type RecordStatus = "connected" | "token_required" | "invalid";

export interface CustomersTable {
  id: string;
  company_id: string;
  env: Env;
  name: string;
  kind: CustomerKind;
  bvn: string | null;
  /** The merchant's own id for the person, as passed to the widget (`customer.id`). */
  external_id: string | null;
  emails: Json<string[]>;
  phones: Json<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RecordsTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  bank_id: string;
  /** Keyed fingerprint of the login's identifier, '' when unknown: one record per login. */
  login_key: Generated<string>;
  app_id: string | null;
  status: RecordStatus;
  login_method: string;
  products: Json<string[]>;
  options: Json<Record<string, unknown>>;
  /** Sealed JSON {method, identifier, secret}; AAD `records:<id>:credentials`. */
  credentials_sealed: string | null;
  /** Sealed bank session token; AAD `records:<id>:session`. */
  session_sealed: string | null;
  session_expires_at: NullableTimestamp;
  last_refreshed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AccountsTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  record_id: string;
  bank_id: string;
  /** The connector's id for the account (BankAccount.id). */
  bank_account_id: string;
  nuban: string;
  name: string;
  type: string;
  currency: string;
  /** Whether the customer chose to share this account (Okra's `connected`). */
  connected: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuthsTable {
  id: string;
  company_id: string;
  env: Env;
  account_id: string;
  customer_id: string;
  record_id: string;
  bank_id: string;
  available_balance: Kobo;
  ledger_balance: Kobo;
  connected: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BalancesTable {
  id: string;
  company_id: string;
  env: Env;
  account_id: string;
  customer_id: string;
  record_id: string;
  bank_id: string;
  available_balance: Kobo;
  ledger_balance: Kobo;
  currency: string;
  as_of: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BalanceReadingsTable {
  id: Generated<bigint>;
  balance_id: string;
  available_balance: Kobo;
  ledger_balance: Kobo;
  as_of: Timestamp;
}

export interface TransactionsTable {
  id: string;
  company_id: string;
  env: Env;
  account_id: string;
  customer_id: string;
  record_id: string;
  bank_id: string;
  bank_transaction_id: string;
  /** Kobo; exactly one of debit/credit is set. */
  debit: NullableKobo;
  credit: NullableKobo;
  /** Balance after the line (kobo). */
  balance: Kobo;
  currency: string;
  trans_date: Timestamp;
  narration: string;
  category: string;
  reference: string | null;
  session_id: string | null;
  created_at: Timestamp;
}

export interface IdentitiesTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  record_id: string;
  bank_id: string;
  kind: CustomerKind;
  fullname: string;
  firstname: string | null;
  middlename: string | null;
  lastname: string | null;
  bvn: string | null;
  dob: string | null;
  gender: string | null;
  phones: Json<string[]>;
  emails: Json<string[]>;
  address: Json<{ street: string; city: string; state: string; country: string } | null>;
  marital_status: string | null;
  nationality: string | null;
  rc_number: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IncomesTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  record_id: string;
  summary: Json<unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WidgetSessionsTable {
  id: string;
  token_hash: string;
  company_id: string;
  env: Env;
  app_id: string;
  options: Json<Record<string, unknown>>;
  step: string;
  bank_id: string | null;
  login_method: string | null;
  customer_id: string | null;
  record_id: string | null;
  credentials_sealed: string | null;
  bank_session_sealed: string | null;
  challenge: Json<unknown>;
  bank_accounts: Json<unknown>;
  result: Json<unknown>;
  /** Migration 0007: the payment this (payment-mode) session is authorising now. */
  payment_id: string | null;
  expires_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

// ── Payments and ledger (migration 0007) ────────────────────────────────────────────────────
export interface CompanyAccountsTable {
  id: string;
  company_id: string;
  env: Env;
  bank_id: string;
  nuban: string;
  name: string;
  currency: string;
  is_default: Generated<boolean>;
  created_at: Timestamp;
}

export type ConsentStatus = "pending" | "active" | "revoked";
export interface PaymentConsentsTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  account_id: string;
  bank_id: string;
  /** The mandate's reference at the bank (its idempotency key). */
  reference: string;
  /** The bank's mandate id, once known. */
  mandate_id: string | null;
  status: ConsentStatus;
  max_amount: bigint;
  currency: string;
  activates_at: NullableTimestamp;
  /** Migration 0015: the sequence number of the consent's latest `consents.activate` job (src/payments/schedule.ts). */
  checks: Generated<number>;
  /**
   * Migration 0027: a standing "charges on request" authority (the widget's payment consent) — true —
   * or given for one mandate only (false, `bound_mandate_id` names it): no standing mandate, no one-off debits.
   */
  standing: Generated<boolean>;
  bound_mandate_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type BusinessDaysColumn = "next" | "previous" | "none";

export interface LinkSchedule {
  interval: IntervalColumn;
  start_date: string | null;
  end_date: string | null;
  count: number | null;
  day_of_month: number | null;
  /** Decision 0027: absent on links written before it; the link's mandate then rolls to the `next` business day (the default). */
  business_days?: BusinessDaysColumn;
}

export interface PaymentLinksTable {
  id: string;
  company_id: string;
  env: Env;
  short_url: string;
  name: string;
  note: string | null;
  /** Kobo; null lets the payer enter the amount. */
  amount: bigint | null;
  currency: string;
  type: "one-time" | "recurring";
  reusable: boolean;
  status: "active" | "used" | "disabled";
  expires_at: NullableTimestamp;
  account_to_credit: string | null;
  support_email: string;
  success_url: string | null;
  callback_url: string | null;
  logo: string | null;
  color: string | null;
  filter_banks: Json<string[]>;
  /** SHA-256 of the canonical details: creating identical details again returns this link. */
  details_hash: string;
  /** A recurring link's schedule: `{interval, start_date, end_date, count, day_of_month}` (Lagos days). */
  schedule: Json<LinkSchedule> | null;
  payments_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * Internal payment states, the one source: src/payments/domain.ts enumerates them (`PAYMENT_STATES`,
 * checked by the compiler to be exactly these) and declares their machine and meaning.
 */
export type PaymentStateColumn =
  | "queued"
  | "awaiting_authorisation"
  | "review"
  | "processing"
  | "unknown"
  | "succeeded"
  | "settled"
  | "errored"
  | "failed"
  | "cancelled"
  | "reversed";

export interface PaymentsTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string | null;
  /** The customer's account to debit (accounts.id); null until chosen in the widget. */
  account_id: string | null;
  bank_id: string | null;
  nuban: string | null;
  /** company_accounts.id */
  account_to_credit: string;
  amount: bigint;
  currency: string;
  type: Generated<string>;
  channel: "api" | "widget" | "link";
  /** `consent`: debited by the worker on a standing consent (mandate); `authorised`: the customer authorises with OTP/PIN in the widget. */
  method: "consent" | "authorised";
  consent_id: string | null;
  link_id: string | null;
  widget_session_id: string | null;
  note: string | null;
  state: PaymentStateColumn;
  attempt: Generated<number>;
  /** The bank's idempotency key for the current attempt; fixed and committed before the call. */
  reference: string | null;
  sent_at: NullableTimestamp;
  bank_session_id: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  fee: Generated<bigint>;
  /** Migration 0015: the sequence number of the row's latest scheduled check job (src/payments/schedule.ts); a job with another number is superseded. */
  checks: Generated<number>;
  succeeded_at: NullableTimestamp;
  settled_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** A mandate's charge: the mandate, its cycle (0-based) and the try within the cycle (1 = first; NSF retries count up). */
  mandate_id: ColumnType<string | null, string | null | undefined, string | null>;
  mandate_cycle: ColumnType<number | null, number | null | undefined, number | null>;
  /** A garnishment's debit (src/garnish): the recovery; `mandate_cycle` is then the sweep's number. */
  garnishment_id: ColumnType<string | null, string | null | undefined, string | null>;
  charge_attempt: ColumnType<number | null, number | null | undefined, number | null>;
}

export type MandateStateColumn = "awaiting_customer" | "awaiting_bank" | "active" | "paused" | "cancelled" | "expired" | "revoked" | "rejected";
export type IntervalColumn = "daily" | "weekly" | "monthly" | "quarterly" | "yearly";

/** A customer's mandate (Okra's "payment authorization"); see src/mandates/ and migration 0013. */
export interface MandatesTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  account_id: string;
  bank_id: string;
  /** The bank-side debit authority (payment_consents) charges go through, once the customer authorised. */
  consent_id: string | null;
  state: MandateStateColumn;
  /** Why it is in its state, when that is news (`revoked_by_payer`, `insufficient_funds_retries_exhausted`, …). */
  state_reason: string | null;
  source: "api" | "pay_initiate" | "link" | "reauth" | "consent" | "widget";
  /** `sweep`: a garnishment's authority (src/garnish): no schedule, `max_total` the most it may take. */
  debit_type: "fixed" | "variable" | "sweep";
  currency: string;
  /** Each scheduled charge (kobo): required for fixed (it is the mandate); for variable, set by a schedule (within the caps). */
  amount: bigint | null;
  /** The first charge, when it differs (Okra's `initialAmount`). */
  initial_amount: bigint | null;
  max_per_charge: bigint | null;
  max_total: bigint | null;
  max_per_period: bigint | null;
  period: IntervalColumn | null;
  /** Lagos days, `YYYY-MM-DD`. */
  start_date: string;
  end_date: string | null;
  /** The schedule of charges; null: charged on demand only. */
  interval: IntervalColumn | null;
  day_of_month: number | null;
  count: number | null;
  purpose: string | null;
  reference: string | null;
  options: unknown;
  account_to_credit: string | null;
  retry_attempts: number;
  retry_spacing_hours: number;
  /** Before an insufficient-funds retry, read the balance and skip the try while it is short. */
  retry_balance_check: Generated<boolean>;
  /** Days before each scheduled charge that `mandate.charge_upcoming` is sent (0: none). */
  notice_days: Generated<number>;
  /** The recurring payment link whose payment created it (`source = 'link'`). */
  link_id: string | null;
  /**
   * Migration 0027: a scheduled charge on a weekend or Nigerian public holiday moves to the `next`
   * (default) or `previous` business day; `none`: it does not move. The cycle's own date stays.
   */
  business_days: Generated<BusinessDaysColumn>;
  replaces_id: string | null;
  authorised_at: NullableTimestamp;
  activated_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type GarnishmentStateColumn = "awaiting_consent" | "active" | "paused" | "repaid" | "cancelled" | "expired";

/** A recovery of a debt over the debtor's sweep mandates; see src/garnish/ and migration 0021. Collected amounts are derived, never stored. */
export interface GarnishmentsTable {
  id: string;
  company_id: string;
  env: Env;
  customer_id: string;
  state: GarnishmentStateColumn;
  state_reason: string | null;
  source: "api" | "pay_initiate";
  currency: string;
  /** The debt owed: principal and accrued interest, kept apart (penalties are not recoverable). Kobo. */
  principal: bigint;
  interest: bigint;
  /** Left in every account a sweep debits (kobo). */
  floor: Generated<bigint>;
  /** Sweeps' schedule (null: on request only), Lagos days `YYYY-MM-DD`; end_date is the stop date. */
  interval: IntervalColumn | null;
  day_of_month: number | null;
  start_date: string;
  end_date: string | null;
  account_to_credit: string | null;
  reference: string | null;
  purpose: string | null;
  /** How many sweeps have been recorded (the next one's number is this + 1). */
  sweeps: Generated<number>;
  activated_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GarnishmentMandatesTable {
  garnishment_id: string;
  mandate_id: string;
  account_id: string;
}

export interface GarnishmentSweepsTable {
  id: string;
  garnishment_id: string;
  company_id: string;
  env: Env;
  seq: number;
  trigger: "schedule" | "request";
  job_key: string;
  owed_before: bigint;
  taken: bigint;
  outcome: "collected" | "partial" | "nothing" | "skipped";
  reason: string | null;
  /** Per covered account, in the order tried: balance seen, taken, payment, or why nothing. */
  accounts: Json<unknown>;
  at: Timestamp;
}

export interface PaymentTransitionsTable {
  id: Generated<bigint>;
  payment_id: string;
  from_state: PaymentStateColumn | null;
  to_state: PaymentStateColumn;
  actor: "api" | "customer" | "bank" | "scheduler" | "worker";
  reason: string;
  detail: Json<Record<string, unknown> | null>;
  at: Timestamp;
}

export type TransferState = "pending" | "processing" | "unknown" | "succeeded" | "failed";
export interface RefundsTable {
  id: string;
  company_id: string;
  env: Env;
  payment_id: string;
  amount: bigint;
  /** Migration 0008: Okro's fee given back with this refund (fees → available, in the refund's entry). */
  fee_returned: Generated<bigint>;
  currency: string;
  bank_id: string;
  nuban: string;
  state: TransferState;
  attempt: Generated<number>;
  reference: string | null;
  sent_at: NullableTimestamp;
  failure_reason: string | null;
  /** Migration 0015: the sequence number of the row's latest scheduled check job (src/payments/schedule.ts); a job with another number is superseded. */
  checks: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PayoutsTable {
  id: string;
  company_id: string;
  env: Env;
  amount: bigint;
  fee: Generated<bigint>;
  currency: string;
  company_account_id: string | null;
  bank_id: string;
  nuban: string;
  initiated_by: string;
  state: TransferState;
  attempt: Generated<number>;
  reference: string | null;
  sent_at: NullableTimestamp;
  failure_reason: string | null;
  /** Migration 0015: the sequence number of the row's latest scheduled check job (src/payments/schedule.ts); a job with another number is superseded. */
  checks: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LedgerEntriesTable {
  id: string;
  company_id: string;
  env: Env;
  key: string;
  kind: string;
  payment_id: string | null;
  refund_id: string | null;
  payout_id: string | null;
  created_at: Timestamp;
}

export interface LedgerPostingsTable {
  id: Generated<bigint>;
  entry_id: string;
  company_id: string;
  env: Env;
  account: string;
  direction: "debit" | "credit";
  amount: bigint;
  currency: string;
}

export interface LedgerBalancesTable {
  company_id: string;
  env: Env;
  currency: string;
  account: string;
  balance: Generated<bigint>;
}

/** History of the objects whose machines have no history table of their own (refunds, payouts, consents, …). */
export interface StateTransitionsTable {
  id: Generated<bigint>;
  object_type: string;
  object_id: string;
  from_state: string | null;
  to_state: string;
  actor: "api" | "customer" | "bank" | "scheduler" | "worker";
  reason: string;
  detail: Json<Record<string, unknown> | null>;
  at: Timestamp;
}

export interface DB {
  customers: CustomersTable;
  records: RecordsTable;
  accounts: AccountsTable;
  auths: AuthsTable;
  balances: BalancesTable;
  balance_readings: BalanceReadingsTable;
  transactions: TransactionsTable;
  identities: IdentitiesTable;
  incomes: IncomesTable;
  /** Migration 0006: a customer flagged at a bank (customers/flag); the row is the flag. */
  customer_flags: { company_id: string; env: Env; customer_id: string; bank_id: string; flagged_at: Timestamp };
  widget_sessions: WidgetSessionsTable;
  company_accounts: CompanyAccountsTable;
  payment_consents: PaymentConsentsTable;
  mandates: MandatesTable;
  garnishments: GarnishmentsTable;
  garnishment_mandates: GarnishmentMandatesTable;
  garnishment_sweeps: GarnishmentSweepsTable;
  payment_links: PaymentLinksTable;
  payments: PaymentsTable;
  payment_transitions: PaymentTransitionsTable;
  state_transitions: StateTransitionsTable;
  refunds: RefundsTable;
  payouts: PayoutsTable;
  ledger_entries: LedgerEntriesTable;
  ledger_postings: LedgerPostingsTable;
  ledger_balances: LedgerBalancesTable;
  event_sequences: EventSequencesTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  sandbox_realms: SandboxRealmsTable;
  sandbox_customers: SandboxCustomersTable;
  sandbox_accounts: SandboxAccountsTable;
  sandbox_sessions: SandboxSessionsTable;
  sandbox_guards: SandboxGuardsTable;
  signin_guards: SigninGuardsTable;
  sandbox_transfers: SandboxTransfersTable;
  sandbox_postings: SandboxPostingsTable;
  sandbox_mandates: SandboxMandatesTable;
  sandbox_faults: SandboxFaultsTable;
  companies: CompaniesTable;
  environments: EnvironmentsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  apps: AppsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  banks: BanksTable;
  jobs: JobsTable;
  batches: BatchesTable;
  batch_rows: BatchRowsTable;
  password_resets: PasswordResetsTable;
  invitations: InvitationsTable;
  audit_log: AuditLogTable;
  payment_access_requests: PaymentAccessRequestsTable;
  payment_review_settings: PaymentReviewSettingsTable;
  api_request_log: ApiRequestLogTable;
}

/** Migration 0026: one row per authenticated /v2 request (never a body or a query string). */
export interface ApiRequestLogTable {
  id: string;
  company_id: string;
  env: Env;
  key_id: string;
  method: string;
  /** The URL path, without its query string. */
  path: string;
  /** The route pattern (`/v2/pay/:id`), null for a path no route matched. */
  route: string | null;
  status: number;
  duration_ms: number;
  request_id: string;
  idempotency_key: string | null;
  at: Timestamp;
}

/** Migration 0017: one-time password reset links (only the token's SHA-256 is kept). */
export interface PasswordResetsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

/** Migration 0017: teammates invited by email with a role (only the token's SHA-256 is kept). */
export interface InvitationsTable {
  id: string;
  company_id: string;
  email: string;
  role: Exclude<UserRole, "owner">;
  token_hash: string;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** Migration 0017: who did what, when (money-moving and security actions). Append-only. */
export interface AuditLogTable {
  id: string;
  company_id: string;
  env: Env | null;
  actor_user_id: string | null;
  /** The person's email, or `operator:<name>` / `api` for actions not made in the dashboard. */
  actor: string;
  action: string;
  object_type: string | null;
  object_id: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  at: Timestamp;
}

/** Migration 0017: a company's request for production payment access. */
export type AccessRequestState = "pending" | "approved" | "declined";
export interface PaymentAccessRequestsTable {
  id: string;
  company_id: string;
  state: AccessRequestState;
  business: ColumnType<Record<string, unknown>, string, string>;
  requested_by: string | null;
  created_at: Timestamp;
  decided_at: NullableTimestamp;
  decided_by: string | null;
  decision_note: string | null;
}

/** Migration 0011: deferred work of every kind (src/jobs). */
export type JobState = "queued" | "running" | "done" | "failed";
export interface JobsTable {
  id: string;
  name: string;
  key: string | null;
  payload: ColumnType<unknown, string, string>;
  company_id: string | null;
  state: JobState;
  run_at: NullableTimestamp;
  attempts: Generated<number>;
  max_attempts: number;
  lease_token: string | null;
  lease_owner: string | null;
  lease_until: NullableTimestamp;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: NullableTimestamp;
}

export type App = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type Bank = Selectable<BanksTable>;

/** Migration 0014: bulk payments (src/bulk). */
export type BatchState = "validating" | "ready" | "running" | "completed" | "partially_completed" | "failed" | "cancelled";
export type BatchRowState = "invalid" | "valid" | "skipped" | "pending" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "reversed";
export interface BatchesTable {
  id: string;
  company_id: string;
  env: Env;
  state: BatchState;
  source: "csv" | "json";
  file_name: string | null;
  file_sha256: string;
  product: Generated<string>;
  callback_url: string | null;
  all_or_nothing: Generated<boolean>;
  retry_of: string | null;
  duplicate_of: string | null;
  total_rows: Generated<number>;
  valid_rows: Generated<number>;
  invalid_rows: Generated<number>;
  valid_amount: Generated<bigint>;
  totals: ColumnType<unknown, string | undefined, string>;
  pending_count: Generated<number>;
  queued_count: Generated<number>;
  processing_count: Generated<number>;
  succeeded_count: Generated<number>;
  failed_count: Generated<number>;
  cancelled_count: Generated<number>;
  succeeded_amount: Generated<bigint>;
  failed_amount: Generated<bigint>;
  cancelled_amount: Generated<bigint>;
  /** Migration 0024: rows whose payment was reversed after it succeeded. */
  reversed_count: Generated<number>;
  reversed_amount: Generated<bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
  committed_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}
export interface BatchRowsTable {
  /** `<batch id>-<row number>`: the row machine's key (state_transitions.object_id). */
  id: string;
  batch_id: string;
  row_no: number;
  company_id: string;
  env: Env;
  state: BatchRowState;
  raw: ColumnType<Record<string, string>, string, string>;
  errors: ColumnType<{ column: string; code: string; message: string }[] | null, string | null, string | null>;
  account_to_debit: string | null;
  account_to_credit: string | null;
  bank_id: string | null;
  amount: bigint | null;
  currency: string | null;
  reference: string | null;
  narration: string | null;
  callback_url: string | null;
  payment_id: string | null;
  reason: string | null;
  /** Migration 0024: a `type: mandate` row's mandate (found at validation). */
  mandate_id: string | null;
  updated_at: Timestamp;
}

/** Migration 0020: a company's review threshold per environment (payments above it wait in `review`). */
export interface PaymentReviewSettingsTable {
  company_id: string;
  env: Env;
  /** Kobo; null: no review. */
  threshold: bigint | null;
  /** The dashboard user who set it. */
  updated_by: string;
  updated_at: Timestamp;
}
