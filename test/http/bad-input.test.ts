import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { buildWidgetApi } from "../widget/widget-api.js";
import { expectError, expectSuccess } from "./envelope-assertions.js";

/**
 * Invariant 8 (DESIGN.md §5): bad input gets a 4xx in the envelope naming the problem, never a
 * 500. Exercised on the bank directory and, for text that reaches the database, on apps and the
 * dashboard.
 */
const BODY_LIMIT_BYTES = 512;

let h: Harness;
let tenant: NewCompany;
let key: Record<string, string>;
beforeAll(async () => {
  h = await createHarness({ config: { bodyLimitBytes: BODY_LIMIT_BYTES } });
  tenant = await h.newTenant("Bad Input Co");
  key = bearer(tenant.sandbox.secret_key);
});
afterAll(() => h?.close());

const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };
const GTB = "5d6fe57a4099cc4b210bbeb3";

describe("unparseable bodies", () => {
  it("answers malformed JSON with 400 INVALID_BODY", async () => {
    for (const payload of ["{", '{"id": }', "{'id': 'x'}", "nul", '{"id":"x"}}']) {
      const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload });
      const { message } = expectError(res, 400, "INVALID_BODY");
      expect(message).toMatch(/^body: /);
    }
  });

  it("answers an empty body sent as JSON with 400 INVALID_BODY", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload: "" });
    expectError(res, 400, "INVALID_BODY");
  });

  it.each([
    ["an array", "[1,2]"],
    ["a string", '"5d6fe57a4099cc4b210bbeb3"'],
    ["a number", "42"],
    ["a boolean", "true"],
  ])("answers a JSON body that is %s, not an object, with 400 INVALID_BODY naming the body", async (_what, payload) => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload });
    const { message } = expectError(res, 400, "INVALID_BODY");
    expect(message).toMatch(/^body: .*object/);
  });

  it("treats a JSON null body like an empty one and names the missing field", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload: "null" });
    expect(expectError(res, 400, "MISSING_FIELDS").message).toBe("id: is required");
  });

  it("refuses JSON that tries to set __proto__", async () => {
    const res = await h.request({
      method: "POST",
      url: "/v2/banks/getById",
      headers: { ...key, ...json },
      payload: `{"id":"${GTB}","__proto__":{"polluted":true}}`,
    });
    expect(expectError(res, 400, "INVALID_FIELD").message).toBe("__proto__: not allowed in a request body");
    const ctor = await h.request({
      method: "POST",
      url: "/v2/banks/getById",
      headers: { ...key, ...json },
      payload: `{"id":"${GTB}","constructor":{"prototype":{"polluted":true}}}`,
    });
    expect(expectError(ctor, 400, "INVALID_FIELD").message).toMatch(/^constructor: /);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`answers a body over the limit (${BODY_LIMIT_BYTES} bytes here) with 413 PAYLOAD_TOO_LARGE, JSON or form`, async () => {
    const big = JSON.stringify({ id: GTB, padding: "x".repeat(BODY_LIMIT_BYTES) });
    expectError(await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload: big }), 413, "PAYLOAD_TOO_LARGE");
    const bigForm = `id=${GTB}&padding=${"x".repeat(BODY_LIMIT_BYTES)}`;
    expectError(await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...form }, payload: bigForm }), 413, "PAYLOAD_TOO_LARGE");
    // Just under the limit is fine.
    const fits = JSON.stringify({ id: GTB, pad: "x".repeat(BODY_LIMIT_BYTES - 60) });
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    expectSuccess(await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...json }, payload: fits }));
  });

  it.each(["text/xml", "application/xml", "multipart/form-data; boundary=x", "application/octet-stream", "text/plain", "text/plain; charset=utf-8"])(
    "answers an unsupported content type (%s) with 415 UNSUPPORTED_MEDIA_TYPE",
    async (contentType) => {
      const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, "content-type": contentType }, payload: `<id>${GTB}</id>` });
      expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it("answers JSON sent as text/plain with 415 on every route family: /v2 (each prefix), the dashboard API, the widget session API", async () => {
    const text = { "content-type": "text/plain" };
    const payload = JSON.stringify({ id: GTB });
    for (const url of ["/v2/banks/getById", "/v2/sandbox/banks/getById", "/sandbox/v2/banks/getById"]) {
      expectError(await h.request({ method: "POST", url, headers: { ...key, ...text }, payload }), 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    // A mutating /v2 route: refused before anything is written.
    const hook = await h.request({ method: "POST", url: "/v2/webhooks/create", headers: { ...key, ...text }, payload: JSON.stringify({ url: "https://example.com/hooks" }) });
    expectError(hook, 415, "UNSUPPORTED_MEDIA_TYPE");
    const hooks = await h.request({ method: "POST", url: "/v2/webhooks/list", headers: { ...key, ...json }, payload: "{}" });
    expect(expectSuccess<{ endpoints: unknown[] }>(hooks).endpoints).toEqual([]);
    const login = await h.request({ method: "POST", url: "/dashboard/api/login", headers: text, payload: JSON.stringify({ email: "a@example.com", password: "x" }) });
    expectError(login, 415, "UNSUPPORTED_MEDIA_TYPE");
    const widget = await buildWidgetApi(h.ctx);
    try {
      const session = await widget.inject({ method: "POST", url: "/api/sessions", headers: text, payload: JSON.stringify({ key: tenant.sandbox.public_key }) });
      expectError(session, 415, "UNSUPPORTED_MEDIA_TYPE");
    } finally {
      await widget.close();
    }
  });
});

describe("schema violations name the field", () => {
  it("answers a wrong type with 400 INVALID_FIELD naming the field", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: key, payload: { id: 5 } });
    const { message, data } = expectError(res, 400, "INVALID_FIELD");
    expect(message).toMatch(/^id: .*string/);
    expect(data.fields).toEqual([{ field: "id", message: expect.any(String) }]);
  });

  it("answers a malformed value with 400 INVALID_FIELD naming the field and the rule", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: key, payload: { id: "nope" } });
    expect(expectError(res, 400, "INVALID_FIELD").message).toBe("id: must be a 24-character hex id");
  });

  it("answers a missing field with 400 MISSING_FIELDS naming it, in the body and in the query", async () => {
    expect(expectError(await h.request({ method: "POST", url: "/v2/banks/getById", headers: key, payload: {} }), 400, "MISSING_FIELDS").message).toBe(
      "id: is required",
    );
    expect(expectError(await h.request({ method: "POST", url: "/v2/banks/getById", headers: key }), 400, "MISSING_FIELDS").message).toBe("id: is required");
    expect(expectError(await h.request({ method: "GET", url: "/v2/banks/getById?other=1", headers: key }), 400, "MISSING_FIELDS").message).toBe(
      "id: is required",
    );
  });

  it("names every offending field when several are wrong", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: key, payload: { page: "first", limit: -1 } });
    const { message, data } = expectError(res, 400, "INVALID_FIELD");
    expect(message).toMatch(/page: /);
    expect(message).toMatch(/limit: /);
    expect((data.fields as { field: string }[]).map((f) => f.field).sort()).toEqual(["limit", "page"]);
  });

  it("never answers 500 to a grab-bag of hostile bodies", async () => {
    const payloads = [
      { id: null },
      { id: [GTB] },
      { id: { $ne: null } },
      { id: GTB.repeat(10) },
      { id: "' OR 1=1 --" },
      { id: "\u0000" },
      { page: 1e308, limit: 1 },
      { page: -0, limit: 1.5 },
      { page: "9".repeat(400) },
    ];
    for (const payload of payloads) {
      for (const url of ["/v2/banks/getById", "/v2/banks/list"]) {
        const res = await h.request({ method: "POST", url, headers: key, payload });
        expect(res.statusCode, `${url} ${JSON.stringify(payload)} → ${res.body}`).toBeLessThan(500);
        if (res.statusCode >= 400) expectError(res, res.statusCode, res.json().error);
      }
    }
  });
});

describe("form-encoded bodies", () => {
  it("are accepted, coercing numbers where the schema says number", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: { ...key, ...form }, payload: "page=2&limit=3" });
    const data = expectSuccess(res);
    expect(data.banks).toHaveLength(3);
    expect(data.pagination).toMatchObject({ page: 2, limit: 3 });
  });

  it("keep leading zeros of a digit string where the schema says string", async () => {
    // An all-digit, hex-valid id: coerced to a number it would be a 400 "expected string";
    // kept as a string it is a well-formed id of a bank that does not exist.
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...form }, payload: "id=012345678901234567890123" });
    expectError(res, 404, "NOT_FOUND");
    const found = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...form }, payload: `id=${GTB}` });
    expect(expectSuccess(found).bank._id).toBe(GTB);
  });

  it("name the field when a number field gets a non-number", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: { ...key, ...form }, payload: "limit=ten" });
    expect(expectError(res, 400, "INVALID_FIELD").message).toMatch(/^limit: /);
  });

  it("accept an empty form body as an empty object", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: { ...key, ...form }, payload: "" });
    expect(expectError(res, 400, "MISSING_FIELDS").message).toBe("id: is required");
  });

  it("ignore attempts at prototype pollution", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/list", headers: { ...key, ...form }, payload: "__proto__[polluted]=1&constructor[prototype][polluted]=1&limit=1" });
    expect(res.statusCode).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("JSON bodies are not coerced", () => {
  it("refuses a number where the schema says string", async () => {
    const res = await h.request({ method: "POST", url: "/v2/banks/getById", headers: key, payload: { id: 12345678901234567890 } });
    expect(expectError(res, 400, "INVALID_FIELD").message).toMatch(/^id: /);
  });
});

describe("text the database cannot store", () => {
  const nul = "a\u0000b";
  it.each([
    ["/v2/apps/create", { name: nul }, "name"],
    ["/v2/apps/create", { name: "ok", callback_url: `https://example.com/${nul}` }, "callback_url"],
    ["/v2/apps/create", { name: "ok", bank_filter: [nul] }, "bank_filter.0"],
    ["/v2/banks/getById", { id: nul }, "id"],
  ])("refuses a NUL character in %s with 400 naming the field (%j)", async (url, payload, field) => {
    const res = await h.request({ method: "POST", url, headers: { ...key, ...json }, payload });
    expect(expectError(res, 400, "INVALID_FIELD").message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: must not contain NUL`));
  });

  it("refuses a NUL character in a form body and in a query string", async () => {
    const formRes = await h.request({ method: "POST", url: "/v2/apps/create", headers: { ...key, ...form }, payload: "name=a%00b" });
    expect(expectError(formRes, 400, "INVALID_FIELD").message).toMatch(/^name: /);
    const queryRes = await h.request({ method: "GET", url: "/v2/banks/getById?id=a%00b", headers: key });
    expect(expectError(queryRes, 400, "INVALID_FIELD").message).toMatch(/^id: /);
  });

  it("refuses a NUL character at dashboard signup and login without a 500", async () => {
    const signup = await h.request({
      method: "POST",
      url: "/dashboard/api/signup",
      headers: json,
      payload: { company_name: nul, name: "N", email: "nul@example.com", password: "long enough password" },
    });
    expect(expectError(signup, 400, "INVALID_FIELD").message).toMatch(/^company_name: /);
    const login = await h.request({ method: "POST", url: "/dashboard/api/login", headers: json, payload: { email: `x${nul}@example.com`, password: "whatever password" } });
    expect(expectError(login, 400, "INVALID_FIELD").message).toMatch(/^email: /);
  });
});
