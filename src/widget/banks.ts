import type { BankConnector, LoginMethod } from "../banks/connector.js";
import { directoryBank, popularFirst } from "../banks/directory.js";
import { connectorFor, networkFor } from "../banks/networks.js";
import { listBanks, type BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import type { App } from "../db/schema.js";
import { appById } from "../platform/apps.js";
import type { Product } from "../platform/domain.js";
import { bankHealth } from "./bank-health.js";
import { failure, sessionExpired } from "./errors.js";
import type { WidgetModes } from "./mode.js";
import { activeMode } from "./mode.js";
import type { WidgetBank, WidgetLoginMethod } from "./protocol.js";
import type { SessionSettings, WidgetSession } from "./session.js";

/** The banks a widget session offers, and the session's app and connectors. */

export const LOGIN_METHOD_LABELS: Record<LoginMethod, Omit<WidgetLoginMethod, "method">> = {
  internet_banking: { label: "Internet banking", identifier_label: "Username", secret_label: "Password" },
  mobile_banking: { label: "Mobile app", identifier_label: "Phone number", secret_label: "Password or PIN" },
  account_number: { label: "Account number", identifier_label: "Account number", secret_label: "PIN" },
};

export const maskNuban = (nuban: string) => `••••${nuban.slice(-4)}`;

/** Every directory bank, each the way the API shows it (the directory's own cache). */
async function directory(ctx: AppContext): Promise<BankView[]> {
  return (await listBanks(ctx.db, 1, 10_000)).banks;
}

export async function bankOf(ctx: AppContext, bankId: string): Promise<BankView> {
  const bank = (await directory(ctx)).find((b) => b.id === bankId);
  if (!bank) throw new Error(`widget session: bank ${bankId} is not in the directory`);
  return bank;
}

/**
 * The banks this widget offers: reachable in the environment, in the app's bank filter and the
 * options' `filter.banks`, supporting every product asked for (and what the session's mode
 * needs: `bankProducts`), and corporate/individual banking when the options asked for one.
 */
export async function offeredBanks(
  ctx: AppContext,
  app: Pick<App, "env" | "bank_filter">,
  settings: SessionSettings,
  modeBankProducts: readonly Product[],
): Promise<BankView[]> {
  const network = networkFor(ctx, app.env);
  const appFilter = app.bank_filter.length > 0 ? new Set(app.bank_filter) : null;
  const optionFilter = settings.bank_slugs ? new Set(settings.bank_slugs) : null;
  const required = requiredBankProducts(settings.products, modeBankProducts);
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

/** The banks a session offers, with its mode's needs. */
export async function sessionBanks(ctx: AppContext, app: Pick<App, "env" | "bank_filter">, session: WidgetSession, modes: WidgetModes): Promise<BankView[]> {
  return offeredBanks(ctx, app, session.settings, activeMode(modes, session.settings)?.bankProducts ?? []);
}

/**
 * What a bank must offer for this flow. Income is derived by Okro from transactions
 * (src/data/income.ts), so a bank with transactions serves it. `payments` is required only by
 * the payment mode (a debit needs a bank that takes them: `modeBankProducts`): an account-data
 * app with every product still lists every bank for linking, and offers payment consent where the
 * bank supports it.
 */
export function requiredBankProducts(products: readonly Product[], modeBankProducts: readonly Product[] = []): Product[] {
  const needed = new Set<Product>();
  for (const p of products) {
    if (p === "payments") continue;
    needed.add(p === "income" ? "transactions" : p);
  }
  for (const p of modeBankProducts) needed.add(p);
  return [...needed];
}

export async function sessionApp(ctx: AppContext, session: WidgetSession): Promise<App> {
  const app = await appById(ctx.db, session.row.app_id);
  // The app was deleted under the session (the row cascades away with it a moment later).
  if (!app) throw sessionExpired("this widget's app no longer exists; start again");
  return app;
}

export async function listSessionBanks(ctx: AppContext, session: WidgetSession, modes: WidgetModes): Promise<WidgetBank[]> {
  const app = await sessionApp(ctx, session);
  return widgetBanks(ctx, app, await sessionBanks(ctx, app, session, modes));
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

export function bankConnector(ctx: AppContext, session: WidgetSession, bankId: string): BankConnector {
  const connector = connectorFor(ctx, session.row.env, session.row.company_id, bankId);
  if (!connector) throw failure("NOT_FOUND", "bank_id: this bank cannot be reached here; choose another bank", {}, "bank_id");
  return connector;
}
