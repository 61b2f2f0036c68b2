/**
 * The CDR search of the call history, kept in the page's URL (`/calls?direction=
 * inbound&disposition=unanswered&…`) so a link — a report's drill-down, a
 * bookmark — opens the list already filtered. The names and values are the API's
 * own query parameters, passed through unchanged.
 */
import { Badge, Button, CloseButton, Group, MultiSelect, Select, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';

const DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
const DISPOSITIONS = ['answered', 'unanswered', 'missed', 'abandoned', 'busy', 'failed'] as const;
const TEXT_KEYS = ['number', 'extension', 'tag', 'trunk'] as const;
/** Every parameter the search keeps in the URL. */
const KEYS = [
  ...TEXT_KEYS,
  'numberSide',
  'numberMatch',
  'direction',
  'disposition',
  'from',
  'to',
  'weekday',
  'hour',
] as const;

export interface CallSearch {
  number?: string;
  numberSide?: 'caller' | 'callee' | 'any';
  numberMatch?: 'contains' | 'exact';
  extension?: string;
  tag?: string;
  trunk?: string;
  direction?: string;
  disposition?: string;
  from?: string;
  to?: string;
  weekday?: number;
  hour?: number;
}

/** A link to the call history showing the calls `search` finds (what a report's figure links to). */
export function callsLink(search: CallSearch): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(search)) if (v !== undefined && v !== '') p.set(k, String(v));
  return `/calls?${p.toString()}`;
}

const int = (v: string | null, min: number, max: number) => {
  const n = v === null || v === '' ? Number.NaN : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
};
const oneOf = <T extends string>(v: string | null, words: readonly T[]) =>
  v !== null && (words as readonly string[]).includes(v) ? (v as T) : undefined;
const list = (v: string | null, words: readonly string[]) => {
  const kept = (v ?? '').split(',').filter((w) => words.includes(w));
  return kept.length ? kept.join(',') : undefined;
};
const instant = (v: string | null) =>
  v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined;

/** The search in the URL, read leniently (a word the API would refuse is dropped, not sent). */
export function useCallSearch(): {
  search: CallSearch;
  set: (patch: Partial<Record<(typeof KEYS)[number], string | undefined>>) => void;
  clear: () => void;
  active: boolean;
} {
  const [params, setParams] = useSearchParams();
  const text = (k: string) => params.get(k)?.trim().slice(0, 40) || undefined;
  const search: CallSearch = {
    number: text('number'),
    numberSide: oneOf(params.get('numberSide'), ['caller', 'callee', 'any'] as const),
    numberMatch: oneOf(params.get('numberMatch'), ['contains', 'exact'] as const),
    extension: text('extension'),
    tag: text('tag'),
    trunk: text('trunk'),
    direction: list(params.get('direction'), DIRECTIONS),
    disposition: list(params.get('disposition'), DISPOSITIONS),
    from: instant(params.get('from')),
    to: instant(params.get('to')),
    weekday: int(params.get('weekday'), 1, 7),
    hour: int(params.get('hour'), 0, 23),
  };
  for (const k of Object.keys(search) as (keyof CallSearch)[]) if (search[k] === undefined) delete search[k];
  return {
    search,
    active: Object.keys(search).length > 0,
    set: (patch) =>
      setParams(
        (old) => {
          const next = new URLSearchParams(old);
          for (const [k, v] of Object.entries(patch)) {
            if (v === undefined || v === '') next.delete(k);
            else next.set(k, v);
          }
          return next;
        },
        { replace: true },
      ),
    clear: () =>
      setParams(
        (old) => {
          const next = new URLSearchParams(old);
          for (const k of KEYS) next.delete(k);
          return next;
        },
        { replace: true },
      ),
  };
}

/** `datetime-local` wants local wall time without a zone. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function CallFilters({ state }: { state: ReturnType<typeof useCallSearch> }) {
  const { t, i18n } = useTranslation();
  const { search, set, clear, active } = state;
  const weekdayName = (wd: number) =>
    new Intl.DateTimeFormat(i18n.language, { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, 0, wd)),
    );
  return (
    <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label={t('callSearch.title')}>
      <TextInput
        label={t('callSearch.number')}
        value={search.number ?? ''}
        onChange={(e) => set({ number: e.currentTarget.value })}
        w={170}
      />
      <Select
        label={t('callSearch.side')}
        value={search.numberSide ?? 'any'}
        onChange={(v) => set({ numberSide: v === 'any' ? undefined : (v ?? undefined) })}
        data={(['any', 'caller', 'callee'] as const).map((v) => ({
          value: v,
          label: t(`callSearch.sides.${v}`),
        }))}
        w={130}
        allowDeselect={false}
      />
      <TextInput
        label={t('callSearch.extension')}
        value={search.extension ?? ''}
        onChange={(e) => set({ extension: e.currentTarget.value })}
        w={110}
      />
      <MultiSelect
        label={t('callSearch.direction')}
        value={search.direction?.split(',') ?? []}
        onChange={(v) => set({ direction: v.join(',') })}
        data={DIRECTIONS.map((d) => ({ value: d, label: t(`callSearch.directions.${d}`) }))}
        w={220}
        clearable
      />
      <MultiSelect
        label={t('callSearch.disposition')}
        value={search.disposition?.split(',') ?? []}
        onChange={(v) => set({ disposition: v.join(',') })}
        data={DISPOSITIONS.map((d) => ({ value: d, label: t(`callSearch.dispositions.${d}`) }))}
        w={240}
        clearable
      />
      <TextInput
        label={t('callSearch.tag')}
        value={search.tag ?? ''}
        onChange={(e) => set({ tag: e.currentTarget.value })}
        w={110}
      />
      <TextInput
        label={t('callSearch.trunk')}
        value={search.trunk ?? ''}
        onChange={(e) => set({ trunk: e.currentTarget.value })}
        w={130}
      />
      <TextInput
        type="datetime-local"
        label={t('callSearch.from')}
        value={toLocalInput(search.from)}
        onChange={(e) =>
          set({ from: e.currentTarget.value ? new Date(e.currentTarget.value).toISOString() : undefined })
        }
      />
      <TextInput
        type="datetime-local"
        label={t('callSearch.to')}
        value={toLocalInput(search.to)}
        onChange={(e) =>
          set({ to: e.currentTarget.value ? new Date(e.currentTarget.value).toISOString() : undefined })
        }
      />
      {search.weekday !== undefined || search.hour !== undefined ? (
        <Badge
          size="lg"
          variant="light"
          data-testid="cell-filter"
          rightSection={
            <CloseButton
              size="xs"
              aria-label={t('callSearch.clearCell')}
              onClick={() => set({ weekday: undefined, hour: undefined })}
            />
          }
        >
          {t('callSearch.cell', {
            day: search.weekday !== undefined ? weekdayName(search.weekday) : '',
            hour: search.hour !== undefined ? `${String(search.hour).padStart(2, '0')}:00` : '',
          })}
        </Badge>
      ) : null}
      {active ? (
        <Button variant="subtle" onClick={clear}>
          {t('callSearch.clear')}
        </Button>
      ) : null}
    </Group>
  );
}
