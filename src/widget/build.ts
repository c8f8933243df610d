import { createHash } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { build, type BuildOptions } from "esbuild";

/**
 * Bundles the widget app (src/widget/ui, Preact) and our loader (src/widget/loader/okro.ts) with
 * esbuild, in memory, once per process: `npm start` needs no build step and writes no files.
 * Every asset is content-hashed (so it can be cached forever) and compressed here, at build
 * time, with gzip and brotli at their best settings, so serving one costs a Map lookup.
 */

const UI_DIR = path.join(import.meta.dirname, "ui");
const LOADER_ENTRY = path.join(import.meta.dirname, "loader", "okro.ts");

/** Browsers the widget supports: Android WebViews and phones a few years old. */
const TARGET = ["es2019", "chrome80"];

export interface BuiltAsset {
  /** URL path it is served at. */
  path: string;
  contentType: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  /** Strong ETag from the content hash. */
  etag: string;
}

export interface WidgetBuild {
  /** `/assets/app.<hash>.js` and `/assets/app.<hash>.css`, by URL path. */
  assets: ReadonlyMap<string, BuiltAsset>;
  js: BuiltAsset;
  css: BuiltAsset;
  /** The app page: `framed` (iframe mode, transparent until the app runs), full page, or a payment link's hosted pay page. */
  html: { framed: BuiltAsset; page: BuiltAsset; pay: BuiltAsset };
  /** `/okro.js`, our loader (not hashed: merchants link it by name). */
  loader: BuiltAsset;
  /** Wall-clock build time, for the start-up log and the bench. */
  buildMs: number;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // The merchant's logo is the one remote thing the app shows (https or inline data only).
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  // Any merchant page may embed the widget: that is what it is for.
  "frame-ancestors *",
].join("; ");

/** Headers of the app page (both modes). */
export const HTML_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CSP,
  "cache-control": "no-cache",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

export const IMMUTABLE = "public, max-age=31536000, immutable";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Compresses on libuv's thread pool, so the variants of all assets are made in parallel. */
async function asset(urlPath: string, contentType: string, raw: Buffer): Promise<BuiltAsset> {
  const [gz, br] = await Promise.all([
    gzipAsync(raw, { level: 9 }),
    brotliAsync(raw, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
      },
    }),
  ]);
  return { path: urlPath, contentType, raw, gzip: gz, br, etag: `"${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}"` };
}

const contentHash = (raw: Uint8Array) => createHash("sha256").update(raw).digest("base64url").replace(/[-_]/g, "").slice(0, 10);

const common: BuildOptions = {
  bundle: true,
  write: false,
  minify: true,
  target: TARGET,
  legalComments: "none",
  charset: "utf8",
  logLevel: "silent",
  define: { "process.env.NODE_ENV": '"production"' },
};

function pageHtml(js: string, css: string, framed: boolean, title = "Connect your bank account"): string {
  // Full page: a loading card is painted before the script runs. Framed: nothing is painted
  // until the app has told the loader it is alive (the loader shows its own spinner until then),
  // so the two backdrops never stack.
  const body = framed
    ? `<div id="app"></div>`
    : `<div id="app"><div class="shell"><div class="card"><div class="center"><div class="spinner" aria-hidden="true"></div><p role="status">Loading…</p></div></div></div></div>`;
  return (
    `<!doctype html><html lang="en"${framed ? ' class="framed"' : ""}><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><link rel="icon" href="data:,">` +
    `<title>${title}</title><link rel="stylesheet" href="${css}"><script defer src="${js}"></script></head>` +
    `<body>${body}<noscript><p class="noscript">This page needs JavaScript to ${framed || title.startsWith("Connect") ? "connect your bank account" : "pay from your bank account"}.</p></noscript></body></html>`
  );
}

export async function buildWidget(): Promise<WidgetBuild> {
  const started = performance.now();
  const [app, loader] = await Promise.all([
    build({
      ...common,
      entryPoints: { app: path.join(UI_DIR, "main.tsx"), "app-style": path.join(UI_DIR, "styles.css") },
      outdir: "/widget-build",
      format: "iife",
      jsx: "automatic",
      jsxImportSource: "preact",
    }),
    build({ ...common, entryPoints: [LOADER_ENTRY], outfile: "/widget-build/okro.js", format: "iife" }),
  ]);
  const jsOut = (app.outputFiles ?? []).find((f) => f.path.endsWith("app.js"));
  const cssOut = (app.outputFiles ?? []).find((f) => f.path.endsWith("app-style.css"));
  const loaderOut = loader.outputFiles?.[0];
  if (!jsOut || !cssOut || !loaderOut) throw new Error("widget build: missing output");

  const [js, css, loaderAsset] = await Promise.all([
    asset(`/assets/app.${contentHash(jsOut.contents)}.js`, "text/javascript; charset=utf-8", Buffer.from(jsOut.contents)),
    asset(`/assets/app.${contentHash(cssOut.contents)}.css`, "text/css; charset=utf-8", Buffer.from(cssOut.contents)),
    asset("/okro.js", "text/javascript; charset=utf-8", Buffer.from(loaderOut.contents)),
  ]);
  const html = (framed: boolean, urlPath = framed ? "/?isIframe=true" : "/", title?: string) =>
    asset(urlPath, "text/html; charset=utf-8", Buffer.from(pageHtml(js.path, css.path, framed, title)));
  const [framed, page, pay] = await Promise.all([html(true), html(false), html(false, "/pay/", "Pay with your bank account")]);
  return {
    assets: new Map([js, css].map((a) => [a.path, a])),
    js,
    css,
    html: { framed, page, pay },
    loader: loaderAsset,
    buildMs: Math.round(performance.now() - started),
  };
}

let cached: Promise<WidgetBuild> | undefined;

/** The build for this process (built on first use; a failed build is retried next time). */
export function getWidgetBuild(): Promise<WidgetBuild> {
  cached ??= buildWidget().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
