import { sql, type QueryCreator, type SelectQueryBuilder } from "kysely";
import { z } from "zod";

/**
 * Lists count their matching rows exactly up to this many; past it (a first page of a list longer
 * than this, or any page beyond it) `totalDocs` is a lower bound and `totalDocsExact` is false.
 * Counting a million rows costs ~100 ms on every page; counting 10,001 index entries ~2 ms.
 */
export const COUNT_BOUND = 10_000;

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** `page`/`limit` as Okra takes them, in the body or the query string (numbers or numeric strings). */
export const PageParams = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).meta({ description: "1-based page number" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .meta({ description: `Items per page (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})` }),
};

export const Pagination = z
  .object({
    totalDocs: z.number().int(),
    limit: z.number().int(),
    page: z.number().int(),
    totalPages: z.number().int(),
    pagingCounter: z.number().int(),
    hasNextPage: z.boolean(),
    nextPage: z.number().int().nullable(),
    hasPrevPage: z.boolean(),
    prevPage: z.number().int().nullable(),
    totalDocsExact: z.boolean().meta({
      description: `Okro extension. true: \`totalDocs\` and \`totalPages\` are exact. false: the list has more than ${COUNT_BOUND.toLocaleString("en")} items (or the page is past that many), and Okro stopped counting: \`totalDocs\` and \`totalPages\` say "at least" (\`hasNextPage\`/\`nextPage\` stay exact).`,
    }),
  })
  .meta({ id: "Pagination" });
export type Pagination = z.infer<typeof Pagination>;

/**
 * Okra's (mongoose-paginate-v2) pagination block for a page of a list of `totalDocs` items; with
 * `exact: false` (from boundedPage) `totalDocs` items at least, and the page is not the last.
 */
export function paginate(totalDocs: number, page: number, limit: number, exact = true): Pagination {
  const counted = Math.max(1, Math.ceil(totalDocs / limit));
  // A bounded count comes from a page that has a next page: at least one page more than this one.
  const totalPages = exact ? counted : Math.max(counted, page + 1);
  return {
    totalDocs,
    limit,
    page,
    totalPages,
    pagingCounter: (page - 1) * limit + 1,
    hasNextPage: page < totalPages,
    nextPage: page < totalPages ? page + 1 : null,
    hasPrevPage: page > 1,
    prevPage: page > 1 ? Math.min(page - 1, totalPages) : null,
    totalDocsExact: exact,
  };
}

/**
 * From this offset on, a page is read as ids first (`… WHERE id = ANY(ARRAY(SELECT id … ORDER BY …
 * LIMIT … OFFSET …))`): the skipped rows are then index entries (an index-only scan) instead of
 * table rows fetched to be thrown away. Page 500 of 20 reads 10,000 index entries, not 10,000 rows.
 * ARRAY(…) runs once, then primary-key lookups: `id IN (subquery)` let the planner, misled by
 * stale statistics after a bulk load, re-run the subquery for every row of the company.
 */
export const DEFERRED_JOIN_OFFSET = 200;

export interface BoundedPage<R> {
  rows: R[];
  /** Exact when `exact`, else a lower bound. */
  total: number;
  exact: boolean;
}

/**
 * One page of a list and its count, bounded (see COUNT_BOUND). `fetch(limit, offset)` reads the
 * page's rows in list order; `count(cap)` counts the matching rows, stopping at `cap` (use
 * cappedCount). The page is read with one row more than asked, so whether a next page exists is
 * known without counting:
 * - a page with no next page (and some rows, or the first page) gives the exact total itself;
 * - a page with a next page within the bound counts up to COUNT_BOUND + 1: exact under the bound,
 *   "at least COUNT_BOUND" past it;
 * - a page with a next page past the bound is not counted: "at least offset + limit + 1";
 * - an empty page past the end counts up to its offset (the total is below it).
 */
export async function boundedPage<R>(
  page: number,
  limit: number,
  fetch: (limit: number, offset: number) => Promise<R[]>,
  count: (cap: number) => Promise<number>,
): Promise<BoundedPage<R>> {
  const offset = offsetOf(page, limit);
  const found = await fetch(limit + 1, offset);
  const more = found.length > limit;
  const rows = more ? found.slice(0, limit) : found;
  if (!more && (rows.length > 0 || offset === 0)) return { rows, total: offset + rows.length, exact: true };
  if (!more) return { rows, total: await count(offset), exact: true };
  const known = offset + limit + 1;
  if (known > COUNT_BOUND) return { rows, total: known, exact: false };
  const n = await count(COUNT_BOUND + 1);
  // The count is a second statement: rows added or removed meanwhile must not contradict the page.
  if (n <= COUNT_BOUND) return { rows, total: Math.max(n, known), exact: true };
  return { rows, total: COUNT_BOUND, exact: false };
}

export const offsetOf = (page: number, limit: number) => (page - 1) * limit;

/**
 * `count(*)` of a query's rows, stopping at `cap`: `SELECT count(*) FROM (<query> LIMIT cap)`
 * (the database stops reading at `cap`; one number comes back). Pass the list's query before its
 * select and order.
 */
export async function cappedCount(db: QueryCreator<any>, query: SelectQueryBuilder<any, any, any>, cap: number): Promise<number> {
  const row = await db
    .selectFrom(query.select(sql<number>`1`.as("one")).limit(cap).as("capped"))
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
