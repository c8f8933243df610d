/**
 * HTTP throughput and latency of the API's hot path, against a baseline
 * measured in the same run on the same machine.
 *
 * - baseline: a bare Fastify server answering the same bank-list JSON from memory (what the
 *   framework alone costs);
 * - okro: `POST /v2/sandbox/banks/list` through the real app — secret-key lookup, the shared
 *   rate-limit counter (one upsert), validation, the bank query and serialisation — on the
 *   embedded database, and on PostgreSQL too when DATABASE_URL is set.
 *
 * Each target is loaded by autocannon over loopback for BENCH_SECONDS (default 5) with
 * BENCH_CONNECTIONS (default 10) connections, after a short warm-up.
 */
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import Fastify, { type FastifyInstance } from "fastify";
import { buildApp } from "../src/app.js";
import { RequestLogWriter } from "../src/http/request-log.js";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import { systemClock } from "../src/lib/clock.js";
import { createCompany } from "../src/platform/companies.js";
import { listBanks } from "../src/banks/service.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string>): Promise<Result> {
  const opts = { url, method: "POST" as const, headers: { "content-type": "application/json", ...headers }, body: "{}", connections: CONNECTIONS };
  await autocannon({ ...opts, duration: 1 }); // warm-up
  const r = await autocannon({ ...opts, duration: SECONDS });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * `requestLog: false` runs the same app with the API request log's push a no-op (the hook still
 * runs): the same-run baseline for what logging every request costs the hot path.
 */
async function okroTarget(databaseUrl: string | undefined, options: { requestLog: boolean } = { requestLog: true }): Promise<Result> {
  const config = {
    ...loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent", RATE_LIMIT_MAX: "100000000" }),
  };
  const { handle, ctx } = await bootStorage(config, systemClock, { embeddedInMemory: true });
  const tenant = await ctx.db.transaction().execute((trx) => createCompany(trx, { name: "Bench" }, new Date()));
  const app = await buildApp(ctx, { logger: false });
  const base = await listen(app);
  const push = RequestLogWriter.prototype.push;
  if (!options.requestLog) RequestLogWriter.prototype.push = () => {};
  try {
    return await load(`okro (${handle.kind}${options.requestLog ? "" : ", no request log"})`, `${base}/v2/sandbox/banks/list`, { authorization: `Bearer ${tenant.sandbox.secret_key}` });
  } finally {
    RequestLogWriter.prototype.push = push;
    await app.close();
    await handle.close();
  }
}

/** Runs the API benchmark and prints its table; false when any request failed. */
export async function benchApi(): Promise<boolean> {
  // The baseline answers with exactly what Okro would, computed once.
  const { handle, ctx } = await bootStorage(loadConfig({ LOG_LEVEL: "silent" }), systemClock, { embeddedInMemory: true });
  const payload = { status: "success", message: "Banks retrieved successfully", data: await listBanks(ctx.db, 1, 100) };
  await handle.close();
  const bare = Fastify();
  bare.post("/v2/sandbox/banks/list", async () => payload);
  const bareUrl = await listen(bare);
  const results: Result[] = [await load("baseline (bare Fastify, in-memory JSON)", `${bareUrl}/v2/sandbox/banks/list`, {})];
  await bare.close();

  results.push(await okroTarget(undefined, { requestLog: false }));
  results.push(await okroTarget(undefined));
  if (process.env.DATABASE_URL) {
    results.push(await okroTarget(process.env.DATABASE_URL, { requestLog: false }));
    results.push(await okroTarget(process.env.DATABASE_URL));
  }

  const base = results[0]!;
  console.log(`\nPOST /v2/sandbox/banks/list — ${SECONDS}s, ${CONNECTIONS} connections, loopback, Node ${process.version}\n`);
  console.log("target".padEnd(42) + "req/s".padStart(9) + "  vs base".padStart(10) + "p50 ms".padStart(8) + "p99 ms".padStart(8) + "  errors");
  for (const r of results) {
    console.log(
      r.name.padEnd(42) +
        r.rps.toFixed(0).padStart(9) +
        `${((r.rps / base.rps) * 100).toFixed(0)}%`.padStart(10) +
        String(r.p50).padStart(8) +
        String(r.p99).padStart(8) +
        `  ${r.errors + r.non2xx}`,
    );
  }
  return results.every((r) => r.errors + r.non2xx === 0);
}
