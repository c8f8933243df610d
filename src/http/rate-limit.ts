import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { sql, type Kysely } from "kysely";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";

/**
 * A @fastify/rate-limit store that counts in PostgreSQL, so every API process shares one count
 * per key. Fixed windows aligned to the epoch: one upsert per request returns the new count.
 *
 * Each store has a namespace (the API's per-key limits, the dashboard's per-address login
 * limits): buckets are prefixed with it. Windows are at most RATE_LIMIT_MAX_WINDOW_MS long, so a
 * row whose window started before that is over whatever its store: the
 * `housekeeping.rate_limits` job (src/jobs/housekeeping.ts) deletes those, never a live count.
 */
export const RATE_LIMIT_MAX_WINDOW_MS = 24 * 3_600_000;

/** Deletes up to `batch` rows of windows that started before `before`; returns how many. */
export async function purgeRateLimits(db: Kysely<DB>, before: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM rate_limits WHERE (bucket, window_start) IN (
      SELECT bucket, window_start FROM rate_limits WHERE window_start < ${before} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

export function postgresRateLimitStore(ctx: AppContext, namespace: string): FastifyRateLimitStoreCtor {
  if (!/^[a-z]+$/.test(namespace)) throw new Error(`rate-limit namespace must be lower-case letters: ${namespace}`);
  class PostgresStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      if (timeWindow > RATE_LIMIT_MAX_WINDOW_MS) {
        callback(new Error(`rate-limit window ${timeWindow} ms is longer than RATE_LIMIT_MAX_WINDOW_MS; housekeeping would delete live counts`));
        return;
      }
      const nowMs = ctx.clock.now().getTime();
      const windowStartMs = Math.floor(nowMs / timeWindow) * timeWindow;
      const ttl = windowStartMs + timeWindow - nowMs;
      const windowStart = new Date(windowStartMs);
      sql<{ hits: number }>`
        INSERT INTO rate_limits (bucket, window_start, hits) VALUES (${`${namespace}:${key}`}, ${windowStart}, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
        RETURNING hits`
        .execute(ctx.db)
        .then((result) => callback(null, { current: Number(result.rows[0]?.hits ?? 1), ttl }))
        .catch((error: unknown) => callback(error as Error));
    }
    child(): FastifyRateLimitStore {
      return new PostgresStore();
    }
  }
  return PostgresStore;
}

/** "1 minute", "90 seconds", "2 hours": how a person would say a window length. */
export function describeMs(ms: number): string {
  const units: Array<[number, string]> = [
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1_000, "second"],
  ];
  for (const [size, name] of units) {
    if (ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? "" : "s"}`;
  }
  return `${ms} ms`;
}
