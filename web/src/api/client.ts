/**
 * The one API client of the portal: openapi-fetch typed by schema.d.ts, which is
 * generated from the server's OpenAPI document (scripts/api-types.ts), so a
 * renamed field or route fails the type check here rather than in a user's browser.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** An RFC 9457 problem as the server sends it (src/api/errors.ts). */
export interface ProblemBody {
  type?: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  /** The request field the problem is about, dotted (`forwarding.busy.target`). */
  field?: string;
  /** The other field of a clash between two (a feature code and the one it collides with). */
  relatedField?: string;
}

export class ApiProblem extends Error {
  constructor(readonly problem: ProblemBody) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
  get field(): string | undefined {
    return this.problem.field;
  }
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

/** Any answer that is not a problem+json body (a proxy's HTML 502, a dropped connection). */
function asProblem(error: unknown, response: Response | undefined): ApiProblem {
  if (error && typeof error === 'object' && 'code' in error && 'title' in error)
    return new ApiProblem(error as ProblemBody);
  return new ApiProblem({
    title: response ? response.statusText || 'Request failed' : 'Network error',
    status: response?.status ?? 0,
    code: response ? 'HTTP_ERROR' : 'NETWORK_ERROR',
  });
}

/** The data of an openapi-fetch result, or an ApiProblem thrown (TanStack Query shows it). */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    throw asProblem(e, undefined);
  }
  if (result.error !== undefined || !result.response.ok) throw asProblem(result.error, result.response);
  return result.data as T;
}
