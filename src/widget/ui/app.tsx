import { useEffect, useRef, useState } from "preact/hooks";
import type {
  AuthorisePaymentRequest,
  ConnectRequest,
  ConnectResponse,
  CreatePaymentRequest,
  CreateSessionRequest,
  CreateSessionResponse,
  AuthoriseMandateRequest,
  CreateMandateRequest,
  LoginRequest,
  LoginResponse,
  MandateResponse,
  MfaRequest,
  PayerMandatesResponse,
  WidgetMandate,
  WithdrawMandateRequest,
  PaymentAuthorizationInput,
  PaymentResponse,
  PaymentSuccess,
  ReturningAccount,
  WidgetBank,
  WidgetBankAccount,
  WidgetChallenge,
  WidgetLoginMethod,
  WidgetPayment,
} from "../protocol.js";
import { ApiError, BANK_STEP_TIMEOUT_MS, CONNECT_TIMEOUT_MS, api, newRequestKey, setSessionToken, type Failure } from "./api.js";
import { handshake, post, postEvent, type Mode } from "./bridge.js";
import { BrandMark, Button, Dialog, IconBack, IconClose, IconLock } from "./parts.js";
import { formatNaira } from "./money.js";
import {
  Accounts,
  Authorise,
  Banks,
  Consent,
  Credentials,
  ErrorScreen,
  Finished,
  Loading,
  Methods,
  Mfa,
  Paid,
  PayAccounts,
  PayIntro,
  PayPending,
  Returning,
  Review,
  Success,
  accountLabel,
  type ErrorAction,
  type ErrorView,
  type Notice,
} from "./screens.js";
import { applyBrand } from "./theme.js";
import { ConfirmWithdraw, MandateAuthorise, MandateConsent, MandateDone, PayerIntro, PayerMandates } from "./mandate-screens.js";

/**
 * The widget's flow: one stack of views (Back pops it), one request in flight at a time, and
 * every failure turned into a screen or an inline message that says what to do next.
 *
 * Standard flow: banks → login method (when the bank has several) → credentials → MFA (as many
 * challenges as the bank asks) → accounts → consent → connecting → success.
 * Returning user: returning → credentials of the picked account's bank → MFA → accounts (that
 * account preselected) → consent → …
 *
 * Payment mode (the session's `payment`): instant: banks → … → MFA → the account to pay from →
 * review (the amount typed here when open) → authorise (OTP or PIN) → paid, or confirming (the
 * bank has not decided: poll) → paid / a failure with its way forward. Returning: the account is
 * picked first, then only the login. A payment link opens on who is paid, for what and how much
 * (the amount typed there when the link leaves it open), then the banks. Quick Pay: the server logs in with the saved connection (the
 * code screen first if the bank asks) → review → authorise.
 */

type View =
  | { id: "loading"; text?: string }
  | { id: "banks"; banks: WidgetBank[] }
  | { id: "pay-intro" }
  | { id: "returning" }
  | { id: "method"; bank: WidgetBank }
  | { id: "credentials"; bank: WidgetBank; method: WidgetLoginMethod; accountId?: string; notice?: Notice }
  | { id: "mfa"; bank: WidgetBank; challenge: WidgetChallenge; notice?: Notice }
  | { id: "accounts"; bank: WidgetBank; accounts: WidgetBankAccount[] }
  | { id: "consent"; bank: WidgetBank; accountIds: string[]; notice?: Notice }
  | { id: "success"; result: ConnectResponse }
  | { id: "pay-accounts"; bank: WidgetBank; accounts: WidgetBankAccount[] }
  | { id: "review"; bank: WidgetBank; account: WidgetBankAccount; notice?: Notice }
  | { id: "authorise"; bank: WidgetBank; account: WidgetBankAccount; payment: WidgetPayment; notice?: Notice }
  | { id: "confirming"; bank: WidgetBank; account: WidgetBankAccount; payment: WidgetPayment }
  | { id: "paid"; payment: WidgetPayment; success: PaymentSuccess; from: string }
  | { id: "pay-pending"; payment: WidgetPayment }
  | { id: "payer-intro" }
  | { id: "mandate-accounts"; bank: WidgetBank; accounts: WidgetBankAccount[] }
  | { id: "mandate-consent"; bank: WidgetBank; account: WidgetBankAccount; notice?: Notice }
  | { id: "mandate-authorise"; bank: WidgetBank; account: WidgetBankAccount; mandate: WidgetMandate; notice?: Notice }
  | { id: "mandate-done"; mandate: WidgetMandate }
  | { id: "payer-list"; bank: WidgetBank; mandates: WidgetMandate[]; name: string | null; done: string | null; notice?: Notice }
  | { id: "payer-confirm"; bank: WidgetBank; mandate: WidgetMandate }
  | { id: "error"; error: ErrorView; fatal: boolean; replaced?: Keyed }
  | { id: "finished"; title: string; detail: string };

type Keyed = View & { key: number };

/** Views the person cannot go Back from (nothing to return to, or nothing left to do). */
const NO_BACK = new Set<View["id"]>(["loading", "success", "finished", "confirming", "paid", "pay-pending", "mandate-done", "payer-list"]);
/** The screens of one payment attempt (left behind when the person picks another account). */
const PAY_STEPS = new Set<View["id"]>(["error", "pay-accounts", "review", "authorise", "confirming"]);

/** How often a connect that found another still running asks again for its result. */
const CONNECTING_POLL_MS = 2_000;
/** How often the widget asks whether the bank decided a payment, and for how long before it says "still confirming". */
const PAYMENT_POLL_MS = 2_000;
const PAYMENT_POLL_LIMIT_MS = 120_000;

let serial = 0;
const keyed = (v: View): Keyed => ({ ...v, key: ++serial });

export function App({ mode }: { mode: Mode }) {
  const [stack, setStack] = useState<Keyed[]>(() => [keyed({ id: "loading" })]);
  const [session, setSession] = useState<CreateSessionResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  // Also in state: the returning-user screen colours its badges once the list arrives.
  const [banks, setBanks] = useState<WidgetBank[] | null>(null);
  // What outlives a render: the options (to start again), the bank list, the redirect.
  const flow = useRef({
    options: null as CreateSessionRequest | null,
    banks: null as WidgetBank[] | null,
    noticeN: 0,
    /** Payment mode: the amount typed on the review screen, the payment now waiting for its code, the account list to go back to. */
    amount: null as number | null,
    awaiting: null as string | null,
    accounts: null as { bank: WidgetBank; accounts: WidgetBankAccount[] } | null,
    /** Bumped to stop a poll when the person moves on. */
    poll: 0,
    /** The session, for steps that run before the render that puts it in state (Quick Pay's login). */
    session: null as CreateSessionResponse | null,
  });
  const view = stack[stack.length - 1]!;

  const push = (v: View) => setStack((s) => [...s, keyed(v)]);
  const replaceTop = (v: View) => setStack((s) => [...s.slice(0, -1), keyed(v)]);
  const reset = (...vs: View[]) => setStack(vs.map(keyed));
  const back = () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  /** Updates the top view in place (same key: the screen keeps its state and focus). */
  const patchTop = (patch: Partial<View>) => setStack((s) => [...s.slice(0, -1), { ...s[s.length - 1]!, ...patch } as Keyed]);
  const notice = (text: string): Notice => ({ text, n: ++flow.current.noticeN });

  useEffect(() => {
    if (!mode.framed) {
      void start(mode.options);
      return;
    }
    document.documentElement.classList.add("ready");
    void handshake().then((options) => {
      if (options) void start(options);
      else fatal("no_options", "NO_OPTIONS", "The page that opened the widget sent no options.", setupError("The page that opened this widget did not finish setting it up."));
    });
  }, []);

  // ---- errors -----------------------------------------------------------------------------

  function setupError(detail: string): ErrorView {
    return { reason: "invalid_key", title: "This widget is not set up correctly", detail, actions: [] };
  }

  /** Fatal: nothing the person can do here. Shown, and reported to the page as onError. */
  function fatal(type: string, code: string, message: string, errorView: ErrorView) {
    setBusy(false);
    post({ error: true, type, code, message });
    postEvent("error_shown", { reason: type, message: errorView.title });
    reset({ id: "error", error: errorView, fatal: true });
  }

  /** Shows a screen-level error over the current view (replacing it if it was only a wait). */
  function showError(errorView: ErrorView) {
    setBusy(false);
    postEvent("error_shown", { reason: errorView.reason, message: errorView.title });
    setStack((s) => {
      const top = s[s.length - 1]!;
      const transient = top.id === "loading";
      const errorKeyed = keyed({ id: "error", error: errorView, fatal: false, ...(transient ? { replaced: top } : {}) });
      return transient ? [...s.slice(0, -1), errorKeyed] : [...s, errorKeyed];
    });
  }

  /** "Try again": puts back what the error covered, then sends the same request again. */
  function retryAction(retry: () => void, label = "Try again"): ErrorAction {
    return {
      label,
      run: () => {
        setStack((s) => {
          const top = s[s.length - 1]!;
          if (top.id !== "error") return s;
          if (top.replaced) return [...s.slice(0, -1), keyed(top.replaced)];
          return s.length > 1 ? s.slice(0, -1) : s;
        });
        retry();
      },
    };
  }

  const chooseBank: ErrorAction = { label: "Choose another bank", run: () => void toBanks() };

  /**
   * Every failure, classified: `inline` shows it on the form the person is on (wrong password,
   * wrong code, bad input); everything else becomes a screen with its next steps.
   */
  function fail(err: unknown, ctx: { bank?: WidgetBank | null; retry: () => void; inline?: (text: string) => void; relogin?: () => void }) {
    setBusy(false);
    const f: Failure =
      err instanceof ApiError ? err.failure : { kind: "http", status: 0, code: "CLIENT_ERROR", reason: null, message: String(err), data: {} };
    const bank = ctx.bank?.name ?? "Your bank";
    const again = retryAction(ctx.retry);
    if (f.kind === "network") {
      return showError({ reason: "network", title: "You're offline", detail: "Check your connection, then try again. Nothing you entered is lost.", actions: [again] });
    }
    if (f.kind === "timeout") {
      return showError(
        ctx.bank
          ? { reason: "timeout", title: `${bank} is taking too long`, detail: `${bank} did not answer in time. Try again in a moment.`, actions: [again] }
          : { reason: "timeout", title: "This is taking too long", detail: "Check your connection, then try again.", actions: [again] },
      );
    }
    const left = typeof f.data.attempts_left === "number" ? f.data.attempts_left : null;
    const attempts = left === null ? "" : left === 0 ? " No attempts left." : ` ${left} ${left === 1 ? "attempt" : "attempts"} left.`;
    const inline = (text: string) => {
      postEvent("error_shown", { reason: f.reason ?? f.code, message: text });
      ctx.inline!(text);
    };
    const relogin: ErrorAction = { label: "Log in again", run: () => (ctx.relogin ?? ctx.retry)() };
    switch (f.reason) {
      case "invalid_key":
        return fatal("invalid_key", f.code, f.message, setupError(`Please tell ${session?.branding.name ?? "the business"}: their widget key was not accepted.`));
      case "unknown_link":
        return fatal("unknown_link", f.code, f.message, {
          reason: "unknown_link",
          title: "This link is not valid",
          detail: "It may have expired or been mistyped. Ask for a new link.",
          actions: [],
        });
      case "session_expired":
        return showError({
          reason: "session_expired",
          title: "This session has expired",
          detail: "For your security, sessions end after a while. Start again to connect your account.",
          actions: [{ label: "Start again", run: () => void start(flow.current.options ?? {}) }],
        });
      case "invalid_credentials":
        if (ctx.inline) return inline(`Wrong username or password.${attempts}`);
        break;
      case "invalid_otp":
        if (ctx.inline) return inline(`That code is wrong.${attempts}`);
        break;
      case "locked":
        return showError({
          reason: "locked",
          title: `Your ${bank} profile is locked`,
          detail: `${bank} has locked your online banking profile. Contact ${bank} to unlock it, or connect an account at another bank.`,
          actions: [chooseBank],
        });
      case "mfa_expired":
        return showError({ reason: "mfa_expired", title: "The code has expired", detail: "Log in again to get a new code.", actions: [relogin] });
      case "bank_session_expired":
        return showError({ reason: "bank_session_expired", title: `Your ${bank} login has timed out`, detail: "Log in again to continue.", actions: [relogin] });
      case "no_accounts":
        return showError({
          reason: "no_accounts",
          title: `No accounts to share at ${bank}`,
          detail: `We found no accounts we can connect at ${bank}. Try another bank.`,
          actions: [chooseBank],
        });
      case "flagged_user":
        return showError({
          reason: "flagged_user",
          title: `This ${bank} account can't be connected`,
          detail: `${session?.branding.name ?? "The business"} does not accept connections from this ${bank} profile. Contact them, or connect an account at another bank.`,
          actions: [chooseBank],
        });
      case "not_supported":
        return showError({ reason: "not_supported", title: `${bank} can't be connected this way`, detail: f.message, actions: [chooseBank] });
      case "bank_down":
        return showError({
          reason: "bank_down",
          title: `${bank} is unavailable right now`,
          detail: `${bank} is not answering at the moment. Choose another bank, or try again later.`,
          actions: [chooseBank, again],
        });
      case "bank_timeout":
        return showError({ reason: "bank_timeout", title: `${bank} is taking too long`, detail: `${bank} did not answer in time. Try again in a moment.`, actions: [again] });
      default:
        break;
    }
    if (f.status === 429) {
      return showError({ reason: "rate_limited", title: "Too many tries", detail: "Wait a minute, then try again.", actions: [again] });
    }
    if (f.status === 401) {
      return fatal(f.reason ?? "invalid_key", f.code, f.message, setupError(f.message));
    }
    if (f.status >= 400 && f.status < 500 && ctx.inline) return inline(f.message);
    showError({ reason: f.reason ?? f.code, title: "Something went wrong", detail: "Please try again. If it keeps happening, try later.", actions: [again] });
  }

  // ---- the flow -----------------------------------------------------------------------------

  async function start(options: CreateSessionRequest) {
    flow.current.options = options;
    flow.current.banks = null;
    setSessionToken(null);
    reset({ id: "loading" });
    const attempt = async () => {
      setBusy(true);
      let s: CreateSessionResponse;
      try {
        s = await api<CreateSessionResponse>("POST", "/api/sessions", options);
      } catch (err) {
        const f = err instanceof ApiError ? err.failure : null;
        // A payment link paid, expired or withdrawn since the page was opened.
        if (f?.kind === "http" && f.reason === "link_unavailable") {
          return fatal("link_unavailable", f.code, f.message, { reason: "link_unavailable", title: "This payment link can't be paid", detail: f.message.replace(/^payment_link: /, ""), actions: [] });
        }
        // A mandate's authorise page (`/mandate/<id>`) for one no longer waiting: its state, and no form.
        if (f?.kind === "http" && f.reason === "mandate_unavailable") {
          const status = typeof f.data.status === "string" ? f.data.status : "unknown";
          const given = ["awaiting_bank", "active", "paused"].includes(status);
          const title = given ? "Already authorised" : status === "unknown" ? "This authorisation link is not valid" : "This authorisation can no longer be given";
          return fatal("mandate_unavailable", f.code, f.message, { reason: "mandate_unavailable", title, detail: f.message.replace(/^mandate: /, ""), actions: [], ...(given ? { tone: "ok" as const } : {}) });
        }
        // A 4xx here is the merchant's set-up, not the person's doing.
        if (f?.kind === "http" && f.status >= 400 && f.status < 500 && f.status !== 429 && f.reason !== "unknown_link" && f.reason !== "invalid_key") {
          return fatal(f.reason ?? "invalid_options", f.code, f.message, setupError(f.message));
        }
        return fail(err, { retry: () => void attempt() });
      }
      setBusy(false);
      setSessionToken(s.session_token);
      applyBrand(s.branding.color);
      setSession(s);
      flow.current.session = s;
      postEvent("widget_opened", { env: s.env, app_id: s.app_id });
      // The session brings the bank list (one round trip less on a slow network).
      flow.current.banks = s.banks;
      setBanks(s.banks);
      if (s.payment?.quick_pay) return void quickPay(s);
      if (s.returning && s.returning.accounts.length > 0) {
        reset({ id: "returning" });
        return;
      }
      // A payment link: who is paid, for what and how much, before any bank.
      if (s.payment?.link) return reset({ id: "pay-intro" });
      // The payer's page: what it is for, before any bank.
      if (s.payer) return reset({ id: "payer-intro" });
      replaceTop({ id: "banks", banks: s.banks });
    };
    await attempt();
  }

  async function loadBanks(): Promise<WidgetBank[]> {
    const { banks } = await api<{ banks: WidgetBank[] }>("GET", "/api/banks");
    flow.current.banks = banks;
    setBanks(banks);
    return banks;
  }

  /** The bank list, fetched fresh (health changes); above the returning-user or payment-link screen if there is one. */
  async function toBanks() {
    setStack((s) => {
      const root = s[0];
      return root?.id === "returning" || root?.id === "pay-intro" || root?.id === "payer-intro" ? [root, keyed({ id: "loading" })] : [keyed({ id: "loading" })];
    });
    try {
      replaceTop({ id: "banks", banks: await loadBanks() });
    } catch (err) {
      fail(err, { retry: () => void toBanks() });
    }
  }

  function pickBank(bank: WidgetBank) {
    postEvent("bank_selected", { bank_id: bank.id, bank_slug: bank.slug, bank_name: bank.name });
    if (bank.login_methods.length > 1) push({ id: "method", bank });
    else if (bank.login_methods[0]) pickMethod(bank, bank.login_methods[0]);
  }

  function pickMethod(bank: WidgetBank, method: WidgetLoginMethod, accountId?: string) {
    postEvent("login_method_selected", { bank_id: bank.id, method: method.method });
    push({ id: "credentials", bank, method, ...(accountId ? { accountId } : {}) });
  }

  async function pickReturning(account: ReturningAccount) {
    let banks = flow.current.banks;
    if (!banks) {
      // (A retry finds its wait already on top.)
      setStack((s) => (s[s.length - 1]?.id === "loading" ? s : [...s, keyed({ id: "loading" })]));
      try {
        banks = await loadBanks();
      } catch (err) {
        return fail(err, { retry: () => void pickReturning(account) });
      }
      setStack((s) => (s[s.length - 1]?.id === "loading" ? s.slice(0, -1) : s));
    }
    const bank = banks.find((b) => b.id === account.bank_id);
    if (!bank || !bank.login_methods[0]) return void toBanks();
    postEvent("bank_selected", { bank_id: bank.id, bank_slug: bank.slug, bank_name: bank.name, returning: true });
    if (bank.health === "down") {
      return showError({
        reason: "bank_down",
        title: `${bank.name} is unavailable right now`,
        detail: bank.health_message ?? `${bank.name} is not answering at the moment.`,
        actions: [chooseBank, retryAction(() => void pickReturning(account))],
      });
    }
    pickMethod(bank, bank.login_methods[0], account.id);
  }

  /** Back to a fresh credentials screen for the same bank (after an expired code or bank session). */
  function relogin(bank: WidgetBank, method: WidgetLoginMethod, accountId?: string) {
    setStack((s) => {
      const i = s.findIndex((v) => v.id === "credentials");
      const base = i >= 0 ? s.slice(0, i) : s.slice(0, 1);
      return [...base, keyed({ id: "credentials", bank, method, ...(accountId ? { accountId } : {}) })];
    });
  }

  /**
   * Sends a login or an MFA answer and moves on with the bank's answer. One request key for every
   * try, so "Try again" after a lost reply resends the same step.
   */
  function bankStep(bank: WidgetBank, path: "/api/login" | "/api/mfa", body: LoginRequest | MfaRequest, submitted: () => void, again: () => void) {
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      submitted();
      try {
        const r = await api<LoginResponse>("POST", path, body, key, BANK_STEP_TIMEOUT_MS);
        setBusy(false);
        afterLogin(bank, r);
      } catch (err) {
        fail(err, {
          bank,
          retry: () => void attempt(),
          inline: (text) => patchTop({ notice: notice(text) }),
          relogin: again,
        });
      }
    };
    void attempt();
  }

  function login(bank: WidgetBank, method: WidgetLoginMethod, accountId: string | undefined, identifier: string, secret: string) {
    const body: LoginRequest = { bank_id: bank.id, method: method.method, identifier, secret, ...(accountId ? { account_id: accountId } : {}) };
    bankStep(
      bank,
      "/api/login",
      body,
      () => postEvent("login_submitted", { bank_id: bank.id, method: method.method }),
      () => relogin(bank, method, accountId),
    );
  }

  function afterLogin(bank: WidgetBank, r: LoginResponse) {
    if (r.step === "mfa") {
      postEvent("mfa_required", { bank_id: bank.id, kind: r.challenge.kind });
      // A second challenge replaces the first (Back from a code goes to the login).
      const v = keyed({ id: "mfa", bank, challenge: r.challenge });
      return setStack((s) => (s[s.length - 1]?.id === "mfa" ? [...s.slice(0, -1), v] : [...s, v]));
    }
    postEvent("accounts_listed", { bank_id: bank.id, count: r.accounts.length });
    if (r.accounts.length === 0) {
      return fail(new ApiError({ kind: "http", status: 422, code: "UNPROCESSABLE", reason: "no_accounts", message: "no accounts", data: {} }), {
        bank,
        retry: () => undefined,
      });
    }
    // A returning user picked their account before logging in: they only authenticate, so the
    // account step is skipped when the bank still lists that account.
    const picked = r.accounts.filter((a) => a.preselected);
    // Mandate mode: the account to debit (picked before logging in, or the only one) → what is authorised.
    if (flow.current.session?.mandate) {
      flow.current.accounts = { bank, accounts: r.accounts };
      const one = picked.length === 1 ? picked[0]! : r.accounts.length === 1 ? r.accounts[0]! : null;
      return setStack((s) => {
        const rest = s[s.length - 1]?.id === "mfa" || s[s.length - 1]?.id === "loading" ? s.slice(0, -1) : s;
        return [...rest, keyed(one ? { id: "mandate-consent", bank, account: one } : { id: "mandate-accounts", bank, accounts: r.accounts })];
      });
    }
    // The payer's page: the login proved who they are; their mandates with this business.
    if (flow.current.session?.payer) return void payerList(bank);
    if (flow.current.session?.payment) {
      flow.current.accounts = { bank, accounts: r.accounts };
      // One account to pay from (picked before logging in, or the only one): straight to review.
      const one = picked.length === 1 ? picked[0]! : r.accounts.length === 1 ? r.accounts[0]! : null;
      return setStack((s) => {
        const rest = s[s.length - 1]?.id === "mfa" || s[s.length - 1]?.id === "loading" ? s.slice(0, -1) : s;
        return [...rest, keyed(one ? { id: "review", bank, account: one } : { id: "pay-accounts", bank, accounts: r.accounts })];
      });
    }
    // Back from the accounts (or consent) goes to the login, not to an answered code.
    setStack((s) => {
      const rest = s[s.length - 1]?.id === "mfa" ? s.slice(0, -1) : s;
      if (picked.length === 1) return [...rest, keyed({ id: "consent", bank, accountIds: [picked[0]!.id] })];
      return [...rest, keyed({ id: "accounts", bank, accounts: r.accounts })];
    });
  }

  function answerMfa(bank: WidgetBank, challenge: WidgetChallenge, answer: string) {
    const cred = stack.find((v) => v.id === "credentials");
    bankStep(
      bank,
      "/api/mfa",
      { answer },
      () => postEvent("mfa_submitted", { bank_id: bank.id, kind: challenge.kind }),
      () => (cred && cred.id === "credentials" ? relogin(cred.bank, cred.method, cred.accountId) : session?.payment?.quick_pay ? void quickPay(session) : void toBanks()),
    );
  }

  function connect(bank: WidgetBank, accountIds: string[], debit: PaymentAuthorizationInput | null = null) {
    postEvent("consent_given", { bank_id: bank.id, account_count: accountIds.length, payment_consent: debit !== null });
    const body: ConnectRequest = { account_ids: accountIds, consent: true, ...(debit ? { payment_authorization: debit } : {}) };
    // Connect is idempotent on the backend; the same key makes a retry a replay, not a second link.
    const key = newRequestKey();
    // Where "Log in again" goes when the bank login lapsed while the person read the consent.
    const cred = stack.find((v) => v.id === "credentials");
    // With a code to check, the consent screen stays (a wrong code is shown on it, the choice kept).
    if (!debit) push({ id: "loading", text: "Connecting your account…" });
    const attempt = async () => {
      setBusy(true);
      try {
        const result = await api<ConnectResponse>("POST", "/api/connect", body, key, CONNECT_TIMEOUT_MS);
        setBusy(false);
        post({ success: true, ...result });
        postEvent("connected", { record_id: result.record_id, bank_id: result.bank_id, relinked: result.relinked, consents: result.consents.length });
        reset({ id: "success", result });
      } catch (err) {
        // A retry that meets the first connect still pulling the bank's data: keep waiting on
        // "Connecting your account…" and ask again, rather than an error over a link in progress.
        if (err instanceof ApiError && err.failure.kind === "http" && err.failure.reason === "connecting") {
          setTimeout(() => void attempt(), CONNECTING_POLL_MS);
          return;
        }
        // Connected, but the debit permission was not given (wrong code, bank down): the code is
        // asked again here, or the person goes on without it.
        if (debit && err instanceof ApiError && err.failure.kind === "http" && err.failure.data.connected === true) {
          const f = err.failure;
          const left = typeof f.data.attempts_left === "number" ? ` ${f.data.attempts_left} ${f.data.attempts_left === 1 ? "attempt" : "attempts"} left.` : "";
          if (f.reason === "invalid_otp") {
            setBusy(false);
            postEvent("error_shown", { reason: "invalid_otp", message: "wrong payment consent code" });
            return patchTop({ notice: notice(`That code is wrong.${left}`) });
          }
          return showError({
            reason: f.reason ?? f.code,
            title: "Debit permission not set up",
            detail: `Your account is connected, but ${bank.name} did not confirm the debit permission. Try again, or continue without it.`,
            actions: [retryAction(() => void attempt()), { label: "Continue without it", run: () => connect(bank, accountIds, null) }],
          });
        }
        // The error replaces the wait; "Try again" puts the wait back and replays the request.
        // "Log in again" (the bank session lapsed) goes back to the login: replaying the connect
        // with the dead bank session would only fail the same way.
        fail(err, {
          bank,
          retry: () => void attempt(),
          relogin: () => (cred && cred.id === "credentials" ? relogin(cred.bank, cred.method, cred.accountId) : void toBanks()),
        });
      }
    };
    void attempt();
  }

  // ---- payments -----------------------------------------------------------------------------

  /** Quick Pay: the saved connection logs in (a code first if the bank asks), then review. */
  async function quickPay(s: CreateSessionResponse) {
    const qp = s.payment?.quick_pay;
    if (!qp) return;
    const bank = qp.bank;
    postEvent("bank_selected", { bank_id: bank.id, bank_slug: bank.slug, bank_name: bank.name, quick_pay: true });
    reset({ id: "loading", text: `Connecting to ${bank.name}…` });
    setBusy(true);
    try {
      const r = await api<LoginResponse>("POST", "/api/quick-pay", {}, newRequestKey(), BANK_STEP_TIMEOUT_MS);
      setBusy(false);
      afterLogin(bank, r);
    } catch (err) {
      const f = err instanceof ApiError && err.failure.kind === "http" ? err.failure : null;
      // The saved login no longer works: the person logs in to that bank themselves.
      if (f?.reason === "quick_pay_unavailable" && bank.login_methods[0]) {
        setBusy(false);
        postEvent("error_shown", { reason: "quick_pay_unavailable", message: f.message });
        return reset({ id: "credentials", bank, method: bank.login_methods[0], accountId: qp.account.id, notice: notice(f.message) });
      }
      fail(err, { bank, retry: () => void quickPay(s) });
    }
  }

  function pickPayAccount(bank: WidgetBank, account: WidgetBankAccount) {
    push({ id: "review", bank, account });
  }

  /** "Pay ₦X": creates the payment (the same one again on a double click or a retry), then the code. */
  function createPayment(bank: WidgetBank, account: WidgetBankAccount, amount: number) {
    flow.current.amount = amount;
    postEvent("payment_review", { bank_id: bank.id, amount });
    const body: CreatePaymentRequest = { account_id: account.id, ...(session?.payment?.amount === null ? { amount } : {}) };
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      try {
        const r = await api<PaymentResponse>("POST", "/api/payments", body, key, CONNECT_TIMEOUT_MS);
        setBusy(false);
        flow.current.awaiting = r.payment.state === "awaiting_authorisation" ? r.payment.id : null;
        postEvent("payment_created", { payment_id: r.payment.id, amount: r.payment.amount, currency: r.payment.currency });
        afterPayment(bank, account, r, true);
      } catch (err) {
        if (err instanceof ApiError && err.failure.kind === "http" && err.failure.reason === "connecting") {
          setTimeout(() => void attempt(), CONNECTING_POLL_MS);
          return;
        }
        payFail(err, bank, account, () => void attempt());
      }
    };
    void attempt();
  }

  /** Where a payment answer leads: the code, the wait for the bank, or the result. */
  function afterPayment(bank: WidgetBank, account: WidgetBankAccount, r: PaymentResponse, created = false) {
    const p = r.payment;
    if (r.success) return paid(r.success, p, `${bank.name} ${accountLabel(account)}`);
    if (p.state === "awaiting_authorisation") {
      const v = keyed({ id: "authorise", bank, account, payment: p });
      return setStack((s) => (created ? [...s, v] : [...s.slice(0, -1), v]));
    }
    confirming(bank, account, p);
  }

  function authorise(bank: WidgetBank, account: WidgetBankAccount, payment: WidgetPayment, auth: PaymentAuthorizationInput) {
    postEvent("payment_authorisation_submitted", { payment_id: payment.id, method: auth.otp !== undefined ? "otp" : "pin" });
    const body: AuthorisePaymentRequest = { payment_id: payment.id, ...auth };
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      try {
        const r = await api<PaymentResponse>("POST", "/api/payments/authorise", body, key, BANK_STEP_TIMEOUT_MS);
        setBusy(false);
        flow.current.awaiting = null;
        afterPayment(bank, account, r);
      } catch (err) {
        payFail(err, bank, account, () => void attempt(), payment);
      }
    };
    void attempt();
  }

  /** The bank has the payment but has not said how it went: ask every few seconds, for a while. */
  function confirming(bank: WidgetBank, account: WidgetBankAccount, payment: WidgetPayment) {
    flow.current.awaiting = null;
    postEvent("payment_confirming", { payment_id: payment.id, state: payment.state });
    setStack((s) => [...s.filter((v) => v.id !== "authorise" && v.id !== "confirming"), keyed({ id: "confirming", bank, account, payment })]);
    const token = ++flow.current.poll;
    const until = Date.now() + PAYMENT_POLL_LIMIT_MS;
    const tick = async () => {
      if (flow.current.poll !== token) return;
      try {
        const r = await api<PaymentResponse>("GET", `/api/payments/${payment.id}`);
        if (flow.current.poll !== token) return;
        const p = r.payment;
        if (r.success) return paid(r.success, p, `${bank.name} ${accountLabel(account)}`);
        if (p.state !== "processing" && p.state !== "unknown") {
          flow.current.poll++;
          return paymentEnded(bank, account, p);
        }
      } catch {
        // A poll that failed (offline a moment) is just asked again.
      }
      if (Date.now() > until) {
        flow.current.poll++;
        postEvent("payment_pending", { payment_id: payment.id });
        return reset({ id: "pay-pending", payment });
      }
      setTimeout(() => void tick(), PAYMENT_POLL_MS);
    };
    setTimeout(() => void tick(), PAYMENT_POLL_MS);
  }

  function paid(success: PaymentSuccess, payment: WidgetPayment, from: string) {
    flow.current.awaiting = null;
    flow.current.poll++;
    setBusy(false);
    post({ success: true, ...success });
    postEvent("payment_succeeded", { payment_id: payment.id, amount: payment.amount, status: payment.status });
    reset({ id: "paid", payment, success, from });
  }

  /** A payment the bank decided against, found by polling: the same screens as an answer to authorise. */
  function paymentEnded(bank: WidgetBank, account: WidgetBankAccount, p: WidgetPayment) {
    const reason = p.failure?.code === "1013" || /insufficient/i.test(p.failure?.message ?? "") ? "insufficient_funds" : "payment_failed";
    payFail(
      new ApiError({ kind: "http", status: 422, code: "UNPROCESSABLE", reason, message: p.failure?.message ?? "The payment did not go through", data: { payment: p } }),
      bank,
      account,
      () => undefined,
    );
  }

  /** Every payment failure, with its way forward. */
  function payFail(err: unknown, bank: WidgetBank, account: WidgetBankAccount, retry: () => void, payment?: WidgetPayment) {
    const f = err instanceof ApiError && err.failure.kind === "http" ? err.failure : null;
    const failed = (f?.data.payment ?? null) as WidgetPayment | null;
    const anotherBank: ErrorAction = { label: "Pay from another bank", run: () => void toBanks() };
    const listed = flow.current.accounts;
    const others = listed && listed.bank.id === bank.id ? listed.accounts.filter((a) => a.id !== account.id) : [];
    const anotherAccount: ErrorAction | null =
      others.length > 0
        ? {
            label: "Choose another account",
            run: () => setStack((s) => [...s.filter((v) => !PAY_STEPS.has(v.id)), keyed({ id: "pay-accounts", bank, accounts: listed!.accounts })]),
          }
        : null;
    const ended = (title: string, detail: string, actions: ErrorAction[]) => {
      setBusy(false);
      flow.current.awaiting = null;
      post({ error: true, type: f?.reason ?? "payment_failed", code: f?.code ?? "UNPROCESSABLE", message: f?.message ?? title, ...(failed ? { payment: failed } : {}) });
      postEvent("payment_failed", { reason: f?.reason ?? "payment_failed", payment_id: failed?.id ?? payment?.id ?? null });
      postEvent("error_shown", { reason: f?.reason ?? "payment_failed", message: title });
      // The attempt is over: Back from here goes to the review, not to a code for a dead payment.
      setStack((s) => [...s.filter((v) => v.id !== "authorise" && v.id !== "confirming" && v.id !== "error"), keyed({ id: "error", error: { reason: f?.reason ?? "payment_failed", title, detail, actions }, fatal: false })]);
    };
    const backToReview: ErrorAction = {
      label: "Try again",
      run: () => setStack((s) => [...s.filter((v) => v.id !== "error" && v.id !== "authorise" && v.id !== "confirming"), ...(s.some((v) => v.id === "review") ? [] : [keyed({ id: "review", bank, account })])]),
    };
    switch (f?.reason) {
      case "invalid_otp": {
        setBusy(false);
        const left = typeof f.data.attempts_left === "number" ? f.data.attempts_left : null;
        const text = `That code is wrong.${left === null ? "" : left === 0 ? " No attempts left." : ` ${left} ${left === 1 ? "attempt" : "attempts"} left.`}`;
        postEvent("error_shown", { reason: "invalid_otp", message: text });
        return patchTop({ notice: notice(text) });
      }
      case "insufficient_funds":
        return ended(
          "Not enough money in this account",
          `Your ${bank.name} account ${accountLabel(account)} does not have enough money for this payment. Nothing was taken.`,
          [...(anotherAccount ? [anotherAccount] : []), anotherBank],
        );
      case "limit_exceeded":
        return ended("This payment is over your limit", `${bank.name} says this payment is above the account's limit. Nothing was taken.`, [
          ...(anotherAccount ? [anotherAccount] : []),
          anotherBank,
        ]);
      case "payment_failed":
        return ended("The payment did not go through", `${bank.name} declined it${f.message ? `: ${f.message}` : "."} Nothing was taken.`, [backToReview, anotherBank]);
      case "payment_cancelled":
        return ended("This payment was cancelled", "Start the payment again when you are ready.", [backToReview]);
      case "authorising": {
        // Already with the bank (a second tab, a double click): wait for its answer.
        const withBank = failed ?? payment;
        if (withBank) return confirming(bank, account, withBank);
        return fail(err, { bank, retry });
      }
      case "bank_down":
        // Nothing moved and the payment still waits for a code: "Try again" asks for it again.
        return showError({
          reason: "bank_down",
          title: `${bank.name} is unavailable right now`,
          detail: `${bank.name} is not answering at the moment. Nothing was taken. Try again, or pay from another bank.`,
          actions: [
            { label: "Try again", run: () => setStack((s) => s.filter((v) => v.id !== "error")) },
            anotherBank,
          ],
        });
      case "link_unavailable":
        return fatal("link_unavailable", f.code, f.message, { reason: "link_unavailable", title: "This payment link can't be paid", detail: f.message.replace(/^payment_link: /, ""), actions: [] });
      case "bank_session_expired":
        return showError({
          reason: "bank_session_expired",
          title: `Your ${bank.name} login has timed out`,
          detail: "Log in again to pay. Nothing was taken.",
          actions: [
            {
              label: "Log in again",
              run: () => {
                const cred = stack.find((v) => v.id === "credentials");
                if (cred && cred.id === "credentials") relogin(cred.bank, cred.method, cred.accountId);
                else if (session?.payment?.quick_pay) void quickPay(session);
                else void toBanks();
              },
            },
          ],
        });
      default:
        return fail(err, { bank, retry, inline: (text) => patchTop({ notice: notice(text) }) });
    }
  }

  // ---- mandate mode -----------------------------------------------------------------------------

  /** "Agree and continue": links the account and creates the mandate (the same one again on a retry), then the bank's code. */
  function createMandate(bank: WidgetBank, account: WidgetBankAccount) {
    postEvent("mandate_review", { bank_id: bank.id });
    const body: CreateMandateRequest = { account_id: account.id };
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      try {
        const r = await api<MandateResponse>("POST", "/api/mandates", body, key, CONNECT_TIMEOUT_MS);
        setBusy(false);
        // A recurring payment link's mandate is made by the authorisation: nothing is created yet.
        if (r.mandate.id) postEvent("mandate_created", { mandate_id: r.mandate.id });
        if (r.success) return mandateAuthorised(r);
        push({ id: "mandate-authorise", bank, account, mandate: r.mandate });
      } catch (err) {
        if (err instanceof ApiError && err.failure.kind === "http" && err.failure.reason === "connecting") {
          setTimeout(() => void attempt(), CONNECTING_POLL_MS);
          return;
        }
        fail(err, { bank, retry: () => void attempt(), inline: (text) => patchTop({ notice: notice(text) }), relogin: () => void toBanks() });
      }
    };
    void attempt();
  }

  function authoriseMandate(bank: WidgetBank, mandate: WidgetMandate, auth: PaymentAuthorizationInput) {
    postEvent("mandate_authorisation_submitted", { mandate_id: mandate.id || null, method: auth.otp !== undefined ? "otp" : "pin" });
    // No id yet for a recurring payment link (the authorisation makes its mandate).
    const body: AuthoriseMandateRequest = { ...(mandate.id ? { mandate_id: mandate.id } : {}), ...auth };
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      try {
        const r = await api<MandateResponse>("POST", "/api/mandates/authorise", body, key, BANK_STEP_TIMEOUT_MS);
        setBusy(false);
        mandateAuthorised(r);
      } catch (err) {
        fail(err, { bank, retry: () => void attempt(), inline: (text) => patchTop({ notice: notice(text) }), relogin: () => void toBanks() });
      }
    };
    void attempt();
  }

  /** Authorised: onSuccess with the authorization, then the done screen. */
  function mandateAuthorised(r: MandateResponse) {
    if (r.success) post({ success: true, ...r.success });
    postEvent("mandate_authorised", { mandate_id: r.mandate.id, status: r.mandate.status });
    reset({ id: "mandate-done", mandate: r.mandate });
  }

  // ---- the payer's page -------------------------------------------------------------------------

  async function payerList(bank: WidgetBank, message?: string) {
    setBusy(true);
    try {
      const r = await api<PayerMandatesResponse>("GET", "/api/payer/mandates");
      setBusy(false);
      reset({ id: "payer-list", bank, mandates: r.mandates, name: r.customer?.name ?? null, done: message ?? null });
    } catch (err) {
      fail(err, { bank, retry: () => void payerList(bank, message) });
    }
  }

  function withdraw(bank: WidgetBank, mandate: WidgetMandate) {
    const body: WithdrawMandateRequest = { mandate_id: mandate.id };
    const key = newRequestKey();
    const attempt = async () => {
      setBusy(true);
      try {
        await api<{ mandate: WidgetMandate }>("POST", "/api/payer/mandates/withdraw", body, key);
        postEvent("mandate_withdrawn", { mandate_id: mandate.id });
        await payerList(bank, `Withdrawn. ${mandate.merchant} can no longer debit ${mandate.bank_name} ${mandate.nuban_masked} under it.`);
      } catch (err) {
        fail(err, { bank, retry: () => void attempt(), inline: (text) => patchTop({ notice: notice(text) }) });
      }
    };
    void attempt();
  }

  // ---- leaving --------------------------------------------------------------------------------

  function redirectUrl(): URL | null {
    // Only the app's own redirect (set in the dashboard, sent by the backend with the session).
    // Never a `redirect_url` from the page's URL: anyone can put one on a link to any merchant's
    // widget, and the person — just back from their bank's login, on a page they trust — would be
    // sent on to that site with their record and customer ids.
    const raw = session?.redirect_url;
    if (typeof raw !== "string" || !raw) return null;
    try {
      const url = new URL(raw);
      return url.protocol === "https:" || url.protocol === "http:" ? url : null;
    } catch {
      return null;
    }
  }

  /** Leaves: the loader removes the iframe; full page goes to redirect_url or says so. */
  async function leave(outcome: "success" | "cancelled" | "pending") {
    setAsking(false);
    flow.current.poll++;
    // Leaving before authorising: the payment waiting for a code is cancelled (briefly waited for).
    const waiting = flow.current.awaiting;
    if (outcome === "cancelled" && waiting) {
      flow.current.awaiting = null;
      await api("POST", "/api/payments/cancel", { payment_id: waiting }, newRequestKey(), 5_000).then(
        () => postEvent("payment_cancelled", { payment_id: waiting }),
        () => undefined,
      );
    }
    if (mode.framed) {
      post({ beforeClose: true });
      post({ close: true });
    } else {
      const url = redirectUrl();
      if (url) {
        url.searchParams.set("status", outcome);
        if (outcome === "success" && view.id === "success") {
          url.searchParams.set("record_id", view.result.record_id);
          url.searchParams.set("customer_id", view.result.customer_id);
        }
        if (outcome === "success" && view.id === "paid") {
          url.searchParams.set("payment_id", view.payment.id);
          if (view.payment.reference) url.searchParams.set("reference", view.payment.reference);
        }
        location.assign(url.toString());
        return;
      }
    }
    const paying = Boolean(session?.payment);
    if (session?.mandate || session?.payer) {
      return reset(
        outcome === "success"
          ? { id: "finished", title: "All done", detail: session.payer ? "You can close this page." : "Your authorisation is recorded. You can close this page." }
          : { id: "finished", title: session.payer ? "You left" : "You left without authorising", detail: session.payer ? "Nothing was changed. You can close this page." : "Nothing was authorised. You can close this page." },
      );
    }
    reset(
      outcome === "success"
        ? { id: "finished", title: "All done", detail: paying ? "Your payment is complete. You can close this page." : "Your account is connected. You can close this page." }
        : outcome === "pending"
          ? { id: "finished", title: "Your bank is confirming the payment", detail: "You'll hear from the business when it is done. Please don't pay again. You can close this page." }
          : paying
            ? { id: "finished", title: "You left without paying", detail: "Nothing was paid. You can close this page." }
            : { id: "finished", title: "You left without connecting", detail: "Nothing was shared. You can close this page." },
    );
  }

  function requestClose() {
    if (view.id === "success" || view.id === "paid" || view.id === "mandate-done") return void leave("success");
    if (view.id === "pay-pending") return void leave("pending");
    if (view.id === "finished") return mode.framed ? void leave("cancelled") : undefined;
    postEvent("close_requested", { screen: view.id });
    setAsking(true);
  }

  // ---- render ---------------------------------------------------------------------------------

  const bankColor = (id: string) => banks?.find((b) => b.id === id)?.color ?? "#5b6670";
  const canGoBack = stack.length > 1 && !NO_BACK.has(view.id) && !(view.id === "error" && view.fatal);

  let screen;
  switch (view.id) {
    case "loading":
      screen = <Loading text={view.text} />;
      break;
    case "banks":
      screen = <Banks banks={view.banks} onPick={pickBank} />;
      break;
    case "pay-intro":
      screen = session?.payment ? (
        <PayIntro
          payment={session.payment}
          logo={session.branding.logo}
          amount={flow.current.amount}
          onContinue={(amount) => {
            if (amount !== null) flow.current.amount = amount;
            push({ id: "banks", banks: flow.current.banks ?? session.banks });
          }}
        />
      ) : null;
      break;
    case "returning":
      screen = session?.returning ? (
        <Returning
          name={session.returning.name}
          paying={Boolean(session.payment)}
          accounts={session.returning.accounts}
          colorOf={bankColor}
          onPick={(a) => void pickReturning(a)}
          onOther={() => void toBanks()}
        />
      ) : null;
      break;
    case "method":
      screen = <Methods bank={view.bank} onPick={(m) => pickMethod(view.bank, m)} />;
      break;
    case "credentials":
      screen = (
        <Credentials
          bank={view.bank}
          method={view.method}
          notice={view.notice}
          busy={busy}
          hint={session?.sandbox_hint ?? null}
          onSubmit={(identifier, secret) => login(view.bank, view.method, view.accountId, identifier, secret)}
        />
      );
      break;
    case "mfa":
      screen = <Mfa challenge={view.challenge} notice={view.notice} busy={busy} onSubmit={(a) => answerMfa(view.bank, view.challenge, a)} />;
      break;
    case "accounts":
      screen = <Accounts bank={view.bank} accounts={view.accounts} onContinue={(ids) => push({ id: "consent", bank: view.bank, accountIds: ids })} />;
      break;
    case "consent":
      screen = session ? (
        <Consent
          session={session}
          bank={view.bank}
          count={view.accountIds.length}
          debit={session.products.includes("payments") && view.bank.payments ? { notice: view.notice, busy } : null}
          onAllow={(debit) => connect(view.bank, view.accountIds, debit)}
          onCancel={requestClose}
        />
      ) : null;
      break;
    case "success":
      screen = <Success name={session?.branding.name ?? "the business"} result={view.result} onDone={() => void leave("success")} />;
      break;
    case "pay-accounts":
      screen = <PayAccounts bank={view.bank} accounts={view.accounts} onPick={(a) => pickPayAccount(view.bank, a)} />;
      break;
    case "review":
      screen = session?.payment ? (
        <Review
          payment={session.payment}
          bank={view.bank}
          account={accountLabel(view.account)}
          amount={flow.current.amount}
          notice={view.notice}
          busy={busy}
          onPay={(amount) => createPayment(view.bank, view.account, amount)}
        />
      ) : null;
      break;
    case "authorise":
      screen = (
        <Authorise
          bank={view.bank}
          payment={view.payment}
          merchant={session?.payment?.merchant ?? "the business"}
          notice={view.notice}
          busy={busy}
          hint={session?.sandbox_payment_auth ?? null}
          onSubmit={(auth) => authorise(view.bank, view.account, view.payment, auth)}
        />
      );
      break;
    case "confirming":
      screen = <Loading text={`We're confirming your payment of ${formatNaira(view.payment.amount)} with ${view.bank.name}…`} />;
      break;
    case "paid":
      screen = <Paid payment={view.payment} merchant={session?.payment?.merchant ?? "the business"} from={view.from} onDone={() => void leave("success")} />;
      break;
    case "pay-pending":
      screen = <PayPending payment={view.payment} merchant={session?.payment?.merchant ?? "the business"} onDone={() => void leave("pending")} />;
      break;
    case "payer-intro":
      screen = <PayerIntro merchant={session?.payer?.merchant ?? "the business"} onContinue={() => push({ id: "banks", banks: flow.current.banks ?? session?.banks ?? [] })} />;
      break;
    case "mandate-accounts":
      screen = <PayAccounts bank={view.bank} accounts={view.accounts} title="Choose the account to debit" onPick={(a) => push({ id: "mandate-consent", bank: view.bank, account: a })} />;
      break;
    case "mandate-consent":
      screen = session?.mandate ? (
        <MandateConsent
          mandate={session.mandate}
          bank={view.bank}
          account={accountLabel(view.account)}
          notice={view.notice}
          busy={busy}
          onAllow={() => createMandate(view.bank, view.account)}
          onCancel={requestClose}
        />
      ) : null;
      break;
    case "mandate-authorise":
      screen = (
        <MandateAuthorise
          bank={view.bank}
          merchant={session?.mandate?.merchant ?? "the business"}
          notice={view.notice}
          busy={busy}
          hint={session?.sandbox_payment_auth ?? null}
          onSubmit={(auth) => authoriseMandate(view.bank, view.mandate, auth)}
        />
      );
      break;
    case "mandate-done":
      screen = (
        <MandateDone
          mandate={view.mandate}
          sweep={session?.mandate?.kind === "sweep"}
          onDone={() => void leave("success")}
          // A sweep consent covers accounts at several banks: the same options again, another bank (a new session each).
          onAnother={session?.mandate?.kind === "sweep" && flow.current.options ? () => void start(flow.current.options!) : undefined}
        />
      );
      break;
    case "payer-list":
      screen = (
        <PayerMandates
          merchant={session?.payer?.merchant ?? "the business"}
          name={view.name}
          mandates={view.mandates}
          notice={view.notice}
          done={view.done}
          onWithdraw={(m) => push({ id: "payer-confirm", bank: view.bank, mandate: m })}
        />
      );
      break;
    case "payer-confirm":
      screen = <ConfirmWithdraw mandate={view.mandate} busy={busy} onConfirm={() => withdraw(view.bank, view.mandate)} onKeep={back} />;
      break;
    case "error":
      screen = <ErrorScreen error={view.error} />;
      break;
    case "finished":
      screen = <Finished title={view.title} detail={view.detail} />;
      break;
  }

  const sandbox = session?.env === "production-sandbox";
  return (
    <div class="shell">
      <div class="card" inert={asking} aria-hidden={asking ? "true" : undefined}>
        <header class="top">
          {session ? (
            <span class="brand">
              <BrandMark key={session.branding.logo ?? ""} name={session.branding.name} logo={session.branding.logo} />
              <span class="brand-name">{session.branding.name}</span>
            </span>
          ) : (
            <span class="brand" />
          )}
          {sandbox && <span class="pill">Sandbox</span>}
          <button type="button" class="icon-btn" aria-label="Close" onClick={requestClose}>
            <IconClose />
          </button>
        </header>
        <main class="body">
          {canGoBack && (
            <button type="button" class="back" disabled={busy} onClick={back}>
              <IconBack />
              Back
            </button>
          )}
          <div class="screen" key={view.key}>
            {screen}
          </div>
        </main>
        <footer class="foot">
          <IconLock /> Secured by Okro
        </footer>
      </div>
      {asking && (
        <Dialog
          title={view.id === "confirming" ? "Leave while your bank confirms?" : session?.payer ? "Leave this page?" : session?.mandate ? "Leave without authorising?" : session?.payment ? "Leave without paying?" : "Leave without connecting?"}
          onDismiss={() => setAsking(false)}
        >
          <p>
            {view.id === "confirming"
              ? "Your bank has the payment and is confirming it. If you leave, the business will still be told the result. Please don't pay again."
              : session?.payer
                ? "Nothing more will change. You can come back any time."
                : session?.mandate
                  ? "You have not authorised any debits. If you leave now, nothing is authorised and you will need to start again."
                  : session?.payment
                ? "You have not paid yet. If you leave now, nothing is paid and you will need to start again."
                : "Your account is not connected yet. If you leave now, nothing is shared and you will need to start again."}
          </p>
          <div class="actions">
            <Button onClick={() => void leave(view.id === "confirming" ? "pending" : "cancelled")}>Leave</Button>
            <Button kind="secondary" autoFocus onClick={() => setAsking(false)}>
              Stay
            </Button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
