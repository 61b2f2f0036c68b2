/**
 * The tenant's integrations (docs/integrations.md): ticket systems (a request
 * from a template on a missed call or a new voicemail, with ready-made examples
 * for Jira Service Management, Zendesk, OTRS and Redmine) and CRMs (our webhook
 * contract, Bitrix24, amoCRM: caller lookup, call logging, contact sync). Each
 * shows as a card with an on/off switch; a dialog per kind edits it (the
 * server's objections at their field). Secrets are write-only: the form says
 * which are set and sends only what is typed. "Send a test" sends a sample and
 * opens the delivery log (a drawer: time, event, status, tries, last answer,
 * next try, the request sent on demand, "Send again"); "Test lookup" asks the
 * CRM about a number and shows its answer; "Sync contacts" fills the phonebook.
 */
import {
  Anchor,
  Badge,
  Button,
  Checkbox,
  Code,
  Drawer,
  Group,
  Menu,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { BodyOf, Me, ResponseOf } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager } from '../components/ListPage';
import { fieldError, ProblemAlert } from '../components/Problem';
import { RoutingForm } from '../components/RoutingListPage';
import { RowActions } from '../components/RowActions';

type Integration = ResponseOf<'/api/v1/tenants/{tenantId}/integrations', 'get'>['items'][number];
type IntegrationBody = BodyOf<'/api/v1/tenants/{tenantId}/integrations', 'post'>;
type Kind = Integration['kind'];
type Config = IntegrationBody['config'];
type Method = NonNullable<Config['method']>;
type Delivery = ResponseOf<'/api/v1/tenants/{tenantId}/integrations/{id}/deliveries', 'get'>['items'][number];
type DeliveryStatus = Delivery['status'];
type Templates = ResponseOf<'/api/v1/tenants/{tenantId}/integrations/templates', 'get'>;
type LookupAnswer = ResponseOf<'/api/v1/tenants/{tenantId}/integrations/{id}/lookup', 'post'>;

const KINDS: Kind[] = ['ticket', 'crmWebhook', 'bitrix24', 'amocrm'];
const ADD_LABEL = {
  ticket: 'integrations.addTicket',
  crmWebhook: 'integrations.addCrmWebhook',
  bitrix24: 'integrations.addBitrix24',
  amocrm: 'integrations.addAmocrm',
} as const;
const METHODS: Method[] = ['POST', 'PUT', 'PATCH', 'GET'];
const LOG_PAGE = 25;
const STATUS_COLOR: Record<DeliveryStatus, string> = { pending: 'blue', delivered: 'green', failed: 'red' };
const EVENT_KEYS = ['missedCall', 'voicemail', 'callLog', 'contactSync', 'test'] as const;
/** How often a CRM's contacts are copied into the phonebook, in hours (0: only when asked). */
const SYNC_HOURS = [0, 1, 6, 24] as const;
const FIELDS = [
  'name',
  'config.url',
  'config.callLogUrl',
  'config.bodyTemplate',
  'secrets.webhookUrl',
  'secrets.token',
  'headers',
];

const listKey = (tenantId: string) => ['integrations', tenantId] as const;
const logKey = (tenantId: string, id: string) => ['integrationDeliveries', tenantId, id];

/** "Name: value" lines as a header map (blank lines and lines without a colon are skipped). */
function parseLines(text: string, sep: ':' | '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(sep);
    if (at <= 0) continue;
    const k = line.slice(0, at).trim();
    if (k) out[k] = line.slice(at + 1).trim();
  }
  return out;
}
const toLines = (m: Record<string, string> | undefined, sep: string) =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}${sep} ${v}`)
    .join('\n');

// --- the editor ------------------------------------------------------------------------------

function IntegrationForm({
  tenantId,
  kind,
  item,
  templates,
  onDone,
  onClose,
}: {
  tenantId: string;
  kind: Kind;
  item: Integration | null;
  templates: Templates | undefined;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const c = item?.config ?? {};
  const [name, setName] = useState(item?.name ?? t(`integrations.kind.${kind}`));
  const [enabled, setEnabled] = useState(item?.enabled ?? true);
  const [url, setUrl] = useState(c.url ?? '');
  const [method, setMethod] = useState<Method>(c.method ?? (kind === 'crmWebhook' ? 'GET' : 'POST'));
  const [contentType, setContentType] = useState(c.contentType ?? 'application/json');
  const [bodyTemplate, setBodyTemplate] = useState(c.bodyTemplate ?? '');
  const [headers, setHeaders] = useState(toLines(c.headers, ':'));
  const [secretHeaders, setSecretHeaders] = useState('');
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  const [onMissedCall, setOnMissedCall] = useState(c.onMissedCall ?? true);
  const [onVoicemail, setOnVoicemail] = useState(c.onVoicemail ?? false);
  const [minSeconds, setMinSeconds] = useState<number>(c.minSeconds ?? 5);
  const [lookup, setLookup] = useState(c.lookup ?? true);
  const [timeoutMs, setTimeoutMs] = useState<number>(c.timeoutMs ?? 1000);
  const [cacheTtlSec, setCacheTtlSec] = useState<number>(c.cacheTtlSec ?? 300);
  const [negativeTtlSec, setNegativeTtlSec] = useState<number>(c.negativeTtlSec ?? 60);
  const [logCalls, setLogCalls] = useState(
    // Our contract needs a call log URL first; the native connectors log from the start.
    c.logCalls ?? kind !== 'crmWebhook',
  );
  const [callLogUrl, setCallLogUrl] = useState(c.callLogUrl ?? '');
  const [userMap, setUserMap] = useState(toLines(c.userMap, ' ='));
  const [defaultUserId, setDefaultUserId] = useState(c.defaultUserId ?? '');
  const [createLeads, setCreateLeads] = useState(c.createLeads ?? false);
  const [syncHours, setSyncHours] = useState(String(c.syncContactsHours ?? 0));
  const [webhookUrl, setWebhookUrl] = useState('');
  const [token, setToken] = useState('');

  const pickExample = (id: string | null) => {
    const e = templates?.examples.find((x) => x.id === id);
    if (!e) return;
    setMethod(e.method);
    setUrl(e.url);
    setContentType(e.contentType);
    setHeaders(toLines(e.headers, ':'));
    setSecretHeaders(toLines(e.secretHeaders, ':'));
    setBodyTemplate(e.bodyTemplate);
    if (!item) setName(e.name);
  };

  const body = (): IntegrationBody => {
    const config: Config = {};
    const secretLines = parseLines(secretHeaders, ':');
    const secrets: NonNullable<IntegrationBody['secrets']> = {};
    const secretHeaderPatch: Record<string, string | null> = { ...secretLines };
    for (const n of removed) if (!(n in secretLines)) secretHeaderPatch[n] = null;
    if (Object.keys(secretHeaderPatch).length) secrets.headers = secretHeaderPatch;
    const map = parseLines(userMap, '=');
    if (kind === 'ticket')
      Object.assign(config, {
        onMissedCall,
        onVoicemail,
        minSeconds,
        method,
        url: url.trim(),
        contentType: contentType.trim(),
        bodyTemplate,
        headers: parseLines(headers, ':'),
      });
    else {
      Object.assign(config, { lookup, logCalls, timeoutMs, cacheTtlSec, negativeTtlSec, userMap: map });
      if (kind === 'crmWebhook')
        Object.assign(config, {
          url: url.trim(),
          method,
          callLogUrl: callLogUrl.trim(),
          headers: parseLines(headers, ':'),
        });
      if (kind === 'amocrm') config.url = url.trim();
      if (kind === 'bitrix24') Object.assign(config, { defaultUserId: defaultUserId.trim(), createLeads });
      if (kind === 'bitrix24' || kind === 'amocrm') config.syncContactsHours = Number(syncHours);
    }
    if (webhookUrl.trim()) secrets.webhookUrl = webhookUrl.trim();
    if (token.trim()) secrets.token = token.trim();
    return { kind, name: name.trim(), enabled, config, ...(Object.keys(secrets).length ? { secrets } : {}) };
  };

  const save = useMutation({
    mutationFn: (b: IntegrationBody) => {
      if (!item)
        return unwrap(
          api.POST('/api/v1/tenants/{tenantId}/integrations', { params: { path: { tenantId } }, body: b }),
        );
      const { kind: _kind, ...patch } = b;
      return unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/integrations/{id}', {
          params: { path: { tenantId, id: item.id } },
          body: patch,
        }),
      );
    },
    onSuccess: onDone,
  });
  const err = (field: string) => fieldError(save.error, field);
  const existingSecrets = item?.secretHeaders ?? [];
  const secretHeaderFields = (
    <Stack gap={4}>
      <Textarea
        label={t('integrations.secretHeaders')}
        description={t('integrations.secretHeadersHint')}
        autosize
        minRows={2}
        spellCheck={false}
        ff="monospace"
        value={secretHeaders}
        onChange={(e) => setSecretHeaders(e.currentTarget.value)}
        error={err('headers')}
      />
      {existingSecrets.length ? (
        <Group gap={6}>
          <Text size="sm">{t('integrations.secretSet')}</Text>
          {existingSecrets.map((n) => {
            const gone = removed.has(n);
            return (
              <Button
                key={n}
                size="compact-xs"
                variant={gone ? 'default' : 'light'}
                td={gone ? 'line-through' : undefined}
                aria-pressed={gone}
                aria-label={
                  gone
                    ? t('integrations.restoreSecret', { name: n })
                    : t('integrations.removeSecret', { name: n })
                }
                onClick={() =>
                  setRemoved((old) => {
                    const next = new Set(old);
                    if (!next.delete(n)) next.add(n);
                    return next;
                  })
                }
              >
                {n} {gone ? '↺' : '×'}
              </Button>
            );
          })}
        </Group>
      ) : null}
    </Stack>
  );
  const userMapField = (
    <Textarea
      label={t('integrations.userMap')}
      description={t('integrations.userMapHint')}
      autosize
      minRows={2}
      spellCheck={false}
      ff="monospace"
      value={userMap}
      onChange={(e) => setUserMap(e.currentTarget.value)}
    />
  );
  const syncField = (
    <Select
      label={t('integrations.syncEvery')}
      description={t('integrations.syncEveryHint')}
      data={SYNC_HOURS.map((h) => ({
        value: String(h),
        label: h === 0 ? t('integrations.syncManual') : t(`integrations.syncEach${h}`),
      }))}
      value={syncHours}
      onChange={(v) => setSyncHours(v ?? '0')}
      allowDeselect={false}
      error={err('config.syncContactsHours')}
    />
  );
  const crmCommon = (
    <>
      <Switch
        label={t('integrations.lookup')}
        description={t('integrations.lookupHint')}
        checked={lookup}
        onChange={(e) => setLookup(e.currentTarget.checked)}
      />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <NumberInput
          label={t('integrations.timeoutMs')}
          min={100}
          max={5000}
          step={100}
          value={timeoutMs}
          onChange={(v) => setTimeoutMs(Number(v) || 1000)}
        />
        <NumberInput
          label={t('integrations.cacheTtlSec')}
          min={0}
          max={86400}
          value={cacheTtlSec}
          onChange={(v) => setCacheTtlSec(Number(v) || 0)}
        />
        <NumberInput
          label={t('integrations.negativeTtlSec')}
          min={0}
          max={86400}
          value={negativeTtlSec}
          onChange={(v) => setNegativeTtlSec(Number(v) || 0)}
        />
      </SimpleGrid>
      <Switch
        label={t('integrations.logCalls')}
        description={t('integrations.logCallsHint')}
        checked={logCalls}
        onChange={(e) => setLogCalls(e.currentTarget.checked)}
      />
    </>
  );
  return (
    <RoutingForm editor={{ item, canWrite: true, onClose }} save={save} body={body} fields={FIELDS}>
      <TextInput
        label={t('integrations.name')}
        required
        maxLength={100}
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={err('name')}
        data-autofocus
      />
      <Switch
        label={t('integrations.enabled')}
        checked={enabled}
        onChange={(e) => setEnabled(e.currentTarget.checked)}
      />
      {kind === 'ticket' ? (
        <>
          <Select
            label={t('integrations.example')}
            description={t('integrations.exampleHint')}
            placeholder={t('integrations.examplePick')}
            data={(templates?.examples ?? []).map((e) => ({ value: e.id, label: e.name }))}
            onChange={pickExample}
            clearable
          />
          <Checkbox
            label={t('integrations.onMissedCall')}
            description={t('integrations.onMissedCallHint')}
            checked={onMissedCall}
            onChange={(e) => setOnMissedCall(e.currentTarget.checked)}
          />
          <Checkbox
            label={t('integrations.onVoicemail')}
            checked={onVoicemail}
            onChange={(e) => setOnVoicemail(e.currentTarget.checked)}
          />
          <NumberInput
            label={t('integrations.minSeconds')}
            min={0}
            max={120}
            value={minSeconds}
            onChange={(v) => setMinSeconds(Number(v) || 0)}
          />
          <Group grow align="flex-start">
            <Select
              label={t('integrations.method')}
              data={METHODS}
              value={method}
              onChange={(v) => v && setMethod(v as Method)}
              allowDeselect={false}
              style={{ flexGrow: 0, minWidth: 110 }}
            />
            <TextInput
              label={t('integrations.url')}
              description={t('integrations.ticketUrlHint')}
              required
              type="url"
              spellCheck={false}
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              error={err('config.url')}
            />
          </Group>
          <TextInput
            label={t('integrations.contentType')}
            value={contentType}
            onChange={(e) => setContentType(e.currentTarget.value)}
          />
          <Textarea
            label={t('integrations.headers')}
            description={t('integrations.headersHint')}
            autosize
            minRows={1}
            ff="monospace"
            spellCheck={false}
            value={headers}
            onChange={(e) => setHeaders(e.currentTarget.value)}
          />
          {secretHeaderFields}
          <Textarea
            label={t('integrations.bodyTemplate')}
            description={t('integrations.bodyTemplateHint')}
            autosize
            minRows={6}
            maxRows={20}
            ff="monospace"
            spellCheck={false}
            value={bodyTemplate}
            onChange={(e) => setBodyTemplate(e.currentTarget.value)}
            error={err('config.bodyTemplate')}
          />
          <Paper withBorder p="xs">
            <Text size="sm" fw={500}>
              {t('integrations.placeholders')}
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={4} verticalSpacing={2} mt={4}>
              {Object.entries(templates?.placeholders ?? {}).map(([p, help]) => (
                <Text key={p} size="xs">
                  <Code>{`{{${p}}}`}</Code> {help}
                </Text>
              ))}
            </SimpleGrid>
          </Paper>
        </>
      ) : null}
      {kind === 'crmWebhook' ? (
        <>
          {crmCommon}
          <Group grow align="flex-start">
            <Select
              label={t('integrations.lookupMethod')}
              data={['GET', 'POST']}
              value={method}
              onChange={(v) => v && setMethod(v as Method)}
              allowDeselect={false}
              style={{ flexGrow: 0, minWidth: 110 }}
            />
            <TextInput
              label={t('integrations.lookupUrl')}
              description={t('integrations.lookupUrlHint')}
              type="url"
              spellCheck={false}
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              error={err('config.url')}
            />
          </Group>
          <TextInput
            label={t('integrations.callLogUrl')}
            type="url"
            spellCheck={false}
            value={callLogUrl}
            onChange={(e) => setCallLogUrl(e.currentTarget.value)}
            error={err('config.callLogUrl')}
          />
          <Textarea
            label={t('integrations.headers')}
            description={t('integrations.headersHint')}
            autosize
            minRows={1}
            ff="monospace"
            spellCheck={false}
            value={headers}
            onChange={(e) => setHeaders(e.currentTarget.value)}
          />
          {secretHeaderFields}
          {userMapField}
        </>
      ) : null}
      {kind === 'bitrix24' ? (
        <>
          <TextInput
            label={t('integrations.webhookUrl')}
            description={
              item?.webhookHost
                ? `${t('integrations.webhookUrlHint')}. ${t('integrations.webhookUrlSet', { host: item.webhookHost })}`
                : t('integrations.webhookUrlHint')
            }
            required={!item?.webhookHost}
            type="url"
            autoComplete="off"
            spellCheck={false}
            value={webhookUrl}
            onChange={(e) => setWebhookUrl(e.currentTarget.value)}
            error={err('secrets.webhookUrl')}
          />
          {crmCommon}
          <Checkbox
            label={t('integrations.createLeads')}
            checked={createLeads}
            onChange={(e) => setCreateLeads(e.currentTarget.checked)}
          />
          <TextInput
            label={t('integrations.defaultUserId')}
            description={t('integrations.defaultUserIdHint')}
            value={defaultUserId}
            onChange={(e) => setDefaultUserId(e.currentTarget.value)}
          />
          {userMapField}
          {syncField}
        </>
      ) : null}
      {kind === 'amocrm' ? (
        <>
          <TextInput
            label={t('integrations.amoUrl')}
            description={t('integrations.amoUrlHint')}
            required
            type="url"
            spellCheck={false}
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            error={err('config.url')}
          />
          <TextInput
            label={t('integrations.token')}
            description={
              item?.hasToken
                ? `${t('integrations.tokenHint')}. ${t('integrations.tokenSet')}`
                : t('integrations.tokenHint')
            }
            required={!item?.hasToken}
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            error={err('secrets.token')}
          />
          {crmCommon}
          {userMapField}
          {syncField}
        </>
      ) : null}
    </RoutingForm>
  );
}

// --- test lookup -----------------------------------------------------------------------------

function TestLookup({ tenantId, item }: { tenantId: string; item: Integration }) {
  const { t } = useTranslation();
  const [number, setNumber] = useState('+7');
  const ask = useMutation({
    mutationFn: (n: string) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/integrations/{id}/lookup', {
          params: { path: { tenantId, id: item.id } },
          body: { number: n.replace(/[^+0-9]/g, '') },
        }),
      ),
  });
  const a: LookupAnswer | undefined = ask.data;
  return (
    <Stack>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          ask.mutate(number);
        }}
      >
        <Group align="flex-end">
          <TextInput
            label={t('integrations.number')}
            value={number}
            inputMode="tel"
            onChange={(e) => setNumber(e.currentTarget.value)}
            error={fieldError(ask.error, 'number')}
            data-autofocus
            style={{ flexGrow: 1 }}
          />
          <Button type="submit" loading={ask.isPending}>
            {t('integrations.ask')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={ask.error} fields={['number']} />
      {a ? (
        <Paper withBorder p="sm" role="status" data-testid="lookup-answer" data-found={a.found}>
          {a.error ? (
            <Text c="red">{t('integrations.lookupError', { error: a.error })}</Text>
          ) : a.found ? (
            <Stack gap={4}>
              <Text fw={600}>
                {t('integrations.found')}: {a.name}
              </Text>
              {a.company ? (
                <Text size="sm">
                  {t('integrations.company')}: {a.company}
                </Text>
              ) : null}
              <Text size="sm">
                {t('integrations.owner')}: {a.owner ?? '—'}
                {a.owner
                  ? ` → ${a.ownerExtension ? `${t('integrations.ownerExtension')} ${a.ownerExtension}` : t('integrations.noExtension')}`
                  : ''}
              </Text>
              {a.contactUrl ? (
                <Anchor href={a.contactUrl} target="_blank" rel="noreferrer" size="sm">
                  {t('integrations.contact')}
                </Anchor>
              ) : null}
            </Stack>
          ) : (
            <Text>{t('integrations.notFound')}</Text>
          )}
          <Text size="xs" c="dimmed">
            {t('integrations.took', { ms: a.ms })}
          </Text>
        </Paper>
      ) : null}
    </Stack>
  );
}

// --- the delivery log ------------------------------------------------------------------------

function lastAnswer(d: Delivery): string {
  const parts: string[] = [];
  if (d.lastStatus !== null) parts.push(`HTTP ${d.lastStatus}`);
  if (d.lastError && d.lastError !== `HTTP ${d.lastStatus}`) parts.push(d.lastError);
  return parts.join(' · ') || '—';
}

/** The delivery's event in the user's language (an unknown one as it is). */
function useEventLabel(): (e: string) => string {
  const { t } = useTranslation();
  const labels: Record<(typeof EVENT_KEYS)[number], string> = {
    missedCall: t('integrations.events.missedCall'),
    voicemail: t('integrations.events.voicemail'),
    callLog: t('integrations.events.callLog'),
    contactSync: t('integrations.events.contactSync'),
    test: t('integrations.events.test'),
  };
  return (e) => (e in labels ? labels[e as (typeof EVENT_KEYS)[number]] : e);
}

function DeliveryLog({ tenantId, item }: { tenantId: string; item: Integration }) {
  const { t, i18n } = useTranslation();
  const eventLabel = useEventLabel();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    queryKey: [...logKey(tenantId, item.id), page],
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status === 'pending') ? 2000 : 10_000),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/integrations/{id}/deliveries', {
          params: {
            path: { tenantId, id: item.id },
            query: { limit: LOG_PAGE, offset: (page - 1) * LOG_PAGE, sort: '-createdAt' },
          },
        }),
      ),
  });
  const replay = useMutation({
    mutationFn: (d: Delivery) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/integrations/{id}/deliveries/{deliveryId}/replay', {
          params: { path: { tenantId, id: item.id, deliveryId: d.id } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: logKey(tenantId, item.id) }),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const at = (s: string) => when.format(new Date(s));
  const items = list.data?.items ?? [];
  return (
    <Stack>
      <ProblemAlert error={list.error ?? replay.error} />
      {list.data && items.length === 0 ? <Text c="dimmed">{t('integrations.noDeliveries')}</Text> : null}
      {items.length ? (
        <Table.ScrollContainer minWidth={760}>
          <Table aria-label={t('integrations.log')} verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('integrations.at')}</Table.Th>
                <Table.Th>{t('integrations.event')}</Table.Th>
                <Table.Th>{t('integrations.state')}</Table.Th>
                <Table.Th ta="right">{t('integrations.attempts')}</Table.Th>
                <Table.Th>{t('integrations.answer')}</Table.Th>
                <Table.Th>{t('integrations.nextTry')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('integrations.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((d) => {
                const names = { event: eventLabel(d.eventType), at: at(d.createdAt) };
                return (
                  <Fragment key={d.id}>
                    <Table.Tr data-delivery={d.id} data-status={d.status} data-event={d.eventType}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{at(d.createdAt)}</Table.Td>
                      <Table.Td>{names.event}</Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={STATUS_COLOR[d.status]}>
                          {t(`integrations.status.${d.status}`)}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">{d.attempts}</Table.Td>
                      <Table.Td>
                        <Text size="sm" style={{ wordBreak: 'break-word' }}>
                          {lastAnswer(d)}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        {d.status === 'pending' && d.nextAttemptAt ? at(d.nextAttemptAt) : '—'}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            aria-expanded={open === d.id}
                            aria-label={t('integrations.requestOf', names)}
                            onClick={() => setOpen((o) => (o === d.id ? null : d.id))}
                          >
                            {open === d.id ? '▾' : '▸'} {t('integrations.request')}
                          </Button>
                          <Button
                            size="compact-xs"
                            variant="light"
                            aria-label={t('integrations.replayOf', names)}
                            loading={replay.isPending && replay.variables?.id === d.id}
                            onClick={() => replay.mutate(d)}
                          >
                            {t('integrations.replay')}
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {open === d.id ? (
                      <Table.Tr>
                        <Table.Td colSpan={7}>
                          <Code block style={{ maxHeight: 360, overflow: 'auto' }}>
                            {JSON.stringify(d.lastRequest ?? d.payload, null, 2)}
                            {d.lastResponse ? `\n\n${d.lastResponse}` : ''}
                          </Code>
                        </Table.Td>
                      </Table.Tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={LOG_PAGE} page={page} onChange={setPage} />
    </Stack>
  );
}

// --- one integration -------------------------------------------------------------------------

function IntegrationCard({
  tenantId,
  item,
  onEdit,
  onDelete,
  onLog,
  onLookup,
}: {
  tenantId: string;
  item: Integration;
  onEdit: () => void;
  onDelete: () => void;
  onLog: () => void;
  onLookup: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/integrations/{id}', {
          params: { path: { tenantId, id: item.id } },
          body: { enabled },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: listKey(tenantId) }),
  });
  const test = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/integrations/{id}/test', {
          params: { path: { tenantId, id: item.id } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: logKey(tenantId, item.id) });
      onLog();
    },
  });
  const sync = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/integrations/{id}/sync', {
          params: { path: { tenantId, id: item.id } },
        }),
      ),
  });
  const where =
    item.kind === 'bitrix24' ? item.webhookHost : (item.config.url ?? item.config.callLogUrl ?? '');
  const crm = item.kind !== 'ticket';
  return (
    <Paper withBorder p="md" component="section" aria-label={item.name} data-integration={item.id}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Group gap="xs">
              <Text fw={600}>{item.name}</Text>
              <Badge variant="light">{t(`integrations.kind.${item.kind}`)}</Badge>
            </Group>
            {where ? (
              <Text size="sm" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {where}
              </Text>
            ) : null}
            <Group gap={6}>
              {item.kind === 'ticket' && item.config.onMissedCall ? (
                <Badge size="sm" variant="outline">
                  {t('integrations.events.missedCall')}
                </Badge>
              ) : null}
              {item.kind === 'ticket' && item.config.onVoicemail ? (
                <Badge size="sm" variant="outline">
                  {t('integrations.events.voicemail')}
                </Badge>
              ) : null}
              {crm && item.config.lookup ? (
                <Badge size="sm" variant="outline">
                  {t('integrations.lookup')}
                </Badge>
              ) : null}
              {crm && item.config.logCalls ? (
                <Badge size="sm" variant="outline">
                  {t('integrations.logCalls')}
                </Badge>
              ) : null}
            </Group>
          </Stack>
          <Switch
            label={t('integrations.enabled')}
            aria-label={t('integrations.enabledOf', { name: item.name })}
            checked={toggle.isPending ? toggle.variables : item.enabled}
            disabled={toggle.isPending}
            onChange={(e) => toggle.mutate(e.currentTarget.checked)}
          />
        </Group>
        <ProblemAlert error={toggle.error ?? test.error ?? sync.error} />
        {sync.data ? (
          <Text size="sm" c="green" role="status">
            {t('integrations.synced', sync.data)}
          </Text>
        ) : null}
        <Group justify="space-between" gap="xs">
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              onClick={onLog}
              aria-label={t('integrations.logOf', { name: item.name })}
            >
              {t('integrations.log')}
            </Button>
            {item.kind === 'crmWebhook' && !item.config.callLogUrl ? null : (
              <Button
                size="xs"
                variant="default"
                loading={test.isPending}
                aria-label={t('integrations.testOf', { name: item.name })}
                onClick={() => test.mutate()}
              >
                {t('integrations.test')}
              </Button>
            )}
            {crm ? (
              <Button
                size="xs"
                variant="default"
                onClick={onLookup}
                aria-label={t('integrations.testLookupOf', { name: item.name })}
              >
                {t('integrations.testLookup')}
              </Button>
            ) : null}
            {item.kind === 'bitrix24' || item.kind === 'amocrm' ? (
              <Button
                size="xs"
                variant="default"
                loading={sync.isPending}
                onClick={() => sync.mutate()}
                aria-label={t('integrations.syncOf', { name: item.name })}
              >
                {t('integrations.sync')}
              </Button>
            ) : null}
          </Group>
          <RowActions name={item.name} canWrite onEdit={onEdit} onDelete={onDelete} />
        </Group>
      </Stack>
    </Paper>
  );
}

// --- the page --------------------------------------------------------------------------------

export default function Integrations({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const [editing, setEditing] = useState<{ kind: Kind; item: Integration | null } | null>(null);
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [logOf, setLogOf] = useState<string | null>(null);
  const [lookupOf, setLookupOf] = useState<Integration | null>(null);
  const list = useQuery({
    queryKey: listKey(tenantId),
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/integrations', { params: { path: { tenantId } } })),
  });
  const templates = useQuery({
    queryKey: ['integrationTemplates', tenantId],
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/integrations/templates', { params: { path: { tenantId } } }),
      ),
  });
  const changed = () => client.invalidateQueries({ queryKey: listKey(tenantId) });
  const close = () => setEditing(null);
  const logged = list.data?.items.find((i) => i.id === logOf) ?? null;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('integrations.title')}</Title>
        <Menu position="bottom-end">
          <Menu.Target>
            <Button>{t('integrations.add')}</Button>
          </Menu.Target>
          <Menu.Dropdown>
            {KINDS.map((k) => (
              <Menu.Item key={k} onClick={() => setEditing({ kind: k, item: null })}>
                {t(ADD_LABEL[k])}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      </Group>
      <Text size="sm" c="dimmed">
        {t('integrations.intro')}
      </Text>
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('integrations.empty')}</Text> : null}
      {list.data?.items.map((i) => (
        <IntegrationCard
          key={i.id}
          tenantId={tenantId}
          item={i}
          onEdit={() => setEditing({ kind: i.kind, item: i })}
          onDelete={() => setDeleting(i)}
          onLog={() => setLogOf(i.id)}
          onLookup={() => setLookupOf(i)}
        />
      ))}
      <Dialog
        opened={editing !== null}
        onClose={close}
        size="xl"
        title={
          editing?.item
            ? t('integrations.editTitle', { name: editing.item.name })
            : editing
              ? t(ADD_LABEL[editing.kind])
              : ''
        }
      >
        {editing ? (
          <IntegrationForm
            tenantId={tenantId}
            kind={editing.kind}
            item={editing.item}
            templates={templates.data}
            onClose={close}
            onDone={() => {
              close();
              void changed();
            }}
          />
        ) : null}
      </Dialog>
      <Dialog
        opened={lookupOf !== null}
        onClose={() => setLookupOf(null)}
        title={lookupOf ? t('integrations.testLookupTitle', { name: lookupOf.name }) : ''}
      >
        {lookupOf ? <TestLookup tenantId={tenantId} item={lookupOf} /> : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: deleting.name } : null}
        text={t('integrations.deleteConfirm')}
        onClose={() => setDeleting(null)}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/integrations/{id}', {
              params: { path: { tenantId, id } },
            }),
          )
        }
        onDeleted={() => {
          if (deleting?.id === logOf) setLogOf(null);
          setDeleting(null);
          void changed();
        }}
      />
      <Drawer
        opened={logged !== null}
        onClose={() => setLogOf(null)}
        position="right"
        size={960}
        title={logged ? t('integrations.logTitle', { name: logged.name }) : ''}
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        {logged ? <DeliveryLog tenantId={tenantId} item={logged} /> : null}
      </Drawer>
    </Stack>
  );
}
