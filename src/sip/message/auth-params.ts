/**
 * Authentication headers (RFC 3261 §25.1, RFC 7616 for Digest): WWW-Authenticate,
 * Proxy-Authenticate, Authorization, Proxy-Authorization.
 *   challenge   = auth-scheme LWS auth-param *(COMMA auth-param)
 *   auth-param  = auth-param-name EQUAL ( token / quoted-string )
 * Parameter names are case-insensitive and returned lower-case; quoted values are
 * unquoted. Unquoted values are accepted up to the next comma or whitespace, because
 * widely deployed clients send e.g. `algorithm=MD5` or `uri=sip:...` bare.
 */
import { C_TOKEN, COMMA, DQUOTE, EQUAL, isWs, scanClass, skipWs, trimWsEnd } from './charset.js';
import { quote, scanQuoted, unquoteRange } from './quoted.js';

/** Parses "Scheme name=value, name="value", ..."; null when malformed or a name repeats. */
export function parseAuthParams(text: string): { scheme: string; params: Map<string, string> } | null {
  const end = trimWsEnd(text, 0, text.length);
  let i = skipWs(text, 0, end);
  const schemeEnd = scanClass(text, i, end, C_TOKEN);
  if (schemeEnd === i) return null;
  const scheme = text.slice(i, schemeEnd);
  const params = new Map<string, string>();
  if (schemeEnd === end) return { scheme, params };
  if (!isWs(text.charCodeAt(schemeEnd))) return null;
  i = skipWs(text, schemeEnd, end);

  for (;;) {
    const nameEnd = scanClass(text, i, end, C_TOKEN);
    if (nameEnd === i) return null;
    const name = text.slice(i, nameEnd).toLowerCase();
    i = skipWs(text, nameEnd, end);
    if (text.charCodeAt(i) !== EQUAL) return null;
    i = skipWs(text, i + 1, end);
    let value: string;
    if (text.charCodeAt(i) === DQUOTE) {
      const q = scanQuoted(text, i, end);
      if (q < 0) return null;
      value = unquoteRange(text, i, q);
      i = q;
    } else {
      let j = i;
      for (; j < end; j++) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === DQUOTE || isWs(c)) break;
      }
      if (j === i) return null;
      value = text.slice(i, j);
      i = j;
    }
    // A repeated parameter (two realms, two responses) is ambiguous: refuse rather than guess.
    if (params.has(name)) return null;
    params.set(name, value);
    i = skipWs(text, i, end);
    if (i >= end) return { scheme, params };
    if (text.charCodeAt(i) !== COMMA) return null;
    i = skipWs(text, i + 1, end);
  }
}

/**
 * Formats a challenge or credentials. Each parameter says whether to quote it: RFC 7616
 * §3.4 wants realm, nonce, uri, response, cnonce, opaque quoted and algorithm, qop
 * (in credentials), nc unquoted.
 */
export function formatAuthParams(scheme: string, params: [string, string, boolean][]): string {
  const parts = params.map(([name, value, quoted]) => `${name}=${quoted ? quote(value) : value}`);
  return parts.length > 0 ? `${scheme} ${parts.join(', ')}` : scheme;
}
