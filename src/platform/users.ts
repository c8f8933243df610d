import type { Database } from "../db/index.js";
import type { UserRole } from "../db/schema.js";
import { OkroError } from "../core/errors.js";
import { newId } from "../lib/ids.js";
import { createCompany, type EnvironmentCredentials } from "./companies.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import { createSession, dropExpiredSessions } from "./sessions.js";
import type { Executor } from "../core/db.js";

/** Dashboard users: signup (a company and its owner), login. Sessions live in sessions.ts. */
const UNIQUE_VIOLATION = "23505";

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  created_at: string;
}

export interface CompanyView {
  id: string;
  name: string;
  created_at: string;
}

export interface NewSession {
  token: string;
  expiresAt: Date;
}

/** Emails compare case-insensitively: stored lower-cased (the column has a CHECK for it). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const emailTaken = () =>
  new OkroError("CONFLICT", "email: an account with this email already exists; log in instead", { field: "email" });

export async function signUp(
  db: Database,
  input: { company_name: string; name: string; email: string; password: string },
  now: Date,
): Promise<{
  user: UserView;
  company: CompanyView;
  credentials: { sandbox: EnvironmentCredentials; production: EnvironmentCredentials };
  session: NewSession;
}> {
  const email = normalizeEmail(input.email);
  // Checked before hashing so a taken email does not cost an argon2 run; the unique index
  // below is what decides when two signups race.
  const existing = await db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
  if (existing) throw emailTaken();
  // Hashing takes tens of milliseconds: done before the transaction, which holds locks.
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const company = await createCompany(trx, { name: input.company_name }, now);
      const userId = newId(now);
      await trx
        .insertInto("users")
        .values({ id: userId, company_id: company.id, email, name: input.name, password_hash: passwordHash, role: "owner", created_at: now })
        .execute();
      const session = await createSession(trx, userId, now);
      return {
        user: { id: userId, email, name: input.name, role: "owner" as const, created_at: now.toISOString() },
        company: { id: company.id, name: company.name, created_at: now.toISOString() },
        credentials: { sandbox: company.sandbox, production: company.production },
        session,
      };
    });
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw emailTaken();
    throw error;
  }
}

/**
 * The company's email: its owner's (the dashboard account that signed the company up; the
 * earliest owner if there are several), or null for a company without one (made outside signup).
 * What a payment link shows payers when the merchant named no support email.
 */
export async function companyEmail(db: Executor, companyId: string): Promise<string | null> {
  const owner = await db
    .selectFrom("users")
    .select("email")
    .where("company_id", "=", companyId)
    .where("role", "=", "owner")
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return owner?.email ?? null;
}

/** One message for an unknown email and a wrong password, so a login does not reveal accounts. */
const badLogin = () => new OkroError("UNAUTHORIZED", "email or password is incorrect");

export async function logIn(
  db: Database,
  input: { email: string; password: string },
  now: Date,
): Promise<{ user: UserView; company: CompanyView; session: NewSession }> {
  const row = await db
    .selectFrom("users")
    .innerJoin("companies", "companies.id", "users.company_id")
    .select([
      "users.id",
      "users.email",
      "users.name",
      "users.role",
      "users.password_hash",
      "users.created_at",
      "companies.id as company_id",
      "companies.name as company_name",
      "companies.created_at as company_created_at",
    ])
    .where("users.email", "=", normalizeEmail(input.email))
    .executeTakeFirst();
  // Verify even when there is no such user (against a dummy hash), so both failures take as
  // long as each other.
  const valid = await verifyPassword(row?.password_hash ?? (await dummyPasswordHash()), input.password);
  if (!row || !valid) throw badLogin();
  const session = await db.transaction().execute(async (trx) => {
    await dropExpiredSessions(trx, row.id, now);
    return createSession(trx, row.id, now);
  });
  return {
    user: userView(row),
    company: { id: row.company_id, name: row.company_name, created_at: row.company_created_at.toISOString() },
    session,
  };
}

export function userView(row: { id: string; email: string; name: string; role: UserRole; created_at: Date }): UserView {
  return { id: row.id, email: row.email, name: row.name, role: row.role, created_at: row.created_at.toISOString() };
}

export async function getUser(db: Executor, userId: string): Promise<UserView> {
  const row = await db.selectFrom("users").select(["id", "email", "name", "role", "created_at"]).where("id", "=", userId).executeTakeFirstOrThrow();
  return userView(row);
}
