/**
 * Dial by name (the company directory): the caller keys the first letters of a
 * person's first name or surname on the keypad — Latin letters as every keypad
 * prints them, Cyrillic as Russian phones print them — hears the people whose
 * names match read out by the TTS ("press 1 for …, 2 for …") and is put through
 * to the one chosen. The entries are the tenant's extensions with a name, and
 * phonebook contacts whose number is one of the tenant's internal numbers.
 * It is a destination kind (`directory`): an IVR option or a feature code sends
 * callers here; the choice goes on as a dialled internal number.
 */
import type { TenantEntry } from '../directory.js';
import type { RoutedCall, StepContext } from '../routing/context.js';
import type { Destination } from '../routing/types.js';

/** Keys a search takes; more are asked for when too many names match. */
const LETTERS = 3;
const MAX_LETTERS = 6;
/** Names read out at once (keys 1–9). */
const MAX_CHOICES = 9;
const ROUNDS = 3;
const FIRST_KEY_MS = 10_000;
const NEXT_KEY_MS = 5_000;

const KEYPAD: Record<string, string> = {
  '2': 'abcабвг',
  '3': 'defдеёжз',
  '4': 'ghiийкл',
  '5': 'jklмноп',
  '6': 'mnoрсту',
  '7': 'pqrsфхцч',
  '8': 'tuvшщъы',
  '9': 'wxyzьэюя',
};
const LETTER_KEY = new Map<string, string>();
for (const [key, letters] of Object.entries(KEYPAD)) for (const l of letters) LETTER_KEY.set(l, key);

/** A word as keys on the keypad: "Иванов" → 442662; characters not on it are skipped. */
export function keypadDigits(word: string): string {
  let out = '';
  for (const ch of word.toLowerCase()) out += LETTER_KEY.get(ch) ?? '';
  return out;
}

export interface DirectoryEntry {
  name: string;
  /** The internal number the caller is put through to. */
  number: string;
}

/** The entries whose first name or surname (any word of the name) begins with `keys`, by name. */
export function matchingEntries(entries: readonly DirectoryEntry[], keys: string): DirectoryEntry[] {
  return entries
    .filter((e) => e.name.split(/[\s,.-]+/).some((w) => w && keypadDigits(w).startsWith(keys)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Extensions with a name, and phonebook contacts reachable on an internal number (once per number). */
export function directoryEntries(
  tenant: TenantEntry,
  contacts: readonly { name: string; numbers: readonly { number: string }[] }[],
): DirectoryEntry[] {
  const out = new Map<string, DirectoryEntry>();
  for (const ext of tenant.extensions.values())
    if (ext.displayName.trim()) out.set(ext.number, { name: ext.displayName.trim(), number: ext.number });
  for (const c of contacts)
    for (const n of c.numbers) {
      const number = n.number.replace(/[\s()-]/g, '');
      if (
        c.name.trim() &&
        !out.has(number) &&
        (tenant.extensions.has(number) || tenant.routingByNumber.has(number))
      )
        out.set(number, { name: c.name.trim(), number });
    }
  return [...out.values()];
}

const TEXT = {
  en: {
    enter: 'Please enter the first three letters of the name of the person you are calling.',
    more: 'Many names match. Please enter one more letter.',
    none: 'No name matches these letters.',
    choose: (names: string[]) =>
      `${names.map((n, i) => `For ${n}, press ${i + 1}.`).join(' ')} To search again, press star.`,
    connecting: (name: string) => `Connecting you to ${name}.`,
    goodbye: 'Goodbye.',
  },
  ru: {
    enter: 'Наберите первые три буквы имени или фамилии сотрудника.',
    more: 'Подходит много имён. Наберите ещё одну букву.',
    none: 'Нет имён на эти буквы.',
    choose: (names: string[]) =>
      `${names.map((n, i) => `${n} — нажмите ${i + 1}.`).join(' ')} Чтобы искать снова, нажмите звёздочку.`,
    connecting: (name: string) => `Соединяю с абонентом ${name}.`,
    goodbye: 'До свидания.',
  },
} as const;

/** The directory as a routing step: where the caller goes (an internal number), or null. */
export async function dialByNameStep(ctx: StepContext, call: RoutedCall): Promise<Destination | null> {
  const { env, tenant } = ctx;
  const lang = tenant.language === 'ru' ? 'ru' : 'en';
  const text = TEXT[lang];
  const step = (outcome: string) => call.step({ kind: 'directory', id: null, name: 'dial by name', outcome });
  if (!call.answeredByPbx && !call.answerEarly()) {
    step('the directory needs the media engine');
    call.finish(503, 'failed', 'Service Unavailable');
    return null;
  }
  const entries = directoryEntries(tenant, env.contacts?.(tenant.id) ?? []);
  /** Says `sentence` by the TTS; true when the caller is still there. */
  const say = async (sentence: string, bargeIn = true): Promise<boolean> => {
    if (call.state !== 'ringing') return false;
    try {
      await call.playToCaller([await env.spoken(sentence, lang)], { bargeIn });
    } catch {
      // The TTS failed: the caller goes on without the sentence rather than losing the call.
    }
    return call.state === 'ringing';
  };
  /** Keys up to `count` (or until #, or a pause); a key pressed during the prompt counts. */
  const keys = async (count: number, firstMs: number): Promise<string> => {
    let out = '';
    while (out.length < count) {
      const k = await call.nextKey(out ? NEXT_KEY_MS : firstMs);
      if (k === null || k === '#') break;
      if (k === '*') return '*';
      out += k;
    }
    return out;
  };

  for (let round = 0; round < ROUNDS; round++) {
    if (!(await say(text.enter))) return null;
    let typed = await keys(LETTERS, FIRST_KEY_MS);
    if (call.state !== 'ringing') return null;
    if (!typed || typed === '*') continue;
    let found = matchingEntries(entries, typed);
    // Too many for one list: a letter more narrows it (while the caller keeps typing).
    while (found.length > MAX_CHOICES && typed.length < MAX_LETTERS) {
      if (!(await say(text.more))) return null;
      const more = await keys(1, NEXT_KEY_MS);
      if (!more || more === '*') break;
      typed += more;
      found = matchingEntries(entries, typed);
    }
    if (!found.length) {
      step(`no name for ${typed}`);
      if (!(await say(text.none))) return null;
      continue;
    }
    const listed = found.slice(0, MAX_CHOICES);
    let chosen = listed.length === 1 ? listed[0] : undefined;
    if (!chosen) {
      if (!(await say(text.choose(listed.map((e) => e.name))))) return null;
      const k = await call.nextKey(FIRST_KEY_MS);
      if (call.state !== 'ringing') return null;
      chosen = k && /^[1-9]$/.test(k) ? listed[Number(k) - 1] : undefined;
      if (!chosen) continue;
    }
    step(`${typed}: ${chosen.name} (${chosen.number})`);
    await say(text.connecting(chosen.name), false);
    if (call.state !== 'ringing') return null;
    call.silenceCaller();
    return { kind: 'number', number: chosen.number };
  }
  if (call.state !== 'ringing') return null;
  step('no choice');
  await say(text.goodbye, false);
  call.finish(480, 'no-answer');
  return null;
}
