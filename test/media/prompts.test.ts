import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import {
  clearPromptCache,
  defaultPromptsDir,
  isPromptName,
  missingPrompts,
  PROMPT_LANGS,
  PROMPTS,
  PromptError,
  promptFiles,
  resolvePrompt,
} from '../../src/media/prompts.js';

const REPO_PROMPTS = resolve(import.meta.dirname, '../../prompts');

describe('prompt recordings in the repository', () => {
  it('are found next to src/ (and dist/)', () => {
    expect(defaultPromptsDir()).toBe(REPO_PROMPTS);
  });

  it('include everything say.ts can produce, in both languages', () => {
    expect(missingPrompts()).toEqual([]);
  });

  it('exist for every catalogue name and nothing else, with index.json matching the texts', () => {
    for (const lang of PROMPT_LANGS) {
      const wavs = readdirSync(join(REPO_PROMPTS, lang))
        .filter((f) => f.endsWith('.wav'))
        .map((f) => f.slice(0, -4))
        .sort();
      expect(wavs).toEqual(Object.keys(PROMPTS).sort());
      const index = JSON.parse(readFileSync(join(REPO_PROMPTS, lang, 'index.json'), 'utf8')) as Record<
        string,
        string
      >;
      expect(index).toEqual(Object.fromEntries(Object.entries(PROMPTS).map(([n, t]) => [n, t[lang]])));
    }
  });

  it('are 8 kHz mono 16-bit PCM, not silent, of a plausible length', () => {
    const names = Object.keys(PROMPTS); // a superset of what say.ts says (checked in say.test.ts)
    let bytes = 0;
    for (const lang of PROMPT_LANGS) {
      for (const name of names) {
        const file = join(REPO_PROMPTS, lang, `${name}.wav`);
        const buf = readFileSync(file);
        bytes += buf.length;
        const wav = new WaveFile(buf);
        const fmt = wav.fmt as {
          audioFormat: number;
          numChannels: number;
          sampleRate: number;
          bitsPerSample: number;
        };
        expect({
          file,
          format: fmt.audioFormat,
          channels: fmt.numChannels,
          rate: fmt.sampleRate,
          bits: fmt.bitsPerSample,
        }).toEqual({ file, format: 1, channels: 1, rate: 8000, bits: 16 });
        const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
        const seconds = samples.length / 8000;
        expect(seconds, file).toBeGreaterThan(0.1); // the shortest is Russian "в" (`at`)
        expect(seconds, file).toBeLessThan(8);
        let peak = 0;
        let energy = 0;
        for (const s of samples) {
          peak = Math.max(peak, Math.abs(s));
          energy += s * s;
        }
        expect(peak, file).toBeGreaterThan(5000);
        expect(Math.sqrt(energy / samples.length), file).toBeGreaterThan(500);
        expect(peak, file).toBeLessThan(32767); // no clipping
      }
    }
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('resolvePrompt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-prompts-'));
  mkdirSync(join(dir, 'en'));
  mkdirSync(join(dir, 'ru'));
  writeFileSync(join(dir, 'en', 'goodbye.wav'), '');
  writeFileSync(join(dir, 'ru', 'goodbye.wav'), '');
  writeFileSync(join(dir, 'en', 'welcome.wav'), '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a prompt in the asked language', () => {
    expect(resolvePrompt('goodbye', 'ru', { dir })).toEqual({
      name: 'goodbye',
      lang: 'ru',
      path: join(dir, 'ru', 'goodbye.wav'),
    });
    expect(resolvePrompt('goodbye', 'ru-RU', { dir }).lang).toBe('ru');
  });

  it('falls back to another language', () => {
    expect(resolvePrompt('welcome', 'ru', { dir })).toMatchObject({
      lang: 'en',
      path: join(dir, 'en', 'welcome.wav'),
    });
    expect(resolvePrompt('goodbye', 'de', { dir }).lang).toBe('en');
    expect(() => resolvePrompt('welcome', 'ru', { dir, fallback: null })).toThrow(PromptError);
  });

  it('names the problem', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof PromptError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => resolvePrompt('no-such-prompt', 'en', { dir }))).toBe('PROMPT_UNKNOWN');
    expect(code(() => resolvePrompt('../../etc/passwd', 'en', { dir }))).toBe('PROMPT_UNKNOWN');
    expect(code(() => resolvePrompt('toString', 'en', { dir }))).toBe('PROMPT_UNKNOWN');
    expect(code(() => resolvePrompt('busy', 'en', { dir }))).toBe('PROMPT_MISSING');
    expect(isPromptName('constructor')).toBe(false);
  });

  it('sees files added after clearing its cache', () => {
    expect(() => resolvePrompt('busy', 'en', { dir })).toThrow(PromptError);
    writeFileSync(join(dir, 'en', 'busy.wav'), '');
    clearPromptCache();
    expect(resolvePrompt('busy', 'en', { dir }).lang).toBe('en');
  });

  it('maps a sentence to files', () => {
    expect(promptFiles(['goodbye', 'welcome'], 'ru', { dir })).toEqual([
      join(dir, 'ru', 'goodbye.wav'),
      join(dir, 'en', 'welcome.wav'),
    ]);
  });

  it('reports what is missing', () => {
    const missing = missingPrompts(dir);
    expect(missing).toContainEqual({ lang: 'ru', name: 'num-1-f' });
    expect(missing).toContainEqual({ lang: 'en', name: 'num-1-f' });
    expect(missing.some((m) => m.name === 'welcome')).toBe(false); // not something say.ts says
  });
});
