/**
 * "Link" on a recording: asks the server for a signed link that plays the audio
 * without signing in (for a CRM, a ticket or a colleague without an account) and
 * shows it, selectable and copyable, with the day it stops working.
 */
import { Button, CopyButton, Popover, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from './Problem';

export function RecordingLink({
  tenantId,
  id,
  label,
}: {
  tenantId: string;
  id: string;
  /** What the button says to a screen reader: which call. */
  label: string;
}) {
  const { t, i18n } = useTranslation();
  const link = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/recordings/{id}/link', { params: { path: { tenantId, id } } }),
      ),
  });
  const until = link.data
    ? new Intl.DateTimeFormat(i18n.language, { dateStyle: 'long' }).format(new Date(link.data.expiresAt))
    : '';
  return (
    <Popover width={380} position="bottom-end" withArrow shadow="md" onClose={() => link.reset()}>
      <Popover.Target>
        <Button size="xs" variant="subtle" aria-label={label} onClick={() => link.mutate()}>
          {t('recordings.share')}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <ProblemAlert error={link.error} />
        {link.data ? (
          <Stack gap="xs">
            <TextInput
              readOnly
              label={t('recordings.shareTitle')}
              value={link.data.url}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="recording-link"
            />
            <Text size="xs" c="dimmed">
              {t('recordings.shareUntil', { date: until })}
            </Text>
            <CopyButton value={link.data.url}>
              {({ copied, copy }) => (
                <Button size="xs" variant="light" onClick={copy}>
                  {copied ? t('recordings.shareCopied') : t('recordings.shareCopy')}
                </Button>
              )}
            </CopyButton>
          </Stack>
        ) : (
          !link.error && <Text size="sm">{t('recordings.shareMaking')}</Text>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
