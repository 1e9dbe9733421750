import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { CapsService } from '../../src/keys/caps.service';
import { KeysService } from '../../src/keys/keys.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { call } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

type Gen = { data: Record<string, unknown> };
type CostedUsage = OpenAI.Responses.ResponseUsage & {
  cost: number;
  cost_details: { upstream_inference_prompt_cost: number; upstream_inference_completions_cost: number };
};

async function generation(f: GatewayFixture, id: string): Promise<Gen['data']> {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await call<Gen>(f.t, 'GET', `/api/v1/generation?id=${id}`, { key: f.key });
    if (res.status === 200) return res.body.data;
    if (Date.now() > until) throw new Error(`generation ${id}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  strict: true,
};

const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };

/** The last chat body an upstream fake was sent. */
const lastBody = (fake: { seen: { path: string; body: Record<string, unknown> }[] }) => fake.seen[fake.seen.length - 1].body;

/** Every event of a stream is numbered from 0, one by one. */
function expectSequenced(events: ResponseStreamEvent[]): void {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
}

describe('OpenAI Responses API through every adapter, with the official openai client', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  describe.each([
    // Anthropic counts thinking within output_tokens and reports no reasoning count of its own.
    ['OpenAI-compatible', 'test/a-only', 'Alpha', 'Hello from fake-openai.', 'a', true],
    ['Anthropic', 'test/claude', 'Claude Co', 'Hello from fake-anthropic', 'anthropic', false],
    ['Gemini', 'test/gemini', 'Gem Co', 'Hello from fake-gemini', 'gemini', true],
  ] as const)('%s', (_name, model, provider, text, fake, countsReasoning) => {
    it('answers text with usage, cost, and the generation record it is billed by', async () => {
      const { data, response } = await f.client.responses
        .create({ model, input: 'Say hello', instructions: 'Be brief.', metadata: { team: 'blue' } })
        .withResponse();
      expect(data).toMatchObject({
        object: 'response',
        status: 'completed',
        model,
        provider,
        instructions: 'Be brief.',
        metadata: { team: 'blue' },
        store: false,
        error: null,
      });
      expect(data.id).toMatch(/^gen-/);
      expect(response.headers.get('x-generation-id')).toBe(data.id);
      expect(data.output_text).toBe(text);
      expect(data.output).toEqual([
        {
          id: expect.stringMatching(/^msg_/),
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
        },
      ]);
      const usage = data.usage as CostedUsage;
      expect(usage.input_tokens).toBeGreaterThan(0);
      expect(usage.output_tokens).toBeGreaterThan(0);
      expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
      expect(usage.input_tokens_details.cached_tokens).toBe(0);
      expect(usage.output_tokens_details.reasoning_tokens).toBe(0);
      expect(usage.cost).toBeGreaterThan(0);
      expect(usage.cost_details.upstream_inference_prompt_cost + usage.cost_details.upstream_inference_completions_cost).toBeCloseTo(
        usage.cost,
        12,
      );

      const g = await generation(f, data.id);
      expect(g).toMatchObject({
        model,
        provider_name: provider,
        tokens_prompt: usage.input_tokens,
        tokens_completion: usage.output_tokens,
        total_cost: usage.cost,
        streamed: false,
        finish_reason: 'stop',
      });
      // The instructions reached the upstream as the system prompt.
      expect(JSON.stringify(lastBody(f.fakes[fake]))).toContain('Be brief.');
    });

    it('calls a function tool, and answers its function_call_output', async () => {
      const first = await f.client.responses.create({ model, input: 'Weather in Paris?', tools: [weather], tool_choice: 'auto' });
      expect(first.status).toBe('completed');
      const fc = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
      expect(fc).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed', id: expect.stringMatching(/^fc_/) });
      expect(JSON.parse(fc.arguments)).toEqual({ location: 'Paris' });
      expect(fc.call_id.length).toBeGreaterThan(0);
      expect(first.tools).toEqual([weather]);

      const followUp = await f.client.responses.create({
        model,
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          fc,
          { type: 'function_call_output', call_id: fc.call_id, output: '{"temperature": 21}' },
        ],
      });
      expect(followUp.output_text).toBe(text);
      // The upstream got the call and its result, in its own API's words.
      const sent = JSON.stringify(lastBody(f.fakes[fake]));
      expect(sent).toContain('get_weather');
      expect(sent).toContain('temperature');
    });

    it('answers structured output (text.format json_schema) the SDK parses', async () => {
      const res = await f.client.responses.parse({
        model,
        instructions: 'Answer in JSON.',
        input: 'Are you ok?',
        text: { format: { type: 'json_schema', name: 'status', schema: okSchema, strict: true } },
      });
      expect(res.output_parsed).toEqual({ ok: true });
      expect(res.text!.format).toMatchObject({ type: 'json_schema', name: 'status' });
    });

    it('returns the reasoning as a reasoning summary', async () => {
      const res = await f.client.responses.create({
        model,
        input: 'Think, then say hello',
        max_output_tokens: 4000,
        reasoning: { effort: 'low', summary: 'auto' },
      });
      const reasoning = res.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning')!;
      expect(reasoning.id).toMatch(/^rs_/);
      expect(reasoning.summary).toEqual([{ type: 'summary_text', text: expect.stringMatching(/\S/) }]);
      expect(res.output[res.output.length - 1]).toMatchObject({ type: 'message' });
      expect(res.output_text).toBe(text);
      expect(res.reasoning).toEqual({ effort: 'low', summary: 'auto' });
      expect(res.usage!.output_tokens_details.reasoning_tokens > 0).toBe(countsReasoning);
    });

    it('streams a function call, then the answer to its output, with every event in order', async () => {
      const stream = f.client.responses.stream({ model, input: 'Weather in Paris?', tools: [weather] });
      const events: ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const final = await stream.finalResponse();
      expectSequenced(events);
      const types = events.map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
      expect(types).toContain('response.function_call_arguments.delta');
      expect(types).toContain('response.function_call_arguments.done');
      expect(types).toContain('response.output_item.done');
      expect(types[types.length - 1]).toBe('response.completed');
      const fc = final.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      expect(fc.name).toBe('get_weather');
      expect(JSON.parse(fc.arguments)).toEqual({ location: 'Paris' });
      const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
      expect(created.response).toMatchObject({ id: final.id, status: 'in_progress', output: [], usage: null });
      const usage = final.usage as CostedUsage;
      expect(usage.cost).toBeGreaterThan(0);
      const g = await generation(f, final.id);
      expect(g).toMatchObject({
        streamed: true,
        total_cost: usage.cost,
        tokens_completion: usage.output_tokens,
        finish_reason: 'tool_calls',
      });

      const followUp = f.client.responses.stream({
        model,
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          fc,
          { type: 'function_call_output', call_id: fc.call_id, output: '{"temperature": 21}' },
        ],
      });
      const deltas: string[] = [];
      const followEvents: ResponseStreamEvent[] = [];
      followUp.on('response.output_text.delta', (e) => deltas.push(e.delta));
      followUp.on('event', (e) => followEvents.push(e));
      const answer = await followUp.finalResponse();
      expectSequenced(followEvents);
      expect(deltas.join('')).toBe(text);
      expect(answer.output_text).toBe(text);
      expect(followEvents.map((e) => e.type)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...deltas.map(() => 'response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect((answer.usage as CostedUsage).cost).toBeGreaterThan(0);
    });

    it('streams the reasoning summary before the text', async () => {
      const stream = f.client.responses.stream({
        model,
        input: 'Think, then say hello',
        max_output_tokens: 4000,
        reasoning: { effort: 'low', summary: 'auto' },
      });
      const events: ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const final = await stream.finalResponse();
      expectSequenced(events);
      const types = events.map((e) => e.type);
      const firstSummary = types.indexOf('response.reasoning_summary_text.delta');
      expect(firstSummary).toBeGreaterThan(0);
      expect(types).toContain('response.reasoning_summary_part.added');
      expect(types).toContain('response.reasoning_summary_text.done');
      expect(firstSummary).toBeLessThan(types.indexOf('response.output_text.delta'));
      expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
      expect(final.output_text).toBe(text);
    });
  });

  describe('statelessness and bad input', () => {
    const post = (body: Record<string, unknown>) =>
      call<{ error: { code: number; message: string } }>(f.t, 'POST', '/api/v1/responses', { key: f.key, body });

    it('store: true and previous_response_id are 400s saying the endpoint is stateless', async () => {
      for (const extra of [{ store: true }, { previous_response_id: 'resp_123' }]) {
        const err = await f.client.responses.create({ model: 'test/a-only', input: 'hi', ...extra }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.BadRequestError);
        expect((err as Error).message).toMatch(/stateless/);
      }
      // store: false (what Codex sends) is served.
      expect((await post({ model: 'test/a-only', input: 'hi', store: false, previous_response_id: null })).status).toBe(200);
    });

    it.each([
      ['no input', {}],
      ['input of the wrong type', { input: 5 }],
      ['an empty input', { input: [] }],
      ['an unknown item type', { input: [{ type: 'web_search_call', id: 'ws_1' }] }],
      ['an item_reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
      ['a message with a bad role', { input: [{ role: 'tool', content: 'x' }] }],
      ['a function_call without call_id', { input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }],
      ['an image by file id', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }],
      ['a hosted tool', { input: 'hi', tools: [{ type: 'web_search_preview' }] }],
      ['a bad tool_choice', { input: 'hi', tool_choice: { type: 'file_search' } }],
      ['a json_schema without schema', { input: 'hi', text: { format: { type: 'json_schema', name: 'x' } } }],
      ['a bad reasoning effort', { input: 'hi', reasoning: { effort: 'extreme' } }],
      ['only instructions', { input: [{ type: 'reasoning', summary: [] }], instructions: 'x' }],
      ['background: true', { input: 'hi', background: true }],
    ])('%s is a 400 in the error envelope, never a 500', async (_what, body) => {
      const res = await post({ model: 'test/a-only', ...body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 400, message: expect.any(String) });
    });
  });

  describe('request translation', () => {
    it('sends items, images, tools, tool_choice, text format, sampling and reasoning to the upstream as chat', async () => {
      const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
      const res = await f.client.responses.create({
        model: 'test/a-only',
        instructions: 'You are terse.',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: png, detail: 'low' },
            ],
          },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'A pixel.', annotations: [] }],
            id: 'msg_x',
            status: 'completed',
          },
          { type: 'reasoning', id: 'rs_x', summary: [{ type: 'summary_text', text: 'earlier thoughts' }] },
          { role: 'user', content: 'And the weather?' },
        ],
        tools: [weather],
        tool_choice: { type: 'function', name: 'get_weather' },
        parallel_tool_calls: false,
        temperature: 0.5,
        top_p: 0.9,
        max_output_tokens: 300,
        user: 'end-user-1',
        reasoning: { effort: 'medium' },
        text: { verbosity: 'low' },
      });
      expect(res.status).toBe('completed');
      const sent = lastBody(f.fakes.a);
      expect(sent).toMatchObject({
        messages: [
          { role: 'system', content: 'You are terse.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: png, detail: 'low' } },
            ],
          },
          { role: 'assistant', content: 'A pixel.' },
          { role: 'user', content: 'And the weather?' },
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.parameters, strict: true } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        temperature: 0.5,
        top_p: 0.9,
        max_tokens: 300,
        reasoning_effort: 'medium',
        verbosity: 'low',
      });
      expect((sent.messages as unknown[]).length).toBe(4);
      expect(res).toMatchObject({
        temperature: 0.5,
        top_p: 0.9,
        max_output_tokens: 300,
        parallel_tool_calls: false,
        tool_choice: { type: 'function', name: 'get_weather' },
        user: 'end-user-1',
      });
    });

    it('routes with models and provider, as chat does', async () => {
      // In this order whatever the failing endpoint's circuit says (an earlier request may have opened it).
      const provider = { only: ['alpha', 'beta'], order: ['alpha', 'beta'] };
      const res = await f.client.responses.create({
        model: 'test/fail-first',
        input: 'hi',
        provider,
        models: ['test/a-only'],
      } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      // The first endpoint fails (once more if the retry policy tries it again); the fallback serves.
      expect((res as unknown as { provider: string }).provider).toBe('Beta');
      const g = await generation(f, res.id);
      const statuses = (g.provider_responses as { status: number }[]).map((p) => p.status);
      expect({ first: statuses[0], last: statuses[statuses.length - 1], failed: statuses.slice(0, -1).every((s) => s === 500) }).toEqual({
        first: 500,
        last: 200,
        failed: true,
      });
    });
  });

  describe('billing as chat', () => {
    it('a stream the client leaves is read to its end and billed what the provider reports; nothing stays held', async () => {
      const controller = new AbortController();
      const res = await fetch(`${f.t.url}/api/v1/responses`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/long', input: 'write a lot', stream: true, max_output_tokens: 1000 }),
      });
      const genId = res.headers.get('x-generation-id')!;
      const reader = res.body!.getReader();
      let received = '';
      while ((received.match(/response\.output_text\.delta/g) ?? []).length < 40)
        received += new TextDecoder().decode((await reader.read()).value);
      controller.abort();

      const g = await generation(f, genId);
      expect(g).toMatchObject({ cancelled: true, streamed: true, usage_estimated: false, tokens_completion: 200 });
      expect(g.total_cost as number).toBeGreaterThan(0);
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      expect((await f.t.get(CapsService).keyCounters(principal.keyId))!.held).toBe(0n);
    });

    it('a stream that fails once started ends with response.failed, billed what was relayed', async () => {
      const stream = f.client.responses.stream({
        model: 'test/stream-error-late',
        input: 'hi',
        provider: { only: ['alpha'] },
      } as Parameters<OpenAI['responses']['stream']>[0]);
      const events: ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      expectSequenced(events);
      const last = events[events.length - 1] as OpenAI.Responses.ResponseFailedEvent;
      expect(last.type).toBe('response.failed');
      expect(last.response.status).toBe('failed');
      expect(last.response.error).toMatchObject({ code: 'server_error', message: expect.any(String) });
      const usage = last.response.usage as CostedUsage;
      expect(usage.output_tokens).toBeGreaterThan(0);
      const g = await generation(f, last.response.id);
      expect(g).toMatchObject({ finish_reason: 'error', total_cost: usage.cost });
    });

    it('an answer cut by max_output_tokens is incomplete, streaming and not', async () => {
      const res = await f.client.responses.create({ model: 'test/claude', input: 'Say hello', max_output_tokens: 2 });
      expect(res).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
      expect(res.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });

      const stream = f.client.responses.stream({ model: 'test/claude', input: 'Say hello', max_output_tokens: 2 });
      const events: ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const last = events[events.length - 1] as OpenAI.Responses.ResponseIncompleteEvent;
      expect(last.type).toBe('response.incomplete');
      expect(last.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
      expect((last.response.usage as CostedUsage).cost).toBeGreaterThan(0);
    });

    it('the key is charged exactly the cost the answer shows', async () => {
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      const caps = f.t.get(CapsService);
      const before = (await caps.keyCounters(principal.keyId))!;
      const res = await f.client.responses.create({ model: 'test/claude', input: 'hello', max_output_tokens: 100 });
      await generation(f, res.id); // written after settlement
      const after = (await caps.keyCounters(principal.keyId))!;
      expect(after.held).toBe(0n);
      expect(Number(after.total - before.total) / 1e9).toBeCloseTo((res.usage as CostedUsage).cost, 12);
    });
  });
});
