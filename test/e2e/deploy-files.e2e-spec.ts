import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/common/config/app-config';
import { ENV_DOCS } from '../../src/common/config/env.schema';

const root = join(__dirname, '..', '..');

interface Service {
  environment?: Record<string, string>;
  command?: string[];
  build?: string;
  image?: string;
}

describe('docker-compose.yml mirrors what npm start expects', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };

  it('runs postgres, redis, the gateway and a worker from one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis', 'worker']);
    expect(compose.services.worker.image).toBe(compose.services.gateway.image);
    expect(compose.services.worker.command).toEqual(['node', '--heap-growing-percent=50', 'dist/src/worker.js']);
  });

  it.each(['gateway', 'worker'])('%s sets only variables the config schema knows, and valid values', (name) => {
    const env = compose.services[name].environment ?? {};
    for (const key of Object.keys(env)) expect(Object.keys(ENV_DOCS)).toContain(key);
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
    );
    expect(() => loadConfig(resolved)).not.toThrow();
  });

  it('the gateway listens on all interfaces of its container and leaves processors to the worker', () => {
    const env = compose.services.gateway.environment!;
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.WORKERS_ENABLED).toBe('false');
    expect(compose.services.worker.environment!.WORKERS_ENABLED).toBeUndefined();
  });
});
