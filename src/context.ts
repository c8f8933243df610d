import type { Config } from "./config.js";
import type { Database, DatabaseKind } from "./db/index.js";
import type { Clock } from "./lib/clock.js";
import type { SecretBox } from "./lib/secret-box.js";
import type { BankNetwork } from "./banks/connector.js";
import type { SandboxAdmin } from "./banks/sandbox/types.js";

/** What every module's services are given: storage, time and settings. Passed, never global. */
export interface AppContext {
  db: Database;
  dbKind: DatabaseKind;
  clock: Clock;
  config: Config;
  /** Encrypts what Okro must read back (webhook secrets, bank credentials). */
  secrets: SecretBox;
  /** The banks Okro can reach (the sandbox network, in-process or over HTTP). */
  network: BankNetwork;
  /**
   * Real bank connectors for production keys. None ship yet, so production reaches no bank
   * (networks.ts); tests plug a network in here to see production behave as it will with one.
   */
  productionNetwork?: BankNetwork;
  /** The sandbox network's controls: test customers, faults, clock. */
  sandbox: SandboxAdmin;
}
