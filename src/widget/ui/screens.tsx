import { useEffect, useRef, useState } from "preact/hooks";
import type {
  ConnectResponse,
  CreateSessionResponse,
  ReturningAccount,
  WidgetBank,
  WidgetBankAccount,
  WidgetChallenge,
  WidgetLoginMethod,
} from "../protocol.js";
import { BankBadge, Button, Heading, IconAlert, IconCheck, IconSearch, InlineAlert, Status } from "./parts.js";

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

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();

export function Banks(props: { banks: WidgetBank[]; onPick: (bank: WidgetBank) => void }) {
  const [query, setQuery] = useState("");
  const q = norm(query);
  const shown = q ? props.banks.filter((b) => norm(b.name).includes(q) || norm(b.slug).includes(q)) : props.banks;
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
          <div aria-live="polite">{shown.length === 0 && <p class="empty">No bank matches “{query.trim()}”.</p>}</div>
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
  onAllow: () => void;
  onCancel: () => void;
}) {
  const { session, bank } = props;
  const name = session.branding.name;
  return (
    <>
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
      <details class="note-link">
        <summary>Your login details are encrypted and never shared with {name}</summary>
        <p>
          Okro uses them only to fetch the data above from {bank.name}, over an encrypted connection. {name} never sees your
          username, password or codes. You can disconnect at any time by asking {name}.
        </p>
      </details>
      <div class="actions">
        <Button onClick={props.onAllow}>Allow</Button>
        <Button kind="secondary" onClick={props.onCancel}>
          Cancel
        </Button>
      </div>
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
      <div class="actions">
        <Button onClick={props.onDone}>Done</Button>
      </div>
    </>
  );
}

export function Returning(props: {
  name: string;
  accounts: ReturningAccount[];
  colorOf: (bankId: string) => string;
  onPick: (account: ReturningAccount) => void;
  onOther: () => void;
}) {
  const first = props.name.trim().split(/\s+/)[0] || props.name;
  return (
    <>
      <Heading>Welcome back, {first}</Heading>
      <p class="muted">Choose an account to connect. You'll only need to log in.</p>
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
}

export function ErrorScreen({ error }: { error: ErrorView }) {
  return (
    <>
      <div role="alert" class="error-view">
        <div class="big-icon bad" aria-hidden="true">
          <IconAlert />
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
