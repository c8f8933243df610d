import { z } from "zod";
import { Id } from "../data/schemas.js";
import { MAX_KOBO } from "../lib/kobo.js";
import { WIRE_STATUSES, type WireStatus } from "../payments/domain.js";
import { Amount, CreateLinkBody } from "../payments/schemas.js";
import { EnvParam } from "../platform/schemas.js";

/**
 * Request contracts of the dashboard's payments, links, money and sandbox pages. Bodies reuse the
 * API's own schemas (a link made here is validated exactly like `pay/link/create`), with the
 * environment chosen in the dashboard (`env`). Filters arrive in the query string, as the page
 * keeps them in its URL.
 */

const kobo = (field: string) =>
  z.coerce
    .number({ error: `${field}: must be a whole number of kobo` })
    .int("must be a whole number of kobo")
    .min(0, "must not be negative")
    .max(Number(MAX_KOBO), `must be at most ${MAX_KOBO}`);

/** A day (YYYY-MM-DD, UTC) or an ISO instant. */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const When = z
  .string()
  .trim()
  .refine((v) => DAY.test(v) || !Number.isNaN(Date.parse(v)), "must be a date (YYYY-MM-DD) or an ISO instant");

/** `from` is the start of its day; `to`, given as a day, includes that whole day. */
export function rangeStart(v: string | undefined): Date | undefined {
  return v === undefined ? undefined : new Date(DAY.test(v) ? `${v}T00:00:00Z` : v);
}
export function rangeEnd(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  if (!DAY.test(v)) return new Date(v);
  const d = new Date(`${v}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

const STATUS_RULE = `must be one or more of ${WIRE_STATUSES.join(", ")}, separated by commas`;
const StatusList = z
  .string()
  .refine((v) => v.split(",").every((s) => (WIRE_STATUSES as readonly string[]).includes(s.trim())), STATUS_RULE)
  .transform((v) => v.split(",").map((s) => s.trim()) as WireStatus[]);

export const PaymentFilterQuery = z.object({
  env: EnvParam,
  status: StatusList.optional().meta({ description: "Okra statuses, comma-separated (e.g. review or completed,success_pending_validation)" }),
  from: When.optional().meta({ description: "Created on or after (a day, UTC, or an instant)" }),
  to: When.optional().meta({ description: "Created before this instant, or on or before this day" }),
  amount_min: kobo("amount_min").optional().meta({ description: "Kobo, inclusive" }),
  amount_max: kobo("amount_max").optional().meta({ description: "Kobo, inclusive" }),
  customer: Id.optional().meta({ description: "A customer's id" }),
  bank: Id.optional().meta({ description: "The customer's bank (a bank id)" }),
  channel: z.enum(["api", "widget", "link"]).optional().meta({ description: "How it was made: api (pay/initiate), widget, link" }),
  type: z.enum(["one-time", "recurring", "garnish"]).optional(),
  link: Id.optional().meta({ description: "A payment link's id: its payments" }),
  consent: Id.optional().meta({ description: "A payment consent (mandate): the payments debited on it" }),
  mandate: Id.optional().meta({ description: "A recurring mandate's id: its charges" }),
  batch: Id.optional().meta({ description: "A bulk upload's (batch's) id: the payments it made" }),
  q: z.string().trim().max(200, "must be at most 200 characters").optional().meta({ description: "A payment id, bank reference or customer id, or the start of a customer's name or email" }),
});
export type PaymentFilterQuery = z.output<typeof PaymentFilterQuery>;

export const PaymentListQuery = PaymentFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(25).meta({ description: "Rows per page (1–100, default 25)" }),
  cursor: z.string().max(200).optional().meta({ description: "`next_cursor` of the previous page" }),
});

export const EnvQuery = z.object({ env: EnvParam });
export const IdParams = z.object({ id: Id });
export const PageQuery = z.object({ env: EnvParam, page: z.coerce.number().int().min(1).default(1), limit: z.coerce.number().int().min(1).max(100).default(25) });

/** Money-moving actions are sent with `confirm: true`: the page asked and the person said yes. */
const Confirm = z.literal(true, { error: "must be true: confirm this action (it moves money)" }).meta({ description: "true: the person confirmed" });

export const RefundBody = z.strictObject({ env: EnvParam, payment_id: Id, amount: Amount.optional().meta({ description: "Kobo; absent: all that is left" }), confirm: Confirm });
export const CancelBody = z.strictObject({ env: EnvParam, payment_id: Id });
export const ApproveBody = z.strictObject({ env: EnvParam, payment_id: Id, confirm: Confirm });
export const DeclineBody = z.strictObject({ env: EnvParam, payment_id: Id, reason: z.string().trim().max(200, "must be at most 200 characters").optional() });
export const ReviewSettingsBody = z.strictObject({
  env: EnvParam,
  threshold: Amount.nullable().meta({ description: "Kobo: payments above it wait in review; null: no review" }),
});

export const CreateLinkForm = CreateLinkBody.extend({ env: EnvParam });
export const LinkIdBody = z.strictObject({ env: EnvParam, id: Id });

export const PayoutBody = z.strictObject({
  env: EnvParam,
  amount: Amount,
  account_to_credit: Id.optional().meta({ description: "A receiving account; absent: the default one" }),
  confirm: Confirm,
});
export const StatsQuery = z.object({ env: EnvParam, from: When.optional(), to: When.optional() });

export const AdvanceClockForm = z.strictObject({
  ms: z.number({ error: "must be a number of milliseconds" }).int("must be whole milliseconds").min(1, "must be at least 1").max(366 * 24 * 3_600_000, "must be at most 366 days"),
});
export const TestWebhookBody = z.strictObject({ endpoint_id: Id });
