import type { EndpointPricing } from '../../src/catalog/catalog.types';

/** An endpoint's prices for unit specs: nothing charged, no cache or tier prices, unless given. */
export function endpointPricing(o: Partial<EndpointPricing> = {}): EndpointPricing {
  return {
    prompt: 0n,
    completion: 0n,
    request: 0n,
    image: 0n,
    cacheRead: null,
    cacheWrite: null,
    cacheWrite1h: null,
    tiers: [],
    serviceTiers: {},
    ...o,
  };
}
