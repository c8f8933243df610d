import { z } from "zod";
import { invalidRequest, Secret, type ConnectorOperation } from "../connector.js";

/**
 * What the sandbox bank accepts for each connector operation. Requests can arrive over HTTP as
 * any JSON at all, so every field is checked here and refused as `rejected` / `invalid_request`
 * naming the field, never a crash and never a partial effect.
 */

/** Largest page of transactions the sandbox banks return; larger `limit`s are capped. */
export const MAX_PAGE = 500;

const secret = z.instanceof(Secret, { message: "must be given" });
const session = z.object({ token: secret, expiresAt: z.string().optional() });
const kobo = z
  .number({ message: "must be a number of kobo" })
  .refine((n) => Number.isSafeInteger(n) && n > 0, "must be a positive whole number of kobo (at most 2^53 - 1)");
const currency = z.string({ message: "must be a currency code" }).refine((c) => c === "NGN", "must be NGN (the sandbox banks hold naira)");
const reference = z
  .string({ message: "must be a string" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of letters, digits, '-' and '_'");
const narration = z.string({ message: "must be a string" }).max(140, "must be at most 140 characters");
const accountId = z.string({ message: "must be a string" }).min(1, "must not be empty").max(64);
const accountRef = z.object({ bankId: z.string().regex(/^[0-9a-f]{24}$/, "must be a bank id"), nuban: z.string().regex(/^\d{10}$/, "must be a 10-digit NUBAN") });
const authorization = z
  .object({ otp: secret.optional(), pin: secret.optional() })
  .refine((a) => a.otp !== undefined || a.pin !== undefined, "needs an otp or a pin");
const isoInstant = z.string().refine((s) => isDateOrInstant(s), "must be an ISO date (YYYY-MM-DD) or date-time");
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date (YYYY-MM-DD)").refine((s) => !Number.isNaN(Date.parse(s)), "must be a real date");

function isDateOrInstant(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(s) && !Number.isNaN(Date.parse(s));
}

export const RequestSchemas = {
  startLogin: z.object({
    credentials: z.object({
      method: z.enum(["internet_banking", "mobile_banking", "account_number"], { message: "must be internet_banking, mobile_banking or account_number" }),
      identifier: z.string({ message: "must be a string" }).trim().min(1, "must not be empty").max(128, "is too long"),
      secret,
    }),
  }),
  answerMfa: z.object({ session, answer: secret }),
  listAccounts: z.object({ session }),
  getBalance: z.object({ session, accountId }),
  listTransactions: z.object({
    session,
    accountId,
    from: isoInstant,
    to: isoInstant,
    cursor: z.string().max(512).optional(),
    /** Capped at {@link MAX_PAGE}, as the connector interface allows. */
    limit: z.number().int("must be a whole number").min(1, "must be at least 1").transform((n) => Math.min(n, MAX_PAGE)).optional(),
  }),
  getIdentity: z.object({ session }),
  debit: z.object({ session, accountId, amount: kobo, currency, reference, narration, authorization, destination: accountRef.optional() }),
  debitStatus: z.object({ reference }),
  // Strict: a `source` is refused, not ignored — credits never take a customer's money.
  credit: z.strictObject({ amount: kobo, currency, reference, narration, destination: accountRef }, { message: "is not a field of a credit (credits are paid from the bank's own account)" }),
  creditStatus: z.object({ reference }),
  createMandate: z
    .object({
      session,
      accountId,
      reference,
      maxAmount: kobo,
      currency,
      startDate: isoDay,
      endDate: isoDay.optional(),
      narration,
      authorization,
      destination: accountRef.optional(),
    })
    .refine((m) => !m.endDate || m.endDate >= m.startDate, { message: "must not be before startDate", path: ["endDate"] }),
  getMandate: z.union([z.object({ mandateId: z.string().regex(/^[0-9a-f]{24}$/, "must be a mandate id") }), z.object({ reference })], {
    message: "needs a mandateId or a reference",
  }),
  cancelMandate: z.object({ mandateId: z.string().regex(/^[0-9a-f]{24}$/, "must be a mandate id") }),
  mandateBalance: z.object({ mandateId: z.string().regex(/^[0-9a-f]{24}$/, "must be a mandate id") }),
  debitMandate: z.object({
    mandateId: z.string().regex(/^[0-9a-f]{24}$/, "must be a mandate id"),
    amount: kobo,
    currency,
    reference,
    narration,
  }),
} satisfies Record<ConnectorOperation, z.ZodType>;

export type ParsedRequest<O extends ConnectorOperation> = z.infer<(typeof RequestSchemas)[O]>;

/** Checks a request; throws `rejected` / `invalid_request` naming the first bad field. */
export function parseRequest<O extends ConnectorOperation>(op: O, request: unknown): ParsedRequest<O> {
  if (request === null || typeof request !== "object") throw invalidRequest("request", "must be an object");
  const result = RequestSchemas[op].safeParse(request);
  if (result.success) return result.data as ParsedRequest<O>;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join(".") : "request";
  const missing = issue.code === "invalid_type" && (issue as { input?: unknown }).input === undefined;
  throw invalidRequest(field, missing ? "is required" : issue.message);
}
