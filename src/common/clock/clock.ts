import { Injectable } from '@nestjs/common';

/** The time source. Everything that depends on "now" takes it from here so tests can move time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
  nowMs(): number {
    return Date.now();
  }
  /** Monotonic milliseconds with a fraction, for measuring durations (not a date). */
  monotonicMs(): number {
    return performance.now();
  }
}

/** A clock tests set and advance by hand. */
export class ManualClock extends Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {
    super();
  }
  override now(): Date {
    return new Date(this.current);
  }
  override nowMs(): number {
    return this.current;
  }
  override monotonicMs(): number {
    return this.current;
  }
  set(at: Date | string | number): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
