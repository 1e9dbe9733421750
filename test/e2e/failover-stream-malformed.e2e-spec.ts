import {
  StreamFailoverFixture,
  generationOf,
  IN_ORDER,
  ledgerProblems,
  startStreamFailoverFixture,
} from '../support/stream-failover-fixture';
import { STORY } from '../support/fake-upstreams/story';
import { MetricsService } from '../../src/common/metrics/metrics.service';

jest.setTimeout(120_000);

async function malformedCount(f: StreamFailoverFixture): Promise<number> {
  const metric = await f.t.get(MetricsService).streamMalformed.get();
  return metric.values.filter((v) => v.labels.provider === 'prime').reduce((n, v) => n + v.value, 0);
}

/** Issue 18, behaviour 10: one malformed chunk mid-stream is skipped, logged and counted; the stream goes on. */
describe('failover: a malformed chunk mid-stream', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture();
  });

  afterAll(async () => {
    await f?.close();
  });

  it('skips it and keeps relaying the same answer to its normal end, through the openai client', async () => {
    const before = await malformedCount(f);
    const stream = await f.client.chat.completions.create({
      model: 'fo/malformed',
      messages: [{ role: 'user', content: 'Tell the story.' }],
      stream: true,
      ...({ provider: IN_ORDER } as object),
    });
    let text = '';
    let finish: string | null = null;
    let id = '';
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(STORY);
    expect(text).not.toContain('lost');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(60);
    expect(await malformedCount(f)).toBe(before + 1);
    // No fallback was needed: one attempt, no error.
    expect(f.seenBy('prefix')).toHaveLength(0);
    const g = await generationOf(f, id);
    expect(g.provider_responses).toEqual([expect.objectContaining({ provider_name: 'Prime', status: 200, error: null })]);
    expect(g).toMatchObject({ finish_reason: 'stop', error: null, usage_estimated: false });
    expect(await ledgerProblems(f)).toEqual([]);
  });
});
