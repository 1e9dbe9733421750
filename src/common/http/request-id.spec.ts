import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id';

const req = (id?: string | string[]) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps a safe caller id', () => {
    expect(requestIdFor(req('trace-1:abc.DEF_9'))).toBe('trace-1:abc.DEF_9');
  });
  it.each([[undefined], [''], ['has space'], ['x'.repeat(129)], ['a\nb'], [['a', 'b']]])('mints a uuid for %p', (id) => {
    expect(requestIdFor(req(id as string))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
