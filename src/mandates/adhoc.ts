import type { AppContext } from "../context.js";
import type { Executor, Trx } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";
import { kobo } from "../lib/kobo.js";
import { createMandateCharge } from "../payments/service.js";
import type { PaymentRow } from "../payments/types.js";
import { checkCharge, mandateMachine } from "./domain.js";
import { lagosDate, periodStart, startOfLagosDay } from "./schedule.js";
import { chargedByMandates, chargedSoFar, lockMandate, type MandateRow } from "./store.js";
import { termsOf } from "./views.js";

/**
 * Ad-hoc charges on a mandate: one debit of a customer's mandate that is no cycle of a schedule —
 * a bulk row of `type: mandate` (issue 15, decision 0017, migration 0029). The mandate's own rules
 * decide, as for its scheduled charges: it must be active with its bank authority, and the amount
 * must fit its terms ({@link checkCharge}: currency, validity, fixed amount, per-charge, total and
 * per-period caps) counting what it has charged (or has in flight) — {@link checkAdHocCharges}
 * previews that for a file's rows before anything moves, {@link chargeAdHoc} checks again under
 * the mandate's lock when the charge is made and makes it (an ordinary payment carrying the
 * mandate and no cycle).
 *
 * Only a mandate without a schedule is charged this way: one with a schedule charges itself (an
 * extra charge of a fixed schedule would take more than count × amount, which is all a fixed
 * mandate bounds), a sweep mandate belongs to its garnishment, and a payment consent's standing
 * mandate is what a `one-time` row debits already.
 */

export interface AdHocRequest {
  /** The mandate named by the row (its id or its reference), or null: the account's one chargeable mandate. */
  mandate: string | null;
  accountId: string;
  /** When given, the mandate must be this customer's. */
  customer: string | null;
  amount: bigint;
  currency: string;
}

export type AdHocColumn = "mandate" | "account_to_debit" | "customer" | "currency" | "amount";
export type AdHocRefusal = { column: AdHocColumn; code: string; message: string };
export type AdHocCheck = ({ ok: true; mandateId: string; accountToCredit: string | null } ) | ({ ok: false } & AdHocRefusal);

const ID = /^[0-9a-f]{24}$/i;

/** The first instant (platform time) of the mandate's cap period holding `today` (business time), or null without a per-period cap. */
function periodSince(m: MandateRow, today: string, offsetMs: number): Date | null {
  return m.period ? new Date(startOfLagosDay(periodStart(m.period, today)).getTime() - offsetMs) : null;
}

/** Why this mandate cannot take this charge now (its kind, state, account, customer, terms and caps), or null. */
function refusal(m: MandateRow, r: AdHocRequest, today: string, charged: { total: bigint; inPeriod: bigint }): AdHocRefusal | null {
  const name = `mandate ${m.id}`;
  if (m.source === "consent") return { column: "mandate", code: "standing_mandate", message: `${name} is the payment consent of the account: debit it with type one-time` };
  if (m.debit_type === "sweep") return { column: "mandate", code: "sweep_mandate", message: `${name} is a debt recovery's (garnishment) mandate: it is charged by its recovery, not in bulk` };
  if (m.interval !== null) return { column: "mandate", code: "scheduled_mandate", message: `${name} charges on its own ${m.interval} schedule; bulk charges only a mandate without a schedule` };
  if (!mandateMachine.is.chargeable(m.state)) {
    const hint = m.state === "paused" ? " (resume it first)" : mandateMachine.isTerminal(m.state) ? "" : " (the customer or the bank has not authorised it yet)";
    return { column: "mandate", code: "mandate_not_active", message: `${name} is ${m.state}, not active${hint}` };
  }
  if (!m.consent_id) return { column: "mandate", code: "no_bank_authority", message: `${name} has no debit authority at the bank` };
  if (m.account_id !== r.accountId) return { column: "account_to_debit", code: "mandate_account_mismatch", message: `account_to_debit ${r.accountId} is not the account of ${name} (${m.account_id})` };
  if (r.customer && m.customer_id !== r.customer) return { column: "customer", code: "customer_mismatch", message: `customer ${r.customer}: ${name} is not this customer's` };
  const broken = checkCharge(termsOf(m), { amount: r.amount, currency: r.currency, date: today, chargedTotal: charged.total, chargedInPeriod: charged.inPeriod });
  if (broken) return { column: broken.field === "date" ? "mandate" : (broken.field as AdHocColumn), code: broken.reason, message: `${broken.field === "date" ? `${name}: ` : ""}${broken.message}${broken.field === "date" ? "" : ` (${name})`}` };
  return null;
}

/** Mandates a row may be naming or implying, read in two queries for all of them. */
async function candidates(db: Executor, scope: Scope, requests: readonly AdHocRequest[]) {
  const named = [...new Set(requests.flatMap((r) => (r.mandate ? [r.mandate] : [])))];
  const ids = named.filter((n) => ID.test(n));
  const byName = new Map<string, MandateRow>();
  if (named.length) {
    const rows = await db
      .selectFrom("mandates")
      .selectAll()
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .where((eb) => eb.or([...(ids.length ? [eb("id", "in", ids)] : []), eb("reference", "in", named)]))
      .execute();
    for (const m of rows) {
      if (ids.includes(m.id)) byName.set(m.id, m);
      if (m.reference !== null) byName.set(m.reference, m);
    }
  }
  const unnamedAccounts = [...new Set(requests.filter((r) => !r.mandate).map((r) => r.accountId))];
  const byAccount = new Map<string, MandateRow[]>();
  if (unnamedAccounts.length) {
    const rows = await db
      .selectFrom("mandates")
      .selectAll()
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .where("account_id", "in", unnamedAccounts)
      .where("state", "=", "active")
      .where("interval", "is", null)
      .where("source", "<>", "consent")
      .where("debit_type", "<>", "sweep")
      .orderBy("created_at")
      .execute();
    for (const m of rows) byAccount.set(m.account_id, [...(byAccount.get(m.account_id) ?? []), m]);
  }
  return { byName, byAccount };
}

/**
 * Would each charge be made, were it made now, after the ones before it? In order: `planned` is
 * what earlier requests (of this call and of earlier calls with the same map: a file's earlier
 * chunks) will charge each mandate, and each accepted request adds to it — so the rows of one file
 * are held to the caps together. Reads, never writes; a preview (the charge is checked again when
 * made). A mandate of another company or environment reads exactly like a missing one.
 */
export async function checkAdHocCharges(db: Executor, scope: Scope, requests: readonly AdHocRequest[], offsetMs: number, now: Date, planned: Map<string, bigint>): Promise<AdHocCheck[]> {
  if (requests.length === 0) return [];
  const today = lagosDate(new Date(now.getTime() + offsetMs));
  const { byName, byAccount } = await candidates(db, scope, requests);
  const resolved = requests.map((r): MandateRow | AdHocRefusal => {
    if (r.mandate) {
      return byName.get(r.mandate) ?? { column: "mandate", code: "unknown_mandate", message: `mandate ${JSON.stringify(r.mandate.slice(0, 64))}: no such mandate (its id or its reference, from mandates/list)` };
    }
    const found = byAccount.get(r.accountId) ?? [];
    if (found.length === 1) return found[0]!;
    return found.length === 0
      ? { column: "mandate", code: "no_mandate", message: `mandate is empty and account_to_debit ${r.accountId} has no active mandate without a schedule to charge: name the mandate (its id or reference)` }
      : { column: "mandate", code: "several_mandates", message: `mandate is empty and account_to_debit ${r.accountId} has ${found.length} active mandates: name the one to charge (${found.map((m) => m.reference ?? m.id).join(", ")})` };
  });
  const mandates = new Map<string, MandateRow>();
  for (const m of resolved) if ("id" in m) mandates.set(m.id, m);
  const charged = await chargedByMandates(db, new Map([...mandates.values()].map((m) => [m.id, periodSince(m, today, offsetMs)])));
  return requests.map((r, i) => {
    const m = resolved[i]!;
    if (!("id" in m)) return { ok: false, ...m };
    const sums = charged.get(m.id) ?? { total: 0n, inPeriod: 0n };
    // Everything planned by this file is charged today: in the total and in today's period.
    const before = planned.get(m.id) ?? 0n;
    const refused = refusal(m, r, today, { total: sums.total + before, inPeriod: sums.inPeriod + before });
    if (refused) return { ok: false, ...refused };
    planned.set(m.id, before + r.amount);
    return { ok: true, mandateId: m.id, accountToCredit: m.account_to_credit };
  });
}

export type AdHocResult = { kind: "charged"; payment: PaymentRow } | ({ kind: "refused" } & AdHocRefusal);

/**
 * Makes one ad-hoc charge of a mandate, in the caller's transaction, under the mandate's lock (a
 * charge, a cancel or another charge of the same mandate serialise there): the same checks as
 * {@link checkAdHocCharges} on the mandate as it is now and what it has charged so far, then the
 * payment (`createMandateCharge`: queued, its history and event; `sender: "caller"` sends it after
 * the caller commits). Refused: nothing written. `offsetMs`: the company's business-clock offset,
 * read before the transaction ({@link clockOffsetMs}). The caller makes it once (its own lock and state).
 */
export async function chargeAdHoc(
  trx: Trx,
  ctx: AppContext,
  scope: Scope,
  input: { mandateId: string; accountId: string; customer?: string | null; amount: bigint; currency: string; accountToCredit?: string | null; note?: string | null; sender?: "caller" },
  offsetMs: number,
): Promise<AdHocResult> {
  const m = await lockMandate(trx, input.mandateId);
  if (!m || m.company_id !== scope.companyId || m.env !== scope.env) return { kind: "refused", column: "mandate", code: "unknown_mandate", message: `mandate ${input.mandateId}: no such mandate` };
  const now = ctx.clock.now();
  const today = lagosDate(new Date(now.getTime() + offsetMs));
  const charged = await chargedSoFar(trx, m.id, [], periodSince(m, today, offsetMs) ?? undefined);
  const refused = refusal(m, { mandate: m.id, accountId: input.accountId, customer: input.customer ?? null, amount: input.amount, currency: input.currency }, today, charged);
  if (refused) return { kind: "refused", ...refused };
  const credit = input.accountToCredit ?? m.account_to_credit;
  const payment = await createMandateCharge(trx, ctx, scope, {
    mandateId: m.id,
    consentId: m.consent_id!,
    accountId: m.account_id,
    ...(credit ? { accountToCredit: credit } : {}),
    amount: kobo(input.amount),
    currency: input.currency,
    cycle: null,
    chargeAttempt: null,
    note: input.note ?? `${m.purpose ?? "Mandate"} — charge of ${today}`,
    ...(input.sender ? { sender: input.sender } : {}),
  });
  // No cycle: nothing unique to collide with, so it is always made.
  return { kind: "charged", payment: payment! };
}
