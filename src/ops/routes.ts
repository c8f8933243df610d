import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { pendingMigrations, ping } from "../db/index.js";
import type { Metrics } from "./metrics.js";

const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });
const Ready = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    database: z.enum(["ok", "unreachable"]),
    migrations: z.object({ pending: z.array(z.string()) }),
  })
  .meta({ id: "Ready" });

/** Liveness, readiness and Prometheus metrics. Unauthenticated, for load balancers and scrapers. */
export const opsRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; metrics: Metrics }> = async (app, { ctx, metrics }) => {
  app.get(
    "/health",
    { schema: { tags: ["Operations"], summary: "Liveness: the process is up", response: { 200: Health } } },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/ready",
    {
      schema: {
        tags: ["Operations"],
        summary: "Readiness: the database answers and every migration is applied",
        description: "200 when ready; 503 with the same body shape when not.",
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      try {
        await ping(ctx.db);
        const pending = await pendingMigrations(ctx.db);
        const ready = pending.length === 0;
        return reply.code(ready ? 200 : 503).send({
          status: ready ? "ready" : "not_ready",
          database: "ok",
          migrations: { pending },
        });
      } catch {
        return reply.code(503).send({ status: "not_ready", database: "unreachable", migrations: { pending: [] } });
      }
    },
  );

  app.get(
    "/metrics",
    {
      schema: {
        tags: ["Operations"],
        summary: "Prometheus metrics (text exposition format)",
        response: { 200: z.string().meta({ description: "Prometheus text format 0.0.4" }) },
      },
    },
    async (_req, reply) => {
      reply.header("content-type", metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
};
