import { Secret, type BankConnector, type BankNetwork } from "../../src/banks/connector.js";
import type { AppContext } from "../../src/context.js";
import { connectorFor } from "../../src/banks/networks.js";
import { SANDBOX_MAGIC, SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import type { FaultSettings } from "../../src/banks/sandbox/types.js";
import { listEntries, verifyLedger, walletBalances } from "../../src/ledger/store.js";
import { newId } from "../../src/lib/ids.js";
import { kobo, type Kobo } from "../../src/lib/kobo.js";
import { ManualClock } from "../../src/lib/clock.js";
import { grantConsent } from "../../src/payments/consents.js";
import { initiatePayment } from "../../src/payments/service.js";
import type { PaymentRow, Scope } from "../../src/payments/types.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { EXECUTE, paymentCheckKind } from "../../src/payments/schedule.js";
import type { NewCompany } from "../../src/platform/companies.js";
import { createHarness, testConfig, type Harness } from "../harness.js";
import { GTBANK, linkSandboxCustomer } from "../security/route-registry.js";

/**
 * A small world for the payments engine's tests: a harness on a ManualClock (its own sandbox
 * network on that clock), fast bank-call time limits, and per test a fresh company with a
 * receiving account (a real sandbox account, so payouts can land), a linked customer and
 * helpers to grant consent, initiate, run the worker and read the ledger.
 */

/** Bank-call limit in these tests (real ms): an injected `timeoutRate` fault costs this long. */
export const TEST_BANK_TIMEOUT_MS = 500;

export interface World {
  h: Harness;
  clock: ManualClock;
}

export async function openWorld(): Promise<World> {
  const clock = new ManualClock();
  const base = testConfig();
  const h = await createHarness({ clock, config: { payments: { ...base.payments, bankTimeoutMs: TEST_BANK_TIMEOUT_MS } } });
  return { h, clock };
}

export interface Company {
  tenant: NewCompany;
  scope: Scope;
  receivingAccountId: string;
  receiving: { bankId: string; nuban: string };
  customer: Awaited<ReturnType<typeof linkSandboxCustomer>>;
  /** The linked customer's first account (Okro id, the bank's id, NUBAN). */
  account: { id: string; bankAccountId: string; nuban: string; customerId: string };
  /** The one job runner with the payment jobs, on this company's jobs only. */
  worker(options?: { concurrency?: number; workerId?: string; ctx?: AppContext; pollMs?: number }): JobRunner;
  faults(settings: FaultSettings, bankId?: string): Promise<void>;
  /** A fresh bank session of the linked customer (okro_good logs straight in). */
  freshSession(): Promise<Secret>;
}

/** A bank other than GTBank, where the company keeps its receiving account. */
function otherBank(w: World): string {
  const bank = w.h.ctx.sandbox.banks().find((b) => b.bankId !== GTBANK);
  if (!bank) throw new Error("need two sandbox banks");
  return bank.bankId;
}

async function loginAccounts(connector: BankConnector, identifier = "okro_good") {
  const credentials = { method: "internet_banking" as const, identifier, secret: new Secret(SANDBOX_MAGIC.password) };
  let login = await connector.startLogin({ credentials });
  if (login.status === "mfa_required") login = await connector.answerMfa({ session: login.session, answer: new Secret(SANDBOX_MAGIC.otp) });
  if (login.status !== "connected") throw new Error("sandbox login did not connect");
  return { session: login.session, accounts: await connector.listAccounts({ session: login.session }) };
}

export async function newCompany(w: World): Promise<Company> {
  const { h } = w;
  const tenant = await h.newTenant("Payments Co");
  const scope: Scope = { companyId: tenant.id, env: "sandbox" };
  // The company's receiving account: a real account on the sandbox network (payouts land there).
  const bankId = otherBank(w);
  const receivingConnector = connectorFor(h.ctx, "sandbox", tenant.id, bankId)!;
  const { accounts } = await loginAccounts(receivingConnector);
  const receiving = { bankId, nuban: accounts[0]!.nuban };
  const receivingAccountId = newId(w.clock.now());
  await h.ctx.db
    .insertInto("company_accounts")
    .values({ id: receivingAccountId, company_id: tenant.id, env: "sandbox", bank_id: bankId, nuban: receiving.nuban, name: "Payments Co", currency: "NGN", is_default: true, created_at: w.clock.now() })
    .execute();

  const customer = await linkSandboxCustomer(h, tenant);
  const first = customer.linked.accounts.find((a) => a.connected)!;
  const company: Company = {
    tenant,
    scope,
    receivingAccountId,
    receiving,
    customer,
    account: { id: first.id, bankAccountId: first.bank_account_id, nuban: first.nuban, customerId: customer.linked.customerId },
    worker: (options = {}) =>
      new JobRunner(options.ctx ?? h.ctx, PAYMENT_JOBS, {
        companyIds: [tenant.id],
        concurrency: options.concurrency ?? 4,
        ...(options.workerId ? { workerId: options.workerId } : {}),
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      }),
    faults: async (settings, bank = GTBANK) => {
      await h.ctx.sandbox.setFaults(tenant.id, bank, settings);
    },
    freshSession: async () => (await loginAccounts(customer.connector)).session.token,
  };
  return company;
}

/** Payment consent on the company's customer account, active at once (mandate activation delay 0). */
export async function activeConsent(w: World, c: Company, maxAmount?: Kobo) {
  await c.faults({ mandateActivationDelayMs: 0 });
  const consent = await grantConsent(w.h.ctx, c.scope, {
    accountId: c.account.id,
    bankSession: await c.freshSession(),
    authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) },
    ...(maxAmount !== undefined ? { maxAmount } : {}),
  });
  await c.faults({});
  return consent;
}

export async function initiate(w: World, c: Company, amount: number): Promise<PaymentRow> {
  return w.h.ctx.db.transaction().execute((trx) => initiatePayment(trx, w.h.ctx, c.scope, { accountToDebit: c.account.id, amount: kobo(amount), currency: "NGN" }));
}

export async function paymentRow(w: World, id: string): Promise<PaymentRow> {
  return w.h.ctx.db.selectFrom("payments").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

export async function balances(w: World, c: Company) {
  const [ngn] = await walletBalances(w.h.ctx.db, c.scope);
  return ngn!;
}

export async function expectSoundLedger(w: World, c: Company): Promise<string[]> {
  return verifyLedger(w.h.ctx.db, c.scope);
}

export async function entriesOf(w: World, c: Company, paymentId?: string) {
  return (await listEntries(w.h.ctx.db, c.scope, { ...(paymentId ? { paymentId } : {}), page: 1, limit: 100 })).rows;
}

export async function eventTypes(w: World, c: Company, objectId: string): Promise<string[]> {
  const rows = await w.h.ctx.db.selectFrom("events").select(["type", "sequence"]).where("company_id", "=", c.tenant.id).where("object_id", "=", objectId).orderBy("sequence").execute();
  return rows.map((r) => r.type);
}

/** The sandbox transfers recorded for a reference (what the bank actually did with it). */
export async function bankTransfers(w: World, c: Company, reference: string) {
  return w.h.ctx.db.selectFrom("sandbox_transfers").selectAll().where("realm", "=", c.tenant.id).where("reference", "=", reference).execute();
}

export async function history(w: World, paymentId: string) {
  const rows = await w.h.ctx.db.selectFrom("payment_transitions").selectAll().where("payment_id", "=", paymentId).orderBy("id").execute();
  return rows.map((r) => ({ from: r.from_state, to: r.to_state, actor: r.actor, reason: r.reason }));
}

/**
 * The harness's bank network with every connector call counted (per operation and reference):
 * what was SENT to the bank, which the bank's own deduplication would otherwise hide.
 */
export function countingNetwork(w: World) {
  const calls = new Map<string, number>();
  const inner = w.h.ctx.network;
  const network: BankNetwork = {
    supports: (bankId) => inner.supports(bankId),
    connector: (bankId, context) => {
      const c = inner.connector(bankId, context);
      if (!c) return undefined;
      return new Proxy(c, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== "function") return value;
          return (request: { reference?: string }, options?: unknown) => {
            const key = `${String(prop)}:${request?.reference ?? ""}`;
            calls.set(key, (calls.get(key) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).call(target, request, options);
          };
        },
      });
    },
  };
  return { ctx: { ...w.h.ctx, network } as AppContext, calls, count: (op: string, reference: string) => calls.get(`${op}:${reference}`) ?? 0 };
}

/** The open (queued or running) jobs about one object (payment, refund, payout, consent), soonest first: what is due for it and when. */
export async function openJobs(w: World, objectId: string): Promise<Array<{ name: string; key: string | null; run_at: Date | null }>> {
  const rows = await w.h.ctx.db.selectFrom("jobs").select(["name", "key", "run_at", "payload"]).where("state", "in", ["queued", "running"]).orderBy("run_at").execute();
  return rows
    .filter((r) => {
      const p = r.payload as Record<string, unknown>;
      return p.paymentId === objectId || p.id === objectId || p.consentId === objectId;
    })
    .map(({ name, key, run_at }) => ({ name, key, run_at }));
}

/**
 * When the payment's current job is due — its `payments.execute` while queued, else the check its
 * state waits for, numbered as the row's `checks` (older, superseded jobs do nothing) — or null
 * when nothing is due for it.
 */
export async function nextDue(w: World, paymentId: string): Promise<Date | null> {
  const row = await paymentRow(w, paymentId);
  const kind = row.state === "queued" ? EXECUTE : paymentCheckKind(row.state);
  if (!kind) return null;
  const key = row.state === "queued" ? `payment:${row.id}:attempt:${row.attempt + 1}` : `payment:${row.id}:check:${row.checks}`;
  const job = await w.h.ctx.db.selectFrom("jobs").select("run_at").where("name", "=", kind.name).where("key", "=", key).where("state", "in", ["queued", "running"]).executeTakeFirst();
  return job?.run_at ?? null;
}

/** When the pending consent's current activation check is due, or null. */
export async function consentDue(w: World, consentId: string): Promise<Date | null> {
  const row = await w.h.ctx.db.selectFrom("payment_consents").select(["status", "checks"]).where("id", "=", consentId).executeTakeFirstOrThrow();
  if (row.status !== "pending") return null;
  const job = await w.h.ctx.db
    .selectFrom("jobs")
    .select("run_at")
    .where("name", "=", "consents.activate")
    .where("key", "=", `consent:${consentId}:check:${row.checks}`)
    .where("state", "in", ["queued", "running"])
    .executeTakeFirst();
  return job?.run_at ?? null;
}
