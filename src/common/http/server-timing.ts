import type { Clock } from '../clock/clock';

/**
 * The phases of one request, written as a `Server-Timing` header (W3C Server Timing):
 * `pre;dur=0.31, route;dur=0.08, hold;dur=0.92, ...`, durations in milliseconds. Each mark closes
 * the phase that began at the previous one.
 */
export class ServerTiming {
  private readonly phases: string[] = [];
  private last: number;

  /** @param beforeMs time the request spent before this handler (parsing, auth, validation). */
  constructor(
    private readonly clock: Clock,
    beforeMs: number,
  ) {
    this.last = clock.monotonicMs();
    this.phases.push(entry('pre', beforeMs));
  }

  mark(phase: string): void {
    const now = this.clock.monotonicMs();
    this.phases.push(entry(phase, now - this.last));
    this.last = now;
  }

  header(): string {
    return this.phases.join(', ');
  }
}

const entry = (phase: string, ms: number) => `${phase};dur=${Math.max(0, ms).toFixed(2)}`;
