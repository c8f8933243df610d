import type { ChallengeKind, LoginMethod } from "../connector.js";
import { BANK_DIRECTORY, type DirectoryBank, type MfaKind } from "../directory.js";
import { createRng } from "./rng.js";
import type { MaintenanceWindow, SandboxBankProfile } from "./types.js";

/**
 * The sandbox network's banks: one profile per directory bank, derived from its login methods,
 * second factors and corporate banking, plus the network's deliberate quirks (docs/sandbox-bank.md).
 */

const FIRST_BANK_SLUG = "first-bank-of-nigeria";
const UNION_BANK_SLUG = "union-bank-of-nigeria";

/** ₦5,000,000 and ₦50,000,000 in kobo. */
const DAILY_LIMIT = Object.freeze({ individual: 500_000_000, corporate: 5_000_000_000 });

/** Lagos is on West Africa Time, UTC+1 all year (no daylight saving). */
const LAGOS_OFFSET_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const LOGIN_METHOD_TEXT: Record<LoginMethod, string> = {
  internet_banking: "internet banking",
  mobile_banking: "mobile banking",
  account_number: "account number and PIN",
};

const CHALLENGE_TEXT: Record<ChallengeKind | "none", string> = {
  sms_otp: "an SMS OTP",
  hardware_token: "a hardware-token code",
  security_question: "a security question",
  none: "no second factor",
};

/** Individuals meet the first soft factor the bank lists; hardware tokens only where it has nothing else. */
function individualMfa(kinds: readonly MfaKind[]): ChallengeKind | "none" {
  const soft = kinds.find((k): k is "sms_otp" | "security_question" => k === "sms_otp" || k === "security_question");
  if (soft !== undefined) return soft;
  return kinds.includes("hardware_token") ? "hardware_token" : "none";
}

function listText(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function habitsOf(bank: DirectoryBank, profile: Omit<SandboxBankProfile, "habits">): string {
  const parts = [`Logs in with ${listText(profile.loginMethods.map((m) => LOGIN_METHOD_TEXT[m]))}`];
  const customers = bank.individual ? (profile.corporate ? "individual and corporate customers" : "individual customers only") : "corporate customers only";
  if (profile.corporate && profile.corporateMfa !== profile.mfa) {
    parts.push(`asks individuals for ${CHALLENGE_TEXT[profile.mfa]} and corporates for ${CHALLENGE_TEXT[profile.corporateMfa]}`);
  } else {
    parts.push(profile.mfa === "none" ? "no second factor" : `asks for ${CHALLENGE_TEXT[profile.mfa]}`);
  }
  parts.push(customers);
  if (profile.baseLatencyMs >= 1000) {
    const slowest = (profile.baseLatencyMs + profile.jitterMs) / 1000;
    parts.push(`often slow (${profile.baseLatencyMs / 1000}–${slowest} s per call)`);
  }
  if (profile.maintenance) parts.push(`down for end-of-day processing ${profile.maintenance.from}–${profile.maintenance.to} Lagos time`);
  return `${parts.join("; ")}.`;
}

function profileOf(bank: DirectoryBank): SandboxBankProfile {
  const mfa = individualMfa(bank.mfa_kinds);
  const slow = bank.slug === FIRST_BANK_SLUG;
  const base: Omit<SandboxBankProfile, "habits"> = {
    bankId: bank.id,
    slug: bank.slug,
    name: bank.name,
    cbnCode: bank.cbn_code,
    nipCode: bank.nip_code,
    loginMethods: Object.freeze([...bank.login_methods]) as LoginMethod[],
    mfa,
    corporateMfa: bank.mfa_kinds.includes("hardware_token") ? "hardware_token" : mfa,
    corporate: bank.corporate,
    baseLatencyMs: slow ? 1200 : createRng(`sandbox-bank-latency:${bank.id}`).int(60, 200),
    jitterMs: slow ? 1800 : 100,
    dailyLimit: DAILY_LIMIT,
    ...(bank.slug === UNION_BANK_SLUG ? { maintenance: Object.freeze({ from: "01:00", to: "02:00" }) } : {}),
  };
  return Object.freeze({ ...base, habits: habitsOf(bank, base) });
}

/** Every directory bank as a sandbox bank, in directory order. Frozen. */
export const SANDBOX_BANKS: readonly SandboxBankProfile[] = Object.freeze(BANK_DIRECTORY.map(profileOf));

const BY_ID = new Map(SANDBOX_BANKS.map((p) => [p.bankId, p]));

/** The sandbox profile of a directory bank, or `undefined` for an unknown id. */
export function sandboxProfile(bankId: string): SandboxBankProfile | undefined {
  return BY_ID.get(bankId);
}

/** Minutes after midnight of an "HH:MM" time. */
function minutesOf(hhmm: string): number {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hhmm);
  if (!match) throw new RangeError(`maintenance time must be "HH:MM", got ${JSON.stringify(hhmm)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Whether the bank is in its maintenance window at `at`, and if so when the window ends.
 *
 * Windows are in Lagos time (WAT, UTC+1, no daylight saving): `from` inclusive, `to` exclusive; a
 * window whose `to` is before its `from` crosses midnight. A `weekday` names the day the window
 * starts on (so a Sunday 23:00–01:00 window still holds at Monday 00:30).
 *
 * @returns `{ down: false }`, or `{ down: true, until }` with `until` the instant the window ends.
 * @throws RangeError for an invalid date or a malformed window (bad time, `from` equal to `to`,
 *   weekday outside 0–6).
 */
export function inMaintenance(profile: SandboxBankProfile, at: Date): { down: boolean; until?: Date } {
  const window: MaintenanceWindow | undefined = profile.maintenance;
  if (window === undefined) return { down: false };
  const now = at.getTime();
  if (Number.isNaN(now)) throw new RangeError("inMaintenance: invalid date");
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from === to) throw new RangeError(`maintenance window ${window.from}–${window.to} is empty`);
  if (window.weekday !== undefined && !(Number.isInteger(window.weekday) && window.weekday >= 0 && window.weekday <= 6)) {
    throw new RangeError(`maintenance weekday must be 0–6, got ${window.weekday}`);
  }

  // Work in "Lagos epoch" milliseconds: UTC arithmetic on them gives Lagos wall-clock fields.
  const local = now + LAGOS_OFFSET_MS;
  const today = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  const length = (to > from ? to - from : to + 24 * 60 - from) * MINUTE_MS;
  // Only a window that started today or (crossing midnight) yesterday can hold now.
  for (const dayStart of [today - DAY_MS, today]) {
    const start = dayStart + from * MINUTE_MS;
    const end = start + length;
    const onItsDay = window.weekday === undefined || new Date(dayStart).getUTCDay() === window.weekday;
    if (onItsDay && local >= start && local < end) return { down: true, until: new Date(end - LAGOS_OFFSET_MS) };
  }
  return { down: false };
}
