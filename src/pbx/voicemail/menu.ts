/**
 * The voicemail menu by phone: *97 opens the caller's own mailbox, *98 asks for
 * a mailbox number (or takes the digits dialled after it). The PIN is checked
 * (three tries; a mailbox without a PIN opens only for its owner's own phone
 * with *97), the counts are said ("you have two new messages and one saved
 * message", in the tenant's language with Russian agreement), and then:
 *
 *   main: 1 new messages, 2 saved messages, 3 greetings, 4 change PIN, * exit
 *   message (after its date, time and caller): 5 replay, 7 delete, 9 save,
 *     4 previous, 6 next, 8 forward to another mailbox, * back
 *   greetings: 1 unavailable, 2 busy, 3 temporary, 4 name (recorded after the
 *     tone, # ends), 5 remove the temporary greeting
 */
import { rename, rm } from 'node:fs/promises';
import { promptFiles } from '../../media/prompts.js';
import { type SayLang, sayCount, sayDateTime, sayDigits, sayPress } from '../../media/say.js';
import type { ToneRegion } from '../../media/tones.js';
import type { GreetingKind, VoicemailBox, VoicemailMessage } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { hashPassword, verifyPassword } from '../../util/password-hash.js';
import type { AppSession } from '../app-call.js';
import type { ExtensionEntry, TenantEntry } from '../directory.js';
import type { VoicemailService } from './service.js';

const PIN_TRIES = 3;
const KEY_WAIT_MS = 6000;
const DIGIT_WAIT_MS = 4000;
const MAX_GREETING_MS = 120_000;

type Names = string[];

/** Digits up to # (or a pause); null when nothing was pressed. */
async function readDigits(call: AppSession, max = 10): Promise<string | null> {
  let out = '';
  for (;;) {
    const k = await call.nextDigit(out ? DIGIT_WAIT_MS : KEY_WAIT_MS);
    if (k === null || k === '#') return out || null;
    if (/[0-9]/.test(k)) out += k;
    if (out.length >= max) return out;
  }
}

export function voicemailMenu(
  vm: VoicemailService,
  store: Store,
  tenant: TenantEntry,
  caller: ExtensionEntry,
  tones: ToneRegion,
  mode: 'own' | 'any',
  dialled: string,
) {
  return async (call: AppSession): Promise<void> => {
    const lang: SayLang = call.language === 'ru' ? 'ru' : 'en';
    const repo = store.tenant(tenant.id).voicemail;
    /** Prompts that a key cuts short; the key is what the caller chose. */
    const ask = async (names: Names, wait = KEY_WAIT_MS): Promise<string | null> => {
      const r = await call.play(promptFiles(names, lang), { bargeIn: true });
      if (r.digit) return r.digit;
      return call.nextDigit(wait);
    };
    const say = (names: Names) => call.play(promptFiles(names, lang), { bargeIn: false });

    // Which mailbox.
    let box: VoicemailBox | undefined;
    if (mode === 'own') box = await vm.boxFor(tenant.id, caller.id);
    else {
      const number =
        dialled ||
        (await (async () => {
          await call.play(promptFiles(['enter-mailbox'], lang), { bargeIn: true });
          return readDigits(call);
        })());
      box = number ? await vm.boxByNumber(tenant, number) : undefined;
    }
    if (!box) {
      await say(['invalid-choice', 'goodbye']);
      return;
    }
    // Who may open it: the PIN; without one, only the owner's own phone through *97.
    if (box.pinHash === null) {
      if (!(mode === 'own' && box.extensionId === caller.id)) {
        await say(['not-allowed', 'goodbye']);
        return;
      }
    } else {
      let ok = false;
      for (let i = 0; i < PIN_TRIES && !ok && !call.ended; i++) {
        await call.play(promptFiles(['enter-pin'], lang), { bargeIn: true });
        const pin = await readDigits(call);
        ok = pin !== null && (await verifyPassword(box.pinHash, pin));
        if (!ok) await say(['password-incorrect']);
      }
      if (!ok) {
        await say(['goodbye']);
        return;
      }
    }
    const boxId = box.id;
    const current = async () => (await repo.getBox(boxId)) ?? box!;

    const playMessages = async (folder: 'inbox' | 'saved'): Promise<void> => {
      const list: VoicemailMessage[] = await repo.folder(boxId, folder);
      if (folder === 'inbox') list.sort((a, b) => Number(a.heard) - Number(b.heard)); // new ones first
      let i = 0;
      let replay = true;
      while (!call.ended) {
        const m = list[i];
        if (!m) {
          await say(['vm-end-of-messages']);
          return;
        }
        if (replay) {
          const envelope: Names = [
            'vm-received',
            ...sayDateTime(m.receivedAt, lang, { timeZone: tenant.timeZone }),
            ...(m.caller && /^\+?[0-9*#]+$/.test(m.caller)
              ? (['vm-from-number', ...sayDigits(m.caller, lang)] as Names)
              : []),
          ];
          await call.play([...promptFiles(envelope, lang), vm.files.messagePath(tenant.id, boxId, m.id)], {
            bargeIn: true,
          });
          if (!m.heard) {
            await repo.updateMessage(m.id, { heard: true });
            m.heard = true;
            await vm.changedById(tenant.id, boxId);
          }
        }
        replay = true;
        const key = await ask([
          ...sayPress('vm-to-replay', '5', lang),
          ...sayPress('vm-to-delete', '7', lang),
          ...(folder === 'inbox' ? sayPress('vm-to-save', '9', lang) : []),
          ...sayPress('vm-to-next', '6', lang),
          ...sayPress('vm-to-previous', '4', lang),
          ...sayPress('vm-to-forward', '8', lang),
        ]);
        switch (key) {
          case '5':
            break;
          case '7':
            await vm.remove(tenant.id, m);
            list.splice(i, 1);
            await say(['vm-message-deleted']);
            break;
          case '9':
            if (folder === 'inbox') {
              await repo.updateMessage(m.id, { folder: 'saved', heard: true });
              list.splice(i, 1);
              await vm.changedById(tenant.id, boxId);
              await say(['vm-message-saved']);
            }
            break;
          case '6':
            i++;
            break;
          case '4':
            i = Math.max(0, i - 1);
            break;
          case '8': {
            await call.play(promptFiles(['enter-mailbox'], lang), { bargeIn: true });
            const digits = await readDigits(call);
            const to = digits ? await vm.boxByNumber(tenant, digits) : undefined;
            if (!to || to.id === boxId) await say(['invalid-choice']);
            else {
              await vm.copy(tenant.id, m, to);
              await say(['vm-message-forwarded']);
            }
            replay = false;
            break;
          }
          case '*':
            return;
          default:
            if (key === null) return;
            await say(['invalid-choice']);
            replay = false;
        }
      }
    };

    const recordGreeting = async (kind: GreetingKind): Promise<void> => {
      const path = vm.files.greetingPath(tenant.id, boxId, kind);
      // Recorded beside the greeting in use, which is replaced only when the new one is complete.
      const fresh = `${path.slice(0, -4)}-new.wav`;
      await say(['vm-record-greeting-after-tone']);
      await call.tone({ region: tones, name: 'beep' }, { bargeIn: false });
      const { mkdir } = await import('node:fs/promises');
      await mkdir(vm.files.greetingDir(tenant.id, boxId), { recursive: true });
      const recording = call.record(fresh, { maxDurationMs: MAX_GREETING_MS, silence: { afterMs: 8000 } });
      let done = false;
      void (async () => {
        while (!done && !call.ended) if ((await call.nextDigit(500)) === '#' && !done) call.stopRecording();
      })();
      const r = await recording;
      done = true;
      if (!r.summary || r.summary.voicedMs === 0) {
        await rm(fresh, { force: true });
        if (!call.ended) await say(['invalid-choice']);
        return;
      }
      await rename(fresh, path);
      await repo.setGreeting(boxId, kind, true);
      if (!call.ended) await say(['vm-greeting-saved']);
    };

    const greetings = async (): Promise<void> => {
      const key = await ask([
        ...sayPress('vm-to-record-unavailable', '1', lang),
        ...sayPress('vm-to-record-busy', '2', lang),
        ...sayPress('vm-to-record-temporary', '3', lang),
        ...sayPress('vm-to-record-name', '4', lang),
        ...((await current()).greetings.temporary ? sayPress('vm-to-remove-temporary', '5', lang) : []),
      ]);
      const kinds: Record<string, GreetingKind> = {
        '1': 'unavailable',
        '2': 'busy',
        '3': 'temporary',
        '4': 'name',
      };
      const kind = key ? kinds[key] : undefined;
      if (kind) return recordGreeting(kind);
      if (key === '5') {
        await rm(vm.files.greetingPath(tenant.id, boxId, 'temporary'), { force: true });
        await repo.setGreeting(boxId, 'temporary', false);
        await say(['vm-greeting-removed']);
        return;
      }
      if (key !== null && key !== '*') await say(['invalid-choice']);
    };

    const changePin = async (): Promise<void> => {
      await call.play(promptFiles(['vm-enter-new-pin'], lang), { bargeIn: true });
      const pin = await readDigits(call);
      if (!pin || pin.length < 4) {
        await say(['invalid-choice']);
        return;
      }
      await repo.setPinHash(boxId, await hashPassword(pin));
      await say(['vm-pin-changed']);
    };

    let announce = true;
    while (!call.ended) {
      const names: Names = [];
      if (announce) {
        const c = await repo.counts(boxId);
        const saved = (await repo.folder(boxId, 'saved')).length;
        names.push('vm-you-have', ...sayCount(c.fresh, 'new-message', lang));
        names.push('and', ...sayCount(saved, 'saved-message', lang));
      }
      announce = false;
      const key = await ask([
        ...names,
        ...sayPress('vm-to-listen-new', '1', lang),
        ...sayPress('vm-to-listen-saved', '2', lang),
        ...sayPress('vm-to-record-greeting', '3', lang),
        ...sayPress('vm-to-change-pin', '4', lang),
        ...sayPress('to-exit', '*', lang),
      ]);
      if (key === null || key === '*') break;
      if (key === '1' || key === '2') {
        await playMessages(key === '1' ? 'inbox' : 'saved');
        announce = true;
      } else if (key === '3') await greetings();
      else if (key === '4') await changePin();
      else await say(['invalid-choice']);
    }
    if (!call.ended) await say(['goodbye']);
  };
}
