import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';
import { renderEnvTable } from './env-table';

describe('loadConfig', () => {
  it('works with nothing set: Postgres and Redis on localhost', () => {
    const c = loadConfig({});
    expect(c.database.url).toBe('postgres://postgres@127.0.0.1:5432/switchyard');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.http.port).toBe(8080);
    expect(c.http.publicUrl).toBe('http://localhost:8080');
    expect(c.database.autoCreate).toBe(true);
    expect(c.database.migrationsRun).toBe(true);
  });

  it('converts numbers and booleans, trims, and treats empty strings as unset', () => {
    const c = loadConfig({
      PORT: ' 9000 ',
      WORKERS_ENABLED: 'false',
      TRUST_PROXY: '1',
      LOG_LEVEL: '',
      PUBLIC_URL: 'https://gw.example.com/',
    });
    expect(c.http.port).toBe(9000);
    expect(c.workers.enabled).toBe(false);
    expect(c.http.trustProxy).toBe(true);
    expect(c.log.level).toBe('info');
    expect(c.http.publicUrl).toBe('https://gw.example.com');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['REDIS_URL', 'localhost:6379'],
    ['WORKERS_ENABLED', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT_BYTES', '12'],
    ['PUBLIC_URL', 'not a url'],
    ['NODE_ENV', 'staging'],
  ])('rejects %s=%s with a message naming the variable and the value', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
    expect(message).toContain(JSON.stringify(value));
    expect(message).not.toContain('\n');
  });

  it('masks passwords in the redacted view', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://app:hunter2@db:5432/sy', REDIS_URL: 'redis://u:pw@r:6379/1' });
    const text = JSON.stringify(c.redacted());
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(':pw@');
    expect(text).toContain('app:***@db');
  });
});

describe('README configuration table', () => {
  it('matches the env schema (regenerate with `npm run cli -- env:table`)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(renderEnvTable());
  });
});
