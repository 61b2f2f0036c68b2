/**
 * What browsers are told and checked for on every HTTP answer: security headers,
 * a Content Security Policy for the portal's pages, and the refusal of
 * state-changing requests that another site made a signed-in browser send
 * (cross-site request forgery).
 *
 * The session cookie is SameSite=Lax, which already keeps it off most
 * cross-site requests; the Origin check here does not depend on every browser
 * honouring that, nor on the API never accepting a form-encodable body.
 */
import type { IncomingMessage } from 'node:http';

/** The Origin a browser sent is this server (same host and port), or no browser sent it. */
export function sameOrigin(req: Pick<IncomingMessage, 'headers'>): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser: cookies are not sent on its behalf
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser request that changes something and did not come from our own pages:
 * Origin names another site, or (where Origin is absent) Fetch Metadata says
 * `cross-site`. Calls signed with an API key (`Authorization`) are not browser
 * sessions and pass; so do programs that send neither header.
 */
export function crossSiteWrite(req: Pick<IncomingMessage, 'headers' | 'method'>): boolean {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return false;
  if (req.headers.authorization) return false;
  if (!sameOrigin(req)) return true;
  return req.headers.origin === undefined && req.headers['sec-fetch-site'] === 'cross-site';
}

/**
 * The portal's pages load scripts, styles, fonts and the manifest from this
 * server only. Inline styles are allowed (the UI library sets CSS variables and
 * style attributes at run time); inline and foreign scripts are not. 'self' in
 * connect-src covers ws:/wss: to this host (the softphone's SIP and live events).
 * Recordings and voicemail play from blob: URLs, QR codes are data: images.
 */
export const PORTAL_CSP = portalCsp(null);

/**
 * The portal's CSP; with NIMBUS_SOFTPHONE_WS_URL set, connect-src also allows that URL's
 * origin (the softphone registers there, e.g. Kamailio fronting WebSocket for a cluster).
 */
export function portalCsp(softphoneWsUrl: string | null): string {
  const sip = softphoneWsUrl ? ` ${new URL(softphoneWsUrl).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    `connect-src 'self'${sip}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers for every answer; the CSP (`csp`) only on HTML pages outside the API documentation. */
export function securityHeaders(
  url: string,
  contentType: string | undefined,
  csp = PORTAL_CSP,
): Record<string, string> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Signed recording links and voicemail action keys live in URLs: never pass them on.
    'referrer-policy': 'no-referrer',
    // The softphone needs the microphone; nothing here needs the camera or the location.
    'permissions-policy': 'microphone=(self), camera=(), geolocation=(), payment=()',
    'cross-origin-opener-policy': 'same-origin',
  };
  // The Swagger UI page carries inline scripts of its own: it keeps the browser's defaults.
  if (contentType?.startsWith('text/html') && !url.startsWith('/api/docs'))
    headers['content-security-policy'] = csp;
  return headers;
}
