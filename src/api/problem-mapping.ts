/** Turns anything thrown while serving a request into an ApiError (and so a problem+json body). */
import type { FastifyError } from 'fastify';
import {
  ConflictError,
  LimitError,
  MissingReferenceError,
  translateDbError,
  UnavailableError,
} from '../store/errors.js';
import { ApiError } from './errors.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "/forwarding/busy/target" -> "forwarding.busy.target"; adds the missing or unknown property. */
function fieldOf(issue: AjvIssue): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  return path.join('.');
}

function describe(issue: AjvIssue, field: string): string {
  if (issue.keyword === 'additionalProperties') return `Unknown field "${field}"`;
  if (issue.keyword === 'required') return `"${field}" is required`;
  return `"${field || 'body'}" ${issue.message ?? 'is invalid'}`;
}

export function toApiError(err: unknown): { error: ApiError; unexpected: boolean } {
  if (err instanceof ApiError) return { error: err, unexpected: false };
  const fe = err as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    const issue = fe.validation[0]!;
    const field = fieldOf(issue);
    const where =
      fe.validationContext && fe.validationContext !== 'body' ? ` (in ${fe.validationContext})` : '';
    return {
      error: new ApiError('VALIDATION_FAILED', describe(issue, field) + where, field || undefined),
      unexpected: false,
    };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: new ApiError('MALFORMED_JSON', fe.message), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new ApiError('UNSUPPORTED_MEDIA_TYPE'), unexpected: false };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new ApiError('BODY_TOO_LARGE'), unexpected: false };
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return { error: new ApiError('MALFORMED_JSON', err.message), unexpected: false };
  }
  const db = translateDbError(err);
  if (db instanceof ConflictError)
    return { error: new ApiError('CONFLICT', db.message, db.field), unexpected: false };
  if (db instanceof MissingReferenceError)
    return { error: new ApiError('VALIDATION_FAILED', db.message, db.field), unexpected: false };
  if (db instanceof LimitError)
    return { error: new ApiError('LIMIT_REACHED', db.message, db.field), unexpected: false };
  if (db instanceof UnavailableError)
    return { error: new ApiError('DATABASE_UNAVAILABLE'), unexpected: true };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code =
      fe.statusCode === 404
        ? 'NOT_FOUND'
        : fe.statusCode === 413
          ? 'BODY_TOO_LARGE'
          : fe.statusCode === 415
            ? 'UNSUPPORTED_MEDIA_TYPE'
            : 'VALIDATION_FAILED';
    return { error: new ApiError(code, fe.message), unexpected: false };
  }
  return { error: new ApiError('INTERNAL'), unexpected: true };
}
