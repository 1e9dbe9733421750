import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';

/** A statement run on the hot path: parsed and planned once per pooled connection, by name. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/**
 * The request path's SQL (auth, hold, settle) straight on the pool TypeORM already owns, as named
 * prepared statements: no query building, no parameter rewriting, no second pool. Everything else
 * stays on repositories and the entity manager.
 */
@Injectable()
export class PreparedSql {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async rows<T extends QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const result = await this.pool().query<T>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  private pool(): Pool {
    // TypeORM's Postgres driver keeps its pg Pool as `master` (there are no replicas here).
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) throw new Error('the database connection is not initialised');
    return pool;
  }
}

/** Declares a prepared statement; the name must be unique in the process. */
export const prepared = (name: string, text: string): PreparedStatement => ({ name, text });
