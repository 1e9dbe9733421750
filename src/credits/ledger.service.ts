import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { accountCode, AccountRef, JournalInput, UserBalances } from './ledger';
import { LedgerRepository } from './ledger.repository';

/** A movement refused because it would take a user balance below zero. */
export class InsufficientBalanceError extends Error {
  constructor(readonly account: string) {
    super(`insufficient balance on ${account}`);
    this.name = 'InsufficientBalanceError';
  }
}

/**
 * The append-only double-entry ledger. Every movement is a journal whose entries sum to zero,
 * posted once per idempotency key, with the cached balances updated in the same transaction.
 * This class posts top-ups, grants, refunds and disputes; the hold and settle journals of requests
 * are posted by the sy_hold / sy_settle routines (sql/money-routines.sql) by the same rules, in one
 * round trip each.
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly repo: LedgerRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** For reads outside a transaction. */
  get dataSource(): DataSource {
    return this.repo.dataSource;
  }

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.dataSource.transaction(work);
  }

  /**
   * Posts a journal inside the caller's transaction. Returns false when this key was posted
   * before (a replay: nothing changes). Zero entries are left out. Balances are updated in a fixed
   * order (by account code) so concurrent journals cannot deadlock on each other.
   */
  async post(em: EntityManager, j: JournalInput): Promise<boolean> {
    const entries = j.entries.filter((e) => e.amount !== 0n);
    const sum = entries.reduce((s, e) => s + e.amount, 0n);
    if (sum !== 0n) throw new Error(`journal ${j.key} does not balance (sum ${sum})`);
    for (const e of entries) await this.ensureAccount(em, e.account);
    const journalId = await this.repo.insertJournal(em, j);
    if (!journalId) return false;
    if (entries.length === 0) return true;
    const coded = entries.map((e) => ({ code: accountCode(e.account), amount: e.amount })).sort((a, b) => (a.code < b.code ? -1 : 1));
    await this.repo.insertEntries(em, journalId, coded);
    for (const e of coded) {
      if (!(await this.repo.applyEntry(em, e.code, e.amount))) throw new InsufficientBalanceError(e.code);
    }
    return true;
  }

  /**
   * Accounts are created on first use, inside the journal's own transaction (an insert that does
   * nothing when the account exists). Not cached: a creation that another transaction has not yet
   * committed must not be taken for done.
   */
  private async ensureAccount(em: EntityManager, ref: AccountRef): Promise<void> {
    if ('user' in ref) await this.repo.ensureUserAccounts(em, ref.user);
    else await this.repo.ensurePlatformAccount(em, ref);
  }

  balances(userId: string, em?: EntityManager): Promise<UserBalances> {
    return this.repo.balances(em ?? this.repo.dataSource, userId);
  }

  setFrozen(em: EntityManager, userId: string, frozen: boolean): Promise<void> {
    return this.repo.setFrozen(em, userId, frozen);
  }

  /** Every broken invariant (empty when the ledger is sound); `ledger:check` and the tests run this. */
  check(): Promise<string[]> {
    const staleBefore = new Date(this.clock.nowMs() - this.config.holds.ttlMs - this.config.holds.sweepIntervalMs * 2);
    return this.repo.violations(this.repo.dataSource, staleBefore);
  }
}
