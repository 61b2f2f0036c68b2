/**
 * Numbers as routing compares them: normalised to E.164 by the tenant's country
 * where they parse, matched exactly or by a prefix ending in '*'; anonymous
 * callers recognised by the stand-ins phones and carriers send.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CallerRule } from './types.js';

/** The caller's number as it would be matched against a rule list: E.164 where it parses. */
export function normaliseNumber(number: string, country: string): string {
  const digits = number.replace(/[\s()-]/g, '');
  if (/^\+?[0-9]{5,}$/.test(digits)) {
    const p = parsePhoneNumberFromString(digits, country as Parameters<typeof parsePhoneNumberFromString>[1]);
    if (p?.isPossible()) return p.number;
  }
  return digits;
}

/** Anonymous callers: no number, or the conventional stand-ins phones and carriers send. */
function isAnonymous(number: string): boolean {
  return number === '' || /^(anonymous|unknown|restricted|unavailable|private)$/i.test(number);
}

/** A rule's numbers match exactly (after normalisation) or by prefix when they end in '*'. */
export function callerMatches(rule: CallerRule, number: string, country: string): boolean {
  if ('anonymous' in rule.match) return isAnonymous(number);
  return numberMatches(rule.match.numbers, number, country);
}

/** `number` is in the list, exactly (as dialled or normalised) or by a prefix ending in '*'. */
export function numberMatches(list: readonly string[], number: string, country: string): boolean {
  if (isAnonymous(number)) return false;
  const caller = normaliseNumber(number, country);
  return list.some((n) =>
    n.endsWith('*')
      ? caller.startsWith(n.slice(0, -1)) || number.startsWith(n.slice(0, -1))
      : n === caller || n === number,
  );
}
