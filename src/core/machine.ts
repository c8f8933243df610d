import { sql, type Kysely } from "kysely";

/**
 * The one state-machine mechanism of Okro's kernel. Every stateful object (payment, refund,
 * payout, consent, and what comes after them) declares its machine as data with
 * {@link defineMachine}, and changes state only through {@link transition}: one compare-and-set
 * on (id, state[, version columns]) that, when it wins, appends a history row and runs the
 * entry's side effects (ledger postings, events) in the caller's transaction.
 *
 * This file is kernel: it imports no domain and no `http/`. The pure part (edges, predicates,
 * `assert`) has no I/O; the store part only knows a table, a state column and a history table.
 */

// ── The pure machine ──────────────────────────────────────────────────────────────────────────

/** A move the machine does not declare. Domains map it to their own API answer (409/422). */
export class IllegalTransitionError<S extends string = string> extends Error {
  readonly object: string;
  readonly from: S;
  readonly to: S;
  constructor(object: string, from: S, to: S, allowed: readonly S[]) {
    super(`${object} cannot move from ${from} to ${to} (allowed from ${from}: ${allowed.length ? allowed.join(", ") : "none"})`);
    this.name = "IllegalTransitionError";
    this.object = object;
    this.from = from;
    this.to = to;
  }
}

/** A machine declared wrong (an edge to an undeclared state, a terminal state with exits, …): thrown at definition, i.e. at import. */
export class MachineDefinitionError extends Error {
  constructor(object: string, problem: string) {
    super(`machine ${object}: ${problem}`);
    this.name = "MachineDefinitionError";
  }
}

export interface MachineSpec<S extends string, P extends string> {
  /** What moves, for messages and history: `payment`, `refund`, … */
  object: string;
  states: readonly S[];
  /** Every allowed move, as data: state → the states it may move to. No self-loops (a re-check that learns nothing is not a transition). */
  edges: { readonly [K in S]: readonly S[] };
  /** States with no way out. Must be exactly the states whose edge list is empty. */
  terminal: readonly S[];
  /** Optional names of edges (`{ unknown: { processing: "resend_same_reference" } }`), for docs and history. */
  edgeNames?: { readonly [K in S]?: { readonly [T in S]?: string } };
  /** Named sets of states (`isFinal`, `isCancellable`), so a status set is declared once, next to the edges. */
  predicates?: { readonly [K in P]: readonly S[] };
}

export interface Machine<S extends string, P extends string = never> {
  readonly object: string;
  readonly states: readonly S[];
  readonly edges: { readonly [K in S]: readonly S[] };
  readonly terminal: readonly S[];
  /** The edge is declared. */
  can(from: S, to: S): boolean;
  /** Throws {@link IllegalTransitionError} (naming the object, from and to) unless `can(from, to)`. */
  assert(from: S, to: S): void;
  /** The states `from` may move to. */
  next(from: S): readonly S[];
  isTerminal(s: S): boolean;
  /** The declared name of an edge, if any. */
  edgeName(from: S, to: S): string | undefined;
  /** The declared predicates, as functions. */
  readonly is: { readonly [K in P]: (s: S) => boolean };
  /** Is `s` one of this machine's states (for values read from outside). */
  has(s: string): s is S;
}

/**
 * A machine's states, written once as a tuple and checked by the compiler to be exactly the
 * members of `U`: the union the state column stores (src/db/schema.ts, with its CHECK), so the
 * column's type and the machine's list cannot drift. A missing state fails to compile
 * (`{ missing: … }`), so does a foreign one; a duplicate fails {@link defineMachine}.
 *
 * ```ts
 * export const PAYMENT_STATES = statesOf<PaymentStateColumn>()(["queued", …]);
 * ```
 */
export const statesOf =
  <U extends string>() =>
  <const T extends readonly U[]>(states: T & ([Exclude<U, T[number]>] extends [never] ? unknown : { missing: Exclude<U, T[number]> })): T =>
    states;

/**
 * Declares a machine and checks the declaration: every edge goes to a declared state, no
 * self-loops or duplicate edges, the terminal states are exactly those without exits, and every
 * predicate names declared states. A bad declaration throws {@link MachineDefinitionError}.
 */
export function defineMachine<const S extends string, const P extends string = never>(spec: MachineSpec<S, P>): Machine<S, P> {
  const states = new Set<string>(spec.states);
  const fail = (problem: string): never => {
    throw new MachineDefinitionError(spec.object, problem);
  };
  if (states.size !== spec.states.length) fail("a state is declared twice");
  for (const s of Object.keys(spec.edges)) if (!states.has(s)) fail(`edges from undeclared state ${s}`);
  for (const s of spec.states) {
    const out = spec.edges[s];
    if (!out) fail(`no edge list for ${s} (use [] for a terminal state)`);
    if (new Set(out).size !== out.length) fail(`duplicate edge from ${s}`);
    for (const to of out) {
      if (!states.has(to)) fail(`edge ${s} → ${to}: ${to} is not a declared state`);
      if (to === s) fail(`self-loop on ${s}: staying put is not a transition`);
    }
    const terminal = spec.terminal.includes(s);
    if (terminal && out.length > 0) fail(`terminal state ${s} has exits (${out.join(", ")})`);
    if (!terminal && out.length === 0) fail(`state ${s} has no exits but is not declared terminal`);
  }
  for (const s of spec.terminal) if (!states.has(s)) fail(`terminal state ${s} is not a declared state`);
  for (const [from, names] of Object.entries(spec.edgeNames ?? {}) as [S, Record<string, string>][]) {
    for (const to of Object.keys(names)) if (!(spec.edges[from] as readonly string[] | undefined)?.includes(to)) fail(`name for undeclared edge ${from} → ${to}`);
  }
  const is = {} as Record<P, (s: S) => boolean>;
  for (const [name, members] of Object.entries(spec.predicates ?? {}) as [P, readonly S[]][]) {
    for (const s of members) if (!states.has(s)) fail(`predicate ${name} names undeclared state ${s}`);
    const set = new Set<string>(members);
    is[name] = (s: S) => set.has(s);
  }
  const can = (from: S, to: S): boolean => (spec.edges[from] as readonly S[] | undefined)?.includes(to) ?? false;
  return {
    object: spec.object,
    states: spec.states,
    edges: spec.edges,
    terminal: spec.terminal,
    can,
    assert(from, to) {
      if (!can(from, to)) throw new IllegalTransitionError(spec.object, from, to, spec.edges[from] ?? []);
    },
    next: (from) => spec.edges[from] ?? [],
    isTerminal: (s) => spec.terminal.includes(s),
    edgeName: (from, to) => spec.edgeNames?.[from]?.[to],
    is,
    has: (s: string): s is S => states.has(s),
  };
}

// ── The one compare-and-set transition ────────────────────────────────────────────────────────

/** Any Kysely database or open transaction; the kernel knows no domain's schema. */
export type AnyExecutor = Kysely<any>;

/** One history row, before the object's history table shapes it. `from` is null for the row that records creation. */
export interface HistoryRecord<S extends string> {
  object: string;
  id: string;
  from: S | null;
  to: S;
  actor: string;
  reason: string;
  detail: Record<string, unknown> | undefined;
  at: Date;
}

/**
 * The generic history table every machine but payments' writes to (`state_transitions`, migration
 * 0012): one row per move, keyed by object type and id. Pass it as a store's `history`.
 */
export const STATE_TRANSITIONS = {
  table: "state_transitions",
  row: (h: HistoryRecord<string>) => ({
    object_type: h.object,
    object_id: h.id,
    from_state: h.from,
    to_state: h.to,
    actor: h.actor,
    reason: h.reason,
    detail: JSON.stringify(h.detail ?? null),
    at: h.at,
  }),
};

/** What an entry effect sees: the row as the compare-and-set left it, the edge taken and why. */
export interface Entry<S extends string, Row, C> {
  ctx: C;
  row: Row;
  from: S;
  to: S;
  actor: string;
  reason: string;
  detail: Record<string, unknown> | undefined;
  at: Date;
}

export type EntryEffect<S extends string, Row, C, X> = (trx: X, entry: Entry<S, Row, C>) => Promise<void>;

/** Where a machine's objects live and what entering a state does. */
export interface MachineStore<S extends string, Row, C, X extends AnyExecutor = AnyExecutor> {
  machine: Machine<S, never>;
  /** The objects' table, keyed by `id`. */
  table: string;
  /** The column that holds the state (`state`, `status`). */
  stateColumn: string;
  /** The history table and how a record becomes its row. */
  history: { table: string; row: (h: HistoryRecord<S>) => Record<string, unknown> };
  /** Effects of entering a state (ledger postings, …), in the transition's transaction, after the history row. */
  onEnter?: { readonly [K in S]?: EntryEffect<S, Row, C, X> };
  /** Runs on every entry after `onEnter` (the object's event). */
  afterEnter?: EntryEffect<S, Row, C, X>;
}

/** Binds a machine to its table, history and entry effects. */
export function machineStore<S extends string, Row, C, X extends AnyExecutor = AnyExecutor>(store: MachineStore<S, Row, C, X>): MachineStore<S, Row, C, X> {
  return store;
}

export interface TransitionInput<S extends string> {
  id: string;
  /** The state the caller read: the compare-and-set's expectation. */
  from: S;
  to: S;
  /**
   * More columns the row must still hold for the move to win (`attempt`, a claim's `lease_until`,
   * a version): `null` matches IS NULL. Omit what does not matter.
   */
  match?: Record<string, unknown>;
  /** Columns to set with the state (the state column and nothing else is set by the machine). */
  set?: Record<string, unknown>;
  actor: string;
  /** Short, machine-readable cause (`customer_authorised`, `bank_timeout`, …). */
  reason: string;
  detail?: Record<string, unknown>;
  at: Date;
}

/** `lost_race`: the row was not in `from` (or no longer matched `match`) — someone else moved it first; nothing was written. */
export type TransitionResult<Row> = { ok: true; row: Row } | { ok: false; reason: "lost_race" };

/**
 * THE way an object changes state, in the caller's transaction:
 * 1. `assert(from, to)` (an undeclared move throws {@link IllegalTransitionError}: a bug, not a race);
 * 2. `UPDATE <table> SET <state> = to, …set WHERE id = $id AND <state> = $from [AND match…] RETURNING *`
 *    — no row back is `{ ok: false, reason: "lost_race" }` and nothing else is written;
 * 3. appends the history row (in the same statement as the UPDATE, only if it moved a row);
 * 4. runs `onEnter[to]`, then `afterEnter` (events), with the moved row.
 * Safe with any number of processes on one PostgreSQL: the UPDATE's row lock serialises racers and
 * the loser's WHERE no longer matches once the winner commits.
 */
export async function transition<S extends string, Row, C, X extends AnyExecutor>(
  trx: X,
  store: MachineStore<S, Row, C, X>,
  ctx: C,
  input: TransitionInput<S>,
): Promise<TransitionResult<Row>> {
  const { machine } = store;
  machine.assert(input.from, input.to);
  if (input.set && store.stateColumn in input.set) throw new Error(`${machine.object}: the state column is set by the transition, not by \`set\``);
  const db = trx as AnyExecutor;
  let q = db
    .updateTable(store.table)
    .set({ ...input.set, [store.stateColumn]: input.to })
    .where("id", "=", input.id)
    .where(store.stateColumn, "=", input.from);
  for (const [column, value] of Object.entries(input.match ?? {})) q = value === null ? q.where(column, "is", null) : q.where(column, "=", value);
  // One statement: the compare-and-set UPDATE, and the history row only if it moved a row.
  const history = store.history.row({ object: machine.object, id: input.id, from: input.from, to: input.to, actor: input.actor, reason: input.reason, detail: input.detail, at: input.at });
  const columns = Object.keys(history);
  const moved = (await db
    .with("moved", () => q.returningAll())
    .with("history", (qc) =>
      qc
        .insertInto(store.history.table)
        .columns(columns)
        // Bare parameters take the history columns' types (INSERT … SELECT coerces them).
        .expression(qc.selectFrom("moved").select(columns.map((column) => sql`${history[column]}`.as(column)))),
    )
    .selectFrom("moved")
    .selectAll()
    .executeTakeFirst()) as Row | undefined;
  if (!moved) return { ok: false, reason: "lost_race" };
  const entry: Entry<S, Row, C> = { ctx, row: moved, from: input.from, to: input.to, actor: input.actor, reason: input.reason, detail: input.detail, at: input.at };
  await store.onEnter?.[input.to]?.(trx, entry);
  await store.afterEnter?.(trx, entry);
  return { ok: true, row: moved };
}

/** Appends one history row (also the creation row, `from: null`, written by whoever inserts the object). */
export async function appendHistory<S extends string, X extends AnyExecutor>(trx: X, store: Pick<MachineStore<S, unknown, unknown, X>, "history">, h: HistoryRecord<S>): Promise<void> {
  await (trx as AnyExecutor).insertInto(store.history.table).values(store.history.row(h)).execute();
}
