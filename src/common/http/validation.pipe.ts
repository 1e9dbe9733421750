import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { isStorableText } from '../database/text';
import { AppError } from '../errors/app-error';
import { AppLogger } from '../logging/app-logger';
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
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

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

/**
 * The path of the first string (or key) Postgres cannot store as it is (NUL, an unpaired
 * surrogate); '' for the value itself; null when there is none.
 */
function unstorableField(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (!isStorableText(k)) return at;
    const found = unstorableField(v, at);
    if (found !== null) return found;
  }
  return null;
}

@Injectable()
export class AppValidationPipe implements PipeTransform {
  private readonly strict = options(true);
  private readonly lenient = options(false);

  constructor(private readonly logger?: AppLogger) {}

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new AppError('validation_failed', 'Invalid request: the body must be a JSON object', { fields: [] });
      }
      if (tooDeep(value)) {
        throw new AppError('validation_failed', `Invalid request: JSON nested deeper than ${MAX_DEPTH} levels`, { fields: [] });
      }
    }
    const lenient = typeof metadata.metatype === 'function' && Reflect.getMetadata(LENIENT, metadata.metatype) === true;
    // Text Postgres cannot hold is refused here, not left to fail in the database (or in a
    // validator: validator.js's isEmail throws on a lone surrogate). The inference bodies are
    // lenient: their text goes to providers, and what of it is stored is made storable there.
    const field = !lenient && (metadata.type === 'body' || metadata.type === 'query') ? unstorableField(value) : null;
    if (field !== null) {
      throw new AppError('validation_failed', `Invalid request: ${field || 'the request'} ${UNSTORABLE_MESSAGE}`, {
        fields: [{ field, messages: [UNSTORABLE_MESSAGE] }],
      });
    }
    try {
      return await (lenient ? this.lenient : this.strict).transform(value, metadata);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // A validator that throws on what it was given has met bad input, not a server fault.
      this.logger?.warn({ err }, 'a validator threw; answered as invalid input');
      throw new AppError('validation_failed', 'Invalid request: a field could not be validated', { fields: [] });
    }
  }
}

export function createValidationPipe(logger?: AppLogger): AppValidationPipe {
  return new AppValidationPipe(logger);
}
