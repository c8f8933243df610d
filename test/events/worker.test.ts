import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/db/schema.js";
import { WEBHOOK_TIMEOUT_MS } from "../../src/events/deliver.js";
import { emitEvent, type EmittedEvent } from "../../src/events/emit.js";
import { createEndpoint, rotateEndpointSecret, type EndpointWithSecret } from "../../src/events/endpoints.js";
import { GONE_REASON, MAX_ATTEMPTS, RETRY_JITTER, RETRY_SCHEDULE_MS } from "../../src/events/worker.js";
import { DELIVERY_JOB } from "../../src/events/queues.js";
import type { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";
import { deliveryRunner, dueAt, jobOf, type DeliveryRunnerOptions } from "./delivery-jobs.js";

/**
 * Webhook delivery (the `webhooks.deliver` job, run by the one job runner) against a real local
 * receiver (a node http server on 127.0.0.1 that each test scripts), on the harness storage with a
 * ManualClock. Every test makes its own tenant and its runners claim only that tenant's jobs (the
 * database is shared with other files). `runOnce()` runs everything due at the clock's time.
 */

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const clock = new ManualClock(new Date());
let h: Harness;
let server: http.Server;
let base: string;
let received: Received[] = [];
let handler: Handler;
const okHandler: Handler = (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok");
const rawServers: net.Server[] = [];

beforeAll(async () => {
  h = await createHarness({ clock });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ path: req.url ?? "", headers: req.headers as Record<string, string>, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  received = [];
  handler = okHandler;
  server.closeAllConnections();
  for (const raw of rawServers.splice(0)) raw.close();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h?.close();
});
handler = okHandler;

// ---------------------------------------------------------------------------------------------

async function endpoint(tenant: NewCompany, url: string, options: { env?: Env; bearer_token?: string } = {}): Promise<EndpointWithSecret> {
  const scope = { companyId: tenant.id, env: options.env ?? "sandbox" };
  return h.ctx.db.transaction().execute((trx) => createEndpoint(trx, h.ctx.secrets, scope, { url, bearer_token: options.bearer_token }, clock.now()));
}

/** Points an endpoint somewhere createEndpoint would refuse (an old row, or a bypass): the worker must cope. */
const forceUrl = (id: string, url: string) => h.ctx.db.updateTable("webhook_endpoints").set({ url }).where("id", "=", id).execute();

function emit(tenant: NewCompany, objectId: string, data: Record<string, unknown> = {}, env: Env = "sandbox"): Promise<EmittedEvent> {
  return h.ctx.db
    .transaction()
    .execute((trx) => emitEvent(trx, { companyId: tenant.id, env, type: "payment.updated", object: { type: "payment", id: objectId }, data }, clock.now()));
}

function worker(tenant: NewCompany, options: DeliveryRunnerOptions = {}): JobRunner {
  return deliveryRunner(h.ctx, tenant.id, options);
}

const deliveryOf = (eventId: string) => h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", eventId).executeTakeFirstOrThrow();
const attemptsOf = (deliveryId: string) =>
  h.ctx.db.selectFrom("webhook_attempts").selectAll().where("delivery_id", "=", deliveryId).orderBy("attempt").execute();
const endpointRow = (id: string) => h.ctx.db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

/** A raw TCP "receiver" that does whatever `onSocket` does with the connection. */
async function rawReceiver(onSocket: (socket: net.Socket) => void): Promise<string> {
  const raw = net.createServer((socket) => {
    socket.on("error", () => {});
    onSocket(socket);
  });
  rawServers.push(raw);
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}/hook`;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------------

describe("webhook delivery (the webhooks.deliver job)", () => {
  it("delivers an event once, signed per Standard Webhooks, with the bearer token and the stored payload", async () => {
    const tenant = await h.newTenant("Deliver Co");
    const ep = await endpoint(tenant, `${base}/hook`, { bearer_token: "okra-style-token-1" });
    const event = await emit(tenant, "pay_1", { amount: 5000 });
    const registry = new Registry();
    const w = worker(tenant, { registry });

    expect(await w.runOnce()).toBe(1);
    expect(received).toHaveLength(1);
    const [got] = received;
    const delivery = await deliveryOf(event.id);
    expect(got!.path).toBe("/hook");
    expect(got!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "Okro-Webhooks/1",
      authorization: "Bearer okra-style-token-1",
      "webhook-id": delivery.id,
    });
    expect(Math.abs(Number(got!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(new Webhook(ep.secret).verify(got!.body, got!.headers)).toEqual(event.payload);
    const stored = await h.ctx.db.selectFrom("events").select("payload").where("id", "=", event.id).executeTakeFirstOrThrow();
    expect(JSON.parse(got!.body)).toEqual(stored.payload);

    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200, last_error: null });
    expect(await jobOf(h.ctx, delivery.id)).toMatchObject({ state: "done", attempts: 1 });
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, status_code: 200, error: null, response_snippet: "ok" });
    expect(attempts[0]!.started_at.getTime()).toBe(clock.now().getTime());

    // Nothing more to send, now or a day later.
    expect(await w.runOnce()).toBe(0);
    clock.advance(86_400_000);
    expect(await w.runOnce()).toBe(0);
    expect(received).toHaveLength(1);
    expect(await registry.getSingleMetricAsString("okro_webhook_attempts_total")).toContain('outcome="success"} 1');
  });

  it("signs with both secrets during a rotation: receivers on either secret verify", async () => {
    const tenant = await h.newTenant("Rotate Co");
    const ep = await endpoint(tenant, `${base}/hook`);
    const rotated = await h.ctx.db
      .transaction()
      .execute((trx) => rotateEndpointSecret(trx, h.ctx.secrets, { companyId: tenant.id, env: "sandbox" }, ep.id, 3600, clock.now()));
    await emit(tenant, "pay_rot");
    expect(await worker(tenant).runOnce()).toBe(1);
    const [got] = received;
    expect(got!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(got!.body, got!.headers)).toBeTruthy();
    expect(new Webhook(ep.secret).verify(got!.body, got!.headers)).toBeTruthy();
    expect(got!.headers.authorization).toBeUndefined();
  });

  it("retries a receiver answering 500 exactly on the Standard Webhooks schedule, never early, and gives up after ten attempts", async () => {
    const tenant = await h.newTenant("Retry Co");
    const ep = await endpoint(tenant, `${base}/hook`);
    handler = (_req, res) => res.writeHead(500).end("boom");
    const event = await emit(tenant, "pay_retry");
    const w = worker(tenant);
    const { id } = await deliveryOf(event.id);

    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      const sentAt = clock.now().getTime();
      expect(await w.runOnce()).toBe(1);
      expect(received).toHaveLength(n);
      const delivery = await deliveryOf(event.id);
      expect(delivery.attempts).toBe(n);
      if (n === MAX_ATTEMPTS) {
        expect(delivery).toMatchObject({ status: "failed", last_status_code: 500 });
        // The job ran out of attempts: failed, with why.
        expect(await jobOf(h.ctx, id)).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS, run_at: null, last_error: "HTTP 500" });
        break;
      }
      expect(delivery.status).toBe("pending");
      const due = (await dueAt(h.ctx, id))!.getTime();
      const scheduled = RETRY_SCHEDULE_MS[n - 1]!;
      expect(due - sentAt).toBeGreaterThanOrEqual(Math.floor(scheduled * (1 - RETRY_JITTER)));
      expect(due - sentAt).toBeLessThanOrEqual(Math.ceil(scheduled * (1 + RETRY_JITTER)));
      // One millisecond early: not sent.
      clock.set(new Date(due - 1));
      expect(await w.runOnce()).toBe(0);
      expect(received).toHaveLength(n);
      clock.set(new Date(due));
    }

    // Every attempt: the same webhook-id, a valid signature, recorded with its status and snippet.
    expect(new Set(received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([id]));
    for (const r of received) expect(new Webhook(ep.secret).verify(r.body, r.headers)).toBeTruthy();
    const attempts = await attemptsOf(id);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(attempts.every((a) => a.status_code === 500 && a.response_snippet === "boom")).toBe(true);

    clock.advance(7 * 86_400_000);
    expect(await w.runOnce()).toBe(0);
    expect(received).toHaveLength(MAX_ATTEMPTS);
  });

  it("disables the endpoint when the receiver answers 410 Gone, and fails its pending deliveries", async () => {
    const tenant = await h.newTenant("Gone Co");
    const ep = await endpoint(tenant, `${base}/hook`);
    handler = (_req, res) => res.writeHead(410).end("gone");
    const first = await emit(tenant, "pay_gone");
    const second = await emit(tenant, "pay_gone"); // waits behind the first (same object)
    const w = worker(tenant);

    expect(await w.runOnce()).toBe(1);
    expect(received).toHaveLength(1);
    expect(await endpointRow(ep.id)).toMatchObject({ enabled: false, disabled_reason: GONE_REASON });
    expect(await deliveryOf(first.id)).toMatchObject({ status: "failed", last_status_code: 410 });
    // A 410 ends the job for good at its first attempt (no retry is scheduled).
    expect(await jobOf(h.ctx, (await deliveryOf(first.id)).id)).toMatchObject({ state: "failed", attempts: 1, run_at: null });
    expect(await deliveryOf(second.id)).toMatchObject({ status: "failed", attempts: 0, last_error: "endpoint_disabled" });
    const later = await emit(tenant, "pay_other");
    expect(later.deliveries).toBe(0);
    clock.advance(86_400_000);
    expect(await w.runOnce()).toBe(0);
    expect(received).toHaveLength(1);
  });

  it("fails a delivery without sending when its endpoint was disabled before it came up", async () => {
    const tenant = await h.newTenant("Disabled Co");
    const ep = await endpoint(tenant, `${base}/hook`);
    const event = await emit(tenant, "pay_dis");
    await h.ctx.db.updateTable("webhook_endpoints").set({ enabled: false }).where("id", "=", ep.id).execute();
    expect(await worker(tenant).runOnce()).toBe(1);
    expect(received).toHaveLength(0);
    expect(await deliveryOf(event.id)).toMatchObject({ status: "failed", attempts: 0, last_error: "endpoint_disabled" });
    expect(await attemptsOf((await deliveryOf(event.id)).id)).toHaveLength(0);
  });

  it("does not follow a 301 redirect: a failed attempt, retried later", async () => {
    const tenant = await h.newTenant("Redirect Co");
    await endpoint(tenant, `${base}/hook`);
    handler = (_req, res) => res.writeHead(301, { location: `${base}/elsewhere` }).end("moved");
    const event = await emit(tenant, "pay_301");
    expect(await worker(tenant).runOnce()).toBe(1);
    expect(received.map((r) => r.path)).toEqual(["/hook"]);
    const delivery = await deliveryOf(event.id);
    expect(delivery).toMatchObject({ status: "pending", last_status_code: 301, last_error: "redirect" });
    expect((await attemptsOf(delivery.id))[0]).toMatchObject({ status_code: 301, error: "redirect", response_snippet: "moved" });
  });

  it("records a timeout when the receiver never answers (15 s by default; shortened here)", async () => {
    expect(WEBHOOK_TIMEOUT_MS).toBe(15_000);
    const tenant = await h.newTenant("Timeout Co");
    await endpoint(tenant, `${base}/hook`);
    handler = () => {}; // never answers
    const event = await emit(tenant, "pay_slow");
    const started = performance.now();
    expect(await worker(tenant, { timeoutMs: 300 }).runOnce()).toBe(1);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5_000);
    const delivery = await deliveryOf(event.id);
    expect(delivery).toMatchObject({ status: "pending", last_status_code: null, last_error: "timeout" });
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt!.error).toBe("timeout");
    expect(attempt!.duration_ms).toBeGreaterThanOrEqual(290);
  });

  it("survives bad URLs, unreachable hosts, huge bodies, garbage and slow drips: each a recorded attempt", async () => {
    const tenant = await h.newTenant("Chaos Co");
    // Huge: 20 MiB of body (the worker reads 1 KiB and hangs up).
    const huge = await endpoint(tenant, `${base}/huge`);
    handler = (req, res) => {
      if (req.url !== "/huge") return void res.writeHead(200).end("fine");
      res.on("error", () => {});
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      let left = 320;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left--;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    };
    const garbage = await endpoint(tenant, `${base}/x`);
    await forceUrl(
      garbage.id,
      await rawReceiver((socket) => socket.end(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x0a, 0x47, 0x41, 0x52, 0x42, 0x0d, 0x0a, 0x0d, 0x0a]))),
    );
    const drip = await endpoint(tenant, `${base}/x`);
    await forceUrl(
      drip.id,
      await rawReceiver((socket) => {
        const text = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        let i = 0;
        const timer = setInterval(() => (i < text.length && !socket.destroyed ? socket.write(text[i++]!) : clearInterval(timer)), 100);
        socket.on("close", () => clearInterval(timer));
      }),
    );
    const refused = await endpoint(tenant, `http://127.0.0.1:${await closedPort()}/hook`);
    const ftp = await endpoint(tenant, `${base}/x`);
    await forceUrl(ftp.id, "ftp://files.example.com/hook");
    const nonsense = await endpoint(tenant, `${base}/x`);
    await forceUrl(nonsense.id, "not a url at all");
    const unknownHost = await endpoint(tenant, `${base}/x`);
    await forceUrl(unknownHost.id, "http://okro-no-such-host.invalid/hook");

    const event = await emit(tenant, "pay_chaos");
    expect(event.deliveries).toBe(7);
    const w = worker(tenant, { timeoutMs: 1_000 });
    expect(await w.runOnce()).toBe(7);

    const outcome = async (endpointId: string) => {
      const d = await h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", event.id).where("endpoint_id", "=", endpointId).executeTakeFirstOrThrow();
      return { delivery: d, attempt: (await attemptsOf(d.id))[0]! };
    };
    const hugeOutcome = await outcome(huge.id);
    expect(hugeOutcome.delivery.status).toBe("succeeded");
    expect(hugeOutcome.attempt.response_snippet).toBe("A".repeat(1024));
    const g = await outcome(garbage.id);
    expect(g.delivery.status).toBe("pending");
    expect(g.attempt.error).toMatch(/^HPE_/);
    expect(g.attempt.status_code).toBeNull();
    expect((await outcome(drip.id)).attempt.error).toBe("timeout");
    expect((await outcome(refused.id)).attempt.error).toBe("ECONNREFUSED");
    expect((await outcome(ftp.id)).attempt.error).toBe("unsupported_protocol");
    expect((await outcome(nonsense.id)).attempt.error).toBe("invalid_url");
    expect((await outcome(unknownHost.id)).attempt.error).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);

    // The worker is still fine: the next event reaches the good endpoint (beside the retries now due).
    received = [];
    clock.advance(10_000);
    const after = await emit(tenant, "pay_after");
    for (let i = 0; i < 5 && (await w.runOnce()) > 0; i++);
    expect(received.filter((r) => r.path === "/huge").map((r) => JSON.parse(r.body).id)).toEqual([after.id]);
  });

  it("resends on a fresh connection when a kept-alive connection turns out closed, instead of failing the attempt", async () => {
    const tenant = await h.newTenant("Keepalive Co");
    const ep = await endpoint(tenant, `${base}/x`);
    let connections = 0;
    const answered: number[] = [];
    await forceUrl(
      ep.id,
      await rawReceiver((socket) => {
        const connection = ++connections;
        let requests = 0;
        socket.on("data", (data: Buffer) => {
          if (!data.includes("POST ")) return;
          requests++;
          // The first connection answers once, then dies under the second request (as a receiver
          // whose idle timeout fired at that moment would).
          if (connection === 1 && requests === 2) return void socket.resetAndDestroy();
          answered.push(connection);
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
        });
      }),
    );
    const w = worker(tenant);
    const first = await emit(tenant, "pay_ka_1");
    expect(await w.runOnce()).toBe(1);
    const second = await emit(tenant, "pay_ka_2");
    expect(await w.runOnce()).toBe(1);
    expect(answered).toEqual([1, 2]);
    expect(await deliveryOf(first.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await deliveryOf(second.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    await w.stop();
  });

  it("refuses private and loopback targets for production endpoints (sandbox may reach them)", async () => {
    const tenant = await h.newTenant("Prod Co");
    const literal = await endpoint(tenant, "https://hooks.example.com/okro", { env: "production" });
    await forceUrl(literal.id, `${base}/hook`);
    const named = await endpoint(tenant, "https://hooks.example.com/okro2", { env: "production" });
    await forceUrl(named.id, `${base.replace("127.0.0.1", "localhost")}/hook`);
    const event = await emit(tenant, "pay_prod", {}, "production");
    expect(event.deliveries).toBe(2);
    expect(await worker(tenant).runOnce()).toBe(2);
    expect(received).toHaveLength(0);
    const deliveries = await h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", event.id).execute();
    expect(deliveries.map((d) => d.last_error)).toEqual(["EPRIVATEADDRESS", "EPRIVATEADDRESS"]);
  });

  it("guards sandbox deliveries too when OKRO_SANDBOX_WEBHOOKS_TO_PRIVATE is false (hosted installs)", async () => {
    const tenant = await h.newTenant("Hosted Co");
    await endpoint(tenant, `${base}/hook`);
    const event = await emit(tenant, "pay_hosted");
    const hosted = deliveryRunner({ ...h.ctx, config: { ...h.ctx.config, sandboxWebhooksToPrivate: false } }, tenant.id, { concurrency: 2 });
    expect(await hosted.runOnce()).toBe(1);
    expect(received).toHaveLength(0);
    expect(await deliveryOf(event.id)).toMatchObject({ last_error: "EPRIVATEADDRESS" });
  });

  it("sends one object's events strictly in sequence order, even when the first attempt of event 1 fails", async () => {
    const tenant = await h.newTenant("Order Co");
    await endpoint(tenant, `${base}/hook`);
    let calls = 0;
    handler = (_req, res) => res.writeHead(++calls === 1 ? 500 : 200).end();
    const events = [await emit(tenant, "pay_seq"), await emit(tenant, "pay_seq"), await emit(tenant, "pay_seq")];
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3]);
    const w = worker(tenant);

    expect(await w.runOnce()).toBe(1); // event 1 fails; 2 and 3 wait behind it
    expect(await w.runOnce()).toBe(0);
    clock.set((await dueAt(h.ctx, (await deliveryOf(events[0]!.id)).id))!);
    expect(await w.runOnce()).toBe(3); // 1 succeeds, which releases 2, which releases 3
    expect(received.map((r) => JSON.parse(r.body).sequence)).toEqual([1, 1, 2, 3]);
    for (const e of events) expect((await deliveryOf(e.id)).status).toBe("succeeded");
  });

  it("gets a receiver that was down for six simulated hours every event once it is back", async () => {
    const tenant = await h.newTenant("Outage Co");
    await endpoint(tenant, `${base}/hook`);
    let up = false;
    handler = (_req, res) => res.writeHead(up ? 200 : 503).end();
    const events = [await emit(tenant, "pay_a"), await emit(tenant, "pay_b"), await emit(tenant, "pay_b"), await emit(tenant, "pay_c")];
    const w = worker(tenant);
    const start = clock.now().getTime();
    // The next retry's time (later events of an object wait parked, with no job, behind the first).
    const pending = () =>
      h.ctx.db
        .selectFrom("jobs")
        .select((eb) => eb.fn.min("run_at").as("next"))
        .where("company_id", "=", tenant.id)
        .where("name", "=", DELIVERY_JOB.name)
        .where("state", "=", "queued")
        .where("run_at", ">", clock.now())
        .executeTakeFirstOrThrow();

    const drain = async () => {
      while ((await w.runOnce()) > 0);
    };

    // Down: advance to each due retry until six hours have passed.
    for (let i = 0; i < 100; i++) {
      await drain();
      const { next } = await pending();
      if (!next || new Date(next).getTime() > start + 6 * 3_600_000) break;
      clock.set(new Date(next));
    }
    const failures = received.length;
    expect(failures).toBeGreaterThan(10);
    up = true;
    for (let i = 0; i < 20; i++) {
      const { next } = await pending();
      if (!next) break;
      clock.set(new Date(next));
      await drain();
    }
    const ok = received.slice(failures);
    const ids = await Promise.all(events.map(async (e) => (await deliveryOf(e.id)).id));
    expect(ok.map((r) => r.headers["webhook-id"]).sort()).toEqual([...ids].sort());
    for (const e of events) expect((await deliveryOf(e.id)).status).toBe("succeeded");
    // pay_b's two events still arrived in order.
    const b = ok.filter((r) => JSON.parse(r.body).object.id === "pay_b").map((r) => JSON.parse(r.body).sequence);
    expect(b).toEqual([1, 2]);
  });

  it("lets a newer claim win after a lease expires: the stale worker's late outcome does not overwrite it", async () => {
    const tenant = await h.newTenant("Lease Co");
    await endpoint(tenant, `${base}/hook`);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    handler = (_req, res) => {
      if (received.length === 1) void held.then(() => res.writeHead(500).end("late"));
      else res.writeHead(200).end("ok");
    };
    const event = await emit(tenant, "pay_lease");
    const stale = worker(tenant, { leaseMs: 1_000, timeoutMs: 10_000 });
    const fresh = worker(tenant, { leaseMs: 1_000 });

    const staleRun = stale.runOnce();
    await waitUntil(() => received.length === 1, "the first attempt to arrive");
    expect(await fresh.runOnce()).toBe(0); // leased
    clock.advance(1_001);
    expect(await fresh.runOnce()).toBe(1); // the lease expired: taken again (at least once)
    expect(await deliveryOf(event.id)).toMatchObject({ status: "succeeded", attempts: 2 });
    release();
    expect(await staleRun).toBe(1);
    expect(await deliveryOf(event.id)).toMatchObject({ status: "succeeded", attempts: 2, last_status_code: 200 });
    const attempts = await attemptsOf((await deliveryOf(event.id)).id);
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(1);
  });

  it("runs in the background, and stop() finishes the in-flight send before resolving and claims nothing more", async () => {
    const tenant = await h.newTenant("Loop Co");
    await endpoint(tenant, `${base}/hook`);
    // One at a time, and polls an hour apart: only in-process wake-ups move it within the test.
    const w = worker(tenant, { concurrency: 1, pollMs: 3_600_000 });
    w.start();
    try {
      for (let i = 0; i < 5; i++) await emit(tenant, `pay_loop_${i}`);
      await waitUntil(() => received.length === 5, "five deliveries");
      let answer!: () => void;
      const held = new Promise<void>((resolve) => (answer = resolve));
      handler = (_req, res) => void held.then(() => res.writeHead(200).end("slow ok"));
      const last = await emit(tenant, "pay_loop_last");
      await waitUntil(() => received.length === 6, "the sixth delivery to be in flight");
      let stopped = false;
      const stopping = w.stop().then(() => (stopped = true));
      // Due work while stopping, with the in-process wake-up it brings: the runner's one slot frees
      // when the held send finishes, before stop() resolves; a runner still claiming takes it then.
      const after = await emit(tenant, "pay_loop_after");
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      answer();
      await stopping;
      expect(await deliveryOf(last.id)).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(await deliveryOf(after.id)).toMatchObject({ status: "pending", attempts: 0 });
      expect(await jobOf(h.ctx, (await deliveryOf(after.id)).id)).toMatchObject({ state: "queued", attempts: 0 });
      expect(received).toHaveLength(6);
    } finally {
      await w.stop();
    }
  });
});
