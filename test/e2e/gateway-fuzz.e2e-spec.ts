import fc from 'fast-check';
import { createKey, signUp } from '../support/factories';
import { Browser, hiddenFields } from '../support/oauth-browser';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';
import { testRedisPrefix } from '../support/test-env';

/** Bodies that look like chat requests, with any field replaced by anything. */
const field = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, [], {}, '', -1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, '\u0000', '\ud800'),
);
const message = fc.oneof(
  fc.record(
    {
      role: fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer', 'robot'),
      content: fc.oneof(fc.string({ maxLength: 200 }), field),
    },
    { requiredKeys: [] },
  ),
  field,
);
const chatBody = fc.record(
  {
    model: fc.oneof(
      fc.constantFrom('test/chat', 'test/a-only', 'test/claude', 'test/gemini', 'test/chat:free', 'x', '', 'test/chat:nitro'),
      field,
    ),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), field),
    stream: fc.oneof(fc.boolean(), field),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 100 }), field),
    temperature: field,
    tools: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('function', 'x'), function: field }), { maxLength: 2 }), field),
    tool_choice: field,
    response_format: field,
    provider: fc.oneof(
      fc.record({ order: field, sort: field, only: field, max_price: field, allow_fallbacks: field }, { requiredKeys: [] }),
      field,
    ),
    models: field,
    stop: field,
    n: field,
  },
  { requiredKeys: [] },
);
/** A valid request with one field set to anything: reaches routing and the upstream often. */
const validish = fc
  .tuple(
    fc.constantFrom('test/chat', 'test/a-only', 'test/claude', 'test/gemini'),
    fc.constantFrom(
      'temperature',
      'top_p',
      'stop',
      'seed',
      'max_tokens',
      'tools',
      'tool_choice',
      'response_format',
      'provider',
      'user',
      'n',
      'session_id',
      'surprise',
    ),
    field,
    fc.boolean(),
  )
  .map(([model, key, value, stream]) =>
    JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20, stream, [key]: value }),
  );
const rawBody = fc.oneof(
  validish,
  chatBody.map((b) => JSON.stringify(b)),
  fc.string({ maxLength: 500 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 60 }).map((d) => '['.repeat(d * 100) + ']'.repeat(d * 100)),
  fc.integer({ min: 1, max: 30 }).map((n) => `{"model":"test/chat","messages":[{"role":"user","content":"${'x'.repeat(n * 1000)}"}]`),
  chatBody.map((b) => JSON.stringify(b).replace(/"/, '')),
);

describe('fuzzed request bodies', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    // Redis keys of its own: its hundreds of sign-in attempts from 127.0.0.1 must not use up the
    // per-address sign-in limit that other suites' apps share.
    f = await startGatewayFixture({
      env: {
        UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '5000',
        UPSTREAM_NON_STREAMING_TIMEOUT_MS: '5000',
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:fuzz`,
      },
    });
  });
  afterAll(() => f.close());

  async function fire(
    path: string,
    bodies: string[],
    contentTypes: string[],
    auth: Record<string, string> = {},
    method = 'POST',
  ): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        const res = await fetch(`${f.t.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${f.key}`, ...auth, 'content-type': contentTypes[i % contentTypes.length] },
          body: bodies[i],
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${res.status} for ${path} body ${bodies[i].slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return statuses;
  }

  it('10,000 malformed chat bodies: no 5xx', async () => {
    const bodies = fc.sample(rawBody, { numRuns: 10_000, seed: 20261121 });
    const statuses = await fire('/api/v1/chat/completions', bodies, [
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ]);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(3000); // most are rejected as invalid
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0); // and some valid ones still get served
  }, 240_000);

  it('1,000 malformed bodies each for completions and embeddings: no 5xx', async () => {
    const completion = fc.record(
      {
        model: fc.oneof(fc.constant('test/chat'), fc.string()),
        prompt: fc.oneof(fc.string({ maxLength: 50 }), fc.jsonValue()),
        max_tokens: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const embedding = fc.record(
      {
        model: fc.oneof(fc.constant('test/embed'), fc.string()),
        input: fc.oneof(fc.string({ maxLength: 50 }), fc.array(fc.integer()), fc.jsonValue()),
        dimensions: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fire(
      '/api/v1/completions',
      fc.sample(
        completion.map((b) => JSON.stringify(b)),
        { numRuns: 1000, seed: 1 },
      ),
      ['application/json'],
    );
    await fire(
      '/api/v1/embeddings',
      fc.sample(
        embedding.map((b) => JSON.stringify(b)),
        { numRuns: 1000, seed: 2 },
      ),
      ['application/json'],
    );
  }, 120_000);

  it('2,000 malformed Responses API bodies: no 5xx', async () => {
    const part = fc.oneof(
      fc.record(
        {
          type: fc.constantFrom('input_text', 'output_text', 'input_image', 'input_file', 'refusal', 'x'),
          text: field,
          image_url: field,
          file_data: field,
          refusal: field,
        },
        { requiredKeys: ['type'] },
      ),
      field,
    );
    const item = fc.oneof(
      fc.record(
        {
          type: fc.constantFrom('message', 'function_call', 'function_call_output', 'reasoning', 'item_reference', 'x'),
          role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), field),
          content: fc.oneof(fc.string({ maxLength: 50 }), fc.array(part, { maxLength: 3 }), field),
          call_id: field,
          name: fc.oneof(fc.constant('f'), field),
          arguments: fc.oneof(fc.constant('{}'), field),
          output: fc.oneof(fc.string({ maxLength: 20 }), field),
          summary: field,
        },
        { requiredKeys: [] },
      ),
      field,
    );
    const body = fc.record(
      {
        model: fc.oneof(fc.constantFrom('test/a-only', 'test/claude', 'test/gemini', 'x'), field),
        input: fc.oneof(fc.string({ maxLength: 100 }), fc.array(item, { maxLength: 4 }), field),
        instructions: field,
        stream: fc.oneof(fc.boolean(), field),
        max_output_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), field),
        tools: fc.oneof(
          fc.array(
            fc.record(
              {
                type: fc.constantFrom('function', 'web_search_preview'),
                name: fc.oneof(fc.constant('f'), field),
                parameters: field,
                strict: field,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          field,
        ),
        tool_choice: field,
        text: fc.oneof(
          fc.record(
            {
              format: fc.oneof(
                fc.record(
                  { type: fc.constantFrom('text', 'json_object', 'json_schema', 'x'), name: field, schema: field },
                  { requiredKeys: [] },
                ),
                field,
              ),
              verbosity: field,
            },
            { requiredKeys: [] },
          ),
          field,
        ),
        reasoning: fc.oneof(fc.record({ effort: field, summary: field }, { requiredKeys: [] }), field),
        store: field,
        previous_response_id: field,
        provider: field,
        metadata: field,
      },
      { requiredKeys: [] },
    );
    const statuses = await fire(
      '/api/v1/responses',
      fc.sample(
        body.map((b) => JSON.stringify(b)),
        { numRuns: 2000, seed: 17 },
      ),
      ['application/json'],
    );
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(1000);
  }, 180_000);

  it('1,000 malformed Anthropic Messages bodies (x-api-key): no 5xx', async () => {
    const block = fc.oneof(
      fc.record(
        {
          type: fc.constantFrom(
            'text',
            'image',
            'document',
            'tool_use',
            'tool_result',
            'thinking',
            'redacted_thinking',
            'server_tool_use',
            'x',
          ),
          text: fc.oneof(fc.string({ maxLength: 40 }), field),
          source: fc.oneof(
            fc.record(
              {
                type: fc.constantFrom('base64', 'url', 'text'),
                media_type: fc.constantFrom('image/png', 'application/pdf', 'text/plain'),
                data: field,
                url: field,
              },
              { requiredKeys: [] },
            ),
            field,
          ),
          id: field,
          name: field,
          input: fc.oneof(fc.constant({}), field),
          tool_use_id: fc.oneof(fc.constant('t1'), field),
          content: field,
          is_error: field,
          thinking: field,
          signature: field,
          data: field,
          cache_control: fc.oneof(fc.constant({ type: 'ephemeral' }), field),
        },
        { requiredKeys: ['type'] },
      ),
      field,
    );
    const messagesBody = fc.record(
      {
        model: fc.oneof(fc.constantFrom('test/a-only', 'test/claude', 'test/gemini'), field),
        max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), field),
        messages: fc.oneof(
          fc.array(
            fc.record({
              role: fc.constantFrom('user', 'assistant', 'system'),
              content: fc.oneof(fc.string({ maxLength: 50 }), fc.array(block, { maxLength: 3 }), field),
            }),
            { maxLength: 3 },
          ),
          field,
        ),
        system: fc.oneof(fc.string({ maxLength: 50 }), fc.array(block, { maxLength: 2 }), field),
        tools: fc.oneof(
          fc.array(
            fc.record(
              { name: fc.oneof(fc.constant('f'), field), input_schema: fc.oneof(fc.constant({ type: 'object' }), field), type: field },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          field,
        ),
        tool_choice: fc.oneof(
          fc.record(
            { type: fc.constantFrom('auto', 'any', 'tool', 'none', 'x'), name: field, disable_parallel_tool_use: field },
            { requiredKeys: [] },
          ),
          field,
        ),
        thinking: fc.oneof(
          fc.record(
            {
              type: fc.constantFrom('enabled', 'disabled', 'adaptive', 'x'),
              budget_tokens: fc.oneof(fc.integer({ min: 0, max: 5000 }), field),
            },
            { requiredKeys: [] },
          ),
          field,
        ),
        stop_sequences: field,
        metadata: field,
        stream: fc.oneof(fc.boolean(), field),
        temperature: field,
        top_k: field,
      },
      { requiredKeys: [] },
    );
    const valid = (model: string, stream: boolean) =>
      JSON.stringify({ model, max_tokens: 20, stream, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    const bodies = [
      ...fc.sample(
        messagesBody.map((b) => JSON.stringify(b)),
        { numRuns: 1000, seed: 17 },
      ),
      valid('test/a-only', false),
      valid('test/claude', true),
    ];
    const statuses = await fire('/api/v1/messages', bodies, ['application/json'], { authorization: '', 'x-api-key': f.key });
    expect(statuses.get(400)).toBeGreaterThan(500); // most are rejected as invalid
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it('malformed OAuth requests, query strings and path segments: no 5xx', async () => {
    const user = await signUp(f.t, 'fuzz-oauth');
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        'a\u0000b',
        'x\ud800',
        '%',
        '%E0%A4%A',
        '../..',
        '',
        ' ',
        'S256',
        'plain',
        'code',
        'authorization_code',
        'https://a.example/cb',
        'http://localhost:3000/cb',
      ),
    );
    const params = fc.dictionary(
      fc.constantFrom(
        'callback_url',
        'code_challenge',
        'code_challenge_method',
        'state',
        'key_label',
        'limit',
        'client_id',
        'redirect_uri',
        'response_type',
        'scope',
        'grant_type',
        'code',
        'code_verifier',
        'token',
        'client_secret',
        'x',
      ),
      text,
      { maxKeys: 8 },
    );
    const samples = fc.sample(params, { numRuns: 300, seed: 19 });
    const statuses: number[] = [];
    const check = async (what: string, res: Response) => {
      await res.arrayBuffer();
      statuses.push(res.status);
      expect([what, res.status < 500]).toEqual([what, true]);
    };
    for (const [i, p] of samples.entries()) {
      const query = new URLSearchParams(p).toString();
      const cookie = i % 2 ? { cookie: user.cookie } : undefined;
      await check(`GET /auth?${query}`, await fetch(`${f.t.url}/auth?${query}`, { headers: cookie, redirect: 'manual' }));
      await check(
        `GET /oauth/authorize?${query}`,
        await fetch(`${f.t.url}/oauth/authorize?${query}`, { headers: cookie, redirect: 'manual' }),
      );
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      await check(`POST /oauth/token ${query}`, await fetch(`${f.t.url}/oauth/token`, { method: 'POST', headers: form, body: query }));
      await check(`POST /oauth/revoke ${query}`, await fetch(`${f.t.url}/oauth/revoke`, { method: 'POST', headers: form, body: query }));
      await check(
        `POST /api/v1/auth/keys ${JSON.stringify(p)}`,
        await fetch(`${f.t.url}/api/v1/auth/keys`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(p),
        }),
      );
      await check(`GET /api/v1/models?${query}`, await fetch(`${f.t.url}/api/v1/models?${query}`));
      await check(`GET /api/v1/keys?${query}`, await fetch(`${f.t.url}/api/v1/keys?${query}`, { headers: { cookie: user.cookie } }));
      await check(
        `GET /api/v1/generation?${query}`,
        await fetch(`${f.t.url}/api/v1/generation?${new URLSearchParams({ id: Object.values(p)[0] ?? '' })}`, {
          headers: { authorization: `Bearer ${f.key}` },
        }),
      );
      // Every byte percent-encoded (a lone surrogate becomes U+FFFD's bytes), or a malformed escape as is.
      const raw = ['%', '%E0%A4%A', '%00', '%C0%AF'];
      const segment =
        i % 5 === 0
          ? raw[(i / 5) % raw.length]
          : [...Buffer.from(Object.values(p)[0] ?? 'x')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') || 'x';
      await check(`GET /api/v1/models/${segment}/x/endpoints`, await fetch(`${f.t.url}/api/v1/models/${segment}/${segment}/endpoints`));
      await check(`GET /api/v1/keys/${segment}`, await fetch(`${f.t.url}/api/v1/keys/${segment}`, { headers: { cookie: user.cookie } }));
    }
    expect(statuses.filter((s) => s >= 400).length).toBeGreaterThan(1000); // mostly refused, as they should be
  }, 180_000);

  it('malformed sign-in and sign-up form posts, with a valid CSRF token: no 5xx', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.emailAddress(),
      fc.constantFrom('a\u0000b@example.com', 'x\ud800@example.com', '\udc00', 'nul\u0000', 'a long enough password', ''),
    );
    const forms = fc.sample(
      fc.record(
        { email: text, password: text, name: text, return_to: fc.oneof(text, fc.constantFrom('/', '//evil.example', '/credits')) },
        { requiredKeys: [] },
      ),
      { numRuns: 200, seed: 21 },
    );
    for (const page of ['/sign-in', '/sign-up']) {
      const browser = new Browser(f.t.url);
      const fields = hiddenFields(await (await browser.go(page)).text());
      for (const form of forms) {
        const res = await browser.go(page, { form: { ...fields, ...(form as Record<string, string>) } });
        await res.arrayBuffer();
        expect([page, JSON.stringify(form), res.status < 500]).toEqual([page, JSON.stringify(form), true]);
      }
    }
  }, 120_000);

  it('malformed bodies and queries on the account APIs (keys, caps, apps, users, history): no 5xx', async () => {
    const user = await signUp(f.t, 'fuzz-account');
    const session = { cookie: user.cookie, authorization: '' };
    const { hash } = await createKey(f.t, { cookie: user.cookie }, { name: 'fuzzed' });
    const management = await createKey(f.t, { cookie: user.cookie }, { name: 'fuzz management', management: true });
    const sample = (shape: Record<string, fc.Arbitrary<unknown>>, seed: number, numRuns = 300) =>
      fc.sample(
        fc.oneof(
          fc.record(shape, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
          fc.string({ maxLength: 100 }),
        ),
        { numRuns, seed },
      );
    const money = fc.oneof(field, fc.double({ min: -10, max: 1e7 }), fc.constantFrom('5', '1e400', 'NaN'));
    // Text with what Postgres text cannot hold (NUL) or JSON escapes oddly (a lone surrogate), often.
    const text = fc.oneof(
      field,
      fc.constantFrom('a\u0000b', 'x\ud800', 'a fine name'),
      fc.string({ maxLength: 30 }).map((x) => `${x}\u0000`),
    );
    const keyShape = {
      name: text,
      limit: money,
      limit_reset: fc.oneof(fc.constantFrom('daily', 'weekly', 'monthly', 'yearly'), field),
      disabled: field,
      include_byok_in_limit: field,
      expires_at: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        field,
      ),
      management: field,
    };
    await fire('/api/v1/keys', sample(keyShape, 11), ['application/json'], session);
    await fire('/api/v1/keys', sample(keyShape, 12, 100), ['application/json'], { authorization: `Bearer ${management.key}` });
    await fire(`/api/v1/keys/${hash}`, sample(keyShape, 13), ['application/json'], session, 'PATCH');
    await fire('/api/v1/limits', sample({ daily: money, weekly: money, monthly: money }, 14), ['application/json'], session, 'PATCH');
    await fire(
      '/api/v1/oauth/apps',
      sample(
        {
          name: text,
          homepage: text,
          redirect_uris: fc.oneof(fc.array(fc.oneof(fc.webUrl(), text), { maxLength: 3 }), field),
          client_type: field,
        },
        15,
      ),
      ['application/json'],
      session,
    );
    await fire(
      '/api/v1/users',
      sample({ email: fc.oneof(fc.emailAddress(), text), password: text, name: text }, 16, 150),
      ['application/json'],
      { authorization: '' },
    );
    await fire('/api/v1/sessions', sample({ email: fc.oneof(fc.emailAddress(), text), password: text }, 17, 150), ['application/json'], {
      authorization: '',
    });
    const query = fc.sample(
      fc.tuple(fc.oneof(fc.integer({ min: -5, max: 500 }).map(String), fc.string({ maxLength: 20 })), fc.string({ maxLength: 60 })),
      { numRuns: 150, seed: 18 },
    );
    for (const path of ['/api/v1/credits/ledger', '/api/v1/credits/topups']) {
      for (const [limit, before] of query) {
        const res = await fetch(`${f.t.url}${path}?${new URLSearchParams({ limit, before })}`, { headers: { cookie: user.cookie } });
        await res.arrayBuffer();
        expect([path, limit, before, res.status < 500]).toEqual([path, limit, before, true]);
      }
    }
  }, 180_000);
});
