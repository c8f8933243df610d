import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { InjectOptions } from "fastify";
// okra-node 0.2.0 is Okra's official Node SDK; it is driven unmodified, only its base URL points here.
// @ts-expect-error okra-node ships no type declarations
import { Sandbox } from "okra-node/src/okra-client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCompany } from "../../src/platform/companies.js";
import { expectError, expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";

/**
 * The sandbox customer API (Okra's `/v2/sandbox/customers/*`) and Okro's sandbox admin API
 * (banks, faults, clock), through the real app and the real sandbox engine.
 */

const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const FIRST_BANK = "5d6fe57a4099cc4b210bbeb5";
/** A well-formed id that is not a bank of the directory. */
const NOT_A_BANK = "0123456789abcdef01234567";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const uname = (prefix = "dev") => `${prefix}_${randomUUID().slice(0, 8)}`;

function send(url: string, key: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const options: InjectOptions = { method: "POST", url, headers: { ...bearer(key), ...headers } };
  if (payload !== undefined) options.payload = payload as InjectOptions["payload"];
  return h.request(options) as Promise<Answer>;
}

/** A fresh company: its own sandbox world. */
async function world() {
  const tenant = await h.newTenant(`Sandbox API ${randomUUID().slice(0, 6)}`);
  const key = tenant.sandbox.secret_key;
  return {
    tenant,
    key,
    post: (path: string, payload?: unknown, headers?: Record<string, string>) => send(`/v2/sandbox${path}`, key, payload, headers),
    /** The customers this company created (they come first in the list, newest first). */
    async created(): Promise<Array<{ id: string; username: string; builtin: boolean }>> {
      const data = expectSuccess(await send("/v2/sandbox/customers/list", key, { page: 1, limit: 100 }));
      return data.customers.filter((c: { builtin: boolean }) => !c.builtin);
    },
    async total(): Promise<number> {
      return expectSuccess(await send("/v2/sandbox/customers/list", key, { page: 1, limit: 1 })).pagination.totalDocs;
    },
  };
}

describe("POST /v2/sandbox/customers/create", () => {
  it("creates customers posted as an array (Okra's form), with defaults for what is left out", async () => {
    const w = await world();
    const first = uname();
    const data = expectSuccess(
      await w.post("/customers/create", [
        { bank: GTBANK, username: first, password: "secret_1", name: "Ada Obi", noOfAccount: 3, volume: "high", balance: 5_000_000 },
        { bank: FIRST_BANK, username: uname(), password: "secret_2" },
      ]),
    );
    expect(data.customers).toHaveLength(2);
    const [ada, other] = data.customers;
    expect(ada).toMatchObject({
      builtin: false,
      bank: GTBANK,
      bank_name: expect.stringMatching(/Guaranty Trust/),
      username: first,
      name: "Ada Obi",
      type: "ind",
      volume: "high",
      identity: 100,
      internetSpeed: 4,
      noOfAccount: 3,
      env: "sandbox",
    });
    expect(ada._id).toBe(ada.id);
    expect(ada.id).toMatch(/^[0-9a-f]{24}$/);
    expect(ada).not.toHaveProperty("password");
    expect(ada.accounts).toHaveLength(3);
    for (const account of ada.accounts) {
      expect(account.nuban).toMatch(/^\d{10}$/);
      expect(Number.isInteger(account.balance)).toBe(true);
      expect(typeof account.opened_at).toBe("string");
    }
    expect(ada.bvn).toMatch(/^\d{11}$/);
    expect(ada.identity_details).toMatchObject({ kind: "individual", fullname: "Ada Obi", bvn: ada.bvn });
    expect(other).toMatchObject({ bank: FIRST_BANK, noOfAccount: 1, type: "ind", volume: "medium" });
    expect(other.accounts).toHaveLength(1);
    expect((await w.created()).map((c) => c.username).sort()).toEqual([first, other.username].sort());
  });

  it("creates one customer posted as an object, every Okra key present (okra-node's createCustomer), an empty name made up", async () => {
    const w = await world();
    const username = uname();
    const data = expectSuccess(
      await w.post("/customers/create", {
        noOfAccount: 2,
        name: "",
        bank: GTBANK,
        username,
        password: "pass_one",
        type: "corp",
        volume: "low",
        identity: 50,
        internetSpeed: 2,
      }),
    );
    expect(data.customers).toHaveLength(1);
    expect(data.customers[0]).toMatchObject({ username, type: "corp", volume: "low", identity: 50, internetSpeed: 2, noOfAccount: 2 });
    expect(data.customers[0].name.length).toBeGreaterThan(1);
    expect(data.customers[0].identity_details.kind).toBe("corporate");
  });

  it("creates customers posted as {customers: [...]}, and from a form body", async () => {
    const w = await world();
    const wrapped = expectSuccess(await w.post("/customers/create", { customers: [{ bank: GTBANK, username: uname(), password: "pw" }] }));
    expect(wrapped.customers).toHaveLength(1);

    const username = uname();
    const form = [
      `customers[0][bank]=${GTBANK}`,
      `customers[0][username]=${username}`,
      "customers[0][password]=pw",
      "customers[0][noOfAccount]=2",
      "customers[0][income][kind]=salary",
      "customers[0][income][amount]=25000000",
      "customers[0][income][payday]=25",
    ].join("&");
    const data = expectSuccess(await w.post("/customers/create", form, { "content-type": "application/x-www-form-urlencoded" }));
    expect(data.customers[0]).toMatchObject({ username, noOfAccount: 2, income: { kind: "salary", amount: 25_000_000, payday: 25 } });
    expect(data.customers[0].accounts).toHaveLength(2);
  });

  it("refuses a username already taken at that bank (case-insensitive) with 409 naming the item, creating none of the batch", async () => {
    const w = await world();
    const taken = uname();
    expectSuccess(await w.post("/customers/create", [{ bank: GTBANK, username: taken, password: "pw" }]));
    const before = await w.total();
    const fresh = uname();
    const conflict = expectError(
      await w.post("/customers/create", [
        { bank: GTBANK, username: fresh, password: "pw" },
        { bank: GTBANK, username: taken.toUpperCase(), password: "pw" },
      ]),
      409,
      "CONFLICT",
    );
    expect(conflict.message).toMatch(/^customers\[1\]\.username: /);
    expect(await w.total()).toBe(before);
    // A single object's error names its bare field.
    const single = expectError(await w.post("/customers/create", { bank: GTBANK, username: taken, password: "pw" }), 409, "CONFLICT");
    expect(single.message).toMatch(/^username: /);
    // The same username at another bank is someone else.
    expectSuccess(await w.post("/customers/create", [{ bank: FIRST_BANK, username: taken, password: "pw" }]));
  });

  it("refuses bad input with 400 naming the field, and creates nothing", async () => {
    const w = await world();
    const before = await w.total();
    const good = () => ({ bank: GTBANK, username: uname(), password: "pw" });
    const cases: Array<[body: unknown, field: RegExp]> = [
      [[good(), { ...good(), noOfAccount: 0 }], /^customers\[1\]\.noOfAccount: /],
      [[{ ...good(), noOfAccount: 6 }], /^customers\[0\]\.noOfAccount: /],
      [[{ ...good(), identity: 101 }], /^customers\[0\]\.identity: /],
      [[{ ...good(), internetSpeed: 5 }], /^customers\[0\]\.internetSpeed: /],
      [[{ ...good(), type: "x" }], /^customers\[0\]\.type: /],
      [[{ ...good(), volume: "extreme" }], /^customers\[0\]\.volume: /],
      [[{ ...good(), bank: NOT_A_BANK }], /^customers\[0\]\.bank: not a sandbox bank/],
      [[{ ...good(), bank: "gtbank" }], /^customers\[0\]\.bank: /],
      [[{ ...good(), balance: -1 }], /^customers\[0\]\.balance: /],
      [[{ ...good(), balance: 100.5 }], /^customers\[0\]\.balance: /],
      [[{ ...good(), income: { kind: "salary", amount: -5 } }], /^customers\[0\]\.income\.amount: /],
      [[{ ...good(), income: { kind: "salary", amount: 1.25 } }], /^customers\[0\]\.income\.amount: /],
      [[{ ...good(), income: { kind: "salary", payday: 32 } }], /^customers\[0\]\.income\.payday: /],
      [[good(), { bank: GTBANK, password: "pw" }], /^customers\[1\]\.username: is required/],
      [[{ ...good(), username: "has space" }], /^customers\[0\]\.username: /],
      [[{ ...good(), surname: "x" }], /^customers\[0\]\.surname: unknown field/],
      [{ customers: [good(), { ...good(), identity: 0 }] }, /^customers\[1\]\.identity: /],
      [{ ...good(), noOfAccount: 6 }, /^noOfAccount: /],
      [{ bank: GTBANK, password: "pw" }, /^username: is required/],
      [Array.from({ length: 51 }, good), /^customers: at most 50/],
      [[], /^customers: /],
    ];
    for (const [body, field] of cases) {
      const res = await w.post("/customers/create", body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 200)).toBe(400);
      const { message } = expectError(res, 400, res.json().error);
      expect(message, JSON.stringify(body).slice(0, 200)).toMatch(field);
    }
    expect(await w.total()).toBe(before);
    expect(await w.created()).toEqual([]);
  });

  it("refuses income and amounts the bank could not honour with 400 naming the field (never a 500), and creates nothing", async () => {
    const w = await world();
    const before = await w.total();
    const good = () => ({ bank: GTBANK, username: uname(), password: "pw" });
    const cases: Array<[body: unknown, message: RegExp]> = [
      [{ ...good(), income: { kind: "salary", amount: 0 } }, /^income\.amount: must be greater than zero/],
      [{ ...good(), income: { kind: "none", amount: 0 } }, /^income\.amount: must be left out when kind is "none"/],
      [{ ...good(), income: { kind: "none", amount: 5_000_000 } }, /^income\.amount: must be left out when kind is "none"/],
      [{ ...good(), income: { kind: "none", payday: 25 } }, /^income\.payday: is only for kind "salary"/],
      [{ ...good(), income: { kind: "business", payday: 25 } }, /^income\.payday: is only for kind "salary"/],
      [[good(), { ...good(), income: { kind: "irregular", amount: 0 } }], /^customers\[1\]\.income\.amount: /],
      // Beyond Okro's kobo range (10^15, ₦10 trillion), up to and past 2^53.
      [{ ...good(), income: { kind: "salary", amount: Number.MAX_SAFE_INTEGER } }, /^income\.amount: must be at most 1000000000000000 kobo/],
      [{ ...good(), income: { kind: "salary", amount: 10 ** 15 + 1 } }, /^income\.amount: must be at most 1000000000000000 kobo/],
      [{ ...good(), balance: Number.MAX_SAFE_INTEGER }, /^balance: must be at most 1000000000000000 kobo/],
      [{ ...good(), balance: 2 ** 60 }, /^balance: must be at most/],
    ];
    for (const [body, message] of cases) {
      const res = await w.post("/customers/create", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(expectError(res, 400, "INVALID_FIELD").message, JSON.stringify(body)).toMatch(message);
    }
    expect(await w.total()).toBe(before);
  });

  it("keeps a customer opened at the top of the range within it: salary history never pushes a balance past 10^15 kobo", async () => {
    const w = await world();
    const username = uname("rich");
    const created = expectSuccess(
      await w.post("/customers/create", {
        bank: GTBANK,
        username,
        password: "pw",
        noOfAccount: 2,
        volume: "high",
        balance: 10 ** 15,
        income: { kind: "salary", amount: 10 ** 15, payday: 1 },
      }),
    );
    const [customer] = created.customers;
    const inRange = (c: { accounts: Array<{ balance: number }> }) => {
      for (const a of c.accounts) {
        expect(Number.isSafeInteger(a.balance)).toBe(true);
        expect(a.balance).toBeGreaterThanOrEqual(0);
        expect(a.balance).toBeLessThanOrEqual(10 ** 15);
      }
    };
    inRange(customer);
    // A year later (two advances) every page that shows it still answers.
    for (let i = 0; i < 2; i++) expectSuccess(await w.post("/clock/advance", { ms: 180 * 86_400_000 }));
    inRange(expectSuccess(await w.post("/customers/get", { customer: customer.id })).customer);
    const listed = expectSuccess(await w.post("/customers/list", { page: 1, limit: 100 })).customers.find((c: { username: string }) => c.username === username);
    inRange(listed);
  });

  it("replays an Idempotency-Key's response without creating twice, and refuses the key for another request", async () => {
    const w = await world();
    const key = randomUUID();
    const body = [{ bank: GTBANK, username: uname(), password: "pw" }];
    const first = await w.post("/customers/create", body, { "idempotency-key": key });
    expectSuccess(first);
    const again = await w.post("/customers/create", body, { "idempotency-key": key });
    expectSuccess(again);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    // Also when the duplicates race each other.
    const raced = await Promise.all([1, 2].map(() => w.post("/customers/create", body, { "idempotency-key": key })));
    for (const res of raced) expect(res.body).toBe(first.body);
    expect(await w.created()).toHaveLength(1);

    const other = [{ bank: GTBANK, username: uname(), password: "pw" }];
    expectError(await w.post("/customers/create", other, { "idempotency-key": key }), 409, "IDEMPOTENCY_KEY_REUSED");
    expect(await w.created()).toHaveLength(1);
  });

  it("runs duplicates that arrive together once: the other waits for the first's answer (409 in progress, then a replay)", async () => {
    const w = await world();
    const key = randomUUID();
    const body = [{ bank: GTBANK, username: uname(), password: "pw" }];
    const raced = await Promise.all([1, 2, 3].map(() => w.post("/customers/create", body, { "idempotency-key": key })));
    const succeeded = raced.filter((r) => r.statusCode === 200);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    for (const res of raced.filter((r) => r.statusCode !== 200)) {
      expect(expectError(res, 409, "CONFLICT").message).toMatch(/^Idempotency-Key: .*in progress/);
    }
    expect(new Set(succeeded.map((r) => r.body)).size).toBe(1);
    expect(await w.created()).toHaveLength(1);
    const later = await w.post("/customers/create", body, { "idempotency-key": key });
    expect(later.headers["idempotent-replayed"]).toBe("true");
    expect(later.body).toBe(succeeded[0]!.body);
  });
});

describe("POST /v2/sandbox/customers/list and /get", () => {
  it("lists the customers you created first (newest first), then the built-in ones, page by page", async () => {
    const w = await world();
    const builtins = await w.total();
    expect(builtins).toBeGreaterThan(0);
    const names = [uname("a"), uname("b"), uname("c")];
    for (const username of names) {
      expectSuccess(await w.post("/customers/create", [{ bank: GTBANK, username, password: "pw" }]));
      // Distinct creation times (the harness's clock stands still): "newest first" is then one order.
      expectSuccess(await w.post("/clock/advance", { ms: 1000 }));
    }

    const page1 = expectSuccess(await w.post("/customers/list", { page: 1, limit: 2 }));
    expect(page1.customers.map((c: { username: string }) => c.username)).toEqual([names[2], names[1]]);
    expect(page1.pagination).toMatchObject({ totalDocs: builtins + 3, limit: 2, page: 1, hasNextPage: true, nextPage: 2, hasPrevPage: false, prevPage: null });
    const page2 = expectSuccess(await w.post("/customers/list", { page: 2, limit: 2 }));
    expect(page2.customers[0]).toMatchObject({ username: names[0], builtin: false });
    expect(page2.customers[1].builtin).toBe(true);
    expect(page2.pagination).toMatchObject({ page: 2, hasPrevPage: true, prevPage: 1 });
    // Without page/limit: page 1 of 20. A limit out of range names the field.
    expect(expectSuccess(await w.post("/customers/list", {})).customers).toHaveLength(20);
    expect(expectError(await w.post("/customers/list", { limit: 101 }), 400, "INVALID_FIELD").message).toMatch(/^limit: /);
  });

  it("shows built-in customers with their passwords (public fixtures)", async () => {
    const w = await world();
    const list = expectSuccess(await w.post("/customers/list", { page: 1, limit: 10 }));
    const builtin = list.customers.find((c: { builtin: boolean }) => c.builtin);
    expect(builtin.password).toEqual(expect.any(String));
    expect(expectSuccess(await w.post("/customers/get", { customer: builtin.id })).customer).toEqual(builtin);
  });

  it("gets one customer by id; another company's key gets 404 and does not see it in its list", async () => {
    const owner = await world();
    const username = uname();
    const [made] = expectSuccess(await owner.post("/customers/create", [{ bank: GTBANK, username, password: "pw" }])).customers;
    const got = expectSuccess(await owner.post("/customers/get", { customer: made.id }));
    expect(got.customer).toEqual(made);

    const stranger = await world();
    expectError(await stranger.post("/customers/get", { customer: made.id }), 404, "NOT_FOUND");
    expect(await stranger.created()).toEqual([]);
    expect(await stranger.total()).toBe((await owner.total()) - 1);
    expectError(await owner.post("/customers/get", { customer: "0123456789abcdef01234567" }), 404, "NOT_FOUND");
    expect(expectError(await owner.post("/customers/get", { customer: "nope" }), 400, "INVALID_FIELD").message).toMatch(/^customer: /);
    expect(expectError(await owner.post("/customers/get", {}), 400, "MISSING_FIELDS").message).toMatch(/^customer: is required/);
  });
});

describe("POST /v2/sandbox/customers/generate", () => {
  it("with create false answers inputs for review (passwords included) and creates nothing; posting data back creates them", async () => {
    const w = await world();
    const before = await w.total();
    const data = expectSuccess(await w.post("/customers/generate", { number: 3 }));
    expect(data.customers).toHaveLength(3);
    for (const c of data.customers) {
      expect(c).toMatchObject({ bank: expect.stringMatching(/^[0-9a-f]{24}$/), username: expect.any(String), password: expect.any(String) });
      expect(c).not.toHaveProperty("id");
    }
    expect(await w.total()).toBe(before);

    const created = expectSuccess(await w.post("/customers/create", data));
    expect(created.customers.map((c: { username: string }) => c.username)).toEqual(data.customers.map((c: { username: string }) => c.username));
    expect(await w.total()).toBe(before + 3);
  });

  it("with create true creates them and shows their passwords once; a replay omits them", async () => {
    const w = await world();
    const before = await w.total();
    const key = randomUUID();
    const first = await w.post("/customers/generate", { number: 2, create: true }, { "idempotency-key": key });
    const data = expectSuccess(first);
    expect(data.customers).toHaveLength(2);
    for (const c of data.customers) expect(c).toMatchObject({ builtin: false, password: expect.any(String), id: expect.any(String) });
    expect(await w.total()).toBe(before + 2);

    const replay = await w.post("/customers/generate", { number: 2, create: true }, { "idempotency-key": key });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const replayed = expectSuccess(replay);
    expect(replayed.customers.map((c: { id: string }) => c.id)).toEqual(data.customers.map((c: { id: string }) => c.id));
    for (const c of replayed.customers) expect(c).not.toHaveProperty("password");
    expect(await w.total()).toBe(before + 2);
  });

  it("refuses a number outside 1–10", async () => {
    const w = await world();
    for (const number of [0, 11, 2.5, "three"]) {
      const { message } = expectError(await w.post("/customers/generate", { number }), 400, "INVALID_FIELD");
      expect(message).toMatch(/^number: /);
    }
  });
});

describe("sandbox keys only", () => {
  it("answers a production key with 403 SANDBOX_ONLY on /v2, and creates nothing", async () => {
    const w = await world();
    const before = await w.total();
    const production = w.tenant.production.secret_key;
    for (const [path, body] of [
      ["/v2/sandbox/customers/create", [{ bank: GTBANK, username: uname(), password: "pw" }]],
      ["/v2/sandbox/customers/list", {}],
      ["/v2/sandbox/banks", {}],
      ["/v2/sandbox/faults/set", { bank: GTBANK, settings: { down: true } }],
      ["/v2/sandbox/clock/advance", { ms: 1000 }],
      ["/sandbox/v2/sandbox/clock/get", {}],
    ] as const) {
      const { message } = expectError(await send(path, production, body), 403, "SANDBOX_ONLY");
      expect(message).toMatch(/sandbox secret key/);
    }
    expect(await w.total()).toBe(before);
  });
});

describe("Okro's sandbox admin API", () => {
  it("lists every sandbox bank with its habits, by GET and POST", async () => {
    const w = await world();
    const data = expectSuccess(await w.post("/banks", {}));
    expect(data.banks.length).toBeGreaterThanOrEqual(25);
    const first = data.banks.find((b: { bank_id: string }) => b.bank_id === FIRST_BANK);
    expect(first).toMatchObject({ slug: "first-bank-of-nigeria", login_methods: expect.any(Array), daily_limit: { individual: expect.any(Number) } });
    expect(first.base_latency_ms).toBeGreaterThan(0);
    const union = data.banks.find((b: { slug: string }) => b.slug === "union-bank-of-nigeria");
    expect(union.maintenance).toMatchObject({ from: "01:00", to: "02:00" });
    const get = await h.request({ method: "GET", url: "/v2/sandbox/banks", headers: bearer(w.key) });
    expect(expectSuccess(get as Answer)).toEqual(data);
  });

  it("sets, gets and clears a bank's faults", async () => {
    const w = await world();
    const settings = {
      latencyMs: 250,
      errorRate: 0.5,
      pendingRate: 1,
      pendingMs: 120_000,
      rateLimitPerMinute: 30,
      downtime: [{ from: "2030-01-01T00:00:00Z", to: "2030-01-01T01:00:00Z" }],
      operations: ["debit", "credit"],
    };
    const set = expectSuccess(await w.post("/faults/set", { bank: GTBANK, settings }));
    expect(set.faults).toMatchObject({ bank: GTBANK, bank_name: expect.stringMatching(/Guaranty/), settings });
    expectSuccess(await w.post("/faults/set", { bank: FIRST_BANK, settings: { down: true } }));

    const all = expectSuccess(await w.post("/faults/get", {}));
    expect(all.faults.map((f: { bank: string }) => f.bank).sort()).toEqual([GTBANK, FIRST_BANK].sort());
    const one = expectSuccess(await w.post("/faults/get", { bank: GTBANK }));
    expect(one.faults).toEqual([set.faults]);
    // Another company's sandbox has no faults.
    expect(expectSuccess(await (await world()).post("/faults/get", {})).faults).toEqual([]);

    expect(expectSuccess(await w.post("/faults/clear", { bank: GTBANK })).faults.map((f: { bank: string }) => f.bank)).toEqual([FIRST_BANK]);
    expect(expectSuccess(await w.post("/faults/clear", {})).faults).toEqual([]);
    expect(expectSuccess(await w.post("/faults/get", {})).faults).toEqual([]);
  });

  it("refuses fault settings out of range, naming the field", async () => {
    const w = await world();
    const cases: Array<[body: unknown, field: RegExp]> = [
      [{ bank: GTBANK, settings: { errorRate: 1.5 } }, /^settings\.errorRate: /],
      [{ bank: GTBANK, settings: { timeoutRate: -0.1 } }, /^settings\.timeoutRate: /],
      [{ bank: GTBANK, settings: { latencyMs: 86_400_001 } }, /^settings\.latencyMs: /],
      [{ bank: GTBANK, settings: { latencyMs: 10.5 } }, /^settings\.latencyMs: /],
      [{ bank: GTBANK, settings: { pendingMs: 366 * 86_400_000 } }, /^settings\.pendingMs: /],
      [{ bank: GTBANK, settings: { mandateActivationDelayMs: -1 } }, /^settings\.mandateActivationDelayMs: /],
      [{ bank: GTBANK, settings: { downtime: [{ from: "2030-01-01T02:00:00Z", to: "2030-01-01T01:00:00Z" }] } }, /^settings\.downtime\.0\.to: /],
      [{ bank: GTBANK, settings: { downtime: [{ from: "tomorrow", to: "2030-01-01T01:00:00Z" }] } }, /^settings\.downtime\.0\.from: /],
      [{ bank: GTBANK, settings: { operations: ["teleport"] } }, /^settings\.operations\.0: /],
      [{ bank: GTBANK, settings: { chaos: true } }, /^settings\.chaos: unknown field/],
      [{ bank: NOT_A_BANK, settings: {} }, /^bank: not a sandbox bank/],
      [{ settings: {} }, /^bank: is required/],
    ];
    for (const [body, field] of cases) {
      const res = await w.post("/faults/set", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(expectError(res, 400, res.json().error).message, JSON.stringify(body)).toMatch(field);
    }
    expect(expectSuccess(await w.post("/faults/get", {})).faults).toEqual([]);
    expect(expectError(await w.post("/faults/clear", { bank: NOT_A_BANK }), 400, "INVALID_FIELD").message).toMatch(/^bank: /);
  });

  it("advances the clock by ms or to an instant, only forward, and only for this company", async () => {
    const w = await world();
    const start = expectSuccess(await w.post("/clock/get", {})).clock;
    expect(start.offset_ms).toBe(0);

    const hour = 3_600_000;
    const advanced = expectSuccess(await w.post("/clock/advance", { ms: hour })).clock;
    expect(advanced.offset_ms).toBe(hour);
    expect(Date.parse(advanced.now) - Date.parse(start.now)).toBeGreaterThanOrEqual(hour);

    const target = new Date(Date.parse(advanced.now) + 2 * 86_400_000).toISOString();
    const at = expectSuccess(await w.post("/clock/advance", { to: target })).clock;
    expect(Date.parse(at.now)).toBeGreaterThanOrEqual(Date.parse(target));
    expect(Date.parse(at.now) - Date.parse(target)).toBeLessThan(60_000);

    for (const [body, field] of [
      [{ ms: 0 }, /^ms: /],
      [{ ms: -5 }, /^ms: /],
      [{ ms: 1.5 }, /^ms: /],
      [{ ms: 367 * 86_400_000 }, /^ms: /],
      [{}, /^ms: send either ms or to/],
      [{ ms: 1000, to: target }, /^to: send either ms or to/],
      [{ to: start.now }, /^to: must be after/],
      [{ to: "next week" }, /^to: /],
    ] as const) {
      expect(expectError(await w.post("/clock/advance", body), 400, "INVALID_FIELD").message, JSON.stringify(body)).toMatch(field);
    }
    expect(expectSuccess(await w.post("/clock/get", {})).clock.offset_ms).toBe(at.offset_ms);
    expect(expectSuccess(await (await world()).post("/clock/get", {})).clock.offset_ms).toBe(0);
  });

  it("does not advance the clock twice for a replayed Idempotency-Key", async () => {
    const w = await world();
    const key = randomUUID();
    const first = await w.post("/clock/advance", { ms: 60_000 }, { "idempotency-key": key });
    const again = await w.post("/clock/advance", { ms: 60_000 }, { "idempotency-key": key });
    expect(again.body).toBe(first.body);
    expect(expectSuccess(await w.post("/clock/get", {})).clock.offset_ms).toBe(60_000);
  });
});

/** What the tests use of okra-node's `Sandbox` client (it resolves to the response's `data`). */
interface SdkSandbox {
  createCustomer(options: object): Promise<any>;
  getCustomers(options?: object): Promise<any>;
  generateCustomers(options?: object): Promise<any>;
}

describe("okra-node 0.2.0's Sandbox client against Okro", () => {
  let base: string;
  let tenant: NewCompany;
  let sdk: SdkSandbox;

  beforeAll(async () => {
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    tenant = await h.newTenant("SDK Sandbox Co");
    const client = new Sandbox(tenant.sandbox.secret_key, "sandbox");
    client.apiBaseUrl = `${base}/v2/sandbox/`;
    sdk = client as SdkSandbox;
  });

  it("creates a customer, lists customers page by page, and gets one", async () => {
    const username = uname("sdk");
    const created = await sdk.createCustomer({
      noOfAccount: 2,
      name: "Chidi Okafor",
      bank: GTBANK,
      username,
      password: "sdk_pass",
      type: "ind",
      volume: "medium",
      identity: 100,
      internetSpeed: 3,
    });
    expect(created.customers).toHaveLength(1);
    expect(created.customers[0]).toMatchObject({ username, name: "Chidi Okafor", noOfAccount: 2 });

    // The SDK's own defaults: page 1, limit 1, with nextPage().
    const page1 = await sdk.getCustomers();
    expect(page1.customers).toHaveLength(1);
    expect(page1.customers[0].username).toBe(username);
    expect(page1.pagination.hasNextPage).toBe(true);
    const page2 = await page1.nextPage();
    expect(page2.customers).toHaveLength(1);
    expect(page2.customers[0].builtin).toBe(true);

    const one = await sdk.getCustomers({ customer: created.customers[0].id });
    expect(one.customer).toEqual(created.customers[0]);
  });

  it("generates customers for review", async () => {
    const generated = await sdk.generateCustomers({ number: 2 });
    expect(generated.customers).toHaveLength(2);
    expect(generated.customers[0].password).toEqual(expect.any(String));
  });

  it("reports a taken username the way the SDK reports Okra's errors", async () => {
    const username = uname("sdk");
    const customer = { noOfAccount: 1, name: "", bank: GTBANK, username, password: "pw", type: "ind", volume: "low", identity: 100, internetSpeed: 4 };
    await sdk.createCustomer({ ...customer });
    await expect(sdk.createCustomer({ ...customer })).rejects.toMatchObject({
      http_error_code: 409,
      error_payload: { status: "error", error: "CONFLICT", message: expect.stringMatching(/^username: /) },
    });
  });
});
