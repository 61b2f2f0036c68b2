/**
 * A field for an amount of money in units with at most two decimals (typed the
 * way the portal's language writes it; "." and "," both give the decimal mark).
 * Its value is the NumberInput's (a number, or a string while empty); `toMinor`
 * (web/src/money.ts) turns it into the minor units the API takes.
 */
import { NumberInput, type NumberInputProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { decimalSeparator } from '../money';

export function MoneyInput(props: Omit<NumberInputProps, 'decimalScale' | 'decimalSeparator'>) {
  const { i18n } = useTranslation();
  return (
    <NumberInput
      min={0}
      allowNegative={false}
      inputMode="decimal"
      autoComplete="off"
      decimalScale={2}
      decimalSeparator={decimalSeparator(i18n.language)}
      {...props}
    />
  );
}
