import type { Type } from '@nestjs/common';
import { createValidationPipe } from './validation.pipe';
import { AppError } from '../errors/app-error';

const pipe = createValidationPipe();

/**
 * A form post checked by the JSON API's own DTO and validation pipe, so a page and the API accept
 * exactly the same values. Returns the DTO, or the first problem as a sentence for the page.
 */
export async function validateForm<T extends object>(
  dto: Type<T>,
  body: Record<string, unknown>,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  try {
    return { ok: true, value: (await pipe.transform(body, { type: 'body', metatype: dto })) as T };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const fields = (err.metadata.fields ?? []) as { messages: string[] }[];
    const first = fields[0]?.messages[0];
    return { ok: false, message: first ? capitalise(first) + '.' : err.message };
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A form field as text: absent or repeated fields are empty. */
export function field(body: unknown, name: string): string {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : '';
}

/** A USD amount typed in a form: empty is null (no limit); anything else must be a plain decimal. */
export function usdField(body: unknown, name: string): number | null | string {
  const v = field(body, name).trim().replace(/^\$/, '');
  if (v === '') return null;
  return /^\d{1,7}(\.\d{1,9})?$/.test(v) ? Number(v) : v;
}

/** A limit's reset period chosen in a form: empty or `none` is null (a total limit, never reset). */
export function resetField(body: unknown, name: string): string | null {
  const v = field(body, name);
  return v === '' || v === 'none' ? null : v;
}
