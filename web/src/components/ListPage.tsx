/**
 * What every list page shares: a search box that starts again from page 1, a
 * debounced search term, the page's limit/offset for the API, and a pager with
 * the total that shows only when there is more than one page.
 */
import { Group, Pagination, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { type ChangeEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';

export function useListPage(pageSize: number) {
  const [q, setQ] = useState('');
  const [search] = useDebouncedValue(q, 250);
  const [page, setPage] = useState(1);
  return {
    search,
    page,
    setPage,
    /** limit, offset and q for a list route of the API. */
    query: { limit: pageSize, offset: (page - 1) * pageSize, ...(search ? { q: search } : {}) },
    searchField: {
      value: q,
      onChange: (e: ChangeEvent<HTMLInputElement>) => {
        setQ(e.currentTarget.value);
        setPage(1);
      },
    },
  };
}

export function SearchField(props: { value: string; onChange: (e: ChangeEvent<HTMLInputElement>) => void }) {
  const { t } = useTranslation();
  return <TextInput label={t('common.search')} type="search" maw={{ base: '100%', xs: 320 }} {...props} />;
}

export function Pager(props: {
  total: number;
  pageSize: number;
  page: number;
  onChange: (page: number) => void;
}) {
  const { t } = useTranslation();
  if (props.total <= props.pageSize) return null;
  return (
    <Group justify="space-between">
      <Text size="sm" c="dimmed">
        {t('common.total', { count: props.total })}
      </Text>
      <Pagination
        total={Math.ceil(props.total / props.pageSize)}
        value={props.page}
        onChange={props.onChange}
      />
    </Group>
  );
}
