/**
 * System voice prompts: the catalogue of names, their text in each language,
 * and where their recordings live (prompts/<lang>/<name>.wav at the top of the
 * repository, 8 kHz mono 16-bit PCM, made by scripts/generate-prompts.ts from
 * the texts below with eSpeak NG).
 *
 * A name stands for a meaning, and every name has a rendering in every language,
 * so a sentence built by say.ts can always be played and a missing file can fall
 * back to another language. Where one language has grammatical forms the other
 * lacks, both still get a file:
 * - `-one` / `-few` / `-many` are the Russian plural forms chosen by the last two
 *   digits of a count (1 and 21 / 2-4 / 0, 5-20, 11-14); English says the
 *   singular for `-one` and the plural for the other two.
 * - `num-1-f`, `num-1-n`, `num-2-f` are the feminine and neuter Russian numerals
 *   (одна, одно, две); in English they are plain "one" and "two".
 * - `month-N` is the genitive month in Russian (января: only dates need months),
 *   `day-N` the neuter ordinal (первое), `on-weekday-N` is "в понедельник".
 * - `at`, `am`, `pm`, `oh` are English time words; the Russian files hold the
 *   nearest Russian word, which say.ts never uses (Russian times are said as a
 *   label: "пятнадцать часов двадцать минут").
 * - `num-100`..`num-900` are "one hundred".."nine hundred" in English (one
 *   recording each reads more naturally than "two" + "hundred").
 * Texts that end with a comma introduce a following "press <digit>"; eSpeak then
 * gives them a continuing rather than a final intonation. `speak` is what eSpeak
 * is given instead of the text where the text alone reads badly (in eSpeak's
 * [[phoneme]] notation: a lone "и" comes out 50 ms long).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayableNames } from './say.js';

export type PromptLang = 'en' | 'ru';
export const PROMPT_LANGS: readonly PromptLang[] = ['en', 'ru'];

/** The text of a prompt in each language, and optionally what eSpeak is given instead. */
export type PromptTexts = Readonly<Record<PromptLang, string>> & {
  readonly speak?: Readonly<Partial<Record<PromptLang, string>>>;
};
type Texts = PromptTexts;

const NUMBERS = {
  'num-0': { en: 'zero', ru: 'ноль' },
  'num-1': { en: 'one', ru: 'один' },
  'num-1-f': { en: 'one', ru: 'одна' },
  'num-1-n': { en: 'one', ru: 'одно' },
  'num-2': { en: 'two', ru: 'два' },
  'num-2-f': { en: 'two', ru: 'две' },
  'num-3': { en: 'three', ru: 'три' },
  'num-4': { en: 'four', ru: 'четыре' },
  'num-5': { en: 'five', ru: 'пять' },
  'num-6': { en: 'six', ru: 'шесть' },
  'num-7': { en: 'seven', ru: 'семь' },
  'num-8': { en: 'eight', ru: 'восемь' },
  'num-9': { en: 'nine', ru: 'девять' },
  'num-10': { en: 'ten', ru: 'десять' },
  'num-11': { en: 'eleven', ru: 'одиннадцать' },
  'num-12': { en: 'twelve', ru: 'двенадцать' },
  'num-13': { en: 'thirteen', ru: 'тринадцать' },
  'num-14': { en: 'fourteen', ru: 'четырнадцать' },
  'num-15': { en: 'fifteen', ru: 'пятнадцать' },
  'num-16': { en: 'sixteen', ru: 'шестнадцать' },
  'num-17': { en: 'seventeen', ru: 'семнадцать' },
  'num-18': { en: 'eighteen', ru: 'восемнадцать' },
  'num-19': { en: 'nineteen', ru: 'девятнадцать' },
  'num-20': { en: 'twenty', ru: 'двадцать' },
  'num-30': { en: 'thirty', ru: 'тридцать' },
  'num-40': { en: 'forty', ru: 'сорок' },
  'num-50': { en: 'fifty', ru: 'пятьдесят' },
  'num-60': { en: 'sixty', ru: 'шестьдесят' },
  'num-70': { en: 'seventy', ru: 'семьдесят' },
  'num-80': { en: 'eighty', ru: 'восемьдесят' },
  'num-90': { en: 'ninety', ru: 'девяносто' },
  'num-100': { en: 'one hundred', ru: 'сто' },
  'num-200': { en: 'two hundred', ru: 'двести' },
  'num-300': { en: 'three hundred', ru: 'триста' },
  'num-400': { en: 'four hundred', ru: 'четыреста' },
  'num-500': { en: 'five hundred', ru: 'пятьсот' },
  'num-600': { en: 'six hundred', ru: 'шестьсот' },
  'num-700': { en: 'seven hundred', ru: 'семьсот' },
  'num-800': { en: 'eight hundred', ru: 'восемьсот' },
  'num-900': { en: 'nine hundred', ru: 'девятьсот' },
  'thousand-one': { en: 'thousand', ru: 'тысяча' },
  'thousand-few': { en: 'thousand', ru: 'тысячи' },
  'thousand-many': { en: 'thousand', ru: 'тысяч' },
  star: { en: 'star', ru: 'звёздочка' },
  hash: { en: 'hash', ru: 'решётка' },
  pound: { en: 'pound', ru: 'решётка' },
  plus: { en: 'plus', ru: 'плюс' },
  number: { en: 'number', ru: 'номер' },
  and: { en: 'and', ru: 'и', speak: { ru: "[['i:]]" } },
} as const satisfies Record<string, Texts>;

const COUNTED = {
  'message-one': { en: 'message', ru: 'сообщение' },
  'message-few': { en: 'messages', ru: 'сообщения' },
  'message-many': { en: 'messages', ru: 'сообщений' },
  'new-message-one': { en: 'new message', ru: 'новое сообщение' },
  'new-message-few': { en: 'new messages', ru: 'новых сообщения' },
  'new-message-many': { en: 'new messages', ru: 'новых сообщений' },
  'saved-message-one': { en: 'saved message', ru: 'сохранённое сообщение' },
  'saved-message-few': { en: 'saved messages', ru: 'сохранённых сообщения' },
  'saved-message-many': { en: 'saved messages', ru: 'сохранённых сообщений' },
  'no-messages': { en: 'no messages', ru: 'нет сообщений' },
  'no-new-messages': { en: 'no new messages', ru: 'нет новых сообщений' },
  'no-saved-messages': { en: 'no saved messages', ru: 'нет сохранённых сообщений' },
  'hour-one': { en: 'hour', ru: 'час' },
  'hour-few': { en: 'hours', ru: 'часа' },
  'hour-many': { en: 'hours', ru: 'часов' },
  'minute-one': { en: 'minute', ru: 'минута' },
  'minute-few': { en: 'minutes', ru: 'минуты' },
  'minute-many': { en: 'minutes', ru: 'минут' },
  'second-one': { en: 'second', ru: 'секунда' },
  'second-few': { en: 'seconds', ru: 'секунды' },
  'second-many': { en: 'seconds', ru: 'секунд' },
} as const satisfies Record<string, Texts>;

const CALENDAR = {
  'on-weekday-1': { en: 'on Monday', ru: 'в понедельник' },
  'on-weekday-2': { en: 'on Tuesday', ru: 'во вторник' },
  'on-weekday-3': { en: 'on Wednesday', ru: 'в среду' },
  'on-weekday-4': { en: 'on Thursday', ru: 'в четверг' },
  'on-weekday-5': { en: 'on Friday', ru: 'в пятницу' },
  'on-weekday-6': { en: 'on Saturday', ru: 'в субботу' },
  'on-weekday-7': { en: 'on Sunday', ru: 'в воскресенье' },
  'month-1': { en: 'January', ru: 'января' },
  'month-2': { en: 'February', ru: 'февраля' },
  'month-3': { en: 'March', ru: 'марта' },
  'month-4': { en: 'April', ru: 'апреля' },
  'month-5': { en: 'May', ru: 'мая' },
  'month-6': { en: 'June', ru: 'июня' },
  'month-7': { en: 'July', ru: 'июля' },
  'month-8': { en: 'August', ru: 'августа' },
  'month-9': { en: 'September', ru: 'сентября' },
  'month-10': { en: 'October', ru: 'октября' },
  'month-11': { en: 'November', ru: 'ноября' },
  'month-12': { en: 'December', ru: 'декабря' },
  'day-1': { en: 'first', ru: 'первое' },
  'day-2': { en: 'second', ru: 'второе' },
  'day-3': { en: 'third', ru: 'третье' },
  'day-4': { en: 'fourth', ru: 'четвёртое' },
  'day-5': { en: 'fifth', ru: 'пятое' },
  'day-6': { en: 'sixth', ru: 'шестое' },
  'day-7': { en: 'seventh', ru: 'седьмое' },
  'day-8': { en: 'eighth', ru: 'восьмое' },
  'day-9': { en: 'ninth', ru: 'девятое' },
  'day-10': { en: 'tenth', ru: 'десятое' },
  'day-11': { en: 'eleventh', ru: 'одиннадцатое' },
  'day-12': { en: 'twelfth', ru: 'двенадцатое' },
  'day-13': { en: 'thirteenth', ru: 'тринадцатое' },
  'day-14': { en: 'fourteenth', ru: 'четырнадцатое' },
  'day-15': { en: 'fifteenth', ru: 'пятнадцатое' },
  'day-16': { en: 'sixteenth', ru: 'шестнадцатое' },
  'day-17': { en: 'seventeenth', ru: 'семнадцатое' },
  'day-18': { en: 'eighteenth', ru: 'восемнадцатое' },
  'day-19': { en: 'nineteenth', ru: 'девятнадцатое' },
  'day-20': { en: 'twentieth', ru: 'двадцатое' },
  'day-21': { en: 'twenty first', ru: 'двадцать первое' },
  'day-22': { en: 'twenty second', ru: 'двадцать второе' },
  'day-23': { en: 'twenty third', ru: 'двадцать третье' },
  'day-24': { en: 'twenty fourth', ru: 'двадцать четвёртое' },
  'day-25': { en: 'twenty fifth', ru: 'двадцать пятое' },
  'day-26': { en: 'twenty sixth', ru: 'двадцать шестое' },
  'day-27': { en: 'twenty seventh', ru: 'двадцать седьмое' },
  'day-28': { en: 'twenty eighth', ru: 'двадцать восьмое' },
  'day-29': { en: 'twenty ninth', ru: 'двадцать девятое' },
  'day-30': { en: 'thirtieth', ru: 'тридцатое' },
  'day-31': { en: 'thirty first', ru: 'тридцать первое' },
  today: { en: 'today', ru: 'сегодня' },
  yesterday: { en: 'yesterday', ru: 'вчера' },
  at: { en: 'at', ru: 'во' }, // a lone "в" is read as the letter name, or is a faint [v]
  am: { en: 'A.M.', ru: 'утра' },
  pm: { en: 'P.M.', ru: 'вечера' },
  oh: { en: 'oh', ru: 'ноль' },
} as const satisfies Record<string, Texts>;

const PHRASES = {
  welcome: { en: 'Welcome.', ru: 'Добро пожаловать.' },
  goodbye: { en: 'Goodbye.', ru: 'До свидания.' },
  'thank-you': { en: 'Thank you.', ru: 'Спасибо.' },
  'main-menu': { en: 'Main menu.', ru: 'Главное меню.' },
  press: { en: 'press', ru: 'нажмите' },
  for: { en: 'for', ru: 'для' },
  'to-repeat': { en: 'To repeat,', ru: 'Чтобы повторить,' },
  'to-return-main-menu': { en: 'To return to the main menu,', ru: 'Чтобы вернуться в главное меню,' },
  'to-exit': { en: 'To exit,', ru: 'Чтобы выйти,' },
  'invalid-choice': { en: 'Invalid choice.', ru: 'Неверный выбор.' },
  'please-try-again': { en: 'Please try again.', ru: 'Пожалуйста, попробуйте ещё раз.' },
  'enter-pin': { en: 'Please enter your PIN.', ru: 'Пожалуйста, введите ваш пин-код.' },
  'enter-mailbox': {
    en: 'Please enter your mailbox number.',
    ru: 'Пожалуйста, введите номер почтового ящика.',
  },
  'enter-extension': {
    en: 'Please enter the extension number.',
    ru: 'Пожалуйста, введите добавочный номер.',
  },
  'password-incorrect': { en: 'Password incorrect.', ru: 'Неверный пароль.' },
  'please-hold': { en: 'Please hold.', ru: 'Пожалуйста, оставайтесь на линии.' },
  'your-call-is-important': { en: 'Your call is important to us.', ru: 'Ваш звонок очень важен для нас.' },
  'all-operators-busy': {
    en: 'All our operators are busy at the moment.',
    ru: 'Все операторы сейчас заняты.',
  },
  'you-are-caller-number': { en: 'You are caller number', ru: 'Ваш номер в очереди' },
  'queue-position-is': { en: 'Your position in the queue is', ru: 'Ваше место в очереди' },
  'queue-wait-time-is': { en: 'The estimated waiting time is', ru: 'Примерное время ожидания' },
  'not-available': { en: 'The person you are calling is not available.', ru: 'Абонент недоступен.' },
  busy: { en: 'The person you are calling is busy.', ru: 'Абонент занят.' },
  'no-answer': { en: 'There is no answer.', ru: 'Абонент не отвечает.' },
  'number-not-in-service': {
    en: 'The number you have dialled is not in service.',
    ru: 'Набранный вами номер не обслуживается.',
  },
  'call-transferred': { en: 'Your call is being transferred.', ru: 'Переводим ваш звонок.' },
  'call-recorded': { en: 'This call may be recorded.', ru: 'Разговор может быть записан.' },
  recording: { en: 'Recording.', ru: 'Идёт запись.' },
  'recording-paused': { en: 'Recording paused.', ru: 'Запись приостановлена.' },
  'recording-resumed': { en: 'Recording resumed.', ru: 'Запись продолжается.' },
  'leave-message-after-tone': {
    en: 'Please leave a message after the tone.',
    ru: 'Пожалуйста, оставьте сообщение после сигнала.',
  },
  'when-finished-hang-up': {
    en: 'When you have finished, hang up or press pound.',
    ru: 'Когда закончите, положите трубку или нажмите решётку.',
  },
  'mailbox-full': { en: 'The mailbox is full.', ru: 'Почтовый ящик переполнен.' },
  'vm-you-have': { en: 'You have', ru: 'У вас' },
  'vm-received': { en: 'Received', ru: 'Получено' },
  'vm-message-saved': { en: 'Message saved.', ru: 'Сообщение сохранено.' },
  'vm-message-deleted': { en: 'Message deleted.', ru: 'Сообщение удалено.' },
  'vm-end-of-messages': { en: 'End of messages.', ru: 'Больше сообщений нет.' },
  'vm-to-listen-new': { en: 'To listen to new messages,', ru: 'Чтобы прослушать новые сообщения,' },
  'vm-to-listen-saved': { en: 'To listen to saved messages,', ru: 'Чтобы прослушать сохранённые сообщения,' },
  'vm-to-replay': { en: 'To listen to this message again,', ru: 'Чтобы прослушать сообщение ещё раз,' },
  'vm-to-save': { en: 'To save this message,', ru: 'Чтобы сохранить сообщение,' },
  'vm-to-delete': { en: 'To delete this message,', ru: 'Чтобы удалить сообщение,' },
  'vm-to-next': { en: 'For the next message,', ru: 'Для перехода к следующему сообщению,' },
  'vm-to-previous': { en: 'For the previous message,', ru: 'Для перехода к предыдущему сообщению,' },
  'vm-to-envelope': { en: 'To hear when it was received,', ru: 'Чтобы узнать время получения,' },
  'vm-to-call-back': { en: 'To call back,', ru: 'Чтобы перезвонить,' },
  'vm-to-record-greeting': { en: 'To record your greeting,', ru: 'Чтобы записать приветствие,' },
  'vm-to-change-pin': { en: 'To change your PIN,', ru: 'Чтобы изменить пин-код,' },
  'vm-record-greeting-after-tone': {
    en: 'Record your greeting after the tone. When you have finished, press pound.',
    ru: 'Запишите приветствие после сигнала. Когда закончите, нажмите решётку.',
  },
  'vm-greeting-saved': { en: 'Your greeting has been saved.', ru: 'Приветствие сохранено.' },
  'vm-person-at-extension': { en: 'The person at extension', ru: 'Абонент с добавочным номером' },
  'vm-is-unavailable': { en: 'is not available.', ru: 'сейчас недоступен.' },
  'vm-is-busy': { en: 'is on the phone.', ru: 'сейчас разговаривает.' },
  'vm-from-number': { en: 'from number', ru: 'с номера' },
  'vm-to-forward': { en: 'To forward this message,', ru: 'Чтобы переслать сообщение,' },
  'vm-message-forwarded': { en: 'Message forwarded.', ru: 'Сообщение переслано.' },
  'vm-enter-new-pin': {
    en: 'Please enter your new PIN, then press pound.',
    ru: 'Введите новый пин-код и нажмите решётку.',
  },
  'vm-pin-changed': { en: 'Your PIN has been changed.', ru: 'Пин-код изменён.' },
  'vm-to-record-unavailable': { en: 'For your unavailable greeting,', ru: 'Для приветствия «недоступен»,' },
  'vm-to-record-busy': { en: 'For your busy greeting,', ru: 'Для приветствия «занят»,' },
  'vm-to-record-temporary': { en: 'For a temporary greeting,', ru: 'Для временного приветствия,' },
  'vm-to-record-name': { en: 'To record your name,', ru: 'Чтобы записать своё имя,' },
  'vm-to-remove-temporary': {
    en: 'To remove the temporary greeting,',
    ru: 'Чтобы удалить временное приветствие,',
  },
  'vm-greeting-removed': { en: 'The greeting has been removed.', ru: 'Приветствие удалено.' },
  'dnd-on': { en: 'Do not disturb is on.', ru: 'Режим «не беспокоить» включён.' },
  'dnd-off': { en: 'Do not disturb is off.', ru: 'Режим «не беспокоить» выключен.' },
  'forwarding-on-to': { en: 'Your calls are forwarded to', ru: 'Ваши звонки переадресуются на номер' },
  'forwarding-off': { en: 'Call forwarding is off.', ru: 'Переадресация выключена.' },
  'office-open': { en: 'The office is now open.', ru: 'Офис открыт.' },
  'office-closed': { en: 'The office is now closed.', ru: 'Офис закрыт.' },
  'office-follows-schedule': {
    en: 'The office follows its schedule again.',
    ru: 'Офис снова работает по расписанию.',
  },
  'not-allowed': { en: 'This is not allowed.', ru: 'Это действие запрещено.' },
  'status-available': { en: 'Your status is: available.', ru: 'Ваш статус: на месте.' },
  'status-away': { en: 'Your status is: away.', ru: 'Ваш статус: отошёл.' },
  'status-lunch': { en: 'Your status is: out to lunch.', ru: 'Ваш статус: на обеде.' },
  'status-trip': { en: 'Your status is: on a business trip.', ru: 'Ваш статус: в командировке.' },
  'agent-logged-in': { en: 'You are logged in to the queue.', ru: 'Вы вошли в очередь.' },
  'agent-logged-out': { en: 'You are logged out of the queue.', ru: 'Вы вышли из очереди.' },
  'agent-paused': { en: 'You are paused.', ru: 'Вы на паузе.' },
  'agent-unpaused': { en: 'You are available for calls again.', ru: 'Вы снова принимаете звонки.' },
  'confirm-call-from': {
    en: 'You have a call through the office phone system, from number,',
    ru: 'Вам звонок через офисную телефонную станцию, с номера,',
  },
  'confirm-call': {
    en: 'You have a call through the office phone system.',
    ru: 'Вам звонок через офисную телефонную станцию.',
  },
  'confirm-press': {
    en: 'To accept the call, press 1. To decline it, press 2.',
    ru: 'Чтобы принять звонок, нажмите 1. Чтобы отклонить, нажмите 2.',
  },
  'confirm-too-late': {
    en: 'Sorry, the call has already been answered, or the caller has hung up. Goodbye.',
    ru: 'Извините, звонок уже принят, или абонент положил трубку. До свидания.',
  },
  'callback-confirmed': {
    en: 'We will call you back as soon as an operator is free. You may hang up now.',
    ru: 'Мы перезвоним вам, как только освободится оператор. Можете положить трубку.',
  },
  'callback-unavailable': {
    en: 'A callback is not possible right now. Please stay on the line.',
    ru: 'Обратный звонок сейчас невозможен. Пожалуйста, оставайтесь на линии.',
  },
  'not-a-queue-member': { en: 'You are not an agent of this queue.', ru: 'Вы не оператор этой очереди.' },
} as const satisfies Record<string, Texts>;

/** Every system prompt with its text in each language (the script records these). */
export const PROMPTS = { ...NUMBERS, ...COUNTED, ...CALENDAR, ...PHRASES } as const;

export type PromptName = keyof typeof PROMPTS;

/** What eSpeak is asked to say for a prompt (its text unless the catalogue gives a `speak` form). */
export function promptSpeech(name: PromptName, lang: PromptLang): string {
  const t: PromptTexts = PROMPTS[name];
  return t.speak?.[lang] ?? t[lang];
}

/** Prompt names are kebab-case ASCII: safe as file names. */
const NAME_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function isPromptName(name: string): name is PromptName {
  return NAME_RE.test(name) && Object.hasOwn(PROMPTS, name);
}

export function isPromptLang(lang: string): lang is PromptLang {
  return (PROMPT_LANGS as readonly string[]).includes(lang);
}

export type PromptErrorCode = 'PROMPT_UNKNOWN' | 'PROMPT_MISSING';

export class PromptError extends Error {
  constructor(
    readonly code: PromptErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PromptError';
  }
}

/**
 * The repository's prompts/ folder. This module is src/media/prompts.ts (run
 * through tsx or Vitest) or dist/media/prompts.js (tsconfig.build.json: rootDir
 * src, outDir dist); both sit two levels below the top, next to prompts/.
 * `NIMBUS_PROMPTS_DIR` overrides it (e.g. an installed copy elsewhere).
 */
export function defaultPromptsDir(): string {
  const env = process.env.NIMBUS_PROMPTS_DIR;
  if (env) return resolve(env);
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../prompts');
}

/** Names present on disk per `dir/lang`, read once (system prompts do not change while running). */
const present = new Map<string, ReadonlySet<string>>();

function namesOnDisk(dir: string, lang: PromptLang): ReadonlySet<string> {
  const key = join(dir, lang);
  let names = present.get(key);
  if (!names) {
    let files: string[] = [];
    try {
      files = readdirSync(key);
    } catch {
      // a missing language folder simply holds nothing
    }
    names = new Set(files.filter((f) => f.endsWith('.wav')).map((f) => f.slice(0, -4)));
    present.set(key, names);
  }
  return names;
}

/** Forgets what was read from disk (after prompts were regenerated). */
export function clearPromptCache(): void {
  present.clear();
}

export interface ResolveOptions {
  /** Language tried when the prompt is missing in the asked one; `null` for none. Default 'en'. */
  fallback?: PromptLang | null;
  /** The prompts folder; default `defaultPromptsDir()`. */
  dir?: string;
}

export interface ResolvedPrompt {
  name: PromptName;
  /** The language whose recording was found (the fallback when the asked one has none). */
  lang: PromptLang;
  path: string;
}

/**
 * The WAV file of a prompt in `lang`, or in the fallback language. `lang` may
 * be any tag ('ru-RU' counts as 'ru'; an unsupported one goes to the fallback).
 * Throws `PromptError` PROMPT_UNKNOWN for a name not in the catalogue and
 * PROMPT_MISSING when neither language has a recording.
 */
export function resolvePrompt(name: string, lang: string, opts: ResolveOptions = {}): ResolvedPrompt {
  if (!isPromptName(name)) throw new PromptError('PROMPT_UNKNOWN', `unknown prompt ${JSON.stringify(name)}`);
  const dir = opts.dir ?? defaultPromptsDir();
  const fallback = opts.fallback === undefined ? 'en' : opts.fallback;
  const base = lang.toLowerCase().split(/[-_]/)[0] ?? '';
  const tries: PromptLang[] = [];
  if (isPromptLang(base)) tries.push(base);
  if (fallback && !tries.includes(fallback)) tries.push(fallback);
  for (const l of tries) {
    if (namesOnDisk(dir, l).has(name)) return { name, lang: l, path: join(dir, l, `${name}.wav`) };
  }
  throw new PromptError(
    'PROMPT_MISSING',
    `prompt ${name} has no recording in ${tries.join(' or ') || lang} under ${dir}`,
  );
}

/** Paths of a sequence of prompts (what say.ts returns), in order. */
export function promptFiles(names: readonly string[], lang: string, opts: ResolveOptions = {}): string[] {
  return names.map((n) => resolvePrompt(n, lang, opts).path);
}

/**
 * What is wrong with the recordings: every name that say.ts can produce (in
 * either language) must exist as a file in both languages. Empty when all is well.
 */
export function missingPrompts(
  dir: string = defaultPromptsDir(),
): Array<{ lang: PromptLang; name: PromptName }> {
  const missing: Array<{ lang: PromptLang; name: PromptName }> = [];
  const needed = new Set<PromptName>();
  for (const l of PROMPT_LANGS) for (const n of sayableNames(l)) needed.add(n);
  for (const l of PROMPT_LANGS) {
    const have = namesOnDisk(dir, l);
    for (const n of needed) if (!have.has(n)) missing.push({ lang: l, name: n });
  }
  return missing;
}
