/**
 * The HTTP transcription engine against a real HTTP server: JSON and plain-text
 * answers, nothing understood, and the failures that must not hold a message
 * back (an error status, no text, a service that does not answer in time).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTranscriber, TranscriptionError } from '../../src/pbx/voicemail/transcribe.js';

describe('HTTP transcription engine', () => {
  let server: Server;
  let url = '';
  let answer: (res: import('node:http').ServerResponse) => void = () => {};
  const wav = join(mkdtempSync(join(tmpdir(), 'nimbus-stt-')), 'm.wav');
  beforeAll(async () => {
    writeFileSync(wav, Buffer.from('RIFF....WAVEfmt '));
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/stt`;
  });
  afterAll(() => server.close());

  it('reads JSON and plain-text answers; whitespace only means nothing was understood', async () => {
    const t = new HttpTranscriber({ url });
    answer = (res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ text: '  Перезвоните, пожалуйста.  ' }));
    };
    expect(await t.transcribe(wav, 'ru')).toBe('Перезвоните, пожалуйста.');
    answer = (res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('call me back');
    };
    expect(await t.transcribe(wav, 'en')).toBe('call me back');
    answer = (res) => res.end('   ');
    expect(await t.transcribe(wav, 'en')).toBeNull();
  });

  it('fails clearly on an error status, an answer without text, or no answer in time', async () => {
    answer = (res) => {
      res.statusCode = 503;
      res.end('busy');
    };
    await expect(new HttpTranscriber({ url }).transcribe(wav, 'en')).rejects.toThrow(TranscriptionError);
    answer = (res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ result: 'no text field' }));
    };
    await expect(new HttpTranscriber({ url }).transcribe(wav, 'en')).rejects.toThrow('no text');
    answer = () => {}; // never answers
    await expect(new HttpTranscriber({ url, timeoutMs: 200 }).transcribe(wav, 'en')).rejects.toThrow();
  });
});
