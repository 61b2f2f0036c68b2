/**
 * The operator's pool of public numbers (DIDs): all of them, the unassigned ones
 * or one tenant's; one number or a block of consecutive numbers added at once
 * (optionally straight to a tenant and a trunk); and each number given to a
 * tenant, taken back, or tied to a trunk in place, from its row.
 */
import {
  Alert,
  Button,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { BodyOf, PoolNumber } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { useAllTenants, useAllTrunks } from '../components/PlatformLists';
import { FieldErrorText, fieldError, ProblemAlert } from '../components/Problem';

const PAGE = 50;
const NUMBERS_KEY = ['platformNumbers'] as const;
/** The selects' value for "nobody" / "no trunk" (null in the API). */
const NONE = 'none';

type Filter = 'all' | 'unassigned' | 'tenant';
type Option = { value: string; label: string };

function AddNumbers({
  tenants,
  trunks,
  onAdded,
  onClose,
}: {
  tenants: Option[];
  trunks: Option[];
  onAdded: (count: number) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [number, setNumber] = useState('+');
  const [count, setCount] = useState<number | string>(1);
  const [tenantId, setTenantId] = useState(NONE);
  const [trunkId, setTrunkId] = useState(NONE);
  const [note, setNote] = useState('');
  const add = useMutation({
    mutationFn: () => {
      const body: BodyOf<'/api/v1/platform/numbers', 'post'> = {
        number: number.replace(/[\s()-]/g, ''),
        ...(typeof count === 'number' && count > 1 ? { count } : {}),
        ...(tenantId !== NONE ? { tenantId } : {}),
        ...(trunkId !== NONE ? { trunkId } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      };
      return unwrap(api.POST('/api/v1/platform/numbers', { body }));
    },
    onSuccess: (r) => onAdded(r.items.length),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  const err = (field: string) => fieldError(add.error, field);
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={add.error} fields={['number', 'count', 'tenantId', 'trunkId', 'note']} />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <TextInput
            label={t('numberPool.number')}
            description={t('numberPool.numberHint')}
            required
            inputMode="tel"
            autoComplete="off"
            value={number}
            onChange={(e) => setNumber(e.currentTarget.value)}
            error={err('number')}
            data-autofocus
          />
          <NumberInput
            label={t('numberPool.count')}
            description={t('numberPool.countHint')}
            min={1}
            max={1000}
            allowDecimal={false}
            allowNegative={false}
            value={count}
            onChange={setCount}
            error={err('count')}
          />
          <Select
            label={t('numberPool.tenant')}
            data={[{ value: NONE, label: t('numberPool.unassigned') }, ...tenants]}
            value={tenantId}
            onChange={(v) => setTenantId(v ?? NONE)}
            allowDeselect={false}
            searchable
            error={err('tenantId')}
          />
          <Select
            label={t('numberPool.trunk')}
            data={[{ value: NONE, label: t('numberPool.noTrunk') }, ...trunks]}
            value={trunkId}
            onChange={(v) => setTrunkId(v ?? NONE)}
            allowDeselect={false}
            error={err('trunkId')}
          />
        </SimpleGrid>
        <TextInput
          label={t('numberPool.note')}
          maxLength={200}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          error={err('note')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={add.isPending}>
            {t('numberPool.add')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** One number: its tenant and trunk change in place (each change is saved at once). */
function NumberRow({
  n,
  tenants,
  trunks,
  onChanged,
  onDelete,
}: {
  n: PoolNumber;
  tenants: Option[];
  trunks: Option[];
  onChanged: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const errorId = useId();
  const [saved, setSaved] = useState(false);
  const patch = useMutation({
    mutationFn: (body: BodyOf<'/api/v1/platform/numbers/{id}', 'patch'>) =>
      unwrap(api.PATCH('/api/v1/platform/numbers/{id}', { params: { path: { id: n.id } }, body })),
    onSuccess: () => {
      setSaved(true);
      onChanged();
    },
  });
  const problem = patch.error
    ? (fieldError(patch.error, 'tenantId') ?? fieldError(patch.error, 'trunkId'))
    : undefined;
  return (
    <Table.Tr data-number={n.number}>
      <Table.Th scope="row" fw={600} style={{ whiteSpace: 'nowrap' }}>
        {n.number}
      </Table.Th>
      <Table.Td>
        <Select
          aria-label={t('numberPool.tenantOf', { number: n.number })}
          aria-describedby={problem ? errorId : undefined}
          size="xs"
          miw={180}
          data={[{ value: NONE, label: t('numberPool.unassigned') }, ...tenants]}
          value={n.tenantId ?? NONE}
          onChange={(v) => {
            setSaved(false);
            patch.mutate({ tenantId: !v || v === NONE ? null : v });
          }}
          allowDeselect={false}
          searchable
          disabled={patch.isPending}
        />
      </Table.Td>
      <Table.Td>
        <Select
          aria-label={t('numberPool.trunkOf', { number: n.number })}
          size="xs"
          miw={150}
          data={[{ value: NONE, label: t('numberPool.noTrunk') }, ...trunks]}
          value={n.trunkId ?? NONE}
          onChange={(v) => {
            setSaved(false);
            patch.mutate({ trunkId: !v || v === NONE ? null : v });
          }}
          allowDeselect={false}
          disabled={patch.isPending}
        />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{n.note}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap={4} wrap="nowrap" justify="flex-end">
          {saved && !patch.isPending ? (
            <Text size="xs" c="teal" role="status">
              {t('common.saved')}
            </Text>
          ) : null}
          <Button
            size="xs"
            variant="subtle"
            color="red"
            onClick={onDelete}
            aria-label={t('routing.deleteNamed', { name: n.number })}
          >
            {t('common.delete')}
          </Button>
        </Group>
        <FieldErrorText id={errorId}>
          {problem ?? (patch.error ? patch.error.message : undefined)}
        </FieldErrorText>
      </Table.Td>
    </Table.Tr>
  );
}

export default function NumberPool() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const paging = useListPage(PAGE);
  const { search, page, setPage } = paging;
  const [filter, setFilter] = useState<Filter>('all');
  const [filterTenant, setFilterTenant] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<PoolNumber | null>(null);
  const tenantsQuery = useAllTenants();
  const trunksQuery = useAllTrunks();
  const tenants = (tenantsQuery.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }));
  const trunks = (trunksQuery.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }));
  const query = {
    ...paging.query,
    sort: 'number' as const,
    ...(filter === 'unassigned' ? { unassigned: true } : {}),
    ...(filter === 'tenant' && filterTenant ? { tenantId: filterTenant } : {}),
  };
  const list = useQuery({
    queryKey: [...NUMBERS_KEY, query],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/api/v1/platform/numbers', { params: { query } })),
  });
  const changed = () => {
    void client.invalidateQueries({ queryKey: NUMBERS_KEY });
  };
  const filtered = filter !== 'all' || search !== '';
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('numberPool.title')}</Title>
        <Button
          onClick={() => {
            setAdded(null);
            setAdding(true);
          }}
        >
          {t('numberPool.add')}
        </Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('numberPool.intro')}
      </Text>
      {added !== null ? (
        <Alert color="teal" role="status" withCloseButton onClose={() => setAdded(null)}>
          {t('numberPool.added', { count: added })}
        </Alert>
      ) : null}
      <Group align="flex-end" gap="md">
        <SearchField {...paging.searchField} />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="number-filter">
            {t('numberPool.show')}
          </Text>
          <SegmentedControl
            aria-labelledby="number-filter"
            value={filter}
            onChange={(v) => {
              setFilter(v as Filter);
              setPage(1);
            }}
            data={(['all', 'unassigned', 'tenant'] as const).map((f) => ({
              value: f,
              label: t(`numberPool.filters.${f}`),
            }))}
          />
        </Stack>
        {filter === 'tenant' ? (
          <Select
            label={t('numberPool.filterTenant')}
            data={tenants}
            value={filterTenant}
            onChange={(v) => {
              setFilterTenant(v);
              setPage(1);
            }}
            searchable
            maw={260}
          />
        ) : null}
      </Group>
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? (
        <Text c="dimmed">{filtered ? t('numberPool.emptyFilter') : t('numberPool.empty')}</Text>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover aria-label={t('numberPool.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('numberPool.number')}</Table.Th>
                <Table.Th>{t('numberPool.tenant')}</Table.Th>
                <Table.Th>{t('numberPool.trunk')}</Table.Th>
                <Table.Th>{t('numberPool.note')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((n) => (
                <NumberRow
                  key={n.id}
                  n={n}
                  tenants={tenants}
                  trunks={trunks}
                  onChanged={changed}
                  onDelete={() => setDeleting(n)}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={setPage} />
      <Dialog opened={adding} onClose={() => setAdding(false)} title={t('numberPool.add')} size="lg">
        {adding ? (
          <AddNumbers
            tenants={tenants}
            trunks={trunks}
            onClose={() => setAdding(false)}
            onAdded={(count) => {
              setAdding(false);
              setAdded(count);
              changed();
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: deleting.number } : null}
        text={t('numberPool.deleteConfirm')}
        onClose={() => setDeleting(null)}
        onDelete={(id) => unwrap(api.DELETE('/api/v1/platform/numbers/{id}', { params: { path: { id } } }))}
        onDeleted={() => {
          setDeleting(null);
          changed();
        }}
      />
    </Stack>
  );
}
