import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import type { AppContext } from "./context.js";
import type { Env } from "./db/schema.js";
import { clientToken, createCompany, type EnvironmentCredentials } from "./platform/companies.js";
import { createApp } from "./platform/apps.js";
import { findActiveKey, rotateKey } from "./platform/keys.js";
import { hashPassword, verifyPassword } from "./platform/passwords.js";
import { newId } from "./lib/ids.js";
import { randomToken } from "./lib/secrets.js";
import type { Transaction } from "kysely";
import type { DB } from "./db/schema.js";
import { Secret, type BankConnector, type LoginCredentials, type LoginMethod, type LoginResult } from "./banks/connector.js";
import { connectorFor } from "./banks/networks.js";
import { SANDBOX_MAGIC, SANDBOX_PAYMENT_AUTH } from "./banks/sandbox-logins.js";
import { linkConnection } from "./data/link.js";
import { demoSeedState } from "./data/store.js";
import { PRODUCTS } from "./platform/domain.js";
import { SandboxAdminError, type SandboxCustomerView } from "./banks/sandbox/types.js";
import { OkroError } from "./core/errors.js";
import { ensureSandboxReceivingAccount } from "./payments/sandbox-receiving.js";
import { grantConsent } from "./payments/consents.js";
import { authoriseMandate, businessToday, clockOffsetMs, createMandate, ensureDemoMandate } from "./mandates/service.js";
import { addDays } from "./mandates/schedule.js";
import { createGarnishment } from "./garnish/service.js";
import { garnishmentByReference } from "./garnish/store.js";
import { enqueueRequestedSweep } from "./garnish/sweeps.js";

/** What `okro serve` prints and writes to `$OKRO_DATA_DIR/demo.json`. */
export interface DemoInfo {
  api: string;
  widget: string;
  dashboard: string;
  docs: string;
  company_id: string;
  company_name: string;
  /**
   * `settlement_account`: the demo company's sandbox receiving account (a company account id: the
   * default `account_to_credit` of pay/initiate); null when the sandbox bank could not be reached.
   */
  sandbox: EnvironmentCredentials & { settlement_account: string | null };
  production: EnvironmentCredentials;
  /** The demo company's dashboard user. */
  dashboard_login: { email: string; password: string } | null;
}

export interface Urls {
  api: string;
  widget: string;
}

export const DEMO_COMPANY_NAME = "Demo Store";
export const DEMO_USER_EMAIL = "demo@okro.local";
const DEMO_FILE = "demo.json";
/** Any 64-bit number unique to this lock; hashtext would differ between PG versions. */
const SEED_LOCK = 7_242_001_001;

export const demoFilePath = (dataDir: string) => path.join(dataDir, DEMO_FILE);

/**
 * Makes sure the demo company exists and that we hold its keys in clear, and writes demo.json.
 *
 * Keys are stored only as hashes, so the clear keys live in demo.json (mode 0600) in the data
 * directory. A second start reads them back and checks each is still active for the demo
 * company; one that is missing, revoked or rotated away is replaced by a newly issued key (and
 * the others keep working). Nothing is created twice: an advisory lock serialises racing first
 * starts on one PostgreSQL, and the partial unique index on companies(is_demo) backs it up.
 */
export async function ensureDemo(ctx: AppContext, dataDir: string, urls: Urls): Promise<DemoInfo> {
  const saved = readSaved(dataDir);
  const now = ctx.clock.now();
  const info = await ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    const existing = await trx.selectFrom("companies").select(["id", "name"]).where("is_demo", "=", true).executeTakeFirst();
    if (!existing) {
      const created = await createCompany(trx, { name: DEMO_COMPANY_NAME, isDemo: true }, now);
      const dashboard_login = await ensureDemoUser(trx, created.id, undefined, now);
      return { company_id: created.id, company_name: created.name, sandbox: created.sandbox, production: created.production, dashboard_login };
    }
    const creds = {} as Record<Env, EnvironmentCredentials>;
    for (const env of ["sandbox", "production"] as const) {
      const token = await clientToken(trx, existing.id, env);
      if (!token) throw new Error(`demo company ${existing.id} has no ${env} environment`);
      const app = await trx
        .selectFrom("apps")
        .select("id")
        .where("company_id", "=", existing.id)
        .where("env", "=", env)
        .orderBy("created_at")
        .orderBy("id")
        .executeTakeFirst();
      const previous = saved?.company_id === existing.id ? saved[env] : undefined;
      const keyFor = async (kind: "secret" | "public", clear: string | undefined) => {
        if (clear) {
          const principal = await findActiveKey(trx, clear, now);
          if (principal && principal.companyId === existing.id && principal.env === env && principal.kind === kind) return clear;
        }
        // Lost (a new data directory against the same PostgreSQL, say): rotate, so the demo
        // company's keys nobody holds any more stop working instead of piling up.
        return (await rotateKey(trx, existing.id, env, kind, 0, now)).key;
      };
      creds[env] = {
        secret_key: await keyFor("secret", previous?.secret_key),
        public_key: await keyFor("public", previous?.public_key),
        token,
        // Someone deleted the demo app: give the demo a new one rather than an empty app_id.
        app_id: app?.id ?? (await createApp(trx, { companyId: existing.id, env }, { name: existing.name }, now)).id,
      };
    }
    const dashboard_login = await ensureDemoUser(trx, existing.id, saved?.company_id === existing.id ? saved.dashboard_login : undefined, now);
    return { company_id: existing.id, company_name: existing.name, ...creds, dashboard_login };
  });
  // Outside the transaction above: the sandbox bank may be another process (OKRO_SANDBOX_BANK_URL).
  // Unreachable, the demo starts without a receiving account rather than not at all.
  const settlement_account = await ensureDemoSettlementAccount(ctx, info.company_id).catch(() => null);
  const demo: DemoInfo = {
    api: urls.api,
    widget: urls.widget,
    dashboard: `${urls.api}/dashboard`,
    docs: `${urls.api}/docs`,
    ...info,
    sandbox: { ...info.sandbox, settlement_account },
  };
  writeSaved(dataDir, demo);
  return demo;
}

/**
 * The demo dashboard user: its password is random, known only through demo.json. If the saved
 * one no longer works (lost demo.json), the demo user gets a new random password. If someone
 * else took the email, there is no demo login (null) rather than a takeover.
 */
async function ensureDemoUser(
  trx: Transaction<DB>,
  companyId: string,
  saved: { email: string; password: string } | null | undefined,
  now: Date,
): Promise<{ email: string; password: string } | null> {
  const user = await trx.selectFrom("users").select(["id", "company_id", "password_hash"]).where("email", "=", DEMO_USER_EMAIL).executeTakeFirst();
  if (user && user.company_id !== companyId) return null;
  if (user && saved?.password && (await verifyPassword(user.password_hash, saved.password))) return saved;
  const password = randomToken(12);
  const password_hash = await hashPassword(password);
  if (user) {
    await trx.updateTable("users").set({ password_hash }).where("id", "=", user.id).execute();
  } else {
    await trx
      .insertInto("users")
      .values({ id: newId(now), company_id: companyId, email: DEMO_USER_EMAIL, name: "Demo Owner", password_hash, role: "owner", created_at: now })
      .execute();
  }
  return { email: DEMO_USER_EMAIL, password };
}

function readSaved(dataDir: string): DemoInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(demoFilePath(dataDir), "utf8")) as DemoInfo;
  } catch {
    return undefined;
  }
}

function writeSaved(dataDir: string, demo: DemoInfo): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = demoFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  // Holds clear secret keys: readable by the owner only. Written atomically (rename).
  fs.writeFileSync(tmp, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// Demo receiving account
// ---------------------------------------------------------------------------------------------

/** The demo company's own sandbox bank customer: the business whose account payments go to. */
export const DEMO_SHOP = { name: "Demo Shop Ltd", username: "demo_shop", bankSlug: "guaranty-trust-bank" } as const;

/**
 * The demo company's default NGN receiving account in sandbox (its id): the first account of a
 * corporate sandbox customer "Demo Shop Ltd" at GTBank ({@link ensureSandboxReceivingAccount}).
 */
export async function ensureDemoSettlementAccount(ctx: AppContext, companyId: string): Promise<string> {
  return ensureSandboxReceivingAccount(ctx, companyId, DEMO_SHOP);
}

// ---------------------------------------------------------------------------------------------
// Demo account data
// ---------------------------------------------------------------------------------------------

/**
 * The demo company's sandbox customers: three of the sandbox network's built-in people (the
 * magic users of docs/sandbox-bank.md, each one person across the network), each at its own bank
 * and through a different login: straight in, a security question, an OTP. Their statements are
 * modest (medium and low volume), so the seed is done in a few seconds. A developer who links
 * one of them again, at any bank, meets the same customer (by BVN): the returning-user path.
 */
export const DEMO_LINKS = [
  { bankSlug: "guaranty-trust-bank", method: "internet_banking", identifier: "okro_good" },
  { bankSlug: "kuda-bank", method: "mobile_banking", identifier: "okro_question" },
  { bankSlug: "zenith-bank", method: "internet_banking", identifier: "okro_otp" },
] as const satisfies ReadonlyArray<{ bankSlug: string; method: LoginMethod; identifier: string }>;

/** Marks the records the demo seed made (in `records.options`), so an interrupted seed can finish. */
export const DEMO_OPTION = "okro_demo";

/**
 * Gives the demo company's sandbox a few customers who have already linked their accounts, so
 * the API returns data from the first minute. Each is linked with every account-data product
 * the way the widget does it: log in through the connector, answer the bank's MFA, then
 * {@link linkConnection}.
 *
 * Runs while the sandbox has no customers but the seed's own: the first start links them all; a
 * seed cut short by a shutdown finishes at the next start; once every demo customer is there,
 * or the developer has customers of their own, it does nothing (`linked: 0`). Two processes
 * starting at once may both link, and converge: a person's customer, record, accounts and lines
 * are unique (the BVN and bank+NUBAN indexes, and linkConnection's per-person locks), so the
 * second link is a relink of the first (only its events are extra). `signal` stops it between
 * bank calls (shutdown); what was linked stays.
 *
 * Every shared account also gets payment consent (a mandate authorised with the sandbox OTP), and
 * the demo's banks activate mandates at once (`mandateActivationDelayMs: 0`), so the demo's
 * `pay/initiate` works from the first minute. A start that linked a bank but was stopped before
 * its consents logs in there again to give them.
 */
export async function ensureDemoData(
  ctx: AppContext,
  demo: { company_id: string; sandbox: EnvironmentCredentials },
  options: { signal?: AbortSignal } = {},
): Promise<{ linked: number }> {
  const scope = { companyId: demo.company_id, env: "sandbox" as const };
  const state = await demoSeedState(ctx.db, scope, DEMO_OPTION);
  if (state.othersExist) return { linked: 0 };
  // Linked by an earlier start, but stopped before all its consents: only those are left to give.
  const unconsented = await accountsWithoutConsent(ctx, scope);
  const banks = new Map(ctx.sandbox.banks().map((b) => [b.slug, b]));
  const todo = DEMO_LINKS.flatMap((link) => {
    const bank = banks.get(link.bankSlug);
    if (!bank) return [];
    const seeded = state.seededBanks.has(bank.bankId);
    const missing = unconsented.get(bank.bankId) ?? [];
    return seeded && missing.length === 0 ? [] : [{ link, bank, seeded, missing }];
  });
  const { signal } = options;
  let linked = 0;
  let mandatesInstant = false;
  try {
    for (const { link, bank, seeded, missing } of todo) {
      signal?.throwIfAborted();
      const connector = connectorFor(ctx, "sandbox", demo.company_id, bank.bankId);
      if (!connector) continue;
      const credentials: LoginCredentials = { method: link.method, identifier: link.identifier, secret: new Secret(SANDBOX_MAGIC.password) };
      const session = await connect(connector, await connector.startLogin({ credentials }));
      let accountIds = missing;
      if (!seeded) {
        const accounts = await connector.listAccounts({ session });
        const result = await linkConnection(ctx, {
          companyId: demo.company_id,
          env: "sandbox",
          appId: demo.sandbox.app_id,
          bankId: bank.bankId,
          loginMethod: credentials.method,
          credentials,
          session,
          selectedAccountIds: accounts.map((a) => a.id),
          products: PRODUCTS.filter((p) => p !== "payments"),
          options: { [DEMO_OPTION]: true },
          signal,
        });
        linked++;
        accountIds = result.accounts.filter((a) => a.connected).map((a) => a.id);
      }
      // Payment consent on every shared account, authorised with the sandbox OTP, so demo
      // pay/initiate works at once. An account that has one already gets it back (no bank call).
      if (!mandatesInstant) {
        await instantMandates(ctx, demo.company_id, todo.map((t) => t.bank.bankId));
        mandatesInstant = true;
      }
      for (const accountId of accountIds) {
        signal?.throwIfAborted();
        await grantConsent(ctx, scope, { accountId, bankSession: session.token, authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
      }
    }
    // A customer with an active monthly mandate and its charge history (issue 13).
    signal?.throwIfAborted();
    await ensureDemoMandate(ctx, scope);
    // A debtor at two banks with sweep consent and an active recovery (issue 14).
    signal?.throwIfAborted();
    await ensureDemoGarnishment(ctx, demo, signal);
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
  return { linked };
}

/** The demo's recovery reference: one per demo company. */
export const DEMO_GARNISHMENT_REFERENCE = "okro_demo_recovery";

/**
 * The demo's debtor (issue 14): one person (one BVN) with an account at each of two sandbox banks
 * (₦30,000 and ₦20,000; salaries on the 25th and the 28th), both linked, each with a sweep mandate
 * of at most ₦100,000 authorised with the sandbox OTP. Not among {@link DEMO_LINKS}' banks, so
 * those stay as they are.
 */
export const DEMO_DEBTOR = {
  name: "Chinedu Okafor",
  bvn: "22100000014",
  password: "debtor_pass",
  accounts: [
    { bankSlug: "access-bank", username: "demo_debtor_access", balance: 3_000_000, salary: { amount: 4_500_000, payday: 25 } },
    { bankSlug: "fidelity-bank", username: "demo_debtor_fidelity", balance: 2_000_000, salary: { amount: 2_500_000, payday: 28 } },
  ],
} as const;

/**
 * The demo's recovery: {@link DEMO_DEBTOR} owes ₦90,000 principal and ₦10,000 interest, recovered
 * over the sweep mandates at both banks, daily from tomorrow. A sweep is asked at once (a job: the
 * runner of `npm start` runs it in its first seconds), which takes the ₦50,000 the two accounts
 * hold — a partial collection, the rest as the salaries land. Nothing when the recovery exists.
 * Two starts at once converge: the customers and links are unique per person, the recovery's
 * reference is unique (the loser's spare mandates back nothing).
 */
async function ensureDemoGarnishment(ctx: AppContext, demo: { company_id: string; sandbox: EnvironmentCredentials }, signal?: AbortSignal): Promise<void> {
  const scope = { companyId: demo.company_id, env: "sandbox" as const };
  if (await garnishmentByReference(ctx.db, scope, DEMO_GARNISHMENT_REFERENCE)) return;
  const banks = new Map(ctx.sandbox.banks().map((b) => [b.slug, b]));
  const accounts = DEMO_DEBTOR.accounts.flatMap((a) => (banks.has(a.bankSlug) ? [{ ...a, bankId: banks.get(a.bankSlug)!.bankId }] : []));
  if (accounts.length < 2) return;
  try {
    await ctx.sandbox.createCustomers(
      demo.company_id,
      accounts.map((a) => ({
        bankId: a.bankId,
        username: a.username,
        password: DEMO_DEBTOR.password,
        type: "ind" as const,
        volume: "low" as const,
        identity: 100,
        noOfAccount: 1,
        internetSpeed: 4,
        name: DEMO_DEBTOR.name,
        balance: a.balance,
        bvn: DEMO_DEBTOR.bvn,
        income: { kind: "salary" as const, amount: a.salary.amount, payday: a.salary.payday },
      })),
    );
  } catch (error) {
    // An earlier (or concurrent) start created them.
    if (!(error instanceof SandboxAdminError)) throw error;
  }
  await instantMandates(ctx, demo.company_id, accounts.map((a) => a.bankId));
  const offsetMs = await clockOffsetMs(ctx, scope);
  const mandateIds: string[] = [];
  let customerId: string | undefined;
  for (const a of accounts) {
    signal?.throwIfAborted();
    const connector = connectorFor(ctx, "sandbox", demo.company_id, a.bankId);
    if (!connector) return;
    const credentials: LoginCredentials = { method: "internet_banking", identifier: a.username, secret: new Secret(DEMO_DEBTOR.password) };
    const session = await connect(connector, await connector.startLogin({ credentials }));
    const linked = await linkConnection(ctx, {
      companyId: demo.company_id,
      env: "sandbox",
      appId: demo.sandbox.app_id,
      bankId: a.bankId,
      loginMethod: credentials.method,
      credentials,
      session,
      selectedAccountIds: (await connector.listAccounts({ session })).map((x) => x.id),
      products: PRODUCTS.filter((p) => p !== "payments"),
      options: { [DEMO_OPTION]: true },
      signal,
    });
    customerId ??= linked.customerId;
    const account = linked.accounts.find((x) => x.connected);
    if (!account) return;
    const mandate = await ctx.db.transaction().execute((trx) =>
      createMandate(
        trx,
        ctx,
        scope,
        {
          accountId: account.id,
          debitType: "sweep",
          currency: "NGN",
          amount: null,
          initialAmount: null,
          maxPerCharge: null,
          maxTotal: 10_000_000n,
          maxPerPeriod: null,
          period: null,
          startDate: null,
          endDate: null,
          interval: null,
          dayOfMonth: null,
          count: null,
          purpose: "Demo Store loan: recovery consent",
          reference: null,
          options: null,
          accountToCredit: null,
          retry: null,
        },
        offsetMs,
      ),
    );
    const fresh = await connect(connector, await connector.startLogin({ credentials }));
    await authoriseMandate(ctx, scope, mandate.id, { bankSession: fresh.token, authorization: { otp: new Secret(SANDBOX_PAYMENT_AUTH.otp) } });
    mandateIds.push(mandate.id);
  }
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const g = await createGarnishment(
        trx,
        ctx,
        scope,
        {
          customerId: customerId ?? null,
          mandateIds,
          currency: "NGN",
          principal: 9_000_000n,
          interest: 1_000_000n,
          penalties: null,
          floor: 0n,
          interval: "daily",
          dayOfMonth: null,
          startDate: addDays(businessToday(ctx, offsetMs), 1),
          endDate: null,
          accountToCredit: null,
          reference: DEMO_GARNISHMENT_REFERENCE,
          purpose: "Demo Store loan",
          source: "api",
        },
        offsetMs,
      );
      await enqueueRequestedSweep(trx, ctx, g);
    });
  } catch (error) {
    if (!(await garnishmentByReference(ctx.db, scope, DEMO_GARNISHMENT_REFERENCE))) throw error;
  }
}

/**
 * The demo's sandbox banks activate new mandates at once (their default is NIBSS's few minutes),
 * unless the developer set a delay of their own; other fault settings are kept.
 */
async function instantMandates(ctx: AppContext, realm: string, bankIds: readonly string[]): Promise<void> {
  const current = new Map((await ctx.sandbox.getFaults(realm)).map((f) => [f.bankId, f.settings]));
  for (const bankId of bankIds) {
    const settings = current.get(bankId) ?? {};
    if (settings.mandateActivationDelayMs === undefined) await ctx.sandbox.setFaults(realm, bankId, { ...settings, mandateActivationDelayMs: 0 });
  }
}

/** The company's shared accounts (in the scope) with no live payment consent, by bank: one query. */
async function accountsWithoutConsent(ctx: AppContext, scope: { companyId: string; env: "sandbox" }): Promise<Map<string, string[]>> {
  const rows = await ctx.db
    .selectFrom("accounts")
    .select(["accounts.id", "accounts.bank_id"])
    .where("accounts.company_id", "=", scope.companyId)
    .where("accounts.env", "=", scope.env)
    .where("accounts.connected", "=", true)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("payment_consents").select("payment_consents.id").whereRef("payment_consents.account_id", "=", "accounts.id").where("payment_consents.status", "<>", "revoked"))),
    )
    .execute();
  const byBank = new Map<string, string[]>();
  for (const row of rows) byBank.set(row.bank_id, [...(byBank.get(row.bank_id) ?? []), row.id]);
  return byBank;
}

/** Answers the sandbox bank's MFA (it may ask more than once) until the session is connected. */
async function connect(connector: BankConnector, result: LoginResult): Promise<LoginResult["session"]> {
  for (let round = 0; result.status === "mfa_required"; round++) {
    if (round >= 3) throw new Error("the sandbox bank kept asking for MFA");
    const answer = result.challenge.kind === "security_question" ? SANDBOX_MAGIC.securityAnswer : SANDBOX_MAGIC.otp;
    result = await connector.answerMfa({ session: result.session, answer: new Secret(answer) });
  }
  return result.session;
}
