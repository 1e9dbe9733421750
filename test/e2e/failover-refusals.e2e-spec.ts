import { FAULTS } from '../support/fake-upstreams/faults';
import { FailoverFixture, startFailoverFixture } from '../support/failover-fixture';

/**
 * Issue 18, behaviours 12 and 13: a provider's 400 that no retry on the same model changes. A prompt
 * too long for the model goes to a model with a larger context when the request lists one; a
 * content filter's refusal is the answer. Both reach the client typed, in the OpenRouter envelope.
 */
describe('failover: provider refusals', () => {
  let f: FailoverFixture;
  beforeAll(async () => {
    f = await startFailoverFixture({ groups: ['r12', 'r12b', 'r12c', 'r13', 'r13b'] });
  });
  afterAll(() => f?.close());
  beforeEach(() => {
    f.prime.reset();
    f.second.reset();
  });

  describe('behaviour 12: 400 context_length_exceeded', () => {
    it('is not retried on the same model; a listed model with a larger context serves', async () => {
      f.prime.always = FAULTS.contextLengthExceeded();
      const res = await f.chat({ model: 'r12/small', models: ['r12/small-too', 'r12/large'] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model: 'r12/large', provider: 'Second' });
      expect(f.prime.hits).toHaveLength(1);
      // r12/small-too has no more context than r12/small: not tried.
      expect(f.second.hits.map((h) => h.model)).toEqual(['r12-large']);
    });

    it("with no larger model allowed, answers the provider's reason as a typed error (not only in raw)", async () => {
      f.prime.always = FAULTS.contextLengthExceeded();
      const res = await f.chat({ model: 'r12b/dual' });
      expect(res.status).toBe(400);
      expect(res.body.error!.message).toContain('maximum context length is 2000 tokens');
      expect(res.body.error!.metadata).toMatchObject({
        error_type: 'context_length_exceeded',
        provider_code: 'context_length_exceeded',
        provider_name: 'Prime',
      });
      // The same model at another provider has the same context: not tried.
      expect(f.prime.hits).toHaveLength(1);
      expect(f.second.hits).toHaveLength(0);

      const same = await f.chat({ model: 'r12c/small', models: ['r12c/small-too'] });
      expect(same.status).toBe(400);
      expect(same.body.error!.metadata.error_type).toBe('context_length_exceeded');
      expect(f.second.hits).toHaveLength(0);
    });

    it('a stream gets the same typed error before it starts', async () => {
      f.prime.always = FAULTS.contextLengthExceeded();
      const res = await f.stream({ model: 'r12b/dual' });
      expect(res.status).toBe(400);
      expect(res.body!.error!.metadata.error_type).toBe('context_length_exceeded');
    });
  });

  describe('behaviour 13: 400 content-filter rejection', () => {
    it('is neither retried nor routed around; the reason is a typed error', async () => {
      f.prime.always = FAULTS.contentFilter();
      const res = await f.chat({ model: 'r13/dual', models: ['r13/backup'] });
      expect(res.status).toBe(400);
      expect(res.body.error!.message).toContain('content management policy');
      expect(res.body.error!.metadata).toMatchObject({
        error_type: 'content_policy_violation',
        provider_code: 'content_filter',
        provider_name: 'Prime',
      });
      expect(f.prime.hits).toHaveLength(1);
      expect(f.second.hits).toHaveLength(0);

      const streamed = await f.stream({ model: 'r13/dual', models: ['r13/backup'] });
      expect(streamed.status).toBe(400);
      expect(streamed.body!.error!.metadata.error_type).toBe('content_policy_violation');
      expect(f.second.hits).toHaveLength(0);
    });

    it('does not count against the endpoint: the next request is served by it', async () => {
      f.prime.next(FAULTS.contentFilter());
      expect((await f.chat({ model: 'r13b/dual' })).status).toBe(400);
      const res = await f.chat({ model: 'r13b/dual' });
      expect(res.status).toBe(200);
      expect(res.body.provider).toBe('Prime');
    });
  });

  it('left the ledger sound', async () => {
    expect(await f.ledgerProblems()).toEqual([]);
  });
});
