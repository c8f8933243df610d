import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootStorage } from "../../../src/boot.js";
import { ConnectorError, Secret, isConnectorError, type BankConnector, type BankSession } from "../../../src/banks/connector.js";
import { createSandboxEngine } from "../../../src/banks/sandbox/engine.js";
import { HttpConnector, HttpSandboxAdmin, HttpSandboxNetwork } from "../../../src/banks/sandbox/http-connector.js";
import { buildSandboxBankServer } from "../../../src/banks/sandbox/http-server.js";
import { SandboxAdminError, type SandboxEngine } from "../../../src/banks/sandbox/types.js";
import type { DatabaseHandle } from "../../../src/db/index.js";
import { ManualClock } from "../../../src/lib/clock.js";
import { testConfig } from "../../harness.js";

/**
 * The HTTP sandbox bank on a real socket: faults are what a client of a real bank meets (held
 * connections, dropped connections, 503s), and HttpConnector classifies each the way the
 * connector contract says.
 */
const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const OTP = "123456";

let handle: DatabaseHandle;
let engine: SandboxEngine;
let server: Running;
let admin: HttpSandboxAdmin;

interface Running {
  app: FastifyInstance;
  baseUrl: string;
}

async function startServer(configure: (app: FastifyInstance) => void = () => {}): Promise<Running> {
  const app = buildSandboxBankServer(engine);
  configure(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  const clock = new ManualClock(new Date("2026-03-10T09:00:00.000Z"));
  ({ handle } = await bootStorage(testConfig(), clock, { embeddedInMemory: true }));
  engine = createSandboxEngine({ db: handle.db, clock, latencyScale: 0 });
  server = await startServer();
  admin = await HttpSandboxAdmin.connect(server.baseUrl);
});

afterAll(async () => {
  await server?.app.close();
  await handle?.close();
});

const newRealm = () => `realm-${randomUUID()}`;

async function caught(call: Promise<unknown>): Promise<ConnectorError> {
  try {
    await call;
  } catch (error) {
    if (isConnectorError(error)) return error;
    throw error;
  }
  throw new Error("expected a ConnectorError, but the call succeeded");
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

const goodLogin = (conn: BankConnector, timeoutMs?: number) =>
  conn.startLogin(
    { credentials: { method: "internet_banking", identifier: "okro_good", secret: new Secret("pass_good") } },
    timeoutMs === undefined ? undefined : { timeoutMs },
  );

async function session(conn: BankConnector): Promise<BankSession> {
  const result = await goodLogin(conn);
  expect(result.status).toBe("connected");
  return result.session;
}

function rawCall(path: string, init: { body?: string; realm?: string | null; contentType?: string } = {}) {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": init.contentType ?? "application/json",
      ...(init.realm === null ? {} : { "x-sandbox-realm": init.realm ?? newRealm() }),
    },
    body: init.body ?? "{}",
  });
}

describe("the HTTP sandbox bank and HttpConnector", () => {
  it("logs in and reads accounts over the socket; the session token comes back a Secret", async () => {
    const conn = new HttpConnector(server.baseUrl, GTBANK, newRealm());
    const token = await session(conn);
    expect(token.token).toBeInstanceOf(Secret);
    const accounts = await conn.listAccounts({ session: token });
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts[0]!.nuban).toMatch(/^\d{10}$/);
  });

  it("passes the bank's refusals through as they are", async () => {
    const conn = new HttpConnector(server.baseUrl, GTBANK, newRealm());
    const error = await caught(
      conn.startLogin({ credentials: { method: "internet_banking", identifier: "okro_good", secret: new Secret("wrong") } }),
    );
    expect(error).toMatchObject({ kind: "rejected", reason: "invalid_credentials" });
    expect(error.message).not.toContain("wrong");
  });

  it("timeoutRate 1: the connection is held and the connector throws timeout after timeoutMs", async () => {
    const realm = newRealm();
    await admin.setFaults(realm, GTBANK, { timeoutRate: 1 });
    const conn = new HttpConnector(server.baseUrl, GTBANK, realm);
    const { value: error, ms } = await timed(caught(goodLogin(conn, 400)));
    expect(error.kind).toBe("timeout");
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(3_000);
  });

  it("a server holding connections still closes promptly, and the held caller sees timeout", async () => {
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    const own = await startServer((app) => app.addHook("onRequest", async () => arrived()));
    const realm = newRealm();
    await engine.admin.setFaults(realm, GTBANK, { timeoutRate: 1 });
    const call = caught(goodLogin(new HttpConnector(own.baseUrl, GTBANK, realm), 30_000));
    await held;
    const { ms } = await timed(own.app.close());
    expect(ms).toBeLessThan(2_000);
    const { value: error, ms: callMs } = await timed(call);
    expect(error.kind).toBe("timeout");
    expect(callMs).toBeLessThan(2_000);
  });

  it("lostResponseRate 1 on debit: the money moves, the caller sees timeout, debitStatus says success", async () => {
    const realm = newRealm();
    const conn = new HttpConnector(server.baseUrl, GTBANK, realm);
    const token = await session(conn);
    const [account] = await conn.listAccounts({ session: token });
    const before = await conn.getBalance({ session: token, accountId: account!.id });
    await admin.setFaults(realm, GTBANK, { lostResponseRate: 1, operations: ["debit"] });

    const reference = `lost-${randomUUID().slice(0, 8)}`;
    const { value: error, ms } = await timed(
      caught(
        conn.debit(
          {
            session: token,
            accountId: account!.id,
            amount: 10_000,
            currency: "NGN",
            reference,
            narration: "lost response test",
            authorization: { otp: new Secret(OTP) },
          },
          { timeoutMs: 10_000 },
        ),
      ),
    );
    expect(error.kind).toBe("timeout");
    expect(ms).toBeLessThan(5_000); // a dropped connection, not a wait for the timeout

    const status = await conn.debitStatus({ reference });
    expect(status).toMatchObject({ found: true, status: "success", amount: 10_000 });
    const after = await conn.getBalance({ session: token, accountId: account!.id });
    expect(after.ledger).toBe(before.ledger - 10_000);
  });

  it("errorRate 1: a 503 the connector classifies as retryable", async () => {
    const realm = newRealm();
    await admin.setFaults(realm, GTBANK, { errorRate: 1 });
    const error = await caught(goodLogin(new HttpConnector(server.baseUrl, GTBANK, realm)));
    expect(error.kind).toBe("retryable");
    const raw = await rawCall(`/v1/banks/${GTBANK}/debitStatus`, { realm, body: JSON.stringify({ reference: "r-1" }) });
    expect(raw.status).toBe(503);
    expect(await raw.json()).toMatchObject({ ok: false, error: { kind: "retryable" } });
  });

  it("down: retryable with retryAfterMs and a Retry-After header; rate limits are 429 rate_limited", async () => {
    const realm = newRealm();
    await admin.setFaults(realm, GTBANK, { down: true });
    const down = await caught(goodLogin(new HttpConnector(server.baseUrl, GTBANK, realm)));
    expect(down.kind).toBe("retryable");
    const raw = await rawCall(`/v1/banks/${GTBANK}/debitStatus`, { realm, body: JSON.stringify({ reference: "r-1" }) });
    expect(raw.status).toBe(503);
    if (down.retryAfterMs !== undefined) expect(raw.headers.get("retry-after")).toMatch(/^\d+$/);

    const limited = newRealm();
    await admin.setFaults(limited, GTBANK, { rateLimitPerMinute: 1 });
    const conn = new HttpConnector(server.baseUrl, GTBANK, limited);
    await conn.debitStatus({ reference: "r-1" });
    const error = await caught(conn.debitStatus({ reference: "r-2" }));
    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it("a bank that is not running: retryable, for reads and money movements alike (nothing was sent)", async () => {
    const gone = await startServer();
    await gone.app.close();
    const conn = new HttpConnector(gone.baseUrl, GTBANK, newRealm());
    expect((await caught(goodLogin(conn))).kind).toBe("retryable");
    const credit = await caught(
      conn.credit({ amount: 100, currency: "NGN", reference: "never-sent", narration: "x", destination: { bankId: GTBANK, nuban: "0000000000" } }),
    );
    expect(credit.kind).toBe("retryable");
    expect(credit.message).toContain(new URL(gone.baseUrl).origin);
  });

  it("answers garbage with 400 and unknown banks or operations with 404, never 500", async () => {
    const garbage = await rawCall(`/v1/banks/${GTBANK}/startLogin`, { body: "{not json" });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ ok: false, error: { kind: "rejected", reason: "invalid_request" } });

    const notAnObject = await rawCall(`/v1/banks/${GTBANK}/startLogin`, { body: "[1,2]" });
    expect(notAnObject.status).toBe(400);

    const wrongShape = await rawCall(`/v1/banks/${GTBANK}/startLogin`, { body: JSON.stringify({ credentials: 5 }) });
    expect(wrongShape.status).toBe(400);
    expect(await wrongShape.json()).toMatchObject({ ok: false, error: { reason: "invalid_request", field: expect.stringContaining("credentials") } });

    const plainSecret = await rawCall(`/v1/banks/${GTBANK}/answerMfa`, {
      body: JSON.stringify({ session: { token: "not-a-wire-secret", expiresAt: "2026-03-10T09:30:00.000Z" }, answer: { $secret: OTP } }),
    });
    expect(plainSecret.status).toBe(400);

    const noRealm = await rawCall(`/v1/banks/${GTBANK}/debitStatus`, { realm: null, body: JSON.stringify({ reference: "r" }) });
    expect(noRealm.status).toBe(400);
    expect(await noRealm.json()).toMatchObject({ error: { field: "x-sandbox-realm" } });

    const text = await rawCall(`/v1/banks/${GTBANK}/debitStatus`, { contentType: "text/plain", body: "reference=r" });
    expect(text.status).toBe(400);
    const xml = await rawCall(`/v1/banks/${GTBANK}/debitStatus`, { contentType: "application/xml", body: "<reference/>" });
    expect(xml.status).toBe(415);

    expect((await rawCall(`/v1/banks/ffffffffffffffffffffffff/startLogin`)).status).toBe(404);
    const unknownOp = await rawCall(`/v1/banks/${GTBANK}/transferEverything`);
    expect(unknownOp.status).toBe(404);
    expect(await unknownOp.json()).toMatchObject({ ok: false, error: { kind: "not_supported" } });
    expect((await rawCall(`/v1/banks/${GTBANK}/__proto__`)).status).toBe(404);

    const adminGarbage = await rawCall("/v1/admin/customers/create", { body: "{not json" });
    expect(adminGarbage.status).toBe(400);
    expect(await adminGarbage.json()).toMatchObject({ ok: false, adminError: { code: "INVALID_FIELD" } });
    const adminWrongShape = await rawCall("/v1/admin/customers/create", { body: JSON.stringify({ customers: "everyone" }) });
    expect(adminWrongShape.status).toBe(400);
    expect(await adminWrongShape.json()).toMatchObject({ adminError: { code: "INVALID_FIELD", field: "customers" } });
    const badItem = await rawCall("/v1/admin/customers/create", { body: JSON.stringify({ customers: [{ bankId: GTBANK }] }) });
    expect(badItem.status).toBe(400);
    expect((await rawCall("/v1/admin/clock/advance", { body: JSON.stringify({ ms: "soon" }) })).status).toBe(400);
    expect((await rawCall("/v1/admin/faults/get", { realm: null })).status).toBe(400);

    const health = await fetch(`${server.baseUrl}/health`);
    expect(await health.json()).toEqual({ ok: true });
  });

  it("the admin client maps refusals back to SandboxAdminError", async () => {
    const realm = newRealm();
    expect(await admin.getCustomer(realm, "ffffffffffffffffffffffff")).toBeUndefined();
    await expect(admin.setFaults(realm, "ffffffffffffffffffffffff", { errorRate: 1 })).rejects.toMatchObject({
      name: "SandboxAdminError",
      code: "NOT_FOUND",
    });
    const invalid = await admin.setFaults(realm, GTBANK, { errorRate: 7 }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(SandboxAdminError);
    expect(invalid).toMatchObject({ code: "INVALID_FIELD", field: expect.stringContaining("errorRate") });

    const set = await admin.setFaults(realm, GTBANK, { latencyMs: 5 });
    expect(set).toMatchObject({ bankId: GTBANK, settings: { latencyMs: 5 } });
    expect(await admin.getFaults(realm)).toHaveLength(1);
    await admin.clearFaults(realm);
    expect(await admin.getFaults(realm)).toHaveLength(0);
    const clock = await admin.advanceClock(realm, 60_000);
    expect(clock.offsetMs).toBe(60_000);
    expect(await admin.getClock(realm)).toEqual(clock);
    expect(admin.banks().some((bank) => bank.bankId === GTBANK)).toBe(true);
  });

  it("HttpSandboxNetwork reaches every bank the service has, one connector per bank and realm", () => {
    const network = new HttpSandboxNetwork(admin);
    expect(network.supports(GTBANK)).toBe(true);
    expect(network.supports("ffffffffffffffffffffffff")).toBe(false);
    expect(network.connector("ffffffffffffffffffffffff", { realm: "a" })).toBeUndefined();
    const a = network.connector(GTBANK, { realm: "a" });
    expect(a).toBeInstanceOf(HttpConnector);
    expect(network.connector(GTBANK, { realm: "a" })).toBe(a);
    expect(network.connector(GTBANK, { realm: "b" })).not.toBe(a);
  });
});
