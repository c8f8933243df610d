import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { sha256Hex } from "../../src/lib/secrets.js";
import type { NewCompany } from "../../src/platform/companies.js";
import type { ConnectResponse, CreateSessionResponse, LoginResponse } from "../../src/widget/protocol.js";
import { ConnectorError } from "../../src/banks/connector.js";
import { widgetBankError } from "../../src/widget/errors.js";
import { MAX_LOGINS_PER_SESSION } from "../../src/widget/session.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget's login → MFA → accounts → connect flows against the sandbox bank network, with the
 * magic credentials of DESIGN.md §4.4, through the widget session API (protocol.ts).
 *
 * The API is mounted the way buildWidgetApp mounts it, without the widget's static assets.
 */

const GTBANK = "5d6fe57a4099cc4b210bbeb3";
const ECOBANK = "5d6fe57a4099cc4b210bbeb1";
const CITIBANK = "5d6fe57a4099cc4b210bbec1";
const KUDA = "5d6fe57a4099cc4b210bbeb7";
const ZENITH = "5d6fe57a4099cc4b210bbec0";

let h: Harness;
let widget: FastifyInstance;
beforeAll(async () => {
  h = await createHarness();
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

/** One widget opening, as the browser app drives it. */
class Widget {
  constructor(
    readonly app: FastifyInstance,
    readonly s: CreateSessionResponse,
  ) {}
  static async open(app: FastifyInstance, t: NewCompany, extra: Record<string, unknown> = {}): Promise<Widget> {
    const res = await app.inject({
      method: "POST",
      url: "/api/sessions",
      payload: { key: t.sandbox.public_key, token: t.sandbox.token, env: "production-sandbox", products: ["auth", "balance", "identity"], ...extra },
    });
    return new Widget(app, expectSuccess<CreateSessionResponse>(res));
  }
  post(url: string, payload: unknown) {
    return this.app.inject({ method: "POST", url, headers: { authorization: `Bearer ${this.s.session_token}` }, payload: payload as object });
  }
  login(identifier: string, secret = "pass_good", bank_id = GTBANK, extra: Record<string, unknown> = {}) {
    return this.post("/api/login", { bank_id, method: "internet_banking", identifier, secret, ...extra });
  }
  mfa(answer: string) {
    return this.post("/api/mfa", { answer });
  }
  connect(account_ids: string[]) {
    return this.post("/api/connect", { account_ids, consent: true });
  }
  async row() {
    const token = this.s.session_token;
    return h.ctx.db.selectFrom("widget_sessions").selectAll().where("token_hash", "=", sha256Hex(token)).executeTakeFirstOrThrow();
  }
}

const accountsOf = (res: Awaited<ReturnType<Widget["login"]>>) => {
  const data = expectSuccess<LoginResponse>(res);
  if (data.step !== "accounts") throw new Error(`expected the accounts step, got ${JSON.stringify(data)}`);
  return data;
};
const challengeOf = (res: Awaited<ReturnType<Widget["login"]>>) => {
  const data = expectSuccess<LoginResponse>(res);
  if (data.step !== "mfa") throw new Error(`expected the mfa step, got ${JSON.stringify(data)}`);
  return data.challenge;
};

describe("logging in", () => {
  it("okro_good logs straight in and lists the bank's accounts", async () => {
    const w = await Widget.open(widget, await h.newTenant("Good Co"));
    const step = accountsOf(await w.login("okro_good"));
    expect(step.accounts.length).toBe(2);
    for (const a of step.accounts) {
      expect(a).toMatchObject({ nuban: expect.stringMatching(/^\d{10}$/), currency: "NGN", preselected: false });
    }
    expect(step.notice).toBeNull();
    expect((await w.row()).step).toBe("accounts");
  });

  it("okro_otp is asked for an SMS OTP and gets in with 123456", async () => {
    const w = await Widget.open(widget, await h.newTenant("OTP Co"));
    const challenge = challengeOf(await w.login("okro_otp"));
    expect(challenge).toMatchObject({ kind: "sms_otp", question: null, attempts_left: 5, prompt: expect.stringMatching(/OTP/) });
    expect(Date.parse(challenge.expires_at)).toBeGreaterThan(h.clock.now().getTime());
    const answered = accountsOf(await w.mfa("123456"));
    expect(answered.accounts.length).toBe(1);
    // The reply was lost and "Try again" sends the code again: the same accounts, not an error.
    expect(accountsOf(await w.mfa("123456"))).toEqual(answered);
  });

  it("okro_question is asked a security question and gets in with okro", async () => {
    const w = await Widget.open(widget, await h.newTenant("Question Co"));
    const challenge = challengeOf(await w.login("okro_question", "pass_good", ECOBANK));
    expect(challenge.kind).toBe("security_question");
    expect(challenge.question).toEqual(expect.any(String));
    expect(accountsOf(await w.mfa(" OKRO ")).accounts.length).toBe(1);
  });

  it("okro_corp logs in at a corporate, hardware-token bank; okro_otp there meets the token", async () => {
    const t = await h.newTenant("Corporate Co");
    const corp = await Widget.open(widget, t, { isCorporate: true });
    const step = accountsOf(await corp.login("okro_corp", "pass_good", CITIBANK));
    expect(step.accounts.length).toBe(2);
    const token = await Widget.open(widget, t, { isCorporate: true });
    expect(challengeOf(await token.login("okro_otp", "pass_good", CITIBANK)).kind).toBe("hardware_token");
  });

  it("a wrong password shows the attempts left; okro_locked is locked", async () => {
    const t = await h.newTenant("Wrong Password Co");
    const w = await Widget.open(widget, t);
    const wrong = expectError(await w.login("okro_good", "pass_bad"), 422, "UNPROCESSABLE");
    expect(wrong.data).toMatchObject({ reason: "invalid_credentials", attempts_left: 4 });
    expect(wrong.message).toMatch(/4 tries left/);
    expect(expectError(await w.login("okro_good", "pass_bad"), 422, "UNPROCESSABLE").data.attempts_left).toBe(3);
    // The right password still works in the same session.
    accountsOf(await w.login("okro_good"));

    const locked = expectError(await (await Widget.open(widget, t)).login("okro_locked"), 422, "UNPROCESSABLE");
    expect(locked.data.reason).toBe("locked");
  });

  it("a wrong OTP shows the attempts left, then the login is locked and must start again", async () => {
    const w = await Widget.open(widget, await h.newTenant("Wrong OTP Co"));
    challengeOf(await w.login("okro_otp"));
    for (const left of [4, 3, 2, 1]) {
      const err = expectError(await w.mfa("000000"), 422, "UNPROCESSABLE");
      expect(err.data).toMatchObject({ reason: "invalid_otp", attempts_left: left });
      expect(((await w.row()).challenge as { attempts_left: number }).attempts_left).toBe(left);
    }
    expect(expectError(await w.mfa("000000"), 422, "UNPROCESSABLE").data.reason).toBe("locked");
    const row = await w.row();
    expect(row).toMatchObject({ step: "start", bank_session_sealed: null, credentials_sealed: null });
    // No challenge waits any more: a conflict, not a bank call.
    expectError(await w.mfa("123456"), 409, "CONFLICT");
  });

  it("an OTP answered after more than 5 minutes has expired", async () => {
    const clock = new ManualClock(new Date("2025-04-07T09:00:00Z"));
    const th = await createHarness({ clock });
    const w2 = await buildWidgetApi(th.ctx);
    try {
      const w = await Widget.open(w2, await th.newTenant("Slow Typist Co"));
      challengeOf(await w.login("okro_otp"));
      clock.advance(5 * 60_000 + 1000);
      const err = expectError(await w.mfa("123456"), 422, "UNPROCESSABLE");
      expect(err.data.reason).toBe("mfa_expired");
      expect(err.message).toMatch(/log in to Guaranty Trust Bank again/);
      // Back to the start: a fresh login works.
      challengeOf(await w.login("okro_otp"));
      accountsOf(await w.mfa("123456"));
    } finally {
      await w2.close();
      await th.close();
    }
  });

  it("maps a bank that is down, failing or not offering the method to the widget's reasons", async () => {
    const t = await h.newTenant("Bank Trouble Co");
    const w = await Widget.open(widget, t);
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { down: true });
    const down = expectError(await w.login("okro_good"), 503, "SERVICE_UNAVAILABLE");
    expect(down.data).toMatchObject({ reason: "bank_down", retry_after_ms: expect.any(Number) });
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { errorRate: 1 });
    expect(expectError(await w.login("okro_good"), 503, "SERVICE_UNAVAILABLE").data.reason).toBe("bank_down");
    await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    // A timeout would hold the request for BANK_CALL_TIMEOUT_MS: its mapping is checked directly.
    const timeout = widgetBankError(new ConnectorError("timeout", "no answer"), "Guaranty Trust Bank");
    expect(timeout).toMatchObject({ code: "SERVICE_UNAVAILABLE", data: { reason: "bank_timeout" } });
    expect(timeout.message).toMatch(/did not answer in time; try again/);
    const expired = widgetBankError(new ConnectorError("rejected", "gone", { reason: "session_expired" }), "GTBank");
    expect(expired).toMatchObject({ code: "UNPROCESSABLE", data: { reason: "bank_session_expired" } });
    const limited = widgetBankError(new ConnectorError("rate_limited", "slow down", { retryAfterMs: 1234 }), "GTBank");
    expect(limited).toMatchObject({ code: "SERVICE_UNAVAILABLE", data: { reason: "bank_down", retry_after_ms: 1234 } });
    // Kuda has no internet banking.
    const kuda = expectError(await w.login("okro_good", "pass_good", KUDA), 422, "UNPROCESSABLE");
    expect(kuda.data).toMatchObject({ reason: "not_supported", field: "method" });
    expect(kuda.message).toMatch(/^method: Kuda Bank does not offer/);
  });

  it("refuses a bank the widget does not offer, and bad input, naming the field", async () => {
    const t = await h.newTenant("Bad Login Co");
    const w = await Widget.open(widget, t, { filter: { banks: ["guaranty-trust-bank"] } });
    const notOffered = expectError(await w.login("okro_good", "pass_good", ZENITH), 404, "NOT_FOUND");
    expect(notOffered.message).toMatch(/^bank_id: /);
    const cases: Array<[unknown, string, number]> = [
      [{ bank_id: GTBANK, method: "internet_banking", identifier: "okro_good" }, "secret", 400],
      [{ bank_id: GTBANK, method: "carrier_pigeon", identifier: "okro_good", secret: "x" }, "method", 400],
      [{ bank_id: "gtb", method: "internet_banking", identifier: "okro_good", secret: "x" }, "bank_id", 400],
      [{ bank_id: GTBANK, method: "internet_banking", identifier: "   ", secret: "x" }, "identifier", 400],
      [{ bank_id: GTBANK, method: "internet_banking", identifier: "okro_good", secret: "x", remember: true }, "remember", 400],
      [{ bank_id: GTBANK, method: "internet_banking", identifier: "okro_good", secret: "x", account_id: "nope" }, "account_id", 400],
    ];
    for (const [body, field, status] of cases) {
      const res = await w.post("/api/login", body);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().message).toMatch(new RegExp(`^${field}: `));
      expect(res.body).not.toContain('"x"');
    }
    expectError(await w.post("/api/mfa", {}), 400, "MISSING_FIELDS");
    expectError(await w.post("/api/connect", { account_ids: [], consent: true }), 400, "INVALID_FIELD");
    const noConsent = expectError(await w.post("/api/connect", { account_ids: ["1"], consent: false }), 400, "INVALID_FIELD");
    expect(noConsent.message).toMatch(/^consent: must be true/);
    // A linked account id of nobody (or of another company) is a 404.
    const other = expectError(await w.login("okro_good", "pass_good", GTBANK, { account_id: "0123456789abcdef01234567" }), 404, "NOT_FOUND");
    expect(other.message).toMatch(/^account_id: /);
  });

  it("limits the logins one session may try", async () => {
    const w = await Widget.open(widget, await h.newTenant("Persistent Co"));
    for (let i = 0; i < MAX_LOGINS_PER_SESSION; i++) {
      // An unknown user: no lockout at the bank, so only the session's own limit stops it.
      expectError(await w.login(`nobody_${i}`, "whatever"), 422, "UNPROCESSABLE");
    }
    expectError(await w.login("okro_good"), 429, "RATE_LIMIT_EXCEEDED");
  });

  it("never stores credentials, answers or the bank session in clear", async () => {
    const t = await h.newTenant("Sealed Co");
    const w = await Widget.open(widget, t);
    const password = "pass_good";
    challengeOf(await w.login("okro_otp", password));
    const row = await w.row();
    expect(row.credentials_sealed).toMatch(/^v1\./);
    expect(row.bank_session_sealed).toMatch(/^v1\./);
    const text = JSON.stringify(row);
    for (const clear of [password, "okro_otp", "sbx_"]) expect(text).not.toContain(clear);
    // Sealed for this row and field only.
    const creds = JSON.parse(h.ctx.secrets.open(row.credentials_sealed!, `widget_sessions:${row.id}:credentials`));
    expect(creds).toEqual({ method: "internet_banking", identifier: "okro_otp", secret: password });
    expect(() => h.ctx.secrets.open(row.credentials_sealed!, `widget_sessions:${row.id}:bank_session`)).toThrow();

    const step = accountsOf(await w.mfa("123456"));
    expect(JSON.stringify(await w.row())).not.toContain("123456");
    expectSuccess<ConnectResponse>(await w.connect([step.accounts[0]!.id]));
    const done = await w.row();
    expect(done).toMatchObject({ step: "done", credentials_sealed: null, bank_session_sealed: null });
    const record = await h.ctx.db.selectFrom("records").selectAll().where("company_id", "=", t.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(record)).not.toContain(password);
    expect(record.credentials_sealed).toMatch(/^v1\./);
  });
});

describe("connecting", () => {
  it("links the chosen accounts: the record, customer and accounts exist, and onSuccess's data comes back", async () => {
    const t = await h.newTenant("Connect Co");
    const w = await Widget.open(widget, t, { options: { loan: "L-9" }, customer: { id: "merchant-user-1" } });
    challengeOf(await w.login("okro_otp"));
    const step = accountsOf(await w.mfa("123456"));
    const chosen = step.accounts[0]!;
    const res = expectSuccess<ConnectResponse>(await w.connect([chosen.id]));
    expect(res).toMatchObject({
      bank_id: GTBANK,
      bank: { id: GTBANK, name: "Guaranty Trust Bank", slug: "guaranty-trust-bank" },
      env: "production-sandbox",
      products: ["auth", "balance", "identity"],
      relinked: false,
      options: { loan: "L-9" },
      auth: { bank_id: GTBANK, status: true, type: "validate", login_type: "bank", bank_details: { _id: GTBANK, slug: "guaranty-trust-bank" } },
    });
    expect(res.auth.clientId).toMatch(/^okr-\d+-[0-9a-f]+$/);
    expect(res.auth.record_id).toBe(res.record_id);
    expect(res.customer.id).toBe(res.customer_id);
    expect(res.accounts.find((a) => a.nuban === chosen.nuban)).toMatchObject({ connected: true });

    const record = await h.ctx.db.selectFrom("records").selectAll().where("id", "=", res.record_id).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ company_id: t.id, env: "sandbox", bank_id: GTBANK, customer_id: res.customer_id, status: "connected", login_method: "internet_banking" });
    expect(record.options).toMatchObject({ loan: "L-9" });
    const accounts = await h.ctx.db.selectFrom("accounts").selectAll().where("record_id", "=", res.record_id).execute();
    expect(accounts.find((a) => a.nuban === chosen.nuban)).toMatchObject({ connected: true, customer_id: res.customer_id });
    const customer = await h.ctx.db.selectFrom("customers").selectAll().where("id", "=", res.customer_id).executeTakeFirstOrThrow();
    expect(customer.external_id).toBe("merchant-user-1");

    // A repeat call answers the stored result; logging in again in a finished session is a conflict.
    expect(expectSuccess<ConnectResponse>(await w.connect([chosen.id]))).toEqual(res);
    expectError(await w.login("okro_good"), 409, "CONFLICT");
  });

  it("links once when two tabs (or a double click) connect at the same moment", async () => {
    const t = await h.newTenant("Double Click Co");
    const w = await Widget.open(widget, t, { products: ["auth", "balance", "transactions"] });
    const step = accountsOf(await w.login("okro_good"));
    const ids = step.accounts.map((a) => a.id);
    const answers = await Promise.all([w.connect(ids), w.connect(ids), w.connect(ids)]);
    const ok = answers.filter((r) => r.statusCode === 200);
    const busy = answers.filter((r) => r.statusCode !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) expect(expectError(r, 409, "CONFLICT").message).toMatch(/already connecting/);
    const records = await h.ctx.db.selectFrom("records").select("id").where("company_id", "=", t.id).execute();
    expect(records.length).toBe(1);
    // One link: one record.connected event, and every success answer is the same result.
    const events = await h.ctx.db.selectFrom("events").select("type").where("company_id", "=", t.id).where("type", "=", "record.connected").execute();
    expect(events.length).toBe(1);
    expect(new Set(ok.map((r) => r.json().data.record_id))).toEqual(new Set([records[0]!.id]));
    expect(expectSuccess<ConnectResponse>(await w.connect(ids)).record_id).toBe(records[0]!.id);
  });

  it("refuses an account the bank did not list, before anything is linked, and lets the customer retry", async () => {
    const t = await h.newTenant("Wrong Account Co");
    const w = await Widget.open(widget, t);
    const step = accountsOf(await w.login("okro_good"));
    const err = expectError(await w.connect([step.accounts[0]!.id, "9999999999"]), 404, "NOT_FOUND");
    expect(err.message).toMatch(/^account_ids\.1: /);
    // Nothing to connect before a login.
    const fresh = await Widget.open(widget, t);
    expect(expectError(await fresh.connect(["9999999999"]), 409, "CONFLICT").message).toMatch(/log in/);
    // A bank failure while linking puts the step back: the retry works.
    await h.ctx.sandbox.setFaults(t.id, GTBANK, { down: true, operations: ["getBalance"] });
    expect(expectError(await w.connect([step.accounts[0]!.id]), 503, "SERVICE_UNAVAILABLE").data.reason).toBe("bank_down");
    expect((await w.row()).step).toBe("accounts");
    await h.ctx.sandbox.clearFaults(t.id, GTBANK);
    expectSuccess<ConnectResponse>(await w.connect([step.accounts[0]!.id]));
  });

  it("recognises a returning user, preselects their account, and relinking refreshes without duplicates", async () => {
    const t = await h.newTenant("Returning Co");
    const first = await Widget.open(widget, t, { customer: { id: "cust-42" } });
    const step = accountsOf(await first.login("okro_good"));
    const linked = expectSuccess<ConnectResponse>(await first.connect([step.accounts[1]!.id]));
    const before = await h.ctx.db.selectFrom("accounts").select(["id", "nuban"]).where("company_id", "=", t.id).execute();

    const again = await Widget.open(widget, t, { customer: { id: "cust-42" } });
    // Before any bank login the widget learns only the first name, banks and masked NUBANs: the
    // hint comes from a public page.
    expect(again.s.returning).toMatchObject({ customer_id: linked.customer_id, name: linked.customer.name.split(" ")[0] });
    expect(JSON.stringify(again.s)).not.toContain(linked.customer.name);
    const mine = again.s.returning!.accounts;
    expect(mine.every((a) => a.name === "")).toBe(true);
    expect(mine).toHaveLength(1);
    const picked = mine[0]!;
    expect(picked).toMatchObject({ bank_id: GTBANK, bank_name: "Guaranty Trust Bank", bank_slug: "guaranty-trust-bank" });
    expect(picked.nuban_masked).toBe(`••••${step.accounts[1]!.nuban.slice(-4)}`);
    expect(JSON.stringify(again.s)).not.toContain(step.accounts[1]!.nuban);

    const relogin = accountsOf(await again.login("okro_good", "pass_good", GTBANK, { account_id: picked.id }));
    expect(relogin.accounts.filter((a) => a.preselected).map((a) => a.nuban)).toEqual([step.accounts[1]!.nuban]);
    expect(relogin.notice).toBeNull();
    const relinked = expectSuccess<ConnectResponse>(await again.connect([step.accounts[1]!.id]));
    expect(relinked).toMatchObject({ relinked: true, record_id: linked.record_id, customer_id: linked.customer_id });
    const after = await h.ctx.db.selectFrom("accounts").select(["id", "nuban"]).where("company_id", "=", t.id).execute();
    expect(after.map((a) => a.id).sort()).toEqual(before.map((a) => a.id).sort());
    expect(await h.ctx.db.selectFrom("records").select("id").where("company_id", "=", t.id).execute()).toHaveLength(1);

    // Recognised by BVN too (the identity product stored it), and told clearly when the login
    // holds another person's accounts.
    const customer = await h.ctx.db.selectFrom("customers").selectAll().where("id", "=", linked.customer_id).executeTakeFirstOrThrow();
    expect(customer.bvn).toMatch(/^\d{11}$/);
    const byBvn = await Widget.open(widget, t, { customer: { bvn: customer.bvn } });
    expect(byBvn.s.returning?.customer_id).toBe(linked.customer_id);
    const elsewhere = accountsOf(await byBvn.login("okro_otp", "pass_good", GTBANK, { account_id: picked.id }).then(async (r) => {
      challengeOf(r);
      return byBvn.mfa("123456");
    }));
    expect(elsewhere.accounts.some((a) => a.preselected)).toBe(false);
    expect(elsewhere.notice).toMatch(/The account you picked \(••••\d{4}\) is not in this Guaranty Trust Bank login/);

    // Another company's customer ids mean nothing here.
    const stranger = await h.newTenant("Stranger Co");
    const theirs = await Widget.open(widget, stranger, { customer: { id: "cust-42" } });
    expect(theirs.s.returning).toBeNull();
    expectError(await theirs.login("okro_good", "pass_good", GTBANK, { account_id: picked.id }), 404, "NOT_FOUND");
  });
});
