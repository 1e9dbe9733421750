import { toChatBody } from './messages-request';

describe('toChatBody (Messages request -> chat request)', () => {
  it('system blocks, user text and images, routing extras, samplers, stop sequences, metadata.user_id and cache_control', () => {
    const body = toChatBody({
      model: 'anthropic/claude',
      models: ['openai/gpt'],
      provider: { sort: 'price' },
      max_tokens: 500,
      stream: true,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      cache_control: { type: 'ephemeral' },
      system: [
        { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: 'Be kind.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(body).toEqual({
      model: 'anthropic/claude',
      models: ['openai/gpt'],
      provider: { sort: 'price' },
      max_tokens: 500,
      stream: true,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop: ['END'],
      user: 'u-1',
      cache_control: { type: 'ephemeral' },
      messages: [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
            { type: 'text', text: 'Be kind.' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
  });

  it('plain text blocks become one string; a string system prompt stays one', () => {
    const body = toChatBody({
      max_tokens: 10,
      system: 'Sys',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Sys' },
      { role: 'user', content: 'a\nb' },
    ]);
  });

  it('tool_use becomes tool calls; tool_result a tool message before the rest of its turn; an error result says so', () => {
    const body = toChatBody({
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 't2', name: 'weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here:' },
            { type: 'tool_result', tool_use_id: 't1', content: 'Sunny' },
            { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'No such city' }], is_error: true },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 't1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 't2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 't1', content: 'Sunny' },
      { role: 'tool', tool_call_id: 't2', content: 'Error: No such city' },
      { role: 'user', content: 'Here:' },
    ]);
  });

  it('signed and redacted thinking go back as reasoning details; unsigned thinking is dropped', () => {
    const body = toChatBody({
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'enc' },
            { type: 'thinking', thinking: 'from elsewhere', signature: '' },
            { type: 'tool_use', id: 't1', name: 'f', input: {} },
          ],
        },
      ],
    });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      reasoning_details: [
        { type: 'reasoning.text', text: 'hmm', signature: 'sig', format: 'anthropic-claude-v1', index: 0 },
        { type: 'reasoning.encrypted', data: 'enc', format: 'anthropic-claude-v1', index: 1 },
      ],
    });
  });

  it('a PDF document becomes a file part, a text document its text', () => {
    const body = toChatBody({
      max_tokens: 10,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBE' } },
      { type: 'text', text: 'plain words' },
    ]);
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
    [
      { type: 'tool', name: 'f' },
      { type: 'function', function: { name: 'f' } },
    ],
  ] as const)('tool_choice %j -> %j', (choice, expected) => {
    const body = toChatBody({
      max_tokens: 10,
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: choice,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(body.tool_choice).toEqual(expected);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }]);
    expect(body.parallel_tool_calls).toBeUndefined();
  });

  it('disable_parallel_tool_use turns parallel tool calls off', () => {
    const body = toChatBody({
      max_tokens: 10,
      tools: [{ name: 'f', input_schema: {} }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(body.parallel_tool_calls).toBe(false);
  });

  it.each([
    [{ type: 'enabled', budget_tokens: 1024 }, 8000, { max_tokens: 1024, effort: 'low' }],
    [{ type: 'enabled', budget_tokens: 4000 }, 8000, { max_tokens: 4000, effort: 'medium' }],
    [{ type: 'enabled', budget_tokens: 7000 }, 8000, { max_tokens: 7000, effort: 'high' }],
    [{ type: 'disabled' }, 8000, { enabled: false }],
    [{ type: 'adaptive' }, 8000, { enabled: true }],
  ] as const)('thinking %j with max_tokens %d -> reasoning %j', (thinking, maxTokens, reasoning) => {
    expect(toChatBody({ max_tokens: maxTokens, thinking, messages: [{ role: 'user', content: 'x' }] }).reasoning).toEqual(reasoning);
  });
});
