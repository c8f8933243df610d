import type { AppContext } from "../../src/context.js";
import { deliveryJobKey, DELIVERY_JOB } from "../../src/events/queues.js";
import { webhookDeliveryJob, type WebhookJobOptions } from "../../src/events/worker.js";
import { JobRunner } from "../../src/jobs/runner.js";

/**
 * Webhook tests' view of delivery jobs: a job runner that delivers one tenant's webhooks (the
 * database is shared with other files), and a delivery's `webhooks.deliver` job (when it is due,
 * whether it is running) — the schedule that used to be columns of the delivery row.
 */

export interface DeliveryRunnerOptions extends WebhookJobOptions {
  /** Jobs at once (default 8). */
  concurrency?: number;
  /** Real-time pause between idle polls when started (default the runner's 1 s). */
  pollMs?: number;
}

export function deliveryRunner(ctx: AppContext, companyId: string, options: DeliveryRunnerOptions = {}): JobRunner {
  const { concurrency, pollMs, ...job } = options;
  return new JobRunner(ctx, [webhookDeliveryJob({ timeoutMs: 2_000, ...job })], { concurrency: concurrency ?? 8, companyIds: [companyId], pollMs });
}

export const jobOf = (ctx: AppContext, deliveryId: string) =>
  ctx.db.selectFrom("jobs").selectAll().where("name", "=", DELIVERY_JOB.name).where("key", "=", deliveryJobKey(deliveryId)).executeTakeFirst();

/** When a delivery is tried next: its queued job's due time; null when it has none (parked, finished) or it is running. */
export async function dueAt(ctx: AppContext, deliveryId: string): Promise<Date | null> {
  const job = await jobOf(ctx, deliveryId);
  return job?.state === "queued" ? job.run_at : null;
}

/** Whether a delivery has an open (queued or running) job: a pending delivery without one is parked. */
export async function hasOpenJob(ctx: AppContext, deliveryId: string): Promise<boolean> {
  const job = await jobOf(ctx, deliveryId);
  return job?.state === "queued" || job?.state === "running";
}
