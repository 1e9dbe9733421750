import type { AppLogger } from '../common/logging/app-logger';
import type { AttemptRecord } from './entities/generation.entity';

/** What the gateway reports about a finished request (JSON-safe: money as decimal strings). */
export interface GenerationRecord {
  id: string;
  userId: string;
  keyId: string;
  requestId: string;
  apiType: 'completions' | 'embeddings';
  requestedModel: string;
  model: string | null;
  providerSlug: string | null;
  providerName: string | null;
  upstreamModel: string | null;
  streamed: boolean;
  cancelled: boolean;
  finishReason: string | null;
  nativeFinishReason: string | null;
  tokensPrompt: number;
  tokensCompletion: number;
  tokensCached: number;
  tokensReasoning: number;
  usageEstimated: boolean;
  costNanos: string;
  holdNanos: string;
  latencyMs: number;
  ttftMs: number | null;
  generationTimeMs: number;
  appId: string | null;
  httpReferer: string | null;
  appTitle: string | null;
  userAgent: string | null;
  externalUser: string | null;
  sessionId: string | null;
  errorCode: number | null;
  errorMessage: string | null;
  attempts: AttemptRecord[];
  /** ISO time the request arrived. */
  createdAt: string;
}

/** Records Postgres refused as data: retrying cannot help them, so they stay in the log, whole. */
export function logRefused(log: AppLogger, records: GenerationRecord[], refused: string[]): void {
  if (refused.length === 0) return;
  const ids = new Set(refused);
  log.error({ records: records.filter((r) => ids.has(r.id)) }, 'generation records refused by the database');
}
