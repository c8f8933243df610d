import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock.js";
import { sha256Hex } from "../../src/lib/secrets.js";
import type { CreateSessionResponse, LoginResponse } from "../../src/widget/protocol.js";
import { moveStep, purgeExpiredWidgetSessions, SESSION_MAX_MS } from "../../src/widget/session.js";
import { LOGIN_STEPS, STEPS, stepMachine, type Step } from "../../src/widget/steps.js";
import { createHarness, type Harness } from "../harness.js";
import { expectError, expectSuccess } from "../http/envelope-assertions.js";
import { buildWidgetApi } from "./widget-api.js";

/**
 * Widget sessions on the one state machine (decision 0014, issue 12): the steps are a
 * `defineMachine`, every change of step is the kernel's compare-and-set with a history row in
 * `state_transitions`, and staying on a step writes none.
 */

let h: Harness;
let clock: ManualClock;
let widget: FastifyInstance;
beforeAll(async () => {
  clock = new ManualClock(new Date("2026-04-01T09:00:00Z"));
  h = await createHarness({ clock });
  widget = await buildWidgetApi(h.ctx);
});
afterAll(async () => {
  await widget?.close();
  await h?.close();
});

async function open() {
  const t = await h.newTenant("Steps Co");
  const res = await widget.inject({
    method: "POST",
    url: "/api/sessions",
    payload: { key: t.sandbox.public_key, token: t.sandbox.token, env: "production-sandbox", products: ["auth", "balance"] },
  });
  const s = expectSuccess<CreateSessionResponse>(res);
  const post = (url: string, payload: object) => widget.inject({ method: "POST", url, headers: { authorization: `Bearer ${s.session_token}` }, payload });
  const row = () => h.ctx.db.selectFrom("widget_sessions").selectAll().where("token_hash", "=", sha256Hex(s.session_token)).executeTakeFirstOrThrow();
  const history = async () => {
    const id = (await row()).id;
    const rows = await h.ctx.db.selectFrom("state_transitions").select(["from_state", "to_state", "reason", "actor"]).where("object_type", "=", "widget_session").where("object_id", "=", id).orderBy("id").execute();
    return rows.map((r) => `${r.from_state ?? "·"}→${r.to_state} (${r.reason})`);
  };
  return { s, post, row, history };
}

describe("the step machine as data", () => {
  const reachable = (from: Step) => {
    const seen = new Set<Step>([from]);
    const todo = [from];
    while (todo.length > 0) for (const to of stepMachine.next(todo.pop()!)) if (!seen.has(to)) (seen.add(to), todo.push(to));
    return seen;
  };
  it("reaches every step from start, and done from every step", () => {
    expect([...reachable("start")].sort()).toEqual([...STEPS].sort());
    for (const s of STEPS) expect(reachable(s).has("done")).toBe(true);
  });
  it("lets a login begin only before linking, never from connecting or done", () => {
    expect([...LOGIN_STEPS].sort()).toEqual(["accounts", "mfa", "paying", "start"]);
    for (const s of LOGIN_STEPS) expect(stepMachine.can(s, "start") || s === "start").toBe(true);
    expect(() => stepMachine.assert("done", "start")).toThrow(/widget_session cannot move from done to start/);
    expect(() => stepMachine.assert("connecting", "mfa")).toThrow(/cannot move/);
  });
});

describe("a session's history", () => {
  it("records each move of a login with a code, a wrong code and a connect; staying at mfa writes nothing", async () => {
    const w = await open();
    expect(await w.history()).toEqual(["·→start (opened)"]);
    const challenge = expectSuccess<LoginResponse>(await w.post("/api/login", { bank_id: "5d6fe57a4099cc4b210bbeb3", method: "internet_banking", identifier: "okro_otp", secret: "pass_good" }));
    expect(challenge.step).toBe("mfa");
    expect(expectError(await w.post("/api/mfa", { answer: "000000" }), 422, "UNPROCESSABLE").data.reason).toBe("invalid_otp");
    expect((await w.row()).step).toBe("mfa");
    const accounts = expectSuccess<LoginResponse>(await w.post("/api/mfa", { answer: "123456" }));
    if (accounts.step !== "accounts") throw new Error("expected accounts");
    expectSuccess(await w.post("/api/connect", { account_ids: [accounts.accounts[0]!.id], consent: true }));
    expect(await w.history()).toEqual(["·→start (opened)", "start→mfa (mfa_required)", "mfa→accounts (logged_in)", "accounts→connecting (connect_claimed)", "connecting→done (linked)"]);
  });

  it("a failed login goes back to start with its reason", async () => {
    const w = await open();
    expectSuccess(await w.post("/api/login", { bank_id: "5d6fe57a4099cc4b210bbeb3", method: "internet_banking", identifier: "okro_good", secret: "pass_good" }));
    expectError(await w.post("/api/login", { bank_id: "5d6fe57a4099cc4b210bbeb3", method: "internet_banking", identifier: "okro_good", secret: "wrong" }), 422, "UNPROCESSABLE");
    expect((await w.row()).step).toBe("start");
    expect(await w.history()).toEqual(["·→start (opened)", "start→accounts (logged_in)", "accounts→start (login_failed)"]);
  });

  it("a move from a step the session has left loses the compare-and-set and writes nothing", async () => {
    const w = await open();
    const stale = await w.row();
    expectSuccess(await w.post("/api/login", { bank_id: "5d6fe57a4099cc4b210bbeb3", method: "internet_banking", identifier: "okro_good", secret: "pass_good" }));
    // Another tab read `start` before this login moved the session to accounts.
    expect(await moveStep(h.ctx, stale, { to: "mfa", reason: "mfa_required" })).toBeUndefined();
    expect((await w.row()).step).toBe("accounts");
    expect(await w.history()).toEqual(["·→start (opened)", "start→accounts (logged_in)"]);
  });

  it("goes with its session when housekeeping deletes it", async () => {
    const w = await open();
    const id = (await w.row()).id;
    clock.advance(SESSION_MAX_MS + 25 * 60 * 60_000);
    await purgeExpiredWidgetSessions(h.ctx, clock.now());
    expect(await h.ctx.db.selectFrom("widget_sessions").select("id").where("id", "=", id).executeTakeFirst()).toBeUndefined();
    expect(await h.ctx.db.selectFrom("state_transitions").select("id").where("object_type", "=", "widget_session").where("object_id", "=", id).execute()).toEqual([]);
  });
});
