import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { HoldsRepository } from '../../src/credits/holds.repository';
import { HoldsService } from '../../src/credits/holds.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { KeysService } from '../../src/keys/keys.service';
import { createKey, signUp } from '../support/factories';
import { recordDirectHolds } from '../support/direct-holds';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';
import { buildOnce, freePort, runEntrypoint, Spawned, waitForStatus } from '../support/processes';
import { testDatabaseUrl, testRedisPrefix } from '../support/test-env';

/** Group commit of settlements (sy_settle_many): many holds per transaction, each settled on its own, exactly once. */

async function payer(f: GatewayFixture, credits: number): Promise<{ userId: string; keyId: string; key: string }> {
  const user = await signUp(f.t, 'batch');
  if (credits > 0) await f.t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
  const k = await createKey(f.t, { cookie: user.cookie });
  const principal = await f.t.get(KeysService).authenticate(`Bearer ${k.key}`);
  return { userId: user.id, keyId: principal.keyId, key: k.key };
}

const rows = <T extends Record<string, unknown>>(f: GatewayFixture, text: string, values: unknown[]) =>
  queryRows<T>(f.t.get(LedgerService).dataSource, text, values);

describe('settlements in batches', () => {
  let f: GatewayFixture;
  let n = 0;
  const newId = () => `gen-batch${process.pid}x${Date.now()}x${n++}`;
  beforeAll(async () => {
    f = await startGatewayFixture({ env: { DATABASE_POOL_MAX: '10' } });
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  async function holdAll(p: { userId: string; keyId: string }, count: number, amount: bigint): Promise<string[]> {
    const ids = Array.from({ length: count }, newId);
    for (const id of ids)
      await f.t.get(HoldsService).hold({ id, userId: p.userId, keyId: p.keyId, amount, promptCost: 0n, completionPrice: 0n });
    return ids;
  }

  it('settlements finishing together share one transaction, and each hold is settled once', async () => {
    const p = await payer(f, 5);
    const ids = await holdAll(p, 30, usdToNanos(0.1));
    const settleMany = jest.spyOn(f.t.get(HoldsRepository), 'settleMany');
    const holds = f.t.get(HoldsService);
    expect(await Promise.all(ids.map((id) => holds.settle(id, usdToNanos(0.04), 'completed')))).toEqual(ids.map(() => true));
    expect(settleMany).toHaveBeenCalledTimes(1);
    settleMany.mockRestore();
    // One transaction: one settled_at (now() is the transaction's start) for the 30 holds.
    const [{ at }] = await rows<{ at: number }>(f, `SELECT count(DISTINCT settled_at)::int AS at FROM credit_holds WHERE id = ANY($1)`, [
      ids,
    ]);
    expect(at).toBe(1);
    // Settled once: again is false and changes nothing.
    expect(await Promise.all(ids.map((id) => holds.settle(id, usdToNanos(0.1), 'completed')))).toEqual(ids.map(() => false));
    const b = await f.t.get(LedgerService).balances(p.userId);
    expect(b.held).toBe(0n);
    expect(b.available).toBe(usdToNanos(5) - 30n * usdToNanos(0.04));
    const journals = await rows<{ n: number }>(f, `SELECT count(*)::int AS n FROM ledger_journals WHERE idempotency_key = ANY($1)`, [
      ids.map((id) => `settle:${id}`),
    ]);
    expect(journals[0].n).toBe(30);
    await recordDirectHolds(f.t, ids);
  });

  it("one hold's failing settlement does not fail the others of its batch, and is settled when tried again", async () => {
    const good = await payer(f, 1);
    const bad = await payer(f, 1);
    const [g] = await holdAll(good, 1, usdToNanos(0.2));
    const [b] = await holdAll(bad, 1, usdToNanos(0.2));
    // The bad user's spend row shows less held than the hold: its settlement raises P0002 (as a
    // hold settled twice would) and rolls back alone.
    const [{ held }] = await rows<{ held: string }>(f, `SELECT held_nanos::text AS held FROM user_spend WHERE user_id = $1`, [bad.userId]);
    await rows(f, `UPDATE user_spend SET held_nanos = 0 WHERE user_id = $1`, [bad.userId]);
    const holds = f.t.get(HoldsService);
    const [okGood, okBad] = await Promise.allSettled([
      holds.settle(g, usdToNanos(0.1), 'completed'),
      holds.settle(b, usdToNanos(0.1), 'completed'),
    ]);
    expect(okGood).toEqual({ status: 'fulfilled', value: true });
    expect(okBad.status).toBe('rejected');
    const status = await rows<{ id: string; status: string }>(f, `SELECT id, status FROM credit_holds WHERE id = ANY($1) ORDER BY id`, [
      [g, b],
    ]);
    expect(Object.fromEntries(status.map((r) => [r.id, r.status]))).toEqual({ [g]: 'settled', [b]: 'open' });
    await rows(f, `UPDATE user_spend SET held_nanos = $2 WHERE user_id = $1`, [bad.userId, held]);
    expect(await holds.settle(b, usdToNanos(0.1), 'completed')).toBe(true);
    for (const p of [good, bad]) expect((await f.t.get(LedgerService).balances(p.userId)).available).toBe(usdToNanos(0.9));
    await recordDirectHolds(f.t, [g, b]);
  });

  it('the same hold twice in one batch is settled once', async () => {
    const p = await payer(f, 1);
    const [id] = await holdAll(p, 1, usdToNanos(0.3));
    const holds = f.t.get(HoldsService);
    const results = await Promise.all([holds.settle(id, usdToNanos(0.1), 'completed'), holds.settle(id, usdToNanos(0.3), 'completed')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const [h] = await rows<{ actual: string }>(f, `SELECT actual::text FROM credit_holds WHERE id = $1`, [id]);
    expect([usdToNanos(0.1).toString(), usdToNanos(0.3).toString()]).toContain(h.actual);
    expect((await f.t.get(LedgerService).balances(p.userId)).available).toBe(usdToNanos(1) - BigInt(h.actual));
    await recordDirectHolds(f.t, [id]);
  });
});

describe('settlements in batches across 3 gateway processes', () => {
  let f: GatewayFixture;
  const gateways: Spawned[] = [];
  const prefix = `${testRedisPrefix()}-settle-batches`;

  // The production build (tsc) and three processes take minutes on a loaded machine.
  beforeAll(async () => {
    buildOnce();
    f = await startGatewayFixture({ env: { REDIS_KEY_PREFIX: prefix, DATABASE_POOL_MAX: '10' } });
  }, 300_000);
  afterAll(async () => {
    for (const g of gateways) g.child.kill('SIGKILL');
    await f?.close();
  });

  async function startGateway(): Promise<string> {
    const port = await freePort();
    const proc = runEntrypoint('main', {
      ...f.env,
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_AUTO_CREATE: 'false',
      MIGRATIONS_RUN: 'false',
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_POOL_MAX: '6',
    });
    gateways.push(proc);
    await waitForStatus(`http://127.0.0.1:${port}/health`, 200, proc, 120_000);
    return `http://127.0.0.1:${port}`;
  }

  it('200 concurrent requests on a $1 balance: never beyond the balance, every hold settled exactly once, the ledger clean', async () => {
    const urls = await Promise.all([startGateway(), startGateway(), startGateway()]);
    const p = await payer(f, 1);
    // Each request can cost up to $0.02 (1000 output tokens at $20 per million) and costs all of it.
    const body = JSON.stringify({ model: 'test/pricey-full', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`${urls[i % urls.length]}/api/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
            body,
          });
          await res.arrayBuffer();
          // A saturated pool answers 503 + Retry-After: not admitted, sent again as a client would.
          const retryAfter = Number(res.headers.get('retry-after'));
          if (res.status !== 503 || !(retryAfter > 0) || attempt === 5) return res.status;
          await new Promise((r) => setTimeout(r, retryAfter * 1000));
        }
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 402)).toBe(true);
    const until = Date.now() + 30_000;
    for (;;) {
      const [{ open }] = await rows<{ open: number }>(
        f,
        `SELECT count(*)::int AS open FROM credit_holds WHERE user_id = $1 AND status = 'open'`,
        [p.userId],
      );
      if (open === 0) break;
      if (Date.now() > until) throw new Error(`${open} holds still open`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [h] = await rows<{ holds: number; spent: string; settles: number }>(
      f,
      `SELECT count(*)::int AS holds, COALESCE(sum(actual), 0)::text AS spent,
              (SELECT count(*)::int FROM ledger_journals j WHERE j.idempotency_key IN (SELECT 'settle:' || id FROM credit_holds WHERE user_id = $1)) AS settles
         FROM credit_holds WHERE user_id = $1`,
      [p.userId],
    );
    expect(h.holds).toBe(50);
    expect(h.settles).toBe(50); // one settlement journal per hold (its idempotency key is unique)
    expect(BigInt(h.spent)).toBe(usdToNanos(1));
    const b = await f.t.get(LedgerService).balances(p.userId);
    expect(b.available).toBe(0n);
    expect(b.held).toBe(0n);
    // Every request's record is written once its settlement is: ledger:check sees both.
    const recordsUntil = Date.now() + 30_000;
    for (;;) {
      const [{ n }] = await rows<{ n: number }>(f, `SELECT count(*)::int AS n FROM generations WHERE user_id = $1`, [p.userId]);
      if (n === 50) break;
      if (Date.now() > recordsUntil) throw new Error(`${n} of 50 generation records`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  }, 300_000);
});
