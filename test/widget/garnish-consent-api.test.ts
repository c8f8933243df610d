import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOX_MAGIC, SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import type { CreateSessionResponse, LoginResponse, MandateResponse } from "../../src/widget/protocol.js";
import { apiOf, debtorBanks, garnishRunner } from "../garnish/world.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * The widget's sweep consent (issue 14 item 2, decision 0025): `debitLater: true, debitType:
 * "sweep"` opens the mandate mode for a garnishment's sweep mandate. The debtor logs in to each
 * bank in turn ("Add another bank" opens the same options again), reads what the server says they
 * sign, authorises with the bank's OTP; a recovery created afterwards draws on exactly the
 * accounts consented to, and its sweep collects from them. No consent, no sweep.
 */

let w: World;
let widget: FastifyInstance;
beforeAll(async () => {
  w = await openWorld();
  widget = await buildWidgetApi(w.h.ctx);
}, 120_000);
afterAll(async () => {
  await widget?.close();
  await w?.h.close();
});

const MIN = 60_000;
const fieldOf = (data: Record<string, unknown>) => (data.field ?? (data.fields as Array<{ field: string }> | undefined)?.[0]?.field) as string | undefined;
const SWEEP = { debitLater: true, debitType: "sweep", debitAmount: 10_000_000, charge: { note: "Loan 42 recovery" } };

class W {
  constructor(readonly s: CreateSessionResponse) {}
  static raw(c: Company, extra: Record<string, unknown>) {
    return widget.inject({ method: "POST", url: "/api/sessions", payload: { key: c.tenant.sandbox.public_key, env: "production-sandbox", ...extra } });
  }
  static async open(c: Company, extra: Record<string, unknown>): Promise<W> {
    return new W(expectSuccess<CreateSessionResponse>(await W.raw(c, extra)));
  }
  post(url: string, payload: unknown = {}) {
    return widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${this.s.session_token}` }, payload: payload as object });
  }
  async accounts(bankId: string, identifier: string, secret: string) {
    let step = expectSuccess<LoginResponse>(await this.post("/api/login", { bank_id: bankId, method: "internet_banking", identifier, secret }));
    if (step.step === "mfa") {
      const answer = step.challenge.kind === "security_question" ? SANDBOX_MAGIC.securityAnswer : SANDBOX_MAGIC.otp;
      step = expectSuccess<LoginResponse>(await this.post("/api/mfa", { answer }));
    }
    if (step.step !== "accounts") throw new Error(`expected accounts, got ${JSON.stringify(step)}`);
    return step.accounts;
  }
}

let n = 0;
/** One debtor (one BVN) with an account at each of `balances.length` sandbox banks. */
async function debtorAtBanks(c: Company, balances: number[]) {
  const bvn = `23${String((Date.now() + ++n) % 1e9).padStart(9, "0")}`.slice(0, 11);
  const banks = debtorBanks(w, c, balances.length);
  const users = banks.map((_, i) => `gw${n}x${i}x${Date.now() % 100000}`);
  await w.h.ctx.sandbox.createCustomers(
    c.tenant.id,
    banks.map((bankId, i) => ({
      bankId,
      username: users[i]!,
      password: "debtor_pass",
      type: "ind" as const,
      volume: "low" as const,
      identity: 100,
      noOfAccount: 1,
      internetSpeed: 4,
      name: "Adaeze Debtor",
      balance: balances[i]!,
      bvn,
      income: { kind: "none" as const },
    })),
  );
  for (const bankId of banks) await w.h.ctx.sandbox.setFaults(c.tenant.id, bankId, { mandateActivationDelayMs: 0 });
  return banks.map((bankId, i) => ({ bankId, username: users[i]! }));
}

/** The debtor consents at one bank in a widget session: login, the account, the consent, the OTP. */
async function consentAt(c: Company, bank: { bankId: string; username: string }) {
  const s = await W.open(c, SWEEP);
  const accounts = await s.accounts(bank.bankId, bank.username, "debtor_pass");
  const created = expectSuccess<MandateResponse>(await s.post("/api/mandates", { account_id: accounts[0]!.id }));
  const done = expectSuccess<MandateResponse>(await s.post("/api/mandates/authorise", { mandate_id: created.mandate.id, otp: SANDBOX_PAYMENT_AUTH.otp }));
  return { s, created, done };
}

describe("opening the sweep consent", () => {
  it("states the lender, the most taken, the accounts covered, the reach over BVN-linked banks, how it ends and how to withdraw", async () => {
    const c = await newCompany(w);
    const s = await W.open(c, { ...SWEEP, debitEndDate: "2027-12-31" });
    const m = s.s.mandate!;
    expect(m).toMatchObject({ merchant: "Payments Co", kind: "sweep", amount: 10_000_000 });
    const line = (key: string) => m.lines.find((l) => l.key === key);
    expect(m.lines.map((l) => l.key)).toEqual(["who", "amount", "covers", "reach", "frequency", "from", "until", "purpose", "withdraw"]);
    expect(line("who")!.value).toMatch(/^Payments Co \(your lender\)/);
    expect(line("amount")!.value).toMatch(/^₦100,000\.00 from each account you authorise, and never more than you owe/);
    expect(line("amount")!.value).toMatch(/never penalties/);
    expect(line("reach")!.value).toMatch(/other banks linked to your BVN/);
    expect(line("until")!.value).toBe("When the debt is repaid, when Payments Co cancels it, or when you withdraw it; at the latest on 31 Dec 2027");
    expect(line("purpose")!.value).toBe("Loan 42 recovery");
    expect(line("withdraw")!.href).toMatch(/\/mandates\?key=/);
  });

  it("refuses bad options with a 400 naming the okra-js field, and writes no session", async () => {
    const c = await newCompany(w);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ debitLater: true, debitType: "sweep" }, "debitAmount"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 50 }, "debitAmount"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 1000.5 }, "debitAmount"],
      [{ debitLater: true, debitType: "sweeps", debitAmount: 10_000_000 }, "debitType"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 10_000_000, debitInterval: "monthly" }, "debitInterval"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 10_000_000, debitStartDate: "2020-01-01" }, "debitStartDate"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 10_000_000, debitStartDate: "2099-03-01", debitEndDate: "2099-02-01" }, "debitEndDate"],
      [{ debitLater: true, debitType: "sweep", debitAmount: 10_000_000, charge: { currency: "USD" } }, "charge.currency"],
    ];
    for (const [options, field] of cases) {
      const { message, data } = expectError(await W.raw(c, options), 400, "INVALID_FIELD");
      expect([fieldOf(data), message.split(":")[0]], JSON.stringify(options)).toEqual([field, field]);
    }
    expect(await w.h.ctx.db.selectFrom("widget_sessions").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
  });
});

describe("consenting at two banks, then the recovery", () => {
  it("creates an active sweep mandate per bank through the mandates service; a recovery draws on both and its sweep collects from both", async () => {
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const [first, second] = await debtorAtBanks(c, [3_000_000, 2_000_000]);

    // Before any consent: the debtor has no sweep mandate, so no recovery (422 naming customer) is possible.
    const one = await consentAt(c, first!);
    expect(one.created.mandate.status).toBe("awaiting_customer");
    expect(one.created.mandate.lines.find((l) => l.key === "covers")!.value).toMatch(/\(this one\)$/);
    expect(one.done.success).toMatchObject({ type: "authorization", authorization: { debit_type: "sweep", status: "active" } });
    const customerId = one.done.success!.customer_id;

    // "Add another bank": the same options again, the other bank; its consent lists both accounts.
    const two = await consentAt(c, second!);
    expect(two.done.success!.customer_id).toBe(customerId);
    const covers = two.done.mandate.lines.find((l) => l.key === "covers")!.value.split("; ");
    expect(covers).toHaveLength(2);
    expect(covers[0]).toMatch(/\(this one\)$/);
    expect(covers[1]).toBe(`${one.done.mandate.bank_name} ${one.done.mandate.nuban_masked}`);

    // Exactly the two sweep mandates: each bank's consent was given for its sweep mandate, so no open-ended standing mandate appears beside them (decision 0027).
    const mandates = await w.h.ctx.db.selectFrom("mandates").select(["id", "debit_type", "state", "source", "max_total", "bank_id"]).where("customer_id", "=", customerId).orderBy("id").execute();
    expect(mandates.map((m) => [m.debit_type, m.state, m.source, Number(m.max_total)])).toEqual([
      ["sweep", "active", "widget", 10_000_000],
      ["sweep", "active", "widget", 10_000_000],
    ]);
    expect(new Set(mandates.map((m) => m.bank_id)).size).toBe(2);

    // The lender's recovery draws on every consented account and sweeps ₦30,000 + ₦20,000.
    const g = (await api("/garnish/create", { customer: customerId, principal: 9_000_000, interest: 1_000_000 })).json().data.garnishment;
    expect(g.status).toBe("active");
    expect(g.mandates.map((m: { mandate: string }) => m.mandate).sort()).toEqual(mandates.map((m) => m.id).sort());
    expect((await api("/garnish/sweep", { id: g._id })).statusCode).toBe(200);
    const runner = garnishRunner(w, c);
    for (let i = 0; i < 4; i++) {
      await runner.runOnce();
      w.clock.advance(2 * MIN);
    }
    const history = (await api("/garnish/sweeps", { id: g._id })).json().data;
    const swept = history.sweeps.find((s: { trigger: string }) => s.trigger === "request");
    expect(swept).toMatchObject({ taken: 5_000_000 });
    expect(history.garnishment).toMatchObject({ collected: 5_000_000, remaining: 5_000_000 });
  });

  it("no consent, no sweep: a consent left without the bank's OTP creates no authority and a recovery is refused", async () => {
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const [only] = await debtorAtBanks(c, [3_000_000]);
    const s = await W.open(c, SWEEP);
    const accounts = await s.accounts(only!.bankId, only!.username, "debtor_pass");
    const created = expectSuccess<MandateResponse>(await s.post("/api/mandates", { account_id: accounts[0]!.id }));
    const wrong = expectError(await s.post("/api/mandates/authorise", { mandate_id: created.mandate.id, otp: "000000" }), 422, "UNPROCESSABLE");
    expect(wrong.data.reason).toBe("invalid_otp");
    const customerId = (await w.h.ctx.db.selectFrom("mandates").select("customer_id").where("id", "=", created.mandate.id).executeTakeFirstOrThrow()).customer_id;

    // The unauthorised sweep mandate: a recovery may name it but stays awaiting_consent, and a sweep is refused.
    const g = (await api("/garnish/create", { customer: customerId, principal: 1_000_000 })).json().data.garnishment;
    expect(g.status).toBe("awaiting_consent");
    const refused = expectError(await api("/garnish/sweep", { id: g._id }), 409, "CONFLICT");
    expect(refused.data.reason).toBe("no_consent");
    // The debtor then gives up (a new login lets the unauthorised mandate go): nothing left to draw on.
    await s.accounts(only!.bankId, only!.username, "debtor_pass");
    expect((await w.h.ctx.db.selectFrom("mandates").select("state").where("id", "=", created.mandate.id).executeTakeFirstOrThrow()).state).toBe("cancelled");
  });
});
