import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { sweptRecord } from '../../src/credits/hold-sweeper.processor';
import { HoldsService } from '../../src/credits/holds.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { KeysService } from '../../src/keys/keys.service';
import { GenerationsRepository } from '../../src/usage/generations.repository';
import { call, createKey, signUp } from '../support/factories';
import { GatewayFixture, gatewayFixtureForSuite, startGatewayFixture } from '../support/gateway-fixture';
import { BUILD_TIMEOUT_MS, buildOnce, freePort, runEntrypoint, Spawned, waitForStatus } from '../support/processes';
import { TcpProxy, viaProxy } from '../support/tcp-proxy';
import { testDatabaseUrl, testRedisPrefix } from '../support/test-env';
import { recordDirectHolds } from '../support/direct-holds';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SSE data lines of a streamed chat completion, parsed ([DONE] kept as the string). */
async function streamChat(
  f: GatewayFixture,
  key: string,
  body: Record<string, unknown>,
): Promise<{ gen: string; events: (Record<string, unknown> | string)[] }> {
  const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  const events = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? d : (JSON.parse(d) as Record<string, unknown>)));
  return { gen: res.headers.get('x-generation-id')!, events };
}

async function newUser(f: GatewayFixture, credits: number): Promise<{ userId: string; key: string; keyId: string }> {
  const user = await signUp(f.t, 'payer');
  if (credits > 0) await f.t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
  const { key } = await createKey(f.t, { cookie: user.cookie });
  return { userId: user.id, key, keyId: (await f.t.get(KeysService).authenticate(`Bearer ${key}`)).keyId };
}

/** Sweeps until none of the user's holds is open (the sweeper leaves live ones alone). */
async function sweepUntilSettled(f: GatewayFixture, userId: string, timeoutMs = 20_000): Promise<void> {
  const ds = f.t.get(LedgerService).dataSource;
  const until = Date.now() + timeoutMs;
  for (;;) {
    await f.t.get(HoldsService).sweep();
    const [{ n }] = await queryRows<{ n: string }>(
      ds,
      `SELECT count(*)::text AS n FROM credit_holds WHERE user_id = $1 AND status = 'open'`,
      [userId],
    );
    if (n === '0') return;
    if (Date.now() > until) throw new Error(`${n} holds still open`);
    await sleep(250);
  }
}

/** Waits until the generation records of these requests are written (they go through a queue). */
async function recordsOf(f: GatewayFixture, ids: string[]): Promise<Map<string, bigint>> {
  const ds = f.t.get(LedgerService).dataSource;
  const until = Date.now() + 10_000;
  for (;;) {
    const rows = await queryRows<{ id: string; cost: string }>(
      ds,
      `SELECT id, cost_nanos::text AS cost FROM generations WHERE id = ANY($1)`,
      [ids],
    );
    if (rows.length === ids.length || Date.now() > until) return new Map(rows.map((r) => [r.id, BigInt(r.cost)]));
    await sleep(100);
  }
}

async function holdRow(f: GatewayFixture, id: string): Promise<{ status: string; actual: string | null; reason: string | null }> {
  const until = Date.now() + 10_000;
  for (;;) {
    const [h] = await queryRows<{ status: string; actual: string | null; reason: string | null }>(
      f.t.get(LedgerService).dataSource,
      `SELECT status, actual::text, reason FROM credit_holds WHERE id = $1`,
      [id],
    );
    if (h?.status === 'settled' || Date.now() > until) return h;
    await sleep(50);
  }
}

describe('what a request costs, however it ends', () => {
  let f: GatewayFixture;
  gatewayFixtureForSuite({ env: { HOLD_TTL_MS: '1500', HOLD_SWEEP_INTERVAL_MS: '3600000' } }, (started) => (f = started));

  it('a stream that ends after its finish reason and usage without [DONE] is a normal end, billed on the reported usage', async () => {
    const { gen, events } = await streamChat(f, f.key, {
      model: 'test/no-done',
      messages: [{ role: 'user', content: 'hello there' }],
      stream_options: { include_usage: true },
    });
    const chunks = events.filter((e): e is Record<string, unknown> => typeof e !== 'string');
    expect(chunks.some((c) => 'error' in c)).toBe(false);
    expect(events[events.length - 1]).toBe('[DONE]');
    const usage = chunks[chunks.length - 1].usage as { prompt_tokens: number; completion_tokens: number; cost: number };
    // The fake reports 3 prompt tokens ("hello there") and 5 completion tokens; $1 / $2 per million.
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5 });
    expect(usage.cost).toBeCloseTo((3 * 1 + 5 * 2) / 1e6, 12);
    const h = await holdRow(f, gen);
    expect(h).toMatchObject({ status: 'settled', reason: 'completed', actual: String(3_000n + 10_000n) });
  });

  it("a stream whose body ends after the answer but before the provider's billed usage (Anthropic without message_delta) is cut, not billed the count message_start reported", async () => {
    const { gen, events } = await streamChat(f, f.key, {
      model: 'test/claude-ends-early',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 100,
    });
    const last = events.filter((e): e is Record<string, unknown> => typeof e !== 'string').pop()!;
    expect(last.error).toBeDefined();
    // message_start said 1 output token; the 3 text deltas read are billed at least.
    const usage = last.usage as { completion_tokens: number };
    expect(usage.completion_tokens).toBeGreaterThanOrEqual(3);
    const h = await holdRow(f, gen);
    expect(h.status).toBe('settled');
    expect(BigInt(h.actual!)).toBeGreaterThanOrEqual(3n * 15_000n);
  });

  it('a client that hangs up right after the visible answer of a hidden-reasoning model pays the reasoning the provider bills', async () => {
    const { userId, key } = await newUser(f, 1);
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/hidden-think', messages: [{ role: 'user', content: 'hello there' }], stream: true }),
    });
    const gen = res.headers.get('x-generation-id')!;
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"finish_reason":"stop"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const h = await holdRow(f, gen);
    // The provider bills 3 prompt tokens at $1 and 2005 completion tokens (2000 of them hidden reasoning) at $20 per million.
    expect(h).toMatchObject({ status: 'settled', reason: 'cancelled', actual: String(3n * 1000n + 2005n * 20_000n) });
    const [g] = await recordsOf(f, [gen]).then((m) => [...m.values()]);
    expect(g).toBe(3n * 1000n + 2005n * 20_000n);
    await sweepUntilSettled(f, userId);
  });

  it('a non-streamed request abandoned before any output is billed what the provider completed', async () => {
    const { userId, key } = await newUser(f, 1);
    const before = f.fakes.a.seen.length;
    const abort = new AbortController();
    const reply = fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/slow-complete', messages: [{ role: 'user', content: 'x'.repeat(4000) }] }),
      signal: abort.signal,
    });
    while (f.fakes.a.seen.length === before) await sleep(10);
    await sleep(300);
    abort.abort();
    await expect(reply).rejects.toThrow();
    const [{ id }] = await queryRows<{ id: string }>(f.t.get(LedgerService).dataSource, `SELECT id FROM credit_holds WHERE user_id = $1`, [
      userId,
    ]);
    const h = await holdRow(f, id);
    // 1000 prompt tokens at $1 and the 5 completed tokens at $20 per million.
    expect(h).toMatchObject({ status: 'settled', reason: 'cancelled', actual: String(1000n * 1000n + 5n * 20_000n) });
  });

  it('a stream abandoned before its first output is billed what the provider went on to produce', async () => {
    const { key } = await newUser(f, 1);
    const abort = new AbortController();
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/stall-short', messages: [{ role: 'user', content: 'x'.repeat(4000) }], stream: true }),
      signal: abort.signal,
    });
    // The first bytes are `: PROCESSING` comments; the provider's first output comes after 800 ms.
    const gen = res.headers.get('x-generation-id')!;
    abort.abort();
    const h = await holdRow(f, gen);
    expect(h).toMatchObject({ status: 'settled', reason: 'cancelled', actual: String(1000n * 1000n + 5n * 20_000n) });
  });

  it('ledger:check reports a generation whose cost differs from what its settlement booked', async () => {
    const { userId, keyId } = await newUser(f, 1);
    const holds = f.t.get(HoldsService);
    const id = `gen-told-${Date.now()}`;
    await holds.hold({ id, userId, keyId, amount: 1000n, promptCost: 0n, completionPrice: 0n });
    await holds.settle(id, 400n, 'completed');
    const record = sweptRecord(
      { id, cost: 300n, amount: 1000n, tokens: 1, handedOver: true, context: { userId, keyId, requestedModel: 'test/a-only' } },
      new Date(),
    );
    await f.t.get(GenerationsRepository).insert([record!]);
    try {
      expect(await f.t.get(LedgerService).check()).toEqual([`generation ${id} records a cost of 300 but its settlement booked 400`]);
    } finally {
      // The record goes back to what the settlement booked, as a request would have left it.
      await f.t.get(LedgerService).dataSource.query(`UPDATE generations SET cost_nanos = 400 WHERE id = $1`, [id]);
    }
  });

  it('a settlement that arrives after the sweeper books the difference once, owed when the balance cannot cover it', async () => {
    const { userId, keyId } = await newUser(f, 0.00001); // 10,000 nanodollars
    const holds = f.t.get(HoldsService);
    const ledger = f.t.get(LedgerService);
    const id = `gen-late-${Date.now()}`;
    // Its process stalled: no heartbeat, so the sweeper settles it on the prompt cost alone.
    await ledger.dataSource.query(`SELECT sy_hold($1, $2, $3, 10000, 1000, 0, now(), current_date, current_date, current_date)`, [
      id,
      userId,
      keyId,
    ]);
    await sleep(1700);
    await holds.sweep();
    expect(await holdRow(f, id)).toMatchObject({ status: 'settled', reason: 'swept', actual: '1000' });
    // Meanwhile the user holds the rest of the balance for another request.
    const other = `gen-other-${Date.now()}`;
    await holds.hold({ id: other, userId, keyId, amount: 9000n, promptCost: 0n, completionPrice: 0n });
    // The stalled process comes back with the exact cost: the whole hold.
    expect(await holds.settleReliably(id, 10_000n, 'completed', {})).toBe(false);
    expect(await holds.settleReliably(id, 10_000n, 'completed', {})).toBe(false);
    await holds.settle(other, 0n, 'completed');
    expect(await holdRow(f, id)).toMatchObject({ actual: '10000' });
    const b = await ledger.balances(userId);
    // 9,000 more were due and none was available: owed, and repaid by the next top-up.
    expect(b).toMatchObject({ available: 9000n, held: 0n, receivable: -9000n });
    const journals = await queryRows<{ n: string }>(
      ledger.dataSource,
      `SELECT count(*)::text AS n FROM ledger_journals WHERE idempotency_key = $1`,
      [`settle-late:${id}`],
    );
    expect(journals[0].n).toBe('1');
    const [spend] = await queryRows<{ usage: string }>(
      ledger.dataSource,
      `SELECT usage_nanos::text AS usage FROM user_spend WHERE user_id = $1`,
      [userId],
    );
    expect(spend.usage).toBe('10000');
    await recordDirectHolds(f.t, [id]);
  });

  it('the sweeper reaches a dead hold behind more than a batch of live long holds', async () => {
    const user = await signUp(f.t, 'sweep');
    await f.t.get(CreditsService).grant(user.id, usdToNanos(10), 'test');
    const keyId = (await f.t.get(KeysService).authenticate(`Bearer ${(await createKey(f.t, { cookie: user.cookie })).key}`)).keyId;
    const holds = f.t.get(HoldsService);
    const ds = f.t.get(LedgerService).dataSource;
    const live = Array.from({ length: 520 }, (_, i) => `gen-live-${Date.now()}-${i}`);
    // Live holds of this process (its heartbeat keeps them), older than the dead one.
    for (const id of live) await holds.hold({ id, userId: user.id, keyId, amount: 1000n, promptCost: 10n, completionPrice: 0n });
    const dead = `gen-dead-${Date.now()}`;
    // A hold no process vouches for: taken straight in SQL, as a killed process leaves it.
    await ds.query(`SELECT sy_hold($1, $2, $3, 1000, 10, 0, now(), current_date, current_date, current_date)`, [dead, user.id, keyId]);
    await sleep(1700);
    await holds.sweep();
    const [d] = await queryRows<{ status: string }>(ds, `SELECT status FROM credit_holds WHERE id = $1`, [dead]);
    expect(d.status).toBe('settled');
    const open = await queryRows<{ n: string }>(ds, `SELECT count(*)::text AS n FROM credit_holds WHERE id = ANY($1) AND status = 'open'`, [
      live,
    ]);
    expect(open[0].n).toBe(String(live.length));
    for (const id of live) await holds.settle(id, 10n, 'completed');
    await recordDirectHolds(f.t, [...live, dead]);
  });
});

describe('billing that survives failed settlements and killed processes', () => {
  let f: GatewayFixture;
  const gateways: Spawned[] = [];
  const proxies: TcpProxy[] = [];
  const prefix = `${testRedisPrefix()}-billing-outcomes`;

  beforeAll(async () => {
    buildOnce();
    f = await startGatewayFixture({
      env: { REDIS_KEY_PREFIX: prefix, HOLD_TTL_MS: '1500', HOLD_SWEEP_INTERVAL_MS: '3600000', DATABASE_POOL_MAX: '10' },
    });
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    for (const g of gateways) g.child.kill('SIGKILL');
    for (const p of proxies) await p.stop();
    await f.close();
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });

  /** A gateway process whose Postgres connection goes through a proxy the test can cut. */
  async function startGateway(extra: Record<string, string> = {}): Promise<{ url: string; proc: Spawned; pg: TcpProxy }> {
    const port = await freePort();
    const pg = await new TcpProxy('127.0.0.1', 5432).start();
    proxies.push(pg);
    const proc = runEntrypoint('main', {
      ...f.env,
      DATABASE_URL: viaProxy(testDatabaseUrl(), pg),
      DATABASE_AUTO_CREATE: 'false',
      MIGRATIONS_RUN: 'false',
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: 'error',
      DATABASE_POOL_MAX: '4',
      // The test app sweeps and writes the records; these only serve.
      WORKERS_ENABLED: 'false',
      HOLD_TTL_MS: '15000',
      ...extra,
    });
    gateways.push(proc);
    // Booting three processes at once on a busy machine can take a while.
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200, proc, 60_000);
    return { url: `http://127.0.0.1:${port}`, proc, pg };
  }

  const pricey = { model: 'test/pricey-full', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 };

  it('300 requests over 3 processes on $1.00 while Postgres drops every connection: each of the 50 served is booked $0.02 exactly once', async () => {
    const procs = await Promise.all([startGateway(), startGateway(), startGateway()]);
    const { userId, key } = await newUser(f, 1);
    const seenBefore = f.fakes.a.seen.length;
    const replies = Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await fetch(`${procs[i % 3].url}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(pricey),
        });
        await res.arrayBuffer();
        return { status: res.status, gen: res.headers.get('x-generation-id') };
      }),
    );
    // Once every admitted request is at the provider (it answers after 300 ms), Postgres goes away
    // for every gateway, so all their settlements fail at first.
    const until = Date.now() + 10_000;
    while (f.fakes.a.seen.length - seenBefore < 50 && Date.now() < until) await sleep(10);
    for (const p of procs) p.pg.down();
    await sleep(1500);
    for (const p of procs) p.pg.up();
    const done = await replies;
    const served = done.filter((r) => r.status === 200);
    expect(served).toHaveLength(50);
    await sweepUntilSettled(f, userId);
    const ds = f.t.get(LedgerService).dataSource;
    const booked = await queryRows<{ id: string; actual: string; reason: string }>(
      ds,
      `SELECT id, actual::text, reason FROM credit_holds WHERE user_id = $1`,
      [userId],
    );
    expect(booked).toHaveLength(50);
    expect(booked.filter((h) => h.actual !== String(usdToNanos(0.02)))).toEqual([]);
    const b = await f.t.get(LedgerService).balances(userId);
    expect(b).toMatchObject({ available: 0n, held: 0n });
    const records = await recordsOf(
      f,
      served.map((r) => r.gen!),
    );
    expect([...records.values()].filter((c) => c !== usdToNanos(0.02))).toEqual([]);
    expect(records.size).toBe(50);
    for (const p of procs) p.proc.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.proc.exited));
  }, 120_000);

  it('a process killed while its settlement fails hands the exact cost to the sweeper', async () => {
    const gw = await startGateway();
    const { userId, key } = await newUser(f, 1);
    const seenBefore = f.fakes.a.seen.length;
    const reply = fetch(`${gw.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(pricey),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { id: string; usage: { cost: number } } }));
    while (f.fakes.a.seen.length === seenBefore) await sleep(10);
    gw.pg.down();
    const { status, body } = await reply;
    expect(status).toBe(200);
    expect(body.usage.cost).toBe(0.02);
    await sleep(300); // the settlement failed and is being retried
    gw.proc.child.kill('SIGKILL');
    await gw.proc.exited;
    gw.pg.up();
    await sweepUntilSettled(f, userId);
    const [h] = await queryRows<{ actual: string; reason: string }>(
      f.t.get(LedgerService).dataSource,
      `SELECT actual::text, reason FROM credit_holds WHERE id = $1`,
      [body.id],
    );
    expect(h).toEqual({ actual: String(usdToNanos(0.02)), reason: 'swept' });
    expect((await recordsOf(f, [body.id])).get(body.id)).toBe(usdToNanos(0.02));
  });

  it('settlements failing across 2 processes: a $0.50 key limit and a $0.30 daily cap are never exceeded by what is booked, and each served request is booked once', async () => {
    const procs = await Promise.all([startGateway(), startGateway()]);
    const ds = f.t.get(LedgerService).dataSource;
    const capped = async (caps: { keyLimit?: number; daily?: number }) => {
      const user = await signUp(f.t, 'capped');
      await f.t.get(CreditsService).grant(user.id, usdToNanos(10), 'test');
      if (caps.daily !== undefined) {
        const res = await call(f.t, 'PATCH', '/api/v1/limits', { cookie: user.cookie, body: { daily: caps.daily } });
        expect(res.status).toBe(200);
      }
      const { key } = await createKey(f.t, { cookie: user.cookie }, caps.keyLimit !== undefined ? { limit: caps.keyLimit } : {});
      return { userId: user.id, key, keyId: (await f.t.get(KeysService).authenticate(`Bearer ${key}`)).keyId };
    };
    const [byKey, byDay] = await Promise.all([capped({ keyLimit: 0.5 }), capped({ daily: 0.3 })]);
    const burst = (key: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await fetch(`${procs[i % 2].url}/api/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(pricey),
          });
          await res.arrayBuffer();
          return { status: res.status, gen: res.headers.get('x-generation-id') };
        }),
      );
    const seenBefore = f.fakes.a.seen.length;
    const replies = Promise.all([burst(byKey.key, 60), burst(byDay.key, 60)]);
    // Once the admitted requests ($0.50 and $0.30 of holds at $0.02) are at the provider (it answers
    // after 300 ms), Postgres goes away for both gateways, so their settlements fail at first.
    const until = Date.now() + 10_000;
    while (f.fakes.a.seen.length - seenBefore < 40 && Date.now() < until) await sleep(10);
    for (const p of procs) p.pg.down();
    await sleep(1500);
    for (const p of procs) p.pg.up();
    const [first, firstDay] = await replies;
    await sweepUntilSettled(f, byKey.userId);
    await sweepUntilSettled(f, byDay.userId);
    // Once booked, the caps have no room left for more.
    const [second, secondDay] = await Promise.all([burst(byKey.key, 10), burst(byDay.key, 10)]);
    await sweepUntilSettled(f, byKey.userId);
    await sweepUntilSettled(f, byDay.userId);
    for (const [who, replies, cap, spent] of [
      [byKey, [...first, ...second], usdToNanos(0.5), `SELECT usage_nanos::text AS usage FROM api_keys WHERE id = $1`],
      [byDay, [...firstDay, ...secondDay], usdToNanos(0.3), `SELECT usage_day_nanos::text AS usage FROM user_spend WHERE user_id = $1`],
    ] as const) {
      const served = replies.filter((r) => r.status === 200).map((r) => r.gen!);
      expect(served.length).toBeGreaterThan(0);
      expect(BigInt(served.length) * usdToNanos(0.02)).toBeLessThanOrEqual(cap);
      // The rest were refused by the cap, or met Postgres away (a 503 to retry, never a 500).
      expect(replies.filter((r) => r.status !== 200 && r.status !== 403 && r.status !== 503)).toEqual([]);
      const booked = await queryRows<{ id: string; actual: string }>(
        ds,
        `SELECT id, actual::text FROM credit_holds WHERE user_id = $1 AND actual > 0`,
        [who.userId],
      );
      // Every served request, and nothing else, is booked its $0.02.
      expect(booked.map((h) => h.id).sort()).toEqual([...served].sort());
      expect(booked.filter((h) => h.actual !== String(usdToNanos(0.02)))).toEqual([]);
      const [{ usage }] = await queryRows<{ usage: string }>(ds, spent, [who === byKey ? who.keyId : who.userId]);
      expect(BigInt(usage)).toBe(BigInt(served.length) * usdToNanos(0.02));
      const records = await recordsOf(f, served);
      expect([...records.values()].filter((c) => c !== usdToNanos(0.02))).toEqual([]);
      expect(records.size).toBe(served.length);
    }
    for (const p of procs) p.proc.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.proc.exited));
  }, 120_000);

  it('a hold whose settlement retries all failed is settled with its handed-over cost at the next sweep, not a TTL later, and never while its process retries', async () => {
    // Its TTL is 10 minutes: only the hand-over can settle it within the test.
    const gw = await startGateway({ HOLD_TTL_MS: '600000' });
    const { key } = await newUser(f, 1);
    const seenBefore = f.fakes.a.seen.length;
    const reply = fetch(`${gw.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(pricey),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { id: string } }));
    while (f.fakes.a.seen.length === seenBefore) await sleep(10);
    gw.pg.down();
    const { status, body } = await reply;
    expect(status).toBe(200);
    const ds = f.t.get(LedgerService).dataSource;
    const statusOf = async () =>
      (await queryRows<{ status: string }>(ds, `SELECT status FROM credit_holds WHERE id = $1`, [body.id]))[0].status;
    // While its process retries (about 14 s from its first failure), the hold is its own: the
    // sweeper leaves it, though it is past this sweeper's TTL of 1.5 s, whether or not the
    // process's heartbeat timer has come round yet.
    const t0 = Date.now();
    for (const at of [600, 1700, 4000]) {
      await sleep(t0 + at - Date.now());
      await f.t.get(HoldsService).sweep();
      expect(await statusOf()).toBe('open');
    }
    // It gives up; a pass after that books the cost it handed over.
    while ((await statusOf()) === 'open' && Date.now() < t0 + 30_000) {
      await f.t.get(HoldsService).sweep();
      await sleep(250);
    }
    const [h] = await queryRows<{ actual: string; reason: string }>(ds, `SELECT actual::text, reason FROM credit_holds WHERE id = $1`, [
      body.id,
    ]);
    expect(h).toEqual({ actual: String(usdToNanos(0.02)), reason: 'swept' });
    expect((await recordsOf(f, [body.id])).get(body.id)).toBe(usdToNanos(0.02));
    // Booked once, however many passes saw it.
    await f.t.get(HoldsService).sweep();
    const journals = await queryRows<{ key: string }>(
      ds,
      `SELECT idempotency_key AS key FROM ledger_journals WHERE idempotency_key LIKE $1`,
      [`%${body.id}`],
    );
    expect(journals.map((j) => j.key).sort()).toEqual([`hold:${body.id}`, `settle:${body.id}`]);
    gw.pg.up();
    gw.proc.child.kill('SIGTERM');
    await gw.proc.exited;
  }, 60_000);

  it('16 streams killed with their process half a second in are billed what they relayed, and each has a generation record', async () => {
    const gw = await startGateway();
    const { userId, key } = await newUser(f, 5);
    const streams = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const res = await fetch(`${gw.url}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'test/pricey-long-slow',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 1000,
            stream: true,
          }),
        });
        const reader = res.body!.getReader();
        let text = '';
        while ((text.match(/"content":" w/g) ?? []).length < 5) text += new TextDecoder().decode((await reader.read()).value);
        return { gen: res.headers.get('x-generation-id')!, reader };
      }),
    );
    await sleep(500);
    gw.proc.child.kill('SIGKILL');
    await gw.proc.exited;
    for (const s of streams) await s.reader.cancel().catch(() => undefined);
    await sweepUntilSettled(f, userId);
    const ds = f.t.get(LedgerService).dataSource;
    const holds = await queryRows<{ id: string; actual: string }>(ds, `SELECT id, actual::text FROM credit_holds WHERE user_id = $1`, [
      userId,
    ]);
    // At least the 5 chunks each had relayed (one token each, $20 per million output tokens).
    expect(holds.filter((h) => BigInt(h.actual) < 5n * 20_000n)).toEqual([]);
    const records = await recordsOf(
      f,
      holds.map((h) => h.id),
    );
    expect(records.size).toBe(16);
    for (const h of holds) expect(records.get(h.id)).toBe(BigInt(h.actual));
    for (const s of streams) {
      const res = await fetch(`${f.t.url}/api/v1/generation?id=${s.gen}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    }
  });
});
