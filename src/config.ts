import path from "node:path";
import { z } from "zod";
import { SecretBox } from "./lib/secret-box.js";

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** Every setting Okro reads from the environment. The README's configuration table mirrors this. */
const EnvSchema = z.object({
  PORT: port.default(4000),
  WIDGET_PORT: port.default(4001),
  HOST: z.string().min(1).default("127.0.0.1"),
  OKRO_DATA_DIR: z.string().min(1).default("./.okro"),
  DATABASE_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OKRO_PUBLIC_URL: z.string().url().optional(),
  OKRO_WIDGET_URL: z.string().url().optional(),
  RATE_LIMIT_MAX: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().positive().max(86_400_000).default(60_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  OKRO_SEED_DEMO: bool.default(true),
  TRUST_PROXY: bool.default(false),
  OKRO_SANDBOX_BANK_URL: z.string().url().optional(),
  OKRO_SANDBOX_SEED: z.string().min(1).max(128).default("okro"),
  OKRO_SANDBOX_LATENCY_SCALE: z.coerce.number().min(0).max(100).default(1),
  OKRO_ENCRYPTION_KEY: z
    .string()
    .refine((v) => {
      try {
        SecretBox.parseKey(v);
        return true;
      } catch {
        return false;
      }
    }, "must be 32 bytes, as base64 (openssl rand -base64 32) or 64 hex characters")
    .optional(),
  OKRO_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  OKRO_SANDBOX_WEBHOOKS_TO_PRIVATE: bool.default(true),
  OKRO_SETTLEMENT_DELAY_MS: z.coerce.number().int().min(0).max(30 * 86_400_000).default(60_000),
  OKRO_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(100),
  OKRO_FEE_CAP_KOBO: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(200_000),
  OKRO_PAYMENT_POLL_MS: z.coerce.number().int().min(1).max(3_600_000).default(500),
  OKRO_PAYMENT_BANK_TIMEOUT_MS: z.coerce.number().int().min(1).max(300_000).default(15_000),
  OKRO_PAYMENT_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
});

export interface Config {
  port: number;
  widgetPort: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  /** Base URL people use to reach the API/dashboard origin; derived from host and port when unset. */
  publicUrl: string | undefined;
  widgetUrl: string | undefined;
  rateLimit: { max: number; windowMs: number };
  bodyLimitBytes: number;
  seedDemo: boolean;
  /** Trust X-Forwarded-* (set when Okro runs behind a reverse proxy). */
  trustProxy: boolean;
  /**
   * Key of the secrets Okro must read back (webhook signing secrets, bank credentials). Required
   * with DATABASE_URL; the embedded database keeps a generated one in its data directory.
   */
  encryptionKey: string | undefined;
  /** How many webhook deliveries one worker process sends at once. */
  workerConcurrency: number;
  /**
   * Sandbox webhooks may reach private and loopback addresses (a developer's localhost). Hosted
   * installs serving untrusted sandbox users set this false: sandbox deliveries then get the
   * production address guard, so a sandbox key cannot probe the host's network.
   */
  sandboxWebhooksToPrivate: boolean;
  /** The payments engine (src/payments). */
  payments: {
    /** How long after the bank confirms a debit the worker re-queries it to settle it (ms, business time). */
    settlementDelayMs: number;
    /** Okro's fee on a collected payment, in basis points (100 = 1%), taken at settlement. */
    feeBps: number;
    /** The most one payment's fee can be (kobo). */
    feeCapKobo: number;
    /** Pause between the job runner's polls when nothing is due (real time, ms; `okro serve`/`okro worker`). */
    pollMs: number;
    /** Time limit of one money-moving bank call (debit, credit, mandate) before it counts as a timeout (ms). */
    bankTimeoutMs: number;
    /**
     * How long a worker's claim (or an authorising customer) holds a payment, refund or payout
     * (ms, business time; at least twice `bankTimeoutMs`): after a crash, another worker takes
     * the row over — by re-query — once this has passed.
     */
    leaseMs: number;
  };
  sandboxBank: {
    /** Reach the sandbox bank network over HTTP (`okro sandbox-bank`) instead of in-process. */
    url: string | undefined;
    /** Seed of all generated sandbox data: the same seed gives the same customers and histories. */
    seed: string;
    /** Multiplies the sandbox banks' own latency (0 makes them instant; injected faults still apply). */
    latencyScale: number;
  };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" (a common shell habit: `DATABASE_URL= npm start`).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    widgetPort: e.WIDGET_PORT,
    host: e.HOST,
    dataDir: path.resolve(e.OKRO_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.OKRO_PUBLIC_URL?.replace(/\/$/, ""),
    widgetUrl: e.OKRO_WIDGET_URL?.replace(/\/$/, ""),
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    seedDemo: e.OKRO_SEED_DEMO,
    trustProxy: e.TRUST_PROXY,
    encryptionKey: e.OKRO_ENCRYPTION_KEY,
    workerConcurrency: e.OKRO_WORKER_CONCURRENCY,
    sandboxWebhooksToPrivate: e.OKRO_SANDBOX_WEBHOOKS_TO_PRIVATE,
    payments: {
      settlementDelayMs: e.OKRO_SETTLEMENT_DELAY_MS,
      feeBps: e.OKRO_FEE_BPS,
      feeCapKobo: e.OKRO_FEE_CAP_KOBO,
      pollMs: e.OKRO_PAYMENT_POLL_MS,
      bankTimeoutMs: e.OKRO_PAYMENT_BANK_TIMEOUT_MS,
      leaseMs: e.OKRO_PAYMENT_LEASE_MS,
    },
    sandboxBank: { url: e.OKRO_SANDBOX_BANK_URL?.replace(/\/$/, ""), seed: e.OKRO_SANDBOX_SEED, latencyScale: e.OKRO_SANDBOX_LATENCY_SCALE },
  };
}
