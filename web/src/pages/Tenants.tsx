/**
 * The operator's tenants: search, list, a new tenant with its first
 * administrator (whose generated password is shown once), and a tenant's limits
 * (extensions, calls, and external calls: at once, the dearest call class, minutes
 * a day, spend a day by the rate deck with the share at which its administrators
 * are warned) and enabled flag.
 */
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Fieldset,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { BodyOf, CallClass, ResponseOf } from '../api/types';
import { CALL_CLASSES } from '../call-classes';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { MoneyInput } from '../components/MoneyInput';
import { fieldError, ProblemAlert } from '../components/Problem';
import { LANGUAGES, type Language } from '../i18n';
import { fromMinor, toMinor } from '../money';

const PAGE = 25;
const TENANTS_KEY = ['tenants'] as const;

type Tenant = ResponseOf<'/api/v1/tenants', 'get'>['items'][number];
type Created = ResponseOf<'/api/v1/tenants', 'post'>;

/** The server's defaults for a new tenant (src/api/routes/tenants.ts TENANT_DEFAULTS). */
const DEFAULTS = {
  timeZone: 'Europe/Moscow',
  language: 'ru',
  country: 'RU',
  maxExtensions: 100,
  maxConcurrentCalls: 30,
} as const;

function timeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** A NumberInput value as the API takes it: a whole number, or nothing when the field is empty. */
function count(v: number | string): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function NewTenant({ onCreated, onClose }: { onCreated: (c: Created) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [sipDomain, setSipDomain] = useState('');
  const [timeZone, setTimeZone] = useState<string>(DEFAULTS.timeZone);
  const [language, setLanguage] = useState<Language>(DEFAULTS.language);
  const [country, setCountry] = useState<string>(DEFAULTS.country);
  const [maxExtensions, setMaxExtensions] = useState<number | string>(DEFAULTS.maxExtensions);
  const [maxConcurrentCalls, setMaxConcurrentCalls] = useState<number | string>(DEFAULTS.maxConcurrentCalls);
  const [adminEmail, setAdminEmail] = useState('');
  const [adminName, setAdminName] = useState('');
  const [zones] = useState(timeZones);
  const create = useMutation({
    mutationFn: () => {
      const ext = count(maxExtensions);
      const calls = count(maxConcurrentCalls);
      const body: BodyOf<'/api/v1/tenants', 'post'> = {
        name: name.trim(),
        sipDomain: sipDomain.trim(),
        timeZone,
        language,
        country,
        limits: {
          ...(ext !== undefined ? { maxExtensions: ext } : {}),
          ...(calls !== undefined ? { maxConcurrentCalls: calls } : {}),
        },
        ...(adminEmail.trim()
          ? {
              admin: {
                email: adminEmail.trim(),
                ...(adminName.trim() ? { displayName: adminName.trim() } : {}),
              },
            }
          : {}),
      };
      return unwrap(api.POST('/api/v1/tenants', { body }));
    },
    onSuccess: onCreated,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = (field: string) => fieldError(create.error, field);
  // A taken admin email comes back as a conflict on 'email' (the users table's unique key).
  const adminEmailError = err('admin.email') ?? (adminEmail.trim() ? err('email') : undefined);
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert
          error={create.error}
          fields={[
            'name',
            'sipDomain',
            'timeZone',
            'language',
            'country',
            'limits.maxExtensions',
            'limits.maxConcurrentCalls',
            'admin.email',
            'admin.displayName',
            ...(adminEmail.trim() ? ['email'] : []),
          ]}
        />
        <TextInput
          label={t('tenants.name')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={err('name')}
          data-autofocus
        />
        <TextInput
          label={t('tenants.sipDomain')}
          description={t('tenants.sipDomainHint')}
          required
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          value={sipDomain}
          onChange={(e) => setSipDomain(e.currentTarget.value)}
          error={err('sipDomain')}
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label={t('tenants.timeZone')}
            data={zones}
            value={timeZone}
            onChange={(v) => v && setTimeZone(v)}
            searchable
            allowDeselect={false}
            error={err('timeZone')}
          />
          <Select
            label={t('tenants.language')}
            data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
            value={language}
            onChange={(v) => (v === 'en' || v === 'ru') && setLanguage(v)}
            allowDeselect={false}
            error={err('language')}
          />
        </SimpleGrid>
        <TextInput
          label={t('tenants.country')}
          description={t('tenants.countryHint')}
          maxLength={2}
          autoCapitalize="characters"
          autoComplete="off"
          value={country}
          onChange={(e) => setCountry(e.currentTarget.value.toUpperCase())}
          error={err('country')}
        />
        <Fieldset legend={t('tenants.limits')} variant="filled">
          <SimpleGrid cols={{ base: 1, xs: 2 }}>
            <NumberInput
              label={t('tenants.maxExtensions')}
              value={maxExtensions}
              onChange={setMaxExtensions}
              min={0}
              max={100_000}
              allowDecimal={false}
              allowNegative={false}
              error={err('limits.maxExtensions')}
            />
            <NumberInput
              label={t('tenants.maxConcurrentCalls')}
              value={maxConcurrentCalls}
              onChange={setMaxConcurrentCalls}
              min={0}
              max={100_000}
              allowDecimal={false}
              allowNegative={false}
              error={err('limits.maxConcurrentCalls')}
            />
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend={t('tenants.admin')} variant="filled">
          <Stack gap="sm">
            <Text size="xs" c="dimmed">
              {t('tenants.adminHint')}
            </Text>
            <TextInput
              label={t('tenants.adminEmail')}
              type="email"
              autoComplete="off"
              value={adminEmail}
              onChange={(e) => setAdminEmail(e.currentTarget.value)}
              error={adminEmailError}
            />
            <TextInput
              label={t('tenants.adminName')}
              autoComplete="off"
              maxLength={100}
              value={adminName}
              disabled={!adminEmail.trim()}
              onChange={(e) => setAdminName(e.currentTarget.value)}
              error={err('admin.displayName')}
            />
          </Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** What was made: the tenant, and its administrator's password when the server generated one. */
function CreatedTenant({ created, onClose }: { created: Created; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Text size="sm">
        {created.tenant.name} — <Code>{created.tenant.sipDomain}</Code>
      </Text>
      {created.admin ? (
        <Table variant="vertical" withTableBorder>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th>{t('tenants.adminEmail')}</Table.Th>
              <Table.Td style={{ wordBreak: 'break-all' }}>{created.admin.email}</Table.Td>
            </Table.Tr>
            {created.generatedPassword ? (
              <Table.Tr>
                <Table.Th>{t('tenants.adminPassword')}</Table.Th>
                <Table.Td>
                  <Group gap="xs">
                    <Code data-testid="admin-password" style={{ wordBreak: 'break-all' }}>
                      {created.generatedPassword}
                    </Code>
                    <CopyButton value={created.generatedPassword}>
                      {({ copied, copy }) => (
                        <Button size="compact-xs" variant="light" onClick={copy}>
                          {copied ? t('tenants.copied') : t('tenants.copy')}
                        </Button>
                      )}
                    </CopyButton>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      ) : null}
      {created.generatedPassword ? (
        <Alert color="yellow" role="status">
          {t('tenants.passwordOnce')}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button onClick={onClose}>{t('common.close')}</Button>
      </Group>
    </Stack>
  );
}

function EditTenant({
  tenant,
  onSaved,
  onClose,
}: {
  tenant: Tenant;
  onSaved: (t: Tenant) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [maxExtensions, setMaxExtensions] = useState<number | string>(tenant.limits.maxExtensions);
  const [maxConcurrentCalls, setMaxConcurrentCalls] = useState<number | string>(
    tenant.limits.maxConcurrentCalls,
  );
  const [maxExternalCalls, setMaxExternalCalls] = useState<number | string>(tenant.limits.maxExternalCalls);
  const [maxCallClass, setMaxCallClass] = useState<CallClass>(tenant.limits.maxCallClass);
  const [dailyMinutes, setDailyMinutes] = useState<number | string>(tenant.limits.dailyExternalMinutes ?? '');
  const [spendCap, setSpendCap] = useState<number | string>(fromMinor(tenant.limits.dailySpendCap));
  const [alertPercent, setAlertPercent] = useState<number | string>(tenant.limits.spendAlertPercent);
  const [clearAtCap, setClearAtCap] = useState(tenant.limits.clearCallsAtCap);
  const [sipRate, setSipRate] = useState<number | string>(tenant.limits.sipRequestsPerSecond ?? '');
  const [enabled, setEnabled] = useState(tenant.enabled);
  const save = useMutation({
    mutationFn: () => {
      const ext = count(maxExtensions);
      const calls = count(maxConcurrentCalls);
      const external = count(maxExternalCalls);
      const alertAt = count(alertPercent);
      return unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}', {
          params: { path: { tenantId: tenant.id } },
          body: {
            enabled,
            limits: {
              ...(ext !== undefined ? { maxExtensions: ext } : {}),
              ...(calls !== undefined ? { maxConcurrentCalls: calls } : {}),
              ...(external !== undefined ? { maxExternalCalls: external } : {}),
              maxCallClass,
              // An empty field is "no cap".
              dailyExternalMinutes: count(dailyMinutes) ?? null,
              // Typed in money units, sent in minor units; empty is "no cap" too.
              dailySpendCap: toMinor(spendCap),
              ...(alertAt !== undefined ? { spendAlertPercent: alertAt } : {}),
              clearCallsAtCap: clearAtCap,
              // Empty: the platform's limit.
              sipRequestsPerSecond: count(sipRate) ?? null,
            },
          },
        }),
      );
    },
    onSuccess: onSaved,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm" c="dimmed">
          <Code>{tenant.sipDomain}</Code>
        </Text>
        <ProblemAlert
          error={save.error}
          fields={[
            'limits.maxExtensions',
            'limits.maxConcurrentCalls',
            'limits.maxExternalCalls',
            'limits.maxCallClass',
            'limits.dailyExternalMinutes',
            'limits.dailySpendCap',
            'limits.spendAlertPercent',
            'enabled',
          ]}
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <NumberInput
            label={t('tenants.maxExtensions')}
            value={maxExtensions}
            onChange={setMaxExtensions}
            min={0}
            max={100_000}
            allowDecimal={false}
            allowNegative={false}
            error={fieldError(save.error, 'limits.maxExtensions')}
            data-autofocus
          />
          <NumberInput
            label={t('tenants.maxConcurrentCalls')}
            value={maxConcurrentCalls}
            onChange={setMaxConcurrentCalls}
            min={0}
            max={100_000}
            allowDecimal={false}
            allowNegative={false}
            error={fieldError(save.error, 'limits.maxConcurrentCalls')}
          />
        </SimpleGrid>
        <Fieldset legend={t('tenants.externalCalls')}>
          <Stack gap="sm">
            <Text size="xs" c="dimmed">
              {t('tenants.externalCallsHint')}
            </Text>
            <SimpleGrid cols={{ base: 1, xs: 2 }}>
              <NumberInput
                label={t('tenants.maxExternalCalls')}
                value={maxExternalCalls}
                onChange={setMaxExternalCalls}
                min={0}
                max={100_000}
                allowDecimal={false}
                allowNegative={false}
                error={fieldError(save.error, 'limits.maxExternalCalls')}
              />
              <NumberInput
                label={t('tenants.dailyExternalMinutes')}
                description={t('tenants.dailyExternalMinutesHint')}
                value={dailyMinutes}
                onChange={setDailyMinutes}
                min={0}
                max={10_000_000}
                allowDecimal={false}
                allowNegative={false}
                error={fieldError(save.error, 'limits.dailyExternalMinutes')}
              />
              <MoneyInput
                label={t('tenants.dailySpendCap')}
                description={t('tenants.dailySpendCapHint')}
                value={spendCap}
                onChange={setSpendCap}
                max={10_000_000}
                error={fieldError(save.error, 'limits.dailySpendCap')}
              />
              <NumberInput
                label={t('tenants.spendAlertPercent')}
                description={t('tenants.spendAlertPercentHint')}
                value={alertPercent}
                onChange={setAlertPercent}
                min={1}
                max={100}
                allowDecimal={false}
                allowNegative={false}
                error={fieldError(save.error, 'limits.spendAlertPercent')}
              />
              <NumberInput
                label={t('tenants.sipRequestsPerSecond')}
                description={t('tenants.sipRequestsPerSecondHint')}
                value={sipRate}
                onChange={setSipRate}
                min={0}
                max={1_000_000}
                allowDecimal={false}
                allowNegative={false}
                error={fieldError(save.error, 'limits.sipRequestsPerSecond')}
              />
            </SimpleGrid>
            <Switch
              label={t('tenants.clearCallsAtCap')}
              description={t('tenants.clearCallsAtCapHint')}
              checked={clearAtCap}
              onChange={(e) => setClearAtCap(e.currentTarget.checked)}
            />
            <Select
              label={t('tenants.maxCallClass')}
              description={t('tenants.maxCallClassHint')}
              data={CALL_CLASSES.map((c) => ({ value: c, label: t(`callClass.${c}`) }))}
              value={maxCallClass}
              onChange={(v) => v && setMaxCallClass(v as CallClass)}
              allowDeselect={false}
              error={fieldError(save.error, 'limits.maxCallClass')}
            />
          </Stack>
        </Fieldset>
        <Switch
          label={t('tenants.enabledLabel')}
          description={t('tenants.disabledHint')}
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
          error={fieldError(save.error, 'enabled')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function StatusBadge({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation();
  return (
    <Badge color={enabled ? 'teal' : 'gray'} variant={enabled ? 'light' : 'outline'}>
      {enabled ? t('tenants.enabled') : t('tenants.disabled')}
    </Badge>
  );
}

export default function Tenants() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [editing, setEditing] = useState<Tenant | null>(null);
  const list = useQuery({
    queryKey: [...TENANTS_KEY, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants', {
          params: {
            query: { ...paging.query, sort: 'name' },
          },
        }),
      ),
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('tenants.title')}</Title>
        <Button onClick={() => setCreating(true)}>{t('tenants.add')}</Button>
      </Group>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.isPending ? <Text c="dimmed">{t('common.loading')}</Text> : null}
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('tenants.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('tenants.name')}</Table.Th>
                <Table.Th>{t('tenants.sipDomain')}</Table.Th>
                <Table.Th>{t('tenants.limits')}</Table.Th>
                <Table.Th>{t('tenants.status')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((tenant) => (
                <Table.Tr key={tenant.id}>
                  <Table.Td fw={600}>{tenant.name}</Table.Td>
                  <Table.Td>
                    <Code>{tenant.sipDomain}</Code>
                  </Table.Td>
                  <Table.Td>
                    {t('tenants.limitsShort', {
                      extensions: tenant.limits.maxExtensions,
                      calls: tenant.limits.maxConcurrentCalls,
                    })}
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge enabled={tenant.enabled} />
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="subtle"
                      onClick={() => setEditing(tenant)}
                      aria-label={t('tenants.editFor', { name: tenant.name })}
                    >
                      {t('tenants.edit')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog opened={creating} onClose={() => setCreating(false)} title={t('tenants.add')} size="lg">
        <NewTenant
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
            void client.invalidateQueries({ queryKey: TENANTS_KEY });
          }}
        />
      </Dialog>
      <Dialog
        opened={created !== null}
        onClose={() => setCreated(null)}
        title={created ? t('tenants.createdTitle', { name: created.tenant.name }) : ''}
      >
        {created ? <CreatedTenant created={created} onClose={() => setCreated(null)} /> : null}
      </Dialog>
      <Dialog
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing ? t('tenants.editTitle', { name: editing.name }) : ''}
      >
        {editing ? (
          <EditTenant
            tenant={editing}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              void client.invalidateQueries({ queryKey: TENANTS_KEY });
            }}
          />
        ) : null}
      </Dialog>
    </Stack>
  );
}
