import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { cursorAt } from '../common/database/keyset-cursor';
import { queryRows } from '../common/database/sql';
import { storableText } from '../common/database/text';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationRecord } from './generation-record';
import {
  ActivityAggregate,
  GenerationFilter,
  RollupFilter,
  GenerationLine,
  GenerationPosition,
  SeriesGroup,
  SeriesPoint,
  SeriesUnit,
} from './usage-queries';

/**
 * Each of a user's keys that has generations, with its newest one's time. A skip scan over
 * ix_generations_user_key_created: one probe finds the user's next key, one reads its newest row,
 * so the cost follows the number of keys, not of generations.
 */
export const LAST_USED_BY_KEY_SQL = `
  WITH RECURSIVE used AS (
    (SELECT key_id FROM generations WHERE user_id = $1 ORDER BY key_id LIMIT 1)
    UNION ALL
    SELECT (SELECT g.key_id FROM generations g WHERE g.user_id = $1 AND g.key_id > used.key_id ORDER BY g.key_id LIMIT 1)
    FROM used WHERE used.key_id IS NOT NULL
  )
  SELECT key_id, (SELECT max(g.created_at) FROM generations g WHERE g.user_id = $1 AND g.key_id = used.key_id) AS last_at
  FROM used WHERE key_id IS NOT NULL`;

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
    const cols = 'user_id, created_at, model, requested_model, provider_slug, provider_name, key_id, app_id';
    // A record written again is a no-op, unless it bills more: the request's own record, settled
    // after the sweeper had recorded what it knew, replaces the sweeper's. The hourly sums change by
    // exactly what the statement changed, in the same statement, so they always equal the sums of
    // the generations: each row inserted or replaced is added, each replaced row subtracted (its old
    // version locked first, so a concurrent replacement cannot slip between read and write). The
    // sums are grouped and sorted, so that concurrent batches lock the rows they share in one order.
    await this.generations.query(
      `WITH incoming AS (SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)),
       replaced AS (
         SELECT g.id, ${cols}, g.cost_nanos, g.tokens_prompt, g.tokens_completion, g.tokens_reasoning
         FROM ${table} g WHERE g.id IN (SELECT id FROM incoming) FOR UPDATE
       ),
       written AS (
         INSERT INTO ${table} AS g (${names}) SELECT ${names} FROM incoming
         ON CONFLICT (id) DO UPDATE SET (${rest.join(', ')}) = ROW(${rest.map((n) => `EXCLUDED.${n}`).join(', ')})
         WHERE g.cost_nanos < EXCLUDED.cost_nanos
         RETURNING g.id, ${cols}, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning
       ),
       changes AS (
         SELECT ${cols}, 1 AS requests, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning FROM written
         UNION ALL
         SELECT ${cols
           .split(', ')
           .map((c) => `r.${c}`)
           .join(', ')}, -1, -r.cost_nanos, -r.tokens_prompt, -r.tokens_completion, -r.tokens_reasoning
         FROM replaced r JOIN written w ON w.id = r.id
       )
       INSERT INTO generation_hourly AS h (user_id, hour, model, provider_slug, provider_name, key_id, app_id, requests, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning)
       SELECT user_id, date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', COALESCE(model, requested_model), provider_slug, MAX(provider_name),
              key_id, app_id, SUM(requests), SUM(cost_nanos), SUM(tokens_prompt), SUM(tokens_completion), SUM(tokens_reasoning)
       FROM changes GROUP BY 1, 2, 3, 4, 6, 7 ORDER BY 1, 2, 3, 4, 6, 7
       ON CONFLICT (user_id, hour, model, provider_slug, key_id, app_id) DO UPDATE SET
         requests = h.requests + EXCLUDED.requests, cost_nanos = h.cost_nanos + EXCLUDED.cost_nanos,
         tokens_prompt = h.tokens_prompt + EXCLUDED.tokens_prompt, tokens_completion = h.tokens_completion + EXCLUDED.tokens_completion,
         tokens_reasoning = h.tokens_reasoning + EXCLUDED.tokens_reasoning, provider_name = COALESCE(EXCLUDED.provider_name, h.provider_name)`,
      [JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value))],
    );
  }

  findOwned(id: string, owner: { userId: string; keyId: string | null }): Promise<GenerationEntity | null> {
    return this.generations.findOneBy({ id, userId: owner.userId, ...(owner.keyId ? { keyId: owner.keyId } : {}) });
  }

  /** Newest first after `before`, `limit` rows; served by ix_generations_user_created_id. */
  async list(
    filter: GenerationFilter,
    limit: number,
    before: GenerationPosition | null,
  ): Promise<{ line: GenerationLine; position: GenerationPosition }[]> {
    const { where, params } = whereOf(filter);
    if (before) where.push(`(created_at, id) < ($${params.push(before.at)}::timestamptz, $${params.push(before.id)})`);
    const rows = await queryRows<GenerationRow>(
      this.generations.manager,
      `SELECT id, created_at, ${cursorAt('created_at')} AS at, model, requested_model, provider_name, key_id, app_id, tokens_prompt,
              tokens_completion, cost_nanos::text AS cost, latency_ms, error_code, finish_reason, streamed
       FROM generations WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map((r) => ({
      line: {
        id: r.id,
        createdAt: r.created_at,
        model: r.model,
        requestedModel: r.requested_model,
        providerName: r.provider_name,
        keyId: r.key_id,
        appId: r.app_id,
        tokensPrompt: r.tokens_prompt,
        tokensCompletion: r.tokens_completion,
        costNanos: BigInt(r.cost),
        latencyMs: r.latency_ms,
        errorCode: r.error_code,
        finishReason: r.finish_reason,
        streamed: r.streamed,
      },
      position: { at: r.at, id: r.id },
    }));
  }

  /** When each of the user's keys last made a request (its newest generation), by key id; unused keys are absent. */
  async lastUsedByKey(userId: string): Promise<Map<string, Date>> {
    const rows = await queryRows<{ key_id: string; last_at: Date }>(this.generations.manager, LAST_USED_BY_KEY_SQL, [userId]);
    return new Map(rows.map((r) => [r.key_id, r.last_at]));
  }

  /** Spend, requests and tokens per bucket and group (UTC buckets), from the hourly sums. */
  async series(filter: RollupFilter, unit: SeriesUnit, group: SeriesGroup): Promise<SeriesPoint[]> {
    const { where, params } = rollupWhere(filter);
    const rows = await queryRows<{ bucket: Date; grp: string | null; cost: string; requests: number; tokens: string }>(
      this.generations.manager,
      `SELECT date_trunc('${unit}', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, ${GROUP_COLUMN[group]} AS grp,
              SUM(cost_nanos)::text AS cost, SUM(requests)::int AS requests, SUM(tokens_prompt + tokens_completion)::text AS tokens
       FROM generation_hourly WHERE ${where.join(' AND ')} GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    return rows.map((r) => ({ bucket: r.bucket, group: r.grp, costNanos: BigInt(r.cost), requests: r.requests, tokens: Number(r.tokens) }));
  }

  /** Per UTC day, model and endpoint (provider), as OpenRouter's activity rows, from the hourly sums. */
  async activity(filter: RollupFilter): Promise<ActivityAggregate[]> {
    const { where, params } = rollupWhere(filter);
    const rows = await queryRows<{
      date: string;
      model: string;
      provider_slug: string | null;
      provider_name: string | null;
      cost: string;
      requests: number;
      prompt: string;
      completion: string;
      reasoning: string;
    }>(
      this.generations.manager,
      `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date, model, provider_slug,
              MAX(provider_name) AS provider_name, SUM(cost_nanos)::text AS cost, SUM(requests)::int AS requests,
              SUM(tokens_prompt)::text AS prompt, SUM(tokens_completion)::text AS completion, SUM(tokens_reasoning)::text AS reasoning
       FROM generation_hourly WHERE ${where.join(' AND ')} GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3`,
      params,
    );
    return rows.map((r) => ({
      date: r.date,
      model: r.model,
      providerSlug: r.provider_slug,
      providerName: r.provider_name,
      costNanos: BigInt(r.cost),
      requests: r.requests,
      promptTokens: Number(r.prompt),
      completionTokens: Number(r.completion),
      reasoningTokens: Number(r.reasoning),
    }));
  }
}

/** Columns a series may be grouped by (a fixed list: never text from a request). */
const GROUP_COLUMN: Record<SeriesGroup, string> = {
  model: 'model',
  key: 'key_id::text',
  app: 'app_id::text',
};

/** The hourly sums are filtered by user, key and whole hours (`from`/`to` on hour boundaries). */
function rollupWhere(f: RollupFilter): { where: string[]; params: unknown[] } {
  const params: unknown[] = [f.userId];
  const where = ['user_id = $1'];
  if (f.keyId) where.push(`key_id = $${params.push(f.keyId)}`);
  if (f.from) where.push(`hour >= $${params.push(f.from)}`);
  if (f.to) where.push(`hour < $${params.push(f.to)}`);
  return { where, params };
}

function whereOf(f: GenerationFilter): { where: string[]; params: unknown[] } {
  const params: unknown[] = [f.userId];
  const where = ['user_id = $1'];
  if (f.keyId) where.push(`key_id = $${params.push(f.keyId)}`);
  if (f.appId) where.push(`app_id = $${params.push(f.appId)}`);
  if (f.model) where.push(`COALESCE(model, requested_model) = $${params.push(f.model)}`);
  if (f.status === 'ok') where.push('error_code IS NULL');
  if (f.status === 'error') where.push('error_code IS NOT NULL');
  if (f.from) where.push(`created_at >= $${params.push(f.from)}`);
  if (f.to) where.push(`created_at < $${params.push(f.to)}`);
  return { where, params };
}

interface GenerationRow {
  id: string;
  created_at: Date;
  at: string;
  model: string | null;
  requested_model: string;
  provider_name: string | null;
  key_id: string;
  app_id: string | null;
  tokens_prompt: number;
  tokens_completion: number;
  cost: string;
  latency_ms: number;
  error_code: number | null;
  finish_reason: string | null;
  streamed: boolean;
}

/** A Postgres data exception (class 22: bad value, not a broken connection). */
function isDataError(err: unknown): boolean {
  return (err as { code?: string }).code?.startsWith('22') === true;
}
