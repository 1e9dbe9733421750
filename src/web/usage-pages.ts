import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { Clock } from '../common/clock/clock';
import { format } from '../common/html/format';
import { nanosToUsd } from '../common/money/money';
import { KeysService } from '../keys/keys.service';
import type { SessionPrincipal } from '../users/sessions.service';
import { UsageService } from '../usage/usage.service';
import type { GenerationFilter, SeriesGroup, SeriesUnit } from '../usage/usage-queries';
import { AuthorizedApps } from './authorized-apps';
import { buildChart, Chart } from './chart';

const PAGE = 50;
const DAY_MS = 86_400_000;
/** Series named in the chart; the rest are summed as "Other". */
const CHART_SERIES = 5;

export interface LogsQuery {
  key?: string;
  app?: string;
  model?: string;
  status?: 'ok' | 'error';
  from?: string;
  to?: string;
  before?: string;
}

export interface ActivityView {
  period: 'day' | 'week' | 'month' | 'year';
  group: SeriesGroup;
  metric: 'spend' | 'requests' | 'tokens';
}

/** How far back each activity period looks and the bucket it is drawn in. */
const PERIODS: Record<ActivityView['period'], { unit: SeriesUnit; buckets: number }> = {
  day: { unit: 'hour', buckets: 24 },
  week: { unit: 'day', buckets: 7 },
  month: { unit: 'day', buckets: 30 },
  year: { unit: 'month', buckets: 12 },
};

/**
 * The console pages built on the request records: Activity (chart and CSV), Logs, a request's
 * details, the keys with their last use, the overview's recent requests. Records name keys and
 * apps by id; the names come from keys and the AuthorizedApps port.
 */
@Injectable()
export class UsagePages {
  constructor(
    private readonly usage: UsageService,
    private readonly keys: KeysService,
    private readonly apps: AuthorizedApps,
    private readonly catalog: CatalogService,
    private readonly clock: Clock,
  ) {}

  /** The overview's last requests and how many apps hold a key of the user. */
  async recent(userId: string) {
    const [recent, apps] = await Promise.all([this.usage.list({ userId }, 5), this.apps.authorized(userId)]);
    return { recent: await this.describeLines(userId, recent.lines), appCount: apps.length };
  }

  async keysPage(actor: SessionPrincipal) {
    const [own, appKeys, lastUsed] = await Promise.all([
      this.keys.list(actor, 0, true),
      this.apps.authorized(actor.userId),
      this.lastUsedByHash(actor.userId),
    ]);
    return { keys: own.map((k) => ({ ...k, last_used: lastUsed.get(k.hash) ?? null })), apps: appKeys };
  }

  /** Each used key's last request time, by key hash (the keys list names keys by hash, the records by id). */
  private async lastUsedByHash(userId: string): Promise<Map<string, Date>> {
    const byId = await this.usage.lastUsedByKey(userId);
    const names = await this.keys.names(userId, [...byId.keys()]);
    return new Map(
      [...byId.entries()].flatMap(([id, at]) => {
        const key = names.get(id);
        return key ? [[key.hash, at] as const] : [];
      }),
    );
  }

  async activity(userId: string, v: ActivityView) {
    const { unit, buckets } = PERIODS[v.period];
    const starts = bucketStarts(this.clock.now(), unit, buckets);
    const points = await this.usage.series({ userId, from: starts[0] }, unit, v.group);
    const names = await this.groupNames(
      userId,
      v.group,
      points.map((p) => p.group),
    );
    const value = (p: (typeof points)[number]) =>
      v.metric === 'spend' ? nanosToUsd(p.costNanos) : v.metric === 'requests' ? p.requests : p.tokens;
    const totals = new Map<string, { name: string; spend: bigint; requests: number; tokens: number }>();
    for (const p of points) {
      const key = p.group ?? '';
      const t = totals.get(key) ?? { name: names.get(key) ?? noneName(v.group), spend: 0n, requests: 0, tokens: 0 };
      t.spend += p.costNanos;
      t.requests += p.requests;
      t.tokens += p.tokens;
      totals.set(key, t);
    }
    const metricOf = (t: { spend: bigint; requests: number; tokens: number }) =>
      v.metric === 'spend' ? Number(t.spend) : v.metric === 'requests' ? t.requests : t.tokens;
    const ranked = [...totals.entries()].sort((a, b) => metricOf(b[1]) - metricOf(a[1]));
    const named = ranked.slice(0, CHART_SERIES).map(([k]) => k);
    const index = new Map(starts.map((s, i) => [s.getTime(), i]));
    const series = [
      ...named.map((k) => ({ name: totals.get(k)!.name, key: k })),
      ...(ranked.length > CHART_SERIES ? [{ name: 'Other', key: null }] : []),
    ].map((s) => ({ name: s.name, key: s.key, values: starts.map(() => 0) }));
    for (const p of points) {
      const i = index.get(p.bucket.getTime());
      if (i === undefined) continue;
      const s = series.find((x) => x.key === (p.group ?? '')) ?? series.find((x) => x.key === null);
      if (s) s.values[i] += value(p);
    }
    const chart: Chart = buildChart({
      buckets: starts,
      series,
      labelOf: (b) =>
        unit === 'hour'
          ? `${b.toISOString().slice(11, 13)}:00`
          : unit === 'day'
            ? b.toISOString().slice(5, 10)
            : b.toISOString().slice(0, 7),
      valueLabel: (x) => (v.metric === 'spend' ? format.usd(x) : format.count(Math.round(x))),
    });
    const rows = ranked.map(([key, t]) => ({ key, name: t.name, spend: nanosToUsd(t.spend), requests: t.requests, tokens: t.tokens }));
    const sum = rows.reduce(
      (a, r) => ({ spend: a.spend + BigInt(totals.get(r.key)!.spend), requests: a.requests + r.requests, tokens: a.tokens + r.tokens }),
      {
        spend: 0n,
        requests: 0,
        tokens: 0,
      },
    );
    return { chart, rows, total: { spend: nanosToUsd(sum.spend), requests: sum.requests, tokens: sum.tokens }, since: starts[0] };
  }

  /** The activity of the last 30 completed days as CSV: the rows of GET /api/v1/activity. */
  async activityCsv(userId: string): Promise<string> {
    const rows = await this.usage.activity(userId, {}, this.clock.now());
    const header = [
      'date',
      'model',
      'endpoint_id',
      'provider_name',
      'usage',
      'requests',
      'prompt_tokens',
      'completion_tokens',
      'reasoning_tokens',
    ];
    const lines = rows.map((r) =>
      [
        r.date,
        r.model,
        r.endpoint_id,
        r.provider_name ?? '',
        String(r.usage),
        String(r.requests),
        String(r.prompt_tokens),
        String(r.completion_tokens),
        String(r.reasoning_tokens),
      ]
        .map(csvCell)
        .join(','),
    );
    return [header.join(','), ...lines].join('\r\n') + '\r\n';
  }

  async logs(actor: SessionPrincipal, q: LogsQuery) {
    const userId = actor.userId;
    const filter: GenerationFilter = { userId, model: q.model || undefined, status: q.status, appId: q.app || undefined };
    if (q.key) filter.keyId = (await this.keys.idOfHash(userId, q.key)) ?? '00000000-0000-0000-0000-000000000000';
    if (q.from) filter.from = new Date(`${q.from}T00:00:00Z`);
    if (q.to) filter.to = new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY_MS);
    const [page, keys, apps] = await Promise.all([
      this.usage.list(filter, PAGE, q.before),
      this.keys.list(actor, 0, true),
      this.apps.authorized(userId),
    ]);
    return {
      lines: await this.describeLines(userId, page.lines),
      next: page.next,
      keys: keys.map((k) => ({ hash: k.hash, name: k.name })),
      apps: apps.map((a) => ({ id: a.app_id, name: a.name })),
      models: this.catalog.models().map((m) => m.id),
    };
  }

  async generation(userId: string, id: string) {
    const { generation: g, held, appId } = await this.usage.detail(id, { userId, keyId: null });
    const maxLatency = Math.max(1, ...g.provider_responses.map((a) => a.latency_ms));
    return {
      g,
      held,
      appName: appId ? ((await this.apps.names([appId])).get(appId) ?? null) : null,
      attempts: g.provider_responses.map((a, i) => ({ ...a, n: i + 1, share: Math.round((a.latency_ms / maxLatency) * 100) })),
    };
  }

  /** Key and app names for a page of generations (a deleted key keeps its name). */
  private async describeLines(userId: string, lines: Awaited<ReturnType<UsageService['list']>>['lines']) {
    const [keys, apps] = await Promise.all([
      this.keys.names(
        userId,
        lines.map((l) => l.keyId),
      ),
      this.apps.names(lines.flatMap((l) => (l.appId ? [l.appId] : []))),
    ]);
    return lines.map((l) => ({
      ...l,
      cost: nanosToUsd(l.costNanos),
      keyName: keys.get(l.keyId)?.name ?? 'Deleted key',
      appName: l.appId ? (apps.get(l.appId) ?? 'Removed app') : null,
    }));
  }

  private async groupNames(userId: string, group: SeriesGroup, ids: (string | null)[]): Promise<Map<string, string>> {
    const present = ids.filter((x): x is string => x !== null);
    if (group === 'model') return new Map(present.map((m) => [m, m]));
    if (group === 'key') {
      const keys = await this.keys.names(userId, present);
      return new Map([...keys.entries()].map(([id, k]) => [id, k.deleted ? `${k.name} (deleted)` : k.name]));
    }
    return this.apps.names(present);
  }
}

const noneName = (group: SeriesGroup) => (group === 'app' ? 'Your own keys' : 'Unknown');

/** The starts of the last `n` buckets (UTC), oldest first, the current one included. */
export function bucketStarts(now: Date, unit: SeriesUnit, n: number): Date[] {
  const out: Date[] = [];
  for (let i = n - 1; i >= 0; i--) {
    if (unit === 'hour') out.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() - i)));
    else if (unit === 'day') out.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - i)));
    else out.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)));
  }
  return out;
}

/** A CSV cell (RFC 4180), with formula-looking text defused for spreadsheets. */
export function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
