import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { buildApp } from "../src/app.js";
import { bootStorage } from "../src/boot.js";
import { loadConfig, type Config } from "../src/config.js";
import type { AppContext } from "../src/context.js";
import type { DatabaseHandle } from "../src/db/index.js";
import { ManualClock, type Clock } from "../src/lib/clock.js";
import { createCompany, type NewCompany } from "../src/platform/companies.js";
import type { BankNetwork } from "../src/banks/connector.js";
import { openBankServices } from "../src/banks/sandbox/network.js";
import { TEST_ENCRYPTION_KEY } from "./test-keys.js";

/**
 * The test harness boots the real app (Fastify `inject`, no sockets) on the real storage:
 * embedded PGlite in memory by default, PostgreSQL when DATABASE_URL is set. One database per
 * worker process (vitest runs with isolate: false), shared by the files it runs; every test
 * makes its own tenant, so tests never see each other's data.
 */
export const usingPostgres = Boolean(process.env.DATABASE_URL);

let shared: Promise<{ handle: DatabaseHandle; ctx: AppContext }> | undefined;

export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOG_LEVEL: "silent",
    OKRO_SEED_DEMO: "false",
    // Sandbox banks answer at once in tests; tests of latency inject it as a fault.
    OKRO_SANDBOX_LATENCY_SCALE: "0",
    OKRO_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  });
  return { ...base, ...overrides, rateLimit: { ...base.rateLimit, ...overrides.rateLimit } };
}

async function sharedStorage() {
  shared ??= bootStorage(testConfig(), new ManualClock(), { embeddedInMemory: true });
  return shared;
}

export interface Harness {
  app: FastifyInstance;
  ctx: AppContext;
  clock: Clock;
  /** `app.inject` with JSON parsing of the response. */
  request(options: InjectOptions): Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  /** A fresh company with both environments' credentials in clear. */
  newTenant(name?: string): Promise<NewCompany>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<Config>;
  clock?: Clock;
  /** Puts something in front of the bank network (e.g. a test/banks/bank-gate.ts BankGate). */
  wrapNetwork?: (network: BankNetwork) => BankNetwork;
  logger?: Parameters<typeof buildApp>[1] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const storage = await sharedStorage();
  const clock = options.clock ?? storage.ctx.clock;
  const config = testConfig(options.config);
  // A harness with its own clock gets a sandbox network on that clock (same storage).
  const banks = clock === storage.ctx.clock ? {} : await openBankServices(config, storage.ctx.db, clock);
  const ctx: AppContext = { ...storage.ctx, ...banks, clock, config };
  if (options.wrapNetwork) ctx.network = options.wrapNetwork(ctx.network);
  const app = await buildApp(ctx, { logger: options.logger ?? false });
  await app.ready();
  return {
    app,
    ctx,
    clock,
    request: (opts) => app.inject(opts) as never,
    newTenant: (name = "Test Co") => ctx.db.transaction().execute((trx) => createCompany(trx, { name }, clock.now())),
    close: () => app.close(),
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
