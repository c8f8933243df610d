import { defineMachine } from "../core/machine.js";

/**
 * The widget session's steps, as a machine (decision 0014; src/core/machine.ts). Pure: no I/O.
 * session.ts binds it to `widget_sessions.step` and its history to `state_transitions`
 * (object type `widget_session`); every change of step goes through the kernel's one
 * compare-and-set `transition()`.
 *
 * ```
 *   start ──login──▶ mfa ──answer──▶ accounts ──connect──▶ connecting ──linked──▶ done
 *                                        └──pay (payment mode)──▶ connecting ──payment──▶ paying ──paid──▶ done
 * ```
 * - a login may begin again from start, mfa, accounts or paying (the customer went back, or
 *   chose another bank); connecting and done are not left by a login;
 * - a failed, locked or lapsed login goes back to start (the bank login is forgotten);
 * - a failed link goes back from connecting to accounts, so the customer can try again;
 * - payment mode (payments.ts): creating the payment claims the session (connecting) while the
 *   account is linked and the payment written, then `paying` holds it while the customer
 *   authorises; a payment that failed lets the customer choose another account (paying →
 *   connecting again) or log in at another bank (paying → start/mfa/accounts); a payment that
 *   succeeded ends the session (done).
 *
 * Staying on a step is not a transition (the kernel refuses self-loops): a further MFA challenge,
 * a second login that lands where the first did, a wrong code's new `attempts_left`, and taking
 * over an abandoned `connecting` claim are compare-and-set updates on the step
 * (session.ts `moveStep`, `claimForConnect`) that write no history.
 */
export const STEPS = ["start", "mfa", "accounts", "connecting", "paying", "done"] as const;
export type Step = (typeof STEPS)[number];

export const stepMachine = defineMachine({
  object: "widget_session",
  states: STEPS,
  edges: {
    start: ["mfa", "accounts"],
    mfa: ["accounts", "start"],
    accounts: ["mfa", "start", "connecting"],
    connecting: ["done", "accounts", "paying"],
    paying: ["mfa", "accounts", "start", "connecting", "done"],
    done: [],
  },
  terminal: ["done"],
  edgeNames: {
    connecting: { accounts: "link_failed", paying: "payment_created" },
    paying: { connecting: "pay_again", done: "paid" },
  },
  predicates: {
    /** Steps from which a (new) bank login may begin. */
    login: ["start", "mfa", "accounts", "paying"],
  },
});

/** Steps from which a (new) bank login may begin. */
export const LOGIN_STEPS: readonly Step[] = STEPS.filter((s) => stepMachine.is.login(s));
