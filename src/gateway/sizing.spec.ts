import type { EndpointDef, ModelDef, ResolvedEndpoint } from '../catalog/catalog.types';
import { usdToNanos } from '../common/money/money';
import { estimatePrompt } from './prompt-estimate';
import { promptTokensFor, sizeRequest } from './sizing';

const model: ModelDef = {
  id: 'openai/gpt-4o',
  name: 'GPT-4o',
  description: '',
  created: 0,
  contextLength: 128_000,
  inputModalities: ['text', 'image'],
  outputModalities: ['text'],
  kind: 'chat',
};

function ep(prompt: number, completion: number, o: Partial<EndpointDef> = {}): ResolvedEndpoint {
  const endpoint: EndpointDef = {
    modelId: model.id,
    providerSlug: 'openai',
    upstreamModel: 'gpt',
    variant: null,
    pricing: {
      prompt: usdToNanos(prompt),
      completion: usdToNanos(completion),
      request: 0n,
      image: 0n,
      cacheRead: null,
      cacheWrite: null,
      cacheWrite1h: null,
      tiers: [],
      serviceTiers: {},
    },
    imageTokens: null,
    contextLength: 128_000,
    maxCompletionTokens: 16_384,
    supportedParameters: [],
    quantization: 'unknown',
    prefill: false,
    ...o,
  };
  return {
    endpoint,
    model,
    provider: {
      slug: 'openai',
      name: 'OpenAI',
      adapter: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      apiKeyEnv: null,
      dataPolicy: { zdr: false, training: false },
    },
    routable: true,
  };
}

const mini = { base: 2833, tile: 5667 };
const photo = estimatePrompt({
  messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] as unknown as string }],
});
const request = { promptTokens: photo.tokens, images: photo.images, imageParts: photo.imageParts, clientMax: 100 };

describe('sizing a request with images', () => {
  it('holds for the dearest planned endpoint with the prompt as each counts it', () => {
    // The same prices on two endpoints, one of which counts images at gpt-4o-mini's rate.
    const plain = ep(0.15, 0.6);
    const gpt4oMini = ep(0.15, 0.6, { imageTokens: mini });
    const miniPrompt = promptTokensFor(gpt4oMini, request);
    expect(miniPrompt).toBe(photo.tokens - photo.imageParts[0].tokens + 2833 + 8 * 5667);
    // Every price here is a whole nanodollar per token: 150 and 600.
    const miniHold = BigInt(miniPrompt) * 150n + 100n * 600n;
    for (const plan of [
      [plain, gpt4oMini],
      [gpt4oMini, plain],
    ]) {
      const sized = sizeRequest(plan, request, null);
      expect(sized.ok && sized.sizing.hold).toBe(miniHold);
    }
    const common = sizeRequest([plain], request, null);
    expect(common.ok && common.sizing.hold).toBe(BigInt(photo.tokens) * 150n + 100n * 600n);
    // gpt-4o's prices on the common count are dearer still: the hold is theirs.
    const gpt4o = ep(2.5, 10);
    const both = sizeRequest([gpt4oMini, gpt4o], request, null);
    expect(both.ok && both.sizing.hold).toBe(BigInt(photo.tokens) * 2500n + 100n * 10_000n);
  });

  it("never counts a prompt above the endpoint's context, which no provider bills beyond", () => {
    const small = ep(0.15, 0.6, { imageTokens: mini, contextLength: 20_000, maxCompletionTokens: 1000 });
    expect(promptTokensFor(small, request)).toBe(20_000);
  });

  it('sizes what a budget affords on the prompt as the endpoint counts it', () => {
    const gpt4oMini = ep(0.15, 0.6, { imageTokens: mini });
    const prompt = BigInt(promptTokensFor(gpt4oMini, request)) * 150n;
    const sized = sizeRequest([gpt4oMini], { ...request, clientMax: undefined }, prompt + 600n * 50n);
    expect(sized.ok && sized.sizing.maxTokens).toEqual([50]);
  });
});
