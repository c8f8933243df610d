import { ConfigError, type Config } from "../../config.js";
import type { Database } from "../../db/index.js";
import type { Clock } from "../../lib/clock.js";
import type { BankNetwork } from "../connector.js";
import { createSandboxEngine } from "./engine.js";
import { HttpSandboxAdmin, HttpSandboxNetwork } from "./http-connector.js";
import { InProcessSandboxNetwork } from "./in-process.js";
import type { SandboxAdmin } from "./types.js";

/** How Okro reaches banks: a connector network and, for the sandbox network, its admin controls. */
export interface BankServices {
  network: BankNetwork;
  sandbox: SandboxAdmin;
}

/**
 * The sandbox bank network Okro talks to: in-process on Okro's own database (the default), or the
 * `okro sandbox-bank` service at `OKRO_SANDBOX_BANK_URL`, reached over HTTP.
 */
export async function openBankServices(config: Config, db: Database, clock: Clock): Promise<BankServices> {
  if (config.sandboxBank.url) {
    const admin = await HttpSandboxAdmin.connect(config.sandboxBank.url).catch((error: unknown) => {
      throw new ConfigError(`OKRO_SANDBOX_BANK_URL: cannot reach the sandbox bank (${(error as Error).message}); start \`okro sandbox-bank\` first`);
    });
    return { network: new HttpSandboxNetwork(admin), sandbox: admin };
  }
  const engine = createSandboxEngine({ db, clock, seed: config.sandboxBank.seed, latencyScale: config.sandboxBank.latencyScale });
  return { network: new InProcessSandboxNetwork(engine), sandbox: engine.admin };
}
