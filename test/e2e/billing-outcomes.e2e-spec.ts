import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { HoldsService } from '../../src/credits/holds.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { KeysService } from '../../src/keys/keys.service';
import { createKey, signUp } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SSE data lines of a streamed chat completion, parsed ([DONE] kept as the string). */
async function streamChat(f: GatewayFixture, key: string, body: Record<string, unknown>): Promise<{ gen: string; events: (Record<string, unknown> | string)[] }> {
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
  beforeAll(async () => {
    f = await startGatewayFixture({ env: { HOLD_TTL_MS: '1500', HOLD_SWEEP_INTERVAL_MS: '3600000' } });
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  it('a stream that ends after its finish reason and usage without [DONE] is a normal end, billed on the reported usage', async () => {
    const { gen, events } = await streamChat(f, f.key, { model: 'test/no-done', messages: [{ role: 'user', content: 'hello there' }], stream_options: { include_usage: true } });
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
    const open = await queryRows<{ n: string }>(ds, `SELECT count(*)::text AS n FROM credit_holds WHERE id = ANY($1) AND status = 'open'`, [live]);
    expect(open[0].n).toBe(String(live.length));
    for (const id of live) await holds.settle(id, 10n, 'completed');
  });
});
