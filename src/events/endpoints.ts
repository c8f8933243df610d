import { sql, type Selectable, type Transaction, type Updateable } from "kysely";
import type { AppContext } from "../context.js";
import type { DB, Env, WebhookEndpointsTable } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { paginate, type Pagination } from "../core/paging.js";
import { newId } from "../lib/ids.js";
import type { SecretBox } from "../lib/secret-box.js";
import { isLocalHostName, isPrivateAddress } from "./address-guard.js";
import { aad, previousValid } from "./endpoint-secrets.js";
import { emitEvent } from "./emit.js";
import { generateWebhookSecret } from "./signing.js";
import { tenantPage } from "../db/tenant-page.js";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/**
 * Webhook endpoints: where one company's events of one environment are delivered (the secret
 * key that manages them decides both). An endpoint is either made through the API
 * (`source: "api"`) or is an app's `callback_url` (`source: "app"`), which this module keeps in
 * step with the app through {@link syncAppEndpoint}; the latter are changed through the app, not
 * here, but their secret can be rotated here (that is how a developer learns it).
 *
 * Signing secrets and bearer tokens are stored only sealed (AES-256-GCM, the row and column as
 * additional data), shown in clear once — in the response that made them — and read back only
 * by the delivery job (worker.ts) through {@link endpointSecrets} (endpoint-secrets.ts). Views carry the secret's last four
 * characters, to tell secrets apart.
 */
type EndpointRow = Selectable<WebhookEndpointsTable>;

/** Per company and environment, API and app endpoints together: each event fans out to all of them. */
export const MAX_ENDPOINTS_PER_ENV = 16;
export const ENDPOINT_URL_MAX_LENGTH = 2048;
/** How long a rotated-out secret keeps signing deliveries by default: a day to redeploy receivers. */
export const DEFAULT_PREVIOUS_SECRET_TTL_SECONDS = 24 * 60 * 60;
/** The longest a rotated-out secret may stay valid. */
export const MAX_PREVIOUS_SECRET_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Characters of the current secret shown in views (`secret_hint`). */
const SECRET_HINT_LENGTH = 4;

export interface EndpointFields {
  url: string;
  description?: string | null | undefined;
  /** Dotted event types (`payment.completed`); empty or absent: every type. */
  event_types?: string[] | undefined;
  enabled?: boolean | undefined;
  /** Sent as `Authorization: Bearer <token>` with every delivery (Okra's protected-endpoint token). */
  bearer_token?: string | null | undefined;
}

/** An update: every field optional; `null` clears description and bearer token, `[]` means every type. */
export type EndpointPatch = Partial<EndpointFields>;

export interface EndpointView {
  _id: string;
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  /** Why Okro disabled it (e.g. the receiver answered 410 Gone); null when enabled, or disabled by you. */
  disabled_reason: string | null;
  source: "api" | "app";
  /** The app whose `callback_url` this is (source "app"), else null. */
  app_id: string | null;
  has_bearer_token: boolean;
  /** The last characters of the current signing secret, to tell secrets apart (never the secret). */
  secret_hint: string;
  /** Until when the secret before the last rotation still signs deliveries; null when it no longer does. */
  previous_secret_expires_at: string | null;
  env: Env;
  created_at: string;
  updated_at: string;
}

/** What create and rotate answer: the view plus the signing secret in clear, shown only there. */
export type EndpointWithSecret = EndpointView & { secret: string };

/** The additional data each sealed column is bound to: a value copied to another row or column fails to open. */

const endpointNotFound = () => new OkroError("NOT_FOUND", "webhook endpoint not found", { field: "id" });


function endpointView(row: EndpointRow, now: Date): EndpointView {
  return {
    _id: row.id,
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    source: row.app_id ? "app" : "api",
    app_id: row.app_id,
    has_bearer_token: row.bearer_token_enc !== null,
    secret_hint: row.secret_hint,
    previous_secret_expires_at: previousValid(row, now) ? row.previous_secret_expires_at!.toISOString() : null,
    env: row.env,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Why `value` cannot be a webhook URL, or null when it can. Everywhere: an absolute http(s) URL
 * of at most 2048 characters, without credentials, fragment, spaces or control characters. In
 * production also not a loopback name or a literal private address (SSRF); the delivery job checks the
 * addresses a name resolves to when it delivers. Without `env`, only the first set is checked
 * (request schemas, which do not know the environment).
 */
export function endpointUrlProblem(value: string, env?: Env): string | null {
  if (value.length > ENDPOINT_URL_MAX_LENGTH) return `must be at most ${ENDPOINT_URL_MAX_LENGTH} characters`;
  // WHATWG URL parsing would quietly drop tabs and newlines, and accept `http:host`: refuse both.
  if (/[\s\x00-\x1f\x7f]/.test(value)) return "must not contain spaces or control characters";
  if (!/^https?:\/\//i.test(value)) return "must be an absolute http:// or https:// URL";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (!url.hostname) return "must name a host";
  // `http://@host/` has neither a username nor a password, but is still credentials syntax.
  const authority = value.replace(/^https?:\/\//i, "").split(/[/?#\\]/)[0] ?? "";
  if (url.username || url.password || authority.includes("@")) {
    return "must not contain a username or password (use bearer_token to authenticate deliveries)";
  }
  if (value.includes("#")) return "must not contain a fragment (#…)";
  if (env === "production") {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (isLocalHostName(host)) return "must not point at localhost in production (sandbox endpoints may)";
    if (isPrivateAddress(host)) return "must not point at a private, loopback or reserved address in production (sandbox endpoints may)";
  }
  return null;
}

function checkUrl(value: string, env: Env, field: string): void {
  const problem = endpointUrlProblem(value, env);
  if (problem) throw new OkroError("INVALID_FIELD", `${field}: ${problem}`, { field });
}

/**
 * Holds the company-and-environment's endpoint limit until the transaction ends, so two creates
 * at once cannot both see 15 and make 17. Then refuses a 17th endpoint.
 */
async function checkRoomForOneMore(db: Executor, scope: Scope, field?: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webhook_endpoints:${scope.companyId}:${scope.env}`}, 0))`.execute(db);
  const { n } = await db
    .selectFrom("webhook_endpoints")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirstOrThrow();
  if (n >= MAX_ENDPOINTS_PER_ENV) {
    const where = field ? `${field}: ` : "";
    throw new OkroError(
      "UNPROCESSABLE",
      `${where}this environment already has ${MAX_ENDPOINTS_PER_ENV} webhook endpoints (apps' callback URLs included), the most it may have; delete one first`,
      field ? { field } : {},
    );
  }
}

/** Each type once, in the order given. */
const uniqueTypes = (types: readonly string[] | undefined) => [...new Set(types ?? [])];

/** The row, locked until the transaction ends (a concurrent update or rotation waits). */
async function lockedRow(db: Executor, scope: Scope, id: string): Promise<EndpointRow> {
  const row = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw endpointNotFound();
  return row;
}

/** App endpoints follow their app: the API changes or deletes only its own. */
function refuseAppEndpoint(row: EndpointRow, action: "update" | "delete"): void {
  if (!row.app_id) return;
  throw new OkroError(
    "UNPROCESSABLE",
    `id: this endpoint is the callback_url of app ${row.app_id}; to ${action} it, ${action === "delete" ? "clear" : "change"} the app's callback_url (apps/update) instead`,
    { field: "id", data: { app_id: row.app_id } },
  );
}

/** Creates an endpoint with a new signing secret. Run inside a transaction. */
export async function createEndpoint(
  db: Executor,
  secrets: SecretBox,
  scope: Scope,
  input: EndpointFields,
  now: Date,
): Promise<EndpointWithSecret> {
  checkUrl(input.url, scope.env, "url");
  await checkRoomForOneMore(db, scope);
  const id = newId(now);
  const secret = generateWebhookSecret();
  const row = await db
    .insertInto("webhook_endpoints")
    .values({
      id,
      company_id: scope.companyId,
      env: scope.env,
      url: input.url,
      description: input.description ?? null,
      event_types: uniqueTypes(input.event_types),
      enabled: input.enabled ?? true,
      disabled_reason: null,
      secret_enc: secrets.seal(secret, aad(id, "secret")),
      secret_hint: secret.slice(-SECRET_HINT_LENGTH),
      previous_secret_enc: null,
      previous_secret_expires_at: null,
      bearer_token_enc: input.bearer_token ? secrets.seal(input.bearer_token, aad(id, "bearer_token")) : null,
      app_id: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...endpointView(row, now), secret };
}

export async function listEndpoints(
  db: Executor,
  scope: Scope,
  page: number,
  limit: number,
  now: Date,
): Promise<{ endpoints: EndpointView[]; pagination: Pagination }> {
  const { rows, total } = await tenantPage(db, "webhook_endpoints", scope, page, limit);
  return { endpoints: rows.map((row) => endpointView(row, now)), pagination: paginate(total, page, limit) };
}

/** Another company's endpoint, or one of the other environment, is "not found", exactly like a missing one. */
export async function getEndpoint(db: Executor, scope: Scope, id: string, now: Date): Promise<EndpointView> {
  const row = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  if (!row) throw endpointNotFound();
  return endpointView(row, now);
}

/**
 * Changes an API endpoint (app endpoints: 422, change the app). Enabling an endpoint clears the
 * reason Okro disabled it for. Run inside a transaction.
 */
export async function updateEndpoint(
  db: Executor,
  secrets: SecretBox,
  scope: Scope,
  id: string,
  patch: EndpointPatch,
  now: Date,
): Promise<EndpointView> {
  if (Object.values(patch).every((v) => v === undefined)) {
    throw new OkroError("MISSING_FIELDS", "body: nothing to update; send at least one of url, description, event_types, enabled, bearer_token");
  }
  const row = await lockedRow(db, scope, id);
  refuseAppEndpoint(row, "update");
  const set: Updateable<WebhookEndpointsTable> = { updated_at: now };
  if (patch.url !== undefined) {
    checkUrl(patch.url, scope.env, "url");
    set.url = patch.url;
  }
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.event_types !== undefined) set.event_types = uniqueTypes(patch.event_types);
  if (patch.enabled !== undefined) set.enabled = patch.enabled;
  if (patch.enabled === true) set.disabled_reason = null;
  if (patch.bearer_token !== undefined) {
    set.bearer_token_enc = patch.bearer_token === null ? null : secrets.seal(patch.bearer_token, aad(id, "bearer_token"));
  }
  const updated = await db.updateTable("webhook_endpoints").set(set).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
  return endpointView(updated, now);
}

/** Deletes an API endpoint and its deliveries (app endpoints: 422, clear the app's callback_url). */
export async function deleteEndpoint(db: Executor, scope: Scope, id: string, now: Date): Promise<EndpointView> {
  const row = await lockedRow(db, scope, id);
  refuseAppEndpoint(row, "delete");
  await db.deleteFrom("webhook_endpoints").where("id", "=", id).execute();
  return endpointView(row, now);
}

/**
 * Replaces the signing secret (API and app endpoints alike). The secret it replaces keeps
 * signing deliveries — both signatures are sent — for `expirePreviousInSeconds` (0: it stops at
 * once), so receivers can switch without missing a delivery. Only one previous secret is kept: a
 * second rotation retires the first one's predecessor at once. Run inside a transaction.
 */
export async function rotateEndpointSecret(
  db: Executor,
  secrets: SecretBox,
  scope: Scope,
  id: string,
  expirePreviousInSeconds: number,
  now: Date,
): Promise<EndpointWithSecret> {
  if (!Number.isInteger(expirePreviousInSeconds) || expirePreviousInSeconds < 0 || expirePreviousInSeconds > MAX_PREVIOUS_SECRET_TTL_SECONDS) {
    throw new OkroError("INVALID_FIELD", `expire_previous_in_seconds: must be a whole number from 0 to ${MAX_PREVIOUS_SECRET_TTL_SECONDS}`, {
      field: "expire_previous_in_seconds",
    });
  }
  const row = await lockedRow(db, scope, id);
  const secret = generateWebhookSecret();
  const keepPrevious = expirePreviousInSeconds > 0;
  const previous = keepPrevious ? secrets.open(row.secret_enc, aad(id, "secret")) : null;
  const updated = await db
    .updateTable("webhook_endpoints")
    .set({
      secret_enc: secrets.seal(secret, aad(id, "secret")),
      secret_hint: secret.slice(-SECRET_HINT_LENGTH),
      previous_secret_enc: previous === null ? null : secrets.seal(previous, aad(id, "previous_secret")),
      previous_secret_expires_at: keepPrevious ? new Date(now.getTime() + expirePreviousInSeconds * 1000) : null,
      updated_at: now,
    })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...endpointView(updated, now), secret };
}

/**
 * Emits a `webhook.test` event delivered to this endpoint only (whatever its event types, and
 * whatever other endpoints subscribe to), in the caller's transaction. Disabled endpoints: 422.
 */
export async function sendTestEvent(
  trx: Transaction<DB>,
  scope: Scope,
  id: string,
  now: Date,
): Promise<{ event_id: string; endpoint_id: string }> {
  const row = await lockedRow(trx, scope, id);
  if (!row.enabled) {
    throw new OkroError("UNPROCESSABLE", "id: this endpoint is disabled; enable it (webhooks/update with enabled: true) to send it a test event", {
      field: "id",
    });
  }
  const event = await emitEvent(
    trx,
    {
      companyId: scope.companyId,
      env: scope.env,
      type: "webhook.test",
      object: { type: "webhook_endpoint", id },
      data: { endpoint_id: id, message: "This is a test event from Okro: your endpoint is reachable and can verify signatures." },
      onlyEndpointId: id,
    },
    now,
  );
  return { event_id: event.id, endpoint_id: id };
}


/**
 * Keeps an app's endpoint in step with its `callback_url` (call it in the transaction that
 * creates or updates the app, after the app row is written; deleting the app deletes the
 * endpoint by cascade): no URL deletes the endpoint; a URL creates it (with a new signing
 * secret, which the developer gets from webhooks/rotate-secret) or changes its URL. Setting the
 * callback_url — even to the same URL — re-enables an endpoint Okro had disabled, since app
 * endpoints are not managed through webhooks/update. The URL follows the same rules as any
 * endpoint's (a 400 naming `callback_url`), and a new endpoint counts against the limit.
 *
 * Concurrent updates of one app are ordered by the app row's lock (taken by its UPDATE), so two
 * of them cannot both create the endpoint.
 */
export async function syncAppEndpoint(
  db: Executor,
  secrets: SecretBox,
  app: { id: string; company_id: string; env: Env; callback_url: string | null },
  now: Date,
): Promise<EndpointView | null> {
  const existing = await db.selectFrom("webhook_endpoints").selectAll().where("app_id", "=", app.id).forUpdate().executeTakeFirst();
  if (app.callback_url === null) {
    if (existing) await db.deleteFrom("webhook_endpoints").where("id", "=", existing.id).execute();
    return null;
  }
  checkUrl(app.callback_url, app.env, "callback_url");
  if (existing) {
    const updated = await db
      .updateTable("webhook_endpoints")
      .set({ url: app.callback_url, enabled: true, disabled_reason: null, updated_at: now })
      .where("id", "=", existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return endpointView(updated, now);
  }
  const scope = { companyId: app.company_id, env: app.env };
  await checkRoomForOneMore(db, scope, "callback_url");
  const id = newId(now);
  const secret = generateWebhookSecret();
  const row = await db
    .insertInto("webhook_endpoints")
    .values({
      id,
      company_id: app.company_id,
      env: app.env,
      url: app.callback_url,
      description: `callback_url of app ${app.id}`,
      event_types: [],
      enabled: true,
      disabled_reason: null,
      secret_enc: secrets.seal(secret, aad(id, "secret")),
      secret_hint: secret.slice(-SECRET_HINT_LENGTH),
      previous_secret_enc: null,
      previous_secret_expires_at: null,
      bearer_token_enc: null,
      app_id: app.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return endpointView(row, now);
}

/**
 * Gives every app whose `callback_url` predates webhook endpoints (or whose sync was skipped) its
 * endpoint. Runs at start (`okro serve`, `okro api`); idempotent, so racing processes are fine.
 * An app whose URL the endpoint rules refuse (a private address in production) is skipped and
 * reported, not fatal: it gets an endpoint when its callback_url is next set.
 */
export async function backfillAppEndpoints(ctx: AppContext, log: (message: string, appId: string) => void): Promise<number> {
  const apps = await ctx.db
    .selectFrom("apps")
    .leftJoin("webhook_endpoints", "webhook_endpoints.app_id", "apps.id")
    .select(["apps.id", "apps.company_id", "apps.env", "apps.callback_url"])
    .where("apps.callback_url", "is not", null)
    .where("webhook_endpoints.id", "is", null)
    .execute();
  let made = 0;
  for (const app of apps) {
    try {
      await ctx.db.transaction().execute((trx) => syncAppEndpoint(trx, ctx.secrets, app, ctx.clock.now()));
      made++;
    } catch (error) {
      if ((error as { code?: string }).code === "23505") continue; // another process made it meanwhile
      if (!(error instanceof OkroError)) throw error;
      log(`app callback_url not made a webhook endpoint: ${error.message}`, app.id);
    }
  }
  return made;
}
export { endpointSecrets } from "./endpoint-secrets.js";
