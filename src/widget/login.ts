import { isConnectorError, Secret, type BankAccount, type BankConnector, type BankSession, type LoginCredentials, type MfaChallenge } from "../banks/connector.js";
import type { BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import { accountOfCustomer } from "../data/customers.js";
import type { LoginBody, MfaBody } from "./api-schemas.js";
import { bankConnector, bankOf, LOGIN_METHOD_LABELS, maskNuban, sessionApp, sessionBanks } from "./banks.js";
import { bankFailure, conflict, failure, movedOn } from "./errors.js";
import { activeMode, type WidgetModes } from "./mode.js";
import type { LoginResponse, WidgetBankAccount, WidgetChallenge } from "./protocol.js";
import {
  BANK_CALL_TIMEOUT_MS,
  countTry,
  MAX_LOGINS_PER_SESSION,
  MAX_MFA_ANSWERS_PER_SESSION,
  moveStep,
  openBankSession,
  sealBankSession,
  sealCredentials,
  type PickedAccount,
  type SessionRow,
  type SessionSet,
  type StoredAccounts,
  type WidgetSession,
} from "./session.js";
import { LOGIN_STEPS, type Step } from "./steps.js";

/**
 * Bank login and MFA in a widget session: start → mfa → accounts (steps.ts). Above the session
 * store; below connect and the modes. Each move is a compare-and-set from the step the request
 * read (after MFA, also on the sealed bank session it started from): a second tab that moved the
 * session meanwhile makes this one answer 409 "moved on".
 */

/** Where a login's moves start from: the step read, and (after MFA) the bank session the answer was for. */
export interface LoginFrom {
  row: Pick<SessionRow, "id" | "step">;
  bankSessionSealed?: string;
}

const matchOf = (from: LoginFrom) => (from.bankSessionSealed !== undefined ? { match: { bank_session_sealed: from.bankSessionSealed } } : {});

export function widgetChallenge(c: MfaChallenge): WidgetChallenge {
  return { kind: c.kind, prompt: c.prompt, question: c.question ?? null, attempts_left: c.attemptsLeft, expires_at: c.expiresAt };
}

/** Forget the bank login (a failed or dead login): the customer starts again from the bank list. */
export async function backToStart(ctx: AppContext, from: LoginFrom, reason: string): Promise<void> {
  await moveStep(ctx, from.row, {
    to: "start",
    reason,
    ...matchOf(from),
    set: {
      bank_id: null,
      login_method: null,
      credentials_sealed: null,
      bank_session_sealed: null,
      challenge: JSON.stringify(null),
      bank_accounts: JSON.stringify(null),
    },
  });
}

/** The bank asks for a (further) factor: the session waits at `mfa` with the challenge. */
export async function enterMfa(ctx: AppContext, from: LoginFrom, challenge: MfaChallenge, set: SessionSet, picked?: PickedAccount | null): Promise<LoginResponse> {
  const shown = widgetChallenge(challenge);
  const moved = await moveStep(ctx, from.row, { to: "mfa", reason: "mfa_required", ...matchOf(from), set: { ...set, challenge: JSON.stringify(shown) }, ...(picked !== undefined ? { picked } : {}) });
  if (!moved) throw movedOn();
  return { step: "mfa", challenge: shown };
}

/** The returning customer's linked account picked at login; another customer's (or company's) is a 404. */
async function pickedAccount(ctx: AppContext, session: WidgetSession, accountId: string): Promise<PickedAccount> {
  const notFound = failure("NOT_FOUND", "account_id: no such linked account for this customer", {}, "account_id");
  if (!session.row.customer_id) throw notFound;
  const account = await accountOfCustomer(ctx.db, { companyId: session.row.company_id, env: session.row.env }, session.row.customer_id, accountId);
  if (!account) throw notFound;
  return { id: account.id, bank_id: account.bank_id, nuban: account.nuban };
}

/** After a connected login: the bank's accounts, stored on the session and shown for choosing. */
async function showAccounts(
  ctx: AppContext,
  session: WidgetSession,
  bank: BankView,
  connector: BankConnector,
  bankSession: BankSession,
  from: LoginFrom,
  set: SessionSet,
  picked: PickedAccount | null,
): Promise<LoginResponse> {
  let listed: BankAccount[];
  try {
    listed = await connector.listAccounts({ session: bankSession }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    await backToStart(ctx, from, "accounts_unavailable");
    throw bankFailure(error, bank.name);
  }
  return enterAccounts(ctx, session, bank, listed, from, set, picked);
}

/** Stores the bank's accounts on the session and moves it to `accounts` (compare-and-set). */
export async function enterAccounts(
  ctx: AppContext,
  session: WidgetSession,
  bank: BankView,
  listed: readonly BankAccount[],
  from: LoginFrom,
  set: SessionSet,
  picked: PickedAccount | null,
): Promise<LoginResponse> {
  if (listed.length === 0) {
    await backToStart(ctx, from, "no_accounts");
    throw failure("UNPROCESSABLE", `This ${bank.name} login has no accounts to share; try another login or bank`, { reason: "no_accounts" });
  }
  const accounts: WidgetBankAccount[] = listed.map((a) => ({
    id: a.id,
    nuban: a.nuban,
    name: a.name,
    type: a.type,
    currency: a.currency,
    preselected: picked !== null && picked.bank_id === bank.id && a.nuban === picked.nuban,
  }));
  const notice =
    picked && !accounts.some((a) => a.preselected)
      ? `The account you picked (${maskNuban(picked.nuban)}) is not in this ${bank.name} login; choose from these accounts, or go back and log in with the profile that holds it`
      : null;
  const stored: StoredAccounts = { accounts, notice };
  const moved = await moveStep(ctx, from.row, {
    to: "accounts",
    reason: "logged_in",
    ...matchOf(from),
    set: { ...set, challenge: JSON.stringify(null), bank_accounts: JSON.stringify(stored) },
    picked,
  });
  if (!moved) throw movedOn();
  return { step: "accounts", accounts, notice };
}

/** A login may begin from this step (a mode's holding step too, once the mode lets go: `beforeLogin`). */
export function requireLoginStep(session: WidgetSession, modes: WidgetModes): void {
  const { row } = session;
  if (LOGIN_STEPS.includes(row.step as Step)) return;
  const mode = activeMode(modes, session.settings);
  throw conflict(
    row.step === "done"
      ? mode
        ? mode.messages.done
        : "this widget session already connected an account; close the widget"
      : "already connecting; wait for it to finish",
  );
}

export async function login(ctx: AppContext, session: WidgetSession, body: LoginBody, modes: WidgetModes): Promise<LoginResponse> {
  const { row } = session;
  requireLoginStep(session, modes);
  // Logging in again from a mode's step (paying at another bank): the mode lets go first (the
  // payment waiting for this login's authorisation is cancelled; one already with the bank is not).
  if (!["start", "mfa", "accounts"].includes(row.step)) await activeMode(modes, session.settings)?.beforeLogin(ctx, session);
  const app = await sessionApp(ctx, session);
  const bank = (await sessionBanks(ctx, app, session, modes)).find((b) => b.id === body.bank_id);
  if (!bank) throw failure("NOT_FOUND", "bank_id: this bank is not offered by this widget; choose one from the bank list", {}, "bank_id");
  if (!(bank.login_methods as string[]).includes(body.method)) {
    const offered = bank.login_methods.map((m) => LOGIN_METHOD_LABELS[m].label.toLowerCase()).join(" or ");
    throw failure("UNPROCESSABLE", `method: ${bank.name} does not offer this login method; use ${offered}`, { reason: "not_supported", field: "method" }, "method");
  }
  let picked: PickedAccount | null = null;
  if (body.account_id !== undefined) {
    picked = await pickedAccount(ctx, session, body.account_id);
    if (picked.bank_id !== bank.id) throw failure("INVALID_FIELD", "account_id: this account is at another bank than bank_id", {}, "account_id");
  }
  const connector = bankConnector(ctx, session, bank.id);
  await countTry(ctx, row.id, "login", MAX_LOGINS_PER_SESSION);

  const credentials: LoginCredentials = { method: body.method, identifier: body.identifier, secret: new Secret(body.secret) };
  const from: LoginFrom = { row };
  let result;
  try {
    result = await connector.startLogin({ credentials }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    await backToStart(ctx, from, "login_failed");
    throw bankFailure(error, bank.name);
  }
  const set = {
    bank_id: bank.id,
    login_method: body.method,
    credentials_sealed: sealCredentials(ctx, row.id, credentials),
    bank_session_sealed: sealBankSession(ctx, row.id, result.session),
    bank_accounts: JSON.stringify(null),
  };
  if (result.status === "mfa_required") return enterMfa(ctx, from, result.challenge, set, picked);
  return showAccounts(ctx, session, bank, connector, result.session, from, set, picked);
}

export async function answerMfa(ctx: AppContext, session: WidgetSession, body: MfaBody): Promise<LoginResponse> {
  const { row } = session;
  // The answer was taken and its reply lost (the widget's "Try again" after a dropped
  // connection resends it): the bank already let the customer in, so answer as it did then.
  const answered = row.step === "accounts" ? (row.bank_accounts as StoredAccounts | null) : null;
  if (answered) return { step: "accounts", accounts: answered.accounts, notice: answered.notice };
  if (row.step !== "mfa" || !row.bank_id || !row.bank_session_sealed) {
    throw conflict("no bank challenge is waiting for an answer; log in first");
  }
  const bank = await bankOf(ctx, row.bank_id);
  const connector = bankConnector(ctx, session, bank.id);
  await countTry(ctx, row.id, "mfa", MAX_MFA_ANSWERS_PER_SESSION);

  const from: LoginFrom = { row, bankSessionSealed: row.bank_session_sealed };
  const bankSession = openBankSession(ctx, row.id, row.bank_session_sealed);
  let result;
  try {
    result = await connector.answerMfa({ session: bankSession, answer: new Secret(body.answer) }, { timeoutMs: BANK_CALL_TIMEOUT_MS });
  } catch (error) {
    if (isConnectorError(error) && error.kind === "rejected") {
      if (error.reason === "invalid_otp" && row.challenge && error.attemptsLeft !== undefined) {
        // Still at mfa: the challenge now says how many tries are left.
        const challenge = { ...(row.challenge as WidgetChallenge), attempts_left: error.attemptsLeft };
        await moveStep(ctx, row, { to: "mfa", reason: "invalid_otp", ...matchOf(from), set: { challenge: JSON.stringify(challenge) } });
      } else if (error.reason === "locked" || error.reason === "mfa_expired" || error.reason === "session_expired") {
        await backToStart(ctx, from, error.reason);
      }
    }
    throw bankFailure(error, bank.name);
  }
  if (result.status === "mfa_required") return enterMfa(ctx, from, result.challenge, { bank_session_sealed: sealBankSession(ctx, row.id, result.session) });
  const set = { bank_session_sealed: sealBankSession(ctx, row.id, result.session) };
  return showAccounts(ctx, session, bank, connector, result.session, from, set, session.settings.picked ?? null);
}
