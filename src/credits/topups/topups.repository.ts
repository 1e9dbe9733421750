import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { cursorAt, KeysetPosition } from '../../common/database/keyset-cursor';
import { queryRows } from '../../common/database/sql';
import { Nanos } from '../../common/money/money';
import { RefundDebit, refundKey } from './topup-journals';

type Db = Pick<EntityManager, 'query'>;

export type TopupStatus = 'pending' | 'credited' | 'expired';

export interface TopupRow {
  id: string;
  userId: string;
  amountCents: number;
  feeCents: number;
  currency: string;
  status: TopupStatus;
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
  refundedNanos: Nanos;
  createdAt: Date;
  creditedAt: Date | null;
}

export interface DisputeRow {
  id: string;
  userId: string;
  topupId: string;
  amountNanos: Nanos;
  fromAvailable: Nanos;
  fromReceivable: Nanos;
  status: 'open' | 'won' | 'lost';
}

export interface StoredEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  processedAt: Date | null;
  attempts: number;
}

export interface CardJournal {
  key: string;
  createdAt: Date;
  /** The journal's net on `stripe_clearing` (negative = cash received). */
  clearing: Nanos;
}

const TOPUP_COLUMNS = `id, user_id, amount_cents, fee_cents, currency, status, checkout_session_id, payment_intent_id,
  refunded_nanos::text AS refunded_nanos, created_at, credited_at`;

interface RawTopup {
  id: string;
  user_id: string;
  amount_cents: number;
  fee_cents: number;
  currency: string;
  status: TopupStatus;
  checkout_session_id: string | null;
  payment_intent_id: string | null;
  refunded_nanos: string;
  created_at: Date;
  credited_at: Date | null;
}

const toTopup = (r: RawTopup): TopupRow => ({
  id: r.id,
  userId: r.user_id,
  amountCents: Number(r.amount_cents),
  feeCents: Number(r.fee_cents),
  currency: r.currency,
  status: r.status,
  checkoutSessionId: r.checkout_session_id,
  paymentIntentId: r.payment_intent_id,
  refundedNanos: BigInt(r.refunded_nanos),
  createdAt: new Date(r.created_at),
  creditedAt: r.credited_at ? new Date(r.credited_at) : null,
});

interface RawDispute {
  id: string;
  user_id: string;
  topup_id: string;
  amount_nanos: string;
  from_available: string;
  from_receivable: string;
  status: DisputeRow['status'];
}

const toDispute = (r: RawDispute): DisputeRow => ({
  id: r.id,
  userId: r.user_id,
  topupId: r.topup_id,
  amountNanos: BigInt(r.amount_nanos),
  fromAvailable: BigInt(r.from_available),
  fromReceivable: BigInt(r.from_receivable),
  status: r.status,
});

const DISPUTE_COLUMNS = `id, user_id, topup_id, amount_nanos::text AS amount_nanos, from_available::text AS from_available,
  from_receivable::text AS from_receivable, status`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a reference from Stripe can be one of our top-up ids (others are not ours to look up). */
export const isTopupId = (id: string | null | undefined): id is string => typeof id === 'string' && UUID.test(id);

/**
 * SQL of top-ups, disputes and stored Stripe events. State changes are conditional updates, so
 * each transition happens once however many workers race for it.
 */
@Injectable()
export class TopupsRepository {
  constructor(readonly dataSource: DataSource) {}

  async insertPending(userId: string, amountCents: number, feeCents: number, currency: string): Promise<TopupRow> {
    const rows = await queryRows<RawTopup>(
      this.dataSource,
      `INSERT INTO topups (user_id, amount_cents, fee_cents, currency) VALUES ($1, $2, $3, $4) RETURNING ${TOPUP_COLUMNS}`,
      [userId, amountCents, feeCents, currency],
    );
    return toTopup(rows[0]);
  }

  async setCheckoutSession(id: string, sessionId: string): Promise<void> {
    await queryRows(this.dataSource, `UPDATE topups SET checkout_session_id = $2 WHERE id = $1 AND checkout_session_id IS NULL`, [
      id,
      sessionId,
    ]);
  }

  async findById(id: string, db: Db = this.dataSource): Promise<TopupRow | null> {
    if (!isTopupId(id)) return null;
    const rows = await queryRows<RawTopup>(db, `SELECT ${TOPUP_COLUMNS} FROM topups WHERE id = $1`, [id]);
    return rows[0] ? toTopup(rows[0]) : null;
  }

  async findByPaymentIntent(paymentIntentId: string): Promise<TopupRow | null> {
    const rows = await queryRows<RawTopup>(this.dataSource, `SELECT ${TOPUP_COLUMNS} FROM topups WHERE payment_intent_id = $1 LIMIT 1`, [
      paymentIntentId,
    ]);
    return rows[0] ? toTopup(rows[0]) : null;
  }

  async findByIds(ids: string[]): Promise<TopupRow[]> {
    const valid = ids.filter(isTopupId);
    if (valid.length === 0) return [];
    const rows = await queryRows<RawTopup>(this.dataSource, `SELECT ${TOPUP_COLUMNS} FROM topups WHERE id = ANY($1::uuid[])`, [valid]);
    return rows.map(toTopup);
  }

  async findByPaymentIntents(ids: string[]): Promise<TopupRow[]> {
    if (ids.length === 0) return [];
    const rows = await queryRows<RawTopup>(
      this.dataSource,
      `SELECT ${TOPUP_COLUMNS} FROM topups WHERE payment_intent_id = ANY($1::text[])`,
      [ids],
    );
    return rows.map(toTopup);
  }

  /** Locks the row for the rest of the transaction (refunds and disputes of one top-up take turns). */
  async lock(em: EntityManager, id: string): Promise<TopupRow> {
    const rows = await queryRows<RawTopup>(em, `SELECT ${TOPUP_COLUMNS} FROM topups WHERE id = $1 FOR UPDATE`, [id]);
    if (!rows[0]) throw new Error(`topup ${id} vanished`);
    return toTopup(rows[0]);
  }

  /** The user's top-ups, newest first, after `before` when given; each with its cursor position. */
  async listForUser(
    userId: string,
    limit: number,
    before: KeysetPosition | null,
  ): Promise<{ topup: TopupRow; position: KeysetPosition }[]> {
    const rows = await queryRows<RawTopup & { at: string }>(
      this.dataSource,
      `SELECT ${TOPUP_COLUMNS}, ${cursorAt('created_at')} AS at FROM topups
       WHERE user_id = $1 ${before ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      before ? [userId, limit, before.at, before.id] : [userId, limit],
    );
    return rows.map((r) => ({ topup: toTopup(r), position: { at: r.at, id: r.id } }));
  }

  /** The latest dispute's status of each of the user's top-ups that has one. */
  async disputeStatuses(userId: string, topupIds: string[]): Promise<Map<string, 'open' | 'won' | 'lost'>> {
    if (topupIds.length === 0) return new Map();
    const rows = await queryRows<{ topup_id: string; status: 'open' | 'won' | 'lost' }>(
      this.dataSource,
      `SELECT DISTINCT ON (topup_id) topup_id, status FROM disputes WHERE user_id = $1 AND topup_id = ANY($2::uuid[]) ORDER BY topup_id, created_at DESC`,
      [userId, topupIds],
    );
    return new Map(rows.map((r) => [r.topup_id, r.status]));
  }

  /**
   * pending/expired -> credited, once: the row comes back only to the one caller that made the
   * change. The session must be the row's (or the row never learnt its session id).
   */
  async markCredited(em: EntityManager, id: string, sessionId: string, paymentIntentId: string | null): Promise<TopupRow | null> {
    const rows = await queryRows<RawTopup>(
      em,
      `UPDATE topups SET status = 'credited', credited_at = now(), checkout_session_id = $2,
         payment_intent_id = COALESCE($3, payment_intent_id)
       WHERE id = $1 AND status IN ('pending', 'expired') AND (checkout_session_id = $2 OR checkout_session_id IS NULL)
       RETURNING ${TOPUP_COLUMNS}`,
      [id, sessionId, paymentIntentId],
    );
    return rows[0] ? toTopup(rows[0]) : null;
  }

  async markExpired(id: string, sessionId: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE topups SET status = 'expired' WHERE id = $1 AND status = 'pending' AND (checkout_session_id = $2 OR checkout_session_id IS NULL) RETURNING id`,
      [id, sessionId],
    );
    return rows.length === 1;
  }

  /** Negative `nanos` gives back what a refund that failed had taken. */
  async addRefunded(em: EntityManager, id: string, nanos: Nanos): Promise<void> {
    await queryRows(em, `UPDATE topups SET refunded_nanos = refunded_nanos + $2 WHERE id = $1`, [id, nanos.toString()]);
  }

  // --- refund journals (the ledger is the only record of what a refund took) ---

  async journalExists(em: EntityManager, key: string): Promise<boolean> {
    const rows = await queryRows(em, `SELECT 1 FROM ledger_journals WHERE idempotency_key = $1`, [key]);
    return rows.length === 1;
  }

  /** What the journal `refund:<id>` took, by account kind; null when it was never posted. */
  async refundDebit(em: EntityManager, refundId: string): Promise<RefundDebit | null> {
    const rows = await queryRows<{ kind: string; amount: string }>(
      em,
      `SELECT a.kind, SUM(e.amount)::text AS amount FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
       JOIN ledger_accounts a ON a.id = e.account_id WHERE j.idempotency_key = $1 GROUP BY a.kind`,
      [refundKey(refundId)],
    );
    if (rows.length === 0) return null;
    const by = new Map(rows.map((r) => [r.kind, BigInt(r.amount)]));
    const taken = (kind: string) => -(by.get(kind) ?? 0n);
    return {
      refund: by.get('stripe_clearing') ?? 0n,
      fromAvailable: taken('available'),
      fromReceivable: taken('receivable'),
      fromFees: taken('fee_revenue'),
    };
  }

  /**
   * Card-money journals (top-ups, refunds, disputes) named in `keys` or created since `since`, each
   * with what it moved on `stripe_clearing` (0 for a journal without entries).
   */
  async cardJournals(keys: string[], since: Date): Promise<CardJournal[]> {
    const rows = await queryRows<{ key: string; created_at: Date; clearing: string }>(
      this.dataSource,
      `SELECT j.idempotency_key AS key, j.created_at,
         COALESCE(SUM(e.amount) FILTER (WHERE a.kind = 'stripe_clearing'), 0)::text AS clearing
       FROM ledger_journals j LEFT JOIN ledger_entries e ON e.journal_id = j.id LEFT JOIN ledger_accounts a ON a.id = e.account_id
       WHERE j.idempotency_key = ANY($1::text[])
          OR (j.created_at >= $2 AND j.idempotency_key ~ '^(topup|refund|refund-failed|dispute):')
       GROUP BY j.id`,
      [keys, since],
    );
    return rows.map((r) => ({ key: r.key, createdAt: new Date(r.created_at), clearing: BigInt(r.clearing) }));
  }

  // --- disputes ---

  /** Serialises the dispute transitions of one user (so "no other open dispute" is a safe read). */
  async lockUserDisputes(em: EntityManager, userId: string): Promise<void> {
    await queryRows(em, `SELECT pg_advisory_xact_lock(hashtextextended('disputes:' || $1, 0))`, [userId]);
  }

  async findDispute(em: EntityManager, id: string): Promise<DisputeRow | null> {
    const rows = await queryRows<RawDispute>(em, `SELECT ${DISPUTE_COLUMNS} FROM disputes WHERE id = $1`, [id]);
    return rows[0] ? toDispute(rows[0]) : null;
  }

  /** True only for the caller that created the row. */
  async insertDispute(em: EntityManager, d: Omit<DisputeRow, 'status'>): Promise<boolean> {
    const rows = await queryRows(
      em,
      `INSERT INTO disputes (id, user_id, topup_id, amount_nanos, from_available, from_receivable) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [d.id, d.userId, d.topupId, d.amountNanos.toString(), d.fromAvailable.toString(), d.fromReceivable.toString()],
    );
    return rows.length === 1;
  }

  /** open -> won | lost, once. */
  async closeDispute(em: EntityManager, id: string, status: 'won' | 'lost'): Promise<DisputeRow | null> {
    const rows = await queryRows<RawDispute>(
      em,
      `UPDATE disputes SET status = $2, closed_at = now() WHERE id = $1 AND status = 'open' RETURNING ${DISPUTE_COLUMNS}`,
      [id, status],
    );
    return rows[0] ? toDispute(rows[0]) : null;
  }

  /** The top-up's open dispute (Stripe allows one per charge), if any. */
  async openDisputeOf(em: EntityManager, topupId: string): Promise<DisputeRow | null> {
    const rows = await queryRows<RawDispute>(
      em,
      `SELECT ${DISPUTE_COLUMNS} FROM disputes WHERE topup_id = $1 AND status = 'open' ORDER BY created_at, id LIMIT 1`,
      [topupId],
    );
    return rows[0] ? toDispute(rows[0]) : null;
  }

  /** Grows what an open dispute set aside (so won or lost releases or takes exactly that). */
  async addSetAside(em: EntityManager, id: string, fromAvailable: Nanos, fromReceivable: Nanos): Promise<void> {
    const rows = await queryRows(
      em,
      `UPDATE disputes SET from_available = from_available + $2, from_receivable = from_receivable + $3
       WHERE id = $1 AND status = 'open' RETURNING id`,
      [id, fromAvailable.toString(), fromReceivable.toString()],
    );
    if (rows.length !== 1) throw new Error(`dispute ${id} is no longer open`);
  }

  async hasOpenDispute(em: EntityManager, userId: string): Promise<boolean> {
    const rows = await queryRows(em, `SELECT 1 FROM disputes WHERE user_id = $1 AND status = 'open' LIMIT 1`, [userId]);
    return rows.length > 0;
  }

  // --- stored Stripe events ---

  /** Stores a verified event once by id; says whether it still needs processing. */
  async storeEvent(id: string, type: string, payload: Record<string, unknown>): Promise<'new' | 'unprocessed' | 'processed'> {
    const inserted = await queryRows(
      this.dataSource,
      `INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, type.slice(0, 100), JSON.stringify(payload)],
    );
    if (inserted.length === 1) return 'new';
    const rows = await queryRows<{ processed: boolean }>(
      this.dataSource,
      `SELECT processed_at IS NOT NULL AS processed FROM stripe_events WHERE id = $1`,
      [id],
    );
    return rows[0]?.processed ? 'processed' : 'unprocessed';
  }

  async findEvent(id: string): Promise<StoredEvent | null> {
    const rows = await queryRows<{
      id: string;
      type: string;
      payload: Record<string, unknown>;
      processed_at: Date | null;
      attempts: number;
    }>(this.dataSource, `SELECT id, type, payload, processed_at, attempts FROM stripe_events WHERE id = $1`, [id]);
    const r = rows[0];
    return r ? { id: r.id, type: r.type, payload: r.payload, processedAt: r.processed_at, attempts: r.attempts } : null;
  }

  async markEventProcessed(id: string): Promise<void> {
    await queryRows(
      this.dataSource,
      `UPDATE stripe_events SET processed_at = now(), last_error = NULL WHERE id = $1 AND processed_at IS NULL`,
      [id],
    );
  }

  async recordEventFailure(id: string, error: string): Promise<void> {
    await queryRows(this.dataSource, `UPDATE stripe_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
      id,
      error.slice(0, 500),
    ]);
  }

  /** Unprocessed events received before `olderThanMs` ago that have not used up their attempts. */
  async staleEventIds(olderThanMs: number, maxAttempts: number, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource,
      `SELECT id FROM stripe_events WHERE processed_at IS NULL AND received_at < now() - make_interval(secs => $1) AND attempts < $2
       ORDER BY received_at LIMIT $3`,
      [olderThanMs / 1000, maxAttempts, limit],
    );
    return rows.map((r) => r.id);
  }
}
