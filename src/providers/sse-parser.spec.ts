import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('parses events split at any byte boundary', () => {
    const text = 'event: message_start\ndata: {"a":1}\n\n: keep-alive\n\ndata: {"b":\ndata: 2}\r\n\r\ndata: [DONE]\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      expect(events).toEqual([
        { event: 'message_start', data: '{"a":1}' },
        { event: null, data: '{"b":\n2}' },
        { event: null, data: '[DONE]' },
      ]);
    }
  });

  it('delivers a last event without its blank line at the end', () => {
    const p = new SseParser();
    expect(p.push('data: x')).toEqual([]);
    expect(p.end()).toEqual([{ event: null, data: 'x' }]);
  });
});
