import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AppContext } from "../context.js";
import { applyHttpBasics, requestIdOptions } from "../http/basics.js";
import { loggerOptions } from "../core/logging.js";
import { registerWidgetApi } from "./api-routes.js";
import { registerWidgetAssets } from "./assets.js";

/**
 * The widget's own origin (WIDGET_PORT). The okra-js loader opens `<baseUrl>/?isIframe=true…`
 * here and trusts only messages from this origin, which is why the widget never shares the
 * API's origin. This listener is the seam the widget app mounts on.
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
