import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';
import { OAuthAppEntity } from './oauth-app.entity';

export type OAuthFlow = 'oauth' | 'openrouter';

/**
 * A validated authorization request waiting for the user's decision on the consent page. Bound to
 * the browser session that saw the page, with a one-time CSRF token stored as its SHA-256; the
 * parameters never travel through the form, so they cannot be changed between page and decision.
 */
@Entity('oauth_authorization_requests')
@Check('chk_oauth_authorization_requests_flow', `"flow" IN ('oauth', 'openrouter')`)
export class OAuthAuthorizationRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'csrf_hash', type: 'char', length: 64 })
  csrfHash: string;

  @Index('ix_oauth_authorization_requests_session_id')
  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne('SessionEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: unknown;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @ManyToOne(() => OAuthAppEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: OAuthAppEntity;

  @Column({ type: 'varchar', length: 16 })
  flow: OAuthFlow;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 })
  redirectUri: string;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  state: string | null;

  @Column({ name: 'code_challenge', type: 'varchar', length: 43 })
  codeChallenge: string;

  @Column({ type: 'varchar', length: 200 })
  scope: string;

  @Column({ name: 'key_label', type: 'varchar', length: 200, nullable: true })
  keyLabel: string | null;

  @Column({ name: 'requested_limit_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  requestedLimitNanos: bigint | null;

  @Index('ix_oauth_authorization_requests_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
