import net from 'node:net';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { call, createKey, signUp } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return true;
    await sleep(100);
  }
  return probe();
}

/** Opens a stream over a raw socket, reads its first bytes, then stops reading; resolves when the server closes it. */
function pausedStream(url: string, key: string, model: string): { head: Promise<string>; closed: Promise<number> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const started = Date.now();
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'flood me' }], stream: true });
  socket.write(
    `POST /api/v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nauthorization: Bearer ${key}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const head = new Promise<string>((resolve) =>
    socket.once('data', (d: Buffer) => {
      socket.pause();
      resolve(d.toString('latin1'));
    }),
  );
  socket.on('error', () => undefined);
  return { head, closed: new Promise((resolve) => socket.on('close', () => resolve(Date.now() - started))) };
}

describe('a streaming client that stops reading', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture({ env: { STREAM_WRITE_STALL_MS: '1000' } });
  });
  afterAll(() => f.close());

  async function freshUser(credits = 10) {
    const user = await signUp(f.t, 'slow');
    await f.t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
    const { key } = await createKey(f.t, { cookie: user.cookie }, { name: 'slow' });
    return { user, key };
  }

  it('a streaming client that stops reading is disconnected after the write-stall deadline; the upstream call ends and what was relayed is billed', async () => {
    const { user, key } = await freshUser();
    const seen = f.fakes.a.seen.length;
    const { head } = pausedStream(f.t.url, key, 'test/flood');
    const genId = /x-generation-id: (\S+)/i.exec(await head)![1];
    expect(await eventually(() => f.fakes.a.seen[seen]?.aborted === true, 10000)).toBe(true);
    // Ended as a client that left (the stall deadline closed its connection), not by any error.
    let record: Record<string, unknown> = {};
    await eventually(async () => {
      const r = await call<{ data: Record<string, unknown> }>(f.t, 'GET', `/api/v1/generation?id=${genId}`, { key });
      record = r.body?.data ?? {};
      return r.status === 200;
    }, 5000);
    expect(record).toMatchObject({ cancelled: true, streamed: true });
    expect(await eventually(async () => (await f.t.get(LedgerService).balances(user.id)).held === 0n, 3000)).toBe(true);
    const b = await f.t.get(LedgerService).balances(user.id);
    expect(b.available).toBeLessThan(usdToNanos(10));
  });
});

describe('streams that run too long, accounts that hold too many requests', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture({
      env: { STREAM_MAX_DURATION_MS: '1500', KEY_MAX_CONCURRENT_REQUESTS: '2', USER_MAX_CONCURRENT_REQUESTS: '3' },
    });
  });
  afterAll(() => f.close());

  async function freshUser(credits = 10) {
    const user = await signUp(f.t, 'slow');
    await f.t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
    const { key } = await createKey(f.t, { cookie: user.cookie }, { name: 'slow' });
    return { user, key };
  }

  it('a stream that runs past the maximum duration ends with an error chunk, the upstream call ends and what was relayed is billed', async () => {
    const { user, key } = await freshUser();
    const seen = f.fakes.a.seen.length;
    const started = Date.now();
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'test/pricey-long-slow', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const text = await res.text();
    expect(Date.now() - started).toBeLessThan(3500);
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)));
    const last = events[events.length - 1];
    expect(last.choices[0].finish_reason).toBe('error');
    expect(last.error.message).toMatch(/maximum duration/);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    expect(await eventually(() => f.fakes.a.seen[seen]?.aborted === true, 3000)).toBe(true);
    expect(await eventually(async () => (await f.t.get(LedgerService).balances(user.id)).held === 0n, 3000)).toBe(true);
    expect((await f.t.get(LedgerService).balances(user.id)).available).toBeLessThan(usdToNanos(10));
  });

  it('per-key and per-user concurrency limits answer 429 with Retry-After beyond them', async () => {
    const { user, key } = await freshUser();
    const { key: second } = await createKey(f.t, { cookie: user.cookie }, { name: 'second' });
    const send = async (k: string) => {
      const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` },
        body: JSON.stringify({ model: 'test/pricey-slow', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
      });
      const body = (await res.json()) as { error?: { metadata?: { limit_source?: string } } };
      return { status: res.status, retryAfter: res.headers.get('retry-after'), source: body.error?.metadata?.limit_source };
    };
    const perKey = await Promise.all([send(key), send(key), send(key)]);
    expect(perKey.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    const refused = perKey.find((r) => r.status === 429)!;
    expect(refused).toMatchObject({ retryAfter: '1', source: 'concurrent-requests-per-key' });

    const perUser = await Promise.all([send(key), send(key), send(second), send(second)]);
    expect(perUser.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    expect(perUser.find((r) => r.status === 429)).toMatchObject({ retryAfter: '1', source: 'concurrent-requests-per-user' });

    // Slots are given back: all pass once the others are done.
    expect((await Promise.all([send(key), send(second)])).map((r) => r.status)).toEqual([200, 200]);
  });
});
