import { useEffect, useRef, useState } from "preact/hooks";
import type {
  ConnectResponse,
  CreateSessionResponse,
  PaymentAuthorizationInput,
  ReturningAccount,
  SessionPayment,
  WidgetBank,
  WidgetBankAccount,
  WidgetChallenge,
  WidgetLoginMethod,
  WidgetPayment,
} from "../protocol.js";
import { searchBanks } from "./bank-search.js";
import { formatNaira, parseNaira } from "./money.js";
import { BankBadge, BrandMark, Button, Heading, IconAlert, IconCheck, IconSearch, InlineAlert, Status } from "./parts.js";

/**
 * The screens, as pure views: each gets what it shows and callbacks for what the person does.
 * Accessible names here are a contract (browser tests select by role and name): change them
 * only together with test/browser.
 */

const last4 = (nuban: string) => nuban.slice(-4);
export const accountLabel = (a: { name: string; nuban: string }) => `${a.name} ••••${last4(a.nuban)}`;

/** An inline error on a form screen; `n` changes with every new one (so the same text twice still counts). */
export interface Notice {
  text: string;
  n: number;
}

export function Loading({ text = "Loading…" }: { text?: string }) {
  return <Status>{text}</Status>;
}

export function Banks(props: { banks: WidgetBank[]; onPick: (bank: WidgetBank) => void }) {
  const [query, setQuery] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const shown = searchBanks(props.banks, query);
  // "No bank matches": back to the whole list, with the cursor in the search to try another name.
  const showAll = () => {
    setQuery("");
    input.current?.focus();
  };
  return (
    <>
      <Heading>Select your bank</Heading>
      {props.banks.length === 0 ? (
        <p class="empty">No banks are available yet. Please try again later.</p>
      ) : (
        <>
          <div class="search">
            <label class="label" for="bank-search">
              Search banks
            </label>
            <div class="search-box">
              <IconSearch />
              <input
                ref={input}
                id="bank-search"
                type="search"
                autocomplete="off"
                autocapitalize="none"
                spellcheck={false}
                value={query}
                onInput={(e) => setQuery(e.currentTarget.value)}
              />
            </div>
          </div>
          <div aria-live="polite">
            {shown.length === 0 && (
              <div class="empty">
                <p>No bank matches “{query.trim()}”.</p>
                <Button kind="secondary" onClick={showAll}>
                  Show all banks
                </Button>
              </div>
            )}
          </div>
          <ul class="list">
            {shown.map((bank) => (
              <li key={bank.id}>
                <BankButton bank={bank} onPick={props.onPick} />
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function BankButton({ bank, onPick }: { bank: WidgetBank; onPick: (bank: WidgetBank) => void }) {
  const down = bank.health === "down";
  return (
    <button type="button" class="row" disabled={down} onClick={() => onPick(bank)}>
      <BankBadge name={bank.name} color={bank.color} />
      <span class="row-text">
        <span class="row-title">{bank.name}</span>
        {bank.health === "degraded" && (
          <span class="note warn">
            Slow right now{bank.health_message ? <span class="sub"> · {bank.health_message}</span> : null}
          </span>
        )}
        {down && (
          <span class="note">
            <strong>Unavailable</strong>
            {bank.health_message ? <span class="sub"> · {bank.health_message}</span> : null}
          </span>
        )}
      </span>
      {!down && <Chevron />}
    </button>
  );
}

const Chevron = () => (
  <svg class="chev" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" aria-hidden="true" focusable="false">
    <path d="M9 5l7 7-7 7" />
  </svg>
);

export function Methods(props: { bank: WidgetBank; onPick: (method: WidgetLoginMethod) => void }) {
  return (
    <>
      <Heading>How do you log in to {props.bank.name}?</Heading>
      <p class="muted">Choose the details you normally use with {props.bank.name}.</p>
      <ul class="list">
        {props.bank.login_methods.map((m) => (
          <li key={m.method}>
            <button type="button" class="row" onClick={() => props.onPick(m)}>
              <span class="row-text">
                <span class="row-title">{m.label}</span>
              </span>
              <Chevron />
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

export function Credentials(props: {
  bank: WidgetBank;
  method: WidgetLoginMethod;
  notice: Notice | undefined;
  busy: boolean;
  hint: CreateSessionResponse["sandbox_hint"];
  onSubmit: (identifier: string, secret: string) => void;
}) {
  const { bank, method } = props;
  const [identifier, setIdentifier] = useState("");
  const [secret, setSecret] = useState("");
  const [reveal, setReveal] = useState(false);
  const [missing, setMissing] = useState<string | null>(null);
  const secretRef = useRef<HTMLInputElement>(null);
  // A wrong password clears the secret, and the cursor goes back to it.
  useEffect(() => {
    if (!props.notice) return;
    setSecret("");
    secretRef.current?.focus();
  }, [props.notice]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (props.busy) return;
    if (!identifier.trim() || !secret) {
      setMissing(`Enter your ${method.identifier_label.toLowerCase()} and ${method.secret_label.toLowerCase()}.`);
      return;
    }
    setMissing(null);
    props.onSubmit(identifier.trim(), secret);
  };
  const notice = missing ?? props.notice?.text;
  return (
    <>
      <Heading>Log in to {bank.name}</Heading>
      <p class="muted">Use your {bank.name} {method.label.toLowerCase()} details.</p>
      {notice && <InlineAlert>{notice}</InlineAlert>}
      <form class="form" onSubmit={submit} noValidate>
        <div class="field">
          <label class="label" for="identifier">
            {method.identifier_label}
          </label>
          <input
            id="identifier"
            name="identifier"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            inputMode={method.method === "account_number" ? "numeric" : undefined}
            value={identifier}
            onInput={(e) => setIdentifier(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label class="label" for="secret">
            {method.secret_label}
          </label>
          <div class="secret">
            {/* One element whose type flips (so focus and the caret stay put). */}
            <input
              {...({ type: reveal ? "text" : "password" } as { type: "password" })}
              id="secret"
              name="secret"
              ref={secretRef}
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
            <button type="button" class="reveal" aria-pressed={reveal ? "true" : "false"} aria-controls="secret" onClick={() => setReveal(!reveal)}>
              Show
            </button>
          </div>
        </div>
        <Button type="submit" busy={props.busy}>
          Log in
        </Button>
      </form>
      {props.hint && props.hint.length > 0 && (
        <section class="hint" aria-labelledby="hint-title">
          <h2 id="hint-title">Sandbox credentials</h2>
          <p>This is a test bank. Try:</p>
          <ul>
            {props.hint.map((h) => (
              <li key={`${h.username}/${h.password}`}>
                <code>{h.username}</code> / <code>{h.password}</code> <span>— {h.outcome}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

const MFA_LABELS: Record<WidgetChallenge["kind"], string> = {
  sms_otp: "One-time password",
  hardware_token: "Token code",
  security_question: "",
};

export function Mfa(props: { challenge: WidgetChallenge; notice: Notice | undefined; busy: boolean; onSubmit: (answer: string) => void }) {
  const { challenge } = props;
  const [answer, setAnswer] = useState("");
  const [missing, setMissing] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!props.notice) return;
    setAnswer("");
    inputRef.current?.focus();
  }, [props.notice]);
  const question = challenge.kind === "security_question";
  const label = question ? challenge.question || challenge.prompt : MFA_LABELS[challenge.kind];
  const submit = (e: Event) => {
    e.preventDefault();
    if (props.busy) return;
    if (!answer.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    props.onSubmit(answer.trim());
  };
  const notice = missing ? (question ? "Enter your answer." : "Enter the code.") : props.notice?.text;
  return (
    <>
      <Heading>Verify it's you</Heading>
      {/* The question is the field's label; the prompt is shown only when it says something else. */}
      {challenge.prompt && !challenge.prompt.includes(label) && <p class="muted">{challenge.prompt}</p>}
      {question && challenge.prompt.includes(label) && <p class="muted">Answer the security question you set with your bank.</p>}
      {notice && <InlineAlert>{notice}</InlineAlert>}
      <form class="form" onSubmit={submit} noValidate>
        <div class="field">
          <label class="label" for="mfa-answer">
            {label}
          </label>
          <input
            id="mfa-answer"
            ref={inputRef}
            autocomplete={challenge.kind === "sms_otp" ? "one-time-code" : "off"}
            autocapitalize="none"
            spellcheck={false}
            inputMode={question ? undefined : "numeric"}
            class={question ? undefined : "code"}
            value={answer}
            onInput={(e) => setAnswer(e.currentTarget.value)}
          />
        </div>
        <Button type="submit" busy={props.busy}>
          Verify
        </Button>
      </form>
    </>
  );
}

export function Accounts(props: { bank: WidgetBank; accounts: WidgetBankAccount[]; onContinue: (ids: string[]) => void }) {
  const [checked, setChecked] = useState<Set<string>>(() => {
    const pre = props.accounts.filter((a) => a.preselected);
    return new Set((pre.length > 0 ? pre : props.accounts).map((a) => a.id));
  });
  const toggle = (id: string) =>
    setChecked((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const ids = props.accounts.filter((a) => checked.has(a.id)).map((a) => a.id);
  return (
    <>
      <Heading>Choose accounts to share</Heading>
      <p class="muted">We found {props.accounts.length === 1 ? "this account" : "these accounts"} at {props.bank.name}.</p>
      <fieldset class="choices">
        <legend class="sr-only">Accounts at {props.bank.name}</legend>
        {props.accounts.map((a, i) => (
          <div class={`choice${checked.has(a.id) ? " on" : ""}`} key={a.id}>
            <input type="checkbox" id={`acct-${i}`} aria-describedby={`acct-${i}-d`} checked={checked.has(a.id)} onChange={() => toggle(a.id)} />
            <label for={`acct-${i}`}>{accountLabel(a)}</label>
            <span class="sub" id={`acct-${i}-d`}>
              {titleCase(a.type)} · {a.currency}
            </span>
          </div>
        ))}
      </fieldset>
      <div class="actions">
        <Button disabled={ids.length === 0} onClick={() => props.onContinue(ids)}>
          Continue
        </Button>
      </div>
    </>
  );
}

const titleCase = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1).replace(/_/g, " ") : s);

/** One line per product, in the order a person thinks of them. */
export function consentLines(products: string[], months: number): string[] {
  const has = (p: string) => products.includes(p);
  const lines = ["Account details: name, number and type"];
  if (has("balance")) lines.push("Balance");
  if (has("transactions")) lines.push(`Transactions for the last ${months} ${months === 1 ? "month" : "months"}`);
  if (has("identity")) lines.push("Identity: name, BVN, phone, email and address");
  if (has("income")) lines.push("Income, estimated from your transactions");
  return lines;
}

function until(consentUntil: string | null): string {
  if (!consentUntil) return "Until you disconnect";
  const d = new Date(consentUntil);
  if (Number.isNaN(d.getTime())) return "Until you disconnect";
  return `Until ${d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" })}, or until you disconnect`;
}

export function Consent(props: {
  session: CreateSessionResponse;
  bank: WidgetBank;
  count: number;
  /** Set when the merchant asked for payments and the bank takes direct debits: the debit option. */
  debit: { notice: Notice | undefined; busy: boolean } | null;
  onAllow: (debit: PaymentAuthorizationInput | null) => void;
  onCancel: () => void;
}) {
  const { session, bank } = props;
  const name = session.branding.name;
  const [debit, setDebit] = useState(false);
  const [code, setCode] = useState<{ kind: "otp" | "pin"; value: string }>({ kind: "otp", value: "" });
  const [missing, setMissing] = useState(false);
  const allow = (e: Event) => {
    e.preventDefault();
    if (props.debit?.busy) return;
    if (!debit || !props.debit) return props.onAllow(null);
    if (!/^\d{4,8}$/.test(code.value.trim())) return setMissing(true);
    setMissing(false);
    props.onAllow({ [code.kind]: code.value.trim() });
  };
  const notice = missing ? `Enter the ${code.kind === "otp" ? "one-time password" : "PIN"} (digits only).` : props.debit?.notice?.text;
  return (
    <form class="flow" onSubmit={allow} noValidate>
      <Heading>Share your data with {name}</Heading>
      <p class="muted">
        From your {bank.name} {props.count === 1 ? "account" : `accounts (${props.count})`}, {name} will see:
      </p>
      <ul class="checks">
        {consentLines(session.products, session.history_months).map((line) => (
          <li key={line}>
            <IconCheck />
            <span>{line}</span>
          </li>
        ))}
      </ul>
      <dl class="facts">
        <div>
          <dt>Shared with</dt>
          <dd>{name}</dd>
        </div>
        <div>
          <dt>For how long</dt>
          <dd>{until(session.consent_until)}</dd>
        </div>
      </dl>
      {props.debit && (
        <div class="debit">
          <div class={`choice${debit ? " on" : ""}`}>
            <input type="checkbox" id="debit" aria-describedby="debit-d" checked={debit} onChange={() => setDebit(!debit)} />
            <label for="debit">Allow {name} to debit this account when you pay them</label>
            <span class="sub" id="debit-d">
              Authorise once with {bank.name}'s OTP or your PIN. You can withdraw it at any time.
            </span>
          </div>
          {debit && (
            <>
              {notice && <InlineAlert>{notice}</InlineAlert>}
              <CodeField kind={code.kind} value={code.value} hint={session.sandbox_payment_auth} onChange={(kind, value) => setCode({ kind, value })} notice={props.debit.notice} />
            </>
          )}
        </div>
      )}
      <details class="note-link">
        <summary>Your login details are encrypted and never shared with {name}</summary>
        <p>
          Okro uses them only to fetch the data above from {bank.name}, over an encrypted connection. {name} never sees your
          username, password or codes. You can disconnect at any time by asking {name}.
        </p>
      </details>
      <div class="actions">
        <Button type="submit" busy={props.debit?.busy}>
          Allow
        </Button>
        <Button kind="secondary" onClick={props.onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/**
 * The OTP / PIN switch and its field (payment authorisation and payment consent). A radio group:
 * arrow keys move between the two, and the field's label follows.
 */
export function CodeField(props: {
  kind: "otp" | "pin";
  value: string;
  hint: CreateSessionResponse["sandbox_payment_auth"];
  notice: Notice | undefined;
  onChange: (kind: "otp" | "pin", value: string) => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  // A wrong code clears the field, and the cursor goes back to it.
  useEffect(() => {
    if (!props.notice) return;
    props.onChange(props.kind, "");
    ref.current?.focus();
  }, [props.notice]);
  const label = props.kind === "otp" ? "Enter the OTP" : "Enter your PIN";
  return (
    <>
      <fieldset class="switch">
        <legend class="label">Authorise with</legend>
        <div class="seg">
          {(["otp", "pin"] as const).map((k) => (
            <label key={k} class={props.kind === k ? "on" : undefined}>
              <input type="radio" name="auth-kind" value={k} checked={props.kind === k} onChange={() => props.onChange(k, "")} />
              {k === "otp" ? "OTP" : "PIN"}
            </label>
          ))}
        </div>
      </fieldset>
      <div class="field">
        <label class="label" for="auth-code">
          {label}
        </label>
        <input
          {...({ type: props.kind === "pin" ? "password" : "text" } as { type: "text" })}
          id="auth-code"
          ref={ref}
          class="code"
          inputMode="numeric"
          autocomplete={props.kind === "otp" ? "one-time-code" : "off"}
          maxLength={8}
          value={props.value}
          onInput={(e) => props.onChange(props.kind, e.currentTarget.value)}
        />
      </div>
      {props.hint && (
        <p class="muted small">
          Sandbox: OTP <code>{props.hint.otp}</code> or PIN <code>{props.hint.pin}</code>
        </p>
      )}
    </>
  );
}

export function Success(props: { name: string; result: ConnectResponse; onDone: () => void }) {
  const { result } = props;
  // The bank lists every account; only those the customer shared are connected.
  const shared = result.accounts.filter((a) => a.connected);
  return (
    <>
      <div class="big-icon ok" aria-hidden="true">
        <IconCheck />
      </div>
      <Heading>Account connected</Heading>
      <p class="muted">
        Your {result.bank.name} {shared.length === 1 ? "account is" : "accounts are"} now shared with {props.name}.
      </p>
      <ul class="plain">
        {shared.map((a) => (
          <li key={a.id}>{accountLabel(a)}</li>
        ))}
      </ul>
      {(result.consents ?? []).length > 0 && (
        <p class="muted">
          {props.name} may debit {result.consents.length === 1 ? "this account" : "these accounts"} when you pay them
          {result.consents.some((c) => c.status === "pending") ? " once your bank confirms the permission." : "."}
        </p>
      )}
      <div class="actions">
        <Button onClick={props.onDone}>Done</Button>
      </div>
    </>
  );
}

export function Returning(props: {
  name: string;
  accounts: ReturningAccount[];
  paying: boolean;
  colorOf: (bankId: string) => string;
  onPick: (account: ReturningAccount) => void;
  onOther: () => void;
}) {
  const first = props.name.trim().split(/\s+/)[0] || props.name;
  return (
    <>
      <Heading>Welcome back, {first}</Heading>
      <p class="muted">Choose an account to {props.paying ? "pay from" : "connect"}. You'll only need to log in.</p>
      <ul class="list">
        {props.accounts.map((a, i) => (
          <li key={a.id}>
            <button type="button" class="row" aria-describedby={`ret-${i}-d`} onClick={() => props.onPick(a)}>
              <BankBadge name={a.bank_name} color={props.colorOf(a.bank_id)} />
              <span class="row-text">
                <span class="row-title">
                  {a.bank_name} {a.nuban_masked}
                </span>
                <span class="note" id={`ret-${i}-d`} aria-hidden="true">
                  {a.name ? `${a.name} · ${titleCase(a.type)}` : titleCase(a.type)}
                </span>
              </span>
              <Chevron />
            </button>
          </li>
        ))}
      </ul>
      <div class="actions">
        <Button kind="secondary" onClick={props.onOther}>
          Use another bank
        </Button>
      </div>
    </>
  );
}

export interface ErrorAction {
  label: string;
  run: () => void;
}

export interface ErrorView {
  /** Machine reason (protocol.ts), also in the `error_shown` event. */
  reason: string;
  title: string;
  detail: string;
  actions: ErrorAction[];
  /** `ok`: a final screen that is good news (a mandate already authorised), said as a status with a check. */
  tone?: "ok";
}

export function ErrorScreen({ error }: { error: ErrorView }) {
  const ok = error.tone === "ok";
  return (
    <>
      <div role={ok ? "status" : "alert"} class="error-view">
        <div class={`big-icon ${ok ? "ok" : "bad"}`} aria-hidden="true">
          {ok ? <IconCheck /> : <IconAlert />}
        </div>
        <Heading>{error.title}</Heading>
        <p class="muted">{error.detail}</p>
      </div>
      {error.actions.length > 0 && (
        <div class="actions">
          {error.actions.map((a, i) => (
            <Button key={a.label} kind={i === 0 ? "primary" : "secondary"} onClick={a.run}>
              {a.label}
            </Button>
          ))}
        </div>
      )}
    </>
  );
}

export function Finished({ title, detail }: { title: string; detail: string }) {
  return (
    <>
      <Heading>{title}</Heading>
      <p class="muted">{detail}</p>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

/** Choosing the one account to pay from. */
export function PayAccounts(props: { bank: WidgetBank; accounts: WidgetBankAccount[]; onPick: (account: WidgetBankAccount) => void; title?: string }) {
  const [picked, setPicked] = useState<string | null>(() => props.accounts.find((a) => a.preselected)?.id ?? null);
  const account = props.accounts.find((a) => a.id === picked);
  return (
    <>
      <Heading>{props.title ?? "Choose the account to pay from"}</Heading>
      <p class="muted">Your accounts at {props.bank.name}.</p>
      <fieldset class="choices">
        <legend class="sr-only">Accounts at {props.bank.name}</legend>
        {props.accounts.map((a, i) => (
          <div class={`choice${picked === a.id ? " on" : ""}`} key={a.id}>
            <input type="radio" name="pay-account" id={`pay-${i}`} aria-describedby={`pay-${i}-d`} checked={picked === a.id} onChange={() => setPicked(a.id)} />
            <label for={`pay-${i}`}>{accountLabel(a)}</label>
            <span class="sub" id={`pay-${i}-d`}>
              {titleCase(a.type)} · {a.currency}
            </span>
          </div>
        ))}
      </fieldset>
      <div class="actions">
        <Button disabled={!account} onClick={() => account && props.onPick(account)}>
          Continue
        </Button>
      </div>
    </>
  );
}

/**
 * A payment link's first screen: who is paid, for what and how much — before any bank is chosen,
 * so the payer knows what they are agreeing to before logging in anywhere. The amount is typed
 * here when the link leaves it open (and carried to the review).
 */
export function PayIntro(props: {
  payment: SessionPayment;
  logo: string | null;
  /** What the person typed before (Back from the bank list keeps it). */
  amount: number | null;
  onContinue: (amount: number | null) => void;
}) {
  const { payment } = props;
  const fixed = payment.amount;
  const [typed, setTyped] = useState(props.amount !== null && fixed === null ? formatNaira(props.amount).slice(1) : "");
  const [missing, setMissing] = useState<string | null>(null);
  const parsed = fixed ?? parseNaira(typed);
  const item = payment.link?.name ?? null;
  const description = payment.note && payment.note !== item ? payment.note : null;
  const go = (e: Event) => {
    e.preventDefault();
    if (fixed !== null) return props.onContinue(null);
    if (parsed === null || parsed < 100) {
      setMissing(typed.trim() === "" ? "Enter the amount to pay." : "Enter an amount in naira of at least ₦1.00, like 5,000 or 5000.50.");
      return;
    }
    setMissing(null);
    props.onContinue(parsed);
  };
  return (
    <form class="flow" onSubmit={go} noValidate>
      <div class="payee">
        <BrandMark key={props.logo ?? ""} name={payment.merchant} logo={props.logo} />
        <Heading>Payment to {payment.merchant}</Heading>
      </div>
      {missing && <InlineAlert>{missing}</InlineAlert>}
      <dl class="facts rows">
        {item && (
          <div>
            <dt>For</dt>
            <dd>{item}</dd>
          </div>
        )}
        {description && (
          <div>
            <dt>Details</dt>
            <dd>{description}</dd>
          </div>
        )}
        {payment.link?.recurring && (
          <div>
            <dt>Repeats</dt>
            <dd class="recurring">{payment.link.recurring}</dd>
          </div>
        )}
        {fixed !== null && (
          <div>
            <dt>Amount</dt>
            <dd class="big">{formatNaira(fixed)}</dd>
          </div>
        )}
      </dl>
      {fixed === null && (
        <div class="field">
          <label class="label" for="amount">
            Amount (₦)
          </label>
          <input id="amount" class="amount" inputMode="decimal" autocomplete="off" placeholder="0.00" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
      )}
      <p class="muted small">Next, choose your bank and log in. Nothing is paid until you confirm it with a code from your bank or your PIN.</p>
      <div class="actions">
        <Button type="submit">{parsed !== null && parsed >= 100 ? `Pay ${formatNaira(parsed)}` : "Continue"}</Button>
      </div>
    </form>
  );
}

/** Review: what is paid, to whom, from which account; the amount typed here when the merchant left it open. */
export function Review(props: {
  payment: SessionPayment;
  bank: WidgetBank;
  account: string;
  /** What the person typed before (Back from authorising keeps it). */
  amount: number | null;
  notice: Notice | undefined;
  busy: boolean;
  onPay: (amount: number) => void;
}) {
  const { payment } = props;
  const fixed = payment.amount;
  const [typed, setTyped] = useState(props.amount !== null && fixed === null ? formatNaira(props.amount).slice(1) : "");
  const [missing, setMissing] = useState<string | null>(null);
  const parsed = fixed ?? parseNaira(typed);
  const pay = (e: Event) => {
    e.preventDefault();
    if (props.busy) return;
    if (parsed === null || parsed < 100) {
      setMissing(typed.trim() === "" ? "Enter the amount to pay." : "Enter an amount in naira of at least ₦1.00, like 5,000 or 5000.50.");
      return;
    }
    setMissing(null);
    props.onPay(parsed);
  };
  const notice = missing ?? props.notice?.text;
  const what = payment.note ?? payment.link?.name ?? null;
  return (
    <form class="flow" onSubmit={pay} noValidate>
      <Heading>Pay {payment.merchant}</Heading>
      {notice && <InlineAlert>{notice}</InlineAlert>}
      {fixed === null && (
        <div class="field">
          <label class="label" for="amount">
            Amount (₦)
          </label>
          <input id="amount" class="amount" inputMode="decimal" autocomplete="off" placeholder="0.00" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
      )}
      <dl class="facts rows">
        {fixed !== null && (
          <div>
            <dt>Amount</dt>
            <dd class="big">{formatNaira(fixed)}</dd>
          </div>
        )}
        <div>
          <dt>To</dt>
          <dd>{payment.merchant}</dd>
        </div>
        {what && (
          <div>
            <dt>For</dt>
            <dd>{what}</dd>
          </div>
        )}
        <div>
          <dt>From</dt>
          <dd>
            {props.bank.name} {props.account}
          </dd>
        </div>
      </dl>
      <p class="muted small">You'll authorise this payment with an OTP from {props.bank.name} or your PIN.</p>
      <div class="actions">
        <Button type="submit" busy={props.busy}>
          {parsed !== null && parsed >= 100 ? `Pay ${formatNaira(parsed)}` : "Pay"}
        </Button>
      </div>
    </form>
  );
}

/**
 * The bank's OTP or the customer's PIN, as one form: a payment's authorisation and a mandate's
 * (mandate-screens.tsx) differ only in their words. Digits only, 4–8, checked before sending.
 */
export function CodeForm(props: {
  heading: string;
  lead: string;
  submitLabel: string;
  notice: Notice | undefined;
  busy: boolean;
  hint: CreateSessionResponse["sandbox_payment_auth"];
  onSubmit: (auth: PaymentAuthorizationInput) => void;
}) {
  const [code, setCode] = useState<{ kind: "otp" | "pin"; value: string }>({ kind: "otp", value: "" });
  const [missing, setMissing] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    if (props.busy) return;
    if (!/^\d{4,8}$/.test(code.value.trim())) return setMissing(true);
    setMissing(false);
    props.onSubmit({ [code.kind]: code.value.trim() });
  };
  const notice = missing ? `Enter the ${code.kind === "otp" ? "one-time password" : "PIN"} (digits only).` : props.notice?.text;
  return (
    <form class="flow" onSubmit={submit} noValidate>
      <Heading>{props.heading}</Heading>
      <p class="muted">{props.lead}</p>
      {notice && <InlineAlert>{notice}</InlineAlert>}
      <CodeField kind={code.kind} value={code.value} hint={props.hint} notice={props.notice} onChange={(kind, value) => setCode({ kind, value })} />
      <div class="actions">
        <Button type="submit" busy={props.busy}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}

/** Authorising: the bank's OTP or the customer's PIN. */
export function Authorise(props: {
  bank: WidgetBank;
  payment: WidgetPayment;
  merchant: string;
  notice: Notice | undefined;
  busy: boolean;
  hint: CreateSessionResponse["sandbox_payment_auth"];
  onSubmit: (auth: PaymentAuthorizationInput) => void;
}) {
  return (
    <CodeForm
      heading="Authorise the payment"
      lead={`Enter the one-time password ${props.bank.name} sent you, or your PIN, to pay ${formatNaira(props.payment.amount)} to ${props.merchant}.`}
      submitLabel="Confirm payment"
      notice={props.notice}
      busy={props.busy}
      hint={props.hint}
      onSubmit={props.onSubmit}
    />
  );
}

export function Paid(props: { payment: WidgetPayment; merchant: string; from: string; onDone: () => void }) {
  return (
    <>
      <div class="big-icon ok" aria-hidden="true">
        <IconCheck />
      </div>
      <Heading>Payment successful</Heading>
      <p class="muted">
        You paid {formatNaira(props.payment.amount)} to {props.merchant} from {props.from}.
      </p>
      {props.payment.reference && (
        <dl class="facts rows">
          <div>
            <dt>Reference</dt>
            <dd class="ref">{props.payment.reference}</dd>
          </div>
        </dl>
      )}
      <div class="actions">
        <Button onClick={props.onDone}>Done</Button>
      </div>
    </>
  );
}

export function PayPending(props: { payment: WidgetPayment; merchant: string; onDone: () => void }) {
  return (
    <>
      <Heading>Your bank is still confirming</Heading>
      <p class="muted">
        Your payment of {formatNaira(props.payment.amount)} to {props.merchant} is with your bank. It can take a few minutes;{" "}
        {props.merchant} will be told the result. Please don't pay again.
      </p>
      {props.payment.reference && <p class="muted small">Reference: {props.payment.reference}</p>}
      <div class="actions">
        <Button onClick={props.onDone}>Done</Button>
      </div>
    </>
  );
}
