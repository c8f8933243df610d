/**
 * The API charge path on PostgreSQL (issue 17): payments per second end to end, `pay/initiate`
 * latency and SQL statements per payment, against a bare baseline measured in the same run.
 *
 * - okro: one payment = `POST /v2/pay/initiate` with an Idempotency-Key on a customer's standing
 *   consent (linked through the widget with payment consent beforehand) → the job runner (this
 *   process, every background job as `okro worker` runs them) sends the debit to the HTTP sandbox
 *   bank (`okro sandbox-bank` in its own process on its own fresh database, latency scaled to 0)
 *   → `succeeded` with its ledger entry and `payment.succeeded` event. `pay/initiate` figures are
 *   the API answer's latency; end to end is payments that reached `succeeded` (or later) per
 *   second, from the first initiate to the moment the last initiated payment succeeded.
 * - baseline: the bare route of bench/payments.mts — Fastify + `pg`, one payment-shaped
 *   transaction per request (lock, two updates, three inserts) on a pool of Okro's size.
 *
 * Statements are counted in this process at the `pg` client (every query sent: BEGIN/COMMIT
 * included; the bench's own observer is left out), for Okro over the measured window including
 * the runner's polls, and for the baseline. Transactions are the BEGINs among them.
 *
 * BENCH_CONCURRENCY (default 16) loops for BENCH_SECONDS (default 5) after a one-second warm-up.
 * BENCH_STATEMENTS=1 prints Okro's statements by text, most frequent first. The figures are
 * written to bench/results/charge-<timestamp>.json. Needs DATABASE_URL (fresh databases are
 * created on that server and dropped afterwards); skipped without it.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import pg from "pg";
import { buildApp } from "../src/app.js";
import { backgroundJobs } from "../src/background-jobs.js";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import { JobRunner } from "../src/jobs/runner.js";
import { systemClock } from "../src/lib/clock.js";
import { createCompany } from "../src/platform/companies.js";
import { buildWidgetApp } from "../src/widget-app.js";
import { ApiClient, linkWithConsent, pool as inPool, startSandboxBank } from "../test/process/payments-harness.js";
import { freshPostgresDatabase, stop } from "../test/process/spawn.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
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
];
/** Customers with a standing consent, taken in turn. */
const PAYERS = 16;

// -------------------------------------------------------------------------------------------------
// Statement counting: every query a pg client of this process sends, except the observer's.
// -------------------------------------------------------------------------------------------------
const uncounted = new WeakSet<object>();
const counter = { on: false, statements: 0, begins: 0, texts: new Map<string, number>() };
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counter.on && !uncounted.has(this)) {
    counter.statements++;
    const first = args[0] as string | { text?: string } | undefined;
    const text = (typeof first === "string" ? first : (first?.text ?? "?")).replace(/\s+/g, " ").trim();
    if (/^begin\b/i.test(text)) counter.begins++;
    counter.texts.set(text, (counter.texts.get(text) ?? 0) + 1);
  }
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;
function countFrom(): () => { statements: number; transactions: number; texts: Map<string, number> } {
  counter.statements = 0;
  counter.begins = 0;
  counter.texts = new Map();
  counter.on = true;
  return () => {
    counter.on = false;
    return { statements: counter.statements, transactions: counter.begins, texts: counter.texts };
  };
}

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

/** Runs `op` from CONCURRENCY loops for `seconds`; counts completions and their latencies. */
async function drive(name: string, seconds: number, op: (n: number) => Promise<void>): Promise<Result & { elapsed: number }> {
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
  return { name, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), count: latencies.length, errors, elapsed };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

interface Counted {
  statementsPerPayment: number;
  transactionsPerPayment: number;
}

/** The bare route: one payment-shaped transaction per request (bench/payments.mts's baseline). */
async function baseline(databaseUrl: string): Promise<Result & Counted> {
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
    const done = countFrom();
    const result = await drive("baseline: Fastify + pg, one payment transaction", SECONDS, op);
    const counted = done();
    return { ...result, statementsPerPayment: counted.statements / result.count, transactionsPerPayment: counted.transactions / result.count };
  } finally {
    await bare.close();
    await pool.end();
  }
}

interface OkroResult extends Result, Counted {
  /** pay/initiate answers per second (the API alone). */
  initiatePerSecond: number;
  /** Seconds from the first measured initiate until the last of them succeeded. */
  endToEndSeconds: number;
  statements: Array<[string, number]>;
}

/** Okro: pay/initiate on standing consents, the runner debiting the HTTP sandbox bank. */
async function okro(databaseUrl: string, bankDatabaseUrl: string): Promise<OkroResult> {
  const bank = await startSandboxBank(bankDatabaseUrl);
  try {
    return await okroWith(databaseUrl, bank.url);
  } finally {
    await stop(bank.running);
  }
}

async function okroWith(databaseUrl: string, bankUrl: string): Promise<OkroResult> {
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
  const worker = new JobRunner(ctx, backgroundJobs(), { concurrency: config.workerConcurrency, pollMs: config.payments.pollMs });
  const observer = new pg.Client({ connectionString: databaseUrl });
  uncounted.add(observer);
  await observer.connect();
  try {
    const tenant = await ctx.db.transaction().execute((trx) => createCompany(trx, { name: "Bench Store" }, new Date()));
    const apiBase = await listen(api);
    const widgetBase = await listen(widget);
    worker.start();
    const client = new ApiClient(apiBase, tenant.sandbox.secret_key);
    const customer = (bankId: string, username: string, type: "ind" | "corp", balance: number) =>
      ({ bankId, username, password: `${username}-secret`, type, noOfAccount: 1, volume: "low", identity: 100, internetSpeed: 4, balance }) as const;
    const [merchant] = await ctx.sandbox.createCustomers(tenant.id, [customer(BANKS[0]!, "bench_store_ops", "corp", 0)]);
    const receiving = await client.ok<{ account: { id: string } }>("pay/accounts/create", {
      bank: BANKS[0],
      nuban: merchant!.accounts[0]!.nuban,
      currency: "NGN",
      name: "Bench Store Ltd",
    });
    for (const id of BANKS) await client.ok("sandbox/faults/set", { bank: id, settings: { mandateActivationDelayMs: 0 } });
    // ₦10,000,000 each: far more than a run spends.
    const payers = Array.from({ length: PAYERS }, (_, i) => customer(BANKS[i % BANKS.length]!, `bench_payer_${i}`, "ind", 1_000_000_000));
    await ctx.sandbox.createCustomers(tenant.id, payers);
    const linked = await inPool(payers, 4, (p, i) => linkWithConsent(widgetBase, tenant.sandbox.public_key, `10.7.${i}.1`, { bankId: p.bankId, username: p.username, password: p.password }));
    const accounts = linked.map((l, i) => {
      if (l.consents.length !== 1) throw new Error(`payer ${i}: ${l.consents.length} consents`);
      return l.consents[0]!.account_id;
    });
    // Consents activate through the runner: wait until every one is active.
    for (let i = 0; ; i++) {
      const active = await observer.query("SELECT count(*)::int AS n FROM payment_consents WHERE company_id = $1 AND status = 'active'", [tenant.id]);
      if (active.rows[0].n >= PAYERS) break;
      if (i > 200) throw new Error(`consents not active: ${active.rows[0].n}/${PAYERS}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const run = Date.now().toString(36);
    const ids: string[] = [];
    const op = (label: string, into: string[]) => async (n: number) => {
      const answer = await client.post<{ data: { payment: { id: string } } }>(
        "pay/initiate",
        { account_to_debit: accounts[n % accounts.length], account_to_credit: receiving.account.id, amount: AMOUNT, currency: "NGN" },
        `charge-${run}-${label}-${n}`,
      );
      if (answer.status !== 200) throw new Error(`pay/initiate → ${answer.status}: ${answer.text}`);
      into.push(answer.body.data.payment.id);
    };
    const warm: string[] = [];
    await drive("warm-up", 1, op("warm", warm));
    // Let the warm-up's payments go through before measuring.
    await until(observer, warm, 60_000);

    const done = countFrom();
    const started = performance.now();
    const result = await drive("okro: pay/initiate → runner → bank debit → succeeded, ledger, event", SECONDS, op("measured", ids));
    const left = await until(observer, ids, 120_000);
    const endToEndSeconds = (performance.now() - started) / 1000;
    const counted = done();
    if (left > 0) throw new Error(`${left} of ${ids.length} payments did not succeed within two minutes`);
    // Each succeeded payment has its event (written with the state change).
    const events = await observer.query(
      "SELECT count(*)::int AS n FROM events WHERE object_type = 'payment' AND type = 'payment.succeeded' AND object_id = ANY($1::text[])",
      [ids],
    );
    if (events.rows[0].n !== ids.length) throw new Error(`${events.rows[0].n} payment.succeeded events for ${ids.length} payments`);
    return {
      ...result,
      name: result.name,
      initiatePerSecond: result.perSecond,
      perSecond: ids.length / endToEndSeconds,
      endToEndSeconds,
      statementsPerPayment: counted.statements / ids.length,
      transactionsPerPayment: counted.transactions / ids.length,
      statements: [...counted.texts.entries()].sort((a, b) => b[1] - a[1]),
    };
  } finally {
    await worker.stop();
    await widget.close();
    await api.close();
    await observer.end();
    await handle.close();
  }
}

/** Waits until every payment of `ids` is `succeeded` or later; returns how many are not. */
async function until(observer: pg.Client, ids: string[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await observer.query("SELECT count(*)::int AS n FROM payments WHERE id = ANY($1::text[]) AND state IN ('succeeded', 'settled')", [ids]);
    const left = ids.length - r.rows[0].n;
    if (left === 0 || performance.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function benchCharge(): Promise<boolean> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log("\nCharge: SKIPPED (the charge bench runs on PostgreSQL: set DATABASE_URL)");
    return true;
  }
  const load = os.loadavg();
  const database = await freshPostgresDatabase(base, "okro_bench_charge");
  const bankDatabase = await freshPostgresDatabase(base, "okro_bench_cbank");
  let bare: Result & Counted;
  let path_: OkroResult;
  try {
    bare = await baseline(database.url);
    path_ = await okro(database.url, bankDatabase.url);
  } finally {
    await database.drop();
    await bankDatabase.drop();
  }
  const loadAfter = os.loadavg();
  console.log(`\nAPI charge on PostgreSQL — ${SECONDS}s, ${CONCURRENCY} concurrent, loopback, Node ${process.version}`);
  console.log(`load average ${load.map((l) => l.toFixed(1)).join(" ")} before, ${loadAfter.map((l) => l.toFixed(1)).join(" ")} after (${os.cpus().length} cores, shared)\n`);
  console.log("target".padEnd(72) + "payments/s".padStart(11) + "  vs baseline".padStart(13) + "p50 ms".padStart(8) + "p99 ms".padStart(8) + "stmts/pay".padStart(10) + "tx/pay".padStart(8) + "  errors");
  const row = (name: string, perSecond: number, p50: number | string, p99: number | string, stmts: number, tx: number, errors: number) =>
    console.log(
      name.padEnd(72) +
        perSecond.toFixed(0).padStart(11) +
        `${((perSecond / bare.perSecond) * 100).toFixed(1)}%`.padStart(13) +
        String(p50).padStart(8) +
        String(p99).padStart(8) +
        stmts.toFixed(1).padStart(10) +
        tx.toFixed(1).padStart(8) +
        `  ${errors}`,
    );
  row(bare.name, bare.perSecond, bare.p50, bare.p99, bare.statementsPerPayment, bare.transactionsPerPayment, bare.errors);
  row("okro end to end (initiate → succeeded)", path_.perSecond, "", "", path_.statementsPerPayment, path_.transactionsPerPayment, path_.errors);
  row("okro pay/initiate alone", path_.initiatePerSecond, path_.p50, path_.p99, NaN, NaN, path_.errors);
  console.log(
    `\nratio: Okro end to end is ${((path_.perSecond / bare.perSecond) * 100).toFixed(1)}% of the baseline, pay/initiate ${((path_.initiatePerSecond / bare.perSecond) * 100).toFixed(1)}%; ` +
      `${path_.statementsPerPayment.toFixed(1)} statements per payment against ${bare.statementsPerPayment.toFixed(1)} (${path_.count} Okro payments in ${path_.endToEndSeconds.toFixed(1)} s end to end, ${bare.count} baseline)`,
  );
  if (process.env.BENCH_STATEMENTS) {
    console.log("\nOkro's statements in the window, most frequent first (count, per payment, text):");
    for (const [text, n] of path_.statements.slice(0, 60)) console.log(`${String(n).padStart(7)} ${(n / path_.count).toFixed(2).padStart(6)}  ${text.slice(0, 220)}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = path.join(import.meta.dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `charge-${stamp}.json`);
  const { statements, ...okroFigures } = path_;
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        bench: "charge",
        at: new Date().toISOString(),
        seconds: SECONDS,
        concurrency: CONCURRENCY,
        node: process.version,
        cores: os.cpus().length,
        loadAverageBefore: load,
        loadAverageAfter: loadAfter,
        baseline: bare,
        okro: okroFigures,
        ratios: { endToEnd: path_.perSecond / bare.perSecond, initiate: path_.initiatePerSecond / bare.perSecond, statements: path_.statementsPerPayment / bare.statementsPerPayment },
        statementsByText: statements.slice(0, 80).map(([text, n]) => ({ text, count: n, perPayment: n / path_.count })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  return path_.errors === 0 && bare.errors === 0 && path_.count > 0;
}
