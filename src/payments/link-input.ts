import type { z } from "zod";
import { listBanks, type BankView } from "../banks/service.js";
import { OkroError } from "../core/errors.js";
import { positiveKobo } from "../lib/kobo.js";
import type { LinkSchedule } from "../db/schema.js";
import { scheduleProblems } from "../mandates/schedule.js";
import { scheduleOnPayment, type LinkInput } from "./links.js";
import { receivingAccountOrDefault, type CreateLinkBody } from "./schemas.js";
import { isSupportedCurrency, SUPPORTED_CURRENCIES, type Executor } from "./types.js";

/**
 * From a parsed `pay/link/create` body to the engine's {@link LinkInput}: the checks that are not
 * the schema's (recurring and `data` links are not available yet; the currency is supported; the
 * filter's banks are in the directory). The API (`/v2/pay/link/create`) and the dashboard's
 * no-code form both go through here, so a link means the same wherever it was made. Reads only:
 * call it before the transaction.
 */

/** More than the directory will ever hold: one page is all of it (cached in memory). */
const WHOLE_DIRECTORY = 10_000;

/** A bank of the directory by id or slug, or a 400 naming `field`. */
export async function resolveBank(db: Executor, ref: string, field: string): Promise<BankView> {
  const { banks } = await listBanks(db, 1, WHOLE_DIRECTORY);
  const bank = banks.find((b) => b.id === ref || b.slug === ref.toLowerCase());
  if (!bank) throw new OkroError("INVALID_FIELD", `${field}: unknown bank ${JSON.stringify(ref)}; use an _id or slug from /v2/banks/list`, { field });
  return bank;
}

export function unsupportedCurrency(currency: string, field = "currency"): OkroError {
  return new OkroError("UNPROCESSABLE", `${field}: ${currency} is not supported; payments are in ${SUPPORTED_CURRENCIES.join(", ")} only`, { field });
}

export async function linkInputFrom(db: Executor, b: z.output<typeof CreateLinkBody>): Promise<LinkInput> {
  if (b.type === "one-time" && b.schedule !== undefined) throw new OkroError("INVALID_FIELD", "schedule: only for recurring links; omit it for one-time", { field: "schedule" });
  let schedule: LinkSchedule | null = null;
  if (b.type === "recurring") {
    if (b.schedule === undefined) throw new OkroError("MISSING_FIELDS", "schedule: required for recurring links ({interval, startDate, endDate, count})", { field: "schedule" });
    if (b.amount == null) throw new OkroError("MISSING_FIELDS", "amount: a recurring link charges a fixed amount each time; set it", { field: "amount" });
    const sch = b.schedule;
    if (sch.dayOfMonth !== undefined && sch.day_of_month !== undefined && sch.dayOfMonth !== sch.day_of_month) {
      throw new OkroError("INVALID_FIELD", "schedule.day_of_month: disagrees with schedule.dayOfMonth; send one", { field: "schedule.day_of_month" });
    }
    if (sch.businessDays !== undefined && sch.business_days !== undefined && sch.businessDays !== sch.business_days) {
      throw new OkroError("INVALID_FIELD", "schedule.business_days: disagrees with schedule.businessDays; send one", { field: "schedule.business_days" });
    }
    const businessDays = sch.businessDays ?? sch.business_days;
    schedule = { interval: sch.interval, start_date: sch.startDate || null, end_date: sch.endDate || null, count: sch.count ?? null, day_of_month: sch.dayOfMonth ?? sch.day_of_month ?? null, ...(businessDays ? { business_days: businessDays } : {}) };
    const probe = scheduleProblems(scheduleOnPayment(schedule, schedule.start_date ?? schedule.end_date ?? "1970-01-01"))[0];
    if (probe) {
      const field = `schedule.${probe.field === "end_date" ? "endDate" : probe.field === "day_of_month" ? "dayOfMonth" : probe.field === "start_date" ? "startDate" : probe.field}`;
      throw new OkroError("INVALID_FIELD", `${field}: ${probe.message.replace(/^[a-z_]+: /, "")}`, { field });
    }
  }
  if (b.data === true) {
    throw new OkroError("UNPROCESSABLE", "data: pulling account data through a payment link is not available yet; omit it or send false", { field: "data" });
  }
  if (!isSupportedCurrency(b.currency)) throw unsupportedCurrency(b.currency);
  const banks: string[] = [];
  for (const [i, ref] of (b.filter?.banks ?? []).entries()) banks.push((await resolveBank(db, ref, `filter.banks.${i}`)).slug);
  return {
    name: b.name,
    amount: b.amount == null ? null : positiveKobo(b.amount),
    currency: b.currency,
    note: b.note ?? null,
    logo: b.logo ?? null,
    color: b.color ?? null,
    type: b.type,
    ...(schedule ? { schedule } : {}),
    accountToCredit: receivingAccountOrDefault(b.account) ?? null,
    supportEmail: b.support_email ?? null,
    successUrl: b.success_url ?? null,
    callbackUrl: b.callback_url ?? null,
    filterBanks: banks,
    reusable: b.reusable,
    expiresAt: b.expires_at ? new Date(b.expires_at) : null,
  };
}
