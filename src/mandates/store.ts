import { sql, type Insertable, type Selectable, type Transaction } from "kysely";
import type { Scope } from "../core/tenancy.js";
import type { DB, MandatesTable, MandateStateColumn } from "../db/schema.js";

/** The only file with the mandates' SQL. Every query is scoped by company and environment. */

export type MandateRow = Selectable<MandatesTable>;
export type { Executor } from "../core/db.js";
import type { Executor } from "../core/db.js";

export async function insertMandate(trx: Executor, values: Insertable<MandatesTable>): Promise<MandateRow> {
  return trx.insertInto("mandates").values(values).returningAll().executeTakeFirstOrThrow();
}

export async function mandateById(db: Executor, scope: Scope, id: string): Promise<MandateRow | undefined> {
  return db.selectFrom("mandates").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("id", "=", id).executeTakeFirst();
}

/**
 * A mandate by id alone, whoever's it is: only for its authorise page on the widget origin
 * (`/mandate/<id>`), whose id names the company (as a payment link's code does); the page grants
 * nothing without the customer's bank login on the mandate's own account.
 */
export async function mandateForAuthorisePage(db: Executor, id: string): Promise<MandateRow | undefined> {
  return db.selectFrom("mandates").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The row locked for the rest of the transaction (a charge and a cancel of one mandate serialise here). */
export async function lockMandate(trx: Transaction<DB>, id: string): Promise<MandateRow | undefined> {
  return trx.selectFrom("mandates").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function mandateByReference(db: Executor, scope: Scope, reference: string): Promise<MandateRow | undefined> {
  return db.selectFrom("mandates").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("reference", "=", reference).executeTakeFirst();
}

export interface MandateFilter {
  state?: MandateStateColumn[];
  customerId?: string;
  accountId?: string;
  /** Every key/value must be in the mandate's `options` (JSON containment). */
  options?: Record<string, unknown>;
  page: number;
  limit: number;
}

export async function listMandates(db: Executor, scope: Scope, f: MandateFilter): Promise<{ rows: MandateRow[]; total: number }> {
  let q = db.selectFrom("mandates").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (f.state && f.state.length > 0) q = q.where("state", "in", f.state);
  if (f.customerId) q = q.where("customer_id", "=", f.customerId);
  if (f.accountId) q = q.where("account_id", "=", f.accountId);
  if (f.options) q = q.where(sql<boolean>`options @> ${JSON.stringify(f.options)}::jsonb`);
  const [rows, count] = await Promise.all([
    q
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(f.limit)
      .offset((f.page - 1) * f.limit)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** Payment states whose money is (or may yet be) taken: they count against the caps. */
const COUNTING = ["queued", "awaiting_authorisation", "review", "processing", "unknown", "succeeded", "settled"] as const;

/**
 * What the mandate has charged (or has in flight) in all, and in the cap period (kobo): its
 * schedule's charges by cycle (`periodCycles`), its ad-hoc charges (no cycle: bulk rows, migration
 * 0029) by when they were made (`adHocSince`, the period's first instant in platform time).
 */
export async function chargedSoFar(db: Executor, mandateId: string, periodCycles?: number[], adHocSince?: Date): Promise<{ total: bigint; inPeriod: bigint }> {
  const cycles = periodCycles && periodCycles.length > 0 ? sql`mandate_cycle IN (${sql.join(periodCycles)})` : sql`false`;
  const adHoc = adHocSince ? sql`(mandate_cycle IS NULL AND created_at >= ${adHocSince})` : sql`false`;
  const row = await db
    .selectFrom("payments")
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<string>("amount"), sql<string>`0`).as("total"),
      sql<string>`coalesce(sum(amount) FILTER (WHERE ${cycles} OR ${adHoc}), 0)`.as("in_period"),
    ])
    .where("mandate_id", "=", mandateId)
    .where("state", "in", COUNTING)
    .executeTakeFirstOrThrow();
  return { total: BigInt(row.total), inPeriod: BigInt(row.in_period) };
}

/**
 * {@link chargedSoFar} for many mandates in one query: each one's charges in all, and those made
 * since its period's first instant (`since`, platform time; absent: no per-period cap) — for
 * mandates without a schedule, whose every charge is ad-hoc (kobo). Mandates with no charge are absent.
 */
export async function chargedByMandates(db: Executor, since: ReadonlyMap<string, Date | null>): Promise<Map<string, { total: bigint; inPeriod: bigint }>> {
  const out = new Map<string, { total: bigint; inPeriod: bigint }>();
  if (since.size === 0) return out;
  const ids = [...since.keys()];
  const froms = ids.map((id) => since.get(id)?.toISOString() ?? null);
  const rows = await sql<{ mandate_id: string; total: string; in_period: string }>`
    SELECT p.mandate_id, sum(p.amount) AS total, coalesce(sum(p.amount) FILTER (WHERE p.created_at >= s.since), 0) AS in_period
    FROM payments p JOIN unnest(${ids}::text[], ${froms}::timestamptz[]) AS s(id, since) ON p.mandate_id = s.id
    WHERE p.state IN (${sql.join(COUNTING)})
    GROUP BY p.mandate_id`.execute(db);
  for (const r of rows.rows) out.set(r.mandate_id, { total: BigInt(r.total), inPeriod: BigInt(r.in_period) });
  return out;
}

/** The mandate's charges (payments), newest first. */
export async function chargesOf(db: Executor, scope: Scope, mandateId: string, limit = 100) {
  return db
    .selectFrom("payments")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("mandate_id", "=", mandateId)
    // Ad-hoc charges (no cycle) after the schedule's, so the first row is the latest cycle.
    .orderBy(sql`mandate_cycle DESC NULLS LAST`)
    .orderBy("charge_attempt", "desc")
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}

/** A linked account of the tenant, with what a mandate needs of it. */
export async function findAccount(db: Executor, scope: Scope, id: string) {
  return db
    .selectFrom("accounts")
    .select(["id", "customer_id", "bank_id", "currency", "connected"])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** The tenant's live payment consent (the bank-side authority) on an account, if any. */
export async function liveConsent(db: Executor, scope: Scope, accountId: string) {
  return db
    .selectFrom("payment_consents")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("account_id", "=", accountId)
    .where("status", "!=", "revoked")
    .orderBy("created_at", "desc")
    .executeTakeFirst();
}

export async function consentById(db: Executor, id: string) {
  return db.selectFrom("payment_consents").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function paymentById(db: Executor, id: string) {
  return db.selectFrom("payments").selectAll().where("id", "=", id).executeTakeFirst();
}
