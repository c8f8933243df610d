import { sql, type Kysely } from "kysely";

// A refund gives back Okro's fee on the refunded share of a payment (fees → available in the
// refund's own entry), so a company can always refund a settled payment in full from that
// payment's money. The amount returned is kept on the refund, so a failed refund takes back
// exactly what it gave.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE refunds ADD COLUMN fee_returned bigint NOT NULL DEFAULT 0 CHECK (fee_returned >= 0)`.execute(db);
}
