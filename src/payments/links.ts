import { sql, type Selectable, type Transaction } from "kysely";
import type { Config } from "../config.js";
import type { AppContext } from "../context.js";
import type { DB, LinkSchedule, PaymentLinksTable } from "../db/schema.js";
import { businessDaysWords, describeSchedule, money, type Schedule } from "../mandates/schedule.js";
import { OkroError } from "../core/errors.js";
import { offsetOf } from "../core/paging.js";
import { newId, shortCode } from "../lib/ids.js";
import { toWire, type Kobo } from "../lib/kobo.js";
import { canonicalJson, sha256Hex } from "../lib/secrets.js";
import { companyEmail } from "../platform/users.js";
import { defaultCompanyAccount, requireCompanyAccount } from "./company-accounts.js";
import type { Executor, Scope } from "./types.js";
import { wireEnv, type LinkRef } from "./views.js";

/**
 * Payment links (`pay/link/create`): a page on the widget origin, `<widget origin>/pay/<short_url>`,
 * where a customer pays the company — a fixed amount, or one they enter (`amount` null). A link is
 * single-use unless `reusable`; it may expire (`expires_at`) and can be disabled.
 *
 * Creating a link with exactly the same details as an active, unexpired link of the company gives
 * back that link (Okra: "idempotent on identical details"); `details_hash` finds it, and an
 * advisory lock on the hash makes two identical creations at once give one link.
 */
export type LinkRow = Selectable<PaymentLinksTable>;


export interface LinkInput {
  name: string;
  /** Null: the payer enters the amount. At least 100 kobo otherwise (checked by the schema). */
  amount: Kobo | null;
  /** Upper case; a supported currency (checked by the caller). */
  currency: string;
  note: string | null;
  logo: string | null;
  color: string | null;
  type: "one-time" | "recurring";
  /** A recurring link's schedule (absent for one-time: their details hash as before). */
  schedule?: LinkSchedule | null;
  /** A company account id; null: the company's default account for the currency when paid. */
  accountToCredit: string | null;
  /** Null: the company's own email (`companyEmail`), which Okra did not make callers send. */
  supportEmail: string | null;
  successUrl: string | null;
  callbackUrl: string | null;
  /** Bank slugs from the directory (the same form as an app's `bank_filter`); empty: every bank. */
  filterBanks: string[];
  reusable: boolean;
  expiresAt: Date | null;
}

/**
 * Where the widget app is served, as people reach it: `OKRO_WIDGET_URL`, else this host on
 * `WIDGET_PORT` (what `okro serve` prints when both are defaults).
 */
export function widgetOrigin(config: Pick<Config, "widgetUrl" | "widgetPort">): string {
  return config.widgetUrl ?? `http://localhost:${config.widgetPort}`;
}

/** The hosted pay page of a link. */
export const linkUrl = (config: Pick<Config, "widgetUrl" | "widgetPort">, shortUrl: string) => `${widgetOrigin(config)}/pay/${shortUrl}`;

export function linkRef(row: Pick<LinkRow, "id" | "short_url">, ctx: Pick<AppContext, "config">): LinkRef {
  const url = linkUrl(ctx.config, row.short_url);
  return { _id: row.id, url, short_url: row.short_url, surl: url };
}

/** What identifies "the same link": every detail the payer sees or the payment depends on. */
function detailsHash(input: LinkInput): string {
  return sha256Hex(
    canonicalJson({
      ...input,
      amount: input.amount === null ? null : toWire(input.amount),
      expiresAt: input.expiresAt?.toISOString() ?? null,
      filterBanks: [...new Set(input.filterBanks)].sort(),
    }),
  );
}

/**
 * Creates the link, or returns the company's active, unexpired link with identical details.
 * Refuses (4xx naming the field, nothing written): `account` not a receiving account of the
 * tenant (404), no `account` and no default receiving account for the currency (422),
 * `expires_at` not in the future (422). `supportEmail` null is the company's email.
 */
export async function createLink(trx: Transaction<DB>, ctx: AppContext, scope: Scope, given: LinkInput): Promise<{ link: LinkRow; created: boolean }> {
  const now = ctx.clock.now();
  const supportEmail = given.supportEmail ?? (await companyEmail(trx, scope.companyId));
  if (supportEmail === null) {
    throw new OkroError("MISSING_FIELDS", "support_email: is required: the company has no owner's email to use instead", { field: "support_email" });
  }
  // Defaulted before hashing: the same link whether the email was sent or defaulted to.
  const input = { ...given, supportEmail };
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
    throw new OkroError("UNPROCESSABLE", "expires_at: must be in the future", { field: "expires_at" });
  }
  if (input.accountToCredit !== null) {
    const account = await requireCompanyAccount(trx, scope, input.accountToCredit, "account");
    if (account.currency !== input.currency) {
      throw new OkroError("UNPROCESSABLE", `account: this receiving account is in ${account.currency}, the link in ${input.currency}`, { field: "account" });
    }
  } else if (!(await defaultCompanyAccount(trx, scope, input.currency))) {
    throw new OkroError(
      "UNPROCESSABLE",
      `account: you have no default ${input.currency} receiving account; add one with pay/accounts/create, or pass account`,
      { field: "account" },
    );
  }
  const hash = detailsHash(input);
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`payment_links:${scope.companyId}:${scope.env}:${hash}`}, 0))`.execute(trx);
  const same = await trx
    .selectFrom("payment_links")
    .selectAll()
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .where("details_hash", "=", hash)
    .where("status", "=", "active")
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("created_at", "desc")
    .executeTakeFirst();
  if (same) return { link: same, created: false };
  const link = await trx
    .insertInto("payment_links")
    .values({
      id: newId(now),
      company_id: scope.companyId,
      env: scope.env,
      // 10 characters of a 56-letter alphabet: a collision is negligible, and the unique index backs it.
      short_url: shortCode(),
      name: input.name,
      note: input.note,
      amount: input.amount,
      currency: input.currency,
      type: input.type,
      schedule: input.schedule ? JSON.stringify(input.schedule) : null,
      reusable: input.reusable,
      status: "active",
      expires_at: input.expiresAt,
      account_to_credit: input.accountToCredit,
      support_email: input.supportEmail,
      success_url: input.successUrl,
      callback_url: input.callbackUrl,
      logo: input.logo,
      color: input.color,
      filter_banks: JSON.stringify([...new Set(input.filterBanks)]),
      details_hash: hash,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { link, created: true };
}

/** The tenant's link by id, or 404 NOT_FOUND naming `field` (also for another tenant's id). */
export async function getLink(db: Executor, scope: Scope, id: string, field = "id"): Promise<LinkRow> {
  const row = await db
    .selectFrom("payment_links")
    .selectAll()
    .where("id", "=", id)
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .executeTakeFirst();
  if (!row) throw new OkroError("NOT_FOUND", `${field}: payment link not found`, { field });
  return row;
}

/** The links of several payments at once (a page of payments), by id. */
export async function linksByIds(db: Executor, scope: Scope, ids: readonly string[]): Promise<Map<string, LinkRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("payment_links")
    .selectAll()
    .where("id", "in", [...new Set(ids)])
    .where("company_id", "=", scope.companyId)
    .where("env", "=", scope.env)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The link behind a hosted pay page (`/pay/<short_url>`), whatever its state: the page decides
 * what to show (see {@link linkProblem}). Not scoped: the short URL is the payer's only handle.
 */
export async function linkByShortUrl(db: Executor, shortUrl: string): Promise<LinkRow | undefined> {
  return db.selectFrom("payment_links").selectAll().where("short_url", "=", shortUrl).executeTakeFirst();
}

/** Why a link cannot be paid now, for the payer (null: it can). */
export function linkProblem(row: Pick<LinkRow, "status" | "expires_at">, now: Date): { reason: "disabled" | "used" | "expired"; message: string } | null {
  if (row.status === "disabled") return { reason: "disabled", message: "This payment link has been disabled by the merchant." };
  if (row.status === "used") return { reason: "used", message: "This payment link has already been paid." };
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return { reason: "expired", message: "This payment link has expired." };
  return null;
}

/**
 * Counts a payment made through the link, in the transaction that creates the payment; a
 * single-use link becomes `used` (compare-and-set on `active`). Returns the updated row, or
 * undefined when the link was not active any more (used by a concurrent payer, or disabled) or,
 * given `now`, has expired:
 * the caller must then not create the payment.
 */
export async function markLinkUsed(trx: Transaction<DB>, linkId: string, now?: Date): Promise<LinkRow | undefined> {
  return trx
    .updateTable("payment_links")
    .set((eb) => ({
      payments_count: eb("payments_count", "+", 1),
      status: sql<LinkRow["status"]>`CASE WHEN reusable THEN status ELSE 'used' END`,
      ...(now ? { updated_at: now } : {}),
    }))
    .where("id", "=", linkId)
    .where("status", "=", "active")
    // An expired link is never paid, even by a payer whose page opened before it expired.
    .$if(now !== undefined, (q) => q.where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now!)])))
    .returningAll()
    .executeTakeFirst();
}

/** Disables the link (idempotent: disabling a disabled link changes nothing). A used link stays used. */
export async function disableLink(trx: Transaction<DB>, scope: Scope, id: string, now: Date): Promise<LinkRow> {
  const row = await getLink(trx, scope, id);
  if (row.status !== "active") return row;
  return trx.updateTable("payment_links").set({ status: "disabled", updated_at: now }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** Newest first. */
export async function listLinks(db: Executor, scope: Scope, opts: { page: number; limit: number }): Promise<{ rows: LinkRow[]; total: number }> {
  const base = db.selectFrom("payment_links").where("company_id", "=", scope.companyId).where("env", "=", scope.env);
  const rows = await base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).offset(offsetOf(opts.page, opts.limit)).execute();
  const count = await base.select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  return { rows, total: count.n };
}

/** The wire shape (`pay/link/*`): Okra's `{_id, url, short_url, surl, qr}` and the details. */
export function linkView(row: LinkRow, ctx: Pick<AppContext, "config" | "clock">) {
  const problem = linkProblem(row, ctx.clock.now());
  return {
    ...linkRef(row, ctx),
    id: row.id,
    qr: null,
    name: row.name,
    note: row.note,
    amount: row.amount === null ? null : Number(row.amount),
    currency: row.currency,
    type: row.type,
    reusable: row.reusable,
    status: problem?.reason === "expired" ? ("expired" as const) : row.status,
    expires_at: row.expires_at?.toISOString() ?? null,
    account: row.account_to_credit,
    support_email: row.support_email,
    success_url: row.success_url,
    callback_url: row.callback_url,
    logo: row.logo,
    color: row.color,
    countries: ["NG"],
    filter: { banks: row.filter_banks },
    payments_count: row.payments_count,
    schedule: linkSchedule(row),
    schedule_description: describeLinkSchedule(row),
    owner: row.company_id,
    env: wireEnv(row.env),
    created_at: row.created_at.toISOString(),
    last_updated: row.updated_at.toISOString(),
  };
}
export type LinkView = ReturnType<typeof linkView>;

/** A recurring link's schedule, as stored (the JSON column comes back parsed on both drivers). */
export function linkSchedule(row: Pick<LinkRow, "schedule">): LinkSchedule | null {
  if (row.schedule === null || row.schedule === undefined) return null;
  return (typeof row.schedule === "string" ? JSON.parse(row.schedule) : row.schedule) as LinkSchedule;
}

/** The schedule a recurring link's mandate gets when paid on the Lagos day `payDay`. */
export function scheduleOnPayment(s: LinkSchedule, payDay: string): Schedule {
  const start = s.start_date !== null && s.start_date > payDay ? s.start_date : payDay;
  return { interval: s.interval, startDate: start, endDate: s.end_date, count: s.count, dayOfMonth: s.day_of_month, businessDays: s.business_days ?? "next" };
}

const EVERY: Record<LinkSchedule["interval"], string> = { daily: "every day", weekly: "every week", monthly: "every month", quarterly: "every quarter", yearly: "every year" };

/**
 * A recurring link's charges in words, for its page and the API: "NGN 5,000.00 every month on the
 * 1st, starting 2027-02-01, 12 times (…)"; without a start date, from the day the customer pays.
 * Null for one-time links and links without an amount.
 */
export function describeLinkSchedule(row: Pick<LinkRow, "schedule" | "amount" | "currency">): string | null {
  const s = linkSchedule(row);
  if (!s || row.amount === null) return null;
  if (s.start_date !== null) return describeSchedule(scheduleOnPayment(s, s.start_date), row.amount, row.currency);
  const day = s.day_of_month === null ? "" : s.day_of_month === -1 ? " on the last day" : ` on day ${s.day_of_month}`;
  const until = s.count !== null ? (s.count === 1 ? "once" : `${s.count} times`) : s.end_date !== null ? `until ${s.end_date}` : "on an ongoing basis until cancelled";
  const moved = businessDaysWords(scheduleOnPayment(s, "2000-01-01"));
  return `${money(row.amount, row.currency)} ${EVERY[s.interval]}${day}, starting the day you pay, ${until}${moved ? `; ${moved}` : ""}`;
}
