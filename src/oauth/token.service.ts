import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { sha256Hex } from '../common/crypto/tokens';
import { isStorableText } from '../common/database/text';
import { AppLogger } from '../common/logging/app-logger';
import { KeysService } from '../keys/keys.service';
import { clientSecretMatches } from './apps.service';
import { REPEATED, single } from '../common/http/form-params';
import { OAuthFlow } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { ExchangeErrors, TokenErrors } from './oauth.errors';
import { OAuthRepository } from './oauth.repository';
import { isCodeVerifier, PKCE_METHOD, verifyPkce } from './pkce';

const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;
/** Our codes are 43 base64url characters; anything much longer is not one (and is not hashed). */
const CODE_SHAPE = /^[A-Za-z0-9_-]{1,256}$/;

export interface FormRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

/** RFC 6749 §5.1. The access token is the API key itself; it does not expire, so no expires_in. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  scope: string;
  user_id: string;
}

type Redemption =
  | { ok: true; key: string; userId: string; scope: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'replayed' | 'mismatch' | 'pkce' };

interface Binding {
  flow: OAuthFlow;
  /** oauth flow: the authenticated client and the redirect URI of the token request. */
  appId?: string;
  redirectUri?: string;
}

/**
 * Code redemption for both flows, and revocation. The code is consumed by one atomic UPDATE; what
 * it is bound to is checked after, from the stored row, so a failed check has still used the code.
 * A code presented again revokes the key the first redemption minted, in the same transaction.
 */
@Injectable()
export class TokenService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OAuthRepository,
    private readonly keys: KeysService,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'oauth' });
  }

  /** `POST /oauth/token`, authorization_code grant only. Throws OAuthTokenError (RFC 6749 §5.2). */
  async token(r: FormRequest): Promise<TokenResponse> {
    const body = this.formBody(r);
    const grantType = single(body, 'grant_type');
    if (grantType === undefined) throw TokenErrors.invalidRequest('grant_type is required');
    if (grantType !== 'authorization_code') throw TokenErrors.unsupportedGrantType();
    const client = await this.authenticateClient(r.authorization, body);
    const code = single(body, 'code') as string | undefined;
    const redirectUri = single(body, 'redirect_uri') as string | undefined;
    const verifier = single(body, 'code_verifier') as string | undefined;
    if (code === undefined || code === '') throw TokenErrors.invalidRequest('code is required');
    if (redirectUri === undefined || redirectUri === '') throw TokenErrors.invalidRequest('redirect_uri is required');
    // The code was issued with an S256 challenge (we issue no other kind): no verifier can never succeed.
    if (verifier === undefined) throw TokenErrors.invalidGrant('code_verifier is required');
    if (!isCodeVerifier(verifier)) throw TokenErrors.invalidRequest('code_verifier must be 43-128 characters of [A-Za-z0-9-._~]');
    const result = await this.redeem(code, verifier, { flow: 'oauth', appId: client.id, redirectUri });
    if (!result.ok) throw TokenErrors.invalidGrant();
    return { access_token: result.key, token_type: 'bearer', scope: result.scope, user_id: result.userId };
  }

  /** `POST /api/v1/auth/keys`: OpenRouter's exchange, errors in the API envelope with its statuses. */
  async exchange(dto: {
    code: string;
    code_verifier?: string;
    code_challenge_method?: string | null;
  }): Promise<{ key: string; user_id: string }> {
    if (dto.code_challenge_method !== undefined && dto.code_challenge_method !== null && dto.code_challenge_method !== PKCE_METHOD) {
      throw ExchangeErrors.invalidMethod();
    }
    if (!isCodeVerifier(dto.code_verifier)) throw ExchangeErrors.invalidCode();
    const result = await this.redeem(dto.code, dto.code_verifier, { flow: 'openrouter' });
    if (result.ok) return { key: result.key, user_id: result.userId };
    throw result.reason === 'expired' ? ExchangeErrors.expired() : ExchangeErrors.invalidCode();
  }

  /**
   * `POST /oauth/revoke` (RFC 7009). Unknown tokens, and keys that are not this client's, answer 200
   * without effect. A confidential app's keys need that app's authentication; for a public app
   * holding the key is proof enough (whoever has it can spend it anyway).
   */
  async revoke(r: FormRequest): Promise<void> {
    const body = this.formBody(r);
    const token = single(body, 'token') as string | undefined;
    if (!token) throw TokenErrors.invalidRequest('token is required');
    const presentsClient =
      r.authorization !== undefined || single(body, 'client_id') !== undefined || single(body, 'client_secret') !== undefined;
    const client = presentsClient ? await this.authenticateClient(r.authorization, body) : null;
    const key = await this.keys.findLiveByKey(token);
    if (!key?.appId) return;
    if (client) {
      if (client.id !== key.appId) return;
    } else {
      const app = await this.repo.findAppById(key.appId);
      if (!app || app.confidential) throw TokenErrors.invalidClient();
    }
    await this.keys.revoke({ ids: [key.keyId] });
    this.log.info({ event: 'oauth_token_revoked', appId: key.appId, keyId: key.keyId }, 'app key revoked by the app');
  }

  private formBody(r: FormRequest): Record<string, unknown> {
    if (!r.contentType || !FORM_TYPE.test(r.contentType)) {
      throw TokenErrors.invalidRequest('Send the request as application/x-www-form-urlencoded');
    }
    const body = (typeof r.body === 'object' && r.body !== null ? r.body : {}) as Record<string, unknown>;
    if (Object.values(body).some((v) => typeof v !== 'string')) throw TokenErrors.invalidRequest('A parameter was sent more than once');
    if (Object.entries(body).some(([k, v]) => !isStorableText(k) || !isStorableText(v as string))) {
      throw TokenErrors.invalidRequest('A parameter contains NUL characters or unpaired surrogates');
    }
    return body;
  }

  /**
   * RFC 6749 §2.3: client_secret_basic or client_secret_post for confidential clients, client_id
   * alone for public ones; exactly one method.
   */
  private async authenticateClient(authorization: string | undefined, body: Record<string, unknown>): Promise<OAuthAppEntity> {
    const bodyId = single(body, 'client_id');
    const bodySecret = single(body, 'client_secret');
    if (bodyId === REPEATED || bodySecret === REPEATED) throw TokenErrors.invalidRequest('A parameter was sent more than once');
    let clientId: string | undefined;
    let secret: string | undefined;
    if (authorization !== undefined) {
      const basic = parseBasic(authorization);
      if (!basic) throw TokenErrors.invalidClient();
      if (bodySecret !== undefined) throw TokenErrors.invalidRequest('Use one client authentication method');
      if (bodyId !== undefined && bodyId !== basic.id)
        throw TokenErrors.invalidRequest('client_id does not match the Authorization header');
      clientId = basic.id;
      secret = basic.secret;
    } else {
      clientId = bodyId;
      secret = bodySecret;
    }
    if (!clientId || clientId.length > 64) throw TokenErrors.invalidClient();
    const app = await this.repo.findAppByClientId(clientId);
    if (!app || app.kind !== 'registered') throw TokenErrors.invalidClient();
    if (app.confidential ? secret === undefined || !clientSecretMatches(app, secret) : secret !== undefined)
      throw TokenErrors.invalidClient();
    return app;
  }

  private async redeem(code: string, verifier: string, binding: Binding): Promise<Redemption> {
    if (!CODE_SHAPE.test(code)) return { ok: false, reason: 'unknown' };
    const codeHash = sha256Hex(code);
    const now = this.clock.now();
    return this.repo.transaction(async (em): Promise<Redemption> => {
      const row = await this.repo.consumeCode(em, codeHash, now);
      if (!row) {
        const state = await this.repo.codeState(em, codeHash);
        if (!state) return { ok: false, reason: 'unknown' };
        if (!state.consumed) return { ok: false, reason: 'expired' };
        // RFC 6749 §4.1.2: a second use means the code leaked; the key it minted is revoked.
        const revoked = state.apiKeyId ? await this.keys.revoke({ ids: [state.apiKeyId] }, em) : 0;
        this.log.warn(
          { event: 'oauth_code_replayed', appId: state.appId, userId: state.userId, keyId: state.apiKeyId, revoked },
          'authorization code used twice; its key is revoked',
        );
        return { ok: false, reason: 'replayed' };
      }
      // A failed check commits the consumption: a code presented with the wrong binding is burnt.
      if (
        row.flow !== binding.flow ||
        (binding.appId !== undefined && row.appId !== binding.appId) ||
        (binding.redirectUri !== undefined && row.redirectUri !== binding.redirectUri)
      ) {
        return { ok: false, reason: 'mismatch' };
      }
      if (!verifyPkce({ method: row.codeChallengeMethod, challenge: row.codeChallenge }, verifier)) return { ok: false, reason: 'pkce' };
      const minted = await this.keys.createForApp(em, row.userId, {
        name: row.keyName,
        appId: row.appId,
        limitNanos: row.limitNanos,
        limitReset: row.limitReset,
      });
      await this.repo.attachKey(em, row.id, minted.keyId);
      return { ok: true, key: minted.key, userId: row.userId, scope: row.scope };
    });
  }
}

/** `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1), or null. */
export function parseBasic(header: string): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!m || m[1].length > 1024) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const [id, secret] = [unform(decoded.slice(0, colon)), unform(decoded.slice(colon + 1))];
    // No lookup with what Postgres cannot hold (%00 decodes to NUL).
    return isStorableText(id) && isStorableText(secret) ? { id, secret } : null;
  } catch {
    return null;
  }
}
