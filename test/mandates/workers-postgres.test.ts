import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/jobs/store.js";
import { newId } from "../../src/lib/ids.js";
import { chargeJob } from "../../src/mandates/charges.js";
import { addDays, lagosDate } from "../../src/mandates/schedule.js";
import { createHarness, usingPostgres, type Harness } from "../harness.js";
import { ROOT, waitFor, type Running } from "../process/spawn.js";
import { accountData, GTBANK, receivingAccount } from "../security/route-registry.js";

/**
 * Invariant 9 for mandates, with real processes on a real PostgreSQL: 50 mandates × 10 daily cycles
 * already due (500 scheduled charges, each cycle's job enqueuing the next), two worker processes
 * running the mandates' jobs, one SIGKILLed mid-run: every cycle is charged exactly once.
 */
const SCRIPT = path.join(ROOT, "test/mandates/charge-process.ts");
const MANDATES = 50;
const CYCLES = 10;
const started: Running[] = [];
let h: Harness | undefined;
let client: pg.Client | undefined;

if (!usingPostgres) console.warn("\n*** SKIPPED: the two-process mandate charge test needs PostgreSQL (set DATABASE_URL) ***\n");

function worker(companyId: string, workerId: string): Running {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], { cwd: ROOT, env: { ...process.env, COMPANY_ID: companyId, WORKER_ID: workerId }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const running: Running = { child, stdout: () => out, stderr: () => err, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  started.push(running);
  return running;
}

afterAll(async () => {
  for (const r of started) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(started.map((r) => r.exited));
  await client?.end();
  await h?.close();
});

async function count(query: string, values: unknown[]): Promise<number> {
  const { rows } = await client!.query<{ n: string }>(query, values);
  return Number(rows[0]!.n);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${started.map((r) => r.stderr()).join("\n")}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!usingPostgres)("scheduled charges on two worker processes", () => {
  it("charges each of 500 due cycles exactly once, though a worker is SIGKILLed mid-run", { timeout: 240_000 }, async () => {
    h = await createHarness();
    const tenant = await h.newTenant("Charges Co");
    const scope = { companyId: tenant.id, env: "sandbox" as const };
    const data = await accountData(h, tenant, "sandbox");
    await receivingAccount(h, tenant, "sandbox");
    const now = new Date();
    const today = lagosDate(now);
    const consentId = newId(now);
    await h.ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("payment_consents")
        .values({ id: consentId, company_id: tenant.id, env: "sandbox", customer_id: data.customerId, account_id: data.accountId, bank_id: GTBANK, reference: `OKROM${consentId}`, mandate_id: `MANDATE-${consentId}`, status: "active", max_amount: 100_000_000n, currency: "NGN", activates_at: now, created_at: now, updated_at: now })
        .execute();
      for (let i = 0; i < MANDATES; i++) {
        const id = newId(now);
        // Daily from ten days ago, ten charges: all of them due now.
        await trx
          .insertInto("mandates")
          .values({
            id, ...{ company_id: scope.companyId, env: scope.env }, customer_id: data.customerId, account_id: data.accountId, bank_id: GTBANK, consent_id: consentId,
            state: "active", source: "api", debit_type: "fixed", currency: "NGN", amount: 1_000n, start_date: addDays(today, -CYCLES), interval: "daily", count: CYCLES,
            retry_attempts: 3, retry_spacing_hours: 24, activated_at: now, created_at: now, updated_at: now,
          })
          .execute();
        await enqueue(trx, chargeJob, { mandateId: id, env: "sandbox", cycle: 0, attempt: 1 }, { now, key: `mandate:${id}:cycle:${addDays(today, -CYCLES)}`, companyId: tenant.id });
      }
    });
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();

    const victim = worker(tenant.id, "victim");
    const survivor = worker(tenant.id, "survivor");
    for (const w of [victim, survivor]) await waitFor(() => w.stdout().includes("ready") || w.child.exitCode !== null, "a worker to start", 60_000, w);

    const charges = "SELECT count(*) AS n FROM payments WHERE company_id = $1 AND mandate_id IS NOT NULL";
    const held = "SELECT count(*) AS n FROM jobs WHERE company_id = $1 AND name = 'mandates.charge' AND state = 'running' AND lease_owner = 'victim'";
    await until(async () => (await count(charges, [tenant.id])) >= 100 && (await count(held, [tenant.id])) > 0, "the victim to be mid-run", 120_000);
    const heldAtKill = await count(held, [tenant.id]);
    victim.child.kill("SIGKILL");
    await victim.exited;
    expect(victim.child.signalCode).toBe("SIGKILL");

    // The survivor finishes, the victim's leased charges once their leases lapse (60 s).
    await until(async () => (await count("SELECT count(*) AS n FROM jobs WHERE company_id = $1 AND name = 'mandates.charge' AND state = 'done'", [tenant.id])) === MANDATES * CYCLES, "every cycle's job to be done", 200_000);
    const { rows } = await client.query<{ mandate_id: string; mandate_cycle: number; n: string }>(
      "SELECT mandate_id, mandate_cycle, count(*) AS n FROM payments WHERE company_id = $1 AND mandate_id IS NOT NULL GROUP BY mandate_id, mandate_cycle",
      [tenant.id],
    );
    expect(rows).toHaveLength(MANDATES * CYCLES);
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.mandate_cycle))).toEqual(new Set(Array.from({ length: CYCLES }, (_, n) => n)));
    expect(await count("SELECT count(*) AS n FROM jobs WHERE company_id = $1 AND name = 'mandates.charge'", [tenant.id])).toBe(MANDATES * CYCLES);
    expect(heldAtKill).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM jobs WHERE company_id = $1 AND name = 'mandates.charge' AND attempts > 1", [tenant.id])).toBeGreaterThan(0);

    survivor.child.kill("SIGTERM");
    expect(await survivor.exited, survivor.stderr()).toBe(0);
  });
});
