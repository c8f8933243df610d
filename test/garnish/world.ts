import { Secret } from "../../src/banks/connector.js";
import { connectorFor } from "../../src/banks/networks.js";
import { SANDBOX_MAGIC, SANDBOX_PAYMENT_AUTH } from "../../src/banks/sandbox-logins.js";
import { linkConnection } from "../../src/data/link.js";
import { GARNISH_JOBS } from "../../src/garnish/sweeps.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { MANDATE_JOBS } from "../../src/mandates/charges.js";
import { authoriseMandate, clockOffsetMs, createMandate } from "../../src/mandates/service.js";
import { PAYMENT_JOBS } from "../../src/payments/jobs.js";
import { bearer } from "../harness.js";
import { GTBANK, SANDBOX_PRODUCTS } from "../security/route-registry.js";
import type { Company, World } from "../payments/engine-world.js";

/**
 * A debtor for garnishment tests: one person (one BVN) with an account at each of several sandbox
 * banks, each linked to the company and carrying an active sweep mandate granted through the
 * mandates service (the customer authorising it with their bank).
 */

export interface DebtorAccount {
  bankId: string;
  accountId: string;
  nuban: string;
  /** Its (first) sweep mandate. */
  mandateId: string;
  /** Every sweep mandate granted on it (`mandates`), e.g. one per loan. */
  mandateIds: string[];
  username: string;
}

export interface Debtor {
  customerId: string;
  bvn: string;
  accounts: DebtorAccount[];
}

let counter = 0;
let bvns = 0;

/** Sandbox banks to hold the debtor's accounts: GTBank first, then others (not the company's receiving bank). */
export function debtorBanks(w: World, c: Company, n: number): string[] {
  const others = w.h.ctx.sandbox
    .banks()
    .map((b) => b.bankId)
    .filter((id) => id !== GTBANK && id !== c.receiving.bankId);
  return [GTBANK, ...others].slice(0, n);
}

async function login(w: World, c: Company, bankId: string, username: string, password: string) {
  const connector = connectorFor(w.h.ctx, "sandbox", c.tenant.id, bankId)!;
  const credentials = { method: "internet_banking" as const, identifier: username, secret: new Secret(password) };
  let result = await connector.startLogin({ credentials });
  if (result.status === "mfa_required") {
    const answer = result.challenge.kind === "security_question" ? SANDBOX_MAGIC.securityAnswer : SANDBOX_MAGIC.otp;
    result = await connector.answerMfa({ session: result.session, answer: new Secret(answer) });
  }
  if (result.status !== "connected") throw new Error(`sandbox login at ${bankId} did not connect`);
  return { connector, credentials, session: result.session };
}

/**
 * Creates the debtor at each bank with `balances[i]` on its account (kobo), salary `salary[i]` on
 * `payday[i]` when given, links every account, and grants a sweep mandate of `maxTotal` on each.
 */
export async function debtor(
  w: World,
  c: Company,
  opts: {
    balances: number[];
    maxTotal: number;
    income?: { amount: number; payday: number }[];
    mandate?: "active" | "none";
    /** Sweep mandates granted on each account (default 1), each able to back its own recovery. */
    mandates?: number;
    /** The caller set the banks' mandate activation delay to 0 and keeps it so (debtors made in parallel). */
    instantActivation?: boolean;
  },
): Promise<Debtor> {
  // Unique within this process (debtors made in parallel in one millisecond must not share a BVN).
  const bvn = `22${String(((Date.now() % 1e6) * 1000 + (++bvns % 1000)) % 1e9).padStart(9, "0")}`;
  const banks = debtorBanks(w, c, opts.balances.length);
  const password = "debtor_pass";
  const usernames = banks.map(() => `debtor${++counter}x${Date.now() % 100000}`);
  await w.h.ctx.sandbox.createCustomers(
    c.tenant.id,
    banks.map((bankId, i) => ({
      bankId,
      username: usernames[i]!,
      password,
      type: "ind" as const,
      volume: "low" as const,
      identity: 100,
      noOfAccount: 1,
      internetSpeed: 4,
      name: "Adaeze Debtor",
      balance: opts.balances[i]!,
      bvn,
      income: opts.income?.[i] ? { kind: "salary" as const, amount: opts.income[i]!.amount, payday: opts.income[i]!.payday } : { kind: "none" as const },
    })),
  );
  const accounts: DebtorAccount[] = [];
  let customerId = "";
  const offsetMs = await clockOffsetMs(w.h.ctx, c.scope);
  for (const [i, bankId] of banks.entries()) {
    const { credentials, session, connector } = await login(w, c, bankId, usernames[i]!, password);
    const bankAccounts = await connector.listAccounts({ session });
    const linked = await linkConnection(w.h.ctx, {
      companyId: c.tenant.id,
      env: "sandbox",
      appId: null,
      bankId,
      loginMethod: "internet_banking",
      credentials,
      session,
      selectedAccountIds: bankAccounts.map((a) => a.id),
      products: SANDBOX_PRODUCTS,
      options: {},
    });
    customerId ||= linked.customerId;
    if (linked.customerId !== customerId) throw new Error("the same BVN at two banks did not give one customer");
    const account = linked.accounts.find((a) => a.connected)!;
    const mandateIds: string[] = [];
    if (opts.mandate !== "none") {
      if (!opts.instantActivation) await w.h.ctx.sandbox.setFaults(c.tenant.id, bankId, { mandateActivationDelayMs: 0 });
      const fresh = await login(w, c, bankId, usernames[i]!, password);
      for (let k = 0; k < (opts.mandates ?? 1); k++) {
        const m = await w.h.ctx.db.transaction().execute((trx) =>
          createMandate(trx, w.h.ctx, c.scope, {
            accountId: account.id,
            debitType: "sweep",
            currency: "NGN",
            amount: null,
            initialAmount: null,
            maxPerCharge: null,
            maxTotal: BigInt(opts.maxTotal),
            maxPerPeriod: null,
            period: null,
            startDate: null,
            endDate: null,
            interval: null,
            dayOfMonth: null,
            count: null,
            purpose: "Loan recovery consent",
            reference: null,
            options: null,
            accountToCredit: null,
            retry: null,
          }, offsetMs),
        );
        const authorised = await authoriseMandate(w.h.ctx, c.scope, m.id, { bankSession: fresh.session.token, authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
        if (authorised.state !== "active") throw new Error(`sweep mandate at ${bankId} is ${authorised.state}`);
        mandateIds.push(m.id);
      }
      if (!opts.instantActivation) await w.h.ctx.sandbox.setFaults(c.tenant.id, bankId, {});
    }
    accounts.push({ bankId, accountId: account.id, nuban: account.nuban, mandateId: mandateIds[0] ?? "", mandateIds, username: usernames[i]! });
  }
  return { customerId, bvn, accounts };
}

/** The runner with every job a garnishment needs: payments, mandates, garnishments. */
export function garnishRunner(w: World, c: Company, workerId?: string): JobRunner {
  return new JobRunner(w.h.ctx, [...PAYMENT_JOBS, ...MANDATE_JOBS, ...GARNISH_JOBS], { companyIds: [c.tenant.id], ...(workerId ? { workerId } : {}) });
}

export function apiOf(w: World, c: Company) {
  return (path: string, body: unknown, headers: Record<string, string> = {}) =>
    w.h.request({ method: "POST", url: `/v2${path}`, headers: { ...bearer(c.tenant.sandbox.secret_key), ...headers }, payload: body as Record<string, unknown> });
}

/** The bank's available balance of a debtor account now. */
export async function bankBalance(w: World, c: Company, a: DebtorAccount): Promise<number> {
  const mandate = await w.h.ctx.db.selectFrom("mandates").innerJoin("payment_consents", "payment_consents.id", "mandates.consent_id").select("payment_consents.mandate_id").where("mandates.id", "=", a.mandateId).executeTakeFirstOrThrow();
  const connector = connectorFor(w.h.ctx, "sandbox", c.tenant.id, a.bankId)!;
  return (await connector.mandateBalance({ mandateId: mandate.mandate_id! })).available;
}
