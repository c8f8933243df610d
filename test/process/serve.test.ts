import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/index.js";
import { SHUTDOWN_GRACE_MS } from "../../src/server.js";
import { freshPostgresDatabase, interrupt, startOkro, stop, tempDir, waitFor, type Running } from "./spawn.js";

/**
 * `npm start` as a user runs it: a real `okro serve` process on free ports, on the embedded
 * database (or a fresh PostgreSQL database when DATABASE_URL is set).
 */
const baseUrl = process.env.DATABASE_URL;
let dataDir: string;
let databaseUrl: string | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

interface Demo {
  api: string;
  widget: string;
  dashboard: string;
  company_id: string;
  sandbox: Record<"secret_key" | "public_key" | "token" | "app_id", string>;
  production: Record<"secret_key" | "public_key" | "token" | "app_id", string>;
  dashboard_login: { email: string; password: string };
}

const local = (url: string) => url.replace("localhost", "127.0.0.1");
const readDemo = (): Demo => JSON.parse(fs.readFileSync(path.join(dataDir, "demo.json"), "utf8")) as Demo;

async function startServe(options: { asTerminal?: boolean } = {}): Promise<Running> {
  const running = startOkro("serve", { OKRO_DATA_DIR: dataDir, DATABASE_URL: databaseUrl }, options);
  await waitFor(() => running.stdout().includes("Okro is running") || running.child.exitCode !== null, "the start banner", 90_000, running);
  expect(running.child.exitCode, running.stderr()).toBeNull();
  return running;
}

beforeAll(async () => {
  dataDir = tempDir("okro-serve-");
  if (baseUrl) {
    const db = await freshPostgresDatabase(baseUrl, "okro_serve");
    databaseUrl = db.url;
    dropDatabase = db.drop;
  }
});
afterAll(async () => {
  await dropDatabase?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("okro serve", () => {
  it("prints the banner and writes demo.json with working sandbox keys; a second start reuses everything", async () => {
    const first = await startServe();
    const demo = readDemo();
    expect(demo).toMatchObject({ company_id: expect.stringMatching(/^[0-9a-f]{24}$/) });
    for (const env of ["sandbox", "production"] as const) {
      expect(demo[env].secret_key).toMatch(env === "sandbox" ? /^sk_test_/ : /^sk_live_/);
      expect(demo[env].public_key).toMatch(env === "sandbox" ? /^pk_test_/ : /^pk_live_/);
      expect(demo[env].token).toMatch(/^[0-9a-f]{24}$/);
      expect(demo[env].app_id).toMatch(/^[0-9a-f]{24}$/);
    }
    // stdout is a pipe here, as under a process manager or `npm start > okro.log`: it carries the
    // JSON logs, so no secret goes there; the banner says where demo.json is instead.
    expect(first.stdout()).not.toContain(demo.sandbox.secret_key);
    expect(first.stdout()).not.toContain(demo.production.secret_key);
    expect(first.stdout()).not.toContain(demo.dashboard_login.password);
    expect(first.stdout()).toContain(`require('${path.join(dataDir, "demo.json")}').sandbox.secret_key`);
    expect(first.stdout()).toContain("okro_good / pass_good");
    expect(fs.statSync(path.join(dataDir, "demo.json")).mode & 0o077).toBe(0);

    const banks = await fetch(`${local(demo.api)}/v2/sandbox/banks/list`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.sandbox.secret_key}` },
    });
    expect(banks.status).toBe(200);
    expect(((await banks.json()) as { data: { banks: unknown[] } }).data.banks.length).toBeGreaterThan(20);
    const widget = await fetch(`${local(demo.widget)}/`);
    expect(widget.status).toBe(200);
    // The demo merchant page: okra-js from npm, pointed at this widget, with the demo's public
    // (never secret) credentials.
    const shop = await fetch(`${local(demo.api)}/demo`);
    expect(shop.status).toBe(200);
    const html = await shop.text();
    expect(html).toContain(demo.sandbox.public_key);
    expect(html).toContain(demo.sandbox.app_id);
    expect(html).not.toContain(demo.sandbox.secret_key);
    expect(html).toContain('<script src="/demo/okra-js.js">');
    const loader = await fetch(`${local(demo.api)}/demo/okra-js.js`);
    expect(await loader.text()).toContain("buildWithOptions");
    const login = await fetch(`${local(demo.api)}/dashboard/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(demo.dashboard_login),
    });
    expect(login.status).toBe(200);
    expect(await stop(first)).toBe(0);

    const second = await startServe({ asTerminal: true });
    const again = readDemo();
    expect(again.company_id).toBe(demo.company_id);
    expect(again.sandbox).toEqual(demo.sandbox);
    expect(again.production).toEqual(demo.production);
    expect(again.dashboard_login).toEqual(demo.dashboard_login);
    expect(second.stdout()).not.toContain(demo.sandbox.secret_key);
    expect(second.stdout()).not.toContain(demo.dashboard_login.password);
    // Ctrl-C signals the whole process group; a second SIGINT (a second Ctrl-C) must not cut
    // the shutdown short and leave the database unclosed.
    // (npm itself ends by the signal, so its exit code says nothing; Okro's log and lock do.)
    interrupt(second);
    await second.exited;
    // npm exits at once; Okro then has its shutdown grace to finish (the demo seed and the job
    // runner may be busy when the signal comes: the handler runs when that step yields). `npm
    // start` runs node with tsx as a loader, not the tsx CLI: the CLI SIGKILLs a child that does
    // not acknowledge a relayed signal within 60 ms, so a busy moment lost the graceful stop.
    await waitFor(() => second.stdout().includes('"msg":"stopped"'), "okro to log that it stopped", SHUTDOWN_GRACE_MS + 5_000, second).catch(() => {});
    expect(second.stdout()).toContain('"msg":"stopped"');
    expect(fs.existsSync(path.join(dataDir, "okro.pid"))).toBe(false);

    // Nothing was created twice.
    const handle = await openDatabase({ databaseUrl, dataDir: databaseUrl ? undefined : dataDir });
    try {
      const companies = await handle.db.selectFrom("companies").select("id").execute();
      const keys = await handle.db.selectFrom("api_keys").select("id").execute();
      const apps = await handle.db.selectFrom("apps").select("id").execute();
      expect(companies).toHaveLength(1);
      expect(keys).toHaveLength(4);
      expect(apps).toHaveLength(2);
      expect(await handle.db.selectFrom("users").select("id").execute()).toHaveLength(1);
    } finally {
      await handle.close();
    }
    // Two full starts (the second reusing the first's data): slow on a loaded CI box.
  }, 120_000);

  it("replaces the demo keys when demo.json is lost: the old ones stop working, active keys don't pile up", async () => {
    const before = readDemo();
    fs.rmSync(path.join(dataDir, "demo.json"));
    const running = await startServe();
    const after = readDemo();
    expect(after.company_id).toBe(before.company_id);
    expect(after.sandbox.secret_key).not.toBe(before.sandbox.secret_key);
    expect(after.sandbox.app_id).toBe(before.sandbox.app_id);
    const call = (key: string) =>
      fetch(`${local(after.api)}/v2/sandbox/banks/list`, { method: "POST", headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await call(after.sandbox.secret_key)).toBe(200);
    expect(await call(before.sandbox.secret_key)).toBe(401);
    expect(await stop(running)).toBe(0);
    const handle = await openDatabase({ databaseUrl, dataDir: databaseUrl ? undefined : dataDir });
    try {
      const active = await handle.db.selectFrom("api_keys").select("id").where("revoked_at", "is", null).execute();
      expect(active).toHaveLength(4);
    } finally {
      await handle.close();
    }
  });

  it("delivers webhooks from its in-process worker: a test event reaches a local receiver, signed, and /metrics counts it", async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const running = await startServe();
    try {
      const demo = readDemo();
      const call = async (route: string, body: unknown) => {
        const res = await fetch(`${local(demo.api)}/v2/${route}`, {
          method: "POST",
          headers: { authorization: `Bearer ${demo.sandbox.secret_key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        return (await res.json()) as { data: Record<string, any> };
      };
      const url = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hooks`;
      const { data } = await call("webhooks/create", { url, description: "serve test" });
      const test = await call("webhooks/test", { id: data.endpoint.id });
      await waitFor(() => received.length > 0, "the test webhook", 15_000, running);
      const [got] = received;
      expect(JSON.parse(got!.body)).toMatchObject({ id: test.data.event_id, type: "webhook.test" });
      expect(new Webhook(data.endpoint.secret).verify(got!.body, got!.headers as Record<string, string>)).toBeTruthy();
      // The receiver answers before the worker records the attempt: poll the counter briefly.
      const counted = /okro_webhook_attempts_total\{outcome="success"\} [1-9]/;
      let metrics = "";
      for (let tries = 0; tries < 50 && !counted.test(metrics); tries++) {
        if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        metrics = await (await fetch(`${local(demo.api)}/metrics`)).text();
      }
      expect(metrics).toMatch(counted);
      await call("webhooks/delete", { id: data.endpoint.id });
    } finally {
      expect(await stop(running)).toBe(0);
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("finishes an in-flight request on SIGTERM, then refuses new connections and exits 0", async () => {
    const running = await startServe();
    const demo = readDemo();
    const api = new URL(local(demo.api));
    const body = JSON.stringify({ page: 1, limit: 2 });
    const socket = net.connect(Number(api.port), api.hostname);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    let response = "";
    socket.on("data", (d: Buffer) => (response += d.toString()));
    // Send the headers and half the body: the request is now in flight.
    socket.write(
      `POST /v2/sandbox/banks/list HTTP/1.1\r\nHost: ${api.host}\r\nAuthorization: Bearer ${demo.sandbox.secret_key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    running.child.kill("SIGTERM");
    await waitFor(() => running.stdout().includes("shutting down"), "shutdown to begin", 10_000, running);
    const refused = await fetch(`${local(demo.api)}/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    socket.write(body.slice(5));
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response).toContain('"status":"success"');
    expect(await running.exited).toBe(0);
    expect(running.stdout()).toContain('"msg":"stopped"');
  });

  it.skipIf(Boolean(baseUrl))("refuses to share the embedded database with a second process", async () => {
    const first = await startServe();
    const second = startOkro("serve", { OKRO_DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/Another Okro process \(pid \d+\) is using the embedded database/);
    expect(await stop(first)).toBe(0);
  });
});
