import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitEvent } from "../../src/events/emit.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { DashboardClient, signedUp } from "../platform/dashboard-client.js";
import { deliveryRunner } from "../events/delivery-jobs.js";

/**
 * The dashboard's Developers pages as the SPA uses them: webhook endpoints (add, edit, disable,
 * secret shown once and rotated), deliveries with the request sent and each attempt's response,
 * resend one and resend every failed one, the events feed; viewers read only; every change is
 * audited; another company's ids are 404s.
 */

let h: Harness;
const clock = new ManualClock(new Date("2026-03-02T09:00:00Z"));
/** A receiver whose answer the test sets: 503 until told otherwise. */
let receiver: Server;
let receiverUrl = "";
let answer = 503;
const received: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  h = await createHarness({ clock });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(answer, { "content-type": "text/plain" }).end(answer === 200 ? "thanks" : "down for maintenance");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

const key = () => ({ "idempotency-key": `k-${randomUUID()}` });

/** A teammate of `owner`'s company with `role` (a signed-up user moved into the company). */
async function teammate(companyId: string, role: "viewer" | "developer"): Promise<DashboardClient> {
  const s = await signedUp(h, { company_name: "Elsewhere" });
  await h.ctx.db.updateTable("users").set({ company_id: companyId, role }).where("id", "=", s.user.id).execute();
  return s.client;
}

/** Emits a payment event of `companyId` in sandbox, as the engine does, and returns its id. */
async function paymentEvent(companyId: string, paymentId = randomUUID()): Promise<string> {
  const event = await h.ctx.db.transaction().execute((trx) =>
    emitEvent(trx, { companyId, env: "sandbox", type: "payment.completed", object: { type: "payment", id: paymentId }, data: { amount: 5000 } }, clock.now()),
  );
  clock.advance(1000);
  return event.id;
}

describe("webhook endpoints from the dashboard", () => {
  it("adds an endpoint showing its secret once, edits and disables it, rotates the secret, and audits each change without secrets", async () => {
    const { client, company } = await signedUp(h);
    const created = await client.post("/webhooks/create", { env: "sandbox", url: receiverUrl, description: "Orders", event_types: ["payment.completed"], bearer_token: "tok-123" }, { "idempotency-key": "create-1" });
    const endpoint = expectSuccess(created).endpoint;
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ url: receiverUrl, enabled: true, has_bearer_token: true, event_types: ["payment.completed"], secret_hint: endpoint.secret.slice(-4) });

    // The secret is never stored in clear: a replay of the same attempt says so instead of showing it.
    const replay = expectError(await client.post("/webhooks/create", { env: "sandbox", url: receiverUrl, description: "Orders", event_types: ["payment.completed"], bearer_token: "tok-123" }, { "idempotency-key": "create-1" }), 409, "CONFLICT");
    expect(replay.message).toContain(endpoint.id);
    expect(JSON.stringify(replay)).not.toContain(endpoint.secret);

    const listed = expectSuccess(await client.get("/webhooks?env=sandbox"));
    expect(listed.endpoints.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    expect(JSON.stringify(listed)).not.toContain(endpoint.secret);
    // The endpoint lives in sandbox: production does not have it.
    expectError(await client.get(`/webhooks/${endpoint.id}?env=production`), 404, "NOT_FOUND");

    const edited = expectSuccess(await client.post("/webhooks/update", { env: "sandbox", id: endpoint.id, description: "All orders", event_types: [] }, key())).endpoint;
    expect(edited).toMatchObject({ description: "All orders", event_types: [] });
    const disabled = expectSuccess(await client.post("/webhooks/update", { env: "sandbox", id: endpoint.id, enabled: false }, key())).endpoint;
    expect(disabled.enabled).toBe(false);

    const rotated = expectSuccess(await client.post("/webhooks/rotate-secret", { env: "sandbox", id: endpoint.id, expire_previous_in_seconds: 0 }, key())).endpoint;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previous_secret_expires_at).toBeNull();

    const audit = expectSuccess(await client.get("/audit?limit=20")).entries as { action: string; object_id: string; detail: unknown }[];
    const mine = audit.filter((e) => e.object_id === endpoint.id).map((e) => e.action);
    // Same instant on the test's clock, so compared as a set.
    expect(mine.sort()).toEqual(["webhook.created", "webhook.disabled", "webhook.secret_rotated", "webhook.updated"]);
    const text = JSON.stringify(audit);
    for (const secret of [endpoint.secret, rotated.secret, "tok-123"]) expect(text).not.toContain(secret);

    // Bad input is a 400 naming the field, from the API's own schema.
    const bad = expectError(await client.post("/webhooks/create", { env: "sandbox", url: "ftp://example.com/x" }, key()), 400, "INVALID_FIELD");
    expect(bad.message).toMatch(/^url: /);
    expect(expectError(await client.post("/webhooks/create", { env: "sandbox", url: receiverUrl, colour: "red" }, key()), 400, "UNKNOWN_FIELDS").message).toMatch(/colour/);
    expect(company.id).toBeTruthy();
  });

  it("lets a viewer read endpoints but not change them (403 naming the role), and another company gets 404s", async () => {
    const { client, company } = await signedUp(h);
    const endpoint = expectSuccess(await client.post("/webhooks/create", { env: "sandbox", url: receiverUrl }, key())).endpoint;
    const viewer = await teammate(company.id, "viewer");
    expect(expectSuccess(await viewer.get("/webhooks?env=sandbox")).endpoints).toHaveLength(1);
    const refused = expectError(await viewer.post("/webhooks/update", { env: "sandbox", id: endpoint.id, enabled: false }, key()), 403, "FORBIDDEN");
    expect(refused.message).toBe("Your role (viewer) cannot change webhook endpoints; ask a developer or the owner of your company");
    expectError(await viewer.post("/webhooks/create", { env: "sandbox", url: receiverUrl }, key()), 403, "FORBIDDEN");
    expectError(await viewer.post("/webhooks/rotate-secret", { env: "sandbox", id: endpoint.id }, key()), 403, "FORBIDDEN");
    expect(expectSuccess(await client.get(`/webhooks/${endpoint.id}?env=sandbox`)).endpoint.enabled).toBe(true);

    const stranger = (await signedUp(h, { company_name: "Stranger" })).client;
    expectError(await stranger.get(`/webhooks/${endpoint.id}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await stranger.post("/webhooks/update", { env: "sandbox", id: endpoint.id, enabled: false }, key()), 404, "NOT_FOUND");
    expect(expectSuccess(await stranger.get("/webhooks?env=sandbox")).endpoints).toEqual([]);
  });
});

describe("deliveries and the events feed from the dashboard", () => {
  it("shows what was sent and what the receiver answered, resends one, then every failed one, and lists events by type and object", async () => {
    const { client, company } = await signedUp(h);
    const endpoint = expectSuccess(await client.post("/webhooks/create", { env: "sandbox", url: receiverUrl }, key())).endpoint;
    const paymentId = randomUUID();
    const first = await paymentEvent(company.id, paymentId);
    const second = await paymentEvent(company.id);
    answer = 503;
    const runner = deliveryRunner(h.ctx, company.id);
    await runner.runOnce();

    const failedPage = expectSuccess(await client.get(`/webhooks/deliveries?env=sandbox&endpoint_id=${endpoint.id}`));
    expect(failedPage.deliveries).toHaveLength(2);
    const d1 = failedPage.deliveries.find((d: { event_id: string }) => d.event_id === first);
    expect(d1).toMatchObject({ status: "pending", attempt_count: 1, last_status_code: 503 });

    const detail = expectSuccess(await client.get(`/webhooks/deliveries/${d1.id}?env=sandbox`));
    // The request: the event body exactly as sent; the response: each attempt's status and start of body.
    expect(detail.event).toMatchObject({ id: first, type: "payment.completed", object: { type: "payment", id: paymentId }, data: { amount: 5000 } });
    expect(detail.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 503, response_snippet: "down for maintenance" })]);
    expect(received.some((r) => r.headers["webhook-id"] === d1.id && JSON.parse(r.body).id === first)).toBe(true);

    // Mark both failed as the worker does when it gives up, then resend one and the rest.
    await h.ctx.db.updateTable("webhook_deliveries").set({ status: "failed" }).where("endpoint_id", "=", endpoint.id).execute();
    await h.ctx.db.updateTable("jobs").set({ state: "done", run_at: null, finished_at: clock.now() }).where("name", "=", "webhooks.deliver").where("company_id", "=", company.id).execute();
    answer = 200;
    const resent = expectSuccess(await client.post("/webhooks/deliveries/resend", { env: "sandbox", id: d1.id }, key())).delivery;
    expect(resent).toMatchObject({ id: d1.id, status: "pending" });
    const today = clock.now().toISOString().slice(0, 10);
    const all = expectSuccess(await client.post("/webhooks/deliveries/resend-failed", { env: "sandbox", endpoint_id: endpoint.id, from: "2026-03-01", to: "2026-03-03" }, key()));
    expect(all).toEqual({ count: 1, skipped_disabled: 0 });
    expect(today).toBe("2026-03-02");
    await runner.runOnce();
    const after = expectSuccess(await client.get(`/webhooks/deliveries?env=sandbox&endpoint_id=${endpoint.id}&status=succeeded`));
    expect(after.deliveries.map((d: { event_id: string }) => d.event_id).sort()).toEqual([first, second].sort());
    // The window is the API's rule: at most 31 days, named on `to`.
    expect(expectError(await client.post("/webhooks/deliveries/resend-failed", { env: "sandbox", from: "2026-01-01", to: "2026-03-01" }, key()), 400, "INVALID_FIELD").message).toMatch(/^to: /);

    const events = expectSuccess(await client.get("/events?env=sandbox&type=payment.*"));
    expect(events.events.map((e: { id: string }) => e.id)).toEqual([second, first]);
    expect(expectSuccess(await client.get(`/events?env=sandbox&object_id=${paymentId}`)).events.map((e: { id: string }) => e.id)).toEqual([first]);
    expect(expectSuccess(await client.get("/events?env=sandbox&type=mandate.*")).events).toEqual([]);
    const one = expectSuccess(await client.get(`/events/${first}?env=sandbox`));
    expect(one.event.id).toBe(first);
    expect(one.deliveries).toEqual([expect.objectContaining({ id: d1.id, status: "succeeded", attempt_count: 2 })]);

    const audit = expectSuccess(await client.get("/audit?limit=5")).entries.map((e: { action: string }) => e.action);
    expect(audit.slice(0, 2).sort()).toEqual(["webhook.delivery_resent", "webhook.failed_resent"]);

    const stranger = (await signedUp(h, { company_name: "Stranger" })).client;
    expectError(await stranger.get(`/events/${first}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await stranger.get(`/webhooks/deliveries/${d1.id}?env=sandbox`), 404, "NOT_FOUND");
    expectError(await stranger.post("/webhooks/deliveries/resend", { env: "sandbox", id: d1.id }, key()), 404, "NOT_FOUND");
    expect(expectSuccess(await stranger.get("/events?env=sandbox")).events).toEqual([]);
    const viewer = await teammate(company.id, "viewer");
    expectError(await viewer.post("/webhooks/deliveries/resend", { env: "sandbox", id: d1.id }, key()), 403, "FORBIDDEN");
    expect(expectSuccess(await viewer.get(`/events/${first}?env=sandbox`)).event.id).toBe(first);
  });
});
