import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, In, Repository } from 'typeorm';
import { queryRows } from '../common/database/sql';
import { OAuthAuthorizationCodeEntity } from './entities/authorization-code.entity';
import { OAuthAuthorizationRequestEntity } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';

export type NewApp = Pick<
  OAuthAppEntity,
  'clientId' | 'kind' | 'name' | 'homepage' | 'origin' | 'redirectUris' | 'confidential' | 'clientSecretHash' | 'ownerUserId'
>;
export type NewRequest = Omit<OAuthAuthorizationRequestEntity, 'id' | 'session' | 'user' | 'app' | 'decidedAt' | 'createdAt'>;
/** How the app of the command-line flow shows on the Apps page. */
export const HEADLESS_APP_NAME = 'Command-line apps';

export type NewCode = Omit<OAuthAuthorizationCodeEntity, 'id' | 'app' | 'user' | 'apiKey' | 'consumedAt' | 'apiKeyId' | 'createdAt'>;

/** What the consuming UPDATE returns: everything the code is bound to. */
export interface ConsumedCode {
  id: string;
  appId: string;
  userId: string;
  flow: string;
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod: string;
  scope: string;
  keyName: string;
  limitNanos: bigint | null;
  limitReset: OAuthAuthorizationCodeEntity['limitReset'];
}

interface ConsumedRow {
  id: string;
  app_id: string;
  user_id: string;
  flow: string;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method: string;
  scope: string;
  key_name: string;
  limit_nanos: string | null;
  limit_reset: OAuthAuthorizationCodeEntity['limitReset'];
}

@Injectable()
export class OAuthRepository {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(OAuthAppEntity) private readonly apps: Repository<OAuthAppEntity>,
    @InjectRepository(OAuthAuthorizationRequestEntity) private readonly requests: Repository<OAuthAuthorizationRequestEntity>,
    @InjectRepository(OAuthAuthorizationCodeEntity) private readonly codes: Repository<OAuthAuthorizationCodeEntity>,
  ) {}

  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  insertApp(app: NewApp): Promise<OAuthAppEntity> {
    return this.apps.save(this.apps.create(app));
  }

  findAppByClientId(clientId: string): Promise<OAuthAppEntity | null> {
    return this.apps.findOneBy({ clientId });
  }

  findAppById(id: string): Promise<OAuthAppEntity | null> {
    return this.apps.findOneBy({ id });
  }

  findAppsByIds(ids: string[]): Promise<OAuthAppEntity[]> {
    return ids.length ? this.apps.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  listAppsOwnedBy(userId: string): Promise<OAuthAppEntity[]> {
    return this.apps.find({ where: { ownerUserId: userId, kind: 'registered' }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The app for an origin, created on first use; concurrent first uses get the same row. */
  findOrCreateOriginApp(origin: string, clientId: string): Promise<OAuthAppEntity> {
    return this.findOrCreatePublicApp({ clientId, kind: 'origin', name: origin.slice(0, 100), origin }, { origin });
  }

  /** The one app of the command-line (headless) flow, created on first use; concurrent first uses get the same row. */
  findOrCreateHeadlessApp(clientId: string): Promise<OAuthAppEntity> {
    return this.findOrCreatePublicApp({ clientId, kind: 'headless', name: HEADLESS_APP_NAME, origin: null }, { kind: 'headless' });
  }

  /** A public app (no secret, no owner, no registered redirect URIs): inserted unless `unique` finds it, then read. */
  private async findOrCreatePublicApp(
    app: Pick<OAuthAppEntity, 'clientId' | 'kind' | 'name' | 'origin'>,
    unique: FindOptionsWhere<OAuthAppEntity>,
  ): Promise<OAuthAppEntity> {
    await this.apps
      .createQueryBuilder()
      .insert()
      .values({ ...app, redirectUris: [], confidential: false, clientSecretHash: null, ownerUserId: null })
      .orIgnore()
      .execute();
    const found = await this.apps.findOneBy(unique);
    if (!found) throw new Error(`${app.kind} app vanished${app.origin ? `: ${app.origin}` : ''}`);
    return found;
  }

  insertRequest(request: NewRequest): Promise<OAuthAuthorizationRequestEntity> {
    return this.requests.save(this.requests.create(request));
  }

  /** A pending request of this session (undecided, unexpired), with its app. */
  findPendingRequest(id: string, sessionId: string, now: Date): Promise<OAuthAuthorizationRequestEntity | null> {
    return this.requests
      .createQueryBuilder('r')
      .innerJoinAndSelect('r.app', 'app')
      .where('r.id = :id AND r.session_id = :sessionId AND r.decided_at IS NULL AND r.expires_at > :now', { id, sessionId, now })
      .getOne();
  }

  /** Marks a request decided; false when it was decided (or expired) meanwhile: one decision per page. */
  async markDecided(id: string, now: Date): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE oauth_authorization_requests SET decided_at = $2 WHERE id = $1 AND decided_at IS NULL AND expires_at > $2 RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  async insertCode(code: NewCode): Promise<void> {
    await this.codes.save(this.codes.create(code));
  }

  /**
   * The single atomic step of a redemption: marks the code consumed if, and only if, it exists, is
   * unconsumed and unexpired. Concurrent callers queue on the row lock; exactly one gets the row.
   */
  async consumeCode(em: EntityManager, codeHash: string, now: Date): Promise<ConsumedCode | null> {
    const rows = await queryRows<ConsumedRow>(
      em,
      `UPDATE oauth_authorization_codes SET consumed_at = $2
       WHERE code_hash = $1 AND consumed_at IS NULL AND expires_at > $2
       RETURNING id, app_id, user_id, flow, redirect_uri, code_challenge, code_challenge_method, scope, key_name, limit_nanos, limit_reset`,
      [codeHash, now],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      appId: r.app_id,
      userId: r.user_id,
      flow: r.flow,
      redirectUri: r.redirect_uri,
      codeChallenge: r.code_challenge,
      codeChallengeMethod: r.code_challenge_method,
      scope: r.scope,
      keyName: r.key_name,
      limitNanos: r.limit_nanos === null ? null : BigInt(r.limit_nanos),
      limitReset: r.limit_reset,
    };
  }

  /** Why a code could not be consumed: unknown, expired, or already used (and which key it minted). */
  async codeState(
    em: EntityManager,
    codeHash: string,
  ): Promise<{ consumed: boolean; apiKeyId: string | null; appId: string; userId: string } | null> {
    const rows = await queryRows<{ consumed: boolean; api_key_id: string | null; app_id: string; user_id: string }>(
      em,
      `SELECT consumed_at IS NOT NULL AS consumed, api_key_id, app_id, user_id FROM oauth_authorization_codes WHERE code_hash = $1`,
      [codeHash],
    );
    const r = rows[0];
    return r ? { consumed: r.consumed, apiKeyId: r.api_key_id, appId: r.app_id, userId: r.user_id } : null;
  }

  async attachKey(em: EntityManager, codeId: string, apiKeyId: string): Promise<void> {
    await em.query(`UPDATE oauth_authorization_codes SET api_key_id = $2 WHERE id = $1`, [codeId, apiKeyId]);
  }

  /**
   * Deletes requests and codes that can no longer be used. Codes are kept for a day after expiry so
   * a late replay still finds (and revokes) the key its first redemption minted.
   */
  async prune(now: Date): Promise<{ requests: number; codes: number }> {
    const dayAgo = new Date(now.getTime() - 86_400_000);
    const requests = await queryRows(this.dataSource, `DELETE FROM oauth_authorization_requests WHERE expires_at <= $1 RETURNING 1`, [now]);
    const codes = await queryRows(this.dataSource, `DELETE FROM oauth_authorization_codes WHERE expires_at <= $1 RETURNING 1`, [dayAgo]);
    return { requests: requests.length, codes: codes.length };
  }
}
