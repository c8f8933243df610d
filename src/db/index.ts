import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql, type MigrationResultSet } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pglite-dialect.js";
import { migrations } from "./migrations/index.js";
import type { DB } from "./schema.js";

export type Database = Kysely<DB>;
export type DatabaseKind = "pglite" | "postgres";

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /** Where the data lives, for the banner: a directory for PGlite, a redacted URL for PostgreSQL. */
  location: string;
  close(): Promise<void>;
}

const INT8_OID = 20;
/** One int8 parser on both drivers: bigint. Money (kobo) is int8 and must never become a float. */
const parseInt8 = (value: string) => BigInt(value);

export interface OpenOptions {
  /** PostgreSQL URL; when absent, PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; `undefined` means in memory (tests). */
  dataDir?: string | undefined;
  /** Max pool size for PostgreSQL. */
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
      },
    });
    // A pool error (server restart, network) must not crash the process; queries will fail and
    // /ready reports it.
    pool.on("error", () => {});
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: "postgres", location: redactUrl(options.databaseUrl), close: () => db.destroy() };
  }
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = path.join(options.dataDir, "pgdata");
    fs.mkdirSync(dataDir, { recursive: true });
  }
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    // Measured: PGlite issues no fsync either way; relaxed durability lets queries return without
    // waiting for the data directory flush. Embedded mode survives an Okro crash, not a machine
    // crash (DESIGN.md §3, README).
    relaxedDurability: true,
    parsers: { [INT8_OID]: parseInt8 },
  });
  await pglite.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: "pglite", location: dataDir ?? "memory", close: () => db.destroy() };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://***";
  }
}

function migrator(db: Database): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: "okro_migrations",
    migrationLockTableName: "okro_migrations_lock",
  });
}

/**
 * Applies pending migrations. Safe when several processes start at once against one
 * PostgreSQL: Kysely's Postgres adapter holds an advisory lock while it migrates (tested with
 * four racing processes in test/process), so one process migrates while the others wait and
 * then find nothing to do.
 */
export async function migrateToLatest(db: Database): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

/** Names of migrations this build knows that the database has not applied. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const infos = await migrator(db).getMigrations();
  return infos.filter((m) => !m.executedAt).map((m) => m.name);
}

export async function ping(db: Database): Promise<void> {
  await sql`select 1`.execute(db);
}
