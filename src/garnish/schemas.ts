import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { PageParams, Pagination } from "../core/paging.js";
import { Id } from "../data/schemas.js";
import { MAX_KOBO } from "../lib/kobo.js";
import { DateInput, Interval, Kobo } from "../mandates/schemas.js";
import { GARNISHMENT_STATES } from "./domain.js";

/** The HTTP contract of Okro's `garnish/*` (snake_case, strict). Amounts are integer kobo; dates Lagos days. */

const page = { page: PageParams.page, limit: PageParams.limit };

const ZeroOrMoreKobo = z
  .number({ error: `must be a whole number of kobo, 0 or more, at most ${MAX_KOBO}` })
  .int(`must be a whole number of kobo, 0 or more, at most ${MAX_KOBO}`)
  .min(0, "must be 0 or more")
  .max(Number(MAX_KOBO), `must be at most ${MAX_KOBO}`);

const Currency = z
  .string({ error: "must be a 3-letter currency code, e.g. NGN" })
  .trim()
  .regex(/^[A-Za-z]{3}$/, "must be a 3-letter currency code, e.g. NGN")
  .transform((c) => c.toUpperCase());

const DayOfMonth = z.number({ error: "must be 1 to 31, or -1 for the last day of the month" }).int("must be 1 to 31, or -1 for the last day of the month");

export const GarnishSchedule = z
  .strictObject({
    interval: Interval.default("daily").meta({ description: "How often it sweeps (default daily; GSI attempts are continuous until repaid)" }),
    start_date: DateInput.optional().meta({ description: "First sweep day (Lagos); default today" }),
    end_date: DateInput.optional().meta({ description: "Stop date (Lagos): the recovery expires at the end of it" }),
    day_of_month: DayOfMonth.optional(),
  })
  .meta({ description: "When sweeps run: at 08:00 Lagos on each day of the schedule" });

export const CreateGarnishmentBody = z.strictObject({
  customer: Id.optional().meta({ description: "The debtor (Okro customer id). Required unless `mandates` names them" }),
  mandates: z.array(Id).max(20, "at most 20 mandates").optional().meta({ description: "The sweep mandates it may draw on (one per account, at any bank). Default: every live sweep mandate of the customer not backing another garnishment" }),
  currency: Currency.default("NGN"),
  principal: Kobo.meta({ description: "Past-due principal (kobo)" }),
  interest: ZeroOrMoreKobo.default(0).meta({ description: "Accrued interest (kobo), stated apart from the principal" }),
  penalties: ZeroOrMoreKobo.optional().meta({ description: "Penal charges are not recoverable (CBN GSI): anything but 0 is a 422" }),
  floor: ZeroOrMoreKobo.default(0).meta({ description: "Left in every account a sweep debits (kobo)" }),
  schedule: GarnishSchedule.optional(),
  account_to_credit: Id.optional().meta({ description: "Your receiving account; default: your default account for the currency" }),
  reference: z.string().trim().min(1).max(100).optional(),
  purpose: z.string().trim().min(1).max(200).optional(),
});

export const GarnishmentIdBody = z.strictObject({ id: Id });

export const UpdateGarnishmentBody = z
  .strictObject({
    id: Id,
    principal: Kobo.optional().meta({ description: "A lower principal (it may only go down)" }),
    interest: ZeroOrMoreKobo.optional().meta({ description: "A lower interest (it may only go down)" }),
    floor: ZeroOrMoreKobo.optional(),
  })
  .refine((b) => b.principal !== undefined || b.interest !== undefined || b.floor !== undefined, { message: "send principal, interest or floor", path: ["principal"] });

export const ListGarnishmentsBody = z.strictObject({
  ...page,
  status: z.union([z.enum(GARNISHMENT_STATES), z.array(z.enum(GARNISHMENT_STATES))]).optional(),
  customer: Id.optional(),
});

export const SweepsBody = z.strictObject({ id: Id, ...page });

const n = z.number().int();
export const Garnishment = z
  .object({
    _id: z.string(),
    id: z.string(),
    status: z.enum(GARNISHMENT_STATES),
    status_reason: z.string().nullable(),
    customer: z.string(),
    currency: z.string(),
    debt: z.object({ principal: n, interest: n, owed: n, penalties_excluded: z.literal(true) }),
    collected: n.meta({ description: "Taken and confirmed by the banks, less refunds (derived from the payments)" }),
    remaining: n.meta({ description: "Owed − collected" }),
    in_flight: n.meta({ description: "Debits sent whose outcome is not known yet" }),
    refunded: n.meta({ description: "Over-collection given back" }),
    floor: n,
    schedule: z.object({ interval: z.string().nullable(), day_of_month: n.nullable(), start_date: z.string(), end_date: z.string().nullable(), timezone: z.literal("Africa/Lagos") }),
    mandates: z.array(z.object({ mandate: z.string(), account: z.string(), bank: z.string(), status: z.string() })),
    order: z.literal("largest_balance_first").meta({ description: "Accounts are swept largest available balance first, then by account id" }),
    sweeps: n,
    account_to_credit: z.string().nullable(),
    reference: z.string().nullable(),
    purpose: z.string().nullable(),
    env: z.enum(["sandbox", "production"]),
    activated_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    created_at: z.string(),
    last_updated: z.string(),
  })
  .meta({ id: "Garnishment" });

export const Sweep = z
  .object({
    _id: z.string(),
    garnishment: z.string(),
    sweep: n,
    trigger: z.enum(["schedule", "request"]),
    at: z.string(),
    owed_before: n,
    taken: n,
    outcome: z.enum(["collected", "partial", "nothing", "skipped"]),
    reason: z.string().nullable(),
    accounts: z.array(
      z.object({ account: z.string(), mandate: z.string(), balance_seen: n.nullable(), taken: n, payment: z.string().nullable(), skipped: z.string().nullable() }),
    ),
  })
  .meta({ id: "GarnishmentSweep" });

export const GarnishmentResponse = envelope(z.object({ garnishment: Garnishment }));
export const GarnishmentsResponse = envelope(z.object({ garnishments: z.array(Garnishment), pagination: Pagination }));
export const SweepRequestedResponse = envelope(z.object({ garnishment: Garnishment, sweep: z.object({ status: z.literal("queued"), job: z.string() }) }));
export const SweepsResponse = envelope(z.object({ garnishment: Garnishment, sweeps: z.array(Sweep), pagination: Pagination }));
