import type { Updateable } from "kysely";
import type { Trx } from "../core/db.js";
import type { AppContext } from "../context.js";
import { appendHistory, machineStore, transition, type MachineStore, STATE_TRANSITIONS } from "../core/machine.js";
import type { MandatesTable } from "../db/schema.js";
import { emitEvent } from "../events/emit.js";
import { mandateMachine, type MandateState } from "./domain.js";
import type { MandateRow } from "./store.js";
import { mandateView } from "./views.js";

/**
 * How a mandate changes state: its machine (domain.ts) bound to the mandates table and the one
 * history table, moved only by the kernel's compare-and-set {@link transition}. Every entry emits
 * `mandate.<state>` with the mandate's view, in the transaction of the move.
 */

export type MandateActor = "api" | "customer" | "bank" | "scheduler" | "worker";


export const mandateStore: MachineStore<MandateState, MandateRow, AppContext, Trx> = machineStore({
  machine: mandateMachine as MachineStore<MandateState, MandateRow, AppContext, Trx>["machine"],
  table: "mandates",
  stateColumn: "state",
  history: STATE_TRANSITIONS,
  afterEnter: (trx, e) => emitMandateEvent(trx, e.row, `mandate.${e.row.state}`, e.at, { reason: e.reason, ...(e.detail ?? {}) }),
});

/** `mandate.<what>` with the mandate's view (plus `detail`: the cycle, the retry, why). */
export async function emitMandateEvent(trx: Trx, row: MandateRow, type: string, now: Date, detail?: Record<string, unknown>): Promise<void> {
  await emitEvent(
    trx,
    {
      companyId: row.company_id,
      env: row.env,
      type,
      object: { type: "mandate", id: row.id },
      data: { ...(mandateView(row) as unknown as Record<string, unknown>), ...(detail ? { detail } : {}) },
    },
    now,
  );
}

/** The creation row of a mandate's history, and `mandate.created`. */
export async function recordMandateCreated(trx: Trx, row: MandateRow, actor: MandateActor, reason: string, now: Date): Promise<void> {
  await appendHistory(trx, mandateStore, { object: "mandate", id: row.id, from: null, to: row.state, actor, reason, detail: undefined, at: now });
  await emitMandateEvent(trx, row, "mandate.created", now, { reason });
}

/** Moves a mandate along its machine in the caller's transaction; undefined when it had moved (lost race). */
export async function moveMandate(
  trx: Trx,
  ctx: AppContext,
  row: MandateRow,
  to: MandateState,
  t: { actor: MandateActor; reason: string; detail?: Record<string, unknown>; set?: Omit<Updateable<MandatesTable>, "state" | "updated_at"> },
): Promise<MandateRow | undefined> {
  const now = ctx.clock.now();
  const ending = mandateMachine.isTerminal(to);
  const moved = await transition(trx, mandateStore, ctx, {
    id: row.id,
    from: row.state,
    to,
    set: { state_reason: t.reason, ...(ending ? { ended_at: now } : {}), ...t.set, updated_at: now },
    actor: t.actor,
    reason: t.reason,
    ...(t.detail ? { detail: t.detail } : {}),
    at: now,
  });
  return moved.ok ? moved.row : undefined;
}
