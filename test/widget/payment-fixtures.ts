import type { AppContext } from "../../src/context.js";
import { kobo } from "../../src/lib/kobo.js";
import { listEntries } from "../../src/ledger/store.js";
import { addCompanyAccount } from "../../src/payments/company-accounts.js";
import { createLink, type LinkInput } from "../../src/payments/links.js";
import type { NewCompany } from "../../src/platform/companies.js";

/**
 * What the widget payment tests (session API and browser) need around a tenant: a receiving
 * account, payment links, and readings of what the bank and the ledger did.
 */

export const GTBANK = "5d6fe57a4099cc4b210bbeb3";
export const ACCESS = "5d6fe57a4099cc4b210bbeb0";
export const ZENITH = "5d6fe57a4099cc4b210bbec0";
/** A bank of the sandbox directory without the payments product. */
export const LOTUS = "5d6fe57a4099cc4b210bbec6";

/** Gives the tenant's sandbox a default NGN receiving account (at GTBank) and returns its id. */
export async function receivingAccount(ctx: AppContext, t: NewCompany, nuban = "0123456789"): Promise<string> {
  const row = await ctx.db
    .transaction()
    .execute((trx) => addCompanyAccount(trx, { companyId: t.id, env: "sandbox" }, { bankId: GTBANK, nuban, name: `${t.name} collections`, currency: "NGN" }, ctx.clock.now()));
  return row.id;
}

/** A payment link of the tenant's sandbox (fixed amount, single-use and never expiring unless told). */
export async function paymentLink(ctx: AppContext, t: NewCompany, input: Partial<LinkInput> = {}) {
  const { link } = await ctx.db.transaction().execute((trx) =>
    createLink(trx, ctx, { companyId: t.id, env: "sandbox" }, {
      name: "Lagos Marathon entry",
      amount: kobo(1_250_000),
      currency: "NGN",
      note: "Entry for the 10 km race",
      logo: null,
      color: null,
      type: "one-time",
      accountToCredit: null,
      supportEmail: "help@example.com",
      successUrl: null,
      callbackUrl: null,
      filterBanks: [],
      reusable: false,
      expiresAt: null,
      ...input,
    }),
  );
  return link;
}

/** Debits the sandbox bank executed for this tenant (one row per reference the bank accepted). */
export async function bankDebits(ctx: AppContext, t: NewCompany) {
  return ctx.db
    .selectFrom("sandbox_transfers")
    .select(["reference", "amount", "status", "source_bank_id", "source_nuban", "kind"])
    .where("realm", "=", t.id)
    .where("direction", "=", "debit")
    .orderBy("created_at")
    .execute();
}

/** The ledger entries of one payment, oldest first, postings as `account direction amount`. */
export async function ledgerOf(ctx: AppContext, t: NewCompany, paymentId: string) {
  const { rows } = await listEntries(ctx.db, { companyId: t.id, env: "sandbox" }, { paymentId, page: 1, limit: 50 });
  return rows.reverse().map((e) => ({ kind: e.kind, postings: e.postings.map((p) => `${p.account} ${p.direction} ${p.amount}`).sort() }));
}

/** The event types emitted for one object, in order. */
export async function eventsOf(ctx: AppContext, t: NewCompany, objectId: string): Promise<string[]> {
  const rows = await ctx.db.selectFrom("events").select("type").where("company_id", "=", t.id).where("object_id", "=", objectId).orderBy("sequence").execute();
  return rows.map((r) => r.type);
}

/** The payment's history, as `from → to (actor)`. */
export async function historyOf(ctx: AppContext, paymentId: string): Promise<string[]> {
  const rows = await ctx.db.selectFrom("payment_transitions").selectAll().where("payment_id", "=", paymentId).orderBy("id").execute();
  return rows.map((r) => `${r.from_state ?? "∅"} → ${r.to_state} (${r.actor})`);
}
