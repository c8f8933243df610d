import type { BankView } from "../banks/service.js";
import { SANDBOX_LOGINS, SANDBOX_PAYMENT_AUTH } from "../banks/sandbox-logins.js";
import type { AppContext } from "../context.js";
import { connectedAccountsOf, recogniseCustomer } from "../data/customers.js";
import type { App, Env } from "../db/schema.js";
import { isId } from "../lib/ids.js";
import { mandateForAuthorisePage, type MandateRow } from "../mandates/store.js";
import { linkByShortUrl, linkProblem, type LinkRow } from "../payments/links.js";
import { appByShortUrl, appInScope, appView, firstApp } from "../platform/apps.js";
import { clientToken } from "../platform/companies.js";
import { COLOR_PATTERN, logoProblem, normalizeProducts, wireEnv, type Product } from "../platform/domain.js";
import { findActiveKey } from "../platform/keys.js";
import { MAX_HISTORY_MONTHS, type CreateSessionBody } from "./api-schemas.js";
import { bankOf, maskNuban, offeredBanks, widgetBanks } from "./banks.js";
import { openCustomerToken } from "./customer-tokens.js";
import { failure, invalidKey } from "./errors.js";
import type { WidgetModes } from "./mode.js";
import type { CreateSessionResponse, ReturningAccount, SessionBranding } from "./protocol.js";
import { insertSession, type CustomerHint, type SessionSettings } from "./session.js";

/**
 * Opening a widget session (`POST /api/sessions`): whose widget it is (payment link, short link
 * or public key), its branding, whom the options name (and whether they may be recognised), the
 * banks it offers, and — when the opening asks for one — its mode (mode.ts; the payment mode).
 */

/** What okra-js shows when the merchant did not name their business. */
const DEFAULT_CLIENT_NAME = "This Client";

/** okra-js sends `production` or `production-sandbox`; our own loader may say `sandbox`. */
function requestedEnv(env: string | undefined): Env | undefined {
  if (env === undefined || env === "") return undefined;
  if (env === "production") return "production";
  if (env === "production-sandbox" || env === "sandbox") return "sandbox";
  throw failure("INVALID_FIELD", "env: must be production or production-sandbox", {}, "env");
}

/** Who a payment link pays, by the name its widget shows (the environment's first app); null when it has none. */
export async function linkMerchantName(ctx: AppContext, link: Pick<LinkRow, "company_id" | "env">): Promise<string | null> {
  return (await firstApp(ctx.db, { companyId: link.company_id, env: link.env }))?.name ?? null;
}

/** Whose widget this is: the app, by payment link, mandate, short link or public key (+ token, app_id). */
async function resolveApp(ctx: AppContext, body: CreateSessionBody, now: Date, link: LinkRow | null, mandate: MandateRow | null): Promise<App> {
  const short = body.short_url ?? body.ref;
  const env = requestedEnv(body.env);
  if (mandate) {
    // A mandate names its company and environment, as a payment link does; its widget is the environment's first app.
    const app = await firstApp(ctx.db, { companyId: mandate.company_id, env: mandate.env });
    if (!app) throw failure("NOT_FOUND", "mandate: this authorisation cannot be given here", { reason: "mandate_unavailable", status: "unknown" }, "mandate");
    return app;
  }
  if (link) {
    // A payment link names its company and environment; its widget is the environment's first app.
    const app = await firstApp(ctx.db, { companyId: link.company_id, env: link.env });
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
    const app = await appByShortUrl(ctx.db, short);
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
  const scope = { companyId: principal.companyId, env: principal.env };
  if (body.app_id !== undefined) {
    const app = isId(body.app_id) ? await appInScope(ctx.db, scope, body.app_id) : undefined;
    if (!app) throw invalidKey("app_id", `no such app in this key's ${principal.env} environment; copy the app id from the dashboard`);
    return app;
  }
  const first = await firstApp(ctx.db, scope);
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

/** What the `/mandate/<id>` page says instead of a form, for a mandate no longer awaiting the customer. */
const MANDATE_OVER: Record<string, string> = {
  awaiting_bank: "You have already authorised these debits; your bank is activating them. There is nothing more to do here.",
  active: "You have already authorised these debits, and they are active. There is nothing more to do here.",
  paused: "You have already authorised these debits (the business has paused them). There is nothing more to do here.",
  cancelled: "This authorisation was cancelled, so it can no longer be given. Ask the business for a new link if you still want to authorise debits.",
  expired: "This authorisation has expired, so it can no longer be given. Ask the business for a new link if you still want to authorise debits.",
  revoked: "Your bank ended this authorisation, so it can no longer be given. Ask the business for a new link if you still want to authorise debits.",
  rejected: "Your bank refused this authorisation, so it can no longer be given. Ask the business for a new link if you still want to authorise debits.",
};

/**
 * The mandate a session authorises (`mandate`, from the `/mandate/<id>` page the API's `url`
 * names): one awaiting the customer. Unknown: 404; any other state: 409 `mandate_unavailable`
 * with its status, which the widget shows as a final screen (already authorised, or ended).
 */
async function waitingMandate(ctx: AppContext, body: CreateSessionBody): Promise<MandateRow | null> {
  if (body.mandate === undefined) return null;
  const id = body.mandate.trim();
  const m = isId(id) ? await mandateForAuthorisePage(ctx.db, id) : undefined;
  if (!m) throw failure("NOT_FOUND", "mandate: no such authorisation; check the link you were given", { reason: "mandate_unavailable", status: "unknown" }, "mandate");
  if (m.state !== "awaiting_customer") {
    throw failure("CONFLICT", `mandate: ${MANDATE_OVER[m.state] ?? `this authorisation is ${m.state}`}`, { reason: "mandate_unavailable", status: m.state }, "mandate");
  }
  return m;
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
 * (docs/decisions/0013). Who a hint names is account data's one rule (data/customers.ts).
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

export async function createSession(ctx: AppContext, body: CreateSessionBody, modes: WidgetModes): Promise<CreateSessionResponse> {
  const now = ctx.clock.now();
  const link = await payableLink(ctx, body, now);
  const mandate = await waitingMandate(ctx, body);
  const app = await resolveApp(ctx, body, now, link, mandate);
  const env = app.env;
  const scope = { companyId: app.company_id, env };
  const appProducts = appView(app).products;
  const mode = modes.find((m) => m.opens(body, link, appProducts, mandate));
  const products: Product[] = mode
    ? normalizeProducts([...mode.products])
    : body.products === undefined
      ? appProducts
      : normalizeProducts(appProducts.filter((p) => body.products!.includes(p)));
  // A mandate is on one account: only its bank is offered.
  const linkSlugs = mandate ? [(await bankOf(ctx, mandate.bank_id)).slug] : link ? (link.filter_banks as string[]) : [];
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
  };
  // Every mode's settings key is present (null outside it), as sessions always stored `payment: null`.
  for (const m of modes) settings[m.name] = null;

  const offered = await offeredBanks(ctx, app, settings, mode?.bankProducts ?? []);
  const customer = customerHint.recognise ? await recogniseCustomer(ctx.db, scope, customerHint.recognise) : undefined;
  const returning = customer ? await returningCustomer(ctx, app, customer, offered) : null;
  if (mode) settings[mode.name] = await mode.open(ctx, { scope, body, link, mandate, customer, returning, offered });

  const { token, expiresAt } = await insertSession(
    ctx,
    { companyId: app.company_id, env, appId: app.id, settings, customerId: returning?.customer_id ?? (mode ? mode.customerId(settings[mode.name]) : null) },
    now,
  );

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
    payment: null,
    mandate: null,
    payer: null,
    ...(mode ? mode.describe(settings[mode.name], branding.name, banks) : {}),
  };
}

const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? "";

/** The recognised customer and the linked accounts they can pick (at banks this widget offers). */
async function returningCustomer(
  ctx: AppContext,
  app: App,
  customer: { id: string; name: string },
  offered: readonly BankView[],
): Promise<CreateSessionResponse["returning"]> {
  const rows = await connectedAccountsOf(ctx.db, { companyId: app.company_id, env: app.env }, customer.id);
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
