/** Shorthands for the request and response types of schema.d.ts. */
import type { paths } from './schema';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** The JSON body a route answers with on success. */
export type ResponseOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer J } } }
    ? J
    : R extends { 201: { content: { 'application/json': infer J } } }
      ? J
      : never
  : never;

/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type Me = ResponseOf<'/api/v1/auth/me', 'get'>;
export type Role = Me['role'];
export type Extension = ResponseOf<'/api/v1/tenants/{tenantId}/extensions', 'get'>['items'][number];
export type CallRecord = ResponseOf<'/api/v1/tenants/{tenantId}/calls', 'get'>['items'][number];
