import type { FastifyInstance } from "fastify";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics for one app instance (its own registry, so tests can build many apps in
 * one process). Labels use the route pattern, never the raw URL, to keep cardinality bounded.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "okro_" });
  const requests = new Counter({
    name: "okro_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status code",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "okro_http_request_duration_seconds",
    help: "Time from request received to response sent, by method and route pattern",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "okro_rate_limited_total",
    help: "Requests refused with 429 by the per-key rate limit",
    registers: [registry],
  });

  function instrument(app: FastifyInstance) {
    app.addHook("onResponse", async (req, reply) => {
      const route = req.routeOptions.url ?? "unmatched";
      requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
      if (reply.statusCode === 429) rateLimited.inc();
    });
  }

  return { registry, instrument };
}
export type Metrics = ReturnType<typeof createMetrics>;
