/**
 * Typed store errors, so the API can answer 409 or 503 without knowing which
 * database engine raised what (DESIGN.md §2: errors that cross a boundary are typed).
 */

/** A unique or foreign-key rule refused the write; `field` is the API field it concerns. */
export class ConflictError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** A referenced row (an owner, a tenant) does not exist in this tenant. */
export class MissingReferenceError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreReferenceError';
  }
}

/** The database cannot be reached or has gone away. */
export class UnavailableError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

/** A limit of the tenant (e.g. max extensions) would be exceeded. */
export class LimitError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

/** Constraint name -> [API field, conflict message]. */
const UNIQUE: Record<string, [string, string]> = {
  tenants_sip_domain_key: ['sipDomain', 'A tenant with this SIP domain already exists'],
  users_email_key: ['email', 'A user with this email already exists'],
  extensions_tenant_id_number_key: ['number', 'This extension number is already taken in the tenant'],
  api_keys_prefix_key: ['prefix', 'API key prefix collision; try again'],
};

const FOREIGN: Record<string, [string, string]> = {
  extensions_owner_fkey: ['userId', 'No such user in this tenant'],
};

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

interface DriverError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** Maps a driver error (pg or PGlite) to a typed store error, or returns it unchanged. */
export function translateDbError(e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return e;
  const err = e as DriverError;
  if (err.code === '23505') {
    const [field, message] = UNIQUE[err.constraint ?? ''] ?? ['id', 'Duplicate value'];
    return new ConflictError(field, message);
  }
  if (err.code === '23503') {
    const [field, message] = FOREIGN[err.constraint ?? ''] ?? ['id', 'Referenced record does not exist'];
    return new MissingReferenceError(field, message);
  }
  if (
    (err.code && UNAVAILABLE_CODES.has(err.code)) ||
    /Connection terminated|connect ECONNREFUSED|PGlite is closed|embedded database stopped|driver has already been destroyed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      err.message ?? '',
    )
  ) {
    return new UnavailableError('The database is unavailable', { cause: e });
  }
  return e;
}
