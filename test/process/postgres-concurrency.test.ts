import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { BANK_DIRECTORY } from "../../src/banks/directory.js";
import { openDatabase } from "../../src/db/index.js";
import { migrations } from "../../src/db/migrations/index.js";
import { createCompany } from "../../src/platform/companies.js";
import { Secret, isConnectorError, type TransferResult } from "../../src/banks/connector.js";
import { HttpConnector, HttpSandboxAdmin } from "../../src/banks/sandbox/http-connector.js";
import { emitEvent } from "../../src/events/emit.js";
import { createEndpoint } from "../../src/events/endpoints.js";
import { SecretBox } from "../../src/lib/secret-box.js";
import { TEST_ENCRYPTION_KEY } from "../test-keys.js";
import { freshPostgresDatabase, startOkro, stop, tempDir, waitFor, type Running } from "./spawn.js";

/**
 * Horizontal scale: several Okro processes on one PostgreSQL. These need a real server, so they
 * run only when DATABASE_URL is set (.ci/run always sets it for its second pass).
 */
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  console.warn("\n*** SKIPPED: multi-process PostgreSQL tests (set DATABASE_URL; .ci/run does) ***\n");
}
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

async function freshDb(prefix: string) {
  const db = await freshPostgresDatabase(baseUrl!, prefix);
  drops.push(db.drop);
  return db.url;
}

async function startApi(databaseUrl: string, env: Record<string, string> = {}): Promise<{ running: Running; url: string }> {
  const running = startOkro("api", { DATABASE_URL: databaseUrl, OKRO_DATA_DIR: tempDir("okro-api-"), ...env });
  let url = "";
  await waitFor(
    () => {
      const match = /"msg":"okro api listening"/.test(running.stdout()) && /"api":"([^"]+)"/.exec(running.stdout());
      if (match) url = match[1]!.replace("localhost", "127.0.0.1");
      return Boolean(url) || running.child.exitCode !== null;
    },
    "okro api to listen",
    60_000,
    running,
  );
  expect(running.child.exitCode, running.stderr()).toBeNull();
  return { running, url };
}

describe.skipIf(!baseUrl)("several processes on one PostgreSQL", () => {
  it("runs migrations once when four processes start migrating at the same moment", async () => {
    const url = await freshDb("okro_race");
    const racers = Array.from({ length: 4 }, () => startOkro("migrate", { DATABASE_URL: url }));
    const codes = await Promise.all(racers.map((r) => r.exited));
    expect(codes, racers.map((r) => r.stderr()).join("\n")).toEqual([0, 0, 0, 0]);
    const handle = await openDatabase({ databaseUrl: url });
    try {
      const applied = await handle.db.selectFrom("okro_migrations" as never).selectAll().execute();
      expect(applied).toHaveLength(Object.keys(migrations).length);
      const banks = await handle.db.selectFrom("banks").select("id").execute();
      expect(banks).toHaveLength(BANK_DIRECTORY.length);
    } finally {
      await handle.close();
    }
  });

  it("seeds one demo company when three `okro serve` start at once", async () => {
    const url = await freshDb("okro_seed");
    const servers = Array.from({ length: 3 }, () => startOkro("serve", { DATABASE_URL: url, OKRO_DATA_DIR: tempDir("okro-seed-") }));
    for (const s of servers) {
      await waitFor(() => s.stdout().includes("Okro is running") || s.child.exitCode !== null, "banner", 90_000, s);
    }
    const codes = await Promise.all(servers.map(stop));
    expect(codes, servers.map((s) => s.stderr()).join("\n")).toEqual([0, 0, 0]);
    const handle = await openDatabase({ databaseUrl: url });
    try {
      const companies = await handle.db.selectFrom("companies").select(["id", "is_demo"]).execute();
      expect(companies).toHaveLength(1);
      const apps = await handle.db.selectFrom("apps").select("id").execute();
      expect(apps).toHaveLength(2);
    } finally {
      await handle.close();
    }
  });

  it("shares one rate-limit count per key between two API processes", async () => {
    const url = await freshDb("okro_rl");
    // Migrate once, then make a tenant to call with.
    expect(await startOkro("migrate", { DATABASE_URL: url }).exited).toBe(0);
    const handle = await openDatabase({ databaseUrl: url });
    const tenant = await handle.db.transaction().execute((trx) => createCompany(trx, { name: "RL" }, new Date()));
    await handle.close();

    const a = await startApi(url, { RATE_LIMIT_MAX: "5", RATE_LIMIT_WINDOW_MS: "600000" });
    const b = await startApi(url, { RATE_LIMIT_MAX: "5", RATE_LIMIT_WINDOW_MS: "600000" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const target = i % 2 === 0 ? a.url : b.url;
        const res = await fetch(`${target}/v2/banks/list`, { headers: { authorization: `Bearer ${tenant.sandbox.secret_key}` } });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    } finally {
      await Promise.all([stop(a.running), stop(b.running)]);
    }
  });

  it("creates one app for concurrent duplicates with one Idempotency-Key sent to two API processes", async () => {
    const url = await freshDb("okro_idem");
    expect(await startOkro("migrate", { DATABASE_URL: url }).exited).toBe(0);
    const handle = await openDatabase({ databaseUrl: url });
    const tenant = await handle.db.transaction().execute((trx) => createCompany(trx, { name: "Idem" }, new Date()));
    const a = await startApi(url);
    const b = await startApi(url);
    try {
      for (let round = 0; round < 3; round++) {
        const key = `dup-${round}-${Date.now()}`;
        const name = `Checkout widget ${round}`;
        const answers = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            fetch(`${i % 2 === 0 ? a.url : b.url}/v2/apps/create`, {
              method: "POST",
              headers: { authorization: `Bearer ${tenant.sandbox.secret_key}`, "content-type": "application/json", "idempotency-key": key },
              body: JSON.stringify({ name, products: ["balance"] }),
            }).then(async (res) => ({ status: res.status, body: await res.text() })),
          ),
        );
        for (const answer of answers) expect(answer.status, answer.body).toBe(200);
        expect(new Set(answers.map((x) => x.body)).size).toBe(1);
        const apps = await handle.db.selectFrom("apps").select("id").where("company_id", "=", tenant.id).where("name", "=", name).execute();
        expect(apps).toHaveLength(1);
      }
    } finally {
      await Promise.all([stop(a.running), stop(b.running)]);
      await handle.close();
    }
  });
});

/** `okro sandbox-bank` on a free port, on the given PostgreSQL database. */
async function startSandboxBank(databaseUrl: string): Promise<{ running: Running; url: string }> {
  const running = startOkro(["sandbox-bank", "--port", "0"], { DATABASE_URL: databaseUrl, HOST: "127.0.0.1", OKRO_SANDBOX_LATENCY_SCALE: "0", LOG_LEVEL: "warn" });
  let url = "";
  await waitFor(
    () => {
      url = /sandbox bank listening on (http:\/\/\S+)/.exec(running.stdout())?.[1] ?? "";
      return Boolean(url) || running.child.exitCode !== null;
    },
    "okro sandbox-bank to listen",
    60_000,
    running,
  );
  expect(running.child.exitCode, running.stderr()).toBeNull();
  return { running, url };
}

describe.skipIf(!baseUrl)("two sandbox bank processes on one PostgreSQL", () => {
  const GTBANK = "5d6fe57a4099cc4b210bbeb3";

  it("moves money once per reference and never overdraws, whichever process each debit reaches", async () => {
    const url = await freshDb("okro_sbx_race");
    expect(await startOkro("migrate", { DATABASE_URL: url }).exited).toBe(0);
    const a = await startSandboxBank(url);
    const b = await startSandboxBank(url);
    try {
      const realm = `race-${Date.now()}`;
      const admin = await HttpSandboxAdmin.connect(a.url);
      const balance = 1_000_000; // ₦10,000
      await admin.createCustomers(realm, [
        { bankId: GTBANK, username: "racer", password: "race-pass", type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4, balance },
      ]);
      const viaA = new HttpConnector(a.url, GTBANK, realm);
      const viaB = new HttpConnector(b.url, GTBANK, realm);
      let login = await viaA.startLogin({ credentials: { method: "internet_banking", identifier: "racer", secret: new Secret("race-pass") } });
      if (login.status === "mfa_required") login = await viaA.answerMfa({ session: login.session, answer: new Secret("123456") });
      const [account] = await viaB.listAccounts({ session: login.session });
      const debit = (via: HttpConnector, reference: string, amount: number) =>
        via
          .debit({ session: login.session, accountId: account!.id, amount, currency: "NGN", reference, narration: "race", authorization: { pin: new Secret("1234") } })
          .then((r): TransferResult | string => r, (e: unknown) => (isConnectorError(e) ? (e.reason ?? e.kind) : String(e)));

      // One reference sent 16 times through both processes at once: one debit.
      const same = await Promise.all(Array.from({ length: 16 }, (_, i) => debit(i % 2 ? viaA : viaB, "same-ref", 10_000)));
      expect(same.filter((r) => typeof r !== "string")).toHaveLength(1);
      expect(same.filter((r) => r === "duplicate_reference")).toHaveLength(15);

      // 30 different debits of ₦500 against the ₦9,900 left: exactly 19 fit, whoever wins.
      const many = await Promise.all(Array.from({ length: 30 }, (_, i) => debit(i % 2 ? viaA : viaB, `many-${i}`, 50_000)));
      const paid = many.filter((r) => typeof r !== "string");
      expect(paid).toHaveLength(19);
      expect(many.filter((r) => r === "insufficient_funds")).toHaveLength(11);

      const after = await viaA.getBalance({ session: login.session, accountId: account!.id });
      expect(after.available).toBe(balance - 10_000 - 19 * 50_000);
      const lines = await viaB.listTransactions({ session: login.session, accountId: account!.id, from: "2000-01-01", to: "2100-01-01", limit: 500 });
      const ours = lines.transactions.filter((t) => t.reference === "same-ref" || t.reference?.startsWith("many-")).map((t) => t.reference);
      expect(ours).toHaveLength(20);
      expect(new Set(ours).size).toBe(20);
    } finally {
      await Promise.all([stop(a.running), stop(b.running)]);
    }
  });
});

describe.skipIf(!baseUrl)("two webhook workers on one PostgreSQL", () => {
  // 900 deliveries through two process start-ups: over vitest's 30 s default on a loaded 2-core machine.
  it("delivers every event exactly once, each object's in sequence order, while two `okro worker` processes claim at once", { timeout: 120_000 }, async () => {
    const url = await freshDb("okro_wh_race");
    expect(await startOkro("migrate", { DATABASE_URL: url }).exited).toBe(0);

    // The receiver counts arrivals per webhook-id and records each object's order per endpoint.
    const arrivals = new Map<string, number>();
    const order = new Map<string, number[]>();
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const id = String(req.headers["webhook-id"]);
        arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { object: { id: string }; sequence: number };
        const key = `${req.url} ${body.object.id}`;
        order.set(key, [...(order.get(key) ?? []), body.sequence]);
        // A little latency, so both workers have deliveries in flight at the same time.
        setTimeout(() => res.writeHead(200).end("ok"), Math.floor(Math.random() * 5));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const handle = await openDatabase({ databaseUrl: url });
    const secrets = new SecretBox(SecretBox.parseKey(TEST_ENCRYPTION_KEY));
    const ENDPOINTS = 3;
    const OBJECTS = 100;
    const PER_OBJECT = 3;
    const workers: Running[] = [];
    try {
      const tenant = await handle.db.transaction().execute((trx) => createCompany(trx, { name: "Webhook race" }, new Date()));
      const scope = { companyId: tenant.id, env: "sandbox" as const };
      for (let i = 0; i < ENDPOINTS; i++) {
        await handle.db.transaction().execute((trx) => createEndpoint(trx, secrets, scope, { url: `${hook}/ep${i}` }, new Date()));
      }
      const emitRound = (round: number) =>
        handle.db.transaction().execute(async (trx) => {
          for (let o = 0; o < OBJECTS; o++) {
            await emitEvent(trx, { companyId: tenant.id, env: "sandbox", type: "payment.updated", object: { type: "payment", id: `pay_${o}` }, data: { round } }, new Date());
          }
        });
      // A backlog before the workers start, and more while they run.
      await emitRound(1);
      for (let i = 0; i < 2; i++) {
        // debug: every attempt is a log line, so the test can see which worker sent what.
        const running = startOkro("worker", { DATABASE_URL: url, OKRO_DATA_DIR: tempDir("okro-worker-"), OKRO_WORKER_CONCURRENCY: "10", LOG_LEVEL: "debug" });
        workers.push(running);
      }
      for (const w of workers) await waitFor(() => w.stdout().includes("okro worker started") || w.child.exitCode !== null, "okro worker to start", 60_000, w);
      for (const w of workers) expect(w.child.exitCode, w.stderr()).toBeNull();
      await emitRound(2);
      await emitRound(3);

      const total = ENDPOINTS * OBJECTS * PER_OBJECT;
      let succeeded = 0;
      const deadline = Date.now() + 90_000;
      while (succeeded < total && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        const row = await handle.db
          .selectFrom("webhook_deliveries")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("status", "=", "succeeded")
          .executeTakeFirstOrThrow();
        succeeded = Number(row.n);
      }
      expect(succeeded).toBe(total);

      // Exactly once per webhook-id: no delivery went out twice, from either worker.
      expect(arrivals.size).toBe(total);
      const twice = [...arrivals].filter(([, n]) => n !== 1);
      expect(twice).toEqual([]);
      // Each object's events reached each endpoint in sequence order.
      expect(order.size).toBe(ENDPOINTS * OBJECTS);
      for (const sequences of order.values()) expect(sequences).toEqual([1, 2, 3]);
      const attempts = await handle.db.selectFrom("webhook_attempts").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      expect(Number(attempts.n)).toBe(total);
      // Both workers took part, and between them sent each delivery once.
      const sentBy = workers.map((w) => w.stdout().split("\n").filter((line) => line.includes('"msg":"webhook attempt"')).length);
      expect(sentBy.every((n) => n > 0), `attempts per worker: ${sentBy.join(", ")}`).toBe(true);
      expect(sentBy.reduce((a, b) => a + b, 0)).toBe(total);
    } finally {
      const codes = await Promise.all(workers.map(stop));
      expect(codes, workers.map((w) => w.stderr()).join("\n")).toEqual(workers.map(() => 0));
      await handle.close();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
