import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { storableText } from '../common/database/text';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationRecord } from './generation-record';

@Injectable()
export class GenerationsRepository {
  constructor(@InjectRepository(GenerationEntity) private readonly generations: Repository<GenerationEntity>) {}

  /**
   * Inserts each record once, in one statement with one parameter (the batch as JSON, unpacked by
   * Postgres): a retried or duplicated job is a no-op (a record that bills more replaces the one stored). Columns come from the entity, so the two
   * cannot drift apart. A record Postgres refuses as data (SQLSTATE class 22) must not sink the
   * rest of its batch: the batch is then written record by record, and the ids of the records
   * that still fail come back. Other failures (the connection) throw, for the queue to retry.
   */
  async insert(records: GenerationRecord[]): Promise<{ refused: string[] }> {
    if (records.length === 0) return { refused: [] };
    // One row per id in a statement (an upsert cannot touch a row twice): the one that bills most.
    const byId = new Map<string, GenerationRecord>();
    for (const r of records) {
      const seen = byId.get(r.id);
      if (!seen || BigInt(seen.costNanos) < BigInt(r.costNanos)) byId.set(r.id, r);
    }
    records = [...byId.values()];
    const columns = this.generations.metadata.columns;
    const rows = records.map((r) => {
      const row: Record<string, unknown> = {};
      for (const c of columns) row[c.databaseName] = (r as unknown as Record<string, unknown>)[c.propertyName];
      return row;
    });
    try {
      await this.insertRows(rows);
      return { refused: [] };
    } catch (err) {
      if (!isDataError(err)) throw err;
    }
    const refused: string[] = [];
    for (const [i, row] of rows.entries()) {
      try {
        await this.insertRows([row]);
      } catch (err) {
        if (!isDataError(err)) throw err;
        refused.push(records[i].id);
      }
    }
    return { refused };
  }

  private async insertRows(rows: Record<string, unknown>[]): Promise<void> {
    const columns = this.generations.metadata.columns;
    const names = columns.map((c) => `"${c.databaseName}"`).join(', ');
    const rest = columns.filter((c) => c.databaseName !== 'id').map((c) => `"${c.databaseName}"`);
    const table = this.generations.metadata.tablePath;
    // A record written again is a no-op, unless it bills more: the request's own record, settled
    // after the sweeper had recorded what it knew, replaces the sweeper's.
    await this.generations.query(
      `INSERT INTO ${table} AS g (${names}) SELECT ${names} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
       ON CONFLICT (id) DO UPDATE SET (${rest.join(', ')}) = ROW(${rest.map((n) => `EXCLUDED.${n}`).join(', ')})
       WHERE g.cost_nanos < EXCLUDED.cost_nanos`,
      [JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value))],
    );
  }

  findOwned(id: string, owner: { userId: string; keyId: string | null }): Promise<GenerationEntity | null> {
    return this.generations.findOneBy({ id, userId: owner.userId, ...(owner.keyId ? { keyId: owner.keyId } : {}) });
  }
}

/** A Postgres data exception (class 22: bad value, not a broken connection). */
function isDataError(err: unknown): boolean {
  return (err as { code?: string }).code?.startsWith('22') === true;
}
