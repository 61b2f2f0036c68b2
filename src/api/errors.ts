/**
 * The catalogue of API error codes. Every error the API returns is an
 * application/problem+json body (RFC 9457) with one of these stable codes; the
 * table in docs/api-errors.md is checked against this list by a test.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Sign in or send an API key' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong email or password' },
  TOTP_REQUIRED: { status: 401, title: 'A one-time code from the authenticator app is required' },
  INVALID_TOTP: { status: 401, title: 'The one-time code is wrong or expired' },
  FORBIDDEN: { status: 403, title: 'Your role may not do this' },
  FIELD_FORBIDDEN: { status: 403, title: 'Your role may not change this field' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflicts with existing data' },
  LIMIT_REACHED: { status: 409, title: 'A limit of the tenant is reached' },
  LAST_ADMIN: { status: 409, title: 'The last administrator cannot be removed or demoted' },
  PRECONDITION_FAILED: { status: 412, title: 'It was changed meanwhile; load it again and retry' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Send the body as application/json' },
  RATE_LIMITED: { status: 429, title: 'Too many attempts; wait and try again' },
  INTERNAL: { status: 500, title: 'Internal error' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database is unavailable; nothing was changed' },
  AUDIO_STORAGE_UNAVAILABLE: { status: 503, title: 'Audio storage is not available on this node' },
  SPEECH_FAILED: { status: 503, title: 'The text could not be spoken; try again' },
  QUEUES_UNAVAILABLE: { status: 503, title: 'Call queues need the media engine, which is not running' },
  AUDIO_UNSUPPORTED: { status: 415, title: 'The audio file is not WAV, MP3 or Ogg Vorbis' },
  AUDIO_INVALID: { status: 422, title: 'The audio file is damaged, empty or too long' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'The requested byte range is outside the file' },
  VOICEMAIL_UNAVAILABLE: { status: 503, title: 'Voicemail storage is not available on this node' },
  WEBHOOKS_UNAVAILABLE: { status: 503, title: 'Webhooks are not sent by this node' },
  CALLS_UNAVAILABLE: {
    status: 503,
    title: 'This node cannot place calls, or the node carrying the call did not answer',
  },
  CALL_NOT_LIVE: { status: 404, title: 'The call is not in progress' },
  RECORDINGS_UNAVAILABLE: { status: 503, title: 'Recording storage is not available on this node' },
  RECORDING_IN_PROGRESS: { status: 409, title: 'The recording is still being made' },
  INTEGRATIONS_UNAVAILABLE: { status: 503, title: 'Integrations are not run by this node' },
  INTEGRATION_FAILED: { status: 502, title: 'The CRM or ticket system refused or could not be reached' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  /** The offending input field, dotted for nested fields (e.g. "forwarding.busy.target"). */
  field?: string;
  /** The other field of a clash between two (e.g. the feature code another one begins with). */
  relatedField?: string;
  instance?: string;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly field?: string,
    readonly relatedField?: string,
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
  }

  toProblem(instance?: string): Problem {
    const def = ERROR_CODES[this.code];
    return {
      type: `urn:nimbus:problem:${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: def.title,
      status: def.status,
      code: this.code,
      detail: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.relatedField ? { relatedField: this.relatedField } : {}),
      ...(instance ? { instance } : {}),
    };
  }
}

export const notFound = (what: string): ApiError => new ApiError('NOT_FOUND', `${what} not found`);
