import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emitEvent, type EventPayload } from "../../src/events/emit.js";
import type { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { deliveryRunner, dueAt } from "./delivery-jobs.js";

/**
 * Events and webhooks end to end: endpoints made through the API, events emitted as the domain
 * does, the real job runner with the webhook job (driven by `runOnce()` on a ManualClock) sending to a real local
 * receiver, and replay and time travel through the API. Receivers verify with the
 * `standardwebhooks` library, as a developer's would.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

interface Received {
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered. */
  status: number;
}

const clock = new ManualClock(new Date("2026-04-06T09:00:00.000Z"));
let h: Harness;
let server: http.Server;
let hookUrl: string;
let received: Received[] = [];
/** While false the receiver answers 503 (down for maintenance). */
let up = true;
const workers: JobRunner[] = [];

beforeAll(async () => {
  h = await createHarness({ clock });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const status = up ? 200 : 503;
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString("utf8"), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(up ? "thanks" : "down for maintenance");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/okra/webhook`;
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  received = [];
  up = true;
  server.closeAllConnections();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h?.close();
});

/** The tenant's job runner: only its deliveries (the database is shared), no jitter. */
function workerFor(tenant: NewCompany): JobRunner {
  const w = deliveryRunner(h.ctx, tenant.id, { concurrency: 10, timeoutMs: 5_000, random: () => 0.5 });
  workers.push(w);
  return w;
}

/** Runs the worker until nothing more is due at the current time. */
async function drain(w: JobRunner): Promise<void> {
  for (let i = 0; i < 100 && (await w.runOnce()) > 0; i++);
}

async function api<T = any>(tenant: NewCompany, path: string, body: unknown): Promise<T> {
  const res = await h.request({ method: "POST", url: `/v2${path}`, headers: bearer(tenant.sandbox.secret_key), payload: body as Record<string, unknown> });
  return expectSuccess<T>(res);
}

/** An endpoint made through `POST /v2/webhooks/create`; its secret is shown once, there. */
async function createEndpoint(tenant: NewCompany, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const { endpoint } = await api<{ endpoint: { id: string; secret: string } }>(tenant, "/webhooks/create", { url: hookUrl, ...extra });
  expect(endpoint.secret).toMatch(/^whsec_/);
  return endpoint;
}

/** Emits as a domain module does: inside the transaction of the change. */
async function emit(tenant: NewCompany, objectId: string, type = "payment.updated"): Promise<EventPayload> {
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(
      trx,
      {
        companyId: tenant.id,
        env: "sandbox",
        type,
        object: { type: "payment", id: objectId },
        data: { payment_id: objectId },
        legacy: { callback_type: "PAYMENT", callback_code: "PAYMENT_UPDATED" },
      },
      clock.now(),
    ),
  );
  return event.payload;
}

/** Verifies a received request as a receiver would, and returns the event it carries. */
function verified(secret: string, r: Received): EventPayload {
  return new Webhook(secret).verify(r.body, r.headers) as EventPayload;
}

const pendingCount = async (tenant: NewCompany) =>
  Number(
    (
      await h.ctx.db
        .selectFrom("webhook_deliveries")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .where("company_id", "=", tenant.id)
        .where("status", "=", "pending")
        .executeTakeFirstOrThrow()
    ).n,
  );

const sequencesByObject = (events: EventPayload[]) => {
  const out: Record<string, number[]> = {};
  for (const e of events) (out[e.object.id] ??= []).push(e.sequence);
  return out;
};

describe("webhooks end to end (real receiver, real worker)", () => {
  it("signs every delivery so the standardwebhooks library verifies it, and sends Okra's bearer token", async () => {
    const tenant = await h.newTenant("Signed Co");
    const endpoint = await createEndpoint(tenant, { bearer_token: "okra-receiver-token" });
    const event = await emit(tenant, "pay_signed", "payment.completed");
    await drain(workerFor(tenant));

    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(verified(endpoint.secret, r)).toEqual(event);
    expect(r.headers.authorization).toBe("Bearer okra-receiver-token");
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString("base64")}`).verify(r.body, r.headers)).toThrow();
    expect(() => verified(endpoint.secret, { ...r, body: r.body.replace("pay_signed", "pay_forged") })).toThrow();

    const { deliveries } = await api<{ deliveries: Array<{ id: string; status: string }> }>(tenant, "/webhooks/deliveries/list", { event_id: event.id });
    expect(deliveries).toEqual([expect.objectContaining({ id: r.headers["webhook-id"], status: "succeeded" })]);
    const detail = await api(tenant, "/webhooks/deliveries/get", { id: deliveries[0]!.id });
    expect(detail.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null, response_snippet: "thanks" })]);
  });

  it("gets a receiver that was down for six simulated hours every event once it is back, each object's in sequence order", async () => {
    const tenant = await h.newTenant("Outage Co");
    const endpoint = await createEndpoint(tenant);
    const w = workerFor(tenant);
    up = false;
    const start = clock.now().getTime();
    const events: EventPayload[] = [];
    for (const object of ["pay_a", "pay_b", "pay_a", "pay_c", "pay_b", "pay_a"]) {
      events.push(await emit(tenant, object));
      clock.advance(10_000);
    }

    // Six hours down, in five-minute steps, the worker running at each step.
    let addedDuringOutage = false;
    while (clock.now().getTime() < start + 6 * HOUR_MS) {
      await drain(w);
      if (!addedDuringOutage && clock.now().getTime() >= start + 3 * HOUR_MS) {
        events.push(await emit(tenant, "pay_a"), await emit(tenant, "pay_d"));
        addedDuringOutage = true;
      }
      clock.advance(5 * MINUTE_MS);
    }
    const whileDown = received.splice(0);
    expect(whileDown.length).toBeGreaterThan(10);
    expect(whileDown.every((r) => r.status === 503)).toBe(true);
    // Strict order: only each object's first event was tried; the rest waited behind it.
    expect(new Set(whileDown.map((r) => verified(endpoint.secret, r).sequence))).toEqual(new Set([1]));
    expect(await pendingCount(tenant)).toBe(events.length);

    // Back up: keep stepping until the retries (next one at 7 h 35 min) have drained everything.
    up = true;
    for (let step = 0; step < 24 * 12 && (await pendingCount(tenant)) > 0; step++) {
      clock.advance(5 * MINUTE_MS);
      await drain(w);
    }
    expect(await pendingCount(tenant)).toBe(0);
    expect(received.every((r) => r.status === 200)).toBe(true);
    const delivered = received.map((r) => verified(endpoint.secret, r));
    // Every event, exactly once, and each object's events in sequence order.
    expect(delivered.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(sequencesByObject(delivered)).toEqual({ pay_a: [1, 2, 3, 4], pay_b: [1, 2], pay_c: [1], pay_d: [1] });
    // The webhook-id of each is its delivery's id.
    const { deliveries } = await api<{ deliveries: Array<{ id: string; status: string }> }>(tenant, "/webhooks/deliveries/list", { limit: 100 });
    expect(received.map((r) => r.headers["webhook-id"]).sort()).toEqual(deliveries.map((d) => d.id).sort());
    expect(deliveries.every((d) => d.status === "succeeded")).toBe(true);
  });

  it("drains a retry due hours later when the sandbox clock is advanced through the API", async () => {
    const tenant = await h.newTenant("Time Travel Co");
    const endpoint = await createEndpoint(tenant);
    const w = workerFor(tenant);
    up = false;
    const event = await emit(tenant, "pay_late");
    // Fail until the next retry is hours away (attempts at 0, 5 s, 5 min 5 s, 35 min 5 s: the
    // next one 2 h after that).
    const { id } = await h.ctx.db.selectFrom("webhook_deliveries").select("id").where("event_id", "=", event.id).executeTakeFirstOrThrow();
    for (let i = 0; i < 3; i++) {
      await drain(w);
      clock.set((await dueAt(h.ctx, id))!);
    }
    await drain(w);
    const row = await h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", event.id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(4);
    const wait = (await dueAt(h.ctx, id))!.getTime() - clock.now().getTime();
    expect(wait).toBe(2 * HOUR_MS);
    received = [];
    up = true;

    // The process clock stays put; only the company's sandbox clock moves.
    await drain(w);
    expect(received).toHaveLength(0);
    await api(tenant, "/sandbox/clock/advance", { ms: wait });
    await drain(w);
    expect(received).toHaveLength(1);
    expect(verified(endpoint.secret, received[0]!)).toEqual(event);
    expect(await pendingCount(tenant)).toBe(0);
  });

  it("sends a resent delivery again with the same webhook-id and body, still verifiable", async () => {
    const tenant = await h.newTenant("Resend Co");
    const endpoint = await createEndpoint(tenant);
    const w = workerFor(tenant);
    const event = await emit(tenant, "pay_resend", "payment.completed");
    await drain(w);
    expect(received).toHaveLength(1);
    const deliveryId = received[0]!.headers["webhook-id"]!;

    clock.advance(HOUR_MS);
    const { delivery } = await api(tenant, "/webhooks/deliveries/resend", { id: deliveryId });
    expect(delivery).toMatchObject({ id: deliveryId, status: "pending" });
    await drain(w);

    expect(received).toHaveLength(2);
    expect(received[1]!.headers["webhook-id"]).toBe(deliveryId);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(verified(endpoint.secret, received[1]!)).toEqual(event);
    const detail = await api(tenant, "/webhooks/deliveries/get", { id: deliveryId });
    expect(detail.delivery).toMatchObject({ status: "succeeded", attempt_count: 2 });
    expect(detail.attempts.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code])).toEqual([
      [1, 200],
      [2, 200],
    ]);
  });

  it("delivers one object's events with increasing sequence, matching the events feed", async () => {
    const tenant = await h.newTenant("Sequence Co");
    const endpoint = await createEndpoint(tenant);
    for (const object of ["pay_x", "pay_y", "pay_x", "pay_x", "pay_y", "pay_x", "pay_x"]) {
      await emit(tenant, object);
      clock.advance(1000);
    }
    await drain(workerFor(tenant));
    const delivered = received.map((r) => verified(endpoint.secret, r));
    expect(sequencesByObject(delivered)).toEqual({ pay_x: [1, 2, 3, 4, 5], pay_y: [1, 2] });

    // A receiver reconciling from the feed sees the same events, in the same per-object order.
    const feed = await api<{ events: EventPayload[] }>(tenant, "/events/list", { order: "asc", object_id: "pay_x" });
    expect(feed.events).toEqual(delivered.filter((e) => e.object.id === "pay_x"));
  });
});
