import { randomUUID } from 'node:crypto';
import { AppError } from '../../src/common/errors/app-error';
import { Clock, ManualClock } from '../../src/common/clock/clock';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { HoldsService } from '../../src/credits/holds.service';
import { CapsService } from '../../src/keys/caps.service';
import { FreeModelLimits } from '../../src/keys/free-model-limits';
import { KeysService } from '../../src/keys/keys.service';
import { call, createKey, signUp, SignedUpUser } from '../support/factories';
import { GatewayFixture, gatewayFixtureForSuite } from '../support/gateway-fixture';
import { createTestApp, TestApp } from '../support/test-app';
import { recordDirectHolds } from '../support/direct-holds';

const usd = (v: number) => usdToNanos(v);

interface Outcome {
  ok: boolean;
  /** The hold's id when it was admitted. */
  id?: string;
  status?: number;
  source?: string;
}

/**
 * One hold of `amount` on the key's and user's caps, through the path every request takes
 * (HoldsService.hold, the sy_hold routine). The users these tests create have far more balance
 * than any cap, so only caps and keys refuse.
 */
async function attempt(holds: HoldsService, keyId: string, userId: string, amount: bigint): Promise<Outcome> {
  const id = `caps-${randomUUID().replace(/-/g, '')}`;
  try {
    await holds.hold({ id, userId, keyId, amount, promptCost: 0n, completionPrice: 0n });
    return { ok: true, id };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, status: err.status, source: err.metadata.limit_source as string };
    throw err; // a deadlock or any other database error fails the test
  }
}

/** A signed-up user with $100 of credit, far above every cap used here. */
async function funded(t: TestApp): Promise<SignedUpUser> {
  const u = await signUp(t);
  await t.get(CreditsService).grant(u.id, usd(100), 'test');
  return u;
}

/** The key id and user id behind a key, through the same authentication the API uses. */
async function principalOf(t: TestApp, key: string) {
  return t.get(KeysService).authenticate(`Bearer ${key}`);
}

describe('spending caps under concurrency', () => {
  let t: TestApp;
  // 200 holds on one key take turns on its row: the last waits for a connection longer than the
  // default pool wait on a busy machine. What is tested here is the caps, not the 503 of a full pool.
  const env = { DATABASE_POOL_MAX: '20', DATABASE_POOL_WAIT_MS: '60000' };
  beforeAll(async () => {
    t = await createTestApp({ env });
  });
  afterAll(() => t.close());

  it('200 concurrent holds of $0.02 against a $1.00 key cap admit exactly 50', async () => {
    const u = await funded(t);
    const k = await principalOf(t, (await createKey(t, { cookie: u.cookie }, { limit: 1 })).key);
    const caps = t.get(CapsService);
    const holds = t.get(HoldsService);
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => attempt(holds, k.keyId, k.userId, usd(0.02))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(50);
    const rejected = outcomes.filter((o) => !o.ok);
    expect(rejected.every((o) => o.status === 403 && o.source === 'key')).toBe(true);
    expect((await caps.keyCounters(k.keyId))!.held).toBe(usd(1));

    // Settling all 50 at half their hold frees the rest: exactly 25 more fit.
    const settled = await Promise.all(outcomes.filter((o) => o.ok).map((o) => holds.settle(o.id!, usd(0.01), 'completed')));
    await recordDirectHolds(
      t,
      outcomes.filter((o) => o.ok).map((o) => o.id!),
    );
    expect(settled.every(Boolean)).toBe(true);
    const c = (await caps.keyCounters(k.keyId))!;
    expect(c).toMatchObject({ held: 0n, total: usd(0.5) });
    const more = await Promise.all(Array.from({ length: 60 }, () => attempt(holds, k.keyId, k.userId, usd(0.02))));
    expect(more.filter((o) => o.ok)).toHaveLength(25);
  });

  it('the same holds across three app instances sharing one Postgres', async () => {
    const others = [await createTestApp({ env }), await createTestApp({ env })];
    try {
      const apps = [t, ...others];
      const u = await funded(t);
      const k = await principalOf(t, (await createKey(t, { cookie: u.cookie }, { limit: 1 })).key);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => attempt(apps[i % 3].get(HoldsService), k.keyId, k.userId, usd(0.02))),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(50);
      expect(outcomes.filter((o) => !o.ok).every((o) => o.status === 403)).toBe(true);
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });

  it('a user cap binds across two keys', async () => {
    const u = await funded(t);
    const patched = await call<{ data: { daily: { cap: number } } }>(t, 'PATCH', '/api/v1/limits', {
      cookie: u.cookie,
      body: { daily: 1 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data.daily.cap).toBe(1);
    const a = await principalOf(t, (await createKey(t, { cookie: u.cookie })).key);
    const b = await principalOf(t, (await createKey(t, { cookie: u.cookie })).key);
    const holds = t.get(HoldsService);
    const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => attempt(holds, (i % 2 ? a : b).keyId, u.id, usd(0.02))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(50);
    expect(outcomes.filter((o) => !o.ok).every((o) => o.status === 403 && o.source === 'user_daily')).toBe(true);
  });

  it('nested caps: key A $2, key B $4, user $5 a month; 300 concurrent holds', async () => {
    const u = await funded(t);
    await call(t, 'PATCH', '/api/v1/limits', { cookie: u.cookie, body: { monthly: 5 } });
    const a = await principalOf(t, (await createKey(t, { cookie: u.cookie }, { limit: 2 })).key);
    const b = await principalOf(t, (await createKey(t, { cookie: u.cookie }, { limit: 4 })).key);
    const caps = t.get(CapsService);
    const picks = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? a : b));
    const outcomes = await Promise.all(picks.map((k) => attempt(t.get(HoldsService), k.keyId, u.id, usd(0.02))));
    const heldA = (await caps.keyCounters(a.keyId))!.held;
    const heldB = (await caps.keyCounters(b.keyId))!.held;
    expect(heldA).toBeLessThanOrEqual(usd(2));
    expect(heldB).toBeLessThanOrEqual(usd(4));
    expect(heldA + heldB).toBeLessThanOrEqual(usd(5));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(250); // A's 100 and B's 200 fit their keys; the user's $5 stops at 250
    expect(heldA + heldB).toBe(usd(0.02) * BigInt(outcomes.filter((o) => o.ok).length));
    expect((await caps.userCounters(u.id))!.held).toBe(heldA + heldB);
  });

  it('a hold settles once, and never books more than it holds', async () => {
    const u = await funded(t);
    const k = await principalOf(t, (await createKey(t, { cookie: u.cookie })).key);
    const caps = t.get(CapsService);
    const holds = t.get(HoldsService);
    const first = await attempt(holds, k.keyId, k.userId, usd(0.1));
    expect(await holds.settle(first.id!, usd(0.05), 'completed')).toBe(true);
    expect(await holds.settle(first.id!, usd(0.05), 'completed')).toBe(false);
    expect(await caps.keyCounters(k.keyId)).toMatchObject({ held: 0n, total: usd(0.05) });
    expect(await caps.userCounters(k.userId)).toMatchObject({ held: 0n, total: usd(0.05) });
    const second = await attempt(holds, k.keyId, k.userId, usd(0.1));
    expect(await holds.settle(second.id!, usd(0.2), 'completed')).toBe(true);
    await recordDirectHolds(t, [first.id!, second.id!]);
    expect(await caps.keyCounters(k.keyId)).toMatchObject({ held: 0n, total: usd(0.15) });
    expect(await caps.userCounters(k.userId)).toMatchObject({ held: 0n, total: usd(0.15) });
  });

  it('a key disabled after authentication cannot hold', async () => {
    const u = await funded(t);
    const created = await createKey(t, { cookie: u.cookie });
    const k = await principalOf(t, created.key);
    await call(t, 'PATCH', `/api/v1/keys/${created.hash}`, { cookie: u.cookie, body: { disabled: true } });
    const o = await attempt(t.get(HoldsService), k.keyId, k.userId, usd(0.01));
    expect(o).toEqual({ ok: false, status: 401, source: undefined });
  });
});

describe('limit resets at UTC boundaries', () => {
  const clock = new ManualClock(Date.parse('2026-11-22T23:59:59Z')); // a Sunday
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ override: (b) => b.overrideProvider(Clock).useValue(clock) });
  });
  afterAll(() => t.close());

  const spend = async (holds: HoldsService, k: { keyId: string; userId: string }, amount: bigint) => {
    const o = await attempt(holds, k.keyId, k.userId, amount);
    expect(o.ok && (await holds.settle(o.id!, amount, 'completed'))).toBe(true);
    await recordDirectHolds(t, [o.id!]);
  };

  it('daily, weekly and monthly key limits reset at midnight, on Monday and on the 1st', async () => {
    clock.set('2026-11-22T23:59:59Z');
    const u = await funded(t);
    const holds = t.get(HoldsService);
    const daily = await createKey(t, { cookie: u.cookie }, { limit: 1, limit_reset: 'daily' });
    const weekly = await createKey(t, { cookie: u.cookie }, { limit: 1, limit_reset: 'weekly' });
    const monthly = await createKey(t, { cookie: u.cookie }, { limit: 1, limit_reset: 'monthly' });
    const total = await createKey(t, { cookie: u.cookie }, { limit: 1 });
    const ks = await Promise.all([daily, weekly, monthly, total].map((k) => principalOf(t, k.key)));
    for (const k of ks) await spend(holds, k, usd(1));
    for (const k of ks) expect((await attempt(holds, k.keyId, k.userId, usd(0.01))).ok).toBe(false);

    clock.set('2026-11-23T00:00:00Z'); // Monday: a new day and a new week, same month
    const afterMidnight = await Promise.all(ks.map((k) => attempt(holds, k.keyId, k.userId, usd(0.01))));
    expect(afterMidnight.map((o) => o.ok)).toEqual([true, true, false, false]);
    const me = await call<{
      data: { usage: number; usage_daily: number; usage_weekly: number; usage_monthly: number; limit_remaining: number };
    }>(t, 'GET', '/api/v1/key', { key: daily.key });
    expect(me.body.data).toMatchObject({ usage: 1, usage_daily: 0, usage_weekly: 0, usage_monthly: 1 });
    expect(me.body.data.limit_remaining).toBeCloseTo(0.99, 9); // $0.01 is held

    clock.set('2026-12-01T00:00:00Z'); // a Tuesday: a new month, same week as Monday the 30th? no: new month only
    const monthStart = await attempt(holds, ks[2].keyId, ks[2].userId, usd(0.01));
    expect(monthStart.ok).toBe(true);
    expect((await attempt(holds, ks[3].keyId, ks[3].userId, usd(0.01))).ok).toBe(false); // a total limit never resets
  });

  it('user caps reset by period too, and GET /limits shows the current period', async () => {
    clock.set('2026-11-29T12:00:00Z'); // Sunday
    const u = await funded(t);
    await call(t, 'PATCH', '/api/v1/limits', { cookie: u.cookie, body: { daily: 0.5, weekly: 1, monthly: 3 } });
    const k = await principalOf(t, (await createKey(t, { cookie: u.cookie })).key);
    const holds = t.get(HoldsService);
    await spend(holds, k, usd(0.5));
    expect(await attempt(holds, k.keyId, k.userId, usd(0.01))).toMatchObject({ ok: false, source: 'user_daily' });
    clock.set('2026-11-30T00:00:01Z'); // Monday, last day of the month
    await spend(holds, k, usd(0.5));
    expect(await attempt(holds, k.keyId, k.userId, usd(0.01))).toMatchObject({ ok: false, source: 'user_daily' });
    const limits = await call<{ data: Record<string, { cap: number; usage: number; remaining: number }> }>(t, 'GET', '/api/v1/limits', {
      cookie: u.cookie,
    });
    expect(limits.body.data.daily).toEqual({ cap: 0.5, usage: 0.5, remaining: 0 });
    expect(limits.body.data.weekly).toEqual({ cap: 1, usage: 0.5, remaining: 0.5 });
    expect(limits.body.data.monthly).toEqual({ cap: 3, usage: 1, remaining: 2 });
    clock.set('2026-12-01T00:00:00Z'); // Tuesday: a new day and month, same week
    await spend(holds, k, usd(0.4));
    await spend(holds, k, usd(0.1));
    expect(await attempt(holds, k.keyId, k.userId, usd(0.01))).toMatchObject({ ok: false, source: 'user_daily' });
    clock.set('2026-12-02T00:00:00Z'); // Wednesday: the day is new, but the week's $1 is spent
    expect(await attempt(holds, k.keyId, k.userId, usd(0.01))).toMatchObject({ ok: false, source: 'user_weekly' });
    const december = await call<{ data: Record<string, { usage: number }> }>(t, 'GET', '/api/v1/limits', { cookie: u.cookie });
    expect(december.body.data.monthly.usage).toBe(0.5);
  });

  it(':free models: 20 a minute, 50 a day, 1000 a day after a $10 purchase, by UTC day', async () => {
    clock.set('2026-11-24T10:00:00Z');
    const u = await signUp(t);
    const free = t.get(FreeModelLimits);
    const run = async (n: number, purchased = 0n) => {
      const results: (number | true)[] = [];
      for (let i = 0; i < n; i++) {
        try {
          await free.check(u.id, purchased);
          results.push(true);
        } catch (err) {
          results.push((err as AppError).status);
        }
      }
      return results;
    };
    expect(await run(21)).toEqual([...Array(20).fill(true), 429]);
    let err: AppError | undefined;
    try {
      await free.check(u.id, 0n);
    } catch (e) {
      err = e as AppError;
    }
    expect(err!.metadata.limit_source).toBe('free-models-per-min');
    expect(err!.headers['x-ratelimit-limit']).toBe('20');
    for (let minute = 1; minute <= 2; minute++) {
      clock.set(Date.parse('2026-11-24T10:00:00Z') + minute * 60_000);
      await run(20);
    }
    clock.set('2026-11-24T10:03:00Z');
    const dayFull = await run(1);
    expect(dayFull).toEqual([429]); // 50 used today (20 + 20 + 10 counted, then refused)
    clock.set('2026-11-24T10:04:00Z');
    expect(await run(1, usd(10))).toEqual([true]); // a buyer's own, larger daily window
    clock.set('2026-11-25T00:00:00Z');
    expect(await run(1)).toEqual([true]);
  });
});

describe('a cap, not the balance, refusing a request says which and by how much (403)', () => {
  let f: GatewayFixture;
  gatewayFixtureForSuite({ env: { DATABASE_POOL_MAX: '30' } }, (started) => (f = started));

  type Refusal = { error: { message: string; metadata: Record<string, unknown> } };
  /** A user with $10 and a key (with `keyBody`'s limit). */
  const rich = async (keyBody: Record<string, unknown> = {}) => {
    const u = await signUp(f.t, 'capped');
    await f.t.get(CreditsService).grant(u.id, usd(10), 'test');
    return { u, key: (await createKey(f.t, { cookie: u.cookie }, keyBody)).key };
  };
  // Up to $0.02: no prompt price, 1000 output tokens at $20 per million (and the upstream bills all of them).
  const pricey = (extra: Record<string, unknown> = { max_tokens: 1000 }) => ({
    model: 'test/pricey-full',
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  });
  const chat = (key: string, body: Record<string, unknown>) => call<Refusal>(f.t, 'POST', '/api/v1/chat/completions', { key, body });

  it.each([
    [
      { limit: 0.01 },
      'key',
      /^Key limit exceeded \(total limit\): this request needs up to \$0.02 and \$0.01 of the \$0.01 limit is left$/,
    ],
    [{ limit: 0.01, limit_reset: 'daily' }, 'key_daily', /^Key limit exceeded \(daily limit\)/],
  ])('a key limit %j below the cost, on an account with $10: 403 %s', async (keyBody, source, message) => {
    const { key } = await rich(keyBody);
    const seen = f.fakes.a.seen.length;
    const res = await chat(key, pricey());
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.metadata).toMatchObject({
      limit_source: source,
      limit: 0.01,
      limit_remaining: 0.01,
      request_cost: 0.02,
      requested_tokens: 1000,
      affordable_tokens: 500,
    });
    expect(f.fakes.a.seen.length).toBe(seen);
  });

  it.each([
    ['daily', 'user_daily'],
    ['weekly', 'user_weekly'],
    ['monthly', 'user_monthly'],
  ])('a user %s cap below the cost: 403 %s, with what is left', async (period, source) => {
    const { u, key } = await rich();
    expect((await call(f.t, 'PATCH', '/api/v1/limits', { cookie: u.cookie, body: { [period]: 0.005 } })).status).toBe(200);
    const res = await chat(key, pricey());
    expect(res.status).toBe(403);
    expect(res.body.error.metadata).toMatchObject({
      limit_source: source,
      limit: 0.005,
      limit_remaining: 0.005,
      request_cost: 0.02,
      affordable_tokens: 250,
    });
  });

  it('a key limit below the prompt cost, without max_tokens: 403 key, not "more credits"', async () => {
    const { key } = await rich({ limit: 0.000000002 }); // 2 nanodollars; the prompt costs more at $1 per million
    const res = await chat(key, { model: 'test/chat', messages: [{ role: 'user', content: 'word '.repeat(100) }] });
    expect(res.status).toBe(403);
    expect(res.body.error.metadata).toMatchObject({
      limit_source: 'key',
      limit: 0.000000002,
      limit_remaining: 0.000000002,
      affordable_tokens: 0,
    });
  });

  it('with only a $0.30 daily cap, every refusal of a burst names user_daily', async () => {
    const { u, key } = await rich();
    await call(f.t, 'PATCH', '/api/v1/limits', { cookie: u.cookie, body: { daily: 0.3 } });
    // Each holds $0.02 and is billed far less (200 tokens), so refusals are explained while others settle.
    const long = (extra: Record<string, unknown>) => ({ ...pricey(extra), model: 'test/pricey-long' });
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(key, long(i % 2 ? { max_tokens: 1000 } : {}))));
    const refused = replies.filter((r) => r.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.map((r) => [r.status, r.body.error.metadata.limit_source])).toEqual(refused.map(() => [403, 'user_daily']));
    const until = Date.now() + 10_000;
    while ((await f.t.get(CapsService).userCounters(u.id))!.held > 0n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect((await f.t.get(CapsService).userCounters(u.id))!.day).toBeLessThanOrEqual(usd(0.3));
  });
});
