import { Client } from 'pg';
import { testDatabaseUrl } from './test-env';

/** One query against the run's test database on a connection of its own. */
export async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: testDatabaseUrl() });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
