import http from "node:http";
import https from "node:https";
import net from "node:net";
import { urlToHttpOptions } from "node:url";
import { guardedLookup, isPrivateAddress } from "./address-guard.js";
import { signWebhook } from "./signing.js";

/**
 * Sending one webhook delivery attempt: one signed POST, nothing else (no database). The delivery job
 * (`worker.ts`) decides what an outcome means for the delivery; this module only turns whatever
 * the network and the receiver do into an {@link AttemptResult}. It never throws for network
 * trouble or for a receiver that misbehaves (unreachable, slow, huge or garbage answers).
 */

/** Hard limit on one attempt, connect to last byte read (Standard Webhooks: 15 s). */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** How much of a response body is kept (and read at all) as the attempt's snippet. */
export const RESPONSE_SNIPPET_BYTES = 1024;
export const WEBHOOK_USER_AGENT = "Okro-Webhooks/1";

/** What to send. `body` is the event's stored payload, serialised once and signed as sent. */
export interface WebhookRequest {
  url: string;
  /** `webhook-id`: the delivery id, the same on every retry and resend of the delivery. */
  messageId: string;
  body: string;
  /** Signing secrets (`whsec_…`), current first; one signature each. */
  secrets: readonly string[];
  /** Sent as `Authorization: Bearer <token>` (Okra receivers' protected-endpoint token). */
  bearerToken?: string | undefined;
  /**
   * Refuse private, loopback and reserved addresses (production endpoints). Checked on the
   * address actually connected to, so DNS rebinding cannot get around it. Sandbox: false.
   */
  guardAddresses: boolean;
}

export interface SendOptions {
  /** Total time limit of the attempt (ms); default {@link WEBHOOK_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * `webhook-timestamp` source, unix seconds. Default: the machine's real time, NOT the injected
   * business clock: receivers check the timestamp against their own clock (replay protection,
   * typically ±5 min), so a sandbox clock advanced by hours must not leak into it.
   */
  timestampSeconds?: () => number;
  /** Connection pools to use (see {@link WebhookAgents}); default: a module-wide set. */
  agents?: WebhookAgents;
}

/**
 * Why an attempt failed when the receiver did not answer with a status:
 * - `timeout`: no complete answer within the time limit;
 * - `redirect`: a 3xx (redirects are never followed; the status code is kept too);
 * - `invalid_url`, `unsupported_protocol`: the endpoint's URL cannot be sent to;
 * - `EPRIVATEADDRESS`: a production endpoint resolved to a private/loopback address;
 * - `secret_unavailable`: the endpoint's secrets could not be opened (set by the delivery job);
 * - a Node error code: `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, `HPE_INVALID_CONSTANT` (not
 *   HTTP), `CERT_HAS_EXPIRED`…
 * A plain non-2xx answer has no error: its status code says it.
 */
export type AttemptError = string;

/** One attempt's outcome, as recorded in `webhook_attempts`. */
export interface AttemptResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  statusCode: number | null;
  /** Wall time of the attempt, ms (whole). */
  durationMs: number;
  error: AttemptError | null;
  /** The first {@link RESPONSE_SNIPPET_BYTES} bytes of the response body, as text (NULs dropped). */
  snippet: string | null;
}

/**
 * Keep-alive connection pools, one per scheme and per address policy: a socket opened for a
 * sandbox endpoint (no address check) is never reused for a production one. Reuse matters at
 * volume (a TLS handshake per delivery is most of its cost); sockets that go idle close after
 * 5 s (or sooner if the receiver's `Keep-Alive` header asks), like Node's global agent.
 */
export interface WebhookAgents {
  http: { guarded: http.Agent; open: http.Agent };
  https: { guarded: https.Agent; open: https.Agent };
}

/** A fresh set of pools (each webhook delivery job definition owns one for its process; idle sockets close after 5 s and do not keep the process alive). */
export function createWebhookAgents(): WebhookAgents {
  const options = { keepAlive: true, timeout: 5_000, scheduling: "lifo" as const };
  return {
    http: { guarded: new http.Agent(options), open: new http.Agent(options) },
    https: { guarded: new https.Agent(options), open: new https.Agent(options) },
  };
}

export function destroyWebhookAgents(agents: WebhookAgents): void {
  for (const agent of [agents.http.guarded, agents.http.open, agents.https.guarded, agents.https.open]) agent.destroy();
}

let defaultAgents: WebhookAgents | undefined;

/** A short, log- and database-safe name for an error: its code, never its message (which may quote URLs). */
function errorCode(error: unknown): string {
  const e = error as { code?: unknown; errors?: Array<{ code?: unknown }>; name?: unknown };
  const code = typeof e?.code === "string" ? e.code : typeof e?.errors?.[0]?.code === "string" ? e.errors[0].code : undefined;
  const name = code ?? (typeof e?.name === "string" ? e.name : "error");
  return name.replace(/[^\w.-]/g, "").slice(0, 100) || "error";
}

/** Response bytes as storable text: PostgreSQL text cannot hold NUL, and invalid UTF-8 becomes U+FFFD. */
function snippetText(chunks: Buffer[]): string | null {
  if (chunks.length === 0) return null;
  return Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString("utf8").replace(/\u0000/g, "");
}

function privateAddressError(address: string): Error {
  return Object.assign(new Error(`refusing a private address (${address})`), { code: "EPRIVATEADDRESS" });
}

/**
 * POSTs one signed delivery. Resolves (never rejects) when the receiver answered — after at most
 * {@link RESPONSE_SNIPPET_BYTES} of its body, the rest unread and the connection dropped — or
 * failed, or the time limit passed. 2xx is success; a 3xx is a failure (`redirect`), never
 * followed.
 */
export function sendWebhook(request: WebhookRequest, options: SendOptions = {}): Promise<AttemptResult> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const failed = (error: AttemptError): AttemptResult => ({ ok: false, statusCode: null, durationMs: elapsed(), error, snippet: null });

  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.resolve(failed("invalid_url"));
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Promise.resolve(failed("unsupported_protocol"));
  const target = urlToHttpOptions(url);
  const host = (target.hostname ?? "").replace(/^\[(.*)\]$/, "$1");
  if (!host) return Promise.resolve(failed("invalid_url"));
  // IP literals never go through `lookup`: check them here (names are checked by guardedLookup,
  // and every connected address again below).
  if (request.guardAddresses && net.isIP(host) && isPrivateAddress(host)) return Promise.resolve(failed("EPRIVATEADDRESS"));

  const timestamp = (options.timestampSeconds ?? (() => Math.floor(Date.now() / 1000)))();
  const body = Buffer.from(request.body, "utf8");
  const headers: http.OutgoingHttpHeaders = {
    "content-type": "application/json",
    "content-length": body.length,
    "user-agent": WEBHOOK_USER_AGENT,
    "webhook-id": request.messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(request.secrets, request.messageId, timestamp, request.body),
  };
  if (request.bearerToken) headers.authorization = `Bearer ${request.bearerToken}`;

  const agents = options.agents ?? (defaultAgents ??= createWebhookAgents());
  const pools = url.protocol === "https:" ? agents.https : agents.http;
  const agent = request.guardAddresses ? pools.guarded : pools.open;
  const transport = url.protocol === "https:" ? https : http;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let current: http.ClientRequest | undefined;
    const timer = setTimeout(() => finish(failed("timeout"), true), timeoutMs);

    function finish(result: AttemptResult, dropConnection: boolean): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Anything not read to its end leaves the connection mid-response: it cannot be reused.
      if (dropConnection) current?.destroy();
      resolve(result);
    }

    function send(isRetry: boolean): void {
      const req = transport.request({
        protocol: target.protocol,
        hostname: host,
        ...(target.port ? { port: target.port } : {}),
        path: target.path,
        method: "POST",
        headers,
        agent,
        ...(request.guardAddresses ? { lookup: guardedLookup } : {}),
        // Never the lenient parser: garbage must be an error, not a guess.
        insecureHTTPParser: false,
      });
      current = req;
      let answered = false;

      req.on("socket", (socket) => {
        if (!request.guardAddresses) return;
        // The address connected to, whatever resolved it (belt and braces for guardedLookup).
        const check = () => {
          const remote = socket.remoteAddress;
          if (remote && isPrivateAddress(remote)) req.destroy(privateAddressError(remote));
        };
        if (socket.connecting) socket.once("connect", check);
        else check();
      });

      req.on("error", (error) => {
        if (settled) return;
        if (answered) return; // the response handlers below settle it
        // A kept-alive socket the receiver closed while we picked it: the request never reached
        // it. Try once more on a fresh connection, within the same time limit.
        const code = errorCode(error);
        if (!isRetry && req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE")) {
          send(true);
          return;
        }
        finish(failed(code), true);
      });

      req.on("response", (res) => {
        answered = true;
        const statusCode = res.statusCode ?? null;
        const chunks: Buffer[] = [];
        let size = 0;
        const result = (): AttemptResult => {
          const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
          const redirect = statusCode !== null && statusCode >= 300 && statusCode < 400;
          return { ok, statusCode, durationMs: elapsed(), error: redirect ? "redirect" : null, snippet: snippetText(chunks) };
        };
        // The answer is decided by the status; the body only feeds the snippet. Past the time
        // limit, take what arrived (the timer's "timeout" result is replaced by this one).
        clearTimeout(timer);
        const bodyTimer = setTimeout(() => finish(result(), true), Math.max(0, timeoutMs - (performance.now() - startedAt)));
        const done = (drop: boolean) => {
          clearTimeout(bodyTimer);
          finish(result(), drop);
        };
        res.on("data", (chunk: Buffer) => {
          if (settled) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_SNIPPET_BYTES) done(true);
        });
        res.on("end", () => done(false));
        res.on("error", () => done(true));
        res.on("aborted", () => done(true));
        req.on("close", () => done(true));
      });

      req.end(body);
    }

    send(false);
  });
}
