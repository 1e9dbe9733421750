import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OAuthAppKind = 'registered' | 'origin' | 'headless';

/**
 * A third-party app. `registered` apps have a client_id, exact redirect URIs and, when
 * confidential, a secret (stored as its SHA-256 only). `origin` apps are created on first use of
 * the OpenRouter-style `/auth` flow, which has no registration: the callback's origin is the app.
 * The one `headless` app stands for the command-line apps of `/auth` without a callback URL, which
 * have no origin either: their keys are told apart by their labels.
 */
@Entity('oauth_apps')
@Check('chk_oauth_apps_kind', `"kind" IN ('registered', 'origin', 'headless')`)
@Index('uq_oauth_apps_headless', ['kind'], { unique: true, where: `"kind" = 'headless'` })
@Check('chk_oauth_apps_origin', `("kind" = 'origin') = ("origin" IS NOT NULL)`)
@Check('chk_oauth_apps_secret', `"confidential" = ("client_secret_hash" IS NOT NULL)`)
export class OAuthAppEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /**
   * A stable integer for the app, assigned at creation and never reused: OpenRouter's API shows
   * apps by integer id (`app_id` of a generation), and its clients validate that it is one.
   */
  @Index('uq_oauth_apps_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'integer', generated: 'identity', generatedIdentity: 'ALWAYS' })
  publicId: number;

  @Index('uq_oauth_apps_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 16 })
  kind: OAuthAppKind;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  homepage: string | null;

  /** For origin apps: scheme://host[:port] of their callbacks, unique. */
  @Index('uq_oauth_apps_origin', { unique: true })
  @Column({ type: 'varchar', length: 300, nullable: true })
  origin: string | null;

  @Column({ name: 'redirect_uris', type: 'jsonb', default: () => "'[]'" })
  redirectUris: string[];

  @Column({ type: 'boolean', default: false })
  confidential: boolean;

  @Column({ name: 'client_secret_hash', type: 'char', length: 64, nullable: true })
  clientSecretHash: string | null;

  /** Who registered it; origin apps and operator-created ones have none. */
  @Index('ix_oauth_apps_owner_user_id')
  @Column({ name: 'owner_user_id', type: 'uuid', nullable: true })
  ownerUserId: string | null;

  @ManyToOne('UserEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'owner_user_id' })
  owner?: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
