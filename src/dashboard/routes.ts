import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { getDashboardBuild, type DashboardAsset } from "./build.js";

/**
 * The dashboard SPA on the API origin: `GET /dashboard` and every `/dashboard/<page>` answer
 * with the one HTML shell (the client router picks the page, so any URL can be reloaded or
 * shared), `/dashboard/assets/*` with the hashed, immutable, pre-compressed bundle. The JSON API
 * under `/dashboard/api` is registered separately (src/platform/routes.ts); an unknown API path
 * stays a JSON 404, never the page.
 */

/** Only our own origin's scripts, styles and requests. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Apps' logos (https or inline data) show in the widget builder's preview.
  "img-src 'self' https: data:",
  "connect-src 'self'",
  // The widget builder's live preview frames the widget app on this or the widget origin.
  "frame-src 'self' http: https:",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const PAGE_HEADERS = {
  "content-security-policy": CSP,
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

export const dashboardPages: FastifyPluginAsync = async (app) => {
  const build = await getDashboardBuild();
  const hide = { schema: { hide: true } };
  const page = (req: FastifyRequest, reply: FastifyReply) => send(req, reply, build.html, PAGE_HEADERS);
  app.get("/dashboard", hide, page);
  app.get<{ Params: { "*": string } }>("/dashboard/*", hide, (req, reply) => {
    const rest = req.params["*"];
    if (rest === "api" || rest.startsWith("api/")) return reply.callNotFound();
    if (rest.startsWith("assets/")) {
      const found = build.assets.get(`/dashboard/${rest}`);
      if (!found) return reply.callNotFound();
      return send(req, reply, found, { "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" });
    }
    return page(req, reply);
  });
};

function send(req: FastifyRequest, reply: FastifyReply, asset: DashboardAsset, headers: Record<string, string>) {
  reply.headers(headers).header("content-type", asset.contentType).header("etag", asset.etag).header("vary", "accept-encoding");
  const inm = req.headers["if-none-match"];
  if (inm && inm.split(",").some((t) => t.trim() === asset.etag || t.trim() === `W/${asset.etag}`)) return reply.code(304).send();
  const accept = String(req.headers["accept-encoding"] ?? "");
  const encoding = /\bbr\b/.test(accept) ? "br" : /\bgzip\b/.test(accept) ? "gzip" : null;
  if (encoding) reply.header("content-encoding", encoding);
  return reply.send(encoding === "br" ? asset.br : encoding === "gzip" ? asset.gzip : asset.raw);
}
