import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeRequestLogJob } from "../../src/jobs/housekeeping.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { enqueue } from "../../src/jobs/store.js";
import { ManualClock } from "../../src/lib/clock.js";
import { newId } from "../../src/lib/ids.js";
import { REQUEST_LOG_RETENTION_MS } from "../../src/platform/request-log.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { signedUp } from "../platform/dashboard-client.js";

/**
 * The API request log: every authenticated /v2 request of a company's keys is logged (method,
 * path without its query, status, duration, key, request id, Idempotency-Key; never a body),
 * shown on the dashboard's API requests page with filters, only to that company and environment,
 * and purged by age on the job runner.
 */

let h: Harness;
const clock = new ManualClock(new Date());
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h?.close();
});

interface Row {
  id: string;
  method: string;
  path: string;
  route: string | null;
  status: number;
  duration_ms: number;
  key_id: string;
  request_id: string;
  idempotency_key: string | null;
}

describe("the API request log", () => {
  it("logs each authenticated /v2 request without bodies or query strings, and the dashboard filters it", async () => {
    const s = await signedUp(h);
    const key = s.credentials.sandbox.secret_key;
    const keyRow = await h.ctx.db.selectFrom("api_keys").select("id").where("company_id", "=", s.company.id).where("env", "=", "sandbox").where("kind", "=", "secret").executeTakeFirstOrThrow();

    const listed = await h.request({ method: "GET", url: "/v2/events/list?type=payment.*&limit=5", headers: bearer(key) });
    expect(listed.statusCode).toBe(200);
    clock.advance(1000);
    const created = await h.request({
      method: "POST",
      url: "/v2/webhooks/create",
      headers: { ...bearer(key), "idempotency-key": "hook-1" },
      payload: { url: "https://hooks.example.com/okro", bearer_token: "very-secret-bearer" },
    });
    expect(created.statusCode).toBe(200);
    const secret = created.json().data.endpoint.secret as string;
    clock.advance(1000);
    const bad = await h.request({ method: "POST", url: "/v2/webhooks/get", headers: bearer(key), payload: { id: "nope" } });
    expect(bad.statusCode).toBe(400);
    // A wrong key belongs to nobody: not logged.
    expect((await h.request({ method: "GET", url: "/v2/events/list", headers: bearer("sk_test_wrong") })).statusCode).toBe(401);
    await h.app.requestLog.flush();

    const page = expectSuccess(await s.client.get("/request-log?env=sandbox"));
    const rows = page.requests as Row[];
    expect(rows.map((r) => [r.method, r.path, r.status])).toEqual([
      ["POST", "/v2/webhooks/get", 400],
      ["POST", "/v2/webhooks/create", 200],
      ["GET", "/v2/events/list", 200],
    ]);
    expect(rows[1]).toMatchObject({ key_id: keyRow.id, idempotency_key: "hook-1", request_id: created.headers["x-request-id"], route: "/v2/webhooks/create" });
    expect(rows[0]!.request_id).toBe(bad.headers["x-request-id"]);
    for (const r of rows) expect(r.duration_ms).toBeGreaterThanOrEqual(0);
    expect(page.retention_days).toBe(30);
    const text = JSON.stringify(await h.ctx.db.selectFrom("api_request_log").selectAll().where("company_id", "=", s.company.id).execute());
    for (const hidden of [secret, "very-secret-bearer", "payment.*", key]) expect(text).not.toContain(hidden);

    const ids = async (q: string) => (expectSuccess(await s.client.get(`/request-log?env=sandbox&${q}`)).requests as Row[]).map((r) => r.path);
    expect(await ids("status=4xx")).toEqual(["/v2/webhooks/get"]);
    expect(await ids("status=200&method=POST")).toEqual(["/v2/webhooks/create"]);
    expect(await ids("path=/v2/webhooks/")).toEqual(["/v2/webhooks/get", "/v2/webhooks/create"]);
    expect(await ids(`request_id=${String(listed.headers["x-request-id"])}`)).toEqual(["/v2/events/list"]);
    expect(await ids("idempotency_key=hook-1")).toEqual(["/v2/webhooks/create"]);
    expect(await ids(`key_id=${keyRow.id}&limit=2`)).toHaveLength(2);
    // Pages: the cursor is the last row's id.
    const first = expectSuccess(await s.client.get("/request-log?env=sandbox&limit=2"));
    expect(first.next_cursor).toBe(first.requests[1].id);
    expect((expectSuccess(await s.client.get(`/request-log?env=sandbox&limit=2&before=${first.next_cursor}`)).requests as Row[]).map((r) => r.path)).toEqual(["/v2/events/list"]);

    expect(expectError(await s.client.get("/request-log?env=sandbox&status=abc"), 400, "INVALID_FIELD").message).toMatch(/^status: /);
    expect(expectError(await s.client.get("/request-log?env=sandbox&method=BREW"), 400, "INVALID_FIELD").message).toMatch(/^method: /);

    // Only this company's, only this environment's.
    expect(expectSuccess(await s.client.get("/request-log?env=production")).requests).toEqual([]);
    const stranger = await signedUp(h, { company_name: "Stranger" });
    expect(expectSuccess(await stranger.client.get("/request-log?env=sandbox")).requests).toEqual([]);
    expectError(await stranger.client.get(`/request-log?env=sandbox&before=${first.next_cursor}`), 404, "NOT_FOUND");
  });

  it("is purged by the housekeeping job once rows are older than 30 days", async () => {
    const s = await signedUp(h);
    const now = clock.now();
    const row = (at: Date, path: string) => ({ id: newId(at), company_id: s.company.id, env: "sandbox" as const, key_id: "k", method: "GET", path, route: null, status: 200, duration_ms: 3, request_id: randomUUID(), idempotency_key: null, at });
    await h.ctx.db
      .insertInto("api_request_log")
      .values([row(new Date(now.getTime() - REQUEST_LOG_RETENTION_MS - 60_000), "/v2/old"), row(new Date(now.getTime() - 60_000), "/v2/recent")])
      .execute();
    const key = `test-${randomUUID()}`;
    await enqueue(h.ctx.db, purgeRequestLogJob, {}, { now, key });
    expect(await new JobRunner(h.ctx, [purgeRequestLogJob]).runOnce()).toBeGreaterThanOrEqual(1);
    const job = await h.ctx.db.selectFrom("jobs").select("state").where("name", "=", purgeRequestLogJob.name).where("key", "=", key).executeTakeFirstOrThrow();
    expect(job.state).toBe("done");
    const left = await h.ctx.db.selectFrom("api_request_log").select("path").where("company_id", "=", s.company.id).execute();
    expect(left.map((r) => r.path)).toEqual(["/v2/recent"]);
  });
});
