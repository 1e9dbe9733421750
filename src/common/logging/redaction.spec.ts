import { QueryFailedError } from 'typeorm';
import { AppLogger, createRootLogger } from './app-logger';
import { pathOnly, scrubSecrets } from './redaction';

const HASH = 'scrypt$15$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5';
const KEY = `sk-sy-v1-${'ab'.repeat(32)}`;
const SHA = 'cd'.repeat(32);

function capture(): { logger: AppLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new AppLogger(createRootLogger('debug', { write: (l: string) => void lines.push(l) })), lines };
}

describe('log redaction', () => {
  it("drops a failed query's parameters and scrubs secret shapes from every line", () => {
    const { logger, lines } = capture();
    const err = new QueryFailedError(
      'INSERT INTO users VALUES ($1, $2)',
      ['someone@example.com', HASH],
      Object.assign(new Error('value too long'), { code: '22001' }),
    );
    logger.error({ err, url: `/auth/oidc/callback?code=abc123&state=s1` }, 'request failed');
    logger.info({ note: `key ${KEY} hash ${SHA} stripe sk_live_abcdef123456 whsec_abcdef123456` }, `login ${HASH}`);
    logger.warn({ nested: { password: 'hunter2hunter2', token: 'tok', passwordHash: HASH } }, 'fields');
    const text = lines.join('\n');
    for (const secret of [HASH, 'scrypt$', KEY, SHA, 'sk_live_abcdef', 'whsec_abcdef', 'code=abc123', 'state=s1', 'hunter2', '"tok"']) {
      expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    }
    expect(text).toContain('value too long');
    expect(text).toContain('22001');
    expect(lines).toHaveLength(3);
  });

  it('keeps ordinary text as it is', () => {
    const line = '{"msg":"request completed","url":"/api/v1/generation","reqId":"3f2a","gen":"gen-abc"}';
    expect(scrubSecrets(line)).toBe(line);
    expect(pathOnly('/a/b?code=x')).toBe('/a/b');
    expect(pathOnly('/a/b')).toBe('/a/b');
  });
});
