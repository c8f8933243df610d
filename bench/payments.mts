/**
 * The whole payment path over HTTP, on PostgreSQL: payments per second and per-payment latency,
 * against a baseline measured in the same run on the same database.
 *
 * - okro: one payment = what a customer's widget does in an instant payment —
 *   `POST /api/sessions` in payment mode (`payment: true`, `charge` ₦100), `POST /api/login`
 *   and `POST /api/mfa` (the bank's SMS OTP), `POST /api/payments` (links the account, creates
 *   the payment), `POST /api/payments/authorise` with the payment OTP — which debits the bank,
 *   records the outcome, posts the ledger entry and emits the event — then a check that the
 *   payment is `succeeded` and its `payment.succeeded` event exists. The payers are
 *   8 × BENCH_CONCURRENCY sandbox customers at eight banks, taken in turn. Okro runs in this
 *   process (the API and widget origins on loopback, the job runner with the payment jobs) on a fresh PostgreSQL
 *   database; the bank is `okro sandbox-bank` in its own process on its own fresh database, as a
 *   real bank would be, with its own latency scaled to 0 (its work still shares the machine).
 *   Each payment comes from its own address (X-Forwarded-For, TRUST_PROXY), as customers do.
 * - baseline: a bare Fastify route on `pg` doing one payment-shaped transaction — lock the
 *   company's wallet row FOR UPDATE, two updates (customer account, wallet), three inserts
 *   (payment, two ledger postings in one statement, event) — on a pool of the same size as
 *   Okro's, one request per payment.
 *
 * Both are driven over HTTP by BENCH_CONCURRENCY (default 10) loops for BENCH_SECONDS (default
 * 5) after a one-second warm-up, with the same client (fetch). Needs DATABASE_URL (fresh
 * databases are created on that server and dropped afterwards); skipped without it.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import pg from "pg";
import { buildApp } from "../src/app.js";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import { systemClock } from "../src/lib/clock.js";
import { JobRunner } from "../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../src/payments/jobs.js";
import { createCompany } from "../src/platform/companies.js";
import { buildWidgetApp } from "../src/widget-app.js";
import { ApiClient, startSandboxBank, WidgetClient } from "../test/process/payments-harness.js";
import { freshPostgresDatabase, stop } from "../test/process/spawn.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
/** ₦100 per payment, in kobo. */
const AMOUNT = 10_000;
/** Okro's PostgreSQL pool size (src/db/index.ts): the baseline gets the same. */
const POOL_SIZE = 10;
/** Banks with direct debits, internet banking and an SMS OTP at login. */
const BANKS = [
  "5d6fe57a4099cc4b210bbeb3", // GTBank
  "5d6fe57a4099cc4b210bbeb0", // Access
  "5d6fe57a4099cc4b210bbec0", // Zenith
  "5d6fe57a4099cc4b210bbeb4", // Fidelity
  "5d6fe57a4099cc4b210bbebb", // Sterling
  "5d6fe57a4099cc4b210bbebd", // UBA
  "5d6fe57a4099cc4b210bbeb1", // Ecobank
  "5d6fe57a4099cc4b210bbeb8", // Polaris
];

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

/** Runs `op` from CONCURRENCY loops for `seconds`; counts completions and their latencies. */
async function drive(name: string, seconds: number, op: (n: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let next = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await op(next++);
          latencies.push(performance.now() - t);
        } catch (error) {
          errors++;
          firstError ??= error;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (firstError) console.error(`${name}: first error:`, firstError);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1));
  return { name, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), count: latencies.length, errors };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The bare route: one payment-shaped transaction per request. */
async function baseline(databaseUrl: string): Promise<Result> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const company = randomUUID();
  const customers = Array.from({ length: 40 }, () => randomUUID());
  await pool.query(`
    CREATE TABLE bench_wallets (company_id text PRIMARY KEY, pending bigint NOT NULL DEFAULT 0);
    CREATE TABLE bench_accounts (id text PRIMARY KEY, spent bigint NOT NULL DEFAULT 0);
    CREATE TABLE bench_payments (id text PRIMARY KEY, company_id text NOT NULL, account_id text NOT NULL, amount bigint NOT NULL CHECK (amount > 0),
      state text NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE bench_postings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payment_id text NOT NULL, account text NOT NULL,
      direction text NOT NULL, amount bigint NOT NULL);
    CREATE TABLE bench_events (id text PRIMARY KEY, object_id text NOT NULL, type text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL);
  `);
  await pool.query("INSERT INTO bench_wallets (company_id) VALUES ($1)", [company]);
  await pool.query("INSERT INTO bench_accounts (id) SELECT unnest($1::text[])", [customers]);

  const bare = Fastify();
  bare.post<{ Body: { account: string; amount: number } }>("/pay", async (req) => {
    const { account, amount } = req.body;
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pending FROM bench_wallets WHERE company_id = $1 FOR UPDATE", [company]);
      await client.query("UPDATE bench_accounts SET spent = spent + $2 WHERE id = $1", [account, amount]);
      await client.query("UPDATE bench_wallets SET pending = pending + $2 WHERE company_id = $1", [company, amount]);
      const id = randomUUID();
      await client.query("INSERT INTO bench_payments (id, company_id, account_id, amount, state, created_at) VALUES ($1, $2, $3, $4, 'succeeded', now())", [
        id,
        company,
        account,
        amount,
      ]);
      await client.query(
        "INSERT INTO bench_postings (payment_id, account, direction, amount) VALUES ($1, 'external:customers', 'debit', $2), ($1, 'wallet:pending', 'credit', $2)",
        [id, amount],
      );
      const payment = { id, amount, currency: "NGN", status: "success_pending_validation" };
      await client.query("INSERT INTO bench_events (id, object_id, type, payload, created_at) VALUES ($1, $2, 'payment.succeeded', $3, now())", [
        randomUUID(),
        id,
        JSON.stringify(payment),
      ]);
      await client.query("COMMIT");
      return { status: "success", message: "Payment succeeded", data: { payment } };
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  });
  const url = `${await listen(bare)}/pay`;
  try {
    const op = async (n: number) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ account: customers[n % customers.length], amount: AMOUNT }),
      });
      const body = (await res.json()) as { data?: { payment?: { status?: string } } };
      if (res.status !== 200 || body.data?.payment?.status !== "success_pending_validation") throw new Error(`baseline → ${res.status}`);
    };
    await drive("warm-up", 1, op);
    return await drive("baseline: Fastify + pg, one payment transaction", SECONDS, op);
  } finally {
    await bare.close();
    await pool.end();
  }
}

/** Okro: the widget's payment flow, end to end. */
async function okro(databaseUrl: string, bankDatabaseUrl: string): Promise<Result & { requests: number }> {
  const bank = await startSandboxBank(bankDatabaseUrl);
  try {
    return await okroWith(databaseUrl, bank.url);
  } finally {
    await stop(bank.running);
  }
}

async function okroWith(databaseUrl: string, bankUrl: string): Promise<Result & { requests: number }> {
  const config = loadConfig({
    OKRO_SANDBOX_BANK_URL: bankUrl,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    RATE_LIMIT_MAX: "100000000",
    TRUST_PROXY: "true",
    OKRO_SEED_DEMO: "false",
  });
  const { handle, ctx } = await bootStorage(config, systemClock, { embeddedInMemory: true });
  const api = await buildApp(ctx, { logger: false });
  const widget = await buildWidgetApp(ctx, { logger: false });
  const worker = new JobRunner(ctx, PAYMENT_JOBS, { pollMs: config.payments.pollMs });
  try {
    const tenant = await ctx.db.transaction().execute((trx) => createCompany(trx, { name: "Bench Store" }, new Date()));
    const apiBase = await listen(api);
    const widgetBase = await listen(widget);
    worker.start();
    // The company's receiving account: a sandbox customer's account, registered over the API.
    const customer = (bankId: string, username: string, type: "ind" | "corp", balance: number) =>
      ({ bankId, username, password: `${username}-secret`, type, noOfAccount: 1, volume: "low", identity: 100, internetSpeed: 4, balance }) as const;
    const [merchant] = await ctx.sandbox.createCustomers(tenant.id, [customer(BANKS[0]!, "bench_store_ops", "corp", 0)]);
    await new ApiClient(apiBase, tenant.sandbox.secret_key).ok("pay/accounts/create", {
      bank: BANKS[0],
      nuban: merchant!.accounts[0]!.nuban,
      currency: "NGN",
      name: "Bench Store Ltd",
    });

    // ₦1,000,000 each: far more than a run spends.
    const payers: Array<{ bankId: string; username: string; password: string }> = [];
    for (let from = 0; from < 8 * CONCURRENCY; from += 20) {
      const batch = Array.from({ length: Math.min(20, 8 * CONCURRENCY - from) }, (_, i) => customer(BANKS[(from + i) % BANKS.length]!, `bench_payer_${from + i}`, "ind", 100_000_000));
      await ctx.sandbox.createCustomers(tenant.id, [...batch]);
      payers.push(...batch);
    }

    let address = 0;
    const op = async (n: number) => {
      const a = ++address;
      const client = new WidgetClient(widgetBase, `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}`);
      await client.open({ key: tenant.sandbox.public_key, payment: true, charge: { amount: AMOUNT, currency: "NGN", note: "Bench order" } });
      const accounts = await client.login(payers[n % payers.length]!);
      const created = await client.ok<{ payment: { id: string } }>("payments", { account_id: accounts[0]!.id });
      const id = created.payment.id;
      const authorised = await client.post<{ payment: { state: string } }>("payments/authorise", { payment_id: id, otp: "123456" });
      let state = authorised.body?.data?.payment?.state;
      // 202: the bank has not decided yet (never with no faults); wait for it like the widget does.
      for (let i = 0; authorised.status === 202 && state !== "succeeded" && i < 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await client.get<{ payment: { state: string } }>(`payments/${id}`)).body?.data?.payment?.state;
      }
      if (state !== "succeeded") throw new Error(`payment ${id}: authorise → ${authorised.status} ${authorised.text}`);
      // The event is written in the same transaction as the state change: it is there now.
      const event = await ctx.db
        .selectFrom("events")
        .select("id")
        .where("object_type", "=", "payment")
        .where("object_id", "=", id)
        .where("type", "=", "payment.succeeded")
        .executeTakeFirst();
      if (!event) throw new Error(`payment ${id} succeeded without its payment.succeeded event`);
    };
    await drive("warm-up", 1, op);
    const result = await drive("okro: session → login → MFA → pay → OTP → debit → ledger → event", SECONDS, op);
    return { ...result, requests: 5 };
  } finally {
    await worker.stop();
    await widget.close();
    await api.close();
    await handle.close();
  }
}

export async function benchPayments(): Promise<boolean> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log("\nPayments: SKIPPED (the payment bench runs on PostgreSQL: set DATABASE_URL)");
    return true;
  }
  const database = await freshPostgresDatabase(base, "okro_bench_pay");
  const bankDatabase = await freshPostgresDatabase(base, "okro_bench_bank");
  let results: [Result, Result & { requests: number }];
  try {
    results = [await baseline(database.url), await okro(database.url, bankDatabase.url)];
  } finally {
    await database.drop();
    await bankDatabase.drop();
  }
  const [bare, path] = results;
  console.log(`\nPayments over HTTP on PostgreSQL — ${SECONDS}s, ${CONCURRENCY} concurrent, loopback, Node ${process.version}\n`);
  console.log("target".padEnd(70) + "payments/s".padStart(11) + "  vs baseline".padStart(13) + "p50 ms".padStart(8) + "p99 ms".padStart(8) + "  errors");
  for (const r of results) {
    console.log(
      r.name.padEnd(70) +
        r.perSecond.toFixed(0).padStart(11) +
        `${((r.perSecond / bare.perSecond) * 100).toFixed(1)}%`.padStart(13) +
        String(r.p50).padStart(8) +
        String(r.p99).padStart(8) +
        `  ${r.errors}`,
    );
  }
  console.log(
    `\nratio: the baseline does ${(bare.perSecond / path.perSecond).toFixed(1)}× Okro's payments per second; Okro's p50 is ${(path.p50 / bare.p50).toFixed(1)}× ` +
      `(${path.requests} widget requests and their bank calls per Okro payment, one request per baseline payment; ${path.count} Okro payments, ${bare.count} baseline)`,
  );
  return results.every((r) => r.errors === 0 && r.count > 0);
}
