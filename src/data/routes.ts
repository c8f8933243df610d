import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import { getBank, listBanks } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { tenantScope } from "../http/api-auth.js";
import { ErrorEnvelope, ok } from "../core/envelope.js";
import { notFound, OkroError } from "../core/errors.js";
import { mutate, runOutsideTransaction } from "../http/idempotency.js";
import { MAX_LIMIT, paginate } from "../core/paging.js";
import { emitIncomeSuccess } from "./events.js";
import { estimateIncome } from "./income.js";
import {
  accountIdsOfRecord,
  allTransactions,
  balanceReadings,
  customerExtras,
  findRecord,
  flagCustomer,
  flowsByAccount,
  latestRecordOf,
  listAccounts,
  listAuths,
  listBalances,
  listCustomers,
  listIdentities,
  listIncomes,
  listTransactions,
  lockCustomer,
  mergeCustomers,
  removeCustomer,
  requireAccount,
  requireCustomer,
  unflagCustomer,
  together,
  type CustomerRow,
  type Paged,
  type PageRequest,
  type Scope,
  type Window,
} from "./queries.js";
import { refreshBalance, refreshTransactions } from "./refresh.js";
import { wireEnv } from "../platform/domain.js";
import { sealCustomerToken, type VouchedCustomer } from "../widget/customer-tokens.js";
import { upsertIncome as upsertIncome } from "./store.js";
import * as S from "./schemas.js";
import { rangeEnd, rangeStart } from "./schemas.js";
import {
  accountDetailsView,
  accountView,
  authView,
  balanceView,
  benefactorsView,
  customerView,
  enhancedBalanceView,
  enhancedTransactionView,
  identityView,
  incomeView,
  networkView,
  recordView,
  spendingPatternView,
  transactionView,
} from "./views.js";

const scopeOf = (req: FastifyRequest): Scope => ({ companyId: req.tenant.companyId, env: req.tenant.env });

/** `from`/`to` as stored-time bounds: `[from, to]`, a `to` date covering its whole UTC day. */
function windowOf(body: { from?: string | undefined; to?: string | undefined }): Window {
  return {
    from: body.from === undefined ? undefined : new Date(rangeStart(body.from)),
    before: body.to === undefined ? undefined : new Date(rangeEnd(body.to) + 1),
  };
}
const periodOf = (body: { from?: string | undefined; to?: string | undefined }) => ({
  from: body.from === undefined ? undefined : new Date(rangeStart(body.from)),
  to: body.to === undefined ? undefined : new Date(rangeEnd(body.to)),
});

/** `{<key>: items, pagination}`, Okra's list shape inside `data`. */
function pageOf<K extends string, R, V>(key: K, p: PageRequest, result: Paged<R>, view: (row: R) => V) {
  return { [key]: result.rows.map(view), pagination: paginate(result.total, p.page, p.limit, result.exact ?? true) } as { [P in K]: V[] } & { pagination: ReturnType<typeof paginate> };
}

/** The one-object lists (`getById`): 404 when there is nothing, as for another tenant's id. */
function oneOf<R>(result: Paged<R>, what: string): Paged<R> {
  if (result.rows.length === 0) throw notFound(what);
  return result;
}

/** More than the directory will ever hold: one page is all of it (it is cached in memory). */
const WHOLE_DIRECTORY = 10_000;

const DATES = "`from`/`to`: `YYYY-MM-DD` (a whole UTC day) or ISO-8601 instants, inclusive; `from` after `to` is a 400.";
const LIST = "Newest first, paged with `page`/`limit` (`data.pagination`).";
const MUTATING = "Honours `Idempotency-Key`; unknown fields are a 400.";
const NOT_MINE = "An id of another company or environment is a 404, as for a missing one.";

/**
 * The account-data API (`/v2/…`): every path okra-node 0.2.0 calls for auths, balances,
 * accounts, transactions, identities, income, customers and records. Thin handlers: parse (the
 * schemas), scope to the key's company and environment, read (queries.ts), shape (views.ts).
 */
export const dataRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.db;

  /** Registers a POST route whose handler gets the parsed body. */
  function post<B extends z.ZodType, R extends z.ZodType>(
    path: string,
    doc: { tags: string[]; summary: string; description?: string },
    body: B,
    response: R,
    handler: (body: z.output<B>, req: FastifyRequest, reply: FastifyReply) => Promise<z.input<R>>,
  ) {
    app.post(path, { schema: { ...doc, body, response: { 200: response } } }, (req, reply) => handler(req.body as z.output<B>, req, reply) as never);
  }

  /** The directory's banks by id, for the `{_id, name, slug}` a customer or record shows. */
  async function bankLookup() {
    const { banks } = await listBanks(db, 1, WHOLE_DIRECTORY);
    const byId = new Map(banks.map((b) => [b.id, { _id: b.id, name: b.name, slug: b.slug }]));
    return (id: string) => byId.get(id) ?? { _id: id, name: "Unknown bank", slug: "" };
  }

  /**
   * Customer objects for a page of rows. Inside a transaction, pass `bankOf` read before it was
   * opened: PGlite has one connection, so a read outside the open transaction would wait on it.
   */
  async function customersPage(executor: typeof db, rows: CustomerRow[], bankOf?: Awaited<ReturnType<typeof bankLookup>>) {
    const [extras, lookup] = await Promise.all([customerExtras(executor, rows.map((r) => r.id)), bankOf ?? bankLookup()]);
    return rows.map((row) => customerView(row, extras, lookup));
  }

  // -- Auth ---------------------------------------------------------------------------------------
  {
    const tags = ["Auth"];
    const auths = async (req: FastifyRequest, f: Parameters<typeof listAuths>[2], p: PageRequest) =>
      ok("Auths retrieved successfully", pageOf("auths", p, await listAuths(db, scopeOf(req), f, p), authView));
    post("/products/auths", { tags, summary: "List auths", description: `One Auth per linked account. ${LIST} Optional ${DATES}` }, S.ListBody, S.AuthsResponse, (b, req) =>
      auths(req, { window: windowOf(b) }, b),
    );
    post("/auth/getById", { tags, summary: "Get one auth", description: `\`data.auths\` holds the one Auth. ${NOT_MINE}` }, S.ByIdBody, S.AuthsResponse, async (b, req) =>
      ok("Auth retrieved successfully", pageOf("auths", b, oneOf(await listAuths(db, scopeOf(req), { id: b.id }, b), "auth"), authView)),
    );
    post("/auth/getByCustomer", { tags, summary: "A customer's auths", description: `${LIST} ${NOT_MINE}` }, S.ByCustomerBody, S.AuthsResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return auths(req, { customerId: b.customer }, b);
    });
    post("/auth/getByDate", { tags, summary: "Auths created between two dates", description: `${DATES} ${LIST}` }, S.ByDateBody, S.AuthsResponse, (b, req) =>
      auths(req, { window: windowOf(b) }, b),
    );
    post("/auth/getByBank", { tags, summary: "Auths at one bank", description: LIST }, S.ByBankBody, S.AuthsResponse, async (b, req) => {
      await getBank(db, b.bank);
      return auths(req, { bankId: b.bank }, b);
    });
    post("/auth/getByCustomerDate", { tags, summary: "A customer's auths between two dates", description: `${DATES} ${LIST}` }, S.ByCustomerDateBody, S.AuthsResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return auths(req, { customerId: b.customer, window: windowOf(b) }, b);
    });
  }

  // -- Balance ------------------------------------------------------------------------------------
  {
    const tags = ["Balance"];
    const balances = async (req: FastifyRequest, f: Parameters<typeof listBalances>[2], p: PageRequest) =>
      ok("Balances retrieved successfully", pageOf("balance", p, await listBalances(db, scopeOf(req), f, p), (row) => balanceView(row)));
    post("/products/balances", { tags, summary: "List balances", description: `One Balance per account, as last read from the bank. ${LIST} Optional ${DATES}` }, S.ListBody, S.BalancesResponse, (b, req) =>
      balances(req, { window: windowOf(b) }, b),
    );
    post(
      "/balance/getById",
      { tags, summary: "Get one balance", description: `\`data.balance\` holds the one Balance, with \`periodic\` unless \`includePeriodic\` is false. ${NOT_MINE}` },
      S.BalanceByIdBody,
      S.BalancesResponse,
      async (b, req) => {
        const { rows, total } = oneOf(await listBalances(db, scopeOf(req), { id: b.id }, b), "balance");
        const views = await Promise.all(rows.map(async (row) => balanceView(row, b.includePeriodic ? await balanceReadings(db, row.id) : undefined)));
        return ok("Balance retrieved successfully", { balance: views, pagination: paginate(total, b.page, b.limit) });
      },
    );
    post("/balance/getByAccount", { tags, summary: "An account's balance", description: NOT_MINE }, S.BalanceByAccountBody, S.BalancesResponse, async (b, req) => {
      await requireAccount(db, scopeOf(req), b.account_id);
      return balances(req, { accountId: b.account_id }, b);
    });
    post(
      "/balance/getByType",
      { tags, summary: "Balances of at least a value", description: `Balances whose \`type\` (available_balance or ledger_balance) is at least \`value\` kobo. ${LIST}` },
      S.BalanceByTypeBody,
      S.BalancesResponse,
      (b, req) => balances(req, { atLeast: { column: b.type, kobo: b.value } }, b),
    );
    post("/balance/getByCustomer", { tags, summary: "A customer's balances", description: `${LIST} ${NOT_MINE}` }, S.ByCustomerBody, S.BalancesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return balances(req, { customerId: b.customer }, b);
    });
    post("/balance/getByDate", { tags, summary: "Balances created between two dates", description: `${DATES} ${LIST}` }, S.ByDateBody, S.BalancesResponse, (b, req) =>
      balances(req, { window: windowOf(b) }, b),
    );
    post("/balance/getByCustomerDate", { tags, summary: "A customer's balances between two dates", description: `${DATES} ${LIST}` }, S.ByCustomerDateBody, S.BalancesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return balances(req, { customerId: b.customer, window: windowOf(b) }, b);
    });

    /** Asks the bank now (through the stored connection), then answers the stored Balance. */
    const refreshed = async (req: FastifyRequest, reply: FastifyReply, accountId: string, recordId: string | undefined, message: string) =>
      runOutsideTransaction(ctx, req, reply, tenantScope(req.tenant), async () => {
        const scope = scopeOf(req);
        const account = await requireAccount(db, scope, accountId);
        if (recordId !== undefined && account.record_id !== recordId) {
          throw new OkroError("NOT_FOUND", "record_id: the account is not on this record", { field: "record_id" });
        }
        const fresh = await refreshBalance(ctx, scope, accountId);
        const { rows } = oneOf(await listBalances(db, scope, { id: fresh.balanceId }, { page: 1, limit: 1 }), "balance");
        return { body: ok(message, { balance: balanceView(rows[0]!) }) };
      }) as Promise<z.infer<typeof S.BalanceResponse>>;
    const REFRESH =
      "Goes to the bank through the stored connection. 422 UNPROCESSABLE with `data.reason: token_required` when the bank asks the customer to log in again (the record becomes `token_required`); 503 when the bank is down.";
    post("/balance/check", { tags, summary: "Check an account's balance now", description: `${REFRESH} ${MUTATING} ${NOT_MINE}` }, S.BalanceCheckBody, S.BalanceResponse, (b, req, reply) =>
      refreshed(req, reply, b.account_id, b.record_id, "Balance checked successfully"),
    );
    post("/balance/refresh", { tags, summary: "Refresh an account's balance", description: `${REFRESH} ${MUTATING} ${NOT_MINE}` }, S.AccountRefreshBody, S.BalanceResponse, (b, req, reply) =>
      refreshed(req, reply, b.account_id, undefined, "Balance refreshed successfully"),
    );
    post(
      "/transactions/balance/process",
      {
        tags,
        summary: "Enhanced balance: balance with inflow and outflow",
        description: `The balance of \`account_id\` (or of each of \`customer_id\`'s accounts), with the credits and debits over \`from\`–\`to\` from stored transactions. ${DATES} ${NOT_MINE}`,
      },
      S.EnhancedBalanceBody,
      S.EnhancedBalancesResponse,
      async (b, req) => {
        const scope = scopeOf(req);
        if (b.customer_id !== undefined) await requireCustomer(db, scope, b.customer_id);
        if (b.account_id !== undefined) {
          const account = await requireAccount(db, scope, b.account_id);
          if (b.customer_id !== undefined && account.customer_id !== b.customer_id) throw notFound("account");
        }
        const page = await listBalances(db, scope, { accountId: b.account_id, customerId: b.customer_id }, b);
        const flows = await flowsByAccount(db, scope, page.rows.map((r) => r.account_id), windowOf(b));
        return ok("Enhanced balance retrieved successfully", pageOf("balance", b, page, (row) => enhancedBalanceView(row, flows.get(row.account_id)!, periodOf(b))));
      },
    );
  }

  // -- Accounts -----------------------------------------------------------------------------------
  {
    const tags = ["Accounts"];
    const accounts = async (req: FastifyRequest, f: Parameters<typeof listAccounts>[2], p: PageRequest) =>
      ok("Accounts retrieved successfully", pageOf("accounts", p, await listAccounts(db, scopeOf(req), f, p), accountView));
    post("/products/accounts", { tags, summary: "List accounts", description: `${LIST} Optional ${DATES}` }, S.ListBody, S.AccountsResponse, (b, req) =>
      accounts(req, { window: windowOf(b) }, b),
    );
    post("/accounts/getById", { tags, summary: "Get one account", description: `\`data.accounts\` holds the one Account. ${NOT_MINE}` }, S.ByIdBody, S.AccountsResponse, async (b, req) =>
      ok("Account retrieved successfully", pageOf("accounts", b, oneOf(await listAccounts(db, scopeOf(req), { id: b.id }, b), "account"), accountView)),
    );
    post("/accounts/getAccountDetails", { tags, summary: "One account with its bank", description: NOT_MINE }, S.AccountDetailsBody, S.AccountDetailsResponse, async (b, req) => {
      const account = await requireAccount(db, scopeOf(req), b.account);
      return ok("Account details retrieved successfully", { account: accountDetailsView(account, await getBank(db, account.bank_id)) });
    });
    post("/accounts/getByCustomer", { tags, summary: "A customer's accounts", description: `${LIST} ${NOT_MINE}` }, S.ByCustomerBody, S.AccountsResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return accounts(req, { customerId: b.customer }, b);
    });
    post("/accounts/getByCustomerDate", { tags, summary: "A customer's accounts linked between two dates", description: `${DATES} ${LIST}` }, S.ByCustomerDateBody, S.AccountsResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return accounts(req, { customerId: b.customer, window: windowOf(b) }, b);
    });
    post(
      "/accounts/getByBalance",
      {
        tags,
        summary: "Accounts by balance",
        description: `\`balance\` as a Balance id (the \`balance\` field of an Account) finds that account; as a number, the accounts whose available balance is at least that many kobo. ${LIST}`,
      },
      S.AccountsByBalanceBody,
      S.AccountsResponse,
      (b, req) => accounts(req, typeof b.balance === "string" ? { balanceId: b.balance } : { minAvailable: b.balance }, b),
    );
    post("/accounts/getByBank", { tags, summary: "Accounts at one bank", description: LIST }, S.ByBankBody, S.AccountsResponse, async (b, req) => {
      await getBank(db, b.bank);
      return accounts(req, { bankId: b.bank }, b);
    });
    post("/accounts/getByName", { tags, summary: "Accounts whose name contains a text", description: `Any case. ${LIST}` }, S.AccountsByNameBody, S.AccountsResponse, (b, req) =>
      accounts(req, { nameContains: b.name }, b),
    );
  }

  // -- Transactions -------------------------------------------------------------------------------
  {
    const tags = ["Transactions"];
    const TLIST = "Newest first by `trans_date`, paged with `page`/`limit`.";
    const transactions = async (req: FastifyRequest, f: Parameters<typeof listTransactions>[2], p: PageRequest) =>
      ok("Transactions retrieved successfully", pageOf("transactions", p, await listTransactions(db, scopeOf(req), f, p), transactionView));
    post("/products/transactions", { tags, summary: "List transactions", description: `${TLIST} Optional ${DATES} (on trans_date)` }, S.ListBody, S.TransactionsResponse, (b, req) =>
      transactions(req, { window: windowOf(b) }, b),
    );
    post("/transactions/getById", { tags, summary: "Get one transaction", description: `\`data.transactions\` holds the one Transaction. ${NOT_MINE}` }, S.ByIdBody, S.TransactionsResponse, async (b, req) =>
      ok("Transaction retrieved successfully", pageOf("transactions", b, oneOf(await listTransactions(db, scopeOf(req), { id: b.id }, b), "transaction"), transactionView)),
    );
    post("/transactions/getByAccount", { tags, summary: "An account's transactions", description: `${TLIST} Optional ${DATES} ${NOT_MINE}` }, S.TransactionsByAccountBody, S.TransactionsResponse, async (b, req) => {
      await requireAccount(db, scopeOf(req), b.account);
      return transactions(req, { accountIds: [b.account], window: windowOf(b) }, b);
    });
    post("/transactions/getByBank", { tags, summary: "Transactions at one bank", description: `${TLIST} Optional ${DATES}` }, S.TransactionsByBankBody, S.TransactionsResponse, async (b, req) => {
      await getBank(db, b.bank);
      return transactions(req, { bankId: b.bank, window: windowOf(b) }, b);
    });
    post(
      "/transactions/getByType",
      { tags, summary: "Credits or debits of at least a value", description: `\`type\` credit or debit, \`value\` the least amount (kobo). ${TLIST} Optional ${DATES}` },
      S.TransactionsByTypeBody,
      S.TransactionsResponse,
      (b, req) => transactions(req, { type: b.type, minAmount: b.value, window: windowOf(b) }, b),
    );
    post(
      "/transactions/getByNuban",
      { tags, summary: "Transactions of an account by its NUBAN", description: `Every account of yours with this NUBAN (at any bank); 404 when there is none. ${TLIST}` },
      S.TransactionsByNubanBody,
      S.TransactionsResponse,
      async (b, req) => {
        const found = await listAccounts(db, scopeOf(req), { nuban: b.nuban }, { page: 1, limit: MAX_LIMIT });
        if (found.total === 0) throw notFound("account");
        return transactions(req, { accountIds: found.rows.map((a) => a.id), window: windowOf(b) }, b);
      },
    );
    post("/transactions/getByCustomer", { tags, summary: "A customer's transactions", description: `${TLIST} ${NOT_MINE}` }, S.ByCustomerBody, S.TransactionsResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return transactions(req, { customerId: b.customer }, b);
    });
    post("/transactions/getByDate", { tags, summary: "Transactions between two dates", description: `${DATES} (on trans_date) ${TLIST}` }, S.ByDateBody, S.TransactionsResponse, (b, req) =>
      transactions(req, { window: windowOf(b) }, b),
    );
    post(
      "/transactions/getByCustomerDate",
      { tags, summary: "A customer's transactions between two dates", description: `${DATES} (on trans_date) ${TLIST}` },
      S.ByCustomerDateBody,
      S.TransactionsResponse,
      async (b, req) => {
        await requireCustomer(db, scopeOf(req), b.customer);
        return transactions(req, { customerId: b.customer, window: windowOf(b) }, b);
      },
    );
    post(
      "/transactions/refresh",
      {
        tags,
        summary: "Fetch an account's new transactions from the bank",
        description: `Goes to the bank through the stored connection and stores the lines Okro had not seen. 422 with \`data.reason: token_required\` when the bank asks the customer to log in again; 503 when it is down. ${MUTATING} ${NOT_MINE}`,
      },
      S.AccountRefreshBody,
      S.TransactionsRefreshResponse,
      (b, req, reply) =>
        runOutsideTransaction(ctx, req, reply, tenantScope(req.tenant), async () => {
          const scope = scopeOf(req);
          await requireAccount(db, scope, b.account_id);
          const result = await refreshTransactions(ctx, scope, b.account_id);
          return {
            body: ok("Transactions refreshed successfully", {
              account: result.accountId,
              new_transactions: result.new_transactions,
              last_refreshed_at: ctx.clock.now().toISOString(),
            }),
          };
        }) as Promise<z.infer<typeof S.TransactionsRefreshResponse>>,
    );
    post(
      "/transactions/process",
      {
        tags,
        summary: "Enhanced transactions",
        description: `An account's transactions with \`type\`, \`amount\`, \`channel\` and the \`counterparty\` the narration names, besides the stored \`category\`. ${TLIST} ${NOT_MINE}`,
      },
      S.EnhancedTransactionsBody,
      S.EnhancedTransactionsResponse,
      async (b, req) => {
        await requireAccount(db, scopeOf(req), b.account);
        const page = await listTransactions(db, scopeOf(req), { accountIds: [b.account], window: windowOf(b) }, b);
        return ok("Enhanced transactions retrieved successfully", pageOf("transactions", b, page, enhancedTransactionView));
      },
    );
    post(
      "/products/spending-patterns/process",
      {
        tags,
        summary: "Spending pattern of an account",
        description: `The account's debits by stored category (\`pattern\`) and by channel (\`channel\`: Cash, Transfer, web_pos, other), each with count, sum (kobo) and percentage of the total spend. Optional ${DATES} ${NOT_MINE}`,
      },
      S.SpendingPatternBody,
      S.SpendingPatternResponse,
      async (b, req) => {
        const account = await requireAccount(db, scopeOf(req), b.account);
        const rows = await allTransactions(db, scopeOf(req), { accountIds: [b.account], type: "debit", window: windowOf(b) });
        return ok("Spending pattern processed successfully", spendingPatternView(account.id, account.currency, rows, periodOf(b)));
      },
    );
    post(
      "/products/trans-networks/process",
      {
        tags,
        summary: "Transaction network",
        description: `The people and businesses \`account\` (or \`customer\`'s accounts) sent money to or received it from, as the narrations name them, by total moved (top \`limit\`, default 10). Optional ${DATES} ${NOT_MINE}`,
      },
      S.NetworkBody,
      S.NetworkResponse,
      async (b, req) => {
        const { filter } = await partyFilter(req, b);
        const rows = await allTransactions(db, scopeOf(req), { ...filter, window: windowOf(b) });
        return ok("Transaction network processed successfully", { account: b.account ?? null, customer: b.customer ?? null, network: networkView(rows, b.limit) });
      },
    );
    post(
      "/products/benefactors/process",
      {
        tags,
        summary: "Benefactors",
        description: `Who sent \`account\` (or \`customer\`, optionally at \`bank\`) the most money, as the narrations name them (top \`limit\`, default 10). Optional ${DATES} ${NOT_MINE}`,
      },
      S.BenefactorsBody,
      S.BenefactorsResponse,
      async (b, req) => {
        const { filter, customerId } = await partyFilter(req, b);
        if (b.bank !== undefined) await getBank(db, b.bank);
        const rows = await allTransactions(db, scopeOf(req), { ...filter, bankId: b.bank, type: "credit", window: windowOf(b) });
        const ownNames = await namesOf(req, customerId);
        return ok("Benefactors processed successfully", {
          account: b.account ?? null,
          customer: b.customer ?? null,
          benefactors: benefactorsView(rows, b.limit, ownNames),
        });
      },
    );

    /** The customer's own names: theirs and their accounts' (transfers between them are not income). */
    async function namesOf(req: FastifyRequest, customerId: string) {
      const scope = scopeOf(req);
      const [customer, accounts] = await Promise.all([requireCustomer(db, scope, customerId), listAccounts(db, scope, { customerId }, { page: 1, limit: MAX_LIMIT })]);
      return [customer.name, ...accounts.rows.map((a) => a.name)];
    }

    /** `account` and/or `customer`, each of this tenant (and the account the customer's when both). */
    async function partyFilter(req: FastifyRequest, b: { account?: string | undefined; customer?: string | undefined }) {
      const scope = scopeOf(req);
      if (b.account === undefined) {
        const customer = await requireCustomer(db, scope, b.customer!);
        return { customerId: customer.id, filter: { customerId: customer.id } };
      }
      if (b.customer !== undefined) await requireCustomer(db, scope, b.customer);
      const account = await requireAccount(db, scope, b.account);
      if (b.customer !== undefined && account.customer_id !== b.customer) throw notFound("account");
      return { customerId: account.customer_id, filter: { accountIds: [account.id] } };
    }
  }

  // -- Identity -----------------------------------------------------------------------------------
  {
    const tags = ["Identity"];
    const identities = async (req: FastifyRequest, f: Parameters<typeof listIdentities>[2], p: PageRequest) =>
      ok("Identities retrieved successfully", pageOf("identity", p, await listIdentities(db, scopeOf(req), f, p), identityView));
    post("/products/identities", { tags, summary: "List identities", description: `One Identity per record (connection) with the identity product. ${LIST} Optional ${DATES}` }, S.ListBody, S.IdentitiesResponse, (b, req) =>
      identities(req, { window: windowOf(b) }, b),
    );
    post("/identity/getById", { tags, summary: "Get one identity", description: `\`data.identity\` holds the one Identity. ${NOT_MINE}` }, S.ByIdBody, S.IdentitiesResponse, async (b, req) =>
      ok("Identity retrieved successfully", pageOf("identity", b, oneOf(await listIdentities(db, scopeOf(req), { id: b.id }, b), "identity"), identityView)),
    );
    post("/identity/getByCustomer", { tags, summary: "A customer's identities", description: `${LIST} ${NOT_MINE}` }, S.ByCustomerBody, S.IdentitiesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return identities(req, { customerId: b.customer }, b);
    });
    post("/identity/getByDate", { tags, summary: "Identities pulled between two dates", description: `${DATES} ${LIST}` }, S.ByDateBody, S.IdentitiesResponse, (b, req) =>
      identities(req, { window: windowOf(b) }, b),
    );
    post("/identity/getByCustomerDate", { tags, summary: "A customer's identities between two dates", description: `${DATES} ${LIST}` }, S.ByCustomerDateBody, S.IdentitiesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return identities(req, { customerId: b.customer, window: windowOf(b) }, b);
    });
    post(
      "/products/kyc/bvn-verify",
      { tags, summary: "Verify a BVN", description: "The identity you hold for this BVN (from a customer who linked an account with the identity product); 404 when you hold none." },
      S.BvnVerifyBody,
      S.IdentityVerifyResponse,
      async (b, req) => {
        const { rows } = await listIdentities(db, scopeOf(req), { bvn: b.bvn }, { page: 1, limit: 1 });
        if (!rows[0]) throw new OkroError("NOT_FOUND", "bvn: no identity with this BVN among your customers", { field: "bvn" });
        return ok("BVN verified successfully", { identity: identityView(rows[0]), customer: rows[0].customer_id });
      },
    );
    post(
      "/products/kyc/customer-verify",
      { tags, summary: "Verify a customer", description: `The customer's latest identity; 404 when you hold none. ${NOT_MINE}` },
      S.CustomerVerifyBody,
      S.IdentityVerifyResponse,
      async (b, req) => {
        await requireCustomer(db, scopeOf(req), b.customer);
        const { rows } = await listIdentities(db, scopeOf(req), { customerId: b.customer }, { page: 1, limit: 1 });
        if (!rows[0]) throw new OkroError("NOT_FOUND", "customer: no identity pulled for this customer", { field: "customer" });
        return ok("Customer verified successfully", { identity: identityView(rows[0]), customer: b.customer });
      },
    );
    post(
      "/products/kyc/nuban-verify",
      { tags, summary: "Verify an account number", description: "The account with this NUBAN at this bank among your customers' linked accounts (name, bank, customer); 404 otherwise." },
      S.NubanVerifyBody,
      S.NubanVerifyResponse,
      async (b, req) => {
        const bank = await getBank(db, b.bank);
        const { rows } = await listAccounts(db, scopeOf(req), { nuban: b.nuban, bankId: b.bank }, { page: 1, limit: 1 });
        if (!rows[0]) throw new OkroError("NOT_FOUND", "nuban: no linked account with this NUBAN at this bank", { field: "nuban" });
        return ok("NUBAN verified successfully", { account: accountDetailsView(rows[0], bank), customer: rows[0].customer_id });
      },
    );
    post(
      "/products/identity/merge",
      {
        tags,
        summary: "Merge two customers",
        description: `Merges customer \`initial\` into customer \`final\`: its connections, accounts, balances, transactions, identities, income and flags move to \`final\` (where both are linked at one bank, \`final\`'s connection takes the accounts), \`final\` takes \`initial\`'s BVN, emails and phones, and \`initial\` is deleted — all or nothing. Two different BVNs are a 422. ${MUTATING} ${NOT_MINE}`,
      },
      S.MergeBody,
      S.MergeResponse,
      async (b, req, reply) => {
        const bankOf = await bankLookup();
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          // Locked in id order, so two merges of the same pair never deadlock.
          const [first, second] = [b.initial, b.final].sort() as [string, string];
          const locked = new Map<string, CustomerRow | undefined>([
            [first, await lockCustomer(trx, scope, first)],
            [second, await lockCustomer(trx, scope, second)],
          ]);
          const initial = locked.get(b.initial);
          const final = locked.get(b.final);
          if (!initial) throw new OkroError("NOT_FOUND", "initial: customer not found", { field: "initial" });
          if (!final) throw new OkroError("NOT_FOUND", "final: customer not found", { field: "final" });
          await mergeCustomers(trx, scope, initial, final, ctx.clock.now());
          const [customer] = await customersPage(trx, [await requireCustomer(trx, scope, b.final)], bankOf);
          return ok("Customers merged successfully", { customer: customer!, merged: { initial: b.initial, final: b.final } });
        });
      },
    );
    const registry = (path: string, summary: string, what: string) =>
      app.post(
        path,
        {
          schema: {
            tags,
            summary,
            description: `Not available in Okro: ${what} needs a government registry (CAC / FIRS) that Okro does not connect to. Always 422 \`UNPROCESSABLE\`.`,
            body: S.RegistryVerifyBody,
            response: { 422: ErrorEnvelope },
          },
        },
        async () => {
          throw new OkroError("UNPROCESSABLE", `${what} is not available: Okro does not connect to the government registries (CAC, FIRS) it needs`);
        },
      );
    registry("/products/kyc/rc-verify", "Verify a company's RC number (not available)", "RC number verification");
    registry("/products/kyc/tin-verify", "Verify a company's TIN (not available)", "TIN verification");
    registry("/products/kyc/rc-tin-verify", "Verify a company's RC number and TIN (not available)", "RC number and TIN verification");
  }

  // -- Income -------------------------------------------------------------------------------------
  {
    const tags = ["Income"];
    const incomes = async (req: FastifyRequest, f: Parameters<typeof listIncomes>[2], p: PageRequest) =>
      ok("Income retrieved successfully", pageOf("income", p, await listIncomes(db, scopeOf(req), f, p), incomeView));
    post("/products/income/get", { tags, summary: "List incomes", description: `One Income per customer. ${LIST} Optional ${DATES}` }, S.ListBody, S.IncomesResponse, (b, req) =>
      incomes(req, { window: windowOf(b) }, b),
    );
    post("/income/getById", { tags, summary: "Get one income", description: `\`data.income\` holds the one Income. ${NOT_MINE}` }, S.ByIdBody, S.IncomesResponse, async (b, req) =>
      ok("Income retrieved successfully", pageOf("income", b, oneOf(await listIncomes(db, scopeOf(req), { id: b.id }, b), "income"), incomeView)),
    );
    post("/income/getByCustomer", { tags, summary: "A customer's income", description: `${LIST} ${NOT_MINE}` }, S.ByCustomerBody, S.IncomesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return incomes(req, { customerId: b.customer }, b);
    });
    post("/income/getByDate", { tags, summary: "Incomes first estimated between two dates", description: `${DATES} ${LIST}` }, S.ByDateBody, S.IncomesResponse, (b, req) =>
      incomes(req, { window: windowOf(b) }, b),
    );
    post("/income/getByCustomerDate", { tags, summary: "A customer's income between two dates", description: `${DATES} ${LIST}` }, S.ByCustomerDateBody, S.IncomesResponse, async (b, req) => {
      await requireCustomer(db, scopeOf(req), b.customer);
      return incomes(req, { customerId: b.customer, window: windowOf(b) }, b);
    });

    /** The estimator's input: the customer's stored credits, and the names that are their own. */
    async function estimate(executor: typeof db, scope: Scope, customer: CustomerRow, window: Window) {
      const [credits, names, identities] = await together(executor, [
        () => allTransactions(executor, scope, { customerId: customer.id, type: "credit", window }),
        () => listAccounts(executor, scope, { customerId: customer.id }, { page: 1, limit: MAX_LIMIT }),
        () => listIdentities(executor, scope, { customerId: customer.id }, { page: 1, limit: MAX_LIMIT }),
      ]);
      const ownNames = [customer.name, ...names.rows.map((a) => a.name), ...identities.rows.map((i) => i.fullname)];
      const input = credits.map((t) => ({ date: t.trans_date.toISOString(), amount: Number(t.credit), narration: t.narration, category: t.category }));
      // The bank's clock (the sandbox's can run ahead of ours) is at least its latest line: lines
      // "from the future" would otherwise be left out of the estimate.
      const latest = credits.at(-1)?.trans_date.getTime() ?? 0;
      const now = new Date(Math.max(ctx.clock.now().getTime(), latest));
      return { summary: estimateIncome(input, now, { ownNames }), lines: credits.length };
    }

    post(
      "/products/income/process",
      {
        tags,
        summary: "Recompute a customer's income now",
        description: `Estimates the customer's income from every stored credit on their linked accounts (streams, regularity, paydays, confidence), stores it as their Income and sends \`income.success\`. \`bank\`, when sent, must be a bank the customer is linked at: the Income is recorded against that connection. ${MUTATING} ${NOT_MINE}`,
      },
      S.IncomeProcessBody,
      S.IncomeResponse,
      async (b, req, reply) => {
        if (b.bank !== undefined) await getBank(db, b.bank);
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          const customer = await lockCustomer(trx, scope, b.customer_id);
          if (!customer) throw new OkroError("NOT_FOUND", "customer_id: customer not found", { field: "customer_id" });
          const record = await latestRecordOf(trx, scope, customer.id, b.bank);
          if (!record) {
            throw b.bank !== undefined
              ? new OkroError("NOT_FOUND", "bank: the customer is not linked at this bank", { field: "bank" })
              : new OkroError("UNPROCESSABLE", "customer_id: the customer has no linked account to estimate income from", { field: "customer_id" });
          }
          const now = ctx.clock.now();
          const { summary } = await estimate(trx, scope, customer, {});
          const row = await upsertIncome(trx, scope, { customerId: customer.id, recordId: record.id }, summary, now);
          await emitIncomeSuccess(trx, scope, { recordId: record.id, customerId: customer.id, bankId: record.bank_id }, row.id, summary, now);
          return ok("Income processed successfully", { income: incomeView(row) });
        });
      },
    );
    post(
      "/revenue/",
      {
        tags,
        summary: "Revenue (income) over a window",
        description: `The customer's income estimated now from the credits stored over \`from\`–\`to\` (all history when absent); not stored. ${DATES} \`pdf: true\` is a 422 (Okro answers JSON only). ${NOT_MINE}`,
      },
      S.RevenueBody,
      S.RevenueResponse,
      async (b, req) => {
        if (b.pdf === true || b.pdf === "true") throw new OkroError("UNPROCESSABLE", "pdf: Okro does not produce PDF statements; omit pdf for JSON", { field: "pdf" });
        const scope = scopeOf(req);
        const customer = await requireCustomer(db, scope, b.customer);
        const period = periodOf(b);
        const { summary, lines } = await estimate(db, scope, customer, windowOf(b));
        return ok("Revenue processed successfully", {
          income: {
            ...summary,
            customer: customer.id,
            from: period.from?.toISOString() ?? null,
            to: period.to?.toISOString() ?? null,
            transactions: lines,
          },
        });
      },
    );
  }

  // -- Customers ----------------------------------------------------------------------------------
  {
    const tags = ["Customers"];
    // `/v2/sandbox/customers/list` is the sandbox customer API's (okra-node's Sandbox client;
    // docs/decisions/0009): account-data customers are listed at `/v2/customers/list` with a
    // sandbox key, or at `/sandbox/v2/customers/list`.
    if (app.prefix !== "/v2/sandbox") {
      post(
        "/customers/list",
        {
          tags,
          summary: "List customers",
          description: `The people (or companies) who linked accounts through your widget, recognised again by BVN. ${LIST} Not served at /v2/sandbox/customers/list, which is the sandbox customer API: use /v2/customers/list with a sandbox key, or /sandbox/v2/customers/list.`,
        },
        S.PageBody,
        S.CustomersResponse,
        async (b, req) => {
          const page = await listCustomers(db, scopeOf(req), undefined, b);
          return ok("Customers retrieved successfully", { customers: await customersPage(db, page.rows), pagination: paginate(page.total, b.page, b.limit) });
        },
      );
    }
    post(
      "/customers/find-customers-by",
      {
        tags,
        summary: "Find customers by a field",
        description: `\`key\`: id, name (part of it, any case), email (exact, any case), phone (matched on the last 10 digits), bvn or nuban; \`value\`: what to look for. ${LIST}`,
      },
      S.FindCustomersBody,
      S.CustomersResponse,
      async (b, req) => {
        const page = await listCustomers(db, scopeOf(req), { key: b.key, value: b.value }, b);
        return ok("Customers retrieved successfully", { customers: await customersPage(db, page.rows), pagination: paginate(page.total, b.page, b.limit) });
      },
    );
    const flagged = (flag: boolean) => async (b: { bank: string; customer: string }, req: FastifyRequest, reply: FastifyReply) => {
      await getBank(db, b.bank);
      const bankOf = await bankLookup();
      return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
        const scope = scopeOf(req);
        const customer = await lockCustomer(trx, scope, b.customer);
        if (!customer) throw new OkroError("NOT_FOUND", "customer: customer not found", { field: "customer" });
        if (flag) await flagCustomer(trx, scope, customer.id, b.bank, ctx.clock.now());
        else await unflagCustomer(trx, customer.id, b.bank);
        const [view] = await customersPage(trx, [customer], bankOf);
        return ok(flag ? "Customer flagged successfully" : "Customer unflagged successfully", { customer: view! });
      });
    };
    post(
      "/customers/flag",
      { tags, summary: "Flag a customer at a bank", description: `Marks the customer at \`bank\` (shown in \`flagged_banks\`). Flagging twice is the same as once. ${MUTATING} ${NOT_MINE}` },
      S.FlagBody,
      S.CustomerResponse,
      flagged(true),
    );
    post(
      "/customers/unflag",
      { tags, summary: "Remove a customer's flag at a bank", description: `\`unflag\` must be true (the default). Unflagging an unflagged customer changes nothing. ${MUTATING} ${NOT_MINE}` },
      S.UnflagBody,
      S.CustomerResponse,
      flagged(false),
    );
    post(
      "/customers/token",
      {
        tags,
        summary: "Vouch for a returning customer (widget customer token)",
        description:
          "Okro extension. Made by your server with your secret key, for the page that opens the widget: `customer: {token}` in the widget options lets the widget recognise this customer (their linked banks, masked account numbers, Quick Pay). In production the widget recognises nobody from a bare `customer{bvn|phone|email|id}`, which any page holding your public key could send. The token is sealed (its contents cannot be read or changed), bound to your company and this key's environment (and `app_id` when given), and expires after `expires_in` seconds. Nothing is stored: the customer need not exist yet (the answer is the same). " +
          MUTATING,
      },
      S.CustomerTokenBody,
      S.CustomerTokenResponse,
      async (b, req, reply) =>
        mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          if (b.app_id !== undefined) {
            const app = await trx.selectFrom("apps").select("id").where("id", "=", b.app_id).where("company_id", "=", scope.companyId).where("env", "=", scope.env).executeTakeFirst();
            if (!app) throw new OkroError("NOT_FOUND", `app_id: no such app in this key's ${scope.env} environment`, { field: "app_id" });
          }
          const expiresAt = new Date(ctx.clock.now().getTime() + b.expires_in * 1000);
          const customer = Object.fromEntries(Object.entries({ id: b.id, bvn: b.bvn, email: b.email, phone: b.phone }).filter(([, v]) => v !== undefined)) as VouchedCustomer;
          const token = sealCustomerToken(ctx.secrets, { company_id: scope.companyId, env: scope.env, app_id: b.app_id ?? null, customer, exp: expiresAt.getTime() });
          return ok("Customer token created successfully", { token, expires_at: expiresAt.toISOString(), app_id: b.app_id ?? null, env: wireEnv(scope.env) });
        }),
    );
    post(
      "/customers/remove",
      {
        tags,
        summary: "Remove a customer and their data",
        description: `Deletes the customer and everything Okro holds about them: connections (with the stored bank credentials), accounts, auths, balances, transactions, identities, income, flags. The answer is the customer as it was. 409 when other objects (such as payments) still refer to them. ${MUTATING} ${NOT_MINE}`,
      },
      S.RemoveCustomerBody,
      S.CustomerResponse,
      async (b, req, reply) => {
        const bankOf = await bankLookup();
        return mutate(ctx, req, reply, tenantScope(req.tenant), async (trx) => {
          const scope = scopeOf(req);
          const customer = await lockCustomer(trx, scope, b.customer);
          if (!customer) throw new OkroError("NOT_FOUND", "customer: customer not found", { field: "customer" });
          const [view] = await customersPage(trx, [customer], bankOf);
          await removeCustomer(trx, scope, customer.id);
          return ok("Customer removed successfully", { customer: view! });
        });
      },
    );
  }

  // -- Records ------------------------------------------------------------------------------------
  post(
    "/products/records/get",
    { tags: ["Records"], summary: "Get one record (connection)", description: `\`data.records\` is the Record: status, products, bank, customer, accounts. ${NOT_MINE}` },
    S.RecordBody,
    S.RecordResponse,
    async (b, req) => {
      const record = await findRecord(db, scopeOf(req), b.record_id);
      if (!record) throw new OkroError("NOT_FOUND", "record_id: record not found", { field: "record_id" });
      const [accounts, bankOf] = await Promise.all([accountIdsOfRecord(db, record.id), bankLookup()]);
      return ok("Record retrieved successfully", { records: recordView(record, accounts, bankOf) });
    },
  );
};
