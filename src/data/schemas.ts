import { z } from "zod";
import { CUSTOMER_TOKEN_DEFAULT_TTL_S, CUSTOMER_TOKEN_MAX_TTL_S, CUSTOMER_TOKEN_MIN_TTL_S } from "../widget/customer-tokens.js";
import { Bank } from "../banks/schemas.js";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { ID_PATTERN } from "../lib/ids.js";
import { MAX_KOBO } from "../lib/kobo.js";

/**
 * The HTTP contract of the account-data API: the paths okra-node 0.2.0 calls for auths, balances,
 * accounts, transactions, identities, income, customers and records, with Okra's field names.
 *
 * Reads take unknown fields quietly (okra-node sends extras such as `includePeriodic`, and
 * `page: 1, limit: 1` by default); mutating bodies (refresh, check, merge, flag, unflag, remove,
 * process) are strict. Every id is a 24-hex string, every date `YYYY-MM-DD` or an ISO-8601
 * instant, every amount integer kobo; anything else is a 400 naming the field.
 */

// ---------------------------------------------------------------------------------------------
// Request building blocks
// ---------------------------------------------------------------------------------------------

export const Id = z.string({ error: "must be a string" }).regex(ID_PATTERN, "must be a 24-character hex id");
const BankId = Id.meta({ description: "A bank's id from the bank directory (`banks/list`)" });
const CustomerId = Id.meta({ description: "The customer's id" });
const AccountId = Id.meta({ description: "The account's id (Okro's, not the NUBAN)" });

/** A date (`2026-05-01`: the whole UTC day) or an ISO-8601 instant with its offset. */
const ISO_DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
export const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DateParam = z
  .string({ error: "must be a date string" })
  .regex(ISO_DATE_OR_INSTANT, "must be a date (YYYY-MM-DD) or an ISO-8601 instant, e.g. 2026-05-01 or 2026-05-01T09:00:00Z")
  // The calendar day is checked for instants too: Date.parse rolls "2026-02-30T10:00:00Z" over
  // to 2 March instead of refusing it.
  .refine((v) => {
    const day = new Date(`${v.slice(0, 10)}T00:00:00Z`);
    return !Number.isNaN(Date.parse(v)) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(v.slice(0, 10));
  }, "is not a real date");
const From = DateParam.meta({ description: "From this date (inclusive; a date alone is its midnight UTC)" });
const To = DateParam.meta({ description: "Up to this date (inclusive: a date alone covers its whole UTC day)" });

/** Integer kobo, as a JSON number or a string of digits (form bodies, and SDK users who pass strings). */
const KOBO_RULE = `must be a non-negative whole number of kobo, at most ${MAX_KOBO}`;
export const KoboParam = z
  .union(
    [
      // A float or an unsafe integer is refused once (abort), not again by max().
      z.number({ error: KOBO_RULE }).int({ error: KOBO_RULE, abort: true }).min(0, KOBO_RULE).max(Number(MAX_KOBO), KOBO_RULE),
      z.string({ error: KOBO_RULE }).regex(/^\d{1,16}$/, KOBO_RULE).transform(Number).pipe(z.number().max(Number(MAX_KOBO), KOBO_RULE)),
    ],
    { error: KOBO_RULE },
  )
  .meta({ description: "An amount in kobo (₦1 = 100)" });

/** `true`/`false`, as JSON booleans or the strings form bodies and some SDK callers send. */
const Flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], { error: "must be true or false" });

const page = { page: PageParams.page, limit: PageParams.limit };

/** `from` after `to` is refused naming `from`. */
function checkRange(body: { from?: string | undefined; to?: string | undefined }, check: z.RefinementCtx) {
  if (body.from === undefined || body.to === undefined) return;
  if (rangeStart(body.from) > rangeEnd(body.to)) check.addIssue({ code: "custom", path: ["from"], message: "must not be after to" });
}

/** Start of a `from` bound (ms). */
export const rangeStart = (from: string) => Date.parse(DATE_ONLY.test(from) ? `${from}T00:00:00Z` : from);
/** Last millisecond a `to` bound covers: a whole day for a date, the instant itself otherwise. */
export const rangeEnd = (to: string) => (DATE_ONLY.test(to) ? Date.parse(`${to}T00:00:00Z`) + 86_400_000 - 1 : Date.parse(to));

type Ranged = { from?: string | undefined; to?: string | undefined };
const dated = <S extends z.ZodRawShape>(shape: S) =>
  z.object({ ...shape, from: From.optional(), to: To.optional(), ...page }).superRefine((body, check) => checkRange(body as Ranged, check));
const datedRequired = <S extends z.ZodRawShape>(shape: S) =>
  z.object({ ...shape, from: From, to: To, ...page }).superRefine((body, check) => checkRange(body as Ranged, check));

// ---------------------------------------------------------------------------------------------
// Request bodies (reads: unknown fields ignored)
// ---------------------------------------------------------------------------------------------

export const PageBody = z.object(page);
export const ListBody = dated({});
export const ByIdBody = z.object({ id: Id, ...page });
export const ByCustomerBody = z.object({ customer: CustomerId, ...page });
export const ByDateBody = datedRequired({});
export const ByCustomerDateBody = datedRequired({ customer: CustomerId });
export const ByBankBody = z.object({ bank: BankId, ...page });

export const BalanceByIdBody = z.object({
  id: Id,
  includePeriodic: Flag.default(true).meta({
    description: "Include `periodic` (the readings taken at each refresh, oldest first). Default true, as Okra documents; false omits it.",
  }),
  ...page,
});
export const BalanceByAccountBody = z.object({ account_id: AccountId, ...page });
export const BalanceType = z.enum(["available_balance", "ledger_balance"], { error: "must be available_balance or ledger_balance" });
export const BalanceByTypeBody = z.object({
  type: BalanceType,
  value: KoboParam.default(0).meta({ description: "Balances of at least this many kobo (default 0)" }),
  ...page,
});
export const EnhancedBalanceBody = z
  .object({
    account_id: AccountId.optional(),
    customer_id: CustomerId.optional(),
    from: From.optional(),
    to: To.optional(),
    ...page,
  })
  .superRefine(checkRange)
  .superRefine((body, check) => {
    if (body.account_id === undefined && body.customer_id === undefined) {
      check.addIssue({ code: "custom", path: ["account_id"], message: "is required (or send customer_id)" });
    }
  });

export const AccountDetailsBody = z.object({ account: AccountId });
/**
 * `balance`: a Balance id (an account's `balance` field) finds that account; a number (kobo)
 * finds the accounts whose available balance is at least that much.
 */
export const AccountsByBalanceBody = z.object({
  balance: z
    .union([Id, KoboParam], { error: "must be a Balance id (24 hex characters) or a whole number of kobo" })
    .meta({ description: "A Balance id, or a minimum available balance in kobo" }),
  ...page,
});
export const AccountsByNameBody = z.object({
  name: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters").meta({
    description: "Part of the account name, any case",
  }),
  ...page,
});

export const TransactionsByAccountBody = dated({ account: AccountId });
export const TransactionsByBankBody = dated({ bank: BankId });
export const TransactionType = z.enum(["credit", "debit"], { error: "must be credit or debit" });
export const TransactionsByTypeBody = dated({
  type: TransactionType,
  value: KoboParam.default(0).meta({ description: "Lines of at least this many kobo (default 0)" }),
});
const Nuban = z.string({ error: "must be a string" }).regex(/^\d{10}$/, "must be a 10-digit NUBAN");
export const TransactionsByNubanBody = dated({ nuban: Nuban });
export const EnhancedTransactionsBody = dated({ account: AccountId });
export const SpendingPatternBody = z.object({ account: AccountId, from: From.optional(), to: To.optional() }).superRefine(checkRange);
const TOP_DEFAULT = 10;
const Top = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(100, "must be at most 100")
  .default(TOP_DEFAULT);
export const NetworkBody = z
  .object({ account: AccountId.optional(), customer: CustomerId.optional(), from: From.optional(), to: To.optional(), limit: Top })
  .superRefine(checkRange)
  .superRefine((body, check) => {
    if (body.account === undefined && body.customer === undefined) {
      check.addIssue({ code: "custom", path: ["account"], message: "is required (or send customer)" });
    }
  });
export const BenefactorsBody = z
  .object({
    account: AccountId.optional(),
    customer: CustomerId.optional(),
    bank: BankId.optional(),
    from: From.optional(),
    to: To.optional(),
    limit: Top,
  })
  .superRefine(checkRange)
  .superRefine((body, check) => {
    if (body.account === undefined && body.customer === undefined) {
      check.addIssue({ code: "custom", path: ["account"], message: "is required (or send customer)" });
    }
  });

const Bvn = z.string({ error: "must be a string" }).regex(/^\d{11}$/, "must be an 11-digit BVN");
export const BvnVerifyBody = z.object({ bvn: Bvn });
export const CustomerVerifyBody = z.object({ customer: CustomerId });
export const NubanVerifyBody = z.object({ nuban: Nuban, bank: BankId });
const Text200 = z.string({ error: "must be a string" }).max(200, "must be at most 200 characters");
export const RegistryVerifyBody = z.object({ rc_number: Text200.optional(), company_name: Text200.optional(), tin_number: Text200.optional() });

/** `pdf: true` asks for a PDF, which Okro does not make (422); false, "" or absent are fine. */
const Pdf = z.unknown().meta({ description: "Okra's PDF export. Okro answers JSON only: `true` is a 422." });
export const RevenueBody = z.object({ customer: CustomerId, from: From.optional(), to: To.optional(), pdf: Pdf.optional() }).superRefine(checkRange);

export const CUSTOMER_SEARCH_KEYS = ["id", "_id", "name", "email", "phone", "bvn", "nuban"] as const;
export type CustomerSearchKey = (typeof CUSTOMER_SEARCH_KEYS)[number];
export const FindCustomersBody = z.object({
  key: z.enum(CUSTOMER_SEARCH_KEYS, { error: `must be one of ${CUSTOMER_SEARCH_KEYS.join(", ")}` }).meta({
    description: "What to search by: id, name (any case, part of it), email (exact, any case), phone (the last 10 digits), bvn, nuban",
  }),
  value: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  ...page,
});
export const RecordBody = z.object({ record_id: Id.meta({ description: "The record's id (one bank connection)" }) });

// ---------------------------------------------------------------------------------------------
// Mutating bodies (strict: an unknown field is a 400 naming it)
// ---------------------------------------------------------------------------------------------

export const BalanceCheckBody = z.strictObject({
  account_id: AccountId,
  record_id: Id.optional().meta({ description: "The account's record; when sent it must be the account's" }),
});
export const AccountRefreshBody = z.strictObject({ account_id: AccountId });
export const MergeBody = z
  .strictObject({
    initial: CustomerId.meta({ description: "The customer merged away: its connections and data move to `final`, then it is gone" }),
    final: CustomerId.meta({ description: "The customer that remains" }),
  })
  .superRefine((body, check) => {
    if (body.initial === body.final) check.addIssue({ code: "custom", path: ["final"], message: "must differ from initial" });
  });
export const FlagBody = z.strictObject({ bank: BankId, customer: CustomerId });
export const UnflagBody = z.strictObject({
  bank: BankId,
  customer: CustomerId,
  unflag: Flag.default(true)
    .refine((v) => v, "must be true (it is what removes the flag)")
    .meta({ description: "true (the default) removes the flag" }),
});
export const RemoveCustomerBody = z.strictObject({ customer: CustomerId });

/** `customers/token`: whom the merchant's server vouches for (at least one identifier), for how long, for which app. */
export const CustomerTokenBody = z
  .strictObject({
    id: z
      .union([z.string({ error: "must be a string or a number" }).trim().min(1, "must not be empty").max(200, "must be at most 200 characters"), z.number().int("must be a whole number or a string")])
      .transform(String)
      .optional()
      .meta({ description: "Your own id of the customer (what the widget's `customer.id` named)" }),
    bvn: z.string({ error: "must be a string" }).trim().regex(/^\d{11}$/, "must be an 11-digit BVN").optional(),
    email: z.string({ error: "must be a string" }).trim().max(254, "must be at most 254 characters").regex(/^[^\s@]+@[^\s@]+$/, "must be an email address").optional(),
    phone: z.string({ error: "must be a string" }).trim().max(40, "must be at most 40 characters").regex(/^\+?[\d\s()-]{7,}$/, "must be a phone number").optional(),
    app_id: Id.optional().meta({ description: "Only this app's widget may use the token (default: any app of this company and environment)" }),
    expires_in: z.coerce
      .number({ error: "must be a number of seconds" })
      .int("must be a whole number of seconds")
      .min(CUSTOMER_TOKEN_MIN_TTL_S, `must be at least ${CUSTOMER_TOKEN_MIN_TTL_S} seconds`)
      .max(CUSTOMER_TOKEN_MAX_TTL_S, `must be at most ${CUSTOMER_TOKEN_MAX_TTL_S} seconds (1 hour)`)
      .default(CUSTOMER_TOKEN_DEFAULT_TTL_S)
      .meta({ description: `Seconds the token lives (${CUSTOMER_TOKEN_MIN_TTL_S}–${CUSTOMER_TOKEN_MAX_TTL_S}, default ${CUSTOMER_TOKEN_DEFAULT_TTL_S})` }),
  })
  .superRefine((b, c) => {
    if (b.id === undefined && b.bvn === undefined && b.email === undefined && b.phone === undefined) {
      c.addIssue({ code: "custom", path: ["id"], message: "name the customer: pass at least one of id, bvn, email or phone" });
    }
  });
export const IncomeProcessBody = z.strictObject({
  customer_id: CustomerId,
  bank: BankId.optional().meta({
    description: "Optional: a bank the customer is linked at; the income is recorded against that connection. Income always covers every linked account.",
  }),
});

// ---------------------------------------------------------------------------------------------
// Okra objects
// ---------------------------------------------------------------------------------------------

const WireEnv = z.enum(["production", "production-sandbox"]).meta({ description: "Okra's spelling of the environment" });
const Kobo = z.number().int().meta({ description: "Kobo (₦1 = 100)" });
const Ts = z.string().meta({ description: "ISO-8601 UTC" });
const common = {
  owner: z.string().meta({ description: "Your company id" }),
  env: WireEnv,
  created_at: Ts,
  last_updated: Ts,
};

export const Auth = z
  .object({
    _id: z.string(),
    id: z.string().meta({ description: "Unique Auth id" }),
    available_balance: Kobo.meta({ description: "Funds available in the account when it was linked or last refreshed (kobo)" }),
    ledger_balance: Kobo.meta({ description: "The account's book balance (kobo)" }),
    account: z.string().meta({ description: "The account's id" }),
    connected: z.boolean().meta({ description: "Did the customer choose to share this account with you?" }),
    customer: z.string(),
    record: z.string(),
    bank: z.string(),
    ...common,
  })
  .meta({ id: "Auth", description: "One per linked account: proof the customer authenticated at their bank (seed 004's Auth object)." });

/** How many readings `periodic` shows at most (the latest). */
export const MAX_PERIODIC_READINGS = 500;
const Reading = z.object({ amount: Kobo, as_of: Ts });
export const Periodic = z
  .object({
    available_balance: z.array(Reading),
    ledger_balance: z.array(Reading),
  })
  .meta({
    id: "BalancePeriodic",
    description: `The balance at each reading (link, refresh, check), oldest first: \`{available_balance: [{amount, as_of}], ledger_balance: [{amount, as_of}]}\`, amounts in kobo. At most the latest ${MAX_PERIODIC_READINGS} readings.`,
  });

export const Balance = z
  .object({
    _id: z.string(),
    id: z.string(),
    account: z.string(),
    available_balance: Kobo,
    ledger_balance: Kobo,
    currency: z.string(),
    connected: z.boolean(),
    customer: z.string(),
    record: z.string(),
    bank: z.string(),
    as_of: Ts.meta({ description: "When the bank gave this balance" }),
    periodic: Periodic.optional(),
    ...common,
  })
  .meta({ id: "Balance" });

export const EnhancedBalance = Balance.extend({
  period: z.object({ from: Ts.nullable(), to: Ts.nullable() }).meta({ description: "The window the flows cover (null: all stored history)" }),
  inflow: Kobo.meta({ description: "Sum of credits in the window (kobo)" }),
  outflow: Kobo.meta({ description: "Sum of debits in the window (kobo)" }),
  net_flow: Kobo,
  credits_count: z.number().int(),
  debits_count: z.number().int(),
  opening_balance: Kobo.nullable().meta({ description: "Balance before the window's first line; null without lines" }),
  closing_balance: Kobo.nullable().meta({ description: "Balance after the window's last line; null without lines" }),
}).meta({ id: "EnhancedBalance", description: "A Balance with the money that went in and out over a window, from stored transactions." });

export const Account = z
  .object({
    _id: z.string(),
    id: z.string(),
    name: z.string(),
    nuban: z.string(),
    type: z.string(),
    currency: z.string(),
    bank: z.string(),
    customer: z.string(),
    record: z.string(),
    balance: z.string().nullable().meta({ description: "The account's Balance id (null without the balance product)" }),
    connected: z.boolean(),
    ...common,
  })
  .meta({ id: "Account" });
export const AccountDetails = Account.extend({ bank: Bank }).meta({ id: "AccountDetails", description: "An Account with its bank from the directory" });

export const Transaction = z
  .object({
    _id: z.string(),
    id: z.string(),
    debit: Kobo.nullable().meta({ description: "Money out (kobo); null for a credit" }),
    credit: Kobo.nullable().meta({ description: "Money in (kobo); null for a debit" }),
    trans_date: Ts,
    cleared_date: Ts,
    unformatted_trans_date: z.string(),
    unformatted_cleared_date: z.string(),
    ref: z.string().meta({ description: "The transfer's reference, or the bank's id for the line" }),
    balance: Kobo.meta({ description: "Balance after this line (kobo)" }),
    notes: z.object({ desc: z.string().meta({ description: "The bank's narration" }) }),
    category: z.string(),
    account: z.string(),
    customer: z.string(),
    record: z.string(),
    bank: z.string(),
    currency: z.string(),
    ...common,
  })
  .meta({ id: "Transaction" });
export const Channel = z.enum(["Cash", "Transfer", "web_pos", "other"]);
export const EnhancedTransaction = Transaction.extend({
  type: TransactionType,
  amount: Kobo,
  channel: Channel.nullable().meta({ description: "How money left (debits only): Cash, Transfer, web_pos (card), other" }),
  counterparty: z.string().nullable().meta({ description: "Who paid or was paid, read from the narration, when it names them" }),
}).meta({ id: "EnhancedTransaction" });

export const Identity = z
  .object({
    _id: z.string(),
    id: z.string(),
    type: z.enum(["individual", "corporate"]),
    firstname: z.string().nullable(),
    middlename: z.string().nullable(),
    lastname: z.string().nullable(),
    fullname: z.string(),
    company_name: z.string().nullable().meta({ description: "Corporate customers: the registered name" }),
    dob: z.string().nullable(),
    gender: z.enum(["M", "F"]).nullable(),
    bvn: z.string().nullable(),
    phone: z.array(z.string()),
    email: z.array(z.string()),
    address: z.array(z.string()),
    marital_status: z.string().nullable(),
    nationality: z.string().nullable(),
    rc_number: z.string().nullable(),
    customer: z.object({ _id: z.string(), name: z.string() }),
    record: z.string(),
    bank: z.string(),
    ...common,
  })
  .meta({ id: "Identity" });

export const Income = z
  .looseObject({
    _id: z.string(),
    id: z.string(),
    customer: z.string(),
    record: z.string(),
    ...common,
  })
  .meta({ id: "Income", description: "The income summary derived from the customer's transactions, with Okra's bookkeeping fields." });
export const Revenue = z
  .looseObject({
    customer: z.string(),
    from: Ts.nullable(),
    to: Ts.nullable(),
    transactions: z.number().int().meta({ description: "How many stored lines the estimate read" }),
  })
  .meta({ id: "Revenue", description: "The income estimate over a window, computed now from stored transactions (not stored)." });

const CustomerBank = z.object({ _id: z.string(), name: z.string(), slug: z.string() });
export const Customer = z
  .object({
    _id: z.string(),
    id: z.string(),
    name: z.string(),
    credentials: z.array(
      z.object({ bank: CustomerBank, nuban: z.string(), accountName: z.string(), connected: z.boolean(), account: z.string() }),
    ),
    record: z.array(z.string()).meta({ description: "The customer's records (connections) ids" }),
    email: z.array(z.string()),
    phone: z.array(z.string()),
    bvn: z.string().optional().meta({ description: "Only when you hold the customer's identity" }),
    blocked: z.boolean().meta({ description: "Always false: Okro flags customers per bank instead (see flagged_banks)" }),
    flagged_banks: z.array(z.string()).meta({ description: "Banks you flagged this customer at (customers/flag)" }),
    ...common,
  })
  .meta({ id: "Customer" });

export const RecordObject = z
  .object({
    _id: z.string(),
    id: z.string(),
    status: z.enum(["connected", "token_required", "invalid"]).meta({
      description: "token_required: the bank asks the customer to log in again (re-open the widget); invalid: the credentials no longer work",
    }),
    products: z.array(z.string()),
    bank: CustomerBank,
    customer: z.string(),
    accounts: z.array(z.string()),
    login_method: z.string(),
    last_refreshed_at: Ts.nullable(),
    ...common,
  })
  .meta({ id: "Record", description: "One connection: a customer's login at one bank, made through the widget." });

const Flow = z.object({ count: z.number().int(), sum: Kobo });
const Share = z.object({ count: z.number().int(), percentage: z.number().meta({ description: "Of the total spend (0–100, 2 decimals)" }), sum: Kobo });
export const SpendingPattern = z
  .object({
    account: z.string(),
    currency: z.string(),
    from: Ts.nullable(),
    to: Ts.nullable(),
    total_spend: Kobo,
    total_count: z.number().int(),
    pattern: z.record(z.string(), Share).meta({ description: "Per stored category of the debits" }),
    channel: z.object({ Cash: Share, Transfer: Share, web_pos: Share, other: Share }),
  })
  .meta({ id: "SpendingPattern" });
export const Counterparty = z
  .object({
    name: z.string(),
    inflow: Flow,
    outflow: Flow,
    first_date: Ts,
    last_date: Ts,
  })
  .meta({ id: "Counterparty" });
export const Benefactor = z
  .object({ name: z.string(), count: z.number().int(), sum: Kobo, first_date: Ts, last_date: Ts })
  .meta({ id: "Benefactor" });

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const listOf = <K extends string, T extends z.ZodType>(key: K, item: T) =>
  envelope(z.object({ [key]: z.array(item), pagination: Pagination } as { [P in K]: z.ZodArray<T> } & { pagination: typeof Pagination }));

export const AuthsResponse = listOf("auths", Auth);
export const BalancesResponse = listOf("balance", Balance);
export const EnhancedBalancesResponse = listOf("balance", EnhancedBalance);
export const AccountsResponse = listOf("accounts", Account);
export const TransactionsResponse = listOf("transactions", Transaction);
export const EnhancedTransactionsResponse = listOf("transactions", EnhancedTransaction);
export const IdentitiesResponse = listOf("identity", Identity);
export const IncomesResponse = listOf("income", Income);
export const CustomersResponse = listOf("customers", Customer);

export const BalanceResponse = envelope(z.object({ balance: Balance }));
export const AccountDetailsResponse = envelope(z.object({ account: AccountDetails }));
export const TransactionsRefreshResponse = envelope(
  z.object({
    account: z.string(),
    new_transactions: z.number().int().meta({ description: "Lines the bank had that Okro had not stored" }),
    last_refreshed_at: Ts,
  }),
);
export const SpendingPatternResponse = envelope(SpendingPattern);
export const NetworkResponse = envelope(
  z.object({ account: z.string().nullable(), customer: z.string().nullable(), network: z.array(Counterparty) }),
);
export const BenefactorsResponse = envelope(
  z.object({ account: z.string().nullable(), customer: z.string().nullable(), benefactors: z.array(Benefactor) }),
);
export const IdentityVerifyResponse = envelope(z.object({ identity: Identity, customer: z.string() }));
export const NubanVerifyResponse = envelope(z.object({ account: AccountDetails, customer: z.string() }));
export const CustomerResponse = envelope(z.object({ customer: Customer }));
export const CustomerTokenResponse = envelope(
  z.object({
    token: z.string().meta({ description: "Pass it to the widget as `customer: {token}`; opaque, sealed (its contents cannot be read or changed)" }),
    expires_at: z.string().meta({ description: "ISO-8601: the widget stops recognising the customer from this token then" }),
    app_id: z.string().nullable(),
    env: z.string(),
  }),
);
export const MergeResponse = envelope(z.object({ customer: Customer, merged: z.object({ initial: z.string(), final: z.string() }) }));
export const IncomeResponse = envelope(z.object({ income: Income }));
export const RevenueResponse = envelope(z.object({ income: Revenue }));
export const RecordResponse = envelope(z.object({ records: RecordObject }));

export type AuthView = z.infer<typeof Auth>;
export type BalanceView = z.infer<typeof Balance>;
export type AccountView = z.infer<typeof Account>;
export type TransactionView = z.infer<typeof Transaction>;
export type IdentityView = z.infer<typeof Identity>;
export type CustomerView = z.infer<typeof Customer>;
export type RecordView = z.infer<typeof RecordObject>;
