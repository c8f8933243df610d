import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { signedUp } from "./dashboard-client.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

/** The API's verdict on a key, through a real /v2 route. */
const apiStatus = async (harness: Harness, key: string) =>
  (await harness.request({ method: "POST", url: "/v2/banks/list", headers: bearer(key), payload: { limit: 1 } })).statusCode;

describe("listing keys", () => {
  it("lists each environment's keys with prefixes and dates, never the keys", async () => {
    const { client, credentials } = await signedUp(h);
    const all = expectSuccess(await client.get("/keys")).keys;
    expect(all).toHaveLength(4);
    const sandbox = expectSuccess(await client.get("/keys?env=sandbox")).keys;
    expect(sandbox).toHaveLength(2);
    const secret = sandbox.find((k: { kind: string }) => k.kind === "secret");
    expect(secret).toMatchObject({ env: "sandbox", active: true, revoked_at: null, expires_at: null });
    expect(Object.keys(secret).sort()).toEqual(["active", "created_at", "display_prefix", "env", "expires_at", "id", "kind", "public_key", "revoked_at"]);
    // Never a secret key; a public key in full (it is published in pages anyway).
    expect(secret.public_key).toBeNull();
    expect(sandbox.find((k: { kind: string }) => k.kind === "public").public_key).toBe(credentials.sandbox.public_key);
    expect(credentials.sandbox.secret_key.startsWith(secret.display_prefix)).toBe(true);
    expect(secret.display_prefix).toMatch(/^sk_test_.{4}$/);
    expectError(await client.get("/keys?env=staging"), 400, "INVALID_FIELD");
  });
});

describe("rotating keys", () => {
  it("with no grace period: the old secret key is refused at once and the new one works", async () => {
    const { client, credentials } = await signedUp(h);
    const old = credentials.sandbox.secret_key;
    expect(await apiStatus(h, old)).toBe(200);
    const data = expectSuccess(await client.post("/keys/rotate", { env: "sandbox", kind: "secret" }));
    expect(data.key).toMatchObject({ env: "sandbox", kind: "secret", active: true, revoked_at: null });
    expect(data.key.key).toMatch(/^sk_test_[A-Za-z0-9_-]{43}$/);
    expect(data.retired_key_ids).toHaveLength(1);
    expect(await apiStatus(h, old)).toBe(401);
    expect(await apiStatus(h, data.key.key)).toBe(200);
    // Only that environment and kind moved.
    expect(await apiStatus(h, credentials.production.secret_key)).toBe(200);
    const keys = expectSuccess(await client.get("/keys?env=sandbox")).keys as Array<{ id: string; active: boolean; revoked_at: string | null }>;
    expect(keys.find((k) => k.id === data.retired_key_ids[0])).toMatchObject({ active: false });
    expect(keys.find((k) => k.id === data.retired_key_ids[0])!.revoked_at).not.toBeNull();
    // The new key is not shown again.
    expect(JSON.stringify(await client.get("/me").then((r) => r.json()))).not.toContain(data.key.key);
  });

  it("with a grace period: the old key keeps working until the grace ends, then is refused", async () => {
    const clock = new ManualClock(new Date("2026-03-03T12:00:00Z"));
    const timed = await createHarness({ clock });
    try {
      const { client, credentials } = await signedUp(timed);
      const old = credentials.production.secret_key;
      const data = expectSuccess(await client.post("/keys/rotate", { env: "production", kind: "secret", grace_seconds: 3600 }));
      expect(data.retired_at).toBe("2026-03-03T13:00:00.000Z");
      expect(await apiStatus(timed, old)).toBe(200);
      expect(await apiStatus(timed, data.key.key)).toBe(200);
      const listed = expectSuccess(await client.get("/keys?env=production")).keys.find((k: { id: string }) => k.id === data.retired_key_ids[0]);
      expect(listed).toMatchObject({ active: true, expires_at: "2026-03-03T13:00:00.000Z", revoked_at: null });
      clock.advance(3599 * 1000);
      expect(await apiStatus(timed, old)).toBe(200);
      clock.advance(1000);
      expect(await apiStatus(timed, old)).toBe(401);
      expect(await apiStatus(timed, data.key.key)).toBe(200);
    } finally {
      await timed.close();
    }
  });

  it("leaves exactly one active key when rotations race", async () => {
    const { client, company } = await signedUp(h);
    const results = await Promise.all([0, 1, 2].map(() => client.post("/keys/rotate", { env: "sandbox", kind: "secret" })));
    const keys = results.map((r) => expectSuccess(r).key.key as string);
    const working = [];
    for (const key of keys) if ((await apiStatus(h, key)) === 200) working.push(key);
    expect(working).toHaveLength(1);
    const active = await h.ctx.db
      .selectFrom("api_keys")
      .select("id")
      .where("company_id", "=", company.id)
      .where("env", "=", "sandbox")
      .where("kind", "=", "secret")
      .where("revoked_at", "is", null)
      .execute();
    expect(active).toHaveLength(1);
  });

  it("rotates a public key without touching the secret key", async () => {
    const { client, credentials } = await signedUp(h);
    const data = expectSuccess(await client.post("/keys/rotate", { env: "sandbox", kind: "public" }));
    expect(data.key.key).toMatch(/^pk_test_/);
    expect(await apiStatus(h, credentials.sandbox.secret_key)).toBe(200);
  });

  it("refuses a bad rotation request, naming the field", async () => {
    const { client } = await signedUp(h);
    const cases: Array<[unknown, string, string]> = [
      [{ env: "staging", kind: "secret" }, "INVALID_FIELD", "env"],
      [{ env: "sandbox", kind: "root" }, "INVALID_FIELD", "kind"],
      [{ env: "sandbox", kind: "secret", grace_seconds: -1 }, "INVALID_FIELD", "grace_seconds"],
      [{ env: "sandbox", kind: "secret", grace_seconds: 604801 }, "INVALID_FIELD", "grace_seconds"],
      [{ env: "sandbox", kind: "secret", grace_seconds: "60" }, "INVALID_FIELD", "grace_seconds"],
      [{ env: "sandbox", kind: "secret", grace_seconds: 1.5 }, "INVALID_FIELD", "grace_seconds"],
      // Absent, whatever the field's type, is MISSING_FIELDS.
      [{ kind: "secret" }, "MISSING_FIELDS", "env"],
      [{ env: "sandbox" }, "MISSING_FIELDS", "kind"],
      [{ env: "sandbox", kind: "secret", note: "x" }, "UNKNOWN_FIELDS", "note"],
    ];
    for (const [body, code, field] of cases) {
      const { message } = expectError(await client.post("/keys/rotate", body), 400, code as never);
      expect(message, JSON.stringify(body)).toMatch(new RegExp(`^${field}: `));
    }
  });
});

describe("revoking keys", () => {
  it("refuses a revoked key on /v2 immediately", async () => {
    const { client, credentials } = await signedUp(h);
    const key = expectSuccess(await client.get("/keys?env=production")).keys.find((k: { kind: string }) => k.kind === "secret");
    expect(await apiStatus(h, credentials.production.secret_key)).toBe(200);
    const data = expectSuccess(await client.post("/keys/revoke", { id: key.id }));
    expect(data.key).toMatchObject({ id: key.id, active: false });
    expect(data.key.revoked_at).not.toBeNull();
    expect(await apiStatus(h, credentials.production.secret_key)).toBe(401);
    // Revoking again is harmless.
    expectSuccess(await client.post("/keys/revoke", { id: key.id }));
  });

  it("answers another company's key id with 404, and leaves that key working", async () => {
    const mine = await signedUp(h);
    const theirs = await signedUp(h);
    const theirKey = expectSuccess(await theirs.client.get("/keys?env=sandbox")).keys.find((k: { kind: string }) => k.kind === "secret");
    expectError(await mine.client.post("/keys/revoke", { id: theirKey.id }), 404, "NOT_FOUND");
    expectError(await mine.client.post("/keys/revoke", { id: "0".repeat(24) }), 404, "NOT_FOUND");
    expect(await apiStatus(h, theirs.credentials.sandbox.secret_key)).toBe(200);
    expect(expectError(await mine.client.post("/keys/revoke", { id: "nope" }), 400, "INVALID_FIELD").message).toMatch(/^id: /);
  });

  it("replays a revocation sent again with the same Idempotency-Key", async () => {
    const { client } = await signedUp(h);
    const key = expectSuccess(await client.get("/keys?env=sandbox")).keys.find((k: { kind: string }) => k.kind === "public");
    const first = await client.post("/keys/revoke", { id: key.id }, { "idempotency-key": "revoke-1" });
    const again = await client.post("/keys/revoke", { id: key.id }, { "idempotency-key": "revoke-1" });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
  });

  it("does not rotate twice for one Idempotency-Key, and never stores the new key in clear", async () => {
    const { client } = await signedUp(h);
    const first = expectSuccess(await client.post("/keys/rotate", { env: "sandbox", kind: "secret" }, { "idempotency-key": "rotate-1" }));
    const again = await client.post("/keys/rotate", { env: "sandbox", kind: "secret" }, { "idempotency-key": "rotate-1" });
    const { message, data } = expectError(again, 409, "CONFLICT");
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(message).toContain(first.key.id);
    expect(data.key_id).toBe(first.key.id);
    // The key the first response carried still works: the repeat did not retire it.
    expect(await apiStatus(h, first.key.key)).toBe(200);
    const stored = await h.ctx.db.selectFrom("idempotency_keys").select("response_body").where("key", "=", "rotate-1").execute();
    expect(JSON.stringify(stored)).not.toContain(first.key.key);
  });
});

describe("client tokens", () => {
  it("rotates an environment's client token; /me shows the new one", async () => {
    const { client, credentials } = await signedUp(h);
    const data = expectSuccess(await client.post("/client-token/rotate", { env: "sandbox" }));
    expect(data.env).toBe("sandbox");
    expect(data.client_token).toMatch(/^[0-9a-f]{24}$/);
    expect(data.client_token).not.toBe(credentials.sandbox.token);
    const me = expectSuccess(await client.get("/me"));
    expect(me.environments.sandbox.client_token).toBe(data.client_token);
    expect(me.environments.production.client_token).toBe(credentials.production.token);
  });
});

describe("access to the key routes", () => {
  it("refuses every key route without a session", async () => {
    const { client } = await signedUp(h);
    client.cookie = undefined;
    expectError(await client.get("/keys"), 401, "UNAUTHORIZED");
    expectError(await client.post("/keys/rotate", { env: "sandbox", kind: "secret" }), 401, "UNAUTHORIZED");
    expectError(await client.post("/keys/revoke", { id: "0".repeat(24) }), 401, "UNAUTHORIZED");
    expectError(await client.post("/client-token/rotate", { env: "sandbox" }), 401, "UNAUTHORIZED");
  });
});
