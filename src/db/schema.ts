import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { BankProduct, LoginMethod, MfaKind } from "../banks/directory.js";

/**
 * Kysely's view of the tables. Migrations (src/db/migrations) are the truth; this file mirrors
 * them. int8 columns arrive as bigint on both drivers (see src/db/index.ts).
 */
export type Env = "sandbox" | "production";
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface CompaniesTable {
  id: string;
  name: string;
  is_demo: Generated<boolean>;
  created_at: Timestamp;
}

export interface EnvironmentsTable {
  company_id: string;
  env: Env;
  client_token: string;
  created_at: Timestamp;
}

export type ApiKeyKind = "secret" | "public";
export interface ApiKeysTable {
  id: string;
  company_id: string;
  env: Env;
  kind: ApiKeyKind;
  key_hash: string;
  display_prefix: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export type UserRole = "owner" | "member";
export interface UsersTable {
  id: string;
  company_id: string;
  /** Lower-cased; unique across the installation. */
  email: string;
  name: string;
  /** argon2id PHC string; never the password. */
  password_hash: string;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  created_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 hex of the cookie's token; the token itself is never stored. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface AppsTable {
  id: string;
  company_id: string;
  env: Env;
  name: string;
  products: string[];
  logo: string | null;
  color: string;
  bank_filter: string[];
  callback_url: string | null;
  redirect_url: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number;
  response_body: Json<unknown>;
  created_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

export type BankStatus = "healthy" | "degraded" | "down";
export interface BanksTable {
  id: string;
  slug: string;
  name: string;
  cbn_code: string;
  nip_code: string;
  type: string;
  login_methods: LoginMethod[];
  mfa_kinds: MfaKind[];
  products: BankProduct[];
  corporate: boolean;
  individual: boolean;
  status: ColumnType<BankStatus, BankStatus | undefined, BankStatus>;
  colors: Json<{ primary: string; accent: string }>;
  sort_order: number;
  updated_at: Timestamp;
}

export interface DB {
  companies: CompaniesTable;
  environments: EnvironmentsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  apps: AppsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  banks: BanksTable;
}

export type App = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type Bank = Selectable<BanksTable>;
