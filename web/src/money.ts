/**
 * Money in the portal: the API counts prices, caps and costs as whole minor units
 * (kopecks, cents) of the operator's currency; people read and type them as units
 * with two decimals. Shown in the portal's language (850.00 / 850,00), without
 * digit grouping (as the money fields take it) and without a currency sign (the
 * API does not say which currency the operator bills in).
 */

const formats = new Map<string, Intl.NumberFormat>();

function formatOf(language: string): Intl.NumberFormat {
  let f = formats.get(language);
  if (!f) {
    f = new Intl.NumberFormat(language, {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
      useGrouping: false,
    });
    formats.set(language, f);
  }
  return f;
}

/** Minor units as money with two decimals: 85000 → "850.00" (en), "850,00" (ru). */
export function formatMoney(minor: number, language: string): string {
  return formatOf(language).format(minor / 100);
}

/** The character a language writes between units and cents ("." or ","). */
export function decimalSeparator(language: string): string {
  return (
    formatOf(language)
      .formatToParts(1.5)
      .find((p) => p.type === 'decimal')?.value ?? '.'
  );
}

/**
 * A money field's value (units, at most two decimals; a NumberInput gives a number,
 * or a string while empty or half typed) as minor units; null when there is no number.
 */
export function toMinor(value: number | string): number | null {
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(n) ? Math.round(n * 100) : null;
}

/** Minor units as a money field's value (empty for null). */
export function fromMinor(minor: number | null): number | string {
  return minor === null ? '' : minor / 100;
}
