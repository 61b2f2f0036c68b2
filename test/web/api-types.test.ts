/**
 * The portal's API types (web/src/api/schema.d.ts) are generated from the
 * server's OpenAPI document; the committed file must match what the routes say now.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/api-types.js';

describe('web/src/api/schema.d.ts', () => {
  it('matches the OpenAPI document of the current routes', async () => {
    expect(existsSync(API_TYPES_FILE), `${API_TYPES_FILE} is missing: run \`npm run api-types\``).toBe(true);
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    const fresh = await generateApiTypes();
    expect(
      committed,
      'web/src/api/schema.d.ts is out of date with the API routes: run `npm run api-types` and commit the result',
    ).toBe(fresh);
  }, 60_000);
});
