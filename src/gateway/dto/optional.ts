import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';

/**
 * An optional field of an inference body. JSON `null` reads as absent: clients send it for "not
 * set", and a null max_tokens must still get the affordability clamp, a null temperature must not
 * reach a provider as 0 or as a literal null.
 */
export const Optional = (): PropertyDecorator => (target, key) => {
  Transform(({ value }: { value: unknown }) => (value === null ? undefined : value))(target, key);
  IsOptional()(target, key);
};
