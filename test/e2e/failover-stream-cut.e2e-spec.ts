import { APIError } from 'openai';
import {
  contentOf,
  StreamFailoverFixture,
  IN_ORDER,
  generationOf,
  ledgerProblems,
  rawStream,
  startStreamFailoverFixture,
  StreamEvent,
} from '../support/stream-failover-fixture';
import { STORY, STORY_TOKENS } from '../support/fake-upstreams/story';

jest.setTimeout(120_000);

const ask = { messages: [{ role: 'user' as const, content: 'Tell the story.' }], provider: IN_ORDER } as {
  messages: { role: 'user'; content: string }[];
};
const upTo = (n: number) => STORY_TOKENS.slice(0, n).join('');

/** Issue 18, behaviour 8: a stream cut after 40 of 60 tokens continues from a prefill-capable fallback, or ends with a clear error. */
describe('failover: a stream cut after output was sent', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture();
  });

  afterAll(async () => {
    await f?.close();
  });

  it('continues the answer from the fallback marked prefill: true, seam exact, through the openai client', async () => {
    const stream = await f.client.chat.completions.create({ model: 'fo/cut', ...ask, stream: true });
    let text = '';
    let finish: string | null = null;
    let usage: Record<string, unknown> | undefined;
    let id = '';
    const providers = new Set<string>();
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage as unknown as Record<string, unknown>;
      providers.add((chunk as unknown as { provider: string }).provider);
    }
    // One answer: nothing repeated, nothing lost, and complete.
    expect(text).toBe(STORY);
    expect(finish).toBe('stop');
    expect(providers).toEqual(new Set(['Prime', 'Cont']));

    // The fallback got the same request plus the answer so far (trailing whitespace left out) as a prefill.
    const [cont] = f.seenBy('prefix');
    expect(cont.body.messages).toEqual([...ask.messages, { role: 'assistant', content: upTo(40).trimEnd(), prefix: true }]);
    expect(cont.body.max_tokens).toBeLessThanOrEqual(4096 - 40);

    // Each attempt billed for what it produced; the usage chunk sums them and is what the record shows.
    const g = await generationOf(f, id);
    const [cut, continued] = g.provider_responses;
    expect(g.provider_responses).toHaveLength(2);
    expect(cut).toMatchObject({ provider_name: 'Prime', status: 200, error: expect.stringMatching(/the provider's stream was cut/i) });
    expect(continued).toMatchObject({ provider_name: 'Cont', status: 200, error: null, continued_at: upTo(40).length });
    // The continuation's prompt includes the prefill (the fake counts a token per 4 characters of the messages).
    const contPrompt = Math.ceil((ask.messages[0].content + upTo(40).trimEnd()).length / 4);
    // 21 chunks: the whitespace the prefill left out, produced again (billed, not relayed twice), and the 20 tokens left.
    expect(continued.billed).toMatchObject({ prompt_tokens: contPrompt, completion_tokens: 21, estimated: false });
    expect(cut.billed!.completion_tokens).toBeGreaterThanOrEqual(40);
    expect(usage!.prompt_tokens).toBe(cut.billed!.prompt_tokens + contPrompt);
    expect(usage!.completion_tokens).toBe(cut.billed!.completion_tokens + 21);
    expect(BigInt(cut.billed!.cost_nanos)).toBeGreaterThan(0n);
    const total = BigInt(cut.billed!.cost_nanos) + BigInt(continued.billed!.cost_nanos);
    expect(Math.round(g.total_cost * 1e9)).toBe(Number(total));
    expect(Math.round((usage!.cost as number) * 1e9)).toBe(Number(total));
    expect(g).toMatchObject({ finish_reason: 'stop', provider_name: 'Cont', tokens_completion: usage!.completion_tokens, error: null });
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('continues on an Anthropic endpoint, which gets the answer so far as its assistant prefill', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-to-claude' });
    expect(contentOf(events)).toBe(STORY);
    const sent = f.anthropic.seen.find((s) => s.body?.model === 'claude-story')!;
    expect(sent.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Tell the story.' }] },
      { role: 'assistant', content: [{ type: 'text', text: upTo(40).trimEnd() }] },
    ]);
    const g = await generationOf(f, gen);
    expect(g.provider_responses.map((a) => [a.provider_name, a.status, a.continued_at ?? null])).toEqual([
      ['Prime', 200, null],
      ['Claude', 200, upTo(40).length],
    ]);
    expect(g.finish_reason).toBe('stop');
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('continues from a fallback given as a second model in `models`', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-solo', models: ['fo/story-prefix'] });
    expect(contentOf(events)).toBe(STORY);
    expect(events[events.length - 1]).toBe('[DONE]');
    expect(events.some((e) => typeof e !== 'string' && e.choices?.[0]?.finish_reason === 'stop')).toBe(true);
    const g = await generationOf(f, gen);
    expect(g.provider_responses.map((a) => [a.model, a.continued_at ?? null])).toEqual([
      ['fo/cut-solo', null],
      ['fo/story-prefix', upTo(40).length],
    ]);
  });

  it('continues again when the continuation is cut too: three segments, one answer', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-twice' });
    expect(contentOf(events)).toBe(STORY);
    const g = await generationOf(f, gen);
    expect(g.provider_responses.map((a) => [a.provider_name, a.continued_at ?? null, a.error === null])).toEqual([
      ['Prime', null, false],
      ['Cont', upTo(20).length, false],
      // The second cut came 15 chunks into the continuation: the whitespace produced again and 14 tokens.
      ['Plain', upTo(34).length, true],
    ]);
    const usage = (events[events.length - 2] as StreamEvent).usage;
    expect(usage.completion_tokens).toBe(g.provider_responses.reduce((n, a) => n + a.billed!.completion_tokens, 0));
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('continues a stream that ended cleanly before its finish reason, rather than presenting it as complete', async () => {
    const { events } = await rawStream(f, { model: 'fo/ends-early' });
    expect(contentOf(events)).toBe(STORY);
  });

  it('continues after a server error event mid-stream, but not after a 4xx one (that is about the request)', async () => {
    const served = await rawStream(f, { model: 'fo/error-503' });
    expect(contentOf(served.events)).toBe(STORY);
    const g = await generationOf(f, served.gen);
    expect(g.provider_responses[0].error).toMatch(/error event \(503\): story error 503/);
    const before = f.seenBy('prefix').length;
    const refused = await rawStream(f, { model: 'fo/error-400' });
    expect(contentOf(refused.events)).toBe(upTo(30));
    expect((refused.events[refused.events.length - 2] as StreamEvent).error).toMatchObject({
      code: 400,
      message: 'story error 400',
    });
    expect(f.seenBy('prefix')).toHaveLength(before);
  });

  it('with no capable fallback, ends with an error chunk naming the cut, never a finish_reason stop', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-only' });
    expect(contentOf(events)).toBe(upTo(40));
    const finishes = events
      .filter((e) => typeof e !== 'string' && e.choices?.[0]?.finish_reason)
      .map((e) => (e as StreamEvent).choices[0].finish_reason);
    expect(finishes).toEqual(['error']);
    const last = events[events.length - 2] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(last.error.message).toMatch(/the provider's stream was cut/i);
    expect(last.error.message).not.toMatch(/could not reach/);
    expect(last.usage.completion_tokens).toBeGreaterThanOrEqual(40);
    const g = await generationOf(f, gen);
    expect(g.provider_responses).toEqual([
      expect.objectContaining({ status: 200, error: expect.stringMatching(/the provider's stream was cut/i) }),
    ]);
    expect(g.error?.message).toMatch(/the provider's stream was cut/i);
    expect(g.finish_reason).toBe('error');

    // The openai client sees an error, not a complete answer.
    const stream = await f.client.chat.completions.create({ model: 'fo/cut-only', ...ask, stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
    ).rejects.toThrow(APIError);
    expect(text).toBe(upTo(40));
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('does not continue when the request says provider.allow_continuation: false', async () => {
    const before = f.seenBy('prefix').length;
    const { events } = await rawStream(f, { model: 'fo/cut', provider: { allow_continuation: false } });
    expect(contentOf(events)).toBe(upTo(40));
    expect((events[events.length - 2] as StreamEvent).error.message).toMatch(/stream was cut/);
    expect(f.seenBy('prefix')).toHaveLength(before);
  });

  it('does not continue a reasoning stream (a prefill would drop its reasoning): it ends cleanly with the error', async () => {
    const before = f.seenBy('prefix').length;
    const { events } = await rawStream(f, { model: 'fo/cut', reasoning: { effort: 'low' } });
    expect(contentOf(events)).toBe(upTo(40));
    expect((events[events.length - 2] as StreamEvent).choices[0].finish_reason).toBe('error');
    expect(f.seenBy('prefix')).toHaveLength(before);
    expect(await ledgerProblems(f)).toEqual([]);
  });
});

describe('failover: STREAM_CONTINUATION=false', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture({ STREAM_CONTINUATION: 'false' });
  });

  afterAll(async () => {
    await f?.close();
  });

  it('ends a cut stream with the error chunk by default; a request may still ask for the continuation', async () => {
    const off = await rawStream(f, { model: 'fo/cut' });
    expect(contentOf(off.events)).toBe(upTo(40));
    expect((off.events[off.events.length - 2] as StreamEvent).error.message).toMatch(/stream was cut/);
    expect(f.seenBy('prefix')).toHaveLength(0);
    const on = await rawStream(f, { model: 'fo/cut', provider: { allow_continuation: true } });
    expect(contentOf(on.events)).toBe(STORY);
    expect(await ledgerProblems(f)).toEqual([]);
  });
});
