/**
 * Serves the portal (web/dist, built by `npm run build`) from the API server:
 * hashed assets with a year's caching, everything else revalidated, and any other
 * GET that asks for HTML answered with index.html so the browser's router can
 * take the path (a reload on /extensions). API, SIP, docs and metrics paths are
 * never swallowed: their 404s stay problem+json.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './context.js';

/** web/dist, from src/api or dist/api alike. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const NOT_PORTAL = /^\/(api|sip|metrics|healthz|readyz)(\/|$|\?)/;

export function isPortalPage(req: FastifyRequest): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    !NOT_PORTAL.test(req.url) &&
    (req.headers.accept ?? '').includes('text/html')
  );
}

export async function webRoutes(app: Api, root = WEB_ROOT): Promise<{ built: boolean }> {
  const built = existsSync(`${root}index.html`);
  if (!built) return { built };
  await app.register(fastifyStatic, {
    root,
    // Looked up per request, so a rebuilt portal is served without a restart; a file
    // that is not there falls through to the not-found handler (index.html or problem+json).
    wildcard: true,
    index: 'index.html',
    // No listings, no redirects of folder paths: a path that is no file is a portal route.
    list: false,
    redirect: false,
    setHeaders(res, path) {
      // Vite names assets by content hash: a changed file is a new name.
      if (path.includes('/assets/')) res.header('cache-control', 'public, max-age=31536000, immutable');
      else res.header('cache-control', 'no-cache');
    },
  });
  return { built };
}

/** The not-found handler's answer for a portal page: the app's shell. */
export function sendPortal(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
