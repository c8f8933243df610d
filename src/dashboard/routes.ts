import type { FastifyPluginAsync } from "fastify";
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from "./assets.js";

/** Only our own origin's scripts and styles; the API it calls is same-origin. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const dashboardPages: FastifyPluginAsync = async (app) => {
  const hide = { schema: { hide: true } };
  app.get("/dashboard", hide, async (_req, reply) =>
    reply.type("text/html; charset=utf-8").header("content-security-policy", CSP).header("x-frame-options", "DENY").send(DASHBOARD_HTML),
  );
  app.get("/dashboard/app.js", hide, async (_req, reply) => reply.type("text/javascript; charset=utf-8").send(DASHBOARD_JS));
  app.get("/dashboard/app.css", hide, async (_req, reply) => reply.type("text/css; charset=utf-8").send(DASHBOARD_CSS));
};
