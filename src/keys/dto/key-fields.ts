import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { isIsoUtc } from '../../common/time/iso-utc';
import { MaxDecimalPlaces } from '../../common/http/decimal-places';

/** Decorators shared by the create and update bodies, so both validate a field the same way. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

export const NameField = () => (target: object, key: string) => {
  Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))(target, key);
  IsString()(target, key);
  MinLength(1, { message: 'name must not be empty' })(target, key);
  MaxLength(200)(target, key);
};

/** USD, null for no limit; at most nanodollar precision is kept. */
export const LimitField = () => (target: object, key: string) => {
  IsOptional()(target, key);
  IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'limit must be a number of USD (or null)' })(target, key);
  MaxDecimalPlaces(9, 'limit must have at most 9 decimals (nanodollars)')(target, key);
  Min(0)(target, key);
  Max(1_000_000)(target, key);
};

export const LimitResetField = () => (target: object, key: string) => {
  IsOptional()(target, key);
  IsIn(['daily', 'weekly', 'monthly'], { message: 'limit_reset must be daily, weekly, monthly or null' })(target, key);
};

export const ExpiresAtField = () => (target: object, key: string) => {
  ValidateIf((o: Record<string, unknown>) => o[key] !== null && o[key] !== undefined)(target, key);
  IsString()(target, key);
  Matches(ISO_UTC, { message: 'expires_at must be an ISO 8601 UTC timestamp ending in Z' })(target, key);
  // The shape alone lets month 13 through, and `2099-02-30` would silently become March 2.
  ValidateBy({
    name: 'isRealUtcInstant',
    validator: { validate: isIsoUtc, defaultMessage: () => 'expires_at must be a real date and time (e.g. no February 30, no hour 24)' },
  })(target, key);
};

export const BoolField = () => (target: object, key: string) => {
  IsOptional()(target, key);
  IsBoolean()(target, key);
};
