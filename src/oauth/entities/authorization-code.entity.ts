import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';
import type { LimitReset } from '../../keys/periods';
import type { OAuthFlow } from './authorization-request.entity';
import { OAuthAppEntity } from './oauth-app.entity';

/**
 * An authorization code: only its SHA-256 is stored. Bound to the app, the exact redirect URI, the
 * user, the scope and the S256 challenge; single use (`consumed_at`), short-lived (`expires_at`).
 * `api_key_id` remembers the key it minted so that a replay can revoke it (RFC 6749 §4.1.2).
 */
@Entity('oauth_authorization_codes')
@Check('chk_oauth_authorization_codes_flow', `"flow" IN ('oauth', 'openrouter')`)
@Check('chk_oauth_authorization_codes_method', `"code_challenge_method" = 'S256'`)
@Check('chk_oauth_authorization_codes_limit_reset', `"limit_reset" IS NULL OR "limit_reset" IN ('daily', 'weekly', 'monthly')`)
export class OAuthAuthorizationCodeEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_oauth_authorization_codes_code_hash', { unique: true })
  @Column({ name: 'code_hash', type: 'char', length: 64 })
  codeHash: string;

  @Index('ix_oauth_authorization_codes_app_id')
  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @ManyToOne(() => OAuthAppEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: OAuthAppEntity;

  @Index('ix_oauth_authorization_codes_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ type: 'varchar', length: 16 })
  flow: OAuthFlow;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 })
  redirectUri: string;

  @Column({ name: 'code_challenge', type: 'varchar', length: 43 })
  codeChallenge: string;

  @Column({ name: 'code_challenge_method', type: 'varchar', length: 8 })
  codeChallengeMethod: string;

  @Column({ type: 'varchar', length: 200 })
  scope: string;

  @Column({ name: 'key_name', type: 'varchar', length: 200 })
  keyName: string;

  @Column({ name: 'limit_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  limitNanos: bigint | null;

  @Column({ name: 'limit_reset', type: 'varchar', length: 8, nullable: true })
  limitReset: LimitReset | null;

  @Index('ix_oauth_authorization_codes_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;

  @Index('ix_oauth_authorization_codes_api_key_id')
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @ManyToOne('ApiKeyEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'api_key_id' })
  apiKey?: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
