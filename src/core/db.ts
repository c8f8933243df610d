import type { Kysely, Transaction } from "kysely";
import type { DB } from "../db/schema.js";

/**
 * The database types every domain shares, in the kernel: one spelling each, so a function's
 * signature says whether it needs an open transaction or runs anywhere.
 */

/** Anything that runs queries: the database handle or an open transaction (a Kysely `Transaction` is a `Kysely`). */
export type Executor = Kysely<DB>;

/** An open transaction: what a function takes when its writes must commit or roll back with the caller's. */
export type Trx = Transaction<DB>;
