/**
 * DTMF carried in SIP INFO bodies, as phones send it when neither side speaks RFC 4733:
 *
 *   application/dtmf-relay     Signal=5\r\nDuration=160\r\n      (Cisco; Duration in ms)
 *   application/dtmf           5
 *
 * Neither format has a normative grammar, and phones differ: LF-only lines, blanks
 * around '=', lower-case keys, lower-case a-d, and the RFC 4733 event numbers
 * 10/11 (and 12-15, 16) instead of '*', '#', A-D and flash ('!' in dtmf-relay).
 * All of that is accepted; anything else is a typed error, never an exception, so
 * the INFO handler can answer 400 (or 415 for a type it does not know).
 */
import { type DtmfSignal, isDtmfDigit, signalOfEventCode } from './digits.js';

export interface InfoDtmf {
  signal: DtmfSignal;
  /** How long the key was held, when the body says. */
  durationMs: number | null;
}

export type InfoDtmfErrorCode =
  | 'unsupported-content-type'
  | 'too-long'
  | 'empty'
  | 'malformed-line'
  | 'missing-signal'
  | 'duplicate-field'
  | 'bad-signal'
  | 'bad-duration';

export type InfoDtmfResult =
  | { ok: true; dtmf: InfoDtmf }
  | { ok: false; error: InfoDtmfErrorCode; reason: string };

/** Real bodies are a few dozen octets; anything long is not DTMF and is not scanned. */
const MAX_BODY = 1024;
/** Longer than any key press; a bigger number is a mistake, not a digit held for an hour. */
const MAX_DURATION_MS = 3_600_000;

export const DTMF_RELAY_CONTENT_TYPE = 'application/dtmf-relay';
export const DTMF_CONTENT_TYPE = 'application/dtmf';

/** The media type of a Content-Type value, lower-cased, without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Is this Content-Type one parseDtmfInfo understands? */
export function isDtmfInfoContentType(contentType: string): boolean {
  const t = mediaType(contentType);
  return t === DTMF_RELAY_CONTENT_TYPE || t === DTMF_CONTENT_TYPE;
}

/** Parses an INFO body by its Content-Type. */
export function parseDtmfInfo(contentType: string, body: string | Uint8Array): InfoDtmfResult {
  const t = mediaType(contentType);
  if (t === DTMF_RELAY_CONTENT_TYPE) return parseDtmfRelay(body);
  if (t === DTMF_CONTENT_TYPE) return parseDtmfBody(body);
  return fail('unsupported-content-type', `not a DTMF body type: ${t || '(none)'}`);
}

/** application/dtmf-relay: `Signal=` and optional `Duration=` lines; other keys are ignored. */
export function parseDtmfRelay(body: string | Uint8Array): InfoDtmfResult {
  const text = asText(body);
  if (text === null) return fail('too-long', `body over ${MAX_BODY} octets`);
  let signal: string | null = null;
  let duration: string | null = null;
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return fail('malformed-line', `not a key=value line: ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') {
      if (signal !== null) return fail('duplicate-field', 'Signal given twice');
      signal = value;
    } else if (key === 'duration') {
      if (duration !== null) return fail('duplicate-field', 'Duration given twice');
      duration = value;
    }
  }
  if (signal === null)
    return text.trim() === '' ? fail('empty', 'empty body') : fail('missing-signal', 'no Signal line');
  const s = parseSignal(signal);
  if (s === null) return fail('bad-signal', `not a DTMF signal: ${JSON.stringify(signal)}`);
  let durationMs: number | null = null;
  if (duration !== null) {
    if (!/^\d{1,7}$/.test(duration) || Number(duration) > MAX_DURATION_MS)
      return fail('bad-duration', `not a duration in ms: ${JSON.stringify(duration)}`);
    durationMs = Number(duration);
  }
  return { ok: true, dtmf: { signal: s, durationMs } };
}

/** application/dtmf: the body is the signal alone. */
export function parseDtmfBody(body: string | Uint8Array): InfoDtmfResult {
  const text = asText(body);
  if (text === null) return fail('too-long', `body over ${MAX_BODY} octets`);
  const value = text.trim();
  if (value === '') return fail('empty', 'empty body');
  const s = parseSignal(value);
  if (s === null) return fail('bad-signal', `not a DTMF signal: ${JSON.stringify(value)}`);
  return { ok: true, dtmf: { signal: s, durationMs: null } };
}

/** The application/dtmf-relay body for sending a digit by INFO. */
export function serializeDtmfRelay(signal: DtmfSignal, durationMs: number): string {
  const s = signal === 'flash' ? '!' : signal;
  return `Signal=${s}\r\nDuration=${Math.max(0, Math.round(durationMs))}\r\n`;
}

/** One signal value: a keypad character, '!' for flash, or an RFC 4733 event number 0-16. */
function parseSignal(value: string): DtmfSignal | null {
  const v = value.toUpperCase();
  if (isDtmfDigit(v)) return v;
  if (v === '!') return 'flash';
  // Some phones send the event number: 10 for '*', 11 for '#', 12-15 A-D, 16 flash.
  if (/^\d{2}$/.test(v)) return signalOfEventCode(Number(v));
  return null;
}

function asText(body: string | Uint8Array): string | null {
  if (body.length > MAX_BODY) return null;
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

function fail(error: InfoDtmfErrorCode, reason: string): InfoDtmfResult {
  return { ok: false, error, reason };
}
