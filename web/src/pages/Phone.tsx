/**
 * The softphone's screen: registration state, a number field with a keypad, the
 * call in progress (answer, decline, hang up, mute, hold, keys sent into the
 * call), and the company directory to call a colleague or a phonebook contact by name.
 */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me } from '../api/types';
import { AgentPanel } from '../components/AgentPanel';
import type { CallView, Softphone } from '../softphone/phone';
import { disablePush, enablePush, type PushState, pushState } from '../softphone/push';
import { usePhoneState, useSoftphone } from '../softphone/SoftphoneProvider';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function elapsed(call: CallView, now: number): string {
  const s = Math.max(0, Math.floor((now - (call.answeredAt ?? call.startedAt)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function Keypad({ onKey }: { onKey: (k: string) => void }) {
  const { t } = useTranslation();
  return (
    <SimpleGrid cols={3} spacing="xs" role="group" aria-label={t('phone.keypad')}>
      {KEYS.map((k) => (
        <Button
          key={k}
          variant="default"
          size="lg"
          onClick={() => onKey(k)}
          aria-label={t('phone.key', { key: k })}
        >
          {k}
        </Button>
      ))}
    </SimpleGrid>
  );
}

function CallPanel({ phone, call }: { phone: Softphone; call: CallView }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(Date.now());
  const [transferring, setTransferring] = useState(false);
  const [target, setTarget] = useState('');
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const who = call.peerName ? `${call.peerName} (${call.peer})` : call.peer;
  const status =
    call.state === 'talking'
      ? call.held
        ? t('phone.onHold')
        : t('phone.talking')
      : call.state === 'ended'
        ? call.endReason
          ? `${t('phone.ended')}: ${call.endReason}`
          : t('phone.ended')
        : call.direction === 'in'
          ? t('phone.incoming')
          : call.state === 'ringing'
            ? t('phone.ringing')
            : t('phone.calling');
  return (
    <Card withBorder radius="md" data-testid="call-panel">
      <Stack>
        <div>
          <Text size="sm" c="dimmed" role="status" data-testid="call-status">
            {status}
          </Text>
          <Text size="xl" fw={700}>
            {who}
          </Text>
          {call.state === 'talking' ? <Text c="dimmed">{elapsed(call, now)}</Text> : null}
        </div>
        {call.direction === 'in' && call.state === 'ringing' ? (
          <Group grow>
            <Button color="green" onClick={() => void phone.answer()}>
              {t('phone.answer')}
            </Button>
            <Button color="red" variant="light" onClick={() => void phone.hangup()}>
              {t('phone.decline')}
            </Button>
          </Group>
        ) : null}
        {call.state === 'talking' ? (
          <>
            <Group grow>
              <Button variant={call.muted ? 'filled' : 'default'} onClick={() => phone.mute(!call.muted)}>
                {call.muted ? t('phone.unmute') : t('phone.mute')}
              </Button>
              <Button variant={call.held ? 'filled' : 'default'} onClick={() => void phone.hold(!call.held)}>
                {call.held ? t('phone.resume') : t('phone.hold')}
              </Button>
              <Button
                variant={transferring ? 'filled' : 'default'}
                aria-expanded={transferring}
                onClick={() => setTransferring(!transferring)}
              >
                {t('phone.transfer')}
              </Button>
            </Group>
            {transferring ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  if (target) void phone.transfer(target);
                }}
              >
                <Group align="end" grow>
                  <TextInput
                    label={t('phone.transferTo')}
                    inputMode="tel"
                    value={target}
                    onChange={(e) => setTarget(e.currentTarget.value.replace(/[^0-9*#+]/g, ''))}
                    autoFocus
                  />
                  <Button type="submit" disabled={!target}>
                    {t('phone.transferNow')}
                  </Button>
                </Group>
              </form>
            ) : null}
            {call.transfer ? (
              <Text
                size="sm"
                role="status"
                data-testid="transfer-status"
                c={call.transfer.status === 'failed' ? 'red' : 'dimmed'}
              >
                {t(
                  call.transfer.status === 'trying'
                    ? 'phone.transferTrying'
                    : call.transfer.status === 'ringing'
                      ? 'phone.transferRinging'
                      : call.transfer.status === 'done'
                        ? 'phone.transferDone'
                        : 'phone.transferFailed',
                  { target: call.transfer.target, reason: call.transfer.reason ?? '' },
                )}
              </Text>
            ) : null}
            <Keypad onKey={(k) => phone.dtmf(k)} />
          </>
        ) : null}
        {call.state !== 'ended' && !(call.direction === 'in' && call.state === 'ringing') ? (
          <Button color="red" onClick={() => void phone.hangup()}>
            {call.state === 'talking' ? t('phone.hangup') : t('phone.cancel')}
          </Button>
        ) : null}
      </Stack>
    </Card>
  );
}

function Directory({ me, onCall }: { me: Me; onCall: (number: string) => void }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [search] = useDebouncedValue(q, 250);
  const list = useQuery({
    queryKey: ['directory', me.tenantId, search],
    enabled: !!me.tenantId,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: {
            path: { tenantId: me.tenantId! },
            query: { limit: 50, sort: 'number', ...(search ? { q: search } : {}) },
          },
        }),
      ),
  });
  return (
    <Card withBorder radius="md">
      <Stack>
        <Text fw={600}>{t('phone.directory')}</Text>
        <TextInput
          label={t('phone.searchDirectory')}
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
        />
        <Table.ScrollContainer minWidth={260}>
          <Table>
            <Table.Tbody>
              {(list.data?.items ?? []).map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td fw={600}>{e.number}</Table.Td>
                  <Table.Td>{e.displayName}</Table.Td>
                  <Table.Td ta="right">
                    <ActionIcon
                      variant="light"
                      color="green"
                      onClick={() => onCall(e.number)}
                      aria-label={t('phone.callNumber', { number: e.number })}
                    >
                      ☎
                    </ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <PhonebookMatches me={me} search={search} onCall={onCall} />
      </Stack>
    </Card>
  );
}

/**
 * The company phonebook's matches under the colleagues: each number a button.
 * Only while searching (a phonebook may hold thousands; nobody scrolls them).
 */
function PhonebookMatches({
  me,
  search,
  onCall,
}: {
  me: Me;
  search: string;
  onCall: (number: string) => void;
}) {
  const { t } = useTranslation();
  const contacts = useQuery({
    queryKey: ['directory-contacts', me.tenantId, search],
    enabled: !!me.tenantId && search.trim().length > 0,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/contacts', {
          params: { path: { tenantId: me.tenantId! }, query: { limit: 20, sort: 'name', q: search } },
        }),
      ),
  });
  const items = contacts.data?.items ?? [];
  if (!search.trim() || !contacts.data) return null;
  if (!items.length)
    return (
      <Text size="sm" c="dimmed">
        {t('directory.nothing')}
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={260}>
      <Table data-testid="directory-contacts">
        <Table.Tbody>
          {items.flatMap((c) =>
            c.numbers.map((n) => (
              <Table.Tr key={`${c.id}-${n.number}`}>
                <Table.Td>
                  <Text fw={600}>{c.name}</Text>
                  {c.company ? (
                    <Text size="xs" c="dimmed">
                      {c.company}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  {n.number}
                  {n.label ? (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      ({n.label})
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td ta="right">
                  <ActionIcon
                    variant="light"
                    color="green"
                    // A contact's number as written ("8 (916) …"): the PBX dials its digits.
                    onClick={() => onCall(n.number.replace(/[^0-9*#+]/g, ''))}
                    aria-label={t('directory.call', { name: c.name, number: n.number })}
                  >
                    ☎
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            )),
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The Web Push switch: calls announced by the PBX while no tab of the portal is open. */
function PushSwitch() {
  const { t } = useTranslation();
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void pushState().then(setState);
  }, []);
  if (state === null) return null;
  if (state === 'unsupported' || state === 'denied')
    return (
      <Text size="xs" c="dimmed">
        {state === 'denied' ? t('phone.pushDenied') : t('phone.pushUnsupported')}
      </Text>
    );
  return (
    <Switch
      label={t('phone.push')}
      checked={state === 'on'}
      disabled={busy}
      onChange={async (e) => {
        setBusy(true);
        try {
          setState(e.currentTarget.checked ? await enablePush() : await disablePush());
        } catch {
          setState(await pushState());
        } finally {
          setBusy(false);
        }
      }}
    />
  );
}

export default function Phone({ me }: { me: Me }) {
  const { t } = useTranslation();
  const { phone, number } = useSoftphone();
  const state = usePhoneState(phone);
  const [dial, setDial] = useState('');
  const call = state.call;
  const place = (target: string) => {
    if (!phone || !target.trim()) return;
    // Asking here, on a click, is what browsers allow; the answer serves later incoming calls.
    if (typeof Notification !== 'undefined' && Notification.permission === 'default')
      void Notification.requestPermission();
    void phone.call(target.trim());
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    place(dial);
  };
  const badge =
    state.registration === 'registered'
      ? { color: 'green', text: t('phone.registered', { number: number ?? '' }) }
      : state.registration === 'failed'
        ? { color: 'red', text: t('phone.failed', { error: state.error ?? '' }) }
        : state.registration === 'connecting'
          ? { color: 'yellow', text: t('phone.connecting') }
          : { color: 'gray', text: t('phone.off') };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('phone.title')}</Title>
        {phone ? (
          <Badge color={badge.color} variant="dot" role="status" data-testid="registration">
            {badge.text}
          </Badge>
        ) : null}
      </Group>
      {!number ? <Alert color="gray">{t('phone.noExtension')}</Alert> : null}
      {/* Queue agents log in, out and pause here (nothing shows for an extension in no queue). */}
      {number && me.tenantId ? <AgentPanel tenantId={me.tenantId} number={number} /> : null}
      {phone && number ? (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Stack>
            {call ? <CallPanel phone={phone} call={call} /> : null}
            {!call ? (
              <Card withBorder radius="md">
                <form onSubmit={submit}>
                  <Stack>
                    <TextInput
                      label={t('phone.number')}
                      value={dial}
                      onChange={(e) => setDial(e.currentTarget.value.replace(/[^0-9*#+]/g, ''))}
                      inputMode="tel"
                      autoComplete="off"
                      size="lg"
                      rightSection={
                        dial ? (
                          <ActionIcon
                            variant="subtle"
                            onClick={() => setDial(dial.slice(0, -1))}
                            aria-label={t('phone.backspace')}
                          >
                            ⌫
                          </ActionIcon>
                        ) : null
                      }
                    />
                    <Keypad onKey={(k) => setDial((d) => d + k)} />
                    <Button
                      type="submit"
                      color="green"
                      size="lg"
                      disabled={!dial || state.registration !== 'registered'}
                    >
                      {t('phone.call')}
                    </Button>
                  </Stack>
                </form>
              </Card>
            ) : null}
          </Stack>
          <Stack>
            <Directory me={me} onCall={place} />
            <PushSwitch />
          </Stack>
        </SimpleGrid>
      ) : null}
    </Stack>
  );
}
