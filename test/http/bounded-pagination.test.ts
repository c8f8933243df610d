import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedPage, COUNT_BOUND, paginate } from "../../src/core/paging.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectSuccess } from "./envelope-assertions.js";

/** A list of `n` items 0..n-1 read the way boundedPage reads a table: a page, and a count that stops at `cap`. */
const listOf = (n: number) => ({
  fetch: async (limit: number, offset: number) => Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => offset + i),
  count: async (cap: number) => Math.min(n, cap),
});

describe("boundedPage()", () => {
  it("is exact under the bound, and past it says 'at least' a true lower bound with a next page", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * COUNT_BOUND }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 700 }), async (n, limit, page) => {
        const list = listOf(n);
        const got = await boundedPage(page, limit, list.fetch, list.count);
        const offset = (page - 1) * limit;
        expect(got.rows).toEqual(await list.fetch(limit, offset));
        if (n <= COUNT_BOUND) expect(got.exact).toBe(true);
        if (got.exact) expect(got.total).toBe(n);
        else {
          expect(n).toBeGreaterThan(COUNT_BOUND);
          expect(got.total).toBeLessThanOrEqual(n);
          expect(got.total).toBeGreaterThanOrEqual(COUNT_BOUND);
        }
        const pg = paginate(got.total, page, limit, got.exact);
        // Whatever was counted, a next page is announced exactly when there is one.
        expect(pg.hasNextPage).toBe(offset + limit < n);
        expect(pg.totalDocsExact).toBe(got.exact);
        if (!got.exact) expect(pg.totalPages).toBeLessThanOrEqual(Math.ceil(n / limit));
      }),
      { numRuns: 300 },
    );
  });

  it("does not count at all on a page that is not the last and lies past the bound", async () => {
    const counts: number[] = [];
    const list = listOf(1_000_000);
    const got = await boundedPage(5_000, 20, list.fetch, async (cap) => (counts.push(cap), list.count(cap)));
    expect(counts).toEqual([]);
    expect(got).toMatchObject({ total: 5_000 * 20 + 1, exact: false });
  });
});

describe("pay/list and pay/get past the count bound (HTTP)", () => {
  let h: Harness;
  let tenant: NewCompany;
  const customer = "c0ffee000000000000000042";
  /** The id of the tenant's n-th payment (unique across tenants: the database may be reused). */
  const idOf = (n: number) => `${tenant.id.slice(-6)}${String(n).padStart(18, "0")}`;
  const list = async (url: string, payload: Record<string, unknown>) =>
    expectSuccess(await h.request({ method: "POST", url, headers: bearer(tenant.sandbox.secret_key), payload })) as { payments: Array<{ id: string }>; pagination: ReturnType<typeof paginate> };

  /** `n` more payments for the tenant (sandbox), one customer's every 1,000th; newest have the highest numbers. */
  async function addPayments(from: number, n: number) {
    const db = h.ctx.db;
    await sql`
      INSERT INTO payments (id, company_id, env, customer_id, bank_id, nuban, account_to_credit, amount, currency, channel, method, state, fee, created_at, updated_at)
      SELECT ${tenant.id.slice(-6)} || lpad(g::text, 18, '0'), ${tenant.id}, 'sandbox', CASE WHEN g % 1000 = 0 THEN ${customer} ELSE 'cu' || lpad((g % 997)::text, 22, '0') END,
             'bank000000000000000000a1', '0123456789', ${`ca${tenant.id.slice(2)}`}, 1000 + g, 'NGN', 'api', 'consent', 'settled', 0,
             timestamptz '2026-01-01' + g * interval '1 second', timestamptz '2026-01-01' + g * interval '1 second'
      FROM generate_series(${from}::int, ${from + n - 1}::int) g`.execute(db);
  }

  beforeAll(async () => {
    h = await createHarness();
    tenant = await h.newTenant("Many Payments Co");
    await h.ctx.db
      .insertInto("company_accounts")
      .values({ id: `ca${tenant.id.slice(2)}`, company_id: tenant.id, env: "sandbox", bank_id: "bank000000000000000000a1", nuban: "0123456789", name: "Bench", currency: "NGN", is_default: false, created_at: new Date("2026-01-01T00:00:00Z") })
      .execute();
    await addPayments(1, COUNT_BOUND);
  }, 120_000);
  afterAll(() => h?.close());

  it("counts exactly up to the bound, then says 'at least' on early pages and exactly on the last", async () => {
    // Exactly COUNT_BOUND payments: exact everywhere.
    let page = await list("/v2/pay/list", { page: 1, limit: 20 });
    expect(page.payments[0]!.id).toBe(idOf(COUNT_BOUND));
    expect(page.pagination).toEqual(paginate(COUNT_BOUND, 1, 20));
    expect(page.pagination).toMatchObject({ totalDocs: COUNT_BOUND, totalPages: COUNT_BOUND / 20, totalDocsExact: true, hasNextPage: true });

    // One more: the first page stops counting at the bound and says so.
    await addPayments(COUNT_BOUND + 1, 1);
    page = await list("/v2/pay/list", { page: 1, limit: 20 });
    expect(page.payments).toHaveLength(20);
    expect(page.pagination).toMatchObject({ totalDocs: COUNT_BOUND, totalDocsExact: false, hasNextPage: true, nextPage: 2, page: 1 });
    expect(page.pagination.totalDocs).toBeLessThanOrEqual(COUNT_BOUND + 1);

    // A page past the bound that has a next page: at least its own rows and one more.
    page = await list("/v2/pay/list", { page: 500, limit: 20 });
    // Read by ids first (a deep page): the same rows, in the same order, as the list's.
    expect(page.payments.map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, i) => idOf(21 - i)));
    expect(page.pagination).toMatchObject({ totalDocs: 500 * 20 + 1, totalDocsExact: false, hasNextPage: true, nextPage: 501, totalPages: 501 });

    // The last page knows the total exactly, without counting past the bound.
    page = await list("/v2/pay/list", { page: 501, limit: 20 });
    expect(page.payments.map((p) => p.id)).toEqual([idOf(1)]);
    expect(page.pagination).toEqual(paginate(COUNT_BOUND + 1, 501, 20));
    expect(page.pagination).toMatchObject({ totalDocs: COUNT_BOUND + 1, totalDocsExact: true, hasNextPage: false, nextPage: null });

    // A page past the end: exact, and it points back to the last page.
    page = await list("/v2/pay/list", { page: 900, limit: 20 });
    expect(page.payments).toEqual([]);
    expect(page.pagination).toMatchObject({ totalDocs: COUNT_BOUND + 1, totalDocsExact: true, totalPages: 501, prevPage: 501, hasNextPage: false });
  }, 60_000);

  it("counts a customer's few payments exactly (pay/get)", async () => {
    const page = await list("/v2/pay/get", { customer_id: customer, page: 1, limit: 5 });
    expect(page.payments).toHaveLength(5);
    expect(page.pagination).toEqual(paginate(COUNT_BOUND / 1000, 1, 5));
    expect(page.pagination).toMatchObject({ totalDocs: 10, totalPages: 2, totalDocsExact: true });
  });
});
