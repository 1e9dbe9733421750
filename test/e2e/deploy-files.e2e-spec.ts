import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as appsV1 from 'kubernetes-models/apps/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { loadConfig } from '../../src/common/config/app-config';
import { ENV_DOCS } from '../../src/common/config/env.schema';
import { unknownFields } from '../support/k8s-fields';
import { K8sObject, Rendered, renderKustomization } from '../support/kustomize';
import { BUILD_TIMEOUT_MS, buildOnce, freePort, runEntrypoint, Spawned, waitForStatus } from '../support/processes';
import { TcpProxy, viaProxy } from '../support/tcp-proxy';
import { TEST_REDIS_URL, testDatabaseUrl, testRedisPrefix } from '../support/test-env';

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
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
    expect(() => loadConfig(resolved)).not.toThrow();
  });

  it('the gateway listens on all interfaces of its container and leaves processors to the worker', () => {
    const env = compose.services.gateway.environment!;
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.WORKERS_ENABLED).toBe('false');
    expect(compose.services.worker.environment!.WORKERS_ENABLED).toBeUndefined();
  });
});

/** Kubernetes objects by apiVersion and kind, with the JSON-schema validation kubernetes-models ships. */
type Validatable = new (data: unknown) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'autoscaling/v2': autoscalingV2,
  'policy/v1': policyV1,
};

function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const obj of objects) {
    const Model = MODELS[obj.apiVersion]?.[obj.kind] as Validatable | undefined;
    if (!Model) {
      problems.push(`${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}: no schema`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (err) {
      problems.push(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

const k8sRoot = join(root, 'deploy', 'kubernetes');

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFilesUnder(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [relative(k8sRoot, join(dir, e.name))] : [],
  );
}

function find<T>(objects: K8sObject[], kind: string, name: string): T {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`no ${kind} ${name}`);
  return obj as unknown as T;
}

/** The container of a single-container Deployment. */
function containerOf(objects: K8sObject[], deployment: string): IContainer {
  const d = find<IDeployment>(objects, 'Deployment', deployment);
  expect(d.spec!.template.spec!.containers).toHaveLength(1);
  return d.spec!.template.spec!.containers[0];
}

/** The variables a container gets (envFrom, then env, as the kubelet applies them) and what it refers to that is missing. */
function containerEnv(objects: K8sObject[], c: IContainer): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  const configMap = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as IConfigMap | undefined;
  const secret = (name: string): Record<string, string> | undefined => {
    const s = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name) as ISecret | undefined;
    if (!s) return undefined;
    const decoded = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return { ...decoded, ...(s.stringData ?? {}) };
  };
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name ?? from.secretRef?.name ?? '';
    const values = from.configMapRef ? configMap(name)?.data : secret(name);
    if (values) Object.assign(env, values);
    else missing.push(`${from.configMapRef ? 'ConfigMap' : 'Secret'} ${name}`);
  }
  for (const v of c.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
    const ref = v.valueFrom?.configMapKeyRef ?? v.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const values = v.valueFrom?.configMapKeyRef ? configMap(ref.name!)?.data : secret(ref.name!);
    if (values?.[ref.key] !== undefined) env[v.name] = values[ref.key];
    else missing.push(`${ref.name}/${ref.key}`);
  }
  return { env, missing };
}

/** The provider key variables the shipped catalog names (read by name, outside the config schema). */
function catalogKeyVariables(): string[] {
  const catalog = parse(readFileSync(join(root, 'src', 'catalog', 'default-catalog.yaml'), 'utf8')) as {
    providers: { api_key_env: string | null }[];
  };
  return catalog.providers.map((p) => p.api_key_env).filter((v): v is string => !!v);
}

/** The kubelet's httpGet probe: success is a 2xx or 3xx answer within timeoutSeconds. */
async function httpGetProbe(probe: IProbe, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${probe.httpGet!.path}`, {
      signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000),
    });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 400;
  } catch {
    return false;
  }
}

/** The kubelet's exec probe, run here with the container's variables: success is exit code 0 within timeoutSeconds. */
function execProbe(probe: IProbe, env: Record<string, string>): Promise<boolean> {
  const [command, ...args] = probe.exec!.command!;
  return new Promise((resolve) => {
    execFile(command === 'node' ? process.execPath : command, args, { env, timeout: (probe.timeoutSeconds ?? 1) * 1000 }, (err) =>
      resolve(!err),
    );
  });
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const base = renderKustomization(join(k8sRoot, 'base'), k8sRoot);
  const overlay = renderKustomization(join(k8sRoot, 'overlays', 'example'), k8sRoot);
  const renders: [string, Rendered][] = [
    ['base', base],
    ['overlays/example', overlay],
  ];
  const shutdownGraceMs = (objects: K8sObject[]) =>
    Number(find<IConfigMap>(objects, 'ConfigMap', 'switchyard-config').data!.SHUTDOWN_GRACE_MS);

  it('every YAML file there is a kustomization, a resource or a patch the example overlay uses', () => {
    expect(yamlFilesUnder(k8sRoot).sort()).toEqual([...new Set([...base.files, ...overlay.files])].sort());
    expect(base.files.every((f) => overlay.files.includes(f))).toBe(true);
  });

  it('the schema validation rejects what the API server would', () => {
    const broken = structuredClone(find<K8sObject>(base.objects, 'Deployment', 'switchyard-gateway'));
    (broken.spec as IDeployment['spec'])!.template.spec!.containers[0].ports![0].containerPort = 'http' as unknown as number;
    expect(schemaProblems([broken])).toEqual([expect.stringContaining('containerPort must be integer')]);
    expect(schemaProblems([{ ...broken, kind: 'Deploymnet' }])).toEqual([expect.stringContaining('no schema')]);
  });

  it.each(renders)('%s: every object is valid against the Kubernetes schemas', (_, r) => {
    expect(r.objects.length).toBeGreaterThan(0);
    expect(schemaProblems(r.objects)).toEqual([]);
  });

  it('every field is one the Kubernetes API knows, and a misspelt one is caught', () => {
    expect(unknownFields(overlay.objects)).toEqual([]);
    const typo = structuredClone(find<K8sObject>(overlay.objects, 'Deployment', 'switchyard-gateway'));
    const pod = (typo.spec as IDeployment['spec'])!.template.spec!;
    Object.assign(pod, { terminationGracePeriod: 50 });
    Object.assign(pod.containers[0], { readinesProbe: {} });
    Object.assign(pod.containers[0].lifecycle!.preStop!.sleep!, { second: 10 });
    pod.containers[0].env!.push({ name: 'X', valeu: '1' } as unknown as { name: string });
    // Labels and resource quantities are maps: any key goes.
    typo.metadata.labels!.tier = 'edge';
    expect(unknownFields([typo]).sort()).toEqual(
      [
        'Deployment switchyard-gateway.spec.template.spec.terminationGracePeriod',
        'Deployment switchyard-gateway.spec.template.spec.containers[0].readinesProbe',
        'Deployment switchyard-gateway.spec.template.spec.containers[0].lifecycle.preStop.sleep.second',
        'Deployment switchyard-gateway.spec.template.spec.containers[0].env[1].valeu',
      ].sort(),
    );
  });

  it('the example overlay patches what it means to, on top of the base', () => {
    expect(find<IConfigMap>(overlay.objects, 'ConfigMap', 'switchyard-config').data).toMatchObject({
      PUBLIC_URL: 'https://llm.example.org',
      DATABASE_POOL_MAX: '8',
      SHUTDOWN_GRACE_MS: '30000',
    });
    expect(find<IHorizontalPodAutoscaler>(overlay.objects, 'HorizontalPodAutoscaler', 'switchyard-gateway').spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 8,
      metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
    });
    const gateway = containerOf(overlay.objects, 'switchyard-gateway');
    expect(gateway.resources).toEqual({ requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } });
    expect(gateway.readinessProbe).toEqual(containerOf(base.objects, 'switchyard-gateway').readinessProbe);
    expect(gateway.image).toBe('registry.example.com/switchyard:0.1.0');
    expect(containerOf(overlay.objects, 'switchyard-worker').image).toBe(gateway.image);
    expect(find<IDeployment>(overlay.objects, 'Deployment', 'switchyard-worker').spec!.replicas).toBe(2);
    expect(overlay.objects.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'switchyard')).toBe(true);
  });

  it('the gateway and the worker run the image as docker-compose.yml does', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
    expect(containerOf(base.objects, 'switchyard-worker').command).toEqual(compose.services.worker.command);
    expect(containerOf(base.objects, 'switchyard-gateway').command).toEqual(['node', '--heap-growing-percent=50', 'dist/src/main.js']);
  });

  it.each(['switchyard-gateway', 'switchyard-worker'])(
    '%s gets only variables the config schema knows (or provider keys the catalog names), with valid values',
    (name) => {
      const { env, missing } = containerEnv(overlay.objects, containerOf(overlay.objects, name));
      expect(missing).toEqual([]);
      const known = [...Object.keys(ENV_DOCS), ...catalogKeyVariables()];
      expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
      expect(() => loadConfig(env)).not.toThrow();
    },
  );

  it('the gateway listens on all interfaces of its pod, on the port its Service targets, and leaves processors to the worker', () => {
    const gateway = containerOf(overlay.objects, 'switchyard-gateway');
    const { env } = containerEnv(overlay.objects, gateway);
    expect(env).toMatchObject({ HOST: '0.0.0.0', WORKERS_ENABLED: 'false' });
    expect(gateway.ports).toEqual([{ name: 'http', containerPort: Number(env.PORT) }]);
    const service = find<IService>(overlay.objects, 'Service', 'switchyard-gateway');
    expect(service.spec!.ports).toEqual([expect.objectContaining({ targetPort: 'http' })]);
    const pod = find<IDeployment>(overlay.objects, 'Deployment', 'switchyard-gateway').spec!.template.metadata!.labels;
    expect(pod).toMatchObject(service.spec!.selector!);
    const worker = containerEnv(overlay.objects, containerOf(overlay.objects, 'switchyard-worker')).env;
    expect(loadConfig(worker).workers.enabled).toBe(true);
  });

  it('the HorizontalPodAutoscaler owns the gateway replica count', () => {
    for (const [, r] of renders) {
      const hpa = find<IHorizontalPodAutoscaler>(r.objects, 'HorizontalPodAutoscaler', 'switchyard-gateway');
      expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'switchyard-gateway' });
      expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
      // A replicas field would be applied again on every `kubectl apply`, undoing the autoscaler.
      expect(find<IDeployment>(r.objects, 'Deployment', 'switchyard-gateway').spec!.replicas).toBeUndefined();
      // CPU utilization is relative to the request.
      expect(containerOf(r.objects, 'switchyard-gateway').resources?.requests?.cpu).toBeDefined();
    }
  });

  it.each(renders)('%s: every process fits in the Postgres connections of a default server (100, 3 reserved)', (_, r) => {
    const pool = (name: string) => loadConfig(containerEnv(r.objects, containerOf(r.objects, name)).env).database.poolMax;
    const gateways = find<IHorizontalPodAutoscaler>(r.objects, 'HorizontalPodAutoscaler', 'switchyard-gateway').spec!.maxReplicas;
    const workers = find<IDeployment>(r.objects, 'Deployment', 'switchyard-worker').spec!.replicas ?? 1;
    expect(gateways * pool('switchyard-gateway') + workers * pool('switchyard-worker')).toBeLessThanOrEqual(97);
  });

  it('the Postgres and Redis URLs name the ExternalName Services', () => {
    const { env } = containerEnv(overlay.objects, containerOf(overlay.objects, 'switchyard-gateway'));
    for (const url of [env.DATABASE_URL, env.REDIS_URL]) {
      const service = find<IService>(overlay.objects, 'Service', new URL(url).hostname);
      expect(service.spec).toMatchObject({ type: 'ExternalName', externalName: expect.stringMatching(/\./) });
    }
  });

  it.each(renders)('%s: pods run as a non-root user with no privileges, a read-only root file system and bounded resources', (_, r) => {
    for (const d of r.objects.filter((o) => o.kind === 'Deployment') as unknown as IDeployment[]) {
      const pod = d.spec!.template.spec!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      // The image's user is a name (`node`); the kubelet enforces runAsNonRoot only with a numeric uid.
      expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        for (const kind of ['requests', 'limits'] as const)
          expect(Object.keys(c.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  it.each(renders)('%s: the kubelet never kills a process that is still draining within SHUTDOWN_GRACE_MS', (_, r) => {
    const grace = shutdownGraceMs(r.objects);
    // After SHUTDOWN_GRACE_MS a process takes up to 5 s more to close its pools and queues (src/common/lifecycle).
    const closeMs = 5000;
    const gateway = find<IDeployment>(r.objects, 'Deployment', 'switchyard-gateway').spec!.template.spec!;
    const preStopMs = gateway.containers[0].lifecycle!.preStop!.sleep!.seconds * 1000;
    expect(preStopMs).toBeGreaterThanOrEqual(5000);
    expect(gateway.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(preStopMs + grace + closeMs);
    const worker = find<IDeployment>(r.objects, 'Deployment', 'switchyard-worker').spec!.template.spec!;
    expect(worker.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(grace + closeMs);
  });

  it('the gateway is ready on /health, tolerates short blips, and gives long migrations time to start', () => {
    const gateway = containerOf(overlay.objects, 'switchyard-gateway');
    expect(gateway.readinessProbe!.httpGet).toEqual({ path: '/health', port: 'http' });
    const r = gateway.readinessProbe!;
    expect((r.failureThreshold ?? 3) * (r.periodSeconds ?? 10)).toBeGreaterThanOrEqual(10);
    const s = gateway.startupProbe!;
    expect((s.failureThreshold ?? 3) * (s.periodSeconds ?? 10)).toBeGreaterThanOrEqual(120);
    // The worker serves no HTTP: nothing to probe.
    const worker = containerOf(overlay.objects, 'switchyard-worker');
    expect([worker.readinessProbe, worker.livenessProbe, worker.startupProbe, worker.ports]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  describe('the gateway probes, run against the compiled gateway', () => {
    let pg: TcpProxy;
    let redis: TcpProxy;
    let gw: Spawned | undefined;

    beforeAll(async () => {
      buildOnce();
      const pgUrl = new URL(testDatabaseUrl());
      const redisUrl = new URL(TEST_REDIS_URL);
      pg = await new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432)).start();
      redis = await new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379)).start();
    }, BUILD_TIMEOUT_MS);
    afterAll(async () => {
      gw?.child.kill('SIGKILL');
      await pg.stop();
      await redis.stop();
    });

    it('Postgres and Redis away: not ready, still alive, ready again when they are back; a dead process is not alive', async () => {
      const container = containerOf(overlay.objects, 'switchyard-gateway');
      const port = await freePort();
      // The pod's environment, with this machine's Postgres and Redis (through cuttable proxies) and a free port.
      const env = {
        ...containerEnv(overlay.objects, container).env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: viaProxy(testDatabaseUrl(), pg),
        REDIS_URL: viaProxy(TEST_REDIS_URL, redis),
        REDIS_KEY_PREFIX: testRedisPrefix(),
        LOG_LEVEL: 'warn',
      };
      gw = runEntrypoint('main', env);
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200, gw);
      const probeEnv = { PATH: process.env.PATH ?? '', ...env };
      const ready = () => httpGetProbe(container.readinessProbe!, port);
      const alive = () => execProbe(container.livenessProbe!, probeEnv);
      expect([await ready(), await alive()]).toEqual([true, true]);

      pg.down();
      redis.down();
      await eventually(async () => !(await ready()));
      expect([await ready(), await alive()]).toEqual([false, true]);

      pg.up();
      redis.up();
      await eventually(ready);
      expect([await ready(), await alive()]).toEqual([true, true]);

      gw.child.kill('SIGKILL');
      await gw.exited;
      expect(await alive()).toBe(false);
    });
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
}
