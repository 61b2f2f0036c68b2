/** Portal sign-in sessions; the cookie holds a random token, the table its SHA-256. */
import type { Kysely } from 'kysely';
import type { Database, Session } from '../schema.js';

export class SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  create(s: {
    id: string;
    userId: string;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
  }): Promise<Session> {
    return this.db.insertInto('sessions').values(s).returningAll().executeTakeFirstOrThrow();
  }

  /** The session if it exists and has not expired. */
  findLive(id: string, now: Date): Promise<Session | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .where('expiresAt', '>', now)
      .executeTakeFirst();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Signs a user out everywhere (password change, disabled account), optionally keeping one session. */
  async deleteForUser(userId: string, keep?: string): Promise<void> {
    let q = this.db.deleteFrom('sessions').where('userId', '=', userId);
    if (keep) q = q.where('id', '!=', keep);
    await q.execute();
  }

  async deleteExpired(now: Date): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expiresAt', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
