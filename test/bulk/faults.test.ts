import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowStateCounts } from "../../src/bulk/store.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { reportReversal } from "../../src/payments/service.js";
import { expectSoundLedger, type World } from "../payments/engine-world.js";
import { auth, bulkCompany, csv, multipartBody, openBulkWorld, type BulkCompany } from "./bulk-world.js";

/** Bulk payments' faults (issue 15, decision 0017 "Faults"): rows whose job gives up, callbacks, mandate rows, late reversals. */

let w: World;
beforeAll(async () => {
  w = await openBulkWorld({ maxRows: 50, maxFileBytes: 64 * 1024, bankConcurrency: 2 });
}, 60_000);
afterAll(() => w?.h.close());

const upload = (c: BulkCompany, content: string, fields: Record<string, string> = {}, path = "/v2/batches/create") => {
  const body = multipartBody([{ name: "file", filename: "payments.csv", content }], fields);
  return w.h.request({ method: "POST", url: path, headers: { ...auth(c), ...body.headers }, payload: body.payload });
};
const post = (c: BulkCompany, url: string, payload: unknown) => w.h.request({ method: "POST", url, headers: auth(c), payload: payload as object });
const getBatch = async (c: BulkCompany, id: string) => (await post(c, "/v2/batches/get", { id })).json().data.batch;
const rowsOf = (batchId: string) => w.h.ctx.db.selectFrom("batch_rows").selectAll().where("batch_id", "=", batchId).orderBy("row_no").execute();

async function expectCountsMatchRows(batch: { id: string; counts: Record<string, number> }) {
  const byState = await rowStateCounts(w.h.ctx.db, batch.id);
  for (const s of ["pending", "queued", "processing", "succeeded", "failed", "cancelled"]) expect(batch.counts[s], s).toBe(byState[s] ?? 0);
}

async function runUntilFinal(c: BulkCompany, id: string, advanceMs = 0) {
  for (let i = 0; i < 80; i++) {
    await c.run();
    if (advanceMs) w.clock.advance(advanceMs);
    const b = await getBatch(c, id);
    if (!["ready", "running"].includes(b.status)) return b;
  }
  throw new Error("batch never finished");
}

describe("a row whose job gives up", () => {
  it("ends failed with the reason when its job runs out of attempts, freeing its bank's window so the other rows run and the batch finishes", async () => {
    const c = await bulkCompany(w);
    // Creating this one payment fails with an error that is not a refusal (a database fault): the row job is retried until it gives up.
    await sql
      .raw(
        `CREATE OR REPLACE FUNCTION bulk_test_fault() RETURNS trigger AS $$ BEGIN IF NEW.amount = 4242 THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
         DROP TRIGGER IF EXISTS bulk_test_fault ON payments;
         CREATE TRIGGER bulk_test_fault BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION bulk_test_fault();`,
      )
      .execute(w.h.ctx.db);
    try {
      const file = csv([4242, 1_001, 1_002, 1_003].map((amount) => ({ account_to_debit: c.accounts[0]!.id, amount })));
      const batch = (await upload(c, file)).json().data.batch;
      expect((await post(c, "/v2/batches/commit", { id: batch.id })).json().data.batch.counts).toMatchObject({ queued: 2, pending: 2 });
      const done = await runUntilFinal(c, batch.id, 61_000);
      expect(done).toMatchObject({ status: "partially_completed", counts: { succeeded: 3, failed: 1, queued: 0, pending: 0, failed_amount: 4242 } });
      await expectCountsMatchRows(done);
      const rows = await rowsOf(batch.id);
      expect(rows[0]).toMatchObject({ state: "failed", payment_id: null });
      expect(rows[0]!.reason).toContain("disk on fire");
      const job = await w.h.ctx.db.selectFrom("jobs").selectAll().where("key", "=", `batch:${batch.id}:row:1`).executeTakeFirstOrThrow();
      expect(job.state).toBe("failed");
      expect(job.attempts).toBe(job.max_attempts);
      expect(await expectSoundLedger(w, c)).toEqual([]);
    } finally {
      await sql.raw("DROP TRIGGER IF EXISTS bulk_test_fault ON payments").execute(w.h.ctx.db);
    }
  });

  it("ends failed when its worker died on the last attempt (the lease lapsed with no attempt left)", async () => {
    const c = await bulkCompany(w);
    const file = csv([2_001, 2_002].map((amount) => ({ account_to_debit: c.accounts[0]!.id, amount })));
    const batch = (await upload(c, file)).json().data.batch;
    await post(c, "/v2/batches/commit", { id: batch.id });
    // Row 1's job as a worker SIGKILLed on its last attempt leaves it: running, its lease lapsed.
    const now = w.clock.now();
    await w.h.ctx.db
      .updateTable("jobs")
      .set({ state: "running", attempts: sql`max_attempts`, lease_token: "dead-worker", lease_owner: "dead:1", lease_until: new Date(now.getTime() - 1), run_at: new Date(now.getTime() - 1) })
      .where("key", "=", `batch:${batch.id}:row:1`)
      .execute();
    const done = await runUntilFinal(c, batch.id);
    expect(done).toMatchObject({ status: "partially_completed", counts: { succeeded: 1, failed: 1, queued: 0 } });
    await expectCountsMatchRows(done);
    const rows = await rowsOf(batch.id);
    expect(rows[0]!.state).toBe("failed");
    expect(rows[0]!.reason).toMatch(/lease lapsed on attempt/);
  });
});

describe("a row's job makes its payment and sends it", () => {
  it("sends a payment made by a run that failed before sending it, on the next run, once", async () => {
    const c = await bulkCompany(w);
    // The first attempt to send the 6161-kobo payment fails after the payment was made (a database fault), once.
    await sql
      .raw(
        `CREATE SEQUENCE IF NOT EXISTS bulk_test_once;
         CREATE OR REPLACE FUNCTION bulk_test_send_fault() RETURNS trigger AS $$ BEGIN IF NEW.amount = 6161 AND NEW.state = 'processing' AND nextval('bulk_test_once') = 1 THEN RAISE EXCEPTION 'connection reset'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
         DROP TRIGGER IF EXISTS bulk_test_send_fault ON payments;
         CREATE TRIGGER bulk_test_send_fault BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION bulk_test_send_fault();`,
      )
      .execute(w.h.ctx.db);
    try {
      const batch = (await upload(c, csv([{ account_to_debit: c.accounts[0]!.id, amount: 6161 }]))).json().data.batch;
      await post(c, "/v2/batches/commit", { id: batch.id });
      await c.jobs.runOnce();
      const [made] = await rowsOf(batch.id);
      expect(made).toMatchObject({ state: "processing" });
      const payment = await w.h.ctx.db.selectFrom("payments").selectAll().where("id", "=", made!.payment_id!).executeTakeFirstOrThrow();
      expect(payment.state).toBe("queued"); // made, not sent

      const done = await runUntilFinal(c, batch.id, 2_000);
      expect(done).toMatchObject({ status: "completed", counts: { succeeded: 1 } });
      const payments = await w.h.ctx.db.selectFrom("payments").select(["id", "state", "attempt"]).where("company_id", "=", c.tenant.id).execute();
      expect(payments).toEqual([{ id: payment.id, state: "succeeded", attempt: 1 }]);
      const job = await w.h.ctx.db.selectFrom("jobs").selectAll().where("key", "=", `batch:${batch.id}:row:1`).executeTakeFirstOrThrow();
      expect(job).toMatchObject({ state: "done", attempts: 2 });
      expect(await w.h.ctx.db.selectFrom("jobs").select("id").where("name", "=", "payments.execute").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
    } finally {
      await sql.raw("DROP TRIGGER IF EXISTS bulk_test_send_fault ON payments; DROP SEQUENCE IF EXISTS bulk_test_once").execute(w.h.ctx.db);
    }
  });
});

describe("the batch's callback_url", () => {
  it("gets each batch event once, and the company's own endpoints get the same events once: one event per change", async () => {
    const c = await bulkCompany(w);
    const own = await createEndpoint(w.h.ctx.db, w.h.ctx.secrets, c.scope, { url: "https://company.example.com/okro", event_types: [] }, w.clock.now());
    const file = csv([{ account_to_debit: c.accounts[0]!.id, amount: 3_001 }, { account_to_debit: c.accounts[1]!.id, amount: 3_002 }]);
    const batch = (await upload(c, file, { callback_url: "https://callback.example.com/batch" })).json().data.batch;
    expect(batch.callback_url).toBe("https://callback.example.com/batch");
    await post(c, "/v2/batches/commit", { id: batch.id });
    expect((await runUntilFinal(c, batch.id)).status).toBe("completed");

    const events = await w.h.ctx.db.selectFrom("events").select(["id", "type"]).where("object_id", "=", batch.id).orderBy("sequence").execute();
    expect(events.map((e) => e.type)).toEqual(["batch.ready", "batch.running", "batch.progress", "batch.completed"]);
    const callback = await w.h.ctx.db.selectFrom("webhook_endpoints").select("id").where("company_id", "=", c.tenant.id).where("url", "=", "https://callback.example.com/batch").executeTakeFirstOrThrow();
    const deliveredTo = async (endpointId: string) =>
      (
        await w.h.ctx.db
          .selectFrom("webhook_deliveries")
          .innerJoin("events", "events.id", "webhook_deliveries.event_id")
          .select("events.type")
          .where("webhook_deliveries.endpoint_id", "=", endpointId)
          .where("events.object_id", "=", batch.id)
          .orderBy("events.sequence")
          .execute()
      ).map((d) => d.type);
    // The callback endpoint exists from the commit on: it hears the run and its end, once each.
    expect(await deliveredTo(callback.id)).toEqual(["batch.running", "batch.progress", "batch.completed"]);
    expect(await deliveredTo(own.id)).toEqual(["batch.ready", "batch.running", "batch.progress", "batch.completed"]);
  });
});

describe("a late reversal", () => {
  it("moves a succeeded row to reversed and the batch's counts and amounts with it, and says so once to the company and the callbacks", async () => {
    const c = await bulkCompany(w);
    const file = csv(
      [
        { account_to_debit: c.accounts[0]!.id, amount: 5_001, callback_url: "https://rows.example.com/r" },
        { account_to_debit: c.accounts[0]!.id, amount: 5_002 },
      ],
    );
    const batch = (await upload(c, file, { callback_url: "https://callback.example.com/reversals" })).json().data.batch;
    await post(c, "/v2/batches/commit", { id: batch.id });
    const done = await runUntilFinal(c, batch.id);
    expect(done).toMatchObject({ status: "completed", counts: { succeeded: 2, succeeded_amount: 10_003 } });
    const [first] = await rowsOf(batch.id);

    await reportReversal(w.h.ctx, c.scope, first!.payment_id!, "customer disputed the debit");
    const after = await getBatch(c, batch.id);
    expect(after).toMatchObject({ status: "completed", counts: { succeeded: 1, reversed: 1, succeeded_amount: 5_002, reversed_amount: 5_001 } });
    await expectCountsMatchRows(after);
    expect((await rowStateCounts(w.h.ctx.db, batch.id)).reversed).toBe(1);
    const rows = await rowsOf(batch.id);
    expect(rows[0]).toMatchObject({ state: "reversed", reason: "customer disputed the debit" });

    const results = (await w.h.request({ method: "GET", url: after.results_url, headers: auth(c) })).body;
    expect(results.split("\r\n")[1] ?? results.split("\n")[1]).toContain("reversed");

    const events = await w.h.ctx.db.selectFrom("events").select(["id", "type"]).where("object_id", "=", batch.id).where("type", "=", "batch.row.reversed").execute();
    expect(events).toHaveLength(1);
    const endpoints = await w.h.ctx.db.selectFrom("webhook_endpoints").select(["id", "url"]).where("company_id", "=", c.tenant.id).execute();
    const deliveries = await w.h.ctx.db.selectFrom("webhook_deliveries").select("endpoint_id").where("event_id", "=", events[0]!.id).execute();
    expect(deliveries.map((d) => endpoints.find((e) => e.id === d.endpoint_id)!.url).sort()).toEqual(["https://callback.example.com/reversals", "https://rows.example.com/r"]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("pacing with a wider window", () => {
  it("never has more than the bank's window in flight, refills it once half of it is free, and runs every row", async () => {
    const w4 = await openBulkWorld({ maxRows: 50, maxFileBytes: 64 * 1024, bankConcurrency: 4 });
    try {
      const c = await bulkCompany(w4);
      // The bank answers `pending` and settles 30 s later: rows stay in flight until the clock moves.
      await c.faults({ pendingRate: 1, pendingMs: 30_000 }, c.accounts[0]!.bankId);
      const body = multipartBody([{ name: "file", filename: "p.csv", content: csv(Array.from({ length: 11 }, (_, i) => ({ account_to_debit: c.accounts[0]!.id, amount: 7_000 + i }))) }]);
      const batch = (await w4.h.request({ method: "POST", url: "/v2/batches/create", headers: { ...auth(c), ...body.headers }, payload: body.payload })).json().data.batch;
      await w4.h.request({ method: "POST", url: "/v2/batches/commit", headers: auth(c), payload: { id: batch.id } });
      const inFlight = async () => (await w4.h.ctx.db.selectFrom("batch_rows").select("row_no").where("batch_id", "=", batch.id).where("state", "in", ["queued", "processing"]).execute()).length;
      const seen: number[] = [];
      let status = "running";
      for (let i = 0; i < 40 && status === "running"; i++) {
        await c.run();
        seen.push(await inFlight());
        w4.clock.advance(7_000);
        status = (await w4.h.ctx.db.selectFrom("batches").select("state").where("id", "=", batch.id).executeTakeFirstOrThrow()).state;
      }
      expect(status).toBe("completed");
      expect(Math.max(...seen)).toBe(4);
      const b = await w4.h.ctx.db.selectFrom("batches").selectAll().where("id", "=", batch.id).executeTakeFirstOrThrow();
      expect(b).toMatchObject({ succeeded_count: 11, pending_count: 0, queued_count: 0, processing_count: 0 });
      // Refilled in halves: 4 at commit, then 2 at a time (11 = 4 + 2 + 2 + 2 + 1) — five openings, not eleven.
      const openings = await w4.h.ctx.db.selectFrom("state_transitions").select(["at"]).where("object_type", "=", "batch_row").where("reason", "=", "window_open").where("object_id", "like", `${batch.id}-%`).execute();
      expect(openings).toHaveLength(11);
      expect(new Set(openings.map((o) => o.at.getTime())).size).toBeLessThanOrEqual(5);
    } finally {
      await w4.h.close();
    }
  });
});
