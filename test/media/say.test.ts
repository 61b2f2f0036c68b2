import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROMPTS, type PromptName } from '../../src/media/prompts.js';
import {
  type CalendarParts,
  type CountNoun,
  pluralForm,
  type SayLang,
  sayableNames,
  sayCount,
  sayDate,
  sayDateTime,
  sayDigits,
  sayDuration,
  sayNumber,
  sayPress,
  sayTime,
} from '../../src/media/say.js';

/** What a list of prompts sounds like, as text. */
function text(names: PromptName[], lang: SayLang): string {
  return names.map((n) => PROMPTS[n][lang]).join(' ');
}

describe('Russian numeral agreement', () => {
  // n, bare number, neuter noun with adjective, feminine noun, masculine noun
  const table: Array<[number, string, string, string, string]> = [
    [0, 'ноль', 'нет новых сообщений', 'ноль минут', 'ноль часов'],
    [1, 'один', 'одно новое сообщение', 'одна минута', 'один час'],
    [2, 'два', 'два новых сообщения', 'две минуты', 'два часа'],
    [3, 'три', 'три новых сообщения', 'три минуты', 'три часа'],
    [4, 'четыре', 'четыре новых сообщения', 'четыре минуты', 'четыре часа'],
    [5, 'пять', 'пять новых сообщений', 'пять минут', 'пять часов'],
    [11, 'одиннадцать', 'одиннадцать новых сообщений', 'одиннадцать минут', 'одиннадцать часов'],
    [12, 'двенадцать', 'двенадцать новых сообщений', 'двенадцать минут', 'двенадцать часов'],
    [14, 'четырнадцать', 'четырнадцать новых сообщений', 'четырнадцать минут', 'четырнадцать часов'],
    [19, 'девятнадцать', 'девятнадцать новых сообщений', 'девятнадцать минут', 'девятнадцать часов'],
    [20, 'двадцать', 'двадцать новых сообщений', 'двадцать минут', 'двадцать часов'],
    [21, 'двадцать один', 'двадцать одно новое сообщение', 'двадцать одна минута', 'двадцать один час'],
    [22, 'двадцать два', 'двадцать два новых сообщения', 'двадцать две минуты', 'двадцать два часа'],
    [25, 'двадцать пять', 'двадцать пять новых сообщений', 'двадцать пять минут', 'двадцать пять часов'],
    [100, 'сто', 'сто новых сообщений', 'сто минут', 'сто часов'],
    [101, 'сто один', 'сто одно новое сообщение', 'сто одна минута', 'сто один час'],
    [
      111,
      'сто одиннадцать',
      'сто одиннадцать новых сообщений',
      'сто одиннадцать минут',
      'сто одиннадцать часов',
    ],
    [112, 'сто двенадцать', 'сто двенадцать новых сообщений', 'сто двенадцать минут', 'сто двенадцать часов'],
    [
      122,
      'сто двадцать два',
      'сто двадцать два новых сообщения',
      'сто двадцать две минуты',
      'сто двадцать два часа',
    ],
    [1000, 'тысяча', 'тысяча новых сообщений', 'тысяча минут', 'тысяча часов'],
    [1001, 'тысяча один', 'тысяча одно новое сообщение', 'тысяча одна минута', 'тысяча один час'],
    [2000, 'две тысячи', 'две тысячи новых сообщений', 'две тысячи минут', 'две тысячи часов'],
    [
      2002,
      'две тысячи два',
      'две тысячи два новых сообщения',
      'две тысячи две минуты',
      'две тысячи два часа',
    ],
    [5000, 'пять тысяч', 'пять тысяч новых сообщений', 'пять тысяч минут', 'пять тысяч часов'],
    [
      11_000,
      'одиннадцать тысяч',
      'одиннадцать тысяч новых сообщений',
      'одиннадцать тысяч минут',
      'одиннадцать тысяч часов',
    ],
    [
      21_000,
      'двадцать одна тысяча',
      'двадцать одна тысяча новых сообщений',
      'двадцать одна тысяча минут',
      'двадцать одна тысяча часов',
    ],
    [
      22_022,
      'двадцать две тысячи двадцать два',
      'двадцать две тысячи двадцать два новых сообщения',
      'двадцать две тысячи двадцать две минуты',
      'двадцать две тысячи двадцать два часа',
    ],
    [
      101_001,
      'сто одна тысяча один',
      'сто одна тысяча одно новое сообщение',
      'сто одна тысяча одна минута',
      'сто одна тысяча один час',
    ],
    [
      999_999,
      'девятьсот девяносто девять тысяч девятьсот девяносто девять',
      'девятьсот девяносто девять тысяч девятьсот девяносто девять новых сообщений',
      'девятьсот девяносто девять тысяч девятьсот девяносто девять минут',
      'девятьсот девяносто девять тысяч девятьсот девяносто девять часов',
    ],
  ];

  it.each(table)('%i', (n, bare, newMessages, minutes, hours) => {
    expect(text(sayNumber(n, 'ru'), 'ru')).toBe(bare);
    expect(text(sayCount(n, 'new-message', 'ru'), 'ru')).toBe(newMessages);
    expect(text(sayCount(n, 'minute', 'ru'), 'ru')).toBe(minutes);
    expect(text(sayCount(n, 'hour', 'ru'), 'ru')).toBe(hours);
  });

  it('agrees plain and saved messages too', () => {
    expect(text(sayCount(1, 'message', 'ru'), 'ru')).toBe('одно сообщение');
    expect(text(sayCount(3, 'message', 'ru'), 'ru')).toBe('три сообщения');
    expect(text(sayCount(0, 'message', 'ru'), 'ru')).toBe('нет сообщений');
    expect(text(sayCount(21, 'saved-message', 'ru'), 'ru')).toBe('двадцать одно сохранённое сообщение');
    expect(text(sayCount(24, 'saved-message', 'ru'), 'ru')).toBe('двадцать четыре сохранённых сообщения');
    expect(text(sayCount(0, 'saved-message', 'ru'), 'ru')).toBe('нет сохранённых сообщений');
    expect(text(sayCount(0, 'new-message', 'ru', { zeroAsNumber: true }), 'ru')).toBe('ноль новых сообщений');
    expect(text(sayCount(31, 'second', 'ru'), 'ru')).toBe('тридцать одна секунда');
  });

  it('picks the plural form by the last two digits', () => {
    const forms = [0, 1, 2, 4, 5, 10, 11, 14, 15, 21, 24, 25, 101, 111, 112, 121, 1011, 1021].map((n) => [
      n,
      pluralForm(n, 'ru'),
    ]);
    expect(Object.fromEntries(forms)).toEqual({
      0: 'many',
      1: 'one',
      2: 'few',
      4: 'few',
      5: 'many',
      10: 'many',
      11: 'many',
      14: 'many',
      15: 'many',
      21: 'one',
      24: 'few',
      25: 'many',
      101: 'one',
      111: 'many',
      112: 'many',
      121: 'one',
      1011: 'many',
      1021: 'one',
    });
  });

  it('gives the noun the form of the last two digits, whatever the number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), (n) => {
        const last = sayCount(n, 'minute', 'ru').at(-1);
        const r = n % 100;
        const expected =
          r >= 11 && r <= 14
            ? 'minute-many'
            : r % 10 === 1
              ? 'minute-one'
              : [2, 3, 4].includes(r % 10)
                ? 'minute-few'
                : 'minute-many';
        expect(last).toBe(expected);
      }),
    );
  });
});

describe('English numbers', () => {
  const table: Array<[number, string]> = [
    [0, 'zero'],
    [7, 'seven'],
    [13, 'thirteen'],
    [20, 'twenty'],
    [21, 'twenty one'],
    [99, 'ninety nine'],
    [100, 'one hundred'],
    [105, 'one hundred five'],
    [123, 'one hundred twenty three'],
    [1000, 'one thousand'],
    [2005, 'two thousand five'],
    [10_000, 'ten thousand'],
    [21_000, 'twenty one thousand'],
    [100_100, 'one hundred thousand one hundred'],
    [999_999, 'nine hundred ninety nine thousand nine hundred ninety nine'],
  ];
  it.each(table)('%i', (n, words) => {
    expect(text(sayNumber(n, 'en'), 'en')).toBe(words);
  });

  it('counts messages', () => {
    expect(text(sayCount(0, 'new-message', 'en'), 'en')).toBe('no new messages');
    expect(text(sayCount(1, 'new-message', 'en'), 'en')).toBe('one new message');
    expect(text(sayCount(2, 'new-message', 'en'), 'en')).toBe('two new messages');
    expect(text(sayCount(21, 'new-message', 'en'), 'en')).toBe('twenty one new messages');
    expect(text(sayCount(1, 'saved-message', 'en'), 'en')).toBe('one saved message');
    expect(text(sayCount(0, 'minute', 'en'), 'en')).toBe('zero minutes');
    expect(text(sayCount(1, 'hour', 'en'), 'en')).toBe('one hour');
  });

  it('rejects what it cannot say', () => {
    for (const bad of [-1, 1.5, 1_000_000, Number.NaN]) {
      expect(() => sayNumber(bad, 'en')).toThrow(RangeError);
      expect(() => sayCount(bad, 'minute', 'ru')).toThrow(RangeError);
    }
  });
});

describe('digits and menus', () => {
  it('says a formatted phone number symbol by symbol', () => {
    expect(sayDigits('+7 (495) 123-45-67', 'ru')).toEqual([
      'plus',
      'num-7',
      'num-4',
      'num-9',
      'num-5',
      'num-1',
      'num-2',
      'num-3',
      'num-4',
      'num-5',
      'num-6',
      'num-7',
    ]);
    expect(text(sayDigits('0*#', 'en'), 'en')).toBe('zero star pound');
    expect(text(sayDigits('#', 'en', { hash: 'hash' }), 'en')).toBe('hash');
    expect(text(sayDigits('#*', 'ru'), 'ru')).toBe('решётка звёздочка');
    expect(() => sayDigits('12a', 'en')).toThrow(RangeError);
  });

  it('builds a menu line', () => {
    expect(text(sayPress('vm-to-save', '9', 'ru'), 'ru')).toBe('Чтобы сохранить сообщение, нажмите девять');
    expect(text(sayPress('to-repeat', '*', 'en'), 'en')).toBe('To repeat, press star');
  });
});

describe('dates and times', () => {
  // 2025-01-01 was a Wednesday.
  const newYear: CalendarParts = { year: 2025, month: 1, day: 1, weekday: 3, hour: 15, minute: 15 };

  it('says a date in English: on <weekday>, <month> <ordinal>', () => {
    expect(text(sayDate(newYear, 'en'), 'en')).toBe('on Wednesday January first');
    expect(text(sayDate({ ...newYear, month: 12, day: 31 }, 'en', { weekday: false }), 'en')).toBe(
      'December thirty first',
    );
    expect(text(sayDateTime(newYear, 'en'), 'en')).toBe('on Wednesday January first at three fifteen P.M.');
  });

  it('says a date in Russian: neuter ordinal day, genitive month', () => {
    expect(text(sayDate(newYear, 'ru'), 'ru')).toBe('в среду первое января');
    expect(text(sayDate({ ...newYear, month: 3, day: 8, weekday: 6 }, 'ru'), 'ru')).toBe(
      'в субботу восьмое марта',
    );
    expect(text(sayDate({ ...newYear, month: 8, day: 23 }, 'ru', { weekday: false }), 'ru')).toBe(
      'двадцать третье августа',
    );
    expect(text(sayDate({ ...newYear, weekday: 2 }, 'ru'), 'ru')).toBe('во вторник первое января');
  });

  it('says every day of the month and every month', () => {
    for (let day = 1; day <= 31; day++) {
      const ru = text(sayDate({ ...newYear, day }, 'ru', { weekday: false }), 'ru');
      expect(ru).toMatch(/(ое|ье) января$/);
    }
    expect(text(sayDate({ ...newYear, day: 3, month: 5 }, 'ru', { weekday: false }), 'ru')).toBe(
      'третье мая',
    );
  });

  it('says the time of day', () => {
    const at = (hour: number, minute: number, lang: SayLang) =>
      text(sayTime({ ...newYear, hour, minute }, lang), lang);
    expect(at(0, 5, 'en')).toBe('at twelve oh five A.M.');
    expect(at(12, 0, 'en')).toBe('at twelve P.M.');
    expect(at(9, 30, 'en')).toBe('at nine thirty A.M.');
    expect(at(23, 59, 'en')).toBe('at eleven fifty nine P.M.');
    expect(at(15, 20, 'ru')).toBe('пятнадцать часов двадцать минут');
    expect(at(21, 0, 'ru')).toBe('двадцать один час');
    expect(at(2, 2, 'ru')).toBe('два часа две минуты');
    expect(at(9, 21, 'ru')).toBe('девять часов двадцать одна минута');
    expect(at(0, 1, 'ru')).toBe('ноль часов одна минута');
    expect(at(10, 45, 'ru')).toBe('десять часов сорок пять минут');
  });

  it('reads a Date in the listener’s time zone', () => {
    const d = new Date('2025-03-31T22:30:00Z');
    expect(text(sayDateTime(d, 'ru', { timeZone: 'Europe/Moscow' }), 'ru')).toBe(
      'во вторник первое апреля один час тридцать минут',
    );
    expect(text(sayDateTime(d, 'en', { timeZone: 'America/New_York' }), 'en')).toBe(
      'on Monday March thirty first at six thirty P.M.',
    );
    expect(text(sayDateTime(d, 'en'), 'en')).toBe('on Monday March thirty first at ten thirty P.M.');
    expect(text(sayDateTime(newYear, 'ru'), 'ru')).toBe(
      'в среду первое января пятнадцать часов пятнадцать минут',
    );
  });

  it('says today and yesterday relative to now', () => {
    const now = new Date('2025-04-01T09:00:00Z');
    const tz = { timeZone: 'Europe/Moscow', now };
    expect(sayDate(new Date('2025-04-01T05:00:00Z'), 'ru', tz)).toEqual(['today']);
    expect(sayDate(new Date('2025-03-31T20:59:00Z'), 'ru', tz)).toEqual(['yesterday']);
    expect(sayDate(new Date('2025-03-31T21:00:00Z'), 'ru', tz)).toEqual(['today']);
    expect(text(sayDate(new Date('2025-03-30T12:00:00Z'), 'en', tz), 'en')).toBe('on Sunday March thirtieth');
  });

  it('rejects impossible calendar parts', () => {
    expect(() => sayDate({ ...newYear, month: 13 }, 'en')).toThrow(RangeError);
    expect(() => sayTime({ ...newYear, hour: 24 }, 'ru')).toThrow(RangeError);
  });
});

describe('durations', () => {
  it('says hours, minutes and seconds that are not zero', () => {
    expect(text(sayDuration(125, 'en'), 'en')).toBe('two minutes five seconds');
    expect(text(sayDuration(125, 'ru'), 'ru')).toBe('две минуты пять секунд');
    expect(text(sayDuration(3601, 'ru'), 'ru')).toBe('один час одна секунда');
    expect(text(sayDuration(0, 'ru'), 'ru')).toBe('ноль секунд');
    expect(text(sayDuration(7322.9, 'en'), 'en')).toBe('two hours two minutes two seconds');
  });
});

describe('sayableNames', () => {
  const nouns: CountNoun[] = ['message', 'new-message', 'saved-message', 'hour', 'minute', 'second'];
  const langs: SayLang[] = ['en', 'ru'];

  it('covers everything the functions return', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999 }),
        fc.constantFrom(...nouns),
        fc.constantFrom(...langs),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        (n, noun, lang, date) => {
          const names = sayableNames(lang);
          const said = [
            ...sayNumber(n, lang),
            ...sayNumber(n, lang, 'f'),
            ...sayNumber(n, lang, 'n'),
            ...sayCount(n, noun, lang),
            ...sayDuration(n, lang),
            ...sayDigits(String(n), lang),
            ...sayDateTime(date, lang, { now: date }),
            ...sayDateTime(date, lang, { timeZone: 'Asia/Vladivostok' }),
          ];
          for (const name of said) expect(names.has(name)).toBe(true);
        },
      ),
    );
  });

  it('names only catalogue prompts', () => {
    for (const lang of langs)
      for (const n of sayableNames(lang)) expect(Object.hasOwn(PROMPTS, n)).toBe(true);
  });
});
