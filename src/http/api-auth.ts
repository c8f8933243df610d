import type { FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import type { Env } from "../db/schema.js";
import { findActiveKey, type KeyPrincipal } from "../platform/keys.js";
import { OkroError } from "../core/errors.js";
import type { IdempotencyScope } from "../core/idempotency.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set on every `/v2` request by the secret-key hook: whose data, which environment. */
    tenant: KeyPrincipal;
  }
}

/** Idempotency scope of an API caller: one company in one environment. (Rate limits are per key.) */
export const tenantScope = (t: { companyId: string; env: Env }): IdempotencyScope => ({ who: "api", companyId: t.companyId, env: t.env });
/** The idempotency scope of a dashboard session's mutations: its company (both environments; the key says which). */
export const dashboardScope = (d: { companyId: string }): IdempotencyScope => ({ who: "dashboard", companyId: d.companyId });

function presentedKey(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (!header || !header.trim()) {
    throw new OkroError("UNAUTHORIZED", "Authorization: missing secret key; send `Authorization: Bearer <secret key>`", {
      field: "Authorization",
    });
  }
  // Okra integrations exist that send the bare key without "Bearer "; accept both.
  const value = header.trim();
  return /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, "").trim() : value;
}

/**
 * The `/v2` authentication hook: the Bearer secret key decides company and environment. On the
 * sandbox-only prefixes a production key is refused with 403 SANDBOX_ONLY.
 */
export function secretKeyHook(ctx: AppContext, options: { sandboxOnly: boolean }) {
  return async (req: FastifyRequest) => {
    const key = presentedKey(req);
    if (!/^(sk|pk)_(test|live)_[A-Za-z0-9_-]+$/.test(key)) {
      throw new OkroError("UNAUTHORIZED", "Authorization: malformed secret key; it starts with sk_test_ or sk_live_", {
        field: "Authorization",
      });
    }
    if (key.startsWith("pk_")) {
      throw new OkroError("UNAUTHORIZED", "Authorization: this is a public key (for the widget); the API takes the secret key", {
        field: "Authorization",
      });
    }
    const principal = await findActiveKey(ctx.db, key, ctx.clock.now());
    if (!principal || principal.kind !== "secret") {
      throw new OkroError("UNAUTHORIZED", "Authorization: unknown, revoked or expired secret key", { field: "Authorization" });
    }
    if (options.sandboxOnly && principal.env !== "sandbox") {
      throw new OkroError(
        "SANDBOX_ONLY",
        "This is the sandbox API (/v2/sandbox/…, /sandbox/v2/…): use a sandbox secret key (sk_test_…), or call /v2/… with a production key",
      );
    }
    req.tenant = principal;
  };
}
