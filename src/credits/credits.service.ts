import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { cursorAt, decodeCursor, encodeCursor } from '../common/database/keyset-cursor';
import { queryRows } from '../common/database/sql';
import { nanosToUsd } from '../common/money/money';
import { CreditsSummaryDto, LedgerLineDto } from './dto/credits.dto';
import { JournalEntryInput } from './ledger';
import { LedgerService } from './ledger.service';

/**
 * Journal kinds that add credit to a user, or take it back. Summed over every account of the user
 * (a dispute moves credit aside and a lost one takes it from there), so total_credits - total_usage
 * is what the user holds in all of them.
 */
const CREDIT_KINDS = ['topup', 'grant', 'refund', 'refund_failed', 'dispute'];

@Injectable()
export class CreditsService {
  constructor(private readonly ledger: LedgerService) {}

  /**
   * Entries crediting `amount` to a user: what they owe (a negative receivable) is repaid first,
   * the rest becomes available.
   */
  async creditEntries(em: EntityManager, userId: string, amount: bigint): Promise<JournalEntryInput[]> {
    const owed = -(await this.ledger.balances(userId, em)).receivable;
    const repay = owed > 0n ? (owed < amount ? owed : amount) : 0n;
    return [
      { account: { user: userId, kind: 'receivable' }, amount: repay },
      { account: { user: userId, kind: 'available' }, amount: amount - repay },
    ];
  }

  /** An operator's grant (promotions, support): a journal like any other, from the grants account. */
  async grant(userId: string, amount: bigint, reason: string, idempotencyKey = `grant:${randomUUID()}`): Promise<boolean> {
    if (amount <= 0n) throw new RangeError('a grant must be positive');
    return this.ledger.transaction(async (em) => {
      await em.query('SELECT 1 FROM ledger_accounts WHERE user_id = $1 FOR UPDATE', [userId]);
      return this.ledger.post(em, {
        key: idempotencyKey,
        kind: 'grant',
        userId,
        memo: reason,
        entries: [{ account: { platform: 'grants' }, amount: -amount }, ...(await this.creditEntries(em, userId, amount))],
      });
    });
  }

  async summary(userId: string): Promise<CreditsSummaryDto> {
    const [b, totals] = await Promise.all([
      this.ledger.balances(userId),
      queryRows<{ credits: string; usage: string }>(
        this.ledger.dataSource,
        `SELECT
           (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
              JOIN ledger_accounts a ON a.id = e.account_id
             WHERE j.user_id = $1 AND j.kind = ANY($2) AND a.user_id = $1)::text AS credits,
           (SELECT COALESCE(SUM(actual), 0) FROM credit_holds WHERE user_id = $1 AND status = 'settled')::text AS usage`,
        [userId, CREDIT_KINDS],
      ),
    ]);
    return {
      total_credits: nanosToUsd(BigInt(totals[0].credits)),
      total_usage: nanosToUsd(BigInt(totals[0].usage)),
      balance: nanosToUsd(b.available),
      held: nanosToUsd(b.held),
      disputed: nanosToUsd(b.disputed),
      owed: nanosToUsd(-b.receivable),
      frozen: b.frozen,
    };
  }

  /** The user's money movements, newest first, by keyset pagination on (created_at, id). */
  async history(userId: string, limit: number, before?: string): Promise<{ data: LedgerLineDto[]; next: string | null }> {
    const cursor = before ? decodeCursor(before) : null;
    const rows = await queryRows<{
      id: string;
      kind: string;
      memo: string | null;
      created_at: Date;
      at: string;
      key: string;
      available: string;
      held: string;
      other: string;
    }>(
      this.ledger.dataSource,
      `SELECT j.id, j.kind, j.memo, j.created_at, ${cursorAt('j.created_at')} AS at, j.idempotency_key AS key,
              COALESCE(SUM(e.amount) FILTER (WHERE a.kind = 'available'), 0)::text AS available,
              COALESCE(SUM(e.amount) FILTER (WHERE a.kind = 'held'), 0)::text AS held,
              COALESCE(SUM(e.amount) FILTER (WHERE a.kind IN ('disputed', 'receivable')), 0)::text AS other
       FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id JOIN ledger_accounts a ON a.id = e.account_id AND a.user_id = $1
       WHERE j.user_id = $1 ${cursor ? 'AND (j.created_at, j.id) < ($3::timestamptz, $4::uuid)' : ''}
       GROUP BY j.id ORDER BY j.created_at DESC, j.id DESC LIMIT $2`,
      cursor ? [userId, limit + 1, cursor.at, cursor.id] : [userId, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        kind: r.kind,
        reference: r.key.slice(r.key.indexOf(':') + 1),
        memo: r.memo,
        available_change: nanosToUsd(BigInt(r.available)),
        held_change: nanosToUsd(BigInt(r.held)),
        other_change: nanosToUsd(BigInt(r.other)),
        created_at: r.created_at.toISOString(),
      })),
      next: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
    };
  }
}
