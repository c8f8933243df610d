import { sql, type Insertable, type Selectable, type Transaction } from "kysely";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";
import type { DB, GarnishmentsTable, GarnishmentStateColumn, GarnishmentSweepsTable } from "../db/schema.js";
import type { Money } from "./domain.js";

/** The only file with the garnishments' SQL. Tenant reads are scoped by company and environment. */

export type GarnishmentRow = Selectable<GarnishmentsTable>;
export type SweepRow = Selectable<GarnishmentSweepsTable>;

export async function insertGarnishment(trx: Executor, values: Insertable<GarnishmentsTable>): Promise<GarnishmentRow> {
  return trx.insertInto("garnishments").values(values).returningAll().executeTakeFirstOrThrow();
}

export async function garnishmentById(db: Executor, scope: Scope, id: string): Promise<GarnishmentRow | undefined> {
  return db.selectFrom("garnishments").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("id", "=", id).executeTakeFirst();
}

/** Without a tenant: jobs carry the id. */
export async function garnishmentRow(db: Executor, id: string): Promise<GarnishmentRow | undefined> {
  return db.selectFrom("garnishments").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The row locked for the rest of the transaction: sweeps, outcomes, pause and cancel of one recovery serialise here. */
export async function lockGarnishment(trx: Transaction<DB>, id: string): Promise<GarnishmentRow | undefined> {
  return trx.selectFrom("garnishments").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function garnishmentByReference(db: Executor, scope: Scope, reference: string): Promise<GarnishmentRow | undefined> {
  return db.selectFrom("garnishments").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("reference", "=", reference).executeTakeFirst();
}

export async function listGarnishments(
  db: Executor,
  scope: Scope,
  f: { state?: GarnishmentStateColumn[]; customerId?: string; page: number; limit: number },
): Promise<{ rows: GarnishmentRow[]; total: number }> {
  let q = db.selectFrom("garnishments").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (f.state && f.state.length > 0) q = q.where("state", "in", f.state);
  if (f.customerId) q = q.where("customer_id", "=", f.customerId);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(f.limit).offset((f.page - 1) * f.limit).execute(),
    q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export async function addMandates(trx: Executor, garnishmentId: string, mandates: { id: string; account_id: string }[]): Promise<void> {
  if (mandates.length === 0) return;
  await trx
    .insertInto("garnishment_mandates")
    .values(mandates.map((m) => ({ garnishment_id: garnishmentId, mandate_id: m.id, account_id: m.account_id })))
    .execute();
}

/** The recovery's mandates with what a sweep needs of each: state, caps and the bank authority's per-debit cap. */
export async function coveredMandates(db: Executor, garnishmentId: string) {
  return db
    .selectFrom("garnishment_mandates as gm")
    .innerJoin("mandates as m", "m.id", "gm.mandate_id")
    .leftJoin("payment_consents as pc", "pc.id", "m.consent_id")
    .select([
      "m.id as mandate_id",
      "m.account_id",
      "m.bank_id",
      "m.state",
      "m.consent_id",
      "m.max_total",
      "m.max_per_charge",
      "m.currency",
      "m.account_to_credit",
      "pc.max_amount as consent_max",
      "pc.status as consent_status",
      "pc.mandate_id as bank_mandate_id",
    ])
    .where("gm.garnishment_id", "=", garnishmentId)
    .orderBy("m.account_id")
    .execute();
}

/** Which of these mandates already back a recovery (a sweep mandate backs one, ever). */
export async function mandatesInUse(db: Executor, mandateIds: string[]): Promise<string[]> {
  if (mandateIds.length === 0) return [];
  const rows = await db.selectFrom("garnishment_mandates").select("mandate_id").where("mandate_id", "in", mandateIds).execute();
  return rows.map((r) => r.mandate_id);
}

/** The customer's live sweep mandates backing no recovery yet, in a currency. */
/** The customer who holds a tenant's account (undefined when the account is not the tenant's). */
export async function accountCustomer(db: Executor, scope: Scope, accountId: string): Promise<string | undefined> {
  const row = await db.selectFrom("accounts").select("customer_id").where("id", "=", accountId).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
  return row?.customer_id;
}

export async function freeSweepMandates(db: Executor, scope: Scope, customerId: string, currency: string) {
  return db
    .selectFrom("mandates")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("customer_id", "=", customerId)
    .where("debit_type", "=", "sweep")
    .where("currency", "=", currency)
    .where("state", "in", ["awaiting_customer", "awaiting_bank", "active", "paused"])
    .where((eb) => eb.not(eb.exists(eb.selectFrom("garnishment_mandates").select("mandate_id").whereRef("garnishment_mandates.mandate_id", "=", "mandates.id"))))
    .orderBy("account_id")
    .orderBy("id")
    .execute();
}

export async function mandatesByIds(db: Executor, scope: Scope, ids: string[]) {
  if (ids.length === 0) return [];
  return db.selectFrom("mandates").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("id", "in", ids).execute();
}

/** Payment states whose money is taken (collected) and those still on their way (in flight). */
const TAKEN = ["succeeded", "settled"] as const;
const IN_FLIGHT = ["queued", "awaiting_authorisation", "review", "processing", "unknown"] as const;

/**
 * The recovery's money, from its payments and their refunds (never stored): collected = debits
 * taken − refunds not failed; in flight = debits whose outcome is unknown; refunded = refunds not failed.
 */
export async function moneyOf(db: Executor, garnishmentId: string): Promise<Money> {
  const row = await db
    .selectFrom("payments")
    .select([
      sql<string>`coalesce(sum(amount) FILTER (WHERE state IN (${sql.join(TAKEN)})), 0)`.as("taken"),
      sql<string>`coalesce(sum(amount) FILTER (WHERE state IN (${sql.join(IN_FLIGHT)})), 0)`.as("in_flight"),
      sql<string>`coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.state <> 'failed' AND r.payment_id IN (SELECT p2.id FROM payments p2 WHERE p2.garnishment_id = ${garnishmentId})), 0)`.as("refunded"),
    ])
    .where("garnishment_id", "=", garnishmentId)
    .executeTakeFirstOrThrow();
  const refunded = BigInt(row.refunded);
  return { collected: BigInt(row.taken) - refunded, inFlight: BigInt(row.in_flight), refunded };
}

/** What each of these mandates has taken or has in flight, in all (kobo): its `max_total` counts it. */
export async function takenByMandate(db: Executor, mandateIds: string[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  if (mandateIds.length === 0) return out;
  const rows = await db
    .selectFrom("payments")
    .select(["mandate_id", sql<string>`sum(amount)`.as("total")])
    .where("mandate_id", "in", mandateIds)
    .where("state", "in", [...TAKEN, ...IN_FLIGHT])
    .groupBy("mandate_id")
    .execute();
  for (const r of rows) out.set(r.mandate_id!, BigInt(r.total));
  return out;
}

/** The recovery's debits (payments), newest first. */
export async function debitsOf(db: Executor, garnishmentId: string, limit = 200) {
  return db.selectFrom("payments").selectAll().where("garnishment_id", "=", garnishmentId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

export async function refundsOf(db: Executor, paymentId: string) {
  return db.selectFrom("refunds").selectAll().where("payment_id", "=", paymentId).execute();
}

export async function insertSweep(trx: Executor, values: Insertable<GarnishmentSweepsTable>): Promise<SweepRow | undefined> {
  return trx
    .insertInto("garnishment_sweeps")
    .values(values)
    .onConflict((oc) => oc.columns(["garnishment_id", "job_key"]).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function sweepByKey(db: Executor, garnishmentId: string, jobKey: string): Promise<SweepRow | undefined> {
  return db.selectFrom("garnishment_sweeps").selectAll().where("garnishment_id", "=", garnishmentId).where("job_key", "=", jobKey).executeTakeFirst();
}

export async function listSweeps(db: Executor, garnishmentId: string, page: number, limit: number): Promise<{ rows: SweepRow[]; total: number }> {
  const q = db.selectFrom("garnishment_sweeps").where("garnishment_id", "=", garnishmentId);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("seq", "desc").limit(limit).offset((page - 1) * limit).execute(),
    q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}
