/**
 * The widget's backend session API: what the widget app (Preact, in the browser, on the widget
 * origin) asks of Okro. Types only, so the browser bundle imports them for free (`import type`);
 * the server validates the same shapes with zod in src/widget/api-schemas.ts.
 *
 * All routes live on the widget origin under `/api/` (same origin as the app: no CORS, and the
 * okra-js loader only trusts messages from that origin anyway). Every route but session creation
 * needs `Authorization: Bearer <session_token>`; each such call extends the session (30 minutes
 * from the call, at most 2 hours from its start) and answers the new deadline in the
 * `X-Session-Expires-At` header (ISO). Answers use the Okra envelope
 * (`{status:"success", message, data}` / `{status:"error", error, message, data}`).
 *
 * Errors the widget shows (HTTP status, `error`, `data.reason`):
 * - 401 UNAUTHORIZED reason `invalid_key` (bad public key / token / app: fatal, onError) or
 *   `session_expired` (the widget session lapsed: start again).
 * - 404 NOT_FOUND reason `unknown_link` (short_url not found).
 * - 422 UNPROCESSABLE reason `invalid_credentials` (+ `attempts_left`), `locked`, `invalid_otp`
 *   (+ `attempts_left`), `mfa_expired`, `bank_session_expired`, `not_supported`, `no_accounts`.
 * - 503 SERVICE_UNAVAILABLE reason `bank_down` (+ `retry_after_ms`): offer another bank.
 * - 504? never: a bank `timeout` is answered 503 reason `bank_timeout` (try again).
 * - 429 RATE_LIMIT_EXCEEDED: too many tries.
 * - 409 CONFLICT reason `connecting` (connect): a connect of this session is still pulling the
 *   bank's data; send the same connect again a little later to get its result.
 * - 400 with the field named: bad input.
 *
 * Payment mode (`payment: true` + `charge{…}`, or `payment_link`) adds:
 * - 404 NOT_FOUND reason `link_unavailable` (+ `link_status`: `unknown` | `expired` | `used` |
 *   `disabled`): the payment link cannot be paid (session creation, payment creation).
 * - 422 UNPROCESSABLE reason `insufficient_funds` (+ `payment`, errored): choose another account or bank;
 *   `payment_failed` (+ `payment`): the bank declined it; `quick_pay_unavailable`: the stored
 *   connection cannot log in silently (log in to the bank instead).
 * - 409 CONFLICT reason `authorising`: this payment's authorisation is already with the bank
 *   (double click, second tab): poll `GET /api/payments/:id`.
 * - authorise never answers a bank timeout as an error: the payment is `unknown`
 *   (`state`), the answer is a success, and the widget polls until the worker settles it.
 *
 * Mandate mode (`debitLater: true`, or `payment: true` + `charge.type: "recurring"`; mandates.ts):
 * - 400 naming the okra-js field (`debitAmount`, `debitType`, `debitStartDate`, `debitEndDate`,
 *   `debitInterval`, `charge.amount`, `charge.schedule.*`, `charge.account`) at session creation.
 * - `POST /api/mandates`, `POST /api/mandates/authorise` (422 `invalid_otp` keeps it waiting; the
 *   bank's other refusals as at login), `GET /api/mandates/:id`; 409 reason `mandate_ended` when
 *   the mandate ended before it was authorised.
 *
 * The payer's page (`manage_mandates: true`, from `/mandates`; payer.ts): `GET /api/payer/mandates`
 * and `POST /api/payer/mandates/withdraw` are a 409 until a bank login proved who the payer is; a
 * mandate that is not theirs is a 404 naming `mandate_id`; one already ended a 409 naming its status.
 */

/** `POST /api/sessions` — the okra-js options object, as the loader sent it (unknown keys tolerated). */
export interface CreateSessionRequest {
  /** Public key (the widget's `key`). Required unless `short_url`/`ref` is given. */
  key?: string;
  /** Client token (the widget's `token`); checked against the key's company when given. */
  token?: string;
  /** The app (widget configuration); the environment's first app when omitted. */
  app_id?: string;
  /** okra-js coerces anything but "production" to "production-sandbox". */
  env?: string;
  /** Products asked for; intersected with the app's (auth always on). */
  products?: string[];
  /** Short link code (`buildWithShortUrl` sends it as `ref`; full-page links as `short_url`). */
  short_url?: string;
  ref?: string;
  /**
   * Returning user. In production only `token` recognises a customer linked before: a customer
   * token the merchant's server made with its secret key (`POST /v2/customers/token`). The plain
   * identifiers recognise nobody in production (anyone can type a BVN into a web page); sandbox
   * also recognises them. Without a valid token the widget shows its standard flow.
   */
  customer?: { token?: string; id?: string; bvn?: string; phone?: string; email?: string; nin?: string };
  /** Free object echoed back and stored on the record (`…/byOptions`). */
  options?: Record<string, unknown>;
  /** Shown on consent and success ("This Client" default → the company's name). */
  name?: string;
  clientName?: string;
  logo?: string;
  color?: string;
  filter?: { banks?: string[]; industry_type?: string };
  /** Statement length in months (default 24, max 24). */
  limit?: number;
  isCorporate?: boolean;
  account_type?: "both" | "individual" | "corporate";
  /** Payment mode: collect a one-time payment described by `charge`. */
  payment?: boolean;
  charge?: ChargeOptions;
  /** A payment link's short code: pay that link (the hosted pay page sends it). */
  payment_link?: string;
  /** A mandate awaiting the customer (the `/mandate/<id>` page its API `url` names): authorise exactly that one. */
  mandate?: string;
  /** Quick Pay: the Okro account id of the recognised `customer` to debit (bank and account preselected). */
  account_to_debit?: string;
  /** Mandate mode (future payments): authorise debits later instead of paying now. */
  debitLater?: boolean;
  /** Kobo: each debit (recurring, ongoing) or the total cap (one-time; sweep: per account, decision 0025). */
  debitAmount?: number | string;
  debitType?: "one-time" | "recurring" | "ongoing" | "sweep";
  /** `YYYY-MM-DD` or `YYYY/MM/DD` (Lagos); default today. */
  debitStartDate?: string;
  debitEndDate?: string;
  debitInterval?: "daily" | "weekly" | "monthly" | "quarterly" | "yearly";
  /** The payer's page (`/mandates` sets it): see and withdraw the customer's mandates. */
  manage_mandates?: boolean;
  [key: string]: unknown;
}

/** okra-js `charge`. */
export interface ChargeOptions {
  type?: "one-time" | "recurring";
  /** Kobo (an integer ≥ 100); null or absent: the payer types the amount. */
  amount?: number | null;
  note?: string;
  currency?: string;
  /** The merchant's company account to credit (its id); the default receiving account when omitted. */
  account?: string;
  /** `type: "recurring"` (mandate mode): when the charges run. */
  schedule?: { interval?: string; startDate?: string; endDate?: string; count?: number; dayOfMonth?: number };
  [key: string]: unknown;
}

/** How a payment session goes: see the flows in session.ts. */
export type PaymentMode = "instant" | "returning" | "quick_pay";

export interface SessionPayment {
  mode: PaymentMode;
  /** Kobo; null: the payer types it on the review screen. */
  amount: number | null;
  currency: string;
  note: string | null;
  /** Who is paid (the review screen's "To"). */
  merchant: string;
  /** The payment link being paid, when the session came from one. */
  /** `recurring`: a recurring link's charges in words ("NGN 150.00 every month, …"); null otherwise. */
  link: { short_url: string; name: string; reusable: boolean; recurring?: string | null } | null;
  /** Quick Pay: the account to debit and its bank, known before any login. */
  quick_pay?: { account: ReturningAccount; bank: WidgetBank };
}

export interface SessionBranding {
  /** What the consent and success screens call the business. */
  name: string;
  logo: string | null;
  /** `#rrggbb` */
  color: string;
}

export interface ReturningAccount {
  /** Okro account id. */
  id: string;
  bank_id: string;
  bank_name: string;
  bank_slug: string;
  /** e.g. "••••1234" — the widget never shows a full NUBAN it did not get from the bank in this session. */
  nuban_masked: string;
  name: string;
  type: string;
}

export interface CreateSessionResponse {
  session_token: string;
  /** ISO; the widget shows "session expired" after this. */
  expires_at: string;
  env: "production" | "production-sandbox";
  app_id: string;
  branding: SessionBranding;
  products: string[];
  /** How long access lasts, shown on the consent screen ("until you disconnect", or a date). */
  consent_until: string | null;
  /** The app's redirect_url: where a full-page (short link) session sends the user when done. */
  redirect_url: string | null;
  /** Statement length the merchant asked for (months). */
  history_months: number;
  /** Sandbox only: the magic credentials to show as a hint (DESIGN.md §4.4). */
  sandbox_hint: { username: string; password: string; outcome: string }[] | null;
  /** Sandbox only: what authorises a payment or a payment consent (OTP and PIN). */
  sandbox_payment_auth: { otp: string; pin: string } | null;
  /**
   * Returning user recognised from `customer{…}`: skip bank selection. Before any bank login it
   * says only the first name (`name`), the banks and masked NUBANs (account `name` is empty): the
   * hint comes from a public page.
   */
  returning: { customer_id: string; name: string; accounts: ReturningAccount[] } | null;
  /** The bank list as `GET /api/banks` gives it (popular banks first), so the first screen needs no second request. */
  banks: WidgetBank[];
  /** Payment mode; null for the account-data flow. */
  payment: SessionPayment | null;
  /** Mandate mode (`debitLater`, or `charge.type: "recurring"`): what the customer is asked to authorise; null otherwise. */
  mandate: SessionMandate | null;
  /** The payer's page (`/mandates`): the customer proves who they are at their bank, then sees and withdraws their mandates; null otherwise. */
  payer: { merchant: string } | null;
}

/** One line of the mandate consent screen: what is authorised, in words ("How much", "₦5,000.00 each time"). */
export interface MandateTermLine {
  /** what | amount | frequency | from | until | withdraw */
  key: "who" | "amount" | "limit" | "frequency" | "business_days" | "from" | "until" | "purpose" | "withdraw" | "covers" | "reach";
  label: string;
  value: string;
  /** `withdraw`: the payer's page, where the customer sees and withdraws their authorisations. */
  href?: string;
}

/**
 * What a mandate session asks the customer to authorise. The lines are written by the server from
 * the same terms it enforces (every cap, the schedule, the dates), so the screen states every limit.
 */
export interface SessionMandate {
  merchant: string;
  /** Okra's `debitType`, or `recurring` for `charge.type: "recurring"`. */
  kind: "one-time" | "recurring" | "ongoing" | "sweep";
  currency: string;
  /** Kobo: the amount of each charge (fixed), or the total cap (one-time). */
  amount: number;
  /** The whole authorisation in one sentence (the mandate's description). */
  summary: string;
  lines: MandateTermLine[];
}

/** A mandate as the widget and the payer's page show it. */
export interface WidgetMandate {
  id: string;
  /** awaiting_customer | awaiting_bank | active | paused | cancelled | expired | revoked | rejected */
  status: string;
  /** Why it is in that status (`withdrawn_by_payer`, `cancelled_by_company`, `bank_activated`, …). */
  status_reason: string | null;
  merchant: string;
  bank_name: string;
  nuban_masked: string;
  summary: string;
  lines: MandateTermLine[];
  created_at: string;
}

/** `POST /api/mandates`: creates the mandate on the chosen account (the same request again returns the same mandate). */
export interface CreateMandateRequest {
  account_id: string;
}

/** `POST /api/mandates/authorise`: the customer's OTP or PIN for the bank's debit authority. */
export interface AuthoriseMandateRequest {
  /** Absent for a recurring payment link: its mandate is made by this authorisation. */
  mandate_id?: string;
  otp?: string;
  pin?: string;
}

/** What the widget posts as `{success: true, ...MandateSuccess}` once the customer authorised the mandate. */
export interface MandateSuccess {
  type: "authorization";
  /** Okra's payment authorization (Okro's mandate view). */
  authorization: Record<string, unknown>;
  /**
   * A recurring payment link only: its first charge, made by the authorisation when the first
   * cycle falls due today (null when it starts later). An ordinary payment (verify, refund).
   */
  first?: { id: string; status: string; response_status: string; amount: number; currency: string; reference: string | null } | null;
  record_id: string;
  customer_id: string;
  account_id: string;
  bank_id: string;
  bank: { id: string; name: string; slug: string };
  auth: ConnectResponse["auth"];
  customer: { id: string; name: string };
  env: "production" | "production-sandbox";
  options: Record<string, unknown>;
}

/** Answer of create, authorise and poll. */
export interface MandateResponse {
  mandate: WidgetMandate;
  /** Set once the customer authorised it (awaiting the bank or active): the onSuccess payload. */
  success: MandateSuccess | null;
}

/** `GET /api/payer/mandates`: the mandates of the customer the bank login proved, with this company. */
export interface PayerMandatesResponse {
  customer: { name: string } | null;
  mandates: WidgetMandate[];
}

/** `POST /api/payer/mandates/withdraw` */
export interface WithdrawMandateRequest {
  mandate_id: string;
}

export type BankHealth = "healthy" | "degraded" | "down";

export interface WidgetLoginMethod {
  method: "internet_banking" | "mobile_banking" | "account_number";
  /** "Internet banking", "Mobile app", "Account number" */
  label: string;
  /** "Username", "Phone number", "Account number" */
  identifier_label: string;
  /** "Password", "PIN" */
  secret_label: string;
}

export interface WidgetBank {
  id: string;
  name: string;
  slug: string;
  /** Other names people search for it by ("GTB", "UBA"): the directory's `aliases`. */
  aliases: string[];
  /** Brand colour for the bank's initial badge (no remote logos: no external requests). */
  color: string;
  login_methods: WidgetLoginMethod[];
  health: BankHealth;
  /** Why degraded/down, e.g. "Union Bank is down for maintenance until 02:00". */
  health_message: string | null;
  /** The bank supports direct debits (payments, payment consent). */
  payments: boolean;
}

/** `GET /api/banks` */
export interface BanksResponse {
  banks: WidgetBank[];
}

/** `POST /api/login` */
export interface LoginRequest {
  bank_id: string;
  method: WidgetLoginMethod["method"];
  identifier: string;
  secret: string;
  /** Returning user: the Okro account id they picked (skips account selection after login). */
  account_id?: string;
}

export interface WidgetChallenge {
  kind: "sms_otp" | "hardware_token" | "security_question";
  prompt: string;
  question: string | null;
  attempts_left: number;
  expires_at: string;
}

export interface WidgetBankAccount {
  /** The bank's account id (BankAccount.id). */
  id: string;
  nuban: string;
  name: string;
  type: string;
  currency: string;
  /** Returning user: this is the account they picked. */
  preselected: boolean;
}

/** The answer to login and to MFA: what to show next. */
export type LoginResponse =
  | { step: "mfa"; challenge: WidgetChallenge }
  | {
      step: "accounts";
      accounts: WidgetBankAccount[];
      /**
       * Returning user: set when the account they picked is not among what this login sees at
       * the bank (e.g. "The account you picked (••••1234) is not in this First Bank profile…");
       * show it above the list. Null otherwise.
       */
      notice?: string | null;
    };

/** `POST /api/mfa` */
export interface MfaRequest {
  answer: string;
}

/** `POST /api/connect` — consent given; idempotent (a repeat returns the first result). */
export interface ConnectRequest {
  /** Bank account ids (WidgetBankAccount.id) to share; at least one. */
  account_ids: string[];
  consent: true;
  /**
   * Apps with the `payments` product: the customer also lets the merchant debit these accounts
   * later (`pay/initiate`), authorised with the bank's OTP or PIN. Exactly one of the two.
   */
  payment_authorization?: PaymentAuthorizationInput;
}

export interface PaymentAuthorizationInput {
  otp?: string;
  pin?: string;
}

/** A payment consent granted at connect. */
export interface WidgetConsent {
  id: string;
  account_id: string;
  /** `pending` until the bank activates the mandate (minutes), then `active`. */
  status: "pending" | "active" | "revoked";
}

/**
 * What the widget posts to the merchant page as `{success: true, ...ConnectResponse}` (okra-js
 * hands the whole message to `onSuccess`). Shape follows Okra's onSuccess (reference §5.6).
 */
export interface ConnectResponse {
  record_id: string;
  customer_id: string;
  bank_id: string;
  bank: { id: string; name: string; slug: string };
  accounts: { id: string; nuban: string; name: string; type: string; currency: string; connected: boolean }[];
  auth: {
    bank_details: { _id: string; name: string; slug: string };
    bank_id: string;
    clientId: string;
    customer_id: string;
    record_id: string;
    status: true;
    type: "validate";
    login_type: "bank";
  };
  customer: { id: string; name: string };
  env: "production" | "production-sandbox";
  products: string[];
  /** True when this customer and bank were connected before: the existing connection was refreshed. */
  relinked: boolean;
  /** Echo of the merchant's `options`. */
  options: Record<string, unknown>;
  /** Payment consents granted with `payment_authorization` (empty when none was asked for). */
  consents: WidgetConsent[];
}

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

/**
 * `POST /api/quick-pay` (Quick Pay sessions): a bank session for the preselected account from the
 * stored connection (its live session, or a silent login with the sealed credentials). Answers
 * like a login: `mfa` when the bank wants a code (then `POST /api/mfa`), else `accounts` with the
 * one account, preselected. 422 `quick_pay_unavailable` when the stored login no longer works:
 * log in to the bank (`POST /api/login` with `account_id`).
 */
export type QuickPayResponse = LoginResponse;

/** `POST /api/payments`: creates the payment for the chosen account (the same request again returns the same payment). */
export interface CreatePaymentRequest {
  /** WidgetBankAccount.id of an account listed in this session. */
  account_id: string;
  /** Kobo; required (≥ 100) when the charge left the amount to the payer, else absent or equal. */
  amount?: number;
}

export interface WidgetPayment {
  id: string;
  /** Okra's wire status (`initiated`, `success_pending_validation`, `error`, …). */
  status: string;
  response_status: string;
  /** Okro's internal state: `awaiting_authorisation`, `processing`, `unknown`, `succeeded`, `errored`, … */
  state: string;
  amount: number;
  currency: string;
  reference: string | null;
  failure: { code: string; message: string } | null;
}

/** What the widget posts as `{success: true, ...PaymentSuccess}` when a payment succeeded. */
export interface PaymentSuccess {
  type: "payment";
  payment: { id: string; status: string; response_status: string; amount: number; currency: string; reference: string | null };
  record_id: string;
  customer_id: string;
  account_id: string;
  bank_id: string;
  bank: { id: string; name: string; slug: string };
  auth: ConnectResponse["auth"];
  customer: { id: string; name: string };
  env: "production" | "production-sandbox";
  options: Record<string, unknown>;
}

/** Answer of create, authorise, poll and cancel. */
export interface PaymentResponse {
  payment: WidgetPayment;
  /** Set once the payment succeeded: the onSuccess payload. */
  success: PaymentSuccess | null;
}

/** `POST /api/payments/authorise`: the customer's OTP or PIN (exactly one). */
export interface AuthorisePaymentRequest {
  payment_id: string;
  otp?: string;
  pin?: string;
}

/** `POST /api/payments/cancel`: the customer left before authorising. */
export interface CancelPaymentRequest {
  payment_id: string;
}

/**
 * postMessage protocol (okra-js 2.1.1 `dist/bundle.js`): the iframe posts `{ifameLoaded: true}`
 * (sic) once, receives the options object, then reports with `{event: name, data}`,
 * `{success: true, ...}`, `{error: true, ...}`, `{beforeClose: true}` and `{close: true}`.
 */
export type WidgetEventName =
  | "widget_opened"
  | "bank_selected"
  | "login_method_selected"
  | "login_submitted"
  | "mfa_required"
  | "mfa_submitted"
  | "accounts_listed"
  | "consent_given"
  | "connected"
  | "error_shown"
  | "close_requested"
  | "payment_review"
  | "payment_created"
  | "payment_authorisation_submitted"
  | "payment_confirming"
  | "payment_succeeded"
  | "payment_pending"
  | "payment_failed"
  | "payment_cancelled"
  | "mandate_review"
  | "mandate_created"
  | "mandate_authorisation_submitted"
  | "mandate_authorised"
  | "mandate_withdrawn";
