import { randomBytes } from "node:crypto";
import { Secret, type LoginMethod, type PaymentAuthorization } from "../banks/connector.js";
import type { BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { OkroError } from "../core/errors.js";
import { linkConnection, type LinkResult } from "../data/link.js";
import { consentFor, grantConsent } from "../payments/consents.js";
import { wireEnv } from "../platform/domain.js";
import type { ConnectBody } from "./api-schemas.js";
import { bankOf } from "./banks.js";
import { bankFailure, conflict, failure, sessionExpired } from "./errors.js";
import { activeMode, type WidgetModes } from "./mode.js";
import type { ConnectResponse, PaymentAuthorizationInput, WidgetConsent } from "./protocol.js";
import {
  claimForConnect,
  countTry,
  currentRow,
  MAX_AUTHORISATIONS_PER_SESSION,
  moveStep,
  openBankSession,
  openCredentials,
  updateSession,
  type SessionRow,
  type StoredAccounts,
  type WidgetSession,
} from "./session.js";

/**
 * Connect (account data): accounts → connecting → done, linking the chosen accounts (data/link.ts)
 * and, when the connect asks for it, giving payment consent on them. Above login; the modes use
 * `okraAuth` and `publicConnectResult` from here.
 */

/** Okra's `auth` block of onSuccess; `clientId` is "okr-<epoch ms>-<random>". */
export function okraAuth(bank: Pick<BankView, "id" | "name" | "slug">, customerId: string, recordId: string, now: Date) {
  return {
    bank_details: { _id: bank.id, name: bank.name, slug: bank.slug },
    bank_id: bank.id,
    clientId: `okr-${now.getTime()}-${randomBytes(6).toString("hex")}`,
    customer_id: customerId,
    record_id: recordId,
    status: true as const,
    type: "validate" as const,
    login_type: "bank" as const,
  };
}

/** Who and where a payment's or a mandate's onSuccess names: the linked record, customer, account and bank. */
export interface SuccessLinkage {
  record_id: string;
  customer_id: string;
  customer_name: string;
  account_id: string;
  bank_id: string;
}

/**
 * The part of onSuccess every mode's payload shares (a payment's, a mandate's): the record,
 * customer, account and bank the customer linked, Okra's `auth` block, the environment and the
 * merchant's `options`. The one place that builds it (payments.ts and mandates.ts add their object).
 */
export async function successLinkage(ctx: AppContext, session: WidgetSession, linkage: SuccessLinkage) {
  const bank = await bankOf(ctx, linkage.bank_id);
  return {
    record_id: linkage.record_id,
    customer_id: linkage.customer_id,
    account_id: linkage.account_id,
    bank_id: bank.id,
    bank: { id: bank.id, name: bank.name, slug: bank.slug },
    auth: okraAuth(bank, linkage.customer_id, linkage.record_id, ctx.clock.now()),
    customer: { id: linkage.customer_id, name: linkage.customer_name },
    env: wireEnv(session.row.env),
    options: session.settings.merchant_options,
  };
}

function connectResponse(session: WidgetSession, bank: BankView, link: LinkResult, now: Date): ConnectResponse {
  return {
    record_id: link.recordId,
    customer_id: link.customerId,
    bank_id: bank.id,
    bank: { id: bank.id, name: bank.name, slug: bank.slug },
    accounts: link.accounts.map((a) => ({ id: a.id, nuban: a.nuban, name: a.name, type: a.type, currency: a.currency, connected: a.connected })),
    auth: okraAuth(bank, link.customerId, link.recordId, now),
    customer: { id: link.customerId, name: link.customerName },
    env: wireEnv(session.row.env),
    products: session.settings.products,
    relinked: link.relinked,
    options: session.settings.merchant_options,
    consents: [],
  };
}

function settledAnswer(row: SessionRow): ConnectResponse {
  if (row.step === "done" && row.result) return publicConnectResult(row.result as StoredConnectResult);
  if (row.step === "connecting") throw failure("CONFLICT", "already connecting; wait for it to finish", { reason: "connecting" });
  throw conflict("nothing to connect yet: log in to a bank and choose accounts first");
}

/**
 * What a done account-data session keeps in `result`: the answer, and while payment consent is
 * still to be given (a wrong code at connect), the Okro ids of the accounts it is for.
 */
export type StoredConnectResult = ConnectResponse & { consent_accounts?: string[] };

export function publicConnectResult(stored: StoredConnectResult): ConnectResponse {
  const { consent_accounts: _pending, ...answer } = stored;
  return { ...answer, consents: answer.consents ?? [] };
}

export async function connect(ctx: AppContext, session: WidgetSession, body: ConnectBody, modes: WidgetModes): Promise<ConnectResponse> {
  const { row } = session;
  const mode = activeMode(modes, session.settings);
  if (mode) throw conflict(mode.messages.connectRefused);
  if (body.payment_authorization !== undefined) {
    if (!session.settings.products.includes("payments")) {
      throw failure("INVALID_FIELD", "payment_authorization: this widget was not opened with the payments product", {}, "payment_authorization");
    }
    const bank = row.bank_id ? await bankOf(ctx, row.bank_id) : undefined;
    if (bank && !(bank.products as string[]).includes("payments")) {
      throw failure("UNPROCESSABLE", `payment_authorization: ${bank.name} does not support direct debits; connect without it`, { reason: "not_supported" }, "payment_authorization");
    }
  }
  // Linked already, payment consent still to give (the code was wrong, or the bank was down):
  // this connect gives it (or, without payment_authorization, finishes without it).
  if (row.step === "done" && row.result && (row.result as StoredConnectResult).consent_accounts) {
    return grantConnectConsents(ctx, session, row, body.payment_authorization);
  }
  if (row.step !== "accounts" && row.step !== "connecting") return settledAnswer(row);
  const stored = row.bank_accounts as StoredAccounts | null;
  const offered = new Set(stored?.accounts.map((a) => a.id) ?? []);
  const wanted = [...new Set(body.account_ids)];
  const unknown = wanted.findIndex((a) => !offered.has(a));
  if (unknown >= 0) {
    const field = `account_ids.${body.account_ids.indexOf(wanted[unknown]!)}`;
    throw failure("NOT_FOUND", `${field}: not one of the accounts the bank listed in this session`, {}, field);
  }

  const claimed = await claimForConnect(ctx, row);
  if (!claimed) {
    const now = await currentRow(ctx, row.id);
    if (!now) throw sessionExpired();
    return settledAnswer(now);
  }
  // Put the step back so the customer can try again (or log in again if the bank session lapsed).
  const release = (reason: string) => moveStep(ctx, claimed, { to: "accounts", reason });
  if (!claimed.bank_id || !claimed.login_method || !claimed.bank_session_sealed) {
    await release("bank_session_gone");
    throw conflict("the bank login of this session is gone; log in again");
  }

  const bank = await bankOf(ctx, claimed.bank_id);
  let link: LinkResult;
  try {
    link = await linkConnection(ctx, {
      companyId: claimed.company_id,
      env: claimed.env,
      appId: claimed.app_id,
      bankId: bank.id,
      loginMethod: claimed.login_method as LoginMethod,
      credentials: claimed.credentials_sealed ? openCredentials(ctx, claimed.id, claimed.credentials_sealed) : null,
      session: openBankSession(ctx, claimed.id, claimed.bank_session_sealed),
      selectedAccountIds: wanted,
      products: session.settings.products,
      options: session.settings.merchant_options,
      customerHint: session.settings.customer_hint ?? undefined,
      historyMonths: session.settings.history_months,
    });
  } catch (error) {
    await release("link_failed");
    throw bankFailure(error, bank.name);
  }

  const answer = connectResponse(session, bank, link, ctx.clock.now());
  // Payment consent needs the bank session once more (the mandate is created with it), so it is
  // kept until the consent is given; everything else the record now holds sealed for itself.
  const wanted_ = new Set(wanted);
  const consentAccounts = body.payment_authorization ? link.accounts.filter((a) => wanted_.has(a.bank_account_id)).map((a) => a.id) : [];
  const toStore: StoredConnectResult = consentAccounts.length > 0 ? { ...answer, consent_accounts: consentAccounts } : answer;
  const done = await moveStep(ctx, claimed, {
    to: "done",
    reason: "linked",
    set: {
      record_id: link.recordId,
      customer_id: link.customerId,
      result: JSON.stringify(toStore),
      // Handed over: the record keeps its own sealed copy for refreshes.
      credentials_sealed: null,
      ...(consentAccounts.length > 0 ? {} : { bank_session_sealed: null }),
    },
  });
  if (consentAccounts.length === 0 || !done) return answer;
  return grantConnectConsents(ctx, session, done, body.payment_authorization);
}

// ---------------------------------------------------------------------------------------------
// Payment consent at connect (account-data flow with the payments product)
// ---------------------------------------------------------------------------------------------

const consentView = (c: { id: string; account_id: string; status: WidgetConsent["status"] }): WidgetConsent => ({ id: c.id, account_id: c.account_id, status: c.status });

/**
 * Gives the payment consent a connect asked for, account by account (an account that already has
 * one keeps it), with the bank session the link used. A wrong code (422 `invalid_otp`) or a bank
 * that is down leaves the rest to give: the connect is sent again with a new code, or without
 * `payment_authorization` to finish without consent. Done: the bank session is wiped.
 */
async function grantConnectConsents(ctx: AppContext, session: WidgetSession, row: SessionRow, auth: PaymentAuthorizationInput | undefined): Promise<ConnectResponse> {
  const stored = row.result as StoredConnectResult;
  const pending = stored.consent_accounts ?? [];
  const scope = { companyId: session.row.company_id, env: session.row.env };
  const granted: WidgetConsent[] = [...(stored.consents ?? [])];
  const finish = async (): Promise<ConnectResponse> => {
    const answer = publicConnectResult({ ...stored, consents: granted });
    await updateSession(ctx, row.id, { result: JSON.stringify(answer), bank_session_sealed: null });
    return answer;
  };
  if (!auth || pending.length === 0 || !row.bank_session_sealed) return finish();
  const bankName = stored.bank.name;
  await countTry(ctx, row.id, "authorise", MAX_AUTHORISATIONS_PER_SESSION);
  const bankSession = openBankSession(ctx, row.id, row.bank_session_sealed);
  const authorization: PaymentAuthorization = auth.otp !== undefined ? { otp: new Secret(auth.otp) } : { pin: new Secret(auth.pin!) };
  const left = [...pending];
  while (left.length > 0) {
    const accountId = left[0]!;
    try {
      const existing = await consentFor(ctx.db, scope, accountId);
      // A live consent given for one mandate only becomes standing: this is the customer's payment consent (decision 0027).
      const consent = existing?.standing ? existing : await grantConsent(ctx, scope, { accountId, bankSession: bankSession.token, authorization });
      granted.push(consentView(consent));
      left.shift();
    } catch (error) {
      // Keep what was given; the rest waits for the next connect.
      const progress: StoredConnectResult = { ...stored, consents: granted, consent_accounts: left };
      await updateSession(ctx, row.id, { result: JSON.stringify(progress) });
      const mapped = bankFailure(error, bankName);
      if (mapped instanceof OkroError) throw new OkroError(mapped.code, mapped.message, { ...(mapped.field ? { field: mapped.field } : {}), data: { ...mapped.data, connected: true } });
      throw mapped;
    }
  }
  return finish();
}
