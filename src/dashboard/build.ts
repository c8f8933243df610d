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
 * What the first screen may weigh, gzipped: the page, its stylesheet, its script and the chunks that
 * script imports statically (lazy chunks, loaded by import() on the pages that need them, are not). Held by test/dashboard/bundle-size.test.ts and printed by
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
  /** Code the entry imports statically (shared with lazy chunks): part of the first screen, preloaded. */
  shared: DashboardAsset[];
  /** Scripts loaded on demand by import() (the charts' uPlot): not part of the first screen. */
  lazy: DashboardAsset[];
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
    // ES modules with code splitting: a page that needs a big library (the charts' uPlot) loads it
    // with import(), as a hashed chunk of its own, so the first screen does not carry it.
    format: "esm",
    splitting: true,
    chunkNames: "chunk.[hash]",
    metafile: true,
    // Browsers a business uses to run its payments: evergreen desktop and phone browsers.
    target: ["es2020"],
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const jsOut = out.outputFiles.find((f) => f.path.endsWith("/app.js"));
  const cssOut = out.outputFiles.find((f) => f.path.endsWith("app-style.css"));
  if (!jsOut || !cssOut) throw new Error("dashboard build: missing output");
  // Chunks keep esbuild's content-hashed names; the entry imports them relative to itself. Those
  // the entry imports statically (shared code) are part of the first screen and preloaded; the
  // rest load by import() on the page that needs them.
  const outputs = out.metafile!.outputs;
  const entryKey = Object.keys(outputs).find((k) => k.endsWith("/app.js"))!;
  const firstScreen = new Set<string>();
  const walk = (key: string) => {
    for (const imp of outputs[key]?.imports ?? []) {
      if (imp.kind !== "import-statement" || firstScreen.has(imp.path)) continue;
      firstScreen.add(imp.path);
      walk(imp.path);
    }
  };
  walk(entryKey);
  const chunks = await Promise.all(
    out.outputFiles
      .filter((f) => /\/chunk\.[A-Z0-9]+\.js$/i.test(f.path))
      .map(async (f) => ({
        asset: await asset(`/dashboard/assets/${path.basename(f.path)}`, "text/javascript; charset=utf-8", Buffer.from(f.contents)),
        first: [...firstScreen].some((k) => f.path.endsWith(k.replace(/^.*\//, "/"))),
      })),
  );
  const shared = chunks.filter((c) => c.first).map((c) => c.asset);
  const [js, css] = await Promise.all([
    asset(`/dashboard/assets/app.${contentHash(jsOut.contents)}.js`, "text/javascript; charset=utf-8", Buffer.from(jsOut.contents)),
    asset(`/dashboard/assets/app.${contentHash(cssOut.contents)}.css`, "text/css; charset=utf-8", Buffer.from(cssOut.contents)),
  ]);
  const page =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><link rel="icon" href="data:,"><title>Okro dashboard</title>` +
    `<link rel="stylesheet" href="${css.path}"><script type="module" src="${js.path}"></script>${shared.map((c) => `<link rel="modulepreload" href="${c.path}">`).join("")}</head>` +
    `<body><div id="app"><p class="boot" role="status">Loading the dashboard…</p></div>` +
    `<noscript><p>The Okro dashboard needs JavaScript.</p></noscript></body></html>`;
  const html = await asset("/dashboard", "text/html; charset=utf-8", Buffer.from(page));
  return { assets: new Map([js, css, ...chunks.map((c) => c.asset)].map((a) => [a.path, a])), js, css, shared, lazy: chunks.filter((c) => !c.first).map((c) => c.asset), html, buildMs: Math.round(performance.now() - started) };
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
