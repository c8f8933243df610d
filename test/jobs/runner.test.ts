import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppContext } from "../../src/context.js";
import { defineJob, JobLeaseLostError, JobPayloadError, type JobOptions } from "../../src/jobs/define.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { advanceQueued, cancelQueued, claimJobs, claimStatement, completeJob, enqueue, requeue } from "../../src/jobs/store.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * The job runner on the harness storage (PGlite, or PostgreSQL with DATABASE_URL) with a
 * ManualClock. Every test defines its own job kinds (unique names), and a runner claims only the
 * kinds registered with it, so tests sharing the database never run each other's jobs.
 */

let h: Harness;
let clock: ManualClock;
let ctx: AppContext;

beforeAll(async () => {
  h = await createHarness();
  clock = new ManualClock(new Date("2030-01-01T00:00:00Z"));
  ctx = { ...h.ctx, clock };
  await sql`CREATE TABLE IF NOT EXISTS job_test_effects (job_name text NOT NULL, key text NOT NULL, note text)`.execute(ctx.db);
});
afterAll(() => h.close());

const uniqueName = (what: string) => `test_${randomBytes(5).toString("hex")}.${what}`;

/** A job kind whose effect is one row in job_test_effects, written with the job's completion. */
function effectJob(what: string, options: Partial<JobOptions<z.ZodObject<{ n: z.ZodNumber }>>> = {}) {
  return defineJob({
    name: uniqueName(what),
    payload: z.object({ n: z.number().int() }),
    handler: (job) =>
      job.complete(async (trx) => {
        await trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: String(job.payload.n) } as never).execute();
      }),
    ...options,
  });
}

async function effects(name: string): Promise<string[]> {
  const { rows } = await sql<{ key: string }>`SELECT key FROM job_test_effects WHERE job_name = ${name} ORDER BY key`.execute(ctx.db);
  return rows.map((r) => r.key);
}
const jobsOf = (name: string) => ctx.db.selectFrom("jobs").selectAll().where("name", "=", name).orderBy("id").execute();

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("enqueue", () => {
  it("with a key that exists is a no-op that returns the job already there", async () => {
    const def = effectJob("unique");
    const first = await enqueue(ctx.db, def, { n: 1 }, { now: clock.now(), key: "order-1" });
    const again = await enqueue(ctx.db, def, { n: 2 }, { now: clock.now(), key: "order-1" });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id, payload: { n: 1 } } });
    expect(await jobsOf(def.name)).toHaveLength(1);
    const runner = new JobRunner(ctx, [def], { concurrency: 4 });
    expect(await runner.runOnce()).toBe(1);
    expect(await effects(def.name)).toEqual(["1"]);
  });

  it("in a transaction that rolls back leaves no job; in one that commits, the job is there", async () => {
    const def = effectJob("in_trx");
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await enqueue(trx, def, { n: 1 }, { now: clock.now(), key: "a" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await jobsOf(def.name)).toHaveLength(0);
    await ctx.db.transaction().execute((trx) => enqueue(trx, def, { n: 2 }, { now: clock.now(), key: "a" }));
    expect((await jobsOf(def.name)).map((j) => j.payload)).toEqual([{ n: 2 }]);
  });

  it("refuses a payload its schema rejects with an error naming the field, and writes nothing", async () => {
    const def = effectJob("bad_payload");
    const attempt = enqueue(ctx.db, def, { n: 1.5 } as never, { now: clock.now() });
    await expect(attempt).rejects.toBeInstanceOf(JobPayloadError);
    await expect(attempt).rejects.toThrow(new RegExp(`^job ${def.name.replace(".", "\\.")}: payload\\.n: `));
    expect(await jobsOf(def.name)).toHaveLength(0);
  });

  it("runs a job only once its runAt has come on the injected clock", async () => {
    const def = effectJob("later");
    await enqueue(ctx.db, def, { n: 7 }, { now: clock.now(), runAt: new Date(clock.now().getTime() + 60_000) });
    const runner = new JobRunner(ctx, [def]);
    expect(await runner.runOnce()).toBe(0);
    clock.advance(60_000);
    expect(await runner.runOnce()).toBe(1);
    expect(await effects(def.name)).toEqual(["7"]);
  });
});

describe("claimJobs", () => {
  it("claims exactly the number asked for, however many are due, and never a job twice", async () => {
    const def = effectJob("claim_n");
    const now = clock.now();
    await ctx.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 40; n++) await enqueue(trx, def, { n }, { now, key: String(n) });
    });
    await sql`ANALYZE jobs`.execute(ctx.db);
    const claim = (limit: number) => claimJobs(ctx.db, { names: [def.name], now, leaseUntil: new Date(now.getTime() + 60_000), limit, owner: "t" });
    for (const limit of [1, 2, 3]) {
      const rows = await claim(limit);
      expect(rows).toHaveLength(limit);
    }
    expect((await jobsOf(def.name)).filter((j) => j.state === "running")).toHaveLength(6);
    // Claims at once (separate connections on PostgreSQL): each gets its number, none overlaps.
    const batches = await Promise.all([claim(4), claim(4), claim(4)]);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4]);
    const ids = batches.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(12);
    const running = (await jobsOf(def.name)).filter((j) => j.state === "running");
    expect(running).toHaveLength(18);
    // The earliest due first (all due at once here, so in id order): the 18 claimed lead the queue.
    const all = await jobsOf(def.name);
    expect(running.map((j) => j.id)).toEqual(all.slice(0, 18).map((j) => j.id));
  });

  it("picks once per claim, whatever plan the database chooses (so it cannot hand out more than asked)", async () => {
    // Nested loops forced: the plan in which a `WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP
    // LOCKED)` pick is re-run for every outer row, and can return other rows each time when other
    // workers' locks come and go between runs.
    const def = effectJob("claim_plan");
    const now = clock.now();
    await ctx.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 20; n++) await enqueue(trx, def, { n }, { now, key: String(n) });
    });
    const statement = claimStatement({ names: [def.name], now, leaseUntil: new Date(now.getTime() + 60_000), limit: 2, owner: "explain" });
    const plan = await ctx.db
      .transaction()
      .execute(async (trx) => {
        for (const setting of ["enable_hashjoin", "enable_mergejoin", "enable_hashagg", "enable_material", "enable_sort"]) await sql.raw(`SET LOCAL ${setting} = off`).execute(trx);
        const { rows } = await sql<{ "QUERY PLAN": unknown }>`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`.execute(trx);
        throw Object.assign(new Error("rollback"), { plan: rows[0]!["QUERY PLAN"] });
      })
      .catch((error: { plan?: unknown }) => {
        if (!error.plan) throw error;
        return error.plan;
      });
    type Node = { "Node Type": string; "Actual Loops": number; "Actual Rows": number; Plans?: Node[] };
    const root = ((typeof plan === "string" ? JSON.parse(plan) : plan) as Array<{ Plan: Node }>)[0]!.Plan;
    const locks: Node[] = [];
    const walk = (node: Node) => {
      if (node["Node Type"] === "LockRows") locks.push(node);
      node.Plans?.forEach(walk);
    };
    walk(root);
    expect(locks).toHaveLength(1);
    expect(locks[0]!["Actual Loops"]).toBe(1);
    expect(locks[0]!["Actual Rows"]).toBe(2);
  });
});

describe("the runner", () => {
  it("fails a stored payload its schema rejects at once, with the field in last_error, and never runs the handler", async () => {
    let ran = 0;
    const def = defineJob({ name: uniqueName("stored_bad"), payload: z.object({ n: z.number() }), handler: async () => void ran++ });
    const now = clock.now();
    await ctx.db
      .insertInto("jobs")
      .values({ id: randomBytes(12).toString("hex"), name: def.name, key: null, payload: JSON.stringify({ n: "x" }), company_id: null, state: "queued", run_at: now, max_attempts: 5, created_at: now, updated_at: now })
      .execute();
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(1);
    expect(ran).toBe(0);
    const [job] = await jobsOf(def.name);
    expect(job).toMatchObject({ state: "failed", attempts: 1, run_at: null });
    expect(job!.last_error).toMatch(/payload\.n: /);
  });

  it("backs off after each failure per the retry policy and keeps the job as failed, with its last error, once attempts run out", async () => {
    let runs = 0;
    const def = defineJob({
      name: uniqueName("flaky"),
      payload: z.object({}),
      retry: { maxAttempts: 3, backoff: { initialMs: 1_000, factor: 2 } },
      handler: async () => {
        runs++;
        throw new Error(`bank said no (run ${runs})`);
      },
    });
    const runner = new JobRunner(ctx, [def]);
    const start = clock.now().getTime();
    await enqueue(ctx.db, def, {}, { now: clock.now() });
    expect(await runner.runOnce()).toBe(1);
    let [job] = await jobsOf(def.name);
    expect(job).toMatchObject({ state: "queued", attempts: 1, last_error: "Error: bank said no (run 1)" });
    expect(job!.run_at!.getTime()).toBe(start + 1_000);
    clock.advance(999);
    expect(await runner.runOnce()).toBe(0);
    clock.advance(1);
    expect(await runner.runOnce()).toBe(1);
    [job] = await jobsOf(def.name);
    expect(job!.run_at!.getTime()).toBe(start + 1_000 + 2_000);
    clock.advance(2_000);
    expect(await runner.runOnce()).toBe(1);
    [job] = await jobsOf(def.name);
    expect(job).toMatchObject({ state: "failed", attempts: 3, run_at: null, last_error: "Error: bank said no (run 3)" });
    clock.advance(3_600_000);
    expect(await runner.runOnce()).toBe(0);
    expect(runs).toBe(3);
  });

  it("completes a job whose handler failed once on its retry, with the effect written once", async () => {
    let runs = 0;
    const def = defineJob({
      name: uniqueName("second_time"),
      payload: z.object({ n: z.number() }),
      retry: { maxAttempts: 2, backoff: () => 0 },
      handler: async (job) => {
        if (++runs === 1) throw new Error("timeout");
        await job.complete((trx) => trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: String(job.payload.n) } as never).execute());
      },
    });
    await enqueue(ctx.db, def, { n: 3 }, { now: clock.now() });
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(2);
    expect(await effects(def.name)).toEqual(["3"]);
    expect((await jobsOf(def.name))[0]).toMatchObject({ state: "done", attempts: 2, last_error: null });
  });

  it("takes over a job whose worker died once the lease lapses; the dead worker's late completion rolls back", async () => {
    const def = effectJob("lease", { leaseMs: 30_000 });
    await enqueue(ctx.db, def, { n: 9 }, { now: clock.now(), key: "k" });
    // A worker claims the job and dies before completing it.
    const now = clock.now();
    const [dead] = await claimJobs(ctx.db, { names: [def.name], now, leaseUntil: new Date(now.getTime() + 30_000), limit: 10, owner: "dead-worker" });
    expect(dead).toMatchObject({ state: "running", attempts: 1, lease_owner: "dead-worker" });
    const runner = new JobRunner(ctx, [def], { workerId: "survivor" });
    expect(await runner.runOnce()).toBe(0);
    clock.advance(29_999);
    expect(await runner.runOnce()).toBe(0);
    clock.advance(1);
    expect(await runner.runOnce()).toBe(1);
    expect((await jobsOf(def.name))[0]).toMatchObject({ state: "done", attempts: 2, lease_owner: null });
    // The first worker wakes up and tries to finish: its lease is gone, and so are its effects.
    const late = completeJob(ctx.db, dead!, () => clock.now(), (trx) => trx.insertInto("job_test_effects" as never).values({ job_name: def.name, key: "late" } as never).execute());
    await expect(late).rejects.toBeInstanceOf(JobLeaseLostError);
    expect(await effects(def.name)).toEqual(["9"]);
  });

  it("refuses the completion of a worker whose lapsed lease was taken over while the new holder still runs the job", async () => {
    const def = effectJob("overlap", { leaseMs: 10_000 });
    await enqueue(ctx.db, def, { n: 4 }, { now: clock.now() });
    const claim = (owner: string) => {
      const now = clock.now();
      return claimJobs(ctx.db, { names: [def.name], now, leaseUntil: new Date(now.getTime() + 10_000), limit: 1, owner });
    };
    const [slow] = await claim("slow-worker");
    expect(await claim("other")).toEqual([]);
    clock.advance(10_000);
    const [successor] = await claim("successor");
    expect(successor).toMatchObject({ state: "running", attempts: 2, lease_owner: "successor" });
    const effect = (key: string) => async (trx: Parameters<Parameters<typeof completeJob>[3] & object>[0]) => {
      await trx.insertInto("job_test_effects" as never).values({ job_name: def.name, key } as never).execute();
    };
    await expect(completeJob(ctx.db, slow!, () => clock.now(), effect("slow"))).rejects.toBeInstanceOf(JobLeaseLostError);
    await completeJob(ctx.db, successor!, () => clock.now(), effect("successor"));
    expect(await effects(def.name)).toEqual(["successor"]);
    expect((await jobsOf(def.name))[0]).toMatchObject({ state: "done", attempts: 2 });
  });

  it("fails for good a job whose lease lapsed on its last attempt, saying why", async () => {
    const def = effectJob("last_lease", { leaseMs: 1_000, retry: { maxAttempts: 1, backoff: () => 0 } });
    await enqueue(ctx.db, def, { n: 1 }, { now: clock.now() });
    const now = clock.now();
    await claimJobs(ctx.db, { names: [def.name], now, leaseUntil: new Date(now.getTime() + 1_000), limit: 1, owner: "dead-worker" });
    clock.advance(1_000);
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(1);
    const [job] = await jobsOf(def.name);
    expect(job).toMatchObject({ state: "failed", attempts: 2 });
    expect(job!.last_error).toMatch(/lease lapsed on attempt 1 of 1/);
    expect(await effects(def.name)).toEqual([]);
  });

  it("runs a recurring job once per period however many runners there are", async () => {
    const def = defineJob({
      name: uniqueName("every_minute"),
      payload: z.object({}),
      everyMs: 60_000,
      handler: (job) =>
        job.complete(async (trx) => {
          await trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: job.key! } as never).execute();
        }),
    });
    const a = new JobRunner(ctx, [def], { workerId: "a" });
    const b = new JobRunner(ctx, [def], { workerId: "b" });
    const period = Math.floor(clock.now().getTime() / 60_000) * 60_000;
    const ran = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(ran[0] + ran[1]).toBe(1);
    expect(await a.runOnce()).toBe(0);
    clock.set(new Date(period + 60_000));
    await Promise.all([a.runOnce(), b.runOnce()]);
    expect(await effects(def.name)).toEqual([new Date(period).toISOString(), new Date(period + 60_000).toISOString()]);
  });

  it("bounds a kind's own concurrency in a runner", async () => {
    let running = 0;
    let most = 0;
    const def = defineJob({
      name: uniqueName("bounded"),
      payload: z.object({}),
      concurrency: 2,
      handler: async () => {
        most = Math.max(most, ++running);
        await Promise.resolve();
        running--;
      },
    });
    for (let i = 0; i < 5; i++) await enqueue(ctx.db, def, {}, { now: clock.now() });
    expect(await new JobRunner(ctx, [def], { concurrency: 10 }).runOnce()).toBe(5);
    expect(most).toBeLessThanOrEqual(2);
  });

  it("refills in batches: with jobs in hand it claims only once half its slots are free, many jobs per claim", async () => {
    // One claim statement gives all its jobs one lease token: the handler reads its own, so the
    // tokens count the claims. Every claim after the first waits for 2 of 4 slots and takes 2 or
    // more while at least 2 are left: 12 jobs in at most 1 + 8 / 2 = 5 claims (a claim per
    // finished job would be about 9).
    const tokens: string[] = [];
    const def = defineJob({
      name: uniqueName("refill"),
      payload: z.object({ n: z.number().int() }),
      handler: async (job) => {
        const row = await ctx.db.selectFrom("jobs").select("lease_token").where("id", "=", job.id).executeTakeFirstOrThrow();
        tokens.push(row.lease_token!);
        await job.complete();
      },
    });
    await ctx.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 12; n++) await enqueue(trx, def, { n }, { now: clock.now(), key: String(n) });
    });
    const runner = new JobRunner(ctx, [def], { concurrency: 4, pollMs: 3_600_000 });
    runner.start();
    try {
      await until(async () => (await jobsOf(def.name)).every((j) => j.state === "done"), "all 12 jobs done");
    } finally {
      await runner.stop();
    }
    const sizes = [...new Set(tokens)].map((t) => tokens.filter((x) => x === t).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12);
    expect(sizes[0]).toBe(4);
    expect(sizes.length).toBeLessThanOrEqual(5);
    expect(sizes.slice(0, -1).every((n) => n >= 2)).toBe(true);
  });

  it("wakes at once for a job enqueued in its own process, not at its next poll", async () => {
    const def = effectJob("wake");
    // An hour between polls: only the in-process wake-up can run the job within the test.
    const runner = new JobRunner(ctx, [def], { pollMs: 3_600_000 });
    runner.start();
    try {
      await enqueue(ctx.db, def, { n: 5 }, { now: clock.now() });
      await until(async () => (await effects(def.name)).length === 1, "the job to run");
    } finally {
      await runner.stop();
    }
  });

  it("stops gracefully: stops claiming and lets the job in hand finish before resolving", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let startedRun!: () => void;
    const started = new Promise<void>((resolve) => (startedRun = resolve));
    const def = defineJob({
      name: uniqueName("slow"),
      payload: z.object({ n: z.number() }),
      handler: async (job) => {
        startedRun();
        await gate;
        await job.complete((trx) => trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: String(job.payload.n) } as never).execute());
      },
    });
    const runner = new JobRunner(ctx, [def], { concurrency: 1, pollMs: 3_600_000 });
    runner.start();
    await enqueue(ctx.db, def, { n: 1 }, { now: clock.now() });
    await started;
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await enqueue(ctx.db, def, { n: 2 }, { now: clock.now() });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await effects(def.name)).toEqual(["1"]);
    const states = Object.fromEntries((await jobsOf(def.name)).map((j) => [(j.payload as { n: number }).n, j.state]));
    expect(states).toEqual({ 1: "done", 2: "queued" });
  });

  it("exposes claimed, succeeded, retried and failed counts by name, and the queue depth", async () => {
    const registry = new Registry();
    const ok = effectJob("metric_ok");
    const bad = defineJob({ name: uniqueName("metric_bad"), payload: z.object({}), retry: { maxAttempts: 2, backoff: () => 0 }, handler: async () => Promise.reject(new Error("no")) });
    await enqueue(ctx.db, ok, { n: 1 }, { now: clock.now() });
    await enqueue(ctx.db, bad, {}, { now: clock.now() });
    await new JobRunner(ctx, [ok, bad], { registry }).runOnce();
    const text = await registry.metrics();
    expect(text).toContain(`okro_jobs_total{name="${ok.name}",outcome="succeeded"} 1`);
    expect(text).toContain(`okro_jobs_total{name="${bad.name}",outcome="claimed"} 2`);
    expect(text).toContain(`okro_jobs_total{name="${bad.name}",outcome="retried"} 1`);
    expect(text).toContain(`okro_jobs_total{name="${bad.name}",outcome="failed"} 1`);
    expect(text).toContain(`okro_jobs{name="${bad.name}",state="failed"} 1`);
    expect(text).toMatch(new RegExp(`okro_job_duration_seconds_count\\{name="${ok.name.replace(".", "\\.")}"\\} 1`));
  });
});

describe("a failure recorded with its effects (job.fail)", () => {
  /** Fails every run, writing one effect row per run (note: when it is retried, or "final") with the failure. */
  const failingJob = (what: string, options: { final?: boolean; breakEffects?: boolean } = {}) =>
    defineJob({
      name: uniqueName(what),
      payload: z.object({}),
      retry: { maxAttempts: 2, backoff: () => 60_000 },
      handler: (job) =>
        job.fail(
          `no luck on attempt ${job.attempt}`,
          async (trx, { retryAt }) => {
            await trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: String(job.attempt), note: retryAt ? retryAt.toISOString() : "final" } as never).execute();
            if (options.breakEffects) throw new Error("the effects failed");
          },
          { final: options.final },
        ),
    });
  const notes = async (name: string) =>
    (await sql<{ key: string; note: string }>`SELECT key, note FROM job_test_effects WHERE job_name = ${name} ORDER BY key`.execute(ctx.db)).rows;

  it("queues the job again after its backoff, then fails it for good on its last attempt, each with its effects", async () => {
    const def = failingJob("fail_effects");
    await enqueue(ctx.db, def, {}, { now: clock.now() });
    const runner = new JobRunner(ctx, [def]);
    expect(await runner.runOnce()).toBe(1);
    const retryAt = new Date(clock.now().getTime() + 60_000);
    expect(await jobsOf(def.name)).toEqual([expect.objectContaining({ state: "queued", attempts: 1, run_at: retryAt, last_error: "no luck on attempt 1" })]);
    expect(await notes(def.name)).toEqual([{ key: "1", note: retryAt.toISOString() }]);
    expect(await runner.runOnce()).toBe(0);
    clock.set(retryAt);
    expect(await runner.runOnce()).toBe(1);
    expect(await jobsOf(def.name)).toEqual([expect.objectContaining({ state: "failed", attempts: 2, run_at: null, last_error: "no luck on attempt 2" })]);
    expect((await notes(def.name)).map((n) => n.note)).toEqual([retryAt.toISOString(), "final"]);
  });

  it("fails for good at once when final, and rolls the effects back with the failure when they throw (the runner then retries)", async () => {
    const final = failingJob("fail_final", { final: true });
    const broken = failingJob("fail_broken", { breakEffects: true });
    await enqueue(ctx.db, final, {}, { now: clock.now() });
    await enqueue(ctx.db, broken, {}, { now: clock.now() });
    await new JobRunner(ctx, [final, broken]).runOnce();
    expect(await jobsOf(final.name)).toEqual([expect.objectContaining({ state: "failed", attempts: 1 })]);
    expect(await notes(final.name)).toEqual([{ key: "1", note: "final" }]);
    expect(await jobsOf(broken.name)).toEqual([expect.objectContaining({ state: "queued", attempts: 1, last_error: "Error: the effects failed" })]);
    expect(await notes(broken.name)).toEqual([]);
  });

  it("refuses a run whose lapsed lease was taken over: nothing written", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const def = defineJob({
      name: uniqueName("fail_lost"),
      payload: z.object({}),
      leaseMs: 1_000,
      handler: async (job) => {
        if (first) {
          first = false;
          await gate;
        }
        await job.fail("late", (trx) => trx.insertInto("job_test_effects" as never).values({ job_name: job.name, key: String(job.attempt) } as never).execute());
      },
    });
    await enqueue(ctx.db, def, {}, { now: clock.now() });
    const stale = new JobRunner(ctx, [def]).runOnce();
    await until(async () => (await jobsOf(def.name))[0]?.state === "running", "the first run to claim");
    clock.advance(1_001);
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(1);
    release();
    await stale;
    expect(await effects(def.name)).toEqual(["2"]);
  });
});

describe("keyed work asked for again (requeue, cancelQueued, advanceQueued)", () => {
  it("reopens a finished keyed job with the attempts it is given, inserts a missing one, and leaves an open one alone", async () => {
    const def = effectJob("requeue", { retry: { maxAttempts: 3, backoff: () => 1_000 } });
    await enqueue(ctx.db, def, { n: 1 }, { now: clock.now(), key: "done" });
    await enqueue(ctx.db, def, { n: 2 }, { now: clock.now(), key: "open", runAt: new Date(clock.now().getTime() + 3_600_000) });
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(1); // "done" runs; "open" is an hour away
    const queued = await requeue(
      ctx.db,
      def,
      [
        { key: "done", payload: { n: 1 }, attempts: 5 },
        { key: "open", payload: { n: 2 }, attempts: 0 },
        { key: "new", payload: { n: 3 }, attempts: 0 },
      ],
      { now: clock.now() },
    );
    expect(queued.sort()).toEqual(["done", "new"]);
    const byKey = Object.fromEntries((await jobsOf(def.name)).map((j) => [j.key, j]));
    // Attempts already spent continue; the budget is at least one more run.
    expect(byKey.done).toMatchObject({ state: "queued", attempts: 5, max_attempts: 6, run_at: clock.now(), finished_at: null });
    expect(byKey.open).toMatchObject({ state: "queued", run_at: new Date(clock.now().getTime() + 3_600_000) });
    expect(byKey.new).toMatchObject({ state: "queued", attempts: 0, max_attempts: 3 });
    expect(await new JobRunner(ctx, [def]).runOnce()).toBe(2);
    expect(await effects(def.name)).toEqual(["1", "1", "3"]);
    expect((await jobsOf(def.name)).find((j) => j.key === "done")).toMatchObject({ state: "done", attempts: 6 });
  });

  it("withdraws queued jobs but not running ones, and brings queued ones forward", async () => {
    const def = effectJob("withdraw");
    const later = new Date(clock.now().getTime() + 5 * 3_600_000);
    for (const key of ["a", "b", "c"]) await enqueue(ctx.db, def, { n: 0 }, { now: clock.now(), key, runAt: later });
    await enqueue(ctx.db, def, { n: 0 }, { now: clock.now(), key: "running" });
    await claimJobs(ctx.db, { names: [def.name], now: clock.now(), leaseUntil: new Date(clock.now().getTime() + 60_000), limit: 1, owner: "test" });
    expect(await cancelQueued(ctx.db, def, ["a", "running"])).toBe(1);
    expect(await advanceQueued(ctx.db, def, sql`SELECT unnest(${["b", "running"]}::text[])`, 3_600_000)).toBe(1);
    const byKey = Object.fromEntries((await jobsOf(def.name)).map((j) => [j.key, j]));
    expect(Object.keys(byKey).sort()).toEqual(["b", "c", "running"]);
    expect(byKey.b!.run_at).toEqual(new Date(later.getTime() - 3_600_000));
    expect(byKey.c!.run_at).toEqual(later);
    expect(byKey.running!.state).toBe("running");
  });
});

describe("batches (job.loaded, job.settle)", () => {
  type Item = { readonly job: { readonly name: string; readonly payload: { n: number }; readonly attempt: number }; readonly outcome: string; readonly failure: { error: string; retryAt: Date | null } | null };
  /**
   * A batch kind: `load` gives each job a label (and counts its calls); the handler settles with
   * that label, failing odd numbers; `record` writes one effect row per outcome in one multi-row
   * INSERT (note: the label, and "retry" or "done"), and throws when asked to record n = 13.
   */
  function batchJob(what: string, lock?: (items: readonly Item[], wait: boolean) => Set<string>) {
    const calls = { load: [] as number[], record: [] as number[][], lock: [] as Array<{ ns: number[]; wait: boolean }> };
    const def = defineJob<z.ZodObject<{ n: z.ZodNumber }>, string, string>({
      name: uniqueName(what),
      payload: z.object({ n: z.number().int() }),
      retry: { maxAttempts: 3, backoff: () => 60_000 },
      batch: {
        async load(db, jobs) {
          calls.load.push(jobs.length);
          const { rows } = await sql<{ id: string; label: string }>`SELECT id, 'label-' || (payload->>'n') AS label FROM jobs WHERE id = ANY(${jobs.map((j) => j.id)}::text[])`.execute(db);
          return new Map(rows.map((r) => [r.id, r.label]));
        },
        ...(lock
          ? {
              async lock(_trx, items, { wait }) {
                calls.lock.push({ ns: items.map((i) => i.job.payload.n).sort((a, b) => a - b), wait });
                return lock(items, wait);
              },
            }
          : {}),
        async record(trx, items) {
          calls.record.push(items.map((i) => i.job.payload.n).sort((a, b) => a - b));
          if (items.some((i) => i.job.payload.n === 13)) throw new Error("thirteen cannot be recorded");
          const values = items.map((i) => sql`(${i.job.name}, ${String(i.job.payload.n)}, ${`${i.outcome}:${i.failure ? (i.failure.retryAt ? "retry" : "final") : "done"}`})`);
          await sql`INSERT INTO job_test_effects (job_name, key, note) VALUES ${sql.join(values)}`.execute(trx);
        },
      },
      handler: async (job) => {
        await gate?.promise;
        await job.settle(job.loaded ?? "not loaded", job.payload.n % 2 === 1 ? { error: `odd ${job.payload.n}` } : undefined);
      },
    });
    return { def, calls };
  }
  let gate: { promise: Promise<void>; open: () => void; arrived: number } | undefined;
  const notes = async (name: string) =>
    (await sql<{ key: string; note: string }>`SELECT key, note FROM job_test_effects WHERE job_name = ${name} ORDER BY key::int`.execute(ctx.db)).rows.map((r) => `${r.key}=${r.note}`);

  it("loads the jobs claimed together in one call and records outcomes that finish together in one transaction", async () => {
    const { def, calls } = batchJob("batch");
    for (let n = 1; n <= 8; n++) await enqueue(ctx.db, def, { n }, { now: clock.now() });
    const runner = new JobRunner(ctx, [def], { concurrency: 8 });
    expect(await runner.runOnce()).toBe(8);
    expect(calls.load).toEqual([8]);
    expect(calls.record).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(await notes(def.name)).toEqual(["1=label-1:retry", "2=label-2:done", "3=label-3:retry", "4=label-4:done", "5=label-5:retry", "6=label-6:done", "7=label-7:retry", "8=label-8:done"]);
    const jobs = await jobsOf(def.name);
    const byN = (n: number) => jobs.find((j) => (j.payload as { n: number }).n === n)!;
    expect(byN(2)).toMatchObject({ state: "done", attempts: 1, lease_token: null, last_error: null });
    expect(byN(3)).toMatchObject({ state: "queued", attempts: 1, lease_token: null, last_error: "odd 3", finished_at: null });
    expect(byN(3).run_at!.getTime()).toBe(clock.now().getTime() + 60_000);
    // Odd ones fail for good on their third attempt, their last outcome recorded as final.
    clock.advance(60_000);
    expect(await runner.runOnce()).toBe(4);
    clock.advance(60_000);
    expect(await runner.runOnce()).toBe(4);
    expect((await jobsOf(def.name)).filter((j) => j.state === "failed").map((j) => (j.payload as { n: number }).n).sort()).toEqual([1, 3, 5, 7]);
    expect(await notes(def.name)).toContain("7=label-7:final");
  });

  it("leaves out a job whose lapsed lease was taken over while it ran: its outcome is not written, the others' are", async () => {
    const { def, calls } = batchJob("batch_lease");
    for (const n of [2, 4, 6]) await enqueue(ctx.db, def, { n }, { now: clock.now() });
    let open!: () => void;
    gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open(), arrived: 0 };
    try {
      const runner = new JobRunner(ctx, [def], { concurrency: 3, workerId: "slow" });
      const running = runner.runOnce();
      await until(async () => (await jobsOf(def.name)).every((j) => j.state === "running"), "the three jobs claimed");
      // Their lease lapses while the handlers wait; another worker takes one over.
      clock.advance(60_000);
      const now = clock.now();
      const [taken] = await claimJobs(ctx.db, { names: [def.name], now, leaseUntil: new Date(now.getTime() + 60_000), limit: 1, owner: "successor" });
      gate.open();
      await running;
      const n = (taken!.payload as { n: number }).n;
      expect(calls.record).toEqual([[2, 4, 6].filter((m) => m !== n)]);
      expect(await notes(def.name)).toEqual([2, 4, 6].filter((m) => m !== n).map((m) => `${m}=label-${m}:done`));
      expect((await jobsOf(def.name)).find((j) => j.id === taken!.id)).toMatchObject({ state: "running", lease_owner: "successor", attempts: 2 });
    } finally {
      gate = undefined;
    }
  });

  it("records a batch whose effects fail again job by job: the others commit, the failing one is retried", async () => {
    const { def, calls } = batchJob("batch_throw");
    for (const n of [2, 4, 13]) await enqueue(ctx.db, def, { n }, { now: clock.now() });
    const runner = new JobRunner(ctx, [def], { concurrency: 3 });
    expect(await runner.runOnce()).toBe(3);
    expect(calls.record[0]).toEqual([2, 4, 13]);
    expect(calls.record.slice(1).sort()).toEqual([[13], [2], [4]]);
    expect(await notes(def.name)).toEqual(["2=label-2:done", "4=label-4:done"]);
    const thirteen = (await jobsOf(def.name)).find((j) => (j.payload as { n: number }).n === 13)!;
    expect(thirteen).toMatchObject({ state: "queued", attempts: 1 });
    expect(thirteen.last_error).toContain("thirteen cannot be recorded");
  });

  it("records the jobs whose locks were busy after the batch, each alone and waiting for its locks", async () => {
    const { def, calls } = batchJob("batch_lock", (items, wait) => new Set(items.filter((i) => wait || i.job.payload.n !== 4).map((i) => (i.job as unknown as { id: string }).id)));
    for (const n of [2, 4, 6]) await enqueue(ctx.db, def, { n }, { now: clock.now() });
    const runner = new JobRunner(ctx, [def], { concurrency: 3 });
    expect(await runner.runOnce()).toBe(3);
    expect(calls.lock).toEqual([
      { ns: [2, 4, 6], wait: false },
      { ns: [4], wait: true },
    ]);
    expect(calls.record).toEqual([[2, 6], [4]]);
    expect(await notes(def.name)).toEqual(["2=label-2:done", "4=label-4:done", "6=label-6:done"]);
    expect((await jobsOf(def.name)).every((j) => j.state === "done")).toBe(true);
  });
});
