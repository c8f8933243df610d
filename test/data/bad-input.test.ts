import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";
import { accountData, accountDataCases, GTBANK, type AccountData } from "../security/route-registry.js";

/**
 * Invariant 8 (DESIGN.md §5) on the account-data API: every bad id, date, enum or amount is a 400
 * naming the field, never a 500; mutating bodies refuse unknown fields while reads tolerate the
 * extras okra-node sends; form bodies work like JSON.
 */
let h: Harness;
let tenant: NewCompany;
let d: AccountData;
beforeAll(async () => {
  h = await createHarness();
  tenant = await h.newTenant("Data Bad Input Co");
  d = await accountData(h, tenant, "sandbox");
});
afterAll(() => h?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  h.request({ method: "POST", url: `/v2${url}`, headers: { ...bearer(tenant.sandbox.secret_key), ...headers }, payload: payload as object }) as Promise<Answer>;
const form = (url: string, payload: string) =>
  h.request({
    method: "POST",
    url: `/v2${url}`,
    headers: { ...bearer(tenant.sandbox.secret_key), "content-type": "application/x-www-form-urlencoded" },
    payload,
  }) as Promise<Answer>;

/** Asserts a 400 whose message starts with `field: ` and returns the message. */
async function rejects(url: string, payload: unknown, field: string, code: "INVALID_FIELD" | "MISSING_FIELDS" | "UNKNOWN_FIELDS" = "INVALID_FIELD") {
  const { message, data } = expectError(await post(url, payload), 400, code);
  expect(message, `${url} ${JSON.stringify(payload)}`).toMatch(new RegExp(`^${field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  expect((data.fields as Array<{ field: string }>).map((f) => f.field)).toContain(field);
  return message;
}

describe("ids", () => {
  it.each([
    ["/auth/getById", "id"],
    ["/auth/getByCustomer", "customer"],
    ["/auth/getByBank", "bank"],
    ["/balance/getById", "id"],
    ["/balance/getByAccount", "account_id"],
    ["/accounts/getAccountDetails", "account"],
    ["/transactions/getByAccount", "account"],
    ["/identity/getByCustomer", "customer"],
    ["/income/getById", "id"],
    ["/products/records/get", "record_id"],
    ["/products/kyc/customer-verify", "customer"],
  ])("%s: a malformed %s is a 400 naming it, an absent one says it is required", async (url, field) => {
    for (const bad of ["nope", "5D6FE57A4099CC4B210BBEB3", `${GTBANK}0`, 42, null, [GTBANK], { $ne: null }]) {
      const message = await rejects(url, { [field]: bad }, field);
      if (typeof bad === "string") expect(message).toBe(`${field}: must be a 24-character hex id`);
    }
    expect(await rejects(url, {}, field, "MISSING_FIELDS")).toBe(`${field}: is required`);
  });

  it("mutations name the offending id too", async () => {
    await rejects("/balance/refresh", { account_id: "x" }, "account_id");
    await rejects("/balance/check", { account_id: d.accountId, record_id: "x" }, "record_id");
    await rejects("/transactions/refresh", {}, "account_id", "MISSING_FIELDS");
    await rejects("/customers/flag", { customer: d.customerId, bank: "gtbank" }, "bank");
    await rejects("/customers/remove", { customer: 12 }, "customer");
    await rejects("/products/identity/merge", { initial: d.customerId, final: "x" }, "final");
    expect(await rejects("/products/identity/merge", { initial: d.customerId, final: d.customerId }, "final")).toBe("final: must differ from initial");
    await rejects("/products/income/process", { customer_id: d.customerId, bank: "x" }, "bank");
  });

  it("enhanced balance, networks and benefactors need an account or a customer", async () => {
    expect(await rejects("/transactions/balance/process", { from: "2026-01-01" }, "account_id")).toMatch(/customer_id/);
    expect(await rejects("/products/trans-networks/process", {}, "account")).toMatch(/customer/);
    expect(await rejects("/products/benefactors/process", { bank: GTBANK }, "account")).toMatch(/customer/);
  });
});

describe("dates", () => {
  it.each(["2026-13-01", "2026-02-30", "yesterday", "01/02/2026", "2026-1-1", "2026-01-01T25:00:00Z", 20260101, ""])("refuses %j naming the field", async (bad) => {
    await rejects("/transactions/getByDate", { from: bad, to: "2026-12-31" }, "from");
    await rejects("/auth/getByCustomerDate", { customer: d.customerId, from: "2026-01-01", to: bad }, "to");
    await rejects("/transactions/getByAccount", { account: d.accountId, from: bad }, "from");
  });

  it("refuses from after to, naming from, on every dated read", async () => {
    for (const url of ["/auth/getByDate", "/balance/getByDate", "/transactions/getByDate", "/identity/getByDate", "/income/getByDate", "/products/accounts"]) {
      expect(await rejects(url, { from: "2026-03-02", to: "2026-03-01" }, "from")).toBe("from: must not be after to");
    }
    await rejects("/transactions/getByCustomerDate", { customer: d.customerId, from: "2026-03-01T10:00:00Z", to: "2026-03-01T09:59:59Z" }, "from");
    await rejects("/revenue/", { customer: d.customerId, from: "2026-03-02", to: "2026-03-01" }, "from");
    // The same day both ends is a whole day, not an empty range.
    expectSuccess(await post("/transactions/getByDate", { from: "2026-03-01", to: "2026-03-01" }));
  });

  it("getBy…Date needs both ends", async () => {
    expect(await rejects("/transactions/getByDate", { from: "2026-01-01" }, "to", "MISSING_FIELDS")).toBe("to: is required");
    await rejects("/income/getByCustomerDate", { customer: d.customerId, to: "2026-01-01" }, "from", "MISSING_FIELDS");
  });
});

describe("enums, amounts and formats", () => {
  it("names a bad type, key or flag", async () => {
    expect(await rejects("/balance/getByType", { type: "cash", value: 1 }, "type")).toBe("type: must be available_balance or ledger_balance");
    expect(await rejects("/transactions/getByType", { type: "both" }, "type")).toBe("type: must be credit or debit");
    expect(await rejects("/customers/find-customers-by", { key: "shoe_size", value: "42" }, "key")).toMatch(/^key: must be one of id, _id, name, email, phone, bvn, nuban$/);
    await rejects("/customers/find-customers-by", { key: "name", value: "   " }, "value");
    expect(await rejects("/customers/unflag", { customer: d.customerId, bank: GTBANK, unflag: false }, "unflag")).toMatch(/must be true/);
    await rejects("/balance/getById", { id: d.balanceId, includePeriodic: "maybe" }, "includePeriodic");
  });

  it.each([-1, 1.5, "abc", "-5", "1e3", Number.MAX_SAFE_INTEGER + 2, Number.MAX_SAFE_INTEGER, "9007199254740991", 10 ** 15 + 1, true, {}])(
    "refuses value %j: amounts are whole kobo within Okro's range",
    async (value) => {
    expect(await rejects("/balance/getByType", { type: "ledger_balance", value }, "value")).toBe(
      `value: must be a non-negative whole number of kobo, at most ${10 ** 15}`,
    );
    await rejects("/transactions/getByType", { type: "credit", value }, "value");
    },
  );

  it("refuses a bad NUBAN, BVN, balance, name or page", async () => {
    expect(await rejects("/transactions/getByNuban", { nuban: "123" }, "nuban")).toBe("nuban: must be a 10-digit NUBAN");
    await rejects("/products/kyc/nuban-verify", { nuban: 1234567890, bank: GTBANK }, "nuban");
    expect(await rejects("/products/kyc/bvn-verify", { bvn: "2222222222a" }, "bvn")).toBe("bvn: must be an 11-digit BVN");
    await rejects("/accounts/getByBalance", { balance: "lots" }, "balance");
    await rejects("/accounts/getByBalance", { balance: -3 }, "balance");
    await rejects("/accounts/getByName", { name: "" }, "name");
    await rejects("/accounts/getByName", { name: "x".repeat(201) }, "name");
    await rejects("/products/auths", { limit: 0 }, "limit");
    await rejects("/products/auths", { limit: 101 }, "limit");
    await rejects("/transactions/getByCustomer", { customer: d.customerId, page: 0 }, "page");
    await rejects("/products/trans-networks/process", { account: d.accountId, limit: 1000 }, "limit");
    expectError(await post("/accounts/getByName", { name: "a\u0000b" }), 400, "INVALID_FIELD");
  });
});

describe("unknown fields", () => {
  it("reads tolerate them (okra-node sends extras and page: 1, limit: 1)", async () => {
    expect(expectSuccess(await post("/auth/getById", { id: d.authId, includePeriodic: false, anything: { nested: true } })).auths).toHaveLength(1);
    expect(expectSuccess(await post("/transactions/getByCustomer", { customer: d.customerId, page: 1, limit: 1, pdf: "" })).pagination.totalPages).toBe(3);
  });

  it.each([
    ["/balance/refresh", { account_id: "ffffffffffffffffffffffff" }],
    ["/balance/check", { account_id: "ffffffffffffffffffffffff" }],
    ["/transactions/refresh", { account_id: "ffffffffffffffffffffffff" }],
    ["/customers/flag", { customer: "ffffffffffffffffffffffff", bank: GTBANK }],
    ["/customers/unflag", { customer: "ffffffffffffffffffffffff", bank: GTBANK }],
    ["/customers/remove", { customer: "ffffffffffffffffffffffff" }],
    ["/products/identity/merge", { initial: "ffffffffffffffffffffffff", final: "eeeeeeeeeeeeeeeeeeeeeeee" }],
    ["/products/income/process", { customer_id: "ffffffffffffffffffffffff" }],
  ])("mutating %s refuses them with 400 UNKNOWN_FIELDS naming each", async (url, body) => {
    const { message } = expectError(await post(url, { ...body, page: 1, surprise: "x" }), 400, "UNKNOWN_FIELDS");
    expect(message).toMatch(/page: unknown field/);
    expect(message).toMatch(/surprise: unknown field/);
  });

  it("mutations check the Idempotency-Key header", async () => {
    const { message } = expectError(await post("/customers/remove", { customer: d.customerId }, { "idempotency-key": "k".repeat(300) }), 400, "INVALID_HEADERS");
    expect(message).toMatch(/^Idempotency-Key: /);
    // Nothing was removed.
    expectSuccess(await post("/auth/getByCustomer", { customer: d.customerId }));
  });
});

describe("form-encoded bodies", () => {
  it("work like JSON: numbers and booleans by the schema, NUBANs keep their leading zero", async () => {
    expect(expectSuccess(await form("/balance/getByType", "type=available_balance&value=25000000")).balance.map((b: any) => b.id)).toEqual([d.balanceId]);
    expect(expectSuccess(await form("/balance/getById", `id=${d.balanceId}&includePeriodic=false`)).balance[0]).not.toHaveProperty("periodic");
    expect(expectSuccess(await form("/transactions/getByCustomer", `customer=${d.customerId}&page=2&limit=1`)).pagination).toMatchObject({ page: 2, limit: 1 });
    expect(expectSuccess(await form("/accounts/getByBalance", "balance=25000000")).accounts.map((a: any) => a.id)).toEqual([d.accountId]);
    const { message } = expectError(await form("/transactions/getByNuban", "nuban=0000000001"), 404, "NOT_FOUND");
    expect(message).toMatch(/account/);
    expect(expectSuccess(await form("/customers/flag", `customer=${d.customerId}&bank=${GTBANK}`)).customer.flagged_banks).toEqual([GTBANK]);
    expect(expectSuccess(await form("/customers/unflag", `customer=${d.customerId}&bank=${GTBANK}&unflag=true`)).customer.flagged_banks).toEqual([]);
  });
});

describe("hostile bodies", () => {
  const hostile: unknown[] = [
    {},
    { id: null, customer: null, account: null, account_id: null, bank: null },
    { id: [d?.authId], customer: { $ne: null }, account: ["x"], account_id: 1, bank: true },
    { customer: "' OR 1=1 --", nuban: "'; DROP TABLE accounts; --", bvn: "0".repeat(400), record_id: "\u0000" },
    { from: "9999-99-99", to: "0000-00-00", type: [], value: 1e308, balance: {}, name: "%_\\" },
    { page: 1e308, limit: "9".repeat(400), key: "__proto__", value: "x" },
    { page: -0, limit: 1.5, includePeriodic: "yes", unflag: "no", pdf: { a: 1 } },
    { initial: "f".repeat(24), final: "F".repeat(24), customer_id: "", from: "2026-01-01T00:00:00+25:00" },
  ];

  it("never answer 500 on any account-data route", async () => {
    const failures: string[] = [];
    for (const c of accountDataCases()) {
      for (const payload of hostile) {
        const res = await post(c.path, payload);
        if (res.statusCode >= 500) failures.push(`${c.path} ${JSON.stringify(payload)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400) expectError(res, res.statusCode, res.json().error);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
