import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryRows } from '../common/database/sql';

export interface NewHold {
  id: string;
  userId: string;
  keyId: string;
  amount: bigint;
  promptCost: bigint;
  completionPrice: bigint;
}

export interface OpenHold {
  id: string;
  amount: bigint;
  promptCost: bigint;
  completionPrice: bigint;
}

/** Reads of request holds; holds are created and settled by the sy_hold / sy_settle functions. */
@Injectable()
export class HoldsRepository {
  async openOlderThan(em: Pick<EntityManager, 'query'>, before: Date, limit: number): Promise<OpenHold[]> {
    const rows = await queryRows<{ id: string; amount: string; prompt_cost: string; completion_price: string }>(
      em,
      `SELECT id, amount::text, prompt_cost::text, completion_price::text FROM credit_holds
       WHERE status = 'open' AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => ({ id: r.id, amount: BigInt(r.amount), promptCost: BigInt(r.prompt_cost), completionPrice: BigInt(r.completion_price) }));
  }
}
