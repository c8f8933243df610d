import { sql, type ExpressionBuilder, type SelectQueryBuilder } from "kysely";
import type { DB } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { PAYMENT_STATES, wireStatus, type PaymentState, type WireStatus } from "./domain.js";
import type { Executor, PaymentRow, Scope } from "./types.js";

/**
 * Reading many payments at once for the dashboard: the list with its filters and search (keyset
 * pages, newest first), the same rows in batches for the CSV export, and the charts' daily and
 * per-bank figures. Every query is scoped to one company and environment, and every filter is an
 * index range (migrations 0007 and 0020: by state, bank, customer, link, consent, reference), so
 * a page costs the same at 100 rows or 100,000.
 */

export interface PaymentFilter {
  /** Okra wire statuses (any of). */
  status?: readonly WireStatus[] | undefined;
  /** created_at ≥ from. */
  from?: Date | undefined;
  /** created_at < to. */
  to?: Date | undefined;
  /** Kobo, inclusive. */
  amountMin?: bigint | undefined;
  amountMax?: bigint | undefined;
  customer?: string | undefined;
  bank?: string | undefined;
  channel?: PaymentRow["channel"] | undefined;
  /** Okra's payment `type` (one-time, recurring). */
  type?: string | undefined;
  link?: string | undefined;
  /** The payment consent (mandate) it was debited on. */
  consent?: string | undefined;
  /** The recurring mandate it was charged on. */
  mandate?: string | undefined;
  /** The bulk upload (batch) that made it. */
  batch?: string | undefined;
  /** An exact payment id, bank reference or customer id, or the start of a customer's name or email. */
  q?: string | undefined;
}

/** The internal states a set of wire statuses covers (review → review, completed → settled, …). */
export function statesFor(statuses: readonly WireStatus[]): PaymentState[] {
  const wanted = new Set(statuses);
  return PAYMENT_STATES.filter((s) => wanted.has(wireStatus(s).status));
}

type PaymentsQuery = SelectQueryBuilder<DB, "payments", object>;

/** `%`, `_` and `\` are LIKE's metacharacters; a search term means itself. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** How many customers a name search may match (the payments of the first ones found). */
const CUSTOMER_MATCHES = 50;

/** A search term, with the customers it names (resolved once per list or export, not per page). */
interface Search {
  term: string;
  customerIds: string[];
}

/** The customers `term` names: by id or the merchant's own id, or by the start of a name or an email. */
async function resolveSearch(db: Executor, scope: Scope, q: string | undefined): Promise<Search | undefined> {
  const term = q?.trim();
  if (!term) return undefined;
  const customers = await db
    .selectFrom("customers")
    .select("id")
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where((c) =>
      c.or([
        c("id", "=", term),
        c("external_id", "=", term),
        c("name", "ilike", likePrefix(term)),
        c(sql<string>`emails::text`, "ilike", `%${likePrefix(term.toLowerCase()).slice(0, -1)}%`),
      ]),
    )
    .limit(CUSTOMER_MATCHES)
    .execute();
  return { term, customerIds: [...new Set([term, ...customers.map((c) => c.id)])] };
}

function filtered(db: Executor, scope: Scope, f: PaymentFilter, search: Search | undefined): PaymentsQuery {
  let q = db.selectFrom("payments").where("payments.company_id", "=", scope.companyId).where("payments.env", "=", scope.env) as PaymentsQuery;
  if (f.status && f.status.length > 0) q = q.where("payments.state", "in", statesFor(f.status));
  if (f.from) q = q.where("payments.created_at", ">=", f.from);
  if (f.to) q = q.where("payments.created_at", "<", f.to);
  if (f.amountMin !== undefined) q = q.where("payments.amount", ">=", f.amountMin);
  if (f.amountMax !== undefined) q = q.where("payments.amount", "<=", f.amountMax);
  if (f.customer !== undefined) q = q.where("payments.customer_id", "=", f.customer);
  if (f.bank !== undefined) q = q.where("payments.bank_id", "=", f.bank);
  if (f.channel !== undefined) q = q.where("payments.channel", "=", f.channel);
  if (f.type !== undefined) q = q.where("payments.type", "=", f.type);
  if (f.link !== undefined) q = q.where("payments.link_id", "=", f.link);
  if (f.consent !== undefined) q = q.where("payments.consent_id", "=", f.consent);
  if (f.mandate !== undefined) q = q.where("payments.mandate_id", "=", f.mandate);
  if (f.batch !== undefined) {
    const batch = f.batch;
    q = q.where("payments.id", "in", (sub) => sub.selectFrom("batch_rows").select("batch_rows.payment_id").where("batch_rows.batch_id", "=", batch).where("batch_rows.payment_id", "is not", null).$narrowType<{ payment_id: string }>());
  }
  if (search) {
    // Each branch is an index (primary key, the unique reference, payments_customer): a bitmap OR.
    q = q.where((eb: ExpressionBuilder<DB, "payments">) =>
      eb.or([
        eb("payments.id", "=", search.term),
        eb("payments.reference", "=", search.term),
        ...(search.customerIds.length > 0 ? [eb("payments.customer_id", "in", search.customerIds)] : []),
      ]),
    );
  }
  return q;
}

/** Where a page ends: the last row's (created_at, id), opaque to clients. */
export function encodeCursor(row: Pick<PaymentRow, "created_at" | "id">): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString("base64url");
}

export function decodeCursor(cursor: string, field = "cursor"): { at: Date; id: string } {
  const [at, id, extra] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const date = at ? new Date(at) : new Date(NaN);
  if (!id || extra !== undefined || Number.isNaN(date.getTime())) throw new OkroError("INVALID_FIELD", `${field}: not a cursor this list gave out`, { field });
  return { at: date, id };
}

/** Counts stop here: beyond it the list says "more than 10,000" rather than scanning them all. */
export const COUNT_CAP = 10_000;

export interface PaymentPage {
  rows: PaymentRow[];
  /** The cursor of the next (older) page, or null on the last. */
  nextCursor: string | null;
  /** Matching payments, at most COUNT_CAP (then `totalCapped`). */
  total: number;
  totalCapped: boolean;
}

/** One page, newest first: `limit` rows after `cursor`. */
export async function searchPayments(
  db: Executor,
  scope: Scope,
  filter: PaymentFilter,
  opts: { limit: number; cursor?: string | undefined },
  resolved?: Search | null,
): Promise<PaymentPage> {
  const search = resolved === undefined ? await resolveSearch(db, scope, filter.q) : (resolved ?? undefined);
  const base = filtered(db, scope, filter, search);
  let page = base;
  if (opts.cursor !== undefined) {
    const { at, id } = decodeCursor(opts.cursor);
    page = page.where((eb) => eb(eb.refTuple("payments.created_at", "payments.id"), "<", eb.tuple(at, id)));
  }
  const [rows, counted] = await Promise.all([
    page.selectAll("payments").orderBy("payments.created_at", "desc").orderBy("payments.id", "desc").limit(opts.limit + 1).execute(),
    db
      .selectFrom(base.select(sql`1`.as("one")).limit(COUNT_CAP + 1).as("capped"))
      .select(sql<number>`count(*)::int`.as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  const more = rows.length > opts.limit;
  const shown = more ? rows.slice(0, opts.limit) : rows;
  const n = Number(counted.n);
  return { rows: shown, nextCursor: more ? encodeCursor(shown[shown.length - 1]!) : null, total: Math.min(n, COUNT_CAP), totalCapped: n > COUNT_CAP };
}

/** Every matching payment, newest first, `batch` rows per query (keyset: no offset scans, no long transaction). */
export async function* allPayments(db: Executor, scope: Scope, filter: PaymentFilter, batch = 1000): AsyncGenerator<PaymentRow[]> {
  let cursor: string | undefined;
  const search = (await resolveSearch(db, scope, filter.q)) ?? null;
  for (;;) {
    const page = await searchPayments(db, scope, filter, { limit: batch, cursor }, search);
    if (page.rows.length > 0) yield page.rows;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

// ── Charts ────────────────────────────────────────────────────────────────────────────────────

const SUCCEEDED: PaymentState[] = ["succeeded", "settled"];
const UNSUCCESSFUL: PaymentState[] = ["errored", "failed", "reversed"];

export interface VolumeRow {
  /** A UTC day (YYYY-MM-DD) or a bank id. */
  key: string;
  payments: number;
  succeeded: number;
  unsuccessful: number;
  /** Kobo of succeeded payments. */
  volume: bigint;
}

async function grouped(db: Executor, scope: Scope, range: { from: Date; to: Date }, key: "day" | "bank"): Promise<VolumeRow[]> {
  const keyExpr = key === "day" ? sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : sql<string>`coalesce(bank_id, '')`;
  const rows = await db
    .selectFrom("payments")
    .select([
      keyExpr.as("key"),
      sql<number>`count(*)::int`.as("payments"),
      sql<number>`(count(*) FILTER (WHERE state IN (${sql.join(SUCCEEDED)})))::int`.as("succeeded"),
      sql<number>`(count(*) FILTER (WHERE state IN (${sql.join(UNSUCCESSFUL)})))::int`.as("unsuccessful"),
      sql<bigint>`coalesce(sum(amount) FILTER (WHERE state IN (${sql.join(SUCCEEDED)})), 0)::int8`.as("volume"),
    ])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("created_at", ">=", range.from)
    .where("created_at", "<", range.to)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  return rows.map((r) => ({ key: r.key, payments: Number(r.payments), succeeded: Number(r.succeeded), unsuccessful: Number(r.unsuccessful), volume: BigInt(r.volume) }));
}

export interface FailureReasonRow {
  code: string;
  /** One of the messages recorded with this code (the most recent). */
  message: string;
  count: number;
}

/** Volume and outcomes by UTC day and by bank, and why payments ended without money, in [from, to). */
export async function paymentStats(db: Executor, scope: Scope, range: { from: Date; to: Date }) {
  const [byDay, byBank, failures] = await Promise.all([
    grouped(db, scope, range, "day"),
    grouped(db, scope, range, "bank"),
    db
      .selectFrom("payments")
      .select([
        sql<string>`coalesce(failure_code, state)`.as("code"),
        sql<string>`(array_agg(coalesce(failure_reason, '') ORDER BY updated_at DESC))[1]`.as("message"),
        sql<number>`count(*)::int`.as("count"),
      ])
      .where("company_id", "=", scope.companyId)
      .where("env", "=", scope.env)
      .where("created_at", ">=", range.from)
      .where("created_at", "<", range.to)
      .where("state", "in", UNSUCCESSFUL)
      .groupBy(sql`1`)
      .orderBy(sql`3`, "desc")
      .limit(20)
      .execute(),
  ]);
  return { byDay, byBank, failures: failures.map((f) => ({ code: f.code, message: f.message, count: Number(f.count) })) };
}
