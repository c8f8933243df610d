import Fastify, { type FastifyInstance } from "fastify";
import type { pino } from "pino";
import { applyHttpBasics, requestIdOptions } from "../../src/http/basics.js";
import { registerWidgetApi } from "../../src/widget/api-routes.js";
import type { Harness } from "../harness.js";

/**
 * The widget session API mounted the way buildWidgetApp mounts it (request ids, the envelope
 * error handler, the API's own parsers), without the widget's static assets, which are built
 * separately and are covered by origin.test.ts and assets.test.ts.
 */
export async function buildWidgetApi(ctx: Harness["ctx"], logger?: pino.Logger): Promise<FastifyInstance> {
  // A pino logger instance changes Fastify's logger type parameter; the API does not care.
  const app = Fastify({ ...(logger ? { loggerInstance: logger } : { logger: false }), ...requestIdOptions }) as unknown as FastifyInstance;
  applyHttpBasics(app);
  await registerWidgetApi(app, ctx);
  await app.ready();
  return app;
}
