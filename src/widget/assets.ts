import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { linkByShortUrl, linkProblem } from "../payments/links.js";
import { HTML_HEADERS, IMMUTABLE, getWidgetBuild, type BuiltAsset } from "./build.js";
import { linkMerchantName } from "./open.js";

/**
 * The widget app itself, on the widget origin:
 * - `GET /` — the app; iframe mode when `isIframe=true` (the okra-js loader's URL), full page
 *   otherwise (options from the query string).
 * - `GET /<short_url>` — a short link opened full page (10 letters/digits); anything else at the
 *   root stays the Okra-envelope 404.
 * - `GET /pay/<short_url>` — a payment link's hosted pay page: the app, full page, in payment
 *   mode. A link that cannot be paid (unknown 404; expired, paid or disabled 410) gets a page
 *   that says so, not an app that fails after loading.
 * - `GET /mandate/<id>` — the page where a customer authorises a mandate the API created (its `url`).
 * - `GET /okro.js` — our loader. `GET /assets/*` — the hashed, immutable app bundle.
 * Everything is built in memory when the listener starts (build.ts), pre-compressed.
 */

/** A short link code: 10 characters of [a-zA-Z0-9] (what `POST /v2/links/new` makes). */
export const SHORT_URL_PATTERN = /^[A-Za-z0-9]{10}$/;

/** The loader is linked by name, so it may only be cached briefly. */
const LOADER_CACHE = "public, max-age=300";

export async function registerWidgetAssets(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const build = await getWidgetBuild();

  const sendPage = (req: FastifyRequest, reply: FastifyReply, framed: boolean) =>
    send(req, reply, framed ? build.html.framed : build.html.page, { ...HTML_HEADERS });

  app.get<{ Querystring: Record<string, unknown> }>("/", (req, reply) => sendPage(req, reply, req.query?.isIframe === "true"));

  // The payer's page (mandates the customer granted; decision 0022): the app, in full page.
  app.get("/mandates", (req, reply) => sendPage(req, reply, false));

  // A mandate the API created, authorised by its customer (the API answers' `url`): the app, in
  // full page, in mandate mode for that mandate; a mandate no longer waiting gets the app's final screen.
  app.get<{ Params: { id: string } }>("/mandate/:id", (req, reply) => {
    if (!/^[0-9a-f]{24}$/.test(req.params.id)) return reply.callNotFound();
    return sendPage(req, reply, false);
  });

  app.get<{ Params: { short_url: string }; Querystring: Record<string, unknown> }>("/:short_url", (req, reply) => {
    if (!SHORT_URL_PATTERN.test(req.params.short_url)) return reply.callNotFound();
    return sendPage(req, reply, req.query?.isIframe === "true");
  });

  app.get<{ Params: { short_url: string } }>("/pay/:short_url", async (req, reply) => {
    const code = req.params.short_url;
    const link = SHORT_URL_PATTERN.test(code) ? await linkByShortUrl(ctx.db, code) : undefined;
    const problem = link ? linkProblem(link, ctx.clock.now()) : null;
    if (link && !problem) return send(req, reply, build.html.pay, { ...HTML_HEADERS });
    const merchant = link ? await linkMerchantName(ctx, link) : null;
    const page = unavailablePage(build.css.path, problem?.reason ?? "unknown", link?.name ?? null, link?.support_email ?? null, merchant);
    return reply
      .code(problem ? 410 : 404)
      .headers({ ...HTML_HEADERS, "cache-control": "no-store" })
      .header("content-type", "text/html; charset=utf-8")
      .send(page);
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

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What the page says, naming the business when the link is known ("the business" when it is not). */
const UNAVAILABLE: Record<"unknown" | "expired" | "used" | "disabled", (business: string) => { title: string; detail: string }> = {
  unknown: (business) => ({ title: "This payment link is not valid", detail: `Check that you typed or copied the whole link, or ask ${business} for a new one.` }),
  expired: (business) => ({ title: "This payment link has expired", detail: `Nothing was paid. Ask ${business} for a new link.` }),
  used: (business) => ({ title: "This payment link has already been paid", detail: `It could be used once, and it was. If you need to pay again, ask ${business} for a new link.` }),
  disabled: (business) => ({ title: "This payment link is no longer active", detail: `${business} turned it off. Nothing was paid. Ask them for a new link.` }),
};

/** A static page (the app's stylesheet, no script) saying why a payment link cannot be paid. */
export function unavailablePage(css: string, reason: keyof typeof UNAVAILABLE, name: string | null, supportEmail: string | null, merchant: string | null = null): string {
  const raw = UNAVAILABLE[reason](merchant ?? "the business");
  const title = raw.title;
  const detail = raw.detail.charAt(0).toUpperCase() + raw.detail.slice(1);
  const what = name ? `<p class="muted">Link: <strong>${escapeHtml(name)}</strong></p>` : "";
  const contact = supportEmail ? `<p class="muted">Questions? Write to ${escapeHtml(supportEmail)}.</p>` : "";
  const icon =
    '<svg width="30" height="30" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="9.5"></circle><path d="M12 7.5v5.5M12 16.5v.01"></path></svg>';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="${css}"></head>` +
    `<body><div id="app"><div class="shell"><div class="card"><main class="body"><div class="screen"><div class="error-view" role="alert">` +
    `<div class="big-icon bad">${icon}</div><h1>${escapeHtml(title)}</h1><p class="muted">${escapeHtml(detail)}</p>${what}${contact}</div></div></main>` +
    `<footer class="foot">Secured by Okro</footer></div></div></div></body></html>`
  );
}
