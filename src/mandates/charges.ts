import type { Trx } from "../core/db.js";
import { z } from "zod";
import type { AppContext } from "../context.js";
import type { Scope } from "../core/tenancy.js";
import { defineJob, type RunningJob } from "../jobs/define.js";
import { enqueue } from "../jobs/store.js";
import { kobo } from "../lib/kobo.js";
import { refreshBalance } from "../data/refresh.js";
import { checkConsent } from "../payments/execute.js";
import { createMandateCharge } from "../payments/service.js";
import { paymentView } from "../payments/views.js";
import { checkCharge, classifyFailure, mandateMachine, nextRetry, validUntil } from "./domain.js";
import { chargeDate, cycleDate, dueInstant, firstChargeOnOrAfter, firstCycleOnOrAfter, hasCycle, lagosDate, periodStart, startOfLagosDay } from "./schedule.js";
import { chargedSoFar, consentById, lockMandate, paymentById, type MandateRow } from "./store.js";
import { emitMandateEvent, moveMandate } from "./transitions.js";
import { cycleAmount, scheduleOf, termsOf } from "./views.js";

/**
 * The mandate's work on the one job runner (docs/decisions/0012, 0016): no loop, lease or polling
 * of its own. Four kinds, each enqueued in the transaction of the change that makes it due:
 *
 * - `mandates.charge` (key `mandate:<id>:cycle:<date>`, retries `…:attempt:<k>`): due at the
 *   cycle's 08:00 Lagos. Creates the cycle's payment when the mandate is active and the charge is
 *   within its caps (else records why it was skipped), and enqueues the next cycle. The key makes
 *   each cycle one job; the payments' unique (mandate, cycle, attempt) index makes it one payment,
 *   whatever crashes or workers race (invariant 9).
 * - `mandates.charge_outcome` (key `mandate:<id>:payment:<pid>:check:<n>`): reads what became of
 *   the charge's payment (executed by the payments engine like any other); while it is in flight,
 *   looks again later (each check its own key, with backoff, as payment re-queries do). A failure
 *   for insufficient funds is retried by the mandate's policy; a mandate-level one (authority
 *   revoked, account gone) revokes the mandate, which stops its schedule.
 * - `mandates.activate` (key `mandate:<id>:activation:<n>`): a mandate waiting for its bank-side
 *   authority (the consent) becomes active once the bank activates it, or rejected.
 * - `mandates.expire` (key `mandate:<id>:expiry`): at the end of its last day.
 *
 * Business time: a sandbox company's clock can run ahead of the platform's (time travel). Due
 * instants are computed on the company's clock and turned into platform run times by its offset;
 * advancing the sandbox clock shifts these jobs (`shiftSandboxJobs`: their payload says
 * `env: "sandbox"`), so everything that became due runs.
 */

const Base = { mandateId: z.string().min(1), env: z.enum(["sandbox", "production"]) };
const ChargePayload = z.object({ ...Base, cycle: z.number().int().min(0), attempt: z.number().int().min(1) });
const OutcomePayload = z.object({ ...Base, paymentId: z.string().min(1), cycle: z.number().int().min(0), attempt: z.number().int().min(1), check: z.number().int().min(1) });
const CheckPayload = z.object({ ...Base, check: z.number().int().min(1) });
const ExpiryPayload = z.object(Base);
const NoticePayload = z.object({ ...Base, cycle: z.number().int().min(0) });

/** First look at a charge's outcome this long after creating it, then doubling, at most {@link OUTCOME_CHECK_MAX_MS}. */
export const OUTCOME_CHECK_MS = 60_000;
export const OUTCOME_CHECK_MAX_MS = 6 * 3_600_000;
/** Look again at a pending bank-side authority this often (or at its announced activation time). */
export const ACTIVATION_CHECK_MS = 60_000;

const scopeOf = (m: Pick<MandateRow, "company_id" | "env">): Scope => ({ companyId: m.company_id, env: m.env });

/** How far the company's business clock runs ahead of the platform's: its sandbox clock's offset; 0 in production. */
export async function clockOffsetMs(ctx: AppContext, scope: Scope): Promise<number> {
  if (scope.env !== "sandbox") return 0;
  return (await ctx.sandbox.getClock(scope.companyId)).offsetMs;
}

/** Platform run time of a business instant. */
const runAtOf = (business: Date, offsetMs: number) => new Date(business.getTime() - offsetMs);


/**
 * Enqueues cycle `cycle` (attempt 1) of an active mandate, due at its date's 08:00 Lagos, and its
 * pre-debit notice: `notice_days` before the charge, or now when the cycle is enqueued later than
 * that (a daily schedule gets a day's notice); none when the charge is due already.
 */
async function enqueueCycle(trx: Trx, ctx: AppContext, m: MandateRow, cycle: number, offsetMs: number): Promise<void> {
  const s = scheduleOf(m);
  if (!s || !hasCycle(s, cycle)) return;
  // The job is the cycle's (keyed by its own date); it runs on the day the charge is taken (weekends and holidays moved).
  const date = cycleDate(s, cycle);
  const now = ctx.clock.now();
  const due = dueInstant(chargeDate(s, cycle));
  await enqueue(trx, chargeJob, { mandateId: m.id, env: m.env, cycle, attempt: 1 }, { now, key: `mandate:${m.id}:cycle:${date}`, runAt: runAtOf(due, offsetMs), companyId: m.company_id });
  if (m.notice_days > 0 && due.getTime() > now.getTime() + offsetMs) {
    const noticeAt = runAtOf(new Date(due.getTime() - m.notice_days * 86_400_000), offsetMs);
    await enqueue(trx, noticeJob, { mandateId: m.id, env: m.env, cycle }, { now, key: `mandate:${m.id}:notice:${date}`, runAt: noticeAt > now ? noticeAt : now, companyId: m.company_id });
  }
}

/**
 * Active from now: the move (with `mandate.active`), the first cycle on or after today (business
 * time) and the expiry. Used on activation by the bank, on `pay/initiate` with a standing consent,
 * and when `pay/authorization/initiate` gives an active mandate its schedule.
 */
export async function activate(trx: Trx, ctx: AppContext, m: MandateRow, reason: string, offsetMs: number): Promise<MandateRow | undefined> {
  const moved = m.state === "active" ? m : await moveMandate(trx, ctx, m, "active", { actor: m.state === "awaiting_bank" ? "bank" : "scheduler", reason, set: { activated_at: ctx.clock.now() } });
  if (!moved) return undefined;
  await startSchedule(trx, ctx, moved, offsetMs);
  const until = validUntil(termsOf(moved));
  if (until) {
    await enqueue(trx, expiryJob, { mandateId: moved.id, env: moved.env }, { now: ctx.clock.now(), key: `mandate:${moved.id}:expiry`, runAt: runAtOf(until, offsetMs), companyId: moved.company_id });
  }
  return moved;
}

/** Enqueues the first cycle on or after today (business time) of an active mandate's schedule. */
export async function startSchedule(trx: Trx, ctx: AppContext, m: MandateRow, offsetMs: number): Promise<void> {
  const s = scheduleOf(m);
  if (!s) return;
  const today = lagosDate(new Date(ctx.clock.now().getTime() + offsetMs));
  await enqueueCycle(trx, ctx, m, firstChargeOnOrAfter(s, today > s.startDate ? today : s.startDate), offsetMs);
}

/** Waits for the bank-side authority: check `check` at `at` (platform time). */
export async function enqueueActivationCheck(trx: Trx, ctx: AppContext, m: MandateRow, check: number, at: Date): Promise<void> {
  await enqueue(trx, activationJob, { mandateId: m.id, env: m.env, check }, { now: ctx.clock.now(), key: `mandate:${m.id}:activation:${check}`, runAt: at, companyId: m.company_id });
}

export type ChargeResult =
  | { kind: "charged"; paymentId: string }
  | { kind: "exists" }
  | { kind: "skipped"; reason: string; field?: string; message?: string };

/**
 * Cycle `cycle`, try `attempt`, of a locked mandate: the payment when the mandate is active and the
 * charge within its caps; otherwise `mandate.charge_skipped` says why and nothing is charged.
 * Idempotent: a charge that exists is not made again.
 */
export async function chargeCycle(trx: Trx, ctx: AppContext, m: MandateRow, cycle: number, attempt: number, offsetMs: number): Promise<ChargeResult> {
  const s = scheduleOf(m);
  const now = ctx.clock.now();
  const today = lagosDate(new Date(now.getTime() + offsetMs));
  if (!s || !hasCycle(s, cycle)) return { kind: "skipped", reason: "no_such_cycle" };
  const date = cycleDate(s, cycle);
  const skip = async (reason: string, extra: { field?: string; message?: string } = {}): Promise<ChargeResult> => {
    await emitMandateEvent(trx, m, "mandate.charge_skipped", now, { cycle, attempt, date, reason, ...(extra.message ? { message: extra.message } : {}) });
    return { kind: "skipped", reason, ...extra };
  };
  // An ended mandate charges nothing and says nothing more (its end was the news); a paused or
  // not yet active one skips the cycle and says so.
  if (mandateMachine.isTerminal(m.state)) return { kind: "skipped", reason: `mandate_${m.state}` };
  if (!mandateMachine.is.chargeable(m.state)) return skip(m.state === "paused" ? "paused" : `mandate_${m.state}`);
  if (!m.consent_id) return skip("no_bank_authority");
  const amount = cycleAmount(m, cycle);
  if (amount === null) return skip("no_amount");
  // Cycles in the same cap period as this one (a per-period cap counts what they charged).
  const periodCycles: number[] = [];
  if (m.period) {
    const ps = periodStart(m.period, date);
    for (let k = cycle; k >= 0 && periodStart(m.period, cycleDate(s, k)) === ps; k--) periodCycles.push(k);
  }
  // Ad-hoc charges (bulk rows: no cycle) count in the period by the instant they were made.
  const adHocSince = m.period ? new Date(startOfLagosDay(periodStart(m.period, date)).getTime() - offsetMs) : undefined;
  const sums = await chargedSoFar(trx, m.id, periodCycles, adHocSince);
  // The first try is judged on its cycle's date; a retry on the day it runs (never after the end).
  // The initial amount is what the customer authorised for the first cycle.
  const terms = cycle === 0 && m.initial_amount !== null && m.debit_type === "fixed" ? { ...termsOf(m), amount: m.initial_amount } : termsOf(m);
  const refusal = checkCharge(terms, { amount, currency: m.currency, date: attempt === 1 ? date : today, chargedTotal: sums.total, chargedInPeriod: sums.inPeriod });
  if (refusal) return skip(refusal.reason, { field: refusal.field, message: refusal.message });
  const payment = await createMandateCharge(trx, ctx, scopeOf(m), {
    mandateId: m.id,
    consentId: m.consent_id,
    accountId: m.account_id,
    ...(m.account_to_credit ? { accountToCredit: m.account_to_credit } : {}),
    amount: kobo(amount),
    currency: m.currency,
    cycle,
    chargeAttempt: attempt,
    note: `${m.purpose ?? "Mandate"} — cycle ${cycle + 1} (${date})${attempt > 1 ? `, retry ${attempt - 1}` : ""}`,
  });
  if (!payment) return { kind: "exists" };
  await enqueue(
    trx,
    outcomeJob,
    { mandateId: m.id, env: m.env, paymentId: payment.id, cycle, attempt, check: 1 },
    { now, key: `mandate:${m.id}:payment:${payment.id}:check:1`, runAt: new Date(now.getTime() + OUTCOME_CHECK_MS), companyId: m.company_id },
  );
  return { kind: "charged", paymentId: payment.id };
}

/** The mandate's row without a tenant (jobs carry its id) and its business-clock offset, read before the job's transaction. */
async function load(ctx: AppContext, id: string): Promise<{ m: MandateRow; offsetMs: number } | undefined> {
  const m = await ctx.db.selectFrom("mandates").selectAll().where("id", "=", id).executeTakeFirst();
  if (!m) return undefined;
  return { m, offsetMs: await clockOffsetMs(ctx, scopeOf(m)) };
}

/**
 * A schedule bounded by a count has no end date to expire on: once its last cycle is over (charged
 * and final, or skipped) the mandate is `expired` (`mandate.expired`, reason `schedule_completed`).
 * Nothing when the cycle is not the last, the schedule is open-ended, or the mandate already ended.
 */
async function completeIfLast(trx: Trx, ctx: AppContext, m: MandateRow, cycle: number): Promise<void> {
  const s = scheduleOf(m);
  if (!s || s.count === null || hasCycle(s, cycle + 1) || !mandateMachine.is.live(m.state)) return;
  await moveMandate(trx, ctx, m, "expired", { actor: "scheduler", reason: "schedule_completed", detail: { cycle, count: s.count } });
}

/** Enqueues try `attempt` of cycle `cycle` at `at` (business time). */
async function enqueueRetry(trx: Trx, ctx: AppContext, m: MandateRow, cycle: number, attempt: number, at: Date, offsetMs: number): Promise<void> {
  const date = cycleDate(scheduleOf(m)!, cycle);
  await enqueue(trx, chargeJob, { mandateId: m.id, env: m.env, cycle, attempt }, { now: ctx.clock.now(), key: `mandate:${m.id}:cycle:${date}:attempt:${attempt}`, runAt: runAtOf(at, offsetMs), companyId: m.company_id });
}

/**
 * Before a retry after insufficient funds (decision 0016): the account's balance, read from its
 * bank with the customer's stored connection (a `balance.success` refresh). Null when it cannot be
 * read (no stored session, bank down, …): the retry then goes to the bank, which decides.
 */
async function balanceBeforeRetry(ctx: AppContext, m: MandateRow): Promise<bigint | null> {
  try {
    const b = await refreshBalance(ctx, scopeOf(m), m.account_id);
    return b.currency === m.currency ? BigInt(b.available_balance) : null;
  } catch {
    return null;
  }
}

async function runCharge(job: RunningJob<z.output<typeof ChargePayload>>): Promise<void> {
  const { ctx, payload } = job;
  const loaded = await load(ctx, payload.mandateId);
  if (!loaded) return job.complete();
  const amount = cycleAmount(loaded.m, payload.cycle);
  const balance = payload.attempt > 1 && loaded.m.retry_balance_check && mandateMachine.is.chargeable(loaded.m.state) && amount !== null ? await balanceBeforeRetry(ctx, loaded.m) : null;
  if (balance !== null && amount !== null && balance < amount) {
    // Still short: this try is spent without asking the bank for money that is not there; the next
    // one comes per the policy, as if the bank had refused it.
    return job.complete(async (trx) => {
      const m = await lockMandate(trx, payload.mandateId);
      if (!m || !mandateMachine.is.chargeable(m.state)) return;
      const now = ctx.clock.now();
      const next = nextRetry({ attempts: m.retry_attempts, spacingHours: m.retry_spacing_hours }, "insufficient_funds", payload.attempt, new Date(now.getTime() + loaded.offsetMs));
      await emitMandateEvent(trx, m, "mandate.charge_failed", now, {
        cycle: payload.cycle,
        attempt: payload.attempt,
        payment: null,
        reason: "insufficient_balance",
        message: `the account's available balance (${balance} kobo) is below the charge (${amount} kobo): not sent to the bank`,
        failure: "insufficient_funds",
        will_retry: next.willRetry,
        next_retry_at: next.willRetry ? next.at.toISOString() : null,
      });
      if (next.willRetry) return enqueueRetry(trx, ctx, m, payload.cycle, payload.attempt + 1, next.at, loaded.offsetMs);
      await completeIfLast(trx, ctx, m, payload.cycle);
    });
  }
  await job.complete(async (trx) => {
    const m = await lockMandate(trx, payload.mandateId);
    if (!m) return;
    const result = await chargeCycle(trx, ctx, m, payload.cycle, payload.attempt, loaded.offsetMs);
    // A skipped last cycle ends a count-bounded schedule here; a charged one when its outcome is final.
    if (result.kind === "skipped") await completeIfLast(trx, ctx, m, payload.cycle);
    // The schedule goes on while the mandate may still charge (a paused one skips cycles).
    if (payload.attempt === 1 && mandateMachine.is.live(m.state)) await enqueueCycle(trx, ctx, m, payload.cycle + 1, loaded.offsetMs);
  });
}

const IN_FLIGHT = new Set(["queued", "awaiting_authorisation", "review", "processing", "unknown"]);

async function runOutcome(job: RunningJob<z.output<typeof OutcomePayload>>): Promise<void> {
  const { ctx, payload } = job;
  const loaded = await load(ctx, payload.mandateId);
  if (!loaded) return job.complete();
  await job.complete(async (trx) => {
    const payment = await paymentById(trx, payload.paymentId);
    const m = await lockMandate(trx, payload.mandateId);
    if (!payment || !m) return;
    const now = ctx.clock.now();
    const detail = { cycle: payload.cycle, attempt: payload.attempt, payment: paymentView(payment) };
    if (IN_FLIGHT.has(payment.state)) {
      const wait = Math.min(OUTCOME_CHECK_MAX_MS, OUTCOME_CHECK_MS * 2 ** payload.check);
      const check = payload.check + 1;
      await enqueue(trx, outcomeJob, { ...payload, check }, { now, key: `mandate:${m.id}:payment:${payment.id}:check:${check}`, runAt: new Date(now.getTime() + wait), companyId: m.company_id });
      return;
    }
    if (payment.state === "succeeded" || payment.state === "settled") {
      await emitMandateEvent(trx, m, "mandate.charge_succeeded", now, detail);
      await completeIfLast(trx, ctx, m, payload.cycle);
      return;
    }
    if (payment.state === "reversed") return completeIfLast(trx, ctx, m, payload.cycle);
    const failure = payment.state === "cancelled" ? "other" : classifyFailure(payment.failure_code);
    const business = new Date(now.getTime() + loaded.offsetMs);
    const next = mandateMachine.is.chargeable(m.state) ? nextRetry({ attempts: m.retry_attempts, spacingHours: m.retry_spacing_hours }, failure, payload.attempt, business) : ({ willRetry: false } as const);
    await emitMandateEvent(trx, m, "mandate.charge_failed", now, {
      ...detail,
      reason: payment.failure_code,
      message: payment.failure_reason,
      failure,
      will_retry: next.willRetry,
      next_retry_at: next.willRetry ? next.at.toISOString() : null,
    });
    if (next.willRetry) return enqueueRetry(trx, ctx, m, payload.cycle, payload.attempt + 1, next.at, loaded.offsetMs);
    if (failure === "mandate" && (m.state === "active" || m.state === "paused")) {
      await moveMandate(trx, ctx, m, "revoked", { actor: "bank", reason: "bank_authority_ended", detail: { cycle: payload.cycle, payment: payment.id, failure_code: payment.failure_code, message: payment.failure_reason } });
      return;
    }
    await completeIfLast(trx, ctx, m, payload.cycle);
  });
}

async function runActivation(job: RunningJob<z.output<typeof CheckPayload>>): Promise<void> {
  const { ctx, payload } = job;
  const loaded = await load(ctx, payload.mandateId);
  if (!loaded) return job.complete();
  // The bank announced its activation and that time has come on the business clock (time travel may
  // have just skipped to it): ask the bank now — the consent's own check, compare-and-set on its
  // check number — rather than wait for that job to come round in some later pass.
  if (loaded.m.state === "awaiting_bank" && loaded.m.consent_id) {
    const consent = await consentById(ctx.db, loaded.m.consent_id);
    if (consent?.status === "pending" && consent.activates_at && consent.activates_at.getTime() <= ctx.clock.now().getTime() + loaded.offsetMs) {
      await checkConsent(ctx, consent, { consentId: consent.id, seq: consent.checks, env: consent.env });
    }
  }
  await job.complete(async (trx) => {
    const m = await lockMandate(trx, payload.mandateId);
    if (!m || m.state !== "awaiting_bank" || !m.consent_id) return;
    const consent = await consentById(trx, m.consent_id);
    if (!consent || consent.status === "revoked") {
      await moveMandate(trx, ctx, m, "rejected", { actor: "bank", reason: "bank_rejected" });
      return;
    }
    if (consent.status === "active") {
      await activate(trx, ctx, m, "bank_activated", loaded.offsetMs);
      return;
    }
    const now = ctx.clock.now();
    // The bank announces activation on its own (business) clock: run then, in platform time.
    const announced = consent.activates_at ? consent.activates_at.getTime() - loaded.offsetMs : 0;
    const at = new Date(Math.max(now.getTime() + ACTIVATION_CHECK_MS * Math.min(60, 2 ** (payload.check - 1)), announced));
    await enqueueActivationCheck(trx, ctx, m, payload.check + 1, at);
  });
}

/**
 * `mandate.charge_upcoming`: the pre-debit notice of a cycle — its date, amount and when it will be
 * taken — while the mandate is active and the cycle still ahead (a paused mandate skips the cycle,
 * so it gets no notice; an ended one says nothing more).
 */
async function runNotice(job: RunningJob<z.output<typeof NoticePayload>>): Promise<void> {
  const { ctx, payload } = job;
  const loaded = await load(ctx, payload.mandateId);
  if (!loaded) return job.complete();
  await job.complete(async (trx) => {
    const m = await lockMandate(trx, payload.mandateId);
    const s = m && scheduleOf(m);
    if (!m || !s || !mandateMachine.is.chargeable(m.state) || !hasCycle(s, payload.cycle)) return;
    const date = chargeDate(s, payload.cycle);
    const due = dueInstant(date);
    const now = ctx.clock.now();
    if (due.getTime() <= now.getTime() + loaded.offsetMs) return;
    const amount = cycleAmount(m, payload.cycle);
    await emitMandateEvent(trx, m, "mandate.charge_upcoming", now, {
      cycle: payload.cycle,
      date,
      amount: amount === null ? null : Number(amount),
      currency: m.currency,
      charge_at: due.toISOString(),
      notice_days: m.notice_days,
    });
  });
}

async function runExpiry(job: RunningJob<z.output<typeof ExpiryPayload>>): Promise<void> {
  const { ctx, payload } = job;
  await job.complete(async (trx) => {
    const m = await lockMandate(trx, payload.mandateId);
    if (!m || !mandateMachine.is.live(m.state)) return;
    await moveMandate(trx, ctx, m, "expired", { actor: "scheduler", reason: "end_date_passed" });
  });
}

export const chargeJob = defineJob({ name: "mandates.charge", payload: ChargePayload, handler: runCharge });
export const outcomeJob = defineJob({ name: "mandates.charge_outcome", payload: OutcomePayload, handler: runOutcome });
export const activationJob = defineJob({ name: "mandates.activate", payload: CheckPayload, handler: runActivation });
export const expiryJob = defineJob({ name: "mandates.expire", payload: ExpiryPayload, handler: runExpiry });
export const noticeJob = defineJob({ name: "mandates.charge_notice", payload: NoticePayload, handler: runNotice });

/** Every mandate job, for the runners of `okro serve` and `okro worker`. */
export const MANDATE_JOBS = [chargeJob, outcomeJob, activationJob, expiryJob, noticeJob] as const;
