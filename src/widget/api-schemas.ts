import { z } from "zod";
import { ID_PATTERN } from "../lib/ids.js";
import type { ConnectRequest, CreateSessionRequest, LoginRequest, MfaRequest } from "./protocol.js";

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

export const ConnectBody = z.strictObject({
  account_ids: z
    .array(z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"))
    .min(1, "must name at least one account")
    .max(50, "must name at most 50 accounts"),
  consent: z.literal(true, "must be true: the customer has to agree before anything is shared"),
});
export type ConnectBody = z.infer<typeof ConnectBody>;

// The schemas accept what protocol.ts says the widget sends (checked by tsc).
type Accepts<Schema extends z.ZodType, Wire> = Wire extends z.input<Schema> ? true : never;
const _contract: [
  Accepts<typeof CreateSessionBody, CreateSessionRequest>,
  Accepts<typeof LoginBody, LoginRequest>,
  Accepts<typeof MfaBody, MfaRequest>,
  Accepts<typeof ConnectBody, ConnectRequest>,
] = [true, true, true, true];
void _contract;
