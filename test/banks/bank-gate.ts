import type { BankConnector, BankNetwork, ConnectorOperation } from "../../src/banks/connector.js";

/**
 * An explicit barrier in front of the bank network, for tests that need "the bank call is in
 * flight now" without sleeping: `hold(op)` makes the next calls of `op` wait at the door,
 * `arrived(n)` resolves once n held calls are waiting there, `release()` lets them all through.
 * Calls of operations that are not held pass straight through.
 */
export class BankGate {
  #held = new Set<ConnectorOperation>();
  #waiting = 0;
  #arrivals: { count: number; resolve: () => void }[] = [];
  #opened: () => void = () => {};
  #door: Promise<void> = Promise.resolve();

  /** Wraps a network so every connector it hands out passes through this gate. */
  wrap(network: BankNetwork): BankNetwork {
    return {
      supports: (bankId) => network.supports(bankId),
      connector: (bankId, context) => {
        const inner = network.connector(bankId, context);
        return inner && this.#wrapConnector(inner);
      },
    };
  }

  /** The next calls of these operations wait until {@link release}. */
  hold(...ops: ConnectorOperation[]): void {
    if (this.#held.size === 0) this.#door = new Promise((resolve) => (this.#opened = resolve));
    for (const op of ops) this.#held.add(op);
  }

  /** Resolves when `count` held calls are waiting at the gate (at once if they already are). */
  arrived(count = 1): Promise<void> {
    if (this.#waiting >= count) return Promise.resolve();
    return new Promise((resolve) => this.#arrivals.push({ count, resolve }));
  }

  /** Lets every waiting and later call through. */
  release(): void {
    this.#held.clear();
    this.#opened();
  }

  #wrapConnector(inner: BankConnector): BankConnector {
    return new Proxy(inner, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        const op = property as ConnectorOperation;
        return async (...args: unknown[]) => {
          if (this.#held.has(op)) await this.#wait();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  async #wait(): Promise<void> {
    this.#waiting++;
    for (const arrival of this.#arrivals.filter((a) => this.#waiting >= a.count)) arrival.resolve();
    this.#arrivals = this.#arrivals.filter((a) => this.#waiting < a.count);
    try {
      await this.#door;
    } finally {
      this.#waiting--;
    }
  }
}
