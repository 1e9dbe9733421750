import { Injectable } from '@nestjs/common';
import { Batcher } from '../common/batching/batcher';
import { Clock } from '../common/clock/clock';
import { RedisService } from '../common/redis/redis.service';
import { periodStarts } from '../keys/periods';
import { HoldsRepository, SettleItem } from './holds.repository';
import { accountCode, usageShardFor } from './ledger';
import { LedgerService } from './ledger.service';

/**
 * How long the first settlement of a batch waits for company. Settlements arriving while a batch
 * is being written wait for it to finish and form the next batch anyway (group commit), so this
 * only gathers those of a quiet moment; at concurrency 1 it adds this much to a settlement, which
 * runs after the response.
 */
const SETTLE_LINGER_MS = 2;
/** Most settlements per transaction. */
const SETTLE_MAX_BATCH = 100;

/**
 * Settlements of many requests in one transaction and one WAL flush (`sy_settle_many`): those
 * finishing within SETTLE_LINGER_MS of each other, or while the previous batch is written. Each
 * settles on its own: `settle` answers for its hold alone, and rejects when its own item failed
 * (or the whole call did), so its caller tries again as it would for a single settlement.
 */
@Injectable()
export class SettlementBatcher {
  private readonly batches = new Batcher<SettleItem, boolean | null>((items) => this.write(items), SETTLE_LINGER_MS, SETTLE_MAX_BATCH);

  constructor(
    private readonly rows: HoldsRepository,
    private readonly clock: Clock,
  ) {}

  /** True when settled now, false when it was settled already; throws when its settlement failed. */
  async settle(item: SettleItem): Promise<boolean> {
    const ok = await this.batches.add(item);
    if (ok === null) throw new Error(`settlement of hold ${item.id} failed in its batch`);
    return ok;
  }

  private async write(items: SettleItem[]): Promise<(boolean | null)[]> {
    const p = periodStarts(this.clock.now());
    // Alone, the single-hold routine: sy_settle_many's arrays and subtransaction cost about 40% more
    // Postgres CPU for one hold, and pay off from two on (a fifth of the CPU per hold at 20).
    if (items.length === 1) return [await this.rows.settle(items[0], p, accountCode(usageShardFor(items[0].id)))];
    // One revenue shard per batch (by its first hold): which shard books it does not matter, and
    // concurrent batches still spread over the shards.
    return this.rows.settleMany(items, p, accountCode(usageShardFor(items[0].id)));
  }
}

/** What HoldsService keeps holds in: their rows (and batched settlements) in Postgres, the ledger's balances, heartbeats in Redis. */
@Injectable()
export class HoldStores {
  constructor(
    readonly rows: HoldsRepository,
    readonly settlements: SettlementBatcher,
    readonly ledger: LedgerService,
    readonly redis: RedisService,
  ) {}
}
