import type { BankView } from "../banks/service.js";
import type { AppContext } from "../context.js";
import type { Scope } from "../core/tenancy.js";
import type { MandateRow } from "../mandates/store.js";
import type { LinkRow } from "../payments/links.js";
import type { Product } from "../platform/domain.js";
import type { CreateSessionBody } from "./api-schemas.js";
import type { CreateSessionResponse, ReturningAccount, WidgetBank } from "./protocol.js";
import type { SessionSettings, WidgetSession } from "./session.js";

/**
 * A mode is a flow that plugs into the widget session on top of bank login: the payment mode
 * (payments.ts), the mandate mode (mandates.ts) and the payer's page (payer.ts) are the ones there are. The session layers — session.ts (store and
 * steps), open.ts, login.ts, connect.ts — know a mode only through this interface and never
 * import a mode's module; the mode's module imports them (enterAccounts, claimForConnect,
 * moveStep, …) for its own endpoints. api-routes.ts, the widget API's composition root, lists the
 * modes (`WIDGET_MODES`) and hands them to the session functions that need them.
 *
 * A session is in at most one mode: the mode whose `opens` says yes when it is opened. Its
 * settings are stored under the mode's name in `widget_sessions.options` (`options.payment`), and
 * the session answer carries what `describe` adds (`payment: SessionPayment`; every answer has the
 * field, null outside the mode).
 *
 * Adding a mode: a module that exports a `WidgetMode` (its name added to `ModeName`, its answer
 * field to `CreateSessionResponse` with null by default in open.ts), its own endpoints in
 * api-routes.ts, and its entry in `WIDGET_MODES`. The steps it uses beyond login are edges of the
 * one step machine (steps.ts): `connecting` (a claim while the bank is called and the object
 * written) and `paying`-like holding steps are added there, with their history.
 */
export type ModeName = "payment" | "mandate" | "payer";

/** What the session opening already knows when a mode opens. */
export interface ModeOpening {
  scope: Scope;
  body: CreateSessionBody;
  /** The payment link the session was opened for (`payment_link`), or null. */
  link: LinkRow | null;
  /** The mandate awaiting the customer that the session was opened for (`mandate`, the `/mandate/<id>` page), or null. */
  mandate: MandateRow | null;
  /** The recognised customer (customer token; sandbox: also plain identifiers), if any. */
  customer: { id: string; name: string } | undefined;
  returning: { accounts: ReturningAccount[] } | null;
  /** The banks this session offers, with the mode's `bankProducts` required. */
  offered: readonly BankView[];
}

export interface WidgetMode {
  readonly name: ModeName;
  /** The products a session in this mode shares, whatever the app's products (payment: `payments`, account details only). */
  readonly products: readonly Product[];
  /** What a bank must offer, beside what the products need, to be listed in this mode (payment: `payments`). */
  readonly bankProducts: readonly Product[];
  /** What the session answers when the mode refuses a step of the account-data flow or is finished. */
  readonly messages: { connectRefused: string; done: string };
  /**
   * Does this opening ask for the mode? Throws the 4xx naming the field when it asks but the app
   * cannot have it (payment: `payment` without the app's payments product).
   */
  opens(body: CreateSessionBody, link: LinkRow | null, appProducts: readonly Product[], mandate?: MandateRow | null): boolean;
  /** The mode's settings for a new session (stored under `name`); 4xx naming the field on bad input. */
  open(ctx: AppContext, opening: ModeOpening): Promise<object>;
  /** The customer the mode's settings already name (Quick Pay), for the session row. */
  customerId(settings: unknown): string | null;
  /** What the mode adds to the session answer. */
  describe(settings: unknown, merchant: string, banks: readonly WidgetBank[]): Partial<CreateSessionResponse>;
  /** Before a new bank login leaves one of the mode's holding steps (payment: cancels the payment waiting for a code, refuses while the bank has it). */
  beforeLogin(ctx: AppContext, session: WidgetSession): Promise<void>;
}

export type WidgetModes = readonly WidgetMode[];

/** The mode a session is in (its settings are present), or undefined for account data. */
export function activeMode(modes: WidgetModes, settings: SessionSettings): WidgetMode | undefined {
  return modes.find((m) => settings[m.name] !== undefined && settings[m.name] !== null);
}
