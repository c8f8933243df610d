import { type Updateable } from "kysely";
import { unknownBankSlugs } from "../banks/service.js";
import type { App, AppsTable } from "../db/schema.js";
import { syncAppEndpoint } from "../events/endpoints.js";
import { OkroError } from "../core/errors.js";
import { paginate, type Pagination } from "../core/paging.js";
import { newId, shortCode } from "../lib/ids.js";
import type { SecretBox } from "../lib/secret-box.js";
import { DEFAULT_APP_COLOR, normalizeProducts, PRODUCTS, wireEnv, type Product } from "./domain.js";
import { tenantPage } from "../db/tenant-page.js";
import type { Executor } from "../core/db.js";
import type { Scope } from "../core/tenancy.js";

/**
 * Apps: widget configurations (products, branding, bank filter, callback and redirect URLs),
 * one company's, in one environment. Used by the dashboard and by the `/v2/apps/*` API, which
 * differ only in where the environment comes from (the session's chosen env, or the key's).
 *
 * Shapes (lengths, URL and colour formats, product names) are checked by the routes' zod
 * schemas; this service adds what needs the database (bank slugs) and the rules (auth always on).
 *
 * An app's callback_url is a webhook endpoint too (events module): creating or updating an app
 * with a callback_url keeps that endpoint in step, which needs the secret box (`ctx.secrets`) to
 * seal its signing secret; deleting the app deletes the endpoint (foreign-key cascade).
 */

export interface AppFields {
  name: string;
  products?: Product[] | undefined;
  logo?: string | null | undefined;
  color?: string | undefined;
  bank_filter?: string[] | undefined;
  callback_url?: string | null | undefined;
  redirect_url?: string | null | undefined;
}

/** An update: every field optional; `null` clears logo and URLs, `[]` clears the bank filter. */
export type AppPatch = Partial<Omit<AppFields, "name">> & { name?: string | undefined };

export interface AppView {
  _id: string;
  id: string;
  /** The app id the widget takes as `app_id`. */
  app_id: string;
  owner: string;
  name: string;
  env: "production" | "production-sandbox";
  products: Product[];
  logo: string | null;
  color: string;
  bank_filter: string[];
  callback_url: string | null;
  redirect_url: string | null;
  /** The app's short link code: `buildWithShortUrl({short_url})`, or `<widget origin>/<short_url>` full page. */
  short_url: string;
  created_at: string;
  last_updated: string;
}

export function appView(row: App): AppView {
  return {
    _id: row.id,
    id: row.id,
    app_id: row.id,
    owner: row.company_id,
    name: row.name,
    env: wireEnv(row.env),
    products: normalizeProducts(row.products.filter((p): p is Product => (PRODUCTS as readonly string[]).includes(p))),
    logo: row.logo,
    color: row.color,
    bank_filter: row.bank_filter,
    callback_url: row.callback_url,
    redirect_url: row.redirect_url,
    short_url: row.short_url,
    created_at: row.created_at.toISOString(),
    last_updated: row.updated_at.toISOString(),
  };
}

const appNotFound = () => new OkroError("NOT_FOUND", "app not found", { field: "id" });

/** The filter as stored: each slug once, in the order given; unknown slugs are a 400 naming the field. */
async function checkedBankFilter(db: Executor, slugs: string[]): Promise<string[]> {
  const unique = [...new Set(slugs)];
  if (unique.length === 0) return unique;
  // Through the banks module's service, not its table.
  const unknown = await unknownBankSlugs(db, unique);
  if (unknown.length > 0) {
    throw new OkroError("INVALID_FIELD", `bank_filter: unknown bank slug${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (see /v2/banks/list)`, {
      field: "bank_filter",
    });
  }
  return unique;
}

/**
 * Keeps the app's webhook endpoint in step with its callback_url (see `syncAppEndpoint`). Callers
 * that may set a callback_url pass `secrets`; forgetting it is a programming error, not bad input.
 */
async function syncCallbackEndpoint(db: Executor, secrets: SecretBox | undefined, row: App, now: Date): Promise<void> {
  if (!secrets) throw new Error("apps: setting a callback_url needs the secret box (pass ctx.secrets) to create its webhook endpoint");
  await syncAppEndpoint(db, secrets, row, now);
}

/** Creates an app; with a callback_url, also its webhook endpoint (`secrets` required then). Run inside a transaction. */
export async function createApp(db: Executor, scope: Scope, input: AppFields, now: Date, secrets?: SecretBox): Promise<AppView> {
  const bankFilter = await checkedBankFilter(db, input.bank_filter ?? []);
  const row = await db
    .insertInto("apps")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      name: input.name,
      products: normalizeProducts(input.products ?? PRODUCTS),
      logo: input.logo ?? null,
      color: input.color ?? DEFAULT_APP_COLOR,
      bank_filter: bankFilter,
      callback_url: input.callback_url ?? null,
      redirect_url: input.redirect_url ?? null,
      short_url: shortCode(),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.callback_url !== null) await syncCallbackEndpoint(db, secrets, row, now);
  return appView(row);
}

export async function listApps(
  db: Executor,
  scope: Scope,
  page: number,
  limit: number,
): Promise<{ apps: AppView[]; pagination: Pagination }> {
  const { rows, total } = await tenantPage(db, "apps", scope, page, limit);
  return { apps: rows.map(appView), pagination: paginate(total, page, limit) };
}

/** Another company's app, or one of the other environment, is "not found", exactly like a missing one. */
export async function getApp(db: Executor, scope: Scope, id: string): Promise<AppView> {
  const row = await db
    .selectFrom("apps")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  if (!row) throw appNotFound();
  return appView(row);
}

/** The app row by id, whatever its company (the caller holds a reference it was given: a widget session's app). */
export async function appById(db: Executor, id: string): Promise<App | undefined> {
  return db.selectFrom("apps").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The app row with this id in the scope, or undefined. */
export async function appInScope(db: Executor, scope: Scope, id: string): Promise<App | undefined> {
  return db.selectFrom("apps").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).where("id", "=", id).executeTakeFirst();
}

/** The scope's first app (the widget configuration a key without app_id gets), or undefined. */
export async function firstApp(db: Executor, scope: Scope): Promise<App | undefined> {
  return db.selectFrom("apps").selectAll().where("company_id", "=", scope.companyId).where("env", "=", scope.env).orderBy("created_at").orderBy("id").limit(1).executeTakeFirst();
}

/** The app a widget short link names, or undefined. */
export async function appByShortUrl(db: Executor, shortUrl: string): Promise<App | undefined> {
  return db.selectFrom("apps").selectAll().where("short_url", "=", shortUrl).executeTakeFirst();
}

/** Changes an app; a callback_url in the patch also updates its webhook endpoint (`secrets` required then). Run inside a transaction. */
export async function updateApp(db: Executor, scope: Scope, id: string, patch: AppPatch, now: Date, secrets?: SecretBox): Promise<AppView> {
  if (Object.values(patch).every((v) => v === undefined)) {
    throw new OkroError("MISSING_FIELDS", "body: nothing to update; send at least one of name, products, logo, color, bank_filter, callback_url, redirect_url");
  }
  const set: Updateable<AppsTable> = { updated_at: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.products !== undefined) set.products = normalizeProducts(patch.products);
  if (patch.logo !== undefined) set.logo = patch.logo;
  if (patch.color !== undefined) set.color = patch.color;
  if (patch.bank_filter !== undefined) set.bank_filter = await checkedBankFilter(db, patch.bank_filter);
  if (patch.callback_url !== undefined) set.callback_url = patch.callback_url;
  if (patch.redirect_url !== undefined) set.redirect_url = patch.redirect_url;
  const row = await db
    .updateTable("apps")
    .set(set)
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw appNotFound();
  if (patch.callback_url !== undefined) await syncCallbackEndpoint(db, secrets, row, now);
  return appView(row);
}

export async function deleteApp(db: Executor, scope: Scope, id: string): Promise<AppView> {
  const row = await db
    .deleteFrom("apps")
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw appNotFound();
  return appView(row);
}
