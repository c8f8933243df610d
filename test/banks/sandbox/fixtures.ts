import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  ConnectorError,
  Secret,
  isConnectorError,
  type BankAccount,
  type BankConnector,
  type BankSession,
  type BankTransaction,
  type LoginMethod,
  type LoginResult,
} from "../../../src/banks/connector.js";
import { createSandboxEngine } from "../../../src/banks/sandbox/engine.js";
import { HttpConnector, HttpSandboxAdmin } from "../../../src/banks/sandbox/http-connector.js";
import { buildSandboxBankServer } from "../../../src/banks/sandbox/http-server.js";
import { InProcessConnector } from "../../../src/banks/sandbox/in-process.js";
import { SANDBOX_BANKS } from "../../../src/banks/sandbox/profiles.js";
import type { SandboxAdmin, SandboxBankProfile, SandboxEngine } from "../../../src/banks/sandbox/types.js";
import type { Database } from "../../../src/db/index.js";
import { ManualClock } from "../../../src/lib/clock.js";
import { createHarness } from "../../harness.js";

/**
 * Black-box fixtures for the sandbox bank network: the same contract suite runs against the
 * network in-process and over a real HTTP socket. Tests only see the {@link BankConnector}
 * interface and the {@link SandboxAdmin}; each test works in its own fresh realm, so tests never
 * see each other's customers, balances, faults or clock offsets.
 */
export interface NetworkFixture {
  name: "in-process" | "http";
  /** A connector to one bank in one realm; `defaultTimeoutMs` for calls given no `timeoutMs`. */
  connector(bankId: string, realm: string, options?: { defaultTimeoutMs?: number }): BankConnector;
  admin: SandboxAdmin;
  /** The platform clock the engine runs on. Tests move realms' clocks through the admin instead. */
  clock: ManualClock;
  close(): Promise<void>;
}

/** Tuesday 10:00 in Lagos: outside Union Bank's 01:00–02:00 WAT maintenance window. */
export const START = new Date("2026-03-10T09:00:00.000Z");

export const BANKS = {
  gtbank: "5d6fe57a4099cc4b210bbeb3",
  zenith: "5d6fe57a4099cc4b210bbec0",
  kuda: "5d6fe57a4099cc4b210bbeb7",
  opay: "5d6fe57a4099cc4b210bbec8",
  ecobank: "5d6fe57a4099cc4b210bbeb1",
  union: "5d6fe57a4099cc4b210bbebc",
} as const;

export const MAGIC = { password: "pass_good", otp: "123456", pin: "1234", answer: "okro" } as const;

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Storage and engines
// ---------------------------------------------------------------------------------------------

let storage: Promise<Database> | undefined;

/** The harness's storage (one database per worker, shared by every file the worker runs). */
export function sharedDatabase(): Promise<Database> {
  storage ??= (async () => {
    const h = await createHarness();
    const db = h.ctx.db;
    await h.close(); // closes the Fastify app only; the shared database stays open
    return db;
  })();
  return storage;
}

export async function newEngine(options: { clock?: ManualClock; seed?: string } = {}): Promise<{ engine: SandboxEngine; clock: ManualClock }> {
  const db = await sharedDatabase();
  const clock = options.clock ?? new ManualClock(START);
  const engine = createSandboxEngine({ db, clock, latencyScale: 0, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  return { engine, clock };
}

export async function inProcessFixture(options: { seed?: string } = {}): Promise<NetworkFixture> {
  const { engine, clock } = await newEngine(options);
  return {
    name: "in-process",
    connector: (bankId, realm, opts) => new InProcessConnector(engine, bankId, realm, opts),
    admin: engine.admin,
    clock,
    close: async () => {},
  };
}

export async function httpFixture(options: { seed?: string } = {}): Promise<NetworkFixture> {
  const { engine, clock } = await newEngine(options);
  const app = await buildSandboxBankServer(engine);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const admin = await HttpSandboxAdmin.connect(baseUrl);
  return {
    name: "http",
    connector: (bankId, realm, opts) => new HttpConnector(baseUrl, bankId, realm, opts),
    admin,
    clock,
    close: async () => {
      const closing = app.close();
      // Held connections (timeout faults) must not keep the suite waiting.
      app.server.closeAllConnections?.();
      await closing;
    },
  };
}

export const FIXTURES = [
  { name: "in-process", make: inProcessFixture },
  { name: "http", make: httpFixture },
] as const;

// ---------------------------------------------------------------------------------------------
// A realm per test
// ---------------------------------------------------------------------------------------------

export interface World {
  realm: string;
  fixture: NetworkFixture;
  conn(bankId: string): BankConnector;
  /** The realm's sandbox time. */
  now(): Promise<Date>;
  advance(ms: number): Promise<Date>;
  /** Moves the realm's clock forward to `to` (no-op when already there). */
  advanceTo(to: Date): Promise<Date>;
}

export function newWorld(fixture: NetworkFixture): World {
  const realm = `realm-${randomUUID()}`;
  const connectors = new Map<string, BankConnector>();
  const world: World = {
    realm,
    fixture,
    conn(bankId) {
      let c = connectors.get(bankId);
      if (!c) connectors.set(bankId, (c = fixture.connector(bankId, realm)));
      return c;
    },
    now: async () => new Date((await fixture.admin.getClock(realm)).now),
    advance: async (ms) => new Date((await fixture.admin.advanceClock(realm, ms)).now),
    advanceTo: async (to) => {
      const now = await world.now();
      const ms = to.getTime() - now.getTime();
      return ms > 0 ? world.advance(ms) : now;
    },
  };
  return world;
}

export function profileOf(bankId: string): SandboxBankProfile {
  const profile = SANDBOX_BANKS.find((b: SandboxBankProfile) => b.bankId === bankId);
  if (!profile) throw new Error(`no sandbox profile for ${bankId}`);
  return profile;
}

// ---------------------------------------------------------------------------------------------
// Helpers a bank integrator would write
// ---------------------------------------------------------------------------------------------

/** The ConnectorError a call threw; fails when it succeeded or threw anything else. */
export async function caught(call: Promise<unknown>): Promise<ConnectorError> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    if (isConnectorError(error)) return error;
    throw new Error(`expected a ConnectorError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
  }
  throw new Error(`expected a ConnectorError, but the call succeeded with ${JSON.stringify(result)}`);
}

/** The answer a magic challenge expects. */
export function magicAnswer(kind: string): string {
  return kind === "security_question" ? MAGIC.answer : MAGIC.otp;
}

export function defaultMethod(bankId: string): LoginMethod {
  const methods = profileOf(bankId).loginMethods;
  return methods.includes("internet_banking") ? "internet_banking" : methods[0]!;
}

/** Logs in and answers every challenge with the magic answers. */
export async function login(
  conn: BankConnector,
  identifier: string,
  secret: string = MAGIC.password,
  method: LoginMethod = defaultMethod(conn.bankId),
): Promise<{ session: BankSession; first: LoginResult; challenges: string[] }> {
  const first = await conn.startLogin({ credentials: { method, identifier, secret: new Secret(secret) } });
  let result = first;
  const challenges: string[] = [];
  while (result.status === "mfa_required") {
    challenges.push(result.challenge.kind);
    if (challenges.length > 3) throw new Error(`more than 3 challenges: ${challenges.join(", ")}`);
    result = await conn.answerMfa({ session: result.session, answer: new Secret(magicAnswer(result.challenge.kind)) });
  }
  return { session: result.session, first, challenges };
}

export async function firstAccount(conn: BankConnector, session: BankSession): Promise<BankAccount> {
  const accounts = await conn.listAccounts({ session });
  if (!accounts[0]) throw new Error("no accounts");
  return accounts[0];
}

export async function ledger(conn: BankConnector, session: BankSession, accountId: string): Promise<number> {
  return (await conn.getBalance({ session, accountId })).ledger;
}

/** Every line of an account in [from, to], following cursors; fails on a page loop. */
export async function allTransactions(
  conn: BankConnector,
  session: BankSession,
  accountId: string,
  from: string,
  to: string,
  limit = 500,
): Promise<{ lines: BankTransaction[]; pages: number }> {
  const lines: BankTransaction[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await conn.listTransactions({ session, accountId, from, to, limit, ...(cursor ? { cursor } : {}) });
    pages++;
    lines.push(...page.transactions);
    if (!page.hasMore) return { lines, pages };
    if (!page.nextCursor) throw new Error("hasMore without nextCursor");
    if (pages > 1000) throw new Error("more than 1000 pages");
    cursor = page.nextCursor;
  }
}

export const signed = (t: BankTransaction) => (t.type === "credit" ? t.amount : -t.amount);

export const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export const ref = (prefix = "ref") => `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 20)}`;
