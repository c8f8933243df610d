import fs from "node:fs";
import path from "node:path";
import { ConfigError, type Config } from "./config.js";
import { SecretBox } from "./lib/secret-box.js";
import { syncBankDirectory } from "./banks/service.js";
import { openBankServices } from "./banks/sandbox/network.js";
import type { AppContext } from "./context.js";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "./db/index.js";
import type { Clock } from "./lib/clock.js";

/**
 * Opens storage and brings it to this build's shape: migrations (serialised across processes
 * by an advisory lock), then the static bank directory. Shared by `okro serve`, `okro migrate`
 * and the test harness, so tests boot exactly what production boots.
 */
export async function bootStorage(
  config: Config,
  clock: Clock,
  options: { embeddedInMemory?: boolean; requireSecrets?: boolean } = {},
): Promise<{ handle: DatabaseHandle; ctx: AppContext }> {
  const secrets = secretBoxFor(config, options);
  // Tests and benchmarks use a throwaway in-memory PGlite: never the data directory that
  // `npm start` owns (PGlite is single-process; two writers on one directory lose data).
  const dataDir = config.databaseUrl || options.embeddedInMemory ? undefined : config.dataDir;
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir });
  try {
    await migrateToLatest(handle.db);
    await syncBankDirectory(handle.db, clock.now());
    const banks = await openBankServices(config, handle.db, clock);
    return { handle, ctx: { db: handle.db, dbKind: handle.kind, clock, config, secrets, ...banks } };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The key of the secrets Okro must read back. OKRO_ENCRYPTION_KEY when set. Otherwise the embedded
 * database keeps a generated key beside its data (`encryption.key`, 0600): the same machine, the
 * same protection as the data, nothing to configure for trying Okro. PostgreSQL needs the key
 * set, identical in every process: refuse to start without it, unless this process never touches
 * secrets (`okro migrate`, `okro sandbox-bank`), which gets a box that refuses to work.
 */
function secretBoxFor(config: Config, options: { embeddedInMemory?: boolean; requireSecrets?: boolean }): SecretBox {
  if (config.encryptionKey) return new SecretBox(SecretBox.parseKey(config.encryptionKey));
  // Tests and benchmarks (a throwaway run): a key for this process only.
  if (options.embeddedInMemory) return new SecretBox(SecretBox.parseKey(SecretBox.generateKey()));
  if (!config.databaseUrl) {
    const file = path.join(config.dataDir, "encryption.key");
    if (!fs.existsSync(file)) {
      fs.mkdirSync(config.dataDir, { recursive: true });
      fs.writeFileSync(file, `${SecretBox.generateKey()}\n`, { mode: 0o600, flag: "wx" });
    }
    return new SecretBox(SecretBox.parseKey(fs.readFileSync(file, "utf8")));
  }
  if (options.requireSecrets === false) return new SecretBox(SecretBox.parseKey(SecretBox.generateKey()));
  throw new ConfigError("OKRO_ENCRYPTION_KEY: required with DATABASE_URL (the same in every process); make one with: openssl rand -base64 32");
}
