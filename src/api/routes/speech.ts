/**
 * Hearing text before it goes into a menu: the portal's "preview" of a TTS
 * greeting. The same engine speaks it on calls (src/pbx/spoken-text.ts), so what
 * the admin hears is what callers will hear.
 */
import Type from 'typebox';
import { encodeWav, synthesize, TtsError, validateText } from '../../media/tts.js';
import type { Api } from '../context.js';
import { ApiError } from '../errors.js';
import { TenantParams } from '../schemas.js';

const PreviewBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 2000, description: 'What to say' }),
    lang: Type.Union([Type.Literal('en'), Type.Literal('ru')]),
  },
  { additionalProperties: false },
);

export async function speechRoutes(app: Api): Promise<void> {
  app.post(
    '/api/v1/tenants/:tenantId/speech-preview',
    {
      config: { permission: 'routing.write' },
      schema: {
        tags: ['routing'],
        summary: 'Speak text with the PBX voice (8 kHz mono WAV), to hear a menu greeting before saving it',
        params: TenantParams,
        body: PreviewBody,
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'audio/wav' }),
        },
      },
    },
    async (req, reply) => {
      let text: string;
      try {
        text = validateText(req.body.text);
      } catch (e) {
        throw new ApiError(
          'VALIDATION_FAILED',
          e instanceof Error ? e.message : 'The text cannot be spoken',
          'text',
        );
      }
      try {
        const samples = await synthesize(text, req.body.lang, { noFinalPause: true });
        reply.type('audio/wav').header('cache-control', 'no-store');
        return encodeWav(samples);
      } catch (e) {
        if (e instanceof TtsError) throw new ApiError('SPEECH_FAILED', e.message);
        throw e;
      }
    },
  );
}
