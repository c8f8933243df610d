/**
 * `/okro.js`: Okro's own widget loader (bundled by src/widget/build.ts). Same API and
 * postMessage protocol as okra-js 2.1.1 (`buildWithOptions`, `buildWithShortUrl`, `onSuccess`,
 * `onError`, `onClose`, `beforeClose`, `onEvent`), so a page written for Okra works by loading
 * this script instead. Differences, all on purpose:
 * - `baseUrl` defaults to the origin this script was loaded from (overridable with
 *   `Okro.baseUrl = …` or `options.baseUrl`), instead of Okra's hard-coded host.
 * - Messages are accepted only from exactly that origin and from our own iframe (okra-js checks
 *   `origin.startsWith(baseUrl)`, which `https://widget.example.com.evil.net` would pass).
 * - Accessible: the iframe has a title, the spinner is announced, focus returns to the page
 *   when the widget closes, and the listener is removed on close.
 */

type Callback = (data: Record<string, unknown>) => void;

interface Callbacks {
  onSuccess?: Callback;
  onError?: Callback;
  onClose?: () => void;
  beforeClose?: Callback;
  /** okra-js docs spell it this way; accepted as an alias. */
  BeforeClose?: Callback;
  onEvent?: Callback;
}

export interface OkroOptions extends Callbacks {
  key?: string;
  token?: string;
  env?: string;
  baseUrl?: string;
  source?: string;
  reauth_account?: string;
  reauth_bank?: string;
  [key: string]: unknown;
}

export interface OkroShortUrlOptions extends Callbacks {
  short_url: string;
  baseUrl?: string;
  source?: string;
  [key: string]: unknown;
}

interface OkroLoader {
  version: string;
  baseUrl: string;
  buildWithOptions(options: OkroOptions): void;
  buildWithShortUrl(options: OkroShortUrlOptions): void;
  /** Closes an open widget without waiting for it (no callbacks). */
  close(): void;
  /** Gives `window.Okra` back to whatever was there before (okra-js has the same). */
  noConflict(): OkroLoader;
}

declare global {
  interface Window {
    Okro?: OkroLoader;
    Okra?: unknown;
  }
}

const CALLBACKS = ["onSuccess", "onError", "onClose", "beforeClose", "BeforeClose", "onEvent"] as const;

function scriptOrigin(): string {
  const script = document.currentScript as HTMLScriptElement | null;
  try {
    if (script?.src) return new URL(script.src, location.href).origin;
  } catch {
    // fall through
  }
  return location.origin;
}

interface Open {
  overlay: HTMLElement;
  iframe: HTMLIFrameElement;
  listener: (e: MessageEvent) => void;
  previousFocus: Element | null;
  previousOverflow: string;
}

let current: Open | null = null;

function teardown(): void {
  const open = current;
  if (!open) return;
  current = null;
  window.removeEventListener("message", open.listener);
  open.overlay.remove();
  open.iframe.remove();
  document.documentElement.style.overflow = open.previousOverflow;
  const focusable = open.previousFocus as HTMLElement | null;
  if (focusable && typeof focusable.focus === "function") focusable.focus();
}

function overlay(): HTMLElement {
  const el = document.createElement("div");
  el.setAttribute("role", "status");
  el.style.cssText =
    "position:fixed;top:0;left:0;width:100%;height:100%;z-index:2147483646;background:rgba(12,18,26,.55);display:flex;align-items:center;justify-content:center";
  const spinner = document.createElement("div");
  spinner.style.cssText =
    "width:40px;height:40px;border-radius:50%;border:4px solid rgba(255,255,255,.35);border-top-color:#fff;animation:okro-spin .9s linear infinite";
  const label = document.createElement("span");
  label.textContent = "Loading…";
  label.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap";
  const style = document.createElement("style");
  style.textContent = "@keyframes okro-spin{to{transform:rotate(360deg)}}";
  el.append(style, spinner, label);
  return el;
}

function open(path: string, payload: Record<string, unknown>, callbacks: Callbacks, base: string): void {
  teardown();
  let origin: string;
  try {
    origin = new URL(base).origin;
  } catch {
    throw new Error(`Okro: baseUrl must be an absolute URL, got ${JSON.stringify(base)}`);
  }
  const url = origin + path;
  const cover = overlay();
  const iframe = document.createElement("iframe");
  iframe.id = `okro-iframe-${Math.floor(Math.random() * 1e6)}`;
  iframe.name = iframe.id;
  iframe.title = "Okro widget";
  iframe.setAttribute("allowtransparency", "true");
  iframe.setAttribute("allow", "clipboard-write");
  iframe.style.cssText =
    "position:fixed;top:0;left:0;width:100%;height:100%;z-index:2147483647;border:0;margin:0;padding:0;background:transparent;color-scheme:normal";
  iframe.src = url;

  // Functions (the callbacks) cannot cross postMessage; okra-js strips them with a JSON round trip.
  const options = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  let sent = false;
  const listener = (e: MessageEvent) => {
    if (e.origin !== origin || e.source !== iframe.contentWindow) return;
    const data = e.data as Record<string, unknown> | null;
    if (!data || typeof data !== "object") return;
    if (data.close) {
      teardown();
      callbacks.onClose?.();
    } else if (data.success) callbacks.onSuccess?.(data);
    else if (data.error) callbacks.onError?.(data);
    else if (data.beforeClose) (callbacks.beforeClose ?? callbacks.BeforeClose)?.(data);
    else if (data.ifameLoaded) {
      if (sent) return;
      sent = true;
      iframe.contentWindow?.postMessage(options, origin);
      cover.remove();
      iframe.focus();
    } else if (data.event) callbacks.onEvent?.(data);
  };
  current = { overlay: cover, iframe, listener, previousFocus: document.activeElement, previousOverflow: document.documentElement.style.overflow };
  window.addEventListener("message", listener);
  document.documentElement.style.overflow = "hidden";
  document.body.append(cover, iframe);
}

function split<T extends Callbacks & { baseUrl?: string }>(options: T): { callbacks: Callbacks; rest: Record<string, unknown>; base: string | undefined } {
  const callbacks: Callbacks = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if ((CALLBACKS as readonly string[]).includes(k)) (callbacks as Record<string, unknown>)[k] = v;
    else if (k !== "baseUrl") rest[k] = v;
  }
  return { callbacks, rest, base: typeof options.baseUrl === "string" ? options.baseUrl : undefined };
}

const previousOkra = window.Okra;

const Okro: OkroLoader = {
  version: "1.0.0",
  baseUrl: scriptOrigin(),
  buildWithOptions(options) {
    const { callbacks, rest, base } = split(options);
    // Exactly what okra-js 2.1.1 sends.
    rest.env = rest.env === "production" ? "production" : "production-sandbox";
    rest.source = rest.source || "integration";
    rest.hideCardOnExit = true;
    rest.iframeData = true;
    rest.withOptions = true;
    const quick = rest.reauth_account && rest.reauth_bank ? "&isQuickRUX=true" : "";
    open(`/?isIframe=true&withOptions=true${quick}`, rest, callbacks, base ?? this.baseUrl);
  },
  buildWithShortUrl(options) {
    const { callbacks, rest, base } = split(options);
    rest.hideCardOnExit = true;
    rest.iframeData = true;
    rest.ref = rest.short_url;
    rest.source = rest.source || "integration";
    rest.withShortURL = true;
    delete rest.short_url;
    open("/?&withOptions=true&isIframe=true", rest, callbacks, base ?? this.baseUrl);
  },
  close() {
    teardown();
  },
  noConflict() {
    if (window.Okra === Okro) window.Okra = previousOkra;
    return Okro;
  },
};

window.Okro = Okro;
if (window.Okra === undefined) window.Okra = Okro;
