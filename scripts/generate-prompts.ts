/**
 * Records the system prompts (src/media/prompts.ts: PROMPTS) with eSpeak NG into
 * prompts/<lang>/<name>.wav, 8 kHz mono 16-bit PCM, and writes
 * prompts/<lang>/index.json (name -> text). Leading and trailing silence is cut
 * (prompts are joined one after another by say.ts), leaving 40 ms of the quiet
 * edges and 20 ms of true silence either side.
 *
 *   npx tsx scripts/generate-prompts.ts            # record what changed (new names, new texts)
 *   npx tsx scripts/generate-prompts.ts --force    # record everything again
 *   npx tsx scripts/generate-prompts.ts --lang ru --only goodbye,welcome --force
 *
 * eSpeak runs with -D (deterministic), so recording again gives the same files.
 * Only the written text is compared to decide what changed: after changing a
 * `speak` form or the voice settings below, use --force.
 * Files for names no longer in the catalogue are removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultPromptsDir,
  PROMPT_LANGS,
  PROMPTS,
  type PromptLang,
  type PromptName,
  promptSpeech,
} from '../src/media/prompts.js';
import {
  encodeWav,
  type SynthesizeOptions,
  TTS_SAMPLE_RATE,
  TtsEngine,
  trimSilence,
} from '../src/media/tts.js';

/** Speaking settings of every prompt: a little slower than eSpeak's 175 wpm, for the telephone. */
const VOICE: SynthesizeOptions = { speed: 150, noFinalPause: true };
const PAD_MS = 40;
const GAP_MS = 20;
const FADE_MS = 5;

const { values } = parseArgs({
  options: {
    force: { type: 'boolean', default: false },
    lang: { type: 'string', multiple: true },
    only: { type: 'string' },
    dir: { type: 'string' },
    workers: { type: 'string', default: '2' },
  },
});

const dir = values.dir ?? defaultPromptsDir();
const langs = (values.lang ?? PROMPT_LANGS) as PromptLang[];
for (const l of langs) if (!PROMPT_LANGS.includes(l)) throw new Error(`unknown language ${l}`);
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const names = Object.keys(PROMPTS) as PromptName[];
if (only) for (const n of only) if (!names.includes(n as PromptName)) throw new Error(`unknown prompt ${n}`);

/** Short linear fades so that a cut never starts or ends on a step. */
function fade(samples: Int16Array): Int16Array {
  const n = Math.min(Math.round((FADE_MS * TTS_SAMPLE_RATE) / 1000), Math.floor(samples.length / 2));
  for (let i = 0; i < n; i++) {
    const g = i / n;
    samples[i] = Math.round(samples[i]! * g);
    samples[samples.length - 1 - i] = Math.round(samples[samples.length - 1 - i]! * g);
  }
  return samples;
}

function readIndex(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

const engine = new TtsEngine({ workers: Math.max(1, Number(values.workers)), timeoutMs: 120_000 });
const started = performance.now();
let recorded = 0;
let failed = 0;

try {
  for (const lang of langs) {
    const langDir = join(dir, lang);
    mkdirSync(langDir, { recursive: true });
    const before = readIndex(join(langDir, 'index.json'));
    const todo = names.filter((name) => {
      if (only && !only.has(name)) return false;
      if (values.force) return true;
      return before[name] !== PROMPTS[name][lang] || !existsSync(join(langDir, `${name}.wav`));
    });
    await Promise.all(
      todo.map(async (name) => {
        try {
          const raw = await engine.synthesize(promptSpeech(name, lang), lang, VOICE);
          const speech = fade(trimSilence(raw, { padMs: PAD_MS }));
          if (speech.length === 0) throw new Error('silent');
          // A little true silence either side, so joined prompts never run into each other.
          const gap = Math.round((GAP_MS * TTS_SAMPLE_RATE) / 1000);
          const samples = new Int16Array(speech.length + 2 * gap);
          samples.set(speech, gap);
          writeFileSync(join(langDir, `${name}.wav`), encodeWav(samples));
          recorded++;
        } catch (e) {
          failed++;
          console.error(`${lang}/${name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
    for (const f of readdirSync(langDir)) {
      if (f.endsWith('.wav') && !Object.hasOwn(PROMPTS, f.slice(0, -4))) {
        rmSync(join(langDir, f));
        console.log(`removed ${lang}/${f}`);
      }
    }
    const index: Record<string, string> = {};
    for (const name of names) index[name] = PROMPTS[name][lang];
    writeFileSync(join(langDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    let bytes = 0;
    let seconds = 0;
    for (const name of names) {
      const file = join(langDir, `${name}.wav`);
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      bytes += size;
      seconds += (size - 44) / 2 / TTS_SAMPLE_RATE;
    }
    console.log(
      `${lang}: ${todo.length} recorded of ${names.length}; ${(bytes / 1024).toFixed(0)} KiB, ${seconds.toFixed(1)} s of speech`,
    );
  }
} finally {
  await engine.close();
}
console.log(`${recorded} prompts recorded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (failed > 0) {
  console.error(`${failed} prompts failed`);
  process.exitCode = 1;
}
