import { setTimeout as sleep } from "node:timers/promises";
import {
  ConnectorError,
  MUTATING_OPERATIONS,
  isConnectorError,
  type BankConnector,
  type BankNetwork,
  type CallOptions,
  type ConnectorContext,
  type ConnectorOperation,
} from "../connector.js";
import type { FaultPlan, OpRequest, OpResult, SandboxEngine } from "./types.js";
import { DispatchingConnector } from "./dispatching-connector.js";

/** How long a call may take when the caller gives no `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface InProcessConnectorOptions {
  /** Timeout of calls made without `timeoutMs` (default {@link DEFAULT_TIMEOUT_MS}). */
  defaultTimeoutMs?: number;
}

/**
 * A sandbox bank reached in-process: each call asks the engine which fault applies
 * ({@link SandboxEngine.planFault}) and plays it out with sleeps and thrown errors, the way a
 * connector over a network would experience it, before (or instead of) running the operation.
 *
 * - the plan's delay is slept first and counts against the call's timeout;
 * - `error`, `down` and `rate_limited` throw `retryable` / `rate_limited`, and nothing happens;
 * - `timeout` waits out the call's timeout and throws `timeout`; nothing happens;
 * - `lost_response` runs a mutating operation, drops its result and throws `timeout` (for reads
 *   it is a plain `timeout`);
 * - an operation still running when the call's time is up is abandoned with `timeout`: it may
 *   yet complete, which is exactly what `timeout` tells the caller.
 *
 * Whatever else the engine throws (a database failure, a bug) surfaces as `retryable` with the
 * original error as `cause`, never as itself.
 */
export class InProcessConnector extends DispatchingConnector {
  readonly #engine: SandboxEngine;
  readonly #realm: string;
  readonly #defaultTimeoutMs: number;

  constructor(
    engine: SandboxEngine,
    readonly bankId: string,
    realm: string,
    options: InProcessConnectorOptions = {},
  ) {
    super();
    this.#engine = engine;
    this.#realm = realm;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  protected async call<O extends ConnectorOperation>(op: O, request: OpRequest<O>, options: CallOptions | undefined): Promise<OpResult<O>> {
    const deadline = new Deadline(options?.timeoutMs ?? this.#defaultTimeoutMs);
    const plan = await deadline.race(this.#engine.planFault(this.#realm, this.bankId, op));
    if (plan.delayMs >= deadline.remainingMs()) return deadline.expire();
    if (plan.delayMs > 0) await sleep(plan.delayMs);
    return this.#playOut(op, request, plan, deadline);
  }

  async #playOut<O extends ConnectorOperation>(op: O, request: OpRequest<O>, plan: FaultPlan, deadline: Deadline): Promise<OpResult<O>> {
    const run = () => this.#engine.run(this.#realm, this.bankId, op, request);
    switch (plan.outcome) {
      case "none":
        return deadline.race(run(), op);
      case "error":
      case "down":
      case "rate_limited":
        throw faultRefusal(plan.outcome, plan);
      case "lost_response":
        if (MUTATING_OPERATIONS.has(op)) {
          // The bank acts; its answer, whatever it was, never reaches the caller.
          await deadline.race(run()).catch(() => undefined);
          throw new ConnectorError("timeout", "the bank's answer was lost; the outcome is unknown");
        }
        return deadline.expire();
      case "timeout":
        return deadline.expire();
    }
  }
}

/**
 * The sandbox bank network in-process: one {@link InProcessConnector} per bank and realm,
 * created on first use and kept.
 */
export class InProcessSandboxNetwork implements BankNetwork {
  readonly #engine: SandboxEngine;
  readonly #options: InProcessConnectorOptions;
  readonly #connectors = new Map<string, InProcessConnector>();

  constructor(engine: SandboxEngine, options: InProcessConnectorOptions = {}) {
    this.#engine = engine;
    this.#options = options;
  }

  supports(bankId: string): boolean {
    return this.#engine.profile(bankId) !== undefined;
  }

  connector(bankId: string, context: ConnectorContext): BankConnector | undefined {
    if (!this.supports(bankId)) return undefined;
    const key = JSON.stringify([context.realm, bankId]);
    let connector = this.#connectors.get(key);
    if (!connector) {
      connector = new InProcessConnector(this.#engine, bankId, context.realm, this.#options);
      this.#connectors.set(key, connector);
    }
    return connector;
  }
}

const timeoutError = () => new ConnectorError("timeout", "the bank did not answer in time; the outcome is unknown");

/** The outcomes of a fault plan in which the bank refuses the call and does nothing. */
export type RefusingOutcome = Extract<FaultPlan["outcome"], "error" | "down" | "rate_limited">;

/** The error a refusing fault means, the same for every transport. */
export function faultRefusal(outcome: RefusingOutcome, plan: FaultPlan): ConnectorError {
  const retryAfter = plan.retryAfterMs !== undefined ? { retryAfterMs: plan.retryAfterMs } : {};
  switch (outcome) {
    case "error":
      return new ConnectorError("retryable", "the bank failed to process the request; nothing was done");
    case "down":
      return new ConnectorError("retryable", plan.message ?? "the bank is down", retryAfter);
    case "rate_limited":
      return new ConnectorError("rate_limited", "too many requests to the bank", retryAfter);
  }
}

/**
 * Maps anything the engine throws that is not a ConnectorError (a database failure, a bug),
 * keeping it as `cause`: `retryable` for reads, `timeout` for money movements and mandates —
 * a failure at commit time may have moved the money, so the outcome is unknown: re-query.
 */
function asConnectorError(error: unknown, op: ConnectorOperation | undefined): ConnectorError {
  if (isConnectorError(error)) return error;
  const wrapped =
    op && MUTATING_OPERATIONS.has(op)
      ? new ConnectorError("timeout", "sandbox bank internal error; the outcome is unknown")
      : new ConnectorError("retryable", "sandbox bank internal error");
  wrapped.cause = error;
  return wrapped;
}

/** A call's time budget, counted from construction. */
class Deadline {
  readonly #endsAt: number;

  constructor(timeoutMs: number) {
    this.#endsAt = performance.now() + Math.max(0, timeoutMs);
  }

  remainingMs(): number {
    return Math.max(0, this.#endsAt - performance.now());
  }

  /** Waits out the rest of the budget, then throws `timeout`. */
  async expire(): Promise<never> {
    await sleep(this.remainingMs());
    throw timeoutError();
  }

  /**
   * The engine's answer, unless the budget runs out first (then `timeout`; the engine's work is
   * left to finish unobserved). Engine failures become ConnectorErrors.
   */
  async race<T>(work: Promise<T>, op?: ConnectorOperation): Promise<T> {
    const guarded = work.catch((error: unknown) => {
      throw asConnectorError(error, op);
    });
    const abandon = new AbortController();
    const expiry = sleep(this.remainingMs(), undefined, { signal: abandon.signal }).then(() => {
      throw timeoutError();
    });
    try {
      return await Promise.race([guarded, expiry]);
    } finally {
      // Stops the timer; the race already observes `expiry`, so its rejection is handled.
      abandon.abort();
    }
  }
}
