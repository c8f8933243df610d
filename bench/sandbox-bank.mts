/**
 * The sandbox bank's own throughput: authorised debits per second through the connector
 * interface, in-process and over HTTP (`okro sandbox-bank`'s server on loopback), against a
 * baseline measured in the same run — the database floor: a transaction with the same writes a
 * debit makes (one transfer row, two postings) and nothing else.
 *
 * Load: BENCH_CONCURRENCY (default 10) workers for BENCH_SECONDS (default 5) each, debiting ₦1
 * from 40 test customers' accounts at GTBank (round robin, one customer per worker at a time,
 * as real traffic spreads over many customers), each debit authorised by PIN, with a fresh
 * reference. The embedded database always; PostgreSQL too when DATABASE_URL is set.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { Secret, type BankConnector, type BankSession } from "../src/banks/connector.js";
import { createSandboxEngine } from "../src/banks/sandbox/engine.js";
import { HttpConnector } from "../src/banks/sandbox/http-connector.js";
import { buildSandboxBankServer } from "../src/banks/sandbox/http-server.js";
import { InProcessConnector } from "../src/banks/sandbox/in-process.js";
import type { SandboxEngine } from "../src/banks/sandbox/types.js";
import { bootStorage } from "../src/boot.js";
import { loadConfig } from "../src/config.js";
import type { Database } from "../src/db/index.js";
import { systemClock } from "../src/lib/clock.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const CUSTOMERS = 40;

export interface DebitResult {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs `op` from CONCURRENCY workers for SECONDS; counts completions and latencies. */
async function drive(name: string, op: (worker: number, n: number) => Promise<void>): Promise<DebitResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let n = 0; performance.now() < until; n++) {
        const t = performance.now();
        try {
          await op(worker, n);
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
  return { name, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

/** The database floor: the writes of one debit (a transfer row, two postings) in one transaction. */
async function floor(db: Database, kind: string): Promise<DebitResult> {
  const realm = `bench-floor-${randomUUID()}`;
  return drive(`baseline: bare debit writes (${kind})`, async (worker, n) => {
    await db.transaction().execute(async (trx) => {
      const now = new Date();
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${realm}:${worker}`}, 0))`.execute(trx);
      await trx
        .insertInto("sandbox_transfers")
        .values({
          realm,
          bank_id: GTBANK,
          direction: "debit",
          reference: `f${worker}-${n}`,
          kind: "debit",
          mandate_id: null,
          amount: 100,
          currency: "NGN",
          source_bank_id: GTBANK,
          source_nuban: "0000000001",
          destination_bank_id: GTBANK,
          destination_nuban: "0000000002",
          status: "success",
          settles_as: "success",
          session_id: "0",
          narration: "bench",
          created_at: now,
          settles_at: null,
        })
        .execute();
      await trx
        .insertInto("sandbox_postings")
        .values([
          { realm, bank_id: GTBANK, nuban: "0000000001", amount: -100, posted_at: now, narration: "bench", category: "transfer_out", reference: `f${worker}-${n}`, session_id: "0" },
          { realm, bank_id: GTBANK, nuban: "0000000002", amount: 100, posted_at: now, narration: "bench", category: "transfer_in", reference: `f${worker}-${n}`, session_id: "0" },
        ])
        .execute();
    });
  });
}

interface Customer {
  session: BankSession;
  account: string;
}

/** Test customers with money, logged in through `connector` (MFA answered). */
async function customers(engine: SandboxEngine, realm: string, connector: BankConnector): Promise<Customer[]> {
  const inputs = Array.from({ length: CUSTOMERS }, (_, i) => ({
    bankId: GTBANK,
    username: `bench${i}`,
    password: "bench-pass",
    type: "ind" as const,
    volume: "low" as const,
    identity: 100,
    noOfAccount: 1,
    internetSpeed: 4,
    balance: 1_000_000_000_00,
  }));
  await engine.admin.createCustomers(realm, inputs);
  const out: Customer[] = [];
  for (const input of inputs) {
    let login = await connector.startLogin({ credentials: { method: "internet_banking", identifier: input.username, secret: new Secret(input.password) } });
    if (login.status === "mfa_required") login = await connector.answerMfa({ session: login.session, answer: new Secret("123456") });
    const [account] = await connector.listAccounts({ session: login.session });
    out.push({ session: login.session, account: account!.id });
  }
  return out;
}

function debits(name: string, connector: BankConnector, people: Customer[]): Promise<DebitResult> {
  const pin = new Secret("1234");
  return drive(name, async (worker, n) => {
    const who = people[(worker + n * CONCURRENCY) % people.length]!;
    const result = await connector.debit({
      session: who.session,
      accountId: who.account,
      amount: 100,
      currency: "NGN",
      reference: `b${worker}x${n}x${randomUUID().slice(0, 8)}`,
      narration: "bench",
      authorization: { pin },
    });
    if (result.status !== "success") throw new Error(`debit ${result.status}`);
  });
}

async function target(databaseUrl: string | undefined): Promise<DebitResult[]> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  const { handle } = await bootStorage(config, systemClock, { embeddedInMemory: true });
  const engine = createSandboxEngine({ db: handle.db, clock: systemClock, latencyScale: 0 });
  const results: DebitResult[] = [await floor(handle.db, handle.kind)];

  const realm = `bench-${randomUUID()}`;
  const inProcess = new InProcessConnector(engine, GTBANK, realm);
  results.push(await debits(`sandbox bank in-process (${handle.kind})`, inProcess, await customers(engine, realm, inProcess)));

  const server = buildSandboxBankServer(engine);
  await server.listen({ port: 0, host: "127.0.0.1" });
  try {
    const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    const httpRealm = `bench-${randomUUID()}`;
    const http = new HttpConnector(url, GTBANK, httpRealm);
    results.push(await debits(`sandbox bank over HTTP (${handle.kind})`, http, await customers(engine, httpRealm, http)));
  } finally {
    await server.close();
    await handle.close();
  }
  return results;
}

export async function benchSandboxBank(): Promise<boolean> {
  const results = await target(undefined);
  if (process.env.DATABASE_URL) results.push(...(await target(process.env.DATABASE_URL)));
  console.log(`\nSandbox bank: authorised debits — ${SECONDS}s, ${CONCURRENCY} concurrent, ${CUSTOMERS} customers, Node ${process.version}\n`);
  console.log("target".padEnd(46) + "debits/s".padStart(10) + "  vs floor".padStart(11) + "p50 ms".padStart(8) + "p99 ms".padStart(8) + "  errors");
  let floorRate = 1;
  for (const r of results) {
    if (r.name.startsWith("baseline")) floorRate = r.perSecond;
    console.log(
      r.name.padEnd(46) +
        r.perSecond.toFixed(0).padStart(10) +
        `${((r.perSecond / floorRate) * 100).toFixed(0)}%`.padStart(11) +
        String(r.p50).padStart(8) +
        String(r.p99).padStart(8) +
        `  ${r.errors}`,
    );
  }
  return results.every((r) => r.errors === 0);
}
