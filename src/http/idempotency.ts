import type { FastifyReply, FastifyRequest } from "fastify";
import { serializerCompiler } from "fastify-type-provider-zod";
import { z } from "zod";
import { sql, type Kysely, type Transaction } from "kysely";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import { canonicalJson, sha256Hex } from "../lib/secrets.js";
import { ERROR_STATUS, OkroError } from "../core/errors.js";

/**
 * Idempotency-Key, Stripe-style, with the key row in the same transaction as the effect:
 *
 *  1. A stored key for this scope replays the stored response (same request) or is a 409
 *     (different request).
 *  2. Otherwise the transaction first inserts the key row, then runs the mutation, then stores the
 *     response in that row, and commits. A concurrent duplicate blocks on the primary key until
 *     the first commits, then finds the key and replays; if the first rolled back, it proceeds.
 *     So no "in progress" state exists outside a transaction, and a crash leaves nothing behind.
 *  3. A mutation that fails (any error) rolls back with its key: a retry runs it again, which is
 *     safe because nothing happened.
 *
 * Keys are kept for IDEMPOTENCY_TTL_MS; after that the same key starts over.
 */
export const IDEMPOTENCY_HEADER = "idempotency-key";
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;
const UNIQUE_VIOLATION = "23505";

export interface MutationResult {
  statusCode?: number;
  body: unknown;
  /**
   * What a replay answers, when it must not be the response itself: a response that carries a
   * secret shown once (a new API key) is never stored, so its replay says what happened instead.
   */
  replayAs?: { statusCode: number; body: unknown };
}

export type Trx = Transaction<DB>;

function readKey(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || value.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new OkroError(
      "INVALID_HEADERS",
      `Idempotency-Key: must be 1–${MAX_KEY_LENGTH} printable ASCII characters without spaces`,
      { field: "Idempotency-Key" },
    );
  }
  return value;
}

/** `/v2/sandbox/…`, `/sandbox/v2/…` and `/v2/…` are one API: a key means the same on each. */
const API_PREFIX = /^\/(?:v2\/sandbox|sandbox\/v2|v2)(?=\/)/;

function fingerprint(req: FastifyRequest): string {
  const route = (req.routeOptions.url ?? req.url).replace(API_PREFIX, "");
  return sha256Hex(
    canonicalJson({ method: req.method, route, params: req.params ?? null, query: req.query ?? null, body: req.body ?? null }),
  );
}

/**
 * Deletes up to `batch` keys created before `cutoff`; returns how many. Run by the
 * `housekeeping.idempotency_keys` job (src/jobs/housekeeping.ts), not by requests.
 */
export async function purgeExpiredIdempotencyKeys(db: Kysely<DB>, cutoff: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys WHERE (scope, key) IN (
      SELECT scope, key FROM idempotency_keys WHERE created_at < ${cutoff} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Runs `fn` in one transaction (so a failure writes nothing), honouring Idempotency-Key within
 * `scope` (a tenant: company and environment, or a dashboard company).
 */
export async function runMutation(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  fn: (trx: Trx) => Promise<MutationResult>,
): Promise<unknown> {
  const key = readKey(req);
  if (!key) {
    const result = await ctx.db.transaction().execute(async (trx) => {
      const out = await fn(trx);
      assertSerializable(req, out.statusCode ?? 200, out.body);
      return out;
    });
    reply.code(result.statusCode ?? 200);
    return result.body;
  }
  const hash = fingerprint(req);
  const now = ctx.clock.now();
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_TTL_MS);

  const stored = await findStored(ctx, scope, key, cutoff);
  if (stored) return replay(reply, stored, hash);

  try {
    const result = await ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("idempotency_keys").where("scope", "=", scope).where("key", "=", key).where("created_at", "<", cutoff).execute();
      await trx
        .insertInto("idempotency_keys")
        .values({ scope, key, request_hash: hash, response_status: 0, response_body: "null", created_at: now })
        .execute();
      const out = await fn(trx);
      const statusCode = out.statusCode ?? 200;
      assertSerializable(req, statusCode, out.body);
      const stored = out.replayAs ?? { statusCode, body: out.body };
      if (out.replayAs) assertSerializable(req, stored.statusCode, stored.body);
      await trx
        .updateTable("idempotency_keys")
        .set({ response_status: stored.statusCode, response_body: JSON.stringify(stored.body) })
        .where("scope", "=", scope)
        .where("key", "=", key)
        .execute();
      return { statusCode, body: out.body };
    });
    reply.code(result.statusCode);
    return result.body;
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    // Lost the race to a concurrent request with the same key, which has now committed.
    const winner = await findStored(ctx, scope, key, cutoff);
    if (!winner) throw error;
    return replay(reply, winner, hash);
  }
}

/**
 * Serializes `body` as the reply will (the route's response schema for `statusCode`, by the same
 * serializer compiler the app uses), and throws what the reply would throw. Called inside the
 * mutation's transaction, so a body that cannot be answered rolls the write back: the caller gets
 * a 500 and nothing happened, never a 500 after the write was kept (the reply serializes after
 * this function has returned and the transaction has committed).
 */
function assertSerializable(req: FastifyRequest, statusCode: number, body: unknown): void {
  const responses = req.routeOptions.schema?.response as Record<string, unknown> | undefined;
  if (!responses) return;
  const code = String(statusCode);
  const schema = responses[code] ?? responses[`${code[0]}XX`] ?? responses.default;
  if (!(schema instanceof z.ZodType)) return;
  serializerCompiler({ schema, method: req.method, url: req.routeOptions.url ?? req.url, httpStatus: code })(body);
}

interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

async function findStored(ctx: AppContext, scope: string, key: string, cutoff: Date): Promise<StoredResponse | undefined> {
  return ctx.db
    .selectFrom("idempotency_keys")
    .select(["request_hash", "response_status", "response_body"])
    .where("scope", "=", scope)
    .where("key", "=", key)
    .where("created_at", ">=", cutoff)
    .executeTakeFirst();
}

/** `response_status` of a key reserved by {@link runOutsideTransaction} whose effect is still running. */
const IN_PROGRESS = 0;

function replay(reply: FastifyReply, stored: StoredResponse, hash: string): unknown {
  if (stored.request_hash !== hash) {
    throw new OkroError(
      "IDEMPOTENCY_KEY_REUSED",
      "Idempotency-Key: this key was already used with a different request; use a new key for a new request",
      { field: "Idempotency-Key" },
    );
  }
  if (stored.response_status === IN_PROGRESS) {
    throw new OkroError("CONFLICT", "Idempotency-Key: a request with this key is still in progress; retry in a moment to get its response", {
      field: "Idempotency-Key",
    });
  }
  reply.header("idempotent-replayed", "true");
  reply.code(stored.response_status);
  const body = stored.response_body as { status?: unknown; data?: Record<string, unknown> } | null;
  // A stored error names the request that made it; the replay names this one, like every error.
  if (body && body.status === "error") return { ...body, data: { ...body.data, request_id: reply.request.id } };
  return body;
}

/**
 * `runMutation` for handlers whose result is the whole 200 body, keeping its type so the handler
 * type-checks against its response schema. The cast is sound: a replay returns the stored body
 * of this same route (the fingerprint includes the route), which was a `T` when it was stored.
 */
export function mutate<T>(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  return runMutation(ctx, req, reply, scope, async (trx) => ({ body: await fn(trx) })) as Promise<T>;
}

/** A reservation older than this belongs to a request whose process died; another may take it over. */
const STALE_RESERVATION_MS = 60_000;

/**
 * Idempotency-Key for an effect that cannot run inside Okro's database transaction: a call to
 * another service (the sandbox bank over HTTP) or an effect that commits its own transaction.
 *
 *  1. The key is reserved first, in its own committed transaction: its row says "in progress".
 *     A stored response replays (or is a 409 for a different request); a reservation still in
 *     progress is a 409 CONFLICT ("retry in a moment"), so concurrent duplicates — in this
 *     process or another on the same PostgreSQL — never run the effect twice. A reservation
 *     older than a minute is taken over (its process died), by compare-and-set.
 *  2. The effect runs, outside any transaction.
 *  3. Its response is stored in the row. If the effect is refused (a 4xx: nothing happened), the
 *     reservation is removed and a corrected retry runs; if it fails otherwise (the outcome is
 *     unknown), the reservation stays, so retries are told "in progress" until it goes stale.
 */
export async function runOutsideTransaction(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  fn: () => Promise<MutationResult>,
): Promise<unknown> {
  const key = readKey(req);
  if (!key) {
    const result = await fn();
    reply.code(result.statusCode ?? 200);
    return result.body;
  }
  const hash = fingerprint(req);
  const now = ctx.clock.now();
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_TTL_MS);
  const reserved = await ctx.db
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
    const stored = await findStored(ctx, scope, key, cutoff);
    if (stored) return replay(reply, stored, hash);
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
      await ctx.db
        .deleteFrom("idempotency_keys")
        .where("scope", "=", scope)
        .where("key", "=", key)
        .where("response_status", "=", IN_PROGRESS)
        .where("created_at", "=", now)
        .execute()
        .catch((cleanup: unknown) => req.log.warn({ err: cleanup }, "could not release an Idempotency-Key reservation"));
    }
    throw error;
  }
  const statusCode = out.statusCode ?? 200;
  const stored = out.replayAs ?? { statusCode, body: out.body };
  // Only our own reservation (a stale-takeover by another request changed created_at).
  await ctx.db
    .updateTable("idempotency_keys")
    .set({ response_status: stored.statusCode, response_body: JSON.stringify(stored.body) })
    .where("scope", "=", scope)
    .where("key", "=", key)
    .where("response_status", "=", IN_PROGRESS)
    .where("created_at", "=", now)
    .execute();
  reply.code(statusCode);
  return out.body;
}
