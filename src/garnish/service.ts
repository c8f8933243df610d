import type { AppContext } from "../context.js";
import type { Executor, Trx } from "../core/db.js";
import { OkroError } from "../core/errors.js";
import type { Scope } from "../core/tenancy.js";
import { newId } from "../lib/ids.js";
import { businessToday, sweepMandateOnConsent } from "../mandates/service.js";
import { scheduleProblems, type Interval } from "../mandates/schedule.js";
import { receivingAccount } from "../payments/company-accounts.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES } from "../payments/types.js";
import { debtProblems, garnishmentMachine, owedOf, standing } from "./domain.js";
import * as store from "./store.js";
import { enqueueReconcile, enqueueRequestedSweep, startSweeps } from "./sweeps.js";
import { moveGarnishment, recordGarnishmentCreated } from "./transitions.js";
import { garnishmentView, type GarnishmentView } from "./views.js";

/**
 * Garnishments: creating them (Okro's `garnish/create`, Okra's `pay/initiate` with `type:
 * garnish`), pause/resume/update/cancel, a sweep on request, reading. A recovery's state changes
 * only through transitions.ts; its sweeps and outcomes are jobs (sweeps.ts). Functions taking a
 * `trx` run in the caller's transaction and never call a bank.
 */

type Row = store.GarnishmentRow;

const bad = (field: string, message: string) => new OkroError("INVALID_FIELD", message, { field });
const unprocessable = (field: string, message: string, reason: string) => new OkroError("UNPROCESSABLE", message, { field, data: { reason } });

export interface NewGarnishment {
  customerId: string | null;
  /** The sweep mandates it may draw on; null: every live sweep mandate of the customer not backing another recovery. */
  mandateIds: string[] | null;
  currency: string;
  principal: bigint;
  interest: bigint;
  /** Refused unless absent or 0: penal charges are not recoverable. */
  penalties: bigint | null;
  floor: bigint;
  interval: Interval;
  dayOfMonth: number | null;
  startDate: string | null;
  endDate: string | null;
  accountToCredit: string | null;
  reference: string | null;
  purpose: string | null;
  source: "api" | "pay_initiate";
}

/**
 * Creates a recovery over the debtor's sweep mandates: every bad term a 4xx naming its field,
 * nothing written. Active at once when one of its mandates is active with the bank (else
 * `awaiting_consent`); its sweeps are scheduled either way (a sweep without consent records that
 * it took nothing and why).
 */
export async function createGarnishment(trx: Trx, ctx: AppContext, scope: Scope, input: NewGarnishment, offsetMs: number): Promise<Row> {
  if (!isSupportedCurrency(input.currency)) throw unprocessable("currency", `currency: ${input.currency} is not supported; garnishments are in ${SUPPORTED_CURRENCIES.join(", ")} only`, "unsupported_currency");
  const problem = debtProblems({ principal: input.principal, interest: input.interest, penalties: input.penalties, floor: input.floor })[0];
  if (problem) throw problem.reason === "penalties_not_recoverable" ? unprocessable(problem.field, problem.message, problem.reason) : bad(problem.field, problem.message);
  const today = businessToday(ctx, offsetMs);
  const startDate = input.startDate ?? today;
  if (startDate < today) throw bad("schedule.start_date", `schedule.start_date: ${startDate} is in the past (today is ${today} in Lagos)`);
  const sp = scheduleProblems({ interval: input.interval, startDate, endDate: input.endDate, count: null, dayOfMonth: input.dayOfMonth })[0];
  if (sp) throw bad(`schedule.${sp.field}`, `schedule.${sp.message}`);

  let mandates: Awaited<ReturnType<typeof store.mandatesByIds>>;
  if (input.mandateIds !== null) {
    if (input.mandateIds.length === 0) throw bad("mandates", "mandates: name at least one sweep mandate");
    if (new Set(input.mandateIds).size !== input.mandateIds.length) throw bad("mandates", "mandates: a mandate is named twice");
    const found = await store.mandatesByIds(trx, scope, input.mandateIds);
    mandates = input.mandateIds.map((id, i) => {
      const m = found.find((f) => f.id === id);
      if (!m) throw new OkroError("NOT_FOUND", `mandates[${i}]: no such mandate`, { field: `mandates[${i}]` });
      return m;
    });
  } else {
    if (input.customerId === null) throw new OkroError("MISSING_FIELDS", "customer: required (or name the mandates)", { field: "customer" });
    // One mandate per account (the first by id when the debtor granted two on one account).
    const seen = new Set<string>();
    mandates = (await store.freeSweepMandates(trx, scope, input.customerId, input.currency)).filter((m) => !seen.has(m.account_id) && seen.add(m.account_id));
    if (mandates.length === 0) {
      throw unprocessable("customer", "customer: has no sweep mandate to draw on; the debtor grants one per account (mandates/create with debit_type sweep, or the widget's garnish consent) before the debt", "no_garnish_mandate");
    }
  }
  const customerId = input.customerId ?? mandates[0]!.customer_id;
  const inUse = new Set(await store.mandatesInUse(trx, mandates.map((m) => m.id)));
  const accounts = new Set<string>();
  for (const [i, m] of mandates.entries()) {
    const field = input.mandateIds === null ? "customer" : `mandates[${i}]`;
    if (accounts.has(m.account_id)) throw unprocessable(field, `${field}: another of the mandates covers the same account; a sweep debits each account once`, "same_account");
    accounts.add(m.account_id);
    if (m.customer_id !== customerId) throw unprocessable(field, `${field}: the mandate is another customer's; a garnishment draws on its debtor's accounts only`, "other_customer");
    if (m.debit_type !== "sweep") throw unprocessable(field, `${field}: a ${m.debit_type} mandate; a garnishment draws on sweep mandates only (debit_type sweep)`, "not_sweep_mandate");
    if (!["awaiting_customer", "awaiting_bank", "active", "paused"].includes(m.state)) throw unprocessable(field, `${field}: the mandate is ${m.state}`, "mandate_ended");
    if (m.currency !== input.currency) throw unprocessable("currency", `currency: the mandate ${m.id} is in ${m.currency}, not ${input.currency}`, "currency_mismatch");
    if (inUse.has(m.id)) throw new OkroError("CONFLICT", `${field}: the mandate already backs a garnishment (a sweep mandate backs one recovery)`, { field });
  }
  // The debt may not exceed what the debtor's mandates allow in all.
  const cap = mandates.reduce((s, m) => s + (m.max_total ?? 0n), 0n);
  const owed = owedOf({ principal: input.principal, interest: input.interest });
  if (owed > cap) throw unprocessable("principal", `principal: principal and interest (${owed} kobo) are beyond what the mandates allow in all (${cap} kobo)`, "above_mandate_cap");
  if (input.reference !== null && (await store.garnishmentByReference(trx, scope, input.reference))) {
    throw new OkroError("CONFLICT", `reference: a garnishment with reference ${JSON.stringify(input.reference)} exists`, { field: "reference" });
  }
  const credit = input.accountToCredit !== null ? await receivingAccount(trx, scope, input.accountToCredit, input.currency) : null;
  const now = ctx.clock.now();
  let row = await store.insertGarnishment(trx, {
    id: newId(now),
    company_id: scope.companyId,
    env: scope.env,
    customer_id: customerId,
    state: "awaiting_consent",
    source: input.source,
    currency: input.currency,
    principal: input.principal,
    interest: input.interest,
    floor: input.floor,
    interval: input.interval,
    day_of_month: input.dayOfMonth,
    start_date: startDate,
    end_date: input.endDate,
    account_to_credit: credit?.id ?? null,
    reference: input.reference,
    purpose: input.purpose,
    created_at: now,
    updated_at: now,
  });
  await store.addMandates(trx, row.id, mandates);
  await recordGarnishmentCreated(trx, row, "api", "requested", now);
  const covered = await store.coveredMandates(trx, row.id);
  if (covered.some((m) => m.state === "active" && m.consent_status === "active")) {
    row = (await moveGarnishment(trx, ctx, row, "active", { actor: "api", reason: "consent_given" }))!;
  }
  await startSweeps(trx, ctx, row, offsetMs);
  return row;
}

export async function viewOf(db: Executor, g: Row): Promise<GarnishmentView> {
  return garnishmentView(g, await store.moneyOf(db, g.id), await store.coveredMandates(db, g.id));
}

export async function getGarnishment(db: Executor, scope: Scope, id: string, field = "id"): Promise<Row> {
  const g = await store.garnishmentById(db, scope, id);
  if (!g) throw new OkroError("NOT_FOUND", `${field}: garnishment not found`, { field });
  return g;
}

async function owned(trx: Trx, scope: Scope, id: string): Promise<Row> {
  await getGarnishment(trx, scope, id);
  return (await store.lockGarnishment(trx, id))!;
}

function refuse(g: Row, action: string): never {
  throw new OkroError("CONFLICT", `id: the garnishment is ${g.state}; it cannot be ${action}`, { field: "id", data: { status: g.state } });
}

export async function pauseGarnishment(trx: Trx, ctx: AppContext, scope: Scope, id: string): Promise<Row> {
  const g = await owned(trx, scope, id);
  if (g.state !== "active") refuse(g, "paused (only an active garnishment can)");
  return (await moveGarnishment(trx, ctx, g, "paused", { actor: "api", reason: "paused_by_company" }))!;
}

export async function resumeGarnishment(trx: Trx, ctx: AppContext, scope: Scope, id: string): Promise<Row> {
  const g = await owned(trx, scope, id);
  if (g.state !== "paused") refuse(g, "resumed (only a paused garnishment can)");
  return (await moveGarnishment(trx, ctx, g, "active", { actor: "api", reason: "resumed_by_company" }))!;
}

/** Cancels a recovery: nothing more is swept; debits already sent to the bank finish (and count). */
export async function cancelGarnishment(trx: Trx, ctx: AppContext, scope: Scope, id: string): Promise<Row> {
  const g = await owned(trx, scope, id);
  if (!garnishmentMachine.is.cancellable(g.state)) refuse(g, "cancelled");
  return (await moveGarnishment(trx, ctx, g, "cancelled", { actor: "api", reason: "cancelled_by_company" }))!;
}

/**
 * Lowers the debt (the debtor paid another way, interest waived) or changes the floor. The debt
 * may only go down: what the debtor consented to bounds it. At or below what was collected, the
 * recovery is repaid and the excess is refunded (`garnish.reconcile`, as soon as the debits settle).
 */
export async function updateGarnishment(trx: Trx, ctx: AppContext, scope: Scope, id: string, input: { principal: bigint | null; interest: bigint | null; floor: bigint | null }): Promise<Row> {
  const g = await owned(trx, scope, id);
  if (!garnishmentMachine.is.live(g.state)) refuse(g, "changed");
  const principal = input.principal ?? g.principal;
  const interest = input.interest ?? g.interest;
  const floor = input.floor ?? g.floor;
  const problem = debtProblems({ principal, interest, floor })[0];
  if (problem) throw bad(problem.field, problem.message);
  if (principal > g.principal) throw unprocessable("principal", `principal: may only be lowered (it is ${g.principal} kobo); a larger debt needs a new garnishment`, "cannot_raise");
  if (interest > g.interest) throw unprocessable("interest", `interest: may only be lowered (it is ${g.interest} kobo); a larger debt needs a new garnishment`, "cannot_raise");
  const now = ctx.clock.now();
  const updated = await trx.updateTable("garnishments").set({ principal, interest, floor, updated_at: now }).where("id", "=", g.id).returningAll().executeTakeFirstOrThrow();
  const st = standing({ principal, interest }, await store.moneyOf(trx, g.id));
  if (st.remaining === 0n) {
    const repaid = (await moveGarnishment(trx, ctx, updated, "repaid", { actor: "api", reason: "repaid", detail: { collected: Number(st.collected), owed: Number(st.owed) } }))!;
    if (st.over > 0n) await enqueueReconcile(trx, ctx, repaid, 1, now);
    return repaid;
  }
  // Debits in flight may yet take it past the lowered debt: their outcomes reconcile it.
  return updated;
}

/** `garnish/sweep`: a sweep now. Only an active recovery sweeps: paused or waiting for consent is a 409 naming its state. */
export async function requestSweep(trx: Trx, ctx: AppContext, scope: Scope, id: string): Promise<{ garnishment: Row; job: string }> {
  const g = await owned(trx, scope, id);
  if (g.state === "awaiting_consent") {
    const covered = await store.coveredMandates(trx, g.id);
    if (!covered.some((m) => m.state === "active" && m.consent_status === "active")) {
      throw new OkroError("CONFLICT", "id: the garnishment is awaiting_consent: none of its mandates is active with the bank yet; no consent, no sweep", { field: "id", data: { status: g.state, reason: "no_consent" } });
    }
  } else if (g.state !== "active") refuse(g, "swept");
  return { garnishment: g, job: await enqueueRequestedSweep(trx, ctx, g) };
}

export async function listGarnishments(db: Executor, scope: Scope, f: Parameters<typeof store.listGarnishments>[2]) {
  return store.listGarnishments(db, scope, f);
}

export async function sweepHistory(db: Executor, scope: Scope, id: string, page: number, limit: number) {
  const g = await getGarnishment(db, scope, id);
  return store.listSweeps(db, g.id, page, limit);
}

export interface GarnishInitiate {
  accountToDebit: string;
  accountToCredit: string | null;
  amount: bigint;
  currency: string;
  schedule: { interval: Interval; startDate: string | null; endDate: string | null; dayOfMonth: number | null };
  note: string | null;
}

/**
 * Okra's `pay/initiate` with `type: garnish`: a sweep mandate of at most `amount` on the account's
 * standing consent, and a garnishment of `amount` (all principal) over it and every other live
 * sweep mandate the customer granted that backs no other recovery — so a debtor who consented at
 * several banks is swept at all of them. Errors name Okra's fields (`amount`, `schedule.*`).
 */
export async function startGarnishFromInitiate(trx: Trx, ctx: AppContext, scope: Scope, input: GarnishInitiate, offsetMs: number): Promise<Row> {
  // The debtor's own sweep consent on this account (a sweep mandate no recovery uses yet) is what
  // they signed for the lender: the recovery draws on it. Only an account without one gets a sweep
  // mandate written on its standing payment consent (a consent bound to another mandate is refused there).
  const customerId = await store.accountCustomer(trx, scope, input.accountToDebit);
  const signed = customerId ? (await store.freeSweepMandates(trx, scope, customerId, input.currency)).find((m) => m.account_id === input.accountToDebit) : undefined;
  const mandate =
    signed ??
    (await sweepMandateOnConsent(
      trx,
      ctx,
      scope,
      { accountToDebit: input.accountToDebit, currency: input.currency, maxTotal: input.amount, endDate: input.schedule.endDate, accountToCredit: input.accountToCredit, purpose: input.note },
      offsetMs,
    ));
  const others = await store.freeSweepMandates(trx, scope, mandate.customer_id, input.currency);
  // Every other account the debtor consented to sweep (one mandate each), besides this one.
  const accounts = new Set([mandate.account_id]);
  const ids = [mandate.id, ...others.filter((m) => !accounts.has(m.account_id) && accounts.add(m.account_id)).map((m) => m.id)];
  try {
    return await createGarnishment(
      trx,
      ctx,
      scope,
      {
        customerId: mandate.customer_id,
        mandateIds: ids,
        currency: input.currency,
        principal: input.amount,
        interest: 0n,
        penalties: null,
        floor: 0n,
        interval: input.schedule.interval,
        dayOfMonth: input.schedule.dayOfMonth,
        startDate: input.schedule.startDate,
        endDate: input.schedule.endDate,
        accountToCredit: input.accountToCredit,
        reference: null,
        purpose: input.note,
        source: "pay_initiate",
      },
      offsetMs,
    );
  } catch (error) {
    if (error instanceof OkroError && error.field) {
      const renamed: Record<string, string> = { principal: "amount", "schedule.start_date": "schedule.startDate", "schedule.end_date": "schedule.endDate", "schedule.day_of_month": "schedule.dayOfMonth" };
      const to = renamed[error.field] ?? (error.field.startsWith("mandates[") ? "account_to_debit" : undefined);
      if (to) throw new OkroError(error.code, `${to}${error.message.slice(error.field.length)}`, { field: to, ...(error.data ? { data: error.data } : {}) });
    }
    throw error;
  }
}
