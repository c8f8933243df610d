import type { Selectable } from "kysely";
import type { WebhookEndpointsTable } from "../db/schema.js";
import type { SecretBox } from "../lib/secret-box.js";

/**
 * Opening an endpoint's sealed secrets: what endpoints.ts seals and the delivery job signs with.
 * Its own module so the delivery job (worker.ts) does not import endpoints.ts, which emits events
 * (emit.ts enqueues deliveries: an import circle otherwise).
 */

type EndpointRow = Selectable<WebhookEndpointsTable>;

/** The additional data a sealed column is bound to: a sealed value cannot be moved to another row or column. */
export const aad = (id: string, column: "secret" | "previous_secret" | "bearer_token") => `webhook_endpoints:${id}:${column}`;

/** True while the rotated-out secret may still sign. */
export const previousValid = (row: Pick<EndpointRow, "previous_secret_enc" | "previous_secret_expires_at">, now: Date) =>
  row.previous_secret_enc !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at.getTime() > now.getTime();

/**
 * What the delivery job signs and authenticates with: the secrets to sign with (the current
 * one first, then the previous one while its rotation grace lasts) and the bearer token, if any.
 */
export function endpointSecrets(
  ctx: { secrets: SecretBox },
  row: Pick<EndpointRow, "id" | "secret_enc" | "previous_secret_enc" | "previous_secret_expires_at" | "bearer_token_enc">,
  now: Date,
): { secrets: string[]; bearerToken?: string } {
  const list = [ctx.secrets.open(row.secret_enc, aad(row.id, "secret"))];
  if (previousValid(row, now)) list.push(ctx.secrets.open(row.previous_secret_enc!, aad(row.id, "previous_secret")));
  if (row.bearer_token_enc === null) return { secrets: list };
  return { secrets: list, bearerToken: ctx.secrets.open(row.bearer_token_enc, aad(row.id, "bearer_token")) };
}
