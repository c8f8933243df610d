import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { sql } from "kysely";
import type { AppContext } from "../context.js";

/**
 * A @fastify/rate-limit store that counts in PostgreSQL, so every API process shares one count
 * per key. Fixed windows aligned to the epoch: one upsert per request returns the new count.
 * Rows of windows long past are deleted now and then by whichever request happens to draw it.
 *
 * Each store has a namespace (the API's per-key limits, the dashboard's per-address login
 * limits): buckets are prefixed with it, and a store's cleanup deletes only its own rows, by its
 * own window length, so a short window elsewhere can never wipe a long window's counts.
 */
const CLEANUP_EVERY_N = 200;

export function postgresRateLimitStore(ctx: AppContext, namespace: string): FastifyRateLimitStoreCtor {
  if (!/^[a-z]+$/.test(namespace)) throw new Error(`rate-limit namespace must be lower-case letters: ${namespace}`);
  let calls = 0;
  class PostgresStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const nowMs = ctx.clock.now().getTime();
      const windowStartMs = Math.floor(nowMs / timeWindow) * timeWindow;
      const ttl = windowStartMs + timeWindow - nowMs;
      const windowStart = new Date(windowStartMs);
      sql<{ hits: number }>`
        INSERT INTO rate_limits (bucket, window_start, hits) VALUES (${`${namespace}:${key}`}, ${windowStart}, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
        RETURNING hits`
        .execute(ctx.db)
        .then(async (result) => {
          callback(null, { current: Number(result.rows[0]?.hits ?? 1), ttl });
          if (++calls % CLEANUP_EVERY_N === 0) {
            const before = new Date(windowStartMs - timeWindow);
            await ctx.db
              .deleteFrom("rate_limits")
              .where("bucket", "like", `${namespace}:%`)
              .where("window_start", "<", before)
              .execute();
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
