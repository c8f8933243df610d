import { sql, type Kysely } from "kysely";

// Lists at scale (issue 17). Each list's filter, then the list's order, so a page is an index
// range read however many rows the company has (with the bounded count of src/core/paging.ts):
//
// - pay/get (a customer's payments, newest first by created_at, id): payments_customer
//   (customer_id, created_at) left the id tie-break to a sort of the customer's every payment and
//   the tenant check to the table. The new index is the list's whole filter then its order, so a
//   deep page's skipped rows are index entries only (see DEFERRED_JOIN_OFFSET); every query on
//   payments by customer is also scoped by company and environment (store.ts, reporting.ts), so
//   it replaces payments_customer.
// - events/list with `type` (exact): the feed index by type, then created_at, id, so a rare type
//   is not found by walking the whole feed. (`payment.*` prefixes walk events_feed; object_id
//   has events_object; from/to is a range of events_feed.)
//
// transactions/getByCustomer already reads transactions_customer_date (customer_id, trans_date
// DESC, id), the company-wide list transactions_list.
//
// IF NOT EXISTS: on a large table an operator may build these CONCURRENTLY by hand first
// (docs/decisions/0032-bounded-list-counts-and-built-start.md).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX IF NOT EXISTS payments_customer_list ON payments (company_id, env, customer_id, created_at, id);
    DROP INDEX IF EXISTS payments_customer;
    CREATE INDEX IF NOT EXISTS events_type_feed ON events (company_id, env, type, created_at, id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX events_type_feed;
    CREATE INDEX payments_customer ON payments (customer_id, created_at);
    DROP INDEX payments_customer_list;
  `.execute(db);
}
