import { sql, type Transaction } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Posting } from "./history.js";
import type { TransactionCategory } from "../connector.js";
import type { Executor } from "../../core/db.js";

/** The sandbox bank's SQL: the only file of the sandbox network that talks to the database. */

export interface RealmRow {
  realm: string;
  epoch: Date;
  offsetMs: number;
}

export async function ensureRealm(db: Executor, realm: string, epoch: Date, now: Date): Promise<void> {
  await db
    .insertInto("sandbox_realms")
    .values({ realm, epoch, clock_offset_ms: 0, created_at: now })
    .onConflict((oc) => oc.column("realm").doNothing())
    .execute();
}

export async function findRealm(db: Executor, realm: string): Promise<RealmRow | undefined> {
  const row = await db.selectFrom("sandbox_realms").select(["realm", "epoch", "clock_offset_ms"]).where("realm", "=", realm).executeTakeFirst();
  return row && { realm: row.realm, epoch: row.epoch, offsetMs: Number(row.clock_offset_ms) };
}

export async function advanceRealmClock(db: Executor, realm: string, ms: number): Promise<number> {
  const row = await db
    .updateTable("sandbox_realms")
    .set({ clock_offset_ms: sql<bigint>`clock_offset_ms + ${ms}` })
    .where("realm", "=", realm)
    .returning("clock_offset_ms")
    .executeTakeFirstOrThrow();
  return Number(row.clock_offset_ms);
}

/** Serialises money movements on one account across processes, until the transaction ends. */
export async function lockAccount(trx: Transaction<DB>, realm: string, bankId: string, nuban: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sandbox:${realm}:${bankId}:${nuban}`}, 0))`.execute(trx);
}

export async function accountPostings(db: Executor, realm: string, bankId: string, nuban: string): Promise<Posting[]> {
  const rows = await db
    .selectFrom("sandbox_postings")
    .select(["id", "amount", "posted_at", "narration", "category", "reference", "session_id"])
    .where("realm", "=", realm)
    .where("bank_id", "=", bankId)
    .where("nuban", "=", nuban)
    .orderBy("posted_at")
    .orderBy("id")
    .execute();
  return rows.map((r) => ({
    id: `p${r.id}`,
    at: r.posted_at.getTime(),
    amount: Number(r.amount),
    narration: r.narration,
    category: r.category as TransactionCategory,
    ...(r.reference ? { reference: r.reference } : {}),
    ...(r.session_id ? { sessionId: r.session_id } : {}),
  }));
}

export interface NewPosting {
  bankId: string;
  nuban: string;
  amount: number;
  narration: string;
  category: TransactionCategory;
  reference: string;
  sessionId?: string;
}

export async function insertPostings(trx: Transaction<DB>, realm: string, at: Date, postings: NewPosting[]): Promise<void> {
  await trx
    .insertInto("sandbox_postings")
    .values(
      postings.map((p) => ({
        realm,
        bank_id: p.bankId,
        nuban: p.nuban,
        amount: p.amount,
        posted_at: at,
        narration: p.narration,
        category: p.category,
        reference: p.reference,
        session_id: p.sessionId ?? null,
      })),
    )
    .execute();
}

/** Kobo debited from an account since `since` by transfers that did not fail (daily limits). */
export async function debitedSince(trx: Transaction<DB>, realm: string, bankId: string, nuban: string, since: Date): Promise<number> {
  const row = await trx
    .selectFrom("sandbox_transfers")
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as("total"))
    .where("realm", "=", realm)
    .where("source_bank_id", "=", bankId)
    .where("source_nuban", "=", nuban)
    .where("created_at", ">=", since)
    .where("status", "<>", "failed")
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

export type TransferRow = Awaited<ReturnType<typeof findTransfer>>;

export async function findTransfer(db: Executor, realm: string, bankId: string, direction: "debit" | "credit", reference: string) {
  return db
    .selectFrom("sandbox_transfers")
    .selectAll()
    .where("realm", "=", realm)
    .where("bank_id", "=", bankId)
    .where("direction", "=", direction)
    .where("reference", "=", reference)
    .executeTakeFirst();
}

export type TransferRecord = NonNullable<TransferRow>;

/** Pending transfers of a realm due to settle at `now` (a bounded batch). */
export async function dueTransfers(db: Executor, realm: string, now: Date): Promise<TransferRecord[]> {
  return db
    .selectFrom("sandbox_transfers")
    .selectAll()
    .where("realm", "=", realm)
    .where("status", "=", "pending")
    .where("settles_at", "<=", now)
    .orderBy("settles_at")
    .limit(200)
    .execute();
}

/** Gives a pending transfer its final status (compare-and-set: only from pending). True if this call did it. */
export async function settleTransfer(trx: Transaction<DB>, t: TransferRecord): Promise<boolean> {
  const done = await trx
    .updateTable("sandbox_transfers")
    .set({ status: t.settles_as })
    .where("realm", "=", t.realm)
    .where("bank_id", "=", t.bank_id)
    .where("direction", "=", t.direction)
    .where("reference", "=", t.reference)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return done.numUpdatedRows > 0n;
}

/** Kobo held on an account by its pending outgoing transfers. */
export async function pendingFrom(db: Executor, realm: string, bankId: string, nuban: string): Promise<number> {
  const row = await db
    .selectFrom("sandbox_transfers")
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as("total"))
    .where("realm", "=", realm)
    .where("source_bank_id", "=", bankId)
    .where("source_nuban", "=", nuban)
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

export interface GuardState {
  failures: number;
  lockedUntil: Date | null;
}

export async function readGuard(db: Executor, realm: string, bankId: string, subject: string): Promise<GuardState> {
  const row = await db
    .selectFrom("sandbox_guards")
    .select(["failures", "locked_until"])
    .where("realm", "=", realm)
    .where("bank_id", "=", bankId)
    .where("subject", "=", subject)
    .executeTakeFirst();
  return { failures: row?.failures ?? 0, lockedUntil: row?.locked_until ?? null };
}

/**
 * Decides one try of `subject` whose answer was already evaluated (`right`), in one atomic
 * statement (INSERT … ON CONFLICT DO UPDATE locks the row and sees its latest version, in one
 * process or many):
 * - while the subject is locked, the try is refused and changes nothing, right or wrong;
 * - otherwise a right answer clears the count, and a wrong one adds to it (a lapsed lock starts it
 *   again from 1); the wrong try that reaches `limit` locks the subject until `now + lockMs`.
 * Racing guesses are decided one after another on the row, so at most `limit` wrong ones are ever
 * answered before the lock, and a right one after them is refused like any other; right answers
 * racing each other (parallel payments authorised with the right PIN) are never held back.
 * The answer tells nothing until this decision: callers reveal only what it returns.
 */
export async function decideTry(
  db: Executor,
  realm: string,
  bankId: string,
  subject: string,
  right: boolean,
  rule: { limit: number; now: Date; lockMs: number },
): Promise<GuardState> {
  const { limit, now } = rule;
  const lockUntil = new Date(now.getTime() + rule.lockMs);
  const lockedNow = sql`(g.locked_until IS NOT NULL AND g.locked_until > ${now})`;
  // The count after this try, when the subject is not locked now.
  const next = right ? sql`0` : sql`(CASE WHEN g.locked_until IS NOT NULL THEN 1 ELSE g.failures + 1 END)`;
  const { rows } = await sql<{ failures: number; locked_until: Date | null }>`
    INSERT INTO sandbox_guards AS g (realm, bank_id, subject, failures, locked_until)
    VALUES (${realm}, ${bankId}, ${subject}, ${right ? 0 : 1}, ${!right && limit <= 1 ? lockUntil : null})
    ON CONFLICT (realm, bank_id, subject) DO UPDATE SET
      failures = CASE WHEN ${lockedNow} THEN g.failures ELSE ${next} END,
      locked_until = CASE
        WHEN ${lockedNow} THEN g.locked_until
        WHEN ${next} >= ${limit} THEN ${lockUntil}::timestamptz
        ELSE NULL END
    RETURNING failures, locked_until
  `.execute(db);
  const row = rows[0]!;
  return { failures: row.failures, lockedUntil: row.locked_until };
}

/**
 * Deletes a bounded batch of sessions that expired over a day ago (by the platform clock: a
 * realm's clock only runs ahead of it, so these are expired in every realm too).
 */
export async function purgeExpiredSessions(db: Executor, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 24 * 3600_000);
  const result = await sql`
    DELETE FROM sandbox_sessions WHERE token_hash IN (
      SELECT token_hash FROM sandbox_sessions WHERE expires_at < ${cutoff} LIMIT 1000)`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
