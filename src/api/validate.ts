/** Checks that JSON Schema cannot express, each failing with the field it concerns. */
import { isSupportedCountry } from 'libphonenumber-js';
import type { Store } from '../store/store.js';
import { ApiError } from './errors.js';

export function assertTimeZone(tz: string, field = 'timeZone'): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new ApiError(
      'VALIDATION_FAILED',
      `Unknown time zone "${tz}" (use an IANA name like Europe/Moscow)`,
      field,
    );
  }
}

/** A country we know the numbering plan of (tenants' numbers are normalised by it). */
export function assertCountry(code: string, field = 'country'): void {
  if (!isSupportedCountry(code))
    throw new ApiError(
      'VALIDATION_FAILED',
      `Unknown country code "${code}" (ISO 3166-1 alpha-2, e.g. RU)`,
      field,
    );
}

interface Rule {
  enabled: boolean;
  target: string;
  voicemail?: boolean;
}

/** A forwarding rule that is switched on must say where to: a number, or (not for "always") voicemail. */
export function assertForwarding(f: Partial<Record<string, Rule>>): void {
  for (const [name, rule] of Object.entries(f)) {
    if (name === 'always' && rule?.voicemail)
      throw new ApiError(
        'VALIDATION_FAILED',
        'Forward always goes to a number; voicemail is for busy, no answer and unreachable',
        'forwarding.always.voicemail',
      );
    if (rule?.enabled && rule.target === '' && !rule.voicemail) {
      throw new ApiError(
        'VALIDATION_FAILED',
        'An enabled forwarding rule needs a target number',
        `forwarding.${name}.target`,
      );
    }
  }
}

/** A caller ID a tenant may show: one of the numbers the operator gave it. */
export async function assertOwnNumber(
  store: Store,
  tenantId: string,
  number: string,
  field: string,
): Promise<void> {
  const n = await store.numbers.byNumber(number);
  if (n?.tenantId !== tenantId)
    throw new ApiError('VALIDATION_FAILED', `${number} is not one of the tenant's numbers`, field);
}
