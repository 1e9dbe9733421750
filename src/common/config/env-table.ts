import { ENV_DOCS, EnvVars } from './env.schema';

/** The README's configuration table, rendered from the schema (a unit test keeps them equal). */
export function renderEnvTable(): string {
  const defaults = new EnvVars() as unknown as Record<string, unknown>;
  const rows = (Object.keys(ENV_DOCS) as (keyof EnvVars)[]).map((name) => {
    const d = defaults[name];
    return `| \`${name}\` | ${d === undefined ? '' : `\`${String(d)}\``} | ${ENV_DOCS[name]} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
