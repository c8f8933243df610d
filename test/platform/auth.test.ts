import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { sha256Hex } from "../../src/lib/secrets.js";
import { SESSION_COOKIE } from "../../src/platform/domain.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { DashboardClient, PASSWORD, signedUp, uniqueEmail, uniqueIp } from "./dashboard-client.js";

const DAY_MS = 24 * 60 * 60 * 1000;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe("signup", () => {
  it("creates a company and its owner, shows both environments' keys once, and starts a session", async () => {
    const client = new DashboardClient(h);
    const email = uniqueEmail();
    const { res } = await client.signup({ company_name: "Kobo Loans", name: "Ada Obi", email });
    const data = expectSuccess(res);
    expect(data.user).toMatchObject({ email: email.toLowerCase(), name: "Ada Obi", role: "owner" });
    expect(data.user.id).toMatch(/^[0-9a-f]{24}$/);
    expect(data.company).toMatchObject({ name: "Kobo Loans" });
    expect(data.credentials.sandbox.secret_key).toMatch(/^sk_test_[A-Za-z0-9_-]{43}$/);
    expect(data.credentials.sandbox.public_key).toMatch(/^pk_test_/);
    expect(data.credentials.production.secret_key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/);
    expect(data.credentials.production.public_key).toMatch(/^pk_live_/);
    for (const env of ["sandbox", "production"] as const) {
      expect(data.credentials[env].token).toMatch(/^[0-9a-f]{24}$/);
      expect(data.credentials[env].app_id).toMatch(/^[0-9a-f]{24}$/);
    }
    expect(client.cookie).toBeDefined();
    expect(res.headers["cache-control"]).toBe("no-store");

    // The keys work on the API straight away.
    const banks = await h.request({ method: "POST", url: "/v2/banks/list", headers: bearer(data.credentials.production.secret_key) });
    expect(banks.statusCode).toBe(200);

    // …and are never shown again: /me lists them without their secrets.
    const me = expectSuccess(await client.get("/me"));
    expect(me.user.email).toBe(email.toLowerCase());
    expect(me.company.id).toBe(data.company.id);
    expect(me.environments.sandbox).toMatchObject({ env: "sandbox", wire_env: "production-sandbox", client_token: data.credentials.sandbox.token });
    expect(me.environments.production).toMatchObject({ env: "production", wire_env: "production", client_token: data.credentials.production.token });
    expect(me.environments.sandbox.keys).toHaveLength(2);
    expect(me.environments.sandbox.keys.map((k: { kind: string }) => k.kind).sort()).toEqual(["public", "secret"]);
    const meText = JSON.stringify(me);
    for (const env of ["sandbox", "production"] as const) {
      expect(meText).not.toContain(data.credentials[env].secret_key);
      // A public key is published in pages anyway: the dashboard shows it in full (issue 16).
      expect(meText).toContain(data.credentials[env].public_key);
    }
  });

  it("refuses a second signup with the same email, in any letter case, with 409 CONFLICT naming email", async () => {
    const email = uniqueEmail();
    await signedUp(h, { email });
    const again = await new DashboardClient(h).signup({ email: email.toUpperCase(), company_name: "Other Co" });
    const { message } = expectError(again.res, 409, "CONFLICT");
    expect(message).toMatch(/^email: /);
    expect(again.res.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    // Nothing of the refused signup was written: no second company by that name for this email.
    const users = await h.ctx.db.selectFrom("users").select("id").where("email", "=", email.toLowerCase()).execute();
    expect(users).toHaveLength(1);
  });

  it("lets exactly one of several simultaneous signups with the same email through; the others get 409", async () => {
    const email = uniqueEmail();
    const results = await Promise.all([0, 1, 2].map((i) => new DashboardClient(h).signup({ email, company_name: `Racer ${i}` })));
    const statuses = results.map((r) => r.res.statusCode).sort();
    expect(statuses).toEqual([200, 409, 409]);
    for (const r of results.filter((r) => r.res.statusCode === 409)) expectError(r.res, 409, "CONFLICT");
    // The losers' companies were rolled back with them.
    const companies = await h.ctx.db.selectFrom("companies").select("name").where("name", "in", ["Racer 0", "Racer 1", "Racer 2"]).execute();
    const winner = results.find((r) => r.res.statusCode === 200)!;
    expect(companies.filter((c) => c.name === winner.input.company_name).length).toBeGreaterThanOrEqual(1);
    const users = await h.ctx.db.selectFrom("users").select("id").where("email", "=", email.toLowerCase()).execute();
    expect(users).toHaveLength(1);
  });

  it("refuses a password shorter than 10 characters, naming password", async () => {
    const { res } = await new DashboardClient(h).signup({ password: "short" });
    const { message } = expectError(res, 400, "INVALID_FIELD");
    expect(message).toMatch(/^password: .*10/);
  });

  it("refuses a malformed email, a wrong type and an unknown field, naming each", async () => {
    const client = new DashboardClient(h);
    const base = { company_name: "Acme", name: "Ada", email: uniqueEmail(), password: PASSWORD };
    expect(expectError(await client.post("/signup", { ...base, email: "not-an-email" }), 400, "INVALID_FIELD").message).toMatch(/^email: /);
    expect(expectError(await client.post("/signup", { ...base, company_name: 42 }), 400, "INVALID_FIELD").message).toMatch(/^company_name: /);
    expect(expectError(await client.post("/signup", { ...base, is_admin: true }), 400, "UNKNOWN_FIELDS").message).toMatch(/^is_admin: /);
    const { name: _omitted, ...missingName } = base;
    expect(expectError(await client.post("/signup", missingName), 400, "MISSING_FIELDS").message).toMatch(/^name: /);
  });
});

describe("login and logout", () => {
  it("logs in with the right password, whatever the email's letter case", async () => {
    const { input, company } = await signedUp(h);
    const client = new DashboardClient(h);
    const res = await client.login(input.email.toUpperCase(), input.password);
    const data = expectSuccess(res);
    expect(data.user.email).toBe(input.email.toLowerCase());
    expect(data.company.id).toBe(company.id);
    expect(expectSuccess(await client.get("/me")).company.id).toBe(company.id);
  });

  it("answers a wrong password and an unknown email with the same 401 and message", async () => {
    const { input } = await signedUp(h);
    const wrong = await new DashboardClient(h).login(input.email, "wrong password!");
    const unknown = await new DashboardClient(h).login(uniqueEmail(), "wrong password!");
    const a = expectError(wrong, 401, "UNAUTHORIZED");
    const b = expectError(unknown, 401, "UNAUTHORIZED");
    expect(a.message).toBe(b.message);
    expect({ ...a.data, request_id: null }).toEqual({ ...b.data, request_id: null });
    expect(wrong.cookies).toHaveLength(0);
    expect(unknown.cookies).toHaveLength(0);
  });

  it("does not take Idempotency-Key: a repeated login starts a new session instead of replaying one", async () => {
    const { input } = await signedUp(h);
    const client = new DashboardClient(h);
    const first = await client.post("/login", { email: input.email, password: input.password }, { "idempotency-key": "login-1" });
    const second = await client.post("/login", { email: input.email, password: input.password }, { "idempotency-key": "login-1" });
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.headers["idempotent-replayed"]).toBeUndefined();
    const token = (r: typeof first) => r.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    expect(token(first)).toBeDefined();
    expect(token(second)).not.toBe(token(first));
  });

  it("logs out: the session stops working and the cookie is cleared", async () => {
    const { client } = await signedUp(h);
    const stolen = client.cookie;
    const res = await client.post("/logout", {});
    expectSuccess(res);
    const cleared = res.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cleared).toBeDefined();
    expect(cleared!.value).toBe("");
    expect(cleared!.expires!.getTime()).toBeLessThan(Date.now());
    client.remember(res);
    expect(client.cookie).toBeUndefined();
    // The old cookie value is dead on the server, not just forgotten by the browser.
    client.cookie = stolen;
    expectError(await client.get("/me"), 401, "UNAUTHORIZED");
    // Logging out again is not an error.
    expectSuccess(await client.post("/logout", {}));
  });

  it("refuses /me without a session, or with a made-up one, with 401", async () => {
    const client = new DashboardClient(h);
    expectError(await client.get("/me"), 401, "UNAUTHORIZED");
    client.cookie = "A".repeat(43);
    expectError(await client.get("/me"), 401, "UNAUTHORIZED");
    client.cookie = "nonsense";
    expectError(await client.get("/me"), 401, "UNAUTHORIZED");
  });
});

describe("the session cookie", () => {
  it("is HttpOnly, SameSite=Lax, Path=/, lasts 7 days, and is not Secure on a plain-http deployment", async () => {
    const { res } = await new DashboardClient(h).signup();
    const header = String(res.headers["set-cookie"]);
    expect(header).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).toMatch(/; Path=\//);
    expect(header).toMatch(/; Max-Age=604800/);
    expect(header).not.toMatch(/; Secure/);
  });

  it("is Secure when the public URL is https", async () => {
    const secure = await createHarness({ config: { publicUrl: "https://okro.example.com" } });
    try {
      const { res } = await new DashboardClient(secure).signup();
      expect(res.statusCode, res.body).toBe(200);
      expect(String(res.headers["set-cookie"])).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });

  it("expires 7 days after login, by the server's clock", async () => {
    const clock = new ManualClock(new Date("2026-03-01T09:00:00Z"));
    const timed = await createHarness({ clock });
    try {
      const { client } = await signedUp(timed);
      clock.advance(6 * DAY_MS);
      expectSuccess(await client.get("/me"));
      clock.advance(2 * DAY_MS);
      const { message } = expectError(await client.get("/me"), 401, "UNAUTHORIZED");
      expect(message).toMatch(/expired/);
    } finally {
      await timed.close();
    }
  });
});

describe("cross-site request forgery", () => {
  it("refuses a state-changing request that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE, before reading it", async () => {
    const { client, input } = await signedUp(h);
    const form = `email=${encodeURIComponent(input.email)}&password=${encodeURIComponent(input.password)}`;
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const res = await client.send("POST", "/login", form, { "content-type": type });
      expect(expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE").message).toMatch(/Content-Type.*application\/json/);
      expect(res.cookies).toHaveLength(0);
    }
    // A session-authenticated route too: a cross-site form must not create anything.
    const created = await client.send("POST", "/apps/create", "env=sandbox&name=Forged", { "content-type": "application/x-www-form-urlencoded" });
    expectError(created, 415, "UNSUPPORTED_MEDIA_TYPE");
    // Without any Content-Type (and no body) as well.
    expectError(await h.request({ method: "POST", url: "/dashboard/api/logout", remoteAddress: client.ip, headers: { cookie: `${SESSION_COOKIE}=${client.cookie}` } }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectSuccess(await client.get("/me"));
  });

  it("refuses a request from another origin with 403 FORBIDDEN, and accepts our own", async () => {
    const { client, input } = await signedUp(h);
    for (const origin of ["https://evil.example", "null", "http://localhost.evil.example", "http://localhost:8080"]) {
      const res = await client.post("/apps/create", { env: "sandbox", name: "Forged" }, { origin });
      expect(expectError(res, 403, "FORBIDDEN").message).toMatch(/^Origin: /);
    }
    const login = await new DashboardClient(h).post("/login", { email: input.email, password: input.password }, { origin: "https://evil.example" });
    expectError(login, 403, "FORBIDDEN");
    // inject's Host is localhost:80, so our own origin is http://localhost.
    expectSuccess(await client.post("/apps/create", { env: "sandbox", name: "Same origin" }, { origin: "http://localhost" }));
    expectSuccess(await client.post("/apps/create", { env: "sandbox", name: "Same origin, explicit Host" }, { origin: "http://dash.test:4000", host: "dash.test:4000" }));
    // Reading needs no Origin check (the browser keeps cross-origin responses from the page).
    expectSuccess(await client.get("/me", { origin: "https://evil.example" }));
  });

  it("accepts the configured public URL's origin (a TLS proxy in front of plain http)", async () => {
    const proxied = await createHarness({ config: { publicUrl: "https://okro.example.com" } });
    try {
      const client = new DashboardClient(proxied);
      const { res } = await client.signup();
      expectSuccess(res);
      expectSuccess(await client.post("/apps/create", { env: "sandbox", name: "Via proxy" }, { origin: "https://okro.example.com" }));
      expectError(await client.post("/apps/create", { env: "sandbox", name: "Via proxy" }, { origin: "http://okro.example.com" }), 403, "FORBIDDEN");
    } finally {
      await proxied.close();
    }
  });
});

describe("login rate limit", () => {
  it("allows 10 attempts per address per minute, then 429 until the window passes; other addresses are unaffected", async () => {
    const clock = new ManualClock(new Date("2026-03-02T10:00:30Z"));
    const timed = await createHarness({ clock });
    try {
      const { input } = await signedUp(timed);
      const attacker = new DashboardClient(timed, uniqueIp());
      // Each guess at another email: one account's own backoff (below) is not what is tested here.
      for (let i = 0; i < 10; i++) expectError(await attacker.login(uniqueEmail(), `guess number ${i}`), 401, "UNAUTHORIZED");
      const limited = await attacker.login(input.email, input.password);
      expectError(limited, 429, "RATE_LIMIT_EXCEEDED");
      expect(limited.headers["retry-after"]).toBeDefined();
      expect(limited.cookies).toHaveLength(0);
      // Someone else, from another address, is not locked out.
      expectSuccess(await new DashboardClient(timed, uniqueIp()).login(input.email, input.password));
      clock.advance(60_000);
      expectSuccess(await attacker.login(input.email, input.password));
    } finally {
      await timed.close();
    }
  });

  it("limits signups per address too", async () => {
    const clock = new ManualClock(new Date("2026-03-02T11:00:30Z"));
    const timed = await createHarness({ clock });
    try {
      const ip = uniqueIp();
      for (let i = 0; i < 10; i++) expect((await new DashboardClient(timed, ip).signup()).res.statusCode).toBe(200);
      expectError((await new DashboardClient(timed, ip).signup()).res, 429, "RATE_LIMIT_EXCEEDED");
    } finally {
      await timed.close();
    }
  });
});

describe("per-account sign-in backoff", () => {
  /** One sign-in from a fresh address each time: the per-address limit never applies. */
  const fromAnywhere = (timed: Harness, email: string, password: string) => new DashboardClient(timed, uniqueIp()).login(email, password);
  const answer = (res: Awaited<ReturnType<typeof fromAnywhere>>) => `${res.statusCode} ${res.headers["retry-after"] ?? "-"} ${res.json().message}`;

  /** Five wrong guesses, a sixth, the right password during the lockout, and after it. */
  async function attack(timed: Harness, clock: ManualClock, email: string, password: string): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(answer(await fromAnywhere(timed, email, `guess ${i}`)));
    seen.push(answer(await fromAnywhere(timed, email, password)));
    clock.advance(30_000);
    seen.push(answer(await fromAnywhere(timed, email, password)));
    clock.advance(30_000);
    // The window has passed: one more wrong guess opens a twice as long one.
    seen.push(answer(await fromAnywhere(timed, email, "guess 7")));
    seen.push(answer(await fromAnywhere(timed, email, password)));
    clock.advance(120_000);
    return seen;
  }

  it("locks an account out after five failures from any addresses, for a doubling window, with 429 and Retry-After; success resets", async () => {
    const clock = new ManualClock(new Date("2026-03-02T12:00:00Z"));
    const timed = await createHarness({ clock });
    try {
      const { input } = await signedUp(timed);
      const seen = await attack(timed, clock, input.email, input.password);
      expect(seen.slice(0, 6).every((a) => a.startsWith("401 - "))).toBe(true);
      expect(seen[6]).toBe("429 60 Too many failed sign-ins for this email; retry in 1 minute (Retry-After)");
      expect(seen[7]).toBe("429 30 Too many failed sign-ins for this email; retry in 30 seconds (Retry-After)");
      expect(seen[8]).toMatch(/^401 - /);
      expect(seen[9]).toBe("429 120 Too many failed sign-ins for this email; retry in 2 minutes (Retry-After)");
      // The lockout has passed: the right password signs in, and the count starts again.
      const res = await fromAnywhere(timed, input.email, input.password);
      expectSuccess(res);
      for (let i = 0; i < 5; i++) expect((await fromAnywhere(timed, input.email.toUpperCase(), `again ${i}`)).statusCode).toBe(401);
      // Other accounts are not affected.
      const other = await signedUp(timed);
      expectSuccess(await fromAnywhere(timed, other.input.email, other.input.password));
    } finally {
      await timed.close();
    }
  });

  it("answers an unknown email exactly as a known one", async () => {
    const clock = new ManualClock(new Date("2026-03-02T13:00:00Z"));
    const timed = await createHarness({ clock });
    try {
      const { input } = await signedUp(timed);
      const known = await attack(timed, clock, input.email, input.password);
      const unknown = await attack(timed, clock, uniqueEmail(), input.password);
      expect(unknown).toEqual(known);
    } finally {
      await timed.close();
    }
  });

  it("racing guesses from many addresses get at most six passwords checked", async () => {
    const { input } = await signedUp(h);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => fromAnywhere(h, input.email, `race ${i}`)));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect((await fromAnywhere(h, input.email, input.password)).statusCode).toBe(429);
  });
});

describe("secrets at rest", () => {
  it("stores the password as an argon2id hash, and no password, key or session token in clear anywhere", async () => {
    const { client, input, user, credentials } = await signedUp(h);
    const session = client.cookie!;
    // Exercise the other places a secret could end up: key rotation (with an Idempotency-Key,
    // which the route must not store a replay for) and app creation with one.
    const rotated = expectSuccess(await client.post("/keys/rotate", { env: "sandbox", kind: "secret", grace_seconds: 60 }, { "idempotency-key": `rot-${user.id}` }));
    expectSuccess(await client.post("/apps/create", { env: "sandbox", name: "Secret scan" }, { "idempotency-key": `app-${user.id}` }));

    const stored = await h.ctx.db.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const sessionRow = await h.ctx.db.selectFrom("sessions").select("token_hash").where("user_id", "=", user.id).executeTakeFirstOrThrow();
    expect(sessionRow.token_hash).toBe(sha256Hex(session));

    const secrets = [
      input.password,
      session,
      rotated.key.key,
      // Public keys are kept in clear on purpose (the dashboard shows them in full); secrets never.
      ...Object.values(credentials).map((c) => c.secret_key),
    ];
    for (const table of ["companies", "environments", "api_keys", "users", "sessions", "apps", "idempotency_keys"]) {
      const { rows } = await sql<{ row: unknown }>`select to_jsonb(t) as row from ${sql.table(table)} t`.execute(h.ctx.db);
      const dump = JSON.stringify(rows);
      for (const secret of secrets) expect(dump.includes(secret), `${table} holds a secret in clear`).toBe(false);
    }
  });
});
