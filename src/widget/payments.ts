import { isConnectorError, Secret, type BankAccount, type BankSession, type LoginResult, type PaymentAuthorization } from "../banks/connector.js";
import type { BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { linkConnection, type LinkResult } from "../data/link.js";
import { storedCredentials, storedSession } from "../data/refresh.js";
import { refreshTarget } from "../data/store.js";
import { accountHolder, accountOfCustomer } from "../data/customers.js";
import type { LoginMethod } from "../banks/connector.js";
import { OkroError } from "../core/errors.js";
import { kobo } from "../lib/kobo.js";
import { defaultCompanyAccount, requireCompanyAccount } from "../payments/company-accounts.js";
import { isCancellable, isFinal, wireStatus, type PaymentState } from "../payments/domain.js";
import { describeLinkSchedule, getLink, linkProblem, markLinkUsed } from "../payments/links.js";
import { authorisePayment, cancelPayment, createAuthorisedPayment, getPayment } from "../payments/service.js";
import { isSupportedCurrency, type PaymentRow, type Scope } from "../payments/types.js";
import { normalizeProducts, wireEnv } from "../platform/domain.js";
import type { AuthorisePaymentBody, CancelPaymentBody, CreatePaymentBody, CreateSessionBody } from "./api-schemas.js";
import type {
  LoginResponse,
  PaymentMode,
  PaymentResponse,
  PaymentSuccess,
  SessionPayment,
  WidgetBank,
  WidgetPayment,
} from "./protocol.js";
import { bankConnector, bankOf, maskNuban } from "./banks.js";
import { okraAuth, successLinkage } from "./connect.js";
import { bankFailure, conflict, failure, movedOn, sessionExpired } from "./errors.js";
import { enterAccounts, enterMfa } from "./login.js";
import type { ModeOpening, WidgetMode } from "./mode.js";
import {
  BANK_CALL_TIMEOUT_MS,
  claimForConnect,
  CONNECT_STALE_MS,
  countTry,
  currentRow,
  MAX_AUTHORISATIONS_PER_SESSION,
  MAX_LOGINS_PER_SESSION,
  moveStep,
  openBankSession,
  openCredentials,
  sealBankSession,
  sealCredentials,
  type SessionRow,
  type StoredAccounts,
  type WidgetSession,
} from "./session.js";
import { LOGIN_STEPS, type Step } from "./steps.js";

/**
 * The widget's payment mode (okra-js `payment: true` + `charge{…}`, or a payment link's hosted
 * pay page): the customer pays the merchant from a bank account, authorising the debit with the
 * bank's OTP or their PIN. protocol.ts is the wire contract; src/payments is the engine (the state
 * machine, the bank call, the ledger).
 *
 * Flows (`SessionPayment.mode`):
 * - instant: bank → login method → credentials → MFA → the account to pay from → review (the
 *   amount typed here when the charge has none) → authorise with OTP/PIN → result;
 * - returning: the merchant's `customer{…}` is recognised → one of their linked accounts (masked)
 *   → log in at that bank (credentials, MFA) → review → authorise;
 * - Quick Pay: `customer{…}` + `account_to_debit`: bank and account known, so the server gets a
 *   bank session from the stored connection (its live session, or a silent login with the sealed
 *   credentials: the code screen first if the bank asks for MFA) → review → authorise.
 *
 * Creating the payment (`POST /api/payments`) links the chosen account (instant, returning: the
 * customer and account must exist for the payment to name them; a relink refreshes the record)
 * and writes the payment `awaiting_authorisation` in one transaction with the session's
 * `payment_id` (a single-use link is marked used in the same transaction). The bank is called
 * only by the engine's `authorisePayment`, outside any transaction, with the reference fixed
 * first: a double click or a second tab gets 409 `authorising` and polls.
 */

/** Payments one session may create (each links the account at the bank first), then 429. */
export const MAX_PAYMENTS_PER_SESSION = 10;

/** What a payment session remembers, in `widget_sessions.options.payment`. */
export interface PaymentSettings {
  mode: PaymentMode;
  /** Kobo; null: the payer types it. */
  amount: number | null;
  currency: string;
  note: string | null;
  /** The company account credited. */
  account_to_credit: string;
  /** `recurring`: a recurring link's charges in words (links.ts describeLinkSchedule), for its page. */
  link: { id: string; short_url: string; name: string; reusable: boolean; recurring?: string | null } | null;
  /** Quick Pay: the stored account to debit. */
  quick_pay: { customer_id: string; account_id: string; bank_id: string; nuban: string; type: string } | null;
}

/** What the session keeps in `result` once a payment's customer and account are known (for onSuccess). */
interface PaymentLinkage {
  kind: "payment";
  record_id: string;
  customer_id: string;
  customer_name: string;
  account_id: string;
  bank_id: string;
}

const scopeOf = (session: WidgetSession): Scope => ({ companyId: session.row.company_id, env: session.row.env });
/** The session's payment settings (`options.payment`), or null outside payment mode. */
const paymentOf = (session: WidgetSession): PaymentSettings | null => (session.settings.payment ?? null) as PaymentSettings | null;

// ---------------------------------------------------------------------------------------------
// Opening a payment session
// ---------------------------------------------------------------------------------------------

/**
 * The payment a session collects, from the okra-js `charge` or the payment link. Bad input is a
 * 400 naming the field (`charge.amount`, `charge.currency`, `charge.account`, `account_to_debit`).
 */
async function paymentSettingsOf(ctx: AppContext, known: ModeOpening): Promise<PaymentSettings> {
  const { link, scope, body } = known;
  const charge: Partial<NonNullable<CreateSessionBody["charge"]>> = body.charge ?? {};
  const field = (name: string) => (link ? "payment_link" : `charge.${name}`);
  if (!link && charge.type === "recurring") {
    throw failure("INVALID_FIELD", "charge.type: the widget collects one-time payments; set up recurring debits with a payment consent and pay/initiate", {}, "charge.type");
  }
  const currency = (link?.currency ?? charge.currency ?? "NGN").trim().toUpperCase();
  if (!isSupportedCurrency(currency)) throw failure("INVALID_FIELD", `${field("currency")}: must be NGN (the only currency Okro collects)`, {}, field("currency"));
  const amount = link ? (link.amount === null ? null : Number(link.amount)) : (charge.amount ?? null);
  const note = (link ? (link.note ?? null) : (charge.note?.trim() ?? null)) || null;

  // The company account credited: the charge's, the link's, else the currency's default.
  const wantedAccount = link ? link.account_to_credit : (charge.account?.trim() ?? null) || null;
  let accountToCredit: string;
  if (wantedAccount !== null) {
    const account = await requireCompanyAccount(ctx.db, scope, wantedAccount, field("account")).catch((error: unknown) => {
      if (error instanceof OkroError && error.code === "NOT_FOUND") {
        throw failure("INVALID_FIELD", `${field("account")}: not one of this company's receiving accounts in this environment; copy its id from the dashboard`, {}, field("account"));
      }
      throw error;
    });
    if (account.currency !== currency) {
      throw failure("INVALID_FIELD", `${field("account")}: this receiving account holds ${account.currency}, the charge is in ${currency}`, {}, field("account"));
    }
    accountToCredit = account.id;
  } else {
    const fallback = await defaultCompanyAccount(ctx.db, scope, currency);
    if (!fallback) {
      throw failure(
        "INVALID_FIELD",
        `${field("account")}: this company has no default ${currency} receiving account; add one in the dashboard (or pay/accounts/create), or pass charge.account`,
        {},
        field("account"),
      );
    }
    accountToCredit = fallback.id;
  }

  let quickPay: PaymentSettings["quick_pay"] = null;
  if (body.account_to_debit !== undefined) {
    const id = body.account_to_debit.trim();
    if (!known.customer) {
      throw failure("INVALID_FIELD", "account_to_debit: Quick Pay needs the customer who holds this account: pass customer{token}, a customer token from POST /v2/customers/token (sandbox also takes customer{id|bvn|email|phone})", {}, "account_to_debit");
    }
    const account = await accountOfCustomer(ctx.db, scope, known.customer.id, id, { connected: true });
    if (!account) throw failure("INVALID_FIELD", "account_to_debit: not a connected account of this customer; pass the Okro account id from onSuccess or accounts/getByCustomer", {}, "account_to_debit");
    if (!known.offered.some((b) => b.id === account.bank_id)) {
      throw failure("INVALID_FIELD", "account_to_debit: this account's bank does not take payments through this widget (or is filtered out)", {}, "account_to_debit");
    }
    quickPay = { customer_id: known.customer.id, account_id: account.id, bank_id: account.bank_id, nuban: account.nuban, type: account.type };
  }

  const mode: PaymentMode = quickPay ? "quick_pay" : known.returning && known.returning.accounts.length > 0 ? "returning" : "instant";
  return {
    mode,
    amount,
    currency,
    note,
    account_to_credit: accountToCredit,
    link: link ? { id: link.id, short_url: link.short_url, name: link.name, reusable: link.reusable, ...recurringWords(link) } : null,
    quick_pay: quickPay,
  };
}

/** The session's payment as the widget shows it (`CreateSessionResponse.payment`). */
export function sessionPayment(p: PaymentSettings, merchant: string, banks: readonly WidgetBank[]): SessionPayment {
  const out: SessionPayment = {
    mode: p.mode,
    amount: p.amount,
    currency: p.currency,
    note: p.note,
    merchant,
    link: p.link ? { short_url: p.link.short_url, name: p.link.name, reusable: p.link.reusable, ...(p.link.recurring ? { recurring: p.link.recurring } : {}) } : null,
  };
  const qp = p.quick_pay;
  const bank = qp ? banks.find((b) => b.id === qp.bank_id) : undefined;
  if (qp && bank) {
    out.quick_pay = {
      account: { id: qp.account_id, bank_id: bank.id, bank_name: bank.name, bank_slug: bank.slug, nuban_masked: maskNuban(qp.nuban), name: "", type: qp.type },
      bank,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Quick Pay: a bank session from the stored connection
// ---------------------------------------------------------------------------------------------

const quickPayUnavailable = (bankName: string, why: string) =>
  failure("UNPROCESSABLE", `Your saved ${bankName} login ${why}; log in to ${bankName} to pay`, { reason: "quick_pay_unavailable" });

/**
 * `POST /api/quick-pay`: the stored record's live session (checked with one listing), else a
 * silent login with its sealed credentials. MFA → the session waits at `mfa` for `POST /api/mfa`
 * (which then lists the accounts with the Quick Pay account preselected). Credentials the bank
 * refuses are not tried again (that could lock the customer out): 422 `quick_pay_unavailable`,
 * and the widget asks the customer to log in.
 */
export async function quickPay(ctx: AppContext, session: WidgetSession): Promise<LoginResponse> {
  const qp = paymentOf(session)?.quick_pay;
  if (!qp) throw conflict("this widget session is not a Quick Pay session");
  const { row } = session;
  if (!LOGIN_STEPS.includes(row.step as Step)) throw conflict("this widget session has moved on; reload the widget");
  if (row.step === "paying") await releasePaymentForLogin(ctx, session);
  const scope = scopeOf(session);
  const bank = await bankOf(ctx, qp.bank_id);
  const connector = bankConnector(ctx, session, bank.id);
  const target = await refreshTarget(ctx.db, scope, qp.account_id);
  if (!target || target.customerId !== qp.customer_id) throw quickPayUnavailable(bank.name, "is no longer connected");
  await countTry(ctx, row.id, "login", MAX_LOGINS_PER_SESSION);
  const picked = { id: qp.account_id, bank_id: qp.bank_id, nuban: qp.nuban };
  const from = { row };

  // 1. The record's own session, while the bank still honours it.
  const live = storedSession(ctx, target);
  if (live) {
    try {
      const listed = await connector.listAccounts({ session: live }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
      return enterAccounts(ctx, session, bank, onlyThe(listed, qp.nuban), from, { bank_id: bank.id, bank_session_sealed: sealBankSession(ctx, row.id, live), bank_accounts: JSON.stringify(null) }, picked);
    } catch (error) {
      const lapsed = isConnectorError(error) && error.kind === "rejected" && error.reason === "session_expired";
      if (!lapsed) throw bankFailure(error, bank.name);
    }
  }
  // 2. A silent login with the sealed credentials.
  const credentials = storedCredentials(ctx, target);
  if (!credentials) throw quickPayUnavailable(bank.name, "cannot be used without you");
  let result: LoginResult;
  try {
    result = await connector.startLogin({ credentials }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    if (isConnectorError(error) && error.kind === "rejected" && (error.reason === "invalid_credentials" || error.reason === "locked")) {
      throw quickPayUnavailable(bank.name, error.reason === "locked" ? "is locked at the bank" : "is no longer accepted by the bank");
    }
    throw bankFailure(error, bank.name);
  }
  const set = {
    bank_id: bank.id,
    login_method: credentials.method satisfies LoginMethod,
    credentials_sealed: sealCredentials(ctx, row.id, credentials),
    bank_session_sealed: sealBankSession(ctx, row.id, result.session),
    bank_accounts: JSON.stringify(null),
  };
  if (result.status === "mfa_required") return enterMfa(ctx, from, result.challenge, set, picked);
  let listed: BankAccount[];
  try {
    listed = await connector.listAccounts({ session: result.session }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    throw bankFailure(error, bank.name);
  }
  return enterAccounts(ctx, session, bank, onlyThe(listed, qp.nuban), from, set, picked);
}

/** Quick Pay offers the one account it was opened for (when the login still holds it). */
const onlyThe = (listed: readonly BankAccount[], nuban: string) => {
  const one = listed.filter((a) => a.nuban === nuban);
  return one.length > 0 ? one : listed;
};

// ---------------------------------------------------------------------------------------------
// The payment
// ---------------------------------------------------------------------------------------------

/** The payment as the widget shows it. */
export function widgetPayment(row: PaymentRow): WidgetPayment {
  const wire = wireStatus(row.state);
  return {
    id: row.id,
    status: wire.status,
    response_status: wire.response_status,
    state: row.state,
    amount: Number(row.amount),
    currency: row.currency,
    reference: row.reference,
    failure: row.failure_code !== null || row.failure_reason !== null ? { code: row.failure_code ?? "error", message: row.failure_reason ?? "" } : null,
  };
}

const succeeded = (s: PaymentState) => s === "succeeded" || s === "settled";
const endedWithoutMoney = (s: PaymentState) => isFinal(s) && !succeeded(s) && s !== "reversed";

/** The session's payment, or 404 naming `payment_id` (another session's payment is not this widget's business). */
async function sessionPaymentRow(ctx: AppContext, session: WidgetSession, id: string): Promise<PaymentRow> {
  const notFound = failure("NOT_FOUND", "payment_id: no such payment in this widget session", {}, "payment_id");
  const row = await getPayment(ctx.db, scopeOf(session), id).catch((error: unknown) => {
    if (error instanceof OkroError && error.code === "NOT_FOUND") throw notFound;
    throw error;
  });
  if (row.widget_session_id !== session.row.id) throw notFound;
  return row;
}

function requirePaymentMode(session: WidgetSession): PaymentSettings {
  const p = paymentOf(session);
  if (!p) throw conflict("this widget session was not opened for a payment (okra-js `payment: true` with a `charge`)");
  return p;
}

/**
 * Before a new login in a paying session: the payment waiting for the customer's code is
 * cancelled (they chose another bank); one the bank already has is not touched, and the login is
 * refused until it is decided.
 */
export async function releasePaymentForLogin(ctx: AppContext, session: WidgetSession): Promise<void> {
  const id = session.row.payment_id;
  if (!id) return;
  const scope = scopeOf(session);
  const payment = await getPayment(ctx.db, scope, id);
  if (isCancellable(payment.state)) {
    await ctx.db.transaction().execute((trx) => cancelPayment(trx, ctx, scope, id, "customer"));
    return;
  }
  if (endedWithoutMoney(payment.state)) return;
  throw failure("CONFLICT", "this session's payment is already with the bank; wait for its result", { reason: "authorising", payment: widgetPayment(payment) });
}

/**
 * `POST /api/payments`: links the chosen account (instant, returning) and creates the payment
 * awaiting the customer's authorisation. The same request again (a double click, a retry after a
 * lost reply) returns the same payment; a different account or amount while the first waits for
 * its code replaces it (the first is cancelled); after a refused payment it makes a new one.
 */
export async function createWidgetPayment(ctx: AppContext, session: WidgetSession, body: CreatePaymentBody): Promise<PaymentResponse> {
  const pay = requirePaymentMode(session);
  const scope = scopeOf(session);
  const { row } = session;
  if (pay.amount === null && body.amount === undefined) throw failure("INVALID_FIELD", "amount: enter the amount to pay (kobo, at least 100)", {}, "amount");
  if (pay.amount !== null && body.amount !== undefined && body.amount !== pay.amount) {
    throw failure("INVALID_FIELD", `amount: this payment is for ${pay.amount} kobo; it cannot be changed`, {}, "amount");
  }
  const amount = pay.amount ?? body.amount!;
  // A recurring link is paid by a mandate (payRecurringLink), never by one payment: refused here
  // before any bank call, so no path takes a single payment for it.
  if (pay.link && (await getLink(ctx.db, scope, pay.link.id, "payment_link")).type === "recurring") {
    throw failure("UNPROCESSABLE", "payment_link: this is a recurring payment link; it is paid by authorising its mandate, not by a one-time payment", { reason: "recurring_link" }, "payment_link");
  }
  if (row.step === "done") {
    if (row.payment_id) return paymentAnswer(ctx, session, await sessionPaymentRow(ctx, session, row.payment_id));
    throw conflict("this widget session is finished; close the widget");
  }
  // A fresh claim is another click at work; a stale one was abandoned (its process died) and is claimed again below.
  const staleClaim = row.step === "connecting" && row.updated_at.getTime() < ctx.clock.now().getTime() - CONNECT_STALE_MS;
  if (row.step === "connecting" && !staleClaim) throw failure("CONFLICT", "already preparing the payment; wait for it", { reason: "connecting" });
  if (row.step !== "accounts" && row.step !== "paying" && !staleClaim) throw conflict("log in to your bank and choose an account first");
  const stored = row.bank_accounts as StoredAccounts | null;
  const chosen = stored?.accounts.find((a) => a.id === body.account_id);
  if (!chosen || !row.bank_id) throw failure("NOT_FOUND", "account_id: not one of the accounts the bank listed in this session", {}, "account_id");

  // The payment this session already made.
  if (row.payment_id) {
    const current = await sessionPaymentRow(ctx, session, row.payment_id);
    const same = current.bank_id === row.bank_id && current.nuban === chosen.nuban && Number(current.amount) === amount;
    if (same && !endedWithoutMoney(current.state)) return paymentAnswer(ctx, session, current);
    if (isCancellable(current.state)) {
      await ctx.db.transaction().execute((trx) => cancelPayment(trx, ctx, scope, current.id, "customer"));
    } else if (!endedWithoutMoney(current.state)) {
      throw failure("CONFLICT", "this session's payment is already with the bank; wait for its result", { reason: "authorising", payment: widgetPayment(current) });
    }
  }
  if (!row.bank_session_sealed) throw failure("UNPROCESSABLE", "The bank login of this session has ended; log in again", { reason: "bank_session_expired" });
  await countTry(ctx, row.id, "payment", MAX_PAYMENTS_PER_SESSION);

  // Claim the session (connecting) against the payment we looked at: two clicks, one payment.
  // An abandoned claim goes back to where a customer can choose again if this one fails too.
  const fromStep: Step = staleClaim ? (row.payment_id ? "paying" : "accounts") : (row.step as Step);
  const claimed = await claimForConnect(ctx, row, { steps: ["accounts", "paying"], paymentId: row.payment_id });
  if (!claimed) {
    const now = await currentRow(ctx, row.id);
    if (!now) throw sessionExpired();
    if (now.payment_id && now.payment_id !== row.payment_id) return paymentAnswer(ctx, { ...session, row: now }, await sessionPaymentRow(ctx, session, now.payment_id));
    throw failure("CONFLICT", "already preparing the payment; wait for it", { reason: "connecting" });
  }
  const release = () => moveStep(ctx, claimed, { to: fromStep, reason: "payment_not_created" });

  const bank = await bankOf(ctx, row.bank_id);
  let linkage: PaymentLinkage;
  try {
    linkage = await accountForPayment(ctx, session, claimed, bank, chosen.id, chosen.nuban);
  } catch (error) {
    await release();
    throw bankFailure(error, bank.name);
  }
  let payment: PaymentRow;
  try {
    payment = await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.clock.now();
      if (pay.link) {
        // Every payment takes the link (compare-and-set on `active`), a session's second try too
        // (another account after insufficient funds): its failed first try reopened a single-use
        // link, and meanwhile another payer may have paid it, or the merchant disabled it.
        if (!(await markLinkUsed(trx, pay.link.id, now))) {
          const link = await getLink(trx, scope, pay.link.id, "payment_link");
          const problem = linkProblem(link, now) ?? { reason: "used" as const, message: "This payment link has already been paid." };
          throw failure("NOT_FOUND", `payment_link: ${problem.message}`, { reason: "link_unavailable", link_status: problem.reason }, "payment_link");
        }
      }
      const created = await createAuthorisedPayment(trx, ctx, scope, {
        customerId: linkage.customer_id,
        accountId: linkage.account_id,
        accountToCredit: pay.account_to_credit,
        amount: kobo(amount),
        currency: pay.currency,
        ...(pay.note ? { note: pay.note } : {}),
        channel: pay.link ? "link" : "widget",
        ...(pay.link ? { linkId: pay.link.id } : {}),
        widgetSessionId: row.id,
      });
      const moved = await moveStep(
        ctx,
        claimed,
        {
          to: "paying",
          reason: "payment_created",
          set: { payment_id: created.id, customer_id: linkage.customer_id, record_id: linkage.record_id, result: JSON.stringify(linkage) },
        },
        trx,
      );
      if (!moved) throw movedOn();
      return created;
    });
  } catch (error) {
    await release();
    throw error;
  }
  return paymentAnswer(ctx, session, payment);
}

/**
 * The customer and Okro account the payment names. Quick Pay's account is known; otherwise the
 * chosen account is linked now (a returning customer's record is refreshed, not duplicated).
 */
async function accountForPayment(ctx: AppContext, session: WidgetSession, claimed: SessionRow, bank: BankView, bankAccountId: string, nuban: string): Promise<PaymentLinkage> {
  const qp = paymentOf(session)?.quick_pay;
  if (qp && qp.bank_id === bank.id && qp.nuban === nuban) {
    const known = await accountHolder(ctx.db, scopeOf(session), qp.account_id);
    if (known) return { kind: "payment", record_id: known.record_id, customer_id: known.customer_id, customer_name: known.customer_name, account_id: known.id, bank_id: bank.id };
  }
  if (!claimed.bank_session_sealed || !claimed.login_method) throw failure("UNPROCESSABLE", "The bank login of this session has ended; log in again", { reason: "bank_session_expired" });
  const link: LinkResult = await linkConnection(ctx, {
    companyId: claimed.company_id,
    env: claimed.env,
    appId: claimed.app_id,
    bankId: bank.id,
    loginMethod: claimed.login_method as LoginMethod,
    credentials: claimed.credentials_sealed ? openCredentials(ctx, claimed.id, claimed.credentials_sealed) : null,
    session: openBankSession(ctx, claimed.id, claimed.bank_session_sealed),
    selectedAccountIds: [bankAccountId],
    products: normalizeProducts(["payments"]),
    options: session.settings.merchant_options,
    customerHint: session.settings.customer_hint ?? undefined,
    historyMonths: session.settings.history_months,
  });
  const account = link.accounts.find((a) => a.bank_account_id === bankAccountId);
  if (!account) throw new Error("widget payment: the linked account is missing from the link result");
  return { kind: "payment", record_id: link.recordId, customer_id: link.customerId, customer_name: link.customerName, account_id: account.id, bank_id: bank.id };
}


/** The onSuccess payload of a payment that succeeded. */
async function successPayload(ctx: AppContext, session: WidgetSession, linkage: PaymentLinkage, payment: PaymentRow): Promise<PaymentSuccess> {
  const view = widgetPayment(payment);
  return {
    type: "payment",
    payment: { id: view.id, status: view.status, response_status: view.response_status, amount: view.amount, currency: view.currency, reference: view.reference },
    ...(await successLinkage(ctx, session, linkage)),
  };
}

/**
 * The answer for a payment; once it succeeded, the session ends (done: the bank login is wiped)
 * and the answer carries the onSuccess payload, the same on every later poll.
 */
async function paymentAnswer(ctx: AppContext, session: WidgetSession, payment: PaymentRow): Promise<PaymentResponse> {
  if (!succeeded(payment.state)) return { payment: widgetPayment(payment), success: null };
  const current = await currentRow(ctx, session.row.id);
  const stored = (current?.result ?? null) as (PaymentLinkage & { success?: PaymentSuccess }) | null;
  if (!current || !stored || stored.kind !== "payment") return { payment: widgetPayment(payment), success: null };
  if (stored.success && stored.success.payment.id === payment.id) return { payment: widgetPayment(payment), success: { ...stored.success, payment: { ...stored.success.payment, ...pick(widgetPayment(payment)) } } };
  const success = await successPayload(ctx, session, stored, payment);
  // Paid: the session ends (paying → done) while it still holds this payment.
  if (current.step === "paying") {
    await moveStep(ctx, current, {
      to: "done",
      reason: "paid",
      match: { payment_id: payment.id },
      set: { result: JSON.stringify({ ...stored, success }), credentials_sealed: null, bank_session_sealed: null },
    });
  }
  return { payment: widgetPayment(payment), success };
}

const pick = (p: WidgetPayment) => ({ status: p.status, response_status: p.response_status, reference: p.reference });

/** Why a payment ended without money, as the widget's `reason`. */
function refusal(payment: PaymentRow): "insufficient_funds" | "limit_exceeded" | "payment_failed" {
  const said = `${payment.failure_code ?? ""} ${payment.failure_reason ?? ""}`.toLowerCase();
  if (payment.failure_code === "1013" || said.includes("insufficient")) return "insufficient_funds";
  if (said.includes("limit")) return "limit_exceeded";
  return "payment_failed";
}

/**
 * `POST /api/payments/authorise`: the customer's OTP or PIN goes to the engine, which fixes the
 * reference, calls the bank outside any transaction and records the outcome. A wrong code keeps
 * the payment waiting (422 `invalid_otp`), a refusal ends it (422 with the payment), a bank down
 * leaves it waiting (503 `bank_down`), a bank that did not answer leaves it `unknown` (a success
 * answer: the widget polls while the worker asks the bank).
 */
export async function authoriseWidgetPayment(ctx: AppContext, session: WidgetSession, body: AuthorisePaymentBody): Promise<PaymentResponse> {
  requirePaymentMode(session);
  const scope = scopeOf(session);
  const { row } = session;
  const payment = await sessionPaymentRow(ctx, session, body.payment_id);
  if (row.payment_id !== payment.id) throw failure("CONFLICT", "payment_id: this payment was replaced by a newer one in this session", { field: "payment_id" }, "payment_id");
  if (payment.state !== "awaiting_authorisation") {
    if (payment.state === "processing" || payment.state === "unknown") {
      throw failure("CONFLICT", "this payment is already being authorised; wait for its result", { reason: "authorising", payment: widgetPayment(payment) });
    }
    return paymentOutcome(ctx, session, payment);
  }
  const bankName = payment.bank_id ? (await bankOf(ctx, payment.bank_id)).name : "Your bank";
  if (!row.bank_session_sealed) {
    throw failure("UNPROCESSABLE", `The connection to ${bankName} has lapsed; log in again`, { reason: "bank_session_expired" });
  }
  await countTry(ctx, row.id, "authorise", MAX_AUTHORISATIONS_PER_SESSION);
  const account = payment.account_id ? await accountHolder(ctx.db, scope, payment.account_id) : undefined;
  if (!account) throw conflict("the account of this payment is no longer connected; choose another account");
  const authorization: PaymentAuthorization = body.otp !== undefined ? { otp: new Secret(body.otp) } : { pin: new Secret(body.pin!) };
  const bankSession: BankSession = openBankSession(ctx, row.id, row.bank_session_sealed);
  let outcome;
  try {
    outcome = await authorisePayment(ctx, scope, payment.id, { bankSession: bankSession.token, bankAccountId: account.bank_account_id, authorization });
  } catch (error) {
    throw bankFailure(error, bankName);
  }
  if (outcome.kind === "retry") {
    const left = outcome.attemptsLeft;
    switch (outcome.reason) {
      case "invalid_otp":
        throw failure("UNPROCESSABLE", `That code is not correct${left === undefined ? "" : ` (${left} ${left === 1 ? "try" : "tries"} left)`}`, {
          reason: "invalid_otp",
          attempts_left: left ?? null,
          payment: widgetPayment(outcome.payment),
        });
      case "bank_unavailable":
        throw failure("SERVICE_UNAVAILABLE", `${bankName} is not answering at the moment; try again, or pay from another bank`, {
          reason: "bank_down",
          retry_after_ms: null,
          payment: widgetPayment(outcome.payment),
        });
      case "bank_session_expired":
        throw failure("UNPROCESSABLE", `The connection to ${bankName} has lapsed; log in again`, { reason: "bank_session_expired", payment: widgetPayment(outcome.payment) });
      default: {
        const unreachable: never = outcome.reason;
        throw new Error(`widget payment: unknown retry reason ${String(unreachable)}`);
      }
    }
  }
  return paymentOutcome(ctx, session, outcome.payment);
}

/** A decided (or undecided-at-the-bank) payment as the widget's answer: refusals are 422s carrying the payment. */
async function paymentOutcome(ctx: AppContext, session: WidgetSession, payment: PaymentRow): Promise<PaymentResponse> {
  if (endedWithoutMoney(payment.state) || payment.state === "reversed") {
    if (payment.state === "cancelled") {
      throw failure("CONFLICT", "this payment was cancelled; start the payment again", { reason: "payment_cancelled", payment: widgetPayment(payment) });
    }
    const reason = refusal(payment);
    const message =
      reason === "insufficient_funds"
        ? "The account does not have enough money for this payment; choose another account or bank"
        : reason === "limit_exceeded"
          ? "This payment is above the account's limit; choose another account or bank"
          : `The bank declined this payment${payment.failure_reason ? ` (${payment.failure_reason})` : ""}`;
    throw failure("UNPROCESSABLE", message, { reason, payment: widgetPayment(payment) });
  }
  return paymentAnswer(ctx, session, payment);
}

/** `GET /api/payments/:id`: the payment now (the widget polls while the bank decides). */
export async function pollWidgetPayment(ctx: AppContext, session: WidgetSession, id: string): Promise<PaymentResponse> {
  requirePaymentMode(session);
  return paymentAnswer(ctx, session, await sessionPaymentRow(ctx, session, id));
}

/** `POST /api/payments/cancel`: the customer left before authorising (a payment with the bank is not cancelled: 409). */
export async function cancelWidgetPayment(ctx: AppContext, session: WidgetSession, body: CancelPaymentBody): Promise<PaymentResponse> {
  requirePaymentMode(session);
  const payment = await sessionPaymentRow(ctx, session, body.payment_id);
  if (payment.state === "cancelled") return { payment: widgetPayment(payment), success: null };
  const cancelled = await ctx.db.transaction().execute((trx) => cancelPayment(trx, ctx, scopeOf(session), payment.id, "customer"));
  return { payment: widgetPayment(cancelled), success: null };
}

// ---------------------------------------------------------------------------------------------
// The mode, as the session layers see it
// ---------------------------------------------------------------------------------------------

/**
 * The payment mode (mode.ts): opened by `payment: true` (the app must have the payments product)
 * or a payment link; shares account details only, lists only banks that take debits, and answers
 * `payment` in the session answer. Its endpoints (`/api/quick-pay`, `/api/payments…`) are the
 * functions above, mounted by api-routes.ts.
 */
export const paymentMode: WidgetMode = {
  name: "payment",
  products: ["payments"],
  bankProducts: ["payments"],
  messages: {
    connectRefused: "this widget session collects a payment: choose the account to pay from instead (POST /api/payments)",
    done: "this widget session's payment is done; close the widget",
  },
  opens(body, link, appProducts) {
    if (link === null && body.payment !== true) return false;
    if (link === null && !appProducts.includes("payments")) {
      throw failure("INVALID_FIELD", "payment: this app does not have the payments product; add it to the app in the dashboard, or open the widget without payment", {}, "payment");
    }
    return true;
  },
  open: (ctx, opening) => paymentSettingsOf(ctx, opening),
  customerId: (settings) => (settings as PaymentSettings).quick_pay?.customer_id ?? null,
  describe: (settings, merchant, banks) => ({ payment: sessionPayment(settings as PaymentSettings, merchant, banks) }),
  beforeLogin: (ctx, session) => releasePaymentForLogin(ctx, session),
};

/** A recurring link's charges in words, only for recurring links (one-time links' shape is unchanged). */
function recurringWords(link: Parameters<typeof describeLinkSchedule>[0]): { recurring?: string } {
  const words = describeLinkSchedule(link);
  return words ? { recurring: words } : {};
}
