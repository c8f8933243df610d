import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { Id } from "../data/schemas.js";
import { KoboError, MAX_KOBO, positiveKobo } from "../lib/kobo.js";
import { MANDATE_STATES } from "./domain.js";
import { INTERVALS, parseDate } from "./schedule.js";

/**
 * The HTTP contract of mandates: Okra's `pay/authorization/*` (as okra-node, okra-ruby and pyokra
 * send it: camelCase, slash dates, extra ids) and Okro's `mandates/*` (snake_case, strict).
 * Amounts are integer kobo; dates Lagos days, `YYYY-MM-DD` or `YYYY/MM/DD`.
 */

const page = { page: PageParams.page, limit: PageParams.limit };

const AMOUNT_RULE = `must be a whole number of kobo greater than zero (₦1 = 100), at most ${MAX_KOBO}`;
export const Kobo = z
  .number({ error: AMOUNT_RULE })
  .superRefine((value, check) => {
    try {
      positiveKobo(value);
    } catch (error) {
      if (!(error instanceof KoboError)) throw error;
      check.addIssue({ code: "custom", message: error.message.replace(/^amount /, "") });
    }
  })
  .meta({ description: "Kobo (₦1 = 100): a whole number greater than zero" });

const Currency = z
  .string({ error: "must be a 3-letter currency code, e.g. NGN" })
  .trim()
  .regex(/^[A-Za-z]{3}$/, "must be a 3-letter currency code, e.g. NGN")
  .transform((c) => c.toUpperCase());

/** A Lagos day: `YYYY-MM-DD`, `YYYY/MM/DD` (Okra's future-payments doc) or an ISO instant; given back as `YYYY-MM-DD`. */
export const DateInput = z
  .string({ error: "must be a date, YYYY-MM-DD or YYYY/MM/DD" })
  .transform((value, check) => {
    const date = parseDate(value);
    if (!date) {
      check.addIssue({ code: "custom", message: "must be a real date, YYYY-MM-DD or YYYY/MM/DD" });
      return z.NEVER;
    }
    return date;
  })
  .meta({ description: "A day in Africa/Lagos: YYYY-MM-DD or YYYY/MM/DD" });

/** Absent, empty or null: none (okra-node sends every key it knows, empty when unset). */
const OptionalDate = z.union([DateInput, z.literal(""), z.null()]).optional();
export const Interval = z.enum(INTERVALS, { error: `must be one of ${INTERVALS.join(", ")}` });
const DayOfMonth = z
  .number({ error: "must be 1 to 31, or -1 for the last day of the month" })
  .int("must be 1 to 31, or -1 for the last day of the month")
  .meta({ description: "Monthly, quarterly, yearly: the day charges fall on (29–31 become the month's last day when it is shorter; -1 is always the last day)" });
const Count = z.number({ error: "must be a whole number from 1 to 10000" }).int("must be a whole number from 1 to 10000").min(1, "must be at least 1").max(10_000, "must be at most 10000");
const BusinessDaysInput = z
  .enum(["next", "previous", "none"], { error: "must be next, previous or none" })
  .meta({ description: "A charge falling on a Saturday, Sunday or Nigerian public holiday is taken on the `next` business day (the default; within its month for monthly-or-longer schedules), the `previous` one, or `none`: on the day. Daily schedules never move" });
const Options = z.record(z.string(), z.unknown(), { error: "must be an object" });

/** A recurring payment's schedule (`pay/initiate`, payment links): Okra's camelCase plus Okro's extensions. */
export const ScheduleInput = z
  .strictObject({
    interval: Interval.default("monthly"),
    startDate: OptionalDate.meta({ description: "First day (Lagos); default today" }),
    endDate: OptionalDate.meta({ description: "Last day (Lagos); absent: until cancelled" }),
    count: Count.optional().meta({ description: "How many charges in all" }),
    dayOfMonth: DayOfMonth.optional(),
    day_of_month: DayOfMonth.optional(),
    businessDays: BusinessDaysInput.optional(),
    business_days: BusinessDaysInput.optional(),
  })
  .meta({ description: "`{interval: daily|weekly|monthly|quarterly|yearly (default monthly), startDate, endDate, count, dayOfMonth, businessDays: next|previous|none (default next)}`; dates in Africa/Lagos" });

export type ScheduleInput = z.output<typeof ScheduleInput>;

// ── Okro's mandates/* ─────────────────────────────────────────────────────────────────────────

export const CreateMandateBody = z.strictObject({
  account: Id.meta({ description: "The customer's linked account (accounts/*)" }),
  debit_type: z.enum(["fixed", "variable", "sweep"], { error: "must be fixed, variable or sweep" }).meta({ description: "`fixed`: `amount` every charge. `variable`: any amount under `max_total` (and `max_per_charge`, `max_per_period`). `sweep`: a garnishment's authority (garnish/*): no schedule; its recovery takes what the balance allows, at most `max_total` in all" }),
  currency: Currency.default("NGN"),
  amount: Kobo.optional().meta({ description: "Fixed: each charge" }),
  initial_amount: Kobo.optional().meta({ description: "The first scheduled charge, when it differs" }),
  max_per_charge: Kobo.optional(),
  max_total: Kobo.optional(),
  max_per_period: Kobo.optional(),
  period: Interval.optional().meta({ description: "The calendar period `max_per_period` counts in" }),
  start_date: OptionalDate,
  end_date: OptionalDate,
  interval: Interval.optional().meta({ description: "A schedule of charges; absent: no scheduled charges (use pay/authorization/initiate later)" }),
  day_of_month: DayOfMonth.optional(),
  count: Count.optional(),
  business_days: BusinessDaysInput.optional(),
  purpose: z.string({ error: "must be a string" }).trim().max(200, "must be at most 200 characters").optional(),
  reference: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
  options: Options.optional().meta({ description: "Anything; searchable with pay/authorization/getByOptions" }),
  account_to_credit: Id.optional().meta({ description: "Your receiving account; default: your default account for the currency" }),
  retry: z
    .strictObject({
      attempts: z.number({ error: "must be a whole number from 1 to 10" }).int("must be a whole number from 1 to 10").min(1, "must be at least 1").max(10, "must be at most 10"),
      spacing_hours: z.number({ error: "must be a whole number of hours from 1 to 720" }).int("must be a whole number of hours").min(1, "must be at least 1").max(720, "must be at most 720"),
      balance_check: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Read the balance before each retry and skip the try while it is below the amount (default true)" }),
    })
    .optional()
    .meta({ description: "Insufficient funds: tries in all (the first included) and hours between them; default 3, 24, with a balance check before each retry" }),
  notice_days: z
    .number({ error: "must be a whole number of days from 0 to 30" })
    .int("must be a whole number of days from 0 to 30")
    .min(0, "must be at least 0")
    .max(30, "must be at most 30")
    .optional()
    .meta({ description: "Days before each scheduled charge that `mandate.charge_upcoming` is sent (default 3; 0: none)" }),
});

export const MandateIdBody = z.object({ id: Id.meta({ description: "The mandate's id" }) });
export const MandateMutateBody = z.strictObject({ id: Id.meta({ description: "The mandate's id" }) });
export const UpcomingBody = z.object({ id: Id.meta({ description: "The mandate's id" }), limit: z.coerce.number().int().min(1).max(100).default(12) });
export const ListMandatesBody = z.object({
  status: z.union([z.enum(MANDATE_STATES), z.array(z.enum(MANDATE_STATES))], { error: `must be one of ${MANDATE_STATES.join(", ")} (or a list)` }).optional(),
  customer: Id.optional(),
  account: Id.optional(),
  ...page,
});

// ── Okra's pay/authorization/* ────────────────────────────────────────────────────────────────

/** Okra's ids as the SDKs send them: okra-node sends every key it knows, empty when unset. */
const OptionalId = z.union([Id, z.literal(""), z.null()]).optional();

export const AuthorizationInitiateBody = z
  .strictObject({
    authorization: Id.meta({ description: "The authorization (mandate) to charge" }),
    amount: Kobo.meta({ description: "Each charge (kobo)" }),
    initialAmount: Kobo.optional().meta({ description: "The first charge, when it differs" }),
    currency: Currency.default("NGN"),
    startDate: OptionalDate,
    endDate: OptionalDate,
    start_date: OptionalDate.meta({ description: "okra-node 0.2.0's spelling of startDate" }),
    end_date: OptionalDate.meta({ description: "okra-node 0.2.0's spelling of endDate" }),
    interval: Interval.default("monthly"),
    oneTime: z.boolean({ error: "must be true or false" }).default(false).meta({ description: "One charge only" }),
  })
  .refine((b) => !(b.startDate && b.start_date && b.startDate !== b.start_date), { message: "startDate and start_date disagree; send one", path: ["start_date"] })
  .refine((b) => !(b.endDate && b.end_date && b.endDate !== b.end_date), { message: "endDate and end_date disagree; send one", path: ["end_date"] });

export const AuthorizationRefBody = z.strictObject({
  authorization: Id.meta({ description: "The authorization (mandate)" }),
  customer: OptionalId.meta({ description: "When given, must be the authorization's customer" }),
  link: z.string().optional().nullable(),
  account: OptionalId,
});

export const AuthorizationListBody = z.object(page);
export const ByCustomerBody = z.object({
  customer: Id.optional(),
  options: Options.optional(),
  ...page,
});
export const ByOptionsBody = z.object({ options: Options, ...page });

// ── Responses ─────────────────────────────────────────────────────────────────────────────────

const n = z.number().int().nullable();
export const Mandate = z
  .object({
    _id: z.string(),
    id: z.string(),
    status: z.enum(MANDATE_STATES),
    status_reason: z.string().nullable(),
    customer: z.string(),
    account: z.string(),
    accounts: z.array(z.string()),
    bank: z.string(),
    debit_type: z.enum(["fixed", "variable", "sweep"]),
    currency: z.string(),
    amount: n,
    initial_amount: n,
    max_per_charge: n,
    max_total: n,
    max_per_period: n,
    period: Interval.nullable(),
    start_date: z.string(),
    end_date: z.string().nullable(),
    schedule: z
      .object({ interval: Interval, day_of_month: n, count: n, start_date: z.string(), end_date: z.string().nullable(), business_days: z.enum(["next", "previous", "none"]), timezone: z.literal("Africa/Lagos") })
      .nullable(),
    description: z.string().meta({ description: "Every limit and the schedule in words: what the customer authorises" }),
    purpose: z.string().nullable(),
    reference: z.string().nullable(),
    options: z.unknown(),
    account_to_credit: z.string().nullable(),
    retry: z.object({ attempts: z.number().int(), spacing_hours: z.number().int(), balance_check: z.boolean() }),
    notice_days: z.number().int().meta({ description: "Days before each scheduled charge that `mandate.charge_upcoming` is sent (0: none)" }),
    replaces: z.string().nullable(),
    disconnect: z.boolean(),
    disconnected_at: z.string().nullable(),
    duration: z.object({ startDate: z.string(), endDate: z.string().nullable(), interval: Interval.nullable() }),
    env: z.enum(["sandbox", "production"]),
    owner: z.string(),
    authorised_at: z.string().nullable(),
    activated_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    created_at: z.string(),
    last_updated: z.string(),
    url: z
      .string()
      .optional()
      .meta({
        description:
          "The page on the widget origin where the customer authorises this mandate (`/mandate/<id>`): they log in to their bank, choose the mandate's account, read the terms (from the stored mandate) and confirm with the bank's OTP or PIN; it is then `awaiting_bank`, and `active` once the bank activates it. Send it to the customer while the mandate is `awaiting_customer`; afterwards the page says the mandate's state instead of asking. The same field as a payment link's `url`.",
      }),
  })
  .meta({ id: "Mandate" });

export const Upcoming = z.object({
  cycle: z.number().int(),
  date: z.string().meta({ description: "The Lagos day the charge is taken: the cycle's own day, moved off a weekend or public holiday per `business_days`" }),
  scheduled_date: z.string().meta({ description: "The cycle's own day on the schedule (the anchor; a moved charge does not move the next cycle)" }),
  amount: z.number().int(),
});

export const MandateResponse = envelope(z.object({ mandate: Mandate }));
export const MandatesResponse = envelope(z.object({ mandates: z.array(Mandate), pagination: Pagination }));
export const UpcomingResponse = envelope(z.object({ mandate: Mandate, upcoming: z.array(Upcoming) }));
export const AuthorizationResponse = envelope(z.object({ authorization: Mandate, upcoming: z.array(Upcoming).optional() }));
export const AuthorizationsResponse = envelope(z.object({ authorizations: z.array(Mandate), pagination: Pagination }));
