import type { Env } from "../db/schema.js";
import { createApp } from "./apps.js";
import { newId } from "../lib/ids.js";
import { ENVIRONMENTS } from "./domain.js";
import { issueKey } from "./keys.js";
import type { Executor } from "../core/db.js";

/** The credentials one environment of a new company starts with. Keys are in clear only here. */
export interface EnvironmentCredentials {
  secret_key: string;
  public_key: string;
  token: string;
  app_id: string;
}

export interface NewCompany {
  id: string;
  name: string;
  sandbox: EnvironmentCredentials;
  production: EnvironmentCredentials;
}

/**
 * Creates a company with both environments, a secret and a public key and a client token in
 * each, and one app per environment with every product enabled. Run inside a transaction.
 */
export async function createCompany(
  db: Executor,
  input: { name: string; isDemo?: boolean },
  now: Date,
): Promise<NewCompany> {
  const id = newId(now);
  await db.insertInto("companies").values({ id, name: input.name, is_demo: input.isDemo ?? false, created_at: now }).execute();
  const creds = {} as Record<Env, EnvironmentCredentials>;
  for (const env of ENVIRONMENTS) {
    const token = newId(now);
    await db.insertInto("environments").values({ company_id: id, env, client_token: token, created_at: now }).execute();
    const secret = await issueKey(db, id, env, "secret", now);
    const pub = await issueKey(db, id, env, "public", now);
    // Every product, default colour, no bank filter: the same app a bare apps/create makes.
    const appId = (await createApp(db, { companyId: id, env }, { name: input.name }, now)).id;
    creds[env] = { secret_key: secret.key, public_key: pub.key, token, app_id: appId };
  }
  return { id, name: input.name, sandbox: creds.sandbox, production: creds.production };
}

export async function getCompany(db: Executor, id: string) {
  return db.selectFrom("companies").select(["id", "name", "created_at"]).where("id", "=", id).executeTakeFirst();
}

export async function clientToken(db: Executor, companyId: string, env: Env): Promise<string | undefined> {
  const row = await db
    .selectFrom("environments")
    .select("client_token")
    .where("company_id", "=", companyId)
    .where("env", "=", env)
    .executeTakeFirst();
  return row?.client_token;
}

/**
 * Replaces an environment's client token (the widget's `token`). It is not a secret — it sits in
 * merchants' web pages — so it is shown, and kept, in clear; rotating it is for a token that is
 * being abused. The old one stops working at once.
 */
export async function rotateClientToken(db: Executor, companyId: string, env: Env, now: Date): Promise<string> {
  const token = newId(now);
  await db.updateTable("environments").set({ client_token: token }).where("company_id", "=", companyId).where("env", "=", env).execute();
  return token;
}
