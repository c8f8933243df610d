import { createHash } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { build } from "esbuild";

/**
 * Bundles the dashboard SPA (src/dashboard/ui, Preact + preact-iso) with esbuild, in memory,
 * once per process, like the widget (src/widget/build.ts): no build step for `npm start`, no
 * files written. The script and stylesheet are content-hashed (cached forever) and compressed
 * here with gzip and brotli, so serving one is a Map lookup. The page itself is a tiny shell.
 */

const UI_DIR = path.join(import.meta.dirname, "ui");

/**
 * What the first screen may weigh, gzipped: the page, its stylesheet and its script (the app has
 * no lazy chunks, so that is all of it). Held by test/dashboard/bundle-size.test.ts and printed by
 * `BENCH_ONLY=dashboard-bundle npm run bench`. The widget's is 30 KB; the dashboard has many more pages.
 */
export const DASHBOARD_FIRST_SCREEN_BUDGET_BYTES = 60 * 1024;

export interface DashboardAsset {
  path: string;
  contentType: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
}

export interface DashboardBuild {
  /** By URL path (`/dashboard/assets/app.<hash>.js`, `.css`). */
  assets: ReadonlyMap<string, DashboardAsset>;
  js: DashboardAsset;
  css: DashboardAsset;
  /** The one HTML page every `/dashboard/*` URL answers with (the router picks the page). */
  html: DashboardAsset;
  buildMs: number;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

async function asset(urlPath: string, contentType: string, raw: Buffer): Promise<DashboardAsset> {
  const [gz, br] = await Promise.all([
    gzipAsync(raw, { level: 9 }),
    brotliAsync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT } }),
  ]);
  return { path: urlPath, contentType, raw, gzip: gz, br, etag: `"${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}"` };
}

const contentHash = (raw: Uint8Array) => createHash("sha256").update(raw).digest("base64url").replace(/[-_]/g, "").slice(0, 10);

export async function buildDashboard(): Promise<DashboardBuild> {
  const started = performance.now();
  const out = await build({
    entryPoints: { app: path.join(UI_DIR, "main.tsx"), "app-style": path.join(UI_DIR, "styles.css") },
    outdir: "/dashboard-build",
    bundle: true,
    write: false,
    minify: true,
    format: "iife",
    // Browsers a business uses to run its payments: evergreen desktop and phone browsers.
    target: ["es2020"],
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const jsOut = out.outputFiles.find((f) => f.path.endsWith("app.js"));
  const cssOut = out.outputFiles.find((f) => f.path.endsWith("app-style.css"));
  if (!jsOut || !cssOut) throw new Error("dashboard build: missing output");
  const [js, css] = await Promise.all([
    asset(`/dashboard/assets/app.${contentHash(jsOut.contents)}.js`, "text/javascript; charset=utf-8", Buffer.from(jsOut.contents)),
    asset(`/dashboard/assets/app.${contentHash(cssOut.contents)}.css`, "text/css; charset=utf-8", Buffer.from(cssOut.contents)),
  ]);
  const page =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>Okro dashboard</title>` +
    `<link rel="stylesheet" href="${css.path}"><script defer src="${js.path}"></script></head>` +
    `<body><div id="app"><p class="boot" role="status">Loading the dashboard…</p></div>` +
    `<noscript><p>The Okro dashboard needs JavaScript.</p></noscript></body></html>`;
  const html = await asset("/dashboard", "text/html; charset=utf-8", Buffer.from(page));
  return { assets: new Map([js, css].map((a) => [a.path, a])), js, css, html, buildMs: Math.round(performance.now() - started) };
}

let cached: Promise<DashboardBuild> | undefined;

/** The build for this process (built on first use; a failed build is retried next time). */
export function getDashboardBuild(): Promise<DashboardBuild> {
  cached ??= buildDashboard().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
