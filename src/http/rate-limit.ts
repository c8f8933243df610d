import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { sql } from "kysely";
import type { AppContext } from "../context.js";

/**
 * A @fastify/rate-limit store that counts in PostgreSQL, so every API process shares one count
 * per key. Fixed windows aligned to the epoch: one upsert per request returns the new count.
 * Rows of windows long past are deleted now and then by whichever request happens to draw it.
 */
const CLEANUP_EVERY_N = 200;

export function postgresRateLimitStore(ctx: AppContext): FastifyRateLimitStoreCtor {
  let calls = 0;
  class PostgresStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const nowMs = ctx.clock.now().getTime();
      const windowStartMs = Math.floor(nowMs / timeWindow) * timeWindow;
      const ttl = windowStartMs + timeWindow - nowMs;
      const windowStart = new Date(windowStartMs);
      sql<{ hits: number }>`
        INSERT INTO rate_limits (bucket, window_start, hits) VALUES (${key}, ${windowStart}, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
        RETURNING hits`
        .execute(ctx.db)
        .then(async (result) => {
          callback(null, { current: Number(result.rows[0]?.hits ?? 1), ttl });
          if (++calls % CLEANUP_EVERY_N === 0) {
            const before = new Date(windowStartMs - timeWindow);
            await ctx.db.deleteFrom("rate_limits").where("window_start", "<", before).execute();
          }
        })
        .catch((error: unknown) => callback(error as Error));
    }
    child(): FastifyRateLimitStore {
      return new PostgresStore();
    }
  }
  return PostgresStore;
}
