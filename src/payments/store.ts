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

/**
 * The payments engine's SQL (payments, history, consents, refunds, payouts, the worker's claims).
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
 * `UPDATE payments SET … WHERE id = $id AND state = $from [AND lease_until = $lease] RETURNING *`,
 * leaving the state as it is (re-scheduling, re-leasing): state changes go through
 * transitions.ts `applyTransition`.
 */
export async function casPayment(
  trx: Executor,
  id: string,
  from: PaymentStateColumn,
  set: Omit<Updateable<PaymentsTable>, "state">,
  opts: { leaseUntil?: Date | null } = {},
): Promise<PaymentRow | undefined> {
  let q = trx.updateTable("payments").set(set).where("id", "=", id).where("state", "=", from);
  if (opts.leaseUntil !== undefined) q = opts.leaseUntil === null ? q.where("lease_until", "is", null) : q.where("lease_until", "=", opts.leaseUntil);
  return q.returningAll().executeTakeFirst();
}

export async function transitionsOf(db: Executor, paymentId: string): Promise<TransitionRow[]> {
  return db.selectFrom("payment_transitions").selectAll().where("payment_id", "=", paymentId).orderBy("id").execute();
}

export async function pagePayments(db: Executor, scope: Scope, opts: { customerId?: string | undefined; page: number; limit: number }): Promise<{ rows: PaymentRow[]; total: number }> {
  let from = db.selectFrom("payments").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (opts.customerId !== undefined) from = from.where("customer_id", "=", opts.customerId);
  const rows = await from
    .selectAll()
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(opts.limit)
    .offset((opts.page - 1) * opts.limit)
    .execute();
  const count = await from.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
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

export async function casConsent(
  trx: Executor,
  id: string,
  from: ConsentRow["status"],
  set: Omit<Updateable<PaymentConsentsTable>, "status">,
  opts: { nextCheckAt?: Date | null } = {},
): Promise<ConsentRow | undefined> {
  let q = trx.updateTable("payment_consents").set(set).where("id", "=", id).where("status", "=", from);
  if (opts.nextCheckAt !== undefined) q = opts.nextCheckAt === null ? q.where("next_check_at", "is", null) : q.where("next_check_at", "=", opts.nextCheckAt);
  return q.returningAll().executeTakeFirst();
}

/** Removes a consent the bank refused at creation, with its history (it never existed for anyone). */
export async function deleteConsent(db: Executor, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("state_transitions").where("object_type", "=", "consent").where("object_id", "=", id).execute();
    await trx.deleteFrom("payment_consents").where("id", "=", id).execute();
  });
}

/** Queued payments waiting on a consent that just became active: due now. */
export async function wakePaymentsOfConsent(trx: Executor, consentId: string, now: Date): Promise<void> {
  await trx
    .updateTable("payments")
    .set({ next_check_at: now, checks: 0 })
    .where("consent_id", "=", consentId)
    .where("state", "=", "queued")
    .where("next_check_at", ">", now)
    .execute();
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
export type TransferSet = Partial<Pick<Updateable<RefundsTable>, "attempt" | "reference" | "sent_at" | "failure_reason" | "next_check_at" | "checks" | "lease_until" | "updated_at">>;

/**
 * Compare-and-set on a refund's or payout's state (and optionally its lease) that leaves the state
 * as it is: re-scheduling and re-leasing. State changes go through transitions.ts `moveTransfer`.
 */
export async function casTransfer(
  trx: Executor,
  table: TransferTable,
  id: string,
  from: TransferState,
  set: TransferSet,
  opts: { leaseUntil?: Date | null } = {},
): Promise<TransferRow | undefined> {
  const lease = opts.leaseUntil === undefined ? sql`` : opts.leaseUntil === null ? sql`AND lease_until IS NULL` : sql`AND lease_until = ${opts.leaseUntil}`;
  const assignments = Object.entries(set)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => sql`${sql.ref(k)} = ${v}`);
  const { rows } = await sql<TransferRow>`
    UPDATE ${sql.table(table)} SET ${sql.join(assignments)}
    WHERE id = ${id} AND state = ${from} ${lease}
    RETURNING *
  `.execute(trx);
  return rows[0];
}

// ── The worker's claims ───────────────────────────────────────────────────────────────────────

export type ClaimTable = "payments" | "refunds" | "payouts" | "payment_consents";

/**
 * Claims up to `limit` due rows of `table` in one statement: due (`next_check_at <= now`), no live
 * lease, `FOR UPDATE SKIP LOCKED` so concurrent claimers take different rows. The claim is a
 * lease: `lease_until` (payments, refunds, payouts) and `next_check_at` are pushed to
 * `leaseUntil`, so the row is not due again until the lease lapses — which is exactly when a
 * worker that died mid-call has its row picked up by another. The statement commits on its own:
 * the claimer then works OUTSIDE any transaction and records outcomes by compare-and-set.
 */
export async function claimDue<R>(
  db: Executor,
  table: ClaimTable,
  p: { now: Date; leaseUntil: Date; limit: number; companyIds?: readonly string[] | undefined },
): Promise<R[]> {
  if (p.limit <= 0) return [];
  const scope = p.companyIds ? sql`AND company_id = ANY(${[...p.companyIds]}::text[])` : sql``;
  const leased = table !== "payment_consents";
  const free = leased ? sql`AND (lease_until IS NULL OR lease_until <= ${p.now})` : sql``;
  const setLease = leased ? sql`, lease_until = ${p.leaseUntil}` : sql``;
  const { rows } = await sql<R>`
    UPDATE ${sql.table(table)} SET next_check_at = ${p.leaseUntil} ${setLease}
    WHERE id IN (
      SELECT id FROM ${sql.table(table)}
      WHERE next_check_at IS NOT NULL AND next_check_at <= ${p.now} ${free} ${scope}
      ORDER BY next_check_at
      LIMIT ${p.limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *
  `.execute(db);
  return rows;
}
