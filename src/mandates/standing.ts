import type { Selectable } from "kysely";
import type { Executor, Trx } from "../core/db.js";
import type { AppContext } from "../context.js";
import { appendHistory } from "../core/machine.js";
import type { Scope } from "../core/tenancy.js";
import type { PaymentConsentsTable } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { DEFAULT_RETRY_POLICY, mandateMachine } from "./domain.js";
import { lagosDate } from "./schedule.js";
import { insertMandate, type MandateRow } from "./store.js";
import { mandateStore, moveMandate } from "./transitions.js";

/**
 * The standing mandate of a payment consent (decision 0016, migration 0023): the "pay later"
 * authority a customer gives in the widget is a mandate too — `source: consent`, variable, no total
 * cap, `max_per_charge` = the consent's per-debit limit, open-ended, no schedule — so it is listed,
 * paused, cancelled or withdrawn like any other, and one-off debits (`pay/initiate`, bulk rows) are
 * checked against it. The consent stays the bank side (its bank mandate, activation checks and
 * execution); this mandate follows it: created with it (no event, as the consent's creation has
 * none), `active` when it activates, `rejected` or `revoked` when it is revoked, removed with it
 * when the bank refused it outright. At most one live standing mandate per consent (unique index).
 *
 * Only a standing consent has one (decision 0027): a consent the customer gave for one specific
 * mandate (`standing = false`, `bound_mandate_id`) confers no authority beyond that mandate, so
 * one-off debits on an account whose only consent is such are refused (`consent_bound_to_mandate`).
 *
 * Called by the payments engine (consents.ts, transitions.ts); imports nothing of it.
 */

type ConsentRow = Selectable<PaymentConsentsTable>;

const LIVE = ["awaiting_bank", "active", "paused"] as const;

/** The consent's live standing mandate, if any (locked when `trx` is a transaction and `lock`). */
export async function standingMandateOf(db: Executor, consentId: string): Promise<MandateRow | undefined> {
  return db.selectFrom("mandates").selectAll().where("consent_id", "=", consentId).where("source", "=", "consent").where("state", "in", LIVE).executeTakeFirst();
}

/**
 * Creates the consent's standing mandate (`awaiting_bank`, or `active` with `mandate.active` when
 * the consent already is) unless it has a live one; returns the live one.
 */
export async function ensureStandingMandate(trx: Trx, ctx: AppContext, consent: ConsentRow, actor: "customer" | "worker" = "customer"): Promise<MandateRow> {
  if (!consent.standing) throw new Error(`consent ${consent.id} was given for a mandate, not as a standing consent`);
  const existing = await standingMandateOf(trx, consent.id);
  if (existing) return existing;
  const now = ctx.clock.now();
  const row = await insertMandate(trx, {
    id: newId(now),
    company_id: consent.company_id,
    env: consent.env,
    customer_id: consent.customer_id,
    account_id: consent.account_id,
    bank_id: consent.bank_id,
    consent_id: consent.id,
    state: "awaiting_bank",
    state_reason: "payment_consent",
    source: "consent",
    debit_type: "variable",
    currency: consent.currency,
    max_per_charge: consent.max_amount,
    start_date: lagosDate(now),
    purpose: "Payment consent",
    retry_attempts: DEFAULT_RETRY_POLICY.attempts,
    retry_spacing_hours: DEFAULT_RETRY_POLICY.spacingHours,
    authorised_at: now,
    created_at: now,
    updated_at: now,
  });
  await appendHistory(trx, mandateStore, { object: "mandate", id: row.id, from: null, to: row.state, actor, reason: "payment_consent", detail: { consent: consent.id }, at: now });
  if (consent.status === "active") return (await followConsent(trx, ctx, consent, row)) ?? row;
  return row;
}

/**
 * After the consent moved: its standing mandate follows (active ← active; revoked → `rejected` if
 * it never activated, else `revoked`). Each move emits `mandate.<state>`.
 */
export async function followConsent(trx: Trx, ctx: AppContext, consent: ConsentRow, known?: MandateRow): Promise<MandateRow | undefined> {
  const m = known ?? (await standingMandateOf(trx, consent.id));
  if (!m || mandateMachine.isTerminal(m.state)) return m;
  if (consent.status === "active" && m.state === "awaiting_bank") {
    return moveMandate(trx, ctx, m, "active", { actor: "bank", reason: "bank_activated", set: { activated_at: ctx.clock.now() } });
  }
  if (consent.status === "revoked") {
    return moveMandate(trx, ctx, m, m.state === "awaiting_bank" ? "rejected" : "revoked", { actor: "bank", reason: m.state === "awaiting_bank" ? "bank_rejected" : "bank_authority_ended" });
  }
  return m;
}

/** Removes the standing mandate of a consent the bank refused at creation, with its history (nobody saw either). */
export async function deleteStandingMandate(trx: Trx, consentId: string): Promise<void> {
  const rows = await trx.selectFrom("mandates").select("id").where("consent_id", "=", consentId).where("source", "=", "consent").execute();
  if (rows.length === 0) return;
  const ids = rows.map((r) => r.id);
  await trx.deleteFrom("state_transitions").where("object_type", "=", "mandate").where("object_id", "in", ids).execute();
  await trx.deleteFrom("mandates").where("id", "in", ids).execute();
}

export interface DebitAuthority {
  accountId: string;
  consentId: string;
  /** The live standing mandate (null: none). */
  mandateId: string | null;
  /** Whether a one-off debit may go: the standing mandate is awaiting the bank or active. */
  open: boolean;
  /**
   * Why not, when not: `paused` or `withdrawn` (cancelled, by the company or the payer), or
   * `bound`: the consent was given for one mandate only (`boundMandateId`), decision 0027.
   */
  closed: "paused" | "withdrawn" | "bound" | null;
  /** The mandate a bound consent was given for (null: standing, or not recorded). */
  boundMandateId: string | null;
  /** The per-debit limit (kobo). */
  maxPerCharge: bigint;
}

/**
 * What one-off debits of these accounts are checked against: each account's live consent read
 * through its standing mandate. A consent whose standing mandate ended (cancelled, withdrawn by the
 * payer) is closed; a paused one too. A consent that never had one (written before migration 0023
 * by something that bypasses grantConsent) is read as before: its own limit.
 */
export async function debitAuthorities(db: Executor, scope: Scope, accountIds: readonly string[]): Promise<Map<string, DebitAuthority>> {
  const out = new Map<string, DebitAuthority>();
  if (accountIds.length === 0) return out;
  const rows = await db
    .selectFrom("payment_consents as c")
    .leftJoin("mandates as m", (j) => j.onRef("m.consent_id", "=", "c.id").on("m.source", "=", "consent"))
    .select(["c.id as consent_id", "c.account_id", "c.max_amount", "c.standing", "c.bound_mandate_id", "m.id as mandate_id", "m.state", "m.max_per_charge"])
    .where("c.company_id", "=", scope.companyId)
    .where("c.env", "=", scope.env)
    .where("c.status", "<>", "revoked")
    .where("c.account_id", "in", accountIds)
    .execute();
  for (const r of rows) {
    const prev = out.get(r.account_id);
    if (!r.standing) {
      // Given for one mandate: no standing authority (a standing consent's own rows win).
      if (!prev) out.set(r.account_id, { accountId: r.account_id, consentId: r.consent_id, mandateId: null, open: false, closed: "bound", boundMandateId: r.bound_mandate_id, maxPerCharge: r.max_amount });
      continue;
    }
    const live = r.state !== null && (LIVE as readonly string[]).includes(r.state);
    if (prev?.mandateId && !live) continue; // a live one was found already
    if (live) {
      out.set(r.account_id, { accountId: r.account_id, consentId: r.consent_id, mandateId: r.mandate_id, open: r.state !== "paused", closed: r.state === "paused" ? "paused" : null, boundMandateId: null, maxPerCharge: r.max_per_charge ?? r.max_amount });
    } else if (r.mandate_id !== null) {
      out.set(r.account_id, { accountId: r.account_id, consentId: r.consent_id, mandateId: null, open: false, closed: "withdrawn", boundMandateId: null, maxPerCharge: r.max_amount });
    } else if (!prev || prev.closed === "bound") {
      out.set(r.account_id, { accountId: r.account_id, consentId: r.consent_id, mandateId: null, open: true, closed: null, boundMandateId: null, maxPerCharge: r.max_amount });
    }
  }
  return out;
}

/**
 * The refusal of a debit on request (`pay/initiate`, a recurring or garnish `pay/initiate` on the
 * standing consent) when the account's consent was given for one mandate only: 422 naming
 * `field`, `data.reason` `consent_bound_to_mandate` and `data.authorization` the mandate.
 */
export function boundConsentRefusal(field: string, boundMandateId: string | null): { message: string; data: { reason: "consent_bound_to_mandate"; code: number; authorization: string | null } } {
  const which = boundMandateId ? `mandate (authorization) ${boundMandateId}` : "one mandate (authorization)";
  return {
    message: `${field}: the customer's consent on this account was given for ${which} only, not for debits on request; charge through that authorization (pay/authorization/initiate), or ask them to save the account for future payments in the widget`,
    data: { reason: "consent_bound_to_mandate", code: 1027, authorization: boundMandateId },
  };
}
