import { BULK_JOBS } from "./bulk/service.js";
import { webhookDeliveryJob, type WebhookJobOptions } from "./events/worker.js";
import { GARNISH_JOBS } from "./garnish/sweeps.js";
import type { AnyJobDefinition } from "./jobs/define.js";
import { HOUSEKEEPING_JOBS } from "./jobs/housekeeping.js";
import { MANDATE_JOBS } from "./mandates/charges.js";
import { PAYMENT_JOBS } from "./payments/jobs.js";

/**
 * Every kind of background work, as the one job runner in `okro serve` and `okro worker` runs it
 * (docs/decisions/0012-one-job-runner.md). A feature with deferred work adds its definitions here,
 * once, instead of in each process that starts a runner.
 */
export function backgroundJobs(options: Pick<WebhookJobOptions, "logger" | "registry"> = {}): AnyJobDefinition[] {
  return [...PAYMENT_JOBS, ...MANDATE_JOBS, ...GARNISH_JOBS, ...BULK_JOBS, ...HOUSEKEEPING_JOBS, webhookDeliveryJob(options)];
}
