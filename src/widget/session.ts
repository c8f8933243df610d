import { sql, type Selectable, type Updateable } from "kysely";
import { Secret, type BankSession, type LoginCredentials, type LoginMethod } from "../banks/connector.js";
import type { AppContext } from "../context.js";
import { appendHistory, machineStore, transition, type MachineStore, STATE_TRANSITIONS } from "../core/machine.js";
import type { Env, WidgetSessionsTable } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { randomToken, sha256Hex } from "../lib/secrets.js";
import type { Product } from "../platform/domain.js";
import { failure, sessionExpired } from "./errors.js";
import type { SessionBranding, WidgetBankAccount } from "./protocol.js";
import { stepMachine, type Step } from "./steps.js";
import type { Trx } from "../core/db.js";

/**
 * The widget's session store, the bottom of the widget: what one person does in one widget
 * opening, from the okra-js options to a linked connection (protocol.ts is the wire contract).
 * The layers above it: open.ts (opening a session), login.ts (bank login and MFA), connect.ts
 * (linking, payment consent), and the modes (mode.ts; payments.ts is the payment mode). Nothing
 * here imports them.
 *
 * A session is bound to one company, environment and app, and named by a bearer token of 32
 * random bytes of which only the SHA-256 is stored. It lives SESSION_IDLE_MS after its last use,
 * and never longer than SESSION_MAX_MS after it was opened.
 *
 * Its step (steps.ts) moves only through the kernel's `transition()` (a compare-and-set on the
 * step, and on whatever else the move must still find: the sealed bank session an MFA answer
 * started from, the payment a claim looked at), with a history row in `state_transitions`; two
 * tabs or a double click cannot both win. Banks are never called inside a database transaction:
 * read, call, then write with the compare-and-set.
 *
 * What the customer typed and the bank session are sealed with the secret box (AAD names the
 * session and the field) the moment they exist, handed to `linkConnection` (which seals them onto
 * the record), and wiped from the session once it is done. They are never logged or echoed.
 */

/** A session lapses this long after its last use… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and this long after it was opened, however busy. */
export const SESSION_MAX_MS = 2 * 60 * 60_000;
/** Logins one session may try (each reaches the bank), then 429. */
export const MAX_LOGINS_PER_SESSION = 10;
/** MFA answers one session may send, then 429 (the bank locks sooner: 5 wrong answers in the sandbox). */
export const MAX_MFA_ANSWERS_PER_SESSION = 10;
/** OTP/PIN answers one session may send (payment consent, payments; the bank locks payments sooner: 5 wrong codes in the sandbox), then 429. */
export const MAX_AUTHORISATIONS_PER_SESSION = 15;
/** How long the widget waits for a bank call (ms) before answering `bank_timeout`. */
export const BANK_CALL_TIMEOUT_MS = 25_000;
/**
 * A session left `connecting` this long (ms since it was claimed) is taken to be abandoned — its
 * process died mid-link — and may be claimed again. Linking is idempotent per customer and bank
 * (a relink refreshes the same record), so a second attempt after a crash creates nothing twice.
 */
export const CONNECT_STALE_MS = 5 * 60_000;
/** Expired sessions are deleted this long after they lapse; their secrets are wiped sooner (below). */
const EXPIRED_RETENTION_MS = 24 * 60 * 60_000;
const PURGE_BATCH = 500;
const SESSION_TOKEN_PREFIX = "wst_";

export type SessionRow = Selectable<WidgetSessionsTable>;

/** What the session remembers about the merchant's options, in `widget_sessions.options`. */
export interface SessionSettings {
  products: Product[];
  history_months: number;
  branding: SessionBranding;
  /** The merchant's free `options` object (echoed on success, stored on the record). */
  merchant_options: Record<string, unknown>;
  customer_hint: CustomerHint | null;
  /** okra-js `filter.banks` (slugs), or null for no filter. */
  bank_slugs: string[] | null;
  account_kind: "corporate" | "individual" | null;
  /** Tries so far (bank calls), counted atomically. */
  tries: { login: number; mfa: number; payment?: number; authorise?: number };
  /** Returning user: the linked account they picked at login. */
  picked: PickedAccount | null;
  /**
   * A mode's own settings, under the mode's name (mode.ts): `payment` holds the payment mode's
   * (payments.ts). Opaque here: only the mode reads them. Null or absent: account data.
   */
  [mode: string]: unknown;
}

export interface CustomerHint {
  id?: string;
  bvn?: string;
  email?: string;
  phone?: string;
}

export interface PickedAccount {
  id: string;
  bank_id: string;
  nuban: string;
}

export interface StoredAccounts {
  accounts: WidgetBankAccount[];
  notice: string | null;
}

export interface WidgetSession {
  row: SessionRow;
  settings: SessionSettings;
}

/** Columns a move may set beside the step (the step is the machine's). */
export type SessionSet = Omit<Updateable<WidgetSessionsTable>, "step" | "updated_at">;

// ---------------------------------------------------------------------------------------------
// The step machine, bound to its table
// ---------------------------------------------------------------------------------------------


/** Widget sessions' table and history. No entry effects, no events: Okra's API has no widget-session event. */
export const widgetSessionStore: MachineStore<Step, SessionRow, AppContext, Trx> = machineStore({
  machine: stepMachine,
  table: "widget_sessions",
  stateColumn: "step",
  history: STATE_TRANSITIONS,
});

export interface StepMove {
  to: Step;
  /** Short, machine-readable cause for the history (`login`, `mfa_required`, `link_failed`, …). */
  reason: string;
  /** Columns the row must still hold for the move to win (`bank_session_sealed`, `payment_id`); null matches IS NULL. */
  match?: Partial<Record<"bank_session_sealed" | "payment_id", string | null>>;
  set?: SessionSet;
  /** Returning user: the linked account picked at login (written into `options.picked`). */
  picked?: PickedAccount | null;
}

/**
 * Moves the session from the step it was read at (`from.step`) to `move.to`, a compare-and-set:
 * the moved row, or undefined when someone else moved it first (nothing written). A real move
 * goes through the kernel's `transition()` (edge checked, history row); staying on the step
 * (a further challenge, a second login landing where the first did) is the same compare-and-set
 * without history. In `trx` when given, else in a transaction of its own.
 */
export async function moveStep(ctx: AppContext, from: Pick<SessionRow, "id" | "step">, move: StepMove, trx?: Trx): Promise<SessionRow | undefined> {
  const fromStep = from.step as Step;
  const now = ctx.clock.now();
  const set: Record<string, unknown> = {
    ...move.set,
    updated_at: now,
    ...(move.picked !== undefined ? { options: sql<string>`jsonb_set(options, '{picked}', ${JSON.stringify(move.picked)}::jsonb)` } : {}),
  };
  const run = async (t: Trx): Promise<SessionRow | undefined> => {
    if (fromStep === move.to) {
      let q = t.updateTable("widget_sessions").set(set).where("id", "=", from.id).where("step", "=", fromStep);
      for (const [column, value] of Object.entries(move.match ?? {}) as [keyof SessionRow, string | null][]) {
        q = value === null ? q.where(column, "is", null) : q.where(column, "=", value);
      }
      return q.returningAll().executeTakeFirst();
    }
    const moved = await transition(t, widgetSessionStore, ctx, {
      id: from.id,
      from: fromStep,
      to: move.to,
      ...(move.match ? { match: move.match } : {}),
      set,
      actor: "customer",
      reason: move.reason,
      at: now,
    });
    return moved.ok ? moved.row : undefined;
  };
  return trx ? run(trx) : ctx.db.transaction().execute(run);
}

/**
 * Claims the session for linking: from the step it was read at (one of `steps`: accounts, or
 * accounts|paying for a payment) → connecting, or takes over a `connecting` claim older than
 * CONNECT_STALE_MS (abandoned: its process died mid-link). With `paymentId`, only while the
 * session still holds that payment (null: none). Undefined when another request holds it.
 */
export async function claimForConnect(
  ctx: AppContext,
  row: Pick<SessionRow, "id" | "step" | "updated_at">,
  opts: { steps?: readonly Step[]; paymentId?: string | null } = {},
): Promise<SessionRow | undefined> {
  const match = opts.paymentId !== undefined ? { payment_id: opts.paymentId } : undefined;
  if ((opts.steps ?? ["accounts"]).includes(row.step as Step)) {
    return moveStep(ctx, row, { to: "connecting", reason: "connect_claimed", ...(match ? { match } : {}) });
  }
  if (row.step !== "connecting") return undefined;
  // Taking over an abandoned claim stays on `connecting`: a compare-and-set on its age, no history.
  const now = ctx.clock.now();
  const staleBefore = new Date(now.getTime() - CONNECT_STALE_MS);
  return ctx.db
    .updateTable("widget_sessions")
    .set({ updated_at: now })
    .where("id", "=", row.id)
    .where("step", "=", "connecting")
    .where("updated_at", "<", staleBefore)
    .$if(opts.paymentId !== undefined, (q) => q.where(sql<boolean>`payment_id IS NOT DISTINCT FROM ${opts.paymentId ?? null}`))
    .returningAll()
    .executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------
// Opening, resolving, reading
// ---------------------------------------------------------------------------------------------

export function settingsOf(row: SessionRow): SessionSettings {
  return row.options as unknown as SessionSettings;
}

/** A new session at `start` (with its creation history row); its bearer token, shown once. */
export async function insertSession(
  ctx: AppContext,
  s: { companyId: string; env: Env; appId: string; settings: SessionSettings; customerId: string | null },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = SESSION_TOKEN_PREFIX + randomToken(32);
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  const id = newId(now);
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("widget_sessions")
      .values({
        id,
        token_hash: sha256Hex(token),
        company_id: s.companyId,
        env: s.env,
        app_id: s.appId,
        options: JSON.stringify(s.settings),
        step: "start" satisfies Step,
        customer_id: s.customerId,
        challenge: JSON.stringify(null),
        bank_accounts: JSON.stringify(null),
        result: JSON.stringify(null),
        expires_at: expiresAt,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await appendHistory(trx, widgetSessionStore, { object: stepMachine.object, id, from: null, to: "start", actor: "customer", reason: "opened", detail: undefined, at: now });
  });
  return { token, expiresAt };
}

/** The bearer token of `Authorization`, or undefined. */
export function sessionTokenOf(authorization: string | undefined): string | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const token = value.replace(/^bearer\s+/i, "").trim();
  return token.length > 0 && token.length <= 200 ? token : undefined;
}

/**
 * The live session a token names, its lifetime extended (SESSION_IDLE_MS from now, capped at
 * SESSION_MAX_MS after it opened) in the same statement; 401 `session_expired` otherwise.
 */
export async function resolveSession(ctx: AppContext, authorization: string | undefined): Promise<WidgetSession> {
  const token = sessionTokenOf(authorization);
  if (!token) throw sessionExpired("Authorization: missing widget session token; start again");
  const now = ctx.clock.now();
  const idleUntil = new Date(now.getTime() + SESSION_IDLE_MS);
  const row = await ctx.db
    .updateTable("widget_sessions")
    .set({ expires_at: sql<Date>`LEAST(${idleUntil}::timestamptz, created_at + ${`${SESSION_MAX_MS} milliseconds`}::interval)` })
    .where("token_hash", "=", sha256Hex(token))
    .where("expires_at", ">", now)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw sessionExpired();
  return { row, settings: settingsOf(row) };
}

/** The session as it is now (after a lost compare-and-set), or undefined once it is gone. */
export async function currentRow(ctx: AppContext, id: string): Promise<SessionRow | undefined> {
  return ctx.db.selectFrom("widget_sessions").selectAll().where("id", "=", id).executeTakeFirst();
}

/** What the payments engine needs of a payment's widget session: when it lapses and which payment it holds now. */
export async function sessionHold(db: AppContext["db"], id: string): Promise<Pick<SessionRow, "expires_at" | "payment_id"> | undefined> {
  return db.selectFrom("widget_sessions").select(["expires_at", "payment_id"]).where("id", "=", id).executeTakeFirst();
}

/** Writes what the session keeps beside its step (`result`, wiping the bank session) — never the step. */
export async function updateSession(ctx: AppContext, id: string, set: SessionSet): Promise<void> {
  await ctx.db.updateTable("widget_sessions").set({ ...set, updated_at: ctx.clock.now() }).where("id", "=", id).execute();
}

/** Counts one more bank call of `kind` on the session, atomically; 429 past `max`. */
export async function countTry(ctx: AppContext, id: string, kind: "login" | "mfa" | "payment" | "authorise", max: number): Promise<void> {
  const path = `{tries,${kind}}`;
  const row = await ctx.db
    .updateTable("widget_sessions")
    .set({ options: sql<string>`jsonb_set(options, ${path}::text[], to_jsonb(COALESCE((options #>> ${path}::text[])::int, 0) + 1))` })
    .where("id", "=", id)
    .returning(sql<number>`(options #>> ${path}::text[])::int`.as("tries"))
    .executeTakeFirst();
  if (!row) throw sessionExpired();
  if (Number(row.tries) > max) {
    const what = { login: `${max} logins`, mfa: `${max} answers`, payment: `${max} payments`, authorise: `${max} authorisations` }[kind];
    throw failure("RATE_LIMIT_EXCEEDED", `Too many tries: this widget session allows ${what}; close the widget and start again later`);
  }
}

/**
 * Wipes the sealed secrets of sessions that lapsed mid-flow (a customer who walked away after
 * logging in) and deletes sessions long expired with their step history, a bounded batch at a
 * time; history left by sessions deleted another way (their app was deleted: foreign-key cascade)
 * goes too. Run by the `housekeeping.widget_sessions` job (src/jobs/housekeeping.ts), not by
 * requests.
 */
export async function purgeExpiredWidgetSessions(ctx: AppContext, now: Date): Promise<void> {
  await ctx.db
    .updateTable("widget_sessions")
    .set({ credentials_sealed: null, bank_session_sealed: null })
    .where("expires_at", "<=", now)
    .where((eb) => eb.or([eb("credentials_sealed", "is not", null), eb("bank_session_sealed", "is not", null)]))
    .execute();
  const cutoff = new Date(now.getTime() - EXPIRED_RETENTION_MS);
  const object = stepMachine.object;
  await sql`
    WITH gone AS (
      DELETE FROM widget_sessions
      WHERE id IN (SELECT id FROM widget_sessions WHERE expires_at < ${cutoff} LIMIT ${PURGE_BATCH})
      RETURNING id
    )
    DELETE FROM state_transitions WHERE object_type = ${object} AND object_id IN (SELECT id FROM gone)`.execute(ctx.db);
  await sql`
    DELETE FROM state_transitions WHERE id IN (
      SELECT t.id FROM state_transitions t
      WHERE t.object_type = ${object} AND t.at < ${cutoff}
        AND NOT EXISTS (SELECT 1 FROM widget_sessions s WHERE s.id = t.object_id)
      LIMIT ${PURGE_BATCH})`.execute(ctx.db);
}

// ---------------------------------------------------------------------------------------------
// Sealing what the customer typed and the bank session
// ---------------------------------------------------------------------------------------------

const credentialsAad = (id: string) => `widget_sessions:${id}:credentials`;
const bankSessionAad = (id: string) => `widget_sessions:${id}:bank_session`;

export function sealCredentials(ctx: AppContext, id: string, c: LoginCredentials): string {
  return ctx.secrets.seal(JSON.stringify({ method: c.method, identifier: c.identifier, secret: c.secret.reveal() }), credentialsAad(id));
}
export function openCredentials(ctx: AppContext, id: string, sealed: string): LoginCredentials {
  const c = JSON.parse(ctx.secrets.open(sealed, credentialsAad(id))) as { method: LoginMethod; identifier: string; secret: string };
  return { method: c.method, identifier: c.identifier, secret: new Secret(c.secret) };
}
export function sealBankSession(ctx: AppContext, id: string, s: BankSession): string {
  return ctx.secrets.seal(JSON.stringify({ token: s.token.reveal(), expiresAt: s.expiresAt }), bankSessionAad(id));
}
export function openBankSession(ctx: AppContext, id: string, sealed: string): BankSession {
  const s = JSON.parse(ctx.secrets.open(sealed, bankSessionAad(id))) as { token: string; expiresAt: string };
  return { token: new Secret(s.token), expiresAt: s.expiresAt };
}
