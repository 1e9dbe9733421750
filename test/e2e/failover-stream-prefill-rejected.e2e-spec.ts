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

const upTo = (n: number) => STORY_TOKENS.slice(0, n).join('');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const errorChunk = (events: (Record<string, any> | string)[]) => events[events.length - 2] as Record<string, any>;

/** Issue 18, behaviour 14: a cut stream whose only fallback rejects an assistant prefill. */
describe('failover: a cut stream whose fallback rejects an assistant prefill', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture();
  });

  afterAll(async () => {
    await f?.close();
  });

  it('sends no prefill to an endpoint the catalog does not mark prefill: true, and ends with the real error', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-no-prefill' });
    expect(contentOf(events)).toBe(upTo(40));
    expect(errorChunk(events).choices[0].finish_reason).toBe('error');
    expect(errorChunk(events).error.message).toMatch(/the provider's stream was cut/i);
    expect(f.seenBy('rejects-prefill')).toHaveLength(0);
    const g = await generationOf(f, gen);
    expect(g.provider_responses).toHaveLength(1);
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('never masks the cut with the prefill 400 of an endpoint wrongly marked prefill: true', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/cut-lying-prefill' });
    expect(contentOf(events)).toBe(upTo(40));
    const chunk = errorChunk(events);
    expect(chunk.choices[0].finish_reason).toBe('error');
    expect(chunk.error.message).toMatch(/the provider's stream was cut/i);
    expect(chunk.error.message).not.toMatch(/prefill|400/i);
    expect(chunk.error.code).toBe(502);
    // The refusal is in the record, on the attempt it belongs to; the cut stays the request's error.
    const g = await generationOf(f, gen);
    expect(g.provider_responses).toEqual([
      expect.objectContaining({ provider_name: 'Prime', status: 200, error: expect.stringMatching(/stream was cut/) }),
      expect.objectContaining({ provider_name: 'Plain', status: 400, error: expect.stringMatching(/prefill is not supported/) }),
    ]);
    expect(g.provider_responses[1]).not.toHaveProperty('continued_at');
    expect(g.error?.message).toMatch(/stream was cut/);
    // Billed for what the cut endpoint produced; the refused call produced nothing.
    expect(chunk.usage.completion_tokens).toBeGreaterThanOrEqual(40);
    expect(await ledgerProblems(f)).toEqual([]);
  });

  it('restarts cleanly, without a prefill, when the stream failed before anything was sent', async () => {
    const { events, gen } = await rawStream(f, { model: 'fo/empty-first' });
    expect(contentOf(events)).toBe(STORY);
    const [restart] = f.seenBy('rejects-prefill');
    expect(restart.body.messages.map((m: { role: string }) => m.role)).toEqual(['user']);
    const g = await generationOf(f, gen);
    expect(g.provider_responses.map((a) => [a.provider_name, a.status])).toEqual([
      ['Prime', null],
      ['Plain', 200],
    ]);
    expect(g.finish_reason).toBe('stop');
  });
});
