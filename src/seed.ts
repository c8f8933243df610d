import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import type { AppContext } from "./context.js";
import type { Env } from "./db/schema.js";
import { clientToken, createCompany, type EnvironmentCredentials } from "./platform/companies.js";
import { createApp } from "./platform/apps.js";
import { findActiveKey, rotateKey } from "./platform/keys.js";
import { hashPassword, verifyPassword } from "./platform/passwords.js";
import { newId } from "./lib/ids.js";
import { randomToken } from "./lib/secrets.js";
import type { Transaction } from "kysely";
import type { DB } from "./db/schema.js";

/** What `okro serve` prints and writes to `$OKRO_DATA_DIR/demo.json`. */
export interface DemoInfo {
  api: string;
  widget: string;
  dashboard: string;
  docs: string;
  company_id: string;
  company_name: string;
  sandbox: EnvironmentCredentials;
  production: EnvironmentCredentials;
  /** The demo company's dashboard user. */
  dashboard_login: { email: string; password: string } | null;
}

export interface Urls {
  api: string;
  widget: string;
}

export const DEMO_COMPANY_NAME = "Demo Store";
export const DEMO_USER_EMAIL = "demo@okro.local";
const DEMO_FILE = "demo.json";
/** Any 64-bit number unique to this lock; hashtext would differ between PG versions. */
const SEED_LOCK = 7_242_001_001;

export const demoFilePath = (dataDir: string) => path.join(dataDir, DEMO_FILE);

/**
 * Makes sure the demo company exists and that we hold its keys in clear, and writes demo.json.
 *
 * Keys are stored only as hashes, so the clear keys live in demo.json (mode 0600) in the data
 * directory. A second start reads them back and checks each is still active for the demo
 * company; one that is missing, revoked or rotated away is replaced by a newly issued key (and
 * the others keep working). Nothing is created twice: an advisory lock serialises racing first
 * starts on one PostgreSQL, and the partial unique index on companies(is_demo) backs it up.
 */
export async function ensureDemo(ctx: AppContext, dataDir: string, urls: Urls): Promise<DemoInfo> {
  const saved = readSaved(dataDir);
  const now = ctx.clock.now();
  const info = await ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    const existing = await trx.selectFrom("companies").select(["id", "name"]).where("is_demo", "=", true).executeTakeFirst();
    if (!existing) {
      const created = await createCompany(trx, { name: DEMO_COMPANY_NAME, isDemo: true }, now);
      const dashboard_login = await ensureDemoUser(trx, created.id, undefined, now);
      return { company_id: created.id, company_name: created.name, sandbox: created.sandbox, production: created.production, dashboard_login };
    }
    const creds = {} as Record<Env, EnvironmentCredentials>;
    for (const env of ["sandbox", "production"] as const) {
      const token = await clientToken(trx, existing.id, env);
      if (!token) throw new Error(`demo company ${existing.id} has no ${env} environment`);
      const app = await trx
        .selectFrom("apps")
        .select("id")
        .where("company_id", "=", existing.id)
        .where("env", "=", env)
        .orderBy("created_at")
        .orderBy("id")
        .executeTakeFirst();
      const previous = saved?.company_id === existing.id ? saved[env] : undefined;
      const keyFor = async (kind: "secret" | "public", clear: string | undefined) => {
        if (clear) {
          const principal = await findActiveKey(trx, clear, now);
          if (principal && principal.companyId === existing.id && principal.env === env && principal.kind === kind) return clear;
        }
        // Lost (a new data directory against the same PostgreSQL, say): rotate, so the demo
        // company's keys nobody holds any more stop working instead of piling up.
        return (await rotateKey(trx, existing.id, env, kind, 0, now)).key;
      };
      creds[env] = {
        secret_key: await keyFor("secret", previous?.secret_key),
        public_key: await keyFor("public", previous?.public_key),
        token,
        // Someone deleted the demo app: give the demo a new one rather than an empty app_id.
        app_id: app?.id ?? (await createApp(trx, { companyId: existing.id, env }, { name: existing.name }, now)).id,
      };
    }
    const dashboard_login = await ensureDemoUser(trx, existing.id, saved?.company_id === existing.id ? saved.dashboard_login : undefined, now);
    return { company_id: existing.id, company_name: existing.name, ...creds, dashboard_login };
  });
  const demo: DemoInfo = {
    api: urls.api,
    widget: urls.widget,
    dashboard: `${urls.api}/dashboard`,
    docs: `${urls.api}/docs`,
    ...info,
  };
  writeSaved(dataDir, demo);
  return demo;
}

/**
 * The demo dashboard user: its password is random, known only through demo.json. If the saved
 * one no longer works (lost demo.json), the demo user gets a new random password. If someone
 * else took the email, there is no demo login (null) rather than a takeover.
 */
async function ensureDemoUser(
  trx: Transaction<DB>,
  companyId: string,
  saved: { email: string; password: string } | null | undefined,
  now: Date,
): Promise<{ email: string; password: string } | null> {
  const user = await trx.selectFrom("users").select(["id", "company_id", "password_hash"]).where("email", "=", DEMO_USER_EMAIL).executeTakeFirst();
  if (user && user.company_id !== companyId) return null;
  if (user && saved?.password && (await verifyPassword(user.password_hash, saved.password))) return saved;
  const password = randomToken(12);
  const password_hash = await hashPassword(password);
  if (user) {
    await trx.updateTable("users").set({ password_hash }).where("id", "=", user.id).execute();
  } else {
    await trx
      .insertInto("users")
      .values({ id: newId(now), company_id: companyId, email: DEMO_USER_EMAIL, name: "Demo Owner", password_hash, role: "owner", created_at: now })
      .execute();
  }
  return { email: DEMO_USER_EMAIL, password };
}

function readSaved(dataDir: string): DemoInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(demoFilePath(dataDir), "utf8")) as DemoInfo;
  } catch {
    return undefined;
  }
}

function writeSaved(dataDir: string, demo: DemoInfo): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = demoFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  // Holds clear secret keys: readable by the owner only. Written atomically (rename).
  fs.writeFileSync(tmp, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
