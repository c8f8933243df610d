import type { Updateable } from "kysely";
import type { AppContext } from "../context.js";
import type { Trx } from "../core/db.js";
import { appendHistory, machineStore, STATE_TRANSITIONS, transition, type MachineStore } from "../core/machine.js";
import type { GarnishmentsTable } from "../db/schema.js";
import { emitEvent } from "../events/emit.js";
import { garnishmentMachine, type GarnishmentState } from "./domain.js";
import { coveredMandates, moneyOf, type GarnishmentRow } from "./store.js";
import { garnishmentView } from "./views.js";

/**
 * How a garnishment changes state: its machine bound to the garnishments table and the one history
 * table, moved only by the kernel's compare-and-set {@link transition}. Every entry emits
 * `garnishment.<state>` with the recovery's view (money derived in the same transaction).
 */

export type GarnishmentActor = "api" | "customer" | "bank" | "scheduler" | "worker";

export const garnishmentStore: MachineStore<GarnishmentState, GarnishmentRow, AppContext, Trx> = machineStore({
  machine: garnishmentMachine as MachineStore<GarnishmentState, GarnishmentRow, AppContext, Trx>["machine"],
  table: "garnishments",
  stateColumn: "state",
  history: STATE_TRANSITIONS,
  afterEnter: (trx, e) => emitGarnishmentEvent(trx, e.row, `garnishment.${e.row.state}`, e.at, { reason: e.reason, ...(e.detail ?? {}) }),
});

/** `garnishment.<what>` with the recovery's view (plus `detail`: the sweep, the payment, why). */
export async function emitGarnishmentEvent(trx: Trx, row: GarnishmentRow, type: string, now: Date, detail?: Record<string, unknown>): Promise<void> {
  const view = garnishmentView(row, await moneyOf(trx, row.id), await coveredMandates(trx, row.id));
  await emitEvent(
    trx,
    {
      companyId: row.company_id,
      env: row.env,
      type,
      object: { type: "garnishment", id: row.id },
      data: { ...(view as unknown as Record<string, unknown>), ...(detail ? { detail } : {}) },
    },
    now,
  );
}

export async function recordGarnishmentCreated(trx: Trx, row: GarnishmentRow, actor: GarnishmentActor, reason: string, now: Date): Promise<void> {
  await appendHistory(trx, garnishmentStore, { object: "garnishment", id: row.id, from: null, to: row.state, actor, reason, detail: undefined, at: now });
  await emitGarnishmentEvent(trx, row, "garnishment.created", now, { reason });
}

/** Moves a recovery along its machine in the caller's transaction; undefined when it had moved (lost race). */
export async function moveGarnishment(
  trx: Trx,
  ctx: AppContext,
  row: GarnishmentRow,
  to: GarnishmentState,
  t: { actor: GarnishmentActor; reason: string; detail?: Record<string, unknown>; set?: Omit<Updateable<GarnishmentsTable>, "state" | "updated_at"> },
): Promise<GarnishmentRow | undefined> {
  const now = ctx.clock.now();
  const moved = await transition(trx, garnishmentStore, ctx, {
    id: row.id,
    from: row.state,
    to,
    set: { state_reason: t.reason, ...(garnishmentMachine.is.ended(to) ? { ended_at: now } : { ended_at: null }), ...(to === "active" && row.activated_at === null ? { activated_at: now } : {}), ...t.set, updated_at: now },
    actor: t.actor,
    reason: t.reason,
    ...(t.detail ? { detail: t.detail } : {}),
    at: now,
  });
  return moved.ok ? moved.row : undefined;
}
