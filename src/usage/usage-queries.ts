/** What the generations list, the activity rows and the activity series are filtered by. */
export interface GenerationFilter {
  userId: string;
  keyId?: string;
  appId?: string;
  model?: string;
  status?: 'ok' | 'error';
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** What the hourly sums can be filtered by (whole UTC hours). */
export type RollupFilter = Pick<GenerationFilter, 'userId' | 'keyId' | 'from' | 'to'>;

/** Newest-first position in the generations list: the last row's timestamp (microseconds) and id. */
export interface GenerationPosition {
  at: string;
  id: string;
}

export type SeriesUnit = 'hour' | 'day' | 'month';
export type SeriesGroup = 'model' | 'key' | 'app';

/** One bucket of one group: spend, requests and tokens. */
export interface SeriesPoint {
  bucket: Date;
  group: string | null;
  costNanos: bigint;
  requests: number;
  tokens: number;
}

/** One generation as the list shows it. */
export interface GenerationLine {
  id: string;
  createdAt: Date;
  model: string | null;
  requestedModel: string;
  providerName: string | null;
  keyId: string;
  appId: string | null;
  tokensPrompt: number;
  tokensCompletion: number;
  costNanos: bigint;
  latencyMs: number;
  errorCode: number | null;
  finishReason: string | null;
  streamed: boolean;
}

/** `GET /api/v1/activity` aggregate: one UTC day, model and endpoint. */
export interface ActivityAggregate {
  date: string;
  model: string;
  providerSlug: string | null;
  providerName: string | null;
  costNanos: bigint;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
}
