/** Web Push subscriptions by user; an endpoint belongs to one user (the last to register it). */
import type { Kysely } from 'kysely';
import type { Database, PushSubscription } from '../schema.js';

export class PushSubscriptionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async save(s: {
    endpoint: string;
    userId: string;
    p256dh: string;
    auth: string;
    userAgent: string | null;
  }): Promise<void> {
    await this.db
      .insertInto('pushSubscriptions')
      .values(s)
      .onConflict((oc) =>
        oc
          .column('endpoint')
          .doUpdateSet({ userId: s.userId, p256dh: s.p256dh, auth: s.auth, userAgent: s.userAgent }),
      )
      .execute();
  }

  forUsers(userIds: readonly string[]): Promise<PushSubscription[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('pushSubscriptions')
      .selectAll()
      .where('userId', 'in', [...userIds])
      .execute();
  }

  /** Removes an endpoint; with `userId`, only if it is that user's. Whether one was removed. */
  async remove(endpoint: string, userId?: string): Promise<boolean> {
    let q = this.db.deleteFrom('pushSubscriptions').where('endpoint', '=', endpoint);
    if (userId) q = q.where('userId', '=', userId);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
