import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { grantConsent } from "../../src/payments/consents.js";
import { bearer } from "../harness.js";
import { bankTransfers, consentDue, expectSoundLedger, initiate, newCompany, nextDue, openWorld, paymentRow, type World } from "./engine-world.js";

/**
 * Sandbox time travel: `POST /v2/sandbox/clock/advance` moves the sandbox bank's time, and brings
 * the company's queued sandbox jobs forward by as much — so what fell due in the skipped time (a
 * consent's activation and the payments waiting on it, a settlement) runs at the runner's next
 * pass, without Okro's own clock moving.
 */
let w: World;
beforeAll(async () => {
  w = await openWorld();
});
afterAll(async () => {
  await w.h.close();
});

describe("advancing the sandbox clock", () => {
  it("runs what became due: the consent activates, its queued payment is debited, then settles", async () => {
    const c = await newCompany(w);
    // The sandbox's default mandate activation delay: 5 minutes.
    const consent = await grantConsent(w.h.ctx, c.scope, { accountId: c.account.id, bankSession: await c.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    expect(consent.status).toBe("pending");
    const queued = await initiate(w, c, 40_000);
    const runner = c.worker();
    await runner.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("queued");
    const activation = (await consentDue(w, consent.id))!;
    expect(activation.getTime() - w.clock.now().getTime()).toBe(5 * 60_000);

    const advance = (ms: number) => w.h.request({ method: "POST", url: "/v2/sandbox/clock/advance", headers: bearer(c.tenant.sandbox.secret_key), payload: { ms } });
    const res = await advance(5 * 60_000);
    expect(res.statusCode, res.body).toBe(200);
    expect((await consentDue(w, consent.id))!.getTime()).toBeLessThanOrEqual(w.clock.now().getTime());
    await runner.runOnce();
    const debited = await paymentRow(w, queued.id);
    expect(debited.state).toBe("succeeded");
    expect(await bankTransfers(w, c, debited.reference!)).toHaveLength(1);

    // Settlement is due after OKRO_SETTLEMENT_DELAY_MS of Okro's time; a day of sandbox time is more.
    expect((await nextDue(w, queued.id))!.getTime()).toBeGreaterThan(w.clock.now().getTime());
    await runner.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("succeeded");
    expect((await advance(86_400_000)).statusCode).toBe(200);
    await runner.runOnce();
    expect((await paymentRow(w, queued.id)).state).toBe("settled");
    expect(await expectSoundLedger(w, c)).toEqual([]);
  });

  it("leaves another company's and production's jobs where they are", async () => {
    const c = await newCompany(w);
    const other = await newCompany(w);
    for (const company of [c, other]) {
      await grantConsent(w.h.ctx, company.scope, { accountId: company.account.id, bankSession: await company.freshSession(), authorization: { pin: new Secret(SANDBOX_PAYMENT_AUTH.pin) } });
    }
    const production = await w.h.ctx.db
      .insertInto("jobs")
      .values({
        id: "0123456789abcdef01234567",
        name: "payments.requery",
        key: `test-production-${c.tenant.id}`,
        payload: JSON.stringify({ paymentId: "p", seq: 1, streak: 0, env: "production" }),
        company_id: c.tenant.id,
        state: "queued",
        run_at: new Date(w.clock.now().getTime() + 60_000),
        max_attempts: 1,
        created_at: w.clock.now(),
        updated_at: w.clock.now(),
      })
      .returning("run_at")
      .executeTakeFirstOrThrow();
    const dueOf = async (company: typeof c) => {
      const row = await w.h.ctx.db.selectFrom("payment_consents").select("id").where("company_id", "=", company.tenant.id).executeTakeFirstOrThrow();
      return (await consentDue(w, row.id))!.getTime();
    };
    const [mine, theirs] = [await dueOf(c), await dueOf(other)];
    const res = await w.h.request({ method: "POST", url: "/v2/sandbox/clock/advance", headers: bearer(c.tenant.sandbox.secret_key), payload: { ms: 120_000 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await dueOf(c)).toBe(mine - 120_000);
    expect(await dueOf(other)).toBe(theirs);
    const still = await w.h.ctx.db.selectFrom("jobs").select("run_at").where("key", "=", `test-production-${c.tenant.id}`).executeTakeFirstOrThrow();
    expect(still.run_at!.getTime()).toBe(production.run_at!.getTime());
    await w.h.ctx.db.deleteFrom("jobs").where("key", "=", `test-production-${c.tenant.id}`).execute();
  });
});
