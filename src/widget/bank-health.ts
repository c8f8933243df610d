import type { ConnectorOperation } from "../banks/connector.js";
import { inMaintenance } from "../banks/sandbox/profiles.js";
import type { FaultSettings, SandboxBankProfile } from "../banks/sandbox/types.js";
import type { AppContext } from "../context.js";
import type { Env } from "../db/schema.js";
import type { BankHealth } from "./protocol.js";

/**
 * How a bank looks to the widget right now: healthy, degraded (works, but slowly or with errors:
 * warn) or down (blocked: offer another bank), with a sentence saying why.
 *
 * Production: the directory's status (`banks.status`, set by health checks). Sandbox: that, then
 * what this company's sandbox world says — its maintenance windows at the realm's sandbox time,
 * and the faults the developer injected. Computed per request and per company: one company's
 * injected faults never colour another's bank list.
 */
export interface HealthView {
  health: BankHealth;
  message: string | null;
}

export interface HealthInput {
  id: string;
  name: string;
  /** The directory's status (`banks.status`). */
  status: BankHealth;
}

/** The operations a widget connection uses: faults limited to other operations do not affect it. */
const WIDGET_OPERATIONS: readonly ConnectorOperation[] = ["startLogin", "answerMfa", "listAccounts", "getBalance", "listTransactions", "getIdentity"];

/** A bank whose own calls take this long (ms, after the latency scale) is "often slow": degraded. */
const SLOW_BANK_MS = 1000;

const LAGOS_OFFSET_MS = 3_600_000;

/** "02:00 WAT" when `at` is within a day of `now`, else "2025-01-03 02:00 WAT" (Lagos time). */
export function lagosTime(at: Date, now: Date): string {
  const local = new Date(at.getTime() + LAGOS_OFFSET_MS).toISOString();
  const hhmm = local.slice(11, 16);
  return at.getTime() - now.getTime() < 86_400_000 ? `${hhmm} WAT` : `${local.slice(0, 10)} ${hhmm} WAT`;
}

function directoryHealth(bank: HealthInput): HealthView {
  switch (bank.status) {
    case "down":
      return { health: "down", message: `${bank.name} is not available at the moment; choose another bank or try again later` };
    case "degraded":
      return { health: "degraded", message: `${bank.name} is slow or failing at the moment; connecting may take longer or fail` };
    case "healthy":
      return { health: "healthy", message: null };
  }
}

function sandboxHealth(
  bank: HealthInput,
  profile: SandboxBankProfile | undefined,
  settings: FaultSettings | undefined,
  now: Date,
  latencyScale: number,
): HealthView {
  if (profile) {
    const maintenance = inMaintenance(profile, now);
    if (maintenance.down) {
      const until = maintenance.until ? ` until ${lagosTime(maintenance.until, now)}` : "";
      return { health: "down", message: `${bank.name} is down for maintenance${until}; choose another bank or try again later` };
    }
  }
  const applies = !settings?.operations || settings.operations.some((op) => WIDGET_OPERATIONS.includes(op));
  if (settings && applies) {
    if (settings.down) return { health: "down", message: `${bank.name} is down at the moment; choose another bank or try again later` };
    const window = settings.downtime?.find((w) => Date.parse(w.from) <= now.getTime() && now.getTime() < Date.parse(w.to));
    if (window) {
      return { health: "down", message: `${bank.name} is down until ${lagosTime(new Date(window.to), now)}; choose another bank or try again later` };
    }
    if ((settings.errorRate ?? 0) > 0 || (settings.timeoutRate ?? 0) > 0 || settings.rateLimitPerMinute !== undefined) {
      return { health: "degraded", message: `${bank.name} is failing some requests at the moment; connecting may not work first time` };
    }
  }
  if (settings && (settings.latencyMs ?? 0) > 0) {
    return { health: "degraded", message: `${bank.name} is slow at the moment; connecting may take longer` };
  }
  if (profile && profile.baseLatencyMs * latencyScale >= SLOW_BANK_MS) {
    return { health: "degraded", message: `${bank.name} is often slow; connecting may take longer` };
  }
  return directoryHealth(bank);
}

/**
 * The health of each bank for one company in one environment. Never throws: when the sandbox
 * bank's controls cannot be read (the `okro sandbox-bank` service is unreachable), the banks are
 * shown as degraded rather than failing the whole list.
 */
export async function bankHealth(
  ctx: Pick<AppContext, "sandbox" | "config">,
  env: Env,
  companyId: string,
  banks: readonly HealthInput[],
): Promise<Map<string, HealthView>> {
  const out = new Map<string, HealthView>();
  if (env === "production") {
    for (const bank of banks) out.set(bank.id, directoryHealth(bank));
    return out;
  }
  let faults: Map<string, FaultSettings>;
  let now: Date;
  try {
    const [list, clock] = await Promise.all([ctx.sandbox.getFaults(companyId), ctx.sandbox.getClock(companyId)]);
    faults = new Map(list.map((f) => [f.bankId, f.settings]));
    now = new Date(clock.now);
  } catch {
    for (const bank of banks) {
      out.set(bank.id, { health: "degraded", message: `${bank.name}'s status is unknown at the moment; connecting may not work` });
    }
    return out;
  }
  const profiles = new Map(ctx.sandbox.banks().map((p) => [p.bankId, p]));
  // The in-process sandbox scales its banks' own latency (0 in tests: instant); a remote sandbox
  // bank's scale is its own, so the profile is taken as it is.
  const scale = ctx.config.sandboxBank.url ? 1 : ctx.config.sandboxBank.latencyScale;
  for (const bank of banks) {
    const own = directoryHealth(bank);
    // A bank the directory marks down stays down whatever the sandbox says.
    out.set(bank.id, own.health === "down" ? own : sandboxHealth(bank, profiles.get(bank.id), faults.get(bank.id), now, scale));
  }
  return out;
}
