import fs from "node:fs";
import { sql, type Kysely } from "kysely";
import type { DB } from "../../src/db/schema.js";
import { startOkro, tempDir, waitFor, type Running } from "./spawn.js";

/**
 * Helpers of the payment fault test (payments-faults.test.ts) and the payment bench
 * (bench/payments.mts): Okro's processes on one PostgreSQL, an HTTP client for the API and the
 * widget session API, and the bank side of the books (the sandbox bank's own tables).
 */

/** `okro sandbox-bank` on a free port, on the given PostgreSQL database. */
export async function startSandboxBank(databaseUrl: string, env: Record<string, string> = {}): Promise<{ running: Running; url: string }> {
  const running = startOkro(["sandbox-bank", "--port", "0"], {
    DATABASE_URL: databaseUrl,
    HOST: "127.0.0.1",
    OKRO_SANDBOX_LATENCY_SCALE: "0",
    LOG_LEVEL: "warn",
    ...env,
  });
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
  if (running.child.exitCode !== null) throw new Error(`okro sandbox-bank exited ${running.child.exitCode}\n${running.stderr()}`);
  return { running, url };
}

/** Data directories of the processes started here (unused on PostgreSQL, but each process gets its own). */
const dataDirs: string[] = [];
function dataDir(prefix: string): string {
  const dir = tempDir(prefix);
  dataDirs.push(dir);
  return dir;
}
/** Removes the data directories of the processes started so far (call once they have exited). */
export function removeDataDirs(): void {
  for (const dir of dataDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ApiProcess {
  running: Running;
  /** The API origin (`/v2/…`). */
  api: string;
  /** The widget origin (`/api/…`: the widget session API). */
  widget: string;
}

/** `okro api` (API and widget origins, no worker). */
export async function startApi(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  const running = startOkro("api", { DATABASE_URL: databaseUrl, OKRO_DATA_DIR: dataDir("okro-pay-api-"), ...env });
  let found: { api: string; widget: string } | undefined;
  await waitFor(
    () => {
      for (const line of running.stdout().split("\n")) {
        if (!line.includes('"msg":"okro api listening"')) continue;
        let parsed: { api: string; widget: string };
        try {
          parsed = JSON.parse(line) as { api: string; widget: string };
        } catch {
          continue; // the line is still being written
        }
        found = { api: parsed.api.replace("localhost", "127.0.0.1"), widget: parsed.widget.replace("localhost", "127.0.0.1") };
      }
      return Boolean(found) || running.child.exitCode !== null;
    },
    "okro api to listen",
    60_000,
    running,
  );
  if (!found) throw new Error(`okro api exited ${running.child.exitCode}\n${running.stderr()}`);
  return { running, ...found };
}

/** `okro worker` (webhook delivery and the payment worker). */
export async function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<Running> {
  const running = startOkro("worker", { DATABASE_URL: databaseUrl, OKRO_DATA_DIR: dataDir("okro-pay-worker-"), ...env });
  await waitFor(() => running.stdout().includes("okro worker started") || running.child.exitCode !== null, "okro worker to start", 60_000, running);
  if (running.child.exitCode !== null) throw new Error(`okro worker exited ${running.child.exitCode}\n${running.stderr()}`);
  return running;
}

/** SIGKILL: no shutdown handler runs, in-flight bank calls and leases are abandoned. */
export async function kill(running: Running): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL");
  await running.exited;
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
}

/** One JSON POST (or GET when `body` is undefined); never throws for an HTTP status. */
export async function call<T = any>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text };
}

/** A caller of the v2 API with one secret key. */
export class ApiClient {
  constructor(
    readonly base: string,
    readonly secretKey: string,
  ) {}
  post<T = any>(route: string, body: unknown, idempotencyKey?: string): Promise<Answer<T>> {
    return call<T>(`${this.base}/v2/${route}`, body, {
      authorization: `Bearer ${this.secretKey}`,
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    });
  }
  /** Like post, but a non-200 answer is an error naming the route and the answer. */
  async ok<T = any>(route: string, body: unknown, idempotencyKey?: string): Promise<T> {
    const answer = await this.post<{ data: T }>(route, body, idempotencyKey);
    if (answer.status !== 200) throw new Error(`POST /v2/${route} → ${answer.status}: ${answer.text}`);
    return answer.body.data;
  }
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i]!, i);
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// The bank's side of the books
// ---------------------------------------------------------------------------------------------

/** The sandbox network's own accounts (src/banks/sandbox/engine.ts): Okro's collection account and the suspense account of pending transfers. */
export const NETWORK_BANK_ID = "000000000000000000000000";
export const COLLECTION_NUBAN = "0000000000";
export const SUSPENSE_NUBAN = "0000000001";

/** Sum of the sandbox bank's postings per account (`bank_id:nuban`) in one realm (a company's sandbox). */
export async function sandboxMovements(db: Kysely<DB>, realm: string): Promise<Map<string, bigint>> {
  const rows = await db
    .selectFrom("sandbox_postings")
    .select(["bank_id", "nuban", sql<string>`sum(amount)::text`.as("total")])
    .where("realm", "=", realm)
    .groupBy(["bank_id", "nuban"])
    .execute();
  return new Map(rows.map((r) => [`${r.bank_id}:${r.nuban}`, BigInt(r.total)]));
}

/** Balance (credits − debits) of each ledger account of a company's sandbox, per currency `NGN`. */
export async function ledgerBalances(db: Kysely<DB>, companyId: string, currency = "NGN"): Promise<Map<string, bigint>> {
  const rows = await db
    .selectFrom("ledger_postings")
    .select([
      "account",
      sql<string>`sum(case when direction = 'credit' then amount else -amount end)::text`.as("total"),
    ])
    .where("company_id", "=", companyId)
    .where("env", "=", "sandbox")
    .where("currency", "=", currency)
    .groupBy("account")
    .execute();
  return new Map(rows.map((r) => [r.account, BigInt(r.total)]));
}

// ---------------------------------------------------------------------------------------------
// The widget session API (src/widget/protocol.ts), as the widget app drives it
// ---------------------------------------------------------------------------------------------

/** A customer's bank login, as they type it into the widget. */
export interface BankLogin {
  bankId: string;
  username: string;
  password: string;
}

/**
 * One widget session: `X-Forwarded-For` names the customer's address (each customer has their
 * own: the widget's per-address limits are for one person, and the processes run with
 * TRUST_PROXY as behind a load balancer).
 */
export class WidgetClient {
  token = "";
  constructor(
    readonly base: string,
    readonly address: string,
  ) {}

  private headers(): Record<string, string> {
    return { "x-forwarded-for": this.address, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }
  async post<T = any>(route: string, body: unknown): Promise<Answer<{ data: T; message: string; error?: string }>> {
    return call(`${this.base}/api/${route}`, body, this.headers());
  }
  async get<T = any>(route: string): Promise<Answer<{ data: T; message: string; error?: string }>> {
    return call(`${this.base}/api/${route}`, undefined, this.headers());
  }
  /** A 2xx answer's data, or an error naming the route and the answer. */
  async ok<T = any>(route: string, body: unknown): Promise<T> {
    const answer = await this.post<T>(route, body);
    if (answer.status < 200 || answer.status > 299) throw new Error(`POST /api/${route} → ${answer.status}: ${answer.text}`);
    return answer.body.data;
  }

  async open(options: Record<string, unknown>): Promise<any> {
    const data = await this.ok<{ session_token: string }>("sessions", { env: "production-sandbox", ...options });
    this.token = data.session_token;
    return data;
  }

  /** Logs in (answering any second factor the sandbox way) and returns the bank's accounts. */
  async login(login: BankLogin): Promise<Array<{ id: string; nuban: string }>> {
    let step = await this.ok<any>("login", { bank_id: login.bankId, method: "internet_banking", identifier: login.username, secret: login.password });
    for (let i = 0; step.step === "mfa"; i++) {
      if (i > 3) throw new Error("the bank kept asking for a second factor");
      step = await this.ok<any>("mfa", { answer: step.challenge.kind === "security_question" ? "okro" : "123456" });
    }
    return step.accounts;
  }
}

/**
 * Links a customer's accounts through the widget, with payment consent given by OTP at connect.
 * Returns Okro's account ids and the consents.
 */
export async function linkWithConsent(
  widget: string,
  publicKey: string,
  address: string,
  login: BankLogin,
): Promise<{ customerId: string; accounts: Array<{ id: string; nuban: string }>; consents: Array<{ id: string; account_id: string; status: string }> }> {
  const client = new WidgetClient(widget, address);
  await client.open({ key: publicKey, products: ["auth", "payments"] });
  const accounts = await client.login(login);
  const body = { account_ids: accounts.map((a) => a.id), consent: true, payment_authorization: { otp: "123456" } };
  for (let i = 0; ; i++) {
    const answer = await client.post<any>("connect", body);
    // 409 `connecting`: the first connect is still pulling the bank's data; ask again.
    if (answer.status === 409 && i < 50) {
      await sleep(200);
      continue;
    }
    if (answer.status !== 200) throw new Error(`POST /api/connect → ${answer.status}: ${answer.text}`);
    const data = answer.body.data;
    return { customerId: data.customer_id, accounts: data.accounts, consents: data.consents };
  }
}
