import { ManualClock } from "../../src/lib/clock.js";

/**
 * Business time that starts at `origin` when the wall clock reads `base` (ms since the epoch) and
 * runs `speed` times faster.
 * Processes given the same base and speed agree on the time, so a test with several worker
 * processes sees a minute's outcome check, a lease lapse and a settlement delay in seconds, through
 * the same job runner, leases and due times as production. (A ManualClock subclass so that the
 * garnishment test helpers, typed on a World's clock, accept it; `advance`/`set` have no effect.)
 */
export class FastClock extends ManualClock {
  constructor(
    readonly base: number,
    readonly speed: number,
    readonly origin: number = base,
  ) {
    super(new Date(origin));
  }
  override now(): Date {
    return new Date(this.origin + (Date.now() - this.base) * this.speed);
  }
}
