import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { HttpConnector } from "../../src/banks/sandbox/http-connector.js";
import { freshPostgresDatabase, startOkro, stop, tempDir, waitFor } from "./spawn.js";

/**
 * `okro sandbox-bank` as an operator runs it: a real process on a free port, on its own embedded
 * database (or a fresh PostgreSQL database when DATABASE_URL is set).
 */
const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const baseUrl = process.env.DATABASE_URL;
let dataDir: string;
let databaseUrl: string | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  dataDir = tempDir("okro-sandbox-bank-");
  if (baseUrl) {
    const db = await freshPostgresDatabase(baseUrl, "okro_sandbox_bank");
    databaseUrl = db.url;
    dropDatabase = db.drop;
  }
});
afterAll(async () => {
  await dropDatabase?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("okro sandbox-bank", () => {
  it("listens on --port, answers bank calls over HTTP, never logs credentials, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const running = startOkro(["sandbox-bank", "--port", String(port)], {
      OKRO_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      OKRO_SANDBOX_LATENCY_SCALE: "0",
    });
    try {
      await waitFor(() => running.stdout().includes("sandbox bank listening on") || running.child.exitCode !== null, "the listening line", 90_000, running);
      expect(running.child.exitCode, running.stderr()).toBeNull();
      const url = `http://127.0.0.1:${port}`;
      expect(running.stdout()).toContain(`sandbox bank listening on ${url}\n`);
      if (!databaseUrl) expect(fs.existsSync(path.join(dataDir, "sandbox-bank"))).toBe(true);

      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });

      const conn = new HttpConnector(url, GTBANK, "process-test");
      const login = await conn.startLogin({ credentials: { method: "internet_banking", identifier: "okro_good", secret: new Secret("pass_good") } });
      expect(login.status).toBe("connected");
      const token = login.session.token.reveal();

      expect(await stop(running)).toBe(0);
      const output = running.stdout() + running.stderr();
      expect(output).toContain('"service":"okro-sandbox-bank"'); // it did log requests…
      expect(output).not.toContain("pass_good"); // …but never bodies
      expect(output).not.toContain(token);
    } finally {
      await stop(running);
    }
  });

  it("serves okro serve's sandbox API when OKRO_SANDBOX_BANK_URL points okro at it; okro answers 503 while it is gone", async () => {
    const bankDir = tempDir("okro-sandbox-bank-svc-");
    const okroDir = tempDir("okro-serve-remote-bank-");
    const bank = startOkro(["sandbox-bank", "--port", "0"], { OKRO_DATA_DIR: bankDir, HOST: "127.0.0.1", OKRO_SANDBOX_LATENCY_SCALE: "0" });
    let okro: ReturnType<typeof startOkro> | undefined;
    try {
      await waitFor(() => /sandbox bank listening on \S+/.test(bank.stdout()) || bank.child.exitCode !== null, "the sandbox bank", 90_000, bank);
      const bankUrl = /sandbox bank listening on (\S+)/.exec(bank.stdout())![1]!;
      okro = startOkro("serve", { OKRO_DATA_DIR: okroDir, OKRO_SANDBOX_BANK_URL: bankUrl });
      await waitFor(() => okro!.stdout().includes("Okro is running") || okro!.child.exitCode !== null, "the start banner", 90_000, okro);
      const demo = JSON.parse(fs.readFileSync(path.join(okroDir, "demo.json"), "utf8")) as { company_id: string; api: string; sandbox: { secret_key: string } };
      const api = demo.api.replace("localhost", "127.0.0.1");
      const call = (route: string, body: unknown) =>
        fetch(`${api}/v2/sandbox/${route}`, {
          method: "POST",
          headers: { authorization: `Bearer ${demo.sandbox.secret_key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const created = await call("customers/create", [{ bank: GTBANK, username: "remote_ada", password: "ada-pass" }]);
      expect(created.status, await created.clone().text()).toBe(200);

      // The customer lives in the sandbox bank service, in the demo company's realm.
      const conn = new HttpConnector(bankUrl, GTBANK, demo.company_id);
      const login = await conn.startLogin({ credentials: { method: "internet_banking", identifier: "remote_ada", secret: new Secret("ada-pass") } });
      expect(["connected", "mfa_required"]).toContain(login.status);

      expect(await stop(bank)).toBe(0);
      const gone = await call("customers/list", {});
      expect(gone.status).toBe(503);
      expect(await gone.json()).toMatchObject({ status: "error", error: "SERVICE_UNAVAILABLE" });
    } finally {
      if (okro) await stop(okro);
      await stop(bank);
      fs.rmSync(bankDir, { recursive: true, force: true });
      fs.rmSync(okroDir, { recursive: true, force: true });
    }
  });
});
