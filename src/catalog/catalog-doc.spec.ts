import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTER_KINDS, CATALOG_KEYS, MODALITIES, parseCatalog, QUANTIZATIONS, SUPPORTED_PARAMETERS } from './catalog-file';

const DOC_PATH = join(__dirname, '../../docs/catalog.md');
const doc = readFileSync(DOC_PATH, 'utf8');

/** The doc's sections: heading line -> the text up to the next heading. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let heading = '';
  for (const line of markdown.split('\n')) {
    if (/^#{1,4} /.test(line)) heading = line;
    out.set(heading, `${out.get(heading) ?? ''}${line}\n`);
  }
  return out;
}

/** Where docs/catalog.md documents each mapping of CATALOG_KEYS: a heading containing this text. */
const SECTION_OF: Record<keyof typeof CATALOG_KEYS, string> = {
  root: '## Top level',
  provider: '## Providers (`providers[]`)',
  dataPolicy: '### Data policy (`data_policy`)',
  model: '## Models (`models[]`)',
  endpoint: '## Endpoints (`models[].endpoints[]`)',
  pricing: '### Prices (`pricing`)',
  promptTier: '### Prompt-length tiers (`pricing.tiers[]`)',
  serviceTier: '### Service tiers (`pricing.service_tiers.<tier>`)',
  imageTokens: '### Image tokens (`image_tokens`)',
};

describe('docs/catalog.md, the catalog format for operators', () => {
  const bySection = sections(doc);

  it.each(Object.entries(CATALOG_KEYS))('documents every %s key the loader accepts, each in a table row of its section', (group, keys) => {
    const section = bySection.get(SECTION_OF[group as keyof typeof CATALOG_KEYS]);
    expect(section).toBeDefined();
    const missing = keys.filter((key) => !section!.includes(`| \`${key}\` |`));
    expect(missing).toEqual([]);
  });

  it('documents nothing the loader does not accept', () => {
    const known = new Map(
      Object.entries(CATALOG_KEYS).map(([group, keys]) => [SECTION_OF[group as keyof typeof CATALOG_KEYS], new Set<string>(keys)]),
    );
    for (const [heading, text] of bySection) {
      const keys = known.get(heading);
      if (!keys) continue;
      const rows = [...text.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]);
      expect({ heading, unknown: rows.filter((r) => !keys.has(r)) }).toEqual({ heading, unknown: [] });
    }
  });

  it('lists every adapter, modality, quantization and supported parameter', () => {
    const vocabularies = bySection.get('## Vocabularies') ?? '';
    const missing = [...ADAPTER_KINDS, ...MODALITIES, ...QUANTIZATIONS, ...SUPPORTED_PARAMETERS].filter(
      (w) => !vocabularies.includes(`\`${w}\``),
    );
    expect(missing).toEqual([]);
  });

  it('has an example that the loader accepts, using every key it documents', () => {
    const example = /^```yaml\n([\s\S]*?)^```/m.exec(doc)?.[1];
    expect(example).toBeDefined();
    const catalog = parseCatalog(example!, 'docs/catalog.md');
    expect(catalog.models.length).toBeGreaterThan(0);
    const used = new Set([...example!.matchAll(/([a-z_0-9]+):/g)].map((m) => m[1]));
    const unused = [...new Set(Object.values(CATALOG_KEYS).flat())].filter((key) => !used.has(key));
    expect(unused).toEqual([]);
  });

  it('is linked from the README', () => {
    expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain('(docs/catalog.md)');
  });
});
