import { z } from "zod";
import { Id } from "../data/schemas.js";
import { MANDATE_STATES, type MandateState } from "../mandates/domain.js";
import { EnvParam } from "../platform/schemas.js";

/**
 * Request contracts of the dashboard's mandates pages (issue 16 item 3). Filters arrive in the
 * query string (the page keeps them in its URL); pause/resume/cancel need `confirm: true` (they
 * change what will be debited from a customer).
 */

const STATUS_RULE = `must be one or more of ${MANDATE_STATES.join(", ")}, separated by commas`;
const StatusList = z
  .string()
  .refine((v) => v.split(",").every((s) => (MANDATE_STATES as readonly string[]).includes(s.trim())), STATUS_RULE)
  .transform((v) => v.split(",").map((s) => s.trim()) as MandateState[]);

export const MandateListQuery = z.object({
  env: EnvParam,
  status: StatusList.optional().meta({ description: "Mandate statuses, comma-separated (e.g. active,paused)" }),
  customer: Id.optional().meta({ description: "A customer's id" }),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

const Confirm = z.literal(true, { error: "must be true: confirm this action (it changes what is debited)" }).meta({ description: "true: the person confirmed" });

export const MandateActionBody = z.strictObject({ env: EnvParam, mandate_id: Id, confirm: Confirm });
export const MandateParams = z.object({ id: Id });
export const MandateEnvQuery = z.object({ env: EnvParam });
