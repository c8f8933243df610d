import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { banner } from "../../src/banner.js";
import { ManualClock } from "../../src/lib/clock.js";
import { consentFor } from "../../src/payments/consents.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { demoFilePath, ensureDemo, ensureDemoData, type DemoInfo } from "../../src/seed.js";
import { expectSuccess, type Answer } from "../http/envelope-assertions.js";
import { bearer, createHarness, type Harness } from "../harness.js";

/**
 * The demo seed's payments side (src/seed.ts): the demo company gets a sandbox receiving account
 * (written to demo.json as `sandbox.settlement_account` and shown in the banner), and its seeded
 * customers get payment consent, so a developer's first `pay/initiate` works and settles.
 * The demo company is one per database: this file is the only test that makes it.
 */
let h: Harness;
let clock: ManualClock;
let dataDir: string;
let demo: DemoInfo;

const post = (url: string, payload: unknown) =>
  h.request({ method: "POST", url: `/v2${url}`, headers: bearer(demo.sandbox.secret_key), payload: payload as object }) as Promise<Answer>;

beforeAll(async () => {
  clock = new ManualClock();
  h = await createHarness({ clock });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "okro-pay-seed-"));
  demo = await ensureDemo(h.ctx, dataDir, { api: "http://localhost:4000", widget: "http://localhost:4001" });
  await ensureDemoData(h.ctx, demo);
}, 120_000);
afterAll(async () => {
  await h?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the demo seed's payments", () => {
  it("writes the sandbox receiving account to demo.json and the banner: Demo Shop Ltd at GTBank, the NGN default", async () => {
    const saved = JSON.parse(fs.readFileSync(demoFilePath(dataDir), "utf8")) as DemoInfo;
    expect(saved.sandbox.settlement_account).toMatch(/^[0-9a-f]{24}$/);
    expect(saved.sandbox.settlement_account).toBe(demo.sandbox.settlement_account);
    const { accounts } = expectSuccess(await post("/pay/accounts/list", {}));
    expect(accounts).toEqual([expect.objectContaining({ id: saved.sandbox.settlement_account, name: "Demo Shop Ltd", bank: "5d6fe57a4099cc4b210bbeb3", default: true, currency: "NGN" })]);
    expect(banner(demo, { kind: "pglite", location: dataDir }, demoFilePath(dataDir), 1, { secrets: true })).toContain(`Receiving account   ${saved.sandbox.settlement_account}`);

    // A second start keeps the same account.
    const again = await ensureDemo(h.ctx, dataDir, { api: "http://localhost:4000", widget: "http://localhost:4001" });
    expect(again.sandbox.settlement_account).toBe(saved.sandbox.settlement_account);
  });

  it("gives every shared account of the seeded customers an active payment consent", async () => {
    const scope = { companyId: demo.company_id, env: "sandbox" as const };
    const accounts = await h.ctx.db.selectFrom("accounts").select(["id", "connected"]).where("company_id", "=", demo.company_id).where("env", "=", "sandbox").execute();
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    for (const account of accounts.filter((a) => a.connected)) expect((await consentFor(h.ctx.db, scope, account.id))?.status).toBe("active");
  });

  it("pays from a seeded customer into the settlement account: pay/initiate, the worker, settled after the delay", async () => {
    // A shopper's account (saved for future payments: a standing consent), not the demo debtor's, whose consents are bound to its sweep mandates.
    const account = await h.ctx.db
      .selectFrom("accounts")
      .innerJoin("payment_consents", "payment_consents.account_id", "accounts.id")
      .select("accounts.id")
      .where("accounts.company_id", "=", demo.company_id)
      .where("accounts.env", "=", "sandbox")
      .where("accounts.connected", "=", true)
      .where("payment_consents.standing", "=", true)
      .where("payment_consents.status", "=", "active")
      .orderBy("accounts.id")
      .executeTakeFirstOrThrow();
    const { payment } = expectSuccess(await post("/pay/initiate", { account_to_debit: account.id, account_to_credit: demo.sandbox.settlement_account, amount: 50_000, currency: "NGN" }));
    expect(payment.status).toBe("pending");
    const worker = new JobRunner(h.ctx, PAYMENT_JOBS, { companyIds: [demo.company_id] });
    await worker.runOnce();
    expect(expectSuccess(await post("/pay/verify", { payment_id: payment._id })).payment_status.status).toBe("success_pending_validation");
    clock.advance(h.ctx.config.payments.settlementDelayMs + 1);
    await worker.runOnce();
    expect(expectSuccess(await post("/pay/verify", { payment_id: payment._id })).payment_status).toMatchObject({ status: "completed", response_status: "success" });
    const [ngn] = expectSuccess(await post("/ledger/balances", { currency: "NGN" })).balances;
    expect(ngn.available).toBeGreaterThanOrEqual(50_000 - 500);
  });
});
