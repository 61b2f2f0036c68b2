/**
 * The tenant's webhooks: endpoints of the tenant's own systems that get the PBX
 * events they ask for as signed JSON POSTs (docs/webhooks.md). Each one shows its
 * URL, events, description and an on/off switch; a dialog creates or changes one
 * (the event types with a line on each; the server's objections — a bad URL, a
 * private address, no events — at their field); deleting asks first. The signing
 * secret is masked until shown, can be copied, and rotated after a question; how
 * a receiver checks the signature is said once above the list. "Send a test" sends
 * a ping and opens the delivery log: a drawer with each delivery's time, event,
 * status, tries, last answer and next try, filtered by status, its body on demand
 * and a button to send it again; refreshed every 10 s while open (every second
 * while a delivery is being sent).
 */
import {
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Drawer,
  Group,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, unwrap } from '../api/client';
import type { DeliveryStatus, Me, Webhook, WebhookBody, WebhookDelivery, WebhookEvent } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager } from '../components/ListPage';
import { fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';
import { RoutingForm } from '../components/RoutingListPage';
import { RowActions } from '../components/RowActions';

const LOG_PAGE = 25;
const FIELDS = ['url', 'events', 'events.*', 'description', 'enabled'];

/**
 * The event types a webhook may ask for, in the order the form shows them. Written
 * as a record of the API's enum, so a type added to (or dropped from) the API
 * fails the type check until it is here and has its line in the texts.
 */
const EVENT_KEYS: Record<WebhookEvent, true> = {
  'call.started': true,
  'call.answered': true,
  'call.ended': true,
  'call.tagged': true,
  registration: true,
  'voicemail.new': true,
  'fraud.blocked': true,
  'limit.warning': true,
  'limit.reached': true,
  'queue.updated': true,
  'queue.join': true,
  'queue.leave': true,
  'queue.abandon': true,
  'agent.state': true,
};
const WEBHOOK_EVENTS = Object.keys(EVENT_KEYS) as WebhookEvent[];

/** The event's line of help: its key with the dot made an underscore (i18next reads dots as nesting). */
type HelpKey = `webhooks.eventHelp.${'call_started'}`;
const helpKey = (e: WebhookEvent) => `webhooks.eventHelp.${e.replace('.', '_')}` as HelpKey;

const webhooksKey = (tenantId: string) => ['webhooks', tenantId] as const;
const deliveriesKey = (tenantId: string, webhookId: string) => ['webhookDeliveries', tenantId, webhookId];

const STATUS_COLOR: Record<DeliveryStatus, string> = { pending: 'blue', delivered: 'green', failed: 'red' };

/** The secret as shown before "Show": its constant prefix, the rest dots. */
function masked(secret: string): string {
  const prefix = /^[a-z]+_/.exec(secret)?.[0] ?? '';
  return `${prefix}${'•'.repeat(24)}`;
}

// --- the editor ------------------------------------------------------------------------------

function WebhookForm({
  tenantId,
  webhook,
  onDone,
  onClose,
}: {
  tenantId: string;
  webhook: Webhook | null;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [url, setUrl] = useState(webhook?.url ?? 'https://');
  const [events, setEvents] = useState<WebhookEvent[]>(
    webhook ? WEBHOOK_EVENTS.filter((e) => webhook.events.includes(e)) : [],
  );
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [enabled, setEnabled] = useState(webhook?.enabled ?? true);
  const save = useMutation({
    mutationFn: (body: WebhookBody) => {
      // Said at the field in the user's language; the server would refuse it too.
      if (body.events.length === 0)
        throw new ApiProblem({
          title: t('webhooks.eventsRequired'),
          status: 400,
          code: 'VALIDATION_FAILED',
          field: 'events',
        });
      return webhook
        ? unwrap(
            api.PATCH('/api/v1/tenants/{tenantId}/webhooks/{id}', {
              params: { path: { tenantId, id: webhook.id } },
              body,
            }),
          )
        : unwrap(api.POST('/api/v1/tenants/{tenantId}/webhooks', { params: { path: { tenantId } }, body }));
    },
    onSuccess: onDone,
  });
  const err = (field: string) => fieldError(save.error, field);
  return (
    <RoutingForm
      editor={{ item: webhook, canWrite: true, onClose }}
      save={save}
      body={(): WebhookBody => ({
        url: url.trim(),
        // In the form's order, whatever order they were ticked in.
        events: WEBHOOK_EVENTS.filter((e) => events.includes(e)),
        description: description.trim(),
        enabled,
      })}
      fields={FIELDS}
    >
      <TextInput
        label={t('webhooks.url')}
        description={t('webhooks.urlHint')}
        required
        type="url"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        maxLength={2000}
        value={url}
        onChange={(e) => setUrl(e.currentTarget.value)}
        error={err('url')}
        data-autofocus
      />
      <Checkbox.Group
        label={t('webhooks.events')}
        description={
          <Group gap="xs" component="span">
            <span>
              {t('webhooks.eventsHint')} ·{' '}
              {t('webhooks.eventsChosen', { count: events.length, total: WEBHOOK_EVENTS.length })}
            </span>
            <Button size="compact-xs" variant="subtle" onClick={() => setEvents([...WEBHOOK_EVENTS])}>
              {t('webhooks.allEvents')}
            </Button>
            <Button size="compact-xs" variant="subtle" onClick={() => setEvents([])}>
              {t('webhooks.noEvents')}
            </Button>
          </Group>
        }
        required
        value={events}
        onChange={(v) => setEvents(v as WebhookEvent[])}
        error={fieldErrorWithin(save.error, 'events')}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing="xs" mt="xs">
          {WEBHOOK_EVENTS.map((e) => (
            <Checkbox key={e} value={e} label={<Code>{e}</Code>} aria-label={e} description={t(helpKey(e))} />
          ))}
        </SimpleGrid>
      </Checkbox.Group>
      <TextInput
        label={t('webhooks.description')}
        description={t('webhooks.descriptionHint')}
        maxLength={200}
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        error={err('description')}
      />
      <Switch
        label={t('webhooks.enabled')}
        description={t('webhooks.enabledHint')}
        checked={enabled}
        onChange={(e) => setEnabled(e.currentTarget.checked)}
        error={err('enabled')}
      />
    </RoutingForm>
  );
}

// --- one webhook -----------------------------------------------------------------------------

/** The signing secret, masked until "Show" (shown at once when it has just been made). */
function Secret({ webhook, fresh }: { webhook: Webhook; fresh: boolean }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(fresh);
  return (
    <Group gap="xs" wrap="wrap" align="center">
      <Text size="sm" fw={500}>
        {t('webhooks.secret')}
      </Text>
      <Code data-testid="webhook-secret" data-shown={shown} style={{ wordBreak: 'break-all' }}>
        {shown ? webhook.secret : masked(webhook.secret)}
      </Code>
      {shown ? null : <VisuallyHidden>{t('webhooks.secretHidden')}</VisuallyHidden>}
      <Button
        size="compact-xs"
        variant="light"
        aria-pressed={shown}
        aria-label={
          shown ? t('webhooks.hideOf', { url: webhook.url }) : t('webhooks.revealOf', { url: webhook.url })
        }
        onClick={() => setShown((s) => !s)}
      >
        {shown ? t('webhooks.hide') : t('webhooks.reveal')}
      </Button>
      <CopyButton value={webhook.secret}>
        {({ copied, copy }) => (
          <Button
            size="compact-xs"
            variant="light"
            color={copied ? 'teal' : undefined}
            aria-label={t('webhooks.copyOf', { url: webhook.url })}
            onClick={copy}
          >
            {copied ? t('webhooks.copied') : t('webhooks.copy')}
          </Button>
        )}
      </CopyButton>
      {fresh ? (
        <Text size="sm" c="orange" role="status" w="100%">
          {t('webhooks.rotated')}
        </Text>
      ) : null}
    </Group>
  );
}

function useSendTest(tenantId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/webhooks/{id}/test', { params: { path: { tenantId, id } } }),
      ),
    onSuccess: (_, id) => {
      void client.invalidateQueries({ queryKey: deliveriesKey(tenantId, id) });
    },
  });
}

function WebhookCard({
  tenantId,
  webhook,
  rotated,
  onEdit,
  onDelete,
  onRotate,
  onLog,
}: {
  tenantId: string;
  webhook: Webhook;
  /** Its secret has just been rotated here: shown, with a word about it. */
  rotated: boolean;
  onEdit: () => void;
  onDelete: () => void;
  onRotate: () => void;
  onLog: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/webhooks/{id}', {
          params: { path: { tenantId, id: webhook.id } },
          body: { enabled },
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData<{ items: Webhook[] }>(webhooksKey(tenantId), (old) =>
        old ? { items: old.items.map((w) => (w.id === saved.id ? saved : w)) } : old,
      );
    },
  });
  const test = useSendTest(tenantId);
  return (
    <Paper withBorder p="md" component="section" aria-label={webhook.url} data-webhook={webhook.id}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Text fw={600} ff="monospace" style={{ wordBreak: 'break-all' }} data-testid="webhook-url">
              {webhook.url}
            </Text>
            {webhook.description ? (
              <Text size="sm" c="dimmed" data-testid="webhook-description">
                {webhook.description}
              </Text>
            ) : null}
          </Stack>
          <Switch
            label={t('webhooks.enabled')}
            aria-label={t('webhooks.enabledOf', { url: webhook.url })}
            checked={toggle.isPending ? toggle.variables : webhook.enabled}
            disabled={toggle.isPending}
            onChange={(e) => toggle.mutate(e.currentTarget.checked)}
          />
        </Group>
        <Group gap={6} aria-label={t('webhooks.events')} role="list">
          {webhook.events.map((e) => (
            <Badge key={e} variant="light" tt="none" role="listitem" data-event={e}>
              {e}
            </Badge>
          ))}
        </Group>
        <Secret key={webhook.secret} webhook={webhook} fresh={rotated} />
        <ProblemAlert error={toggle.error ?? test.error} />
        <Group justify="space-between" gap="xs">
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              onClick={onLog}
              aria-label={t('webhooks.logOf', { url: webhook.url })}
            >
              {t('webhooks.log')}
            </Button>
            <Button
              size="xs"
              variant="default"
              loading={test.isPending}
              aria-label={t('webhooks.testOf', { url: webhook.url })}
              onClick={() => test.mutate(webhook.id, { onSuccess: onLog })}
            >
              {t('webhooks.test')}
            </Button>
            <Button size="xs" variant="default" onClick={onRotate}>
              {t('webhooks.rotate')}
            </Button>
          </Group>
          <RowActions name={webhook.url} canWrite onEdit={onEdit} onDelete={onDelete} />
        </Group>
      </Stack>
    </Paper>
  );
}

// --- the delivery log ------------------------------------------------------------------------

/** "HTTP 500 · timed out": the last try's status and error, each when there is one. */
function lastAnswer(d: WebhookDelivery): string {
  const parts: string[] = [];
  if (d.lastStatus !== null) parts.push(`HTTP ${d.lastStatus}`);
  if (d.lastError && d.lastError !== `HTTP ${d.lastStatus}`) parts.push(d.lastError);
  return parts.join(' · ') || '—';
}

/** A delivery is being sent now (due, and not long ago): the log looks again in a second. */
function beingSent(d: WebhookDelivery, now: number): boolean {
  if (d.status !== 'pending' || !d.nextAttemptAt) return false;
  const due = Date.parse(d.nextAttemptAt);
  return due <= now + 1000 && now - due < 30_000;
}

function DeliveryLog({ tenantId, webhook }: { tenantId: string; webhook: Webhook }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [status, setStatus] = useState<DeliveryStatus | 'all'>('all');
  const [page, setPage] = useState(1);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const list = useQuery({
    queryKey: [...deliveriesKey(tenantId, webhook.id), status, page],
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((d) => beingSent(d, Date.now())) ? 1000 : 10_000),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/webhooks/{id}/deliveries', {
          params: {
            path: { tenantId, id: webhook.id },
            query: {
              limit: LOG_PAGE,
              offset: (page - 1) * LOG_PAGE,
              sort: '-createdAt',
              ...(status === 'all' ? {} : { status }),
            },
          },
        }),
      ),
  });
  const refresh = () => client.invalidateQueries({ queryKey: deliveriesKey(tenantId, webhook.id) });
  const replay = useMutation({
    mutationFn: (d: WebhookDelivery) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/webhooks/{id}/deliveries/{deliveryId}/replay', {
          params: { path: { tenantId, id: webhook.id, deliveryId: d.id } },
        }),
      ),
    onSuccess: refresh,
  });
  const test = useSendTest(tenantId);
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const at = (s: string) => when.format(new Date(s));
  const toggle = (id: string) =>
    setExpanded((old) => {
      const next = new Set(old);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const items = list.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Text size="sm" fw={500} id="delivery-filter">
            {t('webhooks.filter')}
          </Text>
          <SegmentedControl
            aria-labelledby="delivery-filter"
            value={status}
            onChange={(v) => {
              setStatus(v as DeliveryStatus | 'all');
              setPage(1);
            }}
            data={[
              { value: 'all', label: t('webhooks.statusAll') },
              ...(['pending', 'delivered', 'failed'] as const).map((s) => ({
                value: s,
                label: t(`webhooks.status.${s}`),
              })),
            ]}
          />
        </Stack>
        <Button
          variant="default"
          loading={test.isPending}
          onClick={() => test.mutate(webhook.id)}
          aria-label={t('webhooks.testOf', { url: webhook.url })}
        >
          {t('webhooks.test')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('webhooks.logLive')}
      </Text>
      <ProblemAlert error={list.error ?? replay.error ?? test.error} />
      {list.data && items.length === 0 ? (
        <Text c="dimmed">
          {status === 'all' ? t('webhooks.noDeliveries') : t('webhooks.noDeliveriesFilter')}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={760}>
          <Table aria-label={t('webhooks.log')} verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('webhooks.at')}</Table.Th>
                <Table.Th>{t('webhooks.event')}</Table.Th>
                <Table.Th>{t('webhooks.state')}</Table.Th>
                <Table.Th ta="right">{t('webhooks.attempts')}</Table.Th>
                <Table.Th>{t('webhooks.answer')}</Table.Th>
                <Table.Th>{t('webhooks.nextTry')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('webhooks.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((d) => {
                const open = expanded.has(d.id);
                const names = { event: d.eventType, at: at(d.createdAt) };
                return (
                  <Fragment key={d.id}>
                    <Table.Tr data-delivery={d.id} data-status={d.status} data-event={d.eventType}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{at(d.createdAt)}</Table.Td>
                      <Table.Td>
                        <Code>{d.eventType}</Code>
                      </Table.Td>
                      <Table.Td>
                        <Badge
                          variant="light"
                          color={STATUS_COLOR[d.status]}
                          data-testid="delivery-status"
                          style={{ minWidth: 'max-content' }}
                        >
                          {t(`webhooks.status.${d.status}`)}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right" data-testid="delivery-attempts">
                        {d.attempts}
                      </Table.Td>
                      <Table.Td data-testid="delivery-answer">
                        <Text size="sm" style={{ wordBreak: 'break-word' }}>
                          {lastAnswer(d)}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }} data-testid="delivery-next">
                        {d.status === 'pending' && d.nextAttemptAt ? at(d.nextAttemptAt) : '—'}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end">
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            aria-expanded={open}
                            aria-controls={`delivery-body-${d.id}`}
                            aria-label={t('webhooks.bodyOf', names)}
                            onClick={() => toggle(d.id)}
                          >
                            {open ? '▾' : '▸'} {t('webhooks.body')}
                          </Button>
                          <Button
                            size="compact-xs"
                            variant="light"
                            aria-label={t('webhooks.replayOf', names)}
                            loading={replay.isPending && replay.variables?.id === d.id}
                            onClick={() => replay.mutate(d)}
                          >
                            {t('webhooks.replay')}
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {open ? (
                      <Table.Tr id={`delivery-body-${d.id}`}>
                        <Table.Td colSpan={7}>
                          <Code
                            block
                            data-testid="delivery-body"
                            style={{ maxHeight: 360, overflow: 'auto' }}
                          >
                            {JSON.stringify(d.payload, null, 2)}
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

// --- the page --------------------------------------------------------------------------------

export default function Webhooks({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [rotating, setRotating] = useState<Webhook | null>(null);
  const [logOf, setLogOf] = useState<string | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const list = useQuery({
    queryKey: webhooksKey(tenantId),
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/webhooks', { params: { path: { tenantId } } })),
  });
  const changed = () => client.invalidateQueries({ queryKey: webhooksKey(tenantId) });
  const rotate = useMutation({
    mutationFn: (w: Webhook) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/webhooks/{id}/rotate-secret', {
          params: { path: { tenantId, id: w.id } },
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData<{ items: Webhook[] }>(webhooksKey(tenantId), (old) =>
        old ? { items: old.items.map((w) => (w.id === saved.id ? saved : w)) } : old,
      );
      setRotated(saved.id);
      setRotating(null);
    },
  });
  const closeRotate = () => {
    rotate.reset();
    setRotating(null);
  };
  const close = () => setEditing(null);
  const logged = list.data?.items.find((w) => w.id === logOf) ?? null;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('webhooks.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('webhooks.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('webhooks.intro')}
      </Text>
      <Paper
        withBorder
        p="sm"
        component="section"
        aria-labelledby="webhooks-verify"
        bg="var(--mantine-color-default-hover)"
      >
        <Stack gap={6}>
          <Text fw={600} size="sm" id="webhooks-verify">
            {t('webhooks.verifyTitle')}
          </Text>
          <Code block>{t('webhooks.verifyFormula')}</Code>
          <Text size="sm">{t('webhooks.verify')}</Text>
        </Stack>
      </Paper>
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('webhooks.empty')}</Text> : null}
      {list.data?.items.map((w) => (
        <WebhookCard
          key={w.id}
          tenantId={tenantId}
          webhook={w}
          rotated={rotated === w.id}
          onEdit={() => setEditing(w)}
          onDelete={() => setDeleting(w)}
          onRotate={() => setRotating(w)}
          onLog={() => setLogOf(w.id)}
        />
      ))}
      <Dialog
        opened={editing !== null}
        onClose={close}
        size="lg"
        title={
          editing === 'new' ? t('webhooks.add') : editing ? t('webhooks.editTitle', { url: editing.url }) : ''
        }
      >
        {editing ? (
          <WebhookForm
            tenantId={tenantId}
            webhook={editing === 'new' ? null : editing}
            onClose={close}
            onDone={() => {
              close();
              void changed();
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: deleting.url } : null}
        text={t('webhooks.deleteConfirm')}
        onClose={() => setDeleting(null)}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/webhooks/{id}', { params: { path: { tenantId, id } } }),
          )
        }
        onDeleted={() => {
          if (deleting?.id === logOf) setLogOf(null);
          setDeleting(null);
          void changed();
        }}
      />
      <Dialog
        opened={rotating !== null}
        onClose={closeRotate}
        title={rotating ? t('webhooks.rotateTitle', { url: rotating.url }) : ''}
      >
        <Stack>
          <Text size="sm">{t('webhooks.rotateConfirm')}</Text>
          <ProblemAlert error={rotate.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={closeRotate} data-autofocus>
              {t('common.cancel')}
            </Button>
            <Button
              color="orange"
              loading={rotate.isPending}
              onClick={() => rotating && rotate.mutate(rotating)}
            >
              {t('webhooks.rotate')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
      <Drawer
        opened={logged !== null}
        onClose={() => setLogOf(null)}
        position="right"
        size={960}
        title={logged ? t('webhooks.logTitle', { url: logged.url }) : ''}
        closeButtonProps={{ 'aria-label': t('common.close') }}
      >
        {logged ? <DeliveryLog tenantId={tenantId} webhook={logged} /> : null}
      </Drawer>
    </Stack>
  );
}
