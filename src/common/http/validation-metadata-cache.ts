import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Storage = ReturnType<typeof getMetadataStorage>;
type Compute = Storage['getTargetValidationMetadatas'];

const INSTALLED = Symbol('validation-metadata-cache');

/**
 * class-validator works out a class's rules again on every validation: it scans every registered
 * class for ancestors and de-duplicates inherited rules pairwise, which was 2–3% of the gateway's
 * CPU per inference request. The answer depends only on what decorators have registered, so it is
 * kept per class and options here, and dropped whenever a decorator registers another rule.
 * The lists handed out are frozen: class-validator only reads them.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const s = storage as Storage & { [INSTALLED]?: true };
  if (s[INSTALLED]) return;
  s[INSTALLED] = true;
  const compute: Compute = s.getTargetValidationMetadatas.bind(s);
  const add = s.addValidationMetadata.bind(s);
  let memo = new Map<unknown, Map<string, ValidationMetadata[]>>();

  s.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = JSON.stringify([schema, always, strictGroups, groups ?? null]);
    let forTarget = memo.get(target);
    if (!forTarget) memo.set(target, (forTarget = new Map()));
    let rules = forTarget.get(key);
    if (!rules) {
      rules = Object.freeze(compute(target, schema, always, strictGroups, groups)) as ValidationMetadata[];
      forTarget.set(key, rules);
    }
    return rules;
  };
  // execute() then groups those rules by property, every time: kept per (frozen) rule list.
  const group = s.groupByPropertyName.bind(s);
  const grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  s.groupByPropertyName = (metadata) => {
    if (!Object.isFrozen(metadata)) return group(metadata);
    let byProperty = grouped.get(metadata);
    if (!byProperty) {
      byProperty = group(metadata);
      for (const rules of Object.values(byProperty)) Object.freeze(rules);
      grouped.set(metadata, Object.freeze(byProperty));
    }
    return byProperty;
  };
  s.addValidationMetadata = (metadata) => {
    memo = new Map();
    add(metadata);
  };
}
