import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowStateCounts } from "../../src/bulk/store.js";
import { expectSoundLedger, type World } from "../payments/engine-world.js";
import { auth, bulkCompany, csv, multipartBody, openBulkWorld, type BulkCompany } from "./bulk-world.js";

let w: World;
beforeAll(async () => {
  w = await openBulkWorld({ maxRows: 50, maxFileBytes: 64 * 1024, bankConcurrency: 2 });
}, 60_000);
afterAll(() => w?.h.close());

const upload = (c: BulkCompany, content: string, fields: Record<string, string> = {}, path = "/v2/batches/create", filename = "payments.csv") => {
  const body = multipartBody([{ name: "file", filename, content }], fields);
  return w.h.request({ method: "POST", url: path, headers: { ...auth(c), ...body.headers }, payload: body.payload });
};
const post = (c: BulkCompany, url: string, payload: unknown) => w.h.request({ method: "POST", url, headers: auth(c), payload: payload as object });
const getCsv = async (c: BulkCompany, url: string) => {
  const res = await w.h.request({ method: "GET", url, headers: auth(c) });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toContain("text/csv");
  return { text: res.body, rows: parse(res.body, { columns: true }) as Record<string, string>[] };
};
const paymentsOf = (c: BulkCompany) => w.h.ctx.db.selectFrom("payments").selectAll().where("company_id", "=", c.tenant.id).execute();
const rowsOf = (batchId: string) => w.h.ctx.db.selectFrom("batch_rows").selectAll().where("batch_id", "=", batchId).orderBy("row_no").execute();

async function runUntilFinal(c: BulkCompany, id: string) {
  for (let i = 0; i < 60; i++) {
    await c.run();
    const b = (await post(c, "/v2/batches/get", { id })).json().data.batch;
    if (!["ready", "running"].includes(b.status)) return b;
  }
  throw new Error("batch never finished");
}

/** Batch counters equal the rows' own states. */
async function expectCountsMatchRows(batch: { id: string; counts: Record<string, number> }) {
  const byState = await rowStateCounts(w.h.ctx.db, batch.id);
  for (const s of ["pending", "queued", "processing", "succeeded", "failed", "cancelled"]) expect(batch.counts[s], s).toBe(byState[s] ?? 0);
}

describe("validation (nothing moves until commit)", () => {
  it("answers with totals per bank and currency, every bad row with its row, column and an actionable reason, and an error CSV that can be fixed and re-uploaded", async () => {
    const c = await bulkCompany(w);
    const stranger = await bulkCompany(w);
    const [gt, other] = c.accounts;
    const file =
      "\uFEFF" +
      csv(
        [
          { account_to_debit: gt!.id, amount: 10_000, currency: "NGN", reference: "r1", narration: "June rent" },
          { account_to_debit: other!.id, amount: 25_000, currency: "ngn", reference: "r2", narration: "  spaces around  " },
          { account_to_debit: "ffffffffffffffffffffffff", amount: 100, reference: "r3" },
          { account_to_debit: stranger.accounts[0]!.id, amount: 100, reference: "r4" },
          { account_to_debit: gt!.id, amount: "12.50", reference: "r5" },
          { account_to_debit: gt!.id, amount: 100, reference: "r1" },
          { account_to_debit: gt!.id, amount: 100, currency: "USD", reference: "r7", narration: "=cmd|' /C calc'!A0" },
        ],
        ["account_to_debit", "account_to_credit", "amount", "currency", "callback_url", "reference", "narration"],
      );
    const res = await upload(c, file);
    expect(res.statusCode).toBe(200);
    const batch = res.json().data.batch;
    expect(batch).toMatchObject({ status: "ready", file_name: "payments.csv", totals: { rows: 7, valid_rows: 2, invalid_rows: 5, amount: 35_000 } });
    expect(batch.totals.by_currency).toEqual({ NGN: { rows: 2, amount: 35_000 } });
    expect(batch.totals.by_bank).toEqual({ [gt!.bankId]: { rows: 1, amount: 10_000 }, [other!.bankId]: { rows: 1, amount: 25_000 } });
    const errors = batch.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code]);
    expect(errors).toEqual([
      [3, "account_to_debit", "unknown_account"],
      // Another company's account reads exactly like a missing one.
      [4, "account_to_debit", "unknown_account"],
      [5, "amount", "bad_amount"],
      [6, "reference", "duplicate_reference"],
      [7, "currency", "unsupported_currency"],
    ]);
    expect(batch.errors[1].message).not.toContain(stranger.tenant.id);
    expect(batch.errors[2].message).toContain("whole kobo");
    expect(batch.errors[3].message).toContain("row 1");
    expect(await paymentsOf(c)).toHaveLength(0);

    const errorsFile = await getCsv(c, batch.errors_url);
    expect(errorsFile.rows.map((r) => r.reference)).toEqual(["r3", "r4", "r5", "r1", "r7"]);
    expect(errorsFile.rows[2]!.error).toContain("amount 12.50 has a fraction");
    // The formula is written as text, never as a formula.
    expect(errorsFile.rows[4]!.narration).toBe("'=cmd|' /C calc'!A0");
    expect(Object.keys(errorsFile.rows[0]!)).toEqual(["account_to_debit", "account_to_credit", "amount", "currency", "callback_url", "reference", "narration", "error"]);
  });

  it("refuses a file that is empty, not CSV, lacks columns, or exceeds the row or byte limit, with a 4xx naming the problem and nothing written", async () => {
    const c = await bulkCompany(w);
    const cases: [string, number, RegExp][] = [
      ["", 400, /file: the file is empty/],
      ["account_to_debit,amount\r\n", 400, /no payments below the header/],
      ["\u0000\u0001PK\u0003\u0004binary", 400, /not a CSV file|missing column/],
      ["name,total\r\nada,100\r\n", 400, /missing columns account_to_debit, amount/],
      [csv(Array.from({ length: 51 }, () => ({ account_to_debit: c.accounts[0]!.id, amount: 100 }))), 413, /more than 50 rows; the limit is 50 rows/],
      ["account_to_debit,amount\r\n" + `${c.accounts[0]!.id},100\r\n`.repeat(3000), 413, /larger than 65536 bytes/],
    ];
    for (const [content, status, message] of cases) {
      const res = await upload(c, content);
      expect(res.statusCode, message.source).toBe(status);
      expect(res.json()).toMatchObject({ status: "error" });
      expect(res.json().message).toMatch(message);
    }
    expect(await w.h.ctx.db.selectFrom("batches").select("id").where("company_id", "=", c.tenant.id).execute()).toHaveLength(0);
    const noFile = await w.h.request({ method: "POST", url: "/v2/batches/create", headers: auth(c), payload: { product: "initiate_payment" } });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().message).toMatch(/^file: missing/);
  });

  it("takes a JSON array of payments too", async () => {
    const c = await bulkCompany(w);
    const res = await post(c, "/v2/batches/create", { payments: [{ account_to_debit: c.accounts[0]!.id, amount: 500 }, { account_to_debit: c.accounts[1]!.id, amount: "abc" }] });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.batch).toMatchObject({ source: "json", totals: { rows: 2, valid_rows: 1 } });
  });
});

describe("commit, run, results", () => {
  it("all-or-nothing: one bad row refuses the commit and nothing moves; without it the valid rows run, each an ordinary payment, and the results CSV reports every row", async () => {
    const c = await bulkCompany(w);
    const file = csv([
      { account_to_debit: c.accounts[0]!.id, amount: 1_000 },
      { account_to_debit: c.accounts[1]!.id, amount: 2_000 },
      { account_to_debit: c.accounts[0]!.id, amount: 3_000 },
      { account_to_debit: "nope", amount: 4_000 },
    ]);
    const batch = (await upload(c, file, { all_or_nothing: "true" })).json().data.batch;
    const refused = await post(c, "/v2/batches/commit", { id: batch.id });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().message).toMatch(/1 of 4 rows have errors and all-or-nothing was asked: nothing was committed/);
    await c.run();
    expect(await paymentsOf(c)).toHaveLength(0);
    expect((await post(c, "/v2/batches/get", { id: batch.id })).json().data.batch.status).toBe("ready");

    const committed = await post(c, "/v2/batches/commit", { id: batch.id, all_or_nothing: false });
    expect(committed.statusCode).toBe(200);
    expect(committed.json().data.batch).toMatchObject({ status: "running", counts: { pending: 0, queued: 3 } });
    const done = await runUntilFinal(c, batch.id);
    expect(done).toMatchObject({ status: "completed", counts: { succeeded: 3, failed: 0, succeeded_amount: 6_000 } });
    await expectCountsMatchRows(done);

    const payments = await paymentsOf(c);
    expect(payments.map((p) => Number(p.amount)).sort()).toEqual([1_000, 2_000, 3_000]);
    expect(payments.every((p) => p.state === "succeeded" && p.channel === "api")).toBe(true);
    const verify = await post(c, "/v2/pay/verify", { payment_id: payments[0]!.id });
    expect(verify.json().data.payment_status.status).toBe("success_pending_validation");

    const results = await getCsv(c, done.results_url);
    expect(results.rows.map((r) => [r.row, r.status, r.amount])).toEqual([
      ["1", "succeeded", "1000"],
      ["2", "succeeded", "2000"],
      ["3", "succeeded", "3000"],
      ["4", "invalid", "4000"],
    ]);
    expect(new Set(results.rows.slice(0, 3).map((r) => r.payment_id))).toEqual(new Set(payments.map((p) => p.id)));
    expect(results.rows[3]!.reason).toContain("account_to_debit");

    const events = await w.h.ctx.db.selectFrom("events").select("type").where("object_id", "=", batch.id).orderBy("sequence").execute();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["batch.ready", "batch.running", "batch.completed"]));
    expect(await expectSoundLedger(w, c)).toEqual([]);

    // Finished batches are listed with filters.
    const list = await post(c, "/v2/batches/list", { status: "completed" });
    expect(list.json().data.batches.map((b: { id: string }) => b.id)).toEqual([batch.id]);
  });

  it("cancel mid-run: rows not yet sent are cancelled, rows already sent finish, the summary says which", async () => {
    const c = await bulkCompany(w);
    // The bank answers `pending` for a minute: the rows sent stay in flight.
    await c.faults({ pendingRate: 1, pendingMs: 60_000 }, c.accounts[0]!.bankId);
    const file = csv(Array.from({ length: 8 }, (_, i) => ({ account_to_debit: c.accounts[0]!.id, amount: 100 + i })));
    const batch = (await upload(c, file)).json().data.batch;
    expect((await post(c, "/v2/batches/commit", { id: batch.id })).json().data.batch.counts).toMatchObject({ pending: 6, queued: 2 });
    await c.jobs.runOnce(); // the bank's window (2 rows) becomes payments, sent, pending at the bank
    const res = await post(c, "/v2/batches/cancel", { id: batch.id });
    expect(res.statusCode).toBe(200);
    const { summary } = res.json().data;
    expect(summary.cancelled).toBe(6);
    expect(summary.in_flight.map((r: { row: number }) => r.row)).toEqual([1, 2]);
    await c.faults({}, c.accounts[0]!.bankId);
    for (let i = 0; i < 6; i++) {
      w.clock.advance(30_000);
      await c.run();
    }
    const after = (await post(c, "/v2/batches/get", { id: batch.id })).json().data.batch;
    expect(after).toMatchObject({ status: "cancelled", counts: { succeeded: 2, cancelled: 6, pending: 0, queued: 0, processing: 0 } });
    await expectCountsMatchRows(after);
    expect(await paymentsOf(c)).toHaveLength(2);
    expect((await post(c, "/v2/batches/cancel", { id: batch.id })).statusCode).toBe(409);
  });

  it("a failing bank fails its rows with the bank's reason; retrying the failed rows makes a new batch once", async () => {
    const c = await bulkCompany(w);
    await c.faults({ failRate: 1, pendingMs: 0 }, c.accounts[1]!.bankId);
    const file = csv([
      { account_to_debit: c.accounts[0]!.id, amount: 700 },
      { account_to_debit: c.accounts[1]!.id, amount: 800 },
    ]);
    const batch = (await upload(c, file)).json().data.batch;
    await post(c, "/v2/batches/commit", { id: batch.id });
    let done = batch;
    for (let i = 0; i < 30 && !["completed", "partially_completed", "failed"].includes(done.status); i++) {
      await c.run();
      w.clock.advance(5_000);
      done = (await post(c, "/v2/batches/get", { id: batch.id })).json().data.batch;
    }
    expect(done).toMatchObject({ status: "partially_completed", counts: { succeeded: 1, failed: 1, failed_amount: 800 } });
    await expectCountsMatchRows(done);
    const rows = await rowsOf(batch.id);
    expect(rows[1]!.reason).toBeTruthy();

    await c.faults({}, c.accounts[1]!.bankId);
    const retry = await post(c, "/v2/batches/retry", { id: batch.id });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().data.batch).toMatchObject({ status: "ready", retry_of: batch.id, totals: { rows: 1, valid_rows: 1, amount: 800 } });
    expect((await post(c, "/v2/batches/retry", { id: batch.id })).json()).toMatchObject({ status: "error", error: "CONFLICT" });
  });
});

describe("Okra's bulkfiles/initiate", () => {
  it("validates and commits in one call in Okra's shape; the same file again is refused, never charged twice", async () => {
    const c = await bulkCompany(w);
    const file = csv([
      { account_to_debit: c.accounts[0]!.id, account_to_credit: c.receivingAccountId, amount: 5_000, currency: "NGN", callback_url: "https://example.com/hook" },
      { account_to_debit: c.accounts[1]!.id, amount: 6_000, currency: "NGN" },
    ]);
    const res = await upload(c, file, { product: "initiate_payment" }, "/v2/bulkfiles/initiate", "june.csv");
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ name: "june.csv", owner: c.tenant.id, product: "initiate_payment", status: "running" });
    expect(data._id).toMatch(/^[0-9a-f]{24}$/);
    const again = await upload(c, file, { product: "initiate_payment" }, "/v2/bulkfiles/initiate", "june-copy.csv");
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain(`already uploaded as batch ${data._id}`);
    await runUntilFinal(c, data._id);
    expect(await paymentsOf(c)).toHaveLength(2);
    // The row's callback_url got its own endpoint, which receives only what names it.
    const endpoint = await w.h.ctx.db.selectFrom("webhook_endpoints").selectAll().where("company_id", "=", c.tenant.id).where("url", "=", "https://example.com/hook").executeTakeFirstOrThrow();
    const deliveries = await w.h.ctx.db
      .selectFrom("webhook_deliveries")
      .innerJoin("events", "events.id", "webhook_deliveries.event_id")
      .select("events.type")
      .where("webhook_deliveries.endpoint_id", "=", endpoint.id)
      .execute();
    expect(deliveries.map((d) => d.type)).toEqual(["batch.row.succeeded"]);
  });

  it("Idempotency-Key: the same upload replays, another file under the same key is a 409", async () => {
    const c = await bulkCompany(w);
    const body = multipartBody([{ name: "file", filename: "a.csv", content: csv([{ account_to_debit: c.accounts[0]!.id, amount: 100 }]) }]);
    const send = (payload: Buffer, headers: Record<string, string>) => w.h.request({ method: "POST", url: "/v2/bulkfiles/initiate", headers: { ...auth(c), ...headers, "idempotency-key": "bulk-1" }, payload });
    const first = await send(body.payload, body.headers);
    const replay = await send(body.payload, body.headers);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.json().data._id).toBe(first.json().data._id);
    const other = multipartBody([{ name: "file", filename: "a.csv", content: csv([{ account_to_debit: c.accounts[0]!.id, amount: 101 }]) }]);
    expect((await send(other.payload, other.headers)).statusCode).toBe(409);
  });
});
