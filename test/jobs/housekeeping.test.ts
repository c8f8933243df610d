import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context.js";
import type { JobDefinition } from "../../src/jobs/define.js";
import {
  FINISHED_JOB_RETENTION_MS,
  purgeFinishedJobsJob,
  purgeRateLimitsJob,
  purgeSandboxSessionsJob,
  purgeSignInGuardsJob,
  purgeWidgetSessionsJob,
} from "../../src/jobs/housekeeping.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { enqueue } from "../../src/jobs/store.js";
import { ManualClock } from "../../src/lib/clock.js";
import { createHarness, type Harness } from "../harness.js";

/**
 * The housekeeping jobs that replaced the sweeps riding on requests. Each test enqueues the job
 * under a key of its own (the recurring key is the period's start, which other runs of this file on
 * a kept database would already have used) and runs it; the rows it checks are its own. The clock
 * is the real time of day, so sweeping the shared database deletes only what is really stale.
 */
let h: Harness;
let ctx: AppContext;
let clock: ManualClock;

beforeAll(async () => {
  h = await createHarness();
  clock = new ManualClock(new Date());
  ctx = { ...h.ctx, clock };
});
afterAll(() => h.close());

async function runJob(def: JobDefinition): Promise<void> {
  const key = `test-${randomUUID()}`;
  await enqueue(ctx.db, def, {}, { now: clock.now(), key });
  expect(await new JobRunner(ctx, [def]).runOnce()).toBeGreaterThanOrEqual(1);
  // Ran to the end: a handler that threw would leave its job queued for a retry, or failed.
  const job = await ctx.db.selectFrom("jobs").select(["state", "last_error"]).where("name", "=", def.name).where("key", "=", key).executeTakeFirstOrThrow();
  expect(job).toMatchObject({ state: "done" });
}
const hoursAgo = (hours: number) => new Date(clock.now().getTime() - hours * 3_600_000);

describe("housekeeping", () => {
  it("deletes rate-limit counts of windows long over and keeps the current ones", async () => {
    const bucket = `api:test-${randomUUID()}`;
    await ctx.db
      .insertInto("rate_limits")
      .values([
        { bucket, window_start: hoursAgo(25), hits: 3 },
        { bucket, window_start: hoursAgo(0.01), hits: 1 },
      ])
      .execute();
    await runJob(purgeRateLimitsJob);
    const left = await ctx.db.selectFrom("rate_limits").select("window_start").where("bucket", "=", bucket).execute();
    expect(left.map((r) => r.window_start.getTime())).toEqual([hoursAgo(0.01).getTime()]);
  });

  it("wipes the secrets of lapsed widget sessions and deletes sessions expired over a day ago", async () => {
    const tenant = await h.newTenant("Housekeeping Co");
    const app = await ctx.db.selectFrom("apps").select("id").where("company_id", "=", tenant.id).where("env", "=", "sandbox").executeTakeFirstOrThrow();
    const session = (name: string, expires: Date) => ({
      id: randomBytes(12).toString("hex"),
      token_hash: `${name}-${randomUUID()}`,
      company_id: tenant.id,
      env: "sandbox" as const,
      app_id: app.id,
      options: "{}",
      step: "mfa",
      credentials_sealed: "v1.sealed",
      bank_session_sealed: "v1.sealed",
      challenge: "null",
      bank_accounts: "null",
      result: "null",
      expires_at: expires,
      created_at: hoursAgo(30),
      updated_at: hoursAgo(30),
    });
    const rows = [session("live", new Date(clock.now().getTime() + 60_000)), session("lapsed", hoursAgo(1)), session("old", hoursAgo(25))];
    await ctx.db.insertInto("widget_sessions").values(rows).execute();
    await runJob(purgeWidgetSessionsJob);
    const left = await ctx.db.selectFrom("widget_sessions").select(["id", "credentials_sealed", "bank_session_sealed"]).where("company_id", "=", tenant.id).execute();
    const byId = Object.fromEntries(left.map((r) => [r.id, [r.credentials_sealed, r.bank_session_sealed]]));
    expect(byId).toEqual({ [rows[0]!.id]: ["v1.sealed", "v1.sealed"], [rows[1]!.id]: [null, null] });
  });

  it("deletes sandbox bank sessions expired over a day ago", async () => {
    const realm = `sweep-job-${randomUUID()}`;
    await ctx.db
      .insertInto("sandbox_sessions")
      .values(
        (
          [
            ["old", hoursAgo(30)],
            ["recent", hoursAgo(2)],
          ] as const
        ).map(([name, expires]) => ({ token_hash: `${realm}-${name}`, realm, bank_id: "5d6fe57a4099cc4b210bbeb3", customer_ref: "b:x:okro_good", state: "connected" as const, challenge: null, expires_at: expires, created_at: hoursAgo(48) })),
      )
      .execute();
    await runJob(purgeSandboxSessionsJob);
    const left = await ctx.db.selectFrom("sandbox_sessions").select("token_hash").where("realm", "=", realm).execute();
    expect(left.map((r) => r.token_hash)).toEqual([`${realm}-recent`]);
  });

  it("forgets dashboard sign-in counts untouched for a day, and keeps recent ones and running lockouts", async () => {
    const key = (name: string) => `test-${name}-${randomUUID()}`;
    const rows = [
      { email_hash: key("stale"), failures: 3, locked_until: null, refused: false, updated_at: hoursAgo(25) },
      { email_hash: key("stale-but-locked"), failures: 9, locked_until: new Date(clock.now().getTime() + 60_000), refused: true, updated_at: hoursAgo(25) },
      { email_hash: key("recent"), failures: 2, locked_until: null, refused: false, updated_at: hoursAgo(1) },
    ];
    await ctx.db.insertInto("signin_guards").values(rows).execute();
    await runJob(purgeSignInGuardsJob);
    const left = await ctx.db.selectFrom("signin_guards").select("email_hash").where("email_hash", "in", rows.map((r) => r.email_hash)).execute();
    expect(new Set(left.map((r) => r.email_hash))).toEqual(new Set([rows[1]!.email_hash, rows[2]!.email_hash]));
  });

  it("deletes jobs done longer ago than the retention, and keeps failed ones", async () => {
    const name = `test_${randomBytes(5).toString("hex")}.kept`;
    const row = (state: "done" | "failed", finished: Date) => ({
      id: randomBytes(12).toString("hex"),
      name,
      key: null,
      payload: "{}",
      company_id: null,
      state,
      run_at: null,
      max_attempts: 1,
      created_at: finished,
      updated_at: finished,
      finished_at: finished,
    });
    const old = new Date(clock.now().getTime() - FINISHED_JOB_RETENTION_MS - 60_000);
    const rows = [row("done", old), row("failed", old), row("done", hoursAgo(1))];
    await ctx.db.insertInto("jobs").values(rows).execute();
    await runJob(purgeFinishedJobsJob);
    const left = await ctx.db.selectFrom("jobs").select("id").where("name", "=", name).execute();
    expect(new Set(left.map((r) => r.id))).toEqual(new Set([rows[1]!.id, rows[2]!.id]));
  });
});
