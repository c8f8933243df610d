import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OkroError } from "../../src/core/errors.js";
import {
  requestHash,
  runIdempotent,
  runIdempotentOutside,
  scopeId,
  type IdempotencyScope,
  type IdempotentCall,
} from "../../src/core/idempotency.js";
import type { Executor } from "../../src/core/db.js";
import { createCompany } from "../../src/platform/companies.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";

/**
 * The idempotency core without HTTP: what a bulk row, a CLI command or a job calls with its own
 * (scope, key, hash). The effect is creating a company whose name the test chooses, so "how many
 * times did it happen" is a count of companies with that name.
 */
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = (companyId = randomUUID(), env: "sandbox" | "production" = "sandbox"): IdempotencyScope => ({ who: "api", companyId, env });
const call = (scope: IdempotencyScope, key: string, request: unknown): IdempotentCall => ({ scope, key, hash: requestHash(request), now: h.clock.now() });

async function effects(name: string): Promise<number> {
  return (await h.ctx.db.selectFrom("companies").select("id").where("name", "=", name).execute()).length;
}

/** The effect: one company named `name`; its id is the answer. */
const createNamed = (name: string) => async (trx: Executor) => {
  const company = await createCompany(trx, { name }, h.clock.now());
  return { statusCode: 201, body: { id: company.id } };
};

describe("runIdempotent: (scope, key, request hash)", () => {
  it("runs once per key: the same request again is a replay of the stored answer", async () => {
    const name = `idem-${randomUUID()}`;
    const scope = api();
    const first = await runIdempotent(h.ctx.db, call(scope, "k1", { name, note: "a" }), createNamed(name));
    expect(first).toMatchObject({ replayed: false, statusCode: 201 });
    // Key order does not make another request: the hash is of canonical JSON.
    const again = await runIdempotent(h.ctx.db, call(scope, "k1", { note: "a", name }), createNamed(name));
    expect(again).toEqual({ replayed: true, statusCode: 201, body: first.body });
    expect(requestHash({ a: 1, b: { c: 2, d: 3 } })).toBe(requestHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(await effects(name)).toBe(1);
  });

  it("refuses the same key with another request hash with 409 IDEMPOTENCY_KEY_REUSED, doing nothing", async () => {
    const name = `idem-${randomUUID()}`;
    const other = `idem-${randomUUID()}`;
    const scope = api();
    await runIdempotent(h.ctx.db, call(scope, "k1", { name }), createNamed(name));
    const refused = runIdempotent(h.ctx.db, call(scope, "k1", { name: other }), createNamed(other));
    await expect(refused).rejects.toBeInstanceOf(OkroError);
    await expect(refused).rejects.toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", field: "Idempotency-Key" });
    expect(await effects(other)).toBe(0);
  });

  it("never lets the same key and request collide across companies, environments or callers", async () => {
    const name = `idem-${randomUUID()}`;
    const company = randomUUID();
    const scopes: IdempotencyScope[] = [api(company, "sandbox"), api(company, "production"), { who: "dashboard", companyId: company }, api()];
    expect(new Set(scopes.map(scopeId)).size).toBe(scopes.length);
    const answers = [];
    for (const scope of scopes) answers.push(await runIdempotent(h.ctx.db, call(scope, "same-key", { name }), createNamed(name)));
    expect(answers.every((a) => !a.replayed)).toBe(true);
    expect(new Set(answers.map((a) => (a.body as { id: string }).id)).size).toBe(scopes.length);
    expect(await effects(name)).toBe(scopes.length);
  });

  it("keeps nothing when the effect throws, so a retry with the same key runs", async () => {
    const name = `idem-${randomUUID()}`;
    const scope = api();
    const failing = async (trx: Executor) => {
      await createNamed(name)(trx);
      throw new OkroError("UNPROCESSABLE", "name: refused on purpose");
    };
    await expect(runIdempotent(h.ctx.db, call(scope, "k1", { name }), failing)).rejects.toMatchObject({ code: "UNPROCESSABLE" });
    expect(await effects(name)).toBe(0);
    expect(await runIdempotent(h.ctx.db, call(scope, "k1", { name }), createNamed(name))).toMatchObject({ replayed: false });
    expect(await effects(name)).toBe(1);
  });

  it.runIf(usingPostgres)("runs the effect once when 8 callers race on one key, the winner holding its transaction until all others wait on the key (PostgreSQL)", async () => {
    const name = `idem-${randomUUID()}`;
    const scope = api();
    // 8: the winner, 7 blocked on the key and the barrier's own query fit the pool (10) at once.
    const racers = 8;
    const waiting = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`.execute(h.ctx.db)).rows[0]!.n;
    let ran = 0;
    const effect = async (trx: Executor) => {
      ran++;
      const out = await createNamed(name)(trx);
      // Barrier: commit only once every other caller is blocked on this key's row (or has
      // already been told to replay — impossible before this commits). Bounded, no sleeps.
      for (let i = 0; i < 5_000 && (await waiting()) < racers - 1; i++);
      expect(await waiting()).toBe(racers - 1);
      return out;
    };
    const answers = await Promise.all(Array.from({ length: racers }, () => runIdempotent(h.ctx.db, call(scope, "race", { name }), effect)));
    expect(ran).toBe(1);
    expect(await effects(name)).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
  });
});

describe("runIdempotentOutside: effects outside Okro's transaction", () => {
  it("answers a duplicate that arrives while the effect runs with 409 CONFLICT, then replays once it is done", async () => {
    const scope = api();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let ran = 0;
    const effect = async () => {
      ran++;
      started();
      await gate;
      return { statusCode: 200, body: { done: true } };
    };
    const first = runIdempotentOutside(h.ctx.db, call(scope, "outside", { x: 1 }), effect);
    await running;
    await expect(runIdempotentOutside(h.ctx.db, call(scope, "outside", { x: 1 }), effect)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(runIdempotentOutside(h.ctx.db, call(scope, "outside", { x: 2 }), effect)).rejects.toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED" });
    release();
    expect(await first).toEqual({ replayed: false, statusCode: 200, body: { done: true } });
    expect(await runIdempotentOutside(h.ctx.db, call(scope, "outside", { x: 1 }), effect)).toEqual({ replayed: true, statusCode: 200, body: { done: true } });
    expect(ran).toBe(1);
  });

  it("releases the key when the effect is refused (4xx), so a corrected retry runs", async () => {
    const scope = api();
    const refuse = async () => {
      throw new OkroError("INVALID_FIELD", "bank: unknown", { field: "bank" });
    };
    await expect(runIdempotentOutside(h.ctx.db, call(scope, "refused", { x: 1 }), refuse)).rejects.toMatchObject({ code: "INVALID_FIELD" });
    const ok = await runIdempotentOutside(h.ctx.db, call(scope, "refused", { x: 1 }), async () => ({ body: { ok: true } }));
    expect(ok).toEqual({ replayed: false, statusCode: 200, body: { ok: true } });
  });
});
