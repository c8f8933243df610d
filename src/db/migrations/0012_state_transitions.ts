import { sql, type Kysely } from "kysely";

// One history table for every state machine that has no history of its own yet: refunds, payouts
// and payment consents now, and what the next issues add (mandates, schedules, batches and rows,
// recoveries, widget sessions). One row per transition, written by the one compare-and-set
// transition (src/core/machine.ts) in the transaction of the move; `from_state` is null on the
// row that records creation. Keyed by (object_type, object_id) rather than by a foreign key, so a
// new machine needs no migration; rows are append-only. Payments keep payment_transitions.
// Objects created before this migration have no rows for their earlier moves.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE state_transitions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      object_type text NOT NULL,
      object_id text NOT NULL,
      from_state text,
      to_state text NOT NULL,
      actor text NOT NULL CHECK (actor IN ('api', 'customer', 'bank', 'scheduler', 'worker')),
      reason text NOT NULL,
      detail jsonb,
      at timestamptz NOT NULL
    );
    CREATE INDEX state_transitions_object ON state_transitions (object_type, object_id, id);
  `.execute(db);
}
