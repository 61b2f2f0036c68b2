/**
 * Route schemas compiled on first use instead of at start-up.
 *
 * Fastify compiles every route's validators (Ajv) and response serializers
 * (fast-json-stringify) when the server becomes ready: for our ~400 routes (and
 * their HEAD twins) that took about a second, the largest single share of
 * start-up (DESIGN.md §4: < 2 s). Most routes are not called in a process's
 * first minutes, so each is compiled when its first request arrives (a few
 * milliseconds, once). `compileAll()` compiles everything now; a test calls it so
 * a broken schema still fails the build rather than a request in production.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import fastJsonStringify from 'fast-json-stringify';

type Validate = ((data: unknown, ctx?: object) => boolean) & {
  errors?: ValidateFunction['errors'];
  /** Fastify passes the parent object (so Ajv may coerce the root) only to validators that have this. */
  schemaEnv?: unknown;
};

export interface LazyCompilers {
  validatorCompiler(route: { schema: object; httpPart?: string }): Validate;
  serializerCompiler(route: { schema: object }): (data: unknown) => string;
  /** Compiles every schema seen so far; throws the first schema error with its route. */
  compileAll(): void;
}

/**
 * @param bodyAjv validates JSON bodies exactly as sent
 * @param otherAjv validates query strings, params and headers (coercing text)
 */
export function lazyCompilers(bodyAjv: Ajv, otherAjv: Ajv): LazyCompilers {
  const pending: (() => void)[] = [];
  return {
    validatorCompiler({ schema, httpPart }) {
      const ajv = httpPart === 'body' ? bodyAjv : otherAjv;
      let fn: ValidateFunction | null = null;
      const compile = () => {
        fn ??= ajv.compile(schema);
        return fn;
      };
      const validate: Validate = (data, ctx) => {
        const f = compile();
        const ok = f(data, ctx as Parameters<ValidateFunction>[1]);
        validate.errors = f.errors;
        return ok;
      };
      validate.schemaEnv = true;
      pending.push(compile);
      return validate;
    },
    serializerCompiler({ schema }) {
      let fn: ((data: unknown) => string) | null = null;
      const compile = () => {
        fn ??= fastJsonStringify(schema) as (data: unknown) => string;
        return fn;
      };
      pending.push(compile);
      return (data) => compile()(data);
    },
    compileAll() {
      for (const c of pending) c();
    },
  };
}
