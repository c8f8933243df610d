import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportReversal } from "../../src/payments/service.js";
import { expectSoundLedger, newCompany, openWorld, type Company, type World } from "../payments/engine-world.js";
import { apiOf, debtor, garnishRunner } from "./world.js";

/**
 * A debit the bank reverses after the recovery was repaid (docs/decisions/0023, "Reversed after
 * repaid"): the debt is partly unpaid again. Before its stop date the recovery reopens (repaid →
 * active, an event saying why) and sweeps again from its next scheduled sweep; past it, it stays
 * repaid and `garnishment.shortfall` tells the company what is left.
 */

let w: World;
beforeAll(async () => {
  w = await openWorld();
}, 120_000);
afterAll(() => w?.h.close());

const MIN = 60_000;
const DAY = 24 * 3_600_000;

async function settle(runner: ReturnType<typeof garnishRunner>, rounds = 5) {
  for (let i = 0; i < rounds; i++) {
    await runner.runOnce();
    w.clock.advance(2 * MIN);
  }
}

async function events(c: Company, objectId: string) {
  const rows = await w.h.ctx.db.selectFrom("events").select(["type", "payload"]).where("company_id", "=", c.tenant.id).where("object_id", "=", objectId).orderBy("sequence").execute();
  return rows.map((r) => ({ type: r.type, data: ((typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as { data: Record<string, unknown> & { detail?: Record<string, unknown> } }).data }));
}

async function debits(id: string) {
  return w.h.ctx.db.selectFrom("payments").selectAll().where("garnishment_id", "=", id).orderBy("created_at").orderBy("id").execute();
}

describe("a debit reversed after the recovery was repaid", () => {
  it("reopens the recovery, which sweeps again and takes what is there", async () => {
    w.clock.set(new Date("2027-10-01T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [3_000_000, 2_000_000], maxTotal: 10_000_000 });
    const g = (await api("/garnish/create", { customer: d.customerId, principal: 4_000_000 })).json().data.garnishment;
    const runner = garnishRunner(w, c);
    await settle(runner);
    expect((await api("/garnish/get", { id: g._id })).json().data.garnishment).toMatchObject({ status: "repaid", collected: 4_000_000, remaining: 0 });
    const big = (await debits(g._id)).find((p) => p.amount === 3_000_000n)!;
    expect(big.state).toBe("settled");

    await reportReversal(w.h.ctx, c.scope, big.id, "debtor disputed the debit");
    await runner.runOnce();
    const reopened = (await api("/garnish/get", { id: g._id })).json().data.garnishment;
    expect(reopened).toMatchObject({ status: "active", collected: 1_000_000, remaining: 3_000_000, ended_at: null });
    const types = (await events(c, g._id)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(["garnishment.debit_reversed", "garnishment.active"]);
    const active = (await events(c, g._id)).at(-1)!;
    expect(active.data.detail).toMatchObject({ reason: "debit_reversed", payment: big.id, amount: 3_000_000, remaining: 3_000_000 });

    // Today's sweep already ran: the next is tomorrow's, which takes the ₦10,000 left at the second bank.
    await settle(runner);
    expect((await debits(g._id)).length).toBe(2);
    w.clock.advance(DAY);
    await settle(runner);
    const after = (await api("/garnish/get", { id: g._id })).json().data.garnishment;
    expect(after).toMatchObject({ status: "active", collected: 2_000_000, remaining: 2_000_000 });
    const third = (await debits(g._id))[2]!;
    expect(third).toMatchObject({ account_id: d.accounts[1]!.accountId, amount: 1_000_000n, state: "settled" });
    expect(await expectSoundLedger(w, c)).toEqual([]);
  }, 300_000);

  it("past its stop date, stays repaid and says the shortfall", async () => {
    w.clock.set(new Date("2027-10-10T09:00:00Z"));
    const c = await newCompany(w);
    const api = apiOf(w, c);
    const d = await debtor(w, c, { balances: [3_000_000, 2_000_000], maxTotal: 10_000_000 });
    const g = (await api("/garnish/create", { customer: d.customerId, principal: 4_000_000, schedule: { interval: "daily", end_date: "2027-10-11" } })).json().data.garnishment;
    const runner = garnishRunner(w, c);
    await settle(runner);
    expect((await api("/garnish/get", { id: g._id })).json().data.garnishment.status).toBe("repaid");
    w.clock.advance(3 * DAY);
    await settle(runner);
    const small = (await debits(g._id)).find((p) => p.amount === 1_000_000n)!;
    await reportReversal(w.h.ctx, c.scope, small.id, "returned by the bank");
    await runner.runOnce();
    expect((await api("/garnish/get", { id: g._id })).json().data.garnishment).toMatchObject({ status: "repaid", collected: 3_000_000, remaining: 1_000_000 });
    const evs = await events(c, g._id);
    expect(evs.map((e) => e.type).slice(-2)).toEqual(["garnishment.debit_reversed", "garnishment.shortfall"]);
    expect(evs.at(-1)!.data.detail).toMatchObject({ payment: small.id, remaining: 1_000_000, reason: "stop_date_passed" });
    // No sweep after it: nothing more is taken.
    w.clock.advance(DAY);
    await settle(runner);
    expect((await debits(g._id)).length).toBe(2);
  }, 300_000);
});
