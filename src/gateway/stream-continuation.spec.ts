import type { ChunkDelta } from '../providers/types';
import { AnswerSoFar, Seam, withPrefill } from './stream-continuation';

const text = (content: string): ChunkDelta => ({ delta: { content } });

describe('Seam', () => {
  const relay = (overlap: string, deltas: ChunkDelta[]) => {
    const seam = new Seam(overlap);
    return deltas.map((d) => seam.pass(d)).filter((d): d is ChunkDelta => d !== null);
  };

  it('drops the whitespace the client already has when the continuation produces it again, across deltas', () => {
    const out = relay(' \n', [{ delta: { role: 'assistant', content: '' } }, text(' '), text('\nnext'), text(' word')]);
    expect(out.map((d) => d.delta.content).join('')).toBe('next word');
    expect(out.some((d) => d.delta.role)).toBe(false);
  });

  it('keeps everything when the continuation does not repeat it', () => {
    expect(relay(' ', [text('next'), text(' ')]).map((d) => d.delta.content)).toEqual(['next', ' ']);
    expect(relay('\n\n', [text('\nnext')]).map((d) => d.delta.content)).toEqual(['next']);
  });

  it('keeps a finish reason that comes with nothing else', () => {
    expect(relay(' ', [{ delta: { content: ' ' }, finishReason: 'stop' }])).toEqual([{ delta: {}, finishReason: 'stop' }]);
  });
});

describe('withPrefill', () => {
  it('adds the answer so far as a trailing assistant message marked prefix: true', () => {
    expect(withPrefill([{ role: 'user', content: 'Hi' }], 'Hello')).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello', prefix: true },
    ]);
  });

  it("extends the client's own prefill rather than adding a second assistant message", () => {
    expect(
      withPrefill(
        [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Dear' },
        ],
        ' friend',
      ),
    ).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Dear friend', prefix: true },
    ]);
  });
});

describe('AnswerSoFar', () => {
  it('keeps the text sent and notes what a prefill cannot carry', () => {
    const a = new AnswerSoFar();
    a.add(text('one '));
    a.add(text('two'));
    expect(a).toMatchObject({ content: 'one two', unprefillable: false });
    a.add({ delta: { tool_calls: [{ index: 0, function: { arguments: '{' } }] } });
    expect(a.unprefillable).toBe(true);
  });
});
