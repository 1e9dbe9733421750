import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import { readCookie, serializeCookie } from '../common/http/cookies';
import { UsersRepository } from './users.repository';

export const SESSION_COOKIE = 'sy_session';

export interface SessionPrincipal {
  kind: 'session';
  userId: string;
  sessionId: string;
}

/** Server-side sessions: the cookie holds a random token, the database its SHA-256. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Starts a session; returns the Set-Cookie header value. */
  async start(userId: string, userAgent: string | undefined): Promise<string> {
    const token = randomToken();
    await this.repo.insertSession({
      tokenHash: sha256Hex(token),
      userId,
      expiresAt: new Date(this.clock.nowMs() + this.config.sessions.ttlMs),
      userAgent: userAgent?.slice(0, 255) ?? null,
    });
    return serializeCookie(SESSION_COOKIE, token, {
      maxAgeSeconds: this.config.sessions.ttlMs / 1000,
      secure: this.config.sessions.secureCookie,
    });
  }

  async resolve(cookieHeader: string | undefined): Promise<SessionPrincipal | null> {
    const token = readCookie(cookieHeader, SESSION_COOKIE);
    if (!token || token.length > 100) return null;
    const session = await this.repo.findLiveSession(sha256Hex(token), this.clock.now());
    return session ? { kind: 'session', userId: session.userId, sessionId: session.id } : null;
  }

  /** Ends the session named by the cookie, if any; returns the clearing Set-Cookie value. */
  async end(cookieHeader: string | undefined): Promise<string> {
    const token = readCookie(cookieHeader, SESSION_COOKIE);
    if (token) await this.repo.deleteSession(sha256Hex(token));
    return serializeCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: this.config.sessions.secureCookie });
  }

  /** The user's signed-in browsers, the current one marked. */
  async list(current: SessionPrincipal): Promise<SessionInfo[]> {
    const rows = await this.repo.listLiveSessions(current.userId, this.clock.now());
    return rows.map((s) => ({
      id: s.id,
      userAgent: s.userAgent,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      current: s.id === current.sessionId,
    }));
  }

  /** Signs the user out everywhere (this browser too, unless `keepCurrent`); returns how many ended. */
  endAll(current: SessionPrincipal, keepCurrent = false): Promise<number> {
    return this.repo.deleteSessionsOfUser(current.userId, keepCurrent ? current.sessionId : null);
  }

  /** The Set-Cookie value that clears the session cookie. */
  clearingCookie(): string {
    return serializeCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: this.config.sessions.secureCookie });
  }
}

export interface SessionInfo {
  id: string;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
  current: boolean;
}
