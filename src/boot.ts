import type { Config } from "./config.js";
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
  options: { embeddedInMemory?: boolean } = {},
): Promise<{ handle: DatabaseHandle; ctx: AppContext }> {
  // Tests and benchmarks use a throwaway in-memory PGlite: never the data directory that
  // `npm start` owns (PGlite is single-process; two writers on one directory lose data).
  const dataDir = config.databaseUrl || options.embeddedInMemory ? undefined : config.dataDir;
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir });
  try {
    await migrateToLatest(handle.db);
    await syncBankDirectory(handle.db, clock.now());
    const banks = await openBankServices(config, handle.db, clock);
    return { handle, ctx: { db: handle.db, dbKind: handle.kind, clock, config, ...banks } };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
