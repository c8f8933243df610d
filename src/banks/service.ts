import type { Database } from "../db/index.js";
import type { Bank } from "../db/schema.js";
import { notFound } from "../core/errors.js";
import { offsetOf, paginate } from "../core/paging.js";
import { BANK_DIRECTORY } from "./directory.js";

/**
 * Writes the static directory into the `banks` table (insert new banks, refresh the static facts
 * of known ones). Live status is left alone: it belongs to health checks, not to the code.
 * Runs at every start; idempotent, and safe when several processes start at once.
 */
export async function syncBankDirectory(db: Database, now: Date): Promise<void> {
  const rows = BANK_DIRECTORY.map((b, index) => ({
    id: b.id,
    slug: b.slug,
    name: b.name,
    cbn_code: b.cbn_code,
    nip_code: b.nip_code,
    type: b.type,
    login_methods: [...b.login_methods],
    mfa_kinds: [...b.mfa_kinds],
    products: [...b.products],
    corporate: b.corporate,
    individual: b.individual,
    colors: JSON.stringify(b.colors),
    sort_order: index,
    updated_at: now,
  }));
  await db
    .insertInto("banks")
    .values(rows)
    .onConflict((oc) =>
      oc.column("id").doUpdateSet((eb) => ({
        slug: eb.ref("excluded.slug"),
        name: eb.ref("excluded.name"),
        cbn_code: eb.ref("excluded.cbn_code"),
        nip_code: eb.ref("excluded.nip_code"),
        type: eb.ref("excluded.type"),
        login_methods: eb.ref("excluded.login_methods"),
        mfa_kinds: eb.ref("excluded.mfa_kinds"),
        products: eb.ref("excluded.products"),
        corporate: eb.ref("excluded.corporate"),
        individual: eb.ref("excluded.individual"),
        colors: eb.ref("excluded.colors"),
        sort_order: eb.ref("excluded.sort_order"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
  invalidateBankCache(db);
}

/** A bank as the API shows it: Okra's field names (`_id`, `isMFA`, `mfaType`, `corp`…) plus ours. */
export function bankView(b: Bank) {
  const mfaKinds = b.mfa_kinds;
  return {
    _id: b.id,
    id: b.id,
    name: b.name,
    slug: b.slug,
    cbn_code: b.cbn_code,
    nip_code: b.nip_code,
    sortcode: b.cbn_code,
    type: b.type,
    country: "NG",
    countries: ["NG"],
    login_methods: b.login_methods,
    mfa_kinds: mfaKinds,
    isMFA: mfaKinds.some((k) => k !== "none"),
    mfaType: mfaKinds[0] ?? "none",
    products: b.products,
    corp: b.corporate,
    individual: b.individual,
    status: b.status,
    active: b.status !== "down",
    colors: b.colors,
    last_updated: b.updated_at.toISOString(),
  };
}
export type BankView = ReturnType<typeof bankView>;

/**
 * The directory changes rarely (a deploy, or a bank's health status), yet every widget open and
 * many API calls read it. Each process keeps the whole list for BANK_CACHE_MS, so a status
 * change reaches every process within that time; whoever changes a status in this process calls
 * `invalidateBankCache` to see it at once. Measured with `npm run bench`.
 */
export const BANK_CACHE_MS = 5_000;
const cache = new WeakMap<Database, { loadedAt: number; banks: Promise<BankView[]> }>();

export function invalidateBankCache(db: Database): void {
  cache.delete(db);
}

function allBanks(db: Database): Promise<BankView[]> {
  const now = performance.now();
  const hit = cache.get(db);
  if (hit && now - hit.loadedAt < BANK_CACHE_MS) return hit.banks;
  const banks = db
    .selectFrom("banks")
    .selectAll()
    .orderBy("sort_order")
    .orderBy("id")
    .execute()
    .then((rows) => rows.map(bankView));
  cache.set(db, { loadedAt: now, banks });
  banks.catch(() => cache.delete(db)); // a failed load is not cached
  return banks;
}

export async function listBanks(db: Database, page: number, limit: number) {
  const banks = await allBanks(db);
  const start = offsetOf(page, limit);
  return { banks: banks.slice(start, start + limit), pagination: paginate(banks.length, page, limit) };
}

/** Which of `slugs` are not in the directory (for validating an app's bank filter). */
export async function unknownBankSlugs(db: Pick<Database, "selectFrom">, slugs: readonly string[]): Promise<string[]> {
  if (slugs.length === 0) return [];
  const found = await db.selectFrom("banks").select("slug").where("slug", "in", slugs).execute();
  const known = new Set(found.map((row) => row.slug));
  return slugs.filter((slug) => !known.has(slug));
}

export async function getBank(db: Database, id: string): Promise<BankView> {
  const bank = (await allBanks(db)).find((b) => b.id === id);
  if (!bank) throw notFound("bank");
  return bank;
}
