import type { Config } from "./config.js";
import { syncBankDirectory } from "./banks/service.js";
import type { AppContext } from "./context.js";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "./db/index.js";
import type { Clock } from "./lib/clock.js";

/**
 * Opens storage and brings it to this build's shape: migrations (serialised across processes
 * by an advisory lock), then the static bank directory. Shared by `okro serve`, `okro migrate`
 * and the test harness, so tests boot exactly what production boots.
 */
export async function bootStorage(config: Config, clock: Clock): Promise<{ handle: DatabaseHandle; ctx: AppContext }> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  try {
    await migrateToLatest(handle.db);
    await syncBankDirectory(handle.db, clock.now());
  } catch (error) {
    await handle.close();
    throw error;
  }
  return { handle, ctx: { db: handle.db, dbKind: handle.kind, clock, config } };
}
