import type { AppContext } from "../context.js";
import type { Env } from "../db/schema.js";
import { checkedConnector } from "./checked-connector.js";
import type { BankConnector, BankNetwork } from "./connector.js";

/**
 * No bank is reachable: what the production environment gets until a real bank connector is
 * registered. The sandbox network is never used for production keys — sandbox data must never
 * reach production, and a production customer must never be debited by a pretend bank.
 */
export const EMPTY_NETWORK: BankNetwork = {
  supports: () => false,
  connector: () => undefined,
};

/** The banks an environment can reach: the sandbox network in sandbox, real connectors (none yet) in production. */
export function networkFor(ctx: Pick<AppContext, "network" | "productionNetwork">, env: Env): BankNetwork {
  return env === "sandbox" ? ctx.network : (ctx.productionNetwork ?? EMPTY_NETWORK);
}

/**
 * The connector for a bank in an environment, for one company (the sandbox realm), or undefined.
 * Its answers are checked ({@link checkedConnector}): an amount out of Okro's range is a
 * classified connector error.
 */
export function connectorFor(ctx: Pick<AppContext, "network" | "productionNetwork">, env: Env, companyId: string, bankId: string): BankConnector | undefined {
  const connector = networkFor(ctx, env).connector(bankId, { realm: companyId });
  return connector && checkedConnector(connector);
}
