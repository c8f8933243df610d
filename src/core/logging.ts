import type { LoggerOptions } from "pino";

/**
 * What must never reach a log line: keys, session cookies, passwords, OTPs, PINs, bank
 * credentials. Fastify logs request method/url/ids by default and never bodies; these paths are
 * the belt to that pair of braces, covering anything a handler logs explicitly. Censored values
 * become "[redacted]".
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['idempotency-key']",
  "res.headers['set-cookie']",
  "headers.authorization",
  "headers.cookie",
  ...[
    "password",
    "new_password",
    "secret_key",
    "public_key",
    "key",
    "token",
    "otp",
    "pin",
    "answer",
    "credentials",
    "username",
    "bvn",
    "authorization",
    "secret",
    "identifier",
    "session_token",
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

/**
 * Requests are logged by path only: a query string can carry anything a caller put there
 * (Okra's v1 `callback?record=…` style), and we never want to find a key in a log line.
 */
const serializers = {
  req(req: { method: string; url: string; id: string; ip?: string }) {
    return { method: req.method, path: req.url.split("?")[0], id: req.id, remoteAddress: req.ip };
  },
};

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { service: "okro" },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  };
}
