import { registerDecorator } from 'class-validator';

/**
 * Whether `value` is a finite number with at most `places` decimals, as the nearest double. Decimals
 * are not counted from `toString()`: numbers print as `1e-10`, which class-validator's own
 * `maxDecimalPlaces` cannot split (it threw, and the request became a 500).
 */
export function hasAtMostDecimals(value: unknown, places: number): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  const scale = 10 ** places;
  return Math.round(value * scale) / scale === value;
}

/** A number with at most `places` decimals (money: 9 for nanodollars, 2 for cents). */
export function MaxDecimalPlaces(places: number, message: string): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'maxDecimalPlaces',
      target: target.constructor,
      propertyName: String(property),
      options: { message },
      validator: { validate: (value: unknown) => hasAtMostDecimals(value, places) },
    });
}
