import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { EmailTokenEntity, EmailTokenPurpose } from './entities/email-token.entity';
import { SessionEntity } from './entities/session.entity';
import { UserIdentityEntity } from './entities/user-identity.entity';
import { UserEntity } from './entities/user.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @InjectRepository(UserIdentityEntity) private readonly identities: Repository<UserIdentityEntity>,
    @InjectRepository(EmailTokenEntity) private readonly emailTokens: Repository<EmailTokenEntity>,
  ) {}

  async insertEmailToken(t: Pick<EmailTokenEntity, 'tokenHash' | 'userId' | 'purpose' | 'email' | 'expiresAt'>): Promise<void> {
    await this.emailTokens.insert(t);
  }

  /** The live (unused, unexpired) token with this hash and purpose, without using it. */
  findLiveEmailToken(purpose: EmailTokenPurpose, tokenHash: string, now: Date): Promise<EmailTokenEntity | null> {
    return this.emailTokens
      .createQueryBuilder('t')
      .where('t.token_hash = :tokenHash AND t.purpose = :purpose AND t.used_at IS NULL AND t.expires_at > :now', {
        tokenHash,
        purpose,
        now,
      })
      .getOne();
  }

  /** Uses a live token, in one statement, so a link works once even when clicked twice at once. */
  async consumeEmailToken(purpose: EmailTokenPurpose, tokenHash: string, now: Date): Promise<{ userId: string; email: string } | null> {
    const result = (await this.emailTokens.query(
      `UPDATE user_email_tokens SET used_at = $3
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
        RETURNING user_id, email`,
      [tokenHash, purpose, now],
    )) as unknown[];
    // TypeORM answers an UPDATE … RETURNING as [rows, affected].
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { user_id: string; email: string }[];
    const [row] = rows;
    return row ? { userId: row.user_id, email: row.email } : null;
  }

  /** Other unused links of the same purpose stop working once one is used (or a new password is set). */
  async retireEmailTokens(userId: string, purpose: EmailTokenPurpose, now: Date): Promise<void> {
    await this.emailTokens
      .createQueryBuilder()
      .update()
      .set({ usedAt: now })
      .where('user_id = :userId AND purpose = :purpose AND used_at IS NULL', { userId, purpose })
      .execute();
  }

  /** Verifies the email only if it is still the address the link was sent to. */
  async markEmailVerifiedIfUnchanged(id: string, email: string): Promise<boolean> {
    const r = await this.users.update({ id, email }, { emailVerified: true });
    return (r.affected ?? 0) > 0;
  }

  /** A new password after a reset: the link proved the address, so the email counts as verified. */
  async setPasswordFromReset(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash, emailVerified: true });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: email.toLowerCase() });
  }

  /** Inserts a user; returns null when the email is taken (also under a race). */
  async insert(user: Pick<UserEntity, 'email' | 'passwordHash' | 'emailVerified' | 'displayName'>): Promise<UserEntity | null> {
    try {
      return await this.users.save(this.users.create({ ...user, email: user.email.toLowerCase() }));
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw err;
    }
  }

  insertSession(s: Pick<SessionEntity, 'tokenHash' | 'userId' | 'expiresAt' | 'userAgent'>): Promise<SessionEntity> {
    return this.sessions.save(this.sessions.create(s));
  }

  /** The session for a token hash, if it has not expired. */
  findLiveSession(tokenHash: string, now: Date): Promise<SessionEntity | null> {
    return this.sessions.createQueryBuilder('s').where('s.token_hash = :tokenHash AND s.expires_at > :now', { tokenHash, now }).getOne();
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.sessions.delete({ tokenHash });
  }

  async deleteExpiredSessions(now: Date): Promise<number> {
    const r = await this.sessions.createQueryBuilder().delete().where('expires_at <= :now', { now }).execute();
    return r.affected ?? 0;
  }

  findIdentity(issuer: string, subject: string): Promise<UserIdentityEntity | null> {
    return this.identities.findOneBy({ issuer, subject });
  }

  /** Links an external identity; a concurrent identical link is not an error. */
  async linkIdentity(link: Pick<UserIdentityEntity, 'issuer' | 'subject' | 'userId' | 'email'>): Promise<void> {
    await this.identities.createQueryBuilder().insert().values(link).orIgnore().execute();
  }

  /** A user's live sessions, most recent first. */
  listLiveSessions(userId: string, now: Date): Promise<SessionEntity[]> {
    return this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.expires_at > :now', { userId, now })
      .orderBy('s.created_at', 'DESC')
      .limit(100)
      .getMany();
  }

  /** Deletes every session of the user except `keepId` (none kept when null); returns how many. */
  async deleteSessionsOfUser(userId: string, keepId: string | null): Promise<number> {
    const q = this.sessions.createQueryBuilder().delete().where('user_id = :userId', { userId });
    if (keepId) q.andWhere('id <> :keepId', { keepId });
    return (await q.execute()).affected ?? 0;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
  }

  listIdentities(userId: string): Promise<UserIdentityEntity[]> {
    return this.identities.find({ where: { userId }, order: { createdAt: 'ASC' } });
  }
}
