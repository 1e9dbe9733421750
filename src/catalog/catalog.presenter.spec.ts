import { entriesOf, presentEndpoint, presentModel, representative } from './catalog.presenter';
import type { EndpointDef, ModelDef, ProviderDef, ResolvedEndpoint } from './catalog.types';

const model: ModelDef = {
  id: 'meta-llama/llama-3.1-8b-instruct',
  name: 'Meta: Llama 3.1 8B Instruct',
  description: 'small',
  created: 1721692800,
  contextLength: 131072,
  inputModalities: ['text'],
  outputModalities: ['text'],
  kind: 'chat',
};

const provider = (slug: string): ProviderDef => ({
  slug,
  name: slug.toUpperCase(),
  adapter: 'openai',
  baseUrl: `https://${slug}.example/v1`,
  apiKeyEnv: `${slug.toUpperCase()}_API_KEY`,
  dataPolicy: { zdr: false, training: false },
});

const M = 1_000_000_000n; // $1 per million tokens

function ep(slug: string, o: Partial<EndpointDef> & { routable?: boolean } = {}): ResolvedEndpoint {
  const { routable = true, ...rest } = o;
  const endpoint: EndpointDef = {
    modelId: model.id,
    providerSlug: slug,
    upstreamModel: 'llama',
    variant: null,
    pricing: {
      prompt: M,
      completion: M,
      request: 0n,
      image: 0n,
      cacheRead: null,
      cacheWrite: null,
      cacheWrite1h: null,
      tiers: [],
      serviceTiers: {},
    },
    imageTokens: null,
    contextLength: 131072,
    maxCompletionTokens: 8192,
    supportedParameters: ['temperature'],
    quantization: 'unknown',
    prefill: false,
    ...rest,
  };
  return { endpoint, model, provider: provider(slug), routable };
}

const priced = (prompt: bigint, completion: bigint) => ({
  prompt,
  completion,
  request: 0n,
  image: 0n,
  cacheRead: null,
  cacheWrite: null,
  cacheWrite1h: null,
  tiers: [],
  serviceTiers: {},
});

describe('catalog presenter', () => {
  it('lists a model with paid endpoints, and its :free variant separately', () => {
    const free = ep('groq', { variant: 'free', pricing: priced(0n, 0n), contextLength: 8192, supportedParameters: ['seed'] });
    const entries = entriesOf(model, [ep('groq'), ep('together'), free]);
    expect(entries.map((e) => [e.id, e.endpoints.length])).toEqual([
      [model.id, 2],
      [`${model.id}:free`, 1],
    ]);
    const dto = presentModel(entries[1]);
    expect(dto).toMatchObject({
      id: `${model.id}:free`,
      canonical_slug: model.id,
      name: 'Meta: Llama 3.1 8B Instruct (free)',
      context_length: 8192,
      pricing: { prompt: '0', completion: '0', request: '0', image: '0' },
      supported_parameters: ['seed'],
      links: { details: `/api/v1/models/${model.id}:free/endpoints` },
    });
    // Only free endpoints: no base entry.
    expect(entriesOf(model, [free]).map((e) => e.id)).toEqual([`${model.id}:free`]);
  });

  it('shows the cheapest routable endpoint, else the cheapest of all', () => {
    const cheapOff = ep('a', { pricing: priced(M / 10n, M / 10n), routable: false });
    const mid = ep('b', { pricing: priced(M, M) });
    const dear = ep('c', { pricing: priced(2n * M, 2n * M) });
    expect(representative([dear, cheapOff, mid]).provider.slug).toBe('b');
    expect(representative([{ ...dear, routable: false }, { ...mid, routable: false }, cheapOff]).provider.slug).toBe('a');
    // Ties keep catalog order.
    expect(representative([ep('x'), ep('y')]).provider.slug).toBe('x');
  });

  it('unions supported parameters in OpenRouter order and formats per-token prices', () => {
    const dto = presentModel(
      entriesOf(model, [
        ep('a', {
          supportedParameters: ['tools', 'temperature'],
          pricing: {
            ...priced(2_500_000_000n, 10n * M),
            cacheRead: 1_250_000_000n,
            cacheWrite: null,
            cacheWrite1h: null,
            tiers: [],
            serviceTiers: {},
          },
        }),
        ep('b', { supportedParameters: ['seed', 'temperature'], pricing: priced(5n * M, 20n * M) }),
      ])[0],
    );
    expect(dto.supported_parameters).toEqual(['temperature', 'seed', 'tools']);
    expect(dto.pricing).toEqual({ prompt: '0.0000025', completion: '0.00001', request: '0', image: '0', input_cache_read: '0.00000125' });
    expect(dto.architecture).toEqual({
      modality: 'text->text',
      input_modalities: ['text'],
      output_modalities: ['text'],
      tokenizer: 'Llama3',
      instruct_type: null,
    });
  });

  it('marks unroutable endpoints and implicit caching', () => {
    const [entry] = entriesOf(model, [ep('a')]);
    expect(presentEndpoint(entry, ep('a')).status).toBe(0);
    expect(presentEndpoint(entry, ep('a', { routable: false })).status).toBe(-10);
    const cached = (cacheWrite: bigint | null) =>
      presentEndpoint(
        entry,
        ep('a', { pricing: { ...priced(M, M), cacheRead: M / 10n, cacheWrite, cacheWrite1h: null, tiers: [], serviceTiers: {} } }),
      ).supports_implicit_caching;
    expect(cached(null)).toBe(true);
    expect(cached(M)).toBe(false);
    expect(presentEndpoint(entry, ep('a')).supports_implicit_caching).toBe(false);
  });

  it('claims every tool_choice value for an endpoint listing tool_choice, none otherwise', () => {
    const [entry] = entriesOf(model, [ep('a')]);
    expect(presentEndpoint(entry, ep('a', { supportedParameters: ['tools', 'tool_choice'] })).supports_tool_choice).toEqual({
      auto: true,
      none: true,
      required: true,
      function: true,
    });
    expect(presentEndpoint(entry, ep('a', { supportedParameters: ['tools'] })).supports_tool_choice).toEqual({
      auto: false,
      none: false,
      required: false,
      function: false,
    });
  });
});
