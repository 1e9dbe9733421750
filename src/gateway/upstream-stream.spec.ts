import { PassThrough } from 'node:stream';
import { OpenAiAdapter } from '../providers/openai/openai.adapter';
import type { UpstreamResponse } from '../providers/upstream-client';
import { MAX_MALFORMED_EVENTS, StreamCorrupted, StreamStalled, UpstreamStream } from './upstream-stream';

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

function streamOf(): { body: PassThrough; stream: UpstreamStream } {
  const body = new PassThrough();
  const stream = new UpstreamStream(body as unknown as UpstreamResponse['body'], new OpenAiAdapter().streamTranslator(), () => undefined);
  return { body, stream };
}

describe('UpstreamStream', () => {
  it('skips a malformed event and counts it, keeping the deltas around it', async () => {
    const { body, stream } = streamOf();
    body.write(chunk('one') + 'data: {"choices":[{"delta":{"content":"lo\n\n' + chunk('two'));
    const deltas = await stream.next();
    expect(deltas.map((d) => d.delta.content)).toEqual(['one', 'two']);
    expect(stream.malformed).toBe(1);
    expect(stream.lastMalformed).toContain('"lo');
  });

  it(`fails as corrupted beyond ${MAX_MALFORMED_EVENTS} malformed events`, async () => {
    const { body, stream } = streamOf();
    body.write('data: nope\n\n'.repeat(MAX_MALFORMED_EVENTS + 1));
    await expect(stream.next()).rejects.toBeInstanceOf(StreamCorrupted);
  });

  it('ends a stream silent for longer than the idle limit, as stalled', async () => {
    const { body, stream } = streamOf();
    await expect(stream.next(50)).rejects.toBeInstanceOf(StreamStalled);
    expect(stream.stalled).toBe(true);
    expect(body.destroyed).toBe(true);
  });
});
