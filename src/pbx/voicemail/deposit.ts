/**
 * Leaving a voicemail, as a routing step: the PBX answers (unless a menu did),
 * the caller hears the mailbox's greeting — the temporary one while it is set,
 * else the busy or unavailable one, else "the person at extension N is not
 * available" (with the recorded name when there is one) — then the tone, and is
 * recorded until they hang up, press #, fall silent, or reach the mailbox's
 * maximum length. A full mailbox says so and hangs up. The message exists once
 * its file is on disk and its row committed (service.ts).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promptFiles } from '../../media/prompts.js';
import { type SayLang, sayDigits } from '../../media/say.js';
import type { GreetingKind, VoicemailBox } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { TenantEntry } from '../directory.js';
import { missing, type RoutedCall, type StepContext } from '../routing/context.js';
import type { Destination } from '../routing/types.js';
import type { VoicemailService } from './service.js';

/** Quiet this long ends a message (the caller finished but did not hang up). */
export const SILENCE_ENDS_MESSAGE_MS = 8000;

/** What the caller hears before the tone. */
export function greetingFiles(
  vm: VoicemailService,
  tenant: TenantEntry,
  box: VoicemailBox,
  why: 'busy' | 'unavailable',
  lang: SayLang,
): string[] {
  const recorded = (kind: GreetingKind): string | null => {
    const path = vm.files.greetingPath(tenant.id, box.id, kind);
    return box.greetings[kind] && existsSync(path) ? path : null;
  };
  const temporary = recorded('temporary');
  if (temporary) return [temporary];
  if (box.greeting === 'recorded') {
    const own = recorded(why);
    if (own) return [own];
  }
  const status = why === 'busy' ? 'vm-is-busy' : 'vm-is-unavailable';
  const name = recorded('name');
  const number = vm.numberOf(tenant, box);
  const who = box.extensionId
    ? name
      ? [name, ...promptFiles([status], lang)]
      : promptFiles(['vm-person-at-extension', ...sayDigits(number, lang), status], lang)
    : [];
  return [...who, ...promptFiles(['leave-message-after-tone'], lang)];
}

export async function depositStep(
  vm: VoicemailService,
  store: Store,
  ctx: StepContext,
  call: RoutedCall,
  d: { id: string; greeting?: 'busy' | 'unavailable' },
): Promise<Destination | null> {
  const { tenant } = ctx;
  const box = await vm.boxFor(tenant.id, d.id);
  if (!box) return missing(call, 'voicemail', d.id);
  const label = box.name || vm.numberOf(tenant, box);
  const step = (outcome: string) =>
    call.step({ kind: 'voicemail', id: box.id, name: `mailbox ${label}`, outcome });
  const gone = () => call.state === 'ended';
  if (!call.answeredByPbx && !call.answerEarly()) {
    step('voicemail needs the media engine');
    call.finish(503, 'failed', 'Service Unavailable');
    return null;
  }
  const lang: SayLang = tenant.language === 'ru' ? 'ru' : 'en';
  const say = (names: string[]) => call.playToCaller(promptFiles(names, lang), { bargeIn: false });

  const counts = await store.tenant(tenant.id).voicemail.counts(box.id);
  if (counts.total >= box.quota) {
    await say(['mailbox-full', 'goodbye']);
    step('mailbox full');
    call.finish(200, 'normal');
    return null;
  }
  await call.playToCaller(greetingFiles(vm, tenant, box, d.greeting ?? 'unavailable', lang), {
    bargeIn: true,
  });
  if (gone()) {
    step('caller hung up during the greeting');
    return null;
  }
  await call.beepToCaller();
  if (gone()) {
    step('caller hung up before the tone');
    return null;
  }

  const id = randomUUID();
  const meta = {
    caller: call.caller.number,
    callerName: call.caller.displayName,
    receivedAt: new Date().toISOString(),
  };
  const path = await vm.files.prepare(tenant.id, box.id, id, meta);
  const recording = call.recordCaller(path, {
    maxDurationMs: box.maxMessageSec * 1000,
    silence: { afterMs: SILENCE_ENDS_MESSAGE_MS },
  });
  // # ends the message (keys sent as SIP INFO, or RFC 4733 events the relay reports).
  let recorded = false;
  void (async () => {
    while (!recorded && !gone()) {
      const key = await call.nextKey(500);
      if (key === '#' && !recorded) call.stopRecordingCaller();
    }
  })();
  const r = await recording;
  recorded = true;
  if (!r.summary) {
    await vm.files.remove(tenant.id, box.id, id);
    step(`recording failed: ${r.error ?? 'unknown'}`);
    if (!gone()) call.finish(500, 'failed', 'Server Internal Error');
    return null;
  }
  const message = await vm.finished(tenant.id, box, id, meta, r.summary);
  step(message ? `message left, ${Math.round(message.durationMs / 1000)} s` : 'nothing was said');
  if (!gone()) {
    if (message) await say(['vm-message-saved', 'goodbye']);
    call.finish(200, 'normal');
  }
  return null;
}
