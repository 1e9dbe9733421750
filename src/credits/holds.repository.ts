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

export interface SettledHold {
  userId: string;
  keyId: string;
  amount: bigint;
  actual: bigint;
}

export interface OpenHold {
  id: string;
  amount: bigint;
  promptCost: bigint;
  completionPrice: bigint;
}

@Injectable()
export class HoldsRepository {
  async insert(em: EntityManager, h: NewHold): Promise<void> {
    await queryRows(em, `INSERT INTO credit_holds (id, user_id, key_id, amount, prompt_cost, completion_price) VALUES ($1, $2, $3, $4, $5, $6)`, [
      h.id,
      h.userId,
      h.keyId,
      h.amount.toString(),
      h.promptCost.toString(),
      h.completionPrice.toString(),
    ]);
  }

  /** Resolves an open hold, once: null when it was already settled (or never existed). */
  async resolve(em: EntityManager, id: string, actual: bigint, reason: string): Promise<SettledHold | null> {
    const rows = await queryRows<{ user_id: string; key_id: string; amount: string; actual: string }>(
      em,
      `UPDATE credit_holds SET status = 'settled', actual = LEAST($2::bigint, amount), reason = $3, settled_at = now()
       WHERE id = $1 AND status = 'open' RETURNING user_id, key_id, amount::text, actual::text`,
      [id, actual.toString(), reason],
    );
    const r = rows[0];
    return r ? { userId: r.user_id, keyId: r.key_id, amount: BigInt(r.amount), actual: BigInt(r.actual) } : null;
  }

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
