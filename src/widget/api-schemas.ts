import { z } from "zod";
import { ID_PATTERN } from "../lib/ids.js";
import { MAX_KOBO } from "../lib/kobo.js";
import { CUSTOMER_TOKEN_MAX_LENGTH } from "./customer-tokens.js";
import type {
  AuthoriseMandateRequest,
  AuthorisePaymentRequest,
  CancelPaymentRequest,
  CreateMandateRequest,
  ConnectRequest,
  CreatePaymentRequest,
  CreateSessionRequest,
  LoginRequest,
  MfaRequest,
  WithdrawMandateRequest,
} from "./protocol.js";

/**
 * The widget session API's request schemas (the contract is src/widget/protocol.ts; these are
 * its server-side check). Session creation takes the okra-js options object as the loader sent
 * it, so unknown keys are tolerated there (`hideCardOnExit`, `source`, `iframeData`, …) and so
 * is `null` for an option the merchant left empty; the other bodies are the widget's own and
 * strict: an unknown field is a 400 naming it.
 *
 * Messages never quote the value they refuse: a credential typed into the wrong field must not
 * come back in an error (or a log line).
 */

/** Longest statement the widget may ask for (months), and the default (okra-js `limit`). */
export const MAX_HISTORY_MONTHS = 24;
/** The merchant's free `options` object, as JSON, is kept on the record: bounded. */
export const MAX_OPTIONS_JSON_CHARS = 16 * 1024;

const Id = z.string().regex(ID_PATTERN, "must be a 24-character hex id");
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** An optional okra-js option: absent and `null` mean the same. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** The smallest payment the widget collects (kobo): ₦1.00, as `pay/link/create` (Okra: amount ≥ 100). */
export const MIN_PAYMENT_KOBO = 100;
/** The largest a payer may type or a charge may ask for (kobo): ₦100 billion, well inside a safe integer. */
export const MAX_PAYMENT_KOBO = Number(MAX_KOBO / 100n);
export const MAX_NOTE_CHARS = 200;

const koboAmount = (what: string) =>
  z
    .number(`must be an integer number of kobo (${what})`)
    .int(`must be an integer number of kobo, not a fraction (${what})`)
    .min(MIN_PAYMENT_KOBO, `must be at least ${MIN_PAYMENT_KOBO} kobo (₦1.00)`)
    .max(MAX_PAYMENT_KOBO, `must be at most ${MAX_PAYMENT_KOBO} kobo`);

/** A merchant's customer id may be a number in their system. */
const LooseId = z.union([text(200), z.number().finite()]).transform(String);

export const CreateSessionBody = z.looseObject({
  key: opt(text(200)),
  token: opt(text(200)),
  app_id: opt(text(100)),
  env: opt(text(40)),
  products: opt(z.array(text(40)).max(20, "must list at most 20 products")),
  short_url: opt(text(100)),
  ref: opt(text(100)),
  customer: opt(
    z.looseObject({
      token: opt(text(CUSTOMER_TOKEN_MAX_LENGTH)),
      id: opt(LooseId),
      bvn: opt(text(20)),
      phone: opt(text(40)),
      email: opt(text(254)),
      nin: opt(text(20)),
    }),
  ),
  options: opt(
    z
      .record(z.string(), z.unknown())
      .refine((o) => JSON.stringify(o).length <= MAX_OPTIONS_JSON_CHARS, `must be at most ${MAX_OPTIONS_JSON_CHARS / 1024} KB as JSON`),
  ),
  name: opt(text(100)),
  clientName: opt(text(100)),
  // Checked (and, when unusable, replaced by the app's) in the service: branding must not break a widget.
  logo: opt(text(110 * 1024)),
  color: opt(text(20)),
  filter: opt(
    z.looseObject({
      banks: opt(z.array(text(100)).max(200, "must list at most 200 banks")),
      industry_type: opt(text(60)),
    }),
  ),
  limit: opt(
    z
      .union([z.number(), z.string().regex(/^\d+$/, "must be a whole number of months")])
      .transform(Number)
      .pipe(
        z
          .number()
          .int("must be a whole number of months")
          .min(1, `must be from 1 to ${MAX_HISTORY_MONTHS} months`)
          .max(MAX_HISTORY_MONTHS, `must be from 1 to ${MAX_HISTORY_MONTHS} months`),
      ),
  ),
  isCorporate: opt(z.boolean()),
  account_type: opt(z.enum(["both", "individual", "corporate"])),
  payment: opt(z.boolean()),
  charge: opt(
    z.looseObject({
      type: opt(z.enum(["one-time", "recurring"], "must be one-time or recurring")),
      // null (or absent) leaves the amount to the payer; a string of digits is what a query string gives.
      amount: z
        .union([z.number(), z.string().regex(/^\d+$/, "must be an integer number of kobo")])
        .transform(Number)
        .pipe(koboAmount("e.g. 500000 for ₦5,000.00"))
        .nullish()
        .transform((v) => v ?? null),
      note: opt(text(MAX_NOTE_CHARS)),
      currency: opt(z.string().max(10, "must be a currency code such as NGN")),
      account: opt(text(100)),
    }),
  ),
  payment_link: opt(text(100)),
  mandate: opt(text(100)),
  account_to_debit: opt(text(100)),
});
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

export const LoginBody = z.strictObject({
  bank_id: Id,
  method: z.enum(["internet_banking", "mobile_banking", "account_number"]),
  identifier: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  // Not trimmed: a password may start or end with a space.
  secret: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  account_id: Id.optional(),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const MfaBody = z.strictObject({
  answer: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
});
export type MfaBody = z.infer<typeof MfaBody>;

/** An OTP or PIN as the customer typed it: digits only, so a typo never reaches the bank as a wrong try. */
const otpOrPin = z
  .string()
  .trim()
  .regex(/^\d{4,8}$/, "must be the 4 to 8 digits your bank sent or your PIN");

const PaymentAuthorizationBody = z
  .strictObject({ otp: otpOrPin.optional(), pin: otpOrPin.optional() })
  .refine((b) => (b.otp === undefined) !== (b.pin === undefined), { message: "send exactly one of otp or pin" });

export const ConnectBody = z.strictObject({
  account_ids: z
    .array(z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"))
    .min(1, "must name at least one account")
    .max(50, "must name at most 50 accounts"),
  consent: z.literal(true, "must be true: the customer has to agree before anything is shared"),
  payment_authorization: PaymentAuthorizationBody.optional(),
});
export type ConnectBody = z.infer<typeof ConnectBody>;

export const CreatePaymentBody = z.strictObject({
  account_id: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  amount: koboAmount("e.g. 500000 for ₦5,000.00").optional(),
});
export type CreatePaymentBody = z.infer<typeof CreatePaymentBody>;

export const AuthorisePaymentBody = z
  .strictObject({ payment_id: Id, otp: otpOrPin.optional(), pin: otpOrPin.optional() })
  .refine((b) => (b.otp === undefined) !== (b.pin === undefined), { message: "send exactly one of otp or pin", path: ["otp"] });
export type AuthorisePaymentBody = z.infer<typeof AuthorisePaymentBody>;

export const CancelPaymentBody = z.strictObject({ payment_id: Id });
export type CancelPaymentBody = z.infer<typeof CancelPaymentBody>;

export const PaymentParams = z.strictObject({ id: Id });

export const CreateMandateBody = z.strictObject({
  account_id: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
});
export type CreateMandateBody = z.infer<typeof CreateMandateBody>;

export const AuthoriseMandateBody = z
  // No mandate_id for a recurring payment link: its mandate is made by this authorisation.
  .strictObject({ mandate_id: Id.optional(), otp: otpOrPin.optional(), pin: otpOrPin.optional() })
  .refine((b) => (b.otp === undefined) !== (b.pin === undefined), { message: "send exactly one of otp or pin", path: ["otp"] });
export type AuthoriseMandateBody = z.infer<typeof AuthoriseMandateBody>;

export const WithdrawMandateBody = z.strictObject({ mandate_id: Id });
export type WithdrawMandateBody = z.infer<typeof WithdrawMandateBody>;

// The schemas accept what protocol.ts says the widget sends (checked by tsc).
type Accepts<Schema extends z.ZodType, Wire> = Wire extends z.input<Schema> ? true : never;
const _contract: [
  Accepts<typeof CreateSessionBody, CreateSessionRequest>,
  Accepts<typeof LoginBody, LoginRequest>,
  Accepts<typeof MfaBody, MfaRequest>,
  Accepts<typeof ConnectBody, ConnectRequest>,
  Accepts<typeof CreatePaymentBody, CreatePaymentRequest>,
  Accepts<typeof AuthorisePaymentBody, AuthorisePaymentRequest>,
  Accepts<typeof CancelPaymentBody, CancelPaymentRequest>,
  Accepts<typeof CreateMandateBody, CreateMandateRequest>,
  Accepts<typeof AuthoriseMandateBody, AuthoriseMandateRequest>,
  Accepts<typeof WithdrawMandateBody, WithdrawMandateRequest>,
] = [true, true, true, true, true, true, true, true, true, true];
void _contract;
