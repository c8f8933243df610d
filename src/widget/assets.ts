import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HTML_HEADERS, IMMUTABLE, getWidgetBuild, type BuiltAsset } from "./build.js";

/**
 * The widget app itself, on the widget origin:
 * - `GET /` — the app; iframe mode when `isIframe=true` (the okra-js loader's URL), full page
 *   otherwise (options from the query string).
 * - `GET /<short_url>` — a short link opened full page (10 letters/digits); anything else at the
 *   root stays the Okra-envelope 404.
 * - `GET /okro.js` — our loader. `GET /assets/*` — the hashed, immutable app bundle.
 * Everything is built in memory when the listener starts (build.ts), pre-compressed.
 */

/** A short link code: 10 characters of [a-zA-Z0-9] (what `POST /v2/links/new` makes). */
export const SHORT_URL_PATTERN = /^[A-Za-z0-9]{10}$/;

/** The loader is linked by name, so it may only be cached briefly. */
const LOADER_CACHE = "public, max-age=300";

export async function registerWidgetAssets(app: FastifyInstance): Promise<void> {
  const build = await getWidgetBuild();

  const sendPage = (req: FastifyRequest, reply: FastifyReply, framed: boolean) =>
    send(req, reply, framed ? build.html.framed : build.html.page, { ...HTML_HEADERS });

  app.get<{ Querystring: Record<string, unknown> }>("/", (req, reply) => sendPage(req, reply, req.query?.isIframe === "true"));

  app.get<{ Params: { short_url: string }; Querystring: Record<string, unknown> }>("/:short_url", (req, reply) => {
    if (!SHORT_URL_PATTERN.test(req.params.short_url)) return reply.callNotFound();
    return sendPage(req, reply, req.query?.isIframe === "true");
  });

  app.get("/okro.js", (req, reply) =>
    send(req, reply, build.loader, { "cache-control": LOADER_CACHE, "access-control-allow-origin": "*", "x-content-type-options": "nosniff" }),
  );

  app.get<{ Params: { "*": string } }>("/assets/*", (req, reply) => {
    const found = build.assets.get(`/assets/${req.params["*"]}`);
    if (!found) return reply.callNotFound();
    return send(req, reply, found, { "cache-control": IMMUTABLE, "x-content-type-options": "nosniff" });
  });
}

/** Answers with the best pre-compressed variant the client accepts (brotli, gzip, identity), or 304. */
function send(req: FastifyRequest, reply: FastifyReply, asset: BuiltAsset, headers: Record<string, string>) {
  reply.headers(headers).header("content-type", asset.contentType).header("etag", asset.etag).header("vary", "accept-encoding");
  if (etagMatches(req.headers["if-none-match"], asset.etag)) return reply.code(304).send();
  const encoding = pickEncoding(req.headers["accept-encoding"]);
  if (encoding) reply.header("content-encoding", encoding);
  return reply.send(encoding === "br" ? asset.br : encoding === "gzip" ? asset.gzip : asset.raw);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}

/** Parses Accept-Encoding with q-values; prefers brotli, then gzip. */
export function pickEncoding(header: string | string[] | undefined): "br" | "gzip" | null {
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!value) return null;
  const q = new Map<string, number>();
  for (const part of value.split(",")) {
    const [name, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (!name) continue;
    let weight = 1;
    for (const p of params) if (p.startsWith("q=")) weight = Number(p.slice(2)) || 0;
    q.set(name, weight);
  }
  const weight = (name: string) => q.get(name) ?? q.get("*") ?? 0;
  if (weight("br") > 0) return "br";
  if (weight("gzip") > 0) return "gzip";
  return null;
}
