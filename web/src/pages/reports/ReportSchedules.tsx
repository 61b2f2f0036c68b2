/**
 * The Scheduled emails tab of the Reports page: the tenant's report schedules
 * (which report, how often, when in the tenant's zone, to whom, as a workbook or
 * a PDF) with a form to add or change one; the server's objections show at their
 * field.
 */
import {
  Button,
  Card,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';
import { fieldErrorWithin, ProblemAlert } from '../../components/Problem';

type Schedule = ResponseOf<'/api/v1/tenants/{tenantId}/report-schedules', 'get'>['items'][number];
type Draft = BodyOf<'/api/v1/tenants/{tenantId}/report-schedules', 'post'>;

const EMPTY: Draft = {
  name: '',
  report: 'calls',
  frequency: 'daily',
  timeOfDay: '08:00',
  weekday: null,
  dayOfMonth: null,
  recipients: [],
  format: 'xlsx',
  enabled: true,
};

export function ReportSchedules({ tenantId }: { tenantId: string }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<{ id: string | null; draft: Draft; recipients: string } | null>(
    null,
  );
  const list = useQuery({
    queryKey: ['report-schedules', tenantId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/report-schedules', { params: { path: { tenantId } } })),
  });
  const save = useMutation({
    mutationFn: async (e: { id: string | null; draft: Draft }) =>
      e.id
        ? unwrap(
            api.PATCH('/api/v1/tenants/{tenantId}/report-schedules/{id}', {
              params: { path: { tenantId, id: e.id } },
              body: e.draft,
            }),
          )
        : unwrap(
            api.POST('/api/v1/tenants/{tenantId}/report-schedules', {
              params: { path: { tenantId } },
              body: e.draft,
            }),
          ),
    onSuccess: () => {
      setEditing(null);
      void qc.invalidateQueries({ queryKey: ['report-schedules', tenantId] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE('/api/v1/tenants/{tenantId}/report-schedules/{id}', {
          params: { path: { tenantId, id } },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['report-schedules', tenantId] }),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  const weekdayName = (wd: number) =>
    new Intl.DateTimeFormat(i18n.language, { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, 0, wd)),
    );
  const errorAt = (name: string) => fieldErrorWithin(save.error, name);
  const fields = ['name', 'timeOfDay', 'weekday', 'dayOfMonth', 'recipients'];
  const atField = fields.some((f) => errorAt(f) !== undefined);
  const open = (s: Schedule | null) => {
    save.reset();
    setEditing(
      s
        ? {
            id: s.id,
            draft: {
              name: s.name,
              report: s.report,
              frequency: s.frequency,
              timeOfDay: s.timeOfDay,
              weekday: s.weekday,
              dayOfMonth: s.dayOfMonth,
              recipients: s.recipients,
              format: s.format,
              enabled: s.enabled,
            },
            recipients: s.recipients.join(', '),
          }
        : { id: null, draft: EMPTY, recipients: '' },
    );
  };
  const d = editing?.draft;
  const setDraft = (patch: Partial<Draft>) =>
    setEditing((e) => (e ? { ...e, draft: { ...e.draft, ...patch } } : e));
  const items = list.data?.items ?? [];
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('reports.schedules.intro')}
      </Text>
      <Group>
        <Button onClick={() => open(null)}>{t('reports.schedules.add')}</Button>
      </Group>
      <ProblemAlert error={list.error ?? remove.error} />
      {list.data && items.length === 0 ? <Text c="dimmed">{t('reports.schedules.empty')}</Text> : null}
      {items.length > 0 ? (
        <Card withBorder radius="md">
          <Table.ScrollContainer minWidth={800}>
            <Table striped aria-label={t('reports.tabs.schedules')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('reports.schedules.name')}</Table.Th>
                  <Table.Th>{t('reports.schedules.report')}</Table.Th>
                  <Table.Th>{t('reports.schedules.frequency')}</Table.Th>
                  <Table.Th>{t('reports.schedules.recipients')}</Table.Th>
                  <Table.Th>{t('reports.schedules.format')}</Table.Th>
                  <Table.Th>{t('reports.schedules.nextRun')}</Table.Th>
                  <Table.Th>{t('reports.schedules.lastRun')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((s) => (
                  <Table.Tr key={s.id} data-schedule={s.name}>
                    <Table.Th scope="row">{s.name}</Table.Th>
                    <Table.Td>{t(`reports.schedules.reports.${s.report}`)}</Table.Td>
                    <Table.Td>
                      {t(`reports.schedules.frequencies.${s.frequency}`)}
                      {s.frequency === 'weekly' && s.weekday ? `, ${weekdayName(s.weekday)}` : ''}
                      {s.frequency === 'monthly' && s.dayOfMonth ? `, ${s.dayOfMonth}` : ''}, {s.timeOfDay}
                    </Table.Td>
                    <Table.Td>{s.recipients.join(', ')}</Table.Td>
                    <Table.Td>
                      {t(s.format === 'pdf' ? 'reports.schedules.formatPdf' : 'reports.schedules.formatXlsx')}
                    </Table.Td>
                    <Table.Td>{s.enabled ? when.format(new Date(s.nextRunAt)) : '—'}</Table.Td>
                    <Table.Td>
                      {s.lastRunAt ? when.format(new Date(s.lastRunAt)) : '—'}
                      {s.lastError ? (
                        <Text size="xs" c="red">
                          {t('reports.schedules.lastError', { error: s.lastError })}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Button size="xs" variant="default" onClick={() => open(s)}>
                          {t('reports.schedules.edit')}
                        </Button>
                        <Button
                          size="xs"
                          color="red"
                          variant="subtle"
                          onClick={() => {
                            if (window.confirm(t('reports.schedules.confirmDelete', { name: s.name })))
                              remove.mutate(s.id);
                          }}
                        >
                          {t('reports.schedules.delete')}
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      ) : null}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing?.id ? t('reports.schedules.edit') : t('reports.schedules.add')}
      >
        {editing && d ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const recipients = editing.recipients
                .split(/[,;\s]+/)
                .map((r) => r.trim())
                .filter(Boolean);
              save.mutate({ id: editing.id, draft: { ...d, recipients } });
            }}
          >
            <Stack>
              <TextInput
                label={t('reports.schedules.name')}
                value={d.name}
                onChange={(e) => setDraft({ name: e.currentTarget.value })}
                error={errorAt('name')}
                required
              />
              <Select
                label={t('reports.schedules.report')}
                value={d.report}
                onChange={(v) => v && setDraft({ report: v as Draft['report'] })}
                data={(['calls', 'queues', 'trunks'] as const).map((v) => ({
                  value: v,
                  label: t(`reports.schedules.reports.${v}`),
                }))}
                allowDeselect={false}
              />
              <Group grow>
                <Select
                  label={t('reports.schedules.frequency')}
                  value={d.frequency}
                  onChange={(v) =>
                    v &&
                    setDraft({
                      frequency: v as Draft['frequency'],
                      weekday: v === 'weekly' ? (d.weekday ?? 1) : null,
                      dayOfMonth: v === 'monthly' ? (d.dayOfMonth ?? 1) : null,
                    })
                  }
                  data={(['daily', 'weekly', 'monthly'] as const).map((v) => ({
                    value: v,
                    label: t(`reports.schedules.frequencies.${v}`),
                  }))}
                  allowDeselect={false}
                />
                <TextInput
                  type="time"
                  label={t('reports.schedules.timeOfDay')}
                  value={d.timeOfDay}
                  onChange={(e) => setDraft({ timeOfDay: e.currentTarget.value })}
                  error={errorAt('timeOfDay')}
                  required
                />
              </Group>
              {d.frequency === 'weekly' ? (
                <Select
                  label={t('reports.schedules.weekday')}
                  value={String(d.weekday ?? 1)}
                  onChange={(v) => v && setDraft({ weekday: Number(v) })}
                  data={[1, 2, 3, 4, 5, 6, 7].map((wd) => ({ value: String(wd), label: weekdayName(wd) }))}
                  error={errorAt('weekday')}
                  allowDeselect={false}
                />
              ) : null}
              {d.frequency === 'monthly' ? (
                <NumberInput
                  label={t('reports.schedules.dayOfMonth')}
                  value={d.dayOfMonth ?? 1}
                  min={1}
                  max={28}
                  onChange={(v) => setDraft({ dayOfMonth: typeof v === 'number' ? v : 1 })}
                  error={errorAt('dayOfMonth')}
                />
              ) : null}
              <TextInput
                label={t('reports.schedules.recipients')}
                description={t('reports.schedules.recipientsHint')}
                value={editing.recipients}
                onChange={(e) => {
                  const recipients = e.currentTarget.value;
                  setEditing((x) => (x ? { ...x, recipients } : x));
                }}
                error={errorAt('recipients')}
                required
              />
              <Select
                label={t('reports.schedules.format')}
                value={d.format ?? 'xlsx'}
                onChange={(v) => v && setDraft({ format: v as NonNullable<Draft['format']> })}
                data={[
                  { value: 'xlsx', label: t('reports.schedules.formatXlsx') },
                  { value: 'pdf', label: t('reports.schedules.formatPdf') },
                ]}
                allowDeselect={false}
              />
              <Switch
                label={t('reports.schedules.enabled')}
                checked={d.enabled ?? true}
                onChange={(e) => setDraft({ enabled: e.currentTarget.checked })}
              />
              {save.error && !atField ? <ProblemAlert error={save.error} /> : null}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setEditing(null)}>
                  {t('reports.schedules.cancel')}
                </Button>
                <Button type="submit" loading={save.isPending}>
                  {t('reports.schedules.save')}
                </Button>
              </Group>
            </Stack>
          </form>
        ) : null}
      </Modal>
    </Stack>
  );
}
