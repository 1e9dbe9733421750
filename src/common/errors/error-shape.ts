import { toAnthropicEnvelope } from './anthropic-envelope';
import { NormalisedError, toEnvelope } from './error-envelope';

/** Route config key naming the API family whose error envelope a route answers with (OpenRouter's by default). */
export const ERROR_SHAPE = 'errorShape';

export type ErrorShape = 'openrouter' | 'anthropic';

/** The error body for a route, by its config (`req.routeOptions.config`). */
export function errorBodyFor(routeConfig: unknown, e: NormalisedError): unknown {
  const shape = (routeConfig as Record<string, unknown> | undefined)?.[ERROR_SHAPE];
  return shape === 'anthropic' ? toAnthropicEnvelope(e) : toEnvelope(e);
}
