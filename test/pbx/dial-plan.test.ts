/** Outbound dial plan: route patterns, call classes against toll fraud, number forms toward trunks. */
import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import {
  applyPattern,
  type CallClass,
  classAllows,
  classifyNumber,
  compilePattern,
  formatForTrunk,
  fromTrunk,
  isEmergency,
  type NumberClass,
  type NumberFormat,
  type NumberPlan,
  type TrunkNumbering,
  toE164,
} from '../../src/pbx/trunks/dial-plan.js';

/** Whether `pattern` compiles and matches `dialled`; fails the test when it does not compile. */
function matches(pattern: string, dialled: string): boolean {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) throw new Error(`${pattern}: ${compiled.error}`);
  return compiled.test(dialled);
}

function errorOf(pattern: string): string {
  const compiled = compilePattern(pattern);
  return compiled.ok ? '(compiled)' : compiled.error;
}

describe('Asterisk patterns', () => {
  it('X is any digit, Z 1-9, N 2-9, in either case', () => {
    expect(matches('_9NXX', '9234')).toBe(true);
    expect(matches('_9NXX', '9134')).toBe(false);
    expect(matches('_ZX', '10')).toBe(true);
    expect(matches('_ZX', '01')).toBe(false);
    expect(matches('_nxx', '200')).toBe(true);
    expect(matches('_X', 'a')).toBe(false);
  });

  it('sets take single digits and ranges', () => {
    for (const d of ['15', '55', '65', '75']) expect(matches('_[15-7]X', d)).toBe(true);
    for (const d of ['25', '45', '85', '5']) expect(matches('_[15-7]X', d)).toBe(false);
    expect(matches('_8[3-5]X', '849')).toBe(true);
  });

  it("'.' is one or more of anything, '!' zero or more", () => {
    expect(matches('_9.', '91')).toBe(true);
    expect(matches('_9.', '9123456789')).toBe(true);
    expect(matches('_9.', '9')).toBe(false);
    expect(matches('_9!', '9')).toBe(true);
    expect(matches('_9!', '9*#')).toBe(true);
  });

  it('matches the whole dialled string', () => {
    expect(matches('_9XX', '912')).toBe(true);
    expect(matches('_9XX', '9123')).toBe(false);
    expect(matches('_9XX', '0912')).toBe(false);
  });

  it('takes * # + literally and skips - like Asterisk', () => {
    expect(matches('_*8X', '*81')).toBe(true);
    expect(matches('_*8X', '181')).toBe(false);
    expect(matches('_#X', '#1')).toBe(true);
    expect(matches('_+7X.', '+74951234567')).toBe(true);
    expect(matches('_+7X.', '74951234567')).toBe(false);
    expect(matches('_8-495-XXXXXXX', '84951234567')).toBe(true);
  });

  it('explains what is wrong in plain words', () => {
    expect(errorOf('')).toMatch(/empty/);
    expect(errorOf('   ')).toMatch(/empty/);
    expect(errorOf('_')).toMatch(/Nothing follows '_'/);
    expect(errorOf('_9A')).toMatch(/'A' at position 3 is not allowed/);
    expect(errorOf('_[5-1]')).toMatch(/runs backwards/);
    expect(errorOf('_[12')).toMatch(/never closed/);
    expect(errorOf('_[]')).toMatch(/empty/);
    expect(errorOf('_[a]')).toMatch(/not allowed in a set/);
  });
});

describe('literal numbers', () => {
  it('match only themselves', () => {
    expect(matches('112', '112')).toBe(true);
    expect(matches('112', '1120')).toBe(false);
    expect(matches('112', '0112')).toBe(false);
    expect(matches('*86', '*86')).toBe(true);
    expect(matches('+74951234567', '+74951234567')).toBe(true);
  });

  it('refuse letters with a hint to write a pattern', () => {
    expect(errorOf('9XX')).toMatch(/start a pattern with '_'/);
  });
});

describe('regular expression patterns', () => {
  it('match the whole string whether or not the author anchored them', () => {
    expect(matches('/^9\\d+$/', '9123')).toBe(true);
    expect(matches('/9\\d+/', '9123')).toBe(true);
    expect(matches('/9\\d+/', '09123')).toBe(false);
    expect(matches('/9\\d+/', '9123x')).toBe(false);
    // Anchoring covers every alternative, not just the first and last.
    expect(matches('/112|911/', '911')).toBe(true);
    expect(matches('/112|911/', '1129')).toBe(false);
    expect(matches('/^1|2$/', '12')).toBe(false);
  });

  it('refuse invalid expressions, flags and a body that would escape the anchors', () => {
    expect(errorOf('/[/')).toMatch(/Invalid regular expression/);
    expect(errorOf('/a)|(b/')).toMatch(/Invalid regular expression/);
    expect(errorOf('/abc/i')).toMatch(/Flags/);
    expect(errorOf('/abc')).toMatch(/must end with '\/'/);
    expect(errorOf('//')).toMatch(/empty/);
  });

  it('refuse expressions longer than 200 characters', () => {
    expect(compilePattern(`/${'1'.repeat(200)}/`).ok).toBe(true);
    expect(errorOf(`/${'1'.repeat(201)}/`)).toMatch(/201 characters long; at most 200/);
  });

  it('refuse nested repetition, the shape of catastrophic backtracking', () => {
    for (const re of ['(a+)+', '(\\d{1,3})*', '(?:\\d+)+', '((\\d)+)+', '(\\d*){2,}', '(\\d+){3}']) {
      expect(errorOf(`/${re}/`), re).toMatch(/exponential time/);
    }
  });

  it('accept repetition that cannot blow up', () => {
    for (const re of ['(\\d{3}){2}', '(\\d+)?', '\\(\\d+\\)+', '[(+]\\d+', '(?:00|\\+)\\d+', '(0|1)+']) {
      expect(compilePattern(`/${re}/`).ok, re).toBe(true);
    }
  });

  it('never match absurdly long strings, which bounds any expression', () => {
    expect(matches('/\\d+/', '1'.repeat(64))).toBe(true);
    expect(matches('/\\d+/', '1'.repeat(65))).toBe(false);
  });
});

describe('compiled pattern cache', () => {
  it('compiles a pattern once', () => {
    expect(compilePattern('_9X.')).toBe(compilePattern('_9X.'));
  });
});

describe('applyPattern', () => {
  it('strips leading characters, then prepends', () => {
    expect(applyPattern({ match: '_9X.', strip: 1, prepend: '' }, '984951234567')).toBe('84951234567');
    expect(applyPattern({ match: '_98X.', strip: 2, prepend: '+7' }, '984951234567')).toBe('+74951234567');
    expect(applyPattern({ match: '_X.', strip: 0, prepend: '' }, '123')).toBe('123');
  });

  it('is null when the number does not match or the pattern is broken', () => {
    expect(applyPattern({ match: '_9X.', strip: 1, prepend: '' }, '84951234567')).toBeNull();
    expect(applyPattern({ match: '_9A', strip: 0, prepend: '' }, '9A')).toBeNull();
  });

  it('treats a strip past the end or below zero sanely', () => {
    expect(applyPattern({ match: '_9X', strip: 5, prepend: '0' }, '91')).toBe('0');
    expect(applyPattern({ match: '_9X', strip: -2, prepend: '' }, '91')).toBe('91');
  });
});

describe('toE164', () => {
  it('reads Russian national, mobile and international forms', () => {
    expect(toE164('8 495 123-45-67', 'RU')).toBe('+74951234567');
    expect(toE164('8 (916) 123-45-67', 'RU')).toBe('+79161234567');
    expect(toE164('+7 495 123 45 67', 'RU')).toBe('+74951234567');
    expect(toE164('4951234567', 'RU')).toBe('+74951234567');
    expect(toE164('810 44 20 7946 0000', 'RU')).toBe('+442079460000');
    // libphonenumber-js knows only 810 in Russia and would call this a 14-digit national number.
    expect(toE164('00 44 20 7946 0000', 'RU')).toBe('+442079460000');
  });

  it('reads German, US and British forms', () => {
    expect(toE164('030 1234567', 'DE')).toBe('+49301234567');
    expect(toE164('0049 30 1234567', 'DE')).toBe('+49301234567');
    expect(toE164('0151 23456789', 'DE')).toBe('+4915123456789');
    expect(toE164('(202) 555-0123', 'US')).toBe('+12025550123');
    expect(toE164('1-202-555-0123', 'US')).toBe('+12025550123');
    expect(toE164('011 44 20 7946 0000', 'US')).toBe('+442079460000');
    expect(toE164('020 7946 0000', 'GB')).toBe('+442079460000');
    expect(toE164('00 49 30 1234567', 'GB')).toBe('+49301234567');
  });

  it('takes the country in either case', () => {
    expect(toE164('8 495 123-45-67', 'ru')).toBe('+74951234567');
  });

  it('is null for what is not a possible number', () => {
    for (const n of ['', 'abc', '12', '8 495 123', '*86', '#123', '+', '112', '8 495 123 45 67 ext 1']) {
      expect(toE164(n, 'RU'), n).toBeNull();
    }
  });

  it('without a known country reads only international numbers', () => {
    expect(toE164('+49301234567', 'ZZ')).toBe('+49301234567');
    expect(toE164('0301234567', 'ZZ')).toBeNull();
  });
});

describe('isEmergency', () => {
  it('knows 112 everywhere', () => {
    for (const c of ['RU', 'DE', 'US', 'GB', 'BR', 'NL', 'ZZ']) expect(isEmergency('112', c), c).toBe(true);
  });

  it('knows each country its own numbers', () => {
    expect(isEmergency('911', 'US')).toBe(true);
    expect(isEmergency('911', 'CA')).toBe(true);
    expect(isEmergency('999', 'GB')).toBe(true);
    expect(isEmergency('110', 'DE')).toBe(true);
    for (const n of ['101', '102', '103', '104', '01', '02', '03', '04'])
      expect(isEmergency(n, 'RU'), n).toBe(true);
    expect(isEmergency('911', 'ru')).toBe(false);
  });

  it("does not take another country's numbers", () => {
    expect(isEmergency('911', 'RU')).toBe(false);
    expect(isEmergency('999', 'DE')).toBe(false);
    expect(isEmergency('110', 'GB')).toBe(false);
    expect(isEmergency('01', 'DE')).toBe(false);
    expect(isEmergency('1120', 'RU')).toBe(false);
  });
});

describe('classifyNumber', () => {
  const moscow: NumberPlan = { country: 'RU', localPrefixes: ['+7495', '+7499'] };

  it('local by the plan prefixes, national by calling code, international otherwise', () => {
    expect(classifyNumber('8 495 123-45-67', moscow)).toEqual({ class: 'local', e164: '+74951234567' });
    expect(classifyNumber('8 499 123-45-67', moscow)).toEqual({ class: 'local', e164: '+74991234567' });
    expect(classifyNumber('8 916 123-45-67', moscow)).toEqual({ class: 'national', e164: '+79161234567' });
    expect(classifyNumber('8 812 123-45-67', moscow)).toEqual({ class: 'national', e164: '+78121234567' });
    expect(classifyNumber('810 44 20 7946 0000', moscow)).toEqual({
      class: 'international',
      e164: '+442079460000',
    });
    expect(classifyNumber('00 49 30 1234567', moscow)).toEqual({
      class: 'international',
      e164: '+49301234567',
    });
  });

  it('treats +7 as national in both Russia and Kazakhstan', () => {
    expect(classifyNumber('+7 701 234 5678', moscow)).toEqual({ class: 'national', e164: '+77012345678' });
    const almaty: NumberPlan = { country: 'KZ', localPrefixes: ['+7727'] };
    expect(classifyNumber('8 495 123-45-67', almaty)).toEqual({ class: 'national', e164: '+74951234567' });
    expect(classifyNumber('8 727 212 3456', almaty)).toEqual({ class: 'local', e164: '+77272123456' });
  });

  it('treats the Caribbean members of +1 as international from the US', () => {
    const dc: NumberPlan = { country: 'US', localPrefixes: ['+1202'] };
    expect(classifyNumber('202-555-0123', dc)).toEqual({ class: 'local', e164: '+12025550123' });
    expect(classifyNumber('1 415 555 0123', dc)).toEqual({ class: 'national', e164: '+14155550123' });
    expect(classifyNumber('+1 416 555 0123', dc)).toEqual({ class: 'national', e164: '+14165550123' });
    expect(classifyNumber('1 876 555 1234', dc)).toEqual({ class: 'international', e164: '+18765551234' });
  });

  it('is emergency before anything else, with no E.164', () => {
    expect(classifyNumber('112', moscow)).toEqual({ class: 'emergency', e164: null });
    expect(classifyNumber('03', moscow)).toEqual({ class: 'emergency', e164: null });
  });

  it('is invalid for what is not a possible number', () => {
    expect(classifyNumber('123', moscow)).toEqual({ class: 'invalid', e164: null });
    expect(classifyNumber('abc', moscow)).toEqual({ class: 'invalid', e164: null });
  });

  it('reads local prefixes written loosely and ignores empty ones', () => {
    expect(classifyNumber('84951234567', { country: 'RU', localPrefixes: ['7 495'] }).class).toBe('local');
    expect(classifyNumber('89161234567', { country: 'RU', localPrefixes: ['', '+'] }).class).toBe('national');
  });
});

describe('classAllows', () => {
  const callClasses: CallClass[] = ['internal', 'local', 'national', 'international'];
  const expected: Record<CallClass, Record<NumberClass, boolean>> = {
    internal: { emergency: true, local: false, national: false, international: false },
    local: { emergency: true, local: true, national: false, international: false },
    national: { emergency: true, local: true, national: true, international: false },
    international: { emergency: true, local: true, national: true, international: true },
  };

  it.each(callClasses)('%s may call what its rank covers, and emergency', (allowed) => {
    for (const [needed, ok] of Object.entries(expected[allowed])) {
      expect(classAllows(allowed, needed as NumberClass), `${allowed} → ${needed}`).toBe(ok);
    }
  });
});

describe('formatForTrunk', () => {
  const ru: TrunkNumbering = { country: 'RU', areaCode: '495' };
  const de: TrunkNumbering = { country: 'DE', areaCode: '030' };
  const us: TrunkNumbering = { country: 'US', areaCode: '202' };

  it('writes E.164 with or without the plus', () => {
    expect(formatForTrunk('+74951234567', 'e164', ru)).toBe('+74951234567');
    expect(formatForTrunk('+74951234567', 'e164NoPlus', ru)).toBe('74951234567');
  });

  it('writes national numbers with the trunk prefix carriers expect', () => {
    expect(formatForTrunk('+74951234567', 'national', ru)).toBe('84951234567');
    expect(formatForTrunk('+77012345678', 'national', ru)).toBe('87012345678');
    expect(formatForTrunk('+49301234567', 'national', de)).toBe('0301234567');
    expect(formatForTrunk('+12025550123', 'national', us)).toBe('2025550123');
    expect(formatForTrunk('+14165550123', 'national', us)).toBe('4165550123');
    expect(formatForTrunk('+442079460000', 'national', { country: 'GB' })).toBe('02079460000');
  });

  it('writes local numbers without the area code, else the national form', () => {
    expect(formatForTrunk('+74951234567', 'local', ru)).toBe('1234567');
    expect(formatForTrunk('+78121234567', 'local', ru)).toBe('88121234567');
    expect(formatForTrunk('+78121234567', 'local', { country: 'RU', areaCode: '812' })).toBe('1234567');
    expect(formatForTrunk('+49301234567', 'local', de)).toBe('1234567');
    expect(formatForTrunk('+12025550123', 'local', us)).toBe('5550123');
    expect(formatForTrunk('+74951234567', 'local', { country: 'RU' })).toBe('84951234567');
    // The rest would start with the trunk prefix and read back as another number.
    expect(formatForTrunk('+49301234567', 'local', { country: 'DE', areaCode: '3' })).toBe('0301234567');
  });

  it("writes international numbers with the country's international prefix", () => {
    expect(formatForTrunk('+442079460000', 'national', ru)).toBe('810442079460000');
    expect(formatForTrunk('+442079460000', 'local', ru)).toBe('810442079460000');
    expect(formatForTrunk('+74951234567', 'national', de)).toBe('0074951234567');
    expect(formatForTrunk('+442079460000', 'national', us)).toBe('011442079460000');
    expect(formatForTrunk('+442079460000', 'national', { country: 'CA' })).toBe('011442079460000');
  });

  it('falls back to E.164 where no national form is known or a carrier code is needed', () => {
    expect(formatForTrunk('+442079460000', 'national', { country: 'ZZ' })).toBe('+442079460000');
    expect(formatForTrunk('+442079460000', 'national', { country: 'BR' })).toBe('+442079460000');
  });

  it('refuses what is not E.164', () => {
    expect(() => formatForTrunk('84951234567', 'national', ru)).toThrow(RangeError);
    expect(() => formatForTrunk('+0123', 'e164', ru)).toThrow(RangeError);
  });
});

describe('fromTrunk', () => {
  const ru: TrunkNumbering = { country: 'RU', areaCode: '495' };
  const de: TrunkNumbering = { country: 'DE', areaCode: '30' };
  const us: TrunkNumbering = { country: 'US', areaCode: '202' };

  it('reads every Russian form, including 10 digits without the 8', () => {
    for (const n of [
      '+74951234567',
      '74951234567',
      '84951234567',
      '4951234567',
      '1234567',
      '8 (495) 123-45-67',
    ]) {
      expect(fromTrunk(n, ru), n).toBe('+74951234567');
    }
    expect(fromTrunk('810442079460000', ru)).toBe('+442079460000');
    expect(fromTrunk('00442079460000', ru)).toBe('+442079460000');
  });

  it('reads German and US forms', () => {
    for (const n of ['+49301234567', '49301234567', '0301234567', '1234567'])
      expect(fromTrunk(n, de), n).toBe('+49301234567');
    expect(fromTrunk('0044 20 7946 0000', de)).toBe('+442079460000');
    for (const n of ['+12025550123', '12025550123', '2025550123', '5550123'])
      expect(fromTrunk(n, us), n).toBe('+12025550123');
    expect(fromTrunk('011442079460000', us)).toBe('+442079460000');
  });

  it('is null for what is no number', () => {
    for (const n of ['', 'anonymous', '12', '+']) expect(fromTrunk(n, ru), n).toBeNull();
  });

  it("reads ambiguous digits as the trunk's own unless the trunk is known to send E.164 without '+'", () => {
    // A Moscow-region number without its 8, or a Munich number without '+'.
    expect(fromTrunk('4989500101', { country: 'RU' })).toBe('+74989500101');
    expect(fromTrunk('4989500101', { country: 'RU', format: 'e164NoPlus' })).toBe('+4989500101');
  });

  it('round-trips every form', () => {
    const numbers = [
      '+74951234567',
      '+79161234567',
      '+77012345678',
      '+49301234567',
      '+12025550123',
      '+442079460000',
    ];
    const trunks: TrunkNumbering[] = [
      ru,
      de,
      us,
      { country: 'GB', areaCode: '20' },
      { country: 'KZ', areaCode: '727' },
    ];
    const formats: NumberFormat[] = ['e164', 'e164NoPlus', 'national', 'local'];
    for (const trunk of trunks)
      for (const e164 of numbers)
        for (const format of formats) {
          const written = formatForTrunk(e164, format, trunk);
          expect(fromTrunk(written, trunk), `${e164} ${format} ${trunk.country}: ${written}`).toBe(e164);
        }
  });
});

describe('properties', () => {
  const dialChars = fc.constantFrom(...'0123456789*#+');
  const patternToken = fc.oneof(
    fc.constantFrom('X', 'Z', 'N', 'x', '.', '!', '[15-7]', '[0-9*]', '-'),
    dialChars,
  );
  const asteriskPattern = fc.array(patternToken, { minLength: 1, maxLength: 8 }).map((t) => `_${t.join('')}`);

  it('applyPattern never throws, and its result is the stripped, prefixed input', () => {
    const dialled = fc.oneof(
      fc.string({ unit: dialChars, maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    fc.assert(
      fc.property(
        asteriskPattern,
        fc.integer({ min: -3, max: 20 }),
        fc.string({ maxLength: 4 }),
        dialled,
        (match, strip, prepend, d) => {
          const out = applyPattern({ match, strip, prepend }, d);
          if (out !== null) expect(out).toBe(prepend + d.slice(Math.max(0, strip)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('compilePattern never throws, whatever the pattern', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (match) => {
        const compiled = compilePattern(match);
        if (compiled.ok) compiled.test('12345');
      }),
      { numRuns: 500 },
    );
  });

  // Valid numbers around the world, in canonical E.164.
  const starts = [
    '+7916',
    '+7495',
    '+7812',
    '+7701',
    '+4930',
    '+49151',
    '+1202',
    '+1416',
    '+1876',
    '+4420',
    '+447',
    '+331',
    '+3906',
    '+346',
    '+8613',
    '+61',
  ];
  const validNumber = fc
    .tuple(fc.constantFrom(...starts), fc.integer({ min: 5, max: 10 }))
    .chain(([start, n]) =>
      fc
        .string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n })
        .map((rest) => start + rest),
    )
    .map((text) => parsePhoneNumberFromString(text))
    .filter((p) => p?.isValid() === true)
    .map((p) => p!.number);
  const trunk = fc.record({
    country: fc.constantFrom('RU', 'KZ', 'DE', 'US', 'CA', 'GB', 'FR', 'IT', 'ES', 'AU', 'BR'),
    areaCode: fc.oneof(
      fc.constant(null),
      fc.constantFrom('495', '812', '30', '030', '202', '20', '06'),
      fc.stringMatching(/^[0-9]{1,4}$/),
    ),
  });
  const formats: NumberFormat[] = ['e164', 'e164NoPlus', 'national', 'local'];
  const format = fc.constantFrom(...formats);

  it('fromTrunk reads back what formatForTrunk wrote for a trunk known to use that form', () => {
    fc.assert(
      fc.property(validNumber, format, trunk, (e164, f, t) => {
        expect(fromTrunk(formatForTrunk(e164, f, t), { ...t, format: f })).toBe(e164);
      }),
      { numRuns: 300 },
    );
  });

  it('without the form it reads back the same number unless the digits are another valid number too', () => {
    fc.assert(
      fc.property(validNumber, format, trunk, (e164, f, t) => {
        const written = formatForTrunk(e164, f, t);
        const back = fromTrunk(written, t);
        if (back === e164) return;
        // Genuinely ambiguous: the digits are also how another valid number is written on this trunk
        // (in one of the forms, or as a national number without its trunk prefix).
        const other = parsePhoneNumberFromString(back ?? '');
        expect(other?.isValid()).toBe(true);
        const forms = [...formats.map((g) => formatForTrunk(back!, g, t)), other!.nationalNumber];
        expect(forms).toContain(written);
      }),
      { numRuns: 300 },
    );
  });
});
