import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` holds
 * `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one per valid secret,
 * separated by spaces (two during a secret rotation). Secrets are `whsec_` + base64 of 24 random
 * bytes; the HMAC key is the decoded bytes. Receivers verify with any Standard Webhooks library.
 */

const PREFIX = "whsec_";

/** A new signing secret, as shown (once) to the developer. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(24).toString("base64")}`;
}

/** The `webhook-signature` header value for a message, signed with every given secret. */
export function signWebhook(secrets: readonly string[], messageId: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
      const mac = createHmac("sha256", key).update(`${messageId}.${timestampSeconds}.${body}`).digest("base64");
      return `v1,${mac}`;
    })
    .join(" ");
}
