import { JobRunner } from "../../src/jobs/runner.js";
import { BULK_JOBS } from "../../src/bulk/service.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { signedUp } from "../platform/dashboard-client.js";
import { paymentFixture } from "../security/route-registry.js";

/**
 * The dashboard's bulk uploads API as the bulk pages use it: a CSV validated (totals, row errors,
 * the errors CSV), committed only when confirmed by an admin (all-or-nothing refuses a file with
 * errors), listed, its results CSV, cancelled with an audit entry; another company's batch a 404.
 */

let h: Harness;
const clock = new ManualClock(new Date("2026-03-02T09:00:00Z"));
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

describe("the dashboard's bulk uploads", () => {
  it("filters the payments list by a batch: exactly the payments its rows made", async () => {
    const s = await signedUp(h);
    const tenant = { id: s.company.id, name: s.company.name } as NewCompany;
    const a = await paymentFixture(h, tenant, "sandbox");
    const b = await paymentFixture(h, tenant, "sandbox");
    const csv = `account_to_debit,amount,reference\n${a.accountId},150000,fee-1\n${b.accountId},250000,fee-2\n`;
    const validated = expectSuccess(await s.client.post("/batches/validate", { env: "sandbox", file: csv, file_name: "fees.csv" })).batch;
    expectSuccess(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id, confirm: true }));
    await new JobRunner(h.ctx, [...BULK_JOBS, ...PAYMENT_JOBS], { companyIds: [s.company.id] }).runOnce();
    const made = await h.ctx.db.selectFrom("batch_rows").select("payment_id").where("batch_id", "=", validated.id).where("payment_id", "is not", null).execute();
    expect(made).toHaveLength(2);
    const ofBatch = expectSuccess(await s.client.get(`/payments?env=sandbox&batch=${validated.id}`)).payments as Array<{ id: string }>;
    expect(ofBatch.map((p) => p.id).sort()).toEqual(made.map((r) => r.payment_id).sort());
    // The fixtures' own two payments are not the batch's.
    expect(expectSuccess(await s.client.get("/payments?env=sandbox")).payments).toHaveLength(4);
  });

  it("validates a CSV, refuses all-or-nothing with errors, commits when confirmed, lists, exports and cancels with an audit entry", async () => {
    const s = await signedUp(h);
    const tenant = { id: s.company.id, name: s.company.name } as NewCompany;
    // Two customers' accounts with payment consent (each fixture also makes one payment).
    const a = await paymentFixture(h, tenant, "sandbox");
    const b = await paymentFixture(h, tenant, "sandbox");
    const csv = `account_to_debit,amount,reference\n${a.accountId},150000,rent-jan\n${b.accountId},250000,rent-feb\nnot-an-account,abc,bad-row\n`;

    const validated = expectSuccess(await s.client.post("/batches/validate", { env: "sandbox", file: csv, file_name: "rent.csv" })).batch;
    expect(validated).toMatchObject({ status: "ready", file_name: "rent.csv", totals: { rows: 3, valid_rows: 2, invalid_rows: 1, amount: 400_000 } });
    expect(validated.errors[0]).toMatchObject({ row: 3 });
    const errors = await s.client.get(`/batches/${validated.id}/errors.csv?env=sandbox`);
    expect(errors.statusCode).toBe(200);
    const errorRows = parse(errors.body, { columns: true }) as Array<Record<string, string>>;
    expect(errorRows).toHaveLength(1);
    expect(errorRows[0]!.reference).toBe("bad-row");
    expect(errorRows[0]!.error).toMatch(/\w/);

    expectError(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id }), 400, "MISSING_FIELDS");
    expectError(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id, all_or_nothing: true, confirm: true }), 422, "UNPROCESSABLE");
    await h.ctx.db.updateTable("users").set({ role: "viewer" }).where("id", "=", s.user.id).execute();
    expectError(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id, confirm: true }), 403, "FORBIDDEN");
    await h.ctx.db.updateTable("users").set({ role: "admin" }).where("id", "=", s.user.id).execute();

    const committed = expectSuccess(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id, confirm: true }, { "idempotency-key": "commit-1" })).batch;
    expect(committed.status).not.toBe("ready");
    // The same key replays; the batch is not committed twice.
    expect(expectSuccess(await s.client.post("/batches/commit", { env: "sandbox", id: validated.id, confirm: true }, { "idempotency-key": "commit-1" })).batch.id).toBe(validated.id);

    const list = expectSuccess(await s.client.get("/batches?env=sandbox"));
    expect(list.batches.map((x: { id: string }) => x.id)).toEqual([validated.id]);
    const got = expectSuccess(await s.client.get(`/batches/${validated.id}?env=sandbox`)).batch;
    expect(got.totals).toEqual(committed.totals);

    const results = await s.client.get(`/batches/${validated.id}/results.csv?env=sandbox`);
    expect(results.statusCode).toBe(200);
    const resultRows = parse(results.body, { columns: true }) as Array<Record<string, string>>;
    expect(resultRows.map((r) => r.reference)).toEqual(expect.arrayContaining(["rent-jan", "rent-feb"]));

    clock.advance(1000);
    const cancelled = expectSuccess(await s.client.post("/batches/cancel", { env: "sandbox", id: validated.id, confirm: true }));
    expect(cancelled.summary.cancelled + cancelled.summary.in_flight.length + cancelled.summary.already_final).toBeGreaterThan(0);

    const log = await h.ctx.db.selectFrom("audit_log").select(["action", "object_id"]).where("company_id", "=", tenant.id).orderBy("at").orderBy("id").execute();
    expect(log).toEqual([
      { action: "batch.commit", object_id: validated.id },
      { action: "batch.cancel", object_id: validated.id },
    ]);

    const other = await signedUp(h);
    expectError(await other.client.get(`/batches/${validated.id}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await other.client.post("/batches/cancel", { env: "sandbox", id: validated.id, confirm: true }), 404, "NOT_FOUND");
    expect((await other.client.get(`/batches/${validated.id}/results.csv?env=sandbox`)).statusCode).toBe(404);
  });
});
