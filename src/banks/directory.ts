/**
 * The static directory of Nigerian financial institutions Okro knows about: identity (Okra-shaped
 * ids and slugs), regulatory codes, and the "habits" each bank has — how customers log in, which
 * second factors it asks for, which products we can offer against it, and whether corporate
 * and/or individual banking is supported.
 *
 * `cbn_code` and `nip_code` are as published by the CBN and NIBSS to the best of our knowledge.
 * For microfinance banks and mobile-money operators the CBN has no 3-digit code; the longer code
 * in common use by Nigerian payment processors is given instead (see the notes on those entries).
 *
 * This module is pure data. The sandbox bank network (a separate module) gives these banks
 * behaviour — simulated logins, MFA challenges, accounts and transactions — driven by the
 * habits recorded here.
 *
 * Ids are stable forever: they are the Okra-wire `bank` ids clients store. Okra's own ids are
 * kept where known (GTBank, FCMB, Stanbic IBTC); the rest are allocated in the same family,
 * Okra's original banks first (…bb0–…bc0, in name order around the known ids), then the
 * others (…bc1 onwards, in name order). Never renumber; append new banks with fresh ids.
 *
 * ALAT by Wema (Okra slug `alat`) is deliberately absent: it is a Wema Bank product and shares
 * Wema's CBN code (035) and NIP code (000017), so it cannot have honest unique codes. Accounts
 * opened through ALAT are reached through the Wema Bank entry (whose aliases make a search for
 * "ALAT" find it).
 *
 * The array is ordered by name (case-insensitive); `popular_rank` gives the widget's order.
 */

/** Stored in the banks table's columns, so declared with it (src/db/schema.ts) and re-exported here. */
import type { BankProduct, LoginMethod, MfaKind } from "../db/schema.js";
export type { BankProduct, LoginMethod, MfaKind };
export type BankType = "commercial" | "merchant" | "non_interest" | "microfinance" | "mobile_money";

export interface DirectoryBank {
  /** 24 lower-case hex chars, stable forever (Okra ObjectId shape). */
  id: string;
  /** Okra's slug where Okra had one; otherwise a consistent kebab-case slug of our own. */
  slug: string;
  name: string;
  /**
   * Other names people type for this bank — brand names, abbreviations, former names ("GTB",
   * "UBA", "Diamond Bank"). The widget's bank search matches them as it matches name and slug
   * (src/widget/ui/bank-search.ts). Data, not code: add a name here, not an `if` in the search.
   */
  aliases: readonly string[];
  /**
   * Where the bank stands in the widget's list, most used first (1, 2, 3…; unique). The rest follow
   * in name order. The order is the team's judgement of which banks Nigerians hold retail accounts
   * at most (the big five commercial banks, then the largest mobile-money and digital banks), not
   * a measurement; change it here when usage says otherwise.
   */
  popular_rank?: number;
  /** CBN bank code: 3 digits for banks ("044"); the longer code for MFBs/mobile money ("50211"). */
  cbn_code: string;
  /** NIBSS NIP institution code, 6 digits ("000014"). */
  nip_code: string;
  type: BankType;
  /** Non-empty, no duplicates. */
  login_methods: LoginMethod[];
  /** Non-empty, no duplicates; "none" only alone. */
  mfa_kinds: MfaKind[];
  /** Always includes "auth". */
  products: BankProduct[];
  /** Has corporate internet banking we support. */
  corporate: boolean;
  individual: boolean;
  /** "#rrggbb" brand-ish colours. */
  colors: { primary: string; accent: string };
}

export const BANK_DIRECTORY: readonly DirectoryBank[] = Object.freeze<DirectoryBank[]>([
  {
    id: "5d6fe57a4099cc4b210bbeb0",
    slug: "access-bank",
    name: "Access Bank",
    aliases: ["Diamond Bank", "Access Diamond"],
    popular_rank: 1,
    cbn_code: "044",
    nip_code: "000014",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#f58220", accent: "#003b71" },
  },
  {
    // Citibank Nigeria serves institutional clients only.
    id: "5d6fe57a4099cc4b210bbec1",
    slug: "citibank-nigeria",
    name: "Citibank Nigeria",
    aliases: [],
    cbn_code: "023",
    nip_code: "000009",
    type: "commercial",
    login_methods: ["internet_banking"],
    mfa_kinds: ["hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: true,
    individual: false,
    colors: { primary: "#056dae", accent: "#d9261c" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec2",
    slug: "coronation-merchant-bank",
    name: "Coronation Merchant Bank",
    aliases: [],
    cbn_code: "559",
    nip_code: "060001",
    type: "merchant",
    login_methods: ["internet_banking"],
    mfa_kinds: ["hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: true,
    individual: false,
    colors: { primary: "#0d2240", accent: "#c5a46d" },
  },
  {
    id: "5d6fe57a4099cc4b210bbeb1",
    slug: "ecobank-nigeria",
    name: "Ecobank Nigeria",
    aliases: [],
    cbn_code: "050",
    nip_code: "000010",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#0066a1", accent: "#78be20" },
  },
  {
    id: "5d6fe57a4099cc4b210bbeb4",
    slug: "fidelity-bank",
    name: "Fidelity Bank",
    aliases: [],
    popular_rank: 11,
    cbn_code: "070",
    nip_code: "000007",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#1a1464", accent: "#7ac143" },
  },
  {
    id: "5d6fe57a4099cc4b210bbeb5",
    slug: "first-bank-of-nigeria",
    name: "First Bank of Nigeria",
    aliases: ["FBN"],
    popular_rank: 4,
    cbn_code: "011",
    nip_code: "000016",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#003b65", accent: "#f2b93b" },
  },
  {
    // Okra's id.
    id: "5d6fe57a4099cc4b210bbeb2",
    slug: "first-city-monument-bank",
    name: "First City Monument Bank",
    aliases: ["FCMB"],
    popular_rank: 10,
    cbn_code: "214",
    nip_code: "000003",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#5c2d91", accent: "#fdb913" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec3",
    slug: "globus-bank",
    name: "Globus Bank",
    aliases: [],
    cbn_code: "103",
    nip_code: "000027",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#00529b", accent: "#ed1c24" },
  },
  {
    // Okra's id.
    id: "5d6fe57a4099cc4b210bbeb3",
    slug: "guaranty-trust-bank",
    name: "Guaranty Trust Bank",
    aliases: ["GTBank", "GTCO"],
    popular_rank: 2,
    cbn_code: "058",
    nip_code: "000013",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#dd4f05", accent: "#4a4a4a" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec4",
    slug: "jaiz-bank",
    name: "Jaiz Bank",
    aliases: [],
    cbn_code: "301",
    nip_code: "000006",
    type: "non_interest",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#005f2f", accent: "#d4a017" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec5",
    slug: "keystone-bank",
    name: "Keystone Bank",
    aliases: [],
    cbn_code: "082",
    nip_code: "000002",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#004990", accent: "#f7941d" },
  },
  {
    // Microfinance bank: 50211 is the code in common use (no 3-digit CBN code).
    id: "5d6fe57a4099cc4b210bbeb7",
    slug: "kuda-bank",
    name: "Kuda Bank",
    aliases: [],
    popular_rank: 8,
    cbn_code: "50211",
    nip_code: "090267",
    type: "microfinance",
    login_methods: ["mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#40196d", accent: "#8a4fff" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec6",
    slug: "lotus-bank",
    name: "Lotus Bank",
    aliases: [],
    cbn_code: "303",
    nip_code: "000029",
    type: "non_interest",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity"],
    corporate: false,
    individual: true,
    colors: { primary: "#7b2d8e", accent: "#f5a623" },
  },
  {
    // Microfinance bank: 50515 is the code in common use (no 3-digit CBN code).
    id: "5d6fe57a4099cc4b210bbec7",
    slug: "moniepoint-mfb",
    name: "Moniepoint Microfinance Bank",
    aliases: [],
    popular_rank: 7,
    cbn_code: "50515",
    nip_code: "090405",
    type: "microfinance",
    login_methods: ["mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#0357ee", accent: "#00c2a8" },
  },
  {
    // Mobile-money operator; PIN-only app login. 999992 is the code in common use.
    id: "5d6fe57a4099cc4b210bbec8",
    slug: "opay",
    name: "OPay",
    aliases: ["OPay Digital Services", "Paycom"],
    popular_rank: 6,
    cbn_code: "999992",
    nip_code: "100004",
    type: "mobile_money",
    login_methods: ["mobile_banking", "account_number"],
    mfa_kinds: ["none"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#1dcf9f", accent: "#1a1a2e" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec9",
    slug: "optimus-bank",
    name: "Optimus Bank",
    aliases: [],
    cbn_code: "107",
    nip_code: "000036",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#0b3d91", accent: "#e31937" },
  },
  {
    // Mobile-money operator; PIN-only app login. 999991 is the code in common use.
    id: "5d6fe57a4099cc4b210bbeca",
    slug: "palmpay",
    name: "PalmPay",
    aliases: [],
    popular_rank: 9,
    cbn_code: "999991",
    nip_code: "100033",
    type: "mobile_money",
    login_methods: ["mobile_banking"],
    mfa_kinds: ["none"],
    products: ["auth", "balance", "transactions", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#7b3fe4", accent: "#ffc107" },
  },
  {
    id: "5d6fe57a4099cc4b210bbecb",
    slug: "parallex-bank",
    name: "Parallex Bank",
    aliases: [],
    cbn_code: "104",
    nip_code: "000030",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#0d4c92", accent: "#f26522" },
  },
  {
    id: "5d6fe57a4099cc4b210bbeb8",
    slug: "polaris-bank",
    name: "Polaris Bank",
    aliases: ["Skye Bank"],
    cbn_code: "076",
    nip_code: "000008",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#6c2c91", accent: "#00a4e4" },
  },
  {
    id: "5d6fe57a4099cc4b210bbecc",
    slug: "premiumtrust-bank",
    name: "PremiumTrust Bank",
    aliases: [],
    cbn_code: "105",
    nip_code: "000031",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#00205b", accent: "#c8a04f" },
  },
  {
    id: "5d6fe57a4099cc4b210bbecd",
    slug: "providus-bank",
    name: "Providus Bank",
    aliases: [],
    cbn_code: "101",
    nip_code: "000023",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#fdb813", accent: "#3d3d3d" },
  },
  {
    // Microfinance bank: 125 is the code in common use for Rubies.
    id: "5d6fe57a4099cc4b210bbeb9",
    slug: "rubies-bank",
    name: "Rubies Microfinance Bank",
    aliases: [],
    cbn_code: "125",
    nip_code: "090175",
    type: "microfinance",
    login_methods: ["mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity"],
    corporate: false,
    individual: true,
    colors: { primary: "#d71920", accent: "#1c1c1c" },
  },
  {
    id: "5d6fe57a4099cc4b210bbece",
    slug: "signature-bank",
    name: "Signature Bank",
    aliases: [],
    cbn_code: "106",
    nip_code: "000034",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#0a2240", accent: "#b8975a" },
  },
  {
    // Okra's id.
    id: "5d6fe57a4099cc4b210bbeb6",
    slug: "stanbic-ibtc-bank",
    name: "Stanbic IBTC Bank",
    aliases: [],
    popular_rank: 12,
    cbn_code: "221",
    nip_code: "000012",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#0033a1", accent: "#00a9e0" },
  },
  {
    id: "5d6fe57a4099cc4b210bbeba",
    slug: "standard-chartered-bank",
    name: "Standard Chartered Bank",
    aliases: ["StanChart", "SCB"],
    cbn_code: "068",
    nip_code: "000021",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["hardware_token", "sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#0473ea", accent: "#38d200" },
  },
  {
    id: "5d6fe57a4099cc4b210bbebb",
    slug: "sterling-bank",
    name: "Sterling Bank",
    aliases: [],
    cbn_code: "232",
    nip_code: "000001",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#e31b23", accent: "#4a4a4a" },
  },
  {
    id: "5d6fe57a4099cc4b210bbecf",
    slug: "suntrust-bank",
    name: "SunTrust Bank",
    aliases: [],
    cbn_code: "100",
    nip_code: "000022",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity"],
    corporate: false,
    individual: true,
    colors: { primary: "#f7941d", accent: "#00467f" },
  },
  {
    id: "5d6fe57a4099cc4b210bbed0",
    slug: "taj-bank",
    name: "TAJ Bank",
    aliases: [],
    cbn_code: "302",
    nip_code: "000026",
    type: "non_interest",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#6d2077", accent: "#c9a227" },
  },
  {
    id: "5d6fe57a4099cc4b210bbed1",
    slug: "titan-trust-bank",
    name: "Titan Trust Bank",
    aliases: [],
    cbn_code: "102",
    nip_code: "000025",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#00205c", accent: "#e4002b" },
  },
  {
    id: "5d6fe57a4099cc4b210bbebc",
    slug: "union-bank-of-nigeria",
    name: "Union Bank of Nigeria",
    aliases: ["UBN"],
    cbn_code: "032",
    nip_code: "000018",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#00aeef", accent: "#003366" },
  },
  {
    id: "5d6fe57a4099cc4b210bbebd",
    slug: "united-bank-for-africa",
    name: "United Bank for Africa",
    aliases: ["UBA"],
    popular_rank: 5,
    cbn_code: "033",
    nip_code: "000004",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#d71e28", accent: "#2d2d2d" },
  },
  {
    id: "5d6fe57a4099cc4b210bbebe",
    slug: "unity-bank",
    name: "Unity Bank",
    aliases: [],
    cbn_code: "215",
    nip_code: "000011",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#76b82a", accent: "#4b2c7f" },
  },
  {
    // Microfinance bank: 566 is the code in common use for VFD.
    id: "5d6fe57a4099cc4b210bbed2",
    slug: "vfd-microfinance-bank",
    name: "VFD Microfinance Bank",
    aliases: ["VBank"],
    cbn_code: "566",
    nip_code: "090110",
    type: "microfinance",
    login_methods: ["mobile_banking", "account_number"],
    mfa_kinds: ["sms_otp"],
    products: ["auth", "balance", "transactions", "identity", "payments"],
    corporate: false,
    individual: true,
    colors: { primary: "#1a1a6c", accent: "#f7931e" },
  },
  {
    // Also the bank behind ALAT (see the note at the top of this file).
    id: "5d6fe57a4099cc4b210bbebf",
    slug: "wema-bank",
    name: "Wema Bank",
    aliases: ["ALAT"],
    cbn_code: "035",
    nip_code: "000017",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "security_question"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#8b1d82", accent: "#ed1c24" },
  },
  {
    id: "5d6fe57a4099cc4b210bbec0",
    slug: "zenith-bank",
    name: "Zenith Bank",
    aliases: [],
    popular_rank: 3,
    cbn_code: "057",
    nip_code: "000015",
    type: "commercial",
    login_methods: ["internet_banking", "mobile_banking"],
    mfa_kinds: ["sms_otp", "hardware_token"],
    products: ["auth", "balance", "transactions", "identity", "income", "payments"],
    corporate: true,
    individual: true,
    colors: { primary: "#e30613", accent: "#231f20" },
  },
]);

const BY_ID = new Map(BANK_DIRECTORY.map((b) => [b.id, b]));

/** The directory entry with this id, or undefined. */
export function directoryBank(id: string): DirectoryBank | undefined {
  return BY_ID.get(id);
}

/**
 * Orders banks the way the widget lists them: by `popular_rank` first, then the rest in the order
 * given (the directory's name order). Stable; returns a new array.
 */
export function popularFirst<T extends { id: string }>(banks: readonly T[]): T[] {
  const rank = (b: T) => BY_ID.get(b.id)?.popular_rank ?? Number.POSITIVE_INFINITY;
  return banks
    .map((b, i) => ({ b, i }))
    .sort((x, y) => rank(x.b) - rank(y.b) || x.i - y.i)
    .map(({ b }) => b);
}
