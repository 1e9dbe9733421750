import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { HoldsService } from '../../src/credits/holds.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { KeysService } from '../../src/keys/keys.service';
import { call, createKey, signUp, SignedUpUser } from '../support/factories';
import { GatewayFixture, gatewayFixtureForSuite, startGatewayFixture } from '../support/gateway-fixture';
import { BUILD_TIMEOUT_MS, buildOnce, freePort, runEntrypoint, Spawned, waitForStatus } from '../support/processes';
import { testDatabaseUrl, testRedisPrefix } from '../support/test-env';
import { recordDirectHolds } from '../support/direct-holds';

/** The final status, and every status before it (the 503s that were retried), so a failure says what happened. */
type Reply = { status: number; history: number[] };

async function newUser(f: GatewayFixture, credits: number): Promise<{ user: SignedUpUser; key: string; keyHash: string }> {
  const user = await signUp(f.t, 'payer');
  if (credits > 0) await f.t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
  const k = await createKey(f.t, { cookie: user.cookie });
  return { user, key: k.key, keyHash: k.hash };
}

/**
 * One request able to cost up to $0.02: no prompt price, 1000 output tokens at $20 per million.
 * The default model's upstream reports all 1000 tokens used, so each admitted request costs its hold.
 */
const pricey = (model = 'test/pricey-full', stream = false) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 1000,
  stream,
});

/**
 * Sends n requests at once, spread over the gateways. A request answered 503 with Retry-After (the
 * database pool saturated: the burst waited longer than DATABASE_POOL_WAIT_MS) was not admitted and
 * is sent again after that delay, as a client honouring Retry-After does; any other answer is final.
 */
async function fireAll(urls: string[], key: string, n: number, body: Record<string, unknown>): Promise<Reply[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const history: number[] = [];
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${urls[i % urls.length]}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        history.push(res.status);
        const retryAfter = Number(res.headers.get('retry-after'));
        if (res.status !== 503 || !(retryAfter > 0) || attempt === 5) return { status: res.status, history };
        await new Promise((r) => setTimeout(r, retryAfter * 1000));
      }
    }),
  );
}

async function spent(f: GatewayFixture, userId: string): Promise<bigint> {
  const rows = await queryRows<{ s: string }>(
    f.t.get(LedgerService).dataSource,
    `SELECT COALESCE(SUM(actual), 0)::text AS s FROM credit_holds WHERE user_id = $1`,
    [userId],
  );
  return BigInt(rows[0].s);
}

async function settledAll(f: GatewayFixture, userId: string): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    const rows = await queryRows<{ n: string }>(
      f.t.get(LedgerService).dataSource,
      `SELECT count(*)::text AS n FROM credit_holds WHERE user_id = $1 AND status = 'open'`,
      [userId],
    );
    if (rows[0].n === '0') return;
    if (Date.now() > until) throw new Error(`${rows[0].n} holds still open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('request billing from the user balance', () => {
  let f: GatewayFixture;
  // Bursts of 100-200 requests on a 300 ms upstream: on a busy 2-core machine some wait longer than
  // the fixture's 1.5 s upstream timeouts. These tests are about caps and balances, not timeouts.
  const patientUpstream = { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '30000', UPSTREAM_NON_STREAMING_TIMEOUT_MS: '30000' };
  gatewayFixtureForSuite({ env: { DATABASE_POOL_MAX: '30', ...patientUpstream } }, (started) => (f = started));

  it('$1.00 and 200 concurrent requests of up to $0.02: spend <= $1, no negative balance, the rest 402 without reaching the upstream', async () => {
    const { user, key } = await newUser(f, 1);
    const seenBefore = f.fakes.a.seen.length;
    const replies = await fireAll([f.t.url], key, 200, pricey());
    const ok = replies.filter((r) => r.status === 200).length;
    const other = replies.filter((r) => r.status !== 200 && r.status !== 402).map((r) => r.history.join('>'));
    // Each admitted request costs exactly $0.02: $1.00 pays for 50, whatever the interleaving; the rest are 402.
    expect({ ok, other }).toEqual({ ok: 50, other: [] });
    expect(f.fakes.a.seen.length - seenBefore).toBe(ok);
    await settledAll(f, user.id);
    const b = await f.t.get(LedgerService).balances(user.id);
    expect(b.available).toBeGreaterThanOrEqual(0n);
    expect(b.held).toBe(0n);
    expect(await spent(f, user.id)).toBeLessThanOrEqual(usdToNanos(1));
    expect(b.available + (await spent(f, user.id))).toBe(usdToNanos(1));
  });

  it('a hold commits without waiting for the WAL flush, and refuses exactly like sy_hold', async () => {
    const { user } = await newUser(f, 1);
    const key = await f.t.get(KeysService).authenticate(`Bearer ${(await createKey(f.t, { cookie: user.cookie })).key}`);
    const runner = f.t.get(LedgerService).dataSource.createQueryRunner();
    const hold = (id: string, amount: bigint) =>
      runner.query(`SELECT sy_hold_async($1, $2, $3, $4, 0, 0, now(), current_date, current_date, current_date)`, [
        id,
        user.id,
        key.keyId,
        amount.toString(),
      ]);
    try {
      await runner.startTransaction();
      await hold(`gen-async-${Date.now()}`, usdToNanos(0.5));
      expect(await runner.query(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'off' }]);
      await expect(hold(`gen-async-over-${Date.now()}`, usdToNanos(0.6))).rejects.toMatchObject({ code: 'P0001', message: 'sy:balance' });
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect((await f.t.get(LedgerService).balances(user.id)).held).toBe(0n);
  });

  it('a settlement is in the flushed WAL when settle returns, and settles once', async () => {
    const { user } = await newUser(f, 1);
    const key = await f.t.get(KeysService).authenticate(`Bearer ${(await createKey(f.t, { cookie: user.cookie })).key}`);
    const holds = f.t.get(HoldsService);
    const ds = f.t.get(LedgerService).dataSource;
    await ds.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    // Several times: another suite's synchronous commit could flush ours by chance, not ten times.
    for (let i = 0; i < 10; i++) {
      const id = `gen-flush-${Date.now()}-${i}`;
      await holds.hold({ id, userId: user.id, keyId: key.keyId, amount: usdToNanos(0.01), promptCost: 0n, completionPrice: 0n });
      const [{ start }] = await queryRows<{ start: string }>(ds, 'SELECT pg_current_wal_insert_lsn()::text AS start');
      expect(await holds.settle(id, usdToNanos(0.004), 'completed')).toBe(true);
      const [{ flushed }] = await queryRows<{ flushed: string }>(ds, 'SELECT pg_current_wal_flush_lsn()::text AS flushed');
      // The settlement's journal row was written by the settlement's own transaction (its xmin).
      const commits = await queryRows<{ end_lsn: string }>(
        ds,
        `SELECT w.end_lsn::text FROM ledger_journals j, pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) w
          WHERE j.idempotency_key = $3 AND w.xid::text = j.xmin::text AND w.resource_manager = 'Transaction' AND w.record_type = 'COMMIT'`,
        [start, flushed, `settle:${id}`],
      );
      expect(commits).toHaveLength(1);
      expect(await holds.settle(id, usdToNanos(0.01), 'completed')).toBe(false);
      await recordDirectHolds(f.t, [id]);
    }
    const b = await f.t.get(LedgerService).balances(user.id);
    expect(b.held).toBe(0n);
    expect(b.available).toBe(usdToNanos(1) - 10n * usdToNanos(0.004));
  });

  it('the 402 says how many tokens the balance affords, in OpenRouter words', async () => {
    const { key } = await newUser(f, 0.01);
    const res = await call<{ error: { code: number; message: string } }>(f.t, 'POST', '/api/v1/chat/completions', { key, body: pricey() });
    expect(res.status).toBe(402);
    expect(res.body.error.message).toBe(
      'This request requires more credits, or fewer max_tokens. You requested up to 1000 tokens, but can only afford 500.',
    );
    const broke = await newUser(f, 0);
    const none = await call<{ error: { message: string } }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: broke.key,
      body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(none.status).toBe(402);
  });

  it('without max_tokens, the output is clamped to what the balance affords, and that is sent upstream', async () => {
    const { key } = await newUser(f, 0.005);
    const seenBefore = f.fakes.a.seen.length;
    const res = await call(f.t, 'POST', '/api/v1/chat/completions', {
      key,
      body: { model: 'test/pricey-slow', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(res.status).toBe(200);
    expect(f.fakes.a.seen[seenBefore].body.max_tokens).toBe(250); // $0.005 / $20 per million
  });

  it('a key cap lower than the balance binds: spend on the key <= its cap, refusals never reach the upstream', async () => {
    const { user, key, keyHash } = await newUser(f, 5);
    await call(f.t, 'PATCH', `/api/v1/keys/${keyHash}`, { cookie: user.cookie, body: { limit: 0.5 } });
    const seenBefore = f.fakes.a.seen.length;
    const replies = await fireAll([f.t.url], key, 100, pricey());
    const ok = replies.filter((r) => r.status === 200).length;
    // Served and the statuses that were neither served nor refused, together, so a failure says which.
    const unexpected = replies.map((r) => r.status).filter((s) => s !== 200 && s !== 402 && s !== 403);
    const retried = replies.filter((r) => r.history.length > 1).map((r) => r.history.join('>'));
    expect({ ok, unexpected, retried }).toEqual({ ok: 25, unexpected: [], retried: expect.any(Array) });
    expect(f.fakes.a.seen.length - seenBefore).toBe(ok);
    await settledAll(f, user.id);
    const usage = await call<{ data: { usage: number } }>(f.t, 'GET', '/api/v1/key', { key });
    expect(usage.body.data.usage).toBeLessThanOrEqual(0.5);
  });

  it('streams cancelled at random points settle exactly once, between the tokens received and the hold', async () => {
    const { user, key } = await newUser(f, 10);
    const received: { gen: string; chunks: number }[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const controller = new AbortController();
        const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
          method: 'POST',
          signal: controller.signal,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(pricey('test/pricey-long', true)),
        });
        const gen = res.headers.get('x-generation-id')!;
        const reader = res.body!.getReader();
        const stopAfter = 1 + ((i * 37) % 150);
        let text = '';
        try {
          while ((text.match(/"content":"/g) ?? []).length < stopAfter) {
            const { value, done } = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
          }
        } finally {
          controller.abort();
        }
        received.push({ gen, chunks: (text.match(/"content":" w/g) ?? []).length });
      }),
    );
    await settledAll(f, user.id);
    const ds = f.t.get(LedgerService).dataSource;
    for (const r of received) {
      const [h] = await queryRows<{ amount: string; actual: string; status: string; settles: string }>(
        ds,
        `SELECT amount::text, actual::text, status, (SELECT count(*) FROM ledger_journals WHERE idempotency_key = 'settle:' || $1)::text AS settles FROM credit_holds WHERE id = $1`,
        [r.gen],
      );
      expect(h.status).toBe('settled');
      expect(h.settles).toBe('1');
      const perToken = usdToNanos(20) / 1_000_000n; // $20 per million output tokens
      expect(BigInt(h.actual)).toBeGreaterThanOrEqual(BigInt(r.chunks) * perToken); // at least one token per chunk received
      expect(BigInt(h.actual)).toBeLessThanOrEqual(BigInt(h.amount));
    }
    // A second settlement of any of them changes nothing.
    expect(await f.t.get(HoldsService).settle(received[0].gen, 1n, 'completed')).toBe(false);
  });

  it('the append-only ledger refuses updates and deletes, whoever asks', async () => {
    const ds = f.t.get(LedgerService).dataSource;
    await expect(ds.query(`UPDATE ledger_entries SET amount = amount + 1`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger_journals`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`TRUNCATE ledger_entries CASCADE`)).rejects.toThrow(/append-only/);
  });

  it('GET /credits and the ledger history show the money as the user sees it', async () => {
    const { user, key } = await newUser(f, 2);
    expect(
      (
        await call(f.t, 'POST', '/api/v1/chat/completions', {
          key,
          body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }] },
        })
      ).status,
    ).toBe(200);
    await settledAll(f, user.id);
    const credits = await call<{ data: { total_credits: number; total_usage: number; balance: number; held: number } }>(
      f.t,
      'GET',
      '/api/v1/credits',
      { cookie: user.cookie },
    );
    expect(credits.body.data.total_credits).toBe(2);
    expect(credits.body.data.total_usage).toBeGreaterThan(0);
    expect(credits.body.data.balance).toBeCloseTo(2 - credits.body.data.total_usage, 9);
    expect(credits.body.data.held).toBe(0);
    const page1 = await call<{ data: { kind: string }[]; next: string | null }>(f.t, 'GET', '/api/v1/credits/ledger?limit=2', {
      cookie: user.cookie,
    });
    expect(page1.body.data.map((l) => l.kind)).toEqual(['settle', 'hold']);
    const page2 = await call<{ data: { kind: string }[]; next: string | null }>(
      f.t,
      'GET',
      `/api/v1/credits/ledger?limit=2&before=${page1.body.next}`,
      { cookie: user.cookie },
    );
    expect(page2.body.data.map((l) => l.kind)).toEqual(['grant']);
    expect(page2.body.next).toBeNull();
  });
});

describe('billing across gateway processes, and a process killed mid-stream', () => {
  let f: GatewayFixture;
  const gateways: Spawned[] = [];
  const prefix = `${testRedisPrefix()}-billing-procs`;

  beforeAll(async () => {
    buildOnce();
    f = await startGatewayFixture({ env: { REDIS_KEY_PREFIX: prefix, HOLD_TTL_MS: '1500', DATABASE_POOL_MAX: '20' } });
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    for (const g of gateways) g.child.kill('SIGKILL');
    await f.close();
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });

  async function startGateway(extra: Record<string, string> = {}): Promise<{ url: string; proc: Spawned }> {
    const port = await freePort();
    const proc = runEntrypoint('main', {
      ...f.env,
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_AUTO_CREATE: 'false',
      MIGRATIONS_RUN: 'false',
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // Several gateways at full burst next to other suites' apps: with the default pool of 20 each,
      // the run once exceeded Postgres's max_connections (100).
      DATABASE_POOL_MAX: '6',
      ...extra,
    });
    gateways.push(proc);
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200, proc);
    return { url: `http://127.0.0.1:${port}`, proc };
  }

  it('the same holds with 3 gateway processes on one Postgres', async () => {
    const procs = await Promise.all([startGateway(), startGateway(), startGateway()]);
    const { user, key } = await newUser(f, 1);
    const seenBefore = f.fakes.a.seen.length;
    const replies = await fireAll(
      procs.map((p) => p.url),
      key,
      200,
      pricey(),
    );
    const ok = replies.filter((r) => r.status === 200).length;
    expect(ok).toBe(50);
    expect(replies.filter((r) => r.status !== 200).every((r) => r.status === 402)).toBe(true);
    expect(f.fakes.a.seen.length - seenBefore).toBe(ok);
    await settledAll(f, user.id);
    const b = await f.t.get(LedgerService).balances(user.id);
    expect(b.available).toBeGreaterThanOrEqual(0n);
    expect(await spent(f, user.id)).toBeLessThanOrEqual(usdToNanos(1));
    for (const p of procs) p.proc.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.proc.exited));
  });

  it('a gateway killed mid-stream leaves its hold to the sweeper, which bills what was relayed', async () => {
    const gw = await startGateway({ HOLD_TTL_MS: '1500' });
    const { user, key } = await newUser(f, 5);
    const res = await fetch(`${gw.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(pricey('test/pricey-long-slow', true)),
    });
    const gen = res.headers.get('x-generation-id')!;
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/"content":" w/g) ?? []).length < 40) text += new TextDecoder().decode((await reader.read()).value);
    await new Promise((r) => setTimeout(r, 700)); // at least one heartbeat with progress; the stream runs ~4 s
    gw.proc.child.kill('SIGKILL');
    await gw.proc.exited;
    const ds = f.t.get(LedgerService).dataSource;
    const [open] = await queryRows<{ status: string }>(ds, `SELECT status FROM credit_holds WHERE id = $1`, [gen]);
    expect(open.status).toBe('open');

    // The sweeper leaves it alone while its heartbeat lives, then settles it.
    const holds = f.t.get(HoldsService);
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      await holds.sweep();
      const [h] = await queryRows<{ status: string }>(ds, `SELECT status FROM credit_holds WHERE id = $1`, [gen]);
      if (h.status === 'settled') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const [h] = await queryRows<{ status: string; reason: string; actual: string; amount: string }>(
      ds,
      `SELECT status, reason, actual::text, amount::text FROM credit_holds WHERE id = $1`,
      [gen],
    );
    expect(h).toMatchObject({ status: 'settled', reason: 'swept' });
    expect(BigInt(h.actual)).toBeGreaterThanOrEqual((40n * usdToNanos(20)) / 1_000_000n);
    expect(BigInt(h.actual)).toBeLessThanOrEqual(BigInt(h.amount));
    const b = await f.t.get(LedgerService).balances(user.id);
    expect(b.held).toBe(0n);
    expect(b.available + BigInt(h.actual)).toBe(usdToNanos(5));
    // The key's counters were settled too.
    const principal = await f.t.get(KeysService).authenticate(`Bearer ${key}`);
    expect(principal.userId).toBe(user.id);
  });

  it('ledger:check passes on this database, from the CLI', async () => {
    const cli = runEntrypoint('cli', { ...f.env, DATABASE_URL: testDatabaseUrl(), REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' }, [
      'ledger:check',
    ]);
    const exit = await cli.exited;
    expect({ code: exit.code, out: cli.output() }).toEqual({ code: 0, out: expect.stringContaining('ledger ok') });
  });
});
