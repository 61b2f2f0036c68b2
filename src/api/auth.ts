/**
 * Authentication and authorisation for /api/v1, in one onRequest hook so it runs
 * before body parsing and validation: a caller without the right learns nothing
 * from validation messages.
 *
 * Order: who are you (401) -> may you see this tenant (404, to reveal nothing) ->
 * may your role do this (403).
 */
import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/store.js';
import { safeEqual, sha256Hex } from '../util/secrets.js';
import type { Principal } from './context.js';
import { ApiError } from './errors.js';
import { accessFor } from './permissions.js';

export const SESSION_COOKIE = 'nimbus_session';
export const API_KEY_PATTERN = /^nmb_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolvePrincipal(
  store: Store,
  req: Pick<FastifyRequest, 'headers' | 'cookies'>,
  now: Date,
): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError('UNAUTHENTICATED', 'Authorization must be "Bearer <api key>"');
    return resolveApiKey(store, m[1]!, now);
  }
  const token = req.cookies[SESSION_COOKIE];
  if (!token) return null;
  const session = await store.sessions.findLive(sha256Hex(token), now);
  if (!session) return null;
  const user = await store.accounts.findById(session.userId);
  if (!user || user.disabled) return null;
  if (user.tenantId) {
    const tenant = await store.tenants.get(user.tenantId);
    if (!tenant?.enabled) return null;
  }
  return {
    kind: 'user',
    id: user.id,
    userId: user.id,
    role: user.role,
    tenantId: user.tenantId,
    label: user.email,
    sessionId: session.id,
  };
}

async function resolveApiKey(store: Store, token: string, now: Date): Promise<Principal> {
  const bad = new ApiError('UNAUTHENTICATED', 'The API key is not valid');
  const m = API_KEY_PATTERN.exec(token);
  if (!m) throw bad;
  const key = await store.apiKeyDirectory.findByPrefix(m[1]!);
  if (!key || !safeEqual(key.secretHash, sha256Hex(m[2]!))) throw bad;
  if (key.expiresAt && key.expiresAt <= now) throw new ApiError('UNAUTHENTICATED', 'The API key has expired');
  if (key.tenantId) {
    const tenant = await store.tenants.get(key.tenantId);
    if (!tenant?.enabled) throw bad;
  }
  // Recording use at most once a minute keeps reads from turning into writes.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    await store.apiKeyDirectory.touch(key.id, now);
  }
  return {
    kind: 'apiKey',
    id: key.id,
    userId: null,
    role: key.role,
    tenantId: key.tenantId,
    label: `API key ${key.name}`,
    sessionId: null,
  };
}

export function authHook(store: Store, now: () => Date) {
  return async (req: FastifyRequest): Promise<void> => {
    req.principal = null;
    req.access = null;
    const config = req.routeOptions.config;
    const url = req.routeOptions.url ?? '';
    if (!url.startsWith('/api/v1/')) return;
    if (config.public) {
      // Public routes (login, logout) still learn who is calling when they can.
      req.principal = await resolvePrincipal(store, req, now()).catch(() => null);
      return;
    }
    const principal = await resolvePrincipal(store, req, now());
    if (!principal) throw new ApiError('UNAUTHENTICATED');
    req.principal = principal;

    const tenantId = (req.params as Record<string, string | undefined>).tenantId;
    if (tenantId !== undefined) {
      if (!UUID.test(tenantId)) throw new ApiError('NOT_FOUND', 'Tenant not found');
      if (principal.role === 'operator') {
        if (!(await store.tenants.get(tenantId))) throw new ApiError('NOT_FOUND', 'Tenant not found');
      } else if (principal.tenantId !== tenantId) {
        throw new ApiError('NOT_FOUND', 'Tenant not found');
      }
    }

    const permission = config.permission;
    if (!permission) throw new ApiError('FORBIDDEN', 'Route has no permission rule');
    const access = accessFor(permission, principal.role);
    if (!access) throw new ApiError('FORBIDDEN', `Role ${principal.role} may not ${permission}`);
    req.access = access;
  };
}
