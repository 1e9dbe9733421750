import { OpenRouter } from '@openrouter/sdk';
import * as errors from '@openrouter/sdk/models/errors';
import OpenAI from 'openai';
import { LedgerService } from '../../src/credits/ledger.service';
import { call } from '../support/factories';
import { FAKE_VERBATIM_PREFIX } from '../support/fake-upstreams/openai';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

type Body = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming & { plugins?: unknown[] };

/** What the fake upstream answers, as it was, malformed. */
const MALFORMED = '```json\n{"city": "Paris", "tags": ["old", "big",],\n```\nHope that helps!';
const ask = (answer: string) => [{ role: 'user' as const, content: `${FAKE_VERBATIM_PREFIX}${answer}` }];
const SCHEMA = {
  type: 'json_schema' as const,
  json_schema: { name: 'city', schema: { type: 'object', properties: { city: { type: 'string' } } } },
};

/**
 * OpenRouter's `plugins`: response-healing repairs the JSON of non-streaming json_object /
 * json_schema answers; every other plugin is refused by name, never silently left out. The fake
 * upstream answers malformed JSON word for word (FAKE_VERBATIM_PREFIX).
 */
describe('plugins', () => {
  let f: GatewayFixture;
  const chat = (body: Body) => f.client.chat.completions.create(body as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);

  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  describe('response-healing', () => {
    it('repairs a json_object answer: the code fence, the words after it, the trailing comma, the missing bracket', async () => {
      const res = await chat({
        model: 'test/a-only',
        messages: ask(MALFORMED),
        response_format: { type: 'json_object' },
        plugins: [{ id: 'response-healing' }],
      });
      expect(JSON.parse(res.choices[0].message.content!)).toEqual({ city: 'Paris', tags: ['old', 'big'] });
      // Billed as the provider bills it: for what the model wrote, not for what healing made of it.
      const unhealed = await chat({ model: 'test/a-only', messages: ask(MALFORMED), response_format: { type: 'json_object' } });
      expect(unhealed.choices[0].message.content).toBe(MALFORMED);
      expect(res.usage).toEqual(unhealed.usage);
      // The upstream never sees the plugins.
      expect(f.fakes.a.seen.at(-2)!.body.plugins).toBeUndefined();
    });

    it('repairs a json_schema answer cut off in the middle', async () => {
      const res = await chat({
        model: 'test/a-only',
        messages: ask('Here you go: {"city": "Par'),
        response_format: SCHEMA,
        plugins: [{ id: 'response-healing' }],
      });
      expect(JSON.parse(res.choices[0].message.content!)).toEqual({ city: 'Par' });
    });

    it('through OpenRouter’s own SDK, which sends the plugin typed', async () => {
      const sdk = new OpenRouter({ apiKey: f.key, serverURL: `${f.t.url}/api/v1`, retryConfig: { strategy: 'none' }, timeoutMs: 20_000 });
      const res = await sdk.chat.send({
        chatRequest: {
          model: 'test/a-only',
          messages: ask("{city: 'Lyon',}"),
          responseFormat: { type: 'json_object' },
          plugins: [{ id: 'response-healing' }],
        },
      });
      if (!('choices' in res)) throw new Error('expected a JSON answer');
      expect(JSON.parse(res.choices[0].message.content as string)).toEqual({ city: 'Lyon' });
    });

    it('leaves valid JSON, text answers and answers it cannot repair as they are', async () => {
      const valid = '{\n  "city": "Nice"\n}';
      expect(
        (
          await chat({
            model: 'test/a-only',
            messages: ask(valid),
            response_format: { type: 'json_object' },
            plugins: [{ id: 'response-healing' }],
          })
        ).choices[0].message.content,
      ).toBe(valid);
      expect(
        (
          await chat({
            model: 'test/a-only',
            messages: ask('I cannot answer that.'),
            response_format: { type: 'json_object' },
            plugins: [{ id: 'response-healing' }],
          })
        ).choices[0].message.content,
      ).toBe('I cannot answer that.');
      // No response_format: the plugin has nothing to heal (the fake answers its usual greeting).
      expect(
        (await chat({ model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }], plugins: [{ id: 'response-healing' }] }))
          .choices[0].message.content,
      ).toBe('Hello from fake-openai.');
    });

    it('a stream is relayed as the model writes it: OpenRouter heals non-streaming answers only', async () => {
      const stream = await f.client.chat.completions.create({
        model: 'test/a-only',
        messages: ask(MALFORMED),
        response_format: { type: 'json_object' },
        stream: true,
        plugins: [{ id: 'response-healing' }],
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe(MALFORMED);
    });
  });

  describe('plugins the gateway does not implement', () => {
    it.each([
      'web',
      'web-fetch',
      'file-parser',
      'moderation',
      'context-compression',
      'auto-router',
      'pareto-router',
      'fusion',
      'no-such-plugin',
    ])('%s: 400 naming it, and no provider call', async (id) => {
      const calls = f.fakes.a.seen.length;
      const res = await call<{ error: { code: number; message: string } }>(f.t, 'POST', '/api/v1/chat/completions', {
        key: f.key,
        body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }], plugins: [{ id: 'response-healing' }, { id }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(`"${id}" is not supported`);
      expect(f.fakes.a.seen.length).toBe(calls);
    });

    it('one turned off (enabled: false) asks for nothing and is accepted', async () => {
      const res = await chat({
        model: 'test/a-only',
        messages: [{ role: 'user', content: 'Say hello' }],
        plugins: [{ id: 'web', enabled: false }],
      });
      expect(res.choices[0].message.content).toBe('Hello from fake-openai.');
    });

    it('the legacy completions and embeddings endpoints refuse them too; embeddings take none', async () => {
      const legacy = await call<{ error: { message: string } }>(f.t, 'POST', '/api/v1/completions', {
        key: f.key,
        body: { model: 'test/a-only', prompt: 'hi', plugins: [{ id: 'web' }] },
      });
      expect(legacy.status).toBe(400);
      expect(legacy.body.error.message).toContain('"web" is not supported');
      const embeddings = await call<{ error: { message: string } }>(f.t, 'POST', '/api/v1/embeddings', {
        key: f.key,
        body: { model: 'test/embed', input: 'hi', plugins: [{ id: 'response-healing' }] },
      });
      expect(embeddings.status).toBe(400);
      expect(embeddings.body.error.message).toContain('"response-healing" is not supported');
    });

    it('malformed plugin lists are 400 too', async () => {
      for (const plugins of ['web', [{}], [{ id: 5 }], [{ id: 'response-healing', enabled: 'yes' }]]) {
        const res = await call(f.t, 'POST', '/api/v1/chat/completions', {
          key: f.key,
          body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }], plugins },
        });
        expect([res.status, plugins]).toEqual([400, plugins]);
      }
    });

    it('OpenRouter’s SDK gets its typed 400', async () => {
      const sdk = new OpenRouter({ apiKey: f.key, serverURL: `${f.t.url}/api/v1`, retryConfig: { strategy: 'none' }, timeoutMs: 20_000 });
      const refused = await sdk.chat
        .send({ chatRequest: { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }], plugins: [{ id: 'web' }] } })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(errors.BadRequestResponseError);
      expect((refused as errors.BadRequestResponseError).error.message).toContain('"web" is not supported');
    });
  });
});
