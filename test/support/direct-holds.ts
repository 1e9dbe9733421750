import { sweptRecord } from '../../src/credits/hold-sweeper.processor';
import { queryRows } from '../../src/common/database/sql';
import { LedgerService } from '../../src/credits/ledger.service';
import { GenerationsRepository } from '../../src/usage/generations.repository';
import { TestApp } from './test-app';

/**
 * Holds a test takes and settles through HoldsService directly, not through a request, have no
 * generation record, which ledger:check rightly reports once they are older than the sweep window
 * (every billed request has one). This writes the record a request would have left, at the cost
 * the hold booked, so the shared test database stays as production keeps it.
 */
export async function recordDirectHolds(t: TestApp, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await queryRows<{ id: string; user_id: string; key_id: string; actual: string; amount: string }>(
    t.get(LedgerService).dataSource,
    `SELECT id, user_id, key_id, actual::text, amount::text FROM credit_holds WHERE id = ANY($1) AND status = 'settled'`,
    [ids],
  );
  const now = new Date();
  const records = rows.map((r) =>
    sweptRecord(
      {
        id: r.id,
        cost: BigInt(r.actual),
        amount: BigInt(r.amount),
        tokens: 0,
        handedOver: false,
        context: { userId: r.user_id, keyId: r.key_id, requestedModel: 'test/direct-hold' },
      },
      now,
    )!,
  );
  await t.get(GenerationsRepository).insert(records);
}
