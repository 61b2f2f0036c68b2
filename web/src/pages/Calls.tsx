/**
 * Call history: the tenant's calls for admins and supervisors, a user's own
 * extensions' calls for a user (the server filters), newest first, searchable;
 * an external call priced by the operator's rate deck shows what it cost.
 * Someone who owns an extension calls the other party back from a row
 * (click-to-call: their phone rings, then the number is called); with several
 * extensions they pick which one rings. The server's refusal (no registered
 * phone, a number the extension may not call) shows as a notification.
 * A call with a recording links to it on the recordings page: the recordings of
 * the page's time span are fetched in one request, not one per call.
 */
import {
  Anchor,
  Badge,
  Button,
  Group,
  Menu,
  Notification,
  Portal,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { CallRecord, Extension, Me } from '../api/types';
import { CallDetails } from '../components/CallDetails';
import { CallFilters, useCallSearch } from '../components/CallFilters';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { ProblemAlert } from '../components/Problem';
import { formatMoney } from '../money';

const PAGE = 25;

function duration(c: CallRecord): string {
  if (!c.answeredAt || !c.endedAt) return '—';
  const s = Math.max(0, Math.round((Date.parse(c.endedAt) - Date.parse(c.answeredAt)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const RESULT_COLOR: Record<string, string> = { answered: 'green', ringing: 'blue', interrupted: 'red' };

/** A number click-to-call may dial (the API's pattern, without feature codes). */
const DIALLABLE = /^\+?[0-9]{2,20}$/;

/**
 * Whom "Call back" calls: the party that is not one of `mine` (for a call between
 * two others, the one who called); null for a call between one's own extensions
 * or a party with no number (anonymous).
 */
export function otherParty(
  c: Pick<CallRecord, 'caller' | 'callee'>,
  mine: ReadonlySet<string>,
): string | null {
  const callerMine = mine.has(c.caller);
  const to = !callerMine ? c.caller : mine.has(c.callee) ? null : c.callee;
  return to !== null && DIALLABLE.test(to) ? to : null;
}

/** Clocks of the call log and the recorder may differ a little. */
const SLACK_MS = 5_000;

/**
 * The ids of the calls among `calls` that have a recording the signed-in person
 * may hear: one request for the span from the first answer to the last end (a
 * recording starts at the answer or later), not one per call.
 */
function useRecordedCalls(tenantId: string, calls: readonly CallRecord[] | undefined): ReadonlySet<string> {
  const answered = (calls ?? []).filter((c) => c.answeredAt !== null);
  let from: string | null = null;
  let to: string | null = null;
  if (answered.length > 0) {
    from = new Date(Math.min(...answered.map((c) => Date.parse(c.answeredAt!))) - SLACK_MS).toISOString();
    // A call still going on may still start one: no upper bound then.
    if (answered.every((c) => c.endedAt !== null))
      to = new Date(Math.max(...answered.map((c) => Date.parse(c.endedAt!))) + SLACK_MS).toISOString();
  }
  const recordings = useQuery({
    queryKey: ['recordings', tenantId, 'calls', from, to],
    enabled: from !== null,
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/recordings', {
          params: {
            path: { tenantId },
            // The span of one page of calls seldom holds more (a search can spread a page over a longer time).
            query: { from: from!, ...(to ? { to } : {}), limit: 200 },
          },
        }),
      ),
  });
  return new Set((recordings.data?.items ?? []).filter((r) => r.status === 'stored').map((r) => r.callId));
}

/** The signed-in person's own extensions (none for an API key or an operator). */
function useMyExtensions(me: Me) {
  const tenantId = me.tenantId;
  const userId = me.kind === 'user' ? (me.user?.id ?? null) : null;
  return useQuery({
    queryKey: ['extensions', tenantId, 'mine', userId],
    enabled: !!tenantId && !!userId,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId: tenantId! }, query: { userId: userId!, limit: 200, sort: 'number' } },
        }),
      ),
  });
}

interface Notice {
  key: number;
  ok: boolean;
  from: string;
  to: string;
  text: string;
}
let nextNotice = 1;

/** "Call back": one extension calls at once; several open a menu of which one rings. */
function CallBack({
  to,
  from,
  busy,
  onCall,
}: {
  to: string;
  from: readonly Extension[];
  busy: boolean;
  onCall: (from: string) => void;
}) {
  const { t } = useTranslation();
  const label = t('clickToCall.callBackNamed', { number: to });
  const only = from.length === 1 ? from[0]! : null;
  if (only)
    return (
      <Button
        size="compact-xs"
        variant="light"
        aria-label={label}
        loading={busy}
        onClick={() => onCall(only.number)}
      >
        {t('clickToCall.callBack')}
      </Button>
    );
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button size="compact-xs" variant="light" aria-label={label} loading={busy}>
          {t('clickToCall.callBack')} ▾
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('clickToCall.fromLabel')}</Menu.Label>
        {from.map((e) => (
          <Menu.Item key={e.id} onClick={() => onCall(e.number)}>
            {t('clickToCall.fromExtension', { number: e.number })}
            {e.displayName ? (
              <Text span c="dimmed" size="sm">
                {' '}
                {e.displayName}
              </Text>
            ) : null}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

function CallBackCell({
  to,
  pending,
  onCall,
  ...rest
}: {
  to: string | null;
  from: readonly Extension[];
  /** The number being asked for now, if any. */
  pending: string | null;
  onCall: (from: string, to: string) => void;
}) {
  if (to === null) return null;
  return <CallBack to={to} busy={pending === to} onCall={(from) => onCall(from, to)} {...rest} />;
}

/** The outcome of each call-back, in the corner: what happens now, or why the server refused. */
function Notices({ notices, onClose }: { notices: Notice[]; onClose: (key: number) => void }) {
  const { t } = useTranslation();
  if (notices.length === 0) return null;
  return (
    <Portal>
      <Stack
        gap="xs"
        role="region"
        aria-label={t('clickToCall.region')}
        style={{
          position: 'fixed',
          bottom: 16,
          right: 16,
          zIndex: 400,
          width: 'min(380px, calc(100vw - 32px))',
        }}
      >
        {notices.map((n) => (
          <Notification
            key={n.key}
            color={n.ok ? 'green' : 'red'}
            role={n.ok ? 'status' : 'alert'}
            title={n.ok ? t('clickToCall.calling') : t('clickToCall.refused', { to: n.to })}
            withBorder
            onClose={() => onClose(n.key)}
            closeButtonProps={{ 'aria-label': t('common.close') }}
          >
            {n.text}
          </Notification>
        ))}
      </Stack>
    </Portal>
  );
}

export default function Calls({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const tenantId = me.tenantId!;
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const mine = useMyExtensions(me).data?.items ?? [];
  const myNumbers = new Set(mine.map((e) => e.number));
  const [notices, setNotices] = useState<Notice[]>([]);
  const dismiss = (key: number) => setNotices((old) => old.filter((n) => n.key !== key));
  const notify = (n: Omit<Notice, 'key'>) =>
    setNotices((old) => [...old.slice(-4), { key: nextNotice++, ...n }]);
  // What is under way is said for a while; a refusal stays until closed.
  useEffect(() => {
    const ok = notices.filter((n) => n.ok);
    if (ok.length === 0) return;
    const timer = setTimeout(() => setNotices((old) => old.filter((n) => !ok.includes(n))), 8000);
    return () => clearTimeout(timer);
  }, [notices]);
  const call = useMutation({
    mutationFn: (body: { from: string; to: string }) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/calls/click-to-call', { params: { path: { tenantId } }, body }),
      ),
    onSuccess: (_, body) => notify({ ok: true, ...body, text: t('clickToCall.callingText', body) }),
    onError: (err, body) => notify({ ok: false, ...body, text: err.message }),
  });
  // The CDR search lives in the URL: a report's drill-down link opens the list filtered.
  const callSearch = useCallSearch();
  const filters = callSearch.search;
  const list = useQuery({
    queryKey: ['calls', tenantId, search, page, filters],
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calls', {
          params: {
            path: { tenantId },
            query: { ...paging.query, ...filters },
          },
        }),
      ),
  });
  const recorded = useRecordedCalls(tenantId, list.data?.items);
  // One call's details open in a drawer; `?call=<id>` (a ticket's or CRM's link) opens it too.
  const [params, setParams] = useSearchParams();
  const openedCall = params.get('call');
  const openCall = (id: string | null) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (id) next.set('call', id);
        else next.delete('call');
        return next;
      },
      { replace: true },
    );
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  // Answered calls say so; others say why they ended (a cause unknown to the portal shows as sent).
  const resultOf = (c: CallRecord): string => {
    const key = c.answeredAt
      ? 'answered'
      : c.status === 'ringing' || c.status === 'interrupted'
        ? c.status
        : c.cause;
    return key ? t(`callResult.${key}` as 'callResult.answered', { defaultValue: key }) : c.status;
  };
  return (
    <Stack>
      <Title order={2}>{t('calls.title')}</Title>
      <Group align="flex-end" justify="space-between">
        <SearchField {...paging.searchField} />
        {/* Every call the search matches (not only this page), streamed by the server as CSV. */}
        <Group gap="xs">
          {(['csv', 'xlsx'] as const).map((format) => (
            <Button
              key={format}
              component="a"
              variant="default"
              href={`/api/v1/tenants/${tenantId}/calls/export.${format}?${new URLSearchParams(
                Object.entries({ ...(search ? { q: search } : {}), ...filters }).map(([k, v]) => [
                  k,
                  String(v),
                ]),
              ).toString()}`}
              download
            >
              {t(format === 'csv' ? 'calls.exportCsv' : 'calls.exportXlsx')}
            </Button>
          ))}
        </Group>
      </Group>
      <CallFilters state={callSearch} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('calls.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={720}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('calls.started')}</Table.Th>
                <Table.Th>{t('calls.from')}</Table.Th>
                <Table.Th>{t('calls.to')}</Table.Th>
                <Table.Th>{t('calls.duration')}</Table.Th>
                <Table.Th>{t('calls.result')}</Table.Th>
                <Table.Th>{t('calls.quality')}</Table.Th>
                <Table.Th ta="right">{t('calls.cost')}</Table.Th>
                {mine.length > 0 ? (
                  <Table.Th>
                    <VisuallyHidden>{t('clickToCall.callBack')}</VisuallyHidden>
                  </Table.Th>
                ) : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((c) => (
                <Table.Tr key={c.id} data-caller={c.caller} data-callee={c.callee}>
                  <Table.Td>
                    <Anchor
                      component="button"
                      type="button"
                      onClick={() => openCall(c.id)}
                      aria-label={t('callDetails.open', { time: when.format(new Date(c.startedAt)) })}
                      data-testid="call-open"
                    >
                      {when.format(new Date(c.startedAt))}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {c.caller}
                    {c.callerName ? (
                      <Text span c="dimmed" size="sm">
                        {' '}
                        {c.callerName}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{c.callee}</Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      {duration(c)}
                      {recorded.has(c.id) ? (
                        <Button
                          size="compact-xs"
                          variant="light"
                          component={Link}
                          to={`/recordings?callId=${c.id}`}
                          aria-label={t('recordings.callLinkOf')}
                          data-testid="call-recording"
                        >
                          ▶ {t('recordings.callLink')}
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={RESULT_COLOR[c.status] ?? 'gray'}>
                      {resultOf(c)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{c.mos !== null ? c.mos.toFixed(1) : '—'}</Table.Td>
                  <Table.Td ta="right" data-testid="call-cost" style={{ fontVariantNumeric: 'tabular-nums' }}>
                    {c.cost !== null ? formatMoney(c.cost, i18n.language) : '—'}
                  </Table.Td>
                  {mine.length > 0 ? (
                    <Table.Td>
                      <CallBackCell
                        to={otherParty(c, myNumbers)}
                        from={mine}
                        pending={call.isPending ? (call.variables?.to ?? null) : null}
                        onCall={(from, to) => call.mutate({ from, to })}
                      />
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Notices notices={notices} onClose={dismiss} />
      <CallDetails tenantId={tenantId} callId={openedCall} onClose={() => openCall(null)} />
    </Stack>
  );
}
