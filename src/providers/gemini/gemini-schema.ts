import { isObject, Json } from './gemini-wire';

/** Gemini's Schema is an OpenAPI 3.0 subset and rejects any other key with a 400. */
const SCHEMA_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** Formats Gemini accepts per type ("only 'enum' and 'date-time' are supported for STRING type"). */
const FORMATS: Record<string, string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

const MAX_REF_DEPTH = 8;

/**
 * JSON Schema → Gemini Schema: unknown keys dropped (recursively), `type: [x, "null"]` → `nullable`,
 * `oneOf` → `anyOf`, `const` → a one-value enum, local `$ref`s inlined (recursive ones cut off).
 */
export function sanitizeSchema(schema: unknown, root: unknown = schema, depth = 0): Json {
  if (!isObject(schema)) return {};
  let s = schema;
  if (typeof s.$ref === 'string') {
    const target = depth < MAX_REF_DEPTH ? resolveRef(root, s.$ref) : undefined;
    if (!target) return typeof s.description === 'string' ? { description: s.description } : {};
    // Keys beside a $ref (e.g. description) override the referenced schema's.
    const { $ref: _ref, ...siblings } = s;
    s = { ...target, ...siblings };
    depth++;
  }
  const out: Json = {};
  let type = s.type;
  if (Array.isArray(type)) {
    const types = type.filter((t) => t !== 'null');
    if (types.length < type.length) out.nullable = true;
    type = types[0];
  }
  if (typeof type === 'string') out.type = type;
  for (const [key, value] of Object.entries(s)) {
    if (key === 'type') continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, sanitizeSchema(sub, root, depth)]));
    } else if (key === 'items') {
      // Tuples have no Gemini equivalent: the first item schema stands for all.
      out.items = sanitizeSchema(Array.isArray(value) ? value[0] : value, root, depth);
    } else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      // Gemini has no null type: `anyOf: [X, {type: null}]` becomes X with nullable.
      const variants = value.map((v) => sanitizeSchema(v, root, depth));
      const nonNull = variants.filter((v) => v.type !== 'null');
      if (nonNull.length < variants.length) out.nullable = true;
      if (nonNull.length === 1) Object.assign(out, { ...nonNull[0], ...out });
      else if (nonNull.length) out.anyOf = nonNull;
    } else if (key === 'const' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
      out.enum = [String(value)];
      if (!out.type) out.type = 'string';
    } else if (key === 'enum') {
      // Gemini enums are strings only.
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.enum = value;
    } else if (key === 'format') {
      if (typeof value === 'string' && typeof out.type === 'string' && FORMATS[out.type]?.includes(value)) out.format = value;
    } else if (key === 'required') {
      if (Array.isArray(value)) out.required = value.filter((v) => typeof v === 'string');
    } else if (SCHEMA_KEYS.has(key)) {
      out[key] = value;
    }
  }
  // `required` naming a property Gemini no longer sees is a 400 too.
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const props = out.properties;
    out.required = (out.required as string[]).filter((name) => name in props);
  }
  return out;
}

function resolveRef(root: unknown, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}
