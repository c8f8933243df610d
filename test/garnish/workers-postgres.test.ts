import { spawn } from "node:child_process";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/ledger/store.js";
import { createHarness, testConfig, usingPostgres, type Harness } from "../harness.js";
import { newCompany, type Company, type World } from "../payments/engine-world.js";
import { pool, sandboxMovements, sleep } from "../process/payments-harness.js";
import { ROOT, waitFor, type Running } from "../process/spawn.js";
import { FastClock } from "./fast-clock.js";
import { apiOf, debtor, debtorBanks, type Debtor } from "./world.js";

/**
 * Issue 14's done-when on real processes and a real PostgreSQL: 200 recoveries (20 debtors with 10
 * loans each; a loan's ₦40,000 recovery draws on its own sweep mandates, at most ₦25,000 each, on
 * the debtor's accounts at two sandbox banks, so every recovery debits both banks), each swept
 * twice at once (its schedule and a `garnish/sweep`), run by two worker processes
 * (test/garnish/sweep-process.ts: payments, mandates and garnishment jobs), one SIGKILLed while it
 * holds jobs. Every 10th debt is lowered while its debits are at the bank, so the recovery
 * over-collects and refunds the excess automatically. Afterwards, on Okro's rows AND in the sandbox
 * banks' own books: no account was debited twice in one sweep, every recovery holds exactly what it
 * is owed after refunds (no more), and the ledger balances.
 *
 * Business time runs 10× faster than the wall clock in every process (test/garnish/fast-clock.ts),
 * so the one-minute outcome check, the 60 s lease of the killed worker's jobs and the settlement
 * delay take seconds, through the same runner and due times as production.
 */
const SCRIPT = path.join(ROOT, "test/garnish/sweep-process.ts");
/** Debtors, each with LOANS loans: a recovery per loan over its own sweep mandate at each of the debtor's two banks. */
const DEBTORS = Number(process.env.GARN_DEBTORS ?? 20);
const LOANS = 10;
const RECOVERIES = DEBTORS * LOANS;
const SPEED = 10;
const BALANCES = [40_000_000, 30_000_000];
/** Each mandate may take ₦25,000 in all: a ₦40,000 debt needs both banks. */
const MANDATE_MAX = 2_500_000;
const PRINCIPAL = 3_500_000;
const INTEREST = 500_000;
/** Every LOWER_EVERY-th recovery has its principal lowered to LOWERED while its debits are at the bank. */
const LOWER_EVERY = 10;
const LOWERED = 2_000_000;

const started: Running[] = [];
let h: Harness | undefined;

if (!usingPostgres) console.warn("\n*** SKIPPED: the two-process garnishment test needs PostgreSQL (set DATABASE_URL) ***\n");

function worker(c: Company, workerId: string, clock: FastClock): Running {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, COMPANY_ID: c.tenant.id, WORKER_ID: workerId, CLOCK_BASE: String(clock.base), CLOCK_SPEED: String(clock.speed), CLOCK_ORIGIN: String(clock.origin), SETTLEMENT_DELAY_MS: "5000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
  await h?.close();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${started.map((r) => r.stderr()).join("\n")}`);
    await sleep(100);
  }
}

describe.skipIf(!usingPostgres)("200 recoveries on two worker processes, one SIGKILLed", () => {
  it("debits no account twice in a sweep, over-collects nothing after refunds, and the banks' books match the ledger", { timeout: 600_000 }, async () => {
    const t0 = Date.now();
    // Business time from noon in Lagos today: every recovery's scheduled sweep (08:00) is due at once.
    const noon = new Date(`${new Date().toISOString().slice(0, 10)}T11:00:00Z`).getTime();
    const clock = new FastClock(Date.now(), SPEED, noon);
    const base = testConfig();
    h = await createHarness({ clock, config: { payments: { ...base.payments, bankTimeoutMs: 5_000 } } });
    const w: World = { h, clock };
    const c = await newCompany(w);
    const db = h.ctx.db;
    const api = apiOf(w, c);
    const banks = debtorBanks(w, c, 2);
    // Mandates activate at once at both banks for the whole run (debtors are made in parallel).
    for (const bank of banks) await h.ctx.sandbox.setFaults(c.tenant.id, bank, { mandateActivationDelayMs: 0 });

    // The workers boot while the debtors are made.
    const victim = worker(c, "victim", clock);
    const survivor = worker(c, "survivor", clock);
    const debtors: Debtor[] = await pool(
      Array.from({ length: DEBTORS }, (_, i) => i),
      4,
      () => debtor(w, c, { balances: BALANCES, maxTotal: MANDATE_MAX, mandates: LOANS, instantActivation: true }),
    );
    const loans = debtors.flatMap((d, di) => Array.from({ length: LOANS }, (_, k) => ({ debtor: di, mandates: d.accounts.map((a) => a.mandateIds[k]!) })));
    const lap = (what: string) => console.log(`[garn] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    lap("debtors made");
    const booksBefore = await sandboxMovements(db, c.tenant.id);
    for (const r of [victim, survivor]) await waitFor(() => r.stdout().includes("ready") || r.child.exitCode !== null, "a worker to start", 60_000, r);
    expect(victim.child.exitCode).toBeNull();

    // 200 recoveries (each enqueues its scheduled sweep), then two sweeps asked of each at once.
    const ids = await pool(loans, 8, async (loan) => {
      const res = await api("/garnish/create", { mandates: loan.mandates, principal: PRINCIPAL, interest: INTEREST });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data.garnishment._id as string;
    });
    await pool(ids, 8, async (id) => {
      const r = await api("/garnish/sweep", { id });
      // 409 only when the recovery was already repaid by its scheduled sweep.
      expect([200, 409], r.body).toContain(r.statusCode);
    });

    lap("recoveries created and swept");
    // Kill the victim while it holds jobs (leased, bank calls in flight).
    const held = async () =>
      Number(
        (await db.selectFrom("jobs").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("state", "=", "running").where("lease_owner", "=", "victim").executeTakeFirstOrThrow()).n,
      );
    const debits = async () =>
      Number((await db.selectFrom("payments").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("garnishment_id", "is not", null).executeTakeFirstOrThrow()).n);
    await until(async () => (await debits()) >= 40 && (await held()) > 0, "the victim to be mid-run", 60_000);
    const heldAtKill = await held();
    victim.child.kill("SIGKILL");
    await victim.exited;
    expect(victim.child.signalCode).toBe("SIGKILL");

    lap("victim killed");
    // Lower some debts while their debits are at the bank (or just confirmed): the excess is refunded.
    const lowered = ids.filter((_, i) => i % LOWER_EVERY === 0);
    const lowerAnswers = await pool(lowered, 4, async (id) => {
      await until(async () => Boolean(await db.selectFrom("payments").select("id").where("garnishment_id", "=", id).executeTakeFirst()), `a debit of ${id}`, 60_000);
      return (await api("/garnish/update", { id, principal: LOWERED })).statusCode;
    });
    expect(lowerAnswers.every((s) => s === 200 || s === 409)).toBe(true);
    const loweredIds = new Set(lowered.filter((_, i) => lowerAnswers[i] === 200));
    expect(loweredIds.size).toBeGreaterThan(0);

    lap("debts lowered");
    // Everything settles: every recovery repaid, every debit and refund final.
    await until(
      async () => {
        const [g, p, r, j] = await Promise.all([
          db.selectFrom("garnishments").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("state", "<>", "repaid").executeTakeFirstOrThrow(),
          db.selectFrom("payments").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("garnishment_id", "is not", null).where("state", "not in", ["settled", "failed", "errored", "cancelled", "reversed"]).executeTakeFirstOrThrow(),
          db.selectFrom("refunds").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("state", "not in", ["succeeded", "failed"]).executeTakeFirstOrThrow(),
          // Nothing left to do but tomorrow's scheduled sweeps: no outcome still to look at, no reconcile waiting for a settlement.
          db.selectFrom("jobs").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("state", "in", ["queued", "running"]).where("name", "<>", "garnish.sweep").executeTakeFirstOrThrow(),
        ]);
        return Number(g.n) === 0 && Number(p.n) === 0 && Number(r.n) === 0 && Number(j.n) === 0;
      },
      "every recovery repaid and every debit and refund final",
      400_000,
    );

    lap("all settled");
    // Okro's rows: one debit per (recovery, sweep, account) at most.
    const payments = await db.selectFrom("payments").selectAll().where("company_id", "=", c.tenant.id).where("garnishment_id", "is not", null).execute();
    const pairs = payments.map((p) => `${p.garnishment_id}:${p.mandate_cycle}:${p.account_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    const byId = new Map(payments.map((p) => [p.id, p]));

    // The banks' own books: every successful mandate debit traced to its payment; one per account and sweep.
    const transfers = await db
      .selectFrom("sandbox_transfers")
      .select(["reference", "source_nuban", "amount", "status"])
      .where("realm", "=", c.tenant.id)
      .where("kind", "=", "mandate_debit")
      .where("status", "=", "success")
      .execute();
    const bankSweeps = new Map<string, number>();
    for (const t of transfers) {
      const payment = byId.get(/^OKRO(.+)A\d+$/.exec(t.reference)?.[1] ?? "");
      expect(payment, `bank debit ${t.reference} is one of the recoveries' payments`).toBeDefined();
      expect(t.source_nuban).toBe(payment!.nuban);
      const key = `${payment!.garnishment_id}:${payment!.mandate_cycle}:${t.source_nuban}`;
      bankSweeps.set(key, (bankSweeps.get(key) ?? 0) + 1);
    }
    expect([...bankSweeps.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(transfers.length).toBe(payments.filter((p) => p.state === "settled").length);

    // Each recovery: the bank moved exactly what it is owed out of the debtor's two accounts
    // (debits less refunds), Okro says the same, and nothing is over-collected.
    const booksAfter = await sandboxMovements(db, c.tenant.id);
    const moved = (d: Debtor) => d.accounts.reduce((s, a) => s + (booksBefore.get(`${a.bankId}:${a.nuban}`) ?? 0n) - (booksAfter.get(`${a.bankId}:${a.nuban}`) ?? 0n), 0n);
    let refunded = 0;
    const wrong: unknown[] = [];
    const owedBy = new Map<number, bigint>();
    for (const [i, id] of ids.entries()) {
      const g = (await api("/garnish/get", { id })).json().data.garnishment;
      const owed = BigInt((loweredIds.has(id) ? LOWERED : PRINCIPAL) + INTEREST);
      refunded += g.refunded;
      owedBy.set(loans[i]!.debtor, (owedBy.get(loans[i]!.debtor) ?? 0n) + owed);
      if (g.status !== "repaid" || BigInt(g.collected) !== owed || g.remaining !== 0) wrong.push({ id, status: g.status, collected: g.collected, owed: Number(owed), refunded: g.refunded });
      // Okro's view of each debit matches the bank's: what it took from each account.
      for (const p of payments.filter((x) => x.garnishment_id === id && x.state === "settled")) expect(transfers.find((t) => byId.get(/^OKRO(.+)A\d+$/.exec(t.reference)?.[1] ?? "") === p)?.amount).toBe(p.amount);
    }
    expect(wrong).toEqual([]);
    // The banks moved out of each debtor's two accounts exactly what its loans are owed (debits less refunds).
    expect(debtors.map((d, i) => moved(d) - owedBy.get(i)!).filter((x) => x !== 0n)).toEqual([]);
    // The lowered recoveries were refunded what they took past their new debt.
    expect(refunded).toBeGreaterThan(0);
    const refundRows = await db.selectFrom("refunds").select(["payment_id", sql<string>`sum(amount)::text`.as("total")]).where("company_id", "=", c.tenant.id).where("state", "=", "succeeded").groupBy("payment_id").execute();
    for (const r of refundRows) expect(loweredIds.has(byId.get(r.payment_id)!.garnishment_id!), `refund of ${r.payment_id} is a lowered recovery's`).toBe(true);

    expect(await verifyLedger(db, c.scope)).toEqual([]);
    // The kill did abandon work: the victim held jobs the survivor took over.
    expect(heldAtKill).toBeGreaterThan(0);
    expect(Number((await db.selectFrom("jobs").select((eb) => eb.fn.countAll<string>().as("n")).where("company_id", "=", c.tenant.id).where("attempts", ">", 1).executeTakeFirstOrThrow()).n)).toBeGreaterThan(0);

    survivor.child.kill("SIGTERM");
    expect(await survivor.exited, survivor.stderr()).toBe(0);
  });
});
