import { OpenAiAdapter } from './openai.adapter';

describe('OpenAiAdapter.chatRequest', () => {
  const target = { baseUrl: 'http://upstream/v1', apiKey: 'k', model: 'm' };

  it("leaves out Anthropic's thinking signatures an assistant message carries back, and keeps other reasoning details", () => {
    const spec = new OpenAiAdapter().chatRequest(
      {
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: 'a',
            reasoning_details: [{ type: 'reasoning.text', text: 't', signature: 's', format: 'anthropic-claude-v1' }],
          },
          {
            role: 'assistant',
            content: 'b',
            reasoning_details: [
              { type: 'reasoning.encrypted', data: 'd', format: 'anthropic-claude-v1' },
              { type: 'reasoning.encrypted', data: 'e', format: 'openai-responses-v1' },
            ],
          },
        ],
      },
      target,
      false,
    );
    expect(JSON.parse(spec.body).messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'a' },
      { role: 'assistant', content: 'b', reasoning_details: [{ type: 'reasoning.encrypted', data: 'e', format: 'openai-responses-v1' }] },
    ]);
  });
});
