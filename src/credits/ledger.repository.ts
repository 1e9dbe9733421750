import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../common/database/sql';
import { accountCode, accountKind, AccountRef, JournalInput, UserAccountKind, UserBalances } from './ledger';

type Db = Pick<EntityManager, 'query'>;

const USER_KINDS: UserAccountKind[] = ['available', 'held', 'disputed', 'receivable'];

/** SQL of the ledger. Balances change only here, always next to the entries that explain them. */
@Injectable()
export class LedgerRepository {
  constructor(readonly dataSource: DataSource) {}

  /** Creates a user's four accounts if missing (idempotent, race-safe). */
  async ensureUserAccounts(db: Db, userId: string): Promise<void> {
    await queryRows(
      db,
      `INSERT INTO ledger_accounts (code, kind, user_id)
       SELECT 'user:' || $1 || ':' || k, k, $1::uuid FROM unnest($2::text[]) AS k
       ON CONFLICT (code) DO NOTHING`,
      [userId, USER_KINDS],
    );
  }

  async ensurePlatformAccount(db: Db, ref: AccountRef): Promise<void> {
    await queryRows(db, `INSERT INTO ledger_accounts (code, kind) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING`, [
      accountCode(ref),
      accountKind(ref),
    ]);
  }

  /** Inserts the journal; null when its idempotency key was already used. */
  async insertJournal(db: Db, j: JournalInput): Promise<string | null> {
    const rows = await queryRows<{ id: string }>(
      db,
      `INSERT INTO ledger_journals (idempotency_key, kind, user_id, memo) VALUES ($1, $2, $3, $4)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [j.key, j.kind, j.userId, j.memo?.slice(0, 500) ?? null],
    );
    return rows[0]?.id ?? null;
  }

  async insertEntries(db: Db, journalId: string, entries: { code: string; amount: bigint }[]): Promise<void> {
    const rows = await queryRows(
      db,
      `INSERT INTO ledger_entries (journal_id, account_id, amount)
       SELECT $1, a.id, e.amount FROM unnest($2::text[], $3::bigint[]) AS e(code, amount)
       JOIN ledger_accounts a ON a.code = e.code RETURNING id`,
      [journalId, entries.map((e) => e.code), entries.map((e) => e.amount.toString())],
    );
    if (rows.length !== entries.length) throw new Error(`ledger: ${entries.length - rows.length} entries name no account`);
  }

  /**
   * Adds `amount` to one balance unless that would take a user's credit below zero (or a
   * receivable above zero). False when refused (nothing changed).
   */
  async applyEntry(db: Db, code: string, amount: bigint): Promise<boolean> {
    const rows = await queryRows(
      db,
      `UPDATE ledger_accounts SET balance = balance + $2
       WHERE code = $1 AND (kind NOT IN ('available', 'held', 'disputed') OR balance + $2 >= 0)
         AND (kind <> 'receivable' OR balance + $2 <= 0)
       RETURNING id`,
      [code, amount.toString()],
    );
    return rows.length === 1;
  }

  async balances(db: Db, userId: string): Promise<UserBalances> {
    const rows = await queryRows<{ kind: UserAccountKind; balance: string; frozen: boolean }>(
      db,
      `SELECT kind, balance, frozen FROM ledger_accounts WHERE user_id = $1`,
      [userId],
    );
    const b: UserBalances = { available: 0n, held: 0n, disputed: 0n, receivable: 0n, frozen: false };
    for (const r of rows) {
      b[r.kind] = BigInt(r.balance);
      if (r.kind === 'available') b.frozen = r.frozen;
    }
    return b;
  }

  async setFrozen(db: Db, userId: string, frozen: boolean): Promise<void> {
    await queryRows(db, `UPDATE ledger_accounts SET frozen = $2 WHERE code = 'user:' || $1 || ':available'`, [userId, frozen]);
  }

  /** The ledger's invariants (see README): every violation, as a sentence. */
  async violations(db: Db, holdStaleBefore: Date): Promise<string[]> {
    const out: string[] = [];
    const unbalanced = await queryRows<{ key: string; sum: string }>(
      db,
      `SELECT j.idempotency_key AS key, SUM(e.amount)::text AS sum FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
       GROUP BY j.id HAVING SUM(e.amount) <> 0 LIMIT 20`,
    );
    for (const r of unbalanced) out.push(`journal ${r.key} sums to ${r.sum}, not 0`);
    const drift = await queryRows<{ code: string; balance: string; sum: string }>(
      db,
      `SELECT a.code, a.balance::text, COALESCE(SUM(e.amount), 0)::text AS sum FROM ledger_accounts a
       LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id HAVING a.balance <> COALESCE(SUM(e.amount), 0) LIMIT 20`,
    );
    for (const r of drift) out.push(`account ${r.code} caches balance ${r.balance} but its entries sum to ${r.sum}`);
    const negative = await queryRows<{ code: string; balance: string }>(
      db,
      `SELECT code, balance::text FROM ledger_accounts WHERE kind IN ('available', 'held', 'disputed') AND balance < 0 LIMIT 20`,
    );
    for (const r of negative) out.push(`account ${r.code} is negative (${r.balance})`);
    const holds = await queryRows<{ id: string; problem: string }>(
      db,
      `SELECT h.id, CASE
         WHEN h.status = 'settled' AND s.id IS NULL AND h.amount > 0 AND NOT (h.actual = 0 AND h.amount = 0) THEN 'settled without a settle journal'
         WHEN h.status = 'open' AND s.id IS NOT NULL THEN 'open but has a settle journal'
         WHEN h.status = 'settled' AND h.actual IS NULL THEN 'settled without an actual cost'
         WHEN h.status = 'settled' AND h.actual > h.amount THEN 'settled above its amount' END AS problem
       FROM credit_holds h LEFT JOIN ledger_journals s ON s.idempotency_key = 'settle:' || h.id
       WHERE (h.status = 'settled' AND (h.actual IS NULL OR h.actual > h.amount OR (s.id IS NULL AND h.amount > 0)))
          OR (h.status = 'open' AND s.id IS NOT NULL) LIMIT 20`,
    );
    for (const r of holds) out.push(`hold ${r.id}: ${r.problem}`);
    const heldSums = await queryRows<{ user_id: string; held: string; open: string }>(
      db,
      `SELECT a.user_id, a.balance::text AS held, COALESCE(SUM(h.amount), 0)::text AS open
       FROM ledger_accounts a LEFT JOIN credit_holds h ON h.user_id = a.user_id AND h.status = 'open'
       WHERE a.kind = 'held' GROUP BY a.id HAVING a.balance <> COALESCE(SUM(h.amount), 0) LIMIT 20`,
    );
    for (const r of heldSums) out.push(`user ${r.user_id} holds ${r.held} but its open holds add up to ${r.open}`);
    // What clients were told against what was booked: a request's record and its settlement agree.
    const told = await queryRows<{ id: string; told: string; booked: string }>(
      db,
      `SELECT g.id, g.cost_nanos::text AS told, h.actual::text AS booked
       FROM generations g JOIN credit_holds h ON h.id = g.id
       WHERE h.status = 'settled' AND g.cost_nanos <> h.actual LIMIT 20`,
    );
    for (const r of told) out.push(`generation ${r.id} records a cost of ${r.told} but its settlement booked ${r.booked}`);
    const unrecorded = await queryRows<{ id: string; booked: string }>(
      db,
      `SELECT h.id, h.actual::text AS booked FROM credit_holds h
       WHERE h.status = 'settled' AND h.actual > 0 AND h.settled_at < $1
         AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.id = h.id) LIMIT 20`,
      [holdStaleBefore],
    );
    for (const r of unrecorded) out.push(`hold ${r.id} booked ${r.booked} but no generation records it`);
    const stale = await queryRows<{ n: string }>(
      db,
      `SELECT count(*)::text AS n FROM credit_holds WHERE status = 'open' AND created_at < $1`,
      [holdStaleBefore],
    );
    if (stale[0] && stale[0].n !== '0') out.push(`${stale[0].n} open holds older than the hold TTL plus the sweep interval`);
    return out;
  }
}
