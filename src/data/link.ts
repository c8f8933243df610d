import {
  isConnectorError,
  type BankAccount,
  type BankBalance,
  type BankConnector,
  type BankIdentity,
  type BankSession,
  type BankTransaction,
  type ConnectorError,
  type LoginCredentials,
  type LoginMethod,
} from "../banks/connector.js";
import { connectorFor } from "../banks/networks.js";
import type { AppContext } from "../context.js";
import type { CustomerKind, Env } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import { normalizeProducts, PRODUCTS, type Product } from "../platform/domain.js";
import {
  emitBalanceSuccess,
  emitIdentitySuccess,
  emitIncomeSuccess,
  emitRecordConnected,
  emitTransactionsSuccess,
  type RecordRef,
} from "./events.js";
import { contactOf } from "./contact.js";
import * as store from "./store.js";
import type { Trx } from "../core/db.js";

/**
 * Turns a logged-in bank session into Okro's account data. Called by the widget backend when the
 * customer consents, and by the demo seed.
 */
export interface LinkInput {
  companyId: string;
  env: Env;
  /** The widget app the connection came through (null for the seed / API-made links). */
  appId: string | null;
  bankId: string;
  loginMethod: LoginMethod;
  /** What the customer typed; sealed on the record for later refreshes. Null: never kept. */
  credentials: LoginCredentials | null;
  /** A connected bank session (after any MFA). */
  session: BankSession;
  /** The connector's ids (BankAccount.id) of the accounts the customer chose to share. */
  selectedAccountIds: string[];
  /** Products the app asked for ("auth" always included). Decides what is pulled and stored. */
  products: Product[];
  /** The merchant's free `options` object from the widget, kept for `…/byOptions`. */
  options: Record<string, unknown>;
  /** What the merchant told us about the person (widget `customer{id|bvn|email|phone}`). */
  customerHint?: { id?: string; bvn?: string; email?: string; phone?: string } | undefined;
  /** Statement length in months (widget `limit`, default 24). */
  historyMonths?: number | undefined;
  /**
   * Abandons the link before its next bank call or before it writes anything (the caller went
   * away: shutdown, a closed widget). It then throws the signal's reason and nothing is written.
   */
  signal?: AbortSignal | undefined;
}

export interface LinkedAccount {
  id: string;
  bank_account_id: string;
  nuban: string;
  name: string;
  type: string;
  currency: string;
  connected: boolean;
  available_balance: number;
  ledger_balance: number;
}

export interface LinkResult {
  recordId: string;
  customerId: string;
  customerName: string;
  bankId: string;
  /** Every account the bank listed; `connected` says which the customer shared. */
  accounts: LinkedAccount[];
  /** True when this customer+bank was linked before (the record was refreshed, not created). */
  relinked: boolean;
  /** Auth ids per shared account. */
  authIds: string[];
  identityId: string | null;
  incomeId: string | null;
  /** Transaction lines stored for the first time by this link. */
  newTransactions?: number;
}

/** Statement length when the widget gives none, and the most a bank is asked for (months). */
export const DEFAULT_HISTORY_MONTHS = 24;
export const MAX_HISTORY_MONTHS = 24;
/** Lines per page asked of the bank (the sandbox caps pages at 500). */
export const TRANSACTIONS_PAGE_LIMIT = 500;
/** What to tell a caller to wait when the bank gave no Retry-After (ms). */
const DEFAULT_RETRY_AFTER_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Bank failures → Okro errors
// ---------------------------------------------------------------------------------------------

/**
 * What a classified bank failure means for Okro's caller (the API's envelope, the widget):
 * - `retryable` / `rate_limited` → SERVICE_UNAVAILABLE, `data.reason: "bank_down"`, `retry_after_ms`
 * - `timeout` → SERVICE_UNAVAILABLE, `data.reason: "bank_timeout"`, `retry_after_ms` (reads only:
 *   money movements settle a timeout by re-query, not through this mapper)
 * - `rejected` / `session_expired` → UNPROCESSABLE, `data.reason: "bank_session_expired"`
 * - other `rejected` → UNPROCESSABLE, `data.reason` = the bank's reason (`invalid_credentials`
 *   with `attempts_left`, `locked`, `invalid_otp`, `mfa_expired`, `unknown_account`, …)
 * - `not_supported` → UNPROCESSABLE, `data.reason: "not_supported"`
 * Connector messages never carry secrets (connector contract), so they are passed on.
 */
export function bankErrorToOkro(error: ConnectorError): OkroError {
  const retryAfter = error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  switch (error.kind) {
    case "retryable":
    case "rate_limited":
      return new OkroError("SERVICE_UNAVAILABLE", `the bank is not available right now (${error.message}); try again later`, {
        data: { reason: "bank_down", retry_after_ms: retryAfter },
      });
    case "timeout":
      return new OkroError("SERVICE_UNAVAILABLE", "the bank did not answer in time; try again later", {
        data: { reason: "bank_timeout", retry_after_ms: retryAfter },
      });
    case "not_supported":
      return new OkroError("UNPROCESSABLE", error.message, { data: { reason: "not_supported" } });
    case "rejected": {
      if (error.reason === "session_expired") {
        return new OkroError("UNPROCESSABLE", `the bank session has ended (${error.message}); the customer must log in again`, {
          data: { reason: "bank_session_expired" },
        });
      }
      const data: Record<string, unknown> = { reason: error.reason ?? "bank_rejected" };
      if (error.attemptsLeft !== undefined) data.attempts_left = error.attemptsLeft;
      return new OkroError("UNPROCESSABLE", error.message, { data, ...(error.field ? { field: error.field } : {}) });
    }
  }
}

/** Rethrows a bank failure as its OkroError ({@link bankErrorToOkro}); anything else as it is. */
export function rethrowBankError(error: unknown): never {
  throw isConnectorError(error) ? bankErrorToOkro(error) : error;
}

/** The connector of a bank for a company and environment, or UNPROCESSABLE (unknown bank, production). */
export function requireConnector(ctx: Pick<AppContext, "network">, scope: { companyId: string; env: Env }, bankId: string): BankConnector {
  const connector = connectorFor(ctx, scope.env, scope.companyId, bankId);
  if (connector) return connector;
  if (scope.env === "production") {
    throw new OkroError("UNPROCESSABLE", "bank: no connector for this bank in production yet; sandbox banks are reached with sandbox keys", {
      field: "bank",
      data: { reason: "bank_not_connected" },
    });
  }
  throw new OkroError("UNPROCESSABLE", "bank: not a bank on the sandbox network", { field: "bank", data: { reason: "unknown_bank" } });
}

// ---------------------------------------------------------------------------------------------
// Pulling from the bank (no transaction open)
// ---------------------------------------------------------------------------------------------

interface SharedPull {
  account: BankAccount;
  balance: BankBalance;
  /** Undefined when transactions were not asked for. */
  lines: BankTransaction[] | undefined;
}

interface Pulled {
  accounts: BankAccount[];
  identity: BankIdentity | undefined;
  shared: SharedPull[];
  /** The bank's "now" (its latest balance reading, never before ours). */
  bankNow: Date;
}

/**
 * A long statement is asked for in windows of this many months, all at once, each following its
 * own cursor: the customer waits on "Connecting your account…" for the slowest window instead of
 * for every page in turn. Measured through the widget: okro_corp (two corporate accounts, ~3,900
 * lines) at First Bank (~2 s a call) took 21.8 s to connect with one cursor — past the widget's
 * 20 s request timeout — and takes about half that in windows.
 */
export const TRANSACTIONS_WINDOW_MONTHS = 6;

/** Every line of an account in [from, to] (both inclusive), in windows pulled in parallel. */
export async function pullTransactions(
  connector: BankConnector,
  session: BankSession,
  accountId: string,
  from: Date,
  to: Date,
  signal?: AbortSignal,
): Promise<BankTransaction[]> {
  // Disjoint windows: each ends 1 ms before the next starts (the bank's bounds are inclusive).
  const windows: Array<[Date, Date]> = [];
  for (let start = from; start.getTime() <= to.getTime(); ) {
    const next = monthsAfter(start, TRANSACTIONS_WINDOW_MONTHS);
    const end = next.getTime() > to.getTime() ? to : new Date(next.getTime() - 1);
    windows.push([start, end]);
    start = new Date(end.getTime() + 1);
  }
  // from after to: one call, so the bank answers it as before (it refuses the range).
  if (windows.length === 0) windows.push([from, to]);
  const parts = await Promise.all(windows.map(([start, end]) => pullWindow(connector, session, accountId, start, end, signal)));
  // A line is kept once even if a bank listed it in two windows.
  const seen = new Set<string>();
  return parts.flat().filter((line) => !seen.has(line.id) && seen.add(line.id));
}

/** Every line of an account in [from, to], following the bank's cursor. */
async function pullWindow(
  connector: BankConnector,
  session: BankSession,
  accountId: string,
  from: Date,
  to: Date,
  signal?: AbortSignal,
): Promise<BankTransaction[]> {
  const lines: BankTransaction[] = [];
  let cursor: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = await connector.listTransactions({
      session,
      accountId,
      from: from.toISOString(),
      to: to.toISOString(),
      limit: TRANSACTIONS_PAGE_LIMIT,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    lines.push(...page.transactions);
    cursor = page.hasMore ? page.nextCursor : undefined;
  } while (cursor !== undefined);
  return lines;
}

const monthsAfter = (at: Date, months: number): Date => {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
};

const monthsBefore = (at: Date, months: number): Date => {
  const d = new Date(at.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
};

async function pull(connector: BankConnector, input: LinkInput, wantLines: boolean, months: number, now: Date): Promise<Pulled> {
  const { session, signal } = input;
  const accounts = await connector.listAccounts({ session });
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const unknown = input.selectedAccountIds.find((id) => !byId.has(id));
  if (unknown !== undefined) {
    throw new OkroError("UNPROCESSABLE", "accounts: the customer chose an account this bank login does not hold", { field: "accounts" });
  }
  signal?.throwIfAborted();
  // Always: the BVN recognises the person again, whatever products were asked for.
  const identity = await connector.getIdentity({ session }).catch((error: unknown) => {
    if (isConnectorError(error) && error.kind === "not_supported") return undefined;
    throw error;
  });
  const selected = [...new Set(input.selectedAccountIds)].map((id) => byId.get(id)!);
  // Accounts in parallel (a slow bank costs one round of calls, not one per account).
  const shared = await Promise.all(
    selected.map(async (account): Promise<SharedPull> => {
      signal?.throwIfAborted();
      const balance = await connector.getBalance({ session, accountId: account.id });
      if (!wantLines) return { account, balance, lines: undefined };
      const to = new Date(Math.max(now.getTime(), Date.parse(balance.asOf) || 0));
      return { account, balance, lines: await pullTransactions(connector, session, account.id, monthsBefore(to, months), to, signal) };
    }),
  );
  const bankNow = new Date(Math.max(now.getTime(), ...shared.map((s) => Date.parse(s.balance.asOf) || 0)));
  return { accounts, identity, shared, bankNow };
}

// ---------------------------------------------------------------------------------------------
// Linking
// ---------------------------------------------------------------------------------------------

const BVN = /^[0-9]{11}$/;
const isProduct = (p: string): p is Product => (PRODUCTS as readonly string[]).includes(p);
const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

function toIdentityWrite(i: BankIdentity): store.IdentityWrite {
  return {
    kind: i.kind,
    fullname: i.fullName,
    firstname: i.firstName ?? null,
    middlename: i.middleName ?? null,
    lastname: i.lastName ?? null,
    bvn: i.bvn ?? null,
    dob: i.dateOfBirth ?? null,
    gender: i.gender ?? null,
    phones: i.phones,
    emails: i.emails,
    address: i.address ?? null,
    marital_status: i.maritalStatus ?? null,
    nationality: i.nationality ?? null,
    rc_number: i.rcNumber ?? null,
  };
}

/**
 * Links a connected bank session: reads the bank (accounts, identity, each shared account's
 * balance and, for transactions/income, its history) with no transaction open, then writes
 * customer, record, accounts, auths, balances, transactions, identity and income — and their
 * events — in one transaction. Linking the same customer and bank again refreshes the same
 * record; accounts and transaction lines are never stored twice.
 *
 * @throws OkroError UNPROCESSABLE for an unknown bank or production (no connector), a chosen
 *   account the login does not hold, or a bank refusal; SERVICE_UNAVAILABLE when the bank is
 *   down or slow ({@link bankErrorToOkro}). Nothing is written then.
 */
export async function linkConnection(ctx: AppContext, input: LinkInput): Promise<LinkResult> {
  input.signal?.throwIfAborted();
  const scope: store.Scope = { companyId: input.companyId, env: input.env };
  const connector = requireConnector(ctx, scope, input.bankId);
  if (input.selectedAccountIds.length === 0) {
    throw new OkroError("UNPROCESSABLE", "accounts: choose at least one account to share", { field: "accounts" });
  }
  const products = normalizeProducts(input.products);
  const months = Math.min(MAX_HISTORY_MONTHS, Math.max(1, Math.floor(input.historyMonths ?? DEFAULT_HISTORY_MONTHS)));
  const wantLines = products.includes("transactions") || products.includes("income");
  const pulled = await pull(connector, input, wantLines, months, ctx.clock.now()).catch(rethrowBankError);
  input.signal?.throwIfAborted();
  return ctx.db.transaction().execute((trx) => writeLink(ctx, trx, input, scope, products, pulled));
}

/**
 * Which login of the bank a link came through: a keyed fingerprint of the identifier
 * (case-insensitive, as banks treat usernames), never the identifier in clear. The login method
 * is left out: one identifier typed into the internet-banking or the mobile form is one profile.
 * Links that keep no credentials have no login to tell apart: '' (one record per customer and bank).
 */
export function loginKeyOf(ctx: Pick<AppContext, "secrets">, bankId: string, credentials: LoginCredentials | null): string {
  if (!credentials) return "";
  return ctx.secrets.fingerprint(`${bankId}\0${credentials.identifier.trim().toLowerCase()}`, "records:login");
}

async function writeLink(ctx: AppContext, trx: Trx, input: LinkInput, scope: store.Scope, products: Product[], pulled: Pulled): Promise<LinkResult> {
  const now = ctx.clock.now();
  const { identity, accounts } = pulled;
  const hint = input.customerHint ?? {};
  const validBvn = (b: string | undefined) => (b !== undefined && BVN.test(b) ? b : undefined);
  const bvn = validBvn(identity?.bvn) ?? validBvn(hint.bvn) ?? accounts.map((a) => validBvn(a.bvn)).find((b) => b !== undefined);
  // Emails and phones in their stored form: the one contact rule (customers.ts), as the widget recognises them.
  const { emails: hintEmails, phones: hintPhones } = contactOf({ emails: hint.email ? [hint.email] : [], phones: hint.phone ? [hint.phone] : [] });

  await store.lockIdentities(trx, scope, [
    ...(bvn ? [`bvn:${bvn}`] : []),
    ...(hint.id ? [`ext:${hint.id}`] : []),
    ...hintEmails.map((e) => `email:${e}`),
    ...hintPhones.map((p) => `phone:${p}`),
    ...accounts.map((a) => `account:${input.bankId}:${a.nuban}`),
  ]);

  // -- the customer: the merchant's id, a known account, the BVN, the merchant's email/phone, or new
  const known = await store.accountsByNuban(trx, scope, input.bankId, accounts.map((a) => a.nuban));
  const knownByNuban = new Map(known.map((a) => [a.nuban, a]));
  const byBvn = bvn ? await store.customerByBvn(trx, scope, bvn) : undefined;
  // The merchant's hint (their user id, an email or phone, sent from the browser) names whom they
  // expect, not whom the bank logged in: a customer it names is taken only when the bank does
  // not show another party — another BVN (two BVNs are two people, as merge says), or a company
  // where they have a person or the other way round. Otherwise a user who links their business's
  // login, or someone else's, would have that login overwrite their own record at the same bank
  // (sealed credentials, identity, name) and mix two people's accounts in one customer.
  const sameParty = (c: store.CustomerRow | undefined) =>
    c && !((bvn !== undefined && c.bvn !== null && c.bvn !== bvn) || (identity !== undefined && c.kind !== identity.kind)) ? c : undefined;
  let customer = hint.id ? sameParty(await store.customerByExternalId(trx, scope, hint.id)) : undefined;
  if (!customer && known.length > 0) customer = await store.customerById(trx, known[0]!.customer_id);
  customer ??= byBvn;
  customer ??= sameParty(await store.customerByContact(trx, scope, hintEmails, hintPhones));

  const name = identity?.fullName ?? customer?.name ?? accounts[0]?.name ?? "Unknown customer";
  const kind: CustomerKind = identity?.kind ?? (customer?.kind || (accounts.some((a) => a.type === "corporate") ? "corporate" : "individual"));
  const shown = contactOf({ emails: identity?.emails ?? [], phones: identity?.phones ?? [] });
  const emails = union(hintEmails, shown.emails);
  const phones = union(hintPhones, shown.phones);
  // The merchant's id goes on one customer only: the first it named (see sameParty above).
  const freeExternalId = async () => (hint.id && !(await store.customerByExternalId(trx, scope, hint.id)) ? hint.id : null);
  let customerId: string | undefined;
  if (customer) {
    // A BVN another customer holds stays theirs (the unique index): this one keeps its own.
    const ownBvn = customer.bvn ?? (bvn && (!byBvn || byBvn.id === customer.id) ? bvn : null);
    const externalId = customer.external_id ?? (await freeExternalId());
    const updated = await store.updateCustomer(
      trx,
      customer.id,
      { name, kind, bvn: ownBvn, externalId, emails: union(customer.emails, emails), phones: union(customer.phones, phones) },
      now,
    );
    // Zero rows: a concurrent customers/remove (or merge) deleted the customer after we read it
    // (its row lock made us wait): link as a new customer, or the merge's survivor that now holds
    // the BVN (insertCustomer), instead of failing on the foreign keys below.
    if (updated) customerId = customer.id;
  }
  customerId ??= await store.insertCustomer(trx, scope, { name, kind, bvn: bvn ?? null, externalId: await freeExternalId(), emails, phones }, now);

  // The company flagged this customer at this bank (`customers/flag`, Okra's FLAGGED_USER): no
  // new connection there until it is lifted. Thrown inside the transaction: nothing is written.
  const flagged = await trx.selectFrom("customer_flags").select("bank_id").where("customer_id", "=", customerId).where("bank_id", "=", input.bankId).executeTakeFirst();
  if (flagged) {
    throw new OkroError("UNPROCESSABLE", "This customer is flagged at this bank by the business; the account cannot be connected", {
      data: { reason: "flagged_user" },
    });
  }

  // -- the record: one per customer, bank and login; a relink of that login reconnects it with
  // fresh secrets, another login of the same person at the bank is a record of its own
  const loginKey = loginKeyOf(ctx, input.bankId, input.credentials);
  const existing = await store.recordFor(trx, scope, customerId, input.bankId, loginKey);
  const recordProducts = normalizeProducts([...(existing?.products ?? []).filter(isProduct), ...products]);
  const options = { ...(existing?.options ?? {}), ...input.options };
  const seal = (id: string) => ({
    credentials: input.credentials
      ? ctx.secrets.seal(
          JSON.stringify({ method: input.credentials.method, identifier: input.credentials.identifier, secret: input.credentials.secret.reveal() }),
          `records:${id}:credentials`,
        )
      : null,
    session: ctx.secrets.seal(input.session.token.reveal(), `records:${id}:session`),
  });
  let recordId = existing?.id ?? newId(now);
  const sealed = seal(recordId);
  const storedId = await store.upsertRecord(
    trx,
    scope,
    {
      id: recordId,
      customerId,
      bankId: input.bankId,
      loginKey,
      appId: input.appId,
      loginMethod: input.loginMethod,
      products: recordProducts,
      options,
      credentialsSealed: sealed.credentials,
      sessionSealed: sealed.session,
      sessionExpiresAt: input.session.expiresAt,
    },
    now,
  );
  const relinked = existing !== undefined || storedId !== recordId;
  if (storedId !== recordId) {
    // Another link made this record between our read and our insert: seal for its id.
    recordId = storedId;
    const resealed = seal(recordId);
    await store.setRecordSecrets(trx, recordId, resealed.credentials, resealed.session);
  }
  const ref: RecordRef = { recordId, customerId, bankId: input.bankId };

  // -- accounts (all the bank listed), then auth, balance and lines of the shared ones
  const sharedIds = new Set(pulled.shared.map((s) => s.account.id));
  const stored = new Map<string, { id: string; connected: boolean }>();
  for (const a of accounts) {
    const row = await store.upsertAccount(
      trx,
      scope,
      { customerId, recordId, bankId: input.bankId },
      { bankAccountId: a.id, nuban: a.nuban, name: a.name, type: a.type, currency: a.currency, shared: sharedIds.has(a.id) },
      now,
    );
    stored.set(a.id, row);
    const before = knownByNuban.get(a.nuban);
    if (before && (before.record_id !== recordId || before.customer_id !== customerId)) {
      await store.moveAccountData(trx, row.id, { customerId, recordId });
    }
  }

  const authIds: string[] = [];
  const balanceEvents: Array<Parameters<typeof emitBalanceSuccess>[3]> = [];
  let newTransactions = 0;
  for (const s of pulled.shared) {
    const accountId = stored.get(s.account.id)!.id;
    const b: store.BalanceWrite = {
      accountId,
      customerId,
      recordId,
      bankId: input.bankId,
      available: s.balance.available,
      ledger: s.balance.ledger,
      currency: s.balance.currency,
      asOf: s.balance.asOf,
    };
    authIds.push(await store.upsertAuth(trx, scope, b, now));
    const balanceId = await store.upsertBalance(trx, scope, b, now);
    balanceEvents.push({ balanceId, accountId, available: b.available, ledger: b.ledger, currency: b.currency, asOf: b.asOf });
    if (s.lines) {
      newTransactions += await store.insertTransactions(trx, scope, { accountId, customerId, recordId, bankId: input.bankId }, s.lines.map(store.lineWrite), now);
    }
  }

  const identityId =
    products.includes("identity") && identity ? await store.upsertIdentity(trx, scope, { customerId, recordId, bankId: input.bankId }, toIdentityWrite(identity), now) : null;

  const income = products.includes("income") ? await store.storeIncome(trx, scope, { customerId, recordId }, name, pulled.bankNow, now) : undefined;

  // -- events, in the same transaction as the data they announce
  const accountIds = pulled.shared.map((s) => stored.get(s.account.id)!.id);
  await emitRecordConnected(trx, scope, ref, { products: recordProducts, accounts: accountIds, relinked }, now);
  for (const b of balanceEvents) await emitBalanceSuccess(trx, scope, ref, b, now);
  if (products.includes("transactions")) {
    await emitTransactionsSuccess(trx, scope, ref, { code: relinked ? "FULL_TRANSACTIONS" : "INITIAL_TRANSACTIONS", accounts: accountIds, newTransactions }, now);
  }
  if (identityId) await emitIdentitySuccess(trx, scope, ref, identityId, now);
  if (income) await emitIncomeSuccess(trx, scope, ref, income.id, income.summary, now);

  const pulledBalances = new Map(pulled.shared.map((s) => [s.account.id, { available: s.balance.available, ledger: s.balance.ledger }]));
  const storedBalances = await store.balancesOf(
    trx,
    accounts.filter((a) => !pulledBalances.has(a.id)).map((a) => stored.get(a.id)!.id),
  );
  return {
    recordId,
    customerId,
    customerName: name,
    bankId: input.bankId,
    accounts: accounts.map((a) => {
      const row = stored.get(a.id)!;
      const balance = pulledBalances.get(a.id) ?? storedBalances.get(row.id) ?? { available: 0, ledger: 0 };
      return {
        id: row.id,
        bank_account_id: a.id,
        nuban: a.nuban,
        name: a.name,
        type: a.type,
        currency: a.currency,
        connected: row.connected,
        available_balance: balance.available,
        ledger_balance: balance.ledger,
      };
    }),
    relinked,
    authIds,
    identityId,
    incomeId: income?.id ?? null,
    newTransactions,
  };
}
