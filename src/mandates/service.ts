import type { Executor, Trx } from "../core/db.js";
import type { PaymentAuthorization, Secret } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import type { Scope } from "../core/tenancy.js";
import { newId } from "../lib/ids.js";
import { kobo } from "../lib/kobo.js";
import { bindConsent, grantConsent } from "../payments/consents.js";
import { boundConsentRefusal } from "./standing.js";
import { getLink, linkProblem, linkSchedule, markLinkUsed, scheduleOnPayment } from "../payments/links.js";
import { defaultCompanyAccount, receivingAccount } from "../payments/company-accounts.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES } from "../payments/types.js";
import { activate, chargeCycle, clockOffsetMs, enqueueActivationCheck, startSchedule, type ChargeResult } from "./charges.js";
import { checkCharge, DEFAULT_RETRY_POLICY, mandateMachine, termsProblems, type DebitType, type MandateTerms } from "./domain.js";
import { chargeDate, cycleDate, dueInstant, firstChargeOnOrAfter, hasCycle, lagosDate, scheduleProblems, type BusinessDays, type Interval, type Schedule } from "./schedule.js";
import * as store from "./store.js";
import { moveMandate, recordMandateCreated } from "./transitions.js";
import { scheduleOf, termsOf, upcoming } from "./views.js";

/**
 * Mandates: creating them (Okro's `mandates/create`, Okra's recurring `pay/initiate` and
 * `pay/authorization/*`), the customer's authorisation with the bank, pause/resume/cancel, reading.
 * A mandate's state changes only through transitions.ts; its charges are jobs (charges.ts).
 * Functions taking a `trx` run in the caller's transaction and never call a bank.
 */

type Row = store.MandateRow;

const bad = (field: string, message: string) => new OkroError("INVALID_FIELD", message, { field });
const unprocessable = (field: string, message: string, reason: string) => new OkroError("UNPROCESSABLE", message, { field, data: { reason } });

/**
 * Today in Lagos on the company's business clock: `offsetMs` is how far its sandbox clock runs
 * ahead ({@link clockOffsetMs}). Callers read the offset BEFORE opening their transaction: it asks
 * the sandbox network, which on embedded PGlite shares the one connection a transaction holds.
 */
export function businessToday(ctx: AppContext, offsetMs: number): string {
  return lagosDate(new Date(ctx.clock.now().getTime() + offsetMs));
}

export { clockOffsetMs };

export interface NewMandate {
  accountId: string;
  debitType: DebitType;
  currency: string;
  amount: bigint | null;
  initialAmount: bigint | null;
  maxPerCharge: bigint | null;
  maxTotal: bigint | null;
  maxPerPeriod: bigint | null;
  period: Interval | null;
  /** Lagos days; start defaults to today. */
  startDate: string | null;
  endDate: string | null;
  interval: Interval | null;
  dayOfMonth: number | null;
  count: number | null;
  purpose: string | null;
  reference: string | null;
  options: Record<string, unknown> | null;
  accountToCredit: string | null;
  retry: { attempts: number; spacingHours: number; balanceCheck?: boolean } | null;
  /** Pre-debit notice, days before each scheduled charge (null: the default, 3). */
  noticeDays?: number | null;
  /** Weekends and public holidays (null: the default, `next`). */
  businessDays?: BusinessDays | null;
}

/**
 * Validates a new mandate's terms against the account, the clock and each other — every refusal a
 * 4xx naming the field, before anything is written — and gives the row's fields.
 */
async function prepare(trx: Trx, ctx: AppContext, scope: Scope, input: NewMandate, today: string, accountField: string) {
  if (!isSupportedCurrency(input.currency)) throw unprocessable("currency", `currency: ${input.currency} is not supported; mandates are in ${SUPPORTED_CURRENCIES.join(", ")} only`, "unsupported_currency");
  const account = await store.findAccount(trx, scope, input.accountId);
  if (!account) throw new OkroError("NOT_FOUND", `${accountField}: no such account`, { field: accountField });
  if (!account.connected) throw unprocessable(accountField, `${accountField}: the customer did not share this account`, "account_not_connected");
  if (account.currency !== input.currency) throw unprocessable("currency", `currency: the account holds ${account.currency}, not ${input.currency}`, "currency_mismatch");
  const startDate = input.startDate ?? today;
  if (startDate < today) throw bad("start_date", `start_date: ${startDate} is in the past (today is ${today} in Lagos)`);
  const terms: MandateTerms = {
    debitType: input.debitType,
    currency: input.currency,
    amount: input.amount,
    maxPerCharge: input.maxPerCharge,
    maxTotal: input.maxTotal,
    maxPerPeriod: input.maxPerPeriod,
    period: input.period,
    startDate,
    endDate: input.endDate,
  };
  const problem = termsProblems(terms)[0];
  if (problem) throw bad(problem.field, problem.message);
  if (input.interval === null && (input.dayOfMonth !== null || input.count !== null || input.initialAmount !== null)) {
    const field = input.dayOfMonth !== null ? "day_of_month" : input.count !== null ? "count" : "initial_amount";
    throw bad(field, `${field}: only with a schedule (\`interval\`)`);
  }
  if (input.debitType === "sweep" && input.interval !== null) throw bad("interval", "interval: a sweep mandate has no schedule of its own; its garnishment sweeps on the garnishment's schedule");
  if (input.interval !== null) {
    const s: Schedule = { interval: input.interval, startDate, endDate: input.endDate, count: input.count, dayOfMonth: input.dayOfMonth };
    const sp = scheduleProblems(s)[0];
    if (sp) throw bad(sp.field, sp.message);
    // Each scheduled charge must fit what the customer authorises.
    const first = checkCharge(terms, { amount: input.initialAmount ?? input.amount ?? input.maxPerCharge ?? 0n, currency: input.currency, date: cycleDate(s, 0), chargedTotal: 0n, chargedInPeriod: 0n });
    if (input.debitType === "variable" && input.amount === null && input.maxPerCharge === null) {
      throw bad("max_per_charge", "max_per_charge: a variable mandate with a schedule needs the amount of each charge (max_per_charge)");
    }
    if (first && first.reason !== "not_fixed_amount") throw bad(first.field === "date" ? "start_date" : first.field === "amount" && input.initialAmount !== null ? "initial_amount" : first.field, first.message);
  }
  if (input.reference !== null && (await store.mandateByReference(trx, scope, input.reference))) {
    throw new OkroError("CONFLICT", `reference: a mandate with reference ${JSON.stringify(input.reference)} exists`, { field: "reference" });
  }
  const credit = input.accountToCredit !== null ? await receivingAccount(trx, scope, input.accountToCredit, input.currency) : null;
  const retry = input.retry ?? DEFAULT_RETRY_POLICY;
  return {
    account,
    fields: {
      company_id: scope.companyId,
      env: scope.env,
      customer_id: account.customer_id,
      account_id: account.id,
      bank_id: account.bank_id,
      debit_type: input.debitType,
      currency: input.currency,
      amount: input.amount,
      initial_amount: input.initialAmount,
      max_per_charge: input.maxPerCharge,
      max_total: input.maxTotal,
      max_per_period: input.maxPerPeriod,
      period: input.period,
      start_date: startDate,
      end_date: input.endDate,
      interval: input.interval,
      day_of_month: input.dayOfMonth,
      count: input.count,
      purpose: input.purpose,
      reference: input.reference,
      options: input.options === null ? null : JSON.stringify(input.options),
      account_to_credit: credit?.id ?? null,
      retry_attempts: retry.attempts,
      retry_spacing_hours: retry.spacingHours,
      retry_balance_check: input.retry?.balanceCheck ?? true,
      ...(input.noticeDays !== undefined && input.noticeDays !== null ? { notice_days: input.noticeDays } : {}),
      ...(input.businessDays ? { business_days: input.businessDays } : {}),
    },
  };
}

/**
 * `mandates/create`: the company proposes a mandate on a linked account; it waits for the customer
 * (`awaiting_customer`) to authorise it with the bank ({@link authoriseMandate}). 404 naming the
 * account when it is not the tenant's; every bad term a 4xx naming its field; nothing written.
 */
export async function createMandate(trx: Trx, ctx: AppContext, scope: Scope, input: NewMandate, offsetMs: number, via: "api" | "widget" = "api"): Promise<Row> {
  const today = businessToday(ctx, offsetMs);
  const { fields } = await prepare(trx, ctx, scope, input, today, "account");
  const now = ctx.clock.now();
  const row = await store.insertMandate(trx, { ...fields, id: newId(now), state: "awaiting_customer", source: via, consent_id: null, created_at: now, updated_at: now });
  // The widget's consent screen: the customer asked for it (the company's options set its terms).
  await recordMandateCreated(trx, row, via === "widget" ? "customer" : "api", via === "widget" ? "widget_consent" : "requested", now);
  return row;
}

export interface RecurringInput {
  accountToDebit: string;
  accountToCredit: string | null;
  amount: bigint;
  currency: string;
  schedule: { interval: Interval; startDate: string | null; endDate: string | null; count: number | null; dayOfMonth: number | null; businessDays?: BusinessDays | undefined };
  note: string | null;
  /** Set up by paying a recurring payment link (default: `pay/initiate`). */
  linkId?: string;
}

/**
 * `pay/initiate` with `type: recurring`: a fixed mandate of `amount` per cycle on the account's
 * standing consent (the customer's debit authority given in the widget), active at once when the
 * bank has activated that consent (else `awaiting_bank`). Each cycle is charged by the
 * `mandates.charge` job; a first cycle due today is charged now, in this transaction, and returned.
 */
export async function startRecurring(trx: Trx, ctx: AppContext, scope: Scope, input: RecurringInput, offsetMs: number): Promise<{ mandate: Row; first: ChargeResult | null }> {
  const today = businessToday(ctx, offsetMs);
  const { fields } = await prepare(
    trx,
    ctx,
    scope,
    {
      accountId: input.accountToDebit,
      debitType: "fixed",
      currency: input.currency,
      amount: input.amount,
      initialAmount: null,
      maxPerCharge: null,
      maxTotal: null,
      maxPerPeriod: null,
      period: null,
      startDate: input.schedule.startDate,
      endDate: input.schedule.endDate,
      interval: input.schedule.interval,
      dayOfMonth: input.schedule.dayOfMonth,
      count: input.schedule.count,
      businessDays: input.schedule.businessDays ?? null,
      purpose: input.note,
      reference: null,
      options: null,
      accountToCredit: input.accountToCredit,
      retry: null,
    },
    today,
    "account_to_debit",
  );
  const consent = await store.liveConsent(trx, scope, fields.account_id);
  if (!consent) {
    throw new OkroError("UNPROCESSABLE", "account_to_debit: the customer has not given payment consent for this account (link it with payments in the widget)", {
      field: "account_to_debit",
      data: { reason: "no_consent", code: 1027 },
    });
  }
  // A new schedule on the standing consent needs a standing consent; a link's mandate stands on the consent given for it.
  if (!input.linkId) requireStanding(consent);
  if (input.amount > consent.max_amount) throw unprocessable("amount", `amount: above the consent's limit of ${consent.max_amount} kobo per debit`, "above_consent_limit");
  const now = ctx.clock.now();
  const origin = input.linkId ? ({ source: "link", link_id: input.linkId } as const) : ({ source: "pay_initiate" } as const);
  let row = await store.insertMandate(trx, { ...fields, ...origin, id: newId(now), state: "awaiting_customer", consent_id: consent.id, authorised_at: now, created_at: now, updated_at: now });
  await recordMandateCreated(trx, row, input.linkId ? "customer" : "api", input.linkId ? "payment_link" : "standing_consent", now);
  if (consent.status !== "active") {
    row = (await moveMandate(trx, ctx, row, "awaiting_bank", { actor: "api", reason: "standing_consent_pending" }))!;
    await enqueueActivationCheck(trx, ctx, row, 1, now);
    return { mandate: row, first: null };
  }
  row = (await activate(trx, ctx, row, "standing_consent", offsetMs))!;
  const s = scheduleOf(row)!;
  const n = firstChargeOnOrAfter(s, today > s.startDate ? today : s.startDate);
  if (hasCycle(s, n) && dueInstant(chargeDate(s, n)).getTime() <= now.getTime() + offsetMs) {
    return { mandate: row, first: await chargeCycle(trx, ctx, row, n, 1, offsetMs) };
  }
  return { mandate: row, first: null };
}

/**
 * `pay/initiate` with `type: garnish`: a sweep mandate on the account's standing consent (the
 * customer's debit authority given in the widget) for at most `maxTotal` in all, active at once
 * when the bank activated that consent (else `awaiting_bank`, with its activation check). The
 * garnishment (src/garnish) that stands on it is created by the caller in the same transaction.
 */
export async function sweepMandateOnConsent(
  trx: Trx,
  ctx: AppContext,
  scope: Scope,
  input: { accountToDebit: string; currency: string; maxTotal: bigint; endDate: string | null; accountToCredit: string | null; purpose: string | null },
  offsetMs: number,
): Promise<Row> {
  const today = businessToday(ctx, offsetMs);
  const { fields } = await prepare(
    trx,
    ctx,
    scope,
    {
      accountId: input.accountToDebit,
      debitType: "sweep",
      currency: input.currency,
      amount: null,
      initialAmount: null,
      maxPerCharge: null,
      maxTotal: input.maxTotal,
      maxPerPeriod: null,
      period: null,
      startDate: null,
      endDate: input.endDate,
      interval: null,
      dayOfMonth: null,
      count: null,
      purpose: input.purpose,
      reference: null,
      options: null,
      accountToCredit: input.accountToCredit,
      retry: null,
    },
    today,
    "account_to_debit",
  );
  const consent = await store.liveConsent(trx, scope, fields.account_id);
  if (!consent) {
    throw new OkroError("UNPROCESSABLE", "account_to_debit: the customer has not given payment consent for this account (link it with payments in the widget)", {
      field: "account_to_debit",
      data: { reason: "no_consent", code: 1027 },
    });
  }
  requireStanding(consent);
  const now = ctx.clock.now();
  let row = await store.insertMandate(trx, { ...fields, id: newId(now), state: "awaiting_customer", source: "pay_initiate", consent_id: consent.id, authorised_at: now, created_at: now, updated_at: now });
  await recordMandateCreated(trx, row, "api", "standing_consent", now);
  if (consent.status !== "active") {
    row = (await moveMandate(trx, ctx, row, "awaiting_bank", { actor: "api", reason: "standing_consent_pending" }))!;
    await enqueueActivationCheck(trx, ctx, row, 1, now);
    return row;
  }
  return (await activate(trx, ctx, row, "standing_consent", offsetMs))!;
}

/**
 * Paying a recurring payment link (`pay/link/create` with `type: recurring`): the customer, in the
 * link's widget with their bank session and OTP/PIN, authorises the bank-side debit authority
 * (`grantConsent`, outside any transaction), then the link's mandate is made — fixed at the link's
 * amount, on its schedule (from the day they pay when it names no start), crediting the link's
 * account — exactly as a recurring `pay/initiate` (active at once when the bank is, the first cycle
 * charged now when due) and the link is counted (a single-use link becomes `used`). Refusals name
 * the field: `payment_link` when the link is not a payable recurring link of the tenant.
 */
export async function payRecurringLink(
  ctx: AppContext,
  scope: Scope,
  linkId: string,
  input: { accountId: string; bankSession: Secret; authorization: PaymentAuthorization },
  /** Run in the transaction that makes the mandate (the widget records it on its session there): both commit or neither. */
  inside?: (trx: Trx, made: { mandate: Row; first: ChargeResult | null }) => Promise<void>,
): Promise<{ mandate: Row; first: ChargeResult | null }> {
  const link = await getLink(ctx.db, scope, linkId, "payment_link");
  if (link.type !== "recurring" || link.amount === null) throw new OkroError("NOT_FOUND", "payment_link: no such recurring payment link", { field: "payment_link" });
  const problem = linkProblem(link, ctx.clock.now());
  if (problem) throw new OkroError("UNPROCESSABLE", `payment_link: ${problem.message}`, { field: "payment_link", data: { reason: "link_unavailable", link_status: problem.reason } });
  // Given for the link's mandate (written just below, so bound to it once it exists): no standing authority.
  const consent = await grantConsent(ctx, scope, { accountId: input.accountId, bankSession: input.bankSession, authorization: input.authorization, maxAmount: kobo(link.amount), purpose: { mandate: null } });
  const offsetMs = await clockOffsetMs(ctx, scope);
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    if (!(await markLinkUsed(trx, link.id, now))) throw new OkroError("UNPROCESSABLE", "payment_link: This payment link has already been paid.", { field: "payment_link", data: { reason: "link_unavailable", link_status: "used" } });
    const s = scheduleOnPayment(linkSchedule(link)!, businessToday(ctx, offsetMs));
    const started = await startRecurring(trx, ctx, scope, {
      accountToDebit: input.accountId,
      accountToCredit: link.account_to_credit,
      amount: link.amount!,
      currency: link.currency,
      schedule: { interval: s.interval, startDate: s.startDate, endDate: s.endDate, count: s.count, dayOfMonth: s.dayOfMonth, businessDays: s.businessDays },
      note: link.note ?? link.name,
      linkId: link.id,
    }, offsetMs);
    await bindConsent(trx, consent.id, started.mandate.id);
    if (inside) await inside(trx, started);
    return started;
  });
}

/**
 * The customer authorises a mandate with the bank (the widget calls this with their bank session
 * and OTP/PIN): the bank-side debit authority (`grantConsent`, which calls the bank outside any
 * transaction), then `awaiting_bank` or, when the bank activated it at once, `active` with its
 * schedule started. A bank refusal leaves the mandate `awaiting_customer` and is the bank's error.
 */
export async function authoriseMandate(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { bankSession: Secret; authorization: PaymentAuthorization },
): Promise<Row> {
  const m = await store.mandateById(ctx.db, scope, id);
  if (!m) throw new OkroError("NOT_FOUND", "mandate not found", { field: "id" });
  if (m.state !== "awaiting_customer") throw new OkroError("CONFLICT", `id: the mandate is ${m.state}, not awaiting the customer`, { field: "id" });
  const perDebit = [m.amount, m.initial_amount, m.max_per_charge, m.max_total].filter((x): x is bigint => x !== null).reduce((a, b) => (a > b ? a : b), 0n);
  const consent = await grantConsent(ctx, scope, { accountId: m.account_id, bankSession: input.bankSession, authorization: input.authorization, purpose: { mandate: m.id }, ...(perDebit > 0n ? { maxAmount: kobo(perDebit) } : {}) });
  const offsetMs = await clockOffsetMs(ctx, scope);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await store.lockMandate(trx, id);
    if (!row || row.state !== "awaiting_customer") return row ?? m;
    const now = ctx.clock.now();
    const waiting = await moveMandate(trx, ctx, row, "awaiting_bank", { actor: "customer", reason: "customer_authorised", set: { consent_id: consent.id, authorised_at: now } });
    if (!waiting) return row;
    if (consent.status === "active") return (await activate(trx, ctx, waiting, "bank_activated", offsetMs)) ?? waiting;
    // The bank's announced activation is on its (business) clock.
    const announced = consent.activates_at ? new Date(consent.activates_at.getTime() - offsetMs) : now;
    await enqueueActivationCheck(trx, ctx, waiting, 1, announced > now ? announced : now);
    return waiting;
  });
}

/**
 * A mandate written on the account's standing consent (recurring or garnish `pay/initiate`) needs
 * the customer's standing consent: one given for another mandate only is refused (decision 0027).
 */
function requireStanding(consent: { standing: boolean; bound_mandate_id: string | null }): void {
  if (consent.standing) return;
  const r = boundConsentRefusal("account_to_debit", consent.bound_mandate_id);
  throw new OkroError("UNPROCESSABLE", r.message, { field: "account_to_debit", data: r.data });
}

async function owned(trx: Trx, scope: Scope, id: string, field: string): Promise<Row> {
  const m = await store.mandateById(trx, scope, id);
  if (!m) throw new OkroError("NOT_FOUND", `${field}: mandate not found`, { field });
  const locked = await store.lockMandate(trx, id);
  return locked!;
}

/** 409 naming the mandate's state when it cannot make this move. */
function refuse(m: Row, action: string, field: string): never {
  throw new OkroError("CONFLICT", `${field}: the mandate is ${m.state}; it cannot be ${action}`, { field, data: { status: m.state } });
}

export async function pauseMandate(trx: Trx, ctx: AppContext, scope: Scope, id: string, field = "id"): Promise<Row> {
  const m = await owned(trx, scope, id, field);
  if (m.state !== "active") refuse(m, "paused (only an active mandate can)", field);
  return (await moveMandate(trx, ctx, m, "paused", { actor: "api", reason: "paused_by_company" }))!;
}

export async function resumeMandate(trx: Trx, ctx: AppContext, scope: Scope, id: string, field = "id"): Promise<Row> {
  const m = await owned(trx, scope, id, field);
  if (m.state !== "paused") refuse(m, "resumed (only a paused mandate can)", field);
  return (await moveMandate(trx, ctx, m, "active", { actor: "api", reason: "resumed_by_company" }))!;
}

/**
 * Cancels a mandate (the company, or the customer withdrawing it): nothing more is charged; charges
 * already sent to the bank finish. The account's standing consent at the bank is left as it is (it
 * may carry other payments).
 */
export async function cancelMandate(trx: Trx, ctx: AppContext, scope: Scope, id: string, by: { actor: "api" | "customer"; field?: string; customerId?: string }): Promise<Row> {
  const field = by.field ?? "id";
  const m = await owned(trx, scope, id, field);
  if (by.customerId !== undefined && by.customerId !== m.customer_id) throw new OkroError("NOT_FOUND", "customer: the mandate is not this customer's", { field: "customer" });
  if (!mandateMachine.is.cancellable(m.state)) refuse(m, "cancelled", field);
  return (await moveMandate(trx, ctx, m, "cancelled", { actor: by.actor, reason: by.actor === "customer" ? "withdrawn_by_payer" : "cancelled_by_company" }))!;
}

/** `pay/authorization/reauth`: a fresh mandate with the same terms, awaiting the customer, for one that ended. */
export async function reauthMandate(trx: Trx, ctx: AppContext, scope: Scope, id: string, offsetMs: number): Promise<Row> {
  const m = await owned(trx, scope, id, "authorization");
  if (!mandateMachine.is.reauthorisable(m.state)) refuse(m, "re-authorised (it has not ended; cancel it first)", "authorization");
  const today = businessToday(ctx, offsetMs);
  const start = m.start_date > today ? m.start_date : today;
  if (m.end_date !== null && m.end_date < start) throw unprocessable("authorization", `authorization: its end date ${m.end_date} has passed; create a new mandate`, "ended");
  const now = ctx.clock.now();
  const { id: _old, state: _s, state_reason: _r, consent_id: _c, authorised_at: _a, activated_at: _ac, ended_at: _e, created_at: _cr, updated_at: _u, reference: _ref, ...terms } = m;
  const row = await store.insertMandate(trx, {
    ...terms,
    options: m.options === null ? null : JSON.stringify(m.options),
    start_date: start,
    id: newId(now),
    state: "awaiting_customer",
    source: "reauth",
    replaces_id: m.id,
    consent_id: null,
    created_at: now,
    updated_at: now,
  });
  await recordMandateCreated(trx, row, "api", "reauthorisation", now);
  return row;
}

export interface PlanInput {
  amount: bigint;
  initialAmount: bigint | null;
  currency: string;
  startDate: string | null;
  endDate: string | null;
  interval: Interval;
  oneTime: boolean;
}

/**
 * `pay/authorization/initiate`: the charges to run on an authorization (a mandate) — `amount` every
 * `interval` from `startDate` (default today) until `endDate` (or once, `oneTime`), the first one
 * `initialAmount` when given. Must fit the mandate: its currency, its validity and its caps (a 4xx
 * naming the field otherwise, nothing charged). A mandate that already has a schedule is a 409.
 */
export async function planCharges(trx: Trx, ctx: AppContext, scope: Scope, id: string, p: PlanInput, offsetMs: number): Promise<Row> {
  const m = await owned(trx, scope, id, "authorization");
  if (!mandateMachine.is.live(m.state)) refuse(m, "charged", "authorization");
  if (m.interval !== null) throw new OkroError("CONFLICT", "authorization: it already has a schedule of charges; cancel it and re-authorise to change it", { field: "authorization" });
  if (p.currency !== m.currency) throw unprocessable("currency", `currency: the authorization is in ${m.currency}, not ${p.currency}`, "currency_mismatch");
  const today = businessToday(ctx, offsetMs);
  const startDate = p.startDate ?? (today > m.start_date ? today : m.start_date);
  if (startDate < today) throw bad("startDate", `startDate: ${startDate} is in the past (today is ${today} in Lagos)`);
  if (startDate < m.start_date) throw unprocessable("startDate", `startDate: the authorization allows charges from ${m.start_date}`, "before_start");
  const endDate = p.endDate ?? m.end_date;
  if (endDate !== null && endDate < startDate) throw bad("endDate", `endDate: ${endDate} is before startDate ${startDate}`);
  if (m.end_date !== null && endDate !== null && endDate > m.end_date) throw unprocessable("endDate", `endDate: the authorization ends on ${m.end_date}`, "after_end");
  const s: Schedule = { interval: p.interval, startDate, endDate, count: p.oneTime ? 1 : null, dayOfMonth: null };
  const sp = scheduleProblems(s)[0];
  if (sp) throw bad(sp.field === "end_date" ? "endDate" : sp.field, sp.message.replace(/^end_date/, "endDate"));
  const terms = termsOf(m);
  for (const [field, amount] of [["initialAmount", p.initialAmount], ["amount", p.amount]] as const) {
    if (amount === null) continue;
    const r = checkCharge({ ...terms, startDate, endDate }, { amount, currency: p.currency, date: startDate, chargedTotal: 0n, chargedInPeriod: 0n });
    if (r) throw unprocessable(field, r.message.replace(/^amount/, field), r.reason);
  }
  const now = ctx.clock.now();
  const planned = await trx
    .updateTable("mandates")
    .set({ interval: p.interval, start_date: startDate, end_date: endDate, count: p.oneTime ? 1 : null, initial_amount: p.initialAmount !== null && p.initialAmount !== p.amount ? p.initialAmount : null, amount: p.amount, updated_at: now })
    .where("id", "=", m.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (planned.state === "active") await startSchedule(trx, ctx, planned, offsetMs);
  return planned;
}

/** The next charges of a mandate (cycle, Lagos date, amount), from today on. */
export async function upcomingCharges(db: store.Executor, ctx: AppContext, scope: Scope, m: Row, limit: number, offsetMs: number) {
  const charges = await store.chargesOf(db, scope, m.id, 1);
  const next = charges[0]?.mandate_cycle !== undefined && charges[0].mandate_cycle !== null ? charges[0].mandate_cycle + 1 : 0;
  return upcoming(m, businessToday(ctx, offsetMs), next, limit);
}

export { scheduleOf, termsOf };

/** The demo's mandate reference: one per demo company, made once. */
export const DEMO_MANDATE_REFERENCE = "okro_demo_monthly";

/**
 * The demo seed's mandate: on the first account of the company with an active consent, a fixed
 * ₦5,000 monthly mandate started two months ago (same day, clamped), active, with its past cycles
 * charged now — ordinary payments the runner executes — and its next cycle scheduled. Nothing when
 * it exists or no account has an active consent. Returns the mandate's id.
 */
export async function ensureDemoMandate(ctx: AppContext, scope: Scope): Promise<string | undefined> {
  const existing = await store.mandateByReference(ctx.db, scope, DEMO_MANDATE_REFERENCE);
  if (existing) return existing.id;
  const offsetMs = await clockOffsetMs(ctx, scope);
  try {
    return await seedDemoMandate(ctx, scope, offsetMs);
  } catch (error) {
    // Two starts seeding at once: the unique reference lets one win; the other gets its mandate.
    const winner = await store.mandateByReference(ctx.db, scope, DEMO_MANDATE_REFERENCE);
    if (winner) return winner.id;
    throw error;
  }
}

async function seedDemoMandate(ctx: AppContext, scope: Scope, offsetMs: number): Promise<string | undefined> {
  return ctx.db.transaction().execute(async (trx) => {
    const consent = await trx
      .selectFrom("payment_consents")
      .selectAll()
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .where("status", "=", "active")
      .orderBy("created_at")
      .executeTakeFirst();
    if (!consent) return undefined;
    // Charges need somewhere to go: the demo's settlement account (absent when the bank was unreachable).
    if (!(await defaultCompanyAccount(trx, scope, "NGN"))) return undefined;
    const account = await store.findAccount(trx, scope, consent.account_id);
    if (!account) return undefined;
    const today = businessToday(ctx, offsetMs);
    // Two months ago, on today's day (at most the 28th, so every month has it).
    const back = Number(today.slice(0, 4)) * 12 + Number(today.slice(5, 7)) - 1 - 2;
    const start = `${Math.floor(back / 12)}-${String((back % 12) + 1).padStart(2, "0")}-${String(Math.min(28, Number(today.slice(8, 10)))).padStart(2, "0")}`;
    const now = ctx.clock.now();
    let row = await store.insertMandate(trx, {
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      customer_id: account.customer_id,
      account_id: account.id,
      bank_id: account.bank_id,
      consent_id: consent.id,
      state: "awaiting_customer",
      source: "api",
      debit_type: "fixed",
      currency: account.currency,
      amount: 500_000n,
      start_date: start,
      interval: "monthly",
      purpose: "Demo Store membership",
      reference: DEMO_MANDATE_REFERENCE,
      options: JSON.stringify({ reference: DEMO_MANDATE_REFERENCE }),
      retry_attempts: DEFAULT_RETRY_POLICY.attempts,
      retry_spacing_hours: DEFAULT_RETRY_POLICY.spacingHours,
      authorised_at: now,
      created_at: now,
      updated_at: now,
    });
    await recordMandateCreated(trx, row, "customer", "demo_seed", now);
    row = (await moveMandate(trx, ctx, row, "active", { actor: "bank", reason: "demo_seed", set: { activated_at: now } }))!;
    // Its history: every cycle up to today, charged now.
    const s = scheduleOf(row)!;
    // (By each cycle's own date: the history is written, not run; a cycle moved past today is charged once, here.)
    for (let n = 0; hasCycle(s, n) && cycleDate(s, n) <= today; n++) await chargeCycle(trx, ctx, row, n, 1, offsetMs);
    await startSchedule(trx, ctx, row, offsetMs);
    return row.id;
  });
}
