import type { AppContext } from "../../context.js";
import { OkroError } from "../../core/errors.js";
import { shiftSandboxSchedules } from "../../events/events.js";
import { shiftSandboxJobs } from "../../jobs/store.js";
import { faultsView, MAX_CLOCK_ADVANCE_MS } from "./schemas.js";
import { SandboxAdminError, SandboxUnavailableError, type BankFaults, type SandboxClockView } from "./types.js";

/**
 * The sandbox controls behind both the API (`/v2/sandbox/*`, routes.ts) and the dashboard's
 * sandbox tools: advancing a realm's clock, checking bank ids, and turning the sandbox admin's
 * refusals into the API's errors. One copy, so the dashboard's buttons do exactly what the API does.
 */

/**
 * Moves the realm's clock forward by `ms`, or to the instant `to`. Webhook schedules and jobs run
 * on the process clock: the realm's pending sandbox deliveries and queued sandbox jobs (payment
 * re-queries and settlements, consent activations, refund and payout credits) move back by as
 * much, so what fell due in the skipped time runs now.
 */
export async function advanceSandboxClock(ctx: AppContext, realm: string, by: { ms: number } | { to: string }): Promise<SandboxClockView> {
  const ms = "ms" in by ? by.ms : await msUntil(ctx, realm, by.to);
  const clock = await admin(() => ctx.sandbox.advanceClock(realm, ms));
  await shiftSandboxSchedules(ctx.db, realm, ms);
  await shiftSandboxJobs(ctx.db, realm, ms);
  return clock;
}

/** How far the realm's clock must move to reach `to`: in the future, within one advance. */
async function msUntil(ctx: AppContext, realm: string, to: string): Promise<number> {
  const { now } = await admin(() => ctx.sandbox.getClock(realm));
  const ms = Date.parse(to) - Date.parse(now);
  if (ms <= 0) throw new OkroError("INVALID_FIELD", `to: must be after your sandbox's current time (${now}); time never goes back`, { field: "to" });
  if (ms > MAX_CLOCK_ADVANCE_MS) throw new OkroError("INVALID_FIELD", `to: must be at most 366 days after your sandbox's current time (${now})`, { field: "to" });
  return ms;
}

/** Refuses bank ids that are not in the sandbox network (400, naming the field). */
export function assertSandboxBanks(ctx: AppContext, banks: ReadonlyArray<readonly [bankId: string, field: string]>): void {
  const known = new Set(ctx.sandbox.banks().map((b) => b.bankId));
  for (const [bankId, field] of banks) {
    if (!known.has(bankId)) {
      throw new OkroError("INVALID_FIELD", `${field}: not a sandbox bank; list them with POST /v2/sandbox/banks`, { field });
    }
  }
}

export function viewsOf(ctx: AppContext, faults: BankFaults[]) {
  const names = new Map(ctx.sandbox.banks().map((b) => [b.bankId, b.name]));
  return faults.map((f) => faultsView(f, names.get(f.bankId) ?? f.bankId));
}

/** The admin's field names where they differ from this API's. */
const ADMIN_FIELDS: Record<string, string> = { bankId: "bank" };

/**
 * Runs an admin call, turning its refusals into the API's errors: INVALID_FIELD (400),
 * NOT_FOUND (404) and CONFLICT (409), with a message that starts with the field at fault
 * (renamed by `rename`, e.g. to a single object's bare field names).
 */
export async function admin<T>(call: () => Promise<T>, rename: (field: string) => string = (field) => field): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SandboxUnavailableError) {
      throw new OkroError("SERVICE_UNAVAILABLE", "The sandbox bank network is unreachable right now; try again shortly");
    }
    if (!(error instanceof SandboxAdminError)) throw error;
    const field = error.field === undefined ? undefined : rename(ADMIN_FIELDS[error.field] ?? error.field);
    const message = !error.field || !field
      ? error.message
      : error.message.startsWith(`${error.field}:`)
        ? `${field}${error.message.slice(error.field.length)}`
        : `${field}: ${error.message}`;
    throw new OkroError(error.code, message, field ? { field } : {});
  }
}

