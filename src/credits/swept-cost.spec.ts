import { usdToNanos } from '../common/money/money';
import { sweptCost } from './swept-cost';

/** A hold of $0.01 for a 1000-token prompt at $2.50/M ($0.0025) and output at $10/M. */
const hold = { amount: usdToNanos(0.01), promptCost: usdToNanos(0.0025), completionPrice: usdToNanos(10) };

/** The README's "What a request costs", the two rows the sweeper settles. */
describe('sweptCost', () => {
  it('process died: the prompt plus the output relayed, as last reported, at the price the request pays', () => {
    expect(sweptCost(hold, '300', null)).toEqual({ cost: usdToNanos(0.0025) + usdToNanos(0.003), tokens: 300, handedOver: false });
    expect(sweptCost(hold, null, null)).toEqual({ cost: usdToNanos(0.0025), tokens: 0, handedOver: false });
  });

  it('never above the hold', () => {
    expect(sweptCost(hold, '100000', null).cost).toBe(hold.amount);
  });

  it('settlement failed: the exact cost the process handed over, as if it had settled', () => {
    expect(sweptCost(hold, '300', '1234')).toEqual({ cost: 1234n, tokens: 300, handedOver: true });
  });

  it('ignores what is not a count', () => {
    expect(sweptCost(hold, 'x', 'y')).toEqual({ cost: usdToNanos(0.0025), tokens: 0, handedOver: false });
    expect(sweptCost(hold, '-5', '-1').tokens).toBe(0);
  });
});
