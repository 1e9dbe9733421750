import { AppError } from '../errors/app-error';
import { decodeCursor, encodeCursor } from './keyset-cursor';

describe('keyset cursors', () => {
  const position = { at: '2026-11-22T01:50:00.123456Z', id: '0b0f6f1e-8f7a-4c1e-9d55-0a1b2c3d4e5f' };

  it('round-trip a position exactly, microseconds included', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 of a position', 'abc'],
    ['milliseconds only', encodeCursor({ ...position, at: '2026-11-22T01:50:00.123Z' })],
    ['no id', Buffer.from(position.at).toString('base64url')],
    ['extra parts', Buffer.from(`${position.at}|${position.id}|x`).toString('base64url')],
  ])('refuse %s with a 400', (_name, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(AppError);
    try {
      decodeCursor(cursor);
    } catch (e) {
      expect((e as AppError).code).toBe('validation_failed');
    }
  });
});
