import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Updateable } from "kysely";
import type { Env, WebhookDeliveriesTable } from "../../src/db/schema.js";
import { emitEvent, type EventPayload } from "../../src/events/emit.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { shiftSandboxSchedules } from "../../src/events/events.js";
import { DELIVERY_JOB, deliveryJobKey } from "../../src/events/queues.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, usingPostgres, type Harness } from "../harness.js";
import { jobOf } from "./delivery-jobs.js";

/**
 * The read and replay side of events (src/events/events.ts, event-routes.ts): the events feed
 * and its cursors, per-object sequences, deliveries with their attempts, resend and
 * resend-failed, and the sandbox clock's hold on delivery schedules.
 */

const HOUR_MS = 3_600_000;
let h: Harness;
/** This file's own clock, so it can move time without disturbing other files. */
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock(new Date("2026-03-02T08:00:00.000Z"));
  h = await createHarness({ clock });
});
afterAll(() => h?.close());

interface Emit {
  type?: string;
  object?: { type: string; id: string };
  env?: Env;
  /** Advance the clock by this much afterwards (ms), so the next event is newer. Default 1 s. */
  then?: number;
}

async function emit(tenant: NewCompany, options: Emit = {}): Promise<EventPayload> {
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(
      trx,
      {
        companyId: tenant.id,
        env: options.env ?? "sandbox",
        type: options.type ?? "payment.completed",
        object: options.object ?? { type: "payment", id: randomUUID() },
        data: { n: Math.random() },
        legacy: { callback_type: "PAYMENT", callback_code: "PAYMENT_SUCCESS" },
      },
      clock.now(),
    ),
  );
  clock.advance(options.then ?? 1000);
  return event.payload;
}

async function post(tenant: NewCompany, path: string, body: unknown, options: { env?: Env; headers?: Record<string, string> } = {}) {
  return h.request({
    method: "POST",
    url: `/v2${path}`,
    headers: { ...bearer(tenant[options.env ?? "sandbox"].secret_key), ...options.headers },
    payload: body as Record<string, unknown>,
  });
}

interface Page {
  events: EventPayload[];
  has_more: boolean;
  next_cursor: string | null;
}
const list = async (tenant: NewCompany, body: Record<string, unknown>, env: Env = "sandbox") =>
  expectSuccess<Page>(await post(tenant, "/events/list", body, { env }));
const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);

/** An endpoint made through the endpoints service; nothing listens at its URL. */
async function endpoint(tenant: NewCompany, env: Env = "sandbox"): Promise<string> {
  const url = env === "sandbox" ? "http://127.0.0.1:9/okro" : "https://hooks.example.com/okro";
  const made = await h.ctx.db.transaction().execute((trx) => createEndpoint(trx, h.ctx.secrets, { companyId: tenant.id, env }, { url }, clock.now()));
  return made.id;
}

/** Emits an event to `endpointId` alone and returns its delivery id. */
async function delivery(tenant: NewCompany, endpointId: string, env: Env = "sandbox", object = { type: "payment", id: randomUUID() }): Promise<string> {
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(trx, { companyId: tenant.id, env, type: "payment.completed", object, data: {}, onlyEndpointId: endpointId }, clock.now()),
  );
  const row = await h.ctx.db.selectFrom("webhook_deliveries").select("id").where("event_id", "=", event.id).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Puts a delivery where a run of its `webhooks.deliver` job would have left it (these tests send
 * nothing): the row's fields, and its job — queued and due at `next_attempt_at`, running with a
 * lease until `locked_until`, or finished (done) when `next_attempt_at` is null.
 */
async function setDelivery(id: string, values: Updateable<WebhookDeliveriesTable> & { next_attempt_at?: Date | null; locked_until?: Date }): Promise<void> {
  const { next_attempt_at, locked_until, ...fields } = values;
  if (Object.keys(fields).length > 0) await h.ctx.db.updateTable("webhook_deliveries").set(fields).where("id", "=", id).execute();
  if (next_attempt_at === undefined && locked_until === undefined) return;
  const now = clock.now();
  const job = locked_until
    ? { state: "running" as const, run_at: locked_until, lease_token: "test-lease", lease_owner: "test", lease_until: locked_until, finished_at: null }
    : next_attempt_at
      ? { state: "queued" as const, run_at: next_attempt_at, lease_token: null, lease_owner: null, lease_until: null, finished_at: null }
      : { state: "done" as const, run_at: null, lease_token: null, lease_owner: null, lease_until: null, finished_at: now };
  const updated = await h.ctx.db
    .updateTable("jobs")
    .set({ ...job, ...(fields.attempts === undefined ? {} : { attempts: Number(fields.attempts) }), updated_at: now })
    .where("name", "=", DELIVERY_JOB.name)
    .where("key", "=", deliveryJobKey(id))
    .executeTakeFirst();
  expect(Number(updated.numUpdatedRows)).toBe(1);
}
/** The delivery row, with when it is tried next and its lease as its job says (null when it has none). */
async function deliveryRow(id: string) {
  const row = await h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const job = await jobOf(h.ctx, id);
  return { ...row, next_attempt_at: job?.state === "queued" ? job.run_at : null, locked_until: job?.state === "running" ? job.lease_until : null };
}

describe("the events feed (events/list, events/get)", () => {
  it("lists the company's events newest first, each exactly as stored (legacy fields included)", async () => {
    const tenant = await h.newTenant();
    const made = [await emit(tenant), await emit(tenant, { type: "balance.success" }), await emit(tenant)];
    const page = await list(tenant, {});
    expect(ids(page.events)).toEqual(ids(made).reverse());
    expect(page.events[0]).toEqual(made[2]);
    expect(page.events[0]).toMatchObject({ callback_type: "PAYMENT", callback_code: "PAYMENT_SUCCESS", sequence: 1, env: "sandbox" });
    expect(page.has_more).toBe(false);

    const got = expectSuccess<{ event: EventPayload }>(await post(tenant, "/events/get", { id: made[1]!.id }));
    expect(got.event).toEqual(made[1]);
  });

  it("answers GET with the same filters in the query string", async () => {
    const tenant = await h.newTenant();
    const payment = await emit(tenant, { type: "payment.failed" });
    await emit(tenant, { type: "balance.success" });
    const res = await h.request({ method: "GET", url: "/v2/events/list?type=payment.*&limit=5", headers: bearer(tenant.sandbox.secret_key) });
    expect(ids(expectSuccess<Page>(res).events)).toEqual([payment.id]);
  });

  it("filters by exact type, type prefix (payment.*), object and created_at range", async () => {
    const tenant = await h.newTenant();
    const object = { type: "payment", id: randomUUID() };
    const a = await emit(tenant, { type: "payment.completed", object });
    const b = await emit(tenant, { type: "payment.failed" });
    const c = await emit(tenant, { type: "balance.success" });
    const d = await emit(tenant, { type: "payment.refunded", object });
    const e = await emit(tenant, { type: "payments_x.completed" });

    expect(ids((await list(tenant, { type: "payment.failed" })).events)).toEqual([b.id]);
    expect(ids((await list(tenant, { type: "payment.*" })).events)).toEqual([d.id, b.id, a.id]);
    expect(ids((await list(tenant, { type: "payment" })).events)).toEqual([]);
    expect(ids((await list(tenant, { object_id: object.id })).events)).toEqual([d.id, a.id]);
    // from ≤ created_at < to
    expect(ids((await list(tenant, { from: b.created_at, to: d.created_at })).events)).toEqual([c.id, b.id]);
    expect(ids((await list(tenant, { from: d.created_at })).events)).toEqual([e.id, d.id]);
    expect(ids((await list(tenant, { type: "payment.*", object_id: object.id, to: d.created_at })).events)).toEqual([a.id]);
  });

  it("refuses bad filters and cursors with a 400 naming the field", async () => {
    const tenant = await h.newTenant();
    const event = await emit(tenant);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ starting_after: event.id, ending_before: event.id }, "ending_before"],
      [{ type: "payment.**" }, "type"],
      [{ type: "pay ment" }, "type"],
      [{ limit: 0 }, "limit"],
      [{ limit: 101 }, "limit"],
      [{ order: "newest" }, "order"],
      [{ from: "yesterday" }, "from"],
      [{ from: "2026-03-02", to: "2026-03-01" }, "to"],
      [{ starting_after: "nope" }, "starting_after"],
    ];
    for (const [body, field] of cases) {
      const { message } = expectError(await post(tenant, "/events/list", body), 400, "INVALID_FIELD");
      expect(message.startsWith(`${field}:`), message).toBe(true);
    }
    expectError(await post(tenant, "/events/get", {}), 400, "MISSING_FIELDS");
  });

  it("pages with starting_after and returns every event exactly once while new events keep arriving", async () => {
    const tenant = await h.newTenant();
    const before: EventPayload[] = [];
    for (let i = 0; i < 7; i++) before.push(await emit(tenant));
    const seen: string[] = [];
    let body: Record<string, unknown> = { limit: 3 };
    for (let pages = 0; pages < 10; pages++) {
      const page = await list(tenant, body);
      seen.push(...ids(page.events));
      // Two newer events between pages: they land at the newest end, never in a later page.
      await emit(tenant);
      await emit(tenant);
      if (!page.has_more) break;
      expect(page.next_cursor).toBe(page.events.at(-1)!.id);
      body = { limit: 3, starting_after: page.next_cursor };
    }
    expect(seen).toEqual(ids(before).reverse());
  });

  it("lets a receiver that was down catch up: events after its last one, oldest first (order asc), with more arriving", async () => {
    const tenant = await h.newTenant();
    const old = [await emit(tenant), await emit(tenant)];
    const lastSeen = old[1]!;
    const missed: EventPayload[] = [];
    for (let i = 0; i < 5; i++) missed.push(await emit(tenant));
    const got: string[] = [];
    let cursor: string | null = lastSeen.id;
    for (let pages = 0; pages < 20; pages++) {
      const page: Page = await list(tenant, { order: "asc", starting_after: cursor, limit: 2 });
      got.push(...ids(page.events));
      cursor = page.next_cursor;
      if (pages < 2) missed.push(await emit(tenant)); // still arriving while it catches up
      if (!page.has_more) break;
    }
    expect(got).toEqual(ids(missed));
    // Polling later from next_cursor yields only what is new.
    const fresh = await emit(tenant);
    const later = await list(tenant, { order: "asc", starting_after: cursor });
    expect(ids(later.events)).toEqual([fresh.id]);
  });

  it("pages backwards with ending_before (Stripe-style: the newer events closest to the cursor, newest first)", async () => {
    const tenant = await h.newTenant();
    const all: EventPayload[] = [];
    for (let i = 0; i < 6; i++) all.push(await emit(tenant));
    const first = await list(tenant, { ending_before: all[1]!.id, limit: 2 });
    expect(ids(first.events)).toEqual([all[3]!.id, all[2]!.id]);
    expect(first.has_more).toBe(true);
    expect(first.next_cursor).toBe(all[3]!.id);
    const second = await list(tenant, { ending_before: first.next_cursor, limit: 2 });
    expect(ids(second.events)).toEqual([all[5]!.id, all[4]!.id]);
    expect(second.has_more).toBe(false);
    // asc + ending_before: the older events just before the cursor, oldest first.
    const older = await list(tenant, { order: "asc", ending_before: all[3]!.id, limit: 2 });
    expect(ids(older.events)).toEqual([all[1]!.id, all[2]!.id]);
  });

  it("keeps another company's and the other environment's events invisible (404 on get and as a cursor)", async () => {
    const tenant = await h.newTenant();
    const stranger = await h.newTenant("Stranger Co");
    const mine = await emit(tenant);
    const production = await emit(tenant, { env: "production" });
    const theirs = await emit(stranger);

    expect(ids((await list(tenant, {})).events)).toEqual([mine.id]);
    expect(ids((await list(tenant, {}, "production")).events)).toEqual([production.id]);
    expectError(await post(tenant, "/events/get", { id: theirs.id }), 404, "NOT_FOUND");
    expectError(await post(tenant, "/events/get", { id: production.id }), 404, "NOT_FOUND");
    expectError(await post(tenant, "/events/get", { id: mine.id }, { env: "production" }), 404, "NOT_FOUND");
    const { message } = expectError(await post(tenant, "/events/list", { starting_after: theirs.id }), 404, "NOT_FOUND");
    expect(message).toMatch(/^starting_after:/);
  });
});

describe("per-object sequence", () => {
  it("counts 1, 2, 3 per object, independently for two objects", async () => {
    const tenant = await h.newTenant();
    const one = { type: "payment", id: randomUUID() };
    const two = { type: "payment", id: randomUUID() };
    const seqs = [];
    for (const object of [one, two, one, one, two]) seqs.push((await emit(tenant, { object })).sequence);
    expect(seqs).toEqual([1, 1, 2, 3, 2]);
    // The same id as another object type, or in the other environment, is another object.
    expect((await emit(tenant, { object: { type: "mandate", id: one.id } })).sequence).toBe(1);
    expect((await emit(tenant, { object: one, env: "production" })).sequence).toBe(1);
  });

  it(`gives concurrent events of one object distinct consecutive sequences (${usingPostgres ? "10 parallel transactions" : "sequential on PGlite"})`, async () => {
    const tenant = await h.newTenant();
    const object = { type: "payment", id: randomUUID() };
    const one = () =>
      h.ctx.db.transaction().execute((trx) => emitEvent(trx, { companyId: tenant.id, env: "sandbox", type: "payment.updated", object, data: {} }, clock.now()));
    const made = [];
    if (usingPostgres) made.push(...(await Promise.all(Array.from({ length: 10 }, one))));
    else for (let i = 0; i < 10; i++) made.push(await one());
    expect(made.map((e) => e.sequence).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = await list(tenant, { object_id: object.id, limit: 100 });
    expect(stored.events.map((e) => e.sequence).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe("webhook deliveries (list, get)", () => {
  it("lists deliveries newest first with filters, and gets one with its attempts and event", async () => {
    const tenant = await h.newTenant();
    const [ep1, ep2] = [await endpoint(tenant), await endpoint(tenant)];
    const d1 = await delivery(tenant, ep1);
    clock.advance(1000);
    const d2 = await delivery(tenant, ep2);
    clock.advance(1000);
    await setDelivery(d1, { status: "failed", attempts: 2, next_attempt_at: null, last_status_code: 500, last_error: null });
    await h.ctx.db
      .insertInto("webhook_attempts")
      .values([
        { delivery_id: d1, attempt: 1, started_at: clock.now(), duration_ms: 12, status_code: 503, error: null, response_snippet: "down" },
        { delivery_id: d1, attempt: 2, started_at: clock.now(), duration_ms: 15_000, status_code: null, error: "timeout", response_snippet: null },
      ])
      .execute();

    type Deliveries = { deliveries: Array<{ id: string; status: string }>; pagination: { totalDocs: number } };
    const all = expectSuccess<Deliveries>(await post(tenant, "/webhooks/deliveries/list", {}));
    expect(all.deliveries.map((d) => d.id)).toEqual([d2, d1]);
    expect(all.pagination.totalDocs).toBe(2);
    expect(expectSuccess<Deliveries>(await post(tenant, "/webhooks/deliveries/list", { endpoint_id: ep2 })).deliveries.map((d) => d.id)).toEqual([d2]);
    expect(expectSuccess<Deliveries>(await post(tenant, "/webhooks/deliveries/list", { status: "failed" })).deliveries.map((d) => d.id)).toEqual([d1]);
    expect(expectSuccess<Deliveries>(await post(tenant, "/webhooks/deliveries/list", { status: "succeeded" })).deliveries).toEqual([]);
    const row = await deliveryRow(d2);
    expect(expectSuccess<Deliveries>(await post(tenant, "/webhooks/deliveries/list", { event_id: row.event_id })).deliveries.map((d) => d.id)).toEqual([d2]);

    const got = expectSuccess<any>(await post(tenant, "/webhooks/deliveries/get", { id: d1 }));
    expect(got.delivery).toMatchObject({ id: d1, endpoint_id: ep1, status: "failed", attempt_count: 2, last_status_code: 500, event_type: "payment.completed", sequence: 1 });
    expect(got.attempts).toEqual([
      { attempt: 1, started_at: clock.now().toISOString(), duration_ms: 12, status_code: 503, error: null, response_snippet: "down" },
      { attempt: 2, started_at: clock.now().toISOString(), duration_ms: 15_000, status_code: null, error: "timeout", response_snippet: null },
    ]);
    expect(got.event.id).toBe(got.delivery.event_id);

    const stranger = await h.newTenant("Stranger Co");
    expectError(await post(stranger, "/webhooks/deliveries/get", { id: d1 }), 404, "NOT_FOUND");
    expectError(await post(tenant, "/webhooks/deliveries/get", { id: d1 }, { env: "production" }), 404, "NOT_FOUND");
    expect(expectSuccess<Deliveries>(await post(stranger, "/webhooks/deliveries/list", {})).deliveries).toEqual([]);
  });
});

describe("resend (webhooks/deliveries/resend)", () => {
  it("puts a succeeded delivery back to pending, due now, with the same id (so the same webhook-id)", async () => {
    const tenant = await h.newTenant();
    const ep = await endpoint(tenant);
    const id = await delivery(tenant, ep);
    await setDelivery(id, { status: "succeeded", attempts: 1, next_attempt_at: null, last_status_code: 200 });
    clock.advance(HOUR_MS);

    const res = await post(tenant, "/webhooks/deliveries/resend", { id }, { headers: { "idempotency-key": `resend-${id}` } });
    const { delivery: view } = expectSuccess<{ delivery: { id: string; status: string; next_attempt_at: string; leased_until: null } }>(res);
    expect(view).toMatchObject({ id, status: "pending", next_attempt_at: clock.now().toISOString(), leased_until: null });
    const row = await deliveryRow(id);
    expect(row).toMatchObject({ id, status: "pending", locked_until: null, attempts: 1 });
    expect(row.next_attempt_at!.getTime()).toBe(clock.now().getTime());
    expect(await h.ctx.db.selectFrom("webhook_deliveries").select("id").where("endpoint_id", "=", ep).execute()).toHaveLength(1);

    // The same Idempotency-Key replays; it does not resend again.
    const again = await post(tenant, "/webhooks/deliveries/resend", { id }, { headers: { "idempotency-key": `resend-${id}` } });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(res.json());
  });

  it("resends a failed one, and a pending one waiting for its retry (due now)", async () => {
    const tenant = await h.newTenant();
    const ep = await endpoint(tenant);
    const failed = await delivery(tenant, ep);
    await setDelivery(failed, { status: "failed", attempts: 10, next_attempt_at: null });
    const waiting = await delivery(tenant, ep);
    await setDelivery(waiting, { attempts: 3, next_attempt_at: new Date(clock.now().getTime() + 2 * HOUR_MS) });
    for (const id of [failed, waiting]) {
      expectSuccess(await post(tenant, "/webhooks/deliveries/resend", { id }));
      expect(await deliveryRow(id)).toMatchObject({ status: "pending", next_attempt_at: clock.now(), locked_until: null });
    }
  });

  it("refuses (409) a delivery a worker is sending right now, and takes it once the lease is over", async () => {
    const tenant = await h.newTenant();
    const id = await delivery(tenant, await endpoint(tenant));
    await setDelivery(id, { attempts: 1, locked_until: new Date(clock.now().getTime() + 60_000) });
    const { message } = expectError(await post(tenant, "/webhooks/deliveries/resend", { id }), 409, "CONFLICT");
    expect(message).toMatch(/^id: .*worker/);
    clock.advance(61_000);
    expectSuccess(await post(tenant, "/webhooks/deliveries/resend", { id }));
  });

  it("refuses (422) when the endpoint is disabled, saying to re-enable it", async () => {
    const tenant = await h.newTenant();
    const ep = await endpoint(tenant);
    const id = await delivery(tenant, ep);
    await setDelivery(id, { status: "failed", next_attempt_at: null });
    await h.ctx.db.updateTable("webhook_endpoints").set({ enabled: false, disabled_reason: "gone: the receiver answered 410" }).where("id", "=", ep).execute();
    const { message } = expectError(await post(tenant, "/webhooks/deliveries/resend", { id }), 422, "UNPROCESSABLE");
    expect(message).toMatch(/disabled.*410.*re-enable/);
    expect(await deliveryRow(id)).toMatchObject({ status: "failed" });
  });

  it("answers 404 for another company's or environment's delivery, and refuses unknown fields", async () => {
    const tenant = await h.newTenant();
    const stranger = await h.newTenant("Stranger Co");
    const id = await delivery(tenant, await endpoint(tenant));
    await setDelivery(id, { status: "succeeded", next_attempt_at: null });
    expectError(await post(stranger, "/webhooks/deliveries/resend", { id }), 404, "NOT_FOUND");
    expectError(await post(tenant, "/webhooks/deliveries/resend", { id }, { env: "production" }), 404, "NOT_FOUND");
    expect(await deliveryRow(id)).toMatchObject({ status: "succeeded" });
    expectError(await post(tenant, "/webhooks/deliveries/resend", { id, force: true }), 400, "UNKNOWN_FIELDS");
  });
});

describe("resend-failed (webhooks/deliveries/resend-failed)", () => {
  it("re-queues every failed delivery created in [from, to), and only those", async () => {
    const tenant = await h.newTenant();
    const [ep, other, off] = [await endpoint(tenant), await endpoint(tenant), await endpoint(tenant)];
    const from = clock.now();
    const failedA = await delivery(tenant, ep);
    const failedB = await delivery(tenant, other);
    const succeeded = await delivery(tenant, ep);
    const disabled = await delivery(tenant, off);
    clock.advance(2 * HOUR_MS);
    const to = clock.now();
    const afterRange = await delivery(tenant, ep);
    for (const id of [failedA, failedB, disabled, afterRange]) await setDelivery(id, { status: "failed", attempts: 10, next_attempt_at: null });
    await setDelivery(succeeded, { status: "succeeded", attempts: 1, next_attempt_at: null });
    await h.ctx.db.updateTable("webhook_endpoints").set({ enabled: false }).where("id", "=", off).execute();
    const production = await delivery(tenant, await endpoint(tenant, "production"), "production");
    await setDelivery(production, { status: "failed", next_attempt_at: null });
    clock.advance(HOUR_MS);

    const range = { from: from.toISOString(), to: to.toISOString() };
    const onlyOne = expectSuccess<{ count: number }>(await post(tenant, "/webhooks/deliveries/resend-failed", { ...range, endpoint_id: other }));
    expect(onlyOne).toEqual({ count: 1, skipped_disabled: 0 });
    expect(await deliveryRow(failedB)).toMatchObject({ status: "pending", next_attempt_at: clock.now(), locked_until: null });
    expect(await deliveryRow(failedA)).toMatchObject({ status: "failed" });

    const rest = expectSuccess(await post(tenant, "/webhooks/deliveries/resend-failed", range));
    expect(rest).toEqual({ count: 1, skipped_disabled: 1 });
    expect(await deliveryRow(failedA)).toMatchObject({ status: "pending", next_attempt_at: clock.now(), attempts: 10 });
    expect(await deliveryRow(succeeded)).toMatchObject({ status: "succeeded" });
    expect(await deliveryRow(disabled)).toMatchObject({ status: "failed" });
    expect(await deliveryRow(afterRange)).toMatchObject({ status: "failed" });
    expect(await deliveryRow(production)).toMatchObject({ status: "failed" });

    expectError(await post(tenant, "/webhooks/deliveries/resend-failed", { ...range, endpoint_id: off }), 422, "UNPROCESSABLE");
    const stranger = await h.newTenant("Stranger Co");
    expectError(await post(stranger, "/webhooks/deliveries/resend-failed", { ...range, endpoint_id: ep }), 404, "NOT_FOUND");
  });

  it("requires a range of at most 31 days", async () => {
    const tenant = await h.newTenant();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ to: "2026-03-01" }, "from", "MISSING_FIELDS"],
      [{ from: "2026-01-01" }, "to", "MISSING_FIELDS"],
      [{ from: "2026-01-01", to: "2026-02-02" }, "to", "INVALID_FIELD"],
      [{ from: "2026-01-02", to: "2026-01-01" }, "to", "INVALID_FIELD"],
    ];
    for (const [body, field, code] of cases) {
      const { message } = expectError(await post(tenant, "/webhooks/deliveries/resend-failed", body), 400, code as "INVALID_FIELD");
      expect(message.startsWith(`${field}:`), message).toBe(true);
    }
    expect(expectSuccess(await post(tenant, "/webhooks/deliveries/resend-failed", { from: "2026-01-01", to: "2026-02-01" }))).toEqual({
      count: 0,
      skipped_disabled: 0,
    });
  });
});

describe("delivery schedules and the sandbox clock", () => {
  it("advancing the sandbox clock 6 h makes a sandbox retry due in 6 h due now; production and other companies are untouched", async () => {
    const tenant = await h.newTenant();
    const stranger = await h.newTenant("Stranger Co");
    const inSixHours = () => new Date(clock.now().getTime() + 6 * HOUR_MS);
    const sandbox = await delivery(tenant, await endpoint(tenant));
    const production = await delivery(tenant, await endpoint(tenant, "production"), "production");
    const theirs = await delivery(stranger, await endpoint(stranger));
    const done = await delivery(tenant, await endpoint(tenant));
    for (const id of [sandbox, production, theirs]) await setDelivery(id, { attempts: 5, next_attempt_at: inSixHours() });
    await setDelivery(done, { status: "succeeded", next_attempt_at: null });
    const before = { production: await deliveryRow(production), theirs: await deliveryRow(theirs) };

    const res = await post(tenant, "/sandbox/clock/advance", { ms: 6 * HOUR_MS });
    expectSuccess(res);

    const shifted = await deliveryRow(sandbox);
    expect(shifted.next_attempt_at!.getTime()).toBeLessThanOrEqual(h.clock.now().getTime());
    expect((await deliveryRow(production)).next_attempt_at).toEqual(before.production.next_attempt_at);
    expect((await deliveryRow(theirs)).next_attempt_at).toEqual(before.theirs.next_attempt_at);
    expect((await deliveryRow(done)).next_attempt_at).toBeNull();
  });

  it("shiftSandboxSchedules moves pending sandbox schedules back by exactly ms", async () => {
    const tenant = await h.newTenant();
    const id = await delivery(tenant, await endpoint(tenant));
    const due = new Date(clock.now().getTime() + 10 * HOUR_MS);
    await setDelivery(id, { next_attempt_at: due });
    expect(await shiftSandboxSchedules(h.ctx.db, tenant.id, 5 * HOUR_MS)).toBe(1);
    expect((await deliveryRow(id)).next_attempt_at!.getTime()).toBe(due.getTime() - 5 * HOUR_MS);
    expect(await shiftSandboxSchedules(h.ctx.db, tenant.id, 0)).toBe(0);
  });
});
