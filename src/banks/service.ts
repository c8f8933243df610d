import { sql } from "kysely";
import type { Database } from "../db/index.js";
import type { Bank } from "../db/schema.js";
import { notFound } from "../http/errors.js";
import { offsetOf, paginate } from "../http/pagination.js";
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

export async function listBanks(db: Database, page: number, limit: number) {
  // One round trip: the total rides along on every row (a page past the end has no rows, so
  // only then is it counted separately).
  const rows = await db
    .selectFrom("banks")
    .selectAll()
    .select(sql<number>`count(*) over ()::int`.as("total"))
    .orderBy("sort_order")
    .orderBy("id")
    .limit(limit)
    .offset(offsetOf(page, limit))
    .execute();
  const total =
    rows[0]?.total ?? (await db.selectFrom("banks").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;
  return { banks: rows.map(bankView), pagination: paginate(total, page, limit) };
}

export async function getBank(db: Database, id: string): Promise<BankView> {
  const row = await db.selectFrom("banks").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("bank");
  return bankView(row);
}
