import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../common/database/sql';
import { PurchaseHistory } from '../keys/purchase-history';

/** What a user has bought with a card: credited top-ups less what refunds took back. */
@Injectable()
export class Purchases extends PurchaseHistory {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async purchasedNanos(userId: string): Promise<bigint> {
    const rows = await queryRows<{ n: string }>(
      this.dataSource,
      `SELECT COALESCE(SUM(amount_cents::bigint * 10000000 - refunded_nanos), 0)::text AS n FROM topups WHERE user_id = $1 AND status = 'credited'`,
      [userId],
    );
    return BigInt(rows[0]?.n ?? '0');
  }
}
