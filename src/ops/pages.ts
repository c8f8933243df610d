import type { AppContext } from "../context.js";

/** The API origin's front page: where things are, for a person who opened it in a browser. */
export function landingPage(ctx: AppContext): string {
  const db = ctx.dbKind === "pglite" ? "embedded PGlite (for development; use PostgreSQL for real money)" : "PostgreSQL";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Okro</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1c2b27}
h1{color:#3AB795}code{background:#eef6f3;padding:.1rem .3rem;border-radius:4px}li{margin:.3rem 0}</style></head>
<body><h1>Okro</h1>
<p>Open banking and direct debit, wire-compatible with Okra's v2 API. Storage: ${db}.</p>
<ul>
<li><a href="/docs">API reference</a> · <a href="/v2/openapi.json">OpenAPI 3.1 document</a></li>
<li>API base: <code>/v2</code> (sandbox-only: <code>/v2/sandbox</code>, <code>/sandbox/v2</code>)</li>
<li><a href="/dashboard">Dashboard</a> (JSON API: <code>/dashboard/api</code>)</li>
<li><a href="/health">/health</a> · <a href="/ready">/ready</a> · <a href="/metrics">/metrics</a></li>
</ul></body></html>`;
}

/** What `GET /v2` answers (the banner's "API" URL): where the reference and the contract are. */
export const API_INDEX = {
  name: "Okro API",
  version: "v2",
  docs: "/docs",
  openapi: "/v2/openapi.json",
  sandbox: ["/v2/sandbox", "/sandbox/v2"],
  authentication: "Authorization: Bearer <secret key>; the key decides the company and the environment",
} as const;

/** `GET /v2` in a browser: the same index as a small page. */
export function apiIndexPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Okro API v2</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1c2b27}
h1{color:#3AB795}code{background:#eef6f3;padding:.1rem .3rem;border-radius:4px}li{margin:.3rem 0}</style></head>
<body><h1>Okro API v2</h1>
<p>Every endpoint takes <code>Authorization: Bearer &lt;secret key&gt;</code>; the key decides the company and the
environment (sandbox-only paths: <code>/v2/sandbox</code>, <code>/sandbox/v2</code>).</p>
<ul>
<li><a href="${API_INDEX.docs}">API reference</a></li>
<li><a href="${API_INDEX.openapi}">OpenAPI 3.1 document</a></li>
</ul></body></html>`;
}
