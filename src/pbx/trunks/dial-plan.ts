/**
 * Outbound calling through SIP trunks, as pure functions: which outbound route a
 * dialled string takes (dial patterns), whether the caller may dial it (call
 * classes, the PBX's toll-fraud control), and how numbers are written toward a
 * trunk and read back from it. No I/O: the router and the trunk layer call these
 * on every call.
 *
 * Numbers go through libphonenumber-js with its full ("max") metadata: the default
 * "min" metadata calls far too much valid (any 14 digits starting with 8 in Russia,
 * German strings like 1234567), and reading numbers from trunks depends on validity
 * to choose between the readings of an ambiguous digit string.
 */
import {
  type CountryCode,
  getCountryCallingCode,
  isSupportedCountry,
  Metadata,
  type PhoneNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';

// ---------------------------------------------------------------------------
// Dial patterns
// ---------------------------------------------------------------------------

export interface DialPattern {
  match: string;
  strip: number;
  prepend: string;
}

export type CompiledPattern = { ok: true; test(dialled: string): boolean } | { ok: false; error: string };

/** Longer strings never match: no number is that long, and it bounds the time any regex can take. */
const MAX_DIALLED = 64;
/** Longest regular expression accepted: route patterns are short, long ones are usually pasted mistakes. */
const MAX_REGEX = 200;
/** Compiled patterns kept; a tenant has a handful of routes, so this only guards against unbounded growth. */
const CACHE_SIZE = 500;

const cache = new Map<string, CompiledPattern>();

type Source = { source: string } | { error: string };

/** Compiles a route's pattern once; every call through the route reuses it. */
export function compilePattern(match: string): CompiledPattern {
  const cached = cache.get(match);
  if (cached) return cached;
  const compiled = compile(match.trim());
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(match, compiled);
  return compiled;
}

/** The number to send when `dialled` matches: `strip` leading characters removed, then `prepend` put in front; null when it does not match. */
export function applyPattern(p: DialPattern, dialled: string): string | null {
  const compiled = compilePattern(p.match);
  if (!compiled.ok || !compiled.test(dialled)) return null;
  // A negative or fractional strip from hand-edited config would otherwise slice from the end.
  const strip = Number.isFinite(p.strip) ? Math.max(0, Math.trunc(p.strip)) : 0;
  return p.prepend + dialled.slice(strip);
}

function compile(match: string): CompiledPattern {
  if (match === '') return { ok: false, error: 'The pattern is empty.' };
  const result = match.startsWith('_')
    ? asteriskSource(match)
    : match.startsWith('/')
      ? regexSource(match)
      : literalSource(match);
  if ('error' in result) return { ok: false, error: result.error };
  // Always anchored: a route that matched part of a number (112 inside 0088112) would be a surprise
  // and a toll-fraud hole. Wrapping an already anchored expression changes nothing.
  const re = new RegExp(`^(?:${result.source})$`);
  return { ok: true, test: (dialled) => dialled.length <= MAX_DIALLED && re.test(dialled) };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Asterisk's pattern letters (either case, as Asterisk accepts) and wildcards. */
const ASTERISK_WILDCARDS: Readonly<Record<string, string>> = {
  X: '[0-9]',
  Z: '[1-9]',
  N: '[2-9]',
  '.': '[\\s\\S]+',
  '!': '[\\s\\S]*',
};

const DIAL_CHAR = /^[0-9*#+]$/;

/** `_NXX.` style. Positions in errors count from 1 over the whole pattern, '_' included. */
function asteriskSource(match: string): Source {
  if (match.length === 1) return { error: "Nothing follows '_': write the pattern after it, e.g. _9NXX." };
  let source = '';
  for (let i = 1; i < match.length; i++) {
    const c = match[i]!;
    const wildcard = ASTERISK_WILDCARDS[c.toUpperCase()];
    if (wildcard) source += wildcard;
    else if (DIAL_CHAR.test(c)) source += escapeRegex(c);
    else if (c === '[') {
      const set = setSource(match, i);
      if ('error' in set) return set;
      source += set.source;
      i = set.end;
    } else if (c !== '-') {
      // '-' is skipped because Asterisk ignores it too: authors write _8-495-XXXXXXX for readability.
      return {
        error: `'${c}' at position ${i + 1} is not allowed in a pattern: use digits, * # +, X Z N, [sets], '.' or '!'.`,
      };
    }
  }
  return { source };
}

/** A `[15-7]` set starting at `open`, as a regex class, with the index of its ']'. */
function setSource(match: string, open: number): { source: string; end: number } | { error: string } {
  const close = match.indexOf(']', open + 1);
  if (close < 0) return { error: `The '[' at position ${open + 1} is never closed with ']'.` };
  let parts = '';
  for (let i = open + 1; i < close; i++) {
    const c = match[i]!;
    const hi = match[i + 2];
    if (match[i + 1] === '-' && hi !== undefined && i + 2 < close) {
      if (!/[0-9]/.test(c) || !/[0-9]/.test(hi))
        return { error: `The range ${c}-${hi} must run between digits.` };
      if (c > hi) return { error: `The range ${c}-${hi} runs backwards: write ${hi}-${c}.` };
      parts += `${c}-${hi}`;
      i += 2;
    } else if (DIAL_CHAR.test(c)) parts += escapeRegex(c);
    else
      return {
        error: `'${c}' at position ${i + 1} is not allowed in a set: use digits, ranges like 5-7, * # +.`,
      };
  }
  if (parts === '') return { error: `The set at position ${open + 1} is empty.` };
  return { source: `[${parts}]`, end: close };
}

/** A plain number matches only itself ('-' ignored, as in patterns). */
function literalSource(match: string): Source {
  const number = match.replaceAll('-', '');
  if (!/^[0-9*#+]+$/.test(number)) {
    return {
      error: `"${match}" is neither a number nor a pattern: a number has only digits, * # +; start a pattern with '_' (e.g. _9X.) or write a regular expression between slashes.`,
    };
  }
  return { source: escapeRegex(number) };
}

/** `/.../`: JavaScript syntax, refused when it could backtrack catastrophically. */
function regexSource(match: string): Source {
  const end = match.lastIndexOf('/');
  if (end === 0) return { error: "A regular expression must end with '/', e.g. /^9[0-9]+$/." };
  if (end !== match.length - 1)
    return { error: `Flags after the closing '/' (${match.slice(end + 1)}) are not supported.` };
  const body = match.slice(1, end);
  if (body === '') return { error: 'The regular expression between the slashes is empty.' };
  if (body.length > MAX_REGEX)
    return {
      error: `The regular expression is ${body.length} characters long; at most ${MAX_REGEX} are allowed.`,
    };
  // Checked alone before we wrap it, so a body like `a)|(b` cannot escape our anchors.
  try {
    new RegExp(body);
  } catch (e) {
    return { error: `${e instanceof Error ? e.message : String(e)}.` };
  }
  const nested = nestedQuantifier(body);
  if (nested)
    return {
      error: `${nested} repeats a group that itself repeats a variable number of times, which can take exponential time on some inputs; write it without the nested repetition.`,
    };
  return { source: body };
}

interface Quantifier {
  length: number;
  min: number;
  max: number;
}

/** The quantifier starting at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`), or null. */
function quantifierAt(s: string, i: number): Quantifier | null {
  const c = s[i];
  if (c === '*') return { length: 1, min: 0, max: Number.POSITIVE_INFINITY };
  if (c === '+') return { length: 1, min: 1, max: Number.POSITIVE_INFINITY };
  if (c === '?') return { length: 1, min: 0, max: 1 };
  const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i));
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { length: m[0].length, min, max };
}

/** Index of the ']' closing the character class opened at `open`. */
function classEnd(s: string, open: number): number {
  for (let j = open + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === ']') return j;
  }
  return s.length;
}

/**
 * A group repeated more than once that contains a variable repetition, like `(a+)+` or
 * `(\d{1,3})*`: the shape behind catastrophic backtracking. A heuristic, not a proof:
 * overlapping alternatives such as `(a|a)*` pass, and the dialled-length cap limits them.
 * Returns the offending text, or null.
 */
function nestedQuantifier(body: string): string | null {
  const groups: { start: number; varies: boolean }[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(body, i);
    else if (c === '(') {
      groups.push({ start: i, varies: false });
      // The '?' of (?: (?= (?<name> is syntax, not a quantifier.
      if (body[i + 1] === '?') i++;
    } else if (c === ')') {
      const group = groups.pop();
      const after = quantifierAt(body, i + 1);
      if (group?.varies && after && after.max > 1) return body.slice(group.start, i + 1 + after.length);
      const parent = groups.at(-1);
      if (parent && group?.varies) parent.varies = true;
    } else {
      const q = quantifierAt(body, i);
      if (!q) continue;
      const top = groups.at(-1);
      if (top && q.min !== q.max) top.varies = true;
      i += q.length - 1;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Call classes
// ---------------------------------------------------------------------------

export type CallClass = 'internal' | 'local' | 'national' | 'international';
export type NumberClass = 'emergency' | 'local' | 'national' | 'international';

export interface NumberPlan {
  country: string;
  /** E.164 prefixes that count as local, e.g. ['+7495', '+7499'] */
  localPrefixes: readonly string[];
}

export type NumberClassification =
  | { class: NumberClass; e164: string | null }
  | { class: 'invalid'; e164: null };

/** Cheapest first: a class may call everything up to its own rank. */
const CLASS_RANK: Readonly<Record<CallClass, number>> = {
  internal: 0,
  local: 1,
  national: 2,
  international: 3,
};

/**
 * Emergency numbers besides 112, which every country gets (GSM networks route it
 * everywhere, and callers from abroad dial it by habit).
 */
const EMERGENCY: Readonly<Record<string, readonly string[]>> = {
  US: ['911'],
  CA: ['911'],
  MX: ['911'],
  GB: ['999'],
  IE: ['999'],
  RU: ['101', '102', '103', '104', '01', '02', '03', '04'],
  KZ: ['101', '102', '103', '104'],
  BY: ['101', '102', '103', '104'],
  UA: ['101', '102', '103', '104'],
  DE: ['110'],
  AT: ['122', '133', '144'],
  CH: ['117', '118', '144'],
  FR: ['15', '17', '18', '114'],
  IT: ['113', '115', '118'],
  ES: ['061', '080', '091', '092'],
  PL: ['997', '998', '999'],
  AU: ['000', '106'],
  NZ: ['111'],
  IN: ['100', '101', '102', '108'],
  CN: ['110', '119', '120', '122'],
  JP: ['110', '118', '119'],
  BR: ['190', '192', '193'],
};

/** What people and phones put between digits; anything else makes a string not a number. */
const SEPARATORS = /[\s().-]/g;

/** `+` and digits with separators removed, or null when something else is in the string. */
function digitsOf(dialled: string): string | null {
  const s = dialled.replace(SEPARATORS, '');
  return /^\+?[0-9]+$/.test(s) ? s : null;
}

function countryOf(country: string): CountryCode | undefined {
  const c = country.toUpperCase();
  return isSupportedCountry(c) ? c : undefined;
}

/**
 * International prefixes libphonenumber-js does not know. Its Russian and Kazakh
 * metadata has only the legacy 8~10; users there also dial 00, which it would
 * otherwise take for a (possible!) 14-digit national number.
 */
const EXTRA_INTERNATIONAL_PREFIXES: Readonly<Record<string, readonly string[]>> = { RU: ['00'], KZ: ['00'] };

/** A dialled string parsed as a user in `country` means it; undefined when it does not parse. */
function parseDialled(dialled: string, country: string): PhoneNumber | undefined {
  const digits = digitsOf(dialled);
  if (!digits) return undefined;
  const cc = countryOf(country);
  const extra = cc ? (EXTRA_INTERNATIONAL_PREFIXES[cc] ?? []) : [];
  const idd = extra.find((p) => digits.startsWith(p));
  const text = idd ? `+${digits.slice(idd.length)}` : digits;
  return parsePhoneNumberFromString(text, cc);
}

/** E.164 form of a number as a user in `country` dialled it, or null when it is not a possible phone number. */
export function toE164(dialled: string, country: string): string | null {
  const parsed = parseDialled(dialled, country);
  return parsed?.isPossible() ? parsed.number : null;
}

export function isEmergency(dialled: string, country: string): boolean {
  const digits = dialled.replace(SEPARATORS, '');
  return digits === '112' || (EMERGENCY[country.toUpperCase()]?.includes(digits) ?? false);
}

/**
 * Members of +1 billed as domestic to each other. The Caribbean members of +1
 * (Jamaica 876, Dominican Republic 809, ...) are international calls and the classic
 * toll-fraud destinations, so sharing the calling code is not enough there.
 */
const NANP_DOMESTIC: ReadonlySet<string> = new Set(['US', 'CA', 'PR', 'VI', 'GU', 'AS', 'MP']);

/** Same calling code as the plan's country (so +7 is national in both Russia and Kazakhstan), NANP aside. */
function isNational(number: PhoneNumber, country: string): boolean {
  const cc = countryOf(country);
  if (!cc || number.countryCallingCode !== getCountryCallingCode(cc)) return false;
  if (number.countryCallingCode !== '1') return true;
  const region = number.country;
  return region === cc || (region !== undefined && NANP_DOMESTIC.has(region) && NANP_DOMESTIC.has(cc));
}

/** Local prefixes as E.164 prefixes ('7 495' → '+7495'); empty ones dropped, since '+' would make every number local. */
function localPrefixesOf(plan: NumberPlan): string[] {
  return plan.localPrefixes.map((p) => p.replace(/[^0-9]/g, '')).flatMap((d) => (d === '' ? [] : [`+${d}`]));
}

export function classifyNumber(dialled: string, plan: NumberPlan): NumberClassification {
  // Before parsing: emergency numbers are not possible phone numbers to libphonenumber.
  if (isEmergency(dialled, plan.country)) return { class: 'emergency', e164: null };
  const number = parseDialled(dialled, plan.country);
  if (!number?.isPossible()) return { class: 'invalid', e164: null };
  const e164 = number.number;
  if (localPrefixesOf(plan).some((p) => e164.startsWith(p))) return { class: 'local', e164 };
  return { class: isNational(number, plan.country) ? 'national' : 'international', e164 };
}

/** Emergency always; otherwise the caller's class must rank at least as high as the number's. */
export function classAllows(allowed: CallClass, needed: NumberClass): boolean {
  return needed === 'emergency' || CLASS_RANK[allowed] >= CLASS_RANK[needed];
}

// ---------------------------------------------------------------------------
// Number formats toward trunks
// ---------------------------------------------------------------------------

export type NumberFormat = 'e164' | 'e164NoPlus' | 'national' | 'local';

export interface TrunkNumbering {
  country: string;
  /** Area code as it starts national significant numbers ('495', '30'); a leading trunk prefix 0 is tolerated. */
  areaCode?: string | null;
  /**
   * The form the trunk is configured for, when the caller knows it. Only e164NoPlus
   * changes how numbers are read: its digits are taken as international first.
   */
  format?: NumberFormat | null;
}

/** How a country writes numbers, from the metadata plus what carriers there expect. */
interface Numbering {
  callingCode: string;
  /** Trunk prefix as dialled ('8' RU, '0' DE, '1' US; '' where there is none). */
  trunkPrefix: string;
  /** Trunk prefix we write before national numbers: none in NANP, where carriers want 10 digits. */
  nationalPrefix: string;
  /** International prefix we write; null where a carrier code is needed, so E.164 is written instead. */
  internationalPrefix: string | null;
  /** International prefixes users dial: the written one and those libphonenumber-js does not know. */
  internationalPrefixes: readonly string[];
  /** Carriers send national numbers without the trunk prefix (see BARE_NATIONAL_COUNTRIES). */
  bareNationalCommon: boolean;
}

/**
 * Countries whose carriers commonly send the 10-digit national number without the
 * trunk prefix (Russian and Kazakh caller IDs like 4951234567): that reading comes
 * before a foreign number written without '+', which the same digits may also be
 * (+49 5123 4567).
 */
const BARE_NATIONAL_COUNTRIES: ReadonlySet<string> = new Set(['RU', 'KZ']);

/** Subscriber numbers after an area code are at most 8 digits; longer strings are national or international. */
const MAX_LOCAL_DIGITS = 8;

const numberings = new Map<CountryCode, Numbering>();

function numberingOf(country: string): Numbering | undefined {
  const cc = countryOf(country);
  if (!cc) return undefined;
  let numbering = numberings.get(cc);
  if (!numbering) {
    numbering = readNumbering(cc);
    numberings.set(cc, numbering);
  }
  return numbering;
}

function readNumbering(cc: CountryCode): Numbering {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(cc);
  const plan = metadata.numberingPlan;
  const callingCode = getCountryCallingCode(cc);
  const trunkPrefix = metadataTrunkPrefix(plan);
  const internationalPrefix = writtenInternationalPrefix(plan);
  return {
    callingCode,
    trunkPrefix,
    nationalPrefix: callingCode === '1' ? '' : trunkPrefix,
    internationalPrefix,
    internationalPrefixes: [
      ...(internationalPrefix ? [internationalPrefix] : []),
      ...(EXTRA_INTERNATIONAL_PREFIXES[cc] ?? []),
    ],
    bareNationalCommon: BARE_NATIONAL_COUNTRIES.has(cc),
  };
}

/**
 * The metadata has the trunk prefix but the typings do not declare it, so it is read
 * defensively; some countries without one (Italy) give the number 0 instead of nothing.
 */
function metadataTrunkPrefix(plan: Metadata['numberingPlan']): string {
  if (!plan || !('nationalPrefix' in plan) || typeof plan.nationalPrefix !== 'function') return '';
  const prefix: unknown = plan.nationalPrefix();
  return typeof prefix === 'string' && /^[0-9]+$/.test(prefix) ? prefix : '';
}

/**
 * The international prefix we write, or null when the country has no single one. The
 * metadata gives a pattern where there are several (Australia) and then maybe a
 * preferred one, with '~' for "wait for dial tone" (Russia: 8~10). Some countries need a
 * carrier code (Brazil: 00 + 2 digits) and some preferred values are placeholders
 * (Taiwan: 0), so a preferred prefix counts only when the pattern accepts it.
 */
function writtenInternationalPrefix(plan: Metadata['numberingPlan']): string | null {
  const idd = plan?.IDDPrefix() ?? '';
  if (/^[0-9]+$/.test(idd)) return idd;
  const preferred = plan?.defaultIDDPrefix();
  const digits = typeof preferred === 'string' ? preferred.replaceAll('~', '') : '';
  return /^[0-9]+$/.test(digits) && new RegExp(`^(?:${idd})$`).test(digits) ? digits : null;
}

/** The area code as national significant digits: '030' → '30' where the trunk prefix is 0. */
function areaDigits(areaCode: string | null | undefined, numbering: Numbering): string {
  const digits = (areaCode ?? '').replace(/[^0-9]/g, '');
  // Only a 0 prefix is stripped: Russian area codes such as 812 start with the trunk prefix 8.
  return numbering.trunkPrefix === '0' && digits.startsWith('0') ? digits.slice(1) : digits;
}

function startsWithAnyPrefix(digits: string, numbering: Numbering): boolean {
  const prefixes = [numbering.trunkPrefix, ...numbering.internationalPrefixes].filter((p) => p !== '');
  return prefixes.some((p) => digits.startsWith(p));
}

/** How `e164` is written toward a trunk in `trunk.country`. Throws RangeError when `e164` is not +digits. */
export function formatForTrunk(e164: string, format: NumberFormat, trunk: TrunkNumbering): string {
  if (!/^\+[1-9][0-9]{1,14}$/.test(e164)) throw new RangeError(`Not an E.164 number: "${e164}"`);
  if (format === 'e164') return e164;
  if (format === 'e164NoPlus') return e164.slice(1);
  const numbering = numberingOf(trunk.country);
  // Without the trunk's country there is no national form; E.164 is the one form nobody misreads.
  if (!numbering) return e164;
  const number = parsePhoneNumberFromString(e164);
  if (!number || number.countryCallingCode !== numbering.callingCode)
    return numbering.internationalPrefix === null ? e164 : numbering.internationalPrefix + e164.slice(1);
  const local = format === 'local' ? localForm(number, trunk, numbering) : null;
  return local ?? numbering.nationalPrefix + number.nationalNumber;
}

/** The number without its area code, or null to write the national form instead. */
function localForm(number: PhoneNumber, trunk: TrunkNumbering, numbering: Numbering): string | null {
  const area = areaDigits(trunk.areaCode, numbering);
  const nsn = number.nationalNumber;
  if (area === '' || !nsn.startsWith(area)) return null;
  const rest = nsn.slice(area.length);
  // Local only when it reads back as this very number (not when the rest starts like a
  // prefix or is itself a valid national number): the national form is never wrong.
  return rest !== '' && fromTrunk(rest, trunk) === number.number ? rest : null;
}

/**
 * A number arriving from a trunk (caller ID, DID) in any of the forms above → E.164,
 * null when impossible. A digit string can mean several numbers (4951234567 is a Moscow
 * number without its 8, or a German one without '+'); the readings are tried in the
 * order the trunk makes likely and the first valid one wins, else the first possible one.
 */
export function fromTrunk(number: string, trunk: TrunkNumbering): string | null {
  const digits = digitsOf(number);
  if (!digits) return null;
  const readings = digits.startsWith('+') ? [digits] : readingsOf(digits, trunk);
  const possible = readings
    .map((r) => parseDialled(r, trunk.country))
    .filter((p): p is PhoneNumber => p?.isPossible() === true);
  return (possible.find((p) => p.isValid()) ?? possible[0])?.number ?? null;
}

/** What `digits` may stand for, most likely first, each as a user in the trunk's country would dial it. */
function readingsOf(digits: string, trunk: TrunkNumbering): string[] {
  const numbering = numberingOf(trunk.country);
  const international = `+${digits}`;
  if (!numbering) return [international];
  const noPlus = trunk.format === 'e164NoPlus';
  // A trunk or international prefix: libphonenumber reads the digits as dialled.
  if (startsWithAnyPrefix(digits, numbering))
    return noPlus ? [international, digits] : [digits, international];
  const area = areaDigits(trunk.areaCode, numbering);
  const local =
    area !== '' && digits.length <= MAX_LOCAL_DIGITS ? [numbering.trunkPrefix + area + digits] : [];
  const bare = [numbering.trunkPrefix + digits];
  if (noPlus) return [international, ...local, ...bare];
  // Where national numbers are written without a prefix (US, Italy) these digits are the national form.
  if (numbering.nationalPrefix === '') return [...bare, ...local, international];
  if (numbering.bareNationalCommon) return [...local, ...bare, international];
  return [...local, international, ...bare];
}
