import { sql, type Kysely } from "kysely";

// Charges on a mandate that are not a cycle of its schedule (issue 15, decision 0017 "Rows of
// type mandate"): a bulk row of `type: mandate` charges the mandate once, when its batch runs.
//
// Until now a mandate's charge was always (mandate, cycle, attempt): the CHECK below required a
// cycle and an attempt on every payment with a mandate. An ad-hoc charge has neither — it is no
// cycle of a schedule (the mandate may have none, or get one later from pay/authorization/initiate,
// whose cycles must keep their numbers) and is never retried by the mandate's NSF policy (a failed
// bulk row is retried with its batch's failed rows). So: a cycle still needs its mandate and its
// attempt (and the unique (mandate, cycle, attempt) index still makes each cycle's try one
// payment); a payment with a mandate and no cycle is an ad-hoc charge, made once per batch row by
// the row's lock and state. The caps count ad-hoc charges by the day they were made
// (src/mandates/store.ts chargedSoFar): total as before (every charge of the mandate), per period
// by date.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payments DROP CONSTRAINT payments_mandate_charge;
    ALTER TABLE payments ADD CONSTRAINT payments_mandate_charge
      CHECK ((mandate_cycle IS NULL) = (charge_attempt IS NULL) AND (mandate_cycle IS NULL OR mandate_id IS NOT NULL));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payments DROP CONSTRAINT payments_mandate_charge;
    ALTER TABLE payments ADD CONSTRAINT payments_mandate_charge
      CHECK ((mandate_id IS NULL) = (mandate_cycle IS NULL) AND (mandate_id IS NULL) = (charge_attempt IS NULL));
  `.execute(db);
}
