import { PasswordHasher } from './password-hasher';

describe('PasswordHasher under load', () => {
  it('verifies a password ahead of a queue of new-password hashes', async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash('the right password');
    const order: string[] = [];
    const hashes = Array.from({ length: 10 }, (_, i) => hasher.hash(`new password ${i}`).then(() => void order.push(`hash ${i}`)));
    const verified = hasher.verify('the right password', stored).then((ok) => void order.push(`verify ${ok}`));
    await Promise.all([...hashes, verified]);
    // At most the hashes already running (two) and the one that took the other slot finish first;
    // without priority it waits for nearly all ten.
    expect(order.indexOf('verify true')).toBeLessThanOrEqual(3);
  }, 60_000);

  it('refuses work beyond its queue with a 503 instead of queueing without bound', async () => {
    const hasher = new PasswordHasher();
    const jobs = Array.from({ length: PasswordHasher.CONCURRENCY + PasswordHasher.MAX_WAITING + 3 }, (_, i) =>
      hasher.hash(`p${i}`).then(
        () => 'ok',
        (err: { status?: number; headers?: Record<string, string> }) => `${err.status} ${err.headers?.['retry-after']}`,
      ),
    );
    const results = await Promise.all(jobs);
    expect(results.filter((r) => r === 'ok')).toHaveLength(PasswordHasher.CONCURRENCY + PasswordHasher.MAX_WAITING);
    expect(results.filter((r) => r !== 'ok')).toEqual(['503 1', '503 1', '503 1']);
  }, 120_000);
});
