import { z } from "zod";

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
  })
  .meta({ id: "Pagination" });
export type Pagination = z.infer<typeof Pagination>;

/** Okra's (mongoose-paginate-v2) pagination block for a page of a list of `totalDocs` items. */
export function paginate(totalDocs: number, page: number, limit: number): Pagination {
  const totalPages = Math.max(1, Math.ceil(totalDocs / limit));
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
  };
}

export const offsetOf = (page: number, limit: number) => (page - 1) * limit;
