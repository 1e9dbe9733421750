import { randomIdBytes } from './tokens';

describe('randomIdBytes', () => {
  it('gives base64url of the asked length, never twice the same, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = randomIdBytes(15);
      expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(50_000);
  });

  it('serves sizes that do not divide the pool, and sizes larger than it', () => {
    for (let i = 0; i < 1000; i++) expect(Buffer.from(randomIdBytes(7), 'base64url')).toHaveLength(7);
    expect(Buffer.from(randomIdBytes(5000), 'base64url')).toHaveLength(5000);
  });
});
