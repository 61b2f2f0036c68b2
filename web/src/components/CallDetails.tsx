/**
 * One call in a drawer, opened from the call history or a link carrying
 * `?call=<id>` (a ticket's or a CRM's link to the call): who called whom, how it
 * ended, its tags and trunk, and its tree of routing steps with the phones each
 * rang (CallTree).
 */
import { Badge, Drawer, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { CallTree } from './CallTree';
import { ProblemAlert } from './Problem';

export function CallDetails({
  tenantId,
  callId,
  onClose,
}: {
  tenantId: string;
  callId: string | null;
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const call = useQuery({
    queryKey: ['call', tenantId, callId],
    enabled: callId !== null,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calls/{id}', {
          params: { path: { tenantId, id: callId ?? '' } },
        }),
      ),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const c = call.data;
  return (
    <Drawer
      opened={callId !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={t('callDetails.title')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <ProblemAlert error={call.error} />
      {c ? (
        <Stack data-testid="call-details">
          <Table variant="vertical" withTableBorder>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>{t('calls.from')}</Table.Th>
                <Table.Td>
                  {c.caller}{' '}
                  {c.callerName ? (
                    <Text span c="dimmed">
                      {c.callerName}
                    </Text>
                  ) : null}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('calls.to')}</Table.Th>
                <Table.Td>{c.callee}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('calls.started')}</Table.Th>
                <Table.Td>{when.format(new Date(c.startedAt))}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('callDetails.direction')}</Table.Th>
                <Table.Td>
                  {t(`callDetails.directions.${c.direction as 'internal'}`, { defaultValue: c.direction })}
                  {c.trunk ? ` · ${c.trunk}` : ''}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>{t('callDetails.ended')}</Table.Th>
                <Table.Td>
                  {[c.cause, c.sipStatus, c.hangupBy ? t('callDetails.by', { who: c.hangupBy }) : null]
                    .filter((x) => x !== null && x !== '')
                    .join(' · ') || '—'}
                </Table.Td>
              </Table.Tr>
              {c.tags.length > 0 ? (
                <Table.Tr>
                  <Table.Th>{t('callDetails.tags')}</Table.Th>
                  <Table.Td>
                    <Group gap={4}>
                      {c.tags.map((tag) => (
                        <Badge key={tag} variant="light">
                          {tag}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ) : null}
            </Table.Tbody>
          </Table>
          <CallTree call={c} />
        </Stack>
      ) : null}
    </Drawer>
  );
}
