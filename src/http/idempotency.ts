import type { FastifyReply, FastifyRequest } from "fastify";
import { serializerCompiler } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.js";
import type { Trx } from "../core/db.js";
import {
  checkIdempotencyKey,
  requestHash,
  runIdempotent,
  runIdempotentOutside,
  type IdempotencyScope,
  type IdempotentOutcome,
  type MutationResult,
} from "../core/idempotency.js";

/**
 * The `Idempotency-Key` header over the kernel's idempotency core (src/core/idempotency.ts, keyed
 * by scope, key and request hash; docs/decisions/0004 and 0019). This adapter reads the header,
 * hashes the request (method, route pattern without the API prefix, params, query, body), checks
 * inside the transaction that the answer serializes, and answers a replay with
 * `Idempotent-Replayed: true`. Without a key, the mutation simply runs in one transaction.
 */
export const IDEMPOTENCY_HEADER = "idempotency-key";
export { IDEMPOTENCY_TTL_MS, type IdempotencyScope, type MutationResult } from "../core/idempotency.js";

function readKey(req: FastifyRequest): string | undefined {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  return checkIdempotencyKey((Array.isArray(raw) ? raw[0] : raw) ?? "");
}

/** `/v2/sandbox/…`, `/sandbox/v2/…` and `/v2/…` are one API: a key means the same on each. */
const API_PREFIX = /^\/(?:v2\/sandbox|sandbox\/v2|v2)(?=\/)/;

function fingerprint(req: FastifyRequest): string {
  const route = (req.routeOptions.url ?? req.url).replace(API_PREFIX, "");
  return requestHash({ method: req.method, route, params: req.params ?? null, query: req.query ?? null, body: req.body ?? null });
}

/**
 * Runs `fn` in one transaction (so a failure writes nothing), honouring Idempotency-Key within
 * `scope` (a tenant: company and environment, or a dashboard company).
 */
export async function runMutation(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: IdempotencyScope,
  fn: (trx: Trx) => Promise<MutationResult>,
): Promise<unknown> {
  // The answer (and, with a key, what a replay will answer) must serialize before the commit.
  const checked = (stored: boolean) => async (trx: Trx): Promise<MutationResult> => {
    const out = await fn(trx);
    assertSerializable(req, out.statusCode ?? 200, out.body);
    if (stored && out.replayAs) assertSerializable(req, out.replayAs.statusCode, out.replayAs.body);
    return out;
  };
  const key = readKey(req);
  if (!key) {
    const result = await ctx.db.transaction().execute(checked(false));
    reply.code(result.statusCode ?? 200);
    return result.body;
  }
  return answer(reply, await runIdempotent(ctx.db, { scope, key, hash: fingerprint(req), now: ctx.clock.now() }, checked(true)));
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

function answer(reply: FastifyReply, outcome: IdempotentOutcome): unknown {
  reply.code(outcome.statusCode);
  if (!outcome.replayed) return outcome.body;
  reply.header("idempotent-replayed", "true");
  const body = outcome.body as { status?: unknown; data?: Record<string, unknown> } | null;
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
  scope: IdempotencyScope,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  return runMutation(ctx, req, reply, scope, async (trx) => ({ body: await fn(trx) })) as Promise<T>;
}

/**
 * Idempotency-Key for an effect that cannot run inside Okro's database transaction: a call to
 * another service (the sandbox bank over HTTP) or an effect that commits its own transaction. See
 * the core's `runIdempotentOutside`: reserved first, duplicates meanwhile get 409 CONFLICT, a
 * refusal releases the key, an unknown failure keeps it until it goes stale.
 */
export async function runOutsideTransaction(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: IdempotencyScope,
  fn: () => Promise<MutationResult>,
): Promise<unknown> {
  const key = readKey(req);
  if (!key) {
    const result = await fn();
    reply.code(result.statusCode ?? 200);
    return result.body;
  }
  const outcome = await runIdempotentOutside(ctx.db, { scope, key, hash: fingerprint(req), now: ctx.clock.now() }, fn, {
    onReleaseError: (error) => req.log.warn({ err: error }, "could not release an Idempotency-Key reservation"),
  });
  return answer(reply, outcome);
}
