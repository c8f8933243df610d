import { randomBytes } from "node:crypto";
import { sql, type Selectable, type Updateable } from "kysely";
import {
  isConnectorError,
  type ConnectorError,
  Secret,
  type BankAccount,
  type BankConnector,
  type BankSession,
  type LoginCredentials,
  type LoginMethod,
  type MfaChallenge,
} from "../banks/connector.js";
import { connectorFor, networkFor } from "../banks/networks.js";
import { SANDBOX_LOGINS, SANDBOX_PAYMENT_AUTH } from "../banks/sandbox-logins.js";
import { listBanks, type BankView } from "../banks/service.js";
import { directoryBank, popularFirst } from "../banks/directory.js";
import type { AppContext } from "../context.js";
import { linkConnection, type LinkResult } from "../data/link.js";
import type { App, Env, WidgetSessionsTable } from "../db/schema.js";
import { OkroError, type ErrorCode } from "../core/errors.js";
import { isId, newId } from "../lib/ids.js";
import { linkByShortUrl, linkProblem, type LinkRow } from "../payments/links.js";
import { randomToken, sha256Hex } from "../lib/secrets.js";
import { appView } from "../platform/apps.js";
import { clientToken } from "../platform/companies.js";
import { COLOR_PATTERN, logoProblem, normalizeProducts, wireEnv, type Product } from "../platform/domain.js";
import { findActiveKey } from "../platform/keys.js";
import { openCustomerToken } from "./customer-tokens.js";
import { MAX_HISTORY_MONTHS, type ConnectBody, type CreateSessionBody, type LoginBody, type MfaBody } from "./api-schemas.js";
import { bankHealth } from "./bank-health.js";
import { grantConnectConsents, paymentSettingsOf, releasePaymentForLogin, sessionPayment, type PaymentSettings } from "./payments.js";
import type {
  ConnectResponse,
  CreateSessionResponse,
  LoginResponse,
  ReturningAccount,
  SessionBranding,
  WidgetBank,
  WidgetBankAccount,
  WidgetChallenge,
  WidgetLoginMethod,
} from "./protocol.js";

/**
 * The widget's backend session: what one person does in one widget opening, from the okra-js
 * options to a linked connection (protocol.ts is the wire contract).
 *
 * A session is bound to one company, environment and app, and named by a bearer token of 32
 * random bytes of which only the SHA-256 is stored. It lives SESSION_IDLE_MS after its last use,
 * and never longer than SESSION_MAX_MS after it was opened.
 *
 * Steps (`widget_sessions.step`, TRANSITIONS below):
 *
 *   start ──login──▶ mfa ──answer──▶ accounts ──connect──▶ connecting ──linked──▶ done
 *                                                  └─pay──▶ connecting ──payment──▶ paying ──paid──▶ done
 *
 * - a login may begin again from start, mfa or accounts (the customer went back, or chose
 *   another bank); connecting and done are final for logins;
 * - a further challenge keeps the session at mfa; a failed, locked or lapsed login goes back to
 *   start (the bank login is forgotten);
 * - a failed link goes back from connecting to accounts, so the customer can try again.
 * - payment mode (payments.ts): creating the payment claims the session (connecting) while the
 *   account is linked and the payment written, then `paying` holds it while the customer
 *   authorises; a payment that failed lets the customer choose another account (paying →
 *   connecting again) or log in at another bank (paying → start/mfa/accounts); a payment that
 *   succeeded ends the session (done).
 *
 * Every move is a compare-and-set on the step
 * (and, after MFA, on the sealed bank session it started from), so two tabs or a double click
 * cannot both win. Banks are never called inside a database transaction: read, call, then write
 * with the compare-and-set.
 *
 * What the customer typed and the bank session are sealed with the secret box (AAD names the
 * session and the field) the moment they exist, handed to `linkConnection` (which seals them onto
 * the record), and wiped from the session once it is done. They are never logged or echoed.
 */

/** A session lapses this long after its last use… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and this long after it was opened, however busy. */
export const SESSION_MAX_MS = 2 * 60 * 60_000;
/** Logins one session may try (each reaches the bank), then 429. */
export const MAX_LOGINS_PER_SESSION = 10;
/** MFA answers one session may send, then 429 (the bank locks sooner: 5 wrong answers in the sandbox). */
export const MAX_MFA_ANSWERS_PER_SESSION = 10;
/** How long the widget waits for a bank call (ms) before answering `bank_timeout`. */
export const BANK_CALL_TIMEOUT_MS = 25_000;
/**
 * A session left `connecting` this long (ms since it was claimed) is taken to be abandoned — its
 * process died mid-link — and may be claimed again. Linking is idempotent per customer and bank
 * (a relink refreshes the same record), so a second attempt after a crash creates nothing twice.
 */
export const CONNECT_STALE_MS = 5 * 60_000;
/** Expired sessions are deleted this long after they lapse; their secrets are wiped sooner (below). */
const EXPIRED_RETENTION_MS = 24 * 60 * 60_000;
const PURGE_BATCH = 500;
const SESSION_TOKEN_PREFIX = "wst_";
/** What okra-js shows when the merchant did not name their business. */
const DEFAULT_CLIENT_NAME = "This Client";

export type Step = "start" | "mfa" | "accounts" | "connecting" | "paying" | "done";
/** The steps a step may move to (the diagram above, as data). */
export const TRANSITIONS: Readonly<Record<Step, readonly Step[]>> = {
  start: ["mfa", "accounts", "start"],
  mfa: ["mfa", "accounts", "start"],
  accounts: ["mfa", "accounts", "start", "connecting"],
  connecting: ["done", "accounts", "paying"],
  paying: ["mfa", "accounts", "start", "connecting", "paying", "done"],
  done: [],
};
/** Steps from which a (new) login may begin. */
export const LOGIN_STEPS = (Object.keys(TRANSITIONS) as Step[]).filter((s) => TRANSITIONS[s].includes("mfa"));

export type SessionRow = Selectable<WidgetSessionsTable>;

/** What the session remembers about the merchant's options, in `widget_sessions.options`. */
interface SessionSettings {
  products: Product[];
  history_months: number;
  branding: SessionBranding;
  /** The merchant's free `options` object (echoed on success, stored on the record). */
  merchant_options: Record<string, unknown>;
  customer_hint: CustomerHint | null;
  /** okra-js `filter.banks` (slugs), or null for no filter. */
  bank_slugs: string[] | null;
  account_kind: "corporate" | "individual" | null;
  /** Tries so far (bank calls), counted atomically. */
  tries: { login: number; mfa: number; payment?: number; authorise?: number };
  /** Returning user: the linked account they picked at login. */
  picked: PickedAccount | null;
  /** Payment mode (payments.ts); absent on sessions opened before it existed. */
  payment?: PaymentSettings | null;
}

interface CustomerHint {
  id?: string;
  bvn?: string;
  email?: string;
  phone?: string;
}

export interface PickedAccount {
  id: string;
  bank_id: string;
  nuban: string;
}

export interface StoredAccounts {
  accounts: WidgetBankAccount[];
  notice: string | null;
}

export interface WidgetSession {
  row: SessionRow;
  settings: SessionSettings;
}

// ---------------------------------------------------------------------------------------------
// Errors the widget shows (protocol.ts lists them)
// ---------------------------------------------------------------------------------------------

export const failure = (code: ErrorCode, message: string, data: Record<string, unknown> = {}, field?: string) =>
  new OkroError(code, message, { ...(field ? { field } : {}), data: { ...(field ? { field } : {}), ...data } });

const invalidKey = (field: string, message: string) => failure("UNAUTHORIZED", `${field}: ${message}`, { reason: "invalid_key" }, field);
export const sessionExpired = (message = "the widget session has expired or is unknown; start again") =>
  failure("UNAUTHORIZED", message, { reason: "session_expired" });
export const conflict = (message: string) => failure("CONFLICT", message);

/**
 * What a bank's refusal means to the person in front of the widget. Connector messages carry no
 * secrets (connector.ts), so the bank's own words may be shown after ours.
 */
export function widgetBankError(error: ConnectorError, bankName: string): OkroError {
  const tries = (n: number | undefined) => (n === undefined ? "" : ` (${n} ${n === 1 ? "try" : "tries"} left)`);
  switch (error.kind) {
    case "retryable":
    case "rate_limited": {
      const wait = error.retryAfterMs;
      return failure("SERVICE_UNAVAILABLE", `${bankName} is not answering at the moment; try again later or choose another bank`, {
        reason: "bank_down",
        retry_after_ms: wait ?? null,
      });
    }
    case "timeout":
      return failure("SERVICE_UNAVAILABLE", `${bankName} did not answer in time; try again`, { reason: "bank_timeout" });
    case "not_supported":
      return failure("UNPROCESSABLE", `${bankName} does not support this: ${error.message}`, { reason: "not_supported" });
    case "rejected":
      switch (error.reason) {
        case "invalid_credentials":
          return failure("UNPROCESSABLE", `The login details are not correct${tries(error.attemptsLeft)}`, {
            reason: "invalid_credentials",
            attempts_left: error.attemptsLeft ?? null,
          });
        case "locked":
          return failure("UNPROCESSABLE", `${bankName} has locked this login: ${error.message}`, { reason: "locked" });
        case "invalid_otp":
          return failure("UNPROCESSABLE", `That code or answer is not correct${tries(error.attemptsLeft)}`, {
            reason: "invalid_otp",
            attempts_left: error.attemptsLeft ?? null,
          });
        case "mfa_expired":
          return failure("UNPROCESSABLE", `The code has expired; log in to ${bankName} again`, { reason: "mfa_expired" });
        case "session_expired":
          return failure("UNPROCESSABLE", `The connection to ${bankName} has lapsed; log in again`, { reason: "bank_session_expired" });
        case "invalid_request":
          return failure("INVALID_FIELD", `${bankName} refused the request: ${error.message}`, {}, error.field);
        default:
          return failure("UNPROCESSABLE", `${bankName} refused the request: ${error.message}`);
      }
  }
}

export function bankFailure(error: unknown, bankName: string): unknown {
  return isConnectorError(error) ? widgetBankError(error, bankName) : error;
}

// ---------------------------------------------------------------------------------------------
// Creating a session
// ---------------------------------------------------------------------------------------------

/** okra-js sends `production` or `production-sandbox`; our own loader may say `sandbox`. */
function requestedEnv(env: string | undefined): Env | undefined {
  if (env === undefined || env === "") return undefined;
  if (env === "production") return "production";
  if (env === "production-sandbox" || env === "sandbox") return "sandbox";
  throw failure("INVALID_FIELD", "env: must be production or production-sandbox", {}, "env");
}

/** The company and environment's first app (the widget configuration a key without app_id gets). */
async function firstApp(ctx: AppContext, companyId: string, env: Env): Promise<App | undefined> {
  return ctx.db
    .selectFrom("apps")
    .selectAll()
    .where("company_id", "=", companyId)
    .where("env", "=", env)
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
}

/** Who a payment link pays, by the name its widget shows (the environment's first app); null when it has none. */
export async function linkMerchantName(ctx: AppContext, link: Pick<LinkRow, "company_id" | "env">): Promise<string | null> {
  return (await firstApp(ctx, link.company_id, link.env))?.name ?? null;
}

/** Whose widget this is: the app, by payment link, short link or public key (+ token, app_id). */
async function resolveApp(ctx: AppContext, body: CreateSessionBody, now: Date, link: LinkRow | null): Promise<App> {
  const short = body.short_url ?? body.ref;
  const env = requestedEnv(body.env);
  if (link) {
    // A payment link names its company and environment; its widget is the environment's first app.
    const app = await firstApp(ctx, link.company_id, link.env);
    if (!app) throw failure("NOT_FOUND", "payment_link: this payment link cannot be paid here", { reason: "link_unavailable", link_status: "unknown" }, "payment_link");
    if (body.key !== undefined) {
      const principal = await findActiveKey(ctx.db, body.key.trim(), now);
      if (!principal || principal.companyId !== link.company_id || principal.env !== link.env) {
        throw invalidKey("key", "does not belong to the company and environment of this payment link");
      }
    }
    return app;
  }
  if (short !== undefined) {
    // The link's app decides company and environment (okra-js sets env to production-sandbox
    // on short links the merchant opened without one, so the requested env is not checked).
    const app = await ctx.db.selectFrom("apps").selectAll().where("short_url", "=", short).executeTakeFirst();
    const field = body.short_url !== undefined ? "short_url" : "ref";
    if (!app) throw failure("NOT_FOUND", `${field}: no such widget link; check the link you were given`, { reason: "unknown_link" }, field);
    if (body.key !== undefined) {
      const principal = await findActiveKey(ctx.db, body.key.trim(), now);
      if (!principal || principal.companyId !== app.company_id || principal.env !== app.env) {
        throw invalidKey("key", "does not belong to the company and environment of this link");
      }
    }
    return app;
  }

  if (body.key === undefined || body.key.trim() === "") {
    throw invalidKey("key", "missing; pass your public key (pk_test_… in sandbox, pk_live_… in production) as `key`, or a short_url");
  }
  const principal = await findActiveKey(ctx.db, body.key.trim(), now);
  if (!principal) throw invalidKey("key", "unknown, revoked or expired public key; copy the public key from the dashboard");
  if (principal.kind !== "public") {
    throw invalidKey("key", "this is a secret key, which must never be put in a web page: rotate it now, and give the widget your public key (pk_…)");
  }
  const wanted = env ?? principal.env;
  if (principal.env !== wanted) {
    throw invalidKey(
      "key",
      `this is a ${principal.env} public key but the widget was opened with env ${wireEnv(wanted)}; use the ${wanted} public key, or set env to ${wireEnv(principal.env)}`,
    );
  }
  if (body.token !== undefined) {
    const expected = await clientToken(ctx.db, principal.companyId, principal.env);
    if (expected === undefined || body.token.trim() !== expected) {
      throw invalidKey("token", `does not belong to this key's company and ${principal.env} environment; copy the client token from the dashboard`);
    }
  }
  if (body.app_id !== undefined) {
    const app = isId(body.app_id)
      ? await ctx.db.selectFrom("apps").selectAll().where("company_id", "=", principal.companyId).where("env", "=", principal.env).where("id", "=", body.app_id).executeTakeFirst()
      : undefined;
    if (!app) throw invalidKey("app_id", `no such app in this key's ${principal.env} environment; copy the app id from the dashboard`);
    return app;
  }
  const first = await firstApp(ctx, principal.companyId, principal.env);
  if (!first) throw invalidKey("app_id", `this company has no app in its ${principal.env} environment; create one in the dashboard`);
  return first;
}

/** The payment link a session pays (`payment_link`), refused with `link_unavailable` when it cannot be paid now. */
async function payableLink(ctx: AppContext, body: CreateSessionBody, now: Date): Promise<LinkRow | null> {
  if (body.payment_link === undefined) return null;
  const code = body.payment_link.trim();
  const link = /^[A-Za-z0-9]{4,64}$/.test(code) ? await linkByShortUrl(ctx.db, code) : undefined;
  if (!link) {
    throw failure("NOT_FOUND", "payment_link: no such payment link; check the link you were given", { reason: "link_unavailable", link_status: "unknown" }, "payment_link");
  }
  const problem = linkProblem(link, now);
  if (problem) throw failure("NOT_FOUND", `payment_link: ${problem.message}`, { reason: "link_unavailable", link_status: problem.reason }, "payment_link");
  return link;
}

function normalizeColor(color: string): string {
  const hex = color.slice(1).toLowerCase();
  return hex.length === 3 ? `#${[...hex].map((c) => c + c).join("")}` : `#${hex}`;
}

/**
 * Branding from the options when usable, else the payment link's, else the app's: a bad logo or
 * colour must not break the widget.
 */
function brandingOf(body: CreateSessionBody, app: App, link: LinkRow | null): SessionBranding {
  const named = [body.name, body.clientName].map((n) => n?.trim()).find((n) => n && n !== DEFAULT_CLIENT_NAME);
  const usableLogo = (l: string | null | undefined) => (l !== undefined && l !== null && logoProblem(l) === null ? l : undefined);
  const usableColor = (c: string | null | undefined) => (c !== undefined && c !== null && COLOR_PATTERN.test(c) ? c : undefined);
  const logo = usableLogo(body.logo) ?? usableLogo(link?.logo) ?? app.logo;
  const color = usableColor(body.color) ?? usableColor(link?.color) ?? app.color;
  return { name: named ?? app.name, logo, color: normalizeColor(color) };
}

function plainCustomerHint(source: Record<string, unknown>): CustomerHint | null {
  const hint: CustomerHint = {};
  for (const key of ["id", "bvn", "email", "phone"] as const) {
    const value = source[key];
    if ((typeof value === "string" && value.trim() !== "") || typeof value === "number") hint[key] = String(value).trim().slice(0, 254);
  }
  return Object.keys(hint).length > 0 ? hint : null;
}

/**
 * Whom the options name, and whether the widget may recognise them before a bank login.
 *
 * `customer{id|bvn|email|phone}` comes from a web page that holds only a public key: anyone can
 * put anyone's BVN there. So a returning customer is recognised (name, banks, masked accounts,
 * Quick Pay) only from `customer.token`, a customer token the merchant's server made with its
 * secret key (customer-tokens.ts). A token that is missing, expired, tampered with or another
 * company's, environment's or app's recognises nobody — the same answer as for a stranger.
 * Sandbox keeps recognising the plain identifiers too: its customers are made-up people of the
 * sandbox bank network, and the seed's and Okra's examples pass `customer{bvn}` as they are
 * (docs/decisions/0013).
 *
 * `hint` also goes to linking after the bank login (who the merchant expects: link.ts takes it
 * only when the bank shows the same party), as before.
 */
function customerHintOf(ctx: AppContext, body: CreateSessionBody, app: App, now: Date): { hint: CustomerHint | null; recognise: CustomerHint | null } {
  // Okra's docs also accept the customer inside `options`.
  const nested = body.options?.customer;
  const source: Record<string, unknown> | undefined =
    body.customer ?? (nested && typeof nested === "object" && !Array.isArray(nested) ? (nested as Record<string, unknown>) : undefined);
  if (!source) return { hint: null, recognise: null };
  const token = source.token;
  const vouched =
    typeof token === "string" ? openCustomerToken(ctx.secrets, token, { companyId: app.company_id, env: app.env, appId: app.id, now }) : undefined;
  if (vouched) {
    const hint = plainCustomerHint(vouched as Record<string, unknown>);
    return { hint, recognise: hint };
  }
  const hint = plainCustomerHint(source);
  return { hint, recognise: app.env === "sandbox" ? hint : null };
}

/**
 * Wipes the sealed secrets of sessions that lapsed mid-flow (a customer who walked away after
 * logging in) and deletes sessions long expired, a bounded batch at a time. Run by the
 * `housekeeping.widget_sessions` job (src/jobs/housekeeping.ts), not by requests.
 */
export async function purgeExpiredWidgetSessions(ctx: AppContext, now: Date): Promise<void> {
  await ctx.db
    .updateTable("widget_sessions")
    .set({ credentials_sealed: null, bank_session_sealed: null })
    .where("expires_at", "<=", now)
    .where((eb) => eb.or([eb("credentials_sealed", "is not", null), eb("bank_session_sealed", "is not", null)]))
    .execute();
  const cutoff = new Date(now.getTime() - EXPIRED_RETENTION_MS);
  await ctx.db
    .deleteFrom("widget_sessions")
    .where("id", "in", (eb) => eb.selectFrom("widget_sessions").select("id").where("expires_at", "<", cutoff).limit(PURGE_BATCH))
    .execute();
}

export async function createSession(ctx: AppContext, body: CreateSessionBody): Promise<CreateSessionResponse> {
  const now = ctx.clock.now();
  const link = await payableLink(ctx, body, now);
  const app = await resolveApp(ctx, body, now, link);
  const env = app.env;
  const appProducts = appView(app).products;
  const paying = link !== null || body.payment === true;
  if (paying && link === null && !appProducts.includes("payments")) {
    throw failure("INVALID_FIELD", "payment: this app does not have the payments product; add it to the app in the dashboard, or open the widget without payment", {}, "payment");
  }
  // A payment session shares account details only (auth) with the payment: no statements.
  const products: Product[] = paying
    ? normalizeProducts(["payments"])
    : body.products === undefined
      ? appProducts
      : normalizeProducts(appProducts.filter((p) => body.products!.includes(p)));
  const linkSlugs = link ? (link.filter_banks as string[]) : [];
  const slugs = (linkSlugs.length > 0 ? linkSlugs : body.filter?.banks)?.map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  const branding = brandingOf(body, app, link);
  const customerHint = customerHintOf(ctx, body, app, now);
  const settings: SessionSettings = {
    products,
    history_months: body.limit ?? MAX_HISTORY_MONTHS,
    branding,
    merchant_options: body.options ?? {},
    customer_hint: customerHint.hint,
    bank_slugs: slugs && slugs.length > 0 ? [...new Set(slugs)] : null,
    account_kind: body.isCorporate === true || body.account_type === "corporate" ? "corporate" : body.account_type === "individual" ? "individual" : null,
    tries: { login: 0, mfa: 0, payment: 0, authorise: 0 },
    picked: null,
    payment: null,
  };

  const offered = await offeredBanks(ctx, app, settings, paying);
  const customer = customerHint.recognise ? await findCustomer(ctx, app.company_id, env, customerHint.recognise) : undefined;
  const returning = customer ? await returningCustomer(ctx, app, customer, offered) : null;
  if (paying) settings.payment = await paymentSettingsOf(ctx, { companyId: app.company_id, env }, body, { link, customer, returning, offered });

  const token = SESSION_TOKEN_PREFIX + randomToken(32);
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  await ctx.db
    .insertInto("widget_sessions")
    .values({
      id: newId(now),
      token_hash: sha256Hex(token),
      company_id: app.company_id,
      env,
      app_id: app.id,
      options: JSON.stringify(settings),
      step: "start" satisfies Step,
      customer_id: returning?.customer_id ?? settings.payment?.quick_pay?.customer_id ?? null,
      challenge: JSON.stringify(null),
      bank_accounts: JSON.stringify(null),
      result: JSON.stringify(null),
      expires_at: expiresAt,
      created_at: now,
      updated_at: now,
    })
    .execute();

  // The first screen's list rides along: one round trip less before the customer can choose
  // (≥ 400 ms on a slow 3G phone). `GET /api/banks` fetches it fresh later (health changes).
  const banks = await widgetBanks(ctx, app, offered);
  return {
    session_token: token,
    expires_at: expiresAt.toISOString(),
    env: wireEnv(env),
    app_id: app.id,
    branding: settings.branding,
    products,
    consent_until: null,
    // A payment link's own success_url wins over the app's redirect.
    redirect_url: link?.success_url ?? app.redirect_url,
    history_months: settings.history_months,
    sandbox_hint: env === "sandbox" ? SANDBOX_LOGINS.map(({ username, password, outcome }) => ({ username, password, outcome })) : null,
    sandbox_payment_auth: env === "sandbox" ? { ...SANDBOX_PAYMENT_AUTH } : null,
    returning,
    banks,
    payment: settings.payment ? sessionPayment(settings.payment, branding.name, banks) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Returning users
// ---------------------------------------------------------------------------------------------

const digits = (s: string) => s.replace(/\D/g, "");
/** A Nigerian phone number as it may be stored: 080…, 23480…, +23480…. */
function phoneVariants(phone: string): string[] {
  const d = digits(phone);
  if (d.length < 7) return [];
  const local = d.startsWith("234") ? `0${d.slice(3)}` : d;
  const international = local.startsWith("0") ? `234${local.slice(1)}` : d;
  return [...new Set([d, local, international])];
}

/** The company's customer the hint names (merchant id, Okro id, BVN, email, then phone), or undefined. */
export async function findCustomer(ctx: AppContext, companyId: string, env: Env, hint: CustomerHint): Promise<{ id: string; name: string } | undefined> {
  const base = () => ctx.db.selectFrom("customers").select(["id", "name"]).where("company_id", "=", companyId).where("env", "=", env);
  if (hint.id !== undefined) {
    const id = hint.id;
    const byExternal = await base().where("external_id", "=", id).orderBy("created_at").limit(1).executeTakeFirst();
    if (byExternal) return byExternal;
    if (isId(id)) {
      const byId = await base().where("id", "=", id).executeTakeFirst();
      if (byId) return byId;
    }
  }
  if (hint.bvn !== undefined && /^\d{11}$/.test(hint.bvn)) {
    const byBvn = await base().where("bvn", "=", hint.bvn).executeTakeFirst();
    if (byBvn) return byBvn;
  }
  if (hint.email !== undefined) {
    const email = hint.email.toLowerCase();
    const byEmail = await base()
      .where(sql<boolean>`EXISTS (SELECT 1 FROM jsonb_array_elements_text(emails) AS e(v) WHERE lower(e.v) = ${email})`)
      .orderBy("created_at")
      .limit(1)
      .executeTakeFirst();
    if (byEmail) return byEmail;
  }
  if (hint.phone !== undefined) {
    const variants = phoneVariants(hint.phone);
    if (variants.length > 0) {
      const byPhone = await base()
        .where(
          sql<boolean>`EXISTS (SELECT 1 FROM jsonb_array_elements_text(phones) AS p(v) WHERE regexp_replace(p.v, '\\D', '', 'g') IN (${sql.join(variants)}))`,
        )
        .orderBy("created_at")
        .limit(1)
        .executeTakeFirst();
      if (byPhone) return byPhone;
    }
  }
  return undefined;
}

export const maskNuban = (nuban: string) => `••••${nuban.slice(-4)}`;
const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? "";

/** The recognised customer and the linked accounts they can pick (at banks this widget offers). */
async function returningCustomer(
  ctx: AppContext,
  app: App,
  customer: { id: string; name: string },
  offered: readonly BankView[],
): Promise<CreateSessionResponse["returning"]> {
  const rows = await ctx.db
    .selectFrom("accounts")
    .select(["id", "bank_id", "nuban", "name", "type"])
    .where("company_id", "=", app.company_id)
    .where("env", "=", app.env)
    .where("customer_id", "=", customer.id)
    .where("connected", "=", true)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const banks = new Map(offered.map((b) => [b.id, b]));
  const accounts: ReturningAccount[] = rows.flatMap((a) => {
    const bank = banks.get(a.bank_id);
    return bank ? [{ id: a.id, bank_id: bank.id, bank_name: bank.name, bank_slug: bank.slug, nuban_masked: maskNuban(a.nuban), name: "", type: a.type }] : [];
  });
  // Only a customer the merchant's server vouched for (a customer token; in sandbox also the
  // plain hint) gets here, and the answer still goes to a browser: it says as little as greeting
  // needs — the first name, the banks and the last four digits, no full name, no account names.
  // Everything else follows a bank login.
  return accounts.length > 0 ? { customer_id: customer.id, name: firstName(customer.name), accounts } : null;
}

// ---------------------------------------------------------------------------------------------
// Resolving a session
// ---------------------------------------------------------------------------------------------

function settingsOf(row: SessionRow): SessionSettings {
  return row.options as unknown as SessionSettings;
}

/** The bearer token of `Authorization`, or undefined. */
export function sessionTokenOf(authorization: string | undefined): string | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const token = value.replace(/^bearer\s+/i, "").trim();
  return token.length > 0 && token.length <= 200 ? token : undefined;
}

/**
 * The live session a token names, its lifetime extended (SESSION_IDLE_MS from now, capped at
 * SESSION_MAX_MS after it opened) in the same statement; 401 `session_expired` otherwise.
 */
export async function resolveSession(ctx: AppContext, authorization: string | undefined): Promise<WidgetSession> {
  const token = sessionTokenOf(authorization);
  if (!token) throw sessionExpired("Authorization: missing widget session token; start again");
  const now = ctx.clock.now();
  const idleUntil = new Date(now.getTime() + SESSION_IDLE_MS);
  const row = await ctx.db
    .updateTable("widget_sessions")
    .set({ expires_at: sql<Date>`LEAST(${idleUntil}::timestamptz, created_at + ${`${SESSION_MAX_MS} milliseconds`}::interval)` })
    .where("token_hash", "=", sha256Hex(token))
    .where("expires_at", ">", now)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw sessionExpired();
  return { row, settings: settingsOf(row) };
}

// ---------------------------------------------------------------------------------------------
// Banks
// ---------------------------------------------------------------------------------------------

const LOGIN_METHOD_LABELS: Record<LoginMethod, Omit<WidgetLoginMethod, "method">> = {
  internet_banking: { label: "Internet banking", identifier_label: "Username", secret_label: "Password" },
  mobile_banking: { label: "Mobile app", identifier_label: "Phone number", secret_label: "Password or PIN" },
  account_number: { label: "Account number", identifier_label: "Account number", secret_label: "PIN" },
};

/** Every directory bank, each the way the API shows it (the directory's own cache). */
async function directory(ctx: AppContext): Promise<BankView[]> {
  return (await listBanks(ctx.db, 1, 10_000)).banks;
}

/**
 * The banks this widget offers: reachable in the environment, in the app's bank filter and the
 * options' `filter.banks`, supporting every product asked for, and corporate/individual banking
 * when the options asked for one.
 */
export async function offeredBanks(
  ctx: AppContext,
  app: Pick<App, "env" | "bank_filter">,
  settings: SessionSettings,
  paymentMode = Boolean(settings.payment),
): Promise<BankView[]> {
  const network = networkFor(ctx, app.env);
  const appFilter = app.bank_filter.length > 0 ? new Set(app.bank_filter) : null;
  const optionFilter = settings.bank_slugs ? new Set(settings.bank_slugs) : null;
  const required = requiredBankProducts(settings.products, { payment: paymentMode });
  return (await directory(ctx)).filter(
    (b) =>
      network.supports(b.id) &&
      (!appFilter || appFilter.has(b.slug)) &&
      (!optionFilter || optionFilter.has(b.slug)) &&
      required.every((p) => (b.products as string[]).includes(p)) &&
      (settings.account_kind !== "corporate" || b.corp) &&
      (settings.account_kind !== "individual" || b.individual),
  );
}

/**
 * What a bank must offer for this flow. Income is derived by Okro from transactions
 * (src/data/income.ts), so a bank with transactions serves it. `payments` is required only by
 * payment sessions (a debit needs a bank that takes them): an account-data app with every product
 * still lists every bank for linking, and offers payment consent where the bank supports it.
 */
export function requiredBankProducts(products: readonly Product[], options: { payment?: boolean } = {}): Product[] {
  const needed = new Set<Product>();
  for (const p of products) {
    if (p === "payments") continue;
    needed.add(p === "income" ? "transactions" : p);
  }
  if (options.payment) needed.add("payments");
  return [...needed];
}

export async function sessionApp(ctx: AppContext, session: WidgetSession): Promise<App> {
  const app = await ctx.db.selectFrom("apps").selectAll().where("id", "=", session.row.app_id).executeTakeFirst();
  // The app was deleted under the session (the row cascades away with it a moment later).
  if (!app) throw sessionExpired("this widget's app no longer exists; start again");
  return app;
}

export async function listSessionBanks(ctx: AppContext, session: WidgetSession): Promise<WidgetBank[]> {
  const app = await sessionApp(ctx, session);
  return widgetBanks(ctx, app, await offeredBanks(ctx, app, session.settings));
}

/**
 * The banks this widget offers (`offeredBanks`), with their health and the other names people
 * search them by, as the bank list shows them: popular banks first (the directory's
 * `popular_rank`), then by name.
 */
export async function widgetBanks(ctx: AppContext, app: App, banks: readonly BankView[]): Promise<WidgetBank[]> {
  const health = await bankHealth(ctx, app.env, app.company_id, banks);
  return popularFirst(banks).map((b) => {
    const h = health.get(b.id) ?? { health: "healthy" as const, message: null };
    return {
      id: b.id,
      name: b.name,
      slug: b.slug,
      aliases: [...(directoryBank(b.id)?.aliases ?? [])],
      color: b.colors.primary,
      login_methods: b.login_methods.map((method) => ({ method, ...LOGIN_METHOD_LABELS[method] })),
      health: h.health,
      health_message: h.message,
      payments: (b.products as string[]).includes("payments"),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Login and MFA
// ---------------------------------------------------------------------------------------------

const credentialsAad = (id: string) => `widget_sessions:${id}:credentials`;
const bankSessionAad = (id: string) => `widget_sessions:${id}:bank_session`;

export function sealCredentials(ctx: AppContext, id: string, c: LoginCredentials): string {
  return ctx.secrets.seal(JSON.stringify({ method: c.method, identifier: c.identifier, secret: c.secret.reveal() }), credentialsAad(id));
}
export function openCredentials(ctx: AppContext, id: string, sealed: string): LoginCredentials {
  const c = JSON.parse(ctx.secrets.open(sealed, credentialsAad(id))) as { method: LoginMethod; identifier: string; secret: string };
  return { method: c.method, identifier: c.identifier, secret: new Secret(c.secret) };
}
export function sealBankSession(ctx: AppContext, id: string, s: BankSession): string {
  return ctx.secrets.seal(JSON.stringify({ token: s.token.reveal(), expiresAt: s.expiresAt }), bankSessionAad(id));
}
export function openBankSession(ctx: AppContext, id: string, sealed: string): BankSession {
  const s = JSON.parse(ctx.secrets.open(sealed, bankSessionAad(id))) as { token: string; expiresAt: string };
  return { token: new Secret(s.token), expiresAt: s.expiresAt };
}

export function widgetChallenge(c: MfaChallenge): WidgetChallenge {
  return { kind: c.kind, prompt: c.prompt, question: c.question ?? null, attempts_left: c.attemptsLeft, expires_at: c.expiresAt };
}

/** Counts one more bank call of `kind` on the session, atomically; 429 past `max`. */
export async function countTry(ctx: AppContext, id: string, kind: "login" | "mfa" | "payment" | "authorise", max: number): Promise<void> {
  const path = `{tries,${kind}}`;
  const row = await ctx.db
    .updateTable("widget_sessions")
    .set({ options: sql<string>`jsonb_set(options, ${path}::text[], to_jsonb(COALESCE((options #>> ${path}::text[])::int, 0) + 1))` })
    .where("id", "=", id)
    .returning(sql<number>`(options #>> ${path}::text[])::int`.as("tries"))
    .executeTakeFirst();
  if (!row) throw sessionExpired();
  if (Number(row.tries) > max) {
    const what = { login: `${max} logins`, mfa: `${max} answers`, payment: `${max} payments`, authorise: `${max} authorisations` }[kind];
    throw failure("RATE_LIMIT_EXCEEDED", `Too many tries: this widget session allows ${what}; close the widget and start again later`);
  }
}

/** The state a login leaves, written only if the session is still where a login may act (compare-and-set). */
export async function moveSession(
  ctx: AppContext,
  id: string,
  from: { steps: readonly Step[]; bankSessionSealed?: string },
  to: Step,
  set: Omit<Updateable<WidgetSessionsTable>, "step" | "updated_at">,
  picked?: PickedAccount | null,
): Promise<boolean> {
  if (!from.steps.every((s) => TRANSITIONS[s].includes(to))) throw new Error(`widget session: no transition from ${from.steps.join("|")} to ${to}`);
  let query = ctx.db
    .updateTable("widget_sessions")
    .set({
      ...set,
      step: to,
      updated_at: ctx.clock.now(),
      ...(picked !== undefined ? { options: sql<string>`jsonb_set(options, '{picked}', ${JSON.stringify(picked)}::jsonb)` } : {}),
    })
    .where("id", "=", id)
    .where("step", "in", [...from.steps]);
  if (from.bankSessionSealed !== undefined) query = query.where("bank_session_sealed", "=", from.bankSessionSealed);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Forget the bank login (a failed or dead login): the customer starts again from the bank list. */
export async function backToStart(ctx: AppContext, id: string, from: { steps: readonly Step[]; bankSessionSealed?: string }): Promise<void> {
  await moveSession(ctx, id, from, "start", {
    bank_id: null,
    login_method: null,
    credentials_sealed: null,
    bank_session_sealed: null,
    challenge: JSON.stringify(null),
    bank_accounts: JSON.stringify(null),
  });
}

export const movedOn = () => conflict("this widget session has moved on (another tab or click); reload the widget");

export function bankConnector(ctx: AppContext, session: WidgetSession, bankId: string): BankConnector {
  const connector = connectorFor(ctx, session.row.env, session.row.company_id, bankId);
  if (!connector) throw failure("NOT_FOUND", "bank_id: this bank cannot be reached here; choose another bank", {}, "bank_id");
  return connector;
}

/** The returning customer's linked account picked at login; another customer's (or company's) is a 404. */
async function pickedAccount(ctx: AppContext, session: WidgetSession, accountId: string): Promise<PickedAccount> {
  const notFound = failure("NOT_FOUND", "account_id: no such linked account for this customer", {}, "account_id");
  if (!session.row.customer_id) throw notFound;
  const row = await ctx.db
    .selectFrom("accounts")
    .select(["id", "bank_id", "nuban"])
    .where("id", "=", accountId)
    .where("company_id", "=", session.row.company_id)
    .where("env", "=", session.row.env)
    .where("customer_id", "=", session.row.customer_id)
    .executeTakeFirst();
  if (!row) throw notFound;
  return row;
}

/** After a connected login: the bank's accounts, stored on the session and shown for choosing. */
async function showAccounts(
  ctx: AppContext,
  session: WidgetSession,
  bank: BankView,
  connector: BankConnector,
  bankSession: BankSession,
  from: { steps: readonly Step[]; bankSessionSealed?: string },
  set: Omit<Updateable<WidgetSessionsTable>, "step" | "updated_at">,
  picked: PickedAccount | null,
): Promise<LoginResponse> {
  const id = session.row.id;
  let listed: BankAccount[];
  try {
    listed = await connector.listAccounts({ session: bankSession }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    await backToStart(ctx, id, from);
    throw bankFailure(error, bank.name);
  }
  return enterAccounts(ctx, session, bank, listed, from, set, picked);
}

/** Stores the bank's accounts on the session and moves it to `accounts` (compare-and-set). */
export async function enterAccounts(
  ctx: AppContext,
  session: WidgetSession,
  bank: BankView,
  listed: readonly BankAccount[],
  from: { steps: readonly Step[]; bankSessionSealed?: string },
  set: Omit<Updateable<WidgetSessionsTable>, "step" | "updated_at">,
  picked: PickedAccount | null,
): Promise<LoginResponse> {
  const id = session.row.id;
  if (listed.length === 0) {
    await backToStart(ctx, id, from);
    throw failure("UNPROCESSABLE", `This ${bank.name} login has no accounts to share; try another login or bank`, { reason: "no_accounts" });
  }
  const accounts: WidgetBankAccount[] = listed.map((a) => ({
    id: a.id,
    nuban: a.nuban,
    name: a.name,
    type: a.type,
    currency: a.currency,
    preselected: picked !== null && picked.bank_id === bank.id && a.nuban === picked.nuban,
  }));
  const notice =
    picked && !accounts.some((a) => a.preselected)
      ? `The account you picked (${maskNuban(picked.nuban)}) is not in this ${bank.name} login; choose from these accounts, or go back and log in with the profile that holds it`
      : null;
  const stored: StoredAccounts = { accounts, notice };
  const moved = await moveSession(ctx, id, from, "accounts", { ...set, challenge: JSON.stringify(null), bank_accounts: JSON.stringify(stored) }, picked);
  if (!moved) throw movedOn();
  return { step: "accounts", accounts, notice };
}

export async function login(ctx: AppContext, session: WidgetSession, body: LoginBody): Promise<LoginResponse> {
  const { row } = session;
  if (!LOGIN_STEPS.includes(row.step as Step)) {
    throw conflict(
      row.step === "done"
        ? session.settings.payment
          ? "this widget session's payment is done; close the widget"
          : "this widget session already connected an account; close the widget"
        : "already connecting; wait for it to finish",
    );
  }
  // Paying at another bank (after a refused payment, or going back before authorising): the
  // payment waiting for this login's authorisation is cancelled; one already with the bank is not.
  if (row.step === "paying") await releasePaymentForLogin(ctx, session);
  const app = await sessionApp(ctx, session);
  const bank = (await offeredBanks(ctx, app, session.settings)).find((b) => b.id === body.bank_id);
  if (!bank) throw failure("NOT_FOUND", "bank_id: this bank is not offered by this widget; choose one from the bank list", {}, "bank_id");
  if (!(bank.login_methods as string[]).includes(body.method)) {
    const offered = bank.login_methods.map((m) => LOGIN_METHOD_LABELS[m].label.toLowerCase()).join(" or ");
    throw failure("UNPROCESSABLE", `method: ${bank.name} does not offer this login method; use ${offered}`, { reason: "not_supported", field: "method" }, "method");
  }
  let picked: PickedAccount | null = null;
  if (body.account_id !== undefined) {
    picked = await pickedAccount(ctx, session, body.account_id);
    if (picked.bank_id !== bank.id) throw failure("INVALID_FIELD", "account_id: this account is at another bank than bank_id", {}, "account_id");
  }
  const connector = bankConnector(ctx, session, bank.id);
  await countTry(ctx, row.id, "login", MAX_LOGINS_PER_SESSION);

  const credentials: LoginCredentials = { method: body.method, identifier: body.identifier, secret: new Secret(body.secret) };
  const from = { steps: LOGIN_STEPS };
  let result;
  try {
    result = await connector.startLogin({ credentials }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    await backToStart(ctx, row.id, from);
    throw bankFailure(error, bank.name);
  }
  const set = {
    bank_id: bank.id,
    login_method: body.method,
    credentials_sealed: sealCredentials(ctx, row.id, credentials),
    bank_session_sealed: sealBankSession(ctx, row.id, result.session),
    bank_accounts: JSON.stringify(null),
  };
  if (result.status === "mfa_required") {
    const challenge = widgetChallenge(result.challenge);
    if (!(await moveSession(ctx, row.id, from, "mfa", { ...set, challenge: JSON.stringify(challenge) }, picked))) throw movedOn();
    return { step: "mfa", challenge };
  }
  return showAccounts(ctx, session, bank, connector, result.session, from, set, picked);
}

export async function bankOf(ctx: AppContext, bankId: string): Promise<BankView> {
  const bank = (await directory(ctx)).find((b) => b.id === bankId);
  if (!bank) throw new Error(`widget session: bank ${bankId} is not in the directory`);
  return bank;
}

export async function answerMfa(ctx: AppContext, session: WidgetSession, body: MfaBody): Promise<LoginResponse> {
  const { row } = session;
  // The answer was taken and its reply lost (the widget's "Try again" after a dropped
  // connection resends it): the bank already let the customer in, so answer as it did then.
  const answered = row.step === "accounts" ? (row.bank_accounts as StoredAccounts | null) : null;
  if (answered) return { step: "accounts", accounts: answered.accounts, notice: answered.notice };
  if (row.step !== "mfa" || !row.bank_id || !row.bank_session_sealed) {
    throw conflict("no bank challenge is waiting for an answer; log in first");
  }
  const bank = await bankOf(ctx, row.bank_id);
  const connector = bankConnector(ctx, session, bank.id);
  await countTry(ctx, row.id, "mfa", MAX_MFA_ANSWERS_PER_SESSION);

  const from = { steps: ["mfa"] as const, bankSessionSealed: row.bank_session_sealed };
  const bankSession = openBankSession(ctx, row.id, row.bank_session_sealed);
  let result;
  try {
    result = await connector.answerMfa({ session: bankSession, answer: new Secret(body.answer) }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    if (isConnectorError(error) && error.kind === "rejected") {
      if (error.reason === "invalid_otp" && row.challenge && error.attemptsLeft !== undefined) {
        const challenge = { ...(row.challenge as WidgetChallenge), attempts_left: error.attemptsLeft };
        await moveSession(ctx, row.id, from, "mfa", { challenge: JSON.stringify(challenge) });
      } else if (error.reason === "locked" || error.reason === "mfa_expired" || error.reason === "session_expired") {
        await backToStart(ctx, row.id, from);
      }
    }
    throw bankFailure(error, bank.name);
  }
  if (result.status === "mfa_required") {
    const challenge = widgetChallenge(result.challenge);
    const sealed = sealBankSession(ctx, row.id, result.session);
    if (!(await moveSession(ctx, row.id, from, "mfa", { bank_session_sealed: sealed, challenge: JSON.stringify(challenge) }))) throw movedOn();
    return { step: "mfa", challenge };
  }
  const set = { bank_session_sealed: sealBankSession(ctx, row.id, result.session) };
  return showAccounts(ctx, session, bank, connector, result.session, from, set, session.settings.picked ?? null);
}

// ---------------------------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------------------------

/** Okra's `auth` block of onSuccess; `clientId` is "okr-<epoch ms>-<random>". */
export function okraAuth(bank: Pick<BankView, "id" | "name" | "slug">, customerId: string, recordId: string, now: Date) {
  return {
    bank_details: { _id: bank.id, name: bank.name, slug: bank.slug },
    bank_id: bank.id,
    clientId: `okr-${now.getTime()}-${randomBytes(6).toString("hex")}`,
    customer_id: customerId,
    record_id: recordId,
    status: true as const,
    type: "validate" as const,
    login_type: "bank" as const,
  };
}

function connectResponse(session: WidgetSession, bank: BankView, link: LinkResult, now: Date): ConnectResponse {
  return {
    record_id: link.recordId,
    customer_id: link.customerId,
    bank_id: bank.id,
    bank: { id: bank.id, name: bank.name, slug: bank.slug },
    accounts: link.accounts.map((a) => ({ id: a.id, nuban: a.nuban, name: a.name, type: a.type, currency: a.currency, connected: a.connected })),
    auth: okraAuth(bank, link.customerId, link.recordId, now),
    customer: { id: link.customerId, name: link.customerName },
    env: wireEnv(session.row.env),
    products: session.settings.products,
    relinked: link.relinked,
    options: session.settings.merchant_options,
    consents: [],
  };
}

/**
 * Claims the session for linking: `from` (accounts, or accounts|paying for a payment) → connecting,
 * or a stale connecting (see CONNECT_STALE_MS). With `paymentId`, only while the session still
 * holds that payment (null: none).
 */
export async function claimForConnect(
  ctx: AppContext,
  id: string,
  opts: { from?: readonly Step[]; paymentId?: string | null } = {},
): Promise<SessionRow | undefined> {
  const now = ctx.clock.now();
  const staleBefore = new Date(now.getTime() - CONNECT_STALE_MS);
  return ctx.db
    .updateTable("widget_sessions")
    .set({ step: "connecting" satisfies Step, updated_at: now })
    .where("id", "=", id)
    .$if(opts.paymentId !== undefined, (q) => q.where(sql<boolean>`payment_id IS NOT DISTINCT FROM ${opts.paymentId ?? null}`))
    .where((eb) => eb.or([eb("step", "in", opts.from ?? ["accounts"]), eb.and([eb("step", "=", "connecting"), eb("updated_at", "<", staleBefore)])]))
    .returningAll()
    .executeTakeFirst();
}

function settledAnswer(row: SessionRow): ConnectResponse {
  if (row.step === "done" && row.result) return publicConnectResult(row.result as StoredConnectResult);
  if (row.step === "connecting") throw failure("CONFLICT", "already connecting; wait for it to finish", { reason: "connecting" });
  throw conflict("nothing to connect yet: log in to a bank and choose accounts first");
}

/**
 * What a done account-data session keeps in `result`: the answer, and while payment consent is
 * still to be given (a wrong code at connect), the Okro ids of the accounts it is for.
 */
export type StoredConnectResult = ConnectResponse & { consent_accounts?: string[] };

export function publicConnectResult(stored: StoredConnectResult): ConnectResponse {
  const { consent_accounts: _pending, ...answer } = stored;
  return { ...answer, consents: answer.consents ?? [] };
}

export async function connect(ctx: AppContext, session: WidgetSession, body: ConnectBody): Promise<ConnectResponse> {
  const { row } = session;
  if (session.settings.payment) throw conflict("this widget session collects a payment: choose the account to pay from instead (POST /api/payments)");
  if (body.payment_authorization !== undefined) {
    if (!session.settings.products.includes("payments")) {
      throw failure("INVALID_FIELD", "payment_authorization: this widget was not opened with the payments product", {}, "payment_authorization");
    }
    const bank = row.bank_id ? await bankOf(ctx, row.bank_id) : undefined;
    if (bank && !(bank.products as string[]).includes("payments")) {
      throw failure("UNPROCESSABLE", `payment_authorization: ${bank.name} does not support direct debits; connect without it`, { reason: "not_supported" }, "payment_authorization");
    }
  }
  // Linked already, payment consent still to give (the code was wrong, or the bank was down):
  // this connect gives it (or, without payment_authorization, finishes without it).
  if (row.step === "done" && row.result && (row.result as StoredConnectResult).consent_accounts) {
    return grantConnectConsents(ctx, session, row, body.payment_authorization);
  }
  if (row.step !== "accounts" && row.step !== "connecting") return settledAnswer(row);
  const stored = row.bank_accounts as StoredAccounts | null;
  const offered = new Set(stored?.accounts.map((a) => a.id) ?? []);
  const wanted = [...new Set(body.account_ids)];
  const unknown = wanted.findIndex((a) => !offered.has(a));
  if (unknown >= 0) {
    const field = `account_ids.${body.account_ids.indexOf(wanted[unknown]!)}`;
    throw failure("NOT_FOUND", `${field}: not one of the accounts the bank listed in this session`, {}, field);
  }

  const claimed = await claimForConnect(ctx, row.id);
  if (!claimed) {
    const now = await ctx.db.selectFrom("widget_sessions").selectAll().where("id", "=", row.id).executeTakeFirst();
    if (!now) throw sessionExpired();
    return settledAnswer(now);
  }
  const release = () =>
    ctx.db
      .updateTable("widget_sessions")
      .set({ step: "accounts" satisfies Step, updated_at: ctx.clock.now() })
      .where("id", "=", row.id)
      .where("step", "=", "connecting")
      .execute();
  if (!claimed.bank_id || !claimed.login_method || !claimed.bank_session_sealed) {
    await release();
    throw conflict("the bank login of this session is gone; log in again");
  }

  const bank = await bankOf(ctx, claimed.bank_id);
  let link: LinkResult;
  try {
    link = await linkConnection(ctx, {
      companyId: claimed.company_id,
      env: claimed.env,
      appId: claimed.app_id,
      bankId: bank.id,
      loginMethod: claimed.login_method as LoginMethod,
      credentials: claimed.credentials_sealed ? openCredentials(ctx, claimed.id, claimed.credentials_sealed) : null,
      session: openBankSession(ctx, claimed.id, claimed.bank_session_sealed),
      selectedAccountIds: wanted,
      products: session.settings.products,
      options: session.settings.merchant_options,
      customerHint: session.settings.customer_hint ?? undefined,
      historyMonths: session.settings.history_months,
    });
  } catch (error) {
    // Put the step back so the customer can try again (or log in again if the bank session lapsed).
    await release();
    throw bankFailure(error, bank.name);
  }

  const answer = connectResponse(session, bank, link, ctx.clock.now());
  // Payment consent needs the bank session once more (the mandate is created with it), so it is
  // kept until the consent is given; everything else the record now holds sealed for itself.
  const wanted_ = new Set(wanted);
  const consentAccounts = body.payment_authorization ? link.accounts.filter((a) => wanted_.has(a.bank_account_id)).map((a) => a.id) : [];
  const toStore: StoredConnectResult = consentAccounts.length > 0 ? { ...answer, consent_accounts: consentAccounts } : answer;
  const done = await ctx.db
    .updateTable("widget_sessions")
    .set({
      step: "done" satisfies Step,
      record_id: link.recordId,
      customer_id: link.customerId,
      result: JSON.stringify(toStore),
      // Handed over: the record keeps its own sealed copy for refreshes.
      credentials_sealed: null,
      ...(consentAccounts.length > 0 ? {} : { bank_session_sealed: null }),
      updated_at: ctx.clock.now(),
    })
    .where("id", "=", row.id)
    .where("step", "=", "connecting")
    .returningAll()
    .executeTakeFirst();
  if (consentAccounts.length === 0 || !done) return answer;
  return grantConnectConsents(ctx, session, done, body.payment_authorization);
}
