import { SUPPORTED_PARAMETERS } from '../catalog/catalog-file';
import { forEndpoint, requestParams } from './request-params';

describe('forEndpoint', () => {
  const req = {
    messages: [],
    temperature: 0.5,
    top_k: 5,
    min_p: 0.1,
    top_a: 0.2,
    repetition_penalty: 1.1,
    tools: [],
    reasoning: { effort: 'low' },
    verbosity: 'low',
  };

  it('drops the sampling parameters the endpoint does not list and keeps the rest', () => {
    expect(forEndpoint(req, ['temperature', 'top_k', 'max_tokens', 'reasoning'])).toEqual({
      messages: [],
      temperature: 0.5,
      top_k: 5,
      tools: [],
      reasoning: { effort: 'low' },
      verbosity: 'low',
    });
  });

  it('drops only sampling parameters and reasoning: tools, response_format and the like always pass', () => {
    const everything = Object.fromEntries(SUPPORTED_PARAMETERS.map((p) => [p, 1]));
    expect(Object.keys(forEndpoint(everything, ['max_tokens'])).sort()).toEqual([
      'max_completion_tokens',
      'max_tokens',
      'parallel_tool_calls',
      'prediction',
      'response_format',
      'structured_outputs',
      'tool_choice',
      'tools',
      'verbosity',
      'web_search_options',
    ]);
  });

  it('drops every reasoning control for an endpoint that lists none of them', () => {
    const asked = { messages: [], reasoning: { effort: 'low', exclude: true }, reasoning_effort: 'high', include_reasoning: false };
    expect(forEndpoint(asked, ['temperature', 'max_tokens'])).toEqual({ messages: [] });
  });

  it.each([['reasoning'], ['include_reasoning'], ['reasoning_effort']])(
    'keeps every reasoning control for an endpoint listing %s',
    (listed) => {
      const asked = { messages: [], reasoning: { effort: 'low', exclude: true }, reasoning_effort: 'high', include_reasoning: false };
      expect(forEndpoint(asked, ['max_tokens', listed])).toEqual(asked);
    },
  );

  it('keeps everything when the catalog lists no parameters for the endpoint', () => {
    expect(forEndpoint(req, [])).toBe(req);
  });

  it('leaves the request itself as it was, for the next endpoint', () => {
    forEndpoint(req, ['max_tokens']);
    expect(req).toHaveProperty('top_k', 5);
  });
});

describe('requestParams', () => {
  it('names the fields sent, json_schema as structured_outputs too', () => {
    const body = {
      messages: [],
      temperature: 0,
      seed: null,
      tools: [{ type: 'function' }],
      response_format: { type: 'json_schema', json_schema: {} },
    };
    expect(requestParams(body)).toEqual(['temperature', 'response_format', 'tools', 'structured_outputs']);
  });

  it('leaves out fields that ask nothing of an endpoint: an empty tool list, the text format', () => {
    expect(requestParams({ messages: [], tools: [], response_format: { type: 'text' } })).toEqual([]);
    expect(requestParams({ messages: [], response_format: { type: 'json_object' } })).toEqual(['response_format']);
  });
});
