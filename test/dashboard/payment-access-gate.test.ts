import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OkroError } from "../../src/core/errors.js";
import { kobo } from "../../src/lib/kobo.js";
import { initiatePayment } from "../../src/payments/service.js";
import { createHarness, type Harness } from "../harness.js";
import { paymentFixture } from "../security/route-registry.js";

/** Production payments wait for the operator's approval; sandbox ones never do. */
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("the production payment gate", () => {
  it("refuses a production payment once the company has no approved request, with a reason", async () => {
    const tenant = await h.newTenant("Gate Co");
    // The fixture approves the company and makes a production payment on a consented account.
    const fixture = await paymentFixture(h, tenant, "production");
    await h.ctx.db.deleteFrom("payment_access_requests").where("company_id", "=", tenant.id).execute();
    const attempt = h.ctx.db.transaction().execute((trx) =>
      initiatePayment(trx, h.ctx, { companyId: tenant.id, env: "production" }, { accountToDebit: fixture.accountId, amount: kobo(10_000), currency: "NGN" }),
    );
    await expect(attempt).rejects.toBeInstanceOf(OkroError);
    await expect(attempt).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/^Production payments are not enabled for this company yet/) });
    const count = await h.ctx.db.selectFrom("payments").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", tenant.id).where("env", "=", "production").executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it("lets sandbox payments through without any request", async () => {
    const tenant = await h.newTenant("Sandbox Co");
    const fixture = await paymentFixture(h, tenant, "sandbox");
    expect(fixture.paymentId).toMatch(/^[0-9a-f]{24}$/);
  });
});
