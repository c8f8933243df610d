import type { Updateable } from "kysely";
import type { AppContext } from "../context.js";
import { appendHistory, machineStore, transition, type HistoryRecord, type MachineStore, STATE_TRANSITIONS } from "../core/machine.js";
import type { DB, PaymentsTable } from "../db/schema.js";
import { emitEvent } from "../events/emit.js";
import { debitConfirmed, lateReversal, payoutConfirmed, payoutFailed, refundConfirmed, refundFailed, settlement } from "../ledger/domain.js";
import { postEntry } from "../ledger/store.js";
import { kobo } from "../lib/kobo.js";
import { consentMachine, payoutMachine, paymentMachine, refundMachine, wireStatus, type Actor, type ConsentState, type PaymentState, type TransferState } from "./domain.js";
import { paymentFee } from "./fees.js";
import { notifyPaymentObservers } from "./observers.js";
import { linkRef } from "./links.js";
import { enqueueExecute, enqueueExecuteForConsent, enqueuePaymentCheck, enqueueTransferCheck, NEXT_CHECK, paymentCheckKind } from "./schedule.js";
import type { TransferSet } from "./store.js";
import { AUTHORISATION_CHECK_MS, paymentLeaseMs, REQUERY_BASE_MS } from "./timing.js";
import type { ConsentRow, PaymentRow, PayoutRow, RefundRow } from "./types.js";
import { consentView, paymentView, payoutView, refundView } from "./views.js";
import type { Trx } from "../core/db.js";
import { followConsent } from "../mandates/standing.js";

/**
 * How payments, refunds, payouts and consents change state: each one's machine (domain.ts) bound
 * to its table, its history and what entering a state does, moved only by the kernel's one
 * compare-and-set {@link transition} (src/core/machine.ts). Both the bank-call paths (execute.ts)
 * and the customer/API paths (service.ts, refunds.ts, payouts.ts, consents.ts) import this module;
 * it imports neither, so the engine has no import circle.
 */

/** Payments' history rows (payment_transitions, served by the API as the payment's timeline). */
const paymentHistory = (h: HistoryRecord<PaymentState>) => ({
  payment_id: h.id,
  from_state: h.from,
  to_state: h.to,
  actor: h.actor,
  reason: h.reason,
  detail: JSON.stringify(h.detail ?? null),
  at: h.at,
});

// ── Payments ──────────────────────────────────────────────────────────────────────────────────

/**
 * The payment machine's table and entry effects: → succeeded posts the confirmed debit; → settled
 * the settlement with Okro's fee; → reversed the late reversal (from pending before settlement,
 * from available after); → errored/failed/cancelled re-opens a single-use link nobody else is
 * paying; every entry emits `payment.<state>` with the payment's wire view.
 */
export const paymentStore: MachineStore<PaymentState, PaymentRow, AppContext, Trx> = machineStore({
  machine: paymentMachine,
  table: "payments",
  stateColumn: "state",
  history: { table: "payment_transitions", row: paymentHistory },
  onEnter: {
    succeeded: (trx, e) => post(trx, e.row, e.at, debitConfirmed(paymentBase(e.row))),
    settled: (trx, e) => post(trx, e.row, e.at, settlement({ ...paymentBase(e.row), fee: kobo(e.row.fee) })),
    reversed: async (trx, e) => {
      if (e.from !== "succeeded" && e.from !== "settled") throw new Error(`reversal from ${e.from}`); // unreachable: the machine's edges
      await post(trx, e.row, e.at, lateReversal({ ...paymentBase(e.row), from: e.from }));
    },
    errored: (trx, e) => reopenLinkIfUnpaid(trx, e.row, e.at),
    failed: (trx, e) => reopenLinkIfUnpaid(trx, e.row, e.at),
    cancelled: (trx, e) => reopenLinkIfUnpaid(trx, e.row, e.at),
  },
  afterEnter: async (trx, e) => {
    await emitPaymentEvent(trx, e.ctx, e.row, e.at);
    await notifyPaymentObservers(trx, e.ctx, { row: e.row, from: e.from, to: e.to, at: e.at });
  },
});

const paymentBase = (row: PaymentRow) => ({ company_id: row.company_id, currency: row.currency, payment_id: row.id, amount: kobo(row.amount) });

async function post(trx: Trx, row: { env: PaymentRow["env"] }, at: Date, entry: Parameters<typeof postEntry>[2]): Promise<void> {
  await postEntry(trx, row.env, entry, at);
}

export interface TransitionInput {
  actor: Actor;
  /** Short, machine-readable cause (`initiated`, `customer_authorised`, `bank_timeout`, …). */
  reason: string;
  detail?: Record<string, unknown>;
  /** Columns to set with the state (reference, attempt, failure…); the state itself is the transition's. */
  set?: Omit<Partial<Updateable<PaymentsTable>>, "state" | "checks">;
  /** When the entered state's check job is due, instead of its default ({@link checkDue}). */
  due?: Date;
}

/**
 * Moves `row` to `to` in the caller's transaction, through the kernel's {@link transition}:
 * checks the edge, `UPDATE payments SET state = $to, … WHERE id = $id AND state = $from AND
 * attempt = $attempt` (undefined when someone else moved it first, and then nothing else is
 * written), appends the history row, runs the entry effects of {@link paymentStore} (ledger,
 * link, `payment.<to>`).
 *
 * In the same transaction it schedules the work the entered state waits for (schedule.ts), with
 * the row's check number bumped by the same UPDATE: `processing` is re-queried once the sender's
 * hold ({@link paymentLeaseMs}) lapses (a crash mid-call is recovered), `unknown` after
 * {@link REQUERY_BASE_MS}, `succeeded` is settled after the settlement delay,
 * `awaiting_authorisation` is checked for expiry after {@link AUTHORISATION_CHECK_MS} (`t.due`
 * overrides); a consent payment entering `queued` is sent now if its consent is active (else its
 * consent's activation sends it). Any older check job of the row is thereby superseded.
 */
export async function applyTransition(trx: Trx, ctx: AppContext, row: PaymentRow, to: PaymentState, t: TransitionInput): Promise<PaymentRow | undefined> {
  const now = ctx.clock.now();
  const checked = paymentCheckKind(to) !== undefined;
  const moved = await transition(trx, paymentStore, ctx, {
    id: row.id,
    from: row.state,
    to,
    match: { attempt: row.attempt },
    set: {
      ...(checked ? { checks: NEXT_CHECK } : {}),
      ...(to === "succeeded" ? { succeeded_at: now } : {}),
      ...(to === "settled" ? { settled_at: now, fee: paymentFee(kobo(row.amount), ctx.config.payments) } : {}),
      ...t.set,
      updated_at: now,
    },
    actor: t.actor,
    reason: t.reason,
    ...(t.detail ? { detail: t.detail } : {}),
    at: now,
  });
  if (!moved.ok) return undefined;
  if (checked) await enqueuePaymentCheck(trx, moved.row, { now, runAt: t.due ?? checkDue(ctx, to, now) });
  if (to === "queued") await enqueueExecuteIfConsentActive(trx, moved.row, now);
  return moved.row;
}

/** Sends a queued consent payment now if its consent is active; a pending consent's activation sends it, a revoked one's fails it. */
export async function enqueueExecuteIfConsentActive(trx: Trx, row: PaymentRow, now: Date): Promise<void> {
  if (row.method !== "consent" || !row.consent_id) return;
  // FOR SHARE: an activation committing meanwhile waits for us, then its enqueue sees this payment.
  const consent = await trx.selectFrom("payment_consents").select("status").where("id", "=", row.consent_id).forShare().executeTakeFirst();
  if (consent?.status !== "pending") await enqueueExecute(trx, row, { now });
}

/** The creation row of a payment's history (from nothing to its first state) and its first event. */
export async function recordPaymentCreated(trx: Trx, ctx: AppContext, row: PaymentRow, first: { actor: Actor; detail?: Record<string, unknown> | undefined }, now: Date): Promise<void> {
  await appendHistory(trx, paymentStore, { object: "payment", id: row.id, from: null, to: row.state, actor: first.actor, reason: "initiated", detail: first.detail, at: now });
  await emitPaymentEvent(trx, ctx, row, now);
}

/**
 * A single-use link is `used` from the moment a payer starts paying it (so two payers cannot pay
 * it at once); when that payment ends without money moving (errored, failed, cancelled) and no
 * other payment of the link is still alive, the link can be paid again.
 */
async function reopenLinkIfUnpaid(trx: Trx, row: PaymentRow, now: Date): Promise<void> {
  const linkId = row.link_id;
  if (!linkId) return;
  await trx
    .updateTable("payment_links")
    .set({ status: "active", updated_at: now })
    .where("id", "=", linkId)
    .where("status", "=", "used")
    .where("reusable", "=", false)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("payments")
            .select("id")
            .where("link_id", "=", linkId)
            .where("state", "not in", ["errored", "failed", "cancelled"]),
        ),
      ),
    )
    .execute();
}

/** When the check of a payment that just entered `to` is due, by default. */
function checkDue(ctx: AppContext, to: PaymentState, now: Date): Date {
  switch (to) {
    case "processing":
      return new Date(now.getTime() + paymentLeaseMs(ctx.config));
    case "unknown":
      return new Date(now.getTime() + REQUERY_BASE_MS);
    case "succeeded":
      return new Date(now.getTime() + ctx.config.payments.settlementDelayMs);
    case "awaiting_authorisation":
      return new Date(now.getTime() + AUTHORISATION_CHECK_MS);
    default:
      throw new Error(`payment: nothing to check in state ${to}`);
  }
}

/** `payment.<state>`, data = the payment's wire view; Okra's legacy `callback_type`/`callback_code` on top. */
async function emitPaymentEvent(trx: Trx, ctx: AppContext, row: PaymentRow, now: Date): Promise<void> {
  const wire = wireStatus(row.state);
  const link = row.link_id ? await trx.selectFrom("payment_links").select(["id", "short_url"]).where("id", "=", row.link_id).executeTakeFirst() : undefined;
  await emitEvent(
    trx,
    {
      companyId: row.company_id,
      env: row.env,
      type: `payment.${row.state}`,
      object: { type: "payment", id: row.id },
      data: paymentView(row, { link: link ? linkRef(link, ctx) : null }) as unknown as Record<string, unknown>,
      legacy: { callback_type: "PAYMENT", callback_code: `PAYMENT_${wire.status.toUpperCase()}`, payment_id: row.id, status: wire.status },
    },
    now,
  );
}

// ── Refunds and payouts ───────────────────────────────────────────────────────────────────────

export type TransferKind = "refund" | "payout";
type TransferRow = RefundRow | PayoutRow;

function transferEntries(kind: TransferKind, row: TransferRow) {
  const amount = kobo(row.amount);
  if (kind === "refund") {
    const r = row as RefundRow;
    const a = { company_id: r.company_id, currency: r.currency, payment_id: r.payment_id, refund_id: r.id, amount };
    return { confirmed: refundConfirmed(a), failed: refundFailed({ ...a, fee_returned: kobo(r.fee_returned) }) };
  }
  const a = { company_id: row.company_id, currency: row.currency, payout_id: row.id, amount };
  return { confirmed: payoutConfirmed(a), failed: payoutFailed(a) };
}

/** A refund's or payout's table and entry effects: → succeeded posts the confirmed credit, → failed gives the money back; every entry emits `<kind>.<state>`. */
function transferStore(kind: TransferKind): MachineStore<TransferState, TransferRow, AppContext, Trx> {
  return machineStore({
    machine: kind === "refund" ? refundMachine : payoutMachine,
    table: kind === "refund" ? "refunds" : "payouts",
    stateColumn: "state",
    history: STATE_TRANSITIONS,
    onEnter: {
      succeeded: (trx, e) => post(trx, e.row, e.at, transferEntries(kind, e.row).confirmed),
      failed: (trx, e) => post(trx, e.row, e.at, transferEntries(kind, e.row).failed),
    },
    afterEnter: (trx, e) => emitTransferEvent(trx, kind, e.row, e.at),
  });
}

export const refundStore = transferStore("refund");
export const payoutStore = transferStore("payout");
const TRANSFER_STORES = { refund: refundStore, payout: payoutStore } as const;

export async function emitTransferEvent(trx: Trx, kind: TransferKind, row: TransferRow, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      companyId: row.company_id,
      env: row.env,
      type: `${kind}.${row.state}`,
      object: { type: kind, id: row.id },
      data: (kind === "refund" ? refundView(row as RefundRow) : payoutView(row as PayoutRow)) as unknown as Record<string, unknown>,
      legacy: { callback_type: kind === "refund" ? "REFUND" : "PAYOUT", callback_code: `${kind.toUpperCase()}_${row.state.toUpperCase()}` },
    },
    now,
  );
}

/** The creation row of a refund's or payout's history and its first event (`<kind>.pending`). */
export async function recordTransferCreated(trx: Trx, kind: TransferKind, row: TransferRow, actor: Actor, now: Date): Promise<void> {
  await appendHistory(trx, TRANSFER_STORES[kind], { object: kind, id: row.id, from: null, to: row.state, actor, reason: "initiated", detail: undefined, at: now });
  await emitTransferEvent(trx, kind, row, now);
}

/**
 * Moves a refund or payout along its machine (the kernel's {@link transition}) in the caller's
 * transaction: compare-and-set on the state, and on the row's check number when `seq` is given
 * (the job that moves it must still be the row's latest); history row, ledger entry of a final
 * outcome, `<kind>.<state>`. Entering `processing` or `unknown` schedules the next check in the
 * same transaction: after the sender's hold ({@link paymentLeaseMs}) or {@link REQUERY_BASE_MS},
 * or at `t.due`. Undefined when it had moved.
 */
export async function moveTransfer<R extends TransferRow>(
  trx: Trx,
  ctx: AppContext,
  kind: TransferKind,
  row: R,
  to: TransferState,
  t: { actor: Actor; reason: string; detail?: Record<string, unknown>; set?: Omit<TransferSet, "updated_at" | "checks">; seq?: number; due?: Date },
): Promise<R | undefined> {
  const now = ctx.clock.now();
  const checked = to === "processing" || to === "unknown";
  const moved = await transition(trx, TRANSFER_STORES[kind], ctx, {
    id: row.id,
    from: row.state,
    to,
    ...(t.seq !== undefined ? { match: { checks: t.seq } } : {}),
    set: { ...(checked ? { checks: NEXT_CHECK } : {}), ...t.set, updated_at: now },
    actor: t.actor,
    reason: t.reason,
    ...(t.detail ? { detail: t.detail } : {}),
    at: now,
  });
  if (!moved.ok) return undefined;
  const row2 = moved.row as R;
  if (checked) {
    const due = t.due ?? new Date(now.getTime() + (to === "processing" ? paymentLeaseMs(ctx.config) : REQUERY_BASE_MS));
    await enqueueTransferCheck(trx, kind, row2, { now, runAt: due });
  }
  return row2;
}

// ── Consents ──────────────────────────────────────────────────────────────────────────────────

/** A consent's table and entry effects: → active sends its queued payments, → revoked fails them (the execute job finds the consent revoked); every entry emits `consent.<status>`. */
export const consentStore: MachineStore<ConsentState, ConsentRow, AppContext, Trx> = machineStore({
  machine: consentMachine,
  table: "payment_consents",
  stateColumn: "status",
  history: STATE_TRANSITIONS,
  onEnter: { active: (trx, e) => enqueueExecuteForConsent(trx, e.row.id, e.at), revoked: (trx, e) => enqueueExecuteForConsent(trx, e.row.id, e.at) },
  afterEnter: async (trx, e) => {
    await emitConsentEvent(trx, e.row, e.at);
    // Its standing mandate follows (mandate.active, or rejected/revoked).
    await followConsent(trx, e.ctx, e.row);
  },
});

export async function emitConsentEvent(trx: Trx, row: ConsentRow, now: Date): Promise<void> {
  await emitEvent(
    trx,
    {
      companyId: row.company_id,
      env: row.env,
      type: `consent.${row.status}`,
      object: { type: "consent", id: row.id },
      data: consentView(row) as unknown as Record<string, unknown>,
    },
    now,
  );
}

/** The creation row of a consent's history (no event: `consent.pending` was never emitted). */
export async function recordConsentCreated(trx: Trx, row: ConsentRow, actor: Actor, now: Date): Promise<void> {
  await appendHistory(trx, consentStore, { object: "consent", id: row.id, from: null, to: row.status, actor, reason: "requested", detail: undefined, at: now });
}

/**
 * Moves a consent along its machine in the caller's transaction, compare-and-set on its status and
 * on its check number when `seq` is given. Undefined when it had moved.
 */
export async function moveConsent(
  trx: Trx,
  ctx: AppContext,
  row: ConsentRow,
  to: ConsentState,
  t: { actor: Actor; reason: string; detail?: Record<string, unknown>; set: Omit<Updateable<DB["payment_consents"]>, "status" | "updated_at" | "checks">; seq?: number },
): Promise<ConsentRow | undefined> {
  const now = ctx.clock.now();
  const moved = await transition(trx, consentStore, ctx, {
    id: row.id,
    from: row.status,
    to,
    ...(t.seq !== undefined ? { match: { checks: t.seq } } : {}),
    set: { ...t.set, updated_at: now },
    actor: t.actor,
    reason: t.reason,
    ...(t.detail ? { detail: t.detail } : {}),
    at: now,
  });
  return moved.ok ? moved.row : undefined;
}
