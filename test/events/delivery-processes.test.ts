import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { sql, type RawBuilder } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { emitEvent } from "../../src/events/emit.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { DELIVERY_JOB, deliveryJobKey, RETRY_JITTER, RETRY_SCHEDULE_MS } from "../../src/events/queues.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";
import { ROOT, waitFor, type Running } from "../process/spawn.js";

/**
 * Webhook delivery on the one job runner across processes (PostgreSQL only): two runner processes
 * deliver one company's events to a real receiver while events keep coming, one runner is
 * SIGKILLed mid-send; every event reaches the receiver, each object's in sequence order, each
 * delivery sent once per attempt its job made (a second send only for a delivery whose run was
 * killed and taken over), and a failed attempt is retried by the survivor on the Standard
 * Webhooks schedule with the next event of its object held back behind it.
 */
if (!usingPostgres) {
  console.warn("\n*** SKIPPED: the two-process webhook delivery test needs PostgreSQL (set DATABASE_URL; .ci/run does) ***\n");
}

const SCRIPT = path.join(ROOT, "test/events/delivery-process.ts");
const LEASE_MS = 3_000;
const OBJECTS = 12;
const PER_OBJECT = 20;
const started: Running[] = [];
let h: Harness | undefined;
let server: http.Server | undefined;

function startRunner(workerId: string, companyId: string): Running {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, LEASE_MS: String(LEASE_MS), WORKER_ID: workerId, COMPANY_ID: companyId },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const running: Running = { child, stdout: () => out, stderr: () => err, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  started.push(running);
  return running;
}

afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(started.map((r) => r.exited));
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await h?.close();
});

interface Receipt {
  id: string;
  object: string;
  sequence: number;
  status: number;
  at: number;
}

describe.skipIf(!usingPostgres)("webhook delivery on two runner processes", () => {
  it("delivers every event in order per object, once per attempt, though a runner is SIGKILLed mid-send, and retries on schedule", { timeout: 240_000 }, async () => {
    h = await createHarness();
    const harness = h;
    const tenant = await harness.newTenant("Two Runners Co");
    const receipts: Receipt[] = [];
    const seen = new Set<string>();
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { object: { id: string }; sequence: number };
        const id = String(req.headers["webhook-id"]);
        // The flaky object's deliveries fail their first request (then the job's retry policy applies).
        const status = body.object.id === "pay_flaky" && !seen.has(id) ? 500 : 200;
        seen.add(id);
        receipts.push({ id, object: body.object.id, sequence: body.sequence, status, at: Date.now() });
        // A little latency, so each runner has sends in flight when one is killed.
        setTimeout(() => res.writeHead(status).end(status === 200 ? "ok" : "boom"), 15);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    await harness.ctx.db.transaction().execute((trx) => createEndpoint(trx, harness.ctx.secrets, scope, { url }, new Date()));
    const emit = (objectId: string) =>
      harness.ctx.db
        .transaction()
        .execute((trx) => emitEvent(trx, { ...scope, type: "payment.updated", object: { type: "payment", id: objectId }, data: {} }, new Date()));
    const count = async (query: RawBuilder<{ n: string }>) => Number((await query.execute(harness.ctx.db)).rows[0]!.n);
    const held = () =>
      count(sql`SELECT count(*) AS n FROM jobs WHERE company_id = ${tenant.id} AND name = ${DELIVERY_JOB.name} AND state = 'running' AND lease_owner = 'victim'`);

    const victim = startRunner("victim", tenant.id);
    const survivor = startRunner("survivor", tenant.id);
    for (const r of [victim, survivor]) await waitFor(() => r.stdout().includes("ready") || r.child.exitCode !== null, "a runner to start", 60_000, r);
    expect(victim.child.exitCode, victim.stderr()).toBeNull();
    expect(survivor.child.exitCode, survivor.stderr()).toBeNull();

    // Events keep coming (one per transaction, objects interleaved) while both runners deliver.
    const emitting = (async () => {
      for (let i = 0; i < PER_OBJECT; i++) for (let o = 0; o < OBJECTS; o++) await emit(`pay_${o}`);
    })();
    // Kill the victim while it holds delivery jobs (sending, or recording), with work left.
    const deadline = Date.now() + 90_000;
    while (!(receipts.length >= 60 && (await held()) > 0)) {
      if (Date.now() > deadline) throw new Error(`the victim never held a job mid-run\n${victim.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    victim.child.kill("SIGKILL");
    await victim.exited;
    expect(victim.child.signalCode).toBe("SIGKILL");
    await emitting;
    // Two events of an object whose first request fails, after the kill (only the survivor runs them).
    const flaky = [await emit("pay_flaky"), await emit("pay_flaky")];

    const total = OBJECTS * PER_OBJECT + flaky.length;
    const succeeded = () => count(sql`SELECT count(*) AS n FROM webhook_deliveries WHERE company_id = ${tenant.id} AND status = 'succeeded'`);
    const until = Date.now() + 120_000;
    while ((await succeeded()) < total) {
      if (Date.now() > until) throw new Error(`not every delivery succeeded (${await succeeded()} of ${total})\n${survivor.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const deliveries = await harness.ctx.db
      .selectFrom("webhook_deliveries")
      .select(["id", "object_key", "sequence", "attempts"])
      .where("company_id", "=", tenant.id)
      .execute();
    expect(deliveries).toHaveLength(total);
    const jobs = await harness.ctx.db.selectFrom("jobs").select(["key", "state", "attempts", "lease_owner"]).where("company_id", "=", tenant.id).where("name", "=", DELIVERY_JOB.name).execute();
    // One job per delivery, all done.
    expect(jobs).toHaveLength(total);
    expect(jobs.filter((j) => j.state !== "done")).toEqual([]);
    const jobByKey = new Map(jobs.map((j) => [j.key, j]));

    // Every delivery reached the receiver and was answered 200.
    const ok = new Set(receipts.filter((r) => r.status === 200).map((r) => r.id));
    expect(deliveries.filter((d) => !ok.has(d.id))).toEqual([]);
    // Each object's events arrived in sequence order (a repeat of the one before is a resend of a
    // killed run, never a step back), every sequence present.
    for (let o = 0; o < OBJECTS; o++) {
      const seqs = receipts.filter((r) => r.object === `pay_${o}`).map((r) => r.sequence);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
      expect(new Set(seqs)).toEqual(new Set(Array.from({ length: PER_OBJECT }, (_, i) => i + 1)));
    }
    // Once per attempt: no delivery was sent more often than its job ran, and one sent twice was
    // taken over from the killed runner (its job ran more than once).
    const sends = new Map<string, number>();
    for (const r of receipts) sends.set(r.id, (sends.get(r.id) ?? 0) + 1);
    for (const d of deliveries) {
      const job = jobByKey.get(deliveryJobKey(d.id))!;
      expect(sends.get(d.id)!, d.id).toBeLessThanOrEqual(job.attempts);
      if (!d.object_key.endsWith("pay_flaky") && sends.get(d.id)! > 1) expect(job.attempts, d.id).toBeGreaterThan(1);
    }
    // The victim's jobs were taken over after the kill: some ran more than once.
    const takenOver = await count(sql`
      SELECT count(*) AS n FROM jobs j JOIN webhook_deliveries d ON j.key = 'delivery:' || d.id
      WHERE d.company_id = ${tenant.id} AND d.object_key <> 'payment:pay_flaky' AND j.attempts > 1`);
    expect(takenOver).toBeGreaterThan(0);

    // The flaky object: attempt 1 failed (500), attempt 2 came on the schedule's first delay
    // (5 s ± 10 %), and its second event waited behind it (parked), then followed.
    const flakyReceipts = receipts.filter((r) => r.object === "pay_flaky");
    expect(flakyReceipts.map((r) => [r.sequence, r.status])).toEqual([
      [1, 500],
      [1, 200],
      [2, 500],
      [2, 200],
    ]);
    const gap = flakyReceipts[1]!.at - flakyReceipts[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[0]! * (1 - RETRY_JITTER) - 50);
    expect(gap).toBeLessThan(RETRY_SCHEDULE_MS[0]! * (1 + RETRY_JITTER) + 2_000);
    for (const e of flaky) {
      const d = deliveries.find((x) => receipts.some((r) => r.id === x.id && r.object === "pay_flaky" && r.sequence === e.sequence))!;
      const attempts = await harness.ctx.db.selectFrom("webhook_attempts").select(["attempt", "status_code"]).where("delivery_id", "=", d.id).orderBy("attempt").execute();
      expect(attempts).toEqual([
        { attempt: 1, status_code: 500 },
        { attempt: 2, status_code: 200 },
      ]);
    }

    // The survivor stops gracefully.
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited, survivor.stderr()).toBe(0);
  });
});
