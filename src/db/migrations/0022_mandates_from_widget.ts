import { sql, type Kysely } from "kysely";

// Issue 13, the widget's mandate consent screen (decision 0022): a mandate the customer authorised
// in the widget (`debitLater`, `charge.type: "recurring"`) says so in `source`.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE mandates DROP CONSTRAINT mandates_source_check;
    ALTER TABLE mandates ADD CONSTRAINT mandates_source_check CHECK (source IN ('api', 'pay_initiate', 'link', 'reauth', 'consent', 'widget'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE mandates DROP CONSTRAINT mandates_source_check;
    ALTER TABLE mandates ADD CONSTRAINT mandates_source_check CHECK (source IN ('api', 'pay_initiate', 'link', 'reauth', 'consent'));
  `.execute(db);
}
