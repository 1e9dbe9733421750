import type { EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM answers UPDATE/DELETE with `[rows, rowCount]` but
 * SELECT/INSERT with the rows alone; callers of `... RETURNING` want the rows either way.
 */
export async function queryRows<T = Record<string, unknown>>(
  em: Pick<EntityManager, 'query'>,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result = (await em.query(sql, params)) as unknown;
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
