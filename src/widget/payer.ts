import type { AppContext } from "../context.js";
import { holdersOfNubans } from "../data/customers.js";
import { mandatesOfCustomers, withdrawMandate } from "../mandates/payer.js";
import { conflict } from "./errors.js";
import { payerPageUrl, widgetMandate } from "./mandates.js";
import type { WidgetMode } from "./mode.js";
import type { PayerMandatesResponse, WidgetMandate } from "./protocol.js";
import type { StoredAccounts, WidgetSession } from "./session.js";

/**
 * The payer's page (decision 0022): `/mandates?key=<public key>` on the widget origin, opened as a
 * widget session in the `payer` mode. The customer proves who they are the way the widget's login
 * does — their bank's credentials and its OTP/second factor, through the connector (the sandbox
 * banks in sandbox) — and the session reaches `accounts` only then. The accounts that login
 * listed, matched by bank and NUBAN to this company's linked accounts, name the customers they are;
 * the page lists those customers' mandates with this company and withdraws one (`cancelled`,
 * reason `withdrawn_by_payer`, `mandate.cancelled` to the company). Nothing is linked or shared:
 * the page only reads, and withdraws.
 */

interface PayerSettings {
  /** Where this page lives (shown in the mandates' "how to withdraw" line). */
  url: string;
}

const scopeOf = (session: WidgetSession) => ({ companyId: session.row.company_id, env: session.row.env });

function requirePayer(session: WidgetSession): PayerSettings {
  const s = (session.settings.payer ?? null) as PayerSettings | null;
  if (!s) throw conflict("this widget session is not the payer's page (open /mandates)");
  return s;
}

/** The customers the session's bank login proved (its listed accounts held by this company's customers). */
async function provenCustomers(ctx: AppContext, session: WidgetSession): Promise<{ ids: string[]; name: string | null }> {
  const { row } = session;
  if (row.step !== "accounts" || !row.bank_id) throw conflict("log in to your bank first: it proves these mandates are yours");
  const stored = row.bank_accounts as StoredAccounts | null;
  const holders = await holdersOfNubans(ctx.db, scopeOf(session), row.bank_id, stored?.accounts.map((a) => a.nuban) ?? []);
  return { ids: [...new Set(holders.map((h) => h.customer_id))], name: holders[0]?.customer_name ?? null };
}

/** `GET /api/payer/mandates`: every mandate the proven customer granted this company, newest first. */
export async function listPayerMandates(ctx: AppContext, session: WidgetSession): Promise<PayerMandatesResponse> {
  const settings = requirePayer(session);
  const who = await provenCustomers(ctx, session);
  const rows = await mandatesOfCustomers(ctx.db, scopeOf(session), who.ids);
  const merchant = session.settings.branding.name;
  const mandates: WidgetMandate[] = [];
  for (const m of rows) mandates.push(await widgetMandate(ctx, m, merchant, settings.url));
  return { customer: who.name ? { name: who.name.trim().split(/\s+/)[0] ?? who.name } : null, mandates };
}

/** `POST /api/payer/mandates/withdraw`: the proven customer withdraws one of their mandates. */
export async function withdrawPayerMandate(ctx: AppContext, session: WidgetSession, body: { mandate_id: string }): Promise<WidgetMandate> {
  const settings = requirePayer(session);
  const who = await provenCustomers(ctx, session);
  const m = await withdrawMandate(ctx, scopeOf(session), body.mandate_id, who.ids);
  return widgetMandate(ctx, m, session.settings.branding.name, settings.url);
}

/** The payer mode (mode.ts): opened by `manage_mandates: true` (the `/mandates` page sets it). */
export const payerMode: WidgetMode = {
  name: "payer",
  products: ["payments"],
  bankProducts: ["payments"],
  messages: {
    connectRefused: "this is the payer's page: it shows and withdraws mandates, it connects nothing (GET /api/payer/mandates)",
    done: "this payer's page session is over; reload the page",
  },
  opens: (body) => body.manage_mandates === true || body.manage_mandates === "true",
  open: async (ctx, opening) => ({ url: payerPageUrl(ctx, opening.body) }) satisfies PayerSettings,
  customerId: () => null,
  describe: (_settings, merchant) => ({ payer: { merchant } }),
  beforeLogin: async () => undefined,
};
