/**
 * The name and the internal number every dialable routing object has (ring
 * groups, queues, IVR menus): the number takes digits only, and a problem from
 * the save shows beside its field.
 */
import { TextInput } from '@mantine/core';
import { fieldError } from './Problem';

export function RoutingNameFields({
  labels,
  name,
  number,
  onName,
  onNumber,
  error,
}: {
  labels: { name: string; number: string; numberHint: string };
  name: string;
  number: string;
  onName: (v: string) => void;
  onNumber: (v: string) => void;
  error: unknown;
}) {
  return (
    <>
      <TextInput
        label={labels.name}
        required
        value={name}
        maxLength={100}
        onChange={(e) => onName(e.currentTarget.value)}
        error={fieldError(error, 'name')}
        data-autofocus
      />
      <TextInput
        label={labels.number}
        description={labels.numberHint}
        inputMode="numeric"
        autoComplete="off"
        value={number}
        maxLength={8}
        onChange={(e) => onNumber(e.currentTarget.value.replace(/\D/g, ''))}
        error={fieldError(error, 'number')}
      />
    </>
  );
}
