import type { CreateSessionResponse, MandateTermLine, PaymentAuthorizationInput, SessionMandate, WidgetBank, WidgetMandate } from "../protocol.js";
import { Button, Heading, IconCheck, InlineAlert } from "./parts.js";
import { CodeForm, type Notice } from "./screens.js";

/**
 * The mandate mode's screens (consent, the bank's code, done) and the payer's page (the list and
 * the withdrawal). The terms are the server's lines (protocol.ts `MandateTermLine`): written from
 * the terms the mandate enforces, so what the customer reads is every limit there is.
 * Accessible names here are a contract for test/browser.
 */

/** The terms, one row each: the label above, the value below (some values are a sentence). */
export function Terms({ lines, label }: { lines: MandateTermLine[]; label: string }) {
  return (
    <dl class="facts rows terms" aria-label={label}>
      {lines.map((l, i) => (
        <div key={`${l.key}-${i}`} data-term={l.key}>
          <dt>{l.label}</dt>
          <dd>
            {l.value}
            {l.href && (
              <>
                {" "}
                <a href={l.href} target="_blank" rel="noopener noreferrer">
                  Your authorisations page
                </a>
              </>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** What the customer authorises, on the account they chose, before the bank's code. */
export function MandateConsent(props: { mandate: SessionMandate; bank: WidgetBank; account: string; notice: Notice | undefined; busy: boolean; onAllow: () => void; onCancel: () => void }) {
  const { mandate } = props;
  const sweep = mandate.kind === "sweep";
  return (
    <div class="flow">
      <Heading>{sweep ? "Allow loan recovery from your account" : "Authorise debits from your account"}</Heading>
      <p class="muted">
        {sweep
          ? `${mandate.merchant} asks for your permission to take money owed to them from your ${props.bank.name} account ${props.account} when a repayment is past due. Read what you sign:`
          : `${mandate.merchant} asks for your permission to debit your ${props.bank.name} account ${props.account}. Nothing is debited beyond what is written here.`}
      </p>
      {props.notice && <InlineAlert>{props.notice.text}</InlineAlert>}
      <Terms lines={mandate.lines} label="What you authorise" />
      <div class="actions">
        <Button busy={props.busy} onClick={props.onAllow}>
          Agree and continue
        </Button>
        <Button kind="secondary" onClick={props.onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}

/** The bank's OTP or the customer's PIN, which gives the bank's debit authority (the one code form, screens.tsx). */
export function MandateAuthorise(props: {
  bank: WidgetBank;
  merchant: string;
  notice: Notice | undefined;
  busy: boolean;
  hint: CreateSessionResponse["sandbox_payment_auth"];
  onSubmit: (auth: PaymentAuthorizationInput) => void;
}) {
  return (
    <CodeForm
      heading={`Confirm with ${props.bank.name}`}
      lead={`Enter the one-time password ${props.bank.name} sent you, or your PIN, to let ${props.merchant} debit your account as you agreed.`}
      submitLabel="Authorise debits"
      notice={props.notice}
      busy={props.busy}
      hint={props.hint}
      onSubmit={props.onSubmit}
    />
  );
}

const STATUS: Record<string, string> = {
  awaiting_customer: "Not yet authorised",
  awaiting_bank: "Your bank is activating it",
  active: "Active",
  paused: "Paused by the business",
  expired: "Ended",
  revoked: "Ended by your bank",
  rejected: "Refused by your bank",
};

export const statusWords = (status: string, reason: string | null = null) =>
  status === "cancelled" ? (reason === "withdrawn_by_payer" ? "Withdrawn by you" : "Cancelled by the business") : (STATUS[status] ?? status);

/**
 * Authorised: what was agreed, whether the bank has activated it yet, and how to withdraw it. A
 * sweep (loan recovery) consent says so in its own words: what was signed, the accounts it covers
 * so far (the terms' `covers` line), the lender, and that withdrawing stops the debits, not the debt.
 */
export function MandateDone(props: { mandate: WidgetMandate; sweep?: boolean; onDone: () => void; onAnother?: (() => void) | undefined }) {
  const m = props.mandate;
  return (
    <>
      <div class="big-icon ok" aria-hidden="true">
        <IconCheck />
      </div>
      <Heading>{props.sweep ? "Loan recovery consent given" : "Debits authorised"}</Heading>
      {props.sweep ? (
        <>
          <p class="muted">
            {m.status === "active"
              ? `You signed: ${m.merchant}, your lender, may take money you owe them from your ${m.bank_name} account ${m.nuban_masked} when a repayment is past due — never more than is written below, never penalties.`
              : `You signed ${m.merchant}'s loan recovery consent; ${m.bank_name} is activating it on your account ${m.nuban_masked}. Nothing is taken before then.`}
          </p>
          <p class="muted">
            {props.onAnother ? "Hold accounts at other banks too? Add each with “Add another bank”; each one needs that bank's own code. " : ""}
            You can withdraw this consent any time on your authorisations page: that stops debits from this account, but not what you owe {m.merchant}.
          </p>
        </>
      ) : (
        <p class="muted">
          {m.status === "active"
            ? `${m.merchant} can now debit your ${m.bank_name} account ${m.nuban_masked} as you agreed.`
            : `${m.bank_name} is activating your authorisation; ${m.merchant} will be told when it is active. Nothing is debited before then.`}
        </p>
      )}
      <p class="status-line">
        Status: <strong data-status={m.status}>{statusWords(m.status)}</strong>
      </p>
      <Terms lines={m.lines.filter((l) => l.key !== "who")} label={props.sweep ? "What you signed" : "What you authorised"} />
      <div class="actions">
        {props.onAnother && (
          <Button kind="secondary" onClick={props.onAnother}>
            Add another bank
          </Button>
        )}
        <Button onClick={props.onDone}>Done</Button>
      </div>
    </>
  );
}

const LIVE = new Set(["awaiting_customer", "awaiting_bank", "active", "paused"]);

/** The payer's page: every mandate the bank login proved to be theirs with this business. */
export function PayerMandates(props: {
  merchant: string;
  name: string | null;
  mandates: WidgetMandate[];
  notice: Notice | undefined;
  /** What just happened (a withdrawal), said as news, not as an error. */
  done: string | null;
  onWithdraw: (m: WidgetMandate) => void;
}) {
  const live = props.mandates.filter((m) => LIVE.has(m.status));
  const ended = props.mandates.filter((m) => !LIVE.has(m.status));
  return (
    <div class="flow">
      <Heading>Your debit authorisations with {props.merchant}</Heading>
      <p class="muted">
        {props.name ? `${props.name}, these` : "These"} are the authorisations you gave {props.merchant} through Okro. Withdraw one and nothing more is debited under it.
      </p>
      {props.notice && <InlineAlert>{props.notice.text}</InlineAlert>}
      {props.done && (
        <div class="ok-note" role="status">
          <IconCheck />
          <p>{props.done}</p>
        </div>
      )}
      {props.mandates.length === 0 && <p class="empty">You have no authorisations with {props.merchant} on the accounts of this bank login.</p>}
      <ul class="mandates" aria-label="Authorisations">
        {[...live, ...ended].map((m) => (
          <li key={m.id} class="mandate" aria-label={`${m.bank_name} ${m.nuban_masked}: ${m.summary}`}>
            <p class="mandate-head">
              <span>
                {m.bank_name} {m.nuban_masked}
              </span>
              <strong class={`state ${LIVE.has(m.status) ? "live" : "ended"}`} data-status={m.status}>
                {statusWords(m.status, m.status_reason)}
              </strong>
            </p>
            <Terms lines={m.lines.filter((l) => l.key !== "who" && l.key !== "withdraw")} label={`Terms of ${m.summary}`} />
            {LIVE.has(m.status) && (
              <Button kind="secondary" onClick={() => props.onWithdraw(m)}>
                Withdraw this authorisation
              </Button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Are you sure: what stops, and what does not (debits already with the bank). */
export function ConfirmWithdraw(props: { mandate: WidgetMandate; busy: boolean; onConfirm: () => void; onKeep: () => void }) {
  const m = props.mandate;
  return (
    <div class="flow">
      <Heading>Withdraw this authorisation?</Heading>
      <p class="muted">
        {m.merchant} will not be able to debit your {m.bank_name} account {m.nuban_masked} under it any more, and will be told. A debit already sent to your bank still completes.
      </p>
      <p class="muted">{m.summary}</p>
      <div class="actions">
        <Button busy={props.busy} onClick={props.onConfirm}>
          Withdraw
        </Button>
        <Button kind="secondary" onClick={props.onKeep}>
          Keep it
        </Button>
      </div>
    </div>
  );
}

/** The payer's page opens here: what it is for, and why the bank login comes first. */
export function PayerIntro(props: { merchant: string; onContinue: () => void }) {
  return (
    <div class="flow">
      <Heading>Your debit authorisations with {props.merchant}</Heading>
      <p class="muted">
        See every authorisation you gave {props.merchant} to debit your bank account, and withdraw any of them. First log in to your bank: that proves the accounts
        are yours. Nothing is shared with {props.merchant}.
      </p>
      <div class="actions">
        <Button onClick={props.onContinue}>Log in to my bank</Button>
      </div>
    </div>
  );
}
