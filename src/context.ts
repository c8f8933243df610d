import type { Config } from "./config.js";
import type { Database, DatabaseKind } from "./db/index.js";
import type { Clock } from "./lib/clock.js";

/** What every module's services are given: storage, time and settings. Passed, never global. */
export interface AppContext {
  db: Database;
  dbKind: DatabaseKind;
  clock: Clock;
  config: Config;
}
