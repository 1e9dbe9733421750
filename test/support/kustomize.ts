import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Renders a kustomization the way `kubectl apply -k` would, for the subset our manifests use: no
 * kubectl or kustomize binary can run in CI. Supported: `resources` (files and directories),
 * `namespace`, `images` (newName/newTag) and `patches` given by `path` as strategic-merge patches.
 * Anything else in a kustomization fails the render, so a manifest change outside this subset is
 * noticed instead of half-rendered.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendered {
  objects: K8sObject[];
  /** Every file the render read (kustomizations, resources, patches), relative to `root`. */
  files: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches']);

/** Resources that live outside namespaces (the namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set(['Namespace']);

/**
 * The merge keys of the lists our patches reach into (Kubernetes' `patchMergeKey`); any other list
 * is replaced whole by the patch, as strategic merge does for atomic lists.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

type Json = unknown;

export function readYamlDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Json;
  });
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strategic merge of `patch` into `target` (both plain JSON), for the cases described above. */
export function strategicMerge(target: Json, patch: Json, field = ''): Json {
  if (isObject(target) && isObject(patch)) {
    const out: Record<string, Json> = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (key.startsWith('$')) throw new Error(`strategic-merge directive ${key} is not supported`);
      out[key] = key in target ? strategicMerge(target[key], value, key) : value;
    }
    return out;
  }
  const mergeKey = MERGE_KEYS[field];
  if (Array.isArray(target) && Array.isArray(patch) && mergeKey) {
    const out = [...target] as Json[];
    for (const item of patch) {
      if (!isObject(item) || !(mergeKey in item)) throw new Error(`an item of ${field} in a patch has no ${mergeKey}`);
      const at = out.findIndex((t) => isObject(t) && t[mergeKey] === item[mergeKey]);
      if (at >= 0) out[at] = strategicMerge(out[at], item, '');
      else out.push(item);
    }
    return out;
  }
  return patch;
}

const sameResource = (a: K8sObject, b: K8sObject) =>
  a.kind === b.kind && a.metadata.name === b.metadata.name && a.apiVersion.split('/')[0] === b.apiVersion.split('/')[0];

function setImages(obj: K8sObject, images: NonNullable<Kustomization['images']>): void {
  const spec = (obj.spec as { template?: { spec?: { containers?: { image: string }[]; initContainers?: { image: string }[] } } })?.template
    ?.spec;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    // The tag follows the last colon after the last slash (a registry may have a port).
    const colon = c.image.lastIndexOf(':');
    const [name, tag] = colon > c.image.lastIndexOf('/') ? [c.image.slice(0, colon), c.image.slice(colon + 1)] : [c.image, undefined];
    const rule = images.find((i) => i.name === name);
    if (!rule) continue;
    const newTag = rule.newTag ?? tag;
    c.image = `${rule.newName ?? name}${newTag ? `:${newTag}` : ''}`;
  }
}

/** Renders the kustomization in `dir`. Paths in the result are relative to `root`. */
export function renderKustomization(dir: string, root = dir): Rendered {
  const file = join(dir, 'kustomization.yaml');
  const [k] = readYamlDocuments(file) as Kustomization[];
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${file}: unsupported fields ${unsupported.join(', ')}`);
  const files = [relative(root, file)];
  let objects: K8sObject[] = [];

  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const sub = renderKustomization(path, root);
      objects.push(...sub.objects);
      files.push(...sub.files);
    } else {
      objects.push(...(readYamlDocuments(path) as K8sObject[]));
      files.push(relative(root, path));
    }
  }
  for (const obj of objects) {
    const twins = objects.filter((o) => sameResource(o, obj));
    if (twins.length > 1) throw new Error(`${obj.kind} ${obj.metadata.name} is defined ${twins.length} times`);
  }

  for (const entry of k.patches ?? []) {
    if (Object.keys(entry).join() !== 'path') throw new Error(`${file}: only patches given by path are supported`);
    const patchFile = join(dir, entry.path);
    files.push(relative(root, patchFile));
    // One patch per file: kustomize versions differ on several documents in a `patches` file.
    const docs = readYamlDocuments(patchFile) as K8sObject[];
    if (docs.length !== 1) throw new Error(`${patchFile}: one patch per file, not ${docs.length}`);
    const [patch] = docs;
    const at = objects.findIndex((o) => sameResource(o, patch));
    if (at < 0) throw new Error(`${patchFile}: no ${patch.kind} ${patch.metadata.name} to patch`);
    objects[at] = strategicMerge(objects[at], patch) as K8sObject;
  }

  objects = objects.map((o) => structuredClone(o));
  for (const obj of objects) {
    if (k.images) setImages(obj, k.images);
    if (k.namespace && !CLUSTER_SCOPED.has(obj.kind)) obj.metadata = { ...obj.metadata, namespace: k.namespace };
  }
  return { objects, files };
}
