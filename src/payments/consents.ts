import { Secret, type PaymentAuthorization } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import { bankErrorToOkro, requireConnector } from "../data/link.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import { kobo, type Kobo } from "../lib/kobo.js";
import { callBank, paymentLeaseMs, recordMandate, REQUERY_BASE_MS } from "./execute.js";
import * as store from "./store.js";
import { enqueueConsentCheck } from "./schedule.js";
import { recordConsentCreated } from "./transitions.js";
import { deleteStandingMandate, ensureStandingMandate } from "../mandates/standing.js";
import type { ConsentRow, Executor, Scope } from "./types.js";

/**
 * Payment consents: a customer's standing authority for the company to debit one linked account
 * without them present (`pay/initiate`), backed by a bank mandate the customer authorises once
 * with their OTP/PIN in the widget. A consent is `pending` until the bank activates the mandate
 * (the `consents.activate` job asks `getMandate`), then `active`; `revoked` when the bank cancels it.
 */

/** The largest single debit a consent allows unless the widget asks for another (kobo): ₦1,000,000. */
export const DEFAULT_CONSENT_MAX_AMOUNT: Kobo = kobo(100_000_000);

/** Lagos calendar day (UTC+1, no DST) of `at`: the first day a new mandate allows debits. */
function lagosDay(at: Date): string {
  return new Date(at.getTime() + 3_600_000).toISOString().slice(0, 10);
}

/**
 * Grants payment consent on a linked account. Exactly-once like a debit:
 *  1. a `pending` consent with a fixed mandate reference (`OKROM<id>`) is inserted and committed,
 *     with its `consents.activate` check enqueued for when the customer's hold lapses (so a crash
 *     from here on is recovered);
 *  2. `createMandate` with the customer's bank session and OTP/PIN, outside any transaction;
 *  3. the answer recorded by compare-and-set: `active` at once (`consent.active`), or `pending`
 *     until `activates_at` (checked again then, and activated).
 * A timeout leaves it `pending`, re-queried shortly with `getMandate({reference})`. A
 * refusal (wrong OTP with `attempts_left`, locked, …: 422; bank down: 503) removes the consent
 * row, since the bank holds nothing (its check job then finds nothing to do). An account that already has a live consent gets it back
 * without a bank call. 404 naming `account_id` when the account is not the tenant's.
 */
export async function grantConsent(
  ctx: AppContext,
  scope: Scope,
  input: {
    accountId: string;
    bankSession: Secret;
    authorization: PaymentAuthorization;
    maxAmount?: Kobo;
    /**
     * What the customer consents to (decision 0027). `standing` (the default: the widget's payment
     * consent, "save this account for future payments"): debits on request — the consent gets its
     * standing mandate (a live consent bound to a mandate becomes standing, as the customer now
     * gave that too). `{ mandate }`: one specific mandate (its id, or null when it is written right
     * after, see {@link bindConsent}) — a new consent is bound to it and confers no standing
     * authority; a live consent is reused as it is.
     */
    purpose?: "standing" | { mandate: string | null };
  },
): Promise<ConsentRow> {
  const maxAmount = input.maxAmount ?? DEFAULT_CONSENT_MAX_AMOUNT;
  const standing = input.purpose === undefined || input.purpose === "standing";
  if (maxAmount <= 0n) throw new OkroError("INVALID_FIELD", "max_amount: must be a positive integer (kobo)", { field: "max_amount" });
  const created = await ctx.db.transaction().execute(async (trx) => {
    const account = await store.findAccount(trx, scope, input.accountId);
    if (!account) throw new OkroError("NOT_FOUND", "account_id: no such account", { field: "account_id" });
    // Before anything is written: an environment that cannot reach the bank gets a clear 422.
    requireConnector(ctx, scope, account.bank_id);
    const live = await store.liveConsentFor(trx, scope, account.id);
    if (live) {
      if (!standing) return { consent: live, account, fresh: false };
      const promoted = live.standing ? live : ((await store.makeConsentStanding(trx, live.id)) ?? live);
      await ensureStandingMandate(trx, ctx, promoted);
      return { consent: promoted, account, fresh: false };
    }
    const now = ctx.clock.now();
    const id = newId(now);
    const inserted = await store.insertConsent(trx, {
      id,
      company_id: scope.companyId,
      env: scope.env,
      customer_id: account.customer_id,
      account_id: account.id,
      bank_id: account.bank_id,
      reference: `OKROM${id}`,
      mandate_id: null,
      status: "pending",
      max_amount: maxAmount,
      currency: account.currency,
      activates_at: null,
      checks: 1,
      standing,
      bound_mandate_id: typeof input.purpose === "object" ? input.purpose.mandate : null,
      created_at: now,
      updated_at: now,
    });
    if (inserted) {
      await recordConsentCreated(trx, inserted, "customer", now);
      // A standing consent is a mandate too (decision 0016): debits are checked against it. One
      // given for a specific mandate is that mandate's only (decision 0027).
      if (inserted.standing) await ensureStandingMandate(trx, ctx, inserted);
      // Checked with the bank once the customer's hold lapses, whatever happens to the call below.
      await enqueueConsentCheck(trx, inserted, { now, runAt: new Date(now.getTime() + paymentLeaseMs(ctx.config)) });
      return { consent: inserted, account, fresh: true };
    }
    // Another grant for the same account committed between our read and insert.
    return { consent: (await store.liveConsentFor(trx, scope, account.id))!, account, fresh: false };
  });
  const { consent, account } = created;
  if (!created.fresh) return consent;

  const connector = requireConnector(ctx, scope, consent.bank_id);
  const now = ctx.clock.now();
  const outcome = await callBank(() =>
    connector.createMandate(
      {
        session: { token: Secret.of(input.bankSession), expiresAt: new Date(now.getTime() + 5 * 60_000).toISOString() },
        accountId: account.bank_account_id,
        reference: consent.reference,
        maxAmount: Number(consent.max_amount),
        currency: consent.currency,
        startDate: lagosDay(now),
        narration: "OKRO PAYMENT CONSENT",
        authorization: input.authorization,
      },
      { timeoutMs: ctx.config.payments.bankTimeoutMs },
    ),
  );
  if (outcome.kind === "ok") {
    const recorded = await recordMandate(ctx, consent, outcome.value, consent.checks);
    return recorded ?? (await store.consentById(ctx.db, consent.id)) ?? consent;
  }
  if (outcome.kind === "unknown" || outcome.error.reason === "duplicate_reference") {
    // Maybe created: `consents.activate` asks the bank by reference shortly.
    const at = ctx.clock.now();
    const updated = await ctx.db.transaction().execute(async (trx) => {
      const bumped = await store.casConsent(trx, consent.id, "pending", {}, { seq: consent.checks, bump: true });
      if (bumped) await enqueueConsentCheck(trx, bumped, { now: at, runAt: new Date(at.getTime() + REQUERY_BASE_MS) });
      return bumped;
    });
    return updated ?? (await store.consentById(ctx.db, consent.id)) ?? consent;
  }
  await ctx.db.transaction().execute((trx) => deleteStandingMandate(trx, consent.id));
  await store.deleteConsent(ctx.db, consent.id);
  throw bankErrorToOkro(outcome.error);
}

/**
 * Names the mandate a consent given for it is bound to, when the mandate was written after the
 * consent (a recurring link's): only a bound consent that names none yet (decision 0027).
 */
export async function bindConsent(db: Executor, consentId: string, mandateId: string): Promise<void> {
  await store.bindConsentTo(db, consentId, mandateId);
}

/** The account's consent that is not revoked (pending or active), if any. */
export async function consentFor(db: Executor, scope: Scope, accountId: string): Promise<ConsentRow | undefined> {
  return store.liveConsentFor(db, scope, accountId);
}
