/**
 * Text the PBX speaks (an IVR greeting typed in the portal), made into a WAV file
 * by the TTS once and kept: files are named by a hash of language and text, so a
 * changed text is a new file and an unchanged one is never made twice. Files are
 * written to a temporary name and renamed, so a caller never plays half a file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { synthesize, type TtsLang, writeWav } from '../media/tts.js';

export class SpokenText {
  private readonly making = new Map<string, Promise<string>>();

  constructor(private readonly dir: string) {}

  /** The WAV file saying `text` in `lang` (made now if it does not exist yet). */
  file(text: string, lang: TtsLang): Promise<string> {
    const key = createHash('sha256').update(`${lang}\n${text}`).digest('hex').slice(0, 40);
    const path = join(this.dir, `${key}.wav`);
    if (existsSync(path)) return Promise.resolve(path);
    let pending = this.making.get(key);
    if (!pending) {
      pending = this.make(text, lang, path).finally(() => this.making.delete(key));
      this.making.set(key, pending);
    }
    return pending;
  }

  private async make(text: string, lang: TtsLang, path: string): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const samples = await synthesize(text, lang, { noFinalPause: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    try {
      await writeWav(tmp, samples);
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    return path;
  }
}
