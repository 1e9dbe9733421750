import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationRecord } from './generation-record';

@Injectable()
export class GenerationsRepository {
  constructor(@InjectRepository(GenerationEntity) private readonly generations: Repository<GenerationEntity>) {}

  /**
   * Inserts each record once, in one statement with one parameter (the batch as JSON, unpacked by
   * Postgres): a retried or duplicated job is a no-op. Columns come from the entity, so the two
   * cannot drift apart.
   */
  async insert(records: GenerationRecord[]): Promise<void> {
    if (records.length === 0) return;
    const columns = this.generations.metadata.columns;
    const rows = records.map((r) => {
      const row: Record<string, unknown> = {};
      for (const c of columns) row[c.databaseName] = (r as unknown as Record<string, unknown>)[c.propertyName];
      return row;
    });
    const names = columns.map((c) => `"${c.databaseName}"`).join(', ');
    const table = this.generations.metadata.tablePath;
    await this.generations.query(
      `INSERT INTO ${table} (${names}) SELECT ${names} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  findOwned(id: string, userId: string): Promise<GenerationEntity | null> {
    return this.generations.findOneBy({ id, userId });
  }
}
