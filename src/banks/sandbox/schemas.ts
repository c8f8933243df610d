import { z } from "zod";
import { OkroError } from "../../core/errors.js";
import { envelope } from "../../core/envelope.js";
import { PageParams, Pagination } from "../../core/paging.js";
import { CONNECTOR_OPERATIONS, type BankIdentity } from "../connector.js";
import { ID_PATTERN } from "../../lib/ids.js";
import { BankId } from "../schemas.js";
import { balanceProblem, INCOME_KINDS, incomeProblems, MAX_SANDBOX_KOBO, type TraitProblem } from "./traits.js";
import type {
  BankFaults,
  CustomerInput,
  SandboxBankProfile,
  SandboxClockView,
  SandboxCustomerView,
} from "./types.js";

/**
 * The HTTP contract of the sandbox bank network's controls: Okra's sandbox customer API
 * (`/v2/sandbox/customers/create|list|get|generate`, what okra-node 0.2.0's `Sandbox` client
 * calls) and Okro's own admin API (banks, faults, clock). Sandbox keys only. Request fields are
 * Okra's where Okra has them (`noOfAccount`, `internetSpeed`: camelCase) and fault settings are
 * exactly {@link import("./types.js").FaultSettings} (camelCase); everything else on the wire is
 * snake_case like the rest of the API.
 */

const DAY_MS = 86_400_000;
/** Largest `createCustomers` batch in one call. */
export const MAX_CUSTOMERS_PER_CALL = 50;
/** Largest `generate` batch (Okra's limit). */
export const MAX_GENERATED_PER_CALL = 10;
/** Fault latency cap: a day (ms). */
export const MAX_FAULT_LATENCY_MS = DAY_MS;
/** Cap of the fault delays (`pendingMs`, `mandateActivationDelayMs`): a year (ms). */
export const MAX_FAULT_DELAY_MS = 365 * DAY_MS;
/** Largest single clock advance: a leap year (ms). */
export const MAX_CLOCK_ADVANCE_MS = 366 * DAY_MS;
const MAX_DOWNTIME_WINDOWS = 50;

/** A whole number in [min, max], with messages that say so. */
const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
/** Issues for the problems a pure rule of traits.ts found (the generator checks the same rules). */
const addProblems = (check: z.RefinementCtx, problems: readonly TraitProblem[]) => {
  for (const { field, problem } of problems) check.addIssue({ code: "custom", message: problem, path: field ? [field] : [] });
};
/** An opening balance: integer kobo, 0 to MAX_SANDBOX_KOBO, by traits.ts's rule. */
const Balance = z.number({ error: "must be a number (kobo)" }).superRefine((balance, check) => {
  const problem = balanceProblem(balance);
  if (problem) addProblems(check, [{ field: "", problem }]);
});
const Rate = z
  .number({ error: "must be a number" })
  .min(0, "must be between 0 and 1")
  .max(1, "must be between 0 and 1");
const Instant = z.iso.datetime({ offset: true, error: "must be an ISO-8601 instant, e.g. 2026-05-01T09:00:00Z" });

const SandboxBankId = BankId.meta({ description: "A sandbox bank: its directory id (see `POST /v2/sandbox/banks`)" });

// ---------------------------------------------------------------------------------------------
// Customers: requests
// ---------------------------------------------------------------------------------------------

const CustomerType = z.enum(["ind", "corp"], { error: 'must be "ind" (individual) or "corp" (corporate)' });
const Volume = z.enum(["low", "medium", "high"], { error: 'must be "low", "medium" or "high"' });
const Income = z
  .strictObject({
    kind: z.enum(INCOME_KINDS, { error: 'must be "salary", "business", "irregular" or "none"' }),
    amount: z
      .number({ error: "must be a number (kobo)" })
      .optional()
      .meta({ description: `Typical monthly income (kobo), 1 to ${MAX_SANDBOX_KOBO}; not with kind "none"` }),
    payday: z
      .number({ error: "must be a whole number from 1 to 31" })
      .optional()
      .meta({ description: "Day of the month salary arrives, 1–31 (kind salary only; moved off weekends)" }),
  })
  // The same rule the generator enforces (traits.ts), so the API answers 400 where it would throw.
  .superRefine((income, check) => addProblems(check, incomeProblems(income)))
  .meta({ description: "How money comes in (Okro extension). Generated when absent." });

/**
 * One customer to create: Okra's `sandbox/customers/create` item, plus Okro's `balance` and
 * `income`. Only `bank`, `username` and `password` are required.
 */
export const SandboxCustomerInput = z
  .strictObject({
    bank: SandboxBankId,
    username: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(64, "must be at most 64 characters")
      .regex(/^[A-Za-z0-9._@-]+$/, "may contain only letters, digits and . _ @ -")
      .meta({
        description: "Internet-banking username: unique at the bank in your sandbox, case-insensitive; the magic usernames (okro_…) are reserved",
      }),
    password: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(128, "must be at most 128 characters")
      .meta({ description: "The password the customer logs in with. Never shown back." }),
    name: z
      .string({ error: "must be a string" })
      .trim()
      .max(100, "must be at most 100 characters")
      .refine((name) => name.length === 0 || name.length >= 2, "must be at least 2 characters (or empty: generated)")
      .optional()
      // okra-node sends every key; an empty name means "make one up".
      .transform((name) => (name ? name : undefined))
      .meta({ description: "Full name (individual) or company name (corporate), 2–100 characters; generated when absent or empty" }),
    noOfAccount: wholeNumber(1, 5).default(1).meta({ description: "Number of accounts, 1–5 (default 1)" }),
    type: CustomerType.default("ind").meta({ description: "`ind` individual (default) or `corp` corporate" }),
    volume: Volume.default("medium").meta({ description: "How busy the accounts' histories are (default `medium`)" }),
    identity: wholeNumber(1, 100)
      .default(100)
      .meta({ description: "Identity completeness 1–100: the share of identity fields the bank holds (default 100)" }),
    internetSpeed: wholeNumber(2, 4).default(4).meta({ description: "Simulated connection quality, 2 (slow) – 4 (fast, default)" }),
    balance: Balance.optional().meta({
      description: `Opening balance of the first account (kobo, 0 to ${MAX_SANDBOX_KOBO}; Okro extension). Generated when absent.`,
    }),
    income: Income.optional(),
    bvn: z
      .string({ error: "must be a string of 11 digits" })
      .regex(/^\d{11}$/, "must be 11 digits")
      .optional()
      .meta({
        description:
          "The individual's BVN (Okro extension); generated when absent. The same BVN at several banks is one person with accounts at each: linking them gives one Okro customer, and a garnishment can sweep them all.",
      }),
  })
  .meta({ id: "SandboxNewCustomer" });
export type SandboxCustomerInput = z.output<typeof SandboxCustomerInput>;

const CustomerList = z
  .array(SandboxCustomerInput)
  .min(1, "send at least one customer")
  .max(MAX_CUSTOMERS_PER_CALL, `at most ${MAX_CUSTOMERS_PER_CALL} customers per call`);
export const WrappedCustomers = z.strictObject({ customers: CustomerList });

/**
 * `POST /sandbox/customers/create`: Okra's body is an array of customers; `{customers: [...]}`
 * (what `generate` answers) and a single customer (what okra-node's `createCustomer` posts) are
 * accepted too. Validated by `createCustomersValidator` (./routes.ts); this union is the documentation.
 */
export const CreateCustomersBody = z
  .union([CustomerList, WrappedCustomers, SandboxCustomerInput])
  .meta({
    description:
      `An array of customers (Okra's form), \`{"customers": [...]}\`, or one customer. At most ${MAX_CUSTOMERS_PER_CALL}; ` +
      "all are created or none. Errors name the item, e.g. `customers[1].username: is required` (a single customer: `username: …`).",
  });
export type CreateCustomersBody = z.output<typeof CreateCustomersBody>;

/** The customers of a validated create body, and whether it was a single object (errors then name bare fields). */
export function customersOf(body: CreateCustomersBody): { customers: SandboxCustomerInput[]; single: boolean } {
  if (Array.isArray(body)) return { customers: body, single: false };
  if ("customers" in body) return { customers: body.customers, single: false };
  return { customers: [body], single: true };
}

/** `customers.1.username` → `customers[1].username`, the way the sandbox admin names fields. */
const bracketed = (field: string) => field.replace(/\.(\d+)(?=\.|$)/g, "[$1]");

export function withBracketedFields(error: OkroError): OkroError {
  const fields = (error.data?.fields as Array<{ field: string; message: string }> | undefined)?.map((f) => ({
    field: bracketed(f.field),
    message: f.message,
  }));
  const field = error.field === undefined ? undefined : bracketed(error.field);
  const message = fields
    ? fields.map((f) => `${f.field}: ${f.message}`).join("; ")
    : error.field && field && error.message.startsWith(`${error.field}:`)
      ? `${field}${error.message.slice(error.field.length)}`
      : error.message;
  return new OkroError(error.code, message, { ...(field ? { field } : {}), ...(fields ? { data: { ...error.data, fields } } : {}) });
}

export const ListCustomersBody = z.object({ page: PageParams.page, limit: PageParams.limit });
export const GetCustomerBody = z.object({
  customer: z
    .string({ error: "must be a string" })
    .regex(ID_PATTERN, "must be a 24-character hex id")
    .meta({ description: "The sandbox customer's id (`id` in `customers/list`)" }),
});
export const GenerateCustomersBody = z.strictObject({
  number: wholeNumber(1, MAX_GENERATED_PER_CALL)
    .default(1)
    .meta({ description: `How many customers to generate, 1–${MAX_GENERATED_PER_CALL} (default 1)` }),
  create: z
    .boolean({ error: "must be true or false" })
    .default(false)
    .meta({
      description:
        "false (default): answer the generated inputs for review — post `data` back to `customers/create` to create them; true: create them now",
    }),
});

// ---------------------------------------------------------------------------------------------
// Customers: responses
// ---------------------------------------------------------------------------------------------

const LoginMethod = z.enum(["internet_banking", "mobile_banking", "account_number"]);
const MfaKind = z.enum(["sms_otp", "hardware_token", "security_question", "none"]);

/** The identity the bank holds, in Okra's Identity spelling; absent fields are missing at this completeness. */
export const SandboxIdentity = z
  .object({
    kind: z.enum(["individual", "corporate"]),
    fullname: z.string(),
    firstname: z.string().optional(),
    middlename: z.string().optional(),
    lastname: z.string().optional(),
    bvn: z.string().optional().meta({ description: "11 digits (individuals)" }),
    dob: z.string().optional().meta({ description: "Date of birth, ISO date" }),
    gender: z.enum(["M", "F"]).optional(),
    phone: z.array(z.string()),
    email: z.array(z.string()),
    address: z.array(z.object({ street: z.string(), city: z.string(), state: z.string(), country: z.string() })),
    marital_status: z.string().optional(),
    nationality: z.string().optional(),
    rc_number: z.string().optional().meta({ description: "CAC registration number (corporates)" }),
  })
  .meta({ id: "SandboxIdentity" });

export const SandboxAccount = z
  .object({
    nuban: z.string().meta({ description: "10-digit NUBAN (passes the CBN check digit)" }),
    name: z.string(),
    type: z.enum(["savings", "current", "domiciliary", "corporate"]),
    currency: z.string(),
    balance: z.number().int().meta({ description: "Available balance now, at sandbox time (kobo)" }),
    opened_at: z.string(),
  })
  .meta({ id: "SandboxAccount" });

const IncomeView = z.object({
  kind: z.enum(["salary", "business", "irregular", "none"]),
  amount: z.number().int().optional(),
  payday: z.number().int().optional(),
});

/**
 * A sandbox customer: Okra's sandbox customer fields (`noOfAccount`, `type`, `volume`,
 * `identity`, `internetSpeed` as created) with the bank's view of them (identity, accounts).
 */
export const SandboxCustomer = z
  .object({
    _id: z.string(),
    id: z.string().meta({ description: "Same as _id" }),
    builtin: z.boolean().meta({ description: "Comes with the network (magic credentials and generated residents); false: you created it" }),
    name: z.string(),
    bank: z.string().meta({ description: "Bank id" }),
    bank_name: z.string(),
    username: z.string().meta({ description: "Internet-banking username (log in with it in the sandbox widget)" }),
    password: z
      .string()
      .optional()
      .meta({
        description:
          "Built-in customers only (public fixtures), and customers made by `generate` with `create: true`, in that response only. Never shown for customers you created with a password you chose.",
      }),
    phone: z.string().meta({ description: "Mobile-banking login" }),
    pin: z.string().optional().meta({ description: "PIN for mobile-banking and account-number logins" }),
    type: CustomerType,
    volume: Volume,
    identity: z.number().int().meta({ description: "Identity completeness, 1–100" }),
    internetSpeed: z.number().int(),
    noOfAccount: z.number().int(),
    income: IncomeView.nullable().meta({ description: "The income pattern asked for; null: generated" }),
    login_methods: z.array(LoginMethod).meta({ description: "How this customer can log in at this bank" }),
    mfa: MfaKind.meta({ description: "The second factor this customer meets at login" }),
    bvn: z.string().nullable().meta({ description: "11-digit BVN; null for corporates and when identity completeness left it out" }),
    identity_details: SandboxIdentity,
    accounts: z.array(SandboxAccount),
    env: z.literal("sandbox"),
    created_at: z.string(),
  })
  .meta({ id: "SandboxCustomer" });
export type SandboxCustomer = z.output<typeof SandboxCustomer>;

/** A generated, not yet created customer: exactly a {@link SandboxCustomerInput}, so it can be posted back. */
export const GeneratedCustomerInput = z
  .object({
    bank: z.string(),
    username: z.string(),
    password: z.string(),
    name: z.string().optional(),
    noOfAccount: z.number().int(),
    type: CustomerType,
    volume: Volume,
    identity: z.number().int(),
    internetSpeed: z.number().int(),
    balance: z.number().int().optional(),
    income: IncomeView.optional(),
  })
  .meta({ id: "SandboxGeneratedCustomer" });

export const CustomersResponse = envelope(z.object({ customers: z.array(SandboxCustomer) }));
export const ListCustomersResponse = envelope(z.object({ customers: z.array(SandboxCustomer), pagination: Pagination }));
export const CustomerResponse = envelope(z.object({ customer: SandboxCustomer }));
export const GenerateCustomersResponse = envelope(
  z.object({
    customers: z
      .union([z.array(SandboxCustomer), z.array(GeneratedCustomerInput)])
      .meta({
        description:
          "`create: true`: the created customers (with their passwords, this once); `create: false`: the inputs — post `data` back to `customers/create`",
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Banks
// ---------------------------------------------------------------------------------------------

export const SandboxBank = z
  .object({
    bank_id: z.string(),
    slug: z.string(),
    name: z.string(),
    cbn_code: z.string(),
    nip_code: z.string(),
    login_methods: z.array(LoginMethod),
    mfa: MfaKind.meta({ description: "The second factor individuals meet at login" }),
    corporate_mfa: MfaKind.meta({ description: "The second factor corporate customers meet" }),
    corporate: z.boolean().meta({ description: "Has corporate customers in the sandbox" }),
    base_latency_ms: z.number().int().meta({ description: "Latency every call pays (ms)" }),
    jitter_ms: z.number().int().meta({ description: "Extra latency drawn uniformly in [0, jitter_ms] per call" }),
    maintenance: z
      .object({
        weekday: z.number().int().optional().meta({ description: "0 = Sunday … 6 = Saturday; every day when absent" }),
        from: z.string().meta({ description: "HH:MM Lagos time, inclusive" }),
        to: z.string().meta({ description: "HH:MM Lagos time, exclusive (before `from`: crosses midnight)" }),
      })
      .nullable()
      .meta({ description: "A recurring window (sandbox clock, Lagos time) when the bank is down; null: none" }),
    daily_limit: z
      .object({ individual: z.number().int(), corporate: z.number().int() })
      .meta({ description: "Per-account daily debit limit (kobo)" }),
    habits: z.string(),
  })
  .meta({ id: "SandboxBank" });
export const BanksBody = z.object({});
export const BanksResponse = envelope(z.object({ banks: z.array(SandboxBank) }));

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

const DowntimeWindow = z
  .strictObject({ from: Instant, to: Instant })
  .superRefine((window, check) => {
    if (Date.parse(window.to) <= Date.parse(window.from)) check.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
  });

/** {@link import("./types.js").FaultSettings}, field for field, with ranges. */
export const FaultSettingsInput = z
  .strictObject({
    latencyMs: wholeNumber(0, MAX_FAULT_LATENCY_MS).optional().meta({ description: "Added to every call (ms, ≤ 24 h)" }),
    errorRate: Rate.optional().meta({ description: "0–1: the call fails `retryable`; nothing happens" }),
    timeoutRate: Rate.optional().meta({ description: "0–1: no answer; nothing happens; the caller times out" }),
    lostResponseRate: Rate.optional().meta({ description: "0–1: money moves, then the answer is lost (the caller sees a timeout)" }),
    pendingRate: Rate.optional().meta({ description: "0–1: transfers are accepted `pending` and settle after `pendingMs`" }),
    failRate: Rate.optional().meta({ description: "0–1: transfers are accepted `pending` and fail after `pendingMs`; the money goes back (a NIP reversal)" }),
    pendingMs: wholeNumber(0, MAX_FAULT_DELAY_MS).optional().meta({ description: "How long a pending transfer stays pending (sandbox ms; default 60 000)" }),
    rateLimitPerMinute: wholeNumber(1, 1_000_000).optional().meta({ description: "Calls per minute before `rate_limited`" }),
    down: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Down now (until cleared)" }),
    downtime: z
      .array(DowntimeWindow)
      .max(MAX_DOWNTIME_WINDOWS, `at most ${MAX_DOWNTIME_WINDOWS} windows`)
      .optional()
      .meta({ description: "Down during these sandbox-time windows (ISO instants, `to` exclusive)" }),
    mandateActivationDelayMs: wholeNumber(0, MAX_FAULT_DELAY_MS)
      .optional()
      .meta({ description: "How long new mandates stay pending (sandbox ms; default 5 minutes)" }),
    operations: z
      .array(z.enum(CONNECTOR_OPERATIONS))
      .min(1, "name at least one operation, or leave the field out for all")
      .max(CONNECTOR_OPERATIONS.length * 2, "too many entries")
      .optional()
      .meta({ description: "Limit the faults to these connector operations (all when absent). Latency always applies." }),
  })
  .meta({ id: "SandboxFaultSettingsChange" });

const FaultSettingsView = z
  .object({
    latencyMs: z.number().optional(),
    errorRate: z.number().optional(),
    timeoutRate: z.number().optional(),
    lostResponseRate: z.number().optional(),
    pendingRate: z.number().optional(),
    failRate: z.number().optional(),
    pendingMs: z.number().optional(),
    rateLimitPerMinute: z.number().optional(),
    down: z.boolean().optional(),
    downtime: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
    mandateActivationDelayMs: z.number().optional(),
    operations: z.array(z.enum(CONNECTOR_OPERATIONS)).optional(),
  })
  .meta({ id: "SandboxFaultSettings" });

export const BankFaultsView = z
  .object({
    bank: z.string(),
    bank_name: z.string(),
    settings: FaultSettingsView,
    updated_at: z.string(),
  })
  .meta({ id: "SandboxBankFaults" });

export const SetFaultsBody = z.strictObject({
  bank: SandboxBankId,
  /** Replaces the bank's settings; `{}` is no fault. */
  settings: FaultSettingsInput,
});
export const GetFaultsBody = z.object({ bank: SandboxBankId.optional().meta({ description: "Only this bank; all banks with faults when absent" }) });
export const ClearFaultsBody = z.strictObject({ bank: SandboxBankId.optional().meta({ description: "Only this bank; every bank when absent" }) });
export const FaultsResponse = envelope(
  z.object({ faults: z.array(BankFaultsView).meta({ description: "Banks with fault settings in your sandbox (after the change)" }) }),
);
export const SetFaultsResponse = envelope(z.object({ faults: BankFaultsView }));

// ---------------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------------

export const ClockView = z
  .object({
    now: z.string().meta({ description: "Your sandbox's time (ISO)" }),
    offset_ms: z.number().int().meta({ description: "How far ahead of real time it runs (ms, ≥ 0)" }),
  })
  .meta({ id: "SandboxClock" });
export const ClockBody = z.object({});
export const AdvanceClockBody = z
  .strictObject({
    ms: wholeNumber(1, MAX_CLOCK_ADVANCE_MS).optional().meta({ description: "Move forward by this many ms (1 ms – 366 days)" }),
    to: Instant.optional().meta({ description: "Or move forward to this instant (in the sandbox's future, ≤ 366 days ahead)" }),
  })
  .superRefine((body, check) => {
    if ((body.ms === undefined) === (body.to === undefined)) {
      check.addIssue({ code: "custom", path: [body.ms === undefined ? "ms" : "to"], message: "send either ms or to (exactly one)" });
    }
  });
export const ClockResponse = envelope(z.object({ clock: ClockView }));

// ---------------------------------------------------------------------------------------------
// Wire mapping (domain → response objects)
// ---------------------------------------------------------------------------------------------

function identityView(identity: BankIdentity): z.output<typeof SandboxIdentity> {
  return {
    kind: identity.kind,
    fullname: identity.fullName,
    firstname: identity.firstName,
    middlename: identity.middleName,
    lastname: identity.lastName,
    bvn: identity.bvn,
    dob: identity.dateOfBirth,
    gender: identity.gender === undefined ? undefined : identity.gender === "male" ? "M" : "F",
    phone: identity.phones,
    email: identity.emails,
    address: identity.address ? [identity.address] : [],
    marital_status: identity.maritalStatus,
    nationality: identity.nationality,
    rc_number: identity.rcNumber,
  };
}

export function customerView(c: SandboxCustomerView): SandboxCustomer {
  return {
    _id: c.id,
    id: c.id,
    builtin: c.builtin,
    name: c.name,
    bank: c.bankId,
    bank_name: c.bankName,
    username: c.username,
    password: c.password,
    phone: c.phone,
    pin: c.pin,
    type: c.traits.type,
    volume: c.traits.volume,
    identity: c.traits.identity,
    internetSpeed: c.traits.internetSpeed,
    noOfAccount: c.traits.noOfAccount,
    income: c.traits.income ?? null,
    login_methods: c.loginMethods,
    mfa: c.mfa,
    bvn: c.identity.bvn ?? null,
    identity_details: identityView(c.identity),
    accounts: c.accounts.map((a) => ({
      nuban: a.nuban,
      name: a.name,
      type: a.type,
      currency: a.currency,
      balance: a.balance,
      opened_at: a.openedAt,
    })),
    env: "sandbox",
    created_at: c.createdAt,
  };
}

export function customerInput(c: SandboxCustomerInput): CustomerInput {
  return {
    bankId: c.bank,
    username: c.username,
    password: c.password,
    name: c.name,
    noOfAccount: c.noOfAccount,
    type: c.type,
    volume: c.volume,
    identity: c.identity,
    internetSpeed: c.internetSpeed,
    balance: c.balance,
    income: c.income,
    ...(c.bvn !== undefined ? { bvn: c.bvn } : {}),
  };
}

export function generatedInputView(c: CustomerInput): z.output<typeof GeneratedCustomerInput> {
  return {
    bank: c.bankId,
    username: c.username,
    password: c.password,
    name: c.name,
    noOfAccount: c.noOfAccount,
    type: c.type,
    volume: c.volume,
    identity: c.identity,
    internetSpeed: c.internetSpeed,
    balance: c.balance,
    income: c.income,
  };
}

export function bankView(b: SandboxBankProfile): z.output<typeof SandboxBank> {
  return {
    bank_id: b.bankId,
    slug: b.slug,
    name: b.name,
    cbn_code: b.cbnCode,
    nip_code: b.nipCode,
    login_methods: b.loginMethods,
    mfa: b.mfa,
    corporate_mfa: b.corporateMfa,
    corporate: b.corporate,
    base_latency_ms: b.baseLatencyMs,
    jitter_ms: b.jitterMs,
    maintenance: b.maintenance ?? null,
    daily_limit: b.dailyLimit,
    habits: b.habits,
  };
}

export function faultsView(f: BankFaults, bankName: string): z.output<typeof BankFaultsView> {
  return { bank: f.bankId, bank_name: bankName, settings: f.settings, updated_at: f.updatedAt };
}

export const clockView = (c: SandboxClockView): z.output<typeof ClockView> => ({ now: c.now, offset_ms: c.offsetMs });
