import { AppError } from '../errors/app-error';
import { parseIsoUtc } from '../time/iso-utc';

/**
 * Newest-first pages over `(created_at, id)`. The cursor carries the last row's timestamp as
 * Postgres wrote it, to the microsecond: a JS Date keeps only milliseconds, and a page boundary
 * between two rows of the same millisecond would then skip rows.
 */
export interface KeysetPosition {
  /** ISO 8601 with microseconds, UTC. */
  at: string;
  id: string;
}

/** SQL giving a timestamp column as the exact text a cursor carries. */
export const cursorAt = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(p: KeysetPosition): string {
  return Buffer.from(`${p.at}|${p.id}`).toString('base64url');
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The position a cursor names; a cursor we did not issue is a 400, never a silent first page. */
export function decodeCursor(cursor: string): KeysetPosition {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // A real instant and a real UUID: Postgres would answer month 13 or an id of dashes with an error.
  if (rest.length > 0 || !AT.test(at ?? '') || parseIsoUtc(at) === null || !ID.test(id ?? '')) {
    throw new AppError('validation_failed', 'Invalid request: before must be a cursor from a previous page', {
      fields: [{ field: 'before', messages: ['not a cursor from a previous page'] }],
    });
  }
  return { at, id };
}
