import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { randomUUID } from "node:crypto";

/**
 * A merchant's web page on its own origin, the way a developer integrates Okra: it loads a
 * widget loader script, and a "Link your bank account" button calls
 * `<Loader>.buildWithOptions({...options, onSuccess, onClose, onError, onEvent, beforeClose})`.
 * Every callback records its argument in `window.__calls`, in order, so a test can assert on
 * exactly what the merchant's code received.
 *
 * Loaders:
 * - `okra-js`: the okra-js 2.1.1 loader from npm (`node_modules/okra-js/dist/bundle.js`), served
 *   by this merchant server as a merchant would self-host it; `Okra.baseUrl` is set to the widget
 *   origin before the call (the one change DESIGN.md §4.3 asks of an Okra integration).
 * - `okro-js`: Okro's own loader, `<widget origin>/okro.js`, loaded cross-origin from the widget
 *   origin; `Okro.baseUrl` is left alone (it defaults to the script's origin) unless given.
 *
 * The server binds 127.0.0.1 on a free port; the test that starts it closes it.
 */

/** okra-js 2.1.1 exactly as npm ships it (a dependency: the /demo page serves it too). */
const OKRA_JS_BUNDLE = path.resolve(import.meta.dirname, "../../node_modules/okra-js/dist/bundle.js");

export function okraJsBundlePath(): string {
  if (!fs.existsSync(OKRA_JS_BUNDLE)) throw new Error(`okra-js 2.1.1 loader not found at ${OKRA_JS_BUNDLE}; run npm ci`);
  return OKRA_JS_BUNDLE;
}

/** What one merchant page does when its button is pressed. */
export interface MerchantSetup {
  loader: "okra-js" | "okro-js";
  /** The widget origin, e.g. `http://127.0.0.1:41234`. */
  widgetOrigin: string;
  /** Set `<Loader>.baseUrl` to this before building; okra-js: the widget origin unless given. */
  baseUrl?: string | null;
  /** The options object the merchant passes (callbacks are added by the page). */
  options: Record<string, unknown>;
  /** `buildWithOptions` (default) or `buildWithShortUrl` (options must then carry `short_url`). */
  build?: "buildWithOptions" | "buildWithShortUrl";
  /** The page's title and heading (shown behind the widget in screenshots). */
  title?: string;
}

/** One callback invocation, as the merchant's code saw it (JSON round-tripped). */
export interface MerchantCall {
  type: "success" | "close" | "error" | "event" | "beforeClose";
  /** The callback's argument; `null` when called without one (onClose). */
  data: any;
  /** `Date.now()` in the page when called. */
  at: number;
}

export interface MerchantServer {
  origin: string;
  /** Registers a page and returns its URL. */
  page(setup: MerchantSetup): string;
  /** Every request this server answered (path), for "the widget made no requests here" checks. */
  requests: string[];
  close(): Promise<void>;
}

const escapeJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderPage(setup: MerchantSetup): string {
  const global = setup.loader === "okra-js" ? "Okra" : "Okro";
  const script = setup.loader === "okra-js" ? "/vendor/okra-js/bundle.js" : `${setup.widgetOrigin}/okro.js`;
  const baseUrl = setup.baseUrl === undefined ? (setup.loader === "okra-js" ? setup.widgetOrigin : null) : setup.baseUrl;
  const title = setup.title ?? "Adaeze Lending";
  const config = { global, baseUrl, build: setup.build ?? "buildWithOptions", options: setup.options };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — apply for a loan</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 2rem 1.25rem; color: #1b1f24; background: #f6f7f9; }
  main { max-width: 32rem; margin: 0 auto; }
  button { font: inherit; padding: .75rem 1.25rem; border-radius: .5rem; border: 0; background: #1b4dd8; color: #fff; }
</style>
</head>
<body>
<main>
  <h1>${escapeHtml(title)}</h1>
  <p>To see how much you can borrow, link the bank account your salary is paid into.</p>
  <button id="link" type="button">Link your bank account</button>
  <p id="status" role="status"></p>
</main>
<script src="${escapeHtml(script)}"></script>
<script>
(function () {
  var config = ${escapeJson(config)};
  window.__calls = [];
  window.__loaderError = null;
  function record(type) {
    return function (data) {
      var copy = null;
      try { copy = data === undefined ? null : JSON.parse(JSON.stringify(data)); } catch (e) { copy = String(data); }
      window.__calls.push({ type: type, data: copy, at: Date.now() });
      if (type !== "event") document.getElementById("status").textContent = "Widget said: " + type;
    };
  }
  document.getElementById("link").addEventListener("click", function () {
    var loader = window[config.global];
    if (!loader) { window.__loaderError = config.global + " is not defined (loader script did not load)"; return; }
    if (config.baseUrl) loader.baseUrl = config.baseUrl;
    var options = Object.assign({}, config.options, {
      onSuccess: record("success"),
      onClose: record("close"),
      onError: record("error"),
      onEvent: record("event"),
      beforeClose: record("beforeClose")
    });
    loader[config.build](options);
  });
})();
</script>
</body>
</html>`;
}

export async function startMerchantServer(): Promise<MerchantServer> {
  const bundle = fs.readFileSync(okraJsBundlePath());
  const pages = new Map<string, MerchantSetup>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(url.pathname);
    if (url.pathname === "/vendor/okra-js/bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(bundle);
      return;
    }
    const match = /^\/checkout\/([0-9a-f-]{36})$/.exec(url.pathname);
    const setup = match ? pages.get(match[1]!) : undefined;
    if (setup) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(renderPage(setup));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    page(setup) {
      const id = randomUUID();
      pages.set(id, setup);
      return `${origin}/checkout/${id}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
