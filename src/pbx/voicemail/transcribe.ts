/**
 * Voicemail transcription, pluggable (issue 8): an engine takes a message's WAV
 * and its language and returns the text (or null when it heard nothing). The
 * HTTP engine sends the WAV to any speech-to-text service by URL and reads the
 * text back (JSON `{ "text": … }` or plain text). No offline engine ships: no
 * usable speech model is available as a registry package on this machine (see
 * the session notes of issue 8); the interface is where one would plug in.
 */
import { readFile } from 'node:fs/promises';

export interface Transcriber {
  /** The words in the WAV at `path`, spoken in `lang`; null when nothing was understood. */
  transcribe(path: string, lang: 'en' | 'ru'): Promise<string | null>;
}

export class TranscriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranscriptionError';
  }
}

export interface HttpTranscriberOptions {
  url: string;
  /** Sent as `Authorization: Bearer …` when set. */
  token?: string | null;
  timeoutMs?: number;
}

/**
 * POSTs the WAV (`Content-Type: audio/wav`, `?lang=en|ru` added to the URL) and
 * takes the answer's `text` (JSON) or its body (text/plain). A non-2xx answer,
 * a timeout or an answer without text is an error: the message stays without
 * a transcript, and its email goes out anyway.
 */
export class HttpTranscriber implements Transcriber {
  constructor(private readonly opts: HttpTranscriberOptions) {}

  async transcribe(path: string, lang: 'en' | 'ru'): Promise<string | null> {
    const url = new URL(this.opts.url);
    url.searchParams.set('lang', lang);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'audio/wav',
        ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      },
      body: await readFile(path),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000),
    });
    if (!res.ok) throw new TranscriptionError(`the transcription service answered ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    let text: unknown;
    if (type.includes('json')) {
      const body = (await res.json()) as { text?: unknown };
      text = body.text;
    } else text = await res.text();
    if (typeof text !== 'string') throw new TranscriptionError('the transcription service sent no text');
    const clean = text.trim();
    return clean ? clean.slice(0, 10_000) : null;
  }
}
