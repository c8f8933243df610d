/**
 * Webhook delivery throughput: deliveries per second from one in-process JobRunner running the
 * `webhooks.deliver` job (default concurrency, OKRO_WORKER_CONCURRENCY) to a local receiver, for BENCH_WEBHOOKS (default 2000)
 * deliveries already pending — claim, load, sign, POST, record — on the embedded database and,
 * when DATABASE_URL is set, on PostgreSQL. Against a baseline measured in the same run: the
 * same number of signed POSTs of the same body to the same receiver, from a plain loop with the
 * same concurrency and the same HTTP client, and no database (what the network and signing
 * alone cost).
 *
 * The receiver answers 200 at once (keep-alive), so the numbers are Okro's cost, not a
 * receiver's. Latency columns are per attempt (request to response).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import { createWebhookAgents, destroyWebhookAgents, sendWebhook } from "../src/events/deliver.js";
import { emitEvent } from "../src/events/emit.js";
import { createEndpoint } from "../src/events/endpoints.js";
import { generateWebhookSecret } from "../src/events/signing.js";
import { webhookDeliveryJob } from "../src/events/worker.js";
import { JobRunner } from "../src/jobs/runner.js";
import { systemClock } from "../src/lib/clock.js";
import { createCompany } from "../src/platform/companies.js";

const DELIVERIES = Number(process.env.BENCH_WEBHOOKS ?? 2000);
const CONCURRENCY = loadConfig({}).workerConcurrency;
const EMIT_BATCH = 200;

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  /** Attempts that did not succeed. */
  errors: number;
}

function percentile(sorted: number[], q: number): number {
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1));
}

async function startReceiver(): Promise<{ url: string; count(): number; close(): Promise<void> }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    count: () => received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A body the size of a typical event payload. */
function sampleBody(i: number): string {
  return JSON.stringify({
    id: `6650${String(i).padStart(20, "0")}`,
    type: "payment.updated",
    created_at: new Date().toISOString(),
    env: "sandbox",
    object: { type: "payment", id: `pay_${i}` },
    sequence: 1,
    data: { n: i, amount: 500000, currency: "NGN", status: "success" },
  });
}

/** The baseline: DELIVERIES signed POSTs from CONCURRENCY loops, no database. */
async function baseline(url: string): Promise<Result> {
  const agents = createWebhookAgents();
  const secrets = [generateWebhookSecret()];
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < DELIVERIES; i = next++) {
        const r = await sendWebhook({ url, messageId: `msg_${i}`, body: sampleBody(i), secrets, guardAddresses: false }, { agents });
        if (!r.ok) errors++;
        latencies.push(r.durationMs);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  destroyWebhookAgents(agents);
  latencies.sort((a, b) => a - b);
  return { name: "baseline: signed POSTs, no database", perSecond: DELIVERIES / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}

/** One JobRunner with the webhook job draining DELIVERIES pending deliveries. */
async function worker(databaseUrl: string | undefined, url: string, receiver: { count(): number }): Promise<Result> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  const { handle, ctx } = await bootStorage(config, systemClock, { embeddedInMemory: true });
  try {
    const company = await ctx.db.transaction().execute((trx) => createCompany(trx, { name: "Webhook bench" }, new Date()));
    const scope = { companyId: company.id, env: "sandbox" as const };
    await ctx.db.transaction().execute((trx) => createEndpoint(trx, ctx.secrets, scope, { url }, new Date()));
    for (let from = 0; from < DELIVERIES; from += EMIT_BATCH) {
      await ctx.db.transaction().execute(async (trx) => {
        for (let i = from; i < Math.min(DELIVERIES, from + EMIT_BATCH); i++) {
          await emitEvent(
            trx,
            { companyId: company.id, env: "sandbox", type: "payment.updated", object: { type: "payment", id: `pay_${i}` }, data: { n: i, amount: 500000, currency: "NGN", status: "success" } },
            new Date(),
          );
        }
      });
    }
    const before = receiver.count();
    const w = new JobRunner(ctx, [webhookDeliveryJob()], { companyIds: [company.id], pollMs: 10 });
    const started = performance.now();
    w.start();
    const deadline = Date.now() + 300_000;
    // Watch the receiver (no database load), then wait for the last outcomes to be recorded.
    while (receiver.count() - before < DELIVERIES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const open = () =>
      ctx.db
        .selectFrom("webhook_deliveries")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("company_id", "=", company.id)
        .where("status", "=", "pending")
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    while ((await open()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const elapsed = (performance.now() - started) / 1000;
    await w.stop();

    const attempts = await ctx.db
      .selectFrom("webhook_attempts as a")
      .innerJoin("webhook_deliveries as d", "d.id", "a.delivery_id")
      .select(["a.duration_ms", "a.status_code"])
      .where("d.company_id", "=", company.id)
      .execute();
    const latencies = attempts.map((a) => a.duration_ms).sort((a, b) => a - b);
    const errors = attempts.filter((a) => a.status_code !== 200).length + (DELIVERIES - attempts.length);
    return { name: `okro worker (${handle.kind})`, perSecond: DELIVERIES / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
  } finally {
    await handle.close();
  }
}

export async function benchWebhooks(): Promise<boolean> {
  const receiver = await startReceiver();
  const results: Result[] = [];
  try {
    await baseline(receiver.url); // warm-up: JIT, sockets
    results.push(await baseline(receiver.url));
    results.push(await worker(undefined, receiver.url, receiver));
    if (process.env.DATABASE_URL) results.push(await worker(process.env.DATABASE_URL, receiver.url, receiver));
  } finally {
    await receiver.close();
  }
  console.log(`\nWebhooks: ${DELIVERIES} deliveries to a local receiver, ${CONCURRENCY} at once, Node ${process.version}\n`);
  console.log("target".padEnd(40) + "deliveries/s".padStart(14) + "  vs baseline".padStart(14) + "p50 ms".padStart(8) + "p99 ms".padStart(8) + "  errors");
  const base = results[0]!.perSecond;
  for (const r of results) {
    console.log(
      r.name.padEnd(40) +
        r.perSecond.toFixed(0).padStart(14) +
        `${((r.perSecond / base) * 100).toFixed(0)}%`.padStart(14) +
        String(r.p50).padStart(8) +
        String(r.p99).padStart(8) +
        `  ${r.errors}`,
    );
  }
  return results.every((r) => r.errors === 0);
}
