import type { FastifyRequest } from "fastify";
import { OkroError } from "../core/errors.js";

/**
 * Cross-site request forgery defence for the cookie-authenticated dashboard API. Two checks on
 * every state-changing request:
 *
 *  1. `Content-Type: application/json`. A page on another site can make a browser send a form
 *     (urlencoded, multipart, text/plain) with the victim's cookie and no preflight; it cannot
 *     send JSON without a CORS preflight, which we never grant.
 *  2. When an `Origin` header is present (browsers send it on every cross-origin POST, and on
 *     same-origin ones too), it must be our own origin. This also stops login CSRF and anything a
 *     misconfigured CORS layer in front of us might let through.
 *
 * The session cookie's SameSite=Lax is a third layer, not relied on alone (it does not hold for
 * a top-level POST within two minutes of the cookie being set in some browsers, and not for
 * sibling subdomains).
 */
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The origins this request may come from: the one it was sent to, and the configured public URL. */
export function ownOrigins(req: { protocol?: string | undefined; host: string }, publicUrl: string | undefined): Set<string> {
  const origins = new Set<string>();
  const add = (url: string) => {
    try {
      origins.add(new URL(url).origin);
    } catch {
      // An unparseable Host or public URL adds nothing: the request then cannot match it.
    }
  };
  // Behind a TLS-terminating proxy the request's own scheme is http while the browser's Origin
  // is https: publicUrl is what says how people reach us.
  if (publicUrl) add(publicUrl);
  if (req.host) add(`${req.protocol ?? "http"}://${req.host}`);
  return origins;
}

/**
 * Why a state-changing request is refused, or null when it may proceed. Pure, for testing. A
 * body that is not JSON is an unsupported media type (415, as everywhere else in Okro); a foreign
 * origin is forbidden (403). Either way nothing is read or done.
 */
export function csrfProblem(input: {
  method: string;
  contentType: string | undefined;
  origin: string | undefined;
  allowedOrigins: Set<string>;
}): { code: "UNSUPPORTED_MEDIA_TYPE" | "FORBIDDEN"; message: string } | null {
  if (!STATE_CHANGING.has(input.method.toUpperCase())) return null;
  const mediaType = (input.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") {
    return {
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: "Content-Type: dashboard requests that change something must be application/json (this protects your session from cross-site forms)",
    };
  }
  if (input.origin !== undefined) {
    let origin: string | null = null;
    try {
      origin = new URL(input.origin).origin;
    } catch {
      origin = null;
    }
    if (!origin || origin === "null" || !input.allowedOrigins.has(origin)) {
      return { code: "FORBIDDEN", message: `Origin: ${input.origin} may not make dashboard requests; they must come from this server's own origin` };
    }
  }
  return null;
}

/** The dashboard's onRequest hook: runs before the body is parsed, so a refused form is never read. */
export function csrfGuard(publicUrl: string | undefined) {
  return async (req: FastifyRequest) => {
    const origin = req.headers.origin;
    const problem = csrfProblem({
      method: req.method,
      contentType: req.headers["content-type"],
      origin: Array.isArray(origin) ? origin[0] : origin,
      allowedOrigins: ownOrigins(req, publicUrl),
    });
    if (problem) throw new OkroError(problem.code, problem.message);
  };
}
