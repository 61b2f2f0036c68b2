/** What "own" access means for telephony data: the numbers of the user's own extensions. */
import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/store.js';
import { principalOf } from './context.js';

/** For a principal with 'own' access, their extensions' numbers; for everyone else, undefined (no limit). */
export async function ownNumbers(
  store: Store,
  req: FastifyRequest,
  tenantId: string,
): Promise<string[] | undefined> {
  if (req.access !== 'own') return undefined;
  const userId = principalOf(req).userId;
  if (!userId) return [];
  const own = await store.tenant(tenantId).extensions.list({ userId, limit: 1000, offset: 0 });
  return own.items.map((e) => e.number);
}
