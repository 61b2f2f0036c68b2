/** The portal names every API problem code in both languages, in English as the server does. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/api/errors.js';
import { problemsEn, problemsRu } from '../../web/src/i18n/problems.js';

describe('problem titles in the portal', () => {
  it('has every code of the API, English titles equal to the server catalogue', () => {
    for (const [code, def] of Object.entries(ERROR_CODES)) {
      expect((problemsEn.problem as Record<string, string>)[code], code).toBe(def.title);
      expect((problemsRu.problem as Record<string, string>)[code], code).toMatch(/[а-яё]/i);
    }
  });
});
