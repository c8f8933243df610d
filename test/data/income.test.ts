import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import { linkConnection } from "../../src/data/link.js";
import { estimateIncome, normaliseSource, type IncomeSummary } from "../../src/data/income.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createHarness, type Harness } from "../harness.js";

const GTBANK = "5d6fe57a4099cc4b210bbeb3";
/** Tuesday 10:00 in Lagos. */
const START = new Date("2026-03-10T09:00:00.000Z");

describe("income sources", () => {
  it("names the payer without references, dates or banking words", () => {
    expect(normaliseSource("SALARY FROM ACME LTD NOV")).toBe("ACME LTD");
    expect(normaliseSource("SALARY NOV 2024 FROM ACME LTD")).toBe("ACME LTD");
    expect(normaliseSource("TRF FROM JOHN DOE/REF 0093387")).toBe("JOHN DOE");
    expect(normaliseSource("NIP TRF FROM OKRO COLLECTIONS/refund 12")).toBe("OKRO COLLECTIONS");
    expect(normaliseSource("CASH DEPOSIT BY ADA OBI")).toBe("ADA OBI");
    expect(normaliseSource("TRF FROM GOLDEN TEXTILES LIMITED/RETAINER FEB 2026")).toBe("GOLDEN TEXTILES LIMITED");
    expect(normaliseSource("123456 /// 99")).toBe("UNKNOWN");
  });

  it("treats a salary paid a few days early (weekend, holiday) as the same monthly stream", () => {
    const paid = ["2025-10-24", "2025-11-25", "2025-12-23", "2026-01-23", "2026-02-25"];
    const summary = estimateIncome(
      paid.map((date) => ({ date: `${date}T08:00:00Z`, amount: 45_000_000, narration: `SALARY FROM ACME LTD ${date.slice(5, 7)}`, category: "salary" })),
      START,
    );
    expect(summary.streams).toHaveLength(1);
    expect(summary.streams[0]).toMatchObject({ source: "ACME LTD", type: "salary", regularity: "monthly", avg_amount: 45_000_000, last_paid: "2026-02-25" });
    // Due around the usual day (paid on the 23rd–25th): within the tolerance of the 25th.
    const next = Date.parse(summary.next_expected_payday!);
    expect(Math.abs(next - Date.parse("2026-03-25")) / 86_400_000).toBeLessThanOrEqual(5);
  });
});

describe("income of a linked sandbox customer", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ clock: new ManualClock(START) });
  });
  afterAll(() => h?.close());

  it("finds okro_good's salary with the amount the sandbox bank paid", async () => {
    const tenant = await h.newTenant();
    const connector = connectorFor(h.ctx, "sandbox", tenant.id, GTBANK)!;
    const credentials = { method: "internet_banking" as const, identifier: "okro_good", secret: new Secret("pass_good") };
    const login = await connector.startLogin({ credentials });
    expect(login.status).toBe("connected");
    const accounts = await connector.listAccounts({ session: login.session });
    const linked = await linkConnection(h.ctx, {
      companyId: tenant.id,
      env: "sandbox",
      appId: null,
      bankId: GTBANK,
      loginMethod: "internet_banking",
      credentials,
      session: login.session,
      selectedAccountIds: accounts.map((a) => a.id),
      products: ["auth", "transactions", "income"],
      options: {},
    });
    expect(linked.incomeId).not.toBeNull();

    // What the bank paid as salary, straight from the sandbox bank.
    const salaries: Array<{ amount: number; narration: string; postedAt: string }> = [];
    for (const a of accounts) {
      const page = await connector.listTransactions({ session: login.session, accountId: a.id, from: "2024-01-01", to: START.toISOString(), limit: 500 });
      expect(page.hasMore).toBe(false);
      salaries.push(...page.transactions.filter((t) => t.category === "salary"));
    }
    expect(salaries.length).toBeGreaterThanOrEqual(6);
    const employer = /FROM (.+)$/.exec(salaries[0]!.narration)![1]!;

    const row = await h.ctx.db.selectFrom("incomes").select(["summary", "customer_id"]).where("id", "=", linked.incomeId!).executeTakeFirstOrThrow();
    expect(row.customer_id).toBe(linked.customerId);
    const summary = row.summary as IncomeSummary;
    const stream = summary.streams.find((s) => s.type === "salary");
    expect(stream).toMatchObject({ source: employer, regularity: "monthly" });
    const mean = Math.round(salaries.reduce((s, t) => s + t.amount, 0) / salaries.length);
    expect(stream!.avg_amount).toBe(mean);
    // This customer's pay did not change over the statement: the average is the salary itself.
    if (new Set(salaries.map((t) => t.amount)).size === 1) expect(stream!.avg_amount).toBe(salaries[0]!.amount);
    const latest = salaries.map((t) => t.postedAt).sort().at(-1)!;
    expect(stream!.last_paid).toBe(new Date(Date.parse(latest) + 3_600_000).toISOString().slice(0, 10));
    expect(summary.next_expected_payday! > START.toISOString().slice(0, 10)).toBe(true);
    expect(summary.confidence).toBeGreaterThan(0.5);
  });
});
