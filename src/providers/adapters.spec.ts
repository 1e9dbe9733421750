import { costOf } from '../catalog/pricing';
import { Adapters } from './adapters';
import type { SseEvent } from './types';

const pricing = {
  prompt: 3_000_000n,
  completion: 15_000_000n,
  request: 0n,
  image: 0n,
  cacheRead: 300_000n,
  cacheWrite: 3_750_000n,
  cacheWrite1h: null,
  tiers: [],
  serviceTiers: {},
};
const ev = (data: Record<string, unknown>): SseEvent => ({ event: String(data.type), data: JSON.stringify(data) });

describe('Adapters: usage leaves every adapter billable', () => {
  const adapters = new Adapters();

  it('an Anthropic response with fractional and negative counts yields integer usage that prices', () => {
    const r = adapters.for('anthropic').parseChatResponse({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12.5, output_tokens: 6.7, cache_read_input_tokens: -3, cache_creation_input_tokens: 2.2 },
    });
    // input 12.5 + cached -3 + written 2.2 = 11.7 prompt tokens as the adapter adds them up.
    expect(r.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 6,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 2 },
    });
    expect(() => costOf(r.usage!, pricing)).not.toThrow();
  });

  it('an Anthropic stream with a fractional output count yields integer usage', () => {
    const t = adapters.for('anthropic').streamTranslator();
    t.push(
      ev({
        type: 'message_start',
        message: { id: 'm', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 10, output_tokens: 1 } },
      }),
    );
    t.push(ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15.9 } }));
    t.push(ev({ type: 'message_stop' }));
    expect(t.done()).toBe(true);
    expect(t.usage()).toEqual({
      prompt_tokens: 10,
      completion_tokens: 15,
      total_tokens: 25,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    });
    expect(() => costOf(t.usage()!, pricing)).not.toThrow();
  });

  it('usage that is already clean passes unchanged, and optional methods stay as each adapter has them', () => {
    const r = adapters.for('openai').parseChatResponse({
      choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(r.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } });
    expect(adapters.for('anthropic').embeddingsRequest).toBeUndefined();
    expect(adapters.for('openai').embeddingsRequest).toBeDefined();
    expect(adapters.for('openai').streamTranslator().serviceTier).toBeDefined();
  });

  it("every stream translator keeps its own optional methods (usageFinal: whether the usage read is the provider's bill)", () => {
    for (const kind of ['anthropic', 'gemini'] as const) {
      const t = adapters.for(kind).streamTranslator();
      expect(typeof t.usageFinal).toBe('function');
      expect(t.usageFinal!()).toBe(false);
    }
  });
});
