import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AppContext } from "./context.js";
import { applyHttpBasics, requestIdOptions } from "./http/basics.js";
import { loggerOptions } from "./core/logging.js";
import { registerWidgetApi } from "./widget/api-routes.js";
import { registerWidgetAssets } from "./widget/assets.js";

/**
 * The widget's own origin (WIDGET_PORT). The okra-js loader opens `<baseUrl>/?isIframe=true…`
 * here and trusts only messages from this origin, which is why the widget never shares the
 * API's origin. This listener is the seam the widget app mounts on.
 *
 * A composition root beside src/app.ts (the API's server), not a widget module: it builds a
 * Fastify server with the HTTP adapter's basics and logging (src/http) around the widget's routes
 * and assets, which is what the import rules let only the shell do (decision 0015).
 */
export async function buildWidgetApp(
  ctx: AppContext,
  options: { logger?: FastifyServerOptions["loggerInstance"] | boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false
      ? { logger: false }
      : typeof options.logger === "object"
        ? { loggerInstance: options.logger }
        : { logger: loggerOptions(ctx.config.logLevel) }),
    ...requestIdOptions,
    // Behind a reverse proxy, client addresses (the widget API's rate limits, logs) come from X-Forwarded-For.
    trustProxy: ctx.config.trustProxy,
  });
  applyHttpBasics(app);
  app.get("/health", async () => ({ status: "ok" }));
  await registerWidgetApi(app, ctx);
  await registerWidgetAssets(app, ctx);
  return app;
}
