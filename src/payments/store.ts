import { sql, type Insertable, type Selectable, type Updateable } from "kysely";
import type {
  AccountsTable,
  PaymentConsentsTable,
  PaymentsTable,
  PaymentStateColumn,
  PayoutsTable,
  RefundsTable,
  TransferState,
} from "../db/schema.js";
import type { ConsentRow, Executor, PaymentRow, PayoutRow, RefundRow, Scope, TransitionRow } from "./types.js";
import type { Trx } from "../core/db.js";
import { boundedPage, cappedCount, DEFERRED_JOIN_OFFSET, type BoundedPage } from "../core/paging.js";

/**
 * The payments engine's SQL (payments, history, consents, refunds, payouts).
 * Everything that changes a state is a compare-and-set on (id, state): zero rows back means
 * someone else moved the row first, and the caller decides what that means. Nothing here talks
 * to a bank or decides a business rule.
 */

// ── Payments ──────────────────────────────────────────────────────────────────────────────────

export async function findPayment(db: Executor, scope: Scope, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom("payments").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

export async function paymentById(db: Executor, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom("payments").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function insertPayment(trx: Trx, values: Insertable<PaymentsTable>): Promise<PaymentRow> {
  return trx.insertInto("payments").values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Numbers the payment's next check (`checks + 1`) if it is still in `from` with check number
 * `seq` (the job doing it is still the row's latest): `UPDATE … WHERE id AND state AND checks
 * RETURNING *`, leaving the state as it is. The caller enqueues the check in the same
 * transaction (schedule.ts). State changes go through transitions.ts `applyTransition`.
 */
export async function bumpPaymentCheck(trx: Executor, id: string, from: PaymentStateColumn, seq: number, updatedAt: Date): Promise<PaymentRow | undefined> {
  return trx
    .updateTable("payments")
    .set({ checks: sql<number>`checks + 1`, updated_at: updatedAt })
    .where("id", "=", id)
    .where("state", "=", from)
    .where("checks", "=", seq)
    .returningAll()
    .executeTakeFirst();
}

export async function transitionsOf(db: Executor, paymentId: string): Promise<TransitionRow[]> {
  return db.selectFrom("payment_transitions").selectAll().where("payment_id", "=", paymentId).orderBy("id").execute();
}

export async function pagePayments(db: Executor, scope: Scope, opts: { customerId?: string | undefined; page: number; limit: number }): Promise<BoundedPage<PaymentRow>> {
  let from = db.selectFrom("payments").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (opts.customerId !== undefined) from = from.where("customer_id", "=", opts.customerId);
  return boundedPage(
    opts.page,
    opts.limit,
    (limit, offset) => {
      const page = (q: typeof from) => q.orderBy("created_at", "desc").orderBy("id", "desc");
      if (offset < DEFERRED_JOIN_OFFSET) return page(from).selectAll().limit(limit).offset(offset).execute();
      const ids = page(from).select("id").limit(limit).offset(offset);
      // Only the ids (already the tenant's): a tenant filter here would invite a walk of the list index.
      return page(db.selectFrom("payments")).selectAll().where(sql<boolean>`id = ANY(ARRAY(${ids}))`).execute();
    },
    (cap) => cappedCount(db, from, cap),
  );
}

// ── Accounts (the customer's, and the company's receiving accounts) ───────────────────────────

export async function findAccount(db: Executor, scope: Scope, id: string): Promise<Selectable<AccountsTable> | undefined> {
  return db.selectFrom("accounts").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

// ── Consents ──────────────────────────────────────────────────────────────────────────────────

/** The account's consent that is not revoked (at most one: a partial unique index). */
export async function liveConsentFor(db: Executor, scope: Scope, accountId: string): Promise<ConsentRow | undefined> {
  return db
    .selectFrom("payment_consents")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("status", "<>", "revoked")
    .executeTakeFirst();
}

export async function consentById(db: Executor, id: string): Promise<ConsentRow | undefined> {
  return db.selectFrom("payment_consents").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Inserts a consent unless the account already has a live one; undefined then. */
export async function insertConsent(trx: Trx, values: Insertable<PaymentConsentsTable>): Promise<ConsentRow | undefined> {
  return trx
    .insertInto("payment_consents")
    .values(values)
        // The predicate must be a literal: PostgreSQL matches it against the partial index's own.
    .onConflict((oc) => oc.column("account_id").where(sql<boolean>`status <> 'revoked'`).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * The customer gave standing consent on an account whose live consent was given for one mandate
 * (decision 0027): the consent becomes standing (its bound mandate keeps it). Not a state change.
 */
export async function makeConsentStanding(trx: Trx, id: string): Promise<ConsentRow | undefined> {
  return trx.updateTable("payment_consents").set({ standing: true }).where("id", "=", id).returningAll().executeTakeFirst();
}

/** Records the mandate a bound consent was given for, unless it names one already. */
export async function bindConsentTo(db: Executor, id: string, mandateId: string): Promise<void> {
  await db.updateTable("payment_consents").set({ bound_mandate_id: mandateId }).where("id", "=", id).where("standing", "=", false).where("bound_mandate_id", "is", null).execute();
}

/**
 * Updates a consent still in `from` (and, when `seq` is given, still at check number `seq`),
 * leaving its status as it is; `bump` numbers its next check (`checks + 1`) for the caller to
 * enqueue in the same transaction. Status changes go through transitions.ts `moveConsent`.
 */
export async function casConsent(
  trx: Executor,
  id: string,
  from: ConsentRow["status"],
  set: Omit<Updateable<PaymentConsentsTable>, "status" | "checks">,
  opts: { seq?: number; bump?: boolean } = {},
): Promise<ConsentRow | undefined> {
  let q = trx
    .updateTable("payment_consents")
    .set({ ...set, ...(opts.bump ? { checks: sql<number>`checks + 1` } : {}) })
    .where("id", "=", id)
    .where("status", "=", from);
  if (opts.seq !== undefined) q = q.where("checks", "=", opts.seq);
  return q.returningAll().executeTakeFirst();
}

/** Removes a consent the bank refused at creation, with its history (it never existed for anyone). */
export async function deleteConsent(db: Executor, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("state_transitions").where("object_type", "=", "consent").where("object_id", "=", id).execute();
    await trx.deleteFrom("payment_consents").where("id", "=", id).execute();
  });
}

// ── Refunds and payouts ───────────────────────────────────────────────────────────────────────

export async function refundsOfPayment(db: Executor, paymentId: string): Promise<RefundRow[]> {
  return db.selectFrom("refunds").selectAll().where("payment_id", "=", paymentId).orderBy("created_at").orderBy("id").execute();
}

export async function insertRefund(trx: Trx, values: Insertable<RefundsTable>): Promise<RefundRow> {
  return trx.insertInto("refunds").values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertPayout(trx: Trx, values: Insertable<PayoutsTable>): Promise<PayoutRow> {
  return trx.insertInto("payouts").values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findRefund(db: Executor, scope: Scope, id: string): Promise<RefundRow | undefined> {
  return db.selectFrom("refunds").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

export async function findPayout(db: Executor, scope: Scope, id: string): Promise<PayoutRow | undefined> {
  return db.selectFrom("payouts").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
}

export async function pageRefunds(db: Executor, scope: Scope, opts: { paymentId?: string | undefined; page: number; limit: number }): Promise<{ rows: RefundRow[]; total: number }> {
  let from = db.selectFrom("refunds").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (opts.paymentId !== undefined) from = from.where("payment_id", "=", opts.paymentId);
  const rows = await from.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).offset((opts.page - 1) * opts.limit).execute();
  const count = await from.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}

export async function pagePayouts(db: Executor, scope: Scope, opts: { page: number; limit: number }): Promise<{ rows: PayoutRow[]; total: number }> {
  const from = db.selectFrom("payouts").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  const rows = await from.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).offset((opts.page - 1) * opts.limit).execute();
  const count = await from.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}

/** A money-out row (refund or payout): the columns the credit engine reads and writes. */
export type TransferTable = "refunds" | "payouts";
export type TransferRow = RefundRow | PayoutRow;
export type TransferSet = Partial<Pick<Updateable<RefundsTable>, "attempt" | "reference" | "sent_at" | "failure_reason" | "checks" | "updated_at">>;

/**
 * Numbers a refund's or payout's next check (`checks + 1`) if it is still in `from` with check
 * number `seq`, leaving the state as it is (`set` rides along); the caller enqueues the check in
 * the same transaction. State changes go through transitions.ts `moveTransfer`.
 */
export async function bumpTransferCheck(
  trx: Executor,
  table: TransferTable,
  id: string,
  from: TransferState,
  seq: number,
  set: Omit<TransferSet, "checks">,
): Promise<TransferRow | undefined> {
  const assignments = Object.entries(set)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => sql`${sql.ref(k)} = ${v}`);
  const { rows } = await sql<TransferRow>`
    UPDATE ${sql.table(table)} SET ${sql.join([sql`checks = checks + 1`, ...assignments])}
    WHERE id = ${id} AND state = ${from} AND checks = ${seq}
    RETURNING *
  `.execute(trx);
  return rows[0];
}

export async function transferById(db: Executor, table: TransferTable, id: string): Promise<TransferRow | undefined> {
  const { rows } = await sql<TransferRow>`SELECT * FROM ${sql.table(table)} WHERE id = ${id}`.execute(db);
  return rows[0];
}

// ── Review threshold ──────────────────────────────────────────────────────────────────────────

/** The company's review threshold in this environment (kobo), or null when payments are not reviewed. */
export async function reviewThreshold(db: Executor, scope: Scope): Promise<bigint | null> {
  const row = await db
    .selectFrom("payment_review_settings")
    .select("threshold")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  return row?.threshold ?? null;
}

export async function saveReviewThreshold(db: Executor, scope: Scope, threshold: bigint | null, by: string, now: Date): Promise<void> {
  await db
    .insertInto("payment_review_settings")
    .values({ company_id: scope.companyId, env: scope.env, threshold, updated_by: by, updated_at: now })
    .onConflict((oc) => oc.columns(["company_id", "env"]).doUpdateSet({ threshold, updated_by: by, updated_at: now }))
    .execute();
}
