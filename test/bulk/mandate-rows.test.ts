import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { batchRowJob } from "../../src/bulk/service.js";
import { rowStateCounts } from "../../src/bulk/store.js";
import { requeue } from "../../src/jobs/store.js";
import { authoriseMandate } from "../../src/mandates/service.js";
import { expectSoundLedger, type World } from "../payments/engine-world.js";
import { auth, bulkCompany, csv, multipartBody, openBulkWorld, type BulkCompany } from "./bulk-world.js";

/**
 * Bulk rows of `type: mandate` (issue 15, decision 0017): a row charges a mandate of its account
 * (named by id or reference in the `mandate` column), checked at validation against the mandate
 * (exists for the company, active, its account and customer, currency) and its caps — summed over
 * the file's rows on the same mandate — and charged by the mandates module when the row runs (the
 * same caps checked again), once per row. PGlite, or PostgreSQL with DATABASE_URL.
 */

let w: World;
beforeAll(async () => {
  w = await openBulkWorld({ maxRows: 50, bankConcurrency: 2 });
}, 60_000);
afterAll(() => w?.h.close());

const COLUMNS = ["account_to_debit", "account_to_credit", "amount", "currency", "callback_url", "reference", "customer", "type", "mandate"];
const upload = (c: BulkCompany, rows: Record<string, string | number>[]) => {
  const body = multipartBody([{ name: "file", filename: "mandates.csv", content: csv(rows, COLUMNS) }]);
  return w.h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...body.headers }, payload: body.payload });
};
const post = (c: BulkCompany, url: string, payload: unknown) => w.h.request({ method: "POST", url, headers: auth(c), payload: payload as object });
const chargesOf = (mandateId: string) => w.h.ctx.db.selectFrom("payments").selectAll().where("mandate_id", "=", mandateId).orderBy("created_at").execute();

/** A variable mandate on the account, authorised by the customer with their bank: active. */
async function activeMandate(c: BulkCompany, terms: Record<string, unknown>) {
  const created = await post(c, "/v2/mandates/create", { account: c.accounts[0]!.id, debit_type: "variable", ...terms });
  expect(created.statusCode, created.body).toBe(200);
  const id = created.json().data.mandate._id as string;
  const m = await authoriseMandate(w.h.ctx, c.scope, id, { bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
  expect(m.state).toBe("active");
  return m;
}

async function runUntilFinal(c: BulkCompany, id: string) {
  for (let i = 0; i < 60; i++) {
    await c.run();
    const b = (await post(c, "/v2/batches/get", { id })).json().data.batch;
    if (!["ready", "running"].includes(b.status)) return b;
  }
  const rows = await w.h.ctx.db.selectFrom("batch_rows").select(["row_no", "state", "reason"]).where("batch_id", "=", id).execute();
  const jobs = await w.h.ctx.db.selectFrom("jobs").select(["name", "key", "state", "attempts", "last_error", "run_at"]).where("company_id", "=", c.tenant.id).where("state", "<>", "done").execute();
  throw new Error(`batch never finished: ${JSON.stringify({ rows, jobs })}`);
}

async function expectCountsMatchRows(batch: { id: string; counts: Record<string, number> }) {
  const byState = await rowStateCounts(w.h.ctx.db, batch.id);
  for (const s of ["pending", "queued", "processing", "succeeded", "failed", "cancelled"]) expect(batch.counts[s], s).toBe(byState[s] ?? 0);
}

describe("bulk rows of type mandate", () => {
  it("validation checks each row's mandate — the company's, active, the row's account and customer, its caps summed over the file — naming row, column and reason; the valid rows charge it once each and the results CSV shows the mandate", async () => {
    const c = await bulkCompany(w);
    const stranger = await bulkCompany(w);
    const [gt, other] = c.accounts;
    const gym = await activeMandate(c, { max_total: 100_000, max_per_charge: 30_000, max_per_period: 50_000, period: "monthly", reference: "gym-1" });
    const paused = await activeMandate(c, { max_total: 100_000, reference: "paused-1" });
    expect((await post(c, "/v2/mandates/pause", { id: paused.id })).statusCode).toBe(200);
    const scheduled = (await post(c, "/v2/mandates/create", { account: gt!.id, debit_type: "fixed", amount: 5_000, interval: "monthly" })).json().data.mandate._id as string;
    const theirs = await activeMandate(stranger, { max_total: 100_000 });
    const standing = await w.h.ctx.db.selectFrom("mandates").select("id").where("account_id", "=", gt!.id).where("source", "=", "consent").executeTakeFirstOrThrow();

    const rows: Record<string, string | number>[] = [
      /* 1 */ { account_to_debit: gt!.id, amount: 20_000, type: "mandate", mandate: gym.id, reference: "m1" },
      /* 2 */ { account_to_debit: gt!.id, amount: 25_000, type: "mandate", mandate: "gym-1", reference: "m2" },
      // 20,000 + 25,000 + 10,000 is past the monthly cap of 50,000.
      /* 3 */ { account_to_debit: gt!.id, amount: 10_000, type: "mandate", mandate: gym.id, reference: "m3" },
      /* 4 */ { account_to_debit: gt!.id, amount: 35_000, type: "mandate", mandate: gym.id, reference: "m4" },
      /* 5 */ { account_to_debit: gt!.id, amount: 1_000, type: "mandate", mandate: "ffffffffffffffffffffffff", reference: "m5" },
      // Another company's mandate reads exactly like a missing one.
      /* 6 */ { account_to_debit: gt!.id, amount: 1_000, type: "mandate", mandate: theirs.id, reference: "m6" },
      /* 7 */ { account_to_debit: other!.id, amount: 1_000, type: "mandate", mandate: gym.id, reference: "m7" },
      /* 8 */ { account_to_debit: gt!.id, amount: 1_000, type: "mandate", mandate: paused.id, reference: "m8" },
      /* 9 */ { account_to_debit: gt!.id, amount: 5_000, type: "mandate", mandate: scheduled, reference: "m9" },
      /* 10 */ { account_to_debit: gt!.id, amount: 1_000, type: "mandate", mandate: standing.id, reference: "m10" },
      /* 11 */ { account_to_debit: gt!.id, amount: 1_000, type: "mandate", mandate: gym.id, customer: "aaaaaaaaaaaaaaaaaaaaaaaa", reference: "m11" },
      /* 12 */ { account_to_debit: gt!.id, amount: 1_000, mandate: gym.id, reference: "m12" },
      // Without a mandate named: the account's one active mandate without a schedule (the paused one does not count).
      /* 13 */ { account_to_debit: gt!.id, amount: 4_000, type: "mandate", reference: "m13" },
      /* 14 */ { account_to_debit: other!.id, amount: 3_000, reference: "m14" },
    ];
    const res = await upload(c, rows);
    expect(res.statusCode, res.body).toBe(200);
    const batch = res.json().data.batch;
    expect(batch.totals).toMatchObject({ rows: 14, valid_rows: 4, invalid_rows: 10, amount: 52_000 });
    expect(batch.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code])).toEqual([
      [3, "amount", "above_period_cap"],
      [4, "amount", "above_per_charge_cap"],
      [5, "mandate", "unknown_mandate"],
      [6, "mandate", "unknown_mandate"],
      [7, "account_to_debit", "mandate_account_mismatch"],
      [8, "mandate", "mandate_not_active"],
      [9, "mandate", "scheduled_mandate"],
      [10, "mandate", "standing_mandate"],
      [11, "customer", "customer_mismatch"],
      [12, "mandate", "mandate_without_type"],
    ]);
    const messages = Object.fromEntries(batch.errors.map((e: { row: number; message: string }) => [e.row, e.message]));
    expect(messages[3]).toContain("5000 kobo left");
    expect(messages[6]).not.toContain(stranger.tenant.id);
    expect(messages[8]).toContain("paused");
    expect(await w.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", c.tenant.id).execute()).toHaveLength(0);

    const committed = await post(c, "/v2/batches/commit", { id: batch.id });
    expect(committed.statusCode, committed.body).toBe(200);
    const done = await runUntilFinal(c, batch.id);
    expect(done).toMatchObject({ status: "completed", counts: { succeeded: 4, failed: 0, succeeded_amount: 52_000 } });
    await expectCountsMatchRows(done);

    // Rows 1, 2 and 13 are charges of the gym mandate (no cycle: ad-hoc), row 14 an ordinary debit.
    const charges = await chargesOf(gym.id);
    expect(charges.map((p) => [Number(p.amount), p.state, p.mandate_cycle, p.charge_attempt, p.consent_id]).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([
      [4_000, "succeeded", null, null, gym.consent_id],
      [20_000, "succeeded", null, null, gym.consent_id],
      [25_000, "succeeded", null, null, gym.consent_id],
    ]);
    const results = parse((await w.h.request({ method: "GET", url: done.results_url, headers: auth(c) })).body, { columns: true }) as Record<string, string>[];
    const byRow = Object.fromEntries(results.map((r) => [r.row, r]));
    expect([1, 2, 13, 14].map((n) => [byRow[n]!.status, byRow[n]!.mandate])).toEqual([
      ["succeeded", gym.id],
      ["succeeded", gym.id],
      ["succeeded", gym.id],
      ["succeeded", ""],
    ]);
    expect(new Set([1, 2, 13].map((n) => byRow[n]!.payment_id))).toEqual(new Set(charges.map((p) => p.id)));
    const rowView = (await post(c, "/v2/batches/get", { id: batch.id })).json().data.batch;
    expect(rowView.status).toBe("completed");
    expect(await expectSoundLedger(w, c)).toEqual([]);

    // The mandate's own caps now count these charges: a new file asking 2,000 more this month is refused (49,000 taken of 50,000).
    const next = (await upload(c, [{ account_to_debit: gt!.id, amount: 2_000, type: "mandate", mandate: gym.id }])).json().data.batch;
    expect(next.errors.map((e: { column: string; code: string }) => [e.column, e.code])).toEqual([["amount", "above_period_cap"]]);
  });

  it("the caps are checked again when the row is charged: a second batch validated beside the first fails its row once the first took the mandate's total, and a paused mandate fails its row; nothing is debited for either", async () => {
    const c = await bulkCompany(w);
    const gt = c.accounts[0]!;
    const m = await activeMandate(c, { max_total: 30_000 });
    const a = (await upload(c, [{ account_to_debit: gt.id, amount: 20_000, type: "mandate", mandate: m.id }])).json().data.batch;
    const b = (await upload(c, [{ account_to_debit: gt.id, amount: 20_000, type: "mandate", mandate: m.id, reference: "second" }])).json().data.batch;
    expect([a.totals.valid_rows, b.totals.valid_rows]).toEqual([1, 1]);
    expect((await post(c, "/v2/batches/commit", { id: a.id })).statusCode).toBe(200);
    expect(await runUntilFinal(c, a.id)).toMatchObject({ status: "completed" });
    expect((await post(c, "/v2/batches/commit", { id: b.id })).statusCode).toBe(200);
    const doneB = await runUntilFinal(c, b.id);
    expect(doneB).toMatchObject({ status: "failed", counts: { succeeded: 0, failed: 1 } });
    const rowB = await w.h.ctx.db.selectFrom("batch_rows").selectAll().where("batch_id", "=", b.id).executeTakeFirstOrThrow();
    expect(rowB).toMatchObject({ state: "failed", payment_id: null });
    expect(rowB.reason).toContain("past its total of 30000 kobo (10000 kobo left)");
    expect((await chargesOf(m.id)).map((p) => Number(p.amount))).toEqual([20_000]);

    const p = await activeMandate(c, { max_total: 30_000, reference: "to-pause" });
    const d = (await upload(c, [{ account_to_debit: gt.id, amount: 5_000, type: "mandate", mandate: "to-pause" }])).json().data.batch;
    expect(d.totals.valid_rows).toBe(1);
    expect((await post(c, "/v2/mandates/pause", { id: p.id })).statusCode).toBe(200);
    expect((await post(c, "/v2/batches/commit", { id: d.id })).statusCode).toBe(200);
    const doneD = await runUntilFinal(c, d.id);
    expect(doneD).toMatchObject({ status: "failed", counts: { failed: 1 } });
    const results = parse((await w.h.request({ method: "GET", url: doneD.results_url, headers: auth(c) })).body, { columns: true }) as Record<string, string>[];
    expect(results[0]).toMatchObject({ status: "failed", mandate: p.id, payment_id: "" });
    expect(results[0]!.reason).toContain("paused");
    expect(await chargesOf(p.id)).toHaveLength(0);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("a row's job run again (a duplicate delivery, a retry after its charge was made) charges the mandate once per row", async () => {
    const c = await bulkCompany(w);
    const gt = c.accounts[0]!;
    const m = await activeMandate(c, { max_total: 100_000 });
    const rows = Array.from({ length: 4 }, (_, i) => ({ account_to_debit: gt.id, amount: 1_000 + i, type: "mandate", mandate: m.id, reference: `dup-${i}` }));
    const batch = (await upload(c, rows)).json().data.batch;
    expect((await post(c, "/v2/batches/commit", { id: batch.id })).statusCode).toBe(200);
    // The first window's jobs run once, then again (the runner's jobs re-enqueued as a crashed or second worker would see them).
    await c.jobs.runOnce();
    const again = () =>
      w.h.ctx.db.transaction().execute((trx) =>
        requeue(trx, batchRowJob, rows.map((_, i) => ({ key: `batch:${batch.id}:row:${i + 1}`, payload: { batch_id: batch.id, row: i + 1, mandate_env: "sandbox" as const }, companyId: c.tenant.id, attempts: 0 })), { now: w.h.ctx.clock.now() }),
      );
    await again();
    await c.jobs.runOnce();
    const done = await runUntilFinal(c, batch.id);
    await again();
    await c.run();
    expect(done).toMatchObject({ status: "completed", counts: { succeeded: 4 } });
    const charges = await chargesOf(m.id);
    expect(charges.map((p) => Number(p.amount)).sort()).toEqual([1_000, 1_001, 1_002, 1_003]);
    const paid = await w.h.ctx.db.selectFrom("batch_rows").select("payment_id").where("batch_id", "=", batch.id).execute();
    expect(new Set(paid.map((r) => r.payment_id))).toEqual(new Set(charges.map((p) => p.id)));
    expect(charges.every((p) => p.attempt === 1)).toBe(true);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});
