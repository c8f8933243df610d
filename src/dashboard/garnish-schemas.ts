import { z } from "zod";
import { Id } from "../data/schemas.js";
import { GARNISHMENT_STATES, type GarnishmentState } from "../garnish/domain.js";
import { UpdateGarnishmentBody } from "../garnish/schemas.js";
import { EnvParam } from "../platform/schemas.js";

/**
 * Request contracts of the dashboard's garnishments pages (issue 16 item 5). Filters arrive in the
 * query string (the page keeps them in its URL); every action changes what is taken from a debtor,
 * so it needs `confirm: true`. Amount rules are the API's own (src/garnish, src/mandates schemas).
 */

const STATUS_RULE = `must be one or more of ${GARNISHMENT_STATES.join(", ")}, separated by commas`;
const StatusList = z
  .string()
  .refine((v) => v.split(",").every((s) => (GARNISHMENT_STATES as readonly string[]).includes(s.trim())), STATUS_RULE)
  .transform((v) => v.split(",").map((s) => s.trim()) as GarnishmentState[]);

export const GarnishListQuery = z.object({
  env: EnvParam,
  status: StatusList.optional().meta({ description: "Garnishment statuses, comma-separated (e.g. active,paused)" }),
  customer: Id.optional().meta({ description: "The debtor's customer id" }),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

const Confirm = z.literal(true, { error: "must be true: confirm this action (it changes what is taken from the debtor)" }).meta({ description: "true: the person confirmed" });

export const GarnishActionBody = z.strictObject({ env: EnvParam, id: Id, confirm: Confirm });

export const GarnishLowerBody = z
  .strictObject({
    env: EnvParam,
    id: Id,
    principal: UpdateGarnishmentBody.shape.principal,
    interest: UpdateGarnishmentBody.shape.interest,
    confirm: Confirm,
  })
  .refine((b) => b.principal !== undefined || b.interest !== undefined, { message: "send a lower principal or interest", path: ["principal"] });

export const GarnishParams = z.object({ id: Id });
export const GarnishDetailQuery = z.object({ env: EnvParam, page: z.coerce.number().int().min(1).default(1) });
