import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { OkroError } from "../../src/core/errors.js";
import { kobo } from "../../src/lib/kobo.js";
import { NOT_RECEIVED_AFTER_MS, paymentReference } from "../../src/payments/execute.js";
import { authorisePayment, createAuthorisedPayment } from "../../src/payments/service.js";
import { balances, bankTransfers, entriesOf, eventTypes, expectSoundLedger, history, newCompany, openWorld, paymentRow, type Company, type World } from "./engine-world.js";

let w: World;
beforeAll(async () => {
  w = await openWorld();
});
afterAll(async () => {
  await w?.h.close();
});

async function widgetPayment(c: Company, amount: number) {
  return w.h.ctx.db.transaction().execute((trx) =>
    createAuthorisedPayment(trx, w.h.ctx, c.scope, {
      customerId: c.account.customerId,
      accountId: c.account.id,
      amount: kobo(amount),
      currency: "NGN",
      channel: "widget",
      widgetSessionId: "session-1",
    }),
  );
}

const otp = (code: string) => ({ otp: new Secret(code) });

async function authorise(c: Company, paymentId: string, code: string) {
  return authorisePayment(w.h.ctx, c.scope, paymentId, { bankSession: await c.freshSession(), bankAccountId: c.account.bankAccountId, authorization: otp(code) });
}

describe("payments the customer authorises in the widget", () => {
  it("sends a wrong OTP back to awaiting authorisation with the attempts left, then debits once with the right one", async () => {
    const c = await newCompany(w);
    const created = await widgetPayment(c, 60_000);
    expect(created.state).toBe("awaiting_authorisation");
    expect(created.method).toBe("authorised");

    const wrong = await authorise(c, created.id, "000000");
    expect(wrong).toMatchObject({ kind: "retry", reason: "invalid_otp", attemptsLeft: 4 });
    expect(wrong.payment.state).toBe("awaiting_authorisation");
    expect(await bankTransfers(w, c, paymentReference(created.id, 1))).toHaveLength(0);
    expect(await entriesOf(w, c)).toEqual([]);

    const right = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(right.kind).toBe("answered");
    expect(right.payment.state).toBe("succeeded");
    expect(right.payment.reference).toBe(paymentReference(created.id, 2));
    expect(await bankTransfers(w, c, paymentReference(created.id, 2))).toHaveLength(1);
    expect(await balances(w, c)).toMatchObject({ pending: 60_000n });
    expect(await history(w, created.id)).toEqual([
      { from: null, to: "awaiting_authorisation", actor: "customer", reason: "initiated" },
      { from: "awaiting_authorisation", to: "processing", actor: "customer", reason: "customer_authorised" },
      { from: "processing", to: "awaiting_authorisation", actor: "bank", reason: "invalid_otp" },
      { from: "awaiting_authorisation", to: "processing", actor: "customer", reason: "customer_authorised" },
      { from: "processing", to: "succeeded", actor: "bank", reason: "bank_confirmed" },
    ]);
    expect(await eventTypes(w, c, created.id)).toEqual([
      "payment.awaiting_authorisation",
      "payment.processing",
      "payment.awaiting_authorisation",
      "payment.processing",
      "payment.succeeded",
    ]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("answers a double click with CONFLICT 'authorising' while the first is at the bank, and debits once", async () => {
    const c = await newCompany(w);
    const created = await widgetPayment(c, 20_000);
    await c.faults({ latencyMs: 50, operations: ["debit"] });
    const session = await c.freshSession();
    const call = () => authorisePayment(w.h.ctx, c.scope, created.id, { bankSession: session, bankAccountId: c.account.bankAccountId, authorization: otp(SANDBOX_PAYMENT_AUTH.otp) });
    const [first, second] = await Promise.allSettled([call(), call()]);
    const outcomes = [first, second];
    const answered = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(answered).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as OkroError;
    expect(error).toBeInstanceOf(OkroError);
    expect(error).toMatchObject({ code: "CONFLICT", data: { reason: "authorising" } });
    expect((await paymentRow(w, created.id)).state).toBe("succeeded");
    expect(await bankTransfers(w, c, paymentReference(created.id, 1))).toHaveLength(1);
    expect(await bankTransfers(w, c, paymentReference(created.id, 2))).toHaveLength(0);
    expect(await balances(w, c)).toMatchObject({ pending: 20_000n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("errors on insufficient funds (Okra code 1013) and posts nothing", async () => {
    const c = await newCompany(w);
    const balance = await c.customer.connector.getBalance({ session: c.customer.session, accountId: c.account.bankAccountId });
    const created = await widgetPayment(c, balance.available + 1);
    const outcome = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(outcome.kind).toBe("answered");
    expect(outcome.payment).toMatchObject({ state: "errored", failure_code: "1013" });
    expect(await entriesOf(w, c)).toEqual([]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("asks the customer to try again when the bank is down, moving nothing", async () => {
    const c = await newCompany(w);
    const created = await widgetPayment(c, 20_000);
    await c.faults({ down: true, operations: ["debit"] });
    const outcome = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(outcome).toMatchObject({ kind: "retry", reason: "bank_unavailable" });
    expect(outcome.payment.state).toBe("awaiting_authorisation");
    await c.faults({});
    const again = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(again.payment.state).toBe("succeeded");
    expect(await bankTransfers(w, c, paymentReference(created.id, 2))).toHaveLength(1);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("a lost response is unknown until the worker's re-query confirms the debit", async () => {
    const c = await newCompany(w);
    const created = await widgetPayment(c, 30_000);
    await c.faults({ lostResponseRate: 1, operations: ["debit"] });
    const outcome = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(outcome.kind).toBe("answered");
    expect(outcome.payment.state).toBe("unknown");
    // Authorising again is refused: the first may have moved money.
    await expect(authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp)).rejects.toMatchObject({ code: "CONFLICT", data: { reason: "authorising" } });
    await c.faults({});
    w.clock.advance(2_000);
    await c.worker().runOnce();
    expect((await paymentRow(w, created.id)).state).toBe("succeeded");
    expect(await bankTransfers(w, c, paymentReference(created.id, 1))).toHaveLength(1);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("a timeout the bank never saw is failed as not received after five minutes, never re-sent without the customer", async () => {
    const c = await newCompany(w);
    const created = await widgetPayment(c, 30_000);
    await c.faults({ timeoutRate: 1, operations: ["debit"] });
    const outcome = await authorise(c, created.id, SANDBOX_PAYMENT_AUTH.otp);
    expect(outcome.payment.state).toBe("unknown");
    await c.faults({});
    const worker = c.worker();
    w.clock.advance(2_000);
    await worker.runOnce();
    expect((await paymentRow(w, created.id)).state).toBe("unknown");
    w.clock.advance(NOT_RECEIVED_AFTER_MS);
    await worker.runOnce();
    const failed = await paymentRow(w, created.id);
    expect(failed).toMatchObject({ state: "failed", failure_code: "not_received_by_bank" });
    expect(await bankTransfers(w, c, paymentReference(created.id, 1))).toHaveLength(0);
    expect(await entriesOf(w, c)).toEqual([]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});
