import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LIMIT, offsetOf, paginate } from "../../src/core/paging.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "./envelope-assertions.js";

const totalDocs = fc.integer({ min: 0, max: 1_000_000 });
const limit = fc.integer({ min: 1, max: MAX_LIMIT });
const page = fc.integer({ min: 1, max: 20_000 });

describe("paginate()", () => {
  it("always has at least one page, and exactly enough pages for every document", () => {
    fc.assert(
      fc.property(totalDocs, limit, page, (n, l, p) => {
        const { totalPages } = paginate(n, p, l);
        expect(Number.isInteger(totalPages)).toBe(true);
        expect(totalPages).toBeGreaterThanOrEqual(1);
        expect(totalPages * l).toBeGreaterThanOrEqual(n);
        if (totalPages > 1) expect((totalPages - 1) * l).toBeLessThan(n);
      }),
    );
  });

  it("has a next page exactly when page < totalPages, and nextPage is page + 1 then", () => {
    fc.assert(
      fc.property(totalDocs, limit, page, (n, l, p) => {
        const pg = paginate(n, p, l);
        expect(pg.hasNextPage).toBe(p < pg.totalPages);
        expect(pg.nextPage).toBe(pg.hasNextPage ? p + 1 : null);
      }),
    );
  });

  it("has a previous page exactly when page > 1, pointing back to a page that exists", () => {
    fc.assert(
      fc.property(totalDocs, limit, page, (n, l, p) => {
        const pg = paginate(n, p, l);
        expect(pg.hasPrevPage).toBe(p > 1);
        expect(pg.prevPage === null).toBe(!pg.hasPrevPage);
        if (pg.prevPage !== null) {
          expect(pg.prevPage).toBeLessThan(p);
          expect(pg.prevPage).toBeGreaterThanOrEqual(1);
          expect(pg.prevPage).toBeLessThanOrEqual(pg.totalPages);
        }
        if (p <= pg.totalPages && p > 1) expect(pg.prevPage).toBe(p - 1);
      }),
    );
  });

  it("numbers the first item of the page (pagingCounter) as offset + 1, and echoes its inputs", () => {
    fc.assert(
      fc.property(totalDocs, limit, page, (n, l, p) => {
        const pg = paginate(n, p, l);
        expect(pg.pagingCounter).toBe(offsetOf(p, l) + 1);
        expect(pg).toMatchObject({ totalDocs: n, limit: l, page: p });
      }),
    );
  });

  it("walking nextPage from page 1 visits every page once and every document once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), limit, (n, l) => {
        let current: number | null = 1;
        let visited = 0;
        let seen = 0;
        while (current !== null) {
          const pg = paginate(n, current, l);
          visited += 1;
          seen += Math.max(0, Math.min(l, n - offsetOf(current, l)));
          current = pg.nextPage;
          expect(visited).toBeLessThanOrEqual(pg.totalPages);
        }
        expect(visited).toBe(paginate(n, 1, l).totalPages);
        expect(seen).toBe(n);
      }),
    );
  });
});

describe("page and limit on the wire", () => {
  let h: Harness;
  let tenant: NewCompany;
  beforeAll(async () => {
    h = await createHarness();
    tenant = await h.newTenant("Paging Co");
  });
  afterAll(() => h?.close());

  it.each([
    ["limit", 0],
    ["limit", MAX_LIMIT + 1],
    ["limit", 2.5],
    ["page", 0],
    ["page", -1],
  ])("refuses %s = %s with 400 naming the field, in the body and in the query", async (field, value) => {
    const body = await h.request({ method: "POST", url: "/v2/banks/list", headers: bearer(tenant.sandbox.secret_key), payload: { [field]: value } });
    expect(expectError(body, 400, "INVALID_FIELD").message).toMatch(new RegExp(`^${field}: `));
    const query = await h.request({ method: "GET", url: `/v2/banks/list?${field}=${value}`, headers: bearer(tenant.sandbox.secret_key) });
    expect(expectError(query, 400, "INVALID_FIELD").message).toMatch(new RegExp(`^${field}: `));
  });

  it("accepts the bounds and answers with a consistent pagination block", async () => {
    for (const l of [1, MAX_LIMIT]) {
      const res = await h.request({ method: "GET", url: `/v2/banks/list?limit=${l}&page=1`, headers: bearer(tenant.sandbox.secret_key) });
      const data = expectSuccess(res);
      expect(data.banks.length).toBeLessThanOrEqual(l);
      expect(data.pagination).toEqual(paginate(data.pagination.totalDocs, 1, l));
    }
  });

  it("answers a page past the end with no items and a pagination block that points back", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: bearer(tenant.sandbox.secret_key), payload: { page: 999, limit: 10 } });
    const data = expectSuccess(res);
    expect(data.banks).toEqual([]);
    expect(data.pagination).toMatchObject({ page: 999, hasNextPage: false, nextPage: null, hasPrevPage: true });
    expect(data.pagination.prevPage).toBe(data.pagination.totalPages);
  });
});
