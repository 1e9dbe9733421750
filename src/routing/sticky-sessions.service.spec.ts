import pino from 'pino';
import { AppLogger } from '../common/logging/app-logger';
import type { RedisService } from '../common/redis/redis.service';
import { sessionKeyFrom, stickyKey, StickySessionsService } from './sticky-sessions.service';

describe('sessionKeyFrom', () => {
  const long = 'x'.repeat(257);
  it.each([
    ['body session_id wins', { session_id: 's1', prompt_cache_key: 'p1' }, { 'x-session-id': 'h1' }, 's1'],
    ['then the x-session-id header', { prompt_cache_key: 'p1' }, { 'x-session-id': 'h1' }, 'h1'],
    ['header name in any case', {}, { 'X-Session-Id': 'h1' }, 'h1'],
    ['first of a repeated header', {}, { 'x-session-id': ['h1', 'h2'] }, 'h1'],
    ['then prompt_cache_key', { prompt_cache_key: 'p1' }, {}, 'p1'],
    ['256 characters is fine', { session_id: 'y'.repeat(256) }, {}, 'y'.repeat(256)],
    ['longer values are skipped', { session_id: long, prompt_cache_key: 'p1' }, { 'x-session-id': long }, 'p1'],
    ['non-strings and blanks are skipped', { session_id: 42, prompt_cache_key: '  ' }, { 'x-session-id': '' }, null],
    ['nothing at all', undefined, {}, null],
  ])('%s', (_name, body, headers, expected) => {
    expect(sessionKeyFrom(body, headers)).toBe(expected);
  });
});

describe('stickyKey', () => {
  it('separates user, model and conversation unambiguously and hides them', () => {
    const k = stickyKey('u1', 'acme/chat', 's1');
    expect(k).toMatch(/^sticky:[0-9a-f]{64}$/);
    expect(k).not.toContain('u1');
    expect(stickyKey('u1', 'acme/chat', 's1')).toBe(k);
    expect(stickyKey('u1', 'acme/chat', 's2')).not.toBe(k);
    expect(stickyKey('u2', 'acme/chat', 's1')).not.toBe(k);
    expect(stickyKey('u1', 'acme/other', 's1')).not.toBe(k);
    expect(stickyKey('u1|acme', 'chat', 's1')).not.toBe(stickyKey('u1', 'acme|chat', 's1'));
  });
});

describe('StickySessionsService without a working Redis', () => {
  function service(client: Partial<Record<'get' | 'set', (...args: unknown[]) => Promise<unknown>>>) {
    return new StickySessionsService({ client, prefix: 'p:' } as unknown as RedisService, new AppLogger(pino({ level: 'silent' })));
  }

  it('reads errors as "no sticky endpoint" and swallows write errors', async () => {
    const down = () => Promise.reject(new Error('Connection is closed.'));
    const s = service({ get: down, set: down });
    await expect(s.get('u1', 'acme/chat', 's1')).resolves.toBeNull();
    await expect(s.remember('u1', 'acme/chat', 's1', 'alpha')).resolves.toBeUndefined();
  });

  it('does not wait for a Redis that does not answer', async () => {
    const s = service({ get: () => new Promise(() => undefined) });
    const started = Date.now();
    await expect(s.get('u1', 'acme/chat', 's1')).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('writes with a 10-minute expiry', async () => {
    const set = jest.fn(() => Promise.resolve('OK'));
    await service({ set }).remember('u1', 'acme/chat', 's1', 'alpha');
    expect(set).toHaveBeenCalledWith(stickyKey('u1', 'acme/chat', 's1'), 'alpha', 'EX', 600);
  });
});
