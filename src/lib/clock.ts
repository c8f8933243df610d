/**
 * Time is injected so that expiries, rate-limit windows, schedules and retries can be moved in
 * tests and through the sandbox's time-travel endpoint. Never call `new Date()` for business
 * time in domain code; take a Clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that starts at `start` (or now) and moves only when told to. For tests. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(to: Date): void {
    this.current = to.getTime();
  }
}
