/**
 * The operator's rate deck: the price per minute of external calls by E.164
 * prefix (the longest prefix a number matches prices its call, billed by the
 * second). Searchable by prefix or description; a dialog creates or changes a
 * rate, its price typed in money units with up to two decimals and sent in minor
 * units (kopecks, cents), the server's objections (a prefix priced already) at
 * their field; deleting asks first.
 */
import { Button, Group, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, unwrap } from '../api/client';
import type { Rate, RateBody } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { MoneyInput } from '../components/MoneyInput';
import { fieldError, ProblemAlert } from '../components/Problem';
import { RoutingForm } from '../components/RoutingListPage';
import { RowActions } from '../components/RowActions';
import { formatMoney, fromMinor, toMinor } from '../money';

const PAGE = 50;
const RATES_KEY = ['platformRates'] as const;
const FIELDS = ['prefix', 'pricePerMinute', 'description'];

/** What the form sends: the price is null while its field is empty (the form says so at the field). */
type RateDraft = Omit<RateBody, 'pricePerMinute'> & { pricePerMinute: number | null };

function RateForm({ rate, onDone, onClose }: { rate: Rate | null; onDone: () => void; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [prefix, setPrefix] = useState(rate?.prefix ?? '+');
  const [price, setPrice] = useState<number | string>(rate ? fromMinor(rate.pricePerMinute) : '');
  const [description, setDescription] = useState(rate?.description ?? '');
  const save = useMutation({
    mutationFn: ({ pricePerMinute, ...rest }: RateDraft) => {
      if (pricePerMinute === null)
        throw new ApiProblem({
          title: t('rates.priceRequired'),
          status: 400,
          code: 'VALIDATION_FAILED',
          field: 'pricePerMinute',
        });
      const body: RateBody = { ...rest, pricePerMinute };
      return rate
        ? unwrap(api.PATCH('/api/v1/platform/rates/{id}', { params: { path: { id: rate.id } }, body }))
        : unwrap(api.POST('/api/v1/platform/rates', { body }));
    },
    onSuccess: onDone,
  });
  const err = (field: string) => fieldError(save.error, field);
  return (
    <RoutingForm
      editor={{ item: rate, canWrite: true, onClose }}
      save={save}
      body={(): RateDraft => ({
        // "+7 495" as typed is "+7495".
        prefix: prefix.replace(/[\s()-]/g, ''),
        pricePerMinute: toMinor(price),
        description: description.trim(),
      })}
      fields={FIELDS}
    >
      <TextInput
        label={t('rates.prefix')}
        description={t('rates.prefixHint')}
        required
        inputMode="tel"
        autoComplete="off"
        spellCheck={false}
        maxLength={20}
        value={prefix}
        onChange={(e) => setPrefix(e.currentTarget.value)}
        error={err('prefix')}
        data-autofocus
      />
      <MoneyInput
        label={t('rates.price')}
        description={t('rates.priceHint', { example: formatMoney(150, i18n.language) })}
        required
        max={1_000_000}
        value={price}
        onChange={setPrice}
        error={err('pricePerMinute')}
      />
      <TextInput
        label={t('rates.description')}
        description={t('rates.descriptionHint')}
        maxLength={200}
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        error={err('description')}
      />
    </RoutingForm>
  );
}

export default function Rates() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [editing, setEditing] = useState<Rate | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Rate | null>(null);
  const list = useQuery({
    queryKey: [...RATES_KEY, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(api.GET('/api/v1/platform/rates', { params: { query: { ...paging.query, sort: 'prefix' } } })),
  });
  const changed = () => {
    void client.invalidateQueries({ queryKey: RATES_KEY });
  };
  const close = () => setEditing(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('rates.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('rates.add')}</Button>
      </Group>
      <Text size="sm" c="dimmed">
        {t('rates.intro')}
      </Text>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? (
        <Text c="dimmed">{search ? t('rates.emptyFilter') : t('rates.empty')}</Text>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover aria-label={t('rates.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('rates.prefix')}</Table.Th>
                <Table.Th ta="right">{t('rates.price')}</Table.Th>
                <Table.Th>{t('rates.description')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((rate) => (
                <Table.Tr key={rate.id} data-prefix={rate.prefix}>
                  <Table.Th scope="row" fw={600} style={{ whiteSpace: 'nowrap' }}>
                    {rate.prefix}
                  </Table.Th>
                  <Table.Td
                    ta="right"
                    data-testid="rate-price"
                    style={{ fontVariantNumeric: 'tabular-nums' }}
                  >
                    {formatMoney(rate.pricePerMinute, i18n.language)}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{rate.description}</Text>
                  </Table.Td>
                  <Table.Td>
                    <RowActions
                      name={rate.prefix}
                      canWrite
                      onEdit={() => setEditing(rate)}
                      onDelete={() => setDeleting(rate)}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={close}
        title={
          editing === 'new' ? t('rates.add') : editing ? t('rates.editTitle', { prefix: editing.prefix }) : ''
        }
      >
        {editing ? (
          <RateForm
            rate={editing === 'new' ? null : editing}
            onClose={close}
            onDone={() => {
              close();
              changed();
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: deleting.prefix } : null}
        text={t('rates.deleteConfirm')}
        onClose={() => setDeleting(null)}
        onDelete={(id) => unwrap(api.DELETE('/api/v1/platform/rates/{id}', { params: { path: { id } } }))}
        onDeleted={() => {
          setDeleting(null);
          changed();
        }}
      />
    </Stack>
  );
}
