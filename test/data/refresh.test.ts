import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret, type BankAccount, type BankSession, type LoginCredentials, type LoginMethod } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import type { EventPayload } from "../../src/events/emit.js";
import { OkroError } from "../../src/core/errors.js";
import { linkConnection, type LinkResult } from "../../src/data/link.js";
import { refreshBalance, refreshTransactions } from "../../src/data/refresh.js";
import { ManualClock } from "../../src/lib/clock.js";
import type { Product } from "../../src/platform/domain.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * Refreshing linked accounts (src/data/refresh.ts) through the stored connection, against the
 * in-process sandbox bank network on this file's own clock (sandbox sessions last 30 minutes).
 */

const BANKS = { gtbank: "5d6fe57a4099cc4b210bbeb3", kuda: "5d6fe57a4099cc4b210bbeb7" } as const;
const MINUTE = 60_000;
/** Tuesday 10:00 in Lagos. */
const START = new Date("2026-03-10T09:00:00.000Z");

let h: Harness;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(START);
  h = await createHarness({ clock });
});
afterAll(() => h?.close());

interface Linked extends LinkResult {
  session: BankSession;
  bankAccounts: BankAccount[];
  tenant: NewCompany;
  scope: { companyId: string; env: "sandbox" };
}

async function link(bankId: string, identifier: string, options: { method?: LoginMethod; products?: Product[]; share?: "all" | "first" } = {}): Promise<Linked> {
  const tenant = await h.newTenant();
  const connector = connectorFor(h.ctx, "sandbox", tenant.id, bankId)!;
  const credentials: LoginCredentials = { method: options.method ?? "internet_banking", identifier, secret: new Secret("pass_good") };
  let result = await connector.startLogin({ credentials });
  while (result.status === "mfa_required") {
    result = await connector.answerMfa({ session: result.session, answer: new Secret(result.challenge.kind === "security_question" ? "okro" : "123456") });
  }
  const bankAccounts = await connector.listAccounts({ session: result.session });
  const linked = await linkConnection(h.ctx, {
    companyId: tenant.id,
    env: "sandbox",
    appId: null,
    bankId,
    loginMethod: credentials.method,
    credentials,
    session: result.session,
    selectedAccountIds: options.share === "first" ? [bankAccounts[0]!.id] : bankAccounts.map((a) => a.id),
    products: options.products ?? ["auth", "balance", "transactions", "income"],
    options: {},
  });
  return { ...linked, session: result.session, bankAccounts, tenant, scope: { companyId: tenant.id, env: "sandbox" } };
}

const eventsOf = async (tenant: NewCompany): Promise<EventPayload[]> =>
  (await h.ctx.db.selectFrom("events").select("payload").where("company_id", "=", tenant.id).execute()).map((e) => e.payload as EventPayload);

const recordOf = (id: string) => h.ctx.db.selectFrom("records").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

async function expectOkroError(promise: Promise<unknown>, code: OkroError["code"]): Promise<OkroError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OkroError);
  expect((error as OkroError).code, (error as Error).message).toBe(code);
  return error as OkroError;
}

/** Moves money out of a linked account at the sandbox bank (the customer paying someone). */
async function spend(l: Linked, bankId: string, amount: number): Promise<void> {
  const connector = connectorFor(h.ctx, "sandbox", l.tenant.id, bankId)!;
  const result = await connector.debit({
    session: l.session,
    accountId: l.bankAccounts[0]!.id,
    amount,
    currency: "NGN",
    reference: `spend-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    narration: "SHOPPING",
    authorization: { otp: new Secret("123456") },
  });
  expect(result.status).toBe("success");
}

describe("refreshBalance", () => {
  it("reflects money the customer spent after linking", async () => {
    const l = await link(BANKS.gtbank, "okro_good");
    const account = l.accounts.find((a) => a.bank_account_id === l.bankAccounts[0]!.id)!;
    await spend(l, BANKS.gtbank, 1_234_500);
    clock.advance(MINUTE);

    const refreshed = await refreshBalance(h.ctx, l.scope, account.id);
    expect(refreshed).toMatchObject({ accountId: account.id, available_balance: account.available_balance - 1_234_500, currency: "NGN" });
    const balance = await h.ctx.db.selectFrom("balances").selectAll().where("account_id", "=", account.id).executeTakeFirstOrThrow();
    expect(Number(balance.available_balance)).toBe(account.available_balance - 1_234_500);
    expect(balance.id).toBe(refreshed.balanceId);
    const auth = await h.ctx.db.selectFrom("auths").selectAll().where("account_id", "=", account.id).executeTakeFirstOrThrow();
    expect(Number(auth.available_balance)).toBe(account.available_balance - 1_234_500);
    expect(Number(auth.ledger_balance)).toBe(refreshed.ledger_balance);
    // Okra's `periodic`: each reading kept.
    const readings = await h.ctx.db.selectFrom("balance_readings").select("available_balance").where("balance_id", "=", balance.id).orderBy("id").execute();
    expect(readings.map((r) => Number(r.available_balance))).toEqual([account.available_balance, account.available_balance - 1_234_500]);
    const events = (await eventsOf(l.tenant)).filter((e) => e.type === "balance.success" && e.accountId === account.id);
    expect(events.map((e) => (e.data as { balance: { available_balance: number } }).balance.available_balance).sort((a, b) => a - b)).toEqual([
      account.available_balance - 1_234_500,
      account.available_balance,
    ]);
    expect((await recordOf(l.recordId)).last_refreshed_at?.getTime()).toBe(clock.now().getTime());
  });

  it("logs in again with the sealed credentials when the bank session has expired (okro_good)", async () => {
    const l = await link(BANKS.gtbank, "okro_good");
    const before = await recordOf(l.recordId);
    clock.advance(31 * MINUTE);

    const refreshed = await refreshBalance(h.ctx, l.scope, l.accounts[0]!.id);
    expect(refreshed.available_balance).toBe(l.accounts[0]!.available_balance);
    const after = await recordOf(l.recordId);
    expect(after.status).toBe("connected");
    // A new session, sealed again; never the old one, never in clear.
    expect(after.session_sealed).not.toBe(before.session_sealed);
    expect(after.session_expires_at!.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(h.ctx.secrets.open(after.session_sealed!, `records:${l.recordId}:session`)).not.toBe(l.session.token.reveal());
    expect((await eventsOf(l.tenant)).some((e) => e.type === "record.token_required")).toBe(false);
  });

  it("marks the record token_required when the bank wants the customer's OTP again (okro_otp), and tells the merchant", async () => {
    const l = await link(BANKS.kuda, "okro_otp", { method: "mobile_banking" });
    clock.advance(31 * MINUTE);

    const error = await expectOkroError(refreshBalance(h.ctx, l.scope, l.accounts[0]!.id), "UNPROCESSABLE");
    expect(error.data).toMatchObject({ reason: "token_required", record_id: l.recordId });
    expect(error.message).toMatch(/widget/);
    expect((await recordOf(l.recordId)).status).toBe("token_required");
    const events = (await eventsOf(l.tenant)).filter((e) => e.type === "record.token_required");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      callback_type: "AUTH",
      callback_code: "TOKEN_REQUIRED",
      record: l.recordId,
      customerId: l.customerId,
      object: { type: "record", id: l.recordId },
      data: { record: { id: l.recordId, status: "token_required" } },
    });

    // Until the customer comes back through the widget, refreshes say so without bothering the bank (or the merchant) again.
    await expectOkroError(refreshTransactions(h.ctx, l.scope, l.accounts[0]!.id), "UNPROCESSABLE");
    expect((await eventsOf(l.tenant)).filter((e) => e.type === "record.token_required")).toHaveLength(1);
    const balances = await h.ctx.db.selectFrom("balance_readings").select("id").where("balance_id", "in", h.ctx.db.selectFrom("balances").select("id").where("record_id", "=", l.recordId)).execute();
    expect(balances).toHaveLength(1);
  });

  it("marks the record invalid when the bank refuses the stored password (changed at the bank), without retrying it", async () => {
    const l = await link(BANKS.gtbank, "okro_good", { products: ["auth", "balance"] });
    const wrong = h.ctx.secrets.seal(JSON.stringify({ method: "internet_banking", identifier: "okro_good", secret: "old-password" }), `records:${l.recordId}:credentials`);
    await h.ctx.db.updateTable("records").set({ credentials_sealed: wrong }).where("id", "=", l.recordId).execute();
    clock.advance(31 * MINUTE);

    const error = await expectOkroError(refreshBalance(h.ctx, l.scope, l.accounts[0]!.id), "UNPROCESSABLE");
    expect(error.data).toMatchObject({ reason: "token_required", record_status: "invalid" });
    expect((await recordOf(l.recordId)).status).toBe("invalid");
    const events = (await eventsOf(l.tenant)).filter((e) => e.type === "record.token_required");
    expect(events.map((e) => (e.data as { record: { status: string } }).record.status)).toEqual(["invalid"]);
  });

  it("answers SERVICE_UNAVAILABLE when the bank is down, and changes nothing", async () => {
    const l = await link(BANKS.gtbank, "okro_good", { products: ["auth", "balance"] });
    const before = await recordOf(l.recordId);
    await h.ctx.sandbox.setFaults(l.tenant.id, BANKS.gtbank, { down: true });
    try {
      const error = await expectOkroError(refreshBalance(h.ctx, l.scope, l.accounts[0]!.id), "SERVICE_UNAVAILABLE");
      expect(error.data).toMatchObject({ reason: "bank_down" });
      await expectOkroError(refreshTransactions(h.ctx, l.scope, l.accounts[0]!.id), "SERVICE_UNAVAILABLE");
    } finally {
      await h.ctx.sandbox.clearFaults(l.tenant.id, BANKS.gtbank);
    }
    expect(await recordOf(l.recordId)).toEqual(before);
    const readings = await h.ctx.db.selectFrom("balance_readings").select("id").where("balance_id", "in", h.ctx.db.selectFrom("balances").select("id").where("record_id", "=", l.recordId)).execute();
    expect(readings).toHaveLength(l.accounts.length);
  });

  it("finds no account of another tenant or environment, and refuses an account the customer did not share", async () => {
    const l = await link(BANKS.gtbank, "okro_good", { products: ["auth"], share: "first" });
    const other = await h.newTenant();
    await expectOkroError(refreshBalance(h.ctx, { companyId: other.id, env: "sandbox" }, l.accounts[0]!.id), "NOT_FOUND");
    await expectOkroError(refreshBalance(h.ctx, { companyId: l.tenant.id, env: "production" }, l.accounts[0]!.id), "NOT_FOUND");
    await expectOkroError(refreshTransactions(h.ctx, { companyId: other.id, env: "sandbox" }, l.accounts[0]!.id), "NOT_FOUND");
    await expectOkroError(refreshBalance(h.ctx, l.scope, "0".repeat(24)), "NOT_FOUND");
    const unshared = l.accounts.find((a) => !a.connected)!;
    const error = await expectOkroError(refreshBalance(h.ctx, l.scope, unshared.id), "UNPROCESSABLE");
    expect(error.data).toMatchObject({ reason: "account_not_shared" });
  });
});

describe("refreshTransactions", () => {
  it("stores the lines posted since the link once, recomputes income and says how many were new", async () => {
    const l = await link(BANKS.gtbank, "okro_good");
    const account = l.accounts.find((a) => a.bank_account_id === l.bankAccounts[0]!.id)!;
    const count = async () => (await h.ctx.db.selectFrom("transactions").select("id").where("account_id", "=", account.id).execute()).length;
    const before = await count();
    await spend(l, BANKS.gtbank, 250_000);
    await spend(l, BANKS.gtbank, 99_900);
    clock.advance(MINUTE);

    const first = await refreshTransactions(h.ctx, l.scope, account.id);
    expect(first).toEqual({ accountId: account.id, new_transactions: 2 });
    expect(await count()).toBe(before + 2);
    const newest = await h.ctx.db.selectFrom("transactions").selectAll().where("account_id", "=", account.id).orderBy("trans_date", "desc").limit(2).execute();
    expect(newest.map((t) => Number(t.debit)).sort((a, b) => a - b)).toEqual([99_900, 250_000]);
    expect(newest.every((t) => t.credit === null && t.narration.includes("SHOPPING"))).toBe(true);

    const second = await refreshTransactions(h.ctx, l.scope, account.id);
    expect(second.new_transactions).toBe(0);
    expect(await count()).toBe(before + 2);

    const events = await eventsOf(l.tenant);
    const periodic = events.filter((e) => e.callback_code === "PERIODIC_TRANSACTIONS");
    expect(periodic.map((e) => e.new_transactions as number).sort((a, b) => a - b)).toEqual([0, 2]);
    expect(periodic[0]).toMatchObject({ type: "transactions.success", callback_type: "TRANSACTIONS", record: l.recordId, object: { type: "record", id: l.recordId } });
    // The record has the income product: income was recomputed with each refresh.
    expect(events.filter((e) => e.type === "income.success")).toHaveLength(3);
  });

  it("after the session expired, logs in again and keeps going (okro_good)", async () => {
    const l = await link(BANKS.gtbank, "okro_good", { products: ["auth", "transactions"] });
    await spend(l, BANKS.gtbank, 77_700);
    clock.advance(45 * MINUTE);
    const result = await refreshTransactions(h.ctx, l.scope, l.accounts.find((a) => a.bank_account_id === l.bankAccounts[0]!.id)!.id);
    expect(result.new_transactions).toBe(1);
    expect((await recordOf(l.recordId)).status).toBe("connected");
  });
});
