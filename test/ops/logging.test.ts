import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggerOptions } from "../../src/core/logging.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";

/**
 * Invariant 7: secrets never appear in logs. The app logs through a real pino logger with the
 * production options (redaction included) into an array; the test sends secrets every way a
 * caller can and logs a secret-laden object itself, then searches the whole output.
 */
const lines: string[] = [];
const output = () => lines.join("");

let h: Harness;
let tenant: NewCompany;
beforeAll(async () => {
  const logger = pino(loggerOptions("info"), { write: (line: string) => void lines.push(line) });
  h = await createHarness({ logger });
  tenant = await h.newTenant("Logging Co");
});
afterAll(() => h?.close());

const has = (method: string, url: string) => h.app.routeTable.some((r) => r.method === method && r.url === url);

describe("logs", () => {
  it("never contain keys, passwords, OTPs, PINs, cookies or idempotency keys, while request ids are there", async () => {
    const secrets: string[] = [tenant.sandbox.secret_key, tenant.production.secret_key, tenant.sandbox.public_key];
    const requestIds: string[] = [];
    const track = (id: string) => (requestIds.push(id), { "x-request-id": id });
    const secret = (label: string) => {
      const value = `${label}-${randomUUID()}`;
      secrets.push(value);
      return value;
    };

    // A key in Authorization: accepted, refused, and a public key.
    await h.request({ method: "GET", url: "/v2/banks/list", headers: { ...bearer(tenant.sandbox.secret_key), ...track(`log-${randomUUID()}`) } });
    await h.request({ method: "GET", url: "/v2/banks/list", headers: { ...bearer(tenant.production.secret_key), ...track(`log-${randomUUID()}`) } });
    await h.request({ method: "GET", url: "/v2/banks/list", headers: { ...bearer(`${tenant.sandbox.secret_key}zz`), ...track(`log-${randomUUID()}`) } });
    await h.request({ method: "GET", url: "/v2/banks/list", headers: { ...bearer(tenant.sandbox.public_key), ...track(`log-${randomUUID()}`) } });

    // An Idempotency-Key, and secret-looking fields in JSON and form bodies.
    const body = { password: secret("password"), otp: secret("otp"), pin: secret("pin"), credentials: { username: secret("user"), password: secret("pw") } };
    await h.request({
      method: "POST",
      url: "/v2/banks/list",
      headers: { ...bearer(tenant.sandbox.secret_key), "idempotency-key": secret("idem"), ...track(`log-${randomUUID()}`) },
      payload: body,
    });
    await h.request({
      method: "POST",
      url: "/v2/banks/getById",
      headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/x-www-form-urlencoded", ...track(`log-${randomUUID()}`) },
      payload: `password=${secret("formpw")}&otp=${secret("formotp")}&pin=${secret("formpin")}`,
    });
    // A body that fails to parse, carrying a secret.
    await h.request({
      method: "POST",
      url: "/v2/banks/list",
      headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/json", ...track(`log-${randomUUID()}`) },
      payload: `{"password": "${secret("broken")}"`,
    });

    // The dashboard: a login with a password, a session cookie (when the routes exist).
    const password = secret("Dashboard-Pass");
    const email = `log-${randomUUID()}@example.com`;
    if (has("POST", "/dashboard/api/signup")) {
      const signup = await h.request({
        method: "POST",
        url: "/dashboard/api/signup",
        headers: track(`log-${randomUUID()}`),
        payload: { company_name: "Logging Dashboard Co", name: "Logger", email, password },
      });
      const creds = signup.json()?.data?.credentials;
      if (creds) secrets.push(creds.sandbox.secret_key, creds.production.secret_key);
    }
    const login = await h.request({
      method: "POST",
      url: "/dashboard/api/login",
      headers: track(`log-${randomUUID()}`),
      payload: { email, password },
    });
    const cookie = login.headers["set-cookie"];
    const session = (Array.isArray(cookie) ? cookie[0] : cookie)?.split(";")[0];
    if (session) {
      secrets.push(session.split("=")[1]!);
      await h.request({ method: "GET", url: "/dashboard/api/me", headers: { cookie: session, ...track(`log-${randomUUID()}`) } });
    }
    await h.request({
      method: "POST",
      url: "/dashboard/api/login",
      headers: track(`log-${randomUUID()}`),
      payload: { email, password: secret("wrong-pass"), otp: secret("login-otp"), pin: secret("login-pin") },
    });

    // What a handler might log by mistake.
    h.app.log.info(
      {
        password: secret("logged-password"),
        secret_key: secret("sk_test_logged"),
        otp: secret("logged-otp"),
        pin: secret("logged-pin"),
        credentials: { username: secret("logged-user"), password: secret("logged-pw") },
      },
      "a handler logged credentials",
    );
    h.app.log.info({ body: { password: secret("nested-pw"), otp: secret("nested-otp") }, headers: { authorization: `Bearer ${secret("hdr")}` } }, "nested");
    h.app.log.warn({ payment: { authorization: { pin: secret("deep-pin") } } }, "deeper");

    const text = output();
    expect(lines.length).toBeGreaterThan(10);
    for (const value of secrets) expect(text, `log output contains ${value}`).not.toContain(value);
    for (const id of requestIds) expect(text).toContain(`"reqId":"${id}"`);
    expect(text).toContain("a handler logged credentials");
    expect(text).toContain("[redacted]");
    // Every line is JSON with the service name (structured logs).
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ service: "okro" });
  });
});
