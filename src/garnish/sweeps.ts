import { z } from "zod";
import type { AppContext } from "../context.js";
import type { Trx } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";
import { isConnectorError } from "../banks/connector.js";
import { connectorFor } from "../banks/networks.js";
import { defineJob, type RunningJob } from "../jobs/define.js";
import { enqueue } from "../jobs/store.js";
import { newId } from "../lib/ids.js";
import { kobo } from "../lib/kobo.js";
import { clockOffsetMs } from "../mandates/charges.js";
import { cycleDate, dueInstant, endOfLagosDay, firstCycleOnOrAfter, hasCycle, lagosDate, type Schedule } from "../mandates/schedule.js";
import { observePayments, type PaymentMove } from "../payments/observers.js";
import { createRefund } from "../payments/refunds.js";
import { createMandateCharge } from "../payments/service.js";
import { paymentView } from "../payments/views.js";
import { garnishmentMachine, planSweep, standing, type SweepAccount } from "./domain.js";
import * as store from "./store.js";
import { emitGarnishmentEvent, moveGarnishment } from "./transitions.js";
import { sweepView, type SweepLine } from "./views.js";

/**
 * A garnishment's work on the one job runner (docs/decisions/0012, 0021): no loop, lease or
 * polling of its own. Enqueued in the transaction of the change that makes them due:
 *
 * - `garnish.sweep` (key `garnishment:<id>:sweep:<date>` on the schedule, `…:request:<id>` on
 *   `garnish/sweep`): the balance of every covered account through its bank connector (before the
 *   job's transaction: no bank call holds a lock), then, under the recovery's row lock, the plan
 *   ({@link planSweep}: largest balance first, then account id; never more than is still owed
 *   minus what is in flight, the floor left in each account, each account's caps) and one ordinary
 *   payment per account taken from, carrying (mandate, cycle = sweep number, attempt 1): the
 *   payments' unique index makes it once per sweep and account whatever races. The sweep is
 *   recorded (each account's balance seen, what was taken, why not) and announced.
 * - `garnish.outcome` (key `garnishment:<id>:payment:<pid>:check:<n>`): what became of a debit;
 *   `garnishment.collected` when the bank confirmed it, `garnishment.debit_failed` when not; then
 *   {@link reconcile}: repaid the moment collected reaches owed, over-collection refunded.
 * - `garnish.reconcile` (key `garnishment:<id>:reconcile:<n>`): the same reconcile after the
 *   company lowered the debt, looking again while refundable money has not settled yet.
 * - `garnish.expire` (key `garnishment:<id>:expiry`): at the end of its stop date.
 * - `garnish.reversal` (key `garnishment:<id>:reversal:<pid>`): enqueued, in the payment's own
 *   transaction, when the bank reverses one of its debits (a payment observer); reopens a recovery
 *   that was repaid, or says the shortfall (docs/decisions/0023).
 */

const Base = { garnishmentId: z.string().min(1), env: z.enum(["sandbox", "production"]) };
const SweepPayload = z.object({ ...Base, trigger: z.enum(["schedule", "request"]), cycle: z.number().int().min(0).optional() });
const OutcomePayload = z.object({ ...Base, paymentId: z.string().min(1), check: z.number().int().min(1), announced: z.boolean().default(false) });
const CheckPayload = z.object({ ...Base, check: z.number().int().min(1) });
const ExpiryPayload = z.object(Base);
const ReversalPayload = z.object({ ...Base, paymentId: z.string().min(1) });

/** First look at a debit's outcome this long after it was made, then doubling, at most {@link OUTCOME_CHECK_MAX_MS}. */
export const OUTCOME_CHECK_MS = 60_000;
export const OUTCOME_CHECK_MAX_MS = 6 * 3_600_000;

const scopeOf = (g: Pick<store.GarnishmentRow, "company_id" | "env">): Scope => ({ companyId: g.company_id, env: g.env });
const runAtOf = (business: Date, offsetMs: number) => new Date(business.getTime() - offsetMs);

export function scheduleOfGarnishment(g: store.GarnishmentRow): Schedule | null {
  if (g.interval === null) return null;
  return { interval: g.interval, startDate: g.start_date, endDate: g.end_date, count: null, dayOfMonth: g.day_of_month };
}

async function enqueueCycle(trx: Trx, ctx: AppContext, g: store.GarnishmentRow, cycle: number, offsetMs: number): Promise<void> {
  const s = scheduleOfGarnishment(g);
  if (!s || !hasCycle(s, cycle)) return;
  const date = cycleDate(s, cycle);
  await enqueue(trx, sweepJob, { garnishmentId: g.id, env: g.env, trigger: "schedule", cycle }, { now: ctx.clock.now(), key: `garnishment:${g.id}:sweep:${date}`, runAt: runAtOf(dueInstant(date), offsetMs), companyId: g.company_id });
}

/**
 * Starts a recovery's schedule: its first sweep on or after today (business time; a sweep due
 * earlier today runs at once) and its expiry at the end of its stop date.
 */
export async function startSweeps(trx: Trx, ctx: AppContext, g: store.GarnishmentRow, offsetMs: number): Promise<void> {
  const s = scheduleOfGarnishment(g);
  const today = lagosDate(new Date(ctx.clock.now().getTime() + offsetMs));
  if (s) await enqueueCycle(trx, ctx, g, firstCycleOnOrAfter(s, today > s.startDate ? today : s.startDate), offsetMs);
  if (g.end_date !== null) {
    await enqueue(trx, expiryJob, { garnishmentId: g.id, env: g.env }, { now: ctx.clock.now(), key: `garnishment:${g.id}:expiry`, runAt: runAtOf(endOfLagosDay(g.end_date), offsetMs), companyId: g.company_id });
  }
}

/**
 * Restarts the schedule of a recovery that reopened: the first cycle on or after today whose
 * sweep has not run yet (today's, when it ran before the recovery was repaid, is not run twice: its
 * key exists, so the next one is enqueued).
 */
async function restartSweeps(trx: Trx, ctx: AppContext, g: store.GarnishmentRow, offsetMs: number): Promise<void> {
  const s = scheduleOfGarnishment(g);
  if (!s) return;
  const today = lagosDate(new Date(ctx.clock.now().getTime() + offsetMs));
  for (let cycle = firstCycleOnOrAfter(s, today > s.startDate ? today : s.startDate); hasCycle(s, cycle); cycle++) {
    const key = `garnishment:${g.id}:sweep:${cycleDate(s, cycle)}`;
    const ran = await trx.selectFrom("jobs").select("id").where("name", "=", sweepJob.name).where("key", "=", key).executeTakeFirst();
    if (!ran) return enqueueCycle(trx, ctx, g, cycle, offsetMs);
  }
}

/** `garnish/sweep`: a sweep now, as a job (the answer is the job; its record appears in the sweep history once it ran). */
export async function enqueueRequestedSweep(trx: Trx, ctx: AppContext, g: store.GarnishmentRow): Promise<string> {
  const now = ctx.clock.now();
  const key = `garnishment:${g.id}:request:${newId(now)}`;
  await enqueue(trx, sweepJob, { garnishmentId: g.id, env: g.env, trigger: "request" }, { now, key, runAt: now, companyId: g.company_id });
  return key;
}

export async function enqueueReconcile(trx: Trx, ctx: AppContext, g: store.GarnishmentRow, check: number, at: Date): Promise<void> {
  const key = `garnishment:${g.id}:reconcile:${g.updated_at.getTime()}:${check}`;
  await enqueue(trx, reconcileJob, { garnishmentId: g.id, env: g.env, check }, { now: ctx.clock.now(), key, runAt: at, companyId: g.company_id });
}

// ── Sweeping ─────────────────────────────────────────────────────────────────────────────────

interface Reading {
  available: bigint | null;
  error: string | null;
}

/**
 * Every sweepable account's available balance, asked of its bank under the account's debit
 * authority (`mandateBalance`: no customer, no session — the GSI balance enquiry), with no
 * transaction open. A failed enquiry is that account's reason for taking nothing this sweep.
 */
async function readBalances(ctx: AppContext, g: store.GarnishmentRow, covered: Awaited<ReturnType<typeof store.coveredMandates>>): Promise<Map<string, Reading>> {
  const out = new Map<string, Reading>();
  for (const m of covered) {
    if (m.state !== "active" || m.consent_status !== "active" || !m.bank_mandate_id) continue;
    const connector = connectorFor(ctx, g.env, g.company_id, m.bank_id);
    if (!connector) {
      out.set(m.account_id, { available: null, error: "enquiry_failed: bank_not_connected" });
      continue;
    }
    try {
      const b = await connector.mandateBalance({ mandateId: m.bank_mandate_id }, { timeoutMs: ctx.config.payments.bankTimeoutMs });
      if (b.currency !== g.currency) out.set(m.account_id, { available: null, error: `enquiry_failed: the account holds ${b.currency}` });
      else out.set(m.account_id, { available: BigInt(b.available), error: null });
    } catch (error) {
      const why = isConnectorError(error) ? `${error.kind}${error.reason ? `/${error.reason}` : ""}` : "bank_unreachable";
      out.set(m.account_id, { available: null, error: `enquiry_failed: ${why}` });
    }
  }
  return out;
}

export interface SweepResult {
  seq: number | null;
  taken: bigint;
  payments: string[];
}

/**
 * One sweep of a locked recovery with the balances read before: activation when consent came,
 * the plan, a payment per account taken from, the record and `garnishment.sweep`. A recovery
 * that may not sweep now (paused, waiting for consent, ended) records a skipped sweep saying why
 * (an ended one records nothing).
 */
export async function sweepLocked(trx: Trx, ctx: AppContext, locked: store.GarnishmentRow, readings: Map<string, Reading>, trigger: "schedule" | "request", jobKey: string): Promise<SweepResult> {
  const now = ctx.clock.now();
  if (await store.sweepByKey(trx, locked.id, jobKey)) return { seq: null, taken: 0n, payments: [] };
  if (garnishmentMachine.is.ended(locked.state)) return { seq: null, taken: 0n, payments: [] };
  const covered = await store.coveredMandates(trx, locked.id);
  let g = locked;
  if (g.state === "awaiting_consent" && covered.some((m) => m.state === "active" && m.consent_status === "active")) {
    g = (await moveGarnishment(trx, ctx, g, "active", { actor: "scheduler", reason: "consent_given" })) ?? g;
  }
  const money = await store.moneyOf(trx, g.id);
  const st = standing({ principal: g.principal, interest: g.interest }, money);
  const seq = g.sweeps + 1;
  const record = async (taken: bigint, outcome: "collected" | "partial" | "nothing" | "skipped", reason: string | null, lines: SweepLine[]) => {
    const row = await store.insertSweep(trx, {
      id: newId(now),
      garnishment_id: g.id,
      company_id: g.company_id,
      env: g.env,
      seq,
      trigger,
      job_key: jobKey,
      owed_before: st.remaining,
      taken,
      outcome,
      reason,
      accounts: JSON.stringify(lines),
      at: now,
    });
    const after = await trx.updateTable("garnishments").set({ sweeps: seq }).where("id", "=", g.id).returningAll().executeTakeFirstOrThrow();
    if (row) await emitGarnishmentEvent(trx, after, "garnishment.sweep", now, { sweep: sweepView(row) });
  };
  if (g.state !== "active") {
    const reason = g.state === "awaiting_consent" ? "no_consent" : g.state;
    await record(0n, "skipped", reason, covered.map((m) => ({ account: m.account_id, mandate: m.mandate_id, balance_seen: null, taken: 0, payment: null, skipped: reason })));
    return { seq, taken: 0n, payments: [] };
  }
  const takenBy = await store.takenByMandate(trx, covered.map((m) => m.mandate_id));
  const accounts: SweepAccount[] = covered.map((m) => {
    const reading = readings.get(m.account_id);
    const unavailable =
      m.state !== "active" ? `mandate_${m.state}` : m.consent_status !== "active" ? "no_bank_authority" : !reading ? "not_enquired" : reading.error;
    const caps = [m.consent_max, m.max_per_charge, m.max_total === null ? null : m.max_total - (takenBy.get(m.mandate_id) ?? 0n)].filter((x): x is bigint => x !== null);
    const perDebitCap = caps.reduce((a, b) => (a < b ? a : b), st.sweepable);
    return { accountId: m.account_id, mandateId: m.mandate_id, available: reading?.available ?? null, unavailable, perDebitCap };
  });
  const plan = planSweep(accounts, st.sweepable, g.floor);
  const lines: SweepLine[] = [];
  const payments: string[] = [];
  let taken = 0n;
  for (const p of plan) {
    const m = covered.find((c) => c.mandate_id === p.mandateId)!;
    let paymentId: string | null = null;
    if (p.take > 0n) {
      const payment = await createMandateCharge(trx, ctx, scopeOf(g), {
        mandateId: m.mandate_id,
        consentId: m.consent_id!,
        accountId: m.account_id,
        ...((g.account_to_credit ?? m.account_to_credit) ? { accountToCredit: (g.account_to_credit ?? m.account_to_credit)! } : {}),
        amount: kobo(p.take),
        currency: g.currency,
        cycle: seq,
        chargeAttempt: 1,
        garnishmentId: g.id,
        note: `${g.purpose ?? "Debt recovery"} — sweep ${seq}`,
      });
      if (payment) {
        paymentId = payment.id;
        payments.push(payment.id);
        taken += p.take;
        await enqueue(
          trx,
          outcomeJob,
          { garnishmentId: g.id, env: g.env, paymentId: payment.id, check: 1, announced: false },
          { now, key: `garnishment:${g.id}:payment:${payment.id}:check:1`, runAt: new Date(now.getTime() + OUTCOME_CHECK_MS), companyId: g.company_id },
        );
      }
    }
    lines.push({ account: p.accountId, mandate: p.mandateId, balance_seen: p.balance === null ? null : Number(p.balance), taken: paymentId ? Number(p.take) : 0, payment: paymentId, skipped: paymentId ? null : (p.skip ?? "exists") });
  }
  const outcome = taken === 0n ? "nothing" : taken >= st.sweepable ? "collected" : "partial";
  await record(taken, outcome, st.sweepable === 0n ? "nothing_sweepable" : null, lines);
  return { seq, taken, payments };
}

async function runSweep(job: RunningJob<z.output<typeof SweepPayload>>): Promise<void> {
  const { ctx, payload } = job;
  const g = await store.garnishmentRow(ctx.db, payload.garnishmentId);
  if (!g) return job.complete();
  const offsetMs = await clockOffsetMs(ctx, scopeOf(g));
  // Bank calls first, with no transaction open; only for a recovery that may sweep.
  const covered = await store.coveredMandates(ctx.db, g.id);
  const readings = garnishmentMachine.is.live(g.state) && g.state !== "paused" ? await readBalances(ctx, g, covered) : new Map<string, Reading>();
  await job.complete(async (trx) => {
    const locked = await store.lockGarnishment(trx, payload.garnishmentId);
    if (!locked) return;
    await sweepLocked(trx, ctx, locked, readings, payload.trigger, job.key ?? `job:${job.id}`);
    // The schedule goes on while the recovery is live (a paused one skips its sweeps).
    const after = await store.garnishmentRow(trx, locked.id);
    if (payload.trigger === "schedule" && payload.cycle !== undefined && after && garnishmentMachine.is.live(after.state)) await enqueueCycle(trx, ctx, after, payload.cycle + 1, offsetMs);
  });
}

// ── Outcomes, repaid, over-collection ───────────────────────────────────────────────────────

/**
 * Under the recovery's lock: over-collection (collected past what is owed — a lowered debt, a
 * late confirmation) refunded from its settled debits, newest first, each refund an ordinary
 * `pay/refund` refund; then `repaid` the moment nothing remains. Returns what is still over and
 * not refundable yet (a debit confirmed but not settled).
 */
export async function reconcile(trx: Trx, ctx: AppContext, g: store.GarnishmentRow): Promise<bigint> {
  const now = ctx.clock.now();
  let money = await store.moneyOf(trx, g.id);
  let st = standing({ principal: g.principal, interest: g.interest }, money);
  if (st.over > 0n) {
    let over = st.over;
    for (const p of await store.debitsOf(trx, g.id)) {
      if (over <= 0n) break;
      if (p.state !== "settled") continue;
      const refunded = (await store.refundsOf(trx, p.id)).filter((r) => r.state !== "failed").reduce((s, r) => s + r.amount, 0n);
      const room = p.amount - refunded;
      if (room <= 0n) continue;
      const amount = over < room ? over : room;
      const refund = await createRefund(trx, ctx, scopeOf(g), { paymentId: p.id, amount: kobo(amount) });
      over -= amount;
      await emitGarnishmentEvent(trx, g, "garnishment.overcollected", now, { payment: p.id, refund: refund.id, amount: Number(amount) });
    }
    money = await store.moneyOf(trx, g.id);
    st = standing({ principal: g.principal, interest: g.interest }, money);
  }
  if (st.remaining === 0n && garnishmentMachine.is.live(g.state)) {
    await moveGarnishment(trx, ctx, g, "repaid", { actor: "scheduler", reason: "repaid", detail: { collected: Number(money.collected), owed: Number(st.owed) } });
  }
  return st.over;
}

const IN_FLIGHT = new Set(["queued", "awaiting_authorisation", "review", "processing", "unknown"]);
const backoff = (check: number) => Math.min(OUTCOME_CHECK_MAX_MS, OUTCOME_CHECK_MS * 2 ** check);

async function runOutcome(job: RunningJob<z.output<typeof OutcomePayload>>): Promise<void> {
  const { ctx, payload } = job;
  await job.complete(async (trx) => {
    const g = await store.lockGarnishment(trx, payload.garnishmentId);
    const payment = await trx.selectFrom("payments").selectAll().where("id", "=", payload.paymentId).executeTakeFirst();
    if (!g || !payment) return;
    const now = ctx.clock.now();
    const again = async (announced: boolean) => {
      const check = payload.check + 1;
      await enqueue(trx, outcomeJob, { ...payload, check, announced }, { now, key: `garnishment:${g.id}:payment:${payment.id}:check:${check}`, runAt: new Date(now.getTime() + backoff(payload.check)), companyId: g.company_id });
    };
    if (IN_FLIGHT.has(payment.state)) return again(payload.announced);
    if (payment.state === "succeeded" || payment.state === "settled") {
      if (!payload.announced) {
        const st = standing({ principal: g.principal, interest: g.interest }, await store.moneyOf(trx, g.id));
        await emitGarnishmentEvent(trx, g, "garnishment.collected", now, { payment: paymentView(payment), amount: Number(payment.amount), sweep: payment.mandate_cycle, collected: Number(st.collected), remaining: Number(st.remaining) });
      }
      const over = await reconcile(trx, ctx, g);
      // Over-collection is refunded from settled debits only: while this one has not settled, look again.
      if (over > 0n && payment.state === "succeeded") return again(true);
      return;
    }
    if (payment.state === "reversed") return;
    await emitGarnishmentEvent(trx, g, "garnishment.debit_failed", now, { payment: paymentView(payment), sweep: payment.mandate_cycle, reason: payment.failure_code, message: payment.failure_reason });
  });
}

async function runReconcile(job: RunningJob<z.output<typeof CheckPayload>>): Promise<void> {
  const { ctx, payload } = job;
  await job.complete(async (trx) => {
    const g = await store.lockGarnishment(trx, payload.garnishmentId);
    if (!g) return;
    const over = await reconcile(trx, ctx, g);
    if (over > 0n) await enqueueReconcile(trx, ctx, g, payload.check + 1, new Date(ctx.clock.now().getTime() + backoff(payload.check)));
  });
}

async function runExpiry(job: RunningJob<z.output<typeof ExpiryPayload>>): Promise<void> {
  const { ctx, payload } = job;
  await job.complete(async (trx) => {
    const g = await store.lockGarnishment(trx, payload.garnishmentId);
    if (!g || !garnishmentMachine.is.live(g.state)) return;
    await moveGarnishment(trx, ctx, g, "expired", { actor: "scheduler", reason: "stop_date_passed" });
  });
}

/**
 * A debit the bank reversed after confirming it: the money is back with the debtor, so the
 * recovery's remaining grows by it (derived: a reversed payment is no longer collected).
 * `garnishment.debit_reversed` says so in every case. A recovery that was `repaid` and is owed
 * money again reopens (`repaid → active`, reason `debit_reversed`) and its schedule restarts —
 * unless its stop date has passed, when it stays repaid and `garnishment.shortfall` says what is
 * left unpaid. A cancelled or expired one also only says the shortfall; an active or paused one
 * takes the amount at its next sweeps.
 */
async function runReversal(job: RunningJob<z.output<typeof ReversalPayload>>): Promise<void> {
  const { ctx, payload } = job;
  const g0 = await store.garnishmentRow(ctx.db, payload.garnishmentId);
  if (!g0) return job.complete();
  const offsetMs = await clockOffsetMs(ctx, scopeOf(g0));
  await job.complete(async (trx) => {
    const g = await store.lockGarnishment(trx, payload.garnishmentId);
    const payment = await trx.selectFrom("payments").selectAll().where("id", "=", payload.paymentId).executeTakeFirst();
    if (!g || !payment || payment.state !== "reversed") return;
    const now = ctx.clock.now();
    const st = standing({ principal: g.principal, interest: g.interest }, await store.moneyOf(trx, g.id));
    const detail = { payment: paymentView(payment), amount: Number(payment.amount), sweep: payment.mandate_cycle, collected: Number(st.collected), remaining: Number(st.remaining) };
    await emitGarnishmentEvent(trx, g, "garnishment.debit_reversed", now, detail);
    if (st.remaining === 0n || garnishmentMachine.is.live(g.state)) return;
    const today = lagosDate(new Date(now.getTime() + offsetMs));
    if (g.state === "repaid" && (g.end_date === null || today <= g.end_date)) {
      const reopened = await moveGarnishment(trx, ctx, g, "active", { actor: "bank", reason: "debit_reversed", detail: { payment: payment.id, amount: Number(payment.amount), remaining: Number(st.remaining) } });
      if (reopened) await restartSweeps(trx, ctx, reopened, offsetMs);
      return;
    }
    const why = g.state === "repaid" ? "stop_date_passed" : g.state;
    await emitGarnishmentEvent(trx, g, "garnishment.shortfall", now, { payment: payment.id, remaining: Number(st.remaining), reason: why });
  });
}

/** In the transaction of a payment's move: a recovery's debit reversed by the bank is the recovery's business. */
async function onPaymentMove(trx: Trx, ctx: AppContext, move: PaymentMove): Promise<void> {
  const g = move.row.garnishment_id;
  if (!g || move.to !== "reversed") return;
  await enqueue(trx, reversalJob, { garnishmentId: g, env: move.row.env, paymentId: move.row.id }, { now: move.at, key: `garnishment:${g}:reversal:${move.row.id}`, runAt: move.at, companyId: move.row.company_id });
}

export const sweepJob = defineJob({ name: "garnish.sweep", payload: SweepPayload, handler: runSweep });
export const outcomeJob = defineJob({ name: "garnish.outcome", payload: OutcomePayload, handler: runOutcome });
export const reconcileJob = defineJob({ name: "garnish.reconcile", payload: CheckPayload, handler: runReconcile });
export const expiryJob = defineJob({ name: "garnish.expire", payload: ExpiryPayload, handler: runExpiry });
export const reversalJob = defineJob({ name: "garnish.reversal", payload: ReversalPayload, handler: runReversal });

/** Every garnishment job, for the runners of `okro serve` and `okro worker`. Importing this module also registers the payment observer. */
export const GARNISH_JOBS = [sweepJob, outcomeJob, reconcileJob, expiryJob, reversalJob] as const;

observePayments("garnish", onPaymentMove);
