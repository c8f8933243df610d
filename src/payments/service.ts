import { requirePaymentAccess } from "../platform/payment-access.js";
import type { Insertable, Transaction } from "kysely";
import { Secret, type PaymentAuthorization } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import type { DB, PaymentsTable } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import type { Kobo } from "../lib/kobo.js";
import { isCancellable, paymentWithStatus, wireStatus, type Actor, type PaymentState } from "./domain.js";
import { callBank, debitNarration, recordDebitOutcome, requireConnectorFor } from "./execute.js";
import { receivingAccount } from "./company-accounts.js";
import * as store from "./store.js";
import { enqueuePaymentCheck, paymentCheckKind } from "./schedule.js";
import { AUTHORISATION_CHECK_MS, paymentReference } from "./timing.js";
import { applyTransition, enqueueExecuteIfConsentActive, recordPaymentCreated } from "./transitions.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES, type Executor, type PaymentRow, type Scope, type TransitionRow } from "./types.js";
import { refusal } from "./reasons.js";
import { boundConsentRefusal, debitAuthorities } from "../mandates/standing.js";
import type { BoundedPage } from "../core/paging.js";

/**
 * Payments: creating them (`pay/initiate`, the widget, payment links), authorising them with the
 * customer, cancelling, reading. A payment's state changes only through transitions.ts
 * ({@link applyTransition}, the kernel's one compare-and-set).
 * Jobs (jobs.ts, execute.ts; enqueued by the transitions) execute, re-query and settle them.
 *
 * Every function that takes a `trx` runs in the caller's transaction and never calls a bank;
 * {@link authorisePayment} and {@link reportReversal} open their own transactions (the first calls
 * the bank between two of them).
 */

// ── The one way a payment's state changes: transitions.ts (re-exported for the engine's callers) ──

export { applyTransition, type TransitionInput } from "./transitions.js";

// ── Creating payments ─────────────────────────────────────────────────────────────────────────

export interface InitiateInput {
  /** The customer's account (Okro account id), linked with payment consent. */
  accountToDebit: string;
  /** The company's receiving account; default: its default account in `currency`. */
  accountToCredit?: string;
  amount: Kobo;
  currency: string;
  note?: string;
  /**
   * `caller`: the caller sends the payment itself ({@link sendQueuedPayment} in execute.ts) once
   * its transaction commits, instead of a `payments.execute` job (bulk rows: one job per row, not
   * two). A payment held in review, or whose consent is not active yet, is sent by whoever
   * releases it (approval, activation), as any other; sending twice is refused by the attempt's
   * compare-and-set.
   */
  sender?: "caller";
}

function requirePositive(amount: Kobo): void {
  if (typeof amount !== "bigint" || amount <= 0n) throw new OkroError("INVALID_FIELD", "amount: must be a positive integer (kobo)", { field: "amount" });
}

function requireCurrency(currency: string): void {
  if (!isSupportedCurrency(currency)) {
    throw new OkroError("UNPROCESSABLE", `currency: ${JSON.stringify(currency)} is not supported; payments are in ${SUPPORTED_CURRENCIES.join(", ")}`, {
      field: "currency",
      data: refusal("unsupported_currency"),
    });
  }
}

/**
 * `pay/initiate`: a debit of a customer's account on their standing consent. Validates (the
 * message names the field): currency supported (422 `currency`); amount positive (400
 * `amount`); the account is the tenant's (404 `account_to_debit`, as for any object another
 * tenant owns), shared (`connected`) and has a consent that is not revoked (422 `account_to_debit`); the amount within the consent's per-debit limit (422
 * `amount`); the receiving account (404/422 `account_to_credit`). Then inserts the payment
 * `queued` (due now: the worker executes it), its first history row and `payment.queued` — or,
 * above the company's review threshold, `review` (nothing due: review.ts releases or declines it)
 * and `payment.review`.
 */
export async function initiatePayment(trx: Transaction<DB>, ctx: AppContext, scope: Scope, input: InitiateInput): Promise<PaymentRow> {
  requireCurrency(input.currency);
  requirePositive(input.amount);
  const account = await store.findAccount(trx, scope, input.accountToDebit);
  if (!account) {
    throw new OkroError("NOT_FOUND", "account_to_debit: no such account", { field: "account_to_debit", data: refusal("unknown_account") });
  }
  if (!account.connected) {
    throw new OkroError("UNPROCESSABLE", "account_to_debit: the customer did not share this account", { field: "account_to_debit", data: refusal("account_not_connected") });
  }
  if (account.currency !== input.currency) {
    throw new OkroError("UNPROCESSABLE", `currency: the account to debit holds ${account.currency}, not ${input.currency}`, { field: "currency", data: refusal("currency_mismatch") });
  }
  // The account's live consent (one at most: a unique index) read once, through its standing
  // mandate (decision 0016): withdrawn, cancelled or paused, it allows no debit.
  const standing = (await debitAuthorities(trx, scope, [account.id])).get(account.id);
  if (!standing) {
    throw new OkroError("UNPROCESSABLE", "account_to_debit: the customer has not given payment consent for this account (link it with payments in the widget)", {
      field: "account_to_debit",
      data: refusal("no_consent", { code: 1027 }),
    });
  }
  if (standing.closed === "bound") {
    const r = boundConsentRefusal("account_to_debit", standing.boundMandateId);
    throw new OkroError("UNPROCESSABLE", r.message, { field: "account_to_debit", data: refusal("consent_bound_to_mandate", { code: r.data.code, authorization: r.data.authorization }) });
  }
  if (!standing.open) {
    const why = standing.closed === "paused" ? "the customer's payment consent (mandate) for this account is paused; resume it (mandates/resume)" : "the customer's payment consent (mandate) for this account was withdrawn or cancelled; ask them to give it again in the widget";
    throw new OkroError("UNPROCESSABLE", `account_to_debit: ${why}`, { field: "account_to_debit", data: refusal("no_consent", { code: 1027, mandate: standing.mandateId }) });
  }
  const consent = { id: standing.consentId };
  // The standing mandate's per-charge cap, else the consent's.
  const limit = standing.maxPerCharge;
  if (input.amount > limit) {
    throw new OkroError("UNPROCESSABLE", `amount: above the consent's limit of ${limit} kobo per debit`, { field: "amount", data: refusal("above_consent_limit") });
  }
  const credit = await receivingAccount(trx, scope, input.accountToCredit, input.currency);
  const now = ctx.clock.now();
  // Above the company's review threshold, it waits in `review` (review.ts approves or declines it).
  const threshold = await store.reviewThreshold(trx, scope);
  const held = threshold !== null && input.amount > threshold;
  return createPayment(trx, ctx, scope, {
    customer_id: account.customer_id,
    account,
    account_to_credit: credit.id,
    amount: input.amount,
    currency: input.currency,
    channel: "api",
    method: "consent",
    consent_id: consent.id,
    note: input.note ?? null,
    state: held ? "review" : "queued",
  }, held ? { actor: "api", detail: { review_threshold: Number(threshold) } } : { actor: "api", ...(input.sender ? { sender: input.sender } : {}) });
}

export interface MandateChargeInput {
  mandateId: string;
  /** The mandate's bank-side authority (payment_consents.id) the debit goes through. */
  consentId: string;
  accountId: string;
  accountToCredit?: string;
  amount: Kobo;
  currency: string;
  /** The schedule's cycle; null for an ad-hoc charge (a bulk row of `type: mandate`: migration 0029). */
  cycle: number | null;
  /** 1 for the cycle's first try; NSF retries count up. Null with `cycle`. */
  chargeAttempt: number | null;
  note?: string;
  /** As {@link InitiateInput.sender}: the caller sends the payment once its transaction commits (bulk rows). */
  sender?: "caller";
  /**
   * A garnishment's debit (src/garnish): the recovery it collects for. The payment is then of
   * `type: garnish` and `cycle` is the sweep's number (its mandate is a sweep mandate, unscheduled).
   */
  garnishmentId?: string;
}

/**
 * A mandate's scheduled charge (src/mandates): an ordinary payment (same machine, ledger, events,
 * verify, refund) of `type: recurring`, queued for execution like `pay/initiate`'s, carrying
 * (mandate, cycle, attempt). The caller (the `mandates.charge` job) has checked the mandate's state
 * and caps; the unique index on (mandate_id, mandate_cycle, charge_attempt) makes a second
 * creation of the same charge fail rather than debit twice — undefined when it already exists.
 */
export async function createMandateCharge(trx: Transaction<DB>, ctx: AppContext, scope: Scope, input: MandateChargeInput): Promise<PaymentRow | undefined> {
  requireCurrency(input.currency);
  requirePositive(input.amount);
  // An ad-hoc charge (no cycle) is made once by its caller's own lock and state (a bulk row's).
  const existing =
    input.cycle === null || input.chargeAttempt === null
      ? undefined
      : await trx.selectFrom("payments").select("id").where("mandate_id", "=", input.mandateId).where("mandate_cycle", "=", input.cycle).where("charge_attempt", "=", input.chargeAttempt).executeTakeFirst();
  if (existing) return undefined;
  const account = await store.findAccount(trx, scope, input.accountId);
  if (!account) throw new OkroError("NOT_FOUND", "account_to_debit: no such account", { field: "account_to_debit" });
  const credit = await receivingAccount(trx, scope, input.accountToCredit, input.currency);
  const now = ctx.clock.now();
  return createPayment(
    trx,
    ctx,
    scope,
    {
      customer_id: account.customer_id,
      account,
      account_to_credit: credit.id,
      amount: input.amount,
      currency: input.currency,
      type: input.garnishmentId ? "garnish" : "recurring",
      channel: "api",
      method: "consent",
      consent_id: input.consentId,
      note: input.note ?? null,
      state: "queued",
      mandate_id: input.mandateId,
      mandate_cycle: input.cycle,
      charge_attempt: input.cycle === null ? null : input.chargeAttempt,
      ...(input.garnishmentId ? { garnishment_id: input.garnishmentId } : {}),
    },
    {
      actor: "scheduler",
      detail: input.garnishmentId
        ? { garnishment: input.garnishmentId, mandate: input.mandateId, sweep: input.cycle }
        : { mandate: input.mandateId, cycle: input.cycle, attempt: input.chargeAttempt },
      ...(input.sender ? { sender: input.sender } : {}),
    },
  );
}

export interface AuthorisedPaymentInput {
  customerId: string;
  /** The customer's account to debit (Okro account id). */
  accountId: string;
  accountToCredit?: string;
  amount: Kobo;
  currency: string;
  note?: string;
  channel: "widget" | "link";
  linkId?: string;
  widgetSessionId: string;
}

/**
 * Widget / payment link: a payment the customer authorises now with their OTP or PIN
 * ({@link authorisePayment}). Inserted `awaiting_authorisation` (method `authorised`), with its
 * history row (actor customer) and `payment.awaiting_authorisation`. Same validation as
 * {@link initiatePayment} for amount, currency and receiving account; the account must be the
 * customer's (422 naming `account_id`).
 */
export async function createAuthorisedPayment(trx: Transaction<DB>, ctx: AppContext, scope: Scope, input: AuthorisedPaymentInput): Promise<PaymentRow> {
  requireCurrency(input.currency);
  requirePositive(input.amount);
  const account = await store.findAccount(trx, scope, input.accountId);
  if (!account || account.customer_id !== input.customerId) {
    throw new OkroError("UNPROCESSABLE", "account_id: not an account of this customer", { field: "account_id", data: refusal("unknown_account") });
  }
  if (account.currency !== input.currency) {
    throw new OkroError("UNPROCESSABLE", `currency: the account holds ${account.currency}, not ${input.currency}`, { field: "currency", data: refusal("currency_mismatch") });
  }
  const credit = await receivingAccount(trx, scope, input.accountToCredit, input.currency);
  const now = ctx.clock.now();
  return createPayment(trx, ctx, scope, {
    customer_id: input.customerId,
    account,
    account_to_credit: credit.id,
    amount: input.amount,
    currency: input.currency,
    channel: input.channel,
    method: "authorised",
    link_id: input.linkId ?? null,
    widget_session_id: input.widgetSessionId,
    note: input.note ?? null,
    state: "awaiting_authorisation",
  }, { actor: "customer", detail: { channel: input.channel }, due: new Date(now.getTime() + AUTHORISATION_CHECK_MS) });
}

/** Inserts a new payment in its first state with its first history row (from nothing) and its event. */
async function createPayment(
  trx: Transaction<DB>,
  ctx: AppContext,
  scope: Scope,
  p: Omit<Insertable<PaymentsTable>, "id" | "company_id" | "env" | "account_id" | "bank_id" | "nuban" | "created_at" | "updated_at"> & {
    account: { id: string; bank_id: string; nuban: string };
  },
  first: { actor: Actor; detail?: Record<string, unknown>; due?: Date; sender?: "caller" },
): Promise<PaymentRow> {
  // Production payments wait for the platform operator's approval (issue 16); sandbox ones never do.
  await requirePaymentAccess(trx, scope);
  const now = ctx.clock.now();
  const { account, ...fields } = p;
  // Numbered 1 when its first state waits for a check (an authorisation that may expire).
  const checked = paymentCheckKind(p.state) !== undefined;
  const row = await store.insertPayment(trx, {
    ...fields,
    id: newId(now),
    company_id: scope.companyId,
    env: scope.env,
    account_id: account.id,
    bank_id: account.bank_id,
    nuban: account.nuban,
    ...(checked ? { checks: 1 } : {}),
    created_at: now,
    updated_at: now,
  });
  await recordPaymentCreated(trx, ctx, row, first, now);
  // Its first work, in the transaction that creates it: expiry of an authorisation nobody gives
  // (execute.ts expireUnauthorised), or the sending of a consent payment whose consent is active.
  if (checked) await enqueuePaymentCheck(trx, row, { now, runAt: first.due ?? now });
  if (row.state === "queued" && first.sender !== "caller") await enqueueExecuteIfConsentActive(trx, row, now);
  return row;
}

// ── Authorising with the customer ─────────────────────────────────────────────────────────────

/**
 * What the customer's OTP/PIN led to.
 * - `answered`: the bank answered for the money; `payment.state` says how: `succeeded`,
 *   `processing` (the bank says pending: it settles later), `errored` (insufficient funds,
 *   limit), `failed`, or `unknown` (no answer in time: the worker re-queries; never authorise again).
 * - `retry`: nothing moved and the payment is back in `awaiting_authorisation`: `invalid_otp`
 *   (with `attemptsLeft`), `bank_unavailable` (try again in a moment), `bank_session_expired`
 *   (log in again). `message` is for the customer.
 */
export type AuthoriseOutcome =
  | { kind: "answered"; payment: PaymentRow }
  | { kind: "retry"; payment: PaymentRow; reason: "invalid_otp" | "bank_unavailable" | "bank_session_expired"; attemptsLeft?: number; message: string };

/**
 * The customer's OTP/PIN for an `awaiting_authorisation` payment. Exactly-once:
 *  1. one transaction: compare-and-set `awaiting_authorisation → processing` (actor customer),
 *     with the attempt number incremented and the reference `OKRO<id>A<attempt>` fixed, a lease
 *     and a re-query due when it lapses (so a crash from here on is recovered by the worker);
 *     committed;
 *  2. `connector.debit` with that reference, outside any transaction;
 *  3. the outcome by compare-and-set (`recordDebitOutcome`), in its own transaction.
 * A second call while the first is at the bank (a double click) finds the payment `processing`
 * and gets CONFLICT `data.reason: "authorising"`: poll `getPayment` instead.
 */
export async function authorisePayment(
  ctx: AppContext,
  scope: Scope,
  paymentId: string,
  input: { bankSession: Secret; bankAccountId: string; authorization: PaymentAuthorization },
): Promise<AuthoriseOutcome> {
  const sending = await ctx.db.transaction().execute(async (trx) => {
    const row = await getPayment(trx, scope, paymentId);
    if (row.state === "processing" || row.state === "unknown") {
      throw new OkroError("CONFLICT", "payment_id: the payment is being authorised at the bank; check its status instead of authorising again", {
        field: "payment_id",
        data: refusal("authorising", { status: wireStatus(row.state).status }),
      });
    }
    if (row.state !== "awaiting_authorisation" || row.method !== "authorised") {
      throw new OkroError("CONFLICT", `payment_id: ${paymentWithStatus(row.state)} cannot be authorised`, {
        field: "payment_id",
        data: refusal("not_awaiting_authorisation", { status: wireStatus(row.state).status }),
      });
    }
    if (!row.bank_id) throw new OkroError("CONFLICT", "payment_id: the payment has no account to debit yet", { field: "payment_id", data: refusal("no_account") });
    const now = ctx.clock.now();
    const attempt = row.attempt + 1;
    // Its re-query is scheduled for when the customer's hold (paymentLeaseMs) lapses: a crash from here on is recovered.
    const moved = await applyTransition(trx, ctx, row, "processing", {
      actor: "customer",
      reason: "customer_authorised",
      detail: { attempt },
      set: { attempt, reference: paymentReference(row.id, attempt), sent_at: now },
    });
    if (!moved) {
      throw new OkroError("CONFLICT", "payment_id: the payment is being authorised at the bank; check its status instead of authorising again", {
        field: "payment_id",
        data: refusal("authorising"),
      });
    }
    return moved;
  });

  const connector = requireConnectorFor(ctx, sending);
  const expiresAt = new Date(ctx.clock.now().getTime() + 5 * 60_000).toISOString();
  const outcome = await callBank(() =>
    connector.debit(
      {
        session: { token: Secret.of(input.bankSession), expiresAt },
        accountId: input.bankAccountId,
        amount: Number(sending.amount),
        currency: sending.currency,
        reference: sending.reference!,
        narration: debitNarration(sending),
        authorization: input.authorization,
      },
      { timeoutMs: ctx.config.payments.bankTimeoutMs },
    ),
  );
  const recorded = await recordDebitOutcome(ctx, sending, outcome);
  if (recorded.retry) {
    return {
      kind: "retry",
      payment: recorded.payment,
      reason: recorded.retry.reason,
      ...(recorded.retry.attemptsLeft !== undefined ? { attemptsLeft: recorded.retry.attemptsLeft } : {}),
      message: recorded.retry.message,
    };
  }
  return { kind: "answered", payment: recorded.payment };
}

// ── Cancelling, reading, reversals ────────────────────────────────────────────────────────────

/**
 * `pay/cancel` (actor api) or the customer closing the widget (actor customer): only a payment
 * nothing has been sent for (`queued`, `awaiting_authorisation`: wire `pending`/`initiated`).
 * 404 for a payment that is not the tenant's; 409 CONFLICT naming `payment_id` otherwise (also
 * when it moved on while we looked). The ledger is never touched: no money moved.
 */
export async function cancelPayment(trx: Transaction<DB>, ctx: AppContext, scope: Scope, paymentId: string, actor: "api" | "customer"): Promise<PaymentRow> {
  const row = await getPayment(trx, scope, paymentId);
  const refuse = (state: PaymentState) =>
    new OkroError(
      "CONFLICT",
      `payment_id: ${paymentWithStatus(state)} cannot be cancelled; only pending or initiated payments that have not been sent to the bank can`,
      { field: "payment_id", data: refusal("not_cancellable", { status: wireStatus(state).status }) },
    );
  if (!isCancellable(row.state)) throw refuse(row.state);
  const moved = await applyTransition(trx, ctx, row, "cancelled", { actor, reason: actor === "api" ? "cancelled_by_merchant" : "cancelled_by_customer" });
  if (!moved) throw refuse((await getPayment(trx, scope, paymentId)).state);
  return moved;
}

/** The tenant's payment, or 404 NOT_FOUND naming `payment_id`. */
export async function getPayment(db: Executor, scope: Scope, id: string): Promise<PaymentRow> {
  const row = await store.findPayment(db, scope, id);
  if (!row) throw new OkroError("NOT_FOUND", "payment_id: no such payment", { field: "payment_id" });
  return row;
}

/** A page of the tenant's payments, newest first (optionally one customer's). */
export async function listPayments(db: Executor, scope: Scope, opts: { customerId?: string; page: number; limit: number }): Promise<BoundedPage<PaymentRow>> {
  return store.pagePayments(db, scope, opts);
}

/** The payment's history, oldest first. */
export async function transitionsOf(db: Executor, paymentId: string): Promise<TransitionRow[]> {
  return store.transitionsOf(db, paymentId);
}

/**
 * A bank's late reversal notice: `succeeded | settled → reversed` (actor bank), posting the
 * reversal (from pending before settlement, from available after: available may go negative).
 * 409 when the payment had not succeeded (or was already reversed).
 */
export async function reportReversal(ctx: AppContext, scope: Scope, paymentId: string, reason: string): Promise<PaymentRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await getPayment(trx, scope, paymentId);
    if (row.state !== "succeeded" && row.state !== "settled") {
      throw new OkroError("CONFLICT", `payment_id: ${paymentWithStatus(row.state)} cannot be reversed`, { field: "payment_id", data: refusal("not_reversible") });
    }
    const moved = await applyTransition(trx, ctx, row, "reversed", { actor: "bank", reason: "bank_reversed", detail: { bank_reason: reason }, set: { failure_reason: reason } });
    if (!moved) throw new OkroError("CONFLICT", "payment_id: the payment changed meanwhile; try again", { field: "payment_id", data: refusal("changed") });
    return moved;
  });
}
