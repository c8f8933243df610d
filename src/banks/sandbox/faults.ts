import { z } from "zod";
import { CONNECTOR_OPERATIONS, type ConnectorOperation } from "../connector.js";
import { inMaintenance } from "./profiles.js";
import type { FaultPlan, FaultSettings, SandboxBankProfile } from "./types.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const rate = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
const ms = (max: number, what: string) =>
  z.number().int("must be a whole number of milliseconds").min(0, "must not be negative").max(max, `must be at most ${what}`);
const instant = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO date-time");

/** Fault settings as the admin API accepts them (unknown fields refused). */
export const FaultSettingsSchema = z
  .object({
    latencyMs: ms(DAY_MS, "24 hours").optional(),
    errorRate: rate.optional(),
    timeoutRate: rate.optional(),
    lostResponseRate: rate.optional(),
    pendingRate: rate.optional(),
    failRate: rate.optional(),
    pendingMs: ms(365 * DAY_MS, "365 days").optional(),
    rateLimitPerMinute: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000).optional(),
    down: z.boolean().optional(),
    downtime: z
      .array(z.object({ from: instant, to: instant }).strict().refine((w) => Date.parse(w.from) < Date.parse(w.to), { message: "must end after it starts", path: ["to"] }))
      .max(50, "must have at most 50 windows")
      .optional(),
    mandateActivationDelayMs: ms(365 * DAY_MS, "365 days").optional(),
    operations: z.array(z.enum(CONNECTOR_OPERATIONS)).min(1, "must name at least one operation").optional(),
  })
  .strict() satisfies z.ZodType<FaultSettings>;

/** Default time a pending transfer takes to settle, and a new mandate to activate (sandbox ms). */
export const DEFAULT_PENDING_MS = 60_000;
export const DEFAULT_MANDATE_ACTIVATION_MS = 5 * 60_000;

/**
 * Counts the calls a bank let through per realm in a sliding minute, for `rateLimitPerMinute`.
 * Per process (each Okro or sandbox-bank process counts its own calls). Refused calls are not
 * counted, so a client that keeps polling gets through again once the minute has moved on.
 */
export class CallCounter {
  readonly #calls = new Map<string, number[]>();
  /** Lets a call through at `now` if fewer than `limit` were let through in the minute before. */
  tryHit(key: string, now: number, limit: number): boolean {
    const recent = (this.#calls.get(key) ?? []).filter((t) => t > now - 60_000);
    const allowed = recent.length < limit;
    if (allowed) recent.push(now);
    if (recent.length > 0) this.#calls.set(key, recent);
    else this.#calls.delete(key);
    return allowed;
  }
}

export interface PlanInput {
  settings: FaultSettings;
  profile: SandboxBankProfile;
  op: ConnectorOperation;
  /** The realm's sandbox time. */
  now: Date;
  /** Multiplies the bank's own latency (0 in fast tests; injected latency is never scaled). */
  latencyScale: number;
  /** Uniform [0, 1). */
  random: () => number;
  /** Whether one more call fits in the bank's rate limit (records it when it does). */
  withinRateLimit: (limit: number) => boolean;
}

/**
 * Decides what happens to one call: the bank's latency, its maintenance window, then the realm's
 * injected faults in order (down, rate limit, error, timeout, lost response). Pure given its
 * inputs.
 */
export function planFault(input: PlanInput): FaultPlan {
  const { settings, profile, op, now } = input;
  const own = (profile.baseLatencyMs + input.random() * profile.jitterMs) * input.latencyScale;
  const delayMs = Math.round(own + (settings.latencyMs ?? 0));

  const maintenance = inMaintenance(profile, now);
  if (maintenance.down) {
    return {
      delayMs,
      outcome: "down",
      retryAfterMs: maintenance.until ? maintenance.until.getTime() - now.getTime() : 60_000,
      message: `${profile.name} is down for end-of-day processing`,
    };
  }
  const applies = !settings.operations || settings.operations.includes(op);
  if (!applies) return { delayMs, outcome: "none" };

  if (settings.down) return { delayMs, outcome: "down", retryAfterMs: 60_000, message: `${profile.name} is down` };
  const window = settings.downtime?.find((w) => Date.parse(w.from) <= now.getTime() && now.getTime() < Date.parse(w.to));
  if (window) {
    return { delayMs, outcome: "down", retryAfterMs: Date.parse(window.to) - now.getTime(), message: `${profile.name} is down until ${window.to}` };
  }
  if (settings.rateLimitPerMinute !== undefined && !input.withinRateLimit(settings.rateLimitPerMinute)) {
    return { delayMs, outcome: "rate_limited", retryAfterMs: 60_000 };
  }
  if (hit(settings.errorRate, input.random)) return { delayMs, outcome: "error" };
  if (hit(settings.timeoutRate, input.random)) return { delayMs, outcome: "timeout" };
  if (hit(settings.lostResponseRate, input.random)) return { delayMs, outcome: "lost_response" };
  return { delayMs, outcome: "none" };
}

const hit = (p: number | undefined, random: () => number) => p !== undefined && p > 0 && random() < p;
