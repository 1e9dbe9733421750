import { ManualClock } from '../clock/clock';
import { ServerTiming } from './server-timing';

describe('ServerTiming', () => {
  it('writes each phase as the time since the previous mark, after the time before the handler', () => {
    const clock = new ManualClock(1000);
    const timing = new ServerTiming(clock, 0.314);
    clock.advance(2);
    timing.mark('route');
    clock.advance(0.5);
    timing.mark('hold');
    timing.mark('upstream');
    expect(timing.header()).toBe('pre;dur=0.31, route;dur=2.00, hold;dur=0.50, upstream;dur=0.00');
  });
});
