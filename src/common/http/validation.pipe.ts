import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { cacheValidationMetadata } from './validation-metadata-cache';

cacheValidationMetadata();

interface FieldProblem {
  field: string;
  messages: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const LENIENT = Symbol('accepts-unknown-fields');

/**
 * Marks a DTO whose unknown fields are dropped rather than refused: the OpenAI-compatible bodies,
 * where clients send parameters newer than we know and OpenRouter ignores what it does not use.
 */
export const AcceptsUnknownFields = (): ClassDecorator => (target) => {
  Reflect.defineMetadata(LENIENT, true, target);
};

const options = (forbidUnknown: boolean) =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: forbidUnknown,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const summary = fields
        .slice(0, 3)
        .map((f) => f.messages[0])
        .join('; ');
      return new AppError('validation_failed', `Invalid request: ${summary}`, { fields });
    },
  });

/**
 * DTO validation for every route: unknown fields are refused (or, for DTOs marked
 * AcceptsUnknownFields, dropped), types are converted only where a DTO says so, and failures
 * become 400 `validation_failed` with one entry per field.
 */
/** Deeper JSON than any real request has; beyond it the transformers' recursion would overflow. */
const MAX_DEPTH = 64;

function tooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The path of the first string (or key) holding U+0000, '' for the value itself; null when none does. */
function fieldWithNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return at;
    const found = fieldWithNul(v, at);
    if (found !== null) return found;
  }
  return null;
}

@Injectable()
export class AppValidationPipe implements PipeTransform {
  private readonly strict = options(true);
  private readonly lenient = options(false);

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new AppError('validation_failed', 'Invalid request: the body must be a JSON object', { fields: [] });
      }
      if (tooDeep(value)) {
        throw new AppError('validation_failed', `Invalid request: JSON nested deeper than ${MAX_DEPTH} levels`, { fields: [] });
      }
    }
    const lenient = typeof metadata.metatype === 'function' && Reflect.getMetadata(LENIENT, metadata.metatype) === true;
    // Postgres text cannot hold NUL: refused here rather than failing in the database as a 500.
    // (The inference bodies are lenient: their text goes to providers, and what of it is stored
    // is made storable where it is written.)
    const field = !lenient && (metadata.type === 'body' || metadata.type === 'query') ? fieldWithNul(value) : null;
    if (field !== null) {
      throw new AppError('validation_failed', `Invalid request: ${field || 'the request'} must not contain NUL characters`, {
        fields: [{ field, messages: ['must not contain NUL characters'] }],
      });
    }
    return (lenient ? this.lenient : this.strict).transform(value, metadata);
  }
}

export function createValidationPipe(): AppValidationPipe {
  return new AppValidationPipe();
}
