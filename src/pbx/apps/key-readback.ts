/**
 * Key read-back test (feature code *44): after a beep the caller presses keys and
 * ends with # (or pauses); the PBX reads them back and waits for the next ones.
 * Shows that a phone's DTMF (RFC 4733 or SIP INFO) reaches the PBX correctly —
 * the first thing to check when IVR menus "do not react".
 */
import { promptFiles } from '../../media/prompts.js';
import { sayDigits } from '../../media/say.js';
import type { AppSession } from '../app-call.js';

const INTER_DIGIT_MS = 4000;
const MAX_DIGITS = 20;
const MAX_ROUNDS = 30;

export async function keyReadback(call: AppSession): Promise<void> {
  const lang = call.language === 'ru' ? 'ru' : 'en';
  for (let round = 0; round < MAX_ROUNDS && !call.ended; round++) {
    await call.tone({ region: lang === 'ru' ? 'ru' : 'eu', name: 'beep' });
    let digits = '';
    // The first key may take a while; later ones end with # or a pause.
    for (let wait = 15_000; digits.length < MAX_DIGITS; wait = INTER_DIGIT_MS) {
      const d = await call.nextDigit(wait);
      if (d === null || d === '#') break;
      digits += d;
    }
    if (call.ended) return;
    call.log.info({ caller: call.caller.number, digits }, 'key read-back heard');
    if (!digits) {
      await call.play(promptFiles(['goodbye'], lang));
      return;
    }
    await call.play(promptFiles(sayDigits(digits, lang), lang), { bargeIn: false });
  }
}
