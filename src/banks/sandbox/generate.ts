import type { AccountType, BankAddress, BankIdentity, TransactionCategory } from "../connector.js";
import { BANK_DIRECTORY } from "../directory.js";
import { makeNuban } from "../nuban.js";
import {
  COMMON_MIDDLE_NAMES,
  COMPANY_NAME_PARTS,
  EMAIL_DOMAINS,
  EMPLOYERS,
  ESTATES,
  INTERNET_PLANS,
  NAME_GROUPS,
  POS_MERCHANTS,
  STATES,
  TELCOS,
  TV_PLANS,
  WEB_MERCHANTS,
  type MerchantKind,
  type NameGroup,
  type NigerianState,
  type Town,
} from "./names.js";
import { createRng, type Rng } from "./rng.js";
import { balanceProblem, incomeProblems, MAX_SANDBOX_KOBO } from "./traits.js";
import type {
  CustomerSpec,
  CustomerTraits,
  GeneratedAccount,
  GeneratedCustomer,
  GeneratedTxn,
  IncomePattern,
  Volume,
} from "./types.js";

/**
 * The sandbox bank's data generator: customers (identity and accounts) and the history of each
 * account, realistic for Nigeria. Pure and deterministic: everything derives from the seeds and
 * dates given (no clock, no Math.random, no I/O).
 *
 * History is generated month by month (Lagos calendar months, counted from the month the account
 * was opened). Month k is planned from its own random stream, `fork(k)` of the account's seed, so
 * it never depends on how far the history was generated; only the running balance is carried
 * from month to month. Hence `accountTimeline(a, t1)` is always a prefix of
 * `accountTimeline(a, t2)` for t1 < t2, and the history grows as the sandbox clock moves.
 *
 * Planning a month draws every line it might post without looking at the balance; posting then
 * walks the plan in time order with the running balance, shrinking or skipping debits that would
 * take it below zero, and adds the charges a Nigerian bank adds (NIP fees, stamp duty, SMS
 * alerts, account maintenance) and savings interest.
 */

// ---------------------------------------------------------------------------------------------
// Money, time and the Lagos calendar
// ---------------------------------------------------------------------------------------------

const KOBO = 100;
/** West Africa Time: UTC+1 all year. */
const LAGOS_OFFSET_MS = 3_600_000;
const DAY_MS = 86_400_000;
const HOUR_S = 3600;
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
/** Fixed-date public holidays (month 0–11, day): New Year, Workers' Day, Democracy Day, Independence, Christmas, Boxing Day. */
const FIXED_HOLIDAYS = new Set(["0-1", "4-1", "5-12", "9-1", "11-25", "11-26"]);

/** ₦10,000: electronic receipts from this amount pay stamp duty. */
const STAMP_DUTY_THRESHOLD = 10_000 * KOBO;
const STAMP_DUTY = 50 * KOBO;

/** NIP transfer charge including VAT (₦10 / ₦25 / ₦50 + 7.5%), by amount band. */
function nipFee(amount: number): number {
  if (amount <= 5_000 * KOBO) return 1_075;
  if (amount <= 50_000 * KOBO) return 2_688;
  return 5_375;
}

/** The instant of a Lagos wall-clock time; `month` and `day` may overflow as with Date.UTC. */
function lagosInstant(year: number, month: number, day: number, secondOfDay = 0): number {
  return Date.UTC(year, month, day) + secondOfDay * 1000 - LAGOS_OFFSET_MS;
}

/** Lagos calendar fields of an instant (month 0–11). */
function lagosDate(ms: number): { year: number; month: number; day: number } {
  const d = new Date(ms + LAGOS_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function isWorkingDay(year: number, month: number, day: number): boolean {
  const weekday = new Date(Date.UTC(year, month, day)).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !FIXED_HOLIDAYS.has(`${month}-${day}`);
}

/**
 * The day a payday lands on: the day itself (clipped to the month's length) when it is a working
 * day, else the working day before; if that would leave the month, the working day after.
 * `"last"` is the month's last working day.
 */
function paydayIn(year: number, month: number, payday: number | "last"): number {
  const days = daysInMonth(year, month);
  let day = payday === "last" ? days : Math.min(payday, days);
  const wanted = day;
  while (day >= 1 && !isWorkingDay(year, month, day)) day--;
  if (day >= 1) return day;
  day = wanted;
  while (!isWorkingDay(year, month, day)) day++;
  return day;
}

function parseInstant(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid date: ${JSON.stringify(iso)}`);
  return ms;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "yyMMddHHmmss" in Lagos time, as NIP session ids carry it. */
function nipTimestamp(ms: number): string {
  const d = new Date(ms + LAGOS_OFFSET_MS);
  return (
    pad2(d.getUTCFullYear() % 100) +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds())
  );
}

// ---------------------------------------------------------------------------------------------
// Random helpers
// ---------------------------------------------------------------------------------------------

function weighted<T>(rng: Rng, items: readonly T[], weight: (item: T) => number): T {
  let total = 0;
  for (const item of items) total += weight(item);
  let target = rng.next() * total;
  for (const item of items) {
    target -= weight(item);
    if (target < 0) return item;
  }
  return items[items.length - 1]!;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng.next() * (hi - lo);
}

/** Whole naira (as kobo) between `lo` and `hi` naira, log-uniformly: small amounts are commoner. */
function logNaira(rng: Rng, lo: number, hi: number): number {
  return Math.round(Math.exp(uniform(rng, Math.log(lo), Math.log(hi)))) * KOBO;
}

/** `kobo` rounded to a multiple of `step` kobo, at least one step. */
function roundTo(kobo: number, step: number): number {
  return Math.max(step, Math.round(kobo / step) * step);
}

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

/** Typical monthly income by holder, income kind and volume (naira ranges). */
const INCOME_NAIRA: Record<"individual" | "corporate", Record<Exclude<IncomePattern["kind"], "none">, Record<Volume, [number, number]>>> = {
  individual: {
    salary: { low: [70_000, 250_000], medium: [250_000, 1_200_000], high: [1_200_000, 8_000_000] },
    business: { low: [50_000, 300_000], medium: [300_000, 2_000_000], high: [2_000_000, 15_000_000] },
    irregular: { low: [20_000, 150_000], medium: [150_000, 800_000], high: [800_000, 5_000_000] },
  },
  corporate: {
    salary: { low: [1_000_000, 5_000_000], medium: [5_000_000, 40_000_000], high: [40_000_000, 200_000_000] },
    business: { low: [2_000_000, 15_000_000], medium: [15_000_000, 120_000_000], high: [120_000_000, 800_000_000] },
    irregular: { low: [1_000_000, 8_000_000], medium: [8_000_000, 60_000_000], high: [60_000_000, 400_000_000] },
  },
};

/** Opening balances (naira) by volume; corporates ×10. */
const OPENING_NAIRA: Record<Volume, [number, number]> = {
  low: [5_000, 80_000],
  medium: [80_000, 1_500_000],
  high: [1_500_000, 20_000_000],
};

/** Target history lines a month, fees included (roughly). */
const LINES_PER_MONTH: Record<"individual" | "corporate", Record<Volume, number>> = {
  individual: { low: 8, medium: 25, high: 60 },
  corporate: { low: 30, medium: 80, high: 180 },
};

const LOWER_VOLUME: Record<Volume, Volume> = { low: "low", medium: "low", high: "medium" };

/** Every NIP institution code of the directory: the banks counterparties send from. */
const NIP_CODES: readonly string[] = BANK_DIRECTORY.map((b) => b.nip_code);

/** Optional identity fields, subject to completeness. */
const OPTIONAL_FIELDS = [
  "firstName",
  "middleName",
  "lastName",
  "bvn",
  "dateOfBirth",
  "gender",
  "phones",
  "emails",
  "address",
  "maritalStatus",
  "nationality",
  "rcNumber",
] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];

/** How likely a bank is to hold a field (higher: dropped later as completeness falls). */
const FIELD_PRIORITY: Record<OptionalField, number> = {
  bvn: 3,
  phones: 3,
  rcNumber: 3,
  firstName: 2.5,
  lastName: 2.5,
  dateOfBirth: 2,
  address: 1.5,
  emails: 1.5,
  gender: 1.5,
  middleName: 1,
  maritalStatus: 0.5,
  nationality: 0.5,
};

/** What the generator knows about a customer beyond the identity the bank shows. */
interface Person {
  /** Complete (before completeness). */
  identity: BankIdentity;
  phone: string;
  telco: string;
  username: string;
  state: NigerianState;
  town: string;
  /** People they send money to and receive it from (upper case). */
  contacts: string[];
}

/** Letters and digits only, lower case, accents removed ("Adéwálé" → "adewale"). */
function slug(text: string): string {
  return text.normalize("NFD").replace(/[^A-Za-z0-9]/g, "").toLowerCase();
}

function phoneNumber(rng: Rng): { phone: string; telco: string } {
  const telco = weighted(rng, TELCOS, (t) => t.weight);
  return { phone: rng.pick(telco.prefixes) + rng.digits(7), telco: telco.name };
}

function personName(rng: Rng, group: NameGroup = weighted(rng, NAME_GROUPS, (g) => g.weight)): string {
  const gender = rng.chance(0.5) ? "female" : "male";
  return `${rng.pick(group[gender])} ${rng.pick(group.surnames)}`.toUpperCase();
}

function companyName(rng: Rng): { name: string; lead: string; sector: string } {
  const lead = rng.chance(0.3) ? rng.pick(weighted(rng, NAME_GROUPS, (g) => g.weight).surnames) : rng.pick(COMPANY_NAME_PARTS.words);
  const sector = rng.pick(COMPANY_NAME_PARTS.sectors);
  return { name: `${lead} ${sector} ${rng.pick(COMPANY_NAME_PARTS.suffixes)}`, lead, sector };
}

function stateNamed(name: string): NigerianState {
  const state = STATES.find((s) => s.state === name);
  if (state === undefined) throw new Error(`names.ts has no state ${name}`);
  return state;
}

/** Where a person lives: Lagos or Abuja for many, else one of their group's home states. */
function residence(rng: Rng, homeStates: readonly string[]): NigerianState {
  const roll = rng.next();
  return stateNamed(roll < 0.45 ? "Lagos" : roll < 0.6 ? "FCT" : rng.pick(homeStates));
}

function address(rng: Rng, state: NigerianState, town: Town, plot: boolean): BankAddress {
  const number = plot ? `Plot ${rng.int(1, 60)}` : String(rng.int(1, 150));
  return { street: `${number} ${rng.pick(town.streets)}`, city: town.name, state: state.state, country: "Nigeria" };
}

const FEMALE_NAMES = new Set(NAME_GROUPS.flatMap((g) => g.female).concat(COMMON_MIDDLE_NAMES.female).map((n) => n.toLowerCase()));
const MALE_NAMES = new Set(NAME_GROUPS.flatMap((g) => g.male).concat(COMMON_MIDDLE_NAMES.male).map((n) => n.toLowerCase()));

function individual(rng: Rng, anchorMs: number, givenName: string | undefined): Person {
  const group = weighted(rng, NAME_GROUPS, (g) => g.weight);
  let gender: "male" | "female" = rng.chance(0.5) ? "female" : "male";
  let firstName: string | undefined = rng.pick(group[gender]);
  let middleName: string | undefined = rng.chance(0.5)
    ? rng.pick(COMMON_MIDDLE_NAMES[gender])
    : rng.pick(group[gender].filter((n) => n !== firstName));
  let lastName: string | undefined = rng.pick(group.surnames);

  // Every draw happens whether or not a name was given, so the rest of the identity is the same.
  const age = rng.int(19, 70);
  const daysBeforeBirthday = rng.int(1, 364);
  const bvn = `22${rng.digits(9)}`;
  const { phone, telco } = phoneNumber(rng);
  const second = phoneNumber(rng);
  const hasSecondPhone = rng.chance(0.3);
  const emailStyle = rng.int(0, 3);
  const emailNumber = rng.int(1, 99);
  const domain = rng.pick(EMAIL_DOMAINS);
  const hasWorkEmail = rng.chance(0.15);
  const workDomain = `${slug(rng.pick(COMPANY_NAME_PARTS.words))}.com.ng`;
  const state = residence(rng, group.homeStates);
  const town = rng.pick(state.towns);
  const home = address(rng, state, town, false);
  const maritalRoll = rng.next();
  const usernameNumber = rng.chance(0.4) ? String(rng.int(1, 99)) : "";
  const contacts = Array.from({ length: rng.int(3, 7) }, () => personName(rng, rng.chance(0.7) ? group : undefined));

  let fullName = [firstName, middleName, lastName].join(" ");
  if (givenName !== undefined) {
    fullName = givenName;
    const parts = givenName.split(" ");
    firstName = parts[0];
    lastName = parts.length > 1 ? parts.at(-1) : undefined;
    middleName = parts.length > 2 ? parts.slice(1, -1).join(" ") : undefined;
    const first = (firstName ?? "").toLowerCase();
    if (FEMALE_NAMES.has(first) !== MALE_NAMES.has(first)) gender = FEMALE_NAMES.has(first) ? "female" : "male";
  }

  const anchor = lagosDate(anchorMs);
  const lastBirthday = Date.UTC(anchor.year - age, anchor.month, Math.min(anchor.day, daysInMonth(anchor.year - age, anchor.month)));
  const dateOfBirth = new Date(lastBirthday - daysBeforeBirthday * DAY_MS).toISOString().slice(0, 10);

  const first = slug(firstName ?? "");
  const last = slug(lastName ?? "");
  const local = [`${first}.${last}`, `${first}${last}`, `${first}.${last}${emailNumber}`, `${last}${first}`][emailStyle]!.replace(/^\.|\.$/g, "");
  const emails = [`${local || "customer"}@${domain}`];
  if (hasWorkEmail && first) emails.push(`${first}${last ? `.${last}` : ""}@${workDomain}`);

  const maritalStatus =
    age < 25 ? (maritalRoll < 0.9 ? "Single" : "Married")
    : age < 35 ? (maritalRoll < 0.5 ? "Single" : maritalRoll < 0.97 ? "Married" : "Divorced")
    : age < 55 ? (maritalRoll < 0.15 ? "Single" : maritalRoll < 0.93 ? "Married" : "Divorced")
    : maritalRoll < 0.05 ? "Single" : maritalRoll < 0.8 ? "Married" : maritalRoll < 0.88 ? "Divorced" : "Widowed";

  const username = (last ? `${first}.${last}` : first || "customer") + usernameNumber;

  return {
    identity: {
      kind: "individual",
      fullName,
      ...(firstName !== undefined ? { firstName } : {}),
      ...(middleName !== undefined ? { middleName } : {}),
      ...(lastName !== undefined ? { lastName } : {}),
      bvn,
      dateOfBirth,
      gender,
      phones: hasSecondPhone ? [phone, second.phone] : [phone],
      emails,
      address: home,
      maritalStatus,
      nationality: "Nigerian",
    },
    phone,
    telco,
    username,
    state,
    town: town.name,
    contacts,
  };
}

function corporate(rng: Rng, givenName: string | undefined): Person {
  const company = companyName(rng);
  const rcNumber = `RC${rng.int(1, 9)}${rng.digits(rng.chance(0.5) ? 5 : 6)}`;
  const { phone, telco } = phoneNumber(rng);
  const second = phoneNumber(rng);
  const hasSecondPhone = rng.chance(0.5);
  const tld = rng.chance(0.6) ? "com.ng" : "com";
  const hasAccountsEmail = rng.chance(0.6);
  const roll = rng.next();
  const state = roll < 0.6 ? stateNamed("Lagos") : roll < 0.75 ? stateNamed("FCT") : rng.pick(STATES);
  const town = rng.pick(state.towns);
  const office = address(rng, state, town, rng.chance(0.4));
  const directors = Array.from({ length: rng.int(1, 3) }, () => personName(rng));

  const fullName = givenName ?? company.name;
  const words = fullName.split(" ").map(slug).filter(Boolean);
  const nameSlug = givenName === undefined ? [slug(company.lead), slug(company.sector)] : words.slice(0, 2);
  const domain = `${nameSlug.join("") || "company"}.${tld}`;
  return {
    identity: {
      kind: "corporate",
      fullName,
      phones: hasSecondPhone ? [phone, second.phone] : [phone],
      emails: hasAccountsEmail ? [`info@${domain}`, `accounts@${domain}`] : [`info@${domain}`],
      address: office,
      rcNumber,
    },
    phone,
    telco,
    username: nameSlug.join(".") || "company",
    state,
    town: town.name,
    contacts: directors,
  };
}

/** Drops optional fields so that about `percent`% of those present remain, in a seeded order. */
function withCompleteness(full: BankIdentity, percent: number, rng: Rng): BankIdentity {
  // One draw per field in a fixed order, so the ranking does not depend on which fields exist.
  const rank = new Map(OPTIONAL_FIELDS.map((f) => [f, FIELD_PRIORITY[f] + rng.next() * 2]));
  const present = OPTIONAL_FIELDS.filter((f) => {
    const value = full[f];
    return Array.isArray(value) ? value.length > 0 : value !== undefined;
  });
  const keep = Math.round((present.length * percent) / 100);
  const kept = new Set(present.sort((a, b) => rank.get(b)! - rank.get(a)!).slice(0, keep));
  const identity: BankIdentity = { kind: full.kind, fullName: full.fullName, phones: [], emails: [] };
  for (const field of OPTIONAL_FIELDS) {
    if (kept.has(field)) Object.assign(identity, { [field]: full[field] });
  }
  return identity;
}

function checkTraits(traits: CustomerTraits): void {
  const bad = (field: string, why: string): never => {
    throw new RangeError(`traits.${field} ${why}`);
  };
  if (traits.type !== "ind" && traits.type !== "corp") bad("type", "must be ind or corp");
  if (!(traits.volume in OPENING_NAIRA)) bad("volume", "must be low, medium or high");
  if (!Number.isInteger(traits.identity) || traits.identity < 1 || traits.identity > 100) bad("identity", "must be an integer 1–100");
  if (!Number.isInteger(traits.noOfAccount) || traits.noOfAccount < 1 || traits.noOfAccount > 5) bad("noOfAccount", "must be an integer 1–5");
  if (traits.name !== undefined && traits.name.trim() === "") bad("name", "must not be blank");
  if (traits.bvn !== undefined && (!/^\d{11}$/.test(traits.bvn) || traits.type !== "ind")) bad("bvn", "must be 11 digits, for an individual");
  // Balance and income: the rules the API's schema applies too (traits.ts).
  const balance = traits.balance === undefined ? undefined : balanceProblem(traits.balance);
  if (balance) bad("balance", balance);
  const [income] = traits.income === undefined ? [] : incomeProblems(traits.income);
  if (income) bad(`income.${income.field}`, income.problem);
}

// ---------------------------------------------------------------------------------------------
// Account profiles (what drives each account's history; stored with the account, JSON-safe)
// ---------------------------------------------------------------------------------------------

type Holder = "individual" | "corporate";

interface IncomeProfile {
  kind: IncomePattern["kind"];
  /** Typical month (kobo); 0 for `none`. */
  amount: number;
  /** Day of month, or the last working day. Used by `salary`. */
  payday: number | "last";
  /** Who pays: the employer (salary), customers (business) or people (irregular). Upper case. */
  payers: string[];
}

interface RentProfile {
  amount: number;
  /** Paid once a year in `month` (0–11), or every month. */
  yearly: boolean;
  month: number;
  day: number;
  landlord: string;
  estate: string;
}

interface SubscriptionProfile {
  biller: string;
  plan: string;
  amount: number;
  day: number;
  /** Smartcard, IUC or customer number. */
  number: string;
}

interface CorporateProfile {
  suppliers: string[];
  /** Staff paid on `payday`; empty for accounts that do not run payroll. */
  staff: Array<{ name: string; amount: number }>;
  payday: number | "last";
  /** State revenue service for PAYE; `null` when the account does not remit taxes. */
  revenueService: string | null;
  /** Typical monthly postpaid electricity bill (kobo); 0 when the account does not pay it. */
  electricityBill: number;
}

/** Version 1 of {@link GeneratedAccount.profile}. */
interface HistoryProfile {
  v: 1;
  holder: Holder;
  volume: Volume;
  /** Lines the month planner aims for (fees come on top). */
  plannedLines: number;
  income: IncomeProfile;
  /** Monthly discretionary outgoings (kobo), besides rent, subscriptions and payroll. */
  spend: number;
  rent: RentProfile | null;
  subscriptions: SubscriptionProfile[];
  disco: string;
  meter: string;
  phone: string;
  telco: string;
  town: string;
  contacts: string[];
  /** The account's own bank, for NIP session ids of outgoing transfers. */
  nipCode: string;
  /** SMS alert charge per alert (kobo). */
  smsFee: number;
  /** Annual savings interest rate (0 when the account earns none). */
  interestRate: number;
  /** Account maintenance fee (₦1 per ₦1,000 of customer debits, + VAT) for current accounts. */
  maintenanceFee: boolean;
  corporate: CorporateProfile | null;
}

function readProfile(account: GeneratedAccount): HistoryProfile {
  const profile = account.profile as Partial<HistoryProfile>;
  if (profile.v !== 1) throw new TypeError(`account ${account.nuban} has an unknown history profile (v=${String(profile.v)})`);
  return profile as HistoryProfile;
}

function incomeFor(rng: Rng, holder: Holder, volume: Volume, given: IncomePattern | undefined, person: Person): IncomeProfile {
  const roll = rng.next();
  const derived: IncomePattern["kind"] = holder === "corporate" ? "business" : roll < 0.7 ? "salary" : roll < 0.85 ? "business" : roll < 0.97 ? "irregular" : "none";
  const kind = given?.kind ?? derived;
  const paydayRoll = rng.chance(0.3) ? "last" : rng.int(20, 28);
  const employer = rng.pick(EMPLOYERS);
  const typical = INCOME_NAIRA[holder][kind === "none" ? "irregular" : kind][volume];
  const drawn = logNaira(rng, typical[0], typical[1]);
  const amount = kind === "none" ? 0 : (given?.amount ?? (kind === "salary" ? roundTo(drawn, 1_000 * KOBO) : drawn));
  const customers = Array.from({ length: rng.int(4, 10) }, () => (holder === "corporate" || rng.chance(0.3) ? companyName(rng).name.toUpperCase() : personName(rng)));
  const payers = kind === "salary" ? [holder === "corporate" ? (customers[0] ?? employer) : employer] : kind === "business" ? customers : person.contacts;
  return { kind, amount, payday: given?.payday ?? paydayRoll, payers };
}

interface AccountContext {
  holder: Holder;
  volume: Volume;
  person: Person;
  income: IncomeProfile;
  accountName: string;
  main: boolean;
  type: AccountType;
  bank: CustomerSpec["bank"];
}

function profileFor(rng: Rng, ctx: AccountContext): HistoryProfile {
  const { holder, person, main } = ctx;
  const volume = main ? ctx.volume : LOWER_VOLUME[ctx.volume];
  const typical = INCOME_NAIRA[holder].irregular[volume];
  const secondaryAmount = logNaira(rng, typical[0], typical[1]);
  // Secondary accounts are fed by their holder from the main account, now and then.
  const income: IncomeProfile = main ? ctx.income : { kind: "irregular", amount: secondaryAmount, payday: ctx.income.payday, payers: [ctx.accountName] };
  const budgetBase = income.amount > 0 ? income.amount : secondaryAmount / 3;

  const paysRent = main && rng.chance(holder === "corporate" ? 0.8 : 0.7);
  const yearly = rng.chance(0.75);
  const rentAmount = yearly ? roundTo(budgetBase * uniform(rng, 2, 4), 10_000 * KOBO) : roundTo(budgetBase * uniform(rng, 0.2, 0.35), 1_000 * KOBO);
  const rent: RentProfile | null = paysRent
    ? { amount: rentAmount, yearly, month: rng.int(0, 11), day: rng.int(1, 10), landlord: personName(rng), estate: rng.pick(ESTATES) }
    : null;

  const subscriptions: SubscriptionProfile[] = [];
  const tvPlans = volume === "low" ? TV_PLANS.filter((p) => p.naira < 7_000) : volume === "medium" ? TV_PLANS.filter((p) => p.naira < 25_000) : TV_PLANS;
  const tv = rng.pick(tvPlans);
  const internet = rng.pick(INTERNET_PLANS);
  const tvDay = rng.int(1, 28);
  const internetDay = rng.int(1, 28);
  const hasTv = main && rng.chance(holder === "corporate" ? 0.2 : volume === "low" ? 0.5 : 0.85);
  const hasInternet = main && rng.chance(volume === "high" ? 0.7 : volume === "medium" ? 0.35 : 0.05);
  if (hasTv) subscriptions.push({ biller: tv.biller, plan: tv.plan, amount: tv.naira * KOBO, day: tvDay, number: rng.digits(10) });
  if (hasInternet) subscriptions.push({ biller: internet.biller, plan: internet.plan, amount: internet.naira * KOBO, day: internetDay, number: rng.digits(8) });

  const fixed = (rent ? (rent.yearly ? rent.amount / 12 : rent.amount) : 0) + subscriptions.reduce((sum, s) => sum + s.amount, 0);
  const spendShare = holder === "corporate" ? uniform(rng, 0.45, 0.6) : volume === "high" ? uniform(rng, 0.55, 0.85) : uniform(rng, 0.75, 0.95);
  const spend = Math.max(Math.round(budgetBase * spendShare - fixed), Math.round(budgetBase * 0.1));

  let corporateProfile: CorporateProfile | null = null;
  if (holder === "corporate") {
    const staffCount = main ? { low: rng.int(3, 5), medium: rng.int(6, 12), high: rng.int(15, 30) }[volume] : 0;
    const payroll = budgetBase * uniform(rng, 0.15, 0.3);
    const shares = Array.from({ length: staffCount }, () => 0.5 + rng.next() ** 2 * 3);
    const shareSum = shares.reduce((a, b) => a + b, 0);
    corporateProfile = {
      suppliers: Array.from({ length: rng.int(4, 10) }, () => companyName(rng).name.toUpperCase()),
      staff: shares.map((share) => ({ name: personName(rng), amount: roundTo((payroll * share) / shareSum, 500 * KOBO) })),
      payday: rng.chance(0.5) ? "last" : 25,
      revenueService: main ? person.state.revenueService : null,
      electricityBill: main ? roundTo(Math.min(Math.max(budgetBase * uniform(rng, 0.003, 0.01), 30_000 * KOBO), 2_000_000 * KOBO), KOBO) : 0,
    };
  }

  return {
    v: 1,
    holder,
    volume,
    plannedLines: LINES_PER_MONTH[holder][volume],
    income,
    spend,
    rent,
    subscriptions,
    disco: person.state.disco,
    meter: `${rng.int(1, 9)}${rng.digits(10)}`,
    phone: person.phone,
    telco: person.telco,
    town: person.town,
    contacts: person.contacts,
    nipCode: ctx.bank.nipCode,
    smsFee: rng.int(4, 6) * KOBO,
    interestRate: ctx.type === "savings" ? uniform(rng, 0.03, 0.045) : 0,
    maintenanceFee: ctx.type === "current" || ctx.type === "corporate",
    corporate: corporateProfile,
  };
}

/** A weekday 12–24 months before the anchor, during banking hours (Lagos). */
function openingInstant(rng: Rng, anchorMs: number): number {
  const a = lagosDate(anchorMs);
  const dayOf = (monthsBack: number): number => {
    const year = a.year + Math.floor((a.month - monthsBack) / 12);
    const month = (((a.month - monthsBack) % 12) + 12) % 12;
    return Date.UTC(year, month, Math.min(a.day, daysInMonth(year, month))) / DAY_MS;
  };
  // Strictly between the two dates, so the bounds hold whatever the anchor's time of day.
  const [earliest, latest] = [dayOf(24) + 1, dayOf(12) - 1];
  let day: number;
  do day = rng.int(earliest, latest);
  while ([0, 6].includes(new Date(day * DAY_MS).getUTCDay()));
  return day * DAY_MS + rng.int(8 * HOUR_S, 17 * HOUR_S - 1) * 1000 - LAGOS_OFFSET_MS;
}

/**
 * Generates a customer from a seed: identity (with `traits.identity` completeness applied) and
 * `traits.noOfAccount` accounts at `spec.bank`, each with a NUBAN valid for the bank's CBN code
 * (avoiding `spec.avoidNubans`), an opening date 12–24 months before `spec.anchor`, an opening
 * balance and the profile its history is generated from ({@link accountTimeline}).
 *
 * Individuals get a full Nigerian identity (BVN starting "22", date of birth for an age of 19–70
 * at the anchor, phones, emails, address…); corporates a company name, RC number, phones, emails
 * and address, and no BVN, date of birth or gender. `traits.name` replaces the generated name.
 * The same spec always gives the same customer.
 *
 * @throws RangeError for traits out of range (identity 1–100, noOfAccount 1–5, negative or
 *   non-integer balance, bad income) or an invalid anchor.
 */
export function generateCustomer(spec: CustomerSpec): GeneratedCustomer {
  const { traits } = spec;
  checkTraits(traits);
  const anchorMs = parseInstant(spec.anchor, "anchor");
  const holder: Holder = traits.type === "corp" ? "corporate" : "individual";
  const rng = createRng(spec.seed);
  const name = traits.name?.trim().replace(/\s+/g, " ");
  const person = holder === "corporate" ? corporate(rng.fork("identity"), name) : individual(rng.fork("identity"), anchorMs, name);
  // A given BVN replaces the drawn one (every draw still happened: the rest is unchanged).
  if (traits.bvn !== undefined && holder === "individual") person.identity = { ...person.identity, bvn: traits.bvn };
  const identity = withCompleteness(person.identity, traits.identity, rng.fork("completeness"));
  const income = incomeFor(rng.fork("income"), holder, traits.volume, traits.income, person);
  const accountName = person.identity.fullName.toUpperCase();

  const used = new Set(spec.avoidNubans);
  const accounts: GeneratedAccount[] = [];
  for (let i = 0; i < traits.noOfAccount; i++) {
    const arng = rng.fork(`account:${i}`);
    let nuban: string;
    do nuban = makeNuban(spec.bank.cbnCode, arng.digits(9));
    while (used.has(nuban));
    used.add(nuban);

    const type: AccountType = holder === "corporate" ? (i === 0 ? "corporate" : "current") : i === 0 ? "savings" : i === 1 ? "current" : arng.chance(0.5) ? "savings" : "current";
    const openedAt = new Date(openingInstant(arng, anchorMs)).toISOString();
    const volume = i === 0 ? traits.volume : LOWER_VOLUME[traits.volume];
    const [lo, hi] = OPENING_NAIRA[volume];
    const drawnBalance = logNaira(arng, lo, hi) * (holder === "corporate" ? 10 : 1);
    const profile = profileFor(arng.fork("profile"), { holder, volume: traits.volume, person, income, accountName, main: i === 0, type, bank: spec.bank });
    accounts.push({
      seed: `${spec.seed}:account:${i}`,
      nuban,
      name: accountName,
      type,
      currency: "NGN",
      openedAt,
      openingBalance: i === 0 && traits.balance !== undefined ? traits.balance : drawnBalance,
      dailyDebitLimit: holder === "corporate" ? spec.bank.dailyLimit.corporate : spec.bank.dailyLimit.individual,
      profile: profile as unknown as GeneratedAccount["profile"],
    });
  }

  return { seed: spec.seed, type: traits.type, identity, phone: person.phone, username: person.username, accounts };
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/** A line a month's plan may post. */
interface Planned {
  at: number;
  /** Signed kobo as planned; a debit may post less (see `shrink`) or not at all. */
  amount: number;
  narration: string;
  category: TransactionCategory;
  reference?: string;
  sessionId?: string;
  /** A debit that may be paid in part when the balance is short: smallest amount and rounding step (kobo). */
  shrink?: { min: number; step: number };
  /** An outgoing NIP transfer: the NIP charge follows it. */
  nipFee?: boolean;
  /** An incoming transfer: stamp duty follows it from ₦10,000. */
  stampDuty?: boolean;
  /** A reversal: posts the amount `reverses` actually posted, and only if it did. */
  reverses?: Planned;
  /** Set while posting: the amount that posted (positive kobo). */
  posted?: number;
}

interface Month {
  /** Months since the account's opening month. */
  index: number;
  year: number;
  month: number;
  days: number;
  /** "NOV 2026". */
  label: string;
  /** The label of the month before. */
  previous: string;
}

function monthOf(openYear: number, openMonth: number, index: number): Month {
  const absolute = openYear * 12 + openMonth + index;
  const year = Math.floor(absolute / 12);
  const month = absolute % 12;
  const label = (abs: number): string => `${MONTH_NAMES[abs % 12]} ${Math.floor(abs / 12)}`;
  return { index, year, month, days: daysInMonth(year, month), label: label(absolute), previous: label(absolute - 1) };
}

const TRANSFER_PURPOSES = ["", "", "", "/UPKEEP", "/FAMILY SUPPORT", "/SCHOOL FEES", "/CONTRIBUTION", "/AJO", "/LOAN REPAYMENT", "/GIFT", "/BILLS"];
const AIRTIME_NAIRA: Record<Volume, readonly number[]> = { low: [100, 200, 500], medium: [500, 1_000, 2_000], high: [1_000, 2_000, 5_000, 10_000] };
const DATA_NAIRA: Record<Volume, readonly number[]> = { low: [500, 1_000], medium: [1_500, 3_500, 5_000], high: [5_000, 10_000, 20_000] };
const TOKEN_NAIRA: Record<Volume, readonly number[]> = { low: [2_000, 3_000, 5_000], medium: [5_000, 10_000, 15_000, 20_000], high: [20_000, 30_000, 50_000, 100_000] };

/** How often people shop at each kind of merchant, relatively. */
const MERCHANT_FREQUENCY: Record<MerchantKind, number> = { grocery: 3, food: 3, fuel: 3, pharmacy: 1.5, fashion: 1, leisure: 1, electronics: 0.4 };

type Discretionary = "pos" | "web" | "transfer_out" | "cash" | "airtime" | "data" | "electricity" | "transfer_in";
const INDIVIDUAL_MIX: ReadonlyArray<readonly [Discretionary, number]> = [
  ["pos", 30],
  ["transfer_out", 20],
  ["airtime", 13],
  ["cash", 9],
  ["web", 8],
  ["transfer_in", 8],
  ["electricity", 6],
  ["data", 6],
];

/** A planned debit whose amount is a share of the month's budget, kept within [min, max] and rounded to `step` (kobo). */
interface Flexible {
  line: Planned;
  weight: number;
  min: number;
  max: number;
  step: number;
}

/**
 * Plans one month of one account: draws every line it might post (times, amounts, references,
 * session ids) from the month's own random stream, without looking at the balance.
 */
class MonthPlanner {
  readonly lines: Planned[] = [];
  constructor(
    readonly rng: Rng,
    readonly month: Month,
    readonly profile: HistoryProfile,
  ) {}

  /** An instant on `day` between `fromHour`:00 and `toHour`:59:59, Lagos time (`toHour` ≤ 22). */
  at(day: number, fromHour: number, toHour: number): number {
    return lagosInstant(this.month.year, this.month.month, day, this.rng.int(fromHour * HOUR_S, toHour * HOUR_S + HOUR_S - 1));
  }

  day(): number {
    return this.rng.int(1, this.month.days);
  }

  /** A core-banking style reference, "FT" + yyMMdd + 6 digits (`stamp` from {@link nipTimestamp}). */
  reference(stamp: string): string {
    return `FT${stamp.slice(0, 6)}${this.rng.digits(6)}`;
  }

  /** NIP session id: sender's institution code, yyMMddHHmmss, 12 digits. */
  sessionId(senderNip: string, stamp: string): string {
    return `${senderNip}${stamp}${this.rng.digits(12)}`;
  }

  add(line: Planned): Planned {
    this.lines.push(line);
    return line;
  }

  transferIn(at: number, amount: number, from: string, narration?: string, category: TransactionCategory = "transfer_in"): Planned {
    const stamp = nipTimestamp(at);
    const reference = this.reference(stamp);
    return this.add({
      at,
      amount,
      narration: narration ?? `TRF FROM ${from}/${reference}`,
      category,
      reference,
      sessionId: this.sessionId(this.rng.pick(NIP_CODES), stamp),
      stampDuty: true,
    });
  }

  transferOut(at: number, amount: number, narration: string, category: TransactionCategory, shrink?: Planned["shrink"]): Planned {
    const stamp = nipTimestamp(at);
    return this.add({
      at,
      amount: -amount,
      narration,
      category,
      reference: this.reference(stamp),
      sessionId: this.sessionId(this.profile.nipCode, stamp),
      nipFee: true,
      ...(shrink ? { shrink } : {}),
    });
  }

  bill(at: number, amount: number, narration: string, category: TransactionCategory): Planned {
    return this.add({ at, amount: -amount, narration, category, reference: this.reference(nipTimestamp(at)) });
  }

  /** Credits of the account's income for the month. */
  income(salaryAmount: number): void {
    const { income, holder } = this.profile;
    const { rng, month } = this;
    const payer = income.payers[0] ?? "CUSTOMER";
    switch (income.kind) {
      case "salary": {
        const at = this.at(paydayIn(month.year, month.month, income.payday), 0, 9);
        const narration = holder === "corporate" ? `TRF FROM ${payer}/RETAINER ${month.label}` : `SALARY ${month.label} FROM ${payer}`;
        this.transferIn(at, salaryAmount, payer, narration, holder === "corporate" ? "transfer_in" : "salary");
        return;
      }
      case "business": {
        const [lo, hi] = holder === "corporate" ? [0.2, 0.3] : [0.15, 0.3];
        const count = Math.max(2, Math.round(this.profile.plannedLines * uniform(rng, lo, hi)));
        this.split(income.amount * uniform(rng, 0.7, 1.3), count, 100 * KOBO, (amount) => {
          const at = this.at(this.day(), 7, 20);
          if (rng.chance(0.15)) return this.add({ at, amount, narration: `CASH DEPOSIT BY ${rng.pick(this.profile.contacts)}`, category: "cash" });
          const from = rng.pick(income.payers);
          return this.transferIn(at, amount, from, holder === "corporate" ? `TRF FROM ${from}/INV${rng.digits(5)}` : undefined);
        });
        return;
      }
      case "irregular": {
        if (!rng.chance(0.55)) return;
        this.split(income.amount * uniform(rng, 0.5, 1.8), rng.int(1, 3), 1_000 * KOBO, (amount) =>
          this.transferIn(this.at(this.day(), 7, 22), amount, rng.pick(income.payers)),
        );
        return;
      }
      case "none":
        return;
    }
  }

  /** Splits `total` kobo into `count` uneven parts rounded to `step`, each handed to `make`. */
  split(total: number, count: number, step: number, make: (amount: number) => Planned): void {
    const weights = Array.from({ length: count }, () => 0.2 + this.rng.next());
    const sum = weights.reduce((a, b) => a + b, 0);
    for (const w of weights) make(roundTo((total * w) / sum, step));
  }

  rent(): void {
    const { rent } = this.profile;
    if (rent === null || (rent.yearly && rent.month !== this.month.month)) return;
    const at = this.at(Math.min(rent.day, this.month.days), 8, 17);
    const what = rent.yearly ? `RENT ${this.month.year}/${this.month.year + 1}` : `RENT ${this.month.label}`;
    this.transferOut(at, rent.amount, `NIP TRF TO ${rent.landlord}/${what} ${rent.estate}`, "rent", { min: Math.round(rent.amount * 0.3), step: 1_000 * KOBO });
  }

  subscriptions(): void {
    for (const s of this.profile.subscriptions) {
      this.bill(this.at(Math.min(s.day, this.month.days), 6, 22), s.amount, `${s.biller} ${s.plan} RENEWAL ${s.number}`, "bills");
    }
  }

  /** Everyday spending and small receipts: `count` lines sharing the month's budget. */
  discretionary(count: number): void {
    const { rng, profile } = this;
    const flexible: Flexible[] = [];
    let fixedSpend = 0;
    const otherPhone = (): string => rng.pick(weighted(rng, TELCOS, (t) => t.weight).prefixes) + rng.digits(7);
    for (let i = 0; i < count; i++) {
      const kind = weighted(rng, INDIVIDUAL_MIX, ([, w]) => w)[0];
      switch (kind) {
        case "pos":
        case "web": {
          const merchant = weighted(rng, kind === "pos" ? POS_MERCHANTS : WEB_MERCHANTS, (m) => MERCHANT_FREQUENCY[m.kind]);
          const day = this.day();
          const at = this.at(day, kind === "pos" ? 8 : 0, kind === "pos" ? 21 : 22);
          const narration = kind === "pos" ? `POS PURCHASE ${merchant.name} ${profile.town.toUpperCase()}` : `WEB PURCHASE ${merchant.name}`;
          const line = this.add({ at, amount: 0, narration, category: kind === "pos" ? "pos" : "other" });
          flexible.push({ line, weight: 1, min: merchant.minNaira * KOBO, max: merchant.maxNaira * KOBO, step: KOBO });
          // Now and then a POS debit fails at the switch and is reversed a day or two later.
          if (kind === "pos" && day <= this.month.days - 2 && rng.chance(0.04)) {
            this.add({ at: this.at(day + rng.int(1, 2), 6, 20), amount: 0, narration: `REV: ${narration}`, category: "reversal", reverses: line });
          }
          break;
        }
        case "transfer_out": {
          const to = rng.chance(0.75) ? rng.pick(profile.contacts) : personName(rng);
          const line = this.transferOut(this.at(this.day(), 6, 22), 0, `NIP TRF TO ${to}${rng.pick(TRANSFER_PURPOSES)}`, "transfer_out", { min: 1_000 * KOBO, step: 100 * KOBO });
          flexible.push({ line, weight: 3, min: 1_000 * KOBO, max: Number.MAX_SAFE_INTEGER, step: 100 * KOBO });
          break;
        }
        case "cash": {
          const line = this.add({
            at: this.at(this.day(), 7, 21),
            amount: 0,
            narration: `ATM WDL ${profile.town.toUpperCase()} TERM ${rng.digits(8)}`,
            category: "cash",
            shrink: { min: 1_000 * KOBO, step: 1_000 * KOBO },
          });
          flexible.push({ line, weight: 1.2, min: 1_000 * KOBO, max: 40_000 * KOBO, step: 1_000 * KOBO });
          break;
        }
        case "airtime":
        case "data": {
          const own = rng.chance(0.8);
          const phone = own ? profile.phone : otherPhone();
          const telco = own ? profile.telco : (TELCOS.find((t) => t.prefixes.includes(phone.slice(0, 4)))?.name ?? profile.telco);
          const amount = rng.pick((kind === "airtime" ? AIRTIME_NAIRA : DATA_NAIRA)[profile.volume]) * KOBO;
          fixedSpend += amount;
          this.add({ at: this.at(this.day(), 7, 22), amount: -amount, narration: `${kind === "airtime" ? "AIRTIME" : "DATA BUNDLE"} ${telco} ${phone}`, category: "airtime" });
          break;
        }
        case "electricity": {
          const amount = rng.pick(TOKEN_NAIRA[profile.volume]) * KOBO;
          fixedSpend += amount;
          this.bill(this.at(this.day(), 7, 22), amount, `${profile.disco} PREPAID TOKEN ${profile.meter}`, "bills");
          break;
        }
        case "transfer_in": {
          const base = profile.income.amount > 0 ? profile.income.amount : profile.spend;
          this.transferIn(this.at(this.day(), 6, 22), roundTo(base * uniform(rng, 0.01, 0.08), 100 * KOBO), rng.pick(profile.contacts));
          break;
        }
      }
    }
    this.share(flexible, profile.spend * uniform(rng, 0.85, 1.15) - fixedSpend);
  }

  /** Gives flexible debits their amounts: shares of `budget` by weight, clamped and rounded. */
  share(flexible: readonly Flexible[], budget: number): void {
    const draws = flexible.map((f) => f.weight * (0.15 + this.rng.next() ** 2));
    const total = draws.reduce((a, b) => a + b, 0);
    flexible.forEach((f, i) => {
      const amount = Math.min(Math.max((Math.max(budget, 0) * draws[i]!) / total, f.min), f.max);
      f.line.amount = -roundTo(amount, f.step);
    });
  }

  /** A company's month: receipts (via income), suppliers, payroll, taxes, utilities. */
  corporateOutgoings(count: number): void {
    const { rng, profile, month } = this;
    const corp = profile.corporate!;
    const payday = paydayIn(month.year, month.month, corp.payday);
    for (const staff of corp.staff) {
      this.transferOut(this.at(payday, 9, 16), staff.amount, `NIP TRF TO ${staff.name} SALARY ${month.label}`, "transfer_out");
    }
    const payroll = corp.staff.reduce((sum, s) => sum + s.amount, 0);
    if (corp.revenueService !== null && payroll > 0) {
      const remit = (day: number, amount: number, narration: string): void => {
        if (amount >= 100 * KOBO) this.bill(this.at(paydayIn(month.year, month.month, day), 9, 16), roundTo(amount, KOBO), narration, "other");
      };
      remit(7, payroll * 0.18, `PENSION REMITTANCE ${month.previous}`);
      remit(10, payroll * uniform(rng, 0.07, 0.1), `${corp.revenueService} PAYE REMITTANCE ${month.previous}`);
      remit(21, profile.income.amount * 0.075 * uniform(rng, 0.3, 0.6), `FIRS VAT REMITTANCE ${month.previous}`);
    }
    const electricity = Math.round(corp.electricityBill * uniform(rng, 0.8, 1.2));
    if (electricity > 0) this.bill(this.at(rng.int(5, 15), 9, 16), electricity, `${profile.disco} POSTPAID BILL ${profile.meter}`, "bills");

    const flexible: Flexible[] = [];
    const diesel = rng.int(0, 3);
    for (let i = 0; i < count + diesel; i++) {
      const supplier = rng.pick(corp.suppliers);
      const isDiesel = i < diesel;
      const toDirector = !isDiesel && rng.chance(0.08);
      const narration = isDiesel
        ? `NIP TRF TO ${supplier}/DIESEL SUPPLY`
        : toDirector ? `NIP TRF TO ${rng.pick(profile.contacts)}` : `NIP TRF TO ${supplier}/PO${rng.digits(5)}`;
      const line = this.transferOut(this.at(this.day(), 8, 18), 0, narration, "transfer_out", { min: 10_000 * KOBO, step: KOBO });
      flexible.push({ line, weight: isDiesel ? 0.5 : 1, min: 10_000 * KOBO, max: Number.MAX_SAFE_INTEGER, step: KOBO });
    }
    this.share(flexible, profile.spend * uniform(rng, 0.8, 1.2));
  }
}

/** The salary paid in `month`: the profile's, with the raises granted each January since the account opened. */
function salaryAt(profile: HistoryProfile, seed: Rng, openYear: number, month: Month): number {
  let amount = profile.income.amount;
  for (let year = openYear + 1; year <= month.year; year++) {
    const raise = seed.fork(`raise:${year}`);
    if (raise.chance(0.35)) amount = Math.round(amount * uniform(raise, 1.05, 1.25));
  }
  return amount;
}

function planMonth(profile: HistoryProfile, rng: Rng, month: Month, salary: number): Planned[] {
  const planner = new MonthPlanner(rng, month, profile);
  const target = profile.plannedLines * uniform(rng, 0.8, 1.2);
  planner.income(salary);
  planner.rent();
  planner.subscriptions();
  if (profile.holder === "corporate") {
    // Nearly every corporate line brings a fee line with it.
    planner.corporateOutgoings(Math.max(1, Math.round(target * 0.2)));
  } else {
    planner.discretionary(Math.max(1, Math.round(target * 0.7) - planner.lines.length));
  }
  // Stable sort: lines at the same instant keep their planned order.
  return planner.lines.sort((a, b) => a.at - b.at);
}

/** An account's running balance and the lines posted so far, month after month, up to `until`. */
class Ledger {
  balance: number;
  readonly out: GeneratedTxn[] = [];
  constructor(
    readonly nuban: string,
    openingBalance: number,
    readonly openedMs: number,
    readonly untilMs: number,
  ) {
    this.balance = openingBalance;
  }

  /**
   * Posts a month's plan in order, shrinking or skipping debits the balance cannot pay, then the
   * month-end charges and interest. Returns false once a line falls after `until` (stop there).
   */
  postMonth(month: Month, plan: readonly Planned[], profile: HistoryProfile): boolean {
    let n = 0;
    let customerDebits = 0;
    const emit = (at: number, amount: number, narration: string, category: TransactionCategory, reference?: string, sessionId?: string): void => {
      this.balance += amount;
      const txn: GeneratedTxn = { id: `${this.nuban}-${month.index}-${n++}`, postedAt: new Date(at).toISOString(), amount, narration, category };
      if (reference !== undefined) txn.reference = reference;
      if (sessionId !== undefined) txn.sessionId = sessionId;
      this.out.push(txn);
    };

    // A credit that would take the balance above MAX_SANDBOX_KOBO is not posted (a bank's
    // balance cap): so no balance, of any customer at any time, leaves Okro's kobo range.
    const fits = (credit: number): boolean => this.balance + credit <= MAX_SANDBOX_KOBO;

    for (const line of plan) {
      if (line.at < this.openedMs) continue;
      if (line.at > this.untilMs) return false;
      if (line.reverses !== undefined) {
        const original = line.reverses.posted;
        if (original !== undefined && fits(original)) emit(line.at, original, line.narration, line.category);
        continue;
      }
      if (line.amount > 0) {
        if (!fits(line.amount)) continue;
        emit(line.at, line.amount, line.narration, line.category, line.reference, line.sessionId);
        if (line.stampDuty && line.amount >= STAMP_DUTY_THRESHOLD) emit(line.at, -STAMP_DUTY, "STAMP DUTY CHARGE", "fees", line.reference);
        continue;
      }
      const fee = line.nipFee ? nipFee : () => 0;
      let pay = -line.amount;
      if (pay + fee(pay) > this.balance) {
        if (line.shrink === undefined) continue;
        pay = Math.floor((this.balance - fee(this.balance)) / line.shrink.step) * line.shrink.step;
        if (pay < line.shrink.min) continue;
      }
      line.posted = pay;
      customerDebits += pay;
      emit(line.at, -pay, line.narration, line.category, line.reference, line.sessionId);
      if (line.nipFee) emit(line.at, -fee(pay), "NIP CHARGE + VAT", "fees", line.reference);
    }

    // Month-end charges and interest, after every other line of the month (those end by 22:59:59).
    const monthEnd = (second: number): number | undefined => {
      const at = lagosInstant(month.year, month.month, month.days, 23 * HOUR_S + 58 * 60 + second);
      return at <= this.untilMs ? at : undefined;
    };
    const smsAt = monthEnd(0);
    if (smsAt === undefined) return false;
    const sms = n * profile.smsFee;
    if (sms > 0 && sms <= this.balance) emit(smsAt, -sms, `SMS ALERT CHARGES ${month.label}`, "fees");

    const maintenanceAt = monthEnd(30);
    if (maintenanceAt === undefined) return false;
    const maintenance = Math.round(customerDebits * 0.001 * 1.075);
    if (profile.maintenanceFee && maintenance > 0 && maintenance <= this.balance) {
      emit(maintenanceAt, -maintenance, `ACCOUNT MAINTENANCE FEE ${month.label}`, "fees");
    }

    const interestAt = monthEnd(60);
    if (interestAt === undefined) return false;
    // Net of 10% withholding tax; pro rata in the month the account was opened.
    const monthStart = lagosInstant(month.year, month.month, 1);
    const held = (interestAt - Math.max(monthStart, this.openedMs)) / (interestAt - monthStart);
    const interest = Math.floor(((this.balance * profile.interestRate) / 12) * held * 0.9);
    if (interest >= KOBO && fits(interest)) emit(interestAt, interest, `INTEREST PAID ${month.label}`, "interest");
    return true;
  }
}

/**
 * The account's whole history from `openedAt` up to and including `until`, ascending by
 * `postedAt` (lines at the same instant in posting order).
 *
 * Amounts are signed kobo (credits positive, debits negative, never zero). Starting from
 * `openingBalance`, the running balance never goes below zero nor above MAX_SANDBOX_KOBO. The result for an earlier `until`
 * is always a prefix of the result for a later one, and line ids (`<nuban>-<month>-<n>`) are
 * stable. Transfers carry a `reference`; NIP transfers a 30-digit `sessionId`.
 *
 * @throws RangeError for an invalid `until`; TypeError for an account whose profile this
 *   generator did not make.
 */
export function accountTimeline(account: GeneratedAccount, until: Date): GeneratedTxn[] {
  const untilMs = until.getTime();
  if (Number.isNaN(untilMs)) throw new RangeError("accountTimeline: invalid until date");
  const profile = readProfile(account);
  const openedMs = parseInstant(account.openedAt, "openedAt");
  const ledger = new Ledger(account.nuban, account.openingBalance, openedMs, untilMs);
  if (untilMs < openedMs) return ledger.out;

  const seed = createRng(account.seed);
  const opened = lagosDate(openedMs);
  for (let index = 0; ; index++) {
    const month = monthOf(opened.year, opened.month, index);
    if (lagosInstant(month.year, month.month, 1) > untilMs) break;
    const salary = profile.income.kind === "salary" ? salaryAt(profile, seed, opened.year, month) : 0;
    const plan = planMonth(profile, seed.fork(String(index)), month, salary);
    if (!ledger.postMonth(month, plan, profile)) break;
  }
  return ledger.out;
}
