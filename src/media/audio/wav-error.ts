/**
 * The one error a WAV file can cause. It usually reaches a person who uploaded a
 * greeting or a music-on-hold file, so `code` is stable (the API maps it to a
 * problem+json code and a localised sentence) and `detail` carries the numbers the
 * sentence needs (`formatTag`, `channels`, ...); `message` is the English fallback.
 */
export type WavErrorCode =
  | 'not-riff' // not a RIFF container at all (or too short to be one)
  | 'not-wave' // RIFF, but not of form WAVE (AVI, WebP, ...)
  | 'no-fmt' // no format chunk before the audio ran out
  | 'bad-fmt' // format chunk cut off, too short or self-contradictory
  | 'no-data' // no audio chunk
  | 'zero-channels'
  | 'unsupported-channels' // more than two
  | 'bad-sample-rate'
  | 'unsupported-encoding' // MP3-in-WAV, ADPCM, GSM, ...
  | 'unsupported-bit-depth'
  | 'too-large'; // a writer past the 4 GiB the 32-bit RIFF sizes can describe

export class WavError extends Error {
  override readonly name = 'WavError';

  constructor(
    readonly code: WavErrorCode,
    message: string,
    readonly detail: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}
