import { z } from "zod";
import { Secret, type LoginMethod, type PaymentAuthorization } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import { accountHolder, accountNuban } from "../data/customers.js";
import { linkConnection } from "../data/link.js";
import { dropUnauthorisedMandate, mandateOf, mandatesOfCustomers, termLines, type MandateTermsRow } from "../mandates/payer.js";
import { DateInput, ScheduleInput } from "../mandates/schemas.js";
import { scheduleProblems, INTERVALS, type Interval } from "../mandates/schedule.js";
import { authoriseMandate, businessToday, clockOffsetMs, createMandate, payRecurringLink, type NewMandate } from "../mandates/service.js";
import { describeMandate, mandateView } from "../mandates/views.js";
import type { MandateRow } from "../mandates/store.js";
import { defaultCompanyAccount, requireCompanyAccount } from "../payments/company-accounts.js";
import { linkSchedule, scheduleOnPayment, widgetOrigin, type LinkRow } from "../payments/links.js";
import { wireStatus } from "../payments/domain.js";
import { getPayment } from "../payments/service.js";
import { firstApp } from "../platform/apps.js";
import { normalizeProducts } from "../platform/domain.js";
import type { CreateSessionBody } from "./api-schemas.js";
import { bankOf, maskNuban } from "./banks.js";
import { successLinkage } from "./connect.js";
import { bankFailure, conflict, failure, movedOn, sessionExpired } from "./errors.js";
import type { ModeOpening, WidgetMode } from "./mode.js";
import type { MandateResponse, MandateSuccess, SessionMandate, WidgetMandate } from "./protocol.js";
import {
  claimForConnect,
  CONNECT_STALE_MS,
  countTry,
  currentRow,
  MAX_AUTHORISATIONS_PER_SESSION,
  moveStep,
  openBankSession,
  openCredentials,
  type StoredAccounts,
  type WidgetSession,
} from "./session.js";
import type { Step } from "./steps.js";

/**
 * The widget's mandate mode (decision 0022): okra-js `debitLater: true` (`debitAmount, debitType
 * one-time|recurring|ongoing, debitStartDate, debitEndDate, debitInterval`) or `payment: true` with
 * `charge{type: "recurring", amount, schedule{interval, startDate, endDate, count, dayOfMonth}}`.
 *
 * Flow: bank → login → MFA → the account to debit → the consent screen (what the customer
 * authorises, in lines the server writes from the terms it will enforce) → `POST /api/mandates`
 * links the account and creates the mandate `awaiting_customer` (session: accounts → connecting →
 * paying, the holding step) → the bank's OTP/PIN → `POST /api/mandates/authorise` calls the
 * mandates service's `authoriseMandate` (the bank's debit authority; `awaiting_bank`, then
 * `active` by the `mandates.activate` job, or at once) → done, onSuccess with the authorization.
 * A returning customer picks a linked account first and only logs in (the link is refreshed).
 *
 * What each `debitType` becomes (what the consent screen then states):
 * - `one-time`: a variable mandate capped at `debitAmount` in total and per debit, from the start to
 *   the end date (or until withdrawn), charged when the company asks (pay/authorization/initiate);
 * - `recurring`: a fixed mandate of `debitAmount` every `debitInterval` (required) from the start to
 *   `debitEndDate` (required), charged by the schedule;
 * - `ongoing`: the same without an end date (until the customer withdraws it); `debitInterval`
 *   defaults to monthly.
 * - `sweep` (decision 0025): a garnishment's sweep mandate capped at `debitAmount` in all, no
 *   schedule (a recovery sweeps it on its own schedule), from the start to the end date or until
 *   repaid/cancelled/withdrawn; the consent states the lender, every covered account and the
 *   reach over the BVN's banks; "Add another bank" opens the same options for the next bank.
 */

/** Mandates one session may create (each links the account at the bank first), then 429. */
export const MAX_MANDATES_PER_SESSION = 10;

/** The terms as stored in the session (kobo as decimal strings: JSON has no bigint). */
type StoredTerms = { [K in keyof MandateTermsRow]: MandateTermsRow[K] extends bigint | null ? string | null : MandateTermsRow[K] };

/** What a mandate session remembers, in `widget_sessions.options.mandate`. */
export interface MandateSettings {
  kind: SessionMandate["kind"];
  /**
   * Where the terms come from: okra-js options (`debit_later`, `recurring_charge`), a recurring
   * payment link (`recurring_link`: its mandate is made by the authorisation, payRecurringLink) or
   * a mandate the API created that awaits the customer (`api_mandate`: the `/mandate/<id>` page).
   */
  source: "debit_later" | "recurring_charge" | "recurring_link" | "api_mandate";
  /** `recurring_link`: the link paid. */
  link_id?: string;
  /** `api_mandate`: the mandate authorised. */
  mandate_id?: string;
  terms: StoredTerms;
  account_to_credit: string | null;
  /** Where the payer withdraws it (the payer's page of this company's widget). */
  withdraw_url: string;
}

/** What the session keeps in `result` once the mandate exists (for the authorisation and onSuccess). */
interface MandateLinkage {
  kind: "mandate";
  /** "" for a recurring link until the authorisation made its mandate. */
  mandate_id: string;
  /** A recurring link's first charge (made by the authorisation when the first cycle is due today). */
  first_payment_id?: string | null;
  record_id: string;
  customer_id: string;
  customer_name: string;
  account_id: string;
  bank_id: string;
  nuban: string;
  success?: MandateSuccess;
}

const scopeOf = (session: WidgetSession) => ({ companyId: session.row.company_id, env: session.row.env });
const mandateSettingsOf = (session: WidgetSession): MandateSettings | null => (session.settings.mandate ?? null) as MandateSettings | null;
const big = (v: string | null) => (v === null ? null : BigInt(v));

export function termsOfSettings(t: StoredTerms): MandateTermsRow {
  return { ...t, amount: big(t.amount), initial_amount: big(t.initial_amount), max_per_charge: big(t.max_per_charge), max_total: big(t.max_total), max_per_period: big(t.max_per_period) };
}

// ---------------------------------------------------------------------------------------------
// Opening: the okra-js options → the terms
// ---------------------------------------------------------------------------------------------

const bad = (field: string, message: string) => failure("INVALID_FIELD", `${field}: ${message}`, {}, field);

const KoboOption = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, "must be an integer number of kobo, e.g. 500000 for ₦5,000.00")])
  .transform(Number)
  .pipe(z.number().int("must be an integer number of kobo, not a fraction").min(100, "must be at least 100 kobo (₦1.00)").max(Number.MAX_SAFE_INTEGER, "is too large"));

const DebitOptions = z.object({
  debitAmount: KoboOption,
  debitType: z.enum(["one-time", "recurring", "ongoing", "sweep"], "must be one-time, recurring, ongoing or sweep").default("one-time"),
  debitStartDate: DateInput.nullish(),
  debitEndDate: DateInput.nullish(),
  debitInterval: z.enum(INTERVALS, `must be one of ${INTERVALS.join(", ")}`).nullish(),
});

/** The first problem of a zod parse as a 400 naming the field (`debitAmount`, `charge.schedule.interval`). */
function parsed<T>(result: z.ZodSafeParseResult<T>, prefix = ""): T {
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = `${prefix}${issue.path.map(String).join(".")}`;
  const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
  throw bad(field, message);
}

const blank = (v: unknown) => v === undefined || v === null || v === "";

/** A stored mandate's terms as the session keeps them. */
function storedTermsOf(m: MandateTermsRow): StoredTerms {
  const str = (v: bigint | null) => (v === null ? null : v.toString());
  return { ...m, amount: str(m.amount), initial_amount: str(m.initial_amount), max_per_charge: str(m.max_per_charge), max_total: str(m.max_total), max_per_period: str(m.max_per_period) };
}

/** The consent screen's kind of a set of terms (what it is called there). */
function kindOfTerms(t: StoredTerms): SessionMandate["kind"] {
  if (t.debit_type === "sweep") return "sweep";
  if (t.interval === null) return "one-time";
  return t.end_date === null && t.count === null ? "ongoing" : "recurring";
}

/** The payer's page of the company of a link or a stored mandate (its first app's short link: no key in hand). */
async function companyPayerPageUrl(ctx: AppContext, scope: ModeOpening["scope"]): Promise<string> {
  const app = await firstApp(ctx.db, scope);
  return `${widgetOrigin(ctx.config)}/mandates${app ? `?short_url=${encodeURIComponent(app.short_url)}` : ""}`;
}

/**
 * A recurring payment link's terms (decision 0022, "Recurring payment links in the widget"): the
 * link's amount on its schedule from the day the customer pays (`scheduleOnPayment`, as
 * payRecurringLink will make it), crediting the link's account, for the link's note or name.
 */
async function linkSettings(ctx: AppContext, scope: ModeOpening["scope"], link: LinkRow, today: string): Promise<MandateSettings> {
  const s = scheduleOnPayment(linkSchedule(link)!, today);
  const terms: StoredTerms = {
    debit_type: "fixed",
    currency: link.currency,
    amount: link.amount!.toString(),
    initial_amount: null,
    max_per_charge: null,
    max_total: null,
    max_per_period: null,
    period: null,
    start_date: s.startDate,
    end_date: s.endDate,
    interval: s.interval,
    day_of_month: s.dayOfMonth,
    count: s.count,
    purpose: link.note ?? link.name,
  };
  return { kind: kindOfTerms(terms), source: "recurring_link", link_id: link.id, terms, account_to_credit: link.account_to_credit, withdraw_url: await companyPayerPageUrl(ctx, scope) };
}

/** A mandate the API created, awaiting the customer: its own stored terms (never the URL's). */
async function storedMandateSettings(ctx: AppContext, scope: ModeOpening["scope"], m: MandateRow): Promise<MandateSettings> {
  const terms = storedTermsOf(m);
  return { kind: kindOfTerms(terms), source: "api_mandate", mandate_id: m.id, terms, account_to_credit: m.account_to_credit, withdraw_url: await companyPayerPageUrl(ctx, scope) };
}

async function settingsOf(ctx: AppContext, known: ModeOpening): Promise<MandateSettings> {
  const { body, scope } = known;
  const offsetMs = await clockOffsetMs(ctx, scope);
  const today = businessToday(ctx, offsetMs);
  if (known.mandate) return storedMandateSettings(ctx, scope, known.mandate);
  if (known.link?.type === "recurring") return linkSettings(ctx, scope, known.link, today);
  const charge = (body.charge ?? {}) as NonNullable<CreateSessionBody["charge"]> & { schedule?: unknown };
  const currency = (charge.currency ?? "NGN").trim().toUpperCase();
  if (currency !== "NGN") throw bad("charge.currency", "must be NGN (the only currency Okro collects)");
  const purpose = charge.note?.trim() || null;
  const base: StoredTerms = {
    debit_type: "fixed",
    currency,
    amount: null,
    initial_amount: null,
    max_per_charge: null,
    max_total: null,
    max_per_period: null,
    period: null,
    start_date: today,
    end_date: null,
    interval: null,
    day_of_month: null,
    count: null,
    purpose,
  };
  let terms: StoredTerms;
  let kind: SessionMandate["kind"];
  let source: MandateSettings["source"];
  const f = { start: "debitStartDate", end: "debitEndDate", interval: "debitInterval" };
  if (body.debitLater === true || body.debitLater === "true") {
    source = "debit_later";
    const raw = body as Record<string, unknown>;
    const o = parsed(
      DebitOptions.safeParse({
        debitAmount: raw.debitAmount,
        debitType: blank(raw.debitType) ? undefined : raw.debitType,
        debitStartDate: blank(raw.debitStartDate) ? null : raw.debitStartDate,
        debitEndDate: blank(raw.debitEndDate) ? null : raw.debitEndDate,
        debitInterval: blank(raw.debitInterval) ? null : raw.debitInterval,
      }),
    );
    kind = o.debitType;
    const amount = String(o.debitAmount);
    const start = o.debitStartDate ?? today;
    const end = o.debitEndDate ?? null;
    if (kind === "sweep") {
      // A garnishment's consent (decision 0025): a sweep mandate capped at debitAmount in all, no
      // schedule of its own (its recovery sweeps on the recovery's schedule), until withdrawn or debitEndDate.
      if (o.debitInterval) throw bad("debitInterval", "a sweep authorisation has no interval of its own; the lender's recovery sets when balances are checked");
      terms = { ...base, debit_type: "sweep", max_total: amount, start_date: start, end_date: end };
    } else if (kind === "one-time") {
      if (o.debitInterval) throw bad("debitInterval", "a one-time authorisation has no interval; use debitType recurring or ongoing for repeated debits");
      terms = { ...base, debit_type: "variable", max_total: amount, max_per_charge: amount, start_date: start, end_date: end };
    } else {
      if (kind === "recurring" && !o.debitInterval) throw bad("debitInterval", "is required for a recurring authorisation (daily, weekly, monthly, quarterly or yearly)");
      if (kind === "recurring" && end === null) throw bad("debitEndDate", "is required for a recurring authorisation (use debitType ongoing for one without an end)");
      const interval: Interval = o.debitInterval ?? "monthly";
      terms = { ...base, amount, start_date: start, end_date: end, interval };
    }
  } else {
    source = "recurring_charge";
    kind = "recurring";
    const f2 = { start: "charge.schedule.startDate", end: "charge.schedule.endDate", interval: "charge.schedule.interval" };
    Object.assign(f, f2);
    if (charge.amount === null || charge.amount === undefined) throw bad("charge.amount", "a recurring charge needs the amount of each charge (kobo)");
    if (charge.schedule === undefined || charge.schedule === null) throw bad("charge.schedule", "a recurring charge needs its schedule: {interval, startDate, endDate}");
    const s = parsed(ScheduleInput.safeParse(charge.schedule), "charge.schedule.");
    const start = s.startDate || today;
    const end = s.endDate || null;
    if (end === null && s.count === undefined) kind = "ongoing";
    terms = { ...base, amount: String(charge.amount), start_date: start, end_date: end, interval: s.interval, count: s.count ?? null, day_of_month: s.dayOfMonth ?? s.day_of_month ?? null };
  }
  if (terms.start_date < today) throw bad(f.start, `${terms.start_date} is in the past (today is ${today} in Lagos)`);
  if (terms.end_date !== null && terms.end_date < terms.start_date) throw bad(f.end, `${terms.end_date} is before the start date ${terms.start_date}`);
  if (terms.interval !== null) {
    const problem = scheduleProblems({ interval: terms.interval, startDate: terms.start_date, endDate: terms.end_date, count: terms.count, dayOfMonth: terms.day_of_month })[0];
    if (problem) {
      const field = problem.field === "end_date" ? f.end : problem.field === "start_date" ? f.start : problem.field === "interval" ? f.interval : source === "recurring_charge" ? `charge.schedule.${problem.field}` : f.interval;
      throw bad(field, problem.message.replace(/^[a-z_]+: /, ""));
    }
  }
  // Where the charges go: the charge's account, else the company's default (needed before anything is authorised).
  const wanted = charge.account?.trim() || null;
  let accountToCredit: string | null = null;
  if (wanted !== null) {
    const account = await requireCompanyAccount(ctx.db, scope, wanted, "charge.account").catch((error: unknown) => {
      if (error instanceof OkroError && error.code === "NOT_FOUND") throw bad("charge.account", "not one of this company's receiving accounts in this environment; copy its id from the dashboard");
      throw error;
    });
    if (account.currency !== currency) throw bad("charge.account", `this receiving account holds ${account.currency}, the charges are in ${currency}`);
    accountToCredit = account.id;
  } else if (!(await defaultCompanyAccount(ctx.db, scope, currency))) {
    throw bad("charge.account", `this company has no default ${currency} receiving account for the debits; add one in the dashboard (or pay/accounts/create), or pass charge.account`);
  }
  const withdrawUrl = payerPageUrl(ctx, body);
  return { kind, source, terms, account_to_credit: accountToCredit, withdraw_url: withdrawUrl };
}

/** The payer's page of this widget (its key, and its app when the opening named one: the same business name). */
export function payerPageUrl(ctx: AppContext, body: CreateSessionBody): string {
  const q = new URLSearchParams();
  if (typeof body.key === "string" && body.key) q.set("key", body.key);
  if (typeof body.app_id === "string" && body.app_id) q.set("app_id", body.app_id);
  if (!q.has("key") && typeof body.short_url === "string" && body.short_url) q.set("short_url", body.short_url);
  const query = q.toString();
  return `${widgetOrigin(ctx.config)}/mandates${query ? `?${query}` : ""}`;
}

/** The consent's last line: where and how the customer withdraws (the payer's page, linked). */
const withdrawWords = (merchant: string, url: string) => ({
  text: `Any time, on your authorisations page for ${merchant} (you log in to your bank there), or by asking ${merchant}. Debits already sent to your bank still complete.`,
  href: url,
});

/** The session's mandate as the consent screen shows it (`CreateSessionResponse.mandate`). */
export function sessionMandate(s: MandateSettings, merchant: string): SessionMandate {
  const terms = termsOfSettings(s.terms);
  const asRow = { ...terms, interval: terms.interval, state: "awaiting_customer" } as unknown as MandateRow;
  return {
    merchant,
    kind: s.kind,
    currency: terms.currency,
    amount: Number(terms.amount ?? terms.max_total ?? 0n),
    summary: describeMandate(asRow),
    lines: termLines(terms, merchant, withdrawWords(merchant, s.withdraw_url)),
  };
}

// ---------------------------------------------------------------------------------------------
// The mandate
// ---------------------------------------------------------------------------------------------

const COVERING = new Set(["awaiting_customer", "awaiting_bank", "active", "paused"]);

/**
 * Every account a sweep consent covers, as the debtor reads it: this mandate's account and the
 * debtor's other live sweep mandates with the same company (any bank) — the accounts a recovery
 * of theirs draws on (`createGarnishment` takes every free live sweep mandate of the customer).
 */
async function coveredAccounts(ctx: AppContext, m: MandateRow): Promise<string[]> {
  const scope = { companyId: m.company_id, env: m.env };
  const others = (await mandatesOfCustomers(ctx.db, scope, [m.customer_id])).filter((o) => o.id !== m.id && o.debit_type === "sweep" && COVERING.has(o.state) && o.state !== "awaiting_customer" && o.currency === m.currency);
  const out: string[] = [];
  for (const o of [m, ...others.reverse()]) {
    const bank = await bankOf(ctx, o.bank_id);
    const account = await accountNuban(ctx.db, scope, o.account_id);
    const label = `${bank.name} ${account ? maskNuban(account.nuban) : ""}`.trim();
    const line = o.id === m.id ? `${label} (this one)` : label;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** A mandate as the widget and the payer's page show it. */
export async function widgetMandate(ctx: AppContext, m: MandateRow, merchant: string, withdrawUrl: string): Promise<WidgetMandate> {
  const bank = await bankOf(ctx, m.bank_id);
  const account = await accountNuban(ctx.db, { companyId: m.company_id, env: m.env }, m.account_id);
  return {
    id: m.id,
    status: m.state,
    status_reason: m.state_reason,
    merchant,
    bank_name: bank.name,
    nuban_masked: account ? maskNuban(account.nuban) : "",
    summary: describeMandate(m),
    lines: termLines(m, merchant, withdrawWords(merchant, withdrawUrl), m.debit_type === "sweep" ? await coveredAccounts(ctx, m) : undefined),
    created_at: m.created_at.toISOString(),
  };
}

function requireMandateMode(session: WidgetSession): MandateSettings {
  const s = mandateSettingsOf(session);
  if (!s) throw conflict("this widget session was not opened for a mandate (okra-js `debitLater: true`, or `charge.type: \"recurring\"`)");
  return s;
}

const linkageOf = (result: unknown): MandateLinkage | null => {
  const r = result as MandateLinkage | null;
  return r && r.kind === "mandate" ? r : null;
};

/** The session's mandate, or 404 naming `mandate_id`. */
async function sessionMandateRow(ctx: AppContext, session: WidgetSession, id: string): Promise<{ m: MandateRow; linkage: MandateLinkage }> {
  const row = await currentRow(ctx, session.row.id);
  const linkage = linkageOf(row?.result ?? null);
  const m = linkage && linkage.mandate_id === id ? await mandateOf(ctx.db, scopeOf(session), id) : undefined;
  if (!m || !linkage) throw failure("NOT_FOUND", "mandate_id: no such mandate in this widget session", {}, "mandate_id");
  return { m, linkage };
}

const authorised = (m: MandateRow) => m.authorised_at !== null && m.state !== "awaiting_customer";

/**
 * The answer for a mandate; once the customer authorised it (awaiting the bank or active), the
 * session ends (done: the bank login is wiped) and the answer carries the onSuccess payload.
 */
async function mandateAnswer(ctx: AppContext, session: WidgetSession, m: MandateRow, linkage: MandateLinkage): Promise<MandateResponse> {
  const settings = requireMandateMode(session);
  const view = await widgetMandate(ctx, m, session.settings.branding.name, settings.withdraw_url);
  if (!authorised(m)) return { mandate: view, success: null };
  const authorization = mandateView(m) as unknown as Record<string, unknown>;
  const first = await firstCharge(ctx, session, linkage);
  if (linkage.success) return { mandate: view, success: { ...linkage.success, authorization, ...(first ? { first } : {}) } };
  const success: MandateSuccess = {
    type: "authorization",
    authorization,
    ...(first !== undefined ? { first } : {}),
    ...(await successLinkage(ctx, session, linkage)),
  };
  const current = await currentRow(ctx, session.row.id);
  if (current?.step === "paying") {
    await moveStep(ctx, current, { to: "done", reason: "mandate_authorised", set: { result: JSON.stringify({ ...linkage, success }), credentials_sealed: null, bank_session_sealed: null } });
  }
  return { mandate: view, success };
}

/** A recurring link's first charge as onSuccess carries it (null when none was due today; undefined outside a link). */
async function firstCharge(ctx: AppContext, session: WidgetSession, linkage: MandateLinkage): Promise<MandateSuccess["first"]> {
  if (linkage.first_payment_id === undefined) return undefined;
  if (linkage.first_payment_id === null) return null;
  const p = await getPayment(ctx.db, scopeOf(session), linkage.first_payment_id);
  const wire = wireStatus(p.state);
  return { id: p.id, status: wire.status, response_status: wire.response_status, amount: Number(p.amount), currency: p.currency, reference: p.reference };
}

/** Lets go of a mandate the customer did not authorise (another account, another bank): it ends `cancelled`. */
async function dropUnauthorised(ctx: AppContext, session: WidgetSession, m: MandateRow): Promise<void> {
  if (m.state !== "awaiting_customer") return;
  // A mandate the company created through the API stays waiting: only the company cancels it.
  if (mandateSettingsOf(session)?.source === "api_mandate") return;
  await dropUnauthorisedMandate(ctx, scopeOf(session), m.id);
}

/**
 * `POST /api/mandates`: links the chosen account (a returning customer's record is refreshed) and
 * creates the mandate awaiting the customer's authorisation. The same request again returns the
 * same mandate; another account lets go of the first (cancelled before it was authorised).
 */
export async function createWidgetMandate(ctx: AppContext, session: WidgetSession, body: { account_id: string }): Promise<MandateResponse> {
  const settings = requireMandateMode(session);
  const scope = scopeOf(session);
  const { row } = session;
  const held = linkageOf(row.result);
  if (row.step === "done") {
    if (held) return mandateAnswer(ctx, session, (await mandateOf(ctx.db, scope, held.mandate_id))!, held);
    throw conflict("this widget session is finished; close the widget");
  }
  const staleClaim = row.step === "connecting" && row.updated_at.getTime() < ctx.clock.now().getTime() - CONNECT_STALE_MS;
  if (row.step === "connecting" && !staleClaim) throw failure("CONFLICT", "already preparing the authorisation; wait for it", { reason: "connecting" });
  if (row.step !== "accounts" && row.step !== "paying" && !staleClaim) throw conflict("log in to your bank and choose an account first");
  const stored = row.bank_accounts as StoredAccounts | null;
  const chosen = stored?.accounts.find((a) => a.id === body.account_id);
  if (!chosen || !row.bank_id) throw failure("NOT_FOUND", "account_id: not one of the accounts the bank listed in this session", {}, "account_id");
  const waiting = settings.source === "api_mandate" ? await mandateOf(ctx.db, scope, settings.mandate_id!) : undefined;
  if (waiting) {
    // The mandate names its account: the customer authorises it on that one only.
    const own = await accountNuban(ctx.db, scope, waiting.account_id);
    if (row.bank_id !== waiting.bank_id || !own || own.nuban !== chosen.nuban) {
      const bank = await bankOf(ctx, waiting.bank_id);
      throw failure("UNPROCESSABLE", `account_id: this authorisation is for your ${bank.name} account ${own ? maskNuban(own.nuban) : ""}; choose that account`.trim(), { reason: "other_account" }, "account_id");
    }
    if (waiting.state !== "awaiting_customer") {
      if (held && authorised(waiting)) return mandateAnswer(ctx, session, waiting, held);
      throw failure("CONFLICT", `mandate_id: this authorisation is ${waiting.state}; it can no longer be given`, { reason: "mandate_ended", status: waiting.state }, "mandate_id");
    }
  }

  if (held && settings.source === "recurring_link") {
    // Nothing exists yet to let go of: the same account again is the same answer.
    if (held.bank_id === row.bank_id && held.nuban === chosen.nuban && row.step === "paying") return linkAnswer(ctx, session, settings, held);
  } else if (held) {
    const current = await mandateOf(ctx.db, scope, held.mandate_id);
    if (current && held.bank_id === row.bank_id && held.nuban === chosen.nuban && current.state === "awaiting_customer") return mandateAnswer(ctx, session, current, held);
    if (current) await dropUnauthorised(ctx, session, current);
  }
  if (!row.bank_session_sealed || !row.login_method) throw failure("UNPROCESSABLE", "The bank login of this session has ended; log in again", { reason: "bank_session_expired" });
  await countTry(ctx, row.id, "payment", MAX_MANDATES_PER_SESSION);

  const fromStep: Step = staleClaim ? (held ? "paying" : "accounts") : (row.step as Step);
  const claimed = await claimForConnect(ctx, row, { steps: ["accounts", "paying"], paymentId: null });
  if (!claimed) {
    if (!(await currentRow(ctx, row.id))) throw sessionExpired();
    throw failure("CONFLICT", "already preparing the authorisation; wait for it", { reason: "connecting" });
  }
  const release = () => moveStep(ctx, claimed, { to: fromStep, reason: "mandate_not_created" });
  const bank = await bankOf(ctx, row.bank_id);
  let linkage: MandateLinkage;
  try {
    const link = await linkConnection(ctx, {
      companyId: claimed.company_id,
      env: claimed.env,
      appId: claimed.app_id,
      bankId: bank.id,
      loginMethod: claimed.login_method as LoginMethod,
      credentials: claimed.credentials_sealed ? openCredentials(ctx, claimed.id, claimed.credentials_sealed) : null,
      session: openBankSession(ctx, claimed.id, claimed.bank_session_sealed!),
      selectedAccountIds: [chosen.id],
      products: normalizeProducts(["payments"]),
      options: session.settings.merchant_options,
      customerHint: session.settings.customer_hint ?? undefined,
      historyMonths: session.settings.history_months,
    });
    const account = link.accounts.find((a) => a.bank_account_id === chosen.id);
    if (!account) throw new Error("widget mandate: the linked account is missing from the link result");
    linkage = { kind: "mandate", mandate_id: "", record_id: link.recordId, customer_id: link.customerId, customer_name: link.customerName, account_id: account.id, bank_id: bank.id, nuban: chosen.nuban };
  } catch (error) {
    await release();
    throw bankFailure(error, bank.name);
  }
  if (settings.source === "recurring_link" || waiting) {
    // A recurring link's mandate is made by the authorisation (payRecurringLink); an API mandate
    // exists already: the account is linked, the session holds the linkage and waits for the code.
    if (waiting && waiting.account_id !== linkage.account_id) {
      await release();
      throw failure("UNPROCESSABLE", "account_id: this account is not the one the authorisation names; choose that account", { reason: "other_account" }, "account_id");
    }
    if (waiting) linkage = { ...linkage, mandate_id: waiting.id };
    const moved = await moveStep(ctx, claimed, {
      to: "paying",
      reason: waiting ? "mandate_account_linked" : "link_account_linked",
      set: { customer_id: linkage.customer_id, record_id: linkage.record_id, result: JSON.stringify(linkage) },
    });
    if (!moved) throw movedOn();
    if (waiting) return mandateAnswer(ctx, session, waiting, linkage);
    return linkAnswer(ctx, session, settings, linkage);
  }
  const t = termsOfSettings(settings.terms);
  const input: NewMandate = {
    accountId: linkage.account_id,
    debitType: t.debit_type,
    currency: t.currency,
    amount: t.amount,
    initialAmount: t.initial_amount,
    maxPerCharge: t.max_per_charge,
    maxTotal: t.max_total,
    maxPerPeriod: t.max_per_period,
    period: t.period,
    startDate: t.start_date,
    endDate: t.end_date,
    interval: t.interval,
    dayOfMonth: t.day_of_month,
    count: t.count,
    purpose: t.purpose,
    reference: null,
    options: Object.keys(session.settings.merchant_options).length > 0 ? session.settings.merchant_options : null,
    accountToCredit: settings.account_to_credit,
    retry: null,
  };
  let created: MandateRow;
  try {
    const offsetMs = await clockOffsetMs(ctx, scope);
    created = await ctx.db.transaction().execute(async (trx) => {
      const m = await createMandate(trx, ctx, scope, input, offsetMs, "widget");
      linkage = { ...linkage, mandate_id: m.id };
      const moved = await moveStep(
        ctx,
        claimed,
        { to: "paying", reason: "mandate_created", set: { customer_id: linkage.customer_id, record_id: linkage.record_id, result: JSON.stringify(linkage) } },
        trx,
      );
      if (!moved) throw movedOn();
      return m;
    });
  } catch (error) {
    await release();
    throw error;
  }
  return mandateAnswer(ctx, { ...session, row: { ...row, result: linkage } as WidgetSession["row"] }, created, linkage);
}

/**
 * `POST /api/mandates/authorise`: the customer's OTP or PIN goes to the bank through the mandates
 * service (`authoriseMandate`): the bank's debit authority, then `awaiting_bank` (the activation
 * job makes it `active`) or `active` at once. A wrong code keeps it waiting (422 `invalid_otp`).
 */
export async function authoriseWidgetMandate(ctx: AppContext, session: WidgetSession, body: { mandate_id?: string | undefined; otp?: string | undefined; pin?: string | undefined }): Promise<MandateResponse> {
  const settings = requireMandateMode(session);
  const { row } = session;
  const held = linkageOf(row.result);
  if (settings.source === "recurring_link" && !held?.mandate_id) return authoriseLinkMandate(ctx, session, settings, body);
  const id = body.mandate_id ?? held?.mandate_id;
  if (!id) throw failure("INVALID_FIELD", "mandate_id: is required", {}, "mandate_id");
  const { m, linkage } = await sessionMandateRow(ctx, session, id);
  if (m.state !== "awaiting_customer") {
    if (authorised(m)) return mandateAnswer(ctx, session, m, linkage);
    throw failure("CONFLICT", `mandate_id: this authorisation is ${m.state}; start again`, { reason: "mandate_ended", status: m.state }, "mandate_id");
  }
  const bank = await bankOf(ctx, m.bank_id);
  if (!row.bank_session_sealed) throw failure("UNPROCESSABLE", `The connection to ${bank.name} has lapsed; log in again`, { reason: "bank_session_expired" });
  await countTry(ctx, row.id, "authorise", MAX_AUTHORISATIONS_PER_SESSION);
  const holder = await accountHolder(ctx.db, scopeOf(session), m.account_id);
  if (!holder) throw conflict("the account of this authorisation is no longer connected; choose another account");
  const authorization: PaymentAuthorization = body.otp !== undefined ? { otp: new Secret(body.otp) } : { pin: new Secret(body.pin!) };
  let after: MandateRow;
  try {
    after = await authoriseMandate(ctx, scopeOf(session), m.id, { bankSession: openBankSession(ctx, row.id, row.bank_session_sealed).token, authorization });
  } catch (error) {
    throw bankFailure(error, bank.name);
  }
  return mandateAnswer(ctx, session, after, linkage);
}

/** What a recurring link's session shows before its mandate exists: the terms on the chosen account. */
async function linkAnswer(ctx: AppContext, session: WidgetSession, settings: MandateSettings, linkage: MandateLinkage): Promise<MandateResponse> {
  const merchant = session.settings.branding.name;
  const preview = sessionMandate(settings, merchant);
  const bank = await bankOf(ctx, linkage.bank_id);
  const mandate: WidgetMandate = {
    id: "",
    status: "awaiting_customer",
    status_reason: null,
    merchant,
    bank_name: bank.name,
    nuban_masked: maskNuban(linkage.nuban),
    summary: preview.summary,
    lines: preview.lines,
    created_at: ctx.clock.now().toISOString(),
  };
  return { mandate, success: null };
}

/**
 * Authorising a recurring payment link (decision 0022, step 3): the session is claimed (paying →
 * connecting, so a double click or a second tab gets 409 `authorising`), then payRecurringLink
 * gives the bank's debit authority with the OTP/PIN and makes the link's mandate (and its first
 * charge when due today) exactly as `pay/link` recurring does; the session keeps the mandate and
 * ends. A wrong code gives the session back to the code screen. The same request after it
 * succeeded answers the same mandate and charge (authoriseWidgetMandate finds the linkage).
 */
async function authoriseLinkMandate(ctx: AppContext, session: WidgetSession, settings: MandateSettings, body: { otp?: string | undefined; pin?: string | undefined }): Promise<MandateResponse> {
  const { row } = session;
  const held = linkageOf(row.result);
  // `connecting` is let through to claimForConnect: a claim abandoned by a process that died
  // mid-authorisation is taken over once stale (nothing was made: see below); a live one is 409.
  if ((row.step !== "paying" && row.step !== "connecting") || !held) throw conflict("choose the account to debit first");
  const bank = await bankOf(ctx, held.bank_id);
  if (!row.bank_session_sealed) throw failure("UNPROCESSABLE", `The connection to ${bank.name} has lapsed; log in again`, { reason: "bank_session_expired" });
  await countTry(ctx, row.id, "authorise", MAX_AUTHORISATIONS_PER_SESSION);
  const taken = await claimForConnect(ctx, row, { steps: ["paying"] });
  if (!taken) throw failure("CONFLICT", "already authorising with your bank; wait for it", { reason: "authorising" });
  const authorization: PaymentAuthorization = body.otp !== undefined ? { otp: new Secret(body.otp) } : { pin: new Secret(body.pin!) };
  // The session records the mandate in the transaction that makes it: a crash between the two
  // can no longer leave a mandate the session does not know (and a session stuck answering 409).
  let moved: Awaited<ReturnType<typeof moveStep>>;
  let linkage: MandateLinkage | undefined;
  let made: Awaited<ReturnType<typeof payRecurringLink>>;
  try {
    made = await payRecurringLink(ctx, scopeOf(session), settings.link_id!, { accountId: held.account_id, bankSession: openBankSession(ctx, row.id, row.bank_session_sealed).token, authorization }, async (trx, started) => {
      const first = started.first?.kind === "charged" ? started.first.paymentId : null;
      linkage = { ...held, mandate_id: started.mandate.id, first_payment_id: first };
      moved = await moveStep(ctx, taken, { to: "paying", reason: "mandate_authorised", set: { result: JSON.stringify(linkage) } }, trx);
      if (!moved) throw movedOn();
    });
  } catch (error) {
    // The session moved on under us (its claim was taken over): nothing was made; say so as is.
    if (linkage && !moved) throw error;
    await moveStep(ctx, taken, { to: "paying", reason: "mandate_not_authorised" });
    throw bankFailure(error, bank.name);
  }
  return mandateAnswer(ctx, { ...session, row: moved! }, made.mandate, linkage!);
}

/** `GET /api/mandates/:id`: the mandate now (the widget polls while the bank activates it). */
export async function pollWidgetMandate(ctx: AppContext, session: WidgetSession, id: string): Promise<MandateResponse> {
  requireMandateMode(session);
  const { m, linkage } = await sessionMandateRow(ctx, session, id);
  return mandateAnswer(ctx, session, m, linkage);
}

/** Before a new login from the holding step: the mandate not yet authorised is let go. */
async function releaseMandateForLogin(ctx: AppContext, session: WidgetSession): Promise<void> {
  const linkage = linkageOf(session.row.result);
  if (!linkage) return;
  const m = await mandateOf(ctx.db, scopeOf(session), linkage.mandate_id);
  if (m) await dropUnauthorised(ctx, session, m);
}

/**
 * The mandate mode (mode.ts): opened by `debitLater: true`, or `payment: true` with
 * `charge.type: "recurring"` (listed before the payment mode, which takes one-time charges); the
 * app must have the payments product. Lists banks that take debits; answers `mandate`.
 */
export const mandateMode: WidgetMode = {
  name: "mandate",
  products: ["payments"],
  bankProducts: ["payments"],
  messages: {
    connectRefused: "this widget session asks for a debit authorisation: choose the account to debit instead (POST /api/mandates)",
    done: "this widget session's authorisation is done; close the widget",
  },
  opens(body, link, appProducts, mandate) {
    // A recurring payment link and a mandate awaiting the customer name their company's terms: no app product is asked of them.
    if (mandate || link?.type === "recurring") return true;
    const debitLater = body.debitLater === true || body.debitLater === "true";
    const recurring = link === null && body.charge?.type === "recurring";
    if (!debitLater && !recurring) return false;
    if (!appProducts.includes("payments")) {
      const field = debitLater ? "debitLater" : "charge.type";
      throw failure("INVALID_FIELD", `${field}: this app does not have the payments product; add it to the app in the dashboard`, {}, field);
    }
    return true;
  },
  open: (ctx, opening) => settingsOf(ctx, opening),
  customerId: () => null,
  describe: (settings, merchant) => ({ mandate: sessionMandate(settings as MandateSettings, merchant) }),
  beforeLogin: (ctx, session) => releaseMandateForLogin(ctx, session),
};
