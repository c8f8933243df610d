import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { receivingAccount } from "../widget/payment-fixtures.js";
import { chromiumPath } from "./chromium.js";
import { chooseBank, escapeRegExp, logIn, startWidgetWorld, type Tenant, type WidgetPage, type WidgetWorld } from "./widget-harness.js";

/**
 * The widget's sweep consent (issue 14 item 2, decision 0025) in Chromium at 360 px: okra-js with
 * `debitLater: true, debitType: "sweep"`; a debtor with accounts at two sandbox banks under one
 * BVN reads what they sign (lender, the most taken, the accounts covered, the reach over their
 * BVN's banks, how it ends, how to withdraw), confirms with the bank's OTP, presses "Add another
 * bank", does the same at the second bank — whose done screen lists both accounts — and the
 * lender's server then creates a recovery over both (garnish/create). Screens in
 * test-artifacts/widget/`garnish-*`.
 */

const SWEEP = { debitLater: true, debitType: "sweep", debitAmount: 10_000_000, charge: { note: "Loan 42 recovery" } };

describe.skipIf(!chromiumPath)("the debtor's sweep consent at two banks (Chromium, 360 px)", () => {
  let world: WidgetWorld;
  const open: WidgetPage[] = [];
  beforeAll(async () => {
    world = await startWidgetWorld({ products: ["auth", "payments"] });
    world.clock.set(new Date("2027-01-10T09:00:00Z"));
  });
  afterEach(async () => {
    for (const w of open.splice(0)) await w.close();
  });
  afterAll(async () => {
    await world?.close();
  });

  /** Login at `bank` (its method screen and MFA when the bank asks), then the account to debit. */
  async function loginAt(w: WidgetPage, bank: string, username: string) {
    await chooseBank(w, bank);
    await w.frame.getByRole("heading", { level: 1, name: new RegExp(`^(How do you log in to|Log in to) ${escapeRegExp(bank)}`) }).waitFor();
    if (await w.heading(`How do you log in to ${bank}?`).count()) await w.frame.getByRole("button", { name: "Internet banking" }).click();
    await logIn(w, bank, { identifier: username, secret: "debtor_pass" });
    await w.frame.getByRole("heading", { level: 1, name: /^(Choose the account to debit|Verify it's you)$/ }).waitFor({ timeout: 20_000 });
    if (await w.heading("Verify it's you").count()) {
      const question = w.frame.getByLabel(/\?$/);
      if (await question.count()) await question.fill("okro");
      else await w.frame.getByLabel(/One-time password|Token code/).fill("123456");
      await w.frame.getByRole("button", { name: "Verify" }).click();
    }
    // One account: the widget goes straight to the consent.
    await w.frame.getByRole("heading", { level: 1, name: /^(Choose the account to debit|Allow loan recovery from your account)$/ }).waitFor({ timeout: 20_000 });
    if (await w.heading("Choose the account to debit").count()) {
      await w.frame.locator(".choice label").first().click();
      await w.frame.getByRole("button", { name: "Continue" }).click();
    }
  }

  async function authorise(w: WidgetPage, bank: string) {
    await w.waitForScreen(`Confirm with ${bank}`, 20_000);
    await w.frame.getByLabel("Enter the OTP", { exact: true }).fill("123456");
    await w.frame.getByRole("button", { name: "Authorise debits" }).click();
    await w.waitForScreen("Loan recovery consent given", 20_000);
  }

  it("states what the debtor signs, takes each bank's OTP, links two banks in one go, and the recovery draws on both", async () => {
    const t: Tenant = await world.newTenant("Quick Loans");
    await receivingAccount(world.h.ctx, t);
    const banks = world.h.ctx.sandbox.banks().filter((b) => b.loginMethods.includes("internet_banking")).slice(0, 2);
    const users = banks.map((_, i) => `gwdebtor${i}x${Date.now() % 100000}`);
    await world.h.ctx.sandbox.createCustomers(
      t.id,
      banks.map((b, i) => ({ bankId: b.bankId, username: users[i]!, password: "debtor_pass", type: "ind" as const, volume: "low" as const, identity: 100, noOfAccount: 1, internetSpeed: 4, name: "Adaeze Debtor", balance: 3_000_000, bvn: "22398765432", income: { kind: "none" as const } })),
    );
    for (const b of banks) await world.h.ctx.sandbox.setFaults(t.id, b.bankId, { mandateActivationDelayMs: 0 });
    const [first, second] = banks as [(typeof banks)[0], (typeof banks)[0]];

    const w = await world.open(t, { flow: "garnish", options: SWEEP });
    open.push(w);
    await loginAt(w, first.name, users[0]!);

    // The consent: every line the debtor signs, written by the server from the sweep mandate's terms.
    await w.waitForScreen("Allow loan recovery from your account");
    const shown = (await w.frame.locator("dl.terms").innerText()).replace(/\s+/g, " ");
    expect(shown).toContain("Who can take money Quick Loans (your lender), to recover a loan you owe them");
    expect(shown).toContain("The most that can be taken ₦100,000.00 from each account you authorise, and never more than you owe in all: the past-due loan and its interest, never penalties");
    expect(shown).toContain("Accounts it covers The account you chose, and each account you add with “Add another bank”");
    expect(shown).toContain("Other banks It can reach your accounts at other banks linked to your BVN");
    expect(shown).toContain("How it ends When the debt is repaid, when Quick Loans cancels it, or when you withdraw it");
    expect(shown).toContain("For Loan 42 recovery");
    expect(shown).toContain("How to withdraw Any time, on your authorisations page for Quick Loans");
    const overflow = await w.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await w.check("consent");
    await w.frame.locator('[data-term="withdraw"]').scrollIntoViewIfNeeded();
    await w.screenshot("consent-end");
    await w.frame.getByRole("button", { name: "Agree and continue" }).click();
    await w.waitForScreen(`Confirm with ${first.name}`, 20_000);
    await w.check("otp");
    await authorise(w, first.name);
    // The done screen in a sweep's words: what was signed, the account, the lender, how to withdraw.
    const done = (await w.frame.locator("body").innerText()).replace(/\s+/g, " ");
    expect(done).toContain(`You signed: Quick Loans, your lender, may take money you owe them from your ${first.name} account`);
    expect(done).toContain("Add another bank");
    expect(done).toContain("You can withdraw this consent any time on your authorisations page: that stops debits from this account, but not what you owe Quick Loans.");
    expect(done).not.toContain("Debits authorised");
    expect(await w.frame.locator('dl[aria-label="What you signed"]').count()).toBe(1);
    await w.check("done-first", { desktop: true });
    const one = (await w.waitForCall("success")).data as { authorization: { _id: string; debit_type: string; status: string }; customer_id: string };
    expect(one.authorization).toMatchObject({ debit_type: "sweep", status: "active" });

    // "Add another bank": the same options, the second bank, its own OTP.
    await w.frame.getByRole("button", { name: "Add another bank" }).click();
    await loginAt(w, second.name, users[1]!);
    await w.waitForScreen("Allow loan recovery from your account");
    await w.frame.getByRole("button", { name: "Agree and continue" }).click();
    await authorise(w, second.name);
    const covers = (await w.frame.locator('[data-term="covers"]').innerText()).replace(/\s+/g, " ");
    expect(covers).toContain(`${second.name} ••••`);
    expect(covers).toContain("(this one)");
    expect(covers).toContain(`${first.name} ••••`);
    await w.frame.locator('[data-term="covers"]').scrollIntoViewIfNeeded();
    await w.check("done-both");

    // The lender's server: both sweep mandates are active and one recovery covers both.
    const g = await world.api(t, "/v2/garnish/create", { customer: one.customer_id, principal: 15_000_000 });
    expect(g.status, JSON.stringify(g.body)).toBe(200);
    expect(g.body.data.garnishment.status).toBe("active");
    expect(g.body.data.garnishment.mandates.map((m: { bank: string }) => m.bank).sort()).toEqual([first.bankId, second.bankId].sort());
  });
});
