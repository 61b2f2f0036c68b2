/**
 * Who is recorded, as the forms set it (the rules: src/pbx/recording/policy.ts):
 * an extension's choice for each kind of call — always, on demand with *1 (which
 * then pauses and resumes), never — and a queue's or inbound route's say over the
 * calls that come its way (always, never, or leave it to the extensions).
 */
import { Fieldset, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Extension, QueueBody } from '../api/types';
import { fieldError } from './Problem';

export type ExtensionRecording = Extension['recording'];
type Choice = ExtensionRecording['inboundExternal'];
export type RoutingRecording = QueueBody['recording'];

const KINDS = ['inboundExternal', 'inboundInternal', 'outboundExternal', 'outboundInternal'] as const;
const CHOICES: readonly Choice[] = ['always', 'onDemand', 'never'];

export function ExtensionRecordingFields({
  value,
  onChange,
  error,
}: {
  value: ExtensionRecording;
  onChange: (next: ExtensionRecording) => void;
  error: unknown;
}) {
  const { t } = useTranslation();
  const data = CHOICES.map((c) => ({ value: c, label: t(`recordingPolicy.choices.${c}`) }));
  return (
    <Fieldset legend={t('recordingPolicy.section')}>
      <Stack gap="xs">
        <Text size="xs" c="dimmed">
          {t('recordingPolicy.hint')}
        </Text>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          {KINDS.map((kind) => (
            <Select
              key={kind}
              label={t(`recordingPolicy.${kind}`)}
              data={data}
              value={value[kind]}
              onChange={(v) => {
                const choice = CHOICES.find((c) => c === v);
                if (choice) onChange({ ...value, [kind]: choice });
              }}
              allowDeselect={false}
              error={fieldError(error, `recording.${kind}`)}
            />
          ))}
        </SimpleGrid>
      </Stack>
    </Fieldset>
  );
}

const INHERIT = 'inherit';

/** "Record calls" of a queue or an inbound route: absent means the extensions decide. */
export function RoutingRecordingSelect({
  value,
  onChange,
  disabled,
  error,
}: {
  value: RoutingRecording;
  onChange: (next: RoutingRecording) => void;
  disabled?: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  return (
    <Select
      label={t('recordingPolicy.routing')}
      description={t('recordingPolicy.routingHint')}
      data={[
        { value: INHERIT, label: t('recordingPolicy.routingChoices.inherit') },
        { value: 'always', label: t('recordingPolicy.routingChoices.always') },
        { value: 'never', label: t('recordingPolicy.routingChoices.never') },
      ]}
      value={value ?? INHERIT}
      onChange={(v) => onChange(v === 'always' || v === 'never' ? v : undefined)}
      allowDeselect={false}
      disabled={disabled}
      error={fieldError(error, 'recording')}
    />
  );
}
