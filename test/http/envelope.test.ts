import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "./envelope-assertions.js";

let h: Harness;
let tenant: NewCompany;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("Envelope Co");
});
afterAll(() => h?.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("the Okra envelope", () => {
  it("wraps a success as {status: success, message, data}", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: bearer(tenant.sandbox.secret_key), payload: {} });
    const data = expectSuccess(res);
    expect(Array.isArray(data.banks)).toBe(true);
    expect(res.json().message).toMatch(/banks/i);
  });

  it("wraps an error as {status: error, error, message, data} with the request id in data", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: bearer(tenant.sandbox.secret_key), payload: { id: "f".repeat(24) } });
    const { message } = expectError(res, 404, "NOT_FOUND");
    expect(message).toMatch(/bank/);
  });

  it("answers an unknown route with a 404 envelope, under the API prefixes and elsewhere", async () => {
    for (const url of ["/v2/no/such/route", "/v2/sandbox/nope", "/sandbox/v2/nope", "/nope", "/dashboard/api/nope"]) {
      const res = await h.request({ method: "GET", url: `${url}?x=1`, headers: bearer(tenant.sandbox.secret_key) });
      const { message } = expectError(res, 404, "NOT_FOUND");
      expect(message).toContain(url);
      expect(message).not.toContain("?x=1");
    }
  });

  it("answers a known path with the wrong method with a 404 envelope", async () => {
    expectError(await h.request({ method: "DELETE", url: "/v2/banks/list", headers: bearer(tenant.sandbox.secret_key) }), 404, "NOT_FOUND");
  });
});

describe("X-Request-Id", () => {
  it("is generated for every response: success, error, unknown route, operations", async () => {
    const answers = await Promise.all([
      h.request({ method: "GET", url: "/v2/banks/list", headers: bearer(tenant.sandbox.secret_key) }),
      h.request({ method: "GET", url: "/v2/banks/list" }),
      h.request({ method: "GET", url: "/v2/nowhere" }),
      h.request({ method: "GET", url: "/health" }),
      h.request({ method: "GET", url: "/v2/openapi.json" }),
      h.request({ method: "POST", url: "/v2/banks/list", headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/json" }, payload: "{" }),
    ]);
    const ids = answers.map((res) => res.headers["x-request-id"]);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("echoes a sane caller-supplied id, on success and in the error envelope", async () => {
    const sane = "trace-2026.11:abc_DEF-123";
    const ok = await h.request({ method: "GET", url: "/v2/banks/list", headers: { ...bearer(tenant.sandbox.secret_key), "x-request-id": sane } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["x-request-id"]).toBe(sane);
    const refused = await h.request({ method: "GET", url: "/v2/banks/list", headers: { "x-request-id": sane } });
    expectError(refused, 401, "UNAUTHORIZED");
    expect(refused.headers["x-request-id"]).toBe(sane);
  });

  it.each([
    ["with spaces", "my request id"],
    ["too long (129 characters)", "a".repeat(129)],
    ["with markup", "<script>alert(1)</script>"],
    ["with a newline escape", "abc%0d%0aSet-Cookie:x"],
    ["with non-ASCII", "idé"],
  ])("replaces an insane caller-supplied id (%s) with a generated one", async (_what, insane) => {
    const res = await h.request({ method: "GET", url: "/health", headers: { "x-request-id": insane } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-request-id"]).toMatch(UUID);
  });

  it("accepts an id of exactly 128 characters", async () => {
    const id = "b".repeat(128);
    const res = await h.request({ method: "GET", url: "/health", headers: { "x-request-id": id } });
    expect(res.headers["x-request-id"]).toBe(id);
  });
});
