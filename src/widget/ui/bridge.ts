import type { CreateSessionRequest, WidgetEventName } from "../protocol.js";

/**
 * How the app learns its options and reports back.
 *
 * Framed (the okra-js / okro.js loader, `?isIframe=true&withOptions=true`): post
 * `{ifameLoaded: true}` (sic, okra-js 2.1.1 reads that spelling) to the parent, receive the
 * options object, and report with `{event, data}`, `{success: true, …}`, `{error: true, …}`,
 * `{beforeClose: true}`, `{close: true}`. The messages go to `*`: the loader checks that they
 * come from our origin, and nothing in them is secret (no credentials, ever).
 *
 * Full page (a short link, a payment link's `/pay/<code>`, or `/?key=…` opened directly): the
 * options come from the URL and nothing is posted anywhere.
 */

export type Mode = { framed: true } | { framed: false; options: CreateSessionRequest };

/** A short link code in the path: `/<10 letters or digits>`. */
const SHORT_PATH = /^\/([A-Za-z0-9]{10})\/?$/;
/** A payment link's hosted pay page: `/pay/<10 letters or digits>`. */
const PAY_PATH = /^\/pay\/([A-Za-z0-9]{10})\/?$/;
/** The payer's page: `/mandates?key=<public key>`. */
const MANDATES_PATH = /^\/mandates\/?$/;
/** A mandate the API created, for its customer to authorise: `/mandate/<id>` (its `url`). */
const MANDATE_PATH = /^\/mandate\/([0-9a-f]{24})\/?$/;

export function detectMode(loc: Location = location): Mode {
  const params = new URLSearchParams(loc.search);
  const inFrame = window.parent !== window;
  if (inFrame && params.get("isIframe") === "true" && params.get("withOptions") === "true") return { framed: true };
  return { framed: false, options: optionsFromUrl(loc) };
}

const NUMERIC = new Set(["limit"]);
const LIST = new Set(["products", "banks"]);
const IGNORED = new Set(["isIframe", "withOptions"]);

/**
 * Options for full-page mode: `short_url` from the path; from the query, every parameter as a
 * string, `products` (and `filter[banks]`) split on commas, `limit` as a number, `true`/`false`
 * as booleans, and `customer[id]=…`-style keys as one level of nesting.
 */
export function optionsFromUrl(loc: Location): CreateSessionRequest {
  const options: Record<string, unknown> = {};
  const params = new URLSearchParams(loc.search);
  params.forEach((raw, key) => {
    if (IGNORED.has(key)) return;
    const nested = /^(\w+)\[(\w+)\]$/.exec(key);
    const leaf = nested ? nested[2]! : key;
    let value: unknown = raw;
    if (LIST.has(leaf)) value = raw.split(",").map((s) => s.trim()).filter(Boolean);
    else if (NUMERIC.has(leaf) && raw.trim() !== "" && !Number.isNaN(Number(raw))) value = Number(raw);
    else if (raw === "true" || raw === "false") value = raw === "true";
    if (nested) {
      const parent = (options[nested[1]!] ??= {}) as Record<string, unknown>;
      if (typeof parent === "object") parent[leaf] = value;
    } else options[key] = value;
  });
  const short = SHORT_PATH.exec(loc.pathname);
  if (short) options.short_url = short[1];
  const pay = PAY_PATH.exec(loc.pathname);
  if (pay) options.payment_link = pay[1];
  // The payer's page: the customer's mandates with the business whose key the link carries.
  if (MANDATES_PATH.test(loc.pathname)) options.manage_mandates = true;
  const mandate = MANDATE_PATH.exec(loc.pathname);
  if (mandate) options.mandate = mandate[1];
  return options as CreateSessionRequest;
}

let framed = false;

export function post(message: Record<string, unknown>): void {
  if (framed) window.parent.postMessage(message, "*");
}

export function postEvent(event: WidgetEventName, data: Record<string, unknown> = {}): void {
  post({ event, data });
}

/** How long to wait for the loader's options before saying the widget is not set up. */
const OPTIONS_TIMEOUT_MS = 15_000;

/** Framed mode: says hello to the loader and resolves with the options it sends back. */
export function handshake(): Promise<CreateSessionRequest | null> {
  framed = true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), OPTIONS_TIMEOUT_MS);
    function finish(options: CreateSessionRequest | null) {
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(options);
    }
    function onMessage(e: MessageEvent) {
      // Only the page that framed us configures us; other frames' chatter is ignored.
      if (e.source !== window.parent) return;
      const data: unknown = e.data;
      if (typeof data !== "object" || data === null || Array.isArray(data)) return;
      finish(data as CreateSessionRequest);
    }
    window.addEventListener("message", onMessage);
    post({ ifameLoaded: true });
  });
}
