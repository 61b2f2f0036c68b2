/**
 * Audio the API takes in and hands out: an upload is the file itself as the
 * request body (WAV, MP3 or Ogg Vorbis), converted to the 8 kHz mono WAV calls
 * play, with a clear problem for what is not audio or is damaged; a stored WAV is
 * sent with HTTP Range support, so players can seek.
 */

import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AudioUploadError, convertGreeting } from '../pbx/voicemail/convert.js';
import { ApiError, notFound } from './errors.js';

/** Content types an upload may be sent as (the body is the file). */
export const AUDIO_TYPES = [
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/vnd.wave',
  'audio/mpeg',
  'audio/mp3',
  'audio/ogg',
  'application/octet-stream',
];
export const MAX_UPLOAD = 20 * 1024 * 1024;

/** The uploaded body as 8 kHz mono WAV, or a problem naming what is wrong with it. */
export async function convertUpload(body: unknown): Promise<{ wav: Buffer; durationMs: number }> {
  if (!Buffer.isBuffer(body))
    throw new ApiError(
      'AUDIO_UNSUPPORTED',
      'Send the audio file itself as the body (Content-Type audio/wav, audio/mpeg or audio/ogg)',
    );
  try {
    const converted = await convertGreeting(body);
    // Whole milliseconds: a length at 44.1 kHz is rarely one (and the column is an integer).
    return { wav: converted.wav, durationMs: Math.round(converted.durationMs) };
  } catch (e) {
    if (!(e instanceof AudioUploadError)) throw e;
    throw new ApiError(e.reason === 'unsupported' ? 'AUDIO_UNSUPPORTED' : 'AUDIO_INVALID', e.message);
  }
}

/** Writes `wav` at `path` through a temporary name, so a reader never sees half a file. */
export async function storeWav(path: string, wav: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.upload`, wav);
  await rename(`${path}.upload`, path);
}

/**
 * The byte range a request asks for of a file of `size` bytes (one range; suffix
 * ranges too), or null for the whole file; an unsatisfiable one is refused 416.
 */
export function requestedRange(
  req: FastifyRequest,
  reply: FastifyReply,
  size: number,
): { start: number; end: number } | null {
  const range = req.headers.range;
  if (!range) return null;
  const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = r?.[1] ? Number(r[1]) : Number.NaN;
  let end = r?.[2] ? Number(r[2]) : size - 1;
  if (r && !r[1] && r[2]) {
    // A suffix: the last N bytes.
    start = Math.max(0, size - Number(r[2]));
    end = size - 1;
  }
  end = Math.min(end, size - 1);
  if (!r || Number.isNaN(start) || start > end || start >= size) {
    reply.header('content-range', `bytes */${size}`);
    throw new ApiError('RANGE_NOT_SATISFIABLE', `The audio is ${size} bytes long`);
  }
  return { start, end };
}

/**
 * Sends WAV audio of `size` bytes that `open` reads (all of it, or a range),
 * honouring `Range` so players can seek.
 */
export async function sendAudio(
  req: FastifyRequest,
  reply: FastifyReply,
  size: number,
  open: (range?: { start: number; end: number }) => Promise<Readable>,
  download: string | null = null,
): Promise<FastifyReply> {
  reply.header('accept-ranges', 'bytes').type('audio/wav');
  if (download) reply.header('content-disposition', `attachment; filename="${download}"`);
  const range = requestedRange(req, reply, size);
  if (range) {
    reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1);
    return reply.send(await open(range));
  }
  reply.header('content-length', size);
  return reply.send(await open());
}

/** Sends a stored WAV, honouring `Range` (one range; suffix ranges too). */
export async function sendWav(
  req: FastifyRequest,
  reply: FastifyReply,
  path: string,
  what: string,
  download: string | null = null,
): Promise<FastifyReply> {
  const size = (await stat(path).catch(() => null))?.size;
  if (size === undefined) throw notFound(what);
  return sendAudio(req, reply, size, async (r) => createReadStream(path, r ?? {}), download);
}
