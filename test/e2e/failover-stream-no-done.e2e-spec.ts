import {
  contentOf,
  StreamFailoverFixture,
  generationOf,
  ledgerProblems,
  rawStream,
  startStreamFailoverFixture,
} from '../support/stream-failover-fixture';
import { STORY, STORY_TOKENS } from '../support/fake-upstreams/story';

jest.setTimeout(120_000);

/** Issue 18, behaviour 11: a stream that ends without [DONE] after its finish reason and usage is a normal end. */
describe('failover: a stream ending without [DONE] after its finish reason and usage', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture();
  });

  afterAll(async () => {
    await f?.close();
  });

  it('is relayed as a complete answer, billed on the provider usage, with no fallback tried', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/no-done' });
    expect(contentOf(events)).toBe(STORY);
    expect(events[events.length - 1]).toBe('[DONE]');
    const usage = (events[events.length - 2] as Record<string, any>).usage; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(usage).toMatchObject({ completion_tokens: STORY_TOKENS.length, prompt_tokens: Math.ceil('Tell the story.'.length / 4) });
    expect(events.some((e) => typeof e !== 'string' && e.error)).toBe(false);
    expect(f.seenBy('prefix')).toHaveLength(0);
    const g = await generationOf(f, gen);
    expect(g.provider_responses).toEqual([expect.objectContaining({ provider_name: 'Prime', status: 200, error: null })]);
    expect(g).toMatchObject({ finish_reason: 'stop', error: null, usage_estimated: false, tokens_completion: STORY_TOKENS.length });
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('while one ending without a finish reason is not presented as complete (it continues, or ends with an error)', async () => {
    const { events } = await rawStream(f, { model: 'fo/ends-early', provider: { allow_continuation: false } });
    expect(contentOf(events)).toBe(STORY_TOKENS.slice(0, 40).join(''));
    const finishes = events
      .filter((e) => typeof e !== 'string' && e.choices?.[0]?.finish_reason)
      .map((e) => (e as Record<string, any>).choices[0].finish_reason); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(finishes).toEqual(['error']);
  });
});
