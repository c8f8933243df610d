import type { Transaction } from "kysely";
import type { AppContext } from "../context.js";
import type { DB } from "../db/schema.js";
import type { PaymentState } from "./domain.js";
import type { PaymentRow } from "./types.js";

/**
 * Modules built on payments (bulk batches now; schedules and recoveries next) learn a payment's
 * moves here, in the transaction of the move — the same way the payment's own event is written —
 * so their rows change exactly when the payment does, with no polling and no import of theirs
 * from payments (they register; payments never imports them).
 *
 * An observer runs after the payment's history, ledger effects and event; it must be cheap for
 * payments that are not its own (one indexed lookup), and it throws only for a real error (the
 * move then rolls back with it). Register at module load of the observing module; every process
 * that moves payments loads the modules that register (the job registry in src/jobs-registry.ts).
 */
export interface PaymentMove {
  row: PaymentRow;
  from: PaymentState;
  to: PaymentState;
  at: Date;
}
export type PaymentObserver = (trx: Transaction<DB>, ctx: AppContext, move: PaymentMove) => Promise<void>;

const observers = new Map<string, PaymentObserver>();

/** Registers (or replaces, by name: a module loaded twice registers once) an observer of payment moves. */
export function observePayments(name: string, observer: PaymentObserver): void {
  observers.set(name, observer);
}

/** Called by the payment machine's store on every transition (transitions.ts). */
export async function notifyPaymentObservers(trx: Transaction<DB>, ctx: AppContext, move: PaymentMove): Promise<void> {
  for (const observer of observers.values()) await observer(trx, ctx, move);
}
