import { OpenRouter } from '@openrouter/sdk';
import * as errors from '@openrouter/sdk/models/errors';
import { nanosToUsd, usdToNanos } from '../../src/common/money/money';
import { RedisService } from '../../src/common/redis/redis.service';
import { CreditsService } from '../../src/credits/credits.service';
import { FreeModelLimits } from '../../src/keys/free-model-limits';
import { call, createKey, uniqueEmail } from '../support/factories';
import { GatewayFixture, gatewayFixtureForSuite } from '../support/gateway-fixture';
import { authorizeAndDecide, signedInBrowser } from '../support/oauth-browser';
import { sql } from '../support/sql';

/**
 * OpenRouter's own TypeScript SDK against the gateway, unmodified. The SDK parses every answer with
 * its zod schemas and throws on a missing or mistyped required field, so a call that returns at
 * all is a call whose answer matches OpenRouter's published shape.
 */
describe("OpenRouter's TypeScript SDK (@openrouter/sdk), with its response validation", () => {
  let f: GatewayFixture;
  let sdk: OpenRouter;
  let management: OpenRouter;
  const client = (apiKey: string) =>
    new OpenRouter({ apiKey, serverURL: `${f.t.url}/api/v1`, retryConfig: { strategy: 'none' }, timeoutMs: 20_000 });

  /** The generation record, once the request's record is written (it follows the response). */
  async function generation(of: OpenRouter, id: string) {
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        return (await of.generations.getGeneration({ id })).data;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404 || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  gatewayFixtureForSuite({}, (started) => (f = started));
  beforeAll(async () => {
    sdk = client(f.key);
    management = client((await createKey(f.t, { cookie: f.user.cookie }, { name: 'sdk management', management: true })).key);
  });

  // Catalog prices per token, in nanodollars (USD per million tokens x 1000): exact, so no rounding.
  describe.each([
    ['OpenAI-compatible', 'test/a-only', 'Hello from fake-openai.', 1000n, 2000n],
    ['Anthropic', 'test/claude', 'Hello from fake-anthropic', 3000n, 15000n],
    ['Gemini', 'test/gemini', 'Hello from fake-gemini', 300n, 2500n],
  ])('%s', (_name, model, text, promptPrice, completionPrice) => {
    const expectedDetails = (u: { promptTokens: number; completionTokens: number }) => ({
      upstreamInferenceCost: null,
      upstreamInferencePromptCost: nanosToUsd(BigInt(u.promptTokens) * promptPrice),
      upstreamInferenceCompletionsCost: nanosToUsd(BigInt(u.completionTokens) * completionPrice),
    });

    it('chat.send: the answer, with usage and cost split into prompt and completion', async () => {
      const res = await sdk.chat.send({ chatRequest: { model, messages: [{ role: 'user', content: 'Say hello' }] } });
      if (!('choices' in res)) throw new Error('expected a JSON answer');
      expect(res.id).toMatch(/^gen-/);
      expect(res.choices[0].message.content).toBe(text);
      expect(res.choices[0].finishReason).toBe('stop');
      const usage = res.usage!;
      expect(usage.completionTokens).toBeGreaterThan(0);
      expect(usage.costDetails).toEqual(expectedDetails(usage));
      expect(usage.cost).toBe(nanosToUsd(BigInt(usage.promptTokens) * promptPrice + BigInt(usage.completionTokens) * completionPrice));
    });

    it('chat.send with stream: true: the deltas, then the usage chunk', async () => {
      const stream = await sdk.chat.send({ chatRequest: { model, messages: [{ role: 'user', content: 'Say hello' }], stream: true } });
      if ('choices' in stream) throw new Error('expected a stream');
      let streamed = '';
      let usage: { promptTokens: number; completionTokens: number; cost?: number | null; costDetails?: unknown } | undefined;
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(streamed).toBe(text);
      expect(usage!.costDetails).toEqual(expectedDetails(usage!));
    });
  });

  it('chat.send with tools: a tool call', async () => {
    const res = await sdk.chat.send({
      chatRequest: {
        model: 'test/claude',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
          },
        ],
      },
    });
    if (!('choices' in res)) throw new Error('expected a JSON answer');
    expect(res.choices[0].finishReason).toBe('tool_calls');
    expect(res.choices[0].message.toolCalls![0].function.name).toBe('get_weather');
  });

  it('embeddings.generate: vectors, with the cost as prompt cost', async () => {
    const res = await sdk.embeddings.generate({ requestBody: { model: 'test/embed', input: ['one', 'two'] } });
    if (typeof res === 'string') throw new Error('expected JSON');
    expect(res.data).toHaveLength(2);
    // $0.02 per million tokens: 20 nanodollars a token.
    expect(res.usage!.costDetails).toEqual({
      upstreamInferenceCost: null,
      upstreamInferencePromptCost: nanosToUsd(BigInt(res.usage!.promptTokens) * 20n),
      upstreamInferenceCompletionsCost: 0,
    });
    expect(res.usage!.cost).toBe(res.usage!.costDetails!.upstreamInferencePromptCost);
  });

  it('models.list, models.count and models.listForUser', async () => {
    const ids: string[] = [];
    for await (const page of await sdk.models.list()) ids.push(...page.result.data.map((m) => m.id));
    expect(ids).toContain('test/a-only');
    expect(ids).toContain('test/embed');
    const count = await sdk.models.count();
    expect(count.data.count).toBe(ids.length);

    const forUser: string[] = [];
    for await (const page of await sdk.models.listForUser({ bearer: f.key })) forUser.push(...page.result.data.map((m) => m.id));
    expect(forUser).toEqual(ids);
    expect((await call(f.t, 'GET', '/api/v1/models/user')).status).toBe(401);
  });

  it('models.get: one model as models.list shows it, :free variants included', async () => {
    const listed: unknown[] = [];
    for await (const page of await sdk.models.list()) listed.push(...page.result.data.filter((m) => m.id === 'test/a-only'));
    const one = await sdk.models.get({ author: 'test', slug: 'a-only' });
    expect([one.data]).toEqual(listed);
    await expect(sdk.models.get({ author: 'test', slug: 'no-such-model' })).rejects.toBeInstanceOf(errors.NotFoundResponseError);
  });

  it('analytics.getUserActivity: the completed days’ rows, for a management key', async () => {
    const yesterday = new Date(Date.now() - 86_400_000);
    const hour = new Date(Date.UTC(yesterday.getUTCFullYear(), yesterday.getUTCMonth(), yesterday.getUTCDate(), 9));
    await sql(
      `INSERT INTO generation_hourly (user_id, hour, model, provider_slug, provider_name, key_id, app_id, requests, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning)
       SELECT $1, $2, 'test/a-only', 'alpha', 'Alpha', id, NULL, 3, 4500000, 30, 60, 6 FROM api_keys WHERE user_id = $1 AND NOT is_management LIMIT 1`,
      [f.user.id, hour],
    );
    const res = await management.analytics.getUserActivity();
    expect(res.data).toContainEqual(
      expect.objectContaining({
        date: hour.toISOString().slice(0, 10),
        model: 'test/a-only',
        endpointId: 'alpha/test/a-only',
        providerName: 'Alpha',
        usage: 0.0045,
        requests: 3,
        promptTokens: 30,
        completionTokens: 60,
        reasoningTokens: 6,
      }),
    );
    await expect(sdk.analytics.getUserActivity()).rejects.toBeInstanceOf(errors.ForbiddenResponseError);
  });

  it('embeddings.listModels and providers.list', async () => {
    const embedding: string[] = [];
    for await (const page of await sdk.embeddings.listModels()) embedding.push(...page.result.data.map((m) => m.id));
    expect(embedding).toEqual(['test/embed', 'test/gemini-embed']);
    const providers = await sdk.providers.list();
    expect(providers.data.map((p) => [p.slug, p.name])).toEqual([
      ['alpha', 'Alpha'],
      ['beta', 'Beta'],
      ['claude-co', 'Claude Co'],
      ['gem-co', 'Gem Co'],
    ]);
  });

  it('endpoints.list: the endpoints of a model', async () => {
    const res = await sdk.endpoints.list({ author: 'test', slug: 'chat' });
    expect(res.data.endpoints.map((e) => e.providerName)).toEqual(['Alpha', 'Beta']);
    expect(res.data.endpoints[0]).toMatchObject({
      latencyLast30m: null,
      throughputLast30m: null,
      supportsToolChoice: { auto: true, none: true, required: true, function: true },
    });
    const noTools = await sdk.endpoints.list({ author: 'test', slug: 'no-tools' });
    expect(noTools.data.endpoints[0].supportsToolChoice).toEqual({ auto: false, none: false, required: false, function: false });
  });

  it('endpoints.listZdrEndpoints: the endpoints at providers that retain no data', async () => {
    const res = await sdk.endpoints.listZdrEndpoints();
    expect(res.data.length).toBeGreaterThan(0);
    expect(new Set(res.data.map((e) => e.providerName))).toEqual(new Set(['Beta']));
    expect(res.data.map((e) => e.modelId)).toContain('test/chat');
  });

  it('apiKeys.getCurrentKeyMetadata: the calling key', async () => {
    const res = await sdk.apiKeys.getCurrentKeyMetadata();
    expect(res.data).toMatchObject({
      allowedDataRegions: ['global'],
      organizationId: null,
      workspaceId: f.user.id,
      freeModelDailyRequests: { limit: 50, used: 0, remaining: 50 },
      isManagementKey: false,
    });
    // The daily `:free` counter is the one the limit enforces.
    for (let i = 0; i < 3; i++) await f.t.get(FreeModelLimits).check(f.user.id, 0n);
    expect((await sdk.apiKeys.getCurrentKeyMetadata()).data.freeModelDailyRequests).toEqual({ limit: 50, used: 3, remaining: 47 });
  });

  it('apiKeys.getCurrentKeyMetadata while Redis cannot answer: the whole :free allowance, as nothing is counted then', async () => {
    await f.t.get(FreeModelLimits).check(f.user.id, 0n);
    const counted = (await sdk.apiKeys.getCurrentKeyMetadata()).data.freeModelDailyRequests;
    expect(counted.used).toBeGreaterThan(0);
    const redis = f.t.get(RedisService);
    redis.client.disconnect();
    try {
      expect((await sdk.apiKeys.getCurrentKeyMetadata()).data.freeModelDailyRequests).toEqual({ limit: 50, used: 0, remaining: 50 });
    } finally {
      await redis.client.connect();
    }
    expect((await sdk.apiKeys.getCurrentKeyMetadata()).data.freeModelDailyRequests).toEqual(counted);
  });

  it('apiKeys create, list, get, update and delete with a management key', async () => {
    const created = await management.apiKeys.create({ requestBody: { name: 'made by the sdk', limit: 5, limitReset: 'monthly' } });
    expect(created.key).toMatch(/^sk-/);
    expect(created.data).toMatchObject({
      name: 'made by the sdk',
      limit: 5,
      limitReset: 'monthly',
      externalUser: null,
      workspaceId: f.user.id,
    });
    const hash = created.data.hash;

    const listed = await management.apiKeys.list();
    expect(listed.data.map((k) => k.hash)).toContain(hash);
    expect((await management.apiKeys.get({ hash })).data.name).toBe('made by the sdk');
    const updated = await management.apiKeys.update({ hash, requestBody: { name: 'renamed', disabled: true } });
    expect(updated.data).toMatchObject({ name: 'renamed', disabled: true });
    expect(await management.apiKeys.delete({ hash })).toEqual({ deleted: true });
  });

  it('generations.getGeneration: the record of a request', async () => {
    const res = await sdk.chat.send({
      httpReferer: 'https://app.example/chat?x=1',
      chatRequest: { model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }], user: 'end-user-9' },
    });
    if (!('choices' in res)) throw new Error('expected a JSON answer');
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        const g = await sdk.generations.getGeneration({ id: res.id });
        expect(g.data).toMatchObject({
          id: res.id,
          model: 'test/a-only',
          providerName: 'Alpha',
          externalUser: 'end-user-9',
          httpReferer: 'https://app.example/chat?x=1',
          origin: 'https://app.example',
          totalCost: res.usage!.cost,
          dataRegion: 'global',
          router: null,
          isByok: false,
          workspaceId: f.user.id,
        });
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404 || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it('Sign in with OpenRouter through the SDK: authorization URL, PKCE, the code exchanged for a key whose generations name the app by integer id', async () => {
    const app = client('unused');
    const { codeChallenge, codeVerifier } = await app.oAuth.createSHA256CodeChallenge();
    const authUrl = await app.oAuth.createAuthorizationUrl({
      callbackUrl: 'http://localhost:3000/sdk/callback',
      codeChallenge,
      codeChallengeMethod: 'S256',
      limit: 2,
    });
    expect(new URL(authUrl).origin).toBe(f.t.url);

    // The user signs in and approves in the browser; the app gets the code on its callback.
    const browser = await signedInBrowser(f.t, uniqueEmail('sdk-oauth'));
    const callback = await authorizeAndDecide(browser, authUrl, { limit: '1.5' });
    expect(`${callback.origin}${callback.pathname}`).toBe('http://localhost:3000/sdk/callback');
    const exchanged = await app.oAuth.exchangeAuthCodeForAPIKey({
      requestBody: { code: callback.searchParams.get('code')!, codeVerifier, codeChallengeMethod: 'S256' },
    });
    expect(exchanged.key).toMatch(/^sk-sy-v1-/);
    await f.t.get(CreditsService).grant(exchanged.userId!, usdToNanos(5), 'sdk oauth test credit');

    const appKey = client(exchanged.key);
    const res = await appKey.chat.send({ chatRequest: { model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] } });
    if (!('choices' in res)) throw new Error('expected a JSON answer');
    const g = await generation(appKey, res.id);
    const [row] = await sql<{ public_id: number }>(
      `SELECT a.public_id FROM oauth_apps a JOIN api_keys k ON k.app_id = a.id WHERE k.user_id = $1`,
      [exchanged.userId],
    );
    expect(Number.isInteger(row.public_id)).toBe(true);
    expect(g).toMatchObject({ id: res.id, appId: row.public_id, totalCost: res.usage!.cost });
    // The same app is the same number, whichever key it holds.
    const again = await authorizeAndDecide(browser, authUrl);
    const second = await app.oAuth.exchangeAuthCodeForAPIKey({ requestBody: { code: again.searchParams.get('code')!, codeVerifier } });
    const other = await client(second.key).chat.send({
      chatRequest: { model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] },
    });
    if (!('choices' in other)) throw new Error('expected a JSON answer');
    expect((await generation(client(second.key), other.id)).appId).toBe(row.public_id);
    // The user's own keys name no app.
    const own = await sdk.chat.send({ chatRequest: { model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] } });
    if (!('choices' in own)) throw new Error('expected a JSON answer');
    expect((await generation(sdk, own.id)).appId).toBeNull();
  });

  it("errors arrive as the SDK's typed errors, not as validation failures", async () => {
    await expect(sdk.endpoints.list({ author: 'test', slug: 'no-such-model' })).rejects.toBeInstanceOf(errors.NotFoundResponseError);
    const refused = await sdk.chat
      .send({ chatRequest: { model: 'nobody/nothing', messages: [{ role: 'user', content: 'hi' }] } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(errors.BadRequestResponseError);
    expect((refused as errors.BadRequestResponseError).error.code).toBe(400);
    await expect(client('sk-sy-v1-' + '0'.repeat(64)).apiKeys.getCurrentKeyMetadata()).rejects.toBeInstanceOf(
      errors.UnauthorizedResponseError,
    );
    // What the gateway does not have is a 404, not an answer the SDK would misread.
    await expect(management.byok.list()).rejects.toMatchObject({ statusCode: 404 });
    await expect(management.guardrails.list()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('credits.getCredits with a management key', async () => {
    const res = await management.credits.getCredits();
    expect(res.data.totalCredits).toBe(100);
    expect(res.data.totalUsage).toBeGreaterThan(0);
  });
});
