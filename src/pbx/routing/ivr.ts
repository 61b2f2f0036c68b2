/**
 * An IVR menu (auto attendant) as a routing step: the PBX answers, plays the
 * greeting (system prompts or text spoken by the TTS) and reads the caller's
 * keys — RFC 4733, SIP INFO or in-band, whichever the phone sends. One key picks
 * an option (a sub-menu is just another menu as its destination); several keys
 * dial an extension when direct dial allows it. No key or a wrong one replays the
 * menu after a short prompt, up to the menu's retries; then the fallback. A menu
 * may first consult a calendar (closed → elsewhere) and tags the call.
 */
import { existsSync } from 'node:fs';
import { promptFiles } from '../../media/prompts.js';
import { calendarState } from '../calendar/engine.js';
import type { CalendarSpec } from '../calendar/types.js';
import type { RoutingEntry, TenantEntry } from '../directory.js';
import { missing, type RoutedCall, type StepContext } from './context.js';
import { numberMatches } from './numbers.js';
import type { Destination, IvrAudio, IvrConfig } from './types.js';

export async function ivrStep(
  ctx: StepContext,
  call: RoutedCall,
  menu: RoutingEntry,
): Promise<Destination | null> {
  const { env, tenant } = ctx;
  const cfg = menu.config as IvrConfig;
  const name = `${menu.name}${menu.number ? ` (${menu.number})` : ''}`;
  const step = (outcome: string) => call.step({ kind: 'ivr', id: menu.id, name, outcome });
  if (cfg.tag) call.tag(cfg.tag);
  if (cfg.calendar) {
    const cal = tenant.routing.get(cfg.calendar.calendarId);
    if (cal?.kind !== 'calendar') return missing(call, 'calendar', cfg.calendar.calendarId);
    const state = calendarState(cal.config as CalendarSpec, env.now());
    if (!state.open) {
      step(`closed (${cal.name}): ${state.reason}`);
      return cfg.calendar.whenClosed;
    }
  }
  if (!call.answeredByPbx && !call.answerEarly()) {
    // Without anchored media the PBX cannot answer and listen for keys.
    step('menus need the media engine');
    call.finish(503, 'failed', 'Service Unavailable');
    return null;
  }
  /** The caller hung up in the menu (for reports: calls abandoned in the IVR). */
  const gone = () => {
    step('caller hung up');
    return null;
  };
  const say = async (audio: IvrAudio | null, fallback: string[], bargeIn: boolean) => {
    const files = await audioFiles(ctx, tenant, audio, fallback);
    if (call.state === 'ringing' && files.length) await call.playToCaller(files, { bargeIn });
  };

  for (let round = 0; round <= cfg.retries && call.state === 'ringing'; round++) {
    // The greeting: a key pressed during it is kept and read below (barge-in).
    await say(cfg.greeting, [], true);
    if (call.state !== 'ringing') return gone();
    const entered = await readChoice(call, cfg, tenant);
    if (call.state !== 'ringing') return gone();
    if (entered.kind === 'option') {
      step(`pressed ${entered.key}`);
      if (entered.tag) call.tag(entered.tag);
      call.silenceCaller();
      return entered.destination;
    }
    if (entered.kind === 'dial') {
      step(`dialled ${entered.number}`);
      call.silenceCaller();
      return { kind: 'number', number: entered.number };
    }
    const last = round === cfg.retries;
    if (entered.kind === 'timeout') {
      if (!last) await say(cfg.timeoutAudio, ['please-try-again'], true);
    } else await say(cfg.invalidAudio, ['invalid-choice'], true);
  }
  if (call.state !== 'ringing') return gone();
  if (cfg.fallback) {
    step('no choice, on to the fallback');
    call.silenceCaller();
    return cfg.fallback;
  }
  step('no choice');
  await say(null, ['goodbye'], false);
  call.finish(480, 'no-answer');
  return null;
}

type Choice =
  | { kind: 'option'; key: string; destination: Destination; tag: string | null }
  | { kind: 'dial'; number: string }
  | { kind: 'timeout' }
  | { kind: 'invalid'; keys: string };

/**
 * The caller's keys after the greeting. A key that is an option and cannot begin
 * an allowed extension number is taken at once; otherwise keys are gathered until
 * the inter-digit time passes or '#' ends them.
 */
async function readChoice(call: RoutedCall, cfg: IvrConfig, tenant: TenantEntry): Promise<Choice> {
  const first = await call.nextKey(cfg.timeoutSec * 1000);
  if (first === null) return { kind: 'timeout' };
  const option = (keys: string) => cfg.options.find((o) => o.key === keys);
  const dialable = (n: string) =>
    cfg.directDial.enabled &&
    tenant.extensions.has(n) &&
    (cfg.directDial.allow.length === 0 || numberMatches(cfg.directDial.allow, n, tenant.country));
  const couldGrow = (prefix: string) =>
    cfg.directDial.enabled &&
    [...tenant.extensions.keys()].some(
      (n) => n.length > prefix.length && n.startsWith(prefix) && dialable(n),
    );
  let keys = first;
  while (couldGrow(keys)) {
    const k = await call.nextKey(cfg.interDigitMs);
    if (k === null || k === '#') break;
    keys += k;
    if (keys.length > 16) break;
  }
  const o = option(keys);
  if (o) return { kind: 'option', key: keys, destination: o.destination, tag: o.tag };
  if (dialable(keys)) return { kind: 'dial', number: keys };
  return { kind: 'invalid', keys };
}

/** The files that say `audio` (TTS text made into a file on first use), or the fallback prompts. */
async function audioFiles(
  ctx: StepContext,
  tenant: TenantEntry,
  audio: IvrAudio | null,
  fallback: string[],
): Promise<string[]> {
  const lang = audio?.lang ?? (tenant.language === 'ru' ? 'ru' : 'en');
  const file = audio?.fileId ? ctx.env.audioFile(tenant.id, audio.fileId) : null;
  // The tenant's own recording; a missing file (deleted under a running call) falls back to the text or prompts.
  if (file && existsSync(file)) return [file];
  if (audio?.text) {
    try {
      return [await ctx.env.spoken(audio.text, lang)];
    } catch {
      // The TTS failed (it is checked at save, so this is rare): the prompts, if any, are said instead.
    }
  }
  const names = audio?.prompts.length ? audio.prompts : fallback;
  return names.length ? promptFiles(names, lang) : [];
}
