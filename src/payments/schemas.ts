import { z } from "zod";
import { Garnishment } from "../garnish/schemas.js";
import { Id } from "../data/schemas.js";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { KoboError, MAX_KOBO, positiveKobo } from "../lib/kobo.js";
import { COLOR_PATTERN, isHttpUrl, logoProblem, URL_MAX_LENGTH } from "../platform/domain.js";
import { PAYMENT_STATES, WIRE_STATUSES } from "./domain.js";
import { Mandate, ScheduleInput, Upcoming } from "../mandates/schemas.js";

/**
 * The HTTP contract of the payments API (`/v2/pay/*`, `/v2/ledger/*`): Okra's paths and field
 * names (okra-node 0.2.0, okra-ruby, seed 004), plus Okro's extensions (receiving accounts, the
 * ledger, link options). Reads take unknown fields quietly (okra-node sends `page: 1, limit: 1`
 * everywhere); mutating bodies are strict, so a misspelt field is a 400 naming it.
 *
 * Money is integer kobo: a JSON number (form bodies are coerced by the schema). Zero, negative,
 * fractional, non-numeric and absurd (> 10^15) amounts are a 400 naming `amount`.
 */

// ---------------------------------------------------------------------------------------------
// Request building blocks
// ---------------------------------------------------------------------------------------------

const page = { page: PageParams.page, limit: PageParams.limit };
const PaymentId = Id.meta({ description: "The payment's id" });

const AMOUNT_RULE = `must be a whole number of kobo greater than zero (₦1 = 100), at most ${MAX_KOBO}`;
/**
 * A positive amount by src/lib/kobo.ts's rules, from a JSON number. Stays a number in the parsed
 * body (the Idempotency-Key fingerprint hashes the body as JSON); routes convert with `kobo()`.
 */
export const Amount = z
  .number({ error: AMOUNT_RULE })
  .superRefine((value, check) => {
    try {
      positiveKobo(value);
    } catch (error) {
      if (!(error instanceof KoboError)) throw error;
      check.addIssue({ code: "custom", message: error.message.replace(/^amount /, "") });
    }
  })
  .meta({ description: "Kobo (₦1 = 100): a whole number greater than zero, at most 10^15" });

/** A 3-letter code, upper-cased; which ones are supported is a 422 decided by the route. */
export const Currency = z
  .string({ error: "must be a 3-letter currency code, e.g. NGN" })
  .trim()
  .regex(/^[A-Za-z]{3}$/, "must be a 3-letter currency code, e.g. NGN")
  .transform((c) => c.toUpperCase())
  .meta({ description: "ISO 4217 code. Payments are in NGN only (anything else is a 422)." });

const Note = z.string({ error: "must be a string" }).trim().max(200, "must be at most 200 characters");
const Nuban = z.string({ error: "must be a string" }).regex(/^\d{10}$/, "must be a 10-digit NUBAN");
/** A bank from the directory, by id or by slug. */
export const BankRef = z
  .string({ error: "must be a bank id or slug" })
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .meta({ description: "A bank from `banks/list`: its `_id` or its `slug` (e.g. guaranty-trust-bank)" });
/**
 * The receiving account a payment is for, where "none" means the company's default for the
 * currency: one rule for `pay/initiate`'s `account_to_credit` and `pay/link/create`'s `account`.
 * okra-node insists on both keys (initPayment's `account_to_credit`, createPaymentLink's
 * `account`), so `""` and null mean the default as much as an absent key does; read the value
 * with `receivingAccountOrDefault`.
 */
export const ReceivingAccountOrDefault = z
  .union([Id, z.literal(""), z.null()], { error: "must be a 24-character hex id (a receiving account from pay/accounts/list)" })
  .optional()
  .meta({ description: "Your receiving account (`pay/accounts/list`). Absent, empty or null: your default account for the currency." });

/** The account id `ReceivingAccountOrDefault` names, or undefined for the default. */
export const receivingAccountOrDefault = (value: z.infer<typeof ReceivingAccountOrDefault>): string | undefined => value || undefined;

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

export const INITIATE_TYPES = ["one-time", "recurring", "garnish"] as const;
export const InitiateBody = z.strictObject({
  account_to_debit: Id.meta({
    description: "The customer's linked account to debit (an account id from accounts/*). It needs payment consent (given in the widget).",
  }),
  account_to_credit: ReceivingAccountOrDefault,
  amount: Amount,
  currency: Currency.default("NGN"),
  type: z
    .enum(INITIATE_TYPES, { error: "must be one-time, recurring or garnish" })
    .default("one-time")
    .meta({ description: "`one-time` (the default), `recurring` (with `schedule`: a mandate whose charges run on the schedule), `garnish` (with `schedule`: a garnishment recovering `amount` from the customer's consented accounts; garnish/*)." }),
  schedule: ScheduleInput.optional(),
  note: Note.nullable().optional().meta({ description: "Shown in the payment's narration and to you" }),
});

export const PaymentIdBody = z.object({ payment_id: PaymentId });
export const CancelBody = z.strictObject({ payment_id: PaymentId });
export const ApproveReviewBody = z.strictObject({ payment_id: PaymentId });
export const DeclineReviewBody = z.strictObject({
  payment_id: PaymentId,
  reason: z.string({ error: "must be a string" }).trim().max(200, "must be at most 200 characters").optional().meta({ description: "Why, recorded on the payment" }),
});
export const GetPaymentBody = z.object({ payment_id: PaymentId, ...page });
export const PageBody = z.object(page);
export const ByCustomerBody = z.object({ customer_id: Id.meta({ description: "The customer's id" }), ...page });

export const RefundBody = z.strictObject({
  payment_id: PaymentId,
  amount: Amount.optional().meta({ description: "Kobo to refund; absent: everything not yet refunded" }),
});
export const RefundListBody = z.object({ payment_id: PaymentId.optional(), ...page });

export const PayoutBody = z
  .strictObject({
    account_to_credit: Id.optional().meta({ description: "Your receiving account (`pay/accounts/list`)" }),
    nuban: Nuban.optional().meta({ description: "Or an account number (with `bank`)" }),
    bank: BankRef.optional(),
    amount: Amount,
    currency: Currency.default("NGN"),
  })
  .superRefine((body, check) => {
    if (body.account_to_credit !== undefined && (body.nuban !== undefined || body.bank !== undefined)) {
      check.addIssue({ code: "custom", path: ["account_to_credit"], message: "send account_to_credit, or nuban and bank, not both" });
    }
    if (body.nuban !== undefined && body.bank === undefined) check.addIssue({ code: "custom", path: ["bank"], message: "is required with nuban" });
    if (body.bank !== undefined && body.nuban === undefined) check.addIssue({ code: "custom", path: ["nuban"], message: "is required with bank" });
  });

// ---------------------------------------------------------------------------------------------
// Ledger and receiving accounts
// ---------------------------------------------------------------------------------------------

export const BalancesBody = z.object({ currency: Currency.optional() });
export const EntriesBody = z.object({ payment_id: PaymentId.optional().meta({ description: "Only this payment's entries" }), ...page });

export const CreateAccountBody = z.strictObject({
  bank: BankRef,
  nuban: Nuban,
  name: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional().meta({
    description: "The account's name (default: your company's name)",
  }),
  currency: Currency.default("NGN"),
  default: z.boolean({ error: "must be true or false" }).default(false).meta({
    description: "Make it the default for its currency (the first account of a currency is the default anyway)",
  }),
});

// ---------------------------------------------------------------------------------------------
// Payment links
// ---------------------------------------------------------------------------------------------

const HttpUrl = z
  .string({ error: "must be a string" })
  .max(URL_MAX_LENGTH, `must be at most ${URL_MAX_LENGTH} characters`)
  .refine((v) => isHttpUrl(v), "must be an http(s) URL");
const Logo = z.string({ error: "must be a string" }).superRefine((value, check) => {
  const problem = logoProblem(value);
  if (problem) check.addIssue({ code: "custom", message: problem });
});
const Countries = z
  .union([z.literal("NG"), z.array(z.literal("NG", { error: "only NG is supported" })).min(1, "must not be empty").max(1, "only NG is supported")], {
    error: 'must be "NG" or ["NG"] (Nigerian banks only)',
  })
  .meta({ description: 'Okra\'s countries: `"NG"` or `["NG"]` (Nigerian banks only)' });
const IsoInstant = z
  .string({ error: "must be an ISO-8601 instant" })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/, "must be an ISO-8601 instant with its offset, e.g. 2026-06-01T12:00:00Z")
  .refine((v) => !Number.isNaN(Date.parse(v)), "is not a real date");

export const LINK_MIN_AMOUNT = 100;
export const CreateLinkBody = z.strictObject({
  name: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters").meta({
    description: "What the payer is paying for, shown on the page",
  }),
  amount: Amount.refine((k) => k >= LINK_MIN_AMOUNT, `must be at least ${LINK_MIN_AMOUNT} kobo (₦1), or null to let the payer enter it`)
    .nullable()
    .optional()
    .meta({ description: "Kobo, at least 100. Absent or null: the payer enters the amount." }),
  currency: Currency.default("NGN"),
  note: Note.nullable().optional(),
  logo: Logo.nullable().optional().meta({ description: "An https URL, or a data:image/(png|jpeg|gif|webp);base64 URL of at most 100 KB" }),
  countries: Countries.optional(),
  type: z
    .enum(["one-time", "recurring"], { error: "must be one-time or recurring" })
    .default("one-time")
    .meta({ description: "`one-time` (the default), or `recurring` with `schedule` and a fixed `amount`: paying the link sets up a mandate that charges `amount` on the schedule." }),
  schedule: ScheduleInput.optional().meta({ description: "Recurring links: `{interval (default monthly), startDate (default: the day the customer pays), endDate, count, dayOfMonth}`, Lagos days" }),
  color: z.string({ error: "must be a string" }).regex(COLOR_PATTERN, "must be a hex colour, #rgb or #rrggbb").nullable().optional(),
  account: ReceivingAccountOrDefault,
  support_email: z
    .string({ error: "must be an email address" })
    .trim()
    .max(254, "must be at most 254 characters")
    .pipe(z.email("must be an email address"))
    .nullable()
    .optional()
    .meta({
      description:
        "Where payers can reach you, shown on the page. Absent or null: your company's email (its owner's, the dashboard account that signed it up). okra-node does not send it.",
    }),
  data: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Okra: also pull account data. Not available yet: `true` is a 422." }),
  success_url: HttpUrl.nullable().optional().meta({ description: "Where the page sends the payer after a successful payment" }),
  callback_url: HttpUrl.nullable().optional().meta({ description: "Shown to the page's script; events go to your webhooks" }),
  continue_cta: z.string({ error: "must be a string" }).max(100, "must be at most 100 characters").optional().meta({
    description: "Okra's label of the page's continue button. Accepted for compatibility; Okro's page has its own.",
  }),
  filter: z
    .strictObject({
      banks: z.array(BankRef).max(200, "too many banks").default([]).meta({ description: "Only these banks (ids or slugs) are offered; empty: all" }),
    })
    .optional(),
  reusable: z.boolean({ error: "must be true or false" }).default(false).meta({ description: "Okro: false (default) = single-use, the link is `used` once paid" }),
  expires_at: IsoInstant.nullable().optional().meta({ description: "Okro: after this instant the link cannot be paid (must be in the future)" }),
});
export const LinkIdBody = z.object({ id: Id.meta({ description: "The link's id" }) });
export const DisableLinkBody = z.strictObject({ id: Id.meta({ description: "The link's id" }) });

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

const WireEnv = z.enum(["production", "production-sandbox"]).meta({ description: "Okra's spelling of the environment" });
const KoboOut = z.number().int().meta({ description: "Kobo (₦1 = 100)" });
const Ts = z.string().meta({ description: "ISO-8601 UTC" });

export const LinkRefObject = z
  .object({
    _id: z.string(),
    url: z.string().meta({ description: "The hosted pay page: `<widget origin>/pay/<short_url>`" }),
    short_url: z.string().meta({ description: "The link's short code" }),
    surl: z.string().meta({ description: "The short link (Okro serves the page at one address: the same as url)" }),
  })
  .meta({ id: "PaymentLinkRef" });

export const Transition = z.object({
  from: z.string().nullable().meta({ description: "Internal state before (null: created)" }),
  to: z.string().meta({ description: "Internal state after" }),
  status: z.enum(WIRE_STATUSES).meta({ description: "Wire status after" }),
  actor: z.string().meta({ description: "api, customer, bank, scheduler or worker" }),
  reason: z.string(),
  at: Ts,
});

export const Payment = z
  .object({
    _id: z.string(),
    id: z.string(),
    amount: KoboOut,
    currency: z.string(),
    customer: z.string().nullable().meta({ description: "The customer debited (null until known, e.g. a link nobody paid yet)" }),
    account: z.string().nullable().meta({ description: "The customer's account debited" }),
    account_to_credit: z.string().meta({ description: "Your receiving account" }),
    link: LinkRefObject.nullable().meta({ description: "The payment link it was paid through, if any" }),
    status: z.enum(WIRE_STATUSES).meta({
      description:
        "Okra's status: pending (queued), initiated (being authorised or at the bank), review, success_pending_validation (the bank confirmed; settlement pending), completed (settled), error (bank error or insufficient funds), failed (declined, expired or reversed), cancelled",
    }),
    response_status: z.enum(["pending", "success", "error", "failed", "cancelled"]).meta({ description: "The outcome so far" }),
    state: z.enum(PAYMENT_STATES).meta({ description: "Okro's internal state (finer than status)" }),
    type: z.string(),
    channel: z.string().meta({ description: "api (pay/initiate), widget or link" }),
    reference: z.string().nullable().meta({ description: "The debit's reference at the bank (set when it is sent)" }),
    fee: KoboOut.meta({ description: "Okro's fee (kobo), taken at settlement" }),
    note: z.string().nullable(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    env: WireEnv,
    owner: z.string().meta({ description: "Your company id" }),
    created_at: Ts,
    last_updated: Ts,
    history: z.array(Transition).optional().meta({ description: "Every transition, oldest first (pay/get/id)" }),
    mandate: z
      .object({ _id: z.string(), cycle: z.number().int(), attempt: z.number().int() })
      .optional()
      .meta({ description: "A mandate's scheduled charge: the mandate (`mandates/get`), its cycle (0-based) and the try within the cycle (1 = first; insufficient-funds retries count up)" }),
    garnishment: z
      .object({ _id: z.string(), sweep: z.number().int() })
      .optional()
      .meta({ description: "A garnishment's debit: the recovery (`garnish/get`) and the number of the sweep that took it (1-based)" }),
  })
  .meta({ id: "Payment", description: "A payment. Seed 004's verify fields (`_id, amount, currency, customer, link, status, response_status`) plus Okro's." });

export const Refund = z
  .object({
    _id: z.string(),
    payment: z.string(),
    amount: KoboOut,
    currency: z.string(),
    status: z.enum(["pending", "processing", "success", "failed"]),
    reference: z.string().nullable().meta({ description: "The credit's reference at the bank (set when it is sent)" }),
    failure_reason: z.string().nullable(),
    created_at: Ts,
    last_updated: Ts,
  })
  .meta({ id: "Refund", description: "Money sent back to the payer's account: pending → processing → success | failed." });

export const Payout = z
  .object({
    _id: z.string(),
    status: z.enum(["initiated", "success", "failed"]),
    amount: KoboOut,
    currency: z.string(),
    ref: z.string().nullable().meta({ description: "The credit's reference at the bank" }),
    fee: KoboOut,
    account_to_credit: z.string().nullable().meta({ description: "Your receiving account, when the payout went to one" }),
    nuban_to_credit: z.object({ nuban: z.string(), bank: z.string().meta({ description: "The bank's id" }) }),
    initiated_by: z.string(),
    env: WireEnv,
    failure_reason: z.string().nullable(),
    created_at: Ts,
    last_updated: Ts,
  })
  .meta({ id: "Payout", description: "Money moved from your available balance to your bank account (okra-api §2.9)." });

export const WalletBalance = z
  .object({
    currency: z.string(),
    pending: KoboOut.meta({ description: "Confirmed by the bank, not yet settled" }),
    available: KoboOut.meta({ description: "Settled: what refunds and payouts draw on" }),
    in_transit: KoboOut.meta({ description: "Refunds and payouts sent to the banks, not yet confirmed (refunds_in_transit + payouts_in_transit)" }),
    refunds_in_transit: KoboOut,
    payouts_in_transit: KoboOut,
    fees: KoboOut.meta({ description: "Okro's fees taken so far" }),
    collected: KoboOut.meta({ description: "Everything ever confirmed collected (gross)" }),
  })
  .meta({ id: "WalletBalance" });

export const LedgerEntry = z
  .object({
    _id: z.string(),
    id: z.string(),
    key: z.string().meta({ description: "Unique per company: `<kind>:<subject id>` (an entry is posted once)" }),
    kind: z.string(),
    payment: z.string().nullable(),
    refund: z.string().nullable(),
    payout: z.string().nullable(),
    created_at: Ts,
    postings: z.array(
      z.object({
        account: z.string().meta({ description: "wallet:pending, wallet:available, fees, external:customers, …" }),
        direction: z.enum(["debit", "credit"]).meta({ description: "credit: money arrives in the account; debit: it leaves" }),
        amount: KoboOut,
        currency: z.string(),
      }),
    ),
  })
  .meta({ id: "LedgerEntry", description: "One balanced journal entry: its postings sum to zero per currency." });

export const CompanyAccount = z
  .object({
    _id: z.string(),
    id: z.string(),
    bank: z.string().meta({ description: "The bank's id" }),
    nuban: z.string(),
    name: z.string(),
    currency: z.string(),
    default: z.boolean().meta({ description: "The default receiving account for its currency" }),
    owner: z.string(),
    env: WireEnv,
    created_at: Ts,
  })
  .meta({ id: "ReceivingAccount", description: "Your own bank account: where payments are for and payouts land." });

export const PaymentLink = z
  .object({
    _id: z.string(),
    id: z.string(),
    url: z.string(),
    short_url: z.string(),
    surl: z.string(),
    qr: z.null().meta({ description: "Okra's QR code image: Okro makes none" }),
    name: z.string(),
    note: z.string().nullable(),
    amount: KoboOut.nullable().meta({ description: "Null: the payer enters the amount" }),
    currency: z.string(),
    type: z.string(),
    reusable: z.boolean(),
    status: z.enum(["active", "used", "disabled", "expired"]),
    expires_at: Ts.nullable(),
    account: z.string().nullable(),
    support_email: z.string(),
    success_url: z.string().nullable(),
    callback_url: z.string().nullable(),
    logo: z.string().nullable(),
    color: z.string().nullable(),
    countries: z.array(z.string()),
    filter: z.object({ banks: z.array(z.string()).meta({ description: "Bank slugs" }) }),
    payments_count: z.number().int(),
    schedule: z
      .object({ interval: z.string(), start_date: z.string().nullable(), end_date: z.string().nullable(), count: z.number().int().nullable(), day_of_month: z.number().int().nullable() })
      .nullable()
      .meta({ description: "A recurring link's schedule (null for one-time links)" }),
    schedule_description: z.string().nullable().meta({ description: "A recurring link's charges in words, as its page states them" }),
    owner: z.string(),
    env: WireEnv,
    created_at: Ts,
    last_updated: Ts,
  })
  .meta({ id: "PaymentLink" });

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export const PaymentResponse = envelope(z.object({ payment: Payment }));
/** `pay/initiate`: the payment; for `type: recurring`, the first charge when it is due today (else null), the mandate and its next charges. */
export const InitiateResponse = envelope(z.object({ payment: Payment.nullable(), mandate: Mandate.optional(), upcoming: z.array(Upcoming).optional(), garnishment: Garnishment.optional() }));
export const VerifyResponse = envelope(z.object({ payment_status: Payment }));
export const PaymentsResponse = envelope(z.object({ payments: z.array(Payment), pagination: Pagination }));
export const RefundResponse = envelope(z.object({ refund: Refund }));
export const RefundsResponse = envelope(z.object({ refunds: z.array(Refund), pagination: Pagination }));
export const PayoutResponse = envelope(z.object({ payout: Payout }));
export const PayoutsResponse = envelope(z.object({ payouts: z.array(Payout), pagination: Pagination }));
export const BalancesResponse = envelope(z.object({ balances: z.array(WalletBalance) }));
export const EntriesResponse = envelope(z.object({ entries: z.array(LedgerEntry), pagination: Pagination }));
export const AccountResponse = envelope(z.object({ account: CompanyAccount }));
export const AccountsResponse = envelope(z.object({ accounts: z.array(CompanyAccount), pagination: Pagination }));
export const LinkResponse = envelope(z.object({ link: PaymentLink }));
export const LinksResponse = envelope(z.object({ links: z.array(PaymentLink), pagination: Pagination }));
