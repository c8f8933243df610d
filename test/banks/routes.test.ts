import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createHarness, type Harness } from "../harness.js";
import type { NewCompany } from "../../src/platform/companies.js";

let h: Harness;
let tenant: NewCompany;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant();
});
afterAll(() => h.close());

describe("bank directory", () => {
  it("lists every bank with POST on the sandbox path, in the Okra envelope", async () => {
    const res = await h.request({ method: "POST", url: "/v2/sandbox/banks/list", headers: bearer(tenant.sandbox.secret_key) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe("success");
    expect(body.data.banks.length).toBeGreaterThanOrEqual(25);
    const gtb = body.data.banks.find((b: { slug: string }) => b.slug === "guaranty-trust-bank");
    expect(gtb).toMatchObject({ _id: "5d6fe57a4099cc4b210bbeb3", cbn_code: "058", nip_code: "000013", status: "healthy" });
    expect(body.data.pagination).toMatchObject({ page: 1, totalDocs: body.data.banks.length, hasNextPage: false });
  });

  it("lists with GET as okra-node 0.2.0 calls it, honouring page and limit", async () => {
    const res = await h.request({ method: "GET", url: "/v2/banks/list?page=2&limit=5", headers: bearer(tenant.production.secret_key) });
    expect(res.statusCode).toBe(200);
    const { banks, pagination } = res.json().data;
    expect(banks).toHaveLength(5);
    expect(pagination).toMatchObject({ page: 2, limit: 5, hasPrevPage: true, prevPage: 1, nextPage: 3 });
  });

  it("gets one bank by id with GET and POST", async () => {
    const get = await h.request({ method: "GET", url: "/v2/banks/getById?id=5d6fe57a4099cc4b210bbeb6", headers: bearer(tenant.sandbox.secret_key) });
    expect(get.json().data.bank.name).toMatch(/Stanbic/);
    const post = await h.request({
      method: "POST",
      url: "/sandbox/v2/banks/getById",
      headers: bearer(tenant.sandbox.secret_key),
      payload: { id: "5d6fe57a4099cc4b210bbeb2" },
    });
    expect(post.json().data.bank.slug).toBe("first-city-monument-bank");
  });

  it("answers 404 for an unknown bank id and 400 naming the field for a malformed one", async () => {
    const missing = await h.request({ method: "POST", url: "/v2/banks/getById", headers: bearer(tenant.sandbox.secret_key), payload: { id: "0".repeat(24) } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: "error", error: "NOT_FOUND" });
    const bad = await h.request({ method: "POST", url: "/v2/banks/getById", headers: bearer(tenant.sandbox.secret_key), payload: { id: "nope" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: "INVALID_FIELD" });
    expect(bad.json().message).toMatch(/^id: /);
    const absent = await h.request({ method: "GET", url: "/v2/banks/getById", headers: bearer(tenant.sandbox.secret_key) });
    expect(absent.statusCode).toBe(400);
    expect(absent.json()).toMatchObject({ error: "MISSING_FIELDS", message: "id: is required" });
  });

  it("accepts a form-encoded body", async () => {
    const res = await h.request({
      method: "POST",
      url: "/v2/banks/list",
      headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/x-www-form-urlencoded" },
      payload: "page=1&limit=3",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.banks).toHaveLength(3);
  });
});
