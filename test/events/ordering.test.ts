import http from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emitEvent, type EmittedEvent } from "../../src/events/emit.js";
import { resendDelivery } from "../../src/events/events.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { DELIVERY_JOB } from "../../src/events/queues.js";
import { claimStatement } from "../../src/jobs/store.js";
import type { JobRunner } from "../../src/jobs/runner.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";
import { deliveryRunner, dueAt, hasOpenJob, type DeliveryRunnerOptions } from "./delivery-jobs.js";

/**
 * Per-(endpoint, object) delivery order with parking: deliveries waiting behind an earlier
 * pending one of their object have no `webhooks.deliver` job and cost the job runner's claim
 * nothing; whoever finishes the head enqueues the next one, under the object's lock.
 */

type Handler = (res: http.ServerResponse, body: { object: { id: string }; sequence: number }) => void;

const clock = new ManualClock(new Date());
let h: Harness;
let server: http.Server;
let base: string;
let received: Array<{ object: string; sequence: number; deliveryId: string }> = [];
const ok: Handler = (res) => res.writeHead(200).end("ok");
let handler: Handler = ok;

beforeAll(async () => {
  h = await createHarness({ clock });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      received.push({ object: body.object.id, sequence: body.sequence, deliveryId: String(req.headers["webhook-id"]) });
      handler(res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  received = [];
  handler = ok;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h?.close();
});

const endpoint = (tenant: NewCompany) =>
  h.ctx.db.transaction().execute((trx) => createEndpoint(trx, h.ctx.secrets, { companyId: tenant.id, env: "sandbox" }, { url: `${base}/hook` }, clock.now()));

const emit = (tenant: NewCompany, objectId: string): Promise<EmittedEvent> =>
  h.ctx.db.transaction().execute((trx) => emitEvent(trx, { companyId: tenant.id, env: "sandbox", type: "payment.updated", object: { type: "payment", id: objectId }, data: {} }, clock.now()));

const worker = (tenant: NewCompany, options: DeliveryRunnerOptions = {}): JobRunner => deliveryRunner(h.ctx, tenant.id, options);

/** Pending with no open job: parked behind an earlier delivery of its queue (or stuck, see orphans). */
const parkedSql = sql<boolean>`NOT EXISTS (
  SELECT 1 FROM jobs j WHERE j.name = ${DELIVERY_JOB.name} AND j.key = 'delivery:' || d.id AND j.state IN ('queued', 'running'))`;
const isParked = async (eventId: string) => {
  const d = await deliveryOf(eventId);
  return d.status === "pending" && !(await hasOpenJob(h.ctx, d.id));
};

const deliveryOf = (eventId: string) => h.ctx.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", eventId).executeTakeFirstOrThrow();

/** Pending deliveries parked (no open job) with no earlier pending delivery of their queue: stuck forever. */
const orphans = (tenant: NewCompany) =>
  h.ctx.db
    .selectFrom("webhook_deliveries as d")
    .select(["d.id", "d.object_key", "d.sequence"])
    .where("d.company_id", "=", tenant.id)
    .where("d.status", "=", "pending")
    .where(parkedSql)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("webhook_deliveries as e")
            .select("e.id")
            .whereRef("e.endpoint_id", "=", "d.endpoint_id")
            .whereRef("e.object_key", "=", "d.object_key")
            .where("e.status", "=", "pending")
            .whereRef("e.sequence", "<", "d.sequence"),
        ),
      ),
    )
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, sequence: Number(r.sequence) })));

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

/** Rows of `relation` the statement's scans read (returned or filtered out), over all loops. */
function rowsRead(node: PlanNode, relation: string): number {
  const own =
    node["Relation Name"] === relation
      ? (node["Actual Rows"] + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * node["Actual Loops"]
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, relation), 0);
}

describe("per-object delivery order (parking)", () => {
  it("holds object A's later events behind its failing first one while object B's flow; then sends A's in order", async () => {
    const tenant = await h.newTenant("Park Co");
    await endpoint(tenant);
    let aUp = false;
    handler = (res, body) => res.writeHead(body.object.id === "pay_A" && !aUp ? 500 : 200).end();
    const a = [await emit(tenant, "pay_A"), await emit(tenant, "pay_A"), await emit(tenant, "pay_A")];
    const b = [await emit(tenant, "pay_B"), await emit(tenant, "pay_B")];
    // Only each object's first delivery is due; the rest are parked (no job).
    expect(await dueAt(h.ctx, (await deliveryOf(a[0]!.id)).id)).toEqual(clock.now());
    for (const e of [a[1]!, a[2]!, b[1]!]) expect(await isParked(e.id)).toBe(true);

    const w = worker(tenant);
    expect(await w.runOnce()).toBe(3); // A1 (fails) and B1 (succeeds, releasing B2 at once), then B2
    expect(await w.runOnce()).toBe(0); // A1 waits for its retry; A2, A3 stay parked
    expect(received.map((r) => `${r.object}#${r.sequence}`).sort()).toEqual(["pay_A#1", "pay_B#1", "pay_B#2"]);
    for (const e of b) expect((await deliveryOf(e.id)).status).toBe("succeeded");
    const head = await deliveryOf(a[0]!.id);
    expect(head).toMatchObject({ status: "pending", attempts: 1 });
    for (const e of [a[1]!, a[2]!]) {
      expect(await deliveryOf(e.id)).toMatchObject({ status: "pending", attempts: 0 });
      expect(await isParked(e.id)).toBe(true);
    }

    aUp = true;
    clock.set((await dueAt(h.ctx, head.id))!);
    while ((await w.runOnce()) > 0);
    expect(received.filter((r) => r.object === "pay_A").map((r) => r.sequence)).toEqual([1, 1, 2, 3]);
    for (const e of a) expect((await deliveryOf(e.id)).status).toBe("succeeded");
    expect(await orphans(tenant)).toEqual([]);
  });

  it("a resend does not jump the queue: a resent later event is parked behind the pending head; a resent earlier one goes first", async () => {
    const tenant = await h.newTenant("Resend Park Co");
    await endpoint(tenant);
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const w = worker(tenant);
    const first = await emit(tenant, "pay_R");
    expect(await w.runOnce()).toBe(1); // #1 succeeded
    handler = (res) => res.writeHead(500).end();
    const second = await emit(tenant, "pay_R");
    const third = await emit(tenant, "pay_R");
    expect(await w.runOnce()).toBe(1); // #2 fails: pending, retry later; #3 parked
    const resend = async (eventId: string) => {
      const { id } = await deliveryOf(eventId);
      return h.ctx.db.transaction().execute((trx) => resendDelivery(trx, scope, id, clock.now()));
    };

    // #1 resent: ahead of #2, so it goes first and #2 is parked behind it.
    const view = await resend(first.id);
    expect(view).toMatchObject({ status: "pending", next_attempt_at: clock.now().toISOString() });
    expect(await isParked(second.id)).toBe(true);
    handler = (res, body) => res.writeHead(body.sequence === 1 ? 200 : 500).end();
    // #1 goes and succeeds; that releases #2 at once (not on its old retry schedule), which fails again.
    expect(await w.runOnce()).toBe(2);
    expect(received.slice(-2).map((r) => r.sequence)).toEqual([1, 2]);
    // #3 resent while #2 is pending: parked, not due.
    expect(await resend(third.id)).toMatchObject({ status: "pending", next_attempt_at: null });
    expect(await w.runOnce()).toBe(0);
    handler = ok;
    clock.set((await dueAt(h.ctx, (await deliveryOf(second.id)).id))!);
    while ((await w.runOnce()) > 0);
    expect(received.map((r) => r.sequence)).toEqual([1, 2, 1, 2, 2, 3]);
    expect(await orphans(tenant)).toEqual([]);
  });

  // 3,000 emits in one transaction: seconds when idle, close to a minute on a loaded 2-core machine.
  it("keeps the claim cheap with thousands of deliveries parked behind a failing head: it never reads them", { timeout: 180_000 }, async () => {
    const tenant = await h.newTenant("Backlog Co");
    await endpoint(tenant);
    handler = (res) => res.writeHead(500).end();
    const w = worker(tenant);
    await emit(tenant, "pay_hot");
    expect(await w.runOnce()).toBe(1); // the head fails: pending, retry in ~5 s
    const parked = 3_000;
    await h.ctx.db.transaction().execute(async (trx) => {
      for (let i = 0; i < parked; i++) {
        await emitEvent(trx, { companyId: tenant.id, env: "sandbox", type: "payment.updated", object: { type: "payment", id: "pay_hot" }, data: {} }, clock.now());
      }
    });
    // Some other objects due now, so the claim has real work beside the backlog.
    for (let i = 0; i < 5; i++) await emit(tenant, `pay_cold_${i}`);
    await sql`ANALYZE webhook_deliveries`.execute(h.ctx.db);
    const { n } = await h.ctx.db
      .selectFrom("webhook_deliveries as d")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("d.company_id", "=", tenant.id)
      .where("d.status", "=", "pending")
      .where(parkedSql)
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(parked);
    // Parked deliveries have no job at all: the backlog adds nothing to the jobs table.
    const { jobs } = await h.ctx.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("jobs"))
      .where("company_id", "=", tenant.id)
      .where("name", "=", DELIVERY_JOB.name)
      .executeTakeFirstOrThrow();
    expect(Number(jobs)).toBe(1 + 5);
    await sql`ANALYZE jobs`.execute(h.ctx.db);

    // What the job runner's claim reads: due open jobs (of every company on this shared database), not the backlog.
    const now = clock.now();
    const { due } = await h.ctx.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("due"))
      .where("state", "in", ["queued", "running"])
      .where("run_at", "<=", now)
      .executeTakeFirstOrThrow();
    const statement = claimStatement({ names: [DELIVERY_JOB.name], now, leaseUntil: new Date(now.getTime() + 60_000), limit: 8, owner: "explain", companyIds: [tenant.id] });
    const plan = await h.ctx.db
      .transaction()
      .execute(async (trx) => {
        const { rows } = await sql<{ "QUERY PLAN": unknown }>`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`.execute(trx);
        throw Object.assign(new Error("rollback"), { plan: rows[0]!["QUERY PLAN"] });
      })
      .catch((error: { plan?: unknown }) => {
        if (!error.plan) throw error;
        return error.plan;
      });
    const root = (typeof plan === "string" ? JSON.parse(plan) : plan) as Array<{ Plan: PlanNode }>;
    expect(rowsRead(root[0]!.Plan, "webhook_deliveries")).toBe(0);
    // Of `jobs` it reads only other work: the backlog has no job rows at all (counted above), so
    // what the claim reads there is the table's open work (on this shared database, what earlier
    // test files left behind) and the plan's shape, neither of which grows with the backlog. No
    // bound on that count here: it measured other files' leftovers, not this claim.
    expect(Number(due)).toBeGreaterThanOrEqual(5);

    // And the worker does claim the due ones, not the backlog.
    handler = ok;
    expect(await w.runOnce()).toBe(5);
    expect(received.filter((r) => r.object === "pay_hot")).toHaveLength(1);
  });

  it.skipIf(!usingPostgres)("never strands a parked delivery when events are emitted while a worker finishes their predecessors (PostgreSQL)", async () => {
    const tenant = await h.newTenant("Race Co");
    await endpoint(tenant);
    const w = worker(tenant, { pollMs: 1, concurrency: 4 });
    const objects = ["pay_race_1", "pay_race_2"];
    const emitters = 6;
    const perEmitter = 50;
    w.start();
    const stranded: unknown[] = [];
    let emitting = true;
    try {
      const watch = (async () => {
        while (emitting) {
          // A committed state with a parked delivery and nothing pending ahead of it is the bug.
          stranded.push(...(await orphans(tenant)));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await Promise.all(
        Array.from({ length: emitters }, async (_, k) => {
          for (let i = 0; i < perEmitter; i++) {
            await h.ctx.db.transaction().execute(async (trx) => {
              await emitEvent(
                trx,
                { companyId: tenant.id, env: "sandbox", type: "payment.updated", object: { type: "payment", id: objects[(k + i) % objects.length]! }, data: {} },
                clock.now(),
              );
              // Hold the object's lock a moment after parking: the window where a worker finishes the predecessor.
              await sql`SELECT pg_sleep(${Math.random() * 0.008})`.execute(trx);
            });
          }
        }),
      );
      emitting = false;
      await watch;
      const total = emitters * perEmitter;
      const done = () =>
        h.ctx.db
          .selectFrom("webhook_deliveries")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("company_id", "=", tenant.id)
          .where("status", "=", "succeeded")
          .executeTakeFirstOrThrow();
      expect(stranded).toEqual([]);
      await waitUntil(async () => Number((await done()).n) === total, `all ${total} deliveries to succeed`);
      expect(await orphans(tenant)).toEqual([]);
      for (const object of objects) {
        const seqs = received.filter((r) => r.object === object).map((r) => r.sequence);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      }
    } finally {
      emitting = false;
      await w.stop();
    }
  });
});
