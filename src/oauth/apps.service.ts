import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import { nanosToUsd, usdToNanos } from '../common/money/money';
import { KeysService } from '../keys/keys.service';
import type { LimitReset } from '../keys/periods';
import type { Principal } from '../keys/principal';
import { AppDto, CreatedAppDto } from './dto/app.dto';
import { AuthorizedAppDto } from './dto/authorized-app.dto';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { AppsErrors } from './oauth.errors';
import { OAuthRepository } from './oauth.repository';
import { redirectUriProblem } from './redirect-uri';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface NewAppInput {
  name: string;
  homepage?: string | null;
  redirectUris: string[];
  confidential?: boolean;
}

/** Client ids are public; secrets are 256-bit and stored as SHA-256 (no slow hash needed at that entropy). */
export const newClientId = () => `sy-app-${randomBytes(16).toString('hex')}`;
const newClientSecret = () => `sy-cs-${randomToken(32)}`;

/** Constant-time check of a presented client secret against the stored hash. */
export function clientSecretMatches(app: OAuthAppEntity, presented: string): boolean {
  if (!app.clientSecretHash || presented.length === 0 || presented.length > 200) return false;
  return timingSafeEqual(Buffer.from(app.clientSecretHash, 'ascii'), Buffer.from(sha256Hex(presented), 'ascii'));
}

/** Where an app runs, for display: its callback origin, else its homepage's or first redirect URI's. */
export function appOrigin(app: OAuthAppEntity): string | null {
  if (app.origin) return app.origin;
  for (const candidate of [app.homepage, app.redirectUris[0]]) {
    try {
      if (candidate) return new URL(candidate).origin;
    } catch {
      // not a URL: try the next one
    }
  }
  return null;
}

/** The app registry, and each user's view of the apps they authorized. */
@Injectable()
export class AppsService {
  constructor(
    private readonly repo: OAuthRepository,
    private readonly keys: KeysService,
  ) {}

  async register(ownerUserId: string | null, input: NewAppInput): Promise<CreatedAppDto> {
    input.redirectUris.forEach((uri, i) => {
      const problem = redirectUriProblem(uri);
      if (problem) throw AppsErrors.invalidField(`redirect_uris.${i}`, `redirect_uris[${i}] ${problem}`);
    });
    const homepage = input.homepage?.trim() || null;
    if (homepage !== null && !isWebUrl(homepage)) throw AppsErrors.invalidField('homepage', 'homepage must be an http(s) URL');
    const confidential = input.confidential ?? false;
    const secret = confidential ? newClientSecret() : undefined;
    const app = await this.repo.insertApp({
      clientId: newClientId(),
      kind: 'registered',
      name: input.name.trim(),
      homepage,
      origin: null,
      redirectUris: [...new Set(input.redirectUris)],
      confidential,
      clientSecretHash: secret ? sha256Hex(secret) : null,
      ownerUserId,
    });
    return { data: toAppDto(app), ...(secret ? { client_secret: secret } : {}) };
  }

  async listOwned(userId: string): Promise<AppDto[]> {
    return (await this.repo.listAppsOwnedBy(userId)).map(toAppDto);
  }

  /** Apps holding at least one live key of the user, with each key's spend. */
  async authorized(userId: string): Promise<AuthorizedAppDto[]> {
    const keys = await this.keys.listAppKeys(userId);
    const apps = new Map((await this.repo.findAppsByIds([...new Set(keys.map((k) => k.app_id))])).map((a) => [a.id, a]));
    const byApp = new Map<string, AuthorizedAppDto>();
    for (const k of keys) {
      const app = apps.get(k.app_id);
      if (!app) continue;
      let entry = byApp.get(app.id);
      if (!entry) {
        entry = {
          app_id: app.id,
          name: app.name,
          origin: appOrigin(app),
          homepage: app.homepage,
          registered: app.kind === 'registered',
          usage: 0,
          keys: [],
        };
        byApp.set(app.id, entry);
      }
      entry.keys.push({
        hash: k.hash,
        name: k.name,
        label: k.label,
        disabled: k.disabled,
        limit: k.limit,
        limit_remaining: k.limit_remaining,
        limit_reset: k.limit_reset,
        usage: k.usage,
        created_at: k.created_at,
      });
    }
    // Sum in nanodollars: adding USD floats would drift.
    for (const entry of byApp.values()) entry.usage = nanosToUsd(entry.keys.reduce((sum, k) => sum + usdToNanos(k.usage), 0n));
    return [...byApp.values()];
  }

  /**
   * Changes the spending limit of every key the app holds for this user (the cap the user chose on
   * the consent page), through the keys service like any key change.
   */
  async setCap(actor: Principal, appId: string, cap: { limit: number | null; limitReset: LimitReset | null }): Promise<void> {
    const app = UUID.test(appId) ? (await this.authorized(actor.userId)).find((a) => a.app_id === appId) : undefined;
    if (!app) throw AppsErrors.notAuthorized();
    for (const k of app.keys) await this.keys.update(actor, k.hash, { limit: cap.limit, limit_reset: cap.limitReset });
  }

  /** The app's integer id, as OpenRouter-shaped answers show apps (AppPublicIds); null for an app that no longer exists. */
  async publicIdOf(appId: string): Promise<number | null> {
    return UUID.test(appId) ? ((await this.repo.findAppById(appId))?.publicId ?? null) : null;
  }

  /** Display names of apps by id (apps that no longer exist are left out). */
  async names(ids: string[]): Promise<Map<string, string>> {
    const apps = await this.repo.findAppsByIds([...new Set(ids)].filter((id) => UUID.test(id)));
    return new Map(apps.map((a) => [a.id, a.name]));
  }

  /** Revokes every key the app holds for this user; they stop authenticating within a second. */
  async revokeAuthorized(userId: string, appId: string): Promise<{ app_id: string; revoked_keys: number }> {
    if (!UUID.test(appId)) throw AppsErrors.notAuthorized();
    const revoked = await this.keys.revoke({ userId, appId });
    if (revoked === 0) throw AppsErrors.notAuthorized();
    return { app_id: appId, revoked_keys: revoked };
  }
}

function isWebUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

export function toAppDto(app: OAuthAppEntity): AppDto {
  return {
    client_id: app.clientId,
    name: app.name,
    homepage: app.homepage,
    redirect_uris: app.redirectUris,
    confidential: app.confidential,
    token_endpoint_auth_method: app.confidential ? 'client_secret_basic' : 'none',
    created_at: app.createdAt.toISOString(),
  };
}
