import { sql, type Insertable, type Selectable } from "kysely";
import type { AppContext } from "../context.js";
import { appendHistory, machineStore, transition, type MachineStore, STATE_TRANSITIONS } from "../core/machine.js";
import type { Scope } from "../core/tenancy.js";
import type { BatchesTable, BatchRowsTable } from "../db/schema.js";
import { AMOUNTED, batchMachine, COUNTED, rowMachine, type BatchState, type CountedState, type RowState } from "./domain.js";

/** The only file of src/bulk with SQL: batches, their rows, the two machines' table bindings. */

export type { Executor, Trx } from "../core/db.js";
import type { Executor, Trx } from "../core/db.js";
export type BatchRow = Selectable<BatchesTable>;
export type RowRow = Selectable<BatchRowsTable>;


/** Entry effects (events) are the service's: it passes them in (bulk/service.ts), so this file stays SQL only. */
export function batchStore(afterEnter: MachineStore<BatchState, BatchRow, AppContext, Trx>["afterEnter"]): MachineStore<BatchState, BatchRow, AppContext, Trx> {
  return machineStore({ machine: batchMachine, table: "batches", stateColumn: "state", history: STATE_TRANSITIONS, ...(afterEnter ? { afterEnter } : {}) });
}
export const rowStore: MachineStore<RowState, RowRow, AppContext, Trx> = machineStore({
  machine: rowMachine,
  table: "batch_rows",
  stateColumn: "state",
  history: STATE_TRANSITIONS,
});

export const rowId = (batchId: string, row: number) => `${batchId}-${row}`;

export async function insertBatch(trx: Trx, values: Insertable<BatchesTable>): Promise<BatchRow> {
  return trx.insertInto("batches").values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertRows(trx: Trx, rows: Insertable<BatchRowsTable>[]): Promise<void> {
  if (rows.length) await trx.insertInto("batch_rows").values(rows).execute();
}

export async function findBatch(db: Executor, scope: Scope, id: string, lock = false): Promise<BatchRow | undefined> {
  let q = db.selectFrom("batches").selectAll().where("id", "=", id).where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** An earlier batch of the same file (same bytes) that was not abandoned: the duplicate warning. */
export async function earlierBatchOfFile(db: Executor, scope: Scope, sha256: string, exceptId: string): Promise<BatchRow | undefined> {
  return db
    .selectFrom("batches")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("file_sha256", "=", sha256)
    .where("id", "<>", exceptId)
    .where("state", "not in", ["failed"])
    .where((eb) => eb.or([eb("state", "<>", "cancelled"), eb("committed_at", "is not", null)]))
    .orderBy("created_at", "asc")
    .executeTakeFirst();
}

export async function pageBatches(db: Executor, scope: Scope, f: { state?: string | undefined; from?: Date | undefined; to?: Date | undefined; page: number; limit: number }) {
  let q = db.selectFrom("batches").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  if (f.state) q = q.where("state", "=", f.state as BatchState);
  if (f.from) q = q.where("created_at", ">=", f.from);
  if (f.to) q = q.where("created_at", "<", f.to);
  const total = Number((await q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n);
  const rows = await q.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(f.limit).offset((f.page - 1) * f.limit).execute();
  return { rows, total };
}

/** Rows in order, a page at a time (the CSV writers stream them). */
export async function rowsAfter(db: Executor, batchId: string, afterRow: number, limit: number, states?: readonly RowState[]): Promise<RowRow[]> {
  let q = db.selectFrom("batch_rows").selectAll().where("batch_id", "=", batchId).where("row_no", ">", afterRow);
  if (states) q = q.where("state", "in", states);
  return q.orderBy("row_no").limit(limit).execute();
}

export async function lockRow(trx: Trx, id: string): Promise<RowRow | undefined> {
  return trx.selectFrom("batch_rows").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

/**
 * The row of a payment moved from → to in one statement keyed by the payment — `transition`'s
 * compare-and-set (the machine's edge asserted, `WHERE … AND state = from`) and its history row,
 * without reading the row first: a payment's final move ends its row with one UPDATE instead of a
 * lookup and an UPDATE (and a payment that is no row's costs the one UPDATE that matches nothing,
 * as the lookup did). Rows have no entry effects, so nothing else is skipped. Undefined when the
 * payment is no batch row's or its row is not in `from`.
 */
export async function moveRowOfPayment(trx: Trx, paymentId: string, from: RowState, to: RowState, t: { actor: "api" | "worker"; reason: string; set?: Partial<Pick<RowRow, "reason">>; at: Date }): Promise<RowRow | undefined> {
  rowMachine.assert(from, to);
  const moved = await trx.updateTable("batch_rows").set({ ...t.set, state: to, updated_at: t.at }).where("payment_id", "=", paymentId).where("state", "=", from).returningAll().executeTakeFirst();
  if (moved) await appendHistory(trx, rowStore, { object: rowMachine.object, id: moved.id, from, to, actor: t.actor, reason: t.reason, detail: undefined, at: t.at });
  return moved;
}

export async function moveRow(trx: Trx, ctx: AppContext, row: RowRow, to: RowState, t: { actor: "api" | "worker"; reason: string; set?: Partial<Pick<RowRow, "payment_id" | "reason">>; at: Date }): Promise<RowRow | undefined> {
  const moved = await transition(trx, rowStore, ctx, { id: row.id, from: row.state, to, set: { ...t.set, updated_at: t.at }, actor: t.actor, reason: t.reason, at: t.at });
  return moved.ok ? moved.row : undefined;
}

/**
 * Many rows of one batch from one state to another in one statement — the same compare-and-set
 * as `transition` (the machine's edge asserted, `WHERE state = from`), with the history rows
 * appended by one `INSERT … SELECT`. For commit (valid → pending, valid → skipped), a window's
 * opening (pending → queued) and cancel (pending|queued → cancelled): thousands of rows, where a
 * statement per row would cost seconds. Rows have no entry effects, so nothing else is skipped.
 * Returns the moved rows (id, row_no, bank_id, amount, mandate_id).
 */
export async function moveRowsWhere(
  trx: Trx,
  batchId: string,
  from: RowState,
  to: RowState,
  t: { actor: "api" | "worker"; reason: string; at: Date; bankId?: string; limit?: number },
): Promise<{ id: string; row_no: number; amount: bigint | null; bank_id: string | null; mandate_id: string | null }[]> {
  rowMachine.assert(from, to);
  const bank = t.bankId !== undefined ? sql`AND bank_id = ${t.bankId}` : sql``;
  const limit = t.limit !== undefined ? sql`LIMIT ${t.limit}` : sql``;
  const moved = await sql<{ id: string; row_no: number; amount: string | bigint | null; bank_id: string | null; mandate_id: string | null }>`
    WITH picked AS (SELECT id FROM batch_rows WHERE batch_id = ${batchId} AND state = ${from} ${bank} ORDER BY row_no ${limit} FOR UPDATE)
    UPDATE batch_rows AS r SET state = ${to}, updated_at = ${t.at}
    FROM picked WHERE r.id = picked.id AND r.state = ${from}
    RETURNING r.id, r.row_no, r.amount, r.bank_id, r.mandate_id`.execute(trx);
  if (moved.rows.length) {
    await sql`
      INSERT INTO state_transitions (object_type, object_id, from_state, to_state, actor, reason, detail, at)
      SELECT 'batch_row', id, ${from}, ${to}, ${t.actor}, ${t.reason}, 'null'::jsonb, ${t.at}
      FROM unnest(${moved.rows.map((r) => r.id)}::text[]) AS id`.execute(trx);
  }
  return moved.rows.map((r) => ({ id: r.id, row_no: Number(r.row_no), amount: r.amount === null ? null : BigInt(r.amount), bank_id: r.bank_id, mandate_id: r.mandate_id }));
}

/** The banks a batch's rows waiting for a window are at. */
export async function banksWithPending(trx: Trx, batchId: string): Promise<string[]> {
  const rows = await trx.selectFrom("batch_rows").select("bank_id").distinct().where("batch_id", "=", batchId).where("state", "=", "pending").execute();
  return rows.flatMap((r) => (r.bank_id ? [r.bank_id] : []));
}

/** How many of a batch's rows at a bank are in its window now (a job enqueued or a payment in flight). */
export async function inWindow(trx: Trx, batchId: string, bankId: string): Promise<number> {
  const r = await trx
    .selectFrom("batch_rows")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("batch_id", "=", batchId)
    .where("bank_id", "=", bankId)
    .where("state", "in", ["queued", "processing"])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The batch's counters follow its rows: `n` rows moved from → to (amount in kobo), in the
 * transaction of the move. The UPDATE's row lock orders concurrent moves of one batch's rows, so
 * the counters always equal the rows' states. Returns the batch as it now is.
 */
export async function count(trx: Trx, batchId: string, from: CountedState | null, to: CountedState, n: number, amount: bigint, at: Date): Promise<BatchRow> {
  return countMoves(trx, batchId, [{ from, to, n, amount }], at);
}

/**
 * Several moves' counters in one UPDATE: a row that ends and the window it reopens take the
 * batch row's lock once (it is the one row every move of the batch writes, so the fewer and
 * shorter its holds, the more rows move at once).
 */
export async function countMoves(trx: Trx, batchId: string, moves: readonly { from: CountedState | null; to: CountedState; n: number; amount: bigint }[], at: Date): Promise<BatchRow> {
  const delta = new Map<string, bigint>();
  const add = (column: string, by: bigint) => delta.set(column, (delta.get(column) ?? 0n) + by);
  const amounted = (s: CountedState | null): s is (typeof AMOUNTED)[number] => s !== null && (AMOUNTED as readonly string[]).includes(s);
  for (const m of moves) {
    if (m.from) add(COUNTED[m.from], -BigInt(m.n));
    add(COUNTED[m.to], BigInt(m.n));
    if (amounted(m.from)) add(`${m.from}_amount`, -m.amount);
    if (amounted(m.to)) add(`${m.to}_amount`, m.amount);
  }
  const set: Record<string, unknown> = { updated_at: at };
  for (const [column, by] of delta) if (by !== 0n) set[column] = column.endsWith("_amount") ? sql`${sql.ref(column)} + ${by.toString()}::bigint` : sql`${sql.ref(column)} + ${Number(by)}`;
  return trx.updateTable("batches").set(set).where("id", "=", batchId).returningAll().executeTakeFirstOrThrow();
}

export async function setBatch(trx: Trx, id: string, set: Partial<Pick<BatchRow, "duplicate_of" | "committed_at" | "all_or_nothing" | "callback_url">> & { updated_at: Date }): Promise<void> {
  await trx.updateTable("batches").set(set).where("id", "=", id).execute();
}

/** Counts by state from the rows themselves (tests and the reconciliation the results CSV shows). */
export async function rowStateCounts(db: Executor, batchId: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom("batch_rows").select(["state", (eb) => eb.fn.countAll<string>().as("n")]).where("batch_id", "=", batchId).groupBy("state").execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** The webhook endpoint a bulk callback_url delivers to, if one was made for it. */
export async function callbackEndpointId(db: Executor, scope: Scope, url: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("webhook_endpoints")
    .select("id")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("url", "=", url)
    .where("event_types", "=", sql<string[]>`ARRAY[${BULK_CALLBACK_TYPE}]::text[]`)
    .executeTakeFirst();
  return row?.id;
}

/**
 * The event type a bulk callback endpoint subscribes to, which no event has: such an endpoint
 * gets nothing from the general fan-out, only the events addressed to it (`onlyEndpointId`).
 */
export const BULK_CALLBACK_TYPE = "bulk.callback_url";
