import type { Database } from "../db/index.js";
import type { ApiKeyKind, Env } from "../db/schema.js";
import type { Trx } from "../core/db.js";
import { OkroError } from "../core/errors.js";
import { clientToken, getCompany, rotateClientToken } from "./companies.js";
import { ENVIRONMENTS, wireEnv } from "./domain.js";
import { listKeys, revokeKey, rotateKey, type KeyView } from "./keys.js";
import type { DashboardPrincipal } from "./sessions.js";
import { getUser, type CompanyView, type UserView } from "./users.js";

/** What a signed-in dashboard user sees and does with their company's credentials. */

export interface EnvironmentView {
  env: Env;
  wire_env: "production" | "production-sandbox";
  client_token: string;
  keys: KeyView[];
}

export async function companyView(db: Database | Trx, companyId: string): Promise<CompanyView> {
  const company = await getCompany(db, companyId);
  // A session's user always has a company (ON DELETE CASCADE); a missing one is a bug, not a 404.
  if (!company) throw new Error(`company ${companyId} of a live session is missing`);
  return { id: company.id, name: company.name, created_at: company.created_at.toISOString() };
}

/** The user, their company, and per environment the client token and the keys (never a secret). */
export async function accountOverview(
  db: Database,
  who: DashboardPrincipal,
  now: Date,
): Promise<{ user: UserView; company: CompanyView; environments: Record<Env, EnvironmentView> }> {
  const [user, company, keys, tokens] = await Promise.all([
    getUser(db, who.userId),
    companyView(db, who.companyId),
    listKeys(db, who.companyId, now),
    Promise.all(ENVIRONMENTS.map((env) => clientToken(db, who.companyId, env))),
  ]);
  const environments = {} as Record<Env, EnvironmentView>;
  ENVIRONMENTS.forEach((env, i) => {
    environments[env] = { env, wire_env: wireEnv(env), client_token: tokens[i] ?? "", keys: keys.filter((k) => k.env === env) };
  });
  return { user, company, environments };
}

/**
 * Rotates the company's `kind` key in `env` (see keys.ts `rotateKey`). The environment row is
 * locked first so two rotations at once run one after the other: otherwise each would retire
 * only the keys it saw and both new keys would stay active.
 */
export async function rotateEnvironmentKey(
  trx: Trx,
  companyId: string,
  input: { env: Env; kind: ApiKeyKind; grace_seconds: number },
  now: Date,
): Promise<{ key: KeyView & { key: string }; retired_key_ids: string[]; retired_at: string }> {
  await trx.selectFrom("environments").select("env").where("company_id", "=", companyId).where("env", "=", input.env).forUpdate().execute();
  const issued = await rotateKey(trx, companyId, input.env, input.kind, input.grace_seconds, now);
  return {
    key: {
      id: issued.id,
      env: input.env,
      kind: input.kind,
      key: issued.key,
      display_prefix: issued.display_prefix,
      public_key: input.kind === "public" ? issued.key : null,
      created_at: now.toISOString(),
      expires_at: null,
      revoked_at: null,
      active: true,
    },
    retired_key_ids: issued.retired,
    retired_at: new Date(now.getTime() + input.grace_seconds * 1000).toISOString(),
  };
}

/** Revokes one of the company's keys at once; another company's key id is a 404. */
export async function revokeCompanyKey(trx: Trx, companyId: string, keyId: string, now: Date): Promise<KeyView> {
  await revokeKey(trx, companyId, keyId, now);
  const key = (await listKeys(trx, companyId, now)).find((k) => k.id === keyId);
  if (!key) throw new OkroError("NOT_FOUND", "key not found", { field: "id" });
  return key;
}

export async function rotateCompanyClientToken(trx: Trx, companyId: string, env: Env, now: Date): Promise<{ env: Env; client_token: string }> {
  return { env, client_token: await rotateClientToken(trx, companyId, env, now) };
}
