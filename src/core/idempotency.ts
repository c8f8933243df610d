import { sql } from "kysely";
import { canonicalJson, sha256Hex } from "../lib/secrets.js";
import type { Executor, Trx } from "./db.js";
import { ERROR_STATUS, OkroError } from "./errors.js";
import type { Env } from "./tenancy.js";

/**
 * The one idempotency core (docs/decisions/0004, 0019): a mutation keyed by **(scope, key,
 * request hash)** runs at most once; the same key again replays the stored response, the same key
 * with another request is 409 `IDEMPOTENCY_KEY_REUSED`, and the same key in another scope is
 * another key. Nothing here knows HTTP: the Fastify adapter (src/http/idempotency.ts) reads the
 * `Idempotency-Key` header and fingerprints the request; a bulk row, a CLI command or a job calls
 * {@link runIdempotent} with its own scope, key and {@link requestHash}.
 *
 * The key row lives in the transaction of the effect ({@link runIdempotent}): inserted first, the
 * response stored in it, committed with the effect. A concurrent duplicate blocks on the primary
 * key until the first commits, then replays it; if the first rolled back, it runs. A failure (any
 * error) rolls back with its key, so a retry runs again. Keys are kept {@link IDEMPOTENCY_TTL_MS}.
 * {@link runIdempotentOutside} is for effects that cannot run in Okro's transaction.
 */

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const UNIQUE_VIOLATION = "23505";
/** `response_status` of a key reserved by {@link runIdempotentOutside} whose effect is still running. */
const IN_PROGRESS = 0;
/** A reservation older than this belongs to a process that died; another may take it over. */
const STALE_RESERVATION_MS = 60_000;

/**
 * Whose key: one caller's namespace, never shared. `api`: a secret key of a company in one
 * environment (a sandbox key's key never meets a production one). `dashboard`: a signed-in user
 * of a company (its mutations span both environments).
 */
export type IdempotencyScope =
  | { who: "api"; companyId: string; env: Env }
  | { who: "dashboard"; companyId: string }
  /** The platform operator deciding payment access: across companies, so scoped by the operator user. */
  | { who: "operator"; userId: string };

/**
 * The stored form of a scope (`idempotency_keys.scope`): `<company>:<env>` for `api`,
 * `dashboard:<company>` for the dashboard — the forms 0004 stored, so keys stored before keep
 * replaying. Company ids are generated ids, never the word `dashboard`, so the two never meet; a
 * new `who` takes its own `<who>:` prefix.
 */
export function scopeId(scope: IdempotencyScope): string {
  switch (scope.who) {
    case "api":
      return `${scope.companyId}:${scope.env}`;
    case "dashboard":
      return `dashboard:${scope.companyId}`;
    case "operator":
      return `operator:${scope.userId}`;
  }
}

/**
 * A key as callers send it: 1–255 printable ASCII characters without spaces. `field` names it in
 * the 400 (`Idempotency-Key` for the header).
 */
export function checkIdempotencyKey(value: string, field = "Idempotency-Key"): string {
  if (!value || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new OkroError("INVALID_HEADERS", `${field}: must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters without spaces`, { field });
  }
  return value;
}

/** The hash of a request: SHA-256 of its canonical JSON (object keys sorted), so key order never makes two requests differ. */
export function requestHash(request: unknown): string {
  return sha256Hex(canonicalJson(request));
}

/** One idempotent call: whose key, the key, what was asked (its {@link requestHash}), and when. */
export interface IdempotentCall {
  scope: IdempotencyScope;
  key: string;
  hash: string;
  now: Date;
}

export interface MutationResult {
  statusCode?: number;
  body: unknown;
  /**
   * What a replay answers, when it must not be the response itself: a response that carries a
   * secret shown once (a new API key) is never stored, so its replay says what happened instead.
   */
  replayAs?: { statusCode: number; body: unknown };
}

/** What the call answers: the effect's own result, or the stored response of the first call with this key. */
export type IdempotentOutcome = { replayed: false; statusCode: number; body: unknown } | { replayed: true; statusCode: number; body: unknown };

interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

const cutoffOf = (now: Date) => new Date(now.getTime() - IDEMPOTENCY_TTL_MS);

async function findStored(db: Executor, scope: string, key: string, cutoff: Date): Promise<StoredResponse | undefined> {
  return db
    .selectFrom("idempotency_keys")
    .select(["request_hash", "response_status", "response_body"])
    .where("scope", "=", scope)
    .where("key", "=", key)
    .where("created_at", ">=", cutoff)
    .executeTakeFirst();
}

function replayOf(stored: StoredResponse, hash: string): IdempotentOutcome {
  if (stored.request_hash !== hash) {
    throw new OkroError("IDEMPOTENCY_KEY_REUSED", "Idempotency-Key: this key was already used with a different request; use a new key for a new request", {
      field: "Idempotency-Key",
    });
  }
  if (stored.response_status === IN_PROGRESS) {
    throw new OkroError("CONFLICT", "Idempotency-Key: a request with this key is still in progress; retry in a moment to get its response", {
      field: "Idempotency-Key",
    });
  }
  return { replayed: true, statusCode: stored.response_status, body: stored.response_body };
}

/**
 * Runs `fn` once per (scope, key, hash), in one transaction with the key row. Throws
 * `IDEMPOTENCY_KEY_REUSED` (409) for a stored key with another hash, and whatever `fn` throws
 * (nothing is kept: the key rolls back with the effect). `fn` may throw to refuse its own result
 * before the commit (the HTTP adapter checks the response serializes there).
 */
export async function runIdempotent(db: Executor, call: IdempotentCall, fn: (trx: Trx) => Promise<MutationResult>): Promise<IdempotentOutcome> {
  const { key, hash, now } = call;
  const scope = scopeId(call.scope);
  const cutoff = cutoffOf(now);
  try {
    return await db.transaction().execute(async (trx) => {
      // One statement takes the key: a new key is inserted, an expired one starts over; a live
      // one (committed, or committing: the insert waits on its primary key until the other
      // transaction ends) returns nothing, and its stored response is read in a fresh snapshot.
      const taken = await trx
        .insertInto("idempotency_keys")
        .values({ scope, key, request_hash: hash, response_status: IN_PROGRESS, response_body: "null", created_at: now })
        .onConflict((oc) =>
          oc
            .columns(["scope", "key"])
            .doUpdateSet({ request_hash: hash, response_status: IN_PROGRESS, response_body: "null", created_at: now })
            .where("idempotency_keys.created_at", "<", cutoff),
        )
        .returning("key")
        .executeTakeFirst();
      if (!taken) {
        const stored = await findStored(trx, scope, key, cutoff);
        if (!stored) throw new Error(`idempotency key ${key}: neither taken nor stored`); // unreachable: the conflict was a live key
        return replayOf(stored, hash);
      }
      const out = await fn(trx);
      const statusCode = out.statusCode ?? 200;
      const kept = out.replayAs ?? { statusCode, body: out.body };
      await trx
        .updateTable("idempotency_keys")
        .set({ response_status: kept.statusCode, response_body: JSON.stringify(kept.body) })
        .where("scope", "=", scope)
        .where("key", "=", key)
        .execute();
      return { replayed: false as const, statusCode, body: out.body };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    // A unique violation of the effect's own (a concurrent duplicate's rows are behind its key):
    // if a call with this key has committed meanwhile, answer with it.
    const winner = await findStored(db, scope, key, cutoff);
    if (!winner) throw error;
    return replayOf(winner, hash);
  }
}

/**
 * Idempotency for an effect that cannot run inside Okro's database transaction (a call to another
 * service, an effect that commits its own transactions):
 *
 *  1. The key is reserved first, in its own committed write: its row says "in progress". A stored
 *     response replays (or is a 409 for another hash); a reservation still in progress is a 409
 *     `CONFLICT` ("retry in a moment"), so concurrent duplicates — in this process or another on
 *     the same PostgreSQL — never run the effect twice. A reservation of the same request older
 *     than a minute is taken over (its process died), by compare-and-set.
 *  2. The effect runs, outside any transaction.
 *  3. Its response is stored in the row. If the effect is refused (an OkroError below 500:
 *     nothing happened), the reservation is removed and a corrected retry runs; if it fails
 *     otherwise (the outcome is unknown), the reservation stays, so retries are told "in
 *     progress" until it goes stale.
 */
export async function runIdempotentOutside(
  db: Executor,
  call: IdempotentCall,
  fn: () => Promise<MutationResult>,
  options: { onReleaseError?: (error: unknown) => void } = {},
): Promise<IdempotentOutcome> {
  const { key, hash, now } = call;
  const scope = scopeId(call.scope);
  const cutoff = cutoffOf(now);
  const reserved = await db
    .insertInto("idempotency_keys")
    .values({ scope, key, request_hash: hash, response_status: IN_PROGRESS, response_body: "null", created_at: now })
    .onConflict((oc) =>
      // An expired key starts over; a stale reservation of the same request is taken over.
      oc.columns(["scope", "key"]).doUpdateSet({ request_hash: hash, response_status: IN_PROGRESS, response_body: "null", created_at: now }).where((eb) =>
        eb.or([
          eb("idempotency_keys.created_at", "<", cutoff),
          eb.and([
            eb("idempotency_keys.response_status", "=", IN_PROGRESS),
            eb("idempotency_keys.request_hash", "=", hash),
            eb("idempotency_keys.created_at", "<", new Date(now.getTime() - STALE_RESERVATION_MS)),
          ]),
        ]),
      ),
    )
    .returning("key")
    .executeTakeFirst();
  if (!reserved) {
    const stored = await findStored(db, scope, key, cutoff);
    if (stored) return replayOf(stored, hash);
    throw new OkroError("CONFLICT", "Idempotency-Key: a request with this key is still in progress; retry in a moment", { field: "Idempotency-Key" });
  }
  let out: MutationResult;
  try {
    out = await fn();
  } catch (error) {
    // A refusal (4xx) did nothing: release the key so a corrected retry runs. Anything else (the
    // other service timed out or failed) may have happened: keep the reservation, so retries get
    // "in progress" instead of running it again, until it goes stale.
    if (error instanceof OkroError && ERROR_STATUS[error.code] < 500) {
      await db
        .deleteFrom("idempotency_keys")
        .where("scope", "=", scope)
        .where("key", "=", key)
        .where("response_status", "=", IN_PROGRESS)
        .where("created_at", "=", now)
        .execute()
        .catch((cleanup: unknown) => options.onReleaseError?.(cleanup));
    }
    throw error;
  }
  const statusCode = out.statusCode ?? 200;
  const kept = out.replayAs ?? { statusCode, body: out.body };
  // Only our own reservation (a stale-takeover by another request changed created_at).
  await db
    .updateTable("idempotency_keys")
    .set({ response_status: kept.statusCode, response_body: JSON.stringify(kept.body) })
    .where("scope", "=", scope)
    .where("key", "=", key)
    .where("response_status", "=", IN_PROGRESS)
    .where("created_at", "=", now)
    .execute();
  return { replayed: false, statusCode, body: out.body };
}

/**
 * Deletes up to `batch` keys created before `cutoff`; returns how many. Run by the
 * `housekeeping.idempotency_keys` job (src/jobs/housekeeping.ts), not by requests.
 */
export async function purgeExpiredIdempotencyKeys(db: Executor, cutoff: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys WHERE (scope, key) IN (
      SELECT scope, key FROM idempotency_keys WHERE created_at < ${cutoff} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
