import Fastify, { type FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { applyHttpBasics, requestIdOptions } from "../http/basics.js";
import { loggerOptions } from "../http/logging.js";

/**
 * The widget's own origin (WIDGET_PORT). The okra-js loader opens `<baseUrl>/?isIframe=true…`
 * here and trusts only messages from this origin, which is why the widget never shares the
 * API's origin. This listener is the seam the widget app mounts on.
 */
export async function buildWidgetApp(ctx: AppContext, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(ctx.config.logLevel),
    ...requestIdOptions,
  });
  applyHttpBasics(app);
  app.get("/health", async () => ({ status: "ok" }));
  app.get("/", async (_req, reply) =>
    reply
      .type("text/html")
      .header("x-frame-options", "ALLOWALL")
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Okro widget</title></head>` +
          `<body style="font:16px system-ui,sans-serif;margin:2rem"><h1 style="color:#3AB795">Okro widget origin</h1>` +
          `<p>The widget (okra-js protocol) is served from this origin.</p></body></html>`,
      ),
  );
  return app;
}
