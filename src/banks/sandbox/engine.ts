import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { SANDBOX_MAGIC, SANDBOX_PAYMENT_AUTH } from "../sandbox-logins.js";
import { hash as argon2Hash, verify as argon2Verify } from "@node-rs/argon2";
import type { Database } from "../../db/index.js";
import type { Clock } from "../../lib/clock.js";
import { newId } from "../../lib/ids.js";
import { sha256Hex } from "../../lib/secrets.js";
import {
  ConnectorError,
  invalidRequest,
  rejected,
  Secret,
  type AccountRef,
  type BankAccount,
  type BankTransaction,
  type ChallengeKind,
  type ConnectorOperation,
  type LoginResult,
  type Mandate,
  type TransferResult,
  type TransferStatus,
} from "../connector.js";
import { CallCounter, DEFAULT_MANDATE_ACTIVATION_MS, DEFAULT_PENDING_MS, FaultSettingsSchema, planFault } from "./faults.js";
import { accountTimeline, generateCustomer } from "./generate.js";
import { lagosDay, lagosDayStart, mergeHistory, type History } from "./history.js";
import { SANDBOX_BANKS, sandboxProfile } from "./profiles.js";
import { parseRequest, type ParsedRequest } from "./requests.js";
import { createRng } from "./rng.js";
import { MAX_SANDBOX_KOBO } from "./traits.js";
import * as store from "./store.js";
import {
  MAX_REALM_LENGTH,
  SandboxAdminError,
  type BankFaults,
  type CustomerInput,
  type CustomerTraits,
  type FaultPlan,
  type FaultSettings,
  type GeneratedAccount,
  type GeneratedCustomer,
  type GeneratedTxn,
  type OpRequest,
  type OpResult,
  type SandboxAdmin,
  type SandboxBankProfile,
  type SandboxClockView,
  type SandboxCustomerView,
  type SandboxEngine,
} from "./types.js";
import type { Executor, Trx } from "../../core/db.js";

/**
 * The sandbox bank network's engine: every connector operation, for every sandbox bank, in every
 * realm (one sandbox world per company). Generated data (built-in customers, histories) is a pure
 * function of the seed; what people did (sessions, transfers, postings, mandates, created
 * customers, faults, clock offsets) lives in PostgreSQL, so several Okro processes share one
 * network. Money movements on an account are serialised by an advisory lock; references are
 * unique by primary key, so a reference never moves money twice, whatever races.
 *
 * This is the bank's side of the wire. Faults are decided by {@link SandboxEngine.planFault} and
 * applied by the transport (in-process sleeps and errors, or the HTTP server's socket).
 */

export interface SandboxEngineOptions {
  db: Database;
  /** The platform clock; each realm's sandbox clock runs ahead of it by its offset. */
  clock: Clock;
  /** Seed of all generated data (default "okro"). */
  seed?: string;
  /** Multiplies the banks' own latency (default 1; 0 in fast tests). */
  latencyScale?: number;
}

export function createSandboxEngine(options: SandboxEngineOptions): SandboxEngine {
  return new Engine(options);
}

// ---------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const SESSION_MS = 30 * MINUTE;
const CHALLENGE_MS = 5 * MINUTE;
const LOCK_MS = 30 * MINUTE;
const MAX_TRIES = 5;
const OTP = SANDBOX_MAGIC.otp;
const PIN = SANDBOX_PAYMENT_AUTH.pin;
const QUESTION_ANSWER = SANDBOX_MAGIC.securityAnswer;
const MAGIC_PASSWORD = SANDBOX_MAGIC.password;
/** Developer-created customers' PIN for mobile-banking and account-number logins. */
const CREATED_PIN = "1234";

/** Where money goes when a debit names no destination, and where credits (refunds, payouts) come from. */
export const NETWORK_COLLECTION: AccountRef = { bankId: "000000000000000000000000", nuban: "0000000000" };
/** Where a pending transfer's money waits until it settles (to the payee) or fails (back to the payer). */
const NETWORK_SUSPENSE: AccountRef = { bankId: "000000000000000000000000", nuban: "0000000001" };
const NETWORK_NAME = "OKRO COLLECTIONS";
const isNetworkAccount = (a: AccountRef) => a.bankId === NETWORK_COLLECTION.bankId;

/** The two lines of a transfer: out of the payer, into the payee. */
function transferLegs(m: {
  kind: "debit" | "mandate_debit" | "credit";
  source: AccountRef;
  destination: AccountRef;
  amount: number;
  narration: string;
  reference: string;
  sessionId: string;
  fromName: string | undefined;
  toName: string | undefined;
}): { out: store.NewPosting; in: store.NewPosting } {
  const note = m.narration ? `/${m.narration}` : "";
  const toName = m.toName ?? NETWORK_NAME;
  const mandate = m.kind === "mandate_debit";
  return {
    out: {
      ...m.source,
      amount: -m.amount,
      narration: mandate ? `DIRECT DEBIT ${toName}${note}` : `NIP TRF TO ${toName}${note}`,
      category: mandate ? "direct_debit" : "transfer_out",
      reference: m.reference,
      sessionId: m.sessionId,
    },
    in: { ...m.destination, amount: m.amount, narration: `NIP TRF FROM ${m.fromName ?? NETWORK_NAME}${note}`, category: "transfer_in", reference: m.reference, sessionId: m.sessionId },
  };
}

type MagicKey = "okro_good" | "okro_otp" | "okro_question" | "okro_locked" | "okro_corp";
interface MagicSpec {
  login: "connected" | "otp" | "question" | "locked";
  corporateOnly?: true;
  traits: CustomerTraits;
}
const MAGIC: Record<MagicKey, MagicSpec> = {
  okro_good: { login: "connected", traits: { type: "ind", volume: "medium", identity: 100, noOfAccount: 2, internetSpeed: 4, income: { kind: "salary" } } },
  okro_otp: { login: "otp", traits: { type: "ind", volume: "medium", identity: 100, noOfAccount: 1, internetSpeed: 4 } },
  okro_question: { login: "question", traits: { type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4 } },
  okro_locked: { login: "locked", traits: { type: "ind", volume: "low", identity: 100, noOfAccount: 1, internetSpeed: 4 } },
  okro_corp: { login: "connected", corporateOnly: true, traits: { type: "corp", volume: "high", identity: 100, noOfAccount: 2, internetSpeed: 4 } },
};
const isMagic = (s: string): s is MagicKey => Object.hasOwn(MAGIC, s);

/** The generated residents of every bank (besides the magic users). */
const RESIDENTS: Array<(bank: SandboxBankProfile) => CustomerTraits> = [
  () => ({ type: "ind", volume: "high", identity: 100, noOfAccount: 2, internetSpeed: 4, income: { kind: "salary" } }),
  () => ({ type: "ind", volume: "low", identity: 70, noOfAccount: 1, internetSpeed: 3, income: { kind: "irregular" } }),
  (bank) =>
    bank.corporate
      ? { type: "corp", volume: "medium", identity: 100, noOfAccount: 1, internetSpeed: 4, income: { kind: "business" } }
      : { type: "ind", volume: "medium", identity: 90, noOfAccount: 3, internetSpeed: 4, income: { kind: "business" } },
];

const SECURITY_QUESTIONS = [
  "What is the name of your first school?",
  "What is your mother's maiden name?",
  "In which town were you born?",
  "What was the name of your first pet?",
];

/** A customer of a sandbox bank: built-in (generated from the seed) or created by a developer. */
interface Person {
  /** How sessions name it: `b:<bankId>:<key>` (built-in) or `c:<id>` (created). */
  ref: string;
  id: string;
  builtin: boolean;
  bank: SandboxBankProfile;
  data: GeneratedCustomer;
  username: string;
  phone: string;
  magic?: MagicKey;
  /** Built-in customers' login secrets (public fixtures). */
  password?: string;
  pin: string;
  /** Created customers' password (argon2). */
  passwordHash?: string;
  traits: CustomerTraits;
  createdAt: string;
  internetSpeed: number;
}

interface Realm {
  realm: string;
  epoch: Date;
  offsetMs: number;
  now: Date;
}

interface Challenge {
  kind: ChallengeKind;
  prompt: string;
  question?: string;
  expiresAt: string;
}

/**
 * A tiny LRU for immutable, recomputable things, bounded by total weight (entries count 1 each
 * unless `weigh` says otherwise: timelines weigh their number of lines, so the cache's memory is
 * bounded whatever the accounts' sizes).
 */
class Lru<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  #total = 0;
  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}
  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }
  set(key: K, value: V): void {
    const old = this.#map.get(key);
    if (old) {
      this.#total -= old.weight;
      this.#map.delete(key);
    }
    const weight = this.weigh(value);
    this.#map.set(key, { value, weight });
    this.#total += weight;
    for (const [oldest, entry] of this.#map) {
      if (this.#total <= this.maxWeight || oldest === key) break;
      this.#map.delete(oldest);
      this.#total -= entry.weight;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const LOGIN_METHOD_NAMES = { internet_banking: "internet banking", mobile_banking: "mobile banking", account_number: "account number login" } as const;

class Engine implements SandboxEngine {
  readonly admin: SandboxAdmin;
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #seed: string;
  readonly #latencyScale: number;
  readonly #counter = new CallCounter();
  readonly #knownRealms = new Set<string>();
  /** Built-in customers per (epoch, bank). */
  readonly #builtins = new Lru<string, Person[]>(200);
  readonly #created = new Lru<string, Person>(5000);
  /** ~200k generated lines at most (≈ 80 MB): a few hundred busy accounts. */
  readonly #timelines = new Lru<string, { until: number; lines: GeneratedTxn[] }>(200_000, (t) => t.lines.length + 1);

  constructor(options: SandboxEngineOptions) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#seed = options.seed ?? "okro";
    this.#latencyScale = options.latencyScale ?? 1;
    this.admin = new Admin(this);
  }

  profile(bankId: string): SandboxBankProfile | undefined {
    return sandboxProfile(bankId);
  }

  get db(): Database {
    return this.#db;
  }

  // -- realms and time ------------------------------------------------------------------------

  async realmOf(realm: string): Promise<Realm> {
    if (typeof realm !== "string" || realm.length === 0 || realm.length > MAX_REALM_LENGTH) {
      throw invalidRequest("realm", `must be 1–${MAX_REALM_LENGTH} characters`);
    }
    let row = this.#knownRealms.has(realm) ? await store.findRealm(this.#db, realm) : undefined;
    if (!row) {
      const now = this.#clock.now();
      // Realms created in the same month share an epoch, so the same seed gives the same histories.
      const epoch = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      await store.ensureRealm(this.#db, realm, epoch, now);
      row = (await store.findRealm(this.#db, realm))!;
      this.#knownRealms.add(realm);
    }
    return { ...row, now: new Date(this.#clock.now().getTime() + row.offsetMs) };
  }

  clockView(r: Realm): SandboxClockView {
    return { now: r.now.toISOString(), offsetMs: r.offsetMs };
  }

  // -- faults ----------------------------------------------------------------------------------

  async faultSettings(realm: string, bankId: string): Promise<FaultSettings> {
    const row = await this.#db
      .selectFrom("sandbox_faults")
      .select("settings")
      .where("realm", "=", realm)
      .where("bank_id", "=", bankId)
      .executeTakeFirst();
    return (row?.settings as FaultSettings | undefined) ?? {};
  }

  async planFault(realm: string, bankId: string, op: ConnectorOperation): Promise<FaultPlan> {
    const profile = this.requireBank(bankId);
    const r = await this.realmOf(realm);
    const settings = await this.faultSettings(realm, bankId);
    return planFault({
      settings,
      profile,
      op,
      now: r.now,
      latencyScale: this.#latencyScale,
      random: Math.random,
      withinRateLimit: (limit) => this.#counter.tryHit(`${realm}\u0000${bankId}`, r.now.getTime(), limit),
    });
  }

  requireBank(bankId: string): SandboxBankProfile {
    const profile = typeof bankId === "string" ? sandboxProfile(bankId) : undefined;
    if (!profile) throw new ConnectorError("not_supported", "this bank is not on the sandbox network");
    return profile;
  }

  // -- customers -------------------------------------------------------------------------------

  /** Built-in customers of a bank for a realm epoch: the magic users, then the residents. */
  builtins(bank: SandboxBankProfile, epoch: Date): Person[] {
    const key = `${epoch.toISOString()}|${bank.bankId}`;
    const cached = this.#builtins.get(key);
    if (cached) return cached;
    const anchor = epoch.toISOString();
    const taken = new Set<string>();
    const people: Person[] = [];
    for (const magic of Object.keys(MAGIC) as MagicKey[]) {
      const spec = MAGIC[magic];
      if (spec.corporateOnly && !bank.corporate) continue;
      // One person across the network: identity from a bank-independent seed, accounts per bank.
      const person = generateCustomer({ seed: `${this.#seed}:person:${magic}`, bank, traits: spec.traits, anchor });
      const here = generateCustomer({
        seed: `${this.#seed}:person:${magic}:${bank.bankId}`,
        bank,
        traits: { ...spec.traits, name: person.identity.fullName },
        anchor,
        avoidNubans: taken,
      });
      here.accounts.forEach((a) => taken.add(a.nuban));
      const data: GeneratedCustomer = { ...here, identity: person.identity, phone: person.phone, username: magic };
      people.push(this.builtinPerson(bank, magic, data, spec.traits, anchor, { magic, password: MAGIC_PASSWORD, pin: PIN }));
    }
    RESIDENTS.forEach((traitsOf, i) => {
      const traits = traitsOf(bank);
      const seed = `${this.#seed}:resident:${bank.bankId}:${i}`;
      const data = generateCustomer({ seed, bank, traits, anchor, avoidNubans: taken });
      data.accounts.forEach((a) => taken.add(a.nuban));
      const rng = createRng(`${seed}:secrets`);
      people.push(this.builtinPerson(bank, `r${i}`, data, traits, anchor, { password: `Pass-${rng.digits(4)}`, pin: rng.digits(4) }));
    });
    this.#builtins.set(key, people);
    return people;
  }

  private builtinPerson(
    bank: SandboxBankProfile,
    key: string,
    data: GeneratedCustomer,
    traits: CustomerTraits,
    anchor: string,
    secrets: { magic?: MagicKey; password: string; pin: string },
  ): Person {
    return {
      ref: `b:${bank.bankId}:${key}`,
      id: sha256Hex(`${this.#seed}|${bank.bankId}|${key}`).slice(0, 24),
      builtin: true,
      bank,
      data,
      username: data.username,
      phone: data.phone,
      ...(secrets.magic ? { magic: secrets.magic } : {}),
      password: secrets.password,
      pin: secrets.pin,
      traits,
      createdAt: anchor,
      internetSpeed: traits.internetSpeed,
    };
  }

  async createdPerson(id: string): Promise<Person | undefined> {
    const cached = this.#created.get(id);
    if (cached) return cached;
    const row = await this.#db.selectFrom("sandbox_customers").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) return undefined;
    const person = this.personFromRow(row);
    if (person) this.#created.set(id, person);
    return person;
  }

  personFromRow(row: { id: string; bank_id: string; username: string; phone: string; password_hash: string; traits: unknown; generated: unknown; created_at: Date }): Person | undefined {
    const bank = sandboxProfile(row.bank_id);
    if (!bank) return undefined;
    const traits = row.traits as CustomerTraits;
    return {
      ref: `c:${row.id}`,
      id: row.id,
      builtin: false,
      bank,
      data: row.generated as GeneratedCustomer,
      username: row.username,
      phone: row.phone,
      pin: CREATED_PIN,
      passwordHash: row.password_hash,
      traits,
      createdAt: row.created_at.toISOString(),
      internetSpeed: traits.internetSpeed,
    };
  }

  async personByRef(r: Realm, ref: string): Promise<Person | undefined> {
    if (ref.startsWith("c:")) return this.createdPerson(ref.slice(2));
    const [, bankId, key] = ref.split(":");
    const bank = bankId ? sandboxProfile(bankId) : undefined;
    return bank ? this.builtins(bank, r.epoch).find((p) => p.ref === ref) : undefined;
  }

  /** Who an identifier names at a bank, for a login method: a built-in customer first, then a created one. */
  private async findPerson(r: Realm, bank: SandboxBankProfile, method: string, identifier: string): Promise<Person | undefined> {
    const key = identifier.trim().toLowerCase();
    const builtins = this.builtins(bank, r.epoch);
    if (isMagic(key)) return builtins.find((p) => p.magic === key);
    const customers = this.#db.selectFrom("sandbox_customers").select("id").where("realm", "=", r.realm).where("bank_id", "=", bank.bankId);
    let builtin: Person | undefined;
    let created: { id: string } | undefined;
    if (method === "internet_banking") {
      builtin = builtins.find((p) => p.username === key);
      created = builtin ? undefined : await customers.where("username_key", "=", key).executeTakeFirst();
    } else if (method === "mobile_banking") {
      const phone = normalisePhone(key);
      if (!phone) return undefined;
      builtin = builtins.find((p) => p.phone === phone);
      created = builtin ? undefined : await customers.where("phone", "=", phone).executeTakeFirst();
    } else {
      builtin = builtins.find((p) => p.data.accounts.some((a) => a.nuban === key));
      created = builtin
        ? undefined
        : await this.#db
            .selectFrom("sandbox_accounts")
            .select("customer_id as id")
            .where("realm", "=", r.realm)
            .where("bank_id", "=", bank.bankId)
            .where("nuban", "=", key)
            .executeTakeFirst();
    }
    return builtin ?? (created && this.createdPerson(created.id));
  }

  /** The account holder of a NUBAN at a bank in a realm. */
  async findAccount(r: Realm, ref: AccountRef): Promise<{ person: Person; account: GeneratedAccount } | undefined> {
    const bank = sandboxProfile(ref.bankId);
    if (!bank) return undefined;
    for (const person of this.builtins(bank, r.epoch)) {
      const account = person.data.accounts.find((a) => a.nuban === ref.nuban);
      if (account) return { person, account };
    }
    const row = await this.#db
      .selectFrom("sandbox_accounts")
      .select("customer_id")
      .where("realm", "=", r.realm)
      .where("bank_id", "=", ref.bankId)
      .where("nuban", "=", ref.nuban)
      .executeTakeFirst();
    const person = row && (await this.createdPerson(row.customer_id));
    const account = person?.data.accounts.find((a) => a.nuban === ref.nuban);
    return person && account ? { person, account } : undefined;
  }

  // -- history ---------------------------------------------------------------------------------

  timeline(account: GeneratedAccount, until: Date): GeneratedTxn[] {
    const key = `${account.seed}|${account.openedAt}`;
    const cached = this.#timelines.get(key);
    if (cached && until.getTime() <= cached.until) return cached.lines;
    // Generate to the end of next month, so the cache serves a month of sandbox time; history is
    // prefix-stable (later `until` only appends), and merging stops at the realm's now anyway.
    const horizon = Date.UTC(until.getUTCFullYear(), until.getUTCMonth() + 2, 1) - 1;
    const lines = accountTimeline(account, new Date(horizon));
    this.#timelines.set(key, { until: horizon, lines });
    return lines;
  }

  /**
   * An account's history now. Every posting counts, even one stamped a moment after this
   * request's `now` (a concurrent request, or another process, that committed first): postings
   * are facts, and leaving one out would let a debit spend money already gone.
   */
  async history(db: Executor, r: Realm, bankId: string, account: GeneratedAccount): Promise<History> {
    const postings = await store.accountPostings(db, r.realm, bankId, account.nuban);
    const until = Math.max(r.now.getTime(), postings.at(-1)?.at ?? 0);
    return mergeHistory(account.openingBalance, this.timeline(account, new Date(until)), postings, until);
  }

  // -- sessions --------------------------------------------------------------------------------

  private async openSession(r: Realm, bank: SandboxBankProfile, person: Person, challenge: Challenge | undefined, attemptsLeft = MAX_TRIES): Promise<LoginResult> {
    const token = `sbx_${randomBytes(24).toString("base64url")}`;
    const expiresAt = new Date(r.now.getTime() + SESSION_MS).toISOString();
    await this.#db
      .insertInto("sandbox_sessions")
      .values({
        token_hash: sha256Hex(token),
        realm: r.realm,
        bank_id: bank.bankId,
        customer_ref: person.ref,
        state: challenge ? "mfa" : "connected",
        challenge: challenge ? JSON.stringify(challenge) : null,
        expires_at: expiresAt,
        created_at: r.now,
      })
      .execute();
    const session = { token: new Secret(token), expiresAt };
    if (!challenge) return { status: "connected", session };
    return { status: "mfa_required", session, challenge: { ...challenge, attemptsLeft } };
  }

  private async sessionRow(r: Realm, bankId: string, token: Secret) {
    const row = await this.#db
      .selectFrom("sandbox_sessions")
      .selectAll()
      .where("token_hash", "=", sha256Hex(token.reveal()))
      .executeTakeFirst();
    if (!row || row.realm !== r.realm || row.bank_id !== bankId) throw rejected("session_expired", "the bank session is not valid; log in again");
    if (row.expires_at.getTime() <= r.now.getTime()) throw rejected("session_expired", "the bank session has expired; log in again");
    if (row.state === "dead") throw rejected("locked", "this login was blocked after too many wrong answers; log in again later");
    return row;
  }

  /** The connected customer of a session (and the customer's connection speed, felt as latency). */
  async sessionPerson(r: Realm, bankId: string, token: Secret): Promise<Person> {
    const row = await this.sessionRow(r, bankId, token);
    if (row.state !== "connected") throw rejected("session_expired", "the login is waiting for its MFA answer");
    const person = await this.personByRef(r, row.customer_ref);
    if (!person) throw rejected("session_expired", "the bank session is not valid; log in again");
    const slowness = person.internetSpeed <= 2 ? 800 : person.internetSpeed === 3 ? 250 : 0;
    if (slowness && this.#latencyScale > 0) await sleep(slowness * this.#latencyScale);
    return person;
  }

  accountOf(person: Person, accountId: string): GeneratedAccount {
    const account = person.data.accounts.find((a) => a.nuban === accountId);
    if (!account) throw rejected("unknown_account", "accountId: the customer has no such account at this bank", { field: "accountId" });
    return account;
  }

  // -- operations ------------------------------------------------------------------------------

  async run<O extends ConnectorOperation>(realm: string, bankId: string, op: O, request: OpRequest<O>): Promise<OpResult<O>> {
    const bank = this.requireBank(bankId);
    const parsed = parseRequest(op, request);
    const r = await this.realmOf(realm);
    await this.settleDue(r);
    const handler = this.handlers[op] as (r: Realm, bank: SandboxBankProfile, req: ParsedRequest<O>) => Promise<OpResult<O>>;
    return handler(r, bank, parsed);
  }

  private readonly handlers: { [O in ConnectorOperation]: (r: Realm, bank: SandboxBankProfile, req: ParsedRequest<O>) => Promise<OpResult<O>> } = {
    startLogin: (r, bank, req) => this.startLogin(r, bank, req),
    answerMfa: (r, bank, req) => this.answerMfa(r, bank, req),
    listAccounts: async (r, bank, req) => {
      const person = await this.sessionPerson(r, bank.bankId, req.session.token);
      return person.data.accounts.map((a) => accountView(person, a));
    },
    getBalance: async (r, bank, req) => {
      const person = await this.sessionPerson(r, bank.bankId, req.session.token);
      const account = this.accountOf(person, req.accountId);
      const { balance } = await this.history(this.#db, r, bank.bankId, account);
      // A pending debit is held: gone from the available balance, still on the books.
      const held = await store.pendingFrom(this.#db, r.realm, bank.bankId, account.nuban);
      return { accountId: account.nuban, currency: account.currency, available: balance, ledger: balance + held, asOf: r.now.toISOString() };
    },
    listTransactions: (r, bank, req) => this.listTransactions(r, bank, req),
    getIdentity: async (r, bank, req) => (await this.sessionPerson(r, bank.bankId, req.session.token)).data.identity,
    debit: async (r, bank, req) => {
      const person = await this.sessionPerson(r, bank.bankId, req.session.token);
      const account = this.accountOf(person, req.accountId);
      await this.authorise(r, bank, account.nuban, req.authorization);
      return this.move(r, bank, {
        direction: "debit",
        kind: "debit",
        reference: req.reference,
        amount: req.amount,
        currency: req.currency,
        narration: req.narration,
        source: { bankId: bank.bankId, nuban: account.nuban },
        destination: req.destination ?? NETWORK_COLLECTION,
      });
    },
    debitStatus: (r, bank, req) => this.transferStatus(r, bank, "debit", req.reference),
    credit: (r, bank, req) =>
      this.move(r, bank, {
        direction: "credit",
        kind: "credit",
        reference: req.reference,
        amount: req.amount,
        currency: req.currency,
        narration: req.narration,
        source: NETWORK_COLLECTION,
        destination: req.destination,
      }),
    creditStatus: (r, bank, req) => this.transferStatus(r, bank, "credit", req.reference),
    createMandate: (r, bank, req) => this.createMandate(r, bank, req),
    getMandate: async (r, bank, req) =>
      mandateView("mandateId" in req ? await this.mandateRow(r, bank, req.mandateId) : await this.mandateByReference(r, bank, req.reference), r.now),
    cancelMandate: async (r, bank, req) => {
      const row = await this.mandateRow(r, bank, req.mandateId);
      if (!row.cancelled_at) {
        await this.#db.updateTable("sandbox_mandates").set({ cancelled_at: r.now }).where("id", "=", row.id).where("cancelled_at", "is", null).execute();
      }
      return mandateView(await this.mandateRow(r, bank, req.mandateId), r.now);
    },
    mandateBalance: async (r, bank, req) => {
      const row = await this.mandateRow(r, bank, req.mandateId);
      const mandate = mandateView(row, r.now);
      if (mandate.status !== "active") throw rejected("mandate_inactive", `the mandate is ${mandate.status}`);
      const found = await this.findAccount(r, { bankId: bank.bankId, nuban: row.nuban });
      if (!found) throw rejected("unknown_account", "the mandate's account is closed");
      const { balance } = await this.history(this.#db, r, bank.bankId, found.account);
      const held = await store.pendingFrom(this.#db, r.realm, bank.bankId, found.account.nuban);
      return { accountId: found.account.nuban, currency: found.account.currency, available: balance, ledger: balance + held, asOf: r.now.toISOString() };
    },
    debitMandate: async (r, bank, req) => {
      const row = await this.mandateRow(r, bank, req.mandateId);
      const mandate = mandateView(row, r.now);
      if (mandate.status !== "active") throw rejected("mandate_inactive", `the mandate is ${mandate.status}`);
      if (lagosDay(r.now) < mandate.startDate) throw rejected("mandate_inactive", `the mandate allows debits from ${mandate.startDate}`);
      if (req.amount > mandate.maxAmount) {
        throw rejected("limit_exceeded", `amount: above the mandate's limit of ${mandate.maxAmount} kobo per debit`, { field: "amount" });
      }
      if (req.currency !== mandate.currency) throw invalidRequest("currency", `must be the mandate's currency, ${mandate.currency}`);
      return this.move(r, bank, {
        direction: "debit",
        kind: "mandate_debit",
        mandateId: row.id,
        reference: req.reference,
        amount: req.amount,
        currency: req.currency,
        narration: req.narration,
        source: { bankId: bank.bankId, nuban: row.nuban },
        destination: { bankId: row.destination_bank_id, nuban: row.destination_nuban },
      });
    },
  };

  private async startLogin(r: Realm, bank: SandboxBankProfile, req: ParsedRequest<"startLogin">): Promise<LoginResult> {
    const { method, identifier, secret } = req.credentials;
    if (!bank.loginMethods.includes(method)) {
      throw new ConnectorError("not_supported", `${bank.name} does not offer ${LOGIN_METHOD_NAMES[method]}; use ${bank.loginMethods.map((m) => LOGIN_METHOD_NAMES[m]).join(" or ")}`);
    }
    const person = await this.findPerson(r, bank, method, identifier);
    if (!person) throw rejected("invalid_credentials", "the login details are not correct");
    if (person.magic === "okro_locked") throw rejected("locked", "this profile is locked; the customer must contact the bank");
    // A login locked by wrong MFA answers (answerMfa) stays locked for its window, right password or not.
    const mfa = await store.readGuard(this.#db, r.realm, bank.bankId, `mfa:${person.ref}`);
    if (mfa.lockedUntil && mfa.lockedUntil.getTime() > r.now.getTime()) {
      throw rejected("locked", `too many wrong answers to the second factor; try again after ${mfa.lockedUntil.toISOString()}`);
    }
    const subject = `login:${person.ref}`;
    // Evaluated first, decided atomically on the count (store.decideTry): racing guesses never
    // get more than MAX_TRIES wrong answers before the lock, and a locked login refuses even the
    // right password.
    const right = await this.secretMatches(person, method, secret);
    const guard = await store.decideTry(this.#db, r.realm, bank.bankId, subject, right, { limit: MAX_TRIES, now: r.now, lockMs: LOCK_MS });
    if (guard.lockedUntil) {
      throw rejected("locked", `too many wrong attempts; try again after ${guard.lockedUntil.toISOString()}`);
    }
    if (!right) throw rejected("invalid_credentials", "the login details are not correct", { attemptsLeft: MAX_TRIES - guard.failures });
    // A lapsed lock leaves its count behind until the next answer starts it again.
    const mfaUsed = mfa.lockedUntil ? 0 : Math.min(MAX_TRIES, mfa.failures);
    return this.openSession(r, bank, person, this.challengeFor(r, bank, person), MAX_TRIES - mfaUsed);
  }

  private async secretMatches(person: Person, method: string, secret: Secret): Promise<boolean> {
    const given = secret.reveal();
    if (person.builtin) {
      const expected = person.magic || method === "internet_banking" ? person.password! : person.pin;
      return safeEqual(given, expected);
    }
    if (method !== "internet_banking" && safeEqual(given, person.pin)) return true;
    try {
      return await argon2Verify(person.passwordHash!, given);
    } catch {
      return false;
    }
  }

  private challengeFor(r: Realm, bank: SandboxBankProfile, person: Person): Challenge | undefined {
    let kind: ChallengeKind | "none";
    if (person.magic) {
      const login = MAGIC[person.magic].login;
      kind = login === "otp" ? (bank.mfa === "hardware_token" ? "hardware_token" : "sms_otp") : login === "question" ? "security_question" : "none";
    } else {
      kind = person.traits.type === "corp" ? bank.corporateMfa : bank.mfa;
    }
    if (kind === "none") return undefined;
    const expiresAt = new Date(r.now.getTime() + CHALLENGE_MS).toISOString();
    if (kind === "security_question") {
      const question = SECURITY_QUESTIONS[createRng(person.ref).int(0, SECURITY_QUESTIONS.length - 1)]!;
      return { kind, prompt: `Answer your security question: ${question}`, question, expiresAt };
    }
    if (kind === "hardware_token") return { kind, prompt: `Enter the 6-digit code on your ${bank.name} token`, expiresAt };
    return { kind, prompt: `Enter the OTP ${bank.name} sent to ${maskPhone(person.phone)}`, expiresAt };
  }

  private async answerMfa(r: Realm, bank: SandboxBankProfile, req: ParsedRequest<"answerMfa">): Promise<LoginResult> {
    const row = await this.sessionRow(r, bank.bankId, req.session.token);
    if (row.state === "connected") return { status: "connected", session: { token: req.session.token, expiresAt: row.expires_at.toISOString() } };
    const challenge = row.challenge as Challenge;
    if (Date.parse(challenge.expiresAt) <= r.now.getTime()) throw rejected("mfa_expired", "the code has expired; log in again");
    const expected = challenge.kind === "security_question" ? QUESTION_ANSWER : OTP;
    const given = challenge.kind === "security_question" ? req.answer.reveal().trim().toLowerCase() : req.answer.reveal().trim();
    // Counted per bank login (the person), not per challenge: a new login does not bring fresh
    // tries. Reserved before the answer is checked, so racing guesses never get more than
    // MAX_TRIES checked.
    const subject = `mfa:${row.customer_ref}`;
    const right = safeEqual(given, expected);
    const tried = await store.decideTry(this.#db, r.realm, bank.bankId, subject, right, { limit: MAX_TRIES, now: r.now, lockMs: LOCK_MS });
    if (tried.lockedUntil) {
      await this.#db.updateTable("sandbox_sessions").set({ state: "dead" }).where("token_hash", "=", row.token_hash).execute();
      throw rejected("locked", `too many wrong answers; try again after ${tried.lockedUntil.toISOString()}`);
    }
    if (!right) {
      throw rejected("invalid_otp", challenge.kind === "security_question" ? "that answer is not correct" : "that code is not correct", {
        attemptsLeft: MAX_TRIES - tried.failures,
      });
    }
    await this.#db
      .updateTable("sandbox_sessions")
      .set({ state: "connected", challenge: null })
      .where("token_hash", "=", row.token_hash)
      .where("state", "=", "mfa")
      .execute();
    return { status: "connected", session: { token: req.session.token, expiresAt: row.expires_at.toISOString() } };
  }

  private async listTransactions(r: Realm, bank: SandboxBankProfile, req: ParsedRequest<"listTransactions">) {
    const person = await this.sessionPerson(r, bank.bankId, req.session.token);
    const account = this.accountOf(person, req.accountId);
    const from = req.from.length === 10 ? lagosDayStart(req.from) : Date.parse(req.from);
    const to = req.to.length === 10 ? lagosDayStart(req.to) + 24 * 3600_000 - 1 : Date.parse(req.to);
    if (from > to) throw invalidRequest("to", "must not be before from");
    const fingerprint = sha256Hex(`${account.nuban}|${req.from}|${req.to}`).slice(0, 16);
    let before = Infinity;
    if (req.cursor !== undefined) {
      const decoded = decodeCursor(req.cursor);
      if (!decoded || decoded.f !== fingerprint) throw invalidRequest("cursor", "is not a cursor of this account and date range");
      before = decoded.b;
    }
    const limit = req.limit ?? 100;
    const { lines } = await this.history(this.#db, r, bank.bankId, account);
    const page: BankTransaction[] = [];
    let i = Math.min(before, lines.length) - 1;
    let last = -1;
    for (; i >= 0 && page.length < limit; i--) {
      const line = lines[i]!;
      if (line.at > to) continue;
      if (line.at < from) break;
      page.push({
        id: line.id,
        postedAt: new Date(line.at).toISOString(),
        type: line.amount > 0 ? "credit" : "debit",
        amount: Math.abs(line.amount),
        currency: account.currency,
        balance: line.balance,
        narration: line.narration,
        category: line.category,
        ...(line.reference ? { reference: line.reference } : {}),
        ...(line.sessionId ? { sessionId: line.sessionId } : {}),
      });
      last = i;
    }
    const hasMore = page.length === limit && i >= 0 && lines[i]!.at >= from;
    return { transactions: page, hasMore, ...(hasMore ? { nextCursor: encodeCursor({ b: last, f: fingerprint }) } : {}) };
  }

  /** Checks a payment OTP/PIN; wrong ones count, five lock the account's payments for 30 minutes. */
  private async authorise(r: Realm, bank: SandboxBankProfile, nuban: string, auth: { otp?: Secret | undefined; pin?: Secret | undefined }): Promise<void> {
    const subject = `pay:${nuban}`;
    const right = (auth.otp ? safeEqual(auth.otp.reveal().trim(), OTP) : false) || (auth.pin ? safeEqual(auth.pin.reveal().trim(), PIN) : false);
    // Decided atomically on the count (store.decideTry): racing wrong codes never get more than
    // MAX_TRIES answered, and right codes racing each other (parallel payments) are all accepted.
    const guard = await store.decideTry(this.#db, r.realm, bank.bankId, subject, right, { limit: MAX_TRIES, now: r.now, lockMs: LOCK_MS });
    if (guard.lockedUntil) {
      throw rejected("locked", `payments from this account are blocked after too many wrong codes, until ${guard.lockedUntil.toISOString()}`);
    }
    if (!right) throw rejected("invalid_otp", auth.otp ? "the OTP is not correct" : "the PIN is not correct", { attemptsLeft: MAX_TRIES - guard.failures });
  }

  /**
   * Moves money between two accounts of the network, once per reference: validates both ends,
   * locks the customer accounts involved (in a fixed order, so two transfers never deadlock),
   * checks the payer's balance and daily limit, records the transfer (its primary key makes a used
   * reference a `duplicate_reference`) and posts it, all in one transaction. The network's
   * collection account pays and receives without limits.
   *
   * A pending transfer parks the money in the network's suspense account: the payer's money is
   * held, the payee has nothing to spend until it settles (see {@link settleDue}).
   */
  private async move(
    r: Realm,
    bank: SandboxBankProfile,
    m: {
      direction: "debit" | "credit";
      kind: "debit" | "mandate_debit" | "credit";
      mandateId?: string;
      reference: string;
      amount: number;
      currency: string;
      narration: string;
      source: AccountRef;
      destination: AccountRef;
    },
  ): Promise<TransferResult> {
    const source = isNetworkAccount(m.source) ? undefined : await this.findAccount(r, m.source);
    if (!isNetworkAccount(m.source) && !source) throw rejected("unknown_account", "source: no such account at this bank", { field: "source" });
    const destination = isNetworkAccount(m.destination) ? undefined : await this.findAccount(r, m.destination);
    if (!isNetworkAccount(m.destination) && !destination) {
      throw rejected("unknown_account", "destination: no such account on the network", { field: "destination" });
    }
    if (m.source.bankId === m.destination.bankId && m.source.nuban === m.destination.nuban) {
      throw invalidRequest("destination", "must be a different account from the one paying");
    }
    const faults = await this.faultSettings(r.realm, bank.bankId);
    const fails = hit(faults.failRate);
    const pending = fails || hit(faults.pendingRate);
    const sessionId = nipSessionId(bank, r.now);
    const status = pending ? "pending" : "success";

    let at = r.now;
    await this.#db.transaction().execute(async (trx) => {
      if (await store.findTransfer(trx, r.realm, bank.bankId, m.direction, m.reference)) throw duplicate(m.reference);
      if (m.mandateId) {
        // Re-read under the mandate's row lock: a cancel that committed meanwhile wins.
        const mandate = await trx.selectFrom("sandbox_mandates").select("cancelled_at").where("id", "=", m.mandateId).forUpdate().executeTakeFirst();
        if (!mandate || mandate.cancelled_at) throw rejected("mandate_inactive", "the mandate is cancelled");
      }
      await this.lockAccounts(trx, r, [m.source, m.destination]);
      // Stamped after the locks, so each account's postings are in the order they were made.
      at = new Date(Math.max(r.now.getTime(), this.#clock.now().getTime() + r.offsetMs));
      if (source) {
        const { balance } = await this.history(trx, { ...r, now: at }, m.source.bankId, source.account);
        if (m.amount > balance) throw rejected("insufficient_funds", "amount: more than the account's available balance", { field: "amount" });
        const day = lagosDay(at);
        const spent = await store.debitedSince(trx, r.realm, m.source.bankId, m.source.nuban, new Date(lagosDayStart(day)));
        if (spent + m.amount > source.account.dailyDebitLimit) {
          throw rejected("limit_exceeded", `amount: above the account's daily limit of ${source.account.dailyDebitLimit} kobo`, { field: "amount" });
        }
      }
      if (destination) {
        // A bank caps what an account may hold; this one at Okro's kobo range, so no balance the
        // sandbox reports can ever fall outside it.
        const { balance } = await this.history(trx, { ...r, now: at }, m.destination.bankId, destination.account);
        if (balance + m.amount > MAX_SANDBOX_KOBO) {
          throw rejected("limit_exceeded", `amount: would take the receiving account above its balance limit of ${MAX_SANDBOX_KOBO} kobo`, {
            field: "amount",
          });
        }
      }
      const inserted = await trx
        .insertInto("sandbox_transfers")
        .values({
          realm: r.realm,
          bank_id: bank.bankId,
          direction: m.direction,
          reference: m.reference,
          kind: m.kind,
          mandate_id: m.mandateId ?? null,
          amount: m.amount,
          currency: m.currency,
          source_bank_id: m.source.bankId,
          source_nuban: m.source.nuban,
          destination_bank_id: m.destination.bankId,
          destination_nuban: m.destination.nuban,
          status,
          settles_as: fails ? "failed" : "success",
          session_id: sessionId,
          narration: m.narration,
          created_at: at,
          settles_at: pending ? new Date(at.getTime() + (faults.pendingMs ?? DEFAULT_PENDING_MS)) : null,
        })
        .onConflict((oc) => oc.columns(["realm", "bank_id", "direction", "reference"]).doNothing())
        .returning("reference")
        .executeTakeFirst();
      if (!inserted) throw duplicate(m.reference);
      const legs = transferLegs({ ...m, sessionId, fromName: source?.account.name, toName: destination?.account.name });
      await store.insertPostings(trx, r.realm, at, pending ? [legs.out, { ...legs.in, ...NETWORK_SUSPENSE }] : [legs.out, legs.in]);
    });
    return { reference: m.reference, status, amount: m.amount, currency: m.currency, sessionId, at: at.toISOString() };
  }

  /** Locks the customer accounts among `refs` (network accounts need none), in a fixed order. */
  private async lockAccounts(trx: Trx, r: Realm, refs: AccountRef[]): Promise<void> {
    const keys = refs.filter((a) => !isNetworkAccount(a)).map((a) => `${a.bankId}:${a.nuban}`);
    for (const key of [...new Set(keys)].sort()) {
      const [bankId, nuban] = key.split(":") as [string, string];
      await store.lockAccount(trx, r.realm, bankId, nuban);
    }
  }

  /**
   * Settles the realm's pending transfers whose time has come, each by compare-and-set in its own
   * transaction: a success moves the money from suspense to the payee; a failure returns it to the
   * payer (a reversal line with the same reference). Runs before every operation, so balances and
   * statuses agree with the clock; the payee account is locked and the lines stamped after it, as
   * for any movement.
   */
  async settleDue(r: Realm): Promise<void> {
    const due = await store.dueTransfers(this.#db, r.realm, r.now);
    for (const t of due) {
      const source = { bankId: t.source_bank_id, nuban: t.source_nuban };
      const destination = { bankId: t.destination_bank_id, nuban: t.destination_nuban };
      const payee = t.settles_as === "failed" ? source : destination;
      // Outside the transaction: on the embedded database it holds the only connection.
      const names = await this.accountNames(r, source, destination);
      await this.#db.transaction().execute(async (trx) => {
        await this.lockAccounts(trx, r, [payee]);
        if (!(await store.settleTransfer(trx, t))) return;
        const at = new Date(Math.max(r.now.getTime(), this.#clock.now().getTime() + r.offsetMs));
        const amount = Number(t.amount);
        const common = { reference: t.reference, sessionId: t.session_id };
        await store.insertPostings(trx, r.realm, at, [
          { ...NETWORK_SUSPENSE, amount: -amount, narration: `SETTLE ${t.reference}`, category: "other", ...common },
          t.settles_as === "failed"
            ? { ...payee, amount, narration: `REV: NIP TRF TO ${names.to}${t.narration ? `/${t.narration}` : ""}`.slice(0, 140), category: "reversal", ...common }
            : { ...payee, amount, narration: `NIP TRF FROM ${names.from}${t.narration ? `/${t.narration}` : ""}`, category: "transfer_in", ...common },
        ]);
      });
    }
  }

  private async accountNames(r: Realm, source: AccountRef, destination: AccountRef): Promise<{ from: string; to: string }> {
    const name = async (a: AccountRef) => (isNetworkAccount(a) ? NETWORK_NAME : ((await this.findAccount(r, a))?.account.name ?? a.nuban));
    return { from: await name(source), to: await name(destination) };
  }

  private async transferStatus(r: Realm, bank: SandboxBankProfile, direction: "debit" | "credit", reference: string): Promise<TransferStatus> {
    const row = await store.findTransfer(this.#db, r.realm, bank.bankId, direction, reference);
    if (!row) return { reference, status: "not_found", found: false };
    return {
      found: true,
      reference,
      status: row.status,
      ...(row.status === "failed" ? { failureReason: "the receiving bank could not complete the transfer; the money was returned" } : {}),
      amount: Number(row.amount),
      currency: row.currency,
      sessionId: row.session_id,
      at: row.created_at.toISOString(),
    };
  }

  private async createMandate(r: Realm, bank: SandboxBankProfile, req: ParsedRequest<"createMandate">): Promise<Mandate> {
    const person = await this.sessionPerson(r, bank.bankId, req.session.token);
    const account = this.accountOf(person, req.accountId);
    const destination = req.destination ?? NETWORK_COLLECTION;
    if (req.destination && !(await this.findAccount(r, req.destination))) {
      throw rejected("unknown_account", "destination: no such account on the network", { field: "destination" });
    }
    await this.authorise(r, bank, account.nuban, req.authorization);
    const faults = await this.faultSettings(r.realm, bank.bankId);
    const id = newId(r.now);
    const inserted = await this.#db
      .insertInto("sandbox_mandates")
      .values({
        id,
        realm: r.realm,
        bank_id: bank.bankId,
        reference: req.reference,
        nuban: account.nuban,
        max_amount: req.maxAmount,
        currency: req.currency,
        start_date: req.startDate,
        end_date: req.endDate ?? null,
        destination_bank_id: destination.bankId,
        destination_nuban: destination.nuban,
        narration: req.narration,
        created_at: r.now,
        activates_at: new Date(r.now.getTime() + (faults.mandateActivationDelayMs ?? DEFAULT_MANDATE_ACTIVATION_MS)),
      })
      .onConflict((oc) => oc.columns(["realm", "bank_id", "reference"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) throw duplicate(req.reference);
    return mandateView(await this.mandateRow(r, bank, id), r.now);
  }

  private async mandateByReference(r: Realm, bank: SandboxBankProfile, reference: string) {
    const row = await this.#db
      .selectFrom("sandbox_mandates")
      .selectAll()
      .where("realm", "=", r.realm)
      .where("bank_id", "=", bank.bankId)
      .where("reference", "=", reference)
      .executeTakeFirst();
    if (!row) throw rejected("not_found", "reference: no mandate with this reference at this bank", { field: "reference" });
    return row;
  }

  private async mandateRow(r: Realm, bank: SandboxBankProfile, id: string) {
    const row = await this.#db
      .selectFrom("sandbox_mandates")
      .selectAll()
      .where("id", "=", id)
      .where("realm", "=", r.realm)
      .where("bank_id", "=", bank.bankId)
      .executeTakeFirst();
    if (!row) throw rejected("not_found", "mandateId: no such mandate at this bank", { field: "mandateId" });
    return row;
  }

  // -- admin helpers ---------------------------------------------------------------------------

  async customerView(r: Realm, person: Person): Promise<SandboxCustomerView> {
    await this.settleDue(r);
    const accounts = [];
    for (const a of person.data.accounts) {
      const { balance } = await this.history(this.#db, r, person.bank.bankId, a);
      accounts.push({ nuban: a.nuban, name: a.name, type: a.type, currency: a.currency, balance, openedAt: a.openedAt });
    }
    return {
      id: person.id,
      builtin: person.builtin,
      bankId: person.bank.bankId,
      bankName: person.bank.name,
      name: person.data.identity.fullName,
      username: person.username,
      ...(person.builtin ? { password: person.password!, pin: person.pin } : { pin: person.pin }),
      phone: person.phone,
      loginMethods: person.bank.loginMethods,
      mfa: person.magic ? magicMfa(person.magic, person.bank) : person.traits.type === "corp" ? person.bank.corporateMfa : person.bank.mfa,
      traits: person.traits,
      identity: person.data.identity,
      accounts,
      createdAt: person.createdAt,
    };
  }

  allBuiltins(r: Realm): Person[] {
    return SANDBOX_BANKS.flatMap((bank) => this.builtins(bank, r.epoch));
  }
}

// ---------------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------------

/** Largest page of customers (each needs its accounts' histories). */
const MAX_LIST_LIMIT = 100;
const ADMIN_HASH_OPTIONS = { memoryCost: 4096, timeCost: 1, parallelism: 1 };
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

class Admin implements SandboxAdmin {
  constructor(private readonly engine: Engine) {}

  banks(): SandboxBankProfile[] {
    return [...SANDBOX_BANKS];
  }

  async createCustomers(realm: string, inputs: CustomerInput[]): Promise<SandboxCustomerView[]> {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new SandboxAdminError("INVALID_FIELD", "customers: must be a non-empty list", "customers");
    if (inputs.length > 100) throw new SandboxAdminError("INVALID_FIELD", "customers: at most 100 at a time", "customers");
    const checked = inputs.map((input, i) => checkInput(input, `customers[${i}]`));
    const seen = new Set<string>();
    checked.forEach((c, i) => {
      const key = `${c.bankId}|${c.username.toLowerCase()}`;
      if (seen.has(key)) throw new SandboxAdminError("CONFLICT", `customers[${i}].username: appears twice for the same bank`, `customers[${i}].username`);
      seen.add(key);
    });
    const r = await this.engine.realmOf(realm);
    // Test customers' passwords are hashed like any password, with light argon2 parameters: they
    // guard sandbox fixtures, and a batch of 50 must not take seconds.
    const hashes = await Promise.all(checked.map((c) => argon2Hash(c.password, ADMIN_HASH_OPTIONS)));
    const ids: string[] = [];
    try {
      await this.engine.db.transaction().execute(async (trx) => {
        for (const [i, c] of checked.entries()) {
          const bank = sandboxProfile(c.bankId)!;
          const usernameKey = c.username.toLowerCase();
          const taken = await trx
            .selectFrom("sandbox_customers")
            .select("id")
            .where("realm", "=", r.realm)
            .where("bank_id", "=", bank.bankId)
            .where("username_key", "=", usernameKey)
            .executeTakeFirst();
          if (taken || this.engine.builtins(bank, r.epoch).some((p) => p.username === usernameKey)) {
            throw new SandboxAdminError("CONFLICT", `customers[${i}].username: already taken at ${bank.name}`, `customers[${i}].username`);
          }
          const avoid = new Set<string>(this.engine.builtins(bank, r.epoch).flatMap((p) => p.data.accounts.map((a) => a.nuban)));
          const existing = await trx.selectFrom("sandbox_accounts").select("nuban").where("realm", "=", r.realm).where("bank_id", "=", bank.bankId).execute();
          existing.forEach((e) => avoid.add(e.nuban));
          const id = newId(r.now);
          const traits: CustomerTraits = pickTraits(c);
          const data = generateCustomer({ seed: `${id}:${randomBytes(8).toString("hex")}`, bank, traits, anchor: r.now.toISOString(), avoidNubans: avoid });
          await trx
            .insertInto("sandbox_customers")
            .values({
              id,
              realm: r.realm,
              bank_id: bank.bankId,
              seed: id,
              username: c.username,
              username_key: usernameKey,
              phone: data.phone,
              password_hash: hashes[i]!,
              traits: JSON.stringify(traits),
              generated: JSON.stringify(data),
              anchor: r.now,
              created_at: r.now,
            })
            .execute();
          await trx
            .insertInto("sandbox_accounts")
            .values(data.accounts.map((a) => ({ realm: r.realm, bank_id: bank.bankId, nuban: a.nuban, customer_id: id })))
            .execute();
          if (traits.balance !== undefined) await this.setBalance(trx, r, bank, data.accounts[0]!, traits.balance);
          ids.push(id);
        }
      });
    } catch (error) {
      if ((error as { code?: string }).code === "23505") {
        throw new SandboxAdminError("CONFLICT", "customers: a username or account number was taken at the same moment; try again", "customers");
      }
      throw error;
    }
    const views: SandboxCustomerView[] = [];
    for (const id of ids) views.push(await this.engine.customerView(r, (await this.engine.createdPerson(id))!));
    return views;
  }

  /**
   * Makes a new account's balance now exactly `balance`: the generated history ends wherever the
   * generator's spending took it, so one visible line settles the difference ("SANDBOX BALANCE
   * SET TO …"), keeping every running balance honest.
   */
  private async setBalance(trx: Trx, r: Realm, bank: SandboxBankProfile, account: GeneratedAccount, balance: number): Promise<void> {
    const { balance: current } = await this.engine.history(trx, r, bank.bankId, account);
    const delta = balance - current;
    if (delta === 0) return;
    const naira = (balance / 100).toLocaleString("en-NG", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    await store.insertPostings(trx, r.realm, r.now, [
      { bankId: bank.bankId, nuban: account.nuban, amount: delta, narration: `SANDBOX BALANCE SET TO NGN ${naira}`, category: "other", reference: `sbx-balance-${account.nuban}` },
    ]);
  }

  async generateCustomers(realm: string, count: number): Promise<CustomerInput[]> {
    if (!Number.isInteger(count) || count < 1 || count > 10) throw new SandboxAdminError("INVALID_FIELD", "number: must be a whole number from 1 to 10", "number");
    const r = await this.engine.realmOf(realm);
    const banks = SANDBOX_BANKS;
    return Array.from({ length: count }, () => {
      const rng = createRng(randomBytes(16).toString("hex"));
      const bank = rng.pick(banks);
      const type = bank.corporate && rng.chance(0.25) ? "corp" : "ind";
      const traits: CustomerTraits = {
        type,
        volume: rng.pick(["low", "medium", "high"] as const),
        identity: rng.chance(0.6) ? 100 : rng.int(40, 99),
        noOfAccount: rng.int(1, 3),
        internetSpeed: rng.int(2, 4),
      };
      const person = generateCustomer({ seed: rng.digits(16), bank, traits, anchor: r.now.toISOString() });
      return {
        ...traits,
        bankId: bank.bankId,
        name: person.identity.fullName,
        username: `${person.username}${rng.digits(3)}`.slice(0, 64),
        password: `Sbx-${randomBytes(6).toString("base64url")}`,
      };
    });
  }

  async listCustomers(realm: string, page: number, limit: number): Promise<{ customers: SandboxCustomerView[]; total: number }> {
    if (!Number.isSafeInteger(page) || page < 1) throw new SandboxAdminError("INVALID_FIELD", "page: must be a whole number from 1", "page");
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new SandboxAdminError("INVALID_FIELD", `limit: must be a whole number from 1 to ${MAX_LIST_LIMIT}`, "limit");
    }
    const r = await this.engine.realmOf(realm);
    const db = this.engine.db;
    const createdTotal = Number(
      (await db.selectFrom("sandbox_customers").select((eb) => eb.fn.countAll<string>().as("n")).where("realm", "=", realm).executeTakeFirstOrThrow()).n,
    );
    const builtins = this.engine.allBuiltins(r);
    const total = createdTotal + builtins.length;
    const start = (page - 1) * limit;
    const people: Person[] = [];
    if (start < createdTotal) {
      const rows = await db
        .selectFrom("sandbox_customers")
        .selectAll()
        .where("realm", "=", realm)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .offset(start)
        .limit(limit)
        .execute();
      for (const row of rows) {
        const person = this.engine.personFromRow(row);
        if (person) people.push(person);
      }
    }
    const builtinStart = Math.max(0, start - createdTotal);
    people.push(...builtins.slice(builtinStart, builtinStart + (limit - people.length)));
    const customers: SandboxCustomerView[] = [];
    for (const p of people) customers.push(await this.engine.customerView(r, p));
    return { customers, total };
  }

  async getCustomer(realm: string, id: string): Promise<SandboxCustomerView | undefined> {
    if (typeof id !== "string") return undefined;
    const r = await this.engine.realmOf(realm);
    const builtin = this.engine.allBuiltins(r).find((p) => p.id === id);
    if (builtin) return this.engine.customerView(r, builtin);
    const row = await this.engine.db.selectFrom("sandbox_customers").select("id").where("realm", "=", realm).where("id", "=", id).executeTakeFirst();
    const person = row && (await this.engine.createdPerson(row.id));
    return person && this.engine.customerView(r, person);
  }

  async getFaults(realm: string): Promise<BankFaults[]> {
    const rows = await this.engine.db.selectFrom("sandbox_faults").selectAll().where("realm", "=", realm).orderBy("bank_id").execute();
    return rows.map((row) => ({ bankId: row.bank_id, settings: row.settings as FaultSettings, updatedAt: row.updated_at.toISOString() }));
  }

  async setFaults(realm: string, bankId: string, settings: FaultSettings): Promise<BankFaults> {
    if (typeof bankId !== "string" || !sandboxProfile(bankId)) throw new SandboxAdminError("NOT_FOUND", "bankId: no such sandbox bank", "bankId");
    const parsed = FaultSettingsSchema.safeParse(settings);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = ["settings", ...issue.path].join(".");
      throw new SandboxAdminError("INVALID_FIELD", `${field}: ${issue.message}`, field);
    }
    const r = await this.engine.realmOf(realm);
    const row = await this.engine.db
      .insertInto("sandbox_faults")
      .values({ realm, bank_id: bankId, settings: JSON.stringify(parsed.data), updated_at: r.now })
      .onConflict((oc) => oc.columns(["realm", "bank_id"]).doUpdateSet({ settings: JSON.stringify(parsed.data), updated_at: r.now }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { bankId, settings: row.settings as FaultSettings, updatedAt: row.updated_at.toISOString() };
  }

  async clearFaults(realm: string, bankId?: string): Promise<void> {
    if (bankId !== undefined && (typeof bankId !== "string" || !sandboxProfile(bankId))) {
      throw new SandboxAdminError("NOT_FOUND", "bankId: no such sandbox bank", "bankId");
    }
    let q = this.engine.db.deleteFrom("sandbox_faults").where("realm", "=", realm);
    if (bankId) q = q.where("bank_id", "=", bankId);
    await q.execute();
  }

  async getClock(realm: string): Promise<SandboxClockView> {
    return this.engine.clockView(await this.engine.realmOf(realm));
  }

  async advanceClock(realm: string, ms: number): Promise<SandboxClockView> {
    if (!Number.isSafeInteger(ms) || ms <= 0 || ms > 366 * 24 * 3600_000) {
      throw new SandboxAdminError("INVALID_FIELD", "ms: must be a whole number of milliseconds from 1 to 366 days", "ms");
    }
    await this.engine.realmOf(realm);
    await store.advanceRealmClock(this.engine.db, realm, ms);
    return this.engine.clockView(await this.engine.realmOf(realm));
  }
}

function checkInput(input: CustomerInput, at: string): CustomerInput {
  const fail = (field: string, message: string): never => {
    throw new SandboxAdminError("INVALID_FIELD", `${at}.${field}: ${message}`, `${at}.${field}`);
  };
  if (input === null || typeof input !== "object") fail("", "must be an object");
  if (typeof input.bankId !== "string" || !sandboxProfile(input.bankId)) fail("bank", "must be the id of a sandbox bank");
  if (typeof input.username !== "string" || !USERNAME.test(input.username)) fail("username", "must be 1–64 letters, digits, '.', '_', '-' or '@'");
  if (isMagic(input.username.toLowerCase())) fail("username", "is a reserved magic username");
  if (typeof input.password !== "string" || input.password.length < 1 || input.password.length > 128) fail("password", "must be 1–128 characters");
  if (input.type !== "ind" && input.type !== "corp") fail("type", "must be ind or corp");
  if (input.type === "corp" && !sandboxProfile(input.bankId)!.corporate) fail("type", "this bank has no corporate banking in the sandbox");
  if (!["low", "medium", "high"].includes(input.volume)) fail("volume", "must be low, medium or high");
  if (!Number.isInteger(input.identity) || input.identity < 1 || input.identity > 100) fail("identity", "must be a whole number from 1 to 100");
  if (!Number.isInteger(input.noOfAccount) || input.noOfAccount < 1 || input.noOfAccount > 5) fail("noOfAccount", "must be a whole number from 1 to 5");
  if (!Number.isInteger(input.internetSpeed) || input.internetSpeed < 2 || input.internetSpeed > 4) fail("internetSpeed", "must be 2, 3 or 4");
  if (input.name !== undefined && (typeof input.name !== "string" || input.name.trim().length < 2 || input.name.length > 100)) fail("name", "must be 2–100 characters");
  if (input.balance !== undefined && (!Number.isSafeInteger(input.balance) || input.balance < 0)) fail("balance", "must be a whole number of kobo, 0 or more");
  if (input.bvn !== undefined && (typeof input.bvn !== "string" || !/^\d{11}$/.test(input.bvn))) fail("bvn", "must be 11 digits");
  if (input.bvn !== undefined && input.type !== "ind") fail("bvn", "only individuals have a BVN");
  if (input.income !== undefined) {
    const income = input.income;
    if (income === null || typeof income !== "object" || !["salary", "business", "irregular", "none"].includes(income.kind)) {
      fail("income.kind", "must be salary, business, irregular or none");
    }
    if (income.amount !== undefined && (!Number.isSafeInteger(income.amount) || income.amount < 0)) fail("income.amount", "must be a whole number of kobo, 0 or more");
    if (income.payday !== undefined && (!Number.isInteger(income.payday) || income.payday < 1 || income.payday > 31)) fail("income.payday", "must be a day of the month, 1 to 31");
  }
  return input;
}

function pickTraits(c: CustomerInput): CustomerTraits {
  return {
    type: c.type,
    volume: c.volume,
    identity: c.identity,
    noOfAccount: c.noOfAccount,
    internetSpeed: c.internetSpeed,
    ...(c.name !== undefined ? { name: c.name.trim() } : {}),
    ...(c.balance !== undefined ? { balance: c.balance } : {}),
    ...(c.bvn !== undefined ? { bvn: c.bvn } : {}),
    ...(c.income !== undefined
      ? {
          income: {
            kind: c.income.kind,
            ...(c.income.amount !== undefined ? { amount: c.income.amount } : {}),
            ...(c.income.payday !== undefined ? { payday: c.income.payday } : {}),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------

function accountView(person: Person, a: GeneratedAccount): BankAccount {
  return {
    id: a.nuban,
    nuban: a.nuban,
    name: a.name,
    type: a.type,
    currency: a.currency,
    ...(person.data.identity.bvn ? { bvn: person.data.identity.bvn } : {}),
    openedAt: a.openedAt,
  };
}

type MandateRow = Awaited<ReturnType<Engine["mandateRow"]>>;

function mandateView(row: MandateRow, now: Date): Mandate {
  const today = lagosDay(now);
  const status: Mandate["status"] = row.cancelled_at
    ? "cancelled"
    : row.end_date && today > row.end_date
      ? "expired"
      : now.getTime() >= row.activates_at.getTime()
        ? "active"
        : "pending";
  return {
    id: row.id,
    reference: row.reference,
    status,
    accountId: row.nuban,
    maxAmount: Number(row.max_amount),
    currency: row.currency,
    startDate: row.start_date,
    ...(row.end_date ? { endDate: row.end_date } : {}),
    createdAt: row.created_at.toISOString(),
    activatesAt: row.activates_at.toISOString(),
    ...(row.cancelled_at ? { cancelledAt: row.cancelled_at.toISOString() } : {}),
  };
}

function magicMfa(magic: MagicKey, bank: SandboxBankProfile): ChallengeKind | "none" {
  const login = MAGIC[magic].login;
  if (login === "otp") return bank.mfa === "hardware_token" ? "hardware_token" : "sms_otp";
  return login === "question" ? "security_question" : "none";
}

const hit = (rate: number | undefined) => rate !== undefined && rate > 0 && Math.random() < rate;

const duplicate = (reference: string) =>
  rejected("duplicate_reference", `reference: ${reference} was already used at this bank; re-query it instead`, { field: "reference" });

function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

/** "+2348031234567", "2348031234567", "0803 123 4567" → "08031234567". */
function normalisePhone(input: string): string | undefined {
  let digits = input.replace(/[\s()+-]/g, "");
  if (!/^\d+$/.test(digits)) return undefined;
  if (digits.startsWith("234") && digits.length === 13) digits = `0${digits.slice(3)}`;
  return digits.length === 11 ? digits : undefined;
}

const maskPhone = (phone: string) => `${phone.slice(0, 3)}******${phone.slice(-2)}`;

/** A NIP-like session id: sending institution's 6-digit code, yymmddHHmmss, 12 random digits. */
function nipSessionId(bank: SandboxBankProfile, at: Date): string {
  const t = at.toISOString();
  const stamp = `${t.slice(2, 4)}${t.slice(5, 7)}${t.slice(8, 10)}${t.slice(11, 13)}${t.slice(14, 16)}${t.slice(17, 19)}`;
  const random = Array.from({ length: 12 }, () => randomInt(10)).join("");
  return `${bank.nipCode.padStart(6, "0").slice(-6)}${stamp}${random}`;
}

function encodeCursor(c: { b: number; f: string }): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function decodeCursor(cursor: string): { b: number; f: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (value && typeof value === "object" && Number.isInteger((value as { b: unknown }).b) && typeof (value as { f: unknown }).f === "string") {
      const c = value as { b: number; f: string };
      return c.b >= 0 ? c : undefined;
    }
  } catch {
    // not base64url JSON: fall through
  }
  return undefined;
}
