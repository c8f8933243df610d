import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorFor } from "../../src/banks/networks.js";
import { OkroError } from "../../src/core/errors.js";
import { kobo } from "../../src/lib/kobo.js";
import { grantConsent } from "../../src/payments/consents.js";
import { paymentReference, requeryDelayMs } from "../../src/payments/execute.js";
import { paymentFee } from "../../src/payments/fees.js";
import { applyTransition, cancelPayment, getPayment, initiatePayment } from "../../src/payments/service.js";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { GTBANK } from "../security/route-registry.js";
import {
  activeConsent,
  balances,
  bankTransfers,
  consentDue,
  countingNetwork,
  entriesOf,
  eventTypes,
  expectSoundLedger,
  history,
  initiate,
  newCompany,
  nextDue,
  openWorld,
  paymentRow,
  type World,
} from "./engine-world.js";

let w: World;
beforeAll(async () => {
  w = await openWorld();
});
afterAll(async () => {
  await w?.h.close();
});

describe("consent payments, end to end", () => {
  it("queues, debits the mandate once, confirms into pending, then settles into available minus Okro's fee", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const queued = await initiate(w, c, 250_000);
    expect(queued.state).toBe("queued");

    const worker = c.worker();
    expect(await worker.runOnce()).toBeGreaterThan(0);
    const succeeded = await paymentRow(w, queued.id);
    expect(succeeded.state).toBe("succeeded");
    expect(succeeded.reference).toBe(`OKRO${queued.id}A1`);
    expect(await balances(w, c)).toMatchObject({ pending: 250_000n, available: 0n, collected: 250_000n });
    expect(await bankTransfers(w, c, succeeded.reference!)).toHaveLength(1);

    // Settlement waits for the settlement delay.
    await worker.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    w.clock.advance(w.h.ctx.config.payments.settlementDelayMs);
    await worker.runOnce();
    const settled = await paymentRow(w, queued.id);
    expect(settled.state).toBe("settled");
    expect(settled.fee).toBe(paymentFee(kobo(250_000), w.h.ctx.config.payments));
    expect(settled.fee).toBe(2_500n); // 1% by default
    expect(await balances(w, c)).toMatchObject({ pending: 0n, available: 247_500n, fees: 2_500n, collected: 250_000n });

    expect(await history(w, queued.id)).toEqual([
      { from: null, to: "queued", actor: "api", reason: "initiated" },
      { from: "queued", to: "processing", actor: "worker", reason: "debit_sent" },
      { from: "processing", to: "succeeded", actor: "bank", reason: "bank_confirmed" },
      { from: "succeeded", to: "settled", actor: "scheduler", reason: "settlement_validated" },
    ]);
    expect(await eventTypes(w, c, queued.id)).toEqual(["payment.queued", "payment.processing", "payment.succeeded", "payment.settled"]);
    const events = await w.h.ctx.db.selectFrom("events").select("payload").where("object_id", "=", queued.id).where("type", "=", "payment.settled").execute();
    expect(events[0]!.payload).toMatchObject({ callback_type: "PAYMENT", callback_code: "PAYMENT_COMPLETED", data: { status: "completed", amount: 250_000, fee: 2_500 } });
    expect((await entriesOf(w, c, queued.id)).map((e) => e.kind).sort()).toEqual(["debit_confirmed", "settlement"]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("keeps a payment queued while the consent's mandate is not active, and sends it once the bank activates it", async () => {
    const c = await newCompany(w);
    // Default sandbox activation delay: 5 minutes.
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(consent.status).toBe("pending");
    expect(consent.activates_at!.getTime()).toBe(w.clock.now().getTime() + 5 * 60_000);
    const queued = await initiate(w, c, 10_000);
    const worker = c.worker();
    await worker.runOnce();
    const waiting = await paymentRow(w, queued.id);
    expect(waiting.state).toBe("queued");
    // Nothing is due for the payment itself: the consent's activation check, at activates_at, sends it.
    expect(await nextDue(w, queued.id)).toBeNull();
    expect((await consentDue(w, consent.id))!.getTime()).toBe(consent.activates_at!.getTime());
    expect(waiting.reference).toBeNull();

    w.clock.advance(5 * 60_000);
    await worker.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    const now = await w.h.ctx.db.selectFrom("payment_consents").selectAll().where("id", "=", consent.id).executeTakeFirstOrThrow();
    expect(now.status).toBe("active");
    expect(await eventTypes(w, c, consent.id)).toEqual(["consent.active"]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("errors a debit the customer cannot afford, and posts nothing", async () => {
    const c = await newCompany(w);
    const balance = await c.customer.connector.getBalance({ session: c.customer.session, accountId: c.account.bankAccountId });
    await activeConsent(w, c, kobo(balance.available * 10));
    const queued = await initiate(w, c, balance.available + 1);
    await c.worker().runOnce();
    const errored = await paymentRow(w, queued.id);
    expect(errored.state).toBe("errored");
    expect(errored.failure_code).toBe("1013");
    expect(await nextDue(w, queued.id)).toBeNull();
    expect(await entriesOf(w, c)).toEqual([]);
    expect(await balances(w, c)).toMatchObject({ pending: 0n, available: 0n, collected: 0n });
    expect(await bankTransfers(w, c, errored.reference!)).toHaveLength(0);
    // The merchant who tries to cancel it reads why in plain words ("a error payment" before).
    const refused = await w.h.ctx.db
      .transaction()
      .execute((trx) => cancelPayment(trx, w.h.ctx, c.scope, queued.id, "api"))
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "CONFLICT", field: "payment_id" });
    expect((refused as Error).message).toMatch(/^payment_id: a payment with status error cannot be cancelled;/);
    expect((refused as Error).message).not.toMatch(/\ba [aeiou]/);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("unknown outcomes are settled by re-query, never by a blind re-send", () => {
  it("a lost response (the bank debited, the answer never came) becomes unknown, and the re-query confirms it without sending again", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const counting = countingNetwork(w);
    const worker = c.worker({ ctx: counting.ctx });
    await c.faults({ lostResponseRate: 1, operations: ["debitMandate"] });
    const queued = await initiate(w, c, 40_000);
    await worker.runOnce();
    const unknown = await paymentRow(w, queued.id);
    expect(unknown.state).toBe("unknown");
    expect(await entriesOf(w, c)).toEqual([]);
    const reference = paymentReference(queued.id, 1);
    expect(await bankTransfers(w, c, reference)).toHaveLength(1);

    // Not before the first back-off (2 s).
    await worker.runOnce();
    expect(counting.count("debitStatus", reference)).toBe(0);
    w.clock.advance(2_000);
    await worker.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    expect(counting.count("debitMandate", reference)).toBe(1);
    expect(counting.count("debitStatus", reference)).toBe(1);
    expect(await bankTransfers(w, c, reference)).toHaveLength(1);
    expect((await history(w, queued.id)).map((h) => h.to)).toEqual(["queued", "processing", "unknown", "succeeded"]);
    expect(await balances(w, c)).toMatchObject({ pending: 40_000n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("a timeout (the bank never acted) becomes unknown; the re-query finds nothing and re-sends the SAME reference once", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const counting = countingNetwork(w);
    const worker = c.worker({ ctx: counting.ctx });
    await c.faults({ timeoutRate: 1, operations: ["debitMandate"] });
    const queued = await initiate(w, c, 30_000);
    await worker.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("unknown");
    const reference = paymentReference(queued.id, 1);
    expect(await bankTransfers(w, c, reference)).toHaveLength(0);

    await c.faults({});
    w.clock.advance(2_000);
    await worker.runOnce();
    const done = await paymentRow(w, queued.id);
    expect(done.state).toBe("succeeded");
    expect(done.reference).toBe(reference);
    expect(counting.count("debitStatus", reference)).toBe(1);
    expect(counting.count("debitMandate", reference)).toBe(2);
    expect(await bankTransfers(w, c, reference)).toHaveLength(1);
    expect(await history(w, queued.id)).toEqual([
      { from: null, to: "queued", actor: "api", reason: "initiated" },
      { from: "queued", to: "processing", actor: "worker", reason: "debit_sent" },
      { from: "processing", to: "unknown", actor: "bank", reason: "bank_timeout" },
      { from: "unknown", to: "processing", actor: "worker", reason: "resent_not_found" },
      { from: "processing", to: "succeeded", actor: "bank", reason: "bank_confirmed" },
    ]);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("backs off re-queries 2 s, 4 s, 8 s … while the bank cannot answer them", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    await c.faults({ lostResponseRate: 1, operations: ["debitMandate"] });
    const queued = await initiate(w, c, 5_000);
    const worker = c.worker();
    await worker.runOnce();
    let row = await paymentRow(w, queued.id);
    expect(row.state).toBe("unknown");
    expect((await nextDue(w, queued.id))!.getTime() - w.clock.now().getTime()).toBe(2_000);

    await c.faults({ errorRate: 1, operations: ["debitStatus"] });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      w.clock.set((await nextDue(w, queued.id))!);
      await worker.runOnce();
      row = await paymentRow(w, queued.id);
      expect(row.state).toBe("unknown");
      waits.push((await nextDue(w, queued.id))!.getTime() - w.clock.now().getTime());
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect([requeryDelayMs(10), requeryDelayMs(100)]).toEqual([300_000, 300_000]);

    await c.faults({});
    w.clock.set((await nextDue(w, queued.id))!);
    await worker.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    expect(await bankTransfers(w, c, paymentReference(queued.id, 1))).toHaveLength(1);
  });
});

describe("a worker that died mid-payment", () => {
  /** What a worker leaves when it dies after committing `processing`: the reference fixed, its re-query due when its hold (60 s) lapses. */
  async function diedAfterCommit(c: Awaited<ReturnType<typeof newCompany>>, amount: number) {
    const queued = await initiate(w, c, amount);
    const processing = await w.h.ctx.db.transaction().execute((trx) =>
      applyTransition(trx, w.h.ctx, queued, "processing", {
        actor: "worker",
        reason: "debit_sent",
        set: { attempt: 1, reference: paymentReference(queued.id, 1), sent_at: w.clock.now() },
      }),
    );
    expect((await nextDue(w, queued.id))!.getTime() - w.clock.now().getTime()).toBe(60_000);
    return processing!;
  }

  it("before its bank call: once the lease lapses another worker re-queries, finds nothing, and sends the same reference once", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const processing = await diedAfterCommit(c, 12_000);
    const counting = countingNetwork(w);
    const worker = c.worker({ ctx: counting.ctx });
    await worker.runOnce();
    expect((await paymentRow(w, processing.id)).state).toBe("processing"); // leased: nobody touches it
    expect(counting.calls.size).toBe(0);

    w.clock.advance(60_000);
    await worker.runOnce();
    expect((await paymentRow(w, processing.id)).state).toBe("succeeded");
    expect(counting.count("debitStatus", processing.reference!)).toBe(1);
    expect(counting.count("debitMandate", processing.reference!)).toBe(1);
    expect(await bankTransfers(w, c, processing.reference!)).toHaveLength(1);
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("after its bank call: the re-query finds the debit and confirms it, sending nothing", async () => {
    const c = await newCompany(w);
    const consent = await activeConsent(w, c);
    const processing = await diedAfterCommit(c, 13_000);
    // The dead worker's call reached the bank.
    const bank = connectorFor(w.h.ctx, "sandbox", c.tenant.id, GTBANK)!;
    await bank.debitMandate({ mandateId: consent.mandate_id!, amount: 13_000, currency: "NGN", reference: processing.reference!, narration: "x" });

    const counting = countingNetwork(w);
    w.clock.advance(60_000);
    await c.worker({ ctx: counting.ctx }).runOnce();
    expect((await paymentRow(w, processing.id)).state).toBe("succeeded");
    expect(counting.count("debitMandate", processing.reference!)).toBe(0);
    expect(await bankTransfers(w, c, processing.reference!)).toHaveLength(1);
    expect(await balances(w, c)).toMatchObject({ pending: 13_000n });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("two workers on the same due payments", () => {
  it("never send one payment twice", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const payments = [];
    for (let i = 0; i < 8; i++) payments.push(await initiate(w, c, 1_000 + i));
    const counting = countingNetwork(w);
    const a = c.worker({ ctx: counting.ctx, concurrency: 3, workerId: "a" });
    const b = c.worker({ ctx: counting.ctx, concurrency: 3, workerId: "b" });
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    for (const p of payments) {
      const reference = paymentReference(p.id, 1);
      expect((await paymentRow(w, p.id)).state).toBe("succeeded");
      expect(counting.count("debitMandate", reference)).toBe(1);
      expect(await bankTransfers(w, c, reference)).toHaveLength(1);
    }
    expect(await balances(w, c)).toMatchObject({ pending: BigInt(payments.reduce((s, p) => s + Number(p.amount), 0)) });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("cancelling", () => {
  it("cancels a queued payment (the worker then leaves it alone), and refuses one that was sent, leaving the ledger untouched", async () => {
    const c = await newCompany(w);
    await activeConsent(w, c);
    const queued = await initiate(w, c, 7_000);
    const cancelled = await w.h.ctx.db.transaction().execute((trx) => cancelPayment(trx, w.h.ctx, c.scope, queued.id, "api"));
    expect(cancelled.state).toBe("cancelled");
    expect(await nextDue(w, queued.id)).toBeNull();
    await c.worker().runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("cancelled");
    expect(await eventTypes(w, c, queued.id)).toEqual(["payment.queued", "payment.cancelled"]);

    const sent = await initiate(w, c, 8_000);
    await c.worker().runOnce();
    w.clock.advance(w.h.ctx.config.payments.settlementDelayMs);
    await c.worker().runOnce();
    expect((await paymentRow(w, sent.id)).state).toBe("settled");
    const before = await entriesOf(w, c);
    const refused = await w.h.ctx.db
      .transaction()
      .execute((trx) => cancelPayment(trx, w.h.ctx, c.scope, sent.id, "api"))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OkroError);
    expect(refused).toMatchObject({ code: "CONFLICT", statusCode: 409, field: "payment_id" });
    expect((refused as Error).message).toMatch(/^payment_id: a payment with status completed cannot be cancelled/);
    expect(await entriesOf(w, c)).toEqual(before);
    expect((await getPayment(w.h.ctx.db, c.scope, sent.id)).state).toBe("settled");

    const other = await newCompany(w);
    await expect(w.h.ctx.db.transaction().execute((trx) => cancelPayment(trx, w.h.ctx, other.scope, sent.id, "api"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("granting payment consent", () => {
  it("refuses a wrong OTP with the attempts left and keeps no consent", async () => {
    const c = await newCompany(w);
    const refused = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { otp: new Secret("000000") } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "UNPROCESSABLE", statusCode: 422, data: { reason: "invalid_otp", attempts_left: 4 } });
    expect(await w.h.ctx.db.selectFrom("payment_consents").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
  });

  it("recovers a consent whose mandate answer was lost by asking the bank for its reference", async () => {
    const c = await newCompany(w);
    await c.faults({ mandateActivationDelayMs: 0, lostResponseRate: 1, operations: ["createMandate"] });
    const pending = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
    expect(pending).toMatchObject({ status: "pending", mandate_id: null });
    await c.faults({});
    const queued = await initiate(w, c, 3_000);
    w.clock.advance(2_000);
    await c.worker().runOnce();
    const consent = await w.h.ctx.db.selectFrom("payment_consents").selectAll().where("id", "=", pending.id).executeTakeFirstOrThrow();
    expect(consent.status).toBe("active");
    expect(consent.mandate_id).toMatch(/^[0-9a-f]{24}$/);
    // The activation made the waiting payment due in the same run.
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });
});

describe("pay/initiate's checks", () => {
  it("names the field it refuses, and writes nothing", async () => {
    const c = await newCompany(w);
    const attempt = (input: Partial<{ accountToDebit: string; accountToCredit: string; amount: number; currency: string }>) =>
      w.h.ctx.db
        .transaction()
        .execute((trx) =>
          initiatePayment(trx, w.h.ctx, c.scope, {
            accountToDebit: input.accountToDebit ?? c.account.id,
            amount: kobo(input.amount ?? 1_000),
            currency: input.currency ?? "NGN",
            ...(input.accountToCredit ? { accountToCredit: input.accountToCredit } : {}),
          }),
        )
        .then(
          () => undefined,
          (e: unknown) => e as OkroError,
        );
    expect(await attempt({})).toMatchObject({ statusCode: 422, field: "account_to_debit", data: { reason: "no_consent" } });
    await activeConsent(w, c, kobo(50_000));
    expect(await attempt({ currency: "USD" })).toMatchObject({ statusCode: 422, field: "currency" });
    expect(await attempt({ amount: 0 })).toMatchObject({ statusCode: 400, field: "amount" });
    expect(await attempt({ amount: 50_001 })).toMatchObject({ statusCode: 422, field: "amount" });
    expect(await attempt({ accountToDebit: "000000000000000000000000" })).toMatchObject({ statusCode: 404, field: "account_to_debit" });
    expect(await attempt({ accountToCredit: "000000000000000000000000" })).toMatchObject({ statusCode: 404, field: "account_to_credit" });
    const other = await newCompany(w);
    expect(await attempt({ accountToCredit: other.receivingAccountId })).toMatchObject({ statusCode: 404, field: "account_to_credit" });
    expect(await attempt({ accountToDebit: other.account.id })).toMatchObject({ statusCode: 404, field: "account_to_debit" });
    await w.h.ctx.db.updateTable("company_accounts").set({ is_default: false }).where("id", "=", c.receivingAccountId).execute();
    expect(await attempt({})).toMatchObject({ statusCode: 422, field: "account_to_credit", data: { reason: "no_receiving_account" } });
    expect(await w.h.ctx.db.selectFrom("payments").select("id").where("company_id", "=", c.tenant.id).execute()).toEqual([]);
    expect(await entriesOf(w, c)).toEqual([]);
  });
});
