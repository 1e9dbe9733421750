import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

export interface AttemptRecord {
  provider_name: string;
  provider_slug: string;
  model: string;
  status: number | null;
  error: string | null;
  latency_ms: number;
  /**
   * A stream continued on this endpoint after another's was cut: the characters of answer the
   * client already had, sent to it as an assistant prefill (where its continuation took over).
   */
  continued_at?: number;
  /** One segment of a continued stream: what it was billed (the request's bill is their sum). */
  billed?: { prompt_tokens: number; completion_tokens: number; cost_nanos: string; estimated: boolean };
}

/**
 * One inference request: what was asked, what served it, what it cost. Written off the hot path
 * (a queue job), idempotently by id; the money itself moves through caps/credits, not through here.
 */
@Entity('generations')
// The migration adds the summed columns as INCLUDE (TypeORM cannot express it).
@Index('ix_generations_user_created_id', ['userId', 'createdAt', 'id'])
@Index('ix_generations_key_created', ['keyId', 'createdAt'])
@Index('ix_generations_user_key_created', ['userId', 'keyId', 'createdAt'])
export class GenerationEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  @Column({ name: 'api_type', type: 'varchar', length: 16 })
  apiType: 'completions' | 'embeddings';

  @Column({ name: 'requested_model', type: 'varchar', length: 200 })
  requestedModel: string;

  /** The model that served the request (after fallbacks); null when none did. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ name: 'provider_slug', type: 'varchar', length: 64, nullable: true })
  providerSlug: string | null;

  @Column({ name: 'provider_name', type: 'varchar', length: 100, nullable: true })
  providerName: string | null;

  @Column({ name: 'upstream_model', type: 'varchar', length: 200, nullable: true })
  upstreamModel: string | null;

  @Column({ type: 'boolean', default: false })
  streamed: boolean;

  @Column({ type: 'boolean', default: false })
  cancelled: boolean;

  @Column({ name: 'finish_reason', type: 'varchar', length: 32, nullable: true })
  finishReason: string | null;

  @Column({ name: 'native_finish_reason', type: 'varchar', length: 64, nullable: true })
  nativeFinishReason: string | null;

  @Column({ name: 'tokens_prompt', type: 'integer', default: 0 })
  tokensPrompt: number;

  @Column({ name: 'tokens_completion', type: 'integer', default: 0 })
  tokensCompletion: number;

  @Column({ name: 'tokens_cached', type: 'integer', default: 0 })
  tokensCached: number;

  @Column({ name: 'tokens_reasoning', type: 'integer', default: 0 })
  tokensReasoning: number;

  /** The upstream sent no usage (cut or cancelled stream): the counts are our own estimate. */
  @Column({ name: 'usage_estimated', type: 'boolean', default: false })
  usageEstimated: boolean;

  @Column({ name: 'cost_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  costNanos: bigint;

  @Column({ name: 'hold_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  holdNanos: bigint;

  @Column({ name: 'latency_ms', type: 'integer', default: 0 })
  latencyMs: number;

  @Column({ name: 'ttft_ms', type: 'integer', nullable: true })
  ttftMs: number | null;

  @Column({ name: 'generation_time_ms', type: 'integer', default: 0 })
  generationTimeMs: number;

  /** The OAuth app whose key made the request, if any. */
  @Index('ix_generations_app')
  @Column({ name: 'app_id', type: 'uuid', nullable: true })
  appId: string | null;

  @Column({ name: 'http_referer', type: 'varchar', length: 500, nullable: true })
  httpReferer: string | null;

  @Column({ name: 'app_title', type: 'varchar', length: 200, nullable: true })
  appTitle: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 300, nullable: true })
  userAgent: string | null;

  @Column({ name: 'external_user', type: 'varchar', length: 256, nullable: true })
  externalUser: string | null;

  @Column({ name: 'session_id', type: 'varchar', length: 256, nullable: true })
  sessionId: string | null;

  @Column({ name: 'error_code', type: 'integer', nullable: true })
  errorCode: number | null;

  @Column({ name: 'error_message', type: 'varchar', length: 500, nullable: true })
  errorMessage: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attempts: AttemptRecord[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
