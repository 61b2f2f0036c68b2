/**
 * The operator's trunks: every carrier's SIP trunk with its live state — the
 * registration (registered, registering, failed with the carrier's last answer),
 * the OPTIONS health and the channels in use against the trunk's limit — fetched
 * again every 5 seconds while the page is open. A dialog creates or changes one
 * with all its settings; the password is write-only (the API only says whether one
 * is set, and an empty field keeps it). Deleting a trunk an outbound route uses is
 * refused by the server, whose answer names the route.
 */
import {
  Button,
  Checkbox,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  PasswordInput,
  Radio,
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
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Trunk, TrunkBody } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { useAllTenants } from '../components/PlatformLists';
import { fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';
import { RoutingForm } from '../components/RoutingListPage';
import { RowActions } from '../components/RowActions';
import { TrunkLiveState } from '../components/TrunkState';

const PAGE = 25;
const TRUNKS_KEY = ['platformTrunks'] as const;

type Kind = TrunkBody['kind'];
type Transport = NonNullable<TrunkBody['transport']>;
type Codec = NonNullable<TrunkBody['codecs']>[number];
type NumberFormat = NonNullable<TrunkBody['numberFormat']>;
type CallerIdHeader = NonNullable<TrunkBody['callerIdHeader']>;
type DidSource = NonNullable<TrunkBody['didSource']>;

const KINDS = ['register', 'ip'] as const satisfies readonly Kind[];
const TRANSPORTS = ['UDP', 'TCP', 'TLS'] as const satisfies readonly Transport[];
const CODECS = ['PCMA', 'PCMU'] as const satisfies readonly Codec[];
const NUMBER_FORMATS = ['e164', 'e164NoPlus', 'national', 'local'] as const satisfies readonly NumberFormat[];
const CALLER_ID_HEADERS = ['pai', 'rpid', 'from'] as const satisfies readonly CallerIdHeader[];
const DID_SOURCES = ['requestUri', 'to', 'diversion'] as const satisfies readonly DidSource[];

/** A trunk as the form holds it: numbers may be empty while typed, the addresses one per line. */
interface TrunkDraft {
  name: string;
  enabled: boolean;
  kind: Kind;
  host: string;
  port: number | string;
  transport: Transport;
  username: string;
  authUsername: string;
  realm: string;
  password: string;
  expirySec: number | string;
  contactUser: string;
  addresses: string;
  codecs: Codec[];
  maxChannels: number | string;
  numberFormat: NumberFormat;
  country: string;
  areaCode: string;
  callerIdHeader: CallerIdHeader;
  didSource: DidSource;
  optionsIntervalSec: number | string;
  allTenants: boolean;
  tenantIds: string[];
}

/** The server's defaults for a new trunk (src/api/routes/trunks.ts TRUNK_DEFAULTS). */
const NEW_TRUNK: TrunkDraft = {
  name: '',
  enabled: true,
  kind: 'register',
  host: '',
  port: '',
  transport: 'UDP',
  username: '',
  authUsername: '',
  realm: '',
  password: '',
  expirySec: 300,
  contactUser: '',
  addresses: '',
  codecs: ['PCMA', 'PCMU'],
  maxChannels: '',
  numberFormat: 'e164',
  country: 'RU',
  areaCode: '',
  callerIdHeader: 'pai',
  didSource: 'requestUri',
  optionsIntervalSec: 60,
  allTenants: true,
  tenantIds: [],
};

function draftOf(t: Trunk): TrunkDraft {
  return {
    name: t.name,
    enabled: t.enabled,
    kind: t.kind,
    host: t.host,
    port: t.port ?? '',
    transport: t.transport,
    username: t.username ?? '',
    authUsername: t.authUsername ?? '',
    realm: t.realm ?? '',
    password: '',
    expirySec: t.expirySec,
    contactUser: t.contactUser ?? '',
    addresses: t.addresses.join('\n'),
    codecs: t.codecs,
    maxChannels: t.maxChannels ?? '',
    numberFormat: t.numberFormat,
    country: t.country,
    areaCode: t.areaCode ?? '',
    callerIdHeader: t.callerIdHeader,
    didSource: t.didSource,
    optionsIntervalSec: t.optionsIntervalSec ?? '',
    allTenants: t.tenantIds === null,
    tenantIds: t.tenantIds ?? [],
  };
}

const text = (s: string): string | null => (s.trim() === '' ? null : s.trim());
const whole = (v: number | string): number | null => (typeof v === 'number' ? v : null);

/** What the API takes; the password only when one was typed (an empty field keeps the saved one). */
function bodyOf(d: TrunkDraft): TrunkBody {
  return {
    name: d.name.trim(),
    enabled: d.enabled,
    kind: d.kind,
    host: d.host.trim(),
    port: whole(d.port),
    transport: d.transport,
    username: text(d.username),
    authUsername: text(d.authUsername),
    realm: text(d.realm),
    ...(d.password !== '' ? { password: d.password } : {}),
    expirySec: whole(d.expirySec) ?? 300,
    contactUser: text(d.contactUser),
    addresses: d.addresses
      .split(/[\s,;]+/)
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    codecs: d.codecs,
    maxChannels: whole(d.maxChannels),
    numberFormat: d.numberFormat,
    country: d.country.trim().toUpperCase(),
    areaCode: text(d.areaCode),
    callerIdHeader: d.callerIdHeader,
    didSource: d.didSource,
    optionsIntervalSec: whole(d.optionsIntervalSec),
    tenantIds: d.allTenants ? null : d.tenantIds,
  };
}

const FIELDS = [
  'name',
  'enabled',
  'kind',
  'host',
  'port',
  'transport',
  'username',
  'authUsername',
  'realm',
  'password',
  'expirySec',
  'contactUser',
  'addresses.*',
  'codecs.*',
  'maxChannels',
  'numberFormat',
  'country',
  'areaCode',
  'callerIdHeader',
  'didSource',
  'optionsIntervalSec',
  'tenantIds.*',
];

function TrunkForm({
  trunk,
  onDone,
  onClose,
}: {
  trunk: Trunk | null;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [d, setD] = useState<TrunkDraft>(() => (trunk ? draftOf(trunk) : NEW_TRUNK));
  const set = (change: Partial<TrunkDraft>) => setD((old) => ({ ...old, ...change }));
  const tenants = useAllTenants();
  const save = useMutation({
    mutationFn: (body: TrunkBody) =>
      trunk
        ? unwrap(api.PATCH('/api/v1/platform/trunks/{id}', { params: { path: { id: trunk.id } }, body }))
        : unwrap(api.POST('/api/v1/platform/trunks', { body })),
    onSuccess: onDone,
  });
  const err = (field: string) => fieldError(save.error, field);
  const registers = d.kind === 'register';
  return (
    <RoutingForm
      editor={{ item: trunk, canWrite: true, onClose }}
      save={save}
      body={() => bodyOf(d)}
      fields={FIELDS}
    >
      <Fieldset legend={t('trunks.carrier')}>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <TextInput
              label={t('trunks.name')}
              required
              maxLength={100}
              value={d.name}
              onChange={(e) => set({ name: e.currentTarget.value })}
              error={err('name')}
              data-autofocus
            />
            <Switch
              label={t('trunks.enabled')}
              description={t('trunks.enabledHint')}
              checked={d.enabled}
              onChange={(e) => set({ enabled: e.currentTarget.checked })}
              mt={{ xs: 'lg' }}
            />
          </SimpleGrid>
          <Radio.Group
            label={t('trunks.kind')}
            value={d.kind}
            onChange={(v) => set({ kind: v as Kind })}
            error={err('kind')}
          >
            <Stack gap={6} mt={6}>
              {KINDS.map((k) => (
                <Radio
                  key={k}
                  value={k}
                  label={t(`trunks.kinds.${k}`)}
                  description={t(`trunks.kindHints.${k}`)}
                />
              ))}
            </Stack>
          </Radio.Group>
          <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
            <TextInput
              label={t('trunks.host')}
              description={t('trunks.hostHint')}
              required
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              value={d.host}
              onChange={(e) => set({ host: e.currentTarget.value })}
              error={err('host')}
            />
            <NumberInput
              label={t('trunks.port')}
              description={t('trunks.portHint')}
              min={1}
              max={65535}
              allowDecimal={false}
              allowNegative={false}
              value={d.port}
              onChange={(port) => set({ port })}
              error={err('port')}
            />
            <Select
              label={t('trunks.transport')}
              data={[...TRANSPORTS]}
              value={d.transport}
              onChange={(v) => v && set({ transport: v as Transport })}
              allowDeselect={false}
              error={err('transport')}
            />
          </SimpleGrid>
        </Stack>
      </Fieldset>

      <Fieldset legend={t('trunks.account')}>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label={t('trunks.username')}
            description={t('trunks.usernameHint')}
            required={registers}
            autoComplete="off"
            value={d.username}
            onChange={(e) => set({ username: e.currentTarget.value })}
            error={err('username')}
          />
          <TextInput
            label={t('trunks.authUsername')}
            description={t('trunks.authUsernameHint')}
            autoComplete="off"
            value={d.authUsername}
            onChange={(e) => set({ authUsername: e.currentTarget.value })}
            error={err('authUsername')}
          />
          <TextInput
            label={t('trunks.realm')}
            description={t('trunks.realmHint')}
            autoComplete="off"
            value={d.realm}
            onChange={(e) => set({ realm: e.currentTarget.value })}
            error={err('realm')}
          />
          <PasswordInput
            label={t('trunks.password')}
            description={
              trunk ? (trunk.hasPassword ? t('trunks.passwordKeep') : t('trunks.passwordNone')) : undefined
            }
            required={registers && !trunk?.hasPassword}
            autoComplete="new-password"
            value={d.password}
            onChange={(e) => set({ password: e.currentTarget.value })}
            error={err('password')}
          />
          {registers ? (
            <NumberInput
              label={t('trunks.expirySec')}
              min={60}
              max={86_400}
              allowDecimal={false}
              allowNegative={false}
              value={d.expirySec}
              onChange={(expirySec) => set({ expirySec })}
              error={err('expirySec')}
            />
          ) : null}
          {registers ? (
            <TextInput
              label={t('trunks.contactUser')}
              description={t('trunks.contactUserHint')}
              autoComplete="off"
              value={d.contactUser}
              onChange={(e) => set({ contactUser: e.currentTarget.value })}
              error={err('contactUser')}
            />
          ) : null}
        </SimpleGrid>
      </Fieldset>

      <Textarea
        label={t('trunks.addresses')}
        description={t('trunks.addressesHint')}
        autosize
        minRows={2}
        maxRows={8}
        autoCapitalize="none"
        spellCheck={false}
        value={d.addresses}
        onChange={(e) => set({ addresses: e.currentTarget.value })}
        error={fieldErrorWithin(save.error, 'addresses')}
      />

      <Fieldset legend={t('trunks.media')}>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <Checkbox.Group
            label={t('trunks.codecs')}
            value={d.codecs}
            onChange={(v) => set({ codecs: v as Codec[] })}
            error={fieldErrorWithin(save.error, 'codecs')}
          >
            <Group mt={6}>
              {CODECS.map((c) => (
                <Checkbox key={c} value={c} label={c} />
              ))}
            </Group>
          </Checkbox.Group>
          <NumberInput
            label={t('trunks.maxChannels')}
            description={t('trunks.maxChannelsHint')}
            min={0}
            max={100_000}
            allowDecimal={false}
            allowNegative={false}
            value={d.maxChannels}
            onChange={(maxChannels) => set({ maxChannels })}
            error={err('maxChannels')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('trunks.numbering')}>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <Select
            label={t('trunks.numberFormat')}
            data={NUMBER_FORMATS.map((f) => ({ value: f, label: t(`trunks.numberFormats.${f}`) }))}
            value={d.numberFormat}
            onChange={(v) => v && set({ numberFormat: v as NumberFormat })}
            allowDeselect={false}
            error={err('numberFormat')}
          />
          <TextInput
            label={t('trunks.country')}
            description={t('trunks.countryHint')}
            maxLength={2}
            autoCapitalize="characters"
            autoComplete="off"
            value={d.country}
            onChange={(e) => set({ country: e.currentTarget.value.toUpperCase() })}
            error={err('country')}
          />
          <TextInput
            label={t('trunks.areaCode')}
            description={t('trunks.areaCodeHint')}
            inputMode="numeric"
            maxLength={6}
            autoComplete="off"
            value={d.areaCode}
            onChange={(e) => set({ areaCode: e.currentTarget.value })}
            error={err('areaCode')}
          />
          <Select
            label={t('trunks.callerIdHeader')}
            data={CALLER_ID_HEADERS.map((h) => ({ value: h, label: t(`trunks.callerIdHeaders.${h}`) }))}
            value={d.callerIdHeader}
            onChange={(v) => v && set({ callerIdHeader: v as CallerIdHeader })}
            allowDeselect={false}
            error={err('callerIdHeader')}
          />
          <Select
            label={t('trunks.didSource')}
            data={DID_SOURCES.map((s) => ({ value: s, label: t(`trunks.didSources.${s}`) }))}
            value={d.didSource}
            onChange={(v) => v && set({ didSource: v as DidSource })}
            allowDeselect={false}
            error={err('didSource')}
          />
          <NumberInput
            label={t('trunks.optionsInterval')}
            description={t('trunks.optionsIntervalHint')}
            min={5}
            max={3600}
            allowDecimal={false}
            allowNegative={false}
            value={d.optionsIntervalSec}
            onChange={(optionsIntervalSec) => set({ optionsIntervalSec })}
            error={err('optionsIntervalSec')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('trunks.tenants')}>
        <Stack gap="sm">
          <Radio.Group
            aria-label={t('trunks.tenantsHint')}
            description={t('trunks.tenantsHint')}
            value={d.allTenants ? 'all' : 'chosen'}
            onChange={(v) => set({ allTenants: v === 'all' })}
          >
            <Group mt={6}>
              <Radio value="all" label={t('trunks.tenantsAll')} />
              <Radio value="chosen" label={t('trunks.tenantsChosen')} />
            </Group>
          </Radio.Group>
          {d.allTenants ? null : (
            <MultiSelect
              label={t('trunks.tenantsPick')}
              data={(tenants.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))}
              value={d.tenantIds}
              onChange={(tenantIds) => set({ tenantIds })}
              searchable
              hidePickedOptions
              nothingFoundMessage={t('destination.nothingFound')}
              error={fieldErrorWithin(save.error, 'tenantIds')}
            />
          )}
        </Stack>
      </Fieldset>
    </RoutingForm>
  );
}

export default function Trunks() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [editing, setEditing] = useState<Trunk | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Trunk | null>(null);
  const list = useQuery({
    queryKey: [...TRUNKS_KEY, search, page],
    placeholderData: keepPreviousData,
    // Registration and health change by themselves: the list follows them while it is open.
    refetchInterval: 5000,
    queryFn: () =>
      unwrap(api.GET('/api/v1/platform/trunks', { params: { query: { ...paging.query, sort: 'name' } } })),
  });
  const tenants = useAllTenants();
  const tenantName = (id: string) => tenants.data?.items.find((x) => x.id === id)?.name ?? id;
  const changed = () => {
    void client.invalidateQueries({ queryKey: TRUNKS_KEY });
  };
  const close = () => setEditing(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('trunks.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('trunks.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('trunks.intro')} {t('trunks.live')}
      </Text>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('trunks.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={820}>
          <Table striped highlightOnHover aria-label={t('trunks.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('trunks.name')}</Table.Th>
                <Table.Th>{t('trunks.kind')}</Table.Th>
                <Table.Th>{t('trunks.state')}</Table.Th>
                <Table.Th>{t('trunks.channels')}</Table.Th>
                <Table.Th>{t('trunks.tenants')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((trunk) => {
                const used = trunk.status?.channels ?? 0;
                return (
                  <Table.Tr key={trunk.id} data-trunk={trunk.name}>
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {trunk.name}
                      </Text>
                      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                        {trunk.host}
                        {trunk.port ? `:${trunk.port}` : ''} · {trunk.transport}
                      </Text>
                    </Table.Td>
                    <Table.Td>{t(`trunks.kinds.${trunk.kind}`)}</Table.Td>
                    <Table.Td>
                      <TrunkLiveState trunk={trunk} />
                    </Table.Td>
                    <Table.Td data-testid="trunk-channels">
                      {trunk.maxChannels === null
                        ? t('trunks.channelsUnlimited', { used })
                        : t('trunks.channelsOf', { used, max: trunk.maxChannels })}
                    </Table.Td>
                    <Table.Td>
                      {trunk.tenantIds === null
                        ? t('trunks.tenantsAll')
                        : trunk.tenantIds.length <= 2
                          ? trunk.tenantIds.map(tenantName).join(', ')
                          : t('trunks.tenantCount', { count: trunk.tenantIds.length })}
                    </Table.Td>
                    <Table.Td>
                      <RowActions
                        name={trunk.name}
                        canWrite
                        onEdit={() => setEditing(trunk)}
                        onDelete={() => setDeleting(trunk)}
                      />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={close}
        size="xl"
        title={
          editing === 'new' ? t('trunks.add') : editing ? t('trunks.editTitle', { name: editing.name }) : ''
        }
      >
        {editing ? (
          <TrunkForm
            trunk={editing === 'new' ? null : editing}
            onClose={close}
            onDone={() => {
              close();
              changed();
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: deleting.name } : null}
        text={t('trunks.deleteConfirm')}
        onClose={() => setDeleting(null)}
        onDelete={(id) => unwrap(api.DELETE('/api/v1/platform/trunks/{id}', { params: { path: { id } } }))}
        onDeleted={() => {
          setDeleting(null);
          changed();
        }}
      />
    </Stack>
  );
}
